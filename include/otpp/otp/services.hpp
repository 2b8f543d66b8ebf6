// What makes a runtime a node other nodes can use, as an Erlang node's kernel does: the io
// server on standard output as default group leader (`user`), the default logger
// (`logger_proxy`) and crash reports, SPAWN_REQUESTs served from the export table (erpc:execute_call/4 and
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
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "otpp/dist/engine.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/otp/io_device.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/term/print.hpp"

namespace otpp::otp {

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
  /// Start `global_name_server` (otp/global.hpp) when the node is distributed.
  bool global = true;
  /// Start the default pg scope `pg` (otp/pg.hpp) when the node is distributed.
  bool pg = true;
  /// Task supervisors to start, by registered name (`Elixir.Chat.TaskSupervisor`).
  std::vector<std::string> task_supervisors;
};

/// The services of one node. Construct after the runtime (and the engine, when distributed)
/// exist; destroy before them. Thread-safe.
class node_services {
 public:
  /// Installs itself in `rt`: what incoming SPAWN_REQUESTs run (from `exports`), the crash
  /// reporter (otp/crash_report.hpp), and the runtime's upper-layer slot (services_of).
  node_services(runtime& rt, dist::engine* engine, export_table& exports,
                services_options options = {});
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
  /// How this node numbers other nodes in printed pids (0 for itself), as `~p` on its io
  /// server prints them; hand it to print_options::node_number.
  [[nodiscard]] const otpp::node_numbering& numbering() const noexcept { return numbering_; }

  /// Starts a task supervisor registered as `name` (an Elixir name is spelled in full:
  /// `Elixir.Chat.TaskSupervisor`); its tasks run functions of the export table.
  pid start_task_supervisor(atom name);

  /// The body of the process an incoming SPAWN_REQUEST asks for (the runtime's spawn hook):
  /// a function of the export table, erpc:execute_call/4 and execute_cast/3 of one, or a
  /// process that fails with undef.
  [[nodiscard]] spawn_body spawn_body_for(const remote_spawn_request& request) const;

  /// The node's one `T`, made with `T()` on first use (as asio's `use_service`): how a
  /// higher layer keeps per-node state (the code layer's fun wire) without a process-wide
  /// registry. Lives as long as the services.
  template <class T>
  std::shared_ptr<T> use_extension() {
    std::lock_guard lock(mu_);
    auto& slot = extensions_[std::type_index(typeid(T))];
    if (!slot) slot = std::make_shared<T>();
    return std::static_pointer_cast<T>(slot);
  }
  /// The node's `T` if use_extension made one, else nullptr.
  template <class T>
  [[nodiscard]] std::shared_ptr<T> find_extension() {
    std::lock_guard lock(mu_);
    auto it = extensions_.find(std::type_index(typeid(T)));
    return it == extensions_.end() ? nullptr : std::static_pointer_cast<T>(it->second);
  }

 private:
  runtime& rt_;
  dist::engine* engine_;
  export_table& exports_;
  otpp::node_numbering numbering_;
  pid io_server_;
  std::optional<pid> rex_;
  std::optional<pid> global_;
  std::optional<pid> pg_;
  std::optional<pid> logger_;
  std::mutex mu_;
  std::vector<pid> supervisors_;
  std::unordered_map<std::type_index, std::shared_ptr<void>> extensions_;
};

/// The services installed for `rt` (kept in its upper-layer slot), or nullptr. Used by rpc
/// and remote spawn to find the engine and the export table of the caller's node.
[[nodiscard]] node_services* services_of(const runtime& rt);

/// Registers the built-in functions in `exports` (see services_options::builtins).
void add_builtins(export_table& exports);

}  // namespace otpp::otp
