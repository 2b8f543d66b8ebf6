// The scheduler: worker threads with their own run queues and a "run next" slot, work
// stealing, and sleeping without losing wake-ups; or, in deterministic mode, one FIFO that
// the test thread drains step by step.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "otpp/runtime/io_poller.hpp"

namespace otpp::detail {

struct pcb;

/// Sends made on this thread (the runtime checks the run-next slot every 64).
extern thread_local std::uint32_t sends_on_thread;
class runtime_impl;

/// A tiny test-and-test-and-set lock for the short critical sections of run queues.
class spin_lock {
 public:
  void lock() noexcept {
    for (;;) {
      if (!flag_.exchange(true, std::memory_order_acquire)) return;
      while (flag_.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
    }
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

/// Whether the cores the calling thread runs on are contended: the share of the last few
/// milliseconds it spent ready to run but waiting for a core (the kernel's run delay, in
/// /proc/thread-self/schedstat). Never contended where the kernel does not say. Owner thread
/// only (it reads the statistics of the thread that first asks).
class contention_meter {
 public:
  contention_meter() = default;
  ~contention_meter();
  contention_meter(const contention_meter&) = delete;
  contention_meter& operator=(const contention_meter&) = delete;
  [[nodiscard]] bool contended(std::chrono::steady_clock::time_point now);

 private:
  int fd_ = -2;  ///< -2: not opened yet; -1: not available
  std::chrono::steady_clock::time_point sampled_at_{};
  std::uint64_t run_delay_ns_ = 0;
  bool contended_ = false;
};

class scheduler {
 public:
  /// What a process turn ended with.
  enum class turn_result {
    parked,   ///< waiting in receive, mailbox marked: a pusher will wake it
    waiting,  ///< waiting in receive, mailbox not marked: the worker keeps an eye on it
    requeue,  ///< wants another turn
    exited,
  };

  scheduler(runtime_impl& rt, unsigned workers, bool deterministic);
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  void start();
  /// Stops and joins the workers (processes still queued stay queued).
  void stop();

  /// Any thread: a new process is ready to run.
  void schedule_new(pcb* p);
  /// Any thread: a push woke a parked process.
  void schedule_woken(pcb* p);

  /// Called every 64 sends by a process: if a woken process waits in the run-next slot
  /// while the sender goes on, let another worker take it.
  void spill_next();

  /// Deterministic mode: runs one queued process turn.
  bool run_once();
  [[nodiscard]] bool deterministic() const noexcept { return deterministic_; }
  /// True when called on one of this scheduler's worker threads.
  [[nodiscard]] bool on_worker() const noexcept;
  /// Everything still queued (teardown).
  std::vector<pcb*> drain_queues();

  /// Installs the I/O poller idle workers drive (nullptr removes it and returns once no
  /// worker uses the old one).
  void set_poller(io_poller* poller);

 private:
  struct alignas(64) worker {
    unsigned index = 0;
    std::thread thread;
    spin_lock lock;
    std::deque<pcb*> queue;
    std::atomic<std::size_t> queued{0};
    /// Run-next slot, owner only: the process just woken here (its message is hot in this
    /// core's cache). Not stealable; spill_next() moves it to the queue when it must wait.
    pcb* next = nullptr;
    /// Processes that just started waiting in receive and are not parked yet (parking costs
    /// an atomic read-modify-write, and in a ping-pong the answer often comes before the
    /// worker has anything else to do). Owner only; pushes to them do not wake anyone, so the
    /// worker looks at their mailboxes itself, and parks them before it sleeps.
    static constexpr unsigned max_watched = 8;
    pcb* watched[max_watched] = {};
    std::uint64_t watched_since[max_watched] = {};  ///< the worker's `turns` when watching began
    unsigned nwatched = 0;
    std::uint64_t turns = 0;
    unsigned next_streak = 0;
    std::uint64_t rng = 0;
    contention_meter contention;  ///< owner only
  };

  void worker_loop(worker& w);
  pcb* find_work(worker& w);
  pcb* steal(worker& w);
  void idle(worker& w);
  /// An idle worker's spin (polling `io`, if any) and then its wait in `io`; false when it
  /// should sleep on the condition variable instead.
  bool spin_and_wait_for_io(worker& w, io_poller* io);
  /// The spin itself, unless the cores are contended; true when it found work.
  bool spin(worker& w, io_poller* io);
  /// True when the queue was empty before.
  bool push_local(worker& w, pcb* p);
  void watch(worker& w, pcb* p);
  /// Parks the oldest watched process (its receive timer armed first); false when something
  /// arrived meanwhile and it went to the queue instead.
  bool park_oldest_watched(worker& w);
  /// A watched process whose mailbox got something, removed from the watch list.
  pcb* take_watched_ready(worker& w);
  /// Parks every watched process (those that got signals meanwhile go to the queue).
  /// True if any went to the queue.
  bool park_watched(worker& w);
  /// The installed poller, counted as in use until release_poller(); null when none.
  io_poller* acquire_poller();
  void release_poller() noexcept;
  /// Wakes a worker waiting for I/O in the poller, if one is.
  void wake_polling_sleeper();
  void push_global(pcb* p);
  pcb* pop_global();
  void notify_one();
  [[nodiscard]] bool work_visible() const noexcept;
  void run(worker* w, pcb* p);

  runtime_impl& rt_;
  bool deterministic_;
  std::vector<std::unique_ptr<worker>> workers_;

  std::mutex global_mutex_;
  std::deque<pcb*> global_;
  std::atomic<std::size_t> global_size_{0};

  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::uint64_t epoch_ = 0;  ///< guarded by sleep_mutex_
  std::atomic<unsigned> sleepers_{0};

  std::atomic<io_poller*> poller_{nullptr};
  std::atomic<unsigned> poller_users_{0};
  /// Workers inside io_poller::wait_ready (the poller lets one in at a time, but another
  /// may be about to find that out).
  std::atomic<unsigned> polling_sleepers_{0};
  std::atomic<bool> stop_{false};
  bool started_ = false;
};

}  // namespace otpp::detail
