// The distribution engine (see engine.hpp): starting and stopping it, the signals the
// runtime hands it (out to the peer's connection), and the control messages that arrive
// (in to the runtime's remote_signals). The node table, one connection, the I/O driver and
// net_kernel live in their own files (engine_impl.hpp says how they share state).
#include <algorithm>
#include <future>

#include "engine_impl.hpp"

namespace otpp::dist {

engine::engine(engine_options options) : options_(std::move(options)), impl_(std::make_unique<impl>(*this)) {}

engine::~engine() { stop(); }

void engine::set_remote_signals(remote_signals* sink) { impl_->sink = sink; }
void engine::set_reference_factory(std::function<reference()> make_ref) { impl_->make_ref_fn = std::move(make_ref); }

void engine::set_closure_policy_factory(closure_policy_factory factory) {
  std::lock_guard lock(impl_->callbacks_mu);
  impl_->closure_policies = std::move(factory);
}

void engine::release_closures(atom node, std::uint64_t connection, bool learned) {
  auto p = impl_->find_peer(node);
  if (!p) return;
  std::size_t waited = 0;
  {
    std::lock_guard lock(p->mu);
    if (!p->gate || p->gate->connection != connection) return;
    waited = impl_->open_gate_locked(*p);
  }
  if (!learned && waited > 0)
    impl_->log("the erl_eval identity of " + std::string(node.name()) + " is not known (it did not answer as a " +
               "BEAM node does): " + std::to_string(waited) + " waiting message(s) go with funs carrying this node's own");
}

void engine::pass_closure_gate(atom node, std::uint64_t connection, const pid& sender) {
  auto p = impl_->find_peer(node);
  if (!p) return;
  std::lock_guard lock(p->mu);
  if (p->gate && p->gate->connection == connection) p->gate->passing.push_back(sender);
}

void engine::impl::enqueue_gated_locked(peer& p, const pid* sender, deferred_signal encode) {
  closure_gate& g = *p.gate;
  const bool passes = sender && std::find(g.passing.begin(), g.passing.end(), *sender) != g.passing.end();
  // Behind a waiting frame everything waits (a message must not overtake an earlier one),
  // but for the learner's own, which the waiting ones wait for.
  if (!g.waiting.empty() && !passes) {
    g.waiting.push_back(std::move(encode));
    return;
  }
  const std::uint64_t f = p.flags;
  if (!p.out.add([&](bytes& out) { return encode(out, f); }, &g.must_wait)) {
    g.waiting.push_back(std::move(encode));
    return;
  }
  schedule_write_locked(p);
}

std::size_t engine::impl::open_gate_locked(peer& p) {
  auto waiting = std::move(p.gate->waiting);
  p.gate.reset();
  for (auto& d : waiting) p.out.add([&](bytes& out) { return d(out, p.flags); });
  if (!p.out.empty()) schedule_write_locked(p);
  return waiting.size();
}

bool engine::runs_embedded_epmd() const noexcept { return impl_->epmd != nullptr; }

result<success> engine::start() {
  auto& m = *impl_;
  if (m.thread.joinable()) return failure{"already started"};
  auto nn = make_node_name(options_.name, options_.names);
  if (!nn) return failure{nn.error()};
  auto node_atom = atom::try_make(nn->full());
  if (!node_atom) return failure{"invalid node name '" + nn->full() + "'"};
  name_ = *node_atom;
  if (options_.cookie) {
    cookie_ = *options_.cookie;
  } else {
    auto c = default_cookie();
    if (!c) return failure{c.error()};
    cookie_ = *c;
  }
  epmd_port_ = options_.epmd_port.value_or(epmd_port_from_env());
  if (options_.tls) {
    auto ctx = detail::tls_context::make(*options_.tls);
    if (!ctx) return failure{"TLS distribution: " + ctx.error()};
    m.tls = std::move(ctx.value());
  }

  // Listen first: the port goes into the registration.
  asio::error_code ec;
  auto address = asio::ip::make_address(options_.listen_address, ec);
  if (ec) return failure{"bad listen address '" + options_.listen_address + "'"};
  tcp::endpoint ep(address, options_.listen_port);
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failure{"cannot listen on port " + std::to_string(options_.listen_port) + ": " + ec.message()};
  port_ = m.acceptor.local_endpoint().port();

  // Register with the port mapper, starting the embedded one when nobody answers.
  epmd_address at{"127.0.0.1", epmd_port_, std::chrono::milliseconds(3000)};
  epmd_node me{nn->alive, port_, static_cast<std::uint8_t>(options_.hidden ? 72 : 77), 0, 6, 6, ""};
  auto reg = epmd_registration::register_node(at, me);
  if (!reg && options_.embedded_epmd && !epmd_reachable(at)) {
    epmd_server_options so;
    so.bind_address = options_.listen_address;
    so.port = epmd_port_;
    so.log = options_.log;
    so.quiet = true;
    auto server = epmd_server::start(so);
    if (server) m.epmd = std::move(server.value());
    // If another process won the race to the port, its port mapper serves us just as well.
    reg = epmd_registration::register_node(at, me);
  }
  if (!reg) {
    m.acceptor.close(ec);
    m.epmd.reset();
    return failure{"cannot register '" + nn->alive + "' with the port mapper on port " +
                   std::to_string(epmd_port_) + ": " + reg.error()};
  }
  creation_ = reg->creation();
  m.registration.emplace(std::move(reg.value()));

  m.work.emplace(m.io.get_executor());
  asio::co_spawn(m.io, m.accept_loop(), asio::detached);
  std::promise<void> running;
  m.thread = std::thread([&m, &running] {
    running.set_value();
    m.driver.run_io_thread();
  });
  running.get_future().wait();
  return success{};
}

void engine::stop() {
  auto& m = *impl_;
  if (!m.thread.joinable()) {
    m.registration.reset();
    m.epmd.reset();
    return;
  }
  m.stopping = true;
  m.driver.stop_polling();
  asio::post(m.io, [&m] {
    asio::error_code ignored;
    m.acceptor.close(ignored);
    std::vector<std::shared_ptr<peer>> all;
    {
      std::shared_lock lock(m.peers_mu);
      for (auto& [n, p] : m.peers) all.push_back(p);
    }
    for (auto& p : all) {
      std::shared_ptr<connection> c;
      {
        std::lock_guard lock(p->mu);
        c = p->conn;
        p->st = peer::state::idle;
        p->out.clear();
        p->deferred.clear();
        p->gate.reset();
      }
      if (c) c->close("node stopping");
      if (p->attempt_socket) p->attempt_socket->close(ignored);
      for (auto& w : p->connect_waiters) w(false);
      p->connect_waiters.clear();
    }
    for (auto& [k, ping] : m.pings) {
      ping.timer->cancel();
      ping.done(atoms::pang);
    }
    m.pings.clear();
    m.work.reset();
    m.io.stop();  // timers still pending (setup deadlines) are dropped, not waited for
  });
  m.thread.join();
  // Let aborted operations finish (they see `stopping` and do nothing more).
  {
    std::lock_guard lk(m.driver.drive_mu);
    driving_scope scope(&m);
    m.io.restart();
    m.io.poll();
  }
  {
    std::unique_lock lock(m.peers_mu);
    m.peers.clear();
  }
  m.registration.reset();
  m.epmd.reset();
}

// =============================================================================================
// Arriving signals
// =============================================================================================

void engine::impl::dispatch(connection& c, control_signal&& s) {
  const auto& p = c.pr;
  std::visit(
      [&](auto&& sig) {
        using T = std::decay_t<decltype(sig)>;
        if constexpr (std::is_same_v<T, signal::send>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sig.to.id == 0 && sig.to.serial == 0) {
            // The engine's own pid: replies to its gen_calls (net_kernel answers the
            // caller's pid rather than the alias in the tag).
            const term& m = sig.message;
            if (m.is_tuple() && m.tuple_size() == 2) {
              const term& tag = m[0];
              if (tag.is_reference()) return finish_ping(tag.reference_value(), m[1]);
              if (tag.is_list() && !tag.is_nil() && tag.list_tail().is_reference())
                return finish_ping(tag.list_tail().reference_value(), m[1]);
            }
            return;
          }
          if (sink) sink->deliver(sig.to, std::move(sig.message));
        } else if constexpr (std::is_same_v<T, signal::reg_send>) {
          if (sig.name == atoms::net_kernel) return handle_net_kernel(p, sig.message);
          if (sink) sink->deliver_named(sig.name, std::move(sig.message));
        } else if constexpr (std::is_same_v<T, signal::alias_send>) {
          if (pings.count(ref_key(sig.alias))) {
            const term& m = sig.message;
            return finish_ping(sig.alias, m.is_tuple() && m.tuple_size() == 2 ? m[1] : term());
          }
          if (sink) sink->deliver_alias(sig.alias, std::move(sig.message));
        } else if constexpr (std::is_same_v<T, signal::link>) {
          if (!is_local(sig.to)) return;
          if (stale(sig.to)) {
            // A pid of an earlier incarnation: it is dead, say so as a dead process would.
            post_signal(p->name, engine_pid(), [from = sig.to, to = sig.from](bytes& out, std::uint64_t f) {
              return encode::exit(out, f, from, to, atoms::noproc, false);
            });
            return;
          }
          if (sink) sink->link(sig.from, sig.to);
        } else if constexpr (std::is_same_v<T, signal::unlink>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink) sink->unlink(sig.from, sig.to, sig.id);
        } else if constexpr (std::is_same_v<T, signal::unlink_ack>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink) sink->unlink_ack(sig.from, sig.to, sig.id);
        } else if constexpr (std::is_same_v<T, signal::exit>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink) sink->exit(sig.from, sig.to, std::move(sig.reason), sig.is_exit2);
        } else if constexpr (std::is_same_v<T, signal::exit_via>) {
          if (sig.target.is_reference() && sig.target.reference_value().node != self.name_) return;
          if (sink) sink->exit_via(sig.from, sig.target, std::move(sig.reason));
        } else if constexpr (std::is_same_v<T, signal::monitor>) {
          // net_kernel is the engine itself: it exists for as long as the connection does.
          if (sig.target.is_atom(atoms::net_kernel)) return;
          if (sig.target.is_pid() && (!is_local(sig.target.pid_value()) || stale(sig.target.pid_value()))) {
            post_signal(p->name, engine_pid(), [target = sig.target, watcher = sig.watcher, ref = sig.ref](bytes& out, std::uint64_t f) {
              return encode::monitor_exit(out, f, target, watcher, ref, atoms::noproc);
            });
            return;
          }
          if (sink) sink->monitor(sig.watcher, sig.target, sig.ref);
        } else if constexpr (std::is_same_v<T, signal::demonitor>) {
          if (sig.target.is_atom(atoms::net_kernel)) return;
          if (sink) sink->demonitor(sig.watcher, sig.target, sig.ref);
        } else if constexpr (std::is_same_v<T, signal::monitor_exit>) {
          if (!is_local(sig.watcher) || stale(sig.watcher)) return;
          term target = sig.target.is_atom() ? tuple_of(sig.target, p->name) : sig.target;
          if (sink) sink->monitor_down(sig.watcher, target, sig.ref, std::move(sig.reason));
        } else if constexpr (std::is_same_v<T, signal::group_leader>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink) sink->group_leader(sig.leader, sig.to, sig.leader);
        } else if constexpr (std::is_same_v<T, signal::spawn_request>) {
          handle_spawn_request(std::move(sig));
        } else if constexpr (std::is_same_v<T, signal::spawn_reply>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink)
            sink->spawn_reply(sig.to, sig.req_id, std::move(sig.result), (sig.flags & spawn_reply_link) != 0,
                              (sig.flags & spawn_reply_monitor) != 0);
        } else {
          // NODE_LINK: nothing to do.
        }
      },
      std::move(s));
}

