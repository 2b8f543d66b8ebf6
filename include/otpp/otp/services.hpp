// What makes a runtime a node other nodes can use, as an Erlang node's kernel does: the io
// server on standard output as default group leader (`user`), the default logger
// (`logger_proxy`), SPAWN_REQUESTs served from the export table (erpc:execute_call/4 and
// execute_cast/3 included), the legacy `rex` rpc server, a few built-in functions
// (erlang:node/0, io:format/2, 'Elixir.IO':puts/1, ...) and named task supervisors.
//
//   otpp::runtime rt({.node = engine.name(), .creation = engine.creation()});
//   otpp::export_table exports;
//   otpp::otp::node_services services(rt, &engine, exports);
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "otpp/dist/engine.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/otp/io_device.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/term/print.hpp"

namespace otpp::otp {

/// Hash of a reference, for maps keyed by one.
struct reference_hash {
  std::size_t operator()(const reference& r) const noexcept { return std::hash<term>{}(term(r)); }
};

struct services_options {
  /// Where the node's standard output goes; standard output when null (the shell passes a
  /// sink that prints between prompts).
  std::shared_ptr<io::output_sink> output;
  /// Where `get_line` requests read from; none (eof) when null.
  std::shared_ptr<io::line_source> input;
  /// Register erlang:node/0, io:format/1,2, 'Elixir.IO':puts/1 and friends in the export
  /// table (entries already there are kept).
  bool builtins = true;
  /// Start the legacy `rex` server.
  bool rex = true;
  /// Start the default logger (otp/logger.hpp) as `logger_proxy`: crash reports of this node's
  /// processes, and those other nodes send for group leaders here, print on the output.
  bool logger = true;
  /// Task supervisors to start, by registered name (`Elixir.Chat.TaskSupervisor`).
  std::vector<std::string> task_supervisors;
};

/// Sits between the distribution engine and the runtime for one thing the runtime does not
/// track: monitors made by a SPAWN_REQUEST with `monitor` (erpc calls, spawn_monitor/4), whose
/// reference is the request id. Their DOWN arrives as the message the runtime would have made,
/// and a lost connection fires them with `noconnection`. Everything else passes through.
/// Install it as the engine's remote_signals before the engine starts. Thread-safe.
class spawn_monitors final : public remote_signals {
 public:
  explicit spawn_monitors(remote_signals& next) : next_(next) {}

  /// Local `watcher` now monitors remote `target` with `ref` (call on the engine's thread,
  /// from the SPAWN_REPLY callback, so it precedes the DOWN).
  void track(const reference& ref, const pid& watcher, const pid& target);
  /// Stops tracking `ref`; the target, if it was tracked (for DEMONITOR_P).
  std::optional<pid> forget(const reference& ref);

  void deliver(const pid& to, term msg) override { next_.deliver(to, std::move(msg)); }
  void deliver_named(atom name, term msg) override { next_.deliver_named(name, std::move(msg)); }
  void deliver_alias(const reference& alias, term msg) override {
    next_.deliver_alias(alias, std::move(msg));
  }
  void link(const pid& from, const pid& to) override { next_.link(from, to); }
  void unlink(const pid& from, const pid& to, std::uint64_t id) override {
    next_.unlink(from, to, id);
  }
  void unlink_ack(const pid& from, const pid& to, std::uint64_t id) override {
    next_.unlink_ack(from, to, id);
  }
  void exit(const pid& from, const pid& to, term reason, bool is_exit2) override {
    next_.exit(from, to, std::move(reason), is_exit2);
  }
  void monitor(const pid& watcher, const term& target, const reference& ref) override {
    next_.monitor(watcher, target, ref);
  }
  void demonitor(const pid& watcher, const term& target, const reference& ref) override {
    next_.demonitor(watcher, target, ref);
  }
  void monitor_down(const pid& watcher, const term& target, const reference& ref,
                    term reason) override;
  void group_leader(const pid& from, const pid& to, const pid& leader) override {
    next_.group_leader(from, to, leader);
  }
  void node_down(atom node) override;

 private:
  struct entry {
    pid watcher;
    pid target;
  };
  remote_signals& next_;
  std::mutex mu_;
  std::unordered_map<reference, entry, reference_hash> entries_;
};

/// The services of one node. Construct after the runtime (and the engine, when distributed)
/// exist; destroy before them. Thread-safe.
class node_services {
 public:
  /// `monitors`: the spawn_monitors installed in `engine` (rpc and spawn_monitor/4 need it to
  /// see their DOWN messages); may be null when not distributed.
  node_services(runtime& rt, dist::engine* engine, export_table& exports,
                services_options options = {}, spawn_monitors* monitors = nullptr);
  ~node_services();
  node_services(const node_services&) = delete;
  node_services& operator=(const node_services&) = delete;

  [[nodiscard]] runtime& rt() const noexcept { return rt_; }
  /// The distribution engine, or nullptr for a node that is not distributed.
  [[nodiscard]] dist::engine* engine() const noexcept { return engine_; }
  [[nodiscard]] export_table& exports() const noexcept { return exports_; }
  /// The io server on the node's output (registered as `user`; the default group leader).
  [[nodiscard]] pid io_server() const noexcept { return io_server_; }
  [[nodiscard]] std::optional<pid> rex() const noexcept { return rex_; }
  [[nodiscard]] spawn_monitors* monitors() const noexcept { return monitors_; }
  /// How this node numbers other nodes in printed pids (0 for itself), as `~p` on its io
  /// server prints them; hand it to print_options::node_number.
  [[nodiscard]] const otpp::node_numbering& numbering() const noexcept { return numbering_; }

  /// Starts a task supervisor registered as `name` (an Elixir name is spelled in full:
  /// `Elixir.Chat.TaskSupervisor`); its tasks run functions of the export table.
  pid start_task_supervisor(atom name);

  /// Runs one incoming SPAWN_REQUEST (the engine's spawn handler; public for tests).
  void handle_spawn(const dist::incoming_spawn& request);

 private:
  runtime& rt_;
  dist::engine* engine_;
  export_table& exports_;
  spawn_monitors* monitors_;
  otpp::node_numbering numbering_;
  pid io_server_;
  std::optional<pid> rex_;
  std::optional<pid> logger_;
  std::mutex mu_;
  std::vector<pid> supervisors_;
};

/// The services installed for `rt`, or nullptr. Used by rpc and remote spawn to find the
/// engine and the export table of the caller's node.
[[nodiscard]] node_services* services_of(const runtime& rt);

/// Registers the built-in functions in `exports` (see services_options::builtins).
void add_builtins(export_table& exports);

}  // namespace otpp::otp
