// The runtime's insides: the process table, delivery of signals, the registry, aliases,
// timers, the distribution plug and the node_down index. Shared by the runtime sources.
//
// Lock order (never take an earlier one while holding a later one):
//   spawn_hook_mutex_ | crash_reporter_mutex_ | table_mutex_ | registry_mutex_ | touch_mutex_
//   | timer_mutex_
// The two hook locks are held shared only while their hook (the layer above's code) runs, and
// exclusively only to replace the hook; the others are never held while pushing into a
// mailbox or calling the distribution layer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "otpp/runtime/distribution.hpp"
#include "otpp/runtime/runtime.hpp"
#include "runtime/pcb.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/timer_wheel.hpp"

namespace otpp::detail {

/// The process running on this thread right now (null outside process turns).
extern thread_local pcb* current_process;
/// Reductions left in the current turn.
extern thread_local std::int32_t turn_budget;

class runtime_impl final : public remote_signals {
 public:
  runtime_impl(runtime& owner, const runtime_options& options);
  ~runtime_impl() override;
  runtime_impl(const runtime_impl&) = delete;
  runtime_impl& operator=(const runtime_impl&) = delete;

  runtime& owner;
  const runtime_options options;
  const std::uint32_t budget;

  // ---- identity ----
  [[nodiscard]] atom node() const noexcept { return atom::from_index(node_.load(std::memory_order_acquire)); }
  [[nodiscard]] std::uint32_t creation() const noexcept { return creation_.load(std::memory_order_acquire); }
  void set_node(atom node, std::uint32_t creation);
  enum class where { local, remote, stale };
  /// Local (ours, current or earlier name), remote, or a pid of an earlier incarnation of
  /// this node (always dead).
  [[nodiscard]] where classify(const pid& p) const noexcept;
  [[nodiscard]] bool is_local_node(atom n) const noexcept;
  [[nodiscard]] pid pid_of(const pcb* p) const noexcept {
    return pid{node(), p->id, p->serial(), creation()};
  }
  [[nodiscard]] reference make_ref() noexcept;
  /// A reference that names `owner` (its slot and serial in two more words, as erts makes
  /// the references of aliases), so a message to it goes straight to that process.
  [[nodiscard]] reference make_alias_ref(const pcb* owner) noexcept;

  // ---- process table ----
  [[nodiscard]] pcb* slot(std::uint32_t id) const noexcept;
  /// The live (or just exiting) local process `p`, with a reference taken; null otherwise.
  [[nodiscard]] pcb* acquire(const pid& p) noexcept;
  /// Drops a reference; the last one frees the slot for reuse.
  void release(pcb* p) noexcept;
  /// A fresh slot holding the process's own reference (state embryo, mailbox open).
  pcb* allocate_slot();
  [[nodiscard]] std::size_t live() const noexcept { return live_.load(std::memory_order_acquire); }
  /// The local process `p` exists and has not exited.
  [[nodiscard]] bool is_alive(const pid& p) const noexcept;
  [[nodiscard]] std::vector<pid> live_pids() const;

  // ---- delivery ----
  /// Pushes `n` to `target` (held by the caller); wakes it when parked; a closed mailbox
  /// bounces the signal as if `to` were dead.
  void push(pcb* target, mail_node* n, const pid& to);
  /// Sends a signal to the local pid `to` (a dead one bounces it).
  void signal(const pid& to, mail_node* n);
  /// Answers a signal whose target `dead` is gone: a link gets `noproc`, a monitor gets DOWN
  /// `noproc`, an info request gets `undefined`; anything else is dropped. Takes `n`.
  void bounce(mail_node* n, const pid& dead);
  void wake(pcb* p);
  /// Pushes the messages `from` batched for its last destination.
  void flush_outbox(pcb* from) noexcept;
  /// A message from `from` (may be null) to any pid.
  void send_message(pcb* from, const pid& to, term msg);
  bool send_named(pcb* from, atom name, term msg);
  void send_named_remote(pcb* from, atom name, atom node, term msg);
  void send_alias(pcb* from, const reference& alias, term msg);
  /// An exit signal (exit/2 when !from_link) from `from` to any pid.
  void send_exit(const pid& from, const pid& to, term reason, bool from_link);