void engine::impl::handle_spawn_request(signal::spawn_request&& r) {
  remote_spawn_request req;
  req.req_id = r.req_id;
  req.from = r.from;
  req.group_leader = r.group_leader;
  req.module = r.module;
  req.function = r.function;
  req.args = std::move(r.args);
  req.opts = r.opts;
  for (const term& o : r.opts.list_elements()) {
    if (o.is_atom(atoms::link)) req.link = true;
    if (o.is_atom(atoms::monitor)) req.monitor = true;
  }
  if (sink) sink->spawn_request(std::move(req));
  else self.spawn_reply(req.from, req.req_id, atom("notsup"), false, false);
}

// =============================================================================================
// Outgoing signals: otpp::distribution (thread-safe, never blocks)
// =============================================================================================

void engine::send(const pid& from, const pid& to, term msg) {
  if (to.node == name_) {
    if (impl_->sink) impl_->sink->deliver(to, std::move(msg));
    return;
  }
  impl_->post_signal(to.node, from, [from, to, msg = std::move(msg)](bytes& out, std::uint64_t f) {
    return encode::send(out, f, from, to, msg);
  });
}

void engine::send_named(const pid& from, atom name, atom node, term msg) {
  if (node == name_) {
    if (impl_->sink) impl_->sink->deliver_named(name, std::move(msg));
    return;
  }
  impl_->post_signal(node, from, [from, name, msg = std::move(msg)](bytes& out, std::uint64_t) {
    return encode::reg_send(out, from, name, msg);
  });
}

