// A cluster for tests of distributed code: a private port mapper on a free port, otpp nodes
// started in this process and real `erl` nodes started as child processes, all on that port
// mapper with one cookie and names that cannot collide with a parallel test run; every wait is
// bounded and destroying the cluster stops everything it started (children by pid).
//
//   otpp::otp::test_cluster c;                         // throws std::runtime_error on failure
//   otp::node& kate = c.start_node("kate");           // kate<pid>x0@localhost
//   otp::node& alex = c.start_node("alex");
//   atom erl = c.start_erl("erl");                    // a real erl, once it is registered
//   atom iex = c.start_elixir("iex");                 // a real Elixir node
//   otpp::scoped_process me(alex.rt());
//   term r = otpp::rpc::call(me, erl, atom("erlang"), atom("node"), {}, c.timeout());
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/otp/node.hpp"
#include "otpp/term/atom.hpp"

namespace otpp::dist {
class epmd_server;
}

namespace otpp::otp {

struct test_cluster_options {
  /// The cookie of every node of the cluster.
  std::string cookie = "otpp_test_cluster";
  /// Bound on every wait: a node registering, an erl peer coming up, a peer stopping.
  std::chrono::milliseconds timeout = std::chrono::seconds(20);
  /// Scheduler threads per in-process node (small: tests run beside each other).
  unsigned workers = 2;
  /// Keep the nodes' distribution log lines (lost connections...) instead of dropping them.
  bool log = false;
};

/// Owner only: one test thread creates, uses and destroys it.
class test_cluster {
 public:
  explicit test_cluster(test_cluster_options options = {});
  /// Stops the erl peers (SIGTERM, then SIGKILL after the timeout; by pid), then the otpp nodes
  /// (newest first), then the port mapper. Every scoped_process of a node must be gone first.
  ~test_cluster();
  test_cluster(const test_cluster&) = delete;
  test_cluster& operator=(const test_cluster&) = delete;

  /// Starts an otpp node `<prefix><pid>x<n>@localhost` in this process; `tweak` may change its
  /// options (exports cannot be added there: use the node's exports() after). Throws
  /// std::runtime_error when it cannot start.
  otp::node& start_node(std::string_view prefix,
                        const std::function<void(otp::node_options&)>& tweak = {});
  /// Starts a real `erl -sname <prefix><pid>x<n>@localhost -noshell` (Debian's erlang-base),
  /// with `extra_args` appended, and returns its node name once it is registered with the port
  /// mapper. Talk to it from an otpp node (rpc::call, send, remote::spawn). Throws
  /// std::runtime_error when erl cannot start or does not register within the timeout.
  atom start_erl(std::string_view prefix, const std::vector<std::string>& extra_args = {});
  /// Starts a real Elixir node (`elixir --sname <prefix><pid>x<n>@localhost --no-halt`, what
  /// `iex --sname` runs without its prompt) with `extra_args` before its `-e`, and returns its
  /// name once it is registered. Stopped like an erl peer.
  atom start_elixir(std::string_view prefix, const std::vector<std::string>& extra_args = {});
  /// Stops one erl or Elixir peer now (SIGKILL by pid): its connections drop as when a
  /// machine dies.
  void kill_erl(atom node);

  /// A node name unique to this test process: `<prefix><pid>x<n>@localhost`.
  [[nodiscard]] std::string unique_name(std::string_view prefix);
  [[nodiscard]] std::uint16_t epmd_port() const noexcept;
  [[nodiscard]] const std::string& cookie() const noexcept { return options_.cookie; }
  [[nodiscard]] std::chrono::milliseconds timeout() const noexcept { return options_.timeout; }
  /// The in-process nodes, oldest first.
  [[nodiscard]] const std::vector<std::unique_ptr<otp::node>>& nodes() const noexcept {
    return nodes_;
  }

 private:
  atom start_peer(const std::string& name, std::vector<std::string> args);
  struct erl_child {
    atom name;
    pid_t pid = -1;
  };
  void stop_child(erl_child& child);
  [[nodiscard]] bool registered(std::string_view alive) const;

  test_cluster_options options_;
  std::unique_ptr<dist::epmd_server> epmd_;
  std::vector<std::unique_ptr<otp::node>> nodes_;
  std::vector<erl_child> erls_;
  int counter_ = 0;
};

}  // namespace otpp::otp
