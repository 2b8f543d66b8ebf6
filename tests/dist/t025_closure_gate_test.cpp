// Scenario 025, messages that wait for a connection's closure rewriter (engine::closure_policy):
// a message the policy says must wait is held with every message to that peer sent after it,
// until the policy's owner releases the connection or the hold limit passes, and the learner's
// own messages pass them; otpp <-> otpp, with a stand-in policy.
#include "dist/dist_fixture.hpp"

using namespace otpp;
using namespace otpp::test;

namespace {

// A message that must wait: {wait_for_rewriter, ...}.
const atom a_waits("wait_for_rewriter");

bool is_deliver_to(const term& t, const pid& to) { return t[1].is_pid() && t[1].pid_value() == to; }

// Gives every connection of `n` a policy that holds {wait_for_rewriter, ...} messages for up to
// `limit`; `connection` receives the id of the latest connection.
void hold_waiting_messages(test_node& n, std::atomic<std::uint64_t>& connection,
                           std::chrono::milliseconds limit) {
  n.engine->set_closure_policy_factory([&connection, limit](const dist::engine::closure_peer& peer) {
    connection = peer.connection;
    dist::engine::closure_policy policy;
    policy.must_wait = [](const term& payload) {
      return payload.is_tuple() && payload.tuple_size() > 0 && payload[0].is_atom(a_waits);
    };
    policy.hold_limit = limit;
    return policy;
  });
}

}  // namespace

using closure_gate = dist_test;

TEST_F(closure_gate, a_waiting_message_holds_back_later_ones_and_the_learners_pass_until_release) {
  std::atomic<std::uint64_t> connection{0};  // outlives the nodes, whose policy writes it
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  hold_waiting_messages(*a, connection, 60s);
  EXPECT_EQ(a->engine->ping(b->name()), atoms::pong);
  ASSERT_NE(connection.load(), 0u);
  pid pa = a->make_pid(), learner = a->make_pid(), pb = b->make_pid();
  a->engine->pass_closure_gate(b->name(), connection, learner);
  a->engine->send(pa, pb, term(1));
  a->engine->send(pa, pb, tuple_of(a_waits, 2));
  a->engine->send(pa, pb, term(3));
  a->engine->send_named(pa, atom("elsewhere"), b->name(), term(4));
  a->engine->send(learner, pb, atom("probe"));
  // The probe, sent last, arrives; on one connection that means nothing before it was
  // written but the first message.
  auto first = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)[2], term(1));
  auto probe = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
  ASSERT_TRUE(probe);
  EXPECT_EQ((*probe)[2], atom("probe"));
  a->engine->send(pa, pb, term(5));
  a->engine->release_closures(b->name(), connection + 1, true);  // another connection: no effect
  a->engine->send(learner, pb, atom("probe2"));
  auto probe2 = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
  ASSERT_TRUE(probe2);
  EXPECT_EQ((*probe2)[2], atom("probe2"));

  a->engine->release_closures(b->name(), connection, true);
  for (const term& expected : {tuple_of(a_waits, 2), term(3), term(5)}) {
    auto got = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)[2], expected);
  }
  auto named = b->signals.wait_for_kind("deliver_named");
  ASSERT_TRUE(named);
  EXPECT_EQ((*named)[2], term(4));
  // Released: a waiting kind of message goes at once now.
  a->engine->send(pa, pb, tuple_of(a_waits, 6));
  auto later = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
  ASSERT_TRUE(later);
  EXPECT_EQ((*later)[2], tuple_of(a_waits, 6));
  EXPECT_EQ(a->log->all(), "");
}

TEST_F(closure_gate, messages_queued_while_connecting_wait_and_go_in_order_after_the_hold_limit_with_a_log_line) {
  std::atomic<std::uint64_t> connection{0};  // outlives the nodes, whose policy writes it
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  hold_waiting_messages(*a, connection, 300ms);
  pid pa = a->make_pid(), pb = b->make_pid();
  // Sent before there is a connection: queued while it is made, then through the gate.
  a->engine->send(pa, pb, tuple_of(a_waits, 1));
  for (int i = 2; i <= 50; ++i) a->engine->send(pa, pb, term(i));
  auto got = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
  ASSERT_TRUE(got) << a->log->all();
  EXPECT_EQ((*got)[2], tuple_of(a_waits, 1));
  for (int i = 2; i <= 50; ++i) {
    got = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
    ASSERT_TRUE(got) << i;
    EXPECT_EQ((*got)[2], term(i));
  }
  EXPECT_NE(a->log->all().find("was not learned within 300 ms: 50 waiting message(s) go"), std::string::npos)
      << a->log->all();
}

TEST_F(closure_gate, a_connection_without_a_gate_holds_nothing) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  a->engine->set_closure_policy_factory([](const dist::engine::closure_peer&) { return dist::engine::closure_policy{}; });
  pid pa = a->make_pid(), pb = b->make_pid();
  a->engine->send(pa, pb, tuple_of(a_waits, 1));
  auto got = b->signals.wait_for_kind("deliver", [&](const term& t) { return is_deliver_to(t, pb); });
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[2], tuple_of(a_waits, 1));
}