  // ---- registry ----
  bool register_name(atom name, const pid& p);
  bool unregister_name(atom name);
  /// Called by the owner when `p` exits.
  void unregister_exiting(pcb* p);
  [[nodiscard]] std::optional<pid> whereis(atom name) const;
  [[nodiscard]] std::optional<atom> name_of(const pid& p) const;
  [[nodiscard]] std::vector<atom> registered() const;

  // ---- timers ----
  [[nodiscard]] std::chrono::steady_clock::time_point now() const noexcept;
  [[nodiscard]] std::uint64_t deadline_tick(std::chrono::nanoseconds from_now) const noexcept;
  /// Arms a receive timeout for `p` (owner only).
  void arm_receive_timer(pcb* p, std::chrono::nanoseconds timeout);
  /// Before a process waiting in receive parks (or has waited unparked for a while): arms its
  /// receive timeout, counted from now, if it has one and it is not armed yet.
  void before_park(pcb* p);
  /// Disarms and frees `p`'s receive timer (owner only).
  void disarm_receive_timer(pcb* p) noexcept;
  reference start_send_timer(std::chrono::milliseconds delay, const pid& to, term msg, bool wrap_timeout);
  std::optional<std::chrono::milliseconds> cancel_timer(const reference& ref);
  /// Deterministic mode: moves virtual time and fires what came due.
  void advance_time(std::chrono::nanoseconds by);
  /// Deterministic mode: the next timer event, if any.
  [[nodiscard]] std::optional<std::chrono::nanoseconds> time_to_next_timer() const;

  // ---- distribution ----
  [[nodiscard]] distribution* dist() const noexcept { return dist_.load(std::memory_order_acquire); }
  void set_dist(distribution* d) noexcept { dist_.store(d, std::memory_order_release); }
  /// Lists `p` under `node` so node_down reaches it (owner of `p` only).
  void note_remote(pcb* p, atom node);
  void forget_remote(pcb* p);

  // ---- default group leader ----
  [[nodiscard]] pid default_group_leader() const;
  void set_default_group_leader(const pid& p);

  // ---- lifecycle ----
  void shutdown(std::chrono::milliseconds grace);
  scheduler& sched() noexcept { return *sched_; }
  /// Waits (threaded) or runs (deterministic) until no process is left or `until` passes.
  bool wait_all_exited(std::chrono::steady_clock::time_point until);
  /// The counter the exit path bumps (shutdown waits on it).
  void process_exited() noexcept;
  /// Scoped processes alive (counted in live() too; shutdown does not wait for them).
  std::atomic<std::size_t> blocking_handles_{0};

  // ---- remote_signals ----
  void deliver(const pid& to, term msg) override;
  void deliver_named(atom name, term msg) override;
  void deliver_alias(const reference& alias, term msg) override;
  void link(const pid& from, const pid& to) override;
  void unlink(const pid& from, const pid& to, std::uint64_t id) override;
  void unlink_ack(const pid& from, const pid& to, std::uint64_t id) override;
  void exit_via(const pid& from, const term& target, term reason) override;
  void exit(const pid& from, const pid& to, term reason, bool is_exit2) override;
  void monitor(const pid& watcher, const term& target, const reference& ref) override;
  void demonitor(const pid& watcher, const term& target, const reference& ref) override;
  void monitor_down(const pid& watcher, const term& target, const reference& ref, term reason) override;
  void group_leader(const pid& from, const pid& to, const pid& leader) override;
  void spawn_request(remote_spawn_request r) override;
  void spawn_reply(const pid& to, const reference& req_id, term result, bool link, bool monitor) override;
  void node_down(atom node) override;

