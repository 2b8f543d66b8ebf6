// What happens inside one process: signals taken from the mailbox and handled by Erlang's
// rules, selective receive with a save point, a turn on a worker, and the exit path that
// tells links and monitors.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "otpp/runtime/process.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/term/print.hpp"
#include "runtime/memory.hpp"
#include "runtime/pcb.hpp"
#include "runtime/runtime_impl.hpp"

namespace otpp::detail {

thread_local pcb* current_process = nullptr;
thread_local std::int32_t turn_budget = 0;

namespace {
/// The process whose coroutine frame is being created (frame bytes are counted to it).
thread_local pcb* spawning = nullptr;
}  // namespace

void* allocate_frame(std::size_t size) {
  void* p = memory::allocate(size);
  if (spawning) spawning->frame_bytes += std::uint32_t(size);
  return p;
}

void free_frame(void* p, std::size_t size) noexcept { memory::deallocate(p, size); }

void* mail_node::operator new(std::size_t size) { return memory::allocate(size); }
void mail_node::operator delete(void* p, std::size_t size) noexcept { memory::deallocate(p, size); }

void free_node(mail_node* n) noexcept {
  switch (n->kind) {
    case signal_kind::message: delete static_cast<message_node*>(n); return;
    case signal_kind::exit: delete static_cast<exit_node*>(n); return;
    case signal_kind::link:
    case signal_kind::unlink: delete static_cast<link_node*>(n); return;
    case signal_kind::monitor:
    case signal_kind::demonitor: delete static_cast<monitor_node*>(n); return;
    case signal_kind::down: delete static_cast<down_node*>(n); return;
    case signal_kind::group_leader: delete static_cast<group_leader_node*>(n); return;
    case signal_kind::info_request: delete static_cast<info_node*>(n); return;
    case signal_kind::timeout: delete static_cast<timeout_node*>(n); return;
    case signal_kind::node_down: delete static_cast<node_down_node*>(n); return;
    case signal_kind::spawn_reply: delete static_cast<spawn_reply_node*>(n); return;
    case signal_kind::alias_message: delete static_cast<alias_message_node*>(n); return;
  }
}

void free_chain(mail_node* n) noexcept {
  while (n) {
    mail_node* next = n->next;
    free_node(n);
    n = next;
  }
}

namespace {

atom status_atom(run_state s) {
  static const atom running("running"), runnable("runnable"), waiting("waiting"), exiting("exiting");
  switch (s) {
    case run_state::running: return running;
    case run_state::receiving:
    case run_state::blocking: return waiting;
    case run_state::exiting:
    case run_state::free: return exiting;
    default: return runnable;
  }
}

void set_kill(pcb* p, term reason, bool report = false) {
  if (p->kill_pending) return;
  auto& x = p->extension();
  p->kill_pending = true;
  x.exit_reason = std::move(reason);
  x.report_crash = report;
}

void append_message(pcb* p, term msg) { p->append(new message_node(std::move(msg))); }

/// Erlang's rules for an exit signal arriving at `p`.
void handle_exit(pcb* p, const pid& from, const term& reason, bool from_link) {
  if (from_link) {
    // A link-exit from a process no longer linked (unlinked meanwhile) is ignored.
    if (!p->ext || p->ext->links.erase(from) == 0) return;
    if (p->trap_exit) {
      append_message(p, tuple_of(atoms::EXIT, from, reason));
    } else if (!reason.is_atom(atoms::normal)) {
      set_kill(p, reason);
    }
    return;
  }
  if (reason.is_atom(atoms::kill)) {
    set_kill(p, atoms::killed);  // untrappable
  } else if (p->trap_exit) {
    append_message(p, tuple_of(atoms::EXIT, from, reason));
  } else if (reason.is_atom(atoms::normal)) {
    if (from == p->rt->pid_of(p)) set_kill(p, atoms::normal);  // exit(self(), normal)
  } else {
    set_kill(p, reason);
  }
}

term down_message(const reference& ref, const term& shown, const term& reason) {
  return tuple_of(atoms::DOWN, ref, atoms::process, shown, reason);
}

void handle_node_down(pcb* p, atom node) {
  if (!p->ext) return;
  process_ext& x = *p->ext;
  std::vector<pid> broken;
  for (const pid& l : x.links) {
    if (l.node == node) broken.push_back(l);
  }
  for (const pid& l : broken) handle_exit(p, l, term(atoms::noconnection), true);
  for (auto it = x.monitors.begin(); it != x.monitors.end();) {
    if (it->second.node == node && !p->rt->is_local_node(node)) {
      append_message(p, down_message(it->first, it->second.shown_term(), term(atoms::noconnection)));
      it = x.monitors.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = x.monitored_by.begin(); it != x.monitored_by.end();) {
    if (it->second.watcher.node == node) {
      it = x.monitored_by.erase(it);
    } else {
      ++it;
    }
  }
  fail_spawn_requests(p, node);
  std::erase(x.remote_nodes, node);
}

std::size_t memory_of(const pcb* p) {
  std::size_t bytes = sizeof(pcb) + p->frame_bytes;
  for (const mail_node* n = p->queue_head; n; n = n->next) {
    bytes += sizeof(message_node) + static_cast<const message_node*>(n)->msg.heap_size();
  }
  if (p->ext) {
    bytes += sizeof(process_ext) + p->ext->links.size() * 48 + p->ext->monitors.size() * 120 +
             p->ext->monitored_by.size() * 96;
    for (const auto& [k, v] : p->ext->dictionary) bytes += 48 + k.heap_size() + v.heap_size();
  }
  return bytes;
}

void answer_info(pcb* p, const info_node& req) {
  runtime_impl& rt = *p->rt;
  process_info info;
  info.status = status_atom(p->state);
  info.message_queue_len = p->queue_len;
  info.trap_exit = p->trap_exit;
  info.group_leader = p->group_leader;
  info.memory = memory_of(p);
  info.reductions = p->reductions;
  if (p->ext) {
    info.links.assign(p->ext->links.begin(), p->ext->links.end());
    for (const auto& [ref, m] : p->ext->monitors) info.monitors.push_back(m.shown_term());
    for (const auto& [ref, w] : p->ext->monitored_by) info.monitored_by.push_back(w.watcher);
    info.initial_call = p->ext->initial_call;
    info.current_function = p->ext->current_function;
  }
  info.dictionary = p->facade.dictionary();
  info.registered_name = rt.name_of(rt.pid_of(p));
  if (req.messages) {
    info.messages.emplace();
    for (mail_node* n = p->queue_head; n; n = n->next)
      if (n->kind == signal_kind::message) info.messages->push_back(static_cast<message_node*>(n)->msg);
  }
  rt.send_message(p, req.reply_to, tuple_of(req.tag, info.to_term()));
}

/// Handles one signal in `p`'s own context.
void handle_signal(pcb* p, mail_node* n) {
  runtime_impl& rt = *p->rt;
  switch (n->kind) {
    case signal_kind::message:
      p->append(n);
      return;
    case signal_kind::exit: {
      auto* e = static_cast<exit_node*>(n);
      if (e->via_alias) {
        bool active = p->ext && std::any_of(p->ext->aliases.begin(), p->ext->aliases.end(),
                                            [&](const auto& a) { return a.ref == *e->via_alias; });
        if (!active) break;
      }
      handle_exit(p, e->from, e->reason, e->from_link);
      break;
    }
    case signal_kind::link: {
      auto* l = static_cast<link_node*>(n);
      p->extension().links.insert(l->from);
      if (rt.classify(l->from) == runtime_impl::where::remote) rt.note_remote(p, l->from.node);
      break;
    }
    case signal_kind::unlink: {
      auto* l = static_cast<link_node*>(n);
      if (p->ext) p->ext->links.erase(l->from);
      if (rt.classify(l->from) == runtime_impl::where::remote) {
        if (distribution* d = rt.dist()) d->unlink_ack(rt.pid_of(p), l->from, l->unlink_id);
      }
      break;
    }
    case signal_kind::monitor: {
      auto* m = static_cast<monitor_node*>(n);
      p->extension().monitored_by[m->ref] = watcher_entry{m->watcher, m->target};
      if (rt.classify(m->watcher) == runtime_impl::where::remote) rt.note_remote(p, m->watcher.node);
      break;
    }
    case signal_kind::demonitor: {
      auto* m = static_cast<monitor_node*>(n);
      if (p->ext) p->ext->monitored_by.erase(m->ref);
      break;
    }
    case signal_kind::down: {
      auto* d = static_cast<down_node*>(n);
      if (p->ext) {
        auto it = p->ext->monitors.find(d->ref);
        if (it != p->ext->monitors.end()) {
          append_message(p, down_message(d->ref, it->second.shown_term(), d->reason));
          p->ext->monitors.erase(it);
        }
      }
      break;
    }
    case signal_kind::group_leader:
      p->group_leader = static_cast<group_leader_node*>(n)->leader;
      break;
    case signal_kind::info_request:
      answer_info(p, *static_cast<info_node*>(n));
      break;
    case signal_kind::timeout: {
      auto* t = static_cast<timeout_node*>(n);
      if (p->state == run_state::receiving && p->matcher && t->seq == p->recv_seq) p->matcher->timed_out = true;
      break;
    }
    case signal_kind::node_down:
      handle_node_down(p, static_cast<node_down_node*>(n)->node);
      break;
    case signal_kind::spawn_reply:
      handle_spawn_reply(p, *static_cast<spawn_reply_node*>(n));
      break;
    case signal_kind::alias_message: {
      auto* a = static_cast<alias_message_node*>(n);
      if (!p->ext) break;
      auto& aliases = p->ext->aliases;
      for (auto it = aliases.begin(); it != aliases.end(); ++it) {
        if (it->ref == a->alias) {
          if (it->once) aliases.erase(it);
          append_message(p, std::move(a->msg));
          break;
        }
      }
      break;
    }
  }
  free_node(n);
}

}  // namespace

/// Takes everything from the mailbox: messages join the queue, other signals take effect.
/// Once a kill is pending, the rest waits for the exit path. True if anything was taken.
bool drain(pcb* p) {
  mail_node* n = p->mailbox.take_all();
  if (!n) return false;
  while (n) {
    mail_node* next = n->next;
    if (p->kill_pending) {
      // Keep the rest, in order, for the exit path to answer.
      mail_node** tail = &p->ext->deferred;
      while (*tail) tail = &(*tail)->next;
      *tail = n;
      return true;
    }
    handle_signal(p, n);
    n = next;
  }
  return true;
}

/// Offers the messages after the save point to `m`; removes and frees the first match.
bool scan(pcb* p, receive_matcher_base& m) {
  mail_node** link = p->save;
  while (mail_node* n = *link) {
    if (m.match(static_cast<message_node*>(n)->msg)) {
      *link = n->next;
      if (p->queue_tail == &n->next) p->queue_tail = link;
      --p->queue_len;
      p->save = &p->queue_head;
      delete static_cast<message_node*>(n);
      ++p->reductions;
      return true;
    }
    link = &n->next;
  }
  p->save = link;
  return false;
}

namespace {

bool take_turn(pcb* p) {
  if (--turn_budget > 0) return true;
  p->state = run_state::ready;  // matched, but let the others run first
  return false;
}

}  // namespace

bool receive_ready(pcb* p, receive_matcher_base& m) {
  m.timed_out = false;
  if (p->kill_pending) return false;
  p->save = &p->queue_head;
  if (scan(p, m)) return take_turn(p);
  if (drain(p)) {
    if (p->kill_pending) return false;
    if (scan(p, m)) return take_turn(p);
  }
  if (m.timeout.count() == 0) {
    m.timed_out = true;
    return take_turn(p);
  }
  return false;
}

void receive_suspend(pcb* p, receive_matcher_base& m, std::coroutine_handle<> h) noexcept {
  p->resume_point = h;
  if (p->kill_pending || p->state == run_state::ready) return;
  p->state = run_state::receiving;
  p->matcher = &m;
  // The timeout's timer is armed only when the process parks (runtime_impl::before_park):
  // most waits of a call end while its worker still watches the process, and then the
  // timer would be armed and cancelled for nothing.
}

void yield_suspend(pcb* p, std::coroutine_handle<> h) noexcept {
  p->resume_point = h;
  if (!p->kill_pending) p->state = run_state::yielding;
}

bool consume_reduction() noexcept { return --turn_budget > 0; }

namespace {

std::pair<term, bool> reason_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const exit_exception& x) {
    return {x.reason(), false};
  } catch (const error_exception& x) {
    return {x.exit_reason(), true};
  } catch (const std::exception& x) {
    return {tuple_of(atoms::error, term::binary(std::string_view(x.what()))), true};
  } catch (...) {
    return {tuple_of(atoms::error, term::binary(std::string_view("unknown C++ exception"))), true};
  }
}

}  // namespace

