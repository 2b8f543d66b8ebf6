// scoped_process: a process slot whose "scheduler" is the thread that owns it; receive parks
// that thread on a condition variable (or, in deterministic mode, runs the runtime until a
// message comes or time must move).
#include "otpp/runtime/scoped_process.hpp"

#include <stdexcept>

#include "runtime/pcb.hpp"
#include "runtime/runtime_impl.hpp"

namespace otpp::detail {

bool drain(pcb* p);
bool scan(pcb* p, receive_matcher_base& m);
void exit_process(pcb* p, term reason, bool report, bool keep_slot);

namespace {

pcb* make_blocking(runtime& rt, const std::optional<pid>& group_leader) {
  runtime_impl& impl = rt.impl();
  pcb* p = impl.allocate_slot();
  p->blocking = true;
  p->waiter = new blocking_waiter();
  p->state = run_state::blocking;
  p->group_leader = group_leader ? *group_leader : impl.default_group_leader();
  impl.blocking_handles_.fetch_add(1, std::memory_order_acq_rel);
  return p;
}

}  // namespace

[[noreturn]] void throw_exited(pcb* p) { throw process_exited(p->ext ? p->ext->exit_reason : term(atoms::normal)); }

/// Takes in signals; if one killed the process, runs its exit path and throws.
void take_signals(pcb* p) {
  drain(p);
  if (p->kill_pending && p->state != run_state::exiting) {
    term reason = p->ext->exit_reason;
    exit_process(p, reason, false, true);
    throw_exited(p);
  }
}

namespace {

/// Waits until something arrives or `deadline` passes (threaded mode).
void wait_threaded(pcb* p, const std::optional<std::chrono::steady_clock::time_point>& deadline) {
  blocking_waiter& w = *p->waiter;
  {
    std::lock_guard lk(w.m);
    w.signaled = false;
  }
  // Already parked from a wake-up that found nothing new: keep waiting.
  if (!p->mailbox.blocked() && !p->mailbox.try_block()) return;
  std::unique_lock lk(w.m);
  if (deadline) {
    w.cv.wait_until(lk, *deadline, [&] { return w.signaled; });
  } else {
    w.cv.wait(lk, [&] { return w.signaled; });
  }
  bool woken = w.signaled;
  lk.unlock();
  if (!woken) (void)p->mailbox.try_unblock();  // fails only if a pusher just woke us
}

}  // namespace

bool blocking_receive(pcb* p, receive_matcher_base& m) {
  runtime_impl& rt = *p->rt;
  if (p->state == run_state::exiting) throw_exited(p);
  m.timed_out = false;
  p->save = &p->queue_head;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (m.timeout.count() >= 0) deadline = rt.now() + m.timeout;
  constexpr std::uint64_t max_turns_per_wait = 10'000'000;
  std::uint64_t turns = 0;
  for (;;) {
    take_signals(p);
    if (scan(p, m)) return true;
    if (deadline && rt.now() >= *deadline) {
      m.timed_out = true;
      return true;
    }
    if (!rt.options.deterministic) {
      wait_threaded(p, deadline);
      continue;
    }
    // Deterministic: let the processes run; when nothing can run, move virtual time to the
    // next timer or to our deadline. Processes that never stop running (a livelock) would
    // keep virtual time still forever: give up after many turns.
    if (rt.sched().run_once()) {
      if (++turns > max_turns_per_wait) {
        throw std::runtime_error("otpp: deterministic runtime never went idle during a receive");
      }
      continue;
    }
    if (p->mailbox.has_signals()) continue;
    auto next = rt.time_to_next_timer();
    if (!deadline && !next) {
      throw std::logic_error("otpp: receive without a timeout would wait forever (deterministic runtime idle)");
    }
    auto step = deadline ? *deadline - rt.now() : std::chrono::nanoseconds::max();
    if (next && *next < step) step = *next;
    rt.advance_time(std::max(step, std::chrono::nanoseconds(0)));
  }
}

}  // namespace otpp::detail

namespace otpp {

scoped_process::scoped_process(runtime& rt) : basic_process(detail::make_blocking(rt, std::nullopt)) {}
scoped_process::scoped_process(runtime& rt, const pid& group_leader)
    : basic_process(detail::make_blocking(rt, group_leader)) {}

scoped_process::~scoped_process() {
  detail::runtime_impl& rt = *pcb_->rt;
  if (pcb_->state != detail::run_state::exiting) {
    detail::drain(pcb_);
    term reason = pcb_->kill_pending ? pcb_->ext->exit_reason : term(atoms::normal);
    detail::exit_process(pcb_, reason, false, true);
  }
  delete pcb_->ext;
  pcb_->ext = nullptr;
  rt.blocking_handles_.fetch_sub(1, std::memory_order_acq_rel);
  rt.process_exited();
  rt.release(pcb_);
}

std::optional<process_info> scoped_process::info(const pid& target, std::chrono::milliseconds timeout) {
  reference tag = make_ref();
  detail::request_info(impl(), target, self(), tag);
  return receive(on(tag, _) >> [](term t) { return process_info::from_term(t); },
                 after(timeout, [] { return std::optional<process_info>(); }));
}

std::vector<term> scoped_process::flush() {
  if (pcb_->state == detail::run_state::exiting) detail::throw_exited(pcb_);
  detail::take_signals(pcb_);
  return basic_process::flush();
}

bool scoped_process::handle_signals() {
  if (pcb_->state == detail::run_state::exiting) return false;
  try {
    detail::take_signals(pcb_);
  } catch (const process_exited&) {
    return false;
  }
  return true;
}

bool scoped_process::alive() const noexcept { return pcb_->state != detail::run_state::exiting; }

term scoped_process::exit_reason() const {
  if (pcb_->state != detail::run_state::exiting) return atoms::undefined;
  return pcb_->ext ? pcb_->ext->exit_reason : term(atoms::normal);
}

void scoped_process::exit(term reason) {
  if (pcb_->state == detail::run_state::exiting) return;
  detail::exit_process(pcb_, std::move(reason), false, true);
}

}  // namespace otpp
