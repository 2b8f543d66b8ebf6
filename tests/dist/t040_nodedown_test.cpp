// Scenario 040, losing a node: `kill -9` of an erl peer and of an otpp node in a process of
// its own (the lesson's kate), a peer that stops answering ticks, disconnect_node,
// monitor_node and monitor_nodes, in both directions.
#include <signal.h>

#include <future>

#include "dist/dist_fixture.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;
using namespace otpp::test;

using node_down = dist_test;

TEST_F(node_down, killing_erl_fires_node_down_and_the_node_monitor) {
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
  // erl has the connection up on its side too before it dies.
  ASSERT_TRUE(eventually([&] { return erl->eval("nodes().") == "[" + a->name_text() + "]"; }));
  erl->kill(SIGKILL);
  auto down = a->signals.wait_for_kind("node_down");
  ASSERT_TRUE(down);
  EXPECT_EQ((*down)[1], atom(erl->node()));
  auto msg = a->signals.wait_for_kind("deliver");
  ASSERT_TRUE(msg);
  EXPECT_EQ((*msg)[1], term(watcher));
  EXPECT_EQ((*msg)[2], tuple_of(atoms::nodedown, atom(erl->node())));
  EXPECT_TRUE(a->engine->nodes().empty());
  // The node-event callback runs after the sink heard of it: wait for it, within bounds.
  (void)eventually([&] {
    std::lock_guard lock(mu);
    return !events.empty();
  });
  std::lock_guard lock(mu);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].up);
  EXPECT_TRUE(a->log->contains("connection to " + erl->node() + " lost"));
}

TEST_F(node_down, monitor_node_of_an_unreachable_node_fires_at_once) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  pid watcher = a->make_pid();
  atom ghost(unique_name("ghost") + "@localhost");
  a->engine->monitor_node(watcher, ghost, true);
  auto msg = a->signals.wait_for_kind("deliver");
  ASSERT_TRUE(msg);
  EXPECT_EQ((*msg)[2], tuple_of(atoms::nodedown, ghost));
}

TEST_F(node_down, erl_sees_nodedown_when_otpp_disconnects) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  ASSERT_EQ(erl->eval("monitor_node(" + quoted(a->name_text()) + ", true)."), "true");
  ASSERT_TRUE(eventually([&] { return a->engine->is_connected(atom(erl->node())); }));
  EXPECT_TRUE(a->engine->disconnect(atom(erl->node())));
  EXPECT_EQ(erl->eval("receive {nodedown, N} -> N after 5000 -> timeout end."), a->name_text());
  ASSERT_TRUE(a->signals.wait_for_kind("node_down"));
}

