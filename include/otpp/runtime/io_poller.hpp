// The plug through which idle scheduler workers drive the distribution layer's I/O
// themselves, as BEAM's schedulers check I/O: a worker with nothing to run polls the
// sockets, so a process woken by arriving data runs on that same thread at once instead of
// an I/O thread waking a sleeping worker (one thread hand-off per hop instead of two).
#pragma once

#include <chrono>

namespace otpp {

/// Implemented by the distribution layer; installed with `runtime::set_io_poller`. One
/// thread at a time drives the I/O; a call that finds another thread driving returns false
/// at once, and the worker falls back to sleeping as if no poller were installed.
class io_poller {
 public:
  virtual ~io_poller() = default;

  /// Runs the I/O completions that are ready now, without blocking. True if any ran.
  virtual bool poll_ready() = 0;
  /// Waits up to `timeout` for I/O and runs what completes (or returns early on
  /// `wake_poller`). False, without waiting, when this thread cannot drive the I/O now.
  virtual bool wait_ready(std::chrono::milliseconds timeout) = 0;
  /// Any thread: makes a `wait_ready` in progress (or the next one) return soon.
  virtual void wake_poller() = 0;
};

}  // namespace otpp
