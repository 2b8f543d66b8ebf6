// Who drives the engine's io_context: an idle scheduler worker through the runtime's
// io_poller, else the engine's own I/O thread (see io_driver in engine_impl.hpp).
#include "engine_impl.hpp"

namespace otpp::dist {

template <class Run>
std::optional<std::size_t> io_driver::drive_as_worker(Run run) {
  if (stopping.load(std::memory_order_relaxed)) return std::nullopt;
  claim();
  std::unique_lock lk(drive_mu, std::try_to_lock);
  if (!lk) return std::nullopt;
  std::size_t ran;
  {
    driving_scope scope(&eng);
    ran = run();
  }
  beats.store(beats.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return ran;
}

void io_driver::claim() {
  if (worker_role.load(std::memory_order_relaxed)) return;
  // Pairs with the I/O thread's store to io_thread_driving before it looks at
  // worker_role: either it sees our claim, or we see it driving and interrupt its wait.
  worker_role.store(true, std::memory_order_seq_cst);
  if (io_thread_driving.load(std::memory_order_seq_cst)) wake_poller();
}

bool io_driver::poll_ready() {
  auto ran = drive_as_worker([&] { return io.poll_one(); });
  return ran && *ran > 0;
}

bool io_driver::wait_ready(std::chrono::milliseconds timeout) {
  return drive_as_worker([&] {
           worker_waiting.store(true, std::memory_order_release);
           std::size_t ran = io.run_one_for(timeout);
           worker_waiting.store(false, std::memory_order_release);
           return ran;
         })
      .has_value();
}

void io_driver::wake_poller() {
  asio::post(io, [] {});
}

void io_driver::stop_polling() {
  stopping.store(true, std::memory_order_seq_cst);
  {
    std::lock_guard lk(standby_mu);
  }
  standby_cv.notify_all();
}

void io_driver::run_io_thread() {
  using std::chrono::milliseconds;
  // How long to stand by before looking whether the worker with the role still polls:
  // growing while it does (to 4 ms) or while it waits for I/O itself (to 64 ms).
  milliseconds standby{1};
  while (!io.stopped()) {
    if (worker_role.load(std::memory_order_seq_cst) && !stopping.load(std::memory_order_relaxed)) {
      std::uint64_t seen = beats.load(std::memory_order_acquire);
      {
        std::unique_lock lk(standby_mu);
        standby_cv.wait_for(lk, standby, [&] { return stopping.load(std::memory_order_relaxed); });
      }
      if (!stopping.load(std::memory_order_relaxed)) {
        if (beats.load(std::memory_order_acquire) != seen) {
          // Each look costs the polling worker a preemption on a busy core: look less often
          // while it keeps polling, but soon enough that a stuck one stalls I/O only briefly.
          standby = std::min(standby * 2, milliseconds(4));
          continue;
        }
        if (worker_waiting.load(std::memory_order_acquire)) {
          standby = std::min(standby * 2, milliseconds(64));
          continue;
        }
      }
      // The worker has not polled for a while (a long turn, or the runtime let go of the
      // poller): drive until it claims the role back.
      worker_role.store(false, std::memory_order_seq_cst);
      standby = milliseconds(1);
    }
    io_thread_driving.store(true, std::memory_order_seq_cst);
    if (!worker_role.load(std::memory_order_seq_cst) || stopping.load(std::memory_order_relaxed)) {
      std::lock_guard lk(drive_mu);
      driving_scope scope(&eng);
      // A claiming worker interrupts this wait (claim() calls wake_poller()).
      io.run_one_for(milliseconds(500));
    }
    io_thread_driving.store(false, std::memory_order_seq_cst);
  }
}

io_poller& engine::poller() noexcept { return impl_->driver; }

}  // namespace otpp::dist
