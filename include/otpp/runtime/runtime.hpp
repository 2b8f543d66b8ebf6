// The process runtime of one node: scheduler threads, the process table, the registry,
// timers, and the plug for the distribution layer.
//
//   otpp::runtime rt;                           // nonode@nohost, one worker per core
//   otpp::scoped_process main_proc(rt);         // main() as a process
//   auto p = main_proc.spawn_link(worker, 42);
//   main_proc.send(p, otpp::tuple_of(main_proc.self(), otpp::atoms::ok));
//   auto reply = main_proc.receive_for(std::chrono::seconds(1));
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "otpp/runtime/distribution.hpp"
#include "otpp/runtime/io_poller.hpp"
#include "otpp/runtime/pattern.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/term/term.hpp"

namespace otpp {

struct runtime_options {
  /// This node's name (`kate@localhost`); `nonode@nohost` while not distributed.
  atom node = atoms::nonode_nohost;
  /// The node's creation (from the port mapper), carried by every local pid and reference.
  std::uint32_t creation = 0;
  /// Scheduler threads; 0 means one per core.
  unsigned workers = 0;
  /// No threads at all: processes run only inside run_once()/run(), timers fire only
  /// through advance_time() (virtual time), and a scoped_process's receive drives both.
  /// For tests that need an exact interleaving.
  bool deterministic = false;
  /// Upper bound on live processes (the pid table's capacity).
  std::size_t max_processes = std::size_t{1} << 24;
  /// Reductions a process may use before it yields to others.
  std::uint32_t reductions_per_turn = 2000;
};

/// The body of a process an incoming SPAWN_REQUEST asks for.
using spawn_body = std::function<process_task(process&)>;
/// Makes the body for one incoming SPAWN_REQUEST (the otp layer looks the function up in its
/// export table). Runs on the distribution layer's thread; must not block. An empty body
/// refuses the request with `notsup`.
using spawn_hook = std::function<spawn_body(const remote_spawn_request&)>;
/// Reports a process that ends with an error (Erlang's "Error in process ..."), called by the
/// exit path on behalf of the dying process, before its links and monitors hear of it.
using crash_reporter = std::function<void(basic_process& dying, const term& reason)>;

/// A node's processes. Thread-safe unless a method says otherwise. Destroying a runtime shuts
/// it down (see `shutdown`); every scoped_process of it must be destroyed first.
class runtime {
 public:
  explicit runtime(runtime_options options = {});
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // -- identity --
  [[nodiscard]] atom node() const noexcept;
  [[nodiscard]] std::uint32_t creation() const noexcept;
  /// Renames the node (when it becomes alive). Pids made before keep working locally.
  void set_node(atom node, std::uint32_t creation);
  /// Whether `p` names a process of this node (alive or not).
  [[nodiscard]] bool is_local(const pid& p) const noexcept;
  [[nodiscard]] reference make_ref();
  /// The group leader of processes spawned by the runtime itself and of scoped processes
  /// (the otp layer sets it to its io server).
  [[nodiscard]] pid default_group_leader() const;
  void set_default_group_leader(const pid& leader);

  // -- processes started from outside any process --
  template <class F, class... A>
  pid spawn(F&& f, A&&... args) {
    return spawn_opt({}, std::forward<F>(f), std::forward<A>(args)...).pid;
  }
  /// `link`/`monitor` in options are ignored here (no spawner); use `link_to` / `monitored_by`.
  template <class F, class... A>
  spawned spawn_opt(const spawn_options& options, F&& f, A&&... args) {
    return detail::spawn_with(*impl_, nullptr, options, std::forward<F>(f), std::forward<A>(args)...);
  }
  /// Messages from no process.
  void send(const pid& to, term msg);
  bool send(atom name, term msg);
  void send(atom name, atom node, term msg);
  void send(const reference& alias, term msg);
  /// `exit(To, Reason)` from the runtime (the sender is `<0.0.0>`).
  void exit(const pid& to, term reason);

  // -- registry --
  /// Registers `p` (a live local process) as `name`; false if either already has a name.
  bool register_name(atom name, const pid& p);
  bool unregister_name(atom name);
  [[nodiscard]] std::optional<pid> whereis(atom name) const;
  [[nodiscard]] std::vector<atom> registered() const;

  // -- timers --
  reference send_after(std::chrono::milliseconds delay, const pid& to, term msg);
  std::optional<std::chrono::milliseconds> cancel_timer(const reference& timer);

  // -- introspection --
  [[nodiscard]] bool is_alive(const pid& p) const;
  [[nodiscard]] std::size_t process_count() const noexcept;
  [[nodiscard]] std::vector<pid> processes() const;

  // -- distribution --
  /// Installs the distribution layer (nullptr removes it). It must stay valid until removed
  /// or until the runtime is gone. Signals to remote pids go to it.
  void set_distribution(distribution* dist);
  [[nodiscard]] distribution* get_distribution() const noexcept;
  /// Where the distribution layer delivers what arrives from other nodes.
  [[nodiscard]] remote_signals& remote() noexcept;
  /// Lets idle workers drive the distribution layer's I/O (nullptr removes it; removal
  /// returns once no worker uses the old one). Ignored in deterministic mode.
  void set_io_poller(io_poller* poller);

  /// Installs what makes the bodies of incoming SPAWN_REQUESTs (an empty hook removes it;
  /// removal returns once no call of the old one is in flight). Without one every request is
  /// answered with `notsup`.
  void set_spawn_hook(spawn_hook hook);

  // -- the layer above --
  /// Installs what reports a crashed process (empty: a plain line on stderr). Set it before
  /// processes run; removal returns once no call of the old one is in flight.
  void set_crash_reporter(crash_reporter reporter);
  /// One pointer for the layer above the runtime, so a process finds what that layer keeps per
  /// node through `self.rt()` (the otp layer keeps its node services here). Not owned.
  void set_upper_layer(void* p) noexcept;
  [[nodiscard]] void* upper_layer() const noexcept;

  // -- deterministic mode (tests); owner thread only --
  /// Runs one process turn; false when nothing is runnable.
  bool run_once();
  /// Runs until nothing is runnable (at most `max_turns`); returns the turns run.
  std::size_t run(std::size_t max_turns = std::size_t(-1));
  /// Moves virtual time forward, firing timers that come due (deterministic mode only).
  void advance_time(std::chrono::nanoseconds by);
  /// The runtime's clock (virtual in deterministic mode).
  [[nodiscard]] std::chrono::steady_clock::time_point now() const;

  /// Ends every process: each gets an exit signal `shutdown`; those still alive after
  /// `grace` get `kill`; then the scheduler stops. Idempotent. Processes that never
  /// suspend cannot be stopped.
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));

  [[nodiscard]] detail::runtime_impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<detail::runtime_impl> impl_;
};

}  // namespace otpp
