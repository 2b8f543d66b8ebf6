// Scenario 045, network faults across hosts: three network namespaces on one switch, long node
// names, an otpp node (this test's engine), a real erl and an otpp echo node each on a host of
// its own. Cutting erl's link brings nodedown within net_ticktime on both sides (and
// noconnection to erl's link); healing lets the nodes reconnect on next use; the connection
// that stayed up loses and reorders nothing meanwhile.
#include <chrono>
#include <cstdlib>
#include <optional>

#include "dist/dist_fixture.hpp"
#include "support/netns.hpp"

using namespace otpp;
using namespace otpp::test;

namespace {
constexpr const char* cookie = "otpp_netns_cookie";
constexpr auto tick = std::chrono::seconds(4);
// BEAM declares a silent peer down between 3/4 and 5/4 of net_ticktime; allow a second more.
constexpr auto detection_bound = tick * 5 / 4 + std::chrono::seconds(1);

}  // namespace

TEST(network_faults, a_cut_link_downs_the_node_on_both_sides_healing_reconnects_and_other_links_keep_order) {
  test_network net(3);
  ASSERT_TRUE(net.ok()) << "cannot build network namespaces (root and iproute2 are needed)";
  const std::string tail = "_with_a_long_name_" + std::to_string(::getpid());
  const std::string otpp_node = "otpp_node" + tail + "@" + test_network::address(0);
  const std::string erl_node = "erl_node" + tail + "@" + test_network::address(1);
  const std::string echo_node = "echo_node" + tail + "@" + test_network::address(2);

  // Host 1: Debian's epmd and a real erl. Host 2: an otpp echo node with its embedded epmd.
  child_process epmd({net.on_host(1, {"epmd", "-port", "4369"}), {}, true});
  erl_peer::options eo;
  eo.name = erl_node;
  eo.long_names = true;
  eo.cookie = cookie;
  eo.epmd_port = 4369;
  eo.extra_args = {"-kernel", "net_ticktime", std::to_string(tick.count())};
  eo.command_prefix = net.on_host(1, {});
  ASSERT_TRUE(eventually([&] {
    return std::system(("ip netns exec " + net.host_ns(1) + " epmd -names >/dev/null 2>&1").c_str()) == 0;
  })) << epmd.output();
  erl_peer erl(eo);
  ASSERT_TRUE(erl.ready()) << erl.process().output();
  child_process echo({net.on_host(2, {std::string(OTPP_BIN_DIR) + "/distribution_echo", "--name", echo_node,
                                      "--cookie", cookie, "--net-ticktime", std::to_string(tick.count())}),
                      {},
                      true});

  // Host 0: this thread, and the engine's threads it starts, are on host 0's network.
  test_network::thread_on_host on_host0(net, 0);
  ASSERT_TRUE(on_host0.ok());
  test_node a;
  dist::engine_options o;
  o.name = otpp_node;
  o.names = dist::name_kind::long_names;
  o.cookie = cookie;
  o.epmd_port = 4369;
  o.net_ticktime = tick;
  auto log = a.log;
  o.log = [log](std::string_view line) { log->add(line); };
  a.engine = std::make_unique<dist::engine>(o);
  a.engine->set_remote_signals(&a.signals);
  ASSERT_TRUE(a.engine->start());

  ASSERT_EQ(a.engine->ping(atom(erl_node)), atoms::pong) << a.log->all();
  ASSERT_TRUE(eventually([&] { return a.engine->ping(atom(echo_node), 2s) == atoms::pong; }, 20s))
      << a.log->all() << echo.output();

  // erl links to an otpp pid and monitors the otpp node; the otpp side monitors erl's node.
  const pid pa = a.make_pid(), watcher = a.make_pid();
  ASSERT_EQ(erl.eval("register(peer_shell, self()), ok."), "ok");
  a.engine->send_named(pa, atom("peer_shell"), atom(erl_node), tuple_of(atom("hello"), pa));
  ASSERT_EQ(erl.eval("receive {hello, P} -> process_flag(trap_exit, true), link(P), monitor_node('" + otpp_node +
                     "', true) after 5000 -> timeout end."),
            "true");
  auto linked = a.signals.wait_for_kind("link");
  ASSERT_TRUE(linked);
  const pid erl_pid = (*linked)[1].pid_value();
  a.engine->monitor_node(watcher, atom(erl_node), true);

  // A stream to the echo node across the cut: every reply back, in order.
  constexpr int before = 2000, total = 5000;
  auto send_seq = [&](int from, int to) {
    for (int i = from; i < to; ++i) a.engine->send_named(pa, atom("echo"), atom(echo_node), tuple_of(pa, tuple_of(atom("seq"), i)));
  };
  send_seq(0, before);
  ASSERT_TRUE(net.cut(1));
  const auto cut_at = std::chrono::steady_clock::now();
  send_seq(before, total);

  // The otpp side: node_down, noconnection to the linked pid, {nodedown, Node} to the monitor.
  // (Attempts to reach the echo node while it was starting recorded node_down for it.)
  auto down = a.signals.wait_for_kind(
      "node_down", [&](const term& t) { return t[1] == term(atom(erl_node)); },
      std::chrono::duration_cast<std::chrono::milliseconds>(detection_bound + 2s));
  ASSERT_TRUE(down) << a.log->all();
  EXPECT_LE(std::chrono::steady_clock::now() - cut_at, detection_bound);
  EXPECT_EQ((*down)[1], atom(erl_node));
  EXPECT_TRUE(a.signals.wait_for_kind("deliver", [&](const term& t) {
    return t[1] == term(watcher) && t[2] == tuple_of(atoms::nodedown, atom(erl_node));
  }));
  // The erl side: the same within the same bound (it was cut at the same moment).
  EXPECT_EQ(erl.eval("receive {nodedown, N} -> N after 8000 -> timeout end."), "'" + otpp_node + "'");
  EXPECT_LE(std::chrono::steady_clock::now() - cut_at, detection_bound + 1s);
  EXPECT_EQ(erl.eval("receive {'EXIT', _, R} -> R after 2000 -> timeout end."), "noconnection");

  // Nothing lost or reordered on the connection that stayed up.
  for (int i = 0; i < total; ++i) {
    auto got = a.signals.wait_for_kind("deliver", [&](const term& t) { return t[1] == term(pa); });
    ASSERT_TRUE(got) << "reply " << i << " missing";
    ASSERT_EQ((*got)[2], tuple_of(atom("echo"), tuple_of(atom("seq"), i)));
  }
  EXPECT_TRUE(a.engine->is_connected(atom(echo_node)));

  // Healed: the next use connects again, from either side.
  ASSERT_TRUE(net.heal(1));
  a.engine->send(pa, erl_pid, atom("after_heal"));
  EXPECT_EQ(erl.eval("receive after_heal -> ok after 15000 -> timeout end.", 20s), "ok") << a.log->all();
  EXPECT_EQ(erl.eval("net_adm:ping('" + otpp_node + "')."), "pong");
  EXPECT_TRUE(a.engine->is_connected(atom(erl_node)));
  a.engine.reset();  // on host 0, before the thread leaves it
}