/// The exit path: `p` ends with `reason`. Frees what it owns and tells every link and
/// monitor. `keep_slot`: a scoped_process keeps its slot until destroyed.
void exit_process(pcb* p, term reason, bool report, bool keep_slot) {
  runtime_impl& rt = *p->rt;
  const pid me = rt.pid_of(p);
  p->state = run_state::exiting;
  pcb* saved_current = current_process;
  current_process = p;

  // Destructors of the frame's locals run while the process can still send.
  if (p->root) {
    p->root.destroy();
    p->root = {};
  }
  if (!p->blocking && p->closure) {
    delete p->closure;
    p->closure = nullptr;
  }
  rt.flush_outbox(p);
  rt.disarm_receive_timer(p);
  p->matcher = nullptr;

  // Nothing arrives any more; what did arrive is answered as by a dead process.
  p->gen_ref.fetch_and(~pcb::alive_bit, std::memory_order_acq_rel);  // not alive
  mail_node* rest = p->mailbox.close();
  rt.unregister_exiting(p);
  mail_node* deferred = p->ext ? std::exchange(p->ext->deferred, nullptr) : nullptr;
  for (mail_node* chain : {deferred, rest}) {
    while (chain) {
      mail_node* next = chain->next;
      rt.bounce(chain, me);
      chain = next;
    }
  }
  // The report leaves before the exit signals, as terminate_proc logs before
  // erts_do_exit_process tells links and monitors.
  if (report) {
    rt.report_crash(p->facade, reason);
    rt.flush_outbox(p);
  }
  if (process_ext* x = p->ext) {
    x->aliases.clear();
    for (const pid& l : x->links) rt.send_exit(me, l, reason, true);
    x->links.clear();
    for (const auto& [ref, w] : x->monitored_by) {
      switch (rt.classify(w.watcher)) {
        case runtime_impl::where::local: rt.signal(w.watcher, new down_node(ref, reason, term())); break;
        case runtime_impl::where::remote:
          if (distribution* d = rt.dist()) d->monitor_exit(w.target, w.watcher, ref, reason);
          break;
        case runtime_impl::where::stale: break;
      }
    }
    x->monitored_by.clear();
    for (const auto& [ref, m] : x->monitors) {
      if (rt.is_local_node(m.node)) {
        if (m.target.id != 0 || m.target.serial != 0) {
          rt.signal(m.target, new monitor_node(signal_kind::demonitor, me, ref, term()));
        }
      } else if (distribution* d = rt.dist()) {
        d->demonitor(me, m.remote_target, m.node, ref);
      }
    }
    x->monitors.clear();
    rt.forget_remote(p);
  }

  free_chain(p->queue_head);
  p->queue_head = nullptr;
  p->queue_tail = &p->queue_head;
  p->save = &p->queue_head;
  p->queue_len = 0;
  if (p->send_cache) {
    rt.release(p->send_cache);
    p->send_cache = nullptr;
  }
  current_process = saved_current;
  if (keep_slot) {
    p->extension().exit_reason = std::move(reason);  // a scoped_process reports it later
    return;
  }
  delete p->ext;
  p->ext = nullptr;
  rt.process_exited();
  rt.release(p);
}

