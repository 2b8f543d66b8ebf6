// The runtime's shared machinery: process table, delivery and bouncing of signals, registry,
// aliases, timers (wheel + timer thread, or virtual time), the node_down index, and the
// signals that arrive from the distribution layer.
#include "runtime/runtime_impl.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "otpp/term/print.hpp"
#include "runtime/memory.hpp"

namespace otpp::detail {

void exit_process(pcb* p, term reason, bool report, bool keep_slot);

runtime_impl::runtime_impl(runtime& o, const runtime_options& opts)
    : owner(o),
      options(opts),
      budget(std::max<std::uint32_t>(opts.reductions_per_turn, 1)),
      node_(opts.node.index()),
      creation_(opts.creation),
      max_chunks_((std::max<std::size_t>(opts.max_processes, chunk_size) + chunk_size - 1) / chunk_size),
      chunks_(new std::atomic<pcb*>[max_chunks_]),
      wheel_(0),
      epoch_(std::chrono::steady_clock::now()) {
  for (std::size_t i = 0; i < max_chunks_; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
  std::random_device rd;
  ref_salt_ = rd();
  sched_ = std::make_unique<scheduler>(*this, opts.workers, opts.deterministic);
  if (!opts.deterministic) {
    timer_thread_ = std::thread([this] { timer_loop(); });
    sched_->start();
  }
}

runtime_impl::~runtime_impl() {
  shutdown(std::chrono::milliseconds(5000));
  std::vector<timer_entry*> left;
  wheel_.drain(left);
  for (timer_entry* e : left) {
    if (e->k == timer_entry::kind::send) delete e;
  }
  // What is left (scoped processes never destroyed) is freed here.
  std::uint32_t hw = high_water_.load(std::memory_order_acquire);
  for (std::uint32_t id = 1; id < hw; ++id) {
    pcb* p = slot(id);
    if (!p) continue;
    if (p->root) {
      p->root.destroy();
      p->root = {};
    }
    if (!p->blocking && p->closure) delete p->closure;
    if (p->blocking && p->waiter) delete p->waiter;
    p->closure = nullptr;
    free_chain(p->queue_head);
    p->queue_head = nullptr;
    free_chain(p->mailbox.close());
    if (p->ext) {
      free_chain(p->ext->deferred);
      delete p->ext;
      p->ext = nullptr;
    }
    if (p->recv_timer) {
      delete p->recv_timer;
      p->recv_timer = nullptr;
    }
  }
  for (std::size_t i = 0; i < max_chunks_; ++i) {
    pcb* c = chunks_[i].load(std::memory_order_relaxed);
    if (c) memory::free_pages(c, sizeof(pcb) * chunk_size);  // pcb is trivially destructible
  }
}

// ---- identity ----------------------------------------------------------------------------------

void runtime_impl::set_node(atom node, std::uint32_t creation) {
  std::lock_guard lk(identity_mutex_);
  atom old = atom::from_index(node_.load());
  if (old != node && old != atoms::nonode_nohost) {
    past_nodes_.push_back(old);
    has_past_nodes_.store(true, std::memory_order_release);
  }
  node_.store(node.index(), std::memory_order_release);
  creation_.store(creation, std::memory_order_release);
}

bool runtime_impl::is_local_node(atom n) const noexcept {
  if (n == node() || n == atoms::nonode_nohost) return true;
  if (!has_past_nodes_.load(std::memory_order_acquire)) return false;
  std::lock_guard lk(identity_mutex_);
  return std::find(past_nodes_.begin(), past_nodes_.end(), n) != past_nodes_.end();
}

runtime_impl::where runtime_impl::classify(const pid& p) const noexcept {
  atom n = node();
  if (p.node == n) return p.creation == creation() || p.creation == 0 ? where::local : where::stale;
  if (p.node == atoms::nonode_nohost) return where::local;
  if (has_past_nodes_.load(std::memory_order_acquire) && is_local_node(p.node)) return where::local;
  return where::remote;
}

reference runtime_impl::make_ref() noexcept {
  std::uint64_t c = ref_counter_.fetch_add(1, std::memory_order_relaxed) + 1;
  reference r;
  r.node = node();
  r.creation = creation();
  r.length = 3;
  r.words[0] = std::uint32_t(c & 0x3ffff);
  r.words[1] = std::uint32_t(c >> 18);
  r.words[2] = ref_salt_ ^ std::uint32_t(c >> 50);
  return r;
}

reference runtime_impl::make_alias_ref(const pcb* owner) noexcept {
  reference r = make_ref();
  r.length = 5;
  r.words[3] = owner->id;
  r.words[4] = owner->serial();
  return r;
}

// ---- process table -----------------------------------------------------------------------------

pcb* runtime_impl::slot(std::uint32_t id) const noexcept {
  std::size_t c = id >> chunk_bits;
  if (c >= max_chunks_) return nullptr;
  pcb* chunk = chunks_[c].load(std::memory_order_acquire);
  return chunk ? chunk + (id & (chunk_size - 1)) : nullptr;
}

pcb* runtime_impl::acquire(const pid& p) noexcept {
  if (p.id == 0 || p.id >= high_water_.load(std::memory_order_acquire)) return nullptr;
  if (classify(p) != where::local) return nullptr;
  pcb* s = slot(p.id);
  if (!s) return nullptr;
  std::uint64_t v = s->gen_ref.load(std::memory_order_acquire);
  for (;;) {
    if (std::uint32_t(v >> 32) != p.serial || (v & pcb::refs_mask) == 0) return nullptr;
    if (s->gen_ref.compare_exchange_weak(v, v + 1, std::memory_order_acquire, std::memory_order_acquire)) return s;
  }
}

void runtime_impl::release(pcb* p) noexcept {
  std::uint64_t v = p->gen_ref.fetch_sub(1, std::memory_order_acq_rel) - 1;
  if ((v & pcb::refs_mask) != 0) return;
  // Last reference: nobody can reach this slot any more; the next generation may reuse it.
  if (p->blocking) {
    delete p->waiter;
    p->waiter = nullptr;
    p->blocking = false;
  }
  p->closure = nullptr;
  p->state = run_state::free;
  p->registered.store(false, std::memory_order_relaxed);
  p->gen_ref.store((((v >> 32) + 1) & 0xffffffffu) << 32, std::memory_order_release);
  std::lock_guard lk(table_mutex_);
  free_ids_.push_back(p->id);
}

pcb* runtime_impl::allocate_slot() {
  std::uint32_t id;
  {
    std::lock_guard lk(table_mutex_);
    if (!free_ids_.empty()) {
      id = free_ids_.back();
      free_ids_.pop_back();
    } else {
      id = high_water_.load(std::memory_order_relaxed);
      std::size_t c = id >> chunk_bits;
      if (c >= max_chunks_) throw std::length_error("otpp: too many processes (system_limit)");
      if (!chunks_[c].load(std::memory_order_relaxed)) {
        chunks_[c].store(static_cast<pcb*>(memory::allocate_pages(sizeof(pcb) * chunk_size)),
                         std::memory_order_release);
      }
      // Slots are built when first handed out, so a fresh slot's memory is written once.
      pcb* fresh = chunks_[c].load(std::memory_order_relaxed) + (id & (chunk_size - 1));
      new (fresh) pcb();
      fresh->rt = this;
      fresh->id = id;
      high_water_.store(id + 1, std::memory_order_release);
    }
  }
  pcb* p = slot(id);
  if (p == nullptr) __builtin_unreachable();  // the slot's chunk exists (made above)
  p->mailbox.reopen();
  p->state = run_state::embryo;
  p->trap_exit = false;
  p->kill_pending = false;
  p->queue_head = nullptr;
  p->queue_tail = &p->queue_head;
  p->save = &p->queue_head;
  p->queue_len = 0;
  p->frame_bytes = 0;
  p->matcher = nullptr;
  p->recv_timer = nullptr;
  p->resume_point = {};
  p->root = {};
  p->closure = nullptr;
  p->ext = nullptr;
  p->send_cache = nullptr;
  p->reductions = 0;
  p->group_leader = pid{};
  std::uint64_t gen = p->gen_ref.load(std::memory_order_relaxed) & ~std::uint64_t{0xffffffff};
  p->gen_ref.store(gen | pcb::alive_bit | 1, std::memory_order_release);
  live_.fetch_add(1, std::memory_order_acq_rel);
  return p;
}

bool runtime_impl::is_alive(const pid& p) const noexcept {
  if (p.id == 0 || p.id >= high_water_.load(std::memory_order_acquire)) return false;
  if (classify(p) != where::local) return false;
  pcb* s = slot(p.id);
  if (!s) return false;
  std::uint64_t v = s->gen_ref.load(std::memory_order_acquire);
  return std::uint32_t(v >> 32) == p.serial && (v & pcb::alive_bit) != 0;
}

std::vector<pid> runtime_impl::live_pids() const {
  std::vector<pid> out;
  std::uint32_t hw = high_water_.load(std::memory_order_acquire);
  for (std::uint32_t id = 1; id < hw; ++id) {
    pcb* p = slot(id);
    if (!p) continue;
    std::uint64_t v = p->gen_ref.load(std::memory_order_acquire);
    if (v & pcb::alive_bit) out.push_back(pid{node(), id, std::uint32_t(v >> 32), creation()});
  }
  return out;
}

// ---- delivery ----------------------------------------------------------------------------------

void runtime_impl::wake(pcb* p) {
  if (p->blocking) {
    blocking_waiter* w = p->waiter;
    {
      std::lock_guard lk(w->m);
      w->signaled = true;
    }
    w->cv.notify_one();
    return;
  }
  sched_->schedule_woken(p);
}

void runtime_impl::push(pcb* target, mail_node* n, const pid& to) {
  switch (target->mailbox.push(n)) {
    case inbox::push_result::ok: return;
    case inbox::push_result::woke_owner: wake(target); return;
    case inbox::push_result::closed: bounce(n, to); return;
  }
}

void runtime_impl::signal(const pid& to, mail_node* n) {
  // Messages a process batched go first: signals between a pair keep their order.
  if (current_process && current_process->outbox) flush_outbox(current_process);
  pcb* t = acquire(to);
  if (!t) {
    bounce(n, to);
    return;
  }
  push(t, n, to);
  release(t);
}

void runtime_impl::bounce(mail_node* n, const pid& dead) {
  switch (n->kind) {
    case signal_kind::link: {
      auto* l = static_cast<link_node*>(n);
      send_exit(dead, l->from, atoms::noproc, true);
      break;
    }
    case signal_kind::unlink: {
      auto* l = static_cast<link_node*>(n);
      if (classify(l->from) == where::remote) {
        if (distribution* d = dist()) d->unlink_ack(dead, l->from, l->unlink_id);
      }
      break;
    }
    case signal_kind::monitor: {
      auto* m = static_cast<monitor_node*>(n);
      switch (classify(m->watcher)) {
        case where::local: signal(m->watcher, new down_node(m->ref, atoms::noproc, term())); break;
        case where::remote:
          if (distribution* d = dist()) d->monitor_exit(m->target, m->watcher, m->ref, atoms::noproc);
          break;
        case where::stale: break;
      }
      break;
    }
    case signal_kind::info_request: {
      auto* i = static_cast<info_node*>(n);
      send_message(nullptr, i->reply_to, tuple_of(i->tag, atoms::undefined));
      break;
    }
    case signal_kind::spawn_reply:
      release_spawned(dead, *static_cast<spawn_reply_node*>(n), atoms::noproc);
      break;
    default: break;
  }
  free_node(n);
}

void runtime_impl::flush_outbox(pcb* from) noexcept {
  mail_node* first = std::exchange(from->outbox, nullptr);
  if (!first) return;
  mail_node* last = std::exchange(from->outbox_last, nullptr);
  from->outbox_len = 0;
  pcb* t = from->send_cache;
  switch (t->mailbox.push_chain(first, last)) {
    case inbox::push_result::ok: return;
    case inbox::push_result::woke_owner: wake(t); return;
    case inbox::push_result::closed: free_chain(first); return;
  }
}

namespace {
/// After this many messages in a row to one destination a process batches them.
constexpr std::uint16_t stream_threshold = 16;
constexpr std::uint16_t batch_size = 64;
}  // namespace

void runtime_impl::send_message(pcb* from, const pid& to, term msg) {
  switch (classify(to)) {
    case where::remote:
      if (from) flush_outbox(from);
      if (distribution* d = dist()) d->send(from ? pid_of(from) : pid{}, to, std::move(msg));
      return;
    case where::stale: return;
    case where::local: break;
  }
  if ((++sends_on_thread & 63) == 0) sched_->spill_next();
  if (from) {
    // A process usually sends to the same destination again and again (replies, streams):
    // keep a reference to its slot instead of taking one per message.
    pcb* t = from->send_cache;
    if (!t || t->id != to.id || from->send_cache_serial != to.serial) {
      flush_outbox(from);
      t = acquire(to);
      if (!t) return;
      if (from->send_cache) release(from->send_cache);
      from->send_cache = t;
      from->send_cache_serial = to.serial;
      from->stream = 0;
    }
    auto* n = new message_node(std::move(msg));
    if (!from->blocking && (from->outbox || ++from->stream > stream_threshold)) {
      n->next = from->outbox;
      from->outbox = n;
      if (!from->outbox_last) from->outbox_last = n;
      if (++from->outbox_len >= batch_size) flush_outbox(from);
      return;
    }
    switch (t->mailbox.push(n)) {
      case inbox::push_result::ok: return;
      case inbox::push_result::woke_owner: wake(t); return;
      case inbox::push_result::closed: free_node(n); return;
    }
    return;
  }
  pcb* t = acquire(to);
  if (!t) return;
  auto* n = new message_node(std::move(msg));
  switch (t->mailbox.push(n)) {
    case inbox::push_result::ok: break;
    case inbox::push_result::woke_owner: wake(t); break;
    case inbox::push_result::closed: free_node(n); break;
  }
  release(t);
}

bool runtime_impl::send_named(pcb* from, atom name, term msg) {
  auto p = whereis(name);
  if (!p) return false;
  send_message(from, *p, std::move(msg));
  return true;
}

void runtime_impl::send_named_remote(pcb* from, atom name, atom node, term msg) {
  if (is_local_node(node)) {
    (void)send_named(from, name, std::move(msg));
    return;
  }
  if (distribution* d = dist()) d->send_named(from ? pid_of(from) : pid{}, name, node, std::move(msg));
}

void runtime_impl::send_alias(pcb* from, const reference& alias, term msg) {
  if (!is_local_node(alias.node)) {
    if (distribution* d = dist()) d->send_alias(from ? pid_of(from) : pid{}, alias, std::move(msg));
    return;
  }
  // Only references made by make_alias_ref name a process; the owner decides whether the
  // alias is active.
  if (alias.length != 5) return;
  const pid owner{alias.node, alias.words[3], alias.words[4], alias.creation};
  if (from && from->outbox) flush_outbox(from);
  pcb* t = acquire(owner);
  if (!t) return;
  push(t, new alias_message_node(alias, std::move(msg)), owner);
  release(t);
}

void runtime_impl::send_exit(const pid& from, const pid& to, term reason, bool from_link) {
  switch (classify(to)) {
    case where::local: signal(to, new exit_node(from, std::move(reason), from_link)); return;
    case where::remote:
      if (current_process) flush_outbox(current_process);
      if (distribution* d = dist()) d->exit(from, to, std::move(reason), !from_link);
      return;
    case where::stale: return;
  }
}

// ---- registry ----------------------------------------------------------------------------------

namespace {
/// Registry keys do not depend on the node's name (it may change when the node goes alive).
pid slot_key(const pid& p) noexcept { return pid{atom(), p.id, p.serial, 0}; }
}  // namespace

bool runtime_impl::register_name(atom name, const pid& p) {
  if (name == atoms::undefined) return false;
  pcb* t = acquire(p);
  if (!t) return false;
  const pid key = slot_key(p);
  bool ok = false;
  {
    std::unique_lock lk(registry_mutex_);
    if ((t->gen_ref.load(std::memory_order_acquire) & pcb::alive_bit) && !names_.contains(name) &&
        !names_by_pid_.contains(key)) {
      names_.emplace(name, key);
      names_by_pid_.emplace(key, name);
      ok = true;
    }
  }
  if (ok) {
    t->registered.store(true, std::memory_order_seq_cst);
    // The process may have passed its exit path's look at `registered` meanwhile.
    if (!(t->gen_ref.load(std::memory_order_seq_cst) & pcb::alive_bit)) {
      std::unique_lock lk(registry_mutex_);
      auto it = names_.find(name);
      if (it != names_.end() && it->second == key) names_.erase(it);
      names_by_pid_.erase(key);
      ok = false;
    }
  }
  release(t);
  return ok;
}

bool runtime_impl::unregister_name(atom name) {
  std::unique_lock lk(registry_mutex_);
  auto it = names_.find(name);
  if (it == names_.end()) return false;
  names_by_pid_.erase(it->second);
  names_.erase(it);
  return true;
}

void runtime_impl::unregister_exiting(pcb* p) {
  if (!p->registered.load(std::memory_order_seq_cst)) return;
  const pid key = slot_key(pid_of(p));
  std::unique_lock lk(registry_mutex_);
  auto it = names_by_pid_.find(key);
  if (it == names_by_pid_.end()) return;
  names_.erase(it->second);
  names_by_pid_.erase(it);
}

std::optional<pid> runtime_impl::whereis(atom name) const {
  std::shared_lock lk(registry_mutex_);
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return pid{node(), it->second.id, it->second.serial, creation()};
}

std::optional<atom> runtime_impl::name_of(const pid& p) const {
  std::shared_lock lk(registry_mutex_);
  auto it = names_by_pid_.find(slot_key(p));
  if (it == names_by_pid_.end()) return std::nullopt;
  return it->second;
}

std::vector<atom> runtime_impl::registered() const {
  std::shared_lock lk(registry_mutex_);
  std::vector<atom> out;
  out.reserve(names_.size());
  for (const auto& [name, p] : names_) out.push_back(name);
  return out;
}

// ---- node_down index ---------------------------------------------------------------------------

void runtime_impl::note_remote(pcb* p, atom node) {
  auto& nodes = p->extension().remote_nodes;
  if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) nodes.push_back(node);
  // Always (re)listed: a node_down taken from the index but not yet handled by `p` must not
  // hide a link made meanwhile.
  std::lock_guard lk(touch_mutex_);
  touchers_[node].insert(pid_of(p));
}

void runtime_impl::forget_remote(pcb* p) {
  if (!p->ext || p->ext->remote_nodes.empty()) return;
  const pid me = pid_of(p);
  std::lock_guard lk(touch_mutex_);
  for (atom n : p->ext->remote_nodes) {
    auto it = touchers_.find(n);
    if (it == touchers_.end()) continue;
    it->second.erase(me);
    if (it->second.empty()) touchers_.erase(it);
  }
  p->ext->remote_nodes.clear();
}

// ---- group leader ------------------------------------------------------------------------------

pid runtime_impl::default_group_leader() const {
  std::lock_guard lk(gl_mutex_);
  return default_gl_;
}

void runtime_impl::set_default_group_leader(const pid& p) {
  std::lock_guard lk(gl_mutex_);
  default_gl_ = p;
}

// ---- timers ------------------------------------------------------------------------------------

std::chrono::steady_clock::time_point runtime_impl::now() const noexcept {
  if (options.deterministic) return epoch_ + std::chrono::nanoseconds(virtual_ns_.load(std::memory_order_acquire));
  return std::chrono::steady_clock::now();
}

std::uint64_t runtime_impl::tick_now() const noexcept {
  auto d = now() - epoch_;
  return std::uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

std::uint64_t runtime_impl::deadline_tick(std::chrono::nanoseconds from_now) const noexcept {
  auto d = (now() - epoch_) + from_now;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return std::uint64_t((ns + 999999) / 1000000);  // round up: never early
}

void runtime_impl::arm_receive_timer(pcb* p, std::chrono::nanoseconds timeout) {
  auto* e = new timer_entry();
  e->k = timer_entry::kind::receive_timeout;
  e->seq = ++p->recv_seq;
  e->target = pid_of(p);
  e->expiry = deadline_tick(timeout);
  p->recv_timer = e;
  bool earlier;
  {
    std::lock_guard lk(timer_mutex_);
    wheel_.insert(e);
    earlier = e->expiry < timer_sleep_until_;
  }
  if (earlier && !options.deterministic) timer_cv_.notify_one();
}

void runtime_impl::before_park(pcb* p) {
  if (p->state != run_state::receiving || p->recv_timer || !p->matcher) return;
  if (p->matcher->timeout.count() > 0) arm_receive_timer(p, p->matcher->timeout);
}

void runtime_impl::disarm_receive_timer(pcb* p) noexcept {
  timer_entry* e = std::exchange(p->recv_timer, nullptr);
  if (!e) return;
  {
    std::lock_guard lk(timer_mutex_);
    if (e->armed) wheel_.remove(e);
  }
  delete e;
}

reference runtime_impl::start_send_timer(std::chrono::milliseconds delay, const pid& to, term msg,
                                         bool wrap_timeout) {
  reference ref = make_ref();
  auto* e = new timer_entry();
  e->k = timer_entry::kind::send;
  e->target = to;
  e->msg = wrap_timeout ? tuple_of(atoms::timeout, ref, std::move(msg)) : std::move(msg);
  e->ref = ref;
  e->expiry = deadline_tick(delay);
  bool earlier;
  {
    std::lock_guard lk(timer_mutex_);
    wheel_.insert(e);
    timers_by_ref_.emplace(ref, e);
    earlier = e->expiry < timer_sleep_until_;
  }
  if (earlier && !options.deterministic) timer_cv_.notify_one();
  return ref;
}

std::optional<std::chrono::milliseconds> runtime_impl::cancel_timer(const reference& ref) {
  timer_entry* e = nullptr;
  std::uint64_t now_tick;
  {
    std::lock_guard lk(timer_mutex_);
    auto it = timers_by_ref_.find(ref);
    if (it == timers_by_ref_.end()) return std::nullopt;
    e = it->second;
    timers_by_ref_.erase(it);
    wheel_.remove(e);
    now_tick = wheel_.current();
  }
  auto left = std::chrono::milliseconds(e->expiry > now_tick ? e->expiry - now_tick : 0);
  delete e;
  return left;
}

void runtime_impl::fire(std::vector<timer_entry*>& expired) {
  // Only send timers: receive timers belong to their process and travel as (pid, seq).
  for (timer_entry* e : expired) {
    send_message(nullptr, e->target, std::move(e->msg));
    delete e;
  }
  expired.clear();
}

void runtime_impl::timer_loop() {
  std::vector<timer_entry*> expired;
  std::unique_lock lk(timer_mutex_);
  while (!timer_stop_) {
    wheel_.advance(tick_now(), expired);
    for (timer_entry* e : expired) {
      if (e->k == timer_entry::kind::send) {
        timers_by_ref_.erase(e->ref);
      } else {
        e->fired = true;
      }
    }
    // Copy what fire() needs while the entries are safe: a receive timer may be freed by its
    // process as soon as the lock is dropped.
    std::vector<std::pair<pid, std::uint32_t>> timeouts;
    std::vector<timer_entry*> sends;
    for (timer_entry* e : expired) {
      if (e->k == timer_entry::kind::receive_timeout) {
        timeouts.emplace_back(e->target, e->seq);
      } else {
        sends.push_back(e);
      }
    }
    expired.clear();
    if (!timeouts.empty() || !sends.empty()) {
      lk.unlock();
      for (auto& [target, seq] : timeouts) signal(target, new timeout_node(seq));
      fire(sends);
      lk.lock();
      continue;
    }
    auto next = wheel_.next_event();
    if (next) {
      timer_sleep_until_ = *next;
      timer_cv_.wait_until(lk, epoch_ + std::chrono::milliseconds(*next));
    } else {
      timer_sleep_until_ = ~std::uint64_t{0};
      timer_cv_.wait(lk);
    }
    timer_sleep_until_ = ~std::uint64_t{0};
  }
}

void runtime_impl::advance_time(std::chrono::nanoseconds by) {
  if (!options.deterministic) throw std::logic_error("otpp: advance_time needs a deterministic runtime");
  virtual_ns_.fetch_add(by.count(), std::memory_order_acq_rel);
  std::vector<timer_entry*> expired;
  std::vector<std::pair<pid, std::uint32_t>> timeouts;
  std::vector<timer_entry*> sends;
  {
    std::lock_guard lk(timer_mutex_);
    wheel_.advance(tick_now(), expired);
    for (timer_entry* e : expired) {
      if (e->k == timer_entry::kind::send) {
        timers_by_ref_.erase(e->ref);
        sends.push_back(e);
      } else {
        e->fired = true;
        timeouts.emplace_back(e->target, e->seq);
      }
    }
  }
  for (auto& [target, seq] : timeouts) signal(target, new timeout_node(seq));
  fire(sends);
}

std::optional<std::chrono::nanoseconds> runtime_impl::time_to_next_timer() const {
  std::lock_guard lk(timer_mutex_);
  auto next = wheel_.next_event();
  if (!next) return std::nullopt;
  auto at = epoch_ + std::chrono::milliseconds(*next);
  auto n = now();
  return at > n ? std::chrono::duration_cast<std::chrono::nanoseconds>(at - n) : std::chrono::nanoseconds(0);
}

// ---- lifecycle ---------------------------------------------------------------------------------

void runtime_impl::process_exited() noexcept {
  if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1 || shut_down_.load(std::memory_order_relaxed)) {
    std::lock_guard lk(exit_mutex_);
    exit_cv_.notify_all();
  }
}

bool runtime_impl::wait_all_exited(std::chrono::steady_clock::time_point until) {
  if (options.deterministic) {
    while (live_.load() > blocking_handles_.load() && std::chrono::steady_clock::now() < until) {
      if (!sched_->run_once()) break;
    }
    return live_.load() <= blocking_handles_.load();
  }
  std::unique_lock lk(exit_mutex_);
  return exit_cv_.wait_until(lk, until, [&] { return live_.load() <= blocking_handles_.load(); });
}

void runtime_impl::shutdown(std::chrono::milliseconds grace) {
  if (shut_down_.exchange(true)) return;
  const pid init{node(), 0, 0, creation()};
  for (const pid& p : live_pids()) send_exit(init, p, atoms::shutdown, false);
  if (!wait_all_exited(std::chrono::steady_clock::now() + grace)) {
    for (const pid& p : live_pids()) send_exit(init, p, atoms::kill, false);
    wait_all_exited(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  }
  sched_->stop();
  {
    std::lock_guard lk(timer_mutex_);
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_thread_.joinable()) timer_thread_.join();
  // Processes still queued or parked (they did not take their exit signal in time) end here,
  // on this thread, with their links told.
  (void)sched_->drain_queues();
  std::uint32_t hw = high_water_.load(std::memory_order_acquire);
  for (std::uint32_t id = 1; id < hw; ++id) {
    pcb* p = slot(id);
    if (!p || p->blocking) continue;
    if (p->gen_ref.load(std::memory_order_acquire) & pcb::alive_bit) exit_process(p, atoms::killed, false, false);
  }
  (void)sched_->drain_queues();
}

// ---- crash reports ----------------------------------------------------------------------------

void runtime_impl::set_crash_reporter(crash_reporter reporter) {
  std::unique_lock lock(crash_reporter_mutex_);
  crash_reporter_ = std::move(reporter);
}

void runtime_impl::report_crash(basic_process& dying, const term& reason) {
  {
    std::shared_lock lock(crash_reporter_mutex_);
    if (crash_reporter_) {
      crash_reporter_(dying, reason);
      return;
    }
  }
  // No layer above to say where reports go: the bare fact, on stderr.
  std::string text = "Error in process " + to_string(term(dying.self())) + " with exit value:\n" +
                     to_string(reason) + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

// ---- remote_signals ----------------------------------------------------------------------------

void runtime_impl::deliver(const pid& to, term msg) {
  if (classify(to) == where::local) send_message(nullptr, to, std::move(msg));
}

void runtime_impl::deliver_named(atom name, term msg) { (void)send_named(nullptr, name, std::move(msg)); }

void runtime_impl::deliver_alias(const reference& alias, term msg) {
  if (is_local_node(alias.node)) send_alias(nullptr, alias, std::move(msg));
}

void runtime_impl::link(const pid& from, const pid& to) {
  if (classify(to) != where::local) {
    if (distribution* d = dist()) d->exit(to, from, atoms::noproc, false);
    return;
  }
  signal(to, new link_node(signal_kind::link, from));
}

void runtime_impl::unlink(const pid& from, const pid& to, std::uint64_t id) {
  if (classify(to) != where::local) {
    if (distribution* d = dist()) d->unlink_ack(to, from, id);
    return;
  }
  signal(to, new link_node(signal_kind::unlink, from, id));
}

void runtime_impl::unlink_ack(const pid&, const pid&, std::uint64_t) {
  // The link was removed locally when the unlink was sent; exits from the peer that cross the
  // ack are ignored because no link exists.
}

void runtime_impl::exit(const pid& from, const pid& to, term reason, bool is_exit2) {
  if (classify(to) != where::local) return;
  signal(to, new exit_node(from, std::move(reason), !is_exit2));
}

void runtime_impl::exit_via(const pid& from, const term& target, term reason) {
  if (target.is_atom()) {
    auto owner = whereis(target.atom_value());
    if (owner && classify(*owner) == where::local) signal(*owner, new exit_node(from, std::move(reason), false));
    return;
  }
  // Only references made by make_alias_ref name a process; its owner checks, when it takes
  // the signal, that the alias is still active.
  if (!target.is_reference()) return;
  const reference& alias = target.reference_value();
  if (!is_local_node(alias.node) || alias.length != 5) return;
  const pid owner{alias.node, alias.words[3], alias.words[4], alias.creation};
  auto* e = new exit_node(from, std::move(reason), false);
  e->via_alias = alias;
  signal(owner, e);
}

void runtime_impl::monitor(const pid& watcher, const term& target, const reference& ref) {
  std::optional<pid> local;
  if (target.is_pid()) {
    if (classify(target.pid_value()) == where::local) local = target.pid_value();
  } else if (target.is_atom()) {
    local = whereis(target.atom_value());
  }
  if (!local) {
    if (distribution* d = dist()) d->monitor_exit(target, watcher, ref, atoms::noproc);
    return;
  }
  signal(*local, new monitor_node(signal_kind::monitor, watcher, ref, target));
}

void runtime_impl::demonitor(const pid& watcher, const term& target, const reference& ref) {
  std::optional<pid> local;
  if (target.is_pid()) {
    if (classify(target.pid_value()) == where::local) local = target.pid_value();
  } else if (target.is_atom()) {
    local = whereis(target.atom_value());
  }
  if (local) signal(*local, new monitor_node(signal_kind::demonitor, watcher, ref, target));
}

void runtime_impl::monitor_down(const pid& watcher, const term& target, const reference& ref, term reason) {
  if (classify(watcher) != where::local) return;
  signal(watcher, new down_node(ref, std::move(reason), target));
}

void runtime_impl::group_leader(const pid&, const pid& to, const pid& leader) {
  if (classify(to) != where::local) return;
  signal(to, new group_leader_node(leader));
}

void runtime_impl::node_down(atom node) {
  std::unordered_set<pid, pid_hash> affected;
  {
    std::lock_guard lk(touch_mutex_);
    auto it = touchers_.find(node);
    if (it == touchers_.end()) return;
    affected = std::move(it->second);
    touchers_.erase(it);
  }
  for (const pid& p : affected) signal(p, new node_down_node(node));
}

}  // namespace otpp::detail
