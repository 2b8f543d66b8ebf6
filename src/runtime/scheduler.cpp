// Worker threads: each runs its "run next" slot (the process it just woke, so a ping-pong
// stays on one core), then its own queue, then the global queue, then steals; idle workers
// spin briefly and then sleep until a push notifies them. With an I/O poller installed, an
// idle worker polls the sockets while it spins and sleeps in the poller (as BEAM's
// schedulers do), so data arriving for a waiting process wakes the thread that runs it.
// Idle workers do not spin while other programs contend for the cores (see spin()).
#include "runtime/scheduler.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <utility>

#include "runtime/pcb.hpp"
#include "runtime/runtime_impl.hpp"

namespace otpp::detail {

thread_local std::uint32_t sends_on_thread = 0;

namespace {
thread_local scheduler* tl_scheduler = nullptr;
thread_local void* tl_worker = nullptr;

/// A run-next slot may be used this many times in a row before the queue gets a turn.
constexpr unsigned max_next_streak = 32;
/// Turns of other processes after which a watched process is parked even though its worker
/// is busy: its receive timeout (armed when it parks) must not wait for the worker to idle.
constexpr std::uint64_t max_watched_turns = 16;
/// Spins of an idle worker before it sleeps.
constexpr unsigned idle_spins = 64;
/// The longest an idle worker waits in the poller before it looks around again (a bound
/// for safety only: pushes wake it through wake_poller()).
constexpr auto poller_sleep = std::chrono::milliseconds(100);
/// How often a worker looks at its run delay, and the share of that time waiting for a core
/// above which the cores count as contended (on idle cores it is well under 1%: brief
/// preemptions by the node's own I/O and timer threads).
constexpr auto contention_period = std::chrono::milliseconds(4);
constexpr std::uint64_t contended_per_mille = 50;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

std::uint64_t xorshift(std::uint64_t& s) noexcept {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}
}  // namespace

scheduler::scheduler(runtime_impl& rt, unsigned workers, bool deterministic)
    : rt_(rt), deterministic_(deterministic) {
  if (deterministic_) return;
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < workers; ++i) {
    auto w = std::make_unique<worker>();
    w->index = i;
    w->rng = 0x9e3779b97f4a7c15ULL * (i + 1);
    workers_.push_back(std::move(w));
  }
}

scheduler::~scheduler() { stop(); }

void scheduler::start() {
  if (deterministic_ || started_) return;
  started_ = true;
  for (auto& w : workers_) {
    worker* wp = w.get();
    w->thread = std::thread([this, wp] { worker_loop(*wp); });
  }
}

void scheduler::stop() {
  if (!started_) return;
  stop_.store(true, std::memory_order_seq_cst);
  {
    std::lock_guard lk(sleep_mutex_);
    ++epoch_;
  }
  sleep_cv_.notify_all();
  wake_polling_sleeper();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  started_ = false;
}

bool scheduler::on_worker() const noexcept { return tl_scheduler == this; }

bool scheduler::push_local(worker& w, pcb* p) {
  std::lock_guard lk(w.lock);
  w.queue.push_back(p);
  // Only changed under the lock; read without it by idle workers looking for work.
  w.queued.store(w.queue.size(), std::memory_order_release);
  return w.queue.size() == 1;
}

void scheduler::push_global(pcb* p) {
  {
    std::lock_guard lk(global_mutex_);
    global_.push_back(p);
  }
  global_size_.fetch_add(1, std::memory_order_release);
}

pcb* scheduler::pop_global() {
  if (global_size_.load(std::memory_order_acquire) == 0) return nullptr;
  std::lock_guard lk(global_mutex_);
  if (global_.empty()) return nullptr;
  pcb* p = global_.front();
  global_.pop_front();
  global_size_.fetch_sub(1, std::memory_order_relaxed);
  return p;
}