namespace {

void die_from_body(pcb* p) {
  const std::exception_ptr& e = p->root.promise().error();
  if (e) {
    auto [reason, report] = reason_of(e);
    exit_process(p, std::move(reason), report, false);
  } else if (p->ext && p->ext->return_reason) {
    term reason = std::move(*p->ext->return_reason);
    exit_process(p, std::move(reason), false, false);
  } else {
    exit_process(p, atoms::normal, false, false);
  }
}

/// Ends `p` with the kill that is pending.
void die_from_signal(pcb* p) {
  term reason = p->ext->exit_reason;
  exit_process(p, std::move(reason), p->ext->report_crash, false);
}

}  // namespace

namespace {

// What a process sends to other nodes during one turn leaves when the turn ends, in one write
// per connection (the distribution bounds what it holds), as BEAM flushes a process's
// distribution output once the process is scheduled out: a gen_server call's DEMONITOR_P
// then travels with the next call's MONITOR_P and request instead of in a write of its own.
struct hold_remote_writes {
  distribution* d;
  explicit hold_remote_writes(distribution* x) : d(x) {
    if (d) d->hold_writes();
  }
  ~hold_remote_writes() {
    if (d) d->release_writes();
  }
  hold_remote_writes(const hold_remote_writes&) = delete;
  hold_remote_writes& operator=(const hold_remote_writes&) = delete;
};

}  // namespace

