// Scenario 070, simultaneous connects: two nodes dialling each other at the same moment end
// with one connection (the one started by the greater name), and nothing sent meanwhile is
// lost; the same against a real erl.
#include "dist/dist_fixture.hpp"

using namespace otpp;
using namespace otpp::test;

using simultaneous_connect = dist_test;

TEST_F(simultaneous_connect, both_otpp_nodes_dial_at_once_and_end_with_one_connection) {
  for (int round = 0; round < 10; ++round) {
    auto a = start_node("s"), b = start_node("s");
    ASSERT_TRUE(a && b);
    pid pa = a->make_pid(), pb = b->make_pid();
    std::thread ta([&] { a->engine->send(pa, pb, atom("from_a")); });
    std::thread tb([&] { b->engine->send(pb, pa, atom("from_b")); });
    ta.join();
    tb.join();
    EXPECT_TRUE(b->signals.wait_for_kind("deliver", [](const term& t) { return t[2].is_atom(atom("from_a")); }))
        << "round " << round << "\n" << a->log->all() << b->log->all();
    EXPECT_TRUE(a->signals.wait_for_kind("deliver", [](const term& t) { return t[2].is_atom(atom("from_b")); }))
        << "round " << round << "\n" << a->log->all() << b->log->all();
    EXPECT_TRUE(eventually([&] { return a->engine->nodes().size() == 1 && b->engine->nodes().size() == 1; }));
    // No connection was lost on the way (the loser was never "up").
    EXPECT_FALSE(a->signals.wait_for_kind("node_down", {}, 10ms));
  }
}

TEST_F(simultaneous_connect, connect_while_the_other_side_already_connected_is_harmless) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->engine->connect(b->name()));
  EXPECT_TRUE(b->engine->connect(a->name()));
  EXPECT_EQ(a->engine->nodes().size(), 1u);
  EXPECT_EQ(b->engine->nodes().size(), 1u);
}

TEST_F(simultaneous_connect, a_restarted_peer_replaces_its_old_connection) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  std::string name = unique_name("phoenix") + "@localhost";
  {
    auto b = start_node("x", [&](dist::engine_options& o) { o.name = name; });
    ASSERT_TRUE(b);
    ASSERT_EQ(b->engine->ping(a->name()), atoms::pong);
  }
  auto b2 = start_node("x", [&](dist::engine_options& o) { o.name = name; });
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->engine->ping(a->name()), atoms::pong);
  EXPECT_TRUE(eventually([&] { return a->engine->nodes().size() == 1; }));
}

TEST_F(simultaneous_connect, otpp_and_erl_dial_each_other_at_once) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  pid pa = a->make_pid();
  ASSERT_EQ(erl->eval("register(tester, self())."), "true");
  std::thread t([&] { a->engine->send_named(pa, atom("tester"), atom(erl->node()), atom("hello_erl")); });
  auto r = erl->eval("{kate, " + quoted(a->name_text()) + "} ! hello_otpp, receive hello_erl -> ok after 5000 -> timeout end.");
  t.join();
  EXPECT_EQ(r, "ok");
  EXPECT_TRUE(a->signals.wait_for_kind("deliver_named", [](const term& t) { return t[2].is_atom(atom("hello_otpp")); }));
  EXPECT_EQ(erl->eval("nodes()."), "[" + a->name_text() + "]");
}