void scheduler::set_poller(io_poller* poller) {
  if (deterministic_) return;
  io_poller* old = poller_.exchange(poller, std::memory_order_seq_cst);
  if (!old || old == poller) return;
  // Pairs with acquire_poller's increment before its load: a worker either saw the new
  // value or is counted here.
  while (poller_users_.fetch_add(0, std::memory_order_seq_cst) != 0) {
    old->wake_poller();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

io_poller* scheduler::acquire_poller() {
  // A runtime without distribution never touches the shared counter.
  if (!poller_.load(std::memory_order_relaxed)) return nullptr;
  poller_users_.fetch_add(1, std::memory_order_seq_cst);
  io_poller* p = poller_.load(std::memory_order_seq_cst);
  if (!p) poller_users_.fetch_sub(1, std::memory_order_release);
  return p;
}

void scheduler::release_poller() noexcept { poller_users_.fetch_sub(1, std::memory_order_release); }

void scheduler::wake_polling_sleeper() {
  // Callers made a sequentially consistent access just before (notify_one's read-modify-write
  // of sleepers_, stop()'s store of stop_), which orders their push before this load, as the
  // sleeper's increment is ordered before its last look at the queues.
  if (polling_sleepers_.load(std::memory_order_seq_cst) == 0) return;
  if (io_poller* p = acquire_poller()) {
    p->wake_poller();
    release_poller();
  }
}

void scheduler::notify_one() {
  // Pairs with the sleeper's increment of sleepers_ before its last look at the queues:
  // either it sees our push, or we see it sleeping. (A read-modify-write rather than a
  // fence: same cost, and ThreadSanitizer understands it.)
  if (sleepers_.fetch_add(0, std::memory_order_seq_cst) == 0) {
    // A worker asleep on the condition variable is cheaper to wake than the one waiting
    // for I/O (which had better stay there), so that one only when nobody else sleeps.
    wake_polling_sleeper();
    return;
  }
  {
    std::lock_guard lk(sleep_mutex_);
    ++epoch_;
  }
  sleep_cv_.notify_one();
}

void scheduler::schedule_new(pcb* p) {
  if (deterministic_) {
    push_global(p);
    return;
  }
  if (tl_scheduler == this) {
    // A queue that already had work already made a sleeping worker look (see idle()).
    if (push_local(*static_cast<worker*>(tl_worker), p)) notify_one();
  } else {
    push_global(p);
    notify_one();
  }
}

void scheduler::schedule_woken(pcb* p) {
  if (deterministic_) {
    push_global(p);
    return;
  }
  if (tl_scheduler == this) {
    // Run it next on this core: its message is hot in this cache.
    auto& w = *static_cast<worker*>(tl_worker);
    pcb* old = std::exchange(w.next, p);
    if (old) {
      push_local(w, old);
      notify_one();
    }
    return;
  }
  push_global(p);
  notify_one();
}

void scheduler::spill_next() {
  if (tl_scheduler != this) return;
  auto& w = *static_cast<worker*>(tl_worker);
  bool moved = false;
  if (pcb* p = std::exchange(w.next, nullptr)) {
    push_local(w, p);
    moved = true;
  }
  // Watched processes that got messages from this long turn can run elsewhere meanwhile.
  while (pcb* p = take_watched_ready(w)) {
    push_local(w, p);
    moved = true;
  }
  if (moved) notify_one();
}

bool scheduler::run_once() {
  pcb* p = pop_global();
  if (!p) return false;
  switch (run_turn(p)) {
    case turn_result::requeue: push_global(p); break;
    case turn_result::waiting:
      rt_.before_park(p);
      if (!p->mailbox.try_block()) push_global(p);  // something arrived: look again
      break;
    case turn_result::parked:
    case turn_result::exited: break;
  }
  return true;
}

namespace {
template <class T, std::size_t N>
void remove_at(T (&a)[N], unsigned i, unsigned n) noexcept {
  for (unsigned k = i + 1; k < n; ++k) a[k - 1] = a[k];
}
}  // namespace

bool scheduler::park_oldest_watched(worker& w) {
  pcb* oldest = w.watched[0];
  remove_at(w.watched, 0, w.nwatched);
  remove_at(w.watched_since, 0, w.nwatched);
  --w.nwatched;
  rt_.before_park(oldest);
  if (oldest->mailbox.try_block()) return true;
  push_local(w, oldest);
  notify_one();
  return false;
}

void scheduler::watch(worker& w, pcb* p) {
  if (w.nwatched == worker::max_watched) (void)park_oldest_watched(w);
  w.watched[w.nwatched] = p;
  w.watched_since[w.nwatched] = w.turns;
  ++w.nwatched;
}

pcb* scheduler::take_watched_ready(worker& w) {
  for (unsigned i = 0; i < w.nwatched; ++i) {
    pcb* p = w.watched[i];
    if (p->mailbox.has_signals()) {
      remove_at(w.watched, i, w.nwatched);
      remove_at(w.watched_since, i, w.nwatched);
      --w.nwatched;
      return p;
    }
  }
  return nullptr;
}

bool scheduler::park_watched(worker& w) {
  bool queued = false;
  for (unsigned i = 0; i < w.nwatched; ++i) {
    pcb* p = w.watched[i];
    rt_.before_park(p);
    if (!p->mailbox.try_block()) {
      push_local(w, p);
      queued = true;
    }
  }
  w.nwatched = 0;
  return queued;
}

std::vector<pcb*> scheduler::drain_queues() {
  std::vector<pcb*> out;
  {
    std::lock_guard lk(global_mutex_);
    out.assign(global_.begin(), global_.end());
    global_.clear();
    global_size_.store(0);
  }
  for (auto& w : workers_) {
    std::lock_guard lk(w->lock);
    out.insert(out.end(), w->queue.begin(), w->queue.end());
    w->queue.clear();
    w->queued.store(0);
    if (pcb* p = std::exchange(w->next, nullptr)) out.push_back(p);
    for (unsigned i = 0; i < w->nwatched; ++i) out.push_back(w->watched[i]);
    w->nwatched = 0;
  }
  return out;
}

void scheduler::run(worker* w, pcb* p) {
  ++w->turns;
  switch (run_turn(p)) {
    case turn_result::requeue:
      if (push_local(*w, p) && workers_.size() > 1) notify_one();
      break;
    case turn_result::waiting: watch(*w, p); break;
    case turn_result::parked:
    case turn_result::exited: break;
  }
  if (w->nwatched != 0 && w->turns - w->watched_since[0] > max_watched_turns) (void)park_oldest_watched(*w);
}

pcb* scheduler::find_work(worker& w) {
  if (w.next_streak < max_next_streak) {
    if (pcb* p = std::exchange(w.next, nullptr)) {
      ++w.next_streak;
      return p;
    }
    if (pcb* p = take_watched_ready(w)) {
      ++w.next_streak;
      return p;
    }
  }
  w.next_streak = 0;
  // Now and then the global queue first, so it is not starved by a busy local queue.
  if ((w.turns & 63) == 0) {
    if (pcb* p = pop_global()) return p;
  }
  if (w.queued.load(std::memory_order_relaxed) != 0) {
    std::lock_guard lk(w.lock);
    if (!w.queue.empty()) {
      pcb* p = w.queue.front();
      w.queue.pop_front();
      w.queued.store(w.queue.size(), std::memory_order_release);
      return p;
    }
  }
  if (pcb* p = pop_global()) return p;
  if (pcb* p = std::exchange(w.next, nullptr)) return p;
  if (pcb* p = take_watched_ready(w)) return p;
  return steal(w);
}

pcb* scheduler::steal(worker& w) {
  std::size_t n = workers_.size();
  if (n < 2) return nullptr;
  std::size_t start = xorshift(w.rng) % n;
  for (std::size_t k = 0; k < n; ++k) {
    worker& v = *workers_[(start + k) % n];
    if (&v == &w) continue;
    if (v.queued.load(std::memory_order_relaxed) != 0) {
      std::vector<pcb*> taken;
      {
        std::lock_guard lk(v.lock);
        std::size_t take = (v.queue.size() + 1) / 2;
        for (std::size_t i = 0; i < take; ++i) {
          taken.push_back(v.queue.front());
          v.queue.pop_front();
        }
        v.queued.store(v.queue.size(), std::memory_order_release);
      }
      if (!taken.empty()) {
        for (std::size_t i = 1; i < taken.size(); ++i) push_local(w, taken[i]);
        return taken[0];
      }
    }
  }
  return nullptr;
}

bool scheduler::work_visible() const noexcept {
  if (global_size_.load(std::memory_order_acquire) != 0) return true;
  for (const auto& v : workers_) {
    if (v->queued.load(std::memory_order_acquire) != 0) return true;
  }
  return false;
}

void scheduler::idle(worker& w) {
  if (w.next) return;
  io_poller* io = acquire_poller();
  const bool look_again = spin_and_wait_for_io(w, io);
  if (io) release_poller();
  if (look_again) return;
  std::uint64_t seen;
  {
    std::lock_guard lk(sleep_mutex_);
    seen = epoch_;
  }
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (work_visible() || stop_.load(std::memory_order_seq_cst)) {
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  {
    std::unique_lock lk(sleep_mutex_);
    sleep_cv_.wait(lk, [&] { return epoch_ != seen || stop_.load(std::memory_order_relaxed); });
  }
  sleepers_.fetch_sub(1, std::memory_order_relaxed);
}

contention_meter::~contention_meter() {
  if (fd_ >= 0) ::close(fd_);
}

bool contention_meter::contended(std::chrono::steady_clock::time_point now) {
  if (fd_ == -2) {
    fd_ = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    sampled_at_ = now;
  }
  if (fd_ < 0 || now - sampled_at_ < contention_period) return contended_;
  // "<ns on a core> <ns waiting for one> <slices>"
  char text[96];
  const ssize_t n = ::pread(fd_, text, sizeof text - 1, 0);
  if (n <= 0) return contended_;
  text[n] = 0;
  char* rest = nullptr;
  (void)std::strtoull(text, &rest, 10);
  const std::uint64_t delay = std::strtoull(rest, nullptr, 10);
  const auto elapsed =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - sampled_at_).count());
  contended_ = run_delay_ns_ != 0 && (delay - run_delay_ns_) * 1000 > elapsed * contended_per_mille;
  run_delay_ns_ = delay;
  sampled_at_ = now;
  return contended_;
}

// Spinning pays on idle cores: the answer a waiting process expects usually comes within the
// spin, and no thread has to be woken for it. On contended cores it costs ten times what it
// saves: the kernel shares a core among the threads that want it, so the CPU a spin burns
// comes out of the worker's own share (and its peers'), and each message then waits for
// other programs' slices. Sleeping in the poller costs a wake-up, a few microseconds.
bool scheduler::spin(worker& w, io_poller* io) {
  if (w.contention.contended(std::chrono::steady_clock::now())) return false;
  for (unsigned i = 0; i < idle_spins; ++i) {
    if (work_visible() || stop_.load(std::memory_order_relaxed)) return true;
    for (unsigned k = 0; k < w.nwatched; ++k) {
      if (w.watched[k]->mailbox.has_signals()) return true;
    }
    // Arriving data may wake a process here (in the run-next slot or a watched one). A poll
    // (a system call) takes about as long as the pause loop: fewer pauses between polls.
    if (io && io->poll_ready()) return true;
    for (int k = 0, pauses = io ? 4 : 32; k < pauses; ++k) cpu_relax();
  }
  return false;
}

bool scheduler::spin_and_wait_for_io(worker& w, io_poller* io) {
  if (spin(w, io)) return true;
  // Nobody will look at watched mailboxes while this worker sleeps: park them.
  if (park_watched(w)) return true;
  if (!io) return false;
  polling_sleepers_.fetch_add(1, std::memory_order_seq_cst);
  bool look_again = work_visible() || stop_.load(std::memory_order_seq_cst);
  // False when another thread drives the I/O: then sleep as if there were no poller.
  if (!look_again) look_again = io->wait_ready(poller_sleep);
  polling_sleepers_.fetch_sub(1, std::memory_order_relaxed);
  return look_again;
}

void scheduler::worker_loop(worker& w) {
  tl_scheduler = this;
  tl_worker = &w;
  while (!stop_.load(std::memory_order_acquire)) {
    pcb* p = find_work(w);
    if (!p) {
      idle(w);
      continue;
    }
    run(&w, p);
  }
  tl_scheduler = nullptr;
  tl_worker = nullptr;
}

}  // namespace otpp::detail