scheduler::turn_result run_turn(pcb* p) {
  runtime_impl& rt = *p->rt;
  current_process = p;
  turn_budget = std::int32_t(rt.budget);
  struct clear_current {
    ~clear_current() { current_process = nullptr; }
  } clear;
  hold_remote_writes held(rt.dist());
  bool ran = false;
  for (;;) {
    if (p->state == run_state::receiving) {
      bool resume = false;
      try {
        drain(p);
        if (!p->kill_pending) resume = p->matcher->timed_out || scan(p, *p->matcher);
      } catch (...) {
        // A guard threw: the process crashes as if its body had thrown.
        auto [reason, report] = reason_of(std::current_exception());
        set_kill(p, std::move(reason), report);
      }
      if (p->kill_pending) {
        die_from_signal(p);
        return scheduler::turn_result::exited;
      }
      if (!resume) {
        // Woken by something it does not take: its timeout runs from now on, whether or not
        // its worker ever parks it (a busy worker would not).
        if (!ran) rt.before_park(p);
        return scheduler::turn_result::waiting;  // the scheduler parks it
      }
      rt.disarm_receive_timer(p);
      p->matcher = nullptr;
    } else {
      // Signals come first: a process with a pending kill is not resumed.
      if (p->mailbox.has_signals()) drain(p);
      if (p->kill_pending) {
        die_from_signal(p);
        return scheduler::turn_result::exited;
      }
    }
    p->state = run_state::running;
    ran = true;
    p->resume_point.resume();
    rt.flush_outbox(p);  // batched messages leave when the process stops running
    if (p->root.done()) {
      die_from_body(p);
      return scheduler::turn_result::exited;
    }
    if (p->kill_pending) {
      die_from_signal(p);
      return scheduler::turn_result::exited;
    }
    if (p->state == run_state::yielding || p->state == run_state::ready) return scheduler::turn_result::requeue;
    // receiving: look at arrivals once more, then park
  }
}

