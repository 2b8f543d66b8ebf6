// The node table's side of the engine: which nodes are connected, a node becoming
// unreachable (its links, monitors and pending pings fail), node monitors and observers.
#include <algorithm>

#include "engine_impl.hpp"

namespace otpp::dist {

void engine::impl::fail_peer(const std::shared_ptr<peer>& p, const std::string& reason, bool was_up) {
  std::shared_ptr<connection> old;
  {
    std::lock_guard lock(p->mu);
    old = std::move(p->conn);
    p->conn.reset();
    p->st = peer::state::idle;
    p->deferred.clear();
    p->out.clear();
    p->write_scheduled = false;
    if (old && !old->closed) {
      old->closed = true;
      asio::error_code ignored;
      old->sock.close(ignored);
    }
  }
  p->attempt = 0;
  p->attempt_socket.reset();
  p->waiting_after_nok = false;
  p->inbound_pending = false;
  if (old) old->ticker.cancel();
  if (stopping) return;
  auto waiters = std::move(p->connect_waiters);
  p->connect_waiters.clear();
  for (auto& w : waiters) w(false);
  // Links and monitors across the connection break with noconnection.
  if (sink) sink->node_down(p->name);
  // One-shot node monitors fire whether the node was up or could not be reached.
  auto monitors = std::move(p->node_monitors);
  p->node_monitors.clear();
  if (sink)
    for (auto& w : monitors) sink->deliver(w, tuple_of(atoms::nodedown, p->name));
  // Pending pings to the node fail (the runtime answers spawn requests on node_down).
  for (auto it = pings.begin(); it != pings.end();) {
    if (it->second.node == p->name) {
      auto done = std::move(it->second.done);
      it->second.timer->cancel();
      it = pings.erase(it);
      done(atoms::pang);
    } else {
      ++it;
    }
  }
  if (was_up) {
    atom why("connection_closed");
    if (reason.find("net_tick_timeout") != std::string::npos) why = atom("net_tick_timeout");
    else if (reason == "disconnect") why = atom("disconnect");
    notify_node(p->name, false, why);
  }
}

void engine::impl::notify_node(atom node, bool up, const term& reason) {
  if (sink)
    for (auto& w : node_subscribers) sink->deliver(w, tuple_of(up ? atoms::nodeup : atoms::nodedown, node));
  std::vector<std::function<void(const node_event&)>> obs;
  {
    std::lock_guard lock(callbacks_mu);
    for (auto& [id, f] : observers) obs.push_back(f);
  }
  node_event ev{node, up, reason};
  for (auto& f : obs) f(ev);
}

bool engine::disconnect(atom node) {
  auto& m = *impl_;
  auto p = m.find_peer(node);
  if (!p) return false;
  {
    std::lock_guard lock(p->mu);
    if (p->st != peer::state::up) return false;
  }
  asio::post(m.io, [p] {
    std::shared_ptr<connection> c;
    {
      std::lock_guard lock(p->mu);
      c = p->conn;
    }
    if (c) c->close("disconnect");
  });
  return true;
}

std::vector<atom> engine::nodes(bool include_hidden) const {
  std::vector<atom> out;
  std::shared_lock lock(impl_->peers_mu);
  for (auto& [n, p] : impl_->peers) {
    std::lock_guard plock(p->mu);
    if (p->st == peer::state::up && (include_hidden || !p->hidden)) out.push_back(n);
  }
  return out;
}

bool engine::is_connected(atom node) const {
  auto p = impl_->find_peer(node);
  if (!p) return false;
  std::lock_guard lock(p->mu);
  return p->st == peer::state::up;
}

void engine::monitor_node(const pid& watcher, atom node, bool on) {
  auto& m = *impl_;
  if (m.stopping || !m.thread.joinable()) return;
  if (!valid_peer_name(node) || node == name_) {
    if (on && node != name_ && m.sink) m.sink->deliver(watcher, tuple_of(atoms::nodedown, node));
    return;
  }
  auto p = m.get_peer(node);
  asio::post(m.io, [&m, p, watcher, on] {
    if (!on) {
      auto& v = p->node_monitors;
      if (auto it = std::find(v.begin(), v.end(), watcher); it != v.end()) v.erase(it);
      return;
    }
    p->node_monitors.push_back(watcher);
    // Like erlang:monitor_node/2: try to connect; failure fires the monitor.
    bool idle = false;
    {
      std::lock_guard lock(p->mu);
      if (p->st == peer::state::idle) {
        p->st = peer::state::connecting;
        idle = true;
      }
    }
    if (idle || (p->attempt == 0 && !p->waiting_after_nok && !p->inbound_pending && !m.is_up(*p)))
      m.start_outgoing(p);
  });
}

void engine::monitor_nodes(const pid& watcher, bool on) {
  auto& m = *impl_;
  asio::post(m.io, [&m, watcher, on] {
    auto& v = m.node_subscribers;
    auto it = std::find(v.begin(), v.end(), watcher);
    if (on && it == v.end()) v.push_back(watcher);
    if (!on && it != v.end()) v.erase(it);
  });
}

std::uint64_t engine::on_node_event(std::function<void(const node_event&)> observer) {
  std::lock_guard lock(impl_->callbacks_mu);
  auto id = impl_->next_observer++;
  impl_->observers.emplace(id, std::move(observer));
  return id;
}

void engine::remove_node_observer(std::uint64_t id) {
  std::lock_guard lock(impl_->callbacks_mu);
  impl_->observers.erase(id);
}

}  // namespace otpp::dist