TEST_F(node_down, monitor_nodes_reports_up_and_down) {
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

TEST_F(node_down, a_peer_that_stops_ticking_is_declared_down) {
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

TEST_F(node_down, an_idle_connection_survives_many_tick_periods) {
  auto a = start_node("a", [](dist::engine_options& o) { o.net_ticktime = 800ms; });
  auto b = start_node("b", [](dist::engine_options& o) { o.net_ticktime = 800ms; });
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->engine->ping(b->name()), atoms::pong);
  std::this_thread::sleep_for(3s);  // the time passing is what is tested
  EXPECT_TRUE(a->engine->is_connected(b->name()));
  EXPECT_TRUE(b->engine->is_connected(a->name()));
  EXPECT_FALSE(a->signals.wait_for_kind("node_down", {}, 10ms));
}

TEST_F(node_down, otpp_answers_ticks_of_an_erl_with_a_shorter_ticktime) {
  auto a = start_node("a", [](dist::engine_options& o) { o.net_ticktime = 60s; });
  auto erl = start_erl("erl", cookie, {"-kernel", "net_ticktime", "2"});
  ASSERT_TRUE(a && erl->ready());
  ASSERT_EQ(a->engine->ping(atom(erl->node())), atoms::pong);
  std::this_thread::sleep_for(5s);  // the time passing is what is tested
  EXPECT_EQ(erl->eval("nodes()."), "[" + a->name_text() + "]");
}

namespace {

// The lesson's kate (examples/lesson/kate.cpp) as its own process: a full otpp node that
// serves until killed, registered with the test's port mapper.
std::unique_ptr<child_process> start_kate(const std::string& node, std::uint16_t epmd_port, const std::string& cookie) {
  auto kate = std::make_unique<child_process>(child_process::options{
      {std::string(OTPP_BIN_DIR) + "/lesson_kate", "--sname", node, "--cookie", cookie},
      {{"ERL_EPMD_PORT", std::to_string(epmd_port)}},
      true});
  EXPECT_TRUE(kate->wait_for(node + " ready", 15s)) << kate->output();
  return kate;
}

}  // namespace

TEST_F(node_down, killing_an_otpp_node_process_fires_nodedown_in_erl) {
  const std::string kate_node = unique_name("kate") + "@localhost";
  auto kate = start_kate(kate_node, epmd_port(), cookie);
  auto erl = start_erl();
  ASSERT_TRUE(erl->ready());
  ASSERT_EQ(erl->eval("net_adm:ping(" + quoted(kate_node) + ")."), "pong");
  ASSERT_EQ(erl->eval("monitor_node(" + quoted(kate_node) + ", true)."), "true");
  kate->kill(SIGKILL);
  EXPECT_EQ(erl->eval("receive {nodedown, N} -> N after 10000 -> timeout end."), kate_node);
  EXPECT_EQ(erl->eval("nodes()."), "[]");
}

TEST_F(node_down, killing_an_otpp_node_process_breaks_links_with_noconnection) {
  const std::string kate_node = unique_name("kate") + "@localhost";
  auto kate = start_kate(kate_node, epmd_port(), cookie);

  // An in-process otpp node with a real runtime, so the link and its exit signal are the
  // runtime's own.
  runtime rt;
  dist::engine_options o;
  o.name = unique_name("alex") + "@localhost";
  o.cookie = cookie;
  o.epmd_port = epmd_port();
  o.embedded_epmd = false;
  o.listen_address = "127.0.0.1";
  auto log = std::make_shared<captured_log>();
  o.log = [log](std::string_view line) { log->add(line); };
  dist::engine engine(o);
  engine.set_remote_signals(&rt.remote());
  engine.set_reference_factory([&rt] { return rt.make_ref(); });
  auto started = engine.start();
  ASSERT_TRUE(started) << started.error();
  rt.set_node(engine.name(), engine.creation());
  rt.set_distribution(&engine);
  // Detach before the engine goes, on every path out of this test.
  struct detach {
    runtime& rt;
    dist::engine& engine;
    ~detach() {
      rt.set_distribution(nullptr);
      engine.stop();
    }
  } detach_at_end{rt, engine};
  {
    scoped_process me(rt);
    me.trap_exit(true);
    // A process on kate that waits for a message: Kate.reply_sup/0, spawned from here.
    reference req = me.spawn_request(atom(kate_node), atom("Elixir.Kate"), atom("reply_sup"), term());
    auto reply = me.receive_for(10s);
    ASSERT_TRUE(reply);
    ASSERT_TRUE(reply->is_tagged_tuple(atom("spawn_reply"), 4)) << *reply;
    EXPECT_EQ((*reply)[1], term(req));
    term remote = (*reply)[3];
    ASSERT_TRUE(remote.is_pid()) << remote;
    me.link(remote.pid_value());
    // The link is in place on kate too before it dies: a round trip over the same connection.
    ASSERT_EQ(engine.ping(atom(kate_node)), atoms::pong);

    kate->kill(SIGKILL);
    auto msg = me.receive_for(10s);
    ASSERT_TRUE(msg) << log->all();
    EXPECT_EQ(*msg, tuple_of(atoms::EXIT, remote, atoms::noconnection)) << *msg;
    EXPECT_TRUE(eventually([&] { return !engine.is_connected(atom(kate_node)); }));
    EXPECT_TRUE(log->contains("connection to " + kate_node + " lost")) << log->all();
  }
}