void destroy_unrun(pcb* p) {
  if (!p->kill_pending) set_kill(p, atoms::killed);
  die_from_signal(p);
}

void request_info(runtime_impl& rt, const pid& target, const pid& reply_to, const reference& tag,
                  bool messages) {
  if (rt.classify(target) == runtime_impl::where::local) {
    rt.signal(target, new info_node(reply_to, tag, messages));
  } else {
    rt.send_message(nullptr, reply_to, tuple_of(tag, atoms::undefined));
  }
}

spawned spawn_process(runtime_impl& rt, pcb* parent, const spawn_options& options, body_ref body,
                      std::unique_ptr<closure_base> keep_alive, const before_run* before) {
  pcb* p = rt.allocate_slot();
  p->group_leader = options.group_leader ? *options.group_leader
                    : parent             ? parent->group_leader
                                         : rt.default_group_leader();
  p->trap_exit = options.trap_exit;
  if (options.initial_call) p->extension().initial_call = *options.initial_call;
  pcb* outer = std::exchange(spawning, p);
  try {
    process_task t = body.call(body.object, p->facade);
    p->root = t.release();
  } catch (...) {
    spawning = outer;
    p->state = run_state::exiting;
    p->gen_ref.fetch_and(~pcb::alive_bit, std::memory_order_acq_rel);
    p->mailbox.close();
    rt.process_exited();
    rt.release(p);
    throw;
  }
  spawning = outer;
  p->resume_point = p->root;
  p->closure = keep_alive.release();

  const pid child = rt.pid_of(p);
  spawned result{child, std::nullopt};
  if (options.link && parent) {
    const pid par = rt.pid_of(parent);
    parent->extension().links.insert(child);
    p->extension().links.insert(par);
  }
  if (options.link_to) {
    const pid& other = *options.link_to;
    p->extension().links.insert(other);
    switch (rt.classify(other)) {
      case runtime_impl::where::local: rt.signal(other, new link_node(signal_kind::link, child)); break;
      case runtime_impl::where::remote: rt.note_remote(p, other.node); break;
      case runtime_impl::where::stale: rt.signal(child, new exit_node(other, atoms::noproc, true)); break;
    }
  }
  if (options.monitor && parent) {
    reference ref = rt.make_ref();
    parent->extension().monitors[ref] = monitor_entry{child, term(child), term(), rt.node()};
    p->extension().monitored_by[ref] = watcher_entry{rt.pid_of(parent), term(child)};
    result.monitor = ref;
  }
  if (options.monitored_by) {
    const auto& [watcher, ref] = *options.monitored_by;
    p->extension().monitored_by[ref] = watcher_entry{watcher, term(child)};
    if (rt.classify(watcher) == runtime_impl::where::remote) rt.note_remote(p, watcher.node);
  }
  if (before) before->call(before->object, child);
  rt.sched().schedule_new(p);
  return result;
}

}  // namespace otpp::detail