void engine::send_alias(const pid& from, const reference& alias, term msg) {
  if (alias.node == name_) {
    if (impl_->sink) impl_->sink->deliver_alias(alias, std::move(msg));
    return;
  }
  impl_->post_signal(alias.node, from, [from, alias, msg = std::move(msg)](bytes& out, std::uint64_t f) {
    return encode::alias_send(out, f, from, alias, msg);
  });
}

void engine::link(const pid& from, const pid& to) {
  impl_->post_signal(to.node, from, [from, to](bytes& out, std::uint64_t) { return encode::link(out, from, to); });
}

void engine::unlink(const pid& from, const pid& to, std::uint64_t id) {
  impl_->post_signal(to.node, from, [from, to, id](bytes& out, std::uint64_t f) { return encode::unlink(out, f, from, to, id); });
}

void engine::unlink_ack(const pid& from, const pid& to, std::uint64_t id) {
  impl_->post_signal(to.node, from, [from, to, id](bytes& out, std::uint64_t) { return encode::unlink_ack(out, from, to, id); });
}

void engine::exit(const pid& from, const pid& to, term reason, bool is_exit2) {
  impl_->post_signal(to.node, from, [from, to, reason = std::move(reason), is_exit2](bytes& out, std::uint64_t f) {
    return encode::exit(out, f, from, to, reason, is_exit2);
  });
}

