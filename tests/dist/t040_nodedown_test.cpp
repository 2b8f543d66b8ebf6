// Scenario 040, losing a node: `kill -9` of an erl peer, a peer that stops answering ticks,
// disconnect_node, monitor_node and monitor_nodes, in both directions.
#include <signal.h>

#include "dist/dist_fixture.hpp"

using namespace otpp;
using namespace otpp::test;

using NodeDown = dist_test;

TEST_F(NodeDown, KillingErlFiresNodeDownAndTheNodeMonitor) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  pid watcher = a->make_pid();
  ASSERT_EQ(a->engine->ping(atom(erl->node())), atoms::pong);
  a->engine->monitor_node(watcher, atom(erl->node()), true);
  std::vector<dist::node_event> events;
  std::mutex mu;
  a->engine->on_node_event([&](const dist::node_event& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  std::this_thread::sleep_for(100ms);
  erl->kill(SIGKILL);
  auto down = a->signals.wait_for_kind("node_down");
  ASSERT_TRUE(down);
  EXPECT_EQ((*down)[1], atom(erl->node()));
  auto msg = a->signals.wait_for_kind("deliver");
  ASSERT_TRUE(msg);
  EXPECT_EQ((*msg)[1], term(watcher));
  EXPECT_EQ((*msg)[2], tuple_of(atoms::nodedown, atom(erl->node())));
  EXPECT_TRUE(a->engine->nodes().empty());
  std::lock_guard lock(mu);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].up);
  EXPECT_TRUE(a->log->contains("connection to " + erl->node() + " lost"));
}

TEST_F(NodeDown, MonitorNodeOfAnUnreachableNodeFiresAtOnce) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  pid watcher = a->make_pid();
  atom ghost(unique_name("ghost") + "@localhost");
  a->engine->monitor_node(watcher, ghost, true);
  auto msg = a->signals.wait_for_kind("deliver");
  ASSERT_TRUE(msg);
  EXPECT_EQ((*msg)[2], tuple_of(atoms::nodedown, ghost));
}

TEST_F(NodeDown, ErlSeesNodedownWhenOtppDisconnects) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  ASSERT_EQ(erl->eval("monitor_node(" + quoted(a->name_text()) + ", true)."), "true");
  ASSERT_TRUE(eventually([&] { return a->engine->is_connected(atom(erl->node())); }));
  EXPECT_TRUE(a->engine->disconnect(atom(erl->node())));
  EXPECT_EQ(erl->eval("receive {nodedown, N} -> N after 5000 -> timeout end."), a->name_text());
  ASSERT_TRUE(a->signals.wait_for_kind("node_down"));
}

TEST_F(NodeDown, MonitorNodesReportsUpAndDown) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  pid sub = a->make_pid();
  a->engine->monitor_nodes(sub, true);
  ASSERT_EQ(a->engine->ping(b->name()), atoms::pong);
  auto up = a->signals.wait_for_kind("deliver");
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)[2], tuple_of(atoms::nodeup, b->name()));
  b->engine->stop();
  auto down = a->signals.wait_for_kind("deliver");
  ASSERT_TRUE(down);
  EXPECT_EQ((*down)[2], tuple_of(atoms::nodedown, b->name()));
}

TEST_F(NodeDown, APeerThatStopsTickingIsDeclaredDown) {
  auto a = start_node("a", [](dist::engine_options& o) { o.net_ticktime = 1200ms; });
  auto erl = start_erl("erl", cookie, {"-kernel", "net_ticktime", "60"});
  ASSERT_TRUE(a && erl->ready());
  ASSERT_EQ(a->engine->ping(atom(erl->node())), atoms::pong);
  // A frozen node keeps its sockets open: only the missing ticks can tell.
  erl->kill(SIGSTOP);
  auto t0 = std::chrono::steady_clock::now();
  auto down = a->signals.wait_for_kind("node_down", {}, 10s);
  auto took = std::chrono::steady_clock::now() - t0;
  erl->kill(SIGCONT);
  ASSERT_TRUE(down);
  EXPECT_LT(took, 4s);
  EXPECT_TRUE(a->log->contains("not responding"));
}

TEST_F(NodeDown, AnIdleConnectionSurvivesManyTickPeriods) {
  auto a = start_node("a", [](dist::engine_options& o) { o.net_ticktime = 800ms; });
  auto b = start_node("b", [](dist::engine_options& o) { o.net_ticktime = 800ms; });
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->engine->ping(b->name()), atoms::pong);
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(a->engine->is_connected(b->name()));
  EXPECT_TRUE(b->engine->is_connected(a->name()));
  EXPECT_FALSE(a->signals.wait_for_kind("node_down", {}, 10ms));
}

TEST_F(NodeDown, OtppAnswersTicksOfAnErlWithAShorterTicktime) {
  auto a = start_node("a", [](dist::engine_options& o) { o.net_ticktime = 60s; });
  auto erl = start_erl("erl", cookie, {"-kernel", "net_ticktime", "2"});
  ASSERT_TRUE(a && erl->ready());
  ASSERT_EQ(a->engine->ping(atom(erl->node())), atoms::pong);
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(erl->eval("nodes()."), "[" + a->name_text() + "]");
}