// ---- basic_process ---------------------------------------------------------------------------

namespace otpp {

using detail::pcb;
using detail::runtime_impl;

pid basic_process::self() const noexcept { return pcb_->rt->pid_of(pcb_); }
const term& basic_process::self_term() const {
  term& t = pcb_->extension().self_term;
  const pid me = self();
  if (t.is_nil() || t.pid_value() != me) t = term(me);  // made again if the node got a name since
  return t;
}
runtime& basic_process::rt() const noexcept { return pcb_->rt->owner; }
detail::runtime_impl& basic_process::impl() const noexcept { return *pcb_->rt; }

void basic_process::send(const pid& to, term msg) const { pcb_->rt->send_message(pcb_, to, std::move(msg)); }
bool basic_process::send(atom name, term msg) const { return pcb_->rt->send_named(pcb_, name, std::move(msg)); }
void basic_process::send(atom name, atom node, term msg) const {
  pcb_->rt->send_named_remote(pcb_, name, node, std::move(msg));
}
void basic_process::send(const reference& alias, term msg) const { pcb_->rt->send_alias(pcb_, alias, std::move(msg)); }

void basic_process::link(const pid& to) {
  runtime_impl& rt = *pcb_->rt;
  const pid me = self();
  if (to == me) return;
  auto where = rt.classify(to);
  if (!pcb_->extension().links.insert(to).second) return;
  switch (where) {
    case runtime_impl::where::local: rt.signal(to, new detail::link_node(detail::signal_kind::link, me)); break;
    case runtime_impl::where::stale: rt.signal(me, new detail::exit_node(to, atoms::noproc, true)); break;
    case runtime_impl::where::remote:
      rt.note_remote(pcb_, to.node);
      if (distribution* d = rt.dist()) {
        d->link(me, to);
      } else {
        rt.signal(me, new detail::exit_node(to, atoms::noconnection, true));
      }
      break;
  }
}

void basic_process::unlink(const pid& to) {
  runtime_impl& rt = *pcb_->rt;
  if (!pcb_->ext || pcb_->ext->links.erase(to) == 0) return;
  const pid me = self();
  switch (rt.classify(to)) {
    case runtime_impl::where::local: rt.signal(to, new detail::link_node(detail::signal_kind::unlink, me)); break;
    case runtime_impl::where::remote:
      if (distribution* d = rt.dist()) {
        static std::atomic<std::uint64_t> unlink_ids{0};
        d->unlink(me, to, unlink_ids.fetch_add(1, std::memory_order_relaxed) + 1);
      }
      break;
    case runtime_impl::where::stale: break;
  }
}

reference basic_process::monitor(const pid& target) {
  runtime_impl& rt = *pcb_->rt;
  const pid me = self();
  reference ref = rt.make_ref();
  auto& monitors = pcb_->extension().monitors;
  switch (rt.classify(target)) {
    case runtime_impl::where::local:
      // No terms made: DOWN shows the pid, and only a remote watcher needs its own naming.
      monitors[ref] = detail::monitor_entry{target, term(), term(), rt.node()};
      rt.signal(target, new detail::monitor_node(detail::signal_kind::monitor, me, ref, term()));
      break;
    case runtime_impl::where::stale:
      monitors[ref] = detail::monitor_entry{pid{}, term(target), term(), rt.node()};
      rt.signal(me, new detail::down_node(ref, atoms::noproc, term()));
      break;
    case runtime_impl::where::remote:
      monitors[ref] = detail::monitor_entry{target, term(target), term(target), target.node};
      rt.note_remote(pcb_, target.node);
      if (distribution* d = rt.dist()) {
        d->monitor(me, term(target), target.node, ref);
      } else {
        rt.signal(me, new detail::down_node(ref, atoms::noconnection, term()));
      }
      break;
  }
  return ref;
}

reference basic_process::monitor(atom name) { return monitor(name, pcb_->rt->node()); }

reference basic_process::monitor(atom name, atom node) {
  runtime_impl& rt = *pcb_->rt;
  const pid me = self();
  reference ref = rt.make_ref();
  auto& monitors = pcb_->extension().monitors;
  term shown = tuple_of(name, node);
  if (rt.is_local_node(node)) {
    auto target = rt.whereis(name);
    if (!target) {
      monitors[ref] = detail::monitor_entry{pid{}, shown, term(), node};
      rt.signal(me, new detail::down_node(ref, atoms::noproc, term()));
    } else {
      monitors[ref] = detail::monitor_entry{*target, shown, term(), node};
      rt.signal(*target, new detail::monitor_node(detail::signal_kind::monitor, me, ref, term(name)));
    }
    return ref;
  }
  monitors[ref] = detail::monitor_entry{pid{}, shown, term(name), node};
  rt.note_remote(pcb_, node);
  if (distribution* d = rt.dist()) {
    d->monitor(me, term(name), node, ref);
  } else {
    rt.signal(me, new detail::down_node(ref, atoms::noconnection, term()));
  }
  return ref;
}

bool basic_process::demonitor(const reference& ref, bool flush) {
  runtime_impl& rt = *pcb_->rt;
  bool active = false;
  if (pcb_->ext) {
    auto it = pcb_->ext->monitors.find(ref);
    if (it != pcb_->ext->monitors.end()) {
      active = true;
      detail::monitor_entry m = std::move(it->second);
      pcb_->ext->monitors.erase(it);
      const pid me = self();
      if (rt.is_local_node(m.node)) {
        if (m.target.id != 0 || m.target.serial != 0) {
          rt.signal(m.target, new detail::monitor_node(detail::signal_kind::demonitor, me, ref, term()));
        }
      } else if (distribution* d = rt.dist()) {
        d->demonitor(me, m.remote_target, m.node, ref);
      }
    }
  }
  if (flush) {
    detail::drain(pcb_);
    detail::mail_node** link = &pcb_->queue_head;
    while (detail::mail_node* n = *link) {
      const term& msg = static_cast<detail::message_node*>(n)->msg;
      if (msg.is_tagged_tuple(atoms::DOWN, 5) && msg[1].is_reference() && msg[1].reference_value() == ref) {
        *link = n->next;
        if (pcb_->queue_tail == &n->next) pcb_->queue_tail = link;
        --pcb_->queue_len;
        delete static_cast<detail::message_node*>(n);
        continue;
      }
      link = &n->next;
    }
    pcb_->save = &pcb_->queue_head;
  }
  return active;
}

void process::exit_on_return(term reason) { pcb_->extension().return_reason = std::move(reason); }

void basic_process::exit(const pid& to, term reason) const { pcb_->rt->send_exit(self(), to, std::move(reason), false); }

bool basic_process::trap_exit(bool on) { return std::exchange(pcb_->trap_exit, on); }
bool basic_process::trap_exit() const { return pcb_->trap_exit; }
void basic_process::set_current_function(term mfa) {
  pcb_->extension().current_function = std::move(mfa);
}

pid basic_process::group_leader() const { return pcb_->group_leader; }
void basic_process::group_leader(const pid& leader) { pcb_->group_leader = leader; }
void basic_process::group_leader(const pid& leader, const pid& of) const {
  runtime_impl& rt = *pcb_->rt;
  if (of == self()) {
    pcb_->group_leader = leader;
    return;
  }
  switch (rt.classify(of)) {
    case runtime_impl::where::local: rt.signal(of, new detail::group_leader_node(leader)); break;
    case runtime_impl::where::remote:
      if (distribution* d = rt.dist()) d->group_leader(self(), of, leader);
      break;
    case runtime_impl::where::stale: break;
  }
}

reference basic_process::make_ref() const { return pcb_->rt->make_ref(); }

reference basic_process::alias(bool reply_once) {
  reference ref = pcb_->rt->make_alias_ref(pcb_);
  pcb_->extension().aliases.push_back(detail::alias_entry{ref, reply_once});
  return ref;
}

bool basic_process::unalias(const reference& a) {
  if (!pcb_->ext) return false;
  auto& aliases = pcb_->ext->aliases;
  // The newest first: a call unaliases the alias it made last.
  for (auto it = aliases.rbegin(); it != aliases.rend(); ++it) {
    if (it->ref == a) {
      aliases.erase(std::next(it).base());
      return true;
    }
  }
  return false;
}

bool basic_process::register_name(atom name) { return pcb_->rt->register_name(name, self()); }

reference basic_process::send_after(std::chrono::milliseconds delay, const pid& to, term msg) const {
  return pcb_->rt->start_send_timer(delay, to, std::move(msg), false);
}
reference basic_process::start_timer(std::chrono::milliseconds delay, const pid& to, term msg) const {
  return pcb_->rt->start_send_timer(delay, to, std::move(msg), true);
}
std::optional<std::chrono::milliseconds> basic_process::cancel_timer(const reference& timer) const {
  return pcb_->rt->cancel_timer(timer);
}

std::vector<term> basic_process::flush() {
  detail::drain(pcb_);
  std::vector<term> out;
  out.reserve(pcb_->queue_len);
  detail::mail_node* n = pcb_->queue_head;
  while (n) {
    detail::mail_node* next = n->next;
    out.push_back(std::move(static_cast<detail::message_node*>(n)->msg));
    delete static_cast<detail::message_node*>(n);
    n = next;
  }
  pcb_->queue_head = nullptr;
  pcb_->queue_tail = &pcb_->queue_head;
  pcb_->save = &pcb_->queue_head;
  pcb_->queue_len = 0;
  return out;
}

std::size_t basic_process::message_queue_len() {
  detail::drain(pcb_);
  return pcb_->queue_len;
}

bool basic_process::is_alive(const pid& p) const { return pcb_->rt->is_alive(p); }

term basic_process::put(term key, term value) {
  auto& d = pcb_->extension().dictionary;
  auto [it, added] = d.try_emplace(std::move(key), value);
  if (added) return atoms::undefined;
  return std::exchange(it->second, std::move(value));
}

term basic_process::get(const term& key) const {
  if (!pcb_->ext) return atoms::undefined;
  auto it = pcb_->ext->dictionary.find(key);
  return it == pcb_->ext->dictionary.end() ? term(atoms::undefined) : it->second;
}

term basic_process::dictionary() const {
  std::vector<term> out;
  if (pcb_->ext) {
    out.reserve(pcb_->ext->dictionary.size());
    for (const auto& [k, v] : pcb_->ext->dictionary) out.push_back(tuple_of(k, v));
  }
  return term::list(std::move(out));
}

term basic_process::get_keys() const {
  std::vector<term> out;
  if (pcb_->ext) {
    for (const auto& [k, v] : pcb_->ext->dictionary) out.push_back(k);
  }
  return term::list(std::move(out));
}

term basic_process::get_keys(const term& value) const {
  std::vector<term> out;
  if (pcb_->ext) {
    for (const auto& [k, v] : pcb_->ext->dictionary)
      if (exact_equal(v, value)) out.push_back(k);
  }
  return term::list(std::move(out));
}

term basic_process::erase(const term& key) {
  if (!pcb_->ext) return atoms::undefined;
  auto it = pcb_->ext->dictionary.find(key);
  if (it == pcb_->ext->dictionary.end()) return atoms::undefined;
  term old = std::move(it->second);
  pcb_->ext->dictionary.erase(it);
  return old;
}

term basic_process::erase_dictionary() {
  term all = dictionary();
  if (pcb_->ext) pcb_->ext->dictionary.clear();
  return all;
}

}  // namespace otpp