void engine::hold_writes() { ++held.depth; }

void engine::release_writes() {
  if (held.depth == 0 || --held.depth > 0) return;
  auto peers = std::move(held.peers);
  held.peers.clear();
  for (auto& [e, p] : peers) {
    std::lock_guard lock(p->mu);
    if (!p->out.empty()) e->schedule_write_locked(*p);
  }
}

void engine::monitor(const pid& watcher, const term& target, atom node, const reference& ref) {
  impl_->post_signal(node, watcher, [watcher, target, ref](bytes& out, std::uint64_t) { return encode::monitor(out, watcher, target, ref); });
}

void engine::demonitor(const pid& watcher, const term& target, atom node, const reference& ref) {
  impl_->post_signal(node, watcher, [watcher, target, ref](bytes& out, std::uint64_t) { return encode::demonitor(out, watcher, target, ref); });
}

void engine::monitor_exit(const term& target, const pid& watcher, const reference& ref, term reason) {
  impl_->post_signal(watcher.node, target.is_pid() ? target.pid_value() : impl_->engine_pid(), [target, watcher, ref, reason = std::move(reason)](bytes& out, std::uint64_t f) {
    return encode::monitor_exit(out, f, target, watcher, ref, reason);
  });
}

void engine::group_leader(const pid& from, const pid& to, const pid& leader) {
  impl_->post_signal(to.node, from, [to, leader](bytes& out, std::uint64_t) { return encode::group_leader(out, leader, to); });
}

void engine::spawn_reply(const pid& to, const reference& req_id, term result, bool link, bool monitor) {
  std::uint32_t flags = 0;
  if (result.is_pid()) {
    if (link) flags |= spawn_reply_link;
    if (monitor) flags |= spawn_reply_monitor;
  }
  impl_->post_signal(to.node, impl_->engine_pid(), [req_id, to, flags, r = std::move(result)](bytes& out, std::uint64_t) {
    return encode::spawn_reply(out, req_id, to, flags, r);
  });
}

void engine::spawn_request(atom node, const remote_spawn_request& r) {
  auto& m = *impl_;
  if (!valid_peer_name(node) || node == name_ || m.stopping) {
    // Answered as a lost connection would be (this node's own name is the caller's mistake).
    if (m.sink) m.sink->spawn_reply(r.from, r.req_id, node == name_ ? atoms::badarg : atoms::noconnection, false, false);
    return;
  }
  m.post_signal(node, r.from, [req = r.req_id, from = r.from, gl = r.group_leader, module = r.module, function = r.function,
                       args = r.args, opts = r.opts](bytes& out, std::uint64_t) {
    return encode::spawn_request(out, req, from, gl, module, function, args, opts);
  });
}

}  // namespace otpp::dist