  // ---- remote spawn ----
  /// The SPAWN_REPLY for `to`'s request: a signal when `to` is local, else the distribution's.
  void reply_to_spawn(const pid& to, const reference& req_id, term result, bool link, bool monitor);
  /// A reply nobody waits for (its requester `requester` is gone or abandoned it): the new
  /// process is sent `why` over the link and the monitor is dropped.
  void release_spawned(const pid& requester, const spawn_reply_node& r, atom why);
  void set_spawn_hook(spawn_hook hook);

  // ---- the layer above ----
  void set_crash_reporter(crash_reporter reporter);
  /// Runs the crash reporter for `dying` (a plain line on stderr when none is installed).
  void report_crash(basic_process& dying, const term& reason);
  std::atomic<void*> upper_layer{nullptr};

 private:
  void timer_loop();
  void fire(std::vector<timer_entry*>& expired);
  [[nodiscard]] std::uint64_t tick_now() const noexcept;

  // identity
  std::atomic<std::uint32_t> node_;
  std::atomic<std::uint32_t> creation_;
  mutable std::mutex identity_mutex_;
  std::vector<atom> past_nodes_;  ///< earlier names of this node
  std::atomic<bool> has_past_nodes_{false};
  std::atomic<std::uint64_t> ref_counter_{0};
  std::uint32_t ref_salt_;

  // table
  static constexpr unsigned chunk_bits = 12;
  static constexpr std::uint32_t chunk_size = 1u << chunk_bits;
  std::size_t max_chunks_;
  std::unique_ptr<std::atomic<pcb*>[]> chunks_;
  std::atomic<std::uint32_t> high_water_{1};  ///< ids below this have slots
  spin_lock table_mutex_;  ///< short sections: a free-list push or pop
  std::vector<std::uint32_t> free_ids_;
  std::atomic<std::size_t> live_{0};

  // registry
  mutable std::shared_mutex registry_mutex_;
  std::unordered_map<atom, pid> names_;
  std::unordered_map<pid, atom, pid_hash> names_by_pid_;

  // remote index
  std::mutex touch_mutex_;
  std::unordered_map<atom, std::unordered_set<pid, pid_hash>> touchers_;

  // timers
  mutable std::mutex timer_mutex_;
  std::condition_variable timer_cv_;
  timer_wheel wheel_;
  std::unordered_map<reference, timer_entry*, ref_hash> timers_by_ref_;
  std::chrono::steady_clock::time_point epoch_;
  std::atomic<std::int64_t> virtual_ns_{0};
  std::thread timer_thread_;
  bool timer_stop_ = false;
  std::uint64_t timer_sleep_until_ = ~std::uint64_t{0};

  std::atomic<distribution*> dist_{nullptr};
  std::shared_mutex spawn_hook_mutex_;  ///< held (shared) while the hook runs
  spawn_hook spawn_hook_;
  std::shared_mutex crash_reporter_mutex_;  ///< held (shared) while the reporter runs
  crash_reporter crash_reporter_;
  mutable std::mutex gl_mutex_;
  pid default_gl_;

  std::unique_ptr<scheduler> sched_;
  std::mutex exit_mutex_;
  std::condition_variable exit_cv_;
  std::atomic<bool> shut_down_{false};
};

/// Runs one turn of `p` on the current thread (the scheduler calls it).
scheduler::turn_result run_turn(pcb* p);
/// A spawn request of `p` was answered (owner of `p` only).
void handle_spawn_reply(pcb* p, const spawn_reply_node& r);
/// The node `node` is gone: `p`'s requests spawning there are answered `noconnection`.
void fail_spawn_requests(pcb* p, atom node);
/// Ends a process that is not running (shutdown teardown of a never-run or parked process).
void destroy_unrun(pcb* p);

}  // namespace otpp::detail
