// Remote spawn as ordinary signals (erts' spawn_request/spawn_reply): the runtime starts the
// process a SPAWN_REQUEST asks for and answers before it runs, and a requester's runtime
// makes the link and the monitor its request asked for when the reply arrives.
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "otpp/runtime/process.hpp"
#include "otpp/runtime/runtime.hpp"
#include "runtime/pcb.hpp"
#include "runtime/runtime_impl.hpp"

namespace otpp::detail {

namespace {

const atom& a_spawn_reply() {
  static const atom a("spawn_reply");
  return a;
}

bool wants(spawn_reply_mode mode, bool ok) {
  switch (mode) {
    case spawn_reply_mode::yes: return true;
    case spawn_reply_mode::error_only: return !ok;
    case spawn_reply_mode::success_only: return ok;
    case spawn_reply_mode::no: return false;
  }
  return true;
}

void append_reply(pcb* p, const reference& req_id, bool ok, term result) {
  p->append(new message_node(
      term::tuple({a_spawn_reply(), req_id, ok ? atoms::ok : atoms::error, std::move(result)})));
}

}  // namespace

void handle_spawn_reply(pcb* p, const spawn_reply_node& r) {
  runtime_impl& rt = *p->rt;
  auto* x = p->ext;
  auto it = x ? x->spawn_requests.find(r.req_id) : decltype(x->spawn_requests.end()){};
  if (!x || it == x->spawn_requests.end()) {
    rt.release_spawned(rt.pid_of(p), r, atom("abandoned"));
    return;
  }
  const spawn_reply_mode mode = it->second.reply;
  x->spawn_requests.erase(it);
  if (!r.result.is_pid()) {
    if (wants(mode, false)) append_reply(p, r.req_id, false, r.result);
    return;
  }
  const pid child = r.result.pid_value();
  if (r.link) x->links.insert(child);
  if (r.monitor) {
    const bool remote = rt.classify(child) == runtime_impl::where::remote;
    x->monitors[r.req_id] =
        monitor_entry{child, term(child), remote ? term(child) : term(), remote ? child.node : rt.node()};
  }
  if (wants(mode, true)) append_reply(p, r.req_id, true, r.result);
}

void fail_spawn_requests(pcb* p, atom node) {
  if (!p->ext) return;
  auto& pending = p->ext->spawn_requests;
  for (auto it = pending.begin(); it != pending.end();) {
    if (it->second.node == node) {
      if (wants(it->second.reply, false)) append_reply(p, it->first, false, atoms::noconnection);
      it = pending.erase(it);
    } else {
      ++it;
    }
  }
}

void runtime_impl::release_spawned(const pid& requester, const spawn_reply_node& r, atom why) {
  if (!r.result.is_pid()) return;
  const pid child = r.result.pid_value();
  if (r.link) send_exit(requester, child, why, true);
  if (!r.monitor) return;
  switch (classify(child)) {
    case where::local:
      signal(child, new monitor_node(signal_kind::demonitor, requester, r.req_id, term(child)));
      break;
    case where::remote:
      if (distribution* d = dist()) d->demonitor(requester, term(child), child.node, r.req_id);
      break;
    case where::stale: break;
  }
}

void runtime_impl::set_spawn_hook(spawn_hook hook) {
  std::unique_lock lock(spawn_hook_mutex_);
  spawn_hook_ = std::move(hook);
}

void runtime_impl::reply_to_spawn(const pid& to, const reference& req_id, term result, bool link,
                                  bool monitor) {
  if (classify(to) == where::remote) {
    if (distribution* d = dist()) d->spawn_reply(to, req_id, std::move(result), link, monitor);
    return;
  }
  signal(to, new spawn_reply_node(req_id, std::move(result), link, monitor));
}

void runtime_impl::spawn_request(remote_spawn_request r) {
  static const atom notsup("notsup"), badarg("badarg");
  if (!r.args.is_proper_list()) {
    reply_to_spawn(r.from, r.req_id, badarg, false, false);
    return;
  }
  spawn_body body;
  {
    std::shared_lock lock(spawn_hook_mutex_);
    if (spawn_hook_) body = spawn_hook_(r);
  }
  if (!body) {
    reply_to_spawn(r.from, r.req_id, notsup, false, false);
    return;
  }
  spawn_options o;
  o.group_leader = r.group_leader;
  o.initial_call = term::tuple(
      {r.module, r.function, term(static_cast<std::int64_t>(r.args.list_elements().size()))});
  if (r.link) o.link_to = r.from;
  if (r.monitor) o.monitored_by = std::pair{r.from, r.req_id};
  // The reply leaves once the process is complete and before it can run: everything it sends
  // (its exit included) travels behind the reply, and its link and monitor already exist.
  struct answer {
    runtime_impl* rt;
    const remote_spawn_request* r;
  } a{this, &r};
  before_run reply{&a, [](void* o, const pid& child) {
                     auto* a = static_cast<answer*>(o);
                     a->rt->reply_to_spawn(a->r->from, a->r->req_id, term(child), a->r->link,
                                           a->r->monitor);
                   }};
  auto keep = std::make_unique<closure<spawn_body>>(std::move(body));
  body_ref call{&keep->fn, [](void* f, process& self) { return (*static_cast<spawn_body*>(f))(self); }};
  try {
    (void)spawn_process(*this, nullptr, o, call, std::move(keep), &reply);
  } catch (const std::exception&) {
    reply_to_spawn(r.from, r.req_id, atoms::system_limit, false, false);
  }
}

void runtime_impl::spawn_reply(const pid& to, const reference& req_id, term result, bool link,
                               bool monitor) {
  if (classify(to) != where::local) return;
  signal(to, new spawn_reply_node(req_id, std::move(result), link, monitor));
}

}  // namespace otpp::detail

namespace otpp {

using detail::pcb;
using detail::runtime_impl;

reference basic_process::spawn_request(atom node, atom module, atom function, term args,
                                       const spawn_request_options& options) {
  runtime_impl& rt = *pcb_->rt;
  remote_spawn_request r;
  r.req_id = rt.make_ref();
  r.from = self();
  r.group_leader = pcb_->group_leader;
  r.module = module;
  r.function = function;
  r.args = std::move(args);
  std::vector<term> opts;
  if (options.link) opts.emplace_back(atoms::link);
  if (options.monitor) opts.emplace_back(atoms::monitor);
  r.opts = term::list(std::move(opts));
  r.link = options.link;
  r.monitor = options.monitor;
  const reference id = r.req_id;
  const bool here = rt.is_local_node(node);
  pcb_->extension().spawn_requests[id] = detail::pending_spawn{here ? rt.node() : node, options.reply};
  if (here) {
    rt.spawn_request(std::move(r));
    return id;
  }
  rt.note_remote(pcb_, node);
  if (distribution* d = rt.dist()) {
    d->spawn_request(node, r);
  } else {
    rt.signal(r.from, new detail::spawn_reply_node(id, atoms::noconnection, false, false));
  }
  return id;
}

bool basic_process::spawn_request_abandon(const reference& req_id) {
  return pcb_->ext && pcb_->ext->spawn_requests.erase(req_id) > 0;
}

}  // namespace otpp
