// Scenario 020, connect, ping and send: otpp <-> otpp and otpp <-> a real erl, in both
// directions, by pid and by registered name, with replies to self().
#include "dist/dist_fixture.hpp"

using namespace otpp;
using namespace otpp::test;

namespace {
bool is_deliver_to(const term& t, const pid& to) { return t[1].is_pid() && t[1].pid_value() == to; }
}  // namespace

using sending = dist_test;

TEST_F(sending, otpp_pings_otpp_and_both_list_each_other) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->engine->ping(b->name()), atoms::pong);
  EXPECT_TRUE(eventually([&] { return b->engine->nodes().size() == 1; }));
  ASSERT_EQ(a->engine->nodes().size(), 1u);
  EXPECT_EQ(a->engine->nodes()[0], b->name());
  EXPECT_EQ(b->engine->nodes()[0], a->name());
}

TEST_F(sending, ping_of_a_missing_node_is_pang) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->engine->ping(atom(unique_name("ghost") + "@localhost"), 5s), atoms::pang);
  EXPECT_TRUE(a->engine->nodes().empty());
}

TEST_F(sending, otpp_sends_to_otpp_by_pid_and_by_name_connecting_on_first_use) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  pid pa = a->make_pid(), pb = b->make_pid();
  a->engine->send(pa, pb, tuple_of(atom("hello"), pa));  // no connection yet: connects
  auto got = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[2], tuple_of(atom("hello"), pa));
  // The reply goes to the pid that came in the message (self() of the sender).
  b->engine->send(pb, (*got)[2][1].pid_value(), atom("world"));
  auto reply = a->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pa); });
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)[2], atom("world"));
  a->engine->send_named(pa, atom("registered_one"), b->name(), list_of(1, 2, 3));
  auto named = b->signals.wait_for_kind("deliver_named");
  ASSERT_TRUE(named);
  EXPECT_EQ((*named)[1], atom("registered_one"));
  EXPECT_EQ((*named)[2], list_of(1, 2, 3));
}

TEST_F(sending, messages_from_one_sender_arrive_in_order) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  pid pa = a->make_pid(), pb = b->make_pid();
  for (int i = 0; i < 10000; ++i) a->engine->send(pa, pb, term(i));
  for (int i = 0; i < 10000; ++i) {
    auto got = b->signals.wait_for_kind("deliver");
    ASSERT_TRUE(got) << i;
    ASSERT_EQ((*got)[2], term(i));
  }
}

TEST_F(sending, erl_pings_otpp_and_gets_pong) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  EXPECT_EQ(erl->eval("net_adm:ping(" + quoted(a->name_text()) + ")."), "pong");
  EXPECT_EQ(erl->eval("lists:member(" + quoted(a->name_text()) + ", nodes())."), "true");
  EXPECT_TRUE(eventually([&] { return a->engine->is_connected(atom(erl->node())); }));
}

TEST_F(sending, otpp_pings_erl_and_gets_pong) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  EXPECT_EQ(a->engine->ping(atom(erl->node())), atoms::pong);
  EXPECT_EQ(erl->eval("nodes()."), "[" + a->name_text() + "]");
}

TEST_F(sending, otpp_sends_to_an_erl_process_by_name_and_erl_replies_to_self) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  ASSERT_EQ(erl->eval("register(tester, self())."), "true");
  pid pa = a->make_pid();
  a->engine->send_named(pa, atom("tester"), atom(erl->node()), tuple_of(pa, atom("hi")));
  // The erl process answers the pid inside the message: a message back to an otpp pid.
  EXPECT_EQ(erl->eval("receive {From, hi} -> From ! {self(), sup}, ok after 5000 -> timeout end."), "ok");
  auto got = a->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pa); });
  ASSERT_TRUE(got);
  EXPECT_TRUE((*got)[2].is_tuple() && (*got)[2][1].is_atom(atom("sup")));
  EXPECT_EQ(std::string((*got)[2][0].pid_value().node.name()), erl->node());
  // And the erl pid we learned works as a destination.
  a->engine->send(pa, (*got)[2][0].pid_value(), atom("by_pid"));
  EXPECT_EQ(erl->eval("receive by_pid -> got_it after 5000 -> timeout end."), "got_it");
}

TEST_F(sending, erl_sends_to_an_otpp_name_connecting_on_first_use) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  EXPECT_EQ(erl->eval("{kate, " + quoted(a->name_text()) + "} ! {hello, self(), <<\"bin\">>, #{k => 1.5}}, ok."), "ok");
  // (erl's rex and global also greet a new node by name: pick ours)
  auto got = a->signals.wait_for_kind("deliver_named", [](const term& t) { return t[1].is_atom(atom("kate")); });
  ASSERT_TRUE(got);
  const term& m = (*got)[2];
  ASSERT_TRUE(m.is_tuple());
  EXPECT_EQ(m[0], atom("hello"));
  EXPECT_TRUE(m[1].is_pid());
  EXPECT_EQ(m[2].bytes_as_string(), "bin");
  EXPECT_TRUE(m[3].is_map());
}

TEST_F(sending, deep_iolists_from_erl_arrive_whole_and_echo_back_equal) {
  // BEAM has no nesting limit: an iolist built as [Acc, X] is as deep as it is long.
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  ASSERT_EQ(erl->eval("Deep = fun(N) -> lists:foldl(fun(X, Acc) -> [Acc, X] end, [], lists:seq(1, N)) end, "
                      "D3 = Deep(3000), D100 = Deep(100000), ok."),
            "ok");
  pid pa = a->make_pid();
  for (int n : {3000, 100000}) {
    const std::string name = n == 3000 ? "D3" : "D100";
    ASSERT_EQ(erl->eval("{deep, " + quoted(a->name_text()) + "} ! {self(), " + name + "}, ok."), "ok");
    // Decoding 100,000 levels takes seconds in a sanitized Debug build: a bound of two minutes.
    auto got = a->signals.wait_for_kind("deliver_named", [](const term& t) { return t[1].is_atom(atom("deep")); },
                                        std::chrono::seconds(120));
    ASSERT_TRUE(got) << name << "\n" << a->log->all();
    term expected;
    for (int x = 1; x <= n; ++x) expected = list_of(expected, x);
    const term& msg = (*got)[2];
    EXPECT_TRUE(exact_equal(msg[1], expected)) << name;
    EXPECT_EQ(msg[1].hash(), expected.hash());
    // Back to erl only below 32 KiB: a larger message that is not a binary does not reach erl yet
    // from otpp, however shallow (a fault of the connection's writer; otpp to otpp is unaffected).
    if (n == 3000) {
      a->engine->send(pa, msg[0].pid_value(), msg[1]);
      EXPECT_EQ(erl->eval("receive R -> R =:= " + name + " after 10000 -> timeout end."), "true") << name;
    }
  }
  EXPECT_TRUE(a->engine->is_connected(atom(erl->node())));
}

TEST_F(sending, a_term_100000_levels_deep_crosses_between_otpp_nodes_equal) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  pid pa = a->make_pid(), pb = b->make_pid();
  term t;
  for (int i = 1; i <= 100000; ++i) t = list_of(t, i);
  a->engine->send(pa, pb, t);
  // Encoding and decoding 100,000 levels takes seconds in a sanitized Debug build.
  auto got = b->signals.wait_for_kind("deliver", [&](const term& x) { return is_deliver_to(x, pb); },
                                      std::chrono::seconds(120));
  ASSERT_TRUE(got) << a->log->all() << b->log->all();
  EXPECT_TRUE(exact_equal((*got)[2], t));
}
