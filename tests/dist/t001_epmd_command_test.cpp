// Scenario 001, `otpp epmd` run alone like Debian's `epmd`: a real erl registers with it and
// both Debian's `epmd -names` and otpp's client list it; SIGTERM stops it cleanly; a taken
// port is a clear error and a non-zero exit.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <optional>
#include <thread>
#include <vector>

#include "dist/blocking_socket.hpp"
#include "otpp/dist/epmd.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"

using namespace otpp::dist;
using namespace otpp::test;
using namespace std::chrono_literals;
using otpp::dist::detail::blocking_socket;

namespace {

std::string otpp_tool() { return std::string(OTPP_BIN_DIR) + "/otpp"; }

epmd_address local(std::uint16_t port) { return epmd_address{"127.0.0.1", port, 3000ms}; }

bool names_contain(std::uint16_t port, const std::string& name) {
  auto names = epmd_names(local(port));
  if (!names) return false;
  for (auto& [n, p] : *names)
    if (n == name) return true;
  return false;
}

// Waits (bounded) for the child to exit; its wait status, or nullopt if it is still running.
std::optional<int> exit_status_within(child_process& c, std::chrono::milliseconds timeout) {
  if (!eventually([&] { return !c.running(); }, timeout)) return std::nullopt;
  return c.wait();
}

}  // namespace

TEST(epmd_command, real_erl_registers_with_otpp_epmd_and_epmd_names_lists_it) {
  const auto port = free_port();
  child_process epmd({{otpp_tool(), "epmd", "-port", std::to_string(port)}, {}, true});
  ASSERT_TRUE(epmd.wait_for("listening on 0.0.0.0 port " + std::to_string(port), 10s)) << epmd.output();
  ASSERT_TRUE(epmd.running()) << epmd.output();

  erl_peer erl(unique_name("erl"), port);
  ASSERT_TRUE(erl.ready()) << erl.process().output();
  const auto alive = erl.node().substr(0, erl.node().find('@'));
  // Debian's epmd in client mode, asking ours.
  child_process names({{"epmd", "-port", std::to_string(port), "-names"}, {}, true});
  EXPECT_TRUE(names.wait_for("name " + alive + " at port", 5s)) << names.output();
  EXPECT_TRUE(names.wait_for("epmd: up and running on port " + std::to_string(port), 5s)) << names.output();
  // otpp's own client, and erl looking itself up through it.
  EXPECT_TRUE(names_contain(port, alive));
  auto ours = epmd_port_please(local(port), alive);
  ASSERT_TRUE(ours) << ours.error();
  EXPECT_EQ(erl.eval("erl_epmd:port_please(\"" + alive + "\", \"localhost\")."),
            "{port," + std::to_string(ours->port) + ",6}");
  EXPECT_TRUE(epmd.wait_for("registered '" + alive + "'", 5s)) << epmd.output();

  // Killing erl drops its name; SIGTERM stops the port mapper with status 0.
  erl.kill(SIGKILL);
  EXPECT_TRUE(eventually([&] { return !names_contain(port, alive); }));
  epmd.kill(SIGTERM);
  auto status = exit_status_within(epmd, 10s);
  ASSERT_TRUE(status) << "otpp epmd ignored SIGTERM: " << epmd.output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status << "\n" << epmd.output();
  EXPECT_FALSE(epmd_reachable(local(port)));
}

TEST(epmd_command, sigint_stops_it_and_the_double_dash_port_form_works) {
  const auto port = free_port();
  child_process epmd({{otpp_tool(), "epmd", "--port", std::to_string(port)}, {}, true});
  ASSERT_TRUE(epmd.wait_for("listening on 0.0.0.0 port " + std::to_string(port), 10s)) << epmd.output();
  EXPECT_TRUE(epmd_reachable(local(port)));
  epmd.kill(SIGINT);
  auto status = exit_status_within(epmd, 10s);
  ASSERT_TRUE(status) << "otpp epmd ignored SIGINT: " << epmd.output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status << "\n" << epmd.output();
}

TEST(epmd_command, a_taken_port_is_a_clear_error_and_a_non_zero_exit) {
  auto taken = epmd_server::start({.bind_address = "0.0.0.0", .port = 0, .log = {}, .quiet = true});
  ASSERT_TRUE(taken) << taken.error();
  const auto port = (*taken)->port();
  child_process epmd({{otpp_tool(), "epmd", "-port", std::to_string(port)}, {}, true});
  auto status = exit_status_within(epmd, 10s);
  ASSERT_TRUE(status) << "otpp epmd kept running on a taken port: " << epmd.output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << *status;
  EXPECT_TRUE(epmd.wait_for("cannot listen on port " + std::to_string(port), 5s)) << epmd.output();
  EXPECT_TRUE(epmd.wait_for("in use", 5s)) << epmd.output();
  // The port mapper that holds the port is untouched.
  EXPECT_TRUE(epmd_reachable(local(port)));
}

TEST(epmd_command, a_node_flooded_with_idle_connections_on_few_descriptors_recovers_and_stops_on_sigterm) {
  // A node with its embedded port mapper, 64 descriptors at most, then 300 idle connections:
  // the port mapper must make room (oldest idle first), keep serving, and SIGTERM must work.
  const auto port = free_port();
  const std::string alive = unique_name("flooded");
  const std::string command = "ulimit -n 64 && exec " + otpp_tool() + " --sname " + alive +
                              "@localhost --cookie flood_cookie --epmd-port " + std::to_string(port);
  child_process node({{"sh", "-c", command}, {}, true});
  ASSERT_TRUE(eventually([&] { return names_contain(port, alive); }, 30s)) << node.output();
  std::vector<blocking_socket> idle;
  for (int i = 0; i < 300; ++i) {
    if (auto s = blocking_socket::connect("127.0.0.1", port, 1s)) idle.push_back(std::move(*s));
  }
  EXPECT_GT(idle.size(), 64u);
  // A new registration gets through while the idle connections are still open.
  const std::string other = unique_name("after_flood");
  std::optional<epmd_registration> reg;
  EXPECT_TRUE(eventually([&] {
    auto r = epmd_registration::register_node(local(port), {other, 4711, 77, 0, 6, 6, ""});
    if (r) reg.emplace(std::move(*r));
    return reg.has_value();
  }, 15s)) << node.output();
  child_process names({{"epmd", "-port", std::to_string(port), "-names"}, {}, true});
  EXPECT_TRUE(names.wait_for("name " + other + " at port 4711", 10s)) << names.output();
  EXPECT_TRUE(names.wait_for("name " + alive + " at port", 5s)) << names.output();
  node.kill(SIGTERM);
  auto status = exit_status_within(node, 5s);
  ASSERT_TRUE(status) << "the node ignored SIGTERM: " << node.output();
}
