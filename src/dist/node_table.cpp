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
    p->gate.reset();
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
  if (sink && !node_subscribers.empty()) {
    bool hidden = false;
    if (auto p = find_peer(node)) {
      std::lock_guard lock(p->mu);
      hidden = p->hidden;
    }
    static const atom a_node_type("node_type"), a_nodedown_reason("nodedown_reason"),
        a_visible("visible"), a_hidden("hidden");
    atom what = up ? atoms::nodeup : atoms::nodedown;
    for (auto& s : node_subscribers) {
      using types = monitor_nodes_options::types;
      const auto& o = s.options;
      if ((o.node_type == types::visible && hidden) || (o.node_type == types::hidden && !hidden)) continue;
      if (!o.with_info) {
        sink->deliver(s.watcher, tuple_of(what, node));
        continue;
      }
      std::vector<term> info;
      // As erts builds it: node_type, then nodedown_reason.
      if (o.node_type_info) info.push_back(tuple_of(a_node_type, hidden ? a_hidden : a_visible));
      if (!up && o.nodedown_reason) info.push_back(tuple_of(a_nodedown_reason, reason));
      if (o.info_map) {
        std::vector<std::pair<term, term>> entries;
        for (auto& kv : info) entries.emplace_back(kv[0], kv[1]);
        sink->deliver(s.watcher, tuple_of(what, node, term::map(std::move(entries))));
      } else {
        sink->deliver(s.watcher, tuple_of(what, node, term::list(std::move(info))));
      }
    }
  }
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

void engine::monitor_nodes(const pid& watcher, bool on) { monitor_nodes(watcher, on, {}); }

void engine::monitor_nodes(const pid& watcher, bool on, monitor_nodes_options options) {
  auto& m = *impl_;
  asio::post(m.io, [&m, watcher, on, options] {
    auto& v = m.node_subscribers;
    auto same = [&](const impl::node_subscriber& s) {
      const auto& o = s.options;
      return s.watcher == watcher && o.node_type == options.node_type &&
             o.nodedown_reason == options.nodedown_reason && o.with_info == options.with_info &&
             o.node_type_info == options.node_type_info && o.info_map == options.info_map;
    };
    auto it = std::find_if(v.begin(), v.end(), same);
    if (on && it == v.end()) v.push_back({watcher, options});
    if (!on && it != v.end()) v.erase(it);
  });
}

std::optional<monitor_nodes_options> engine::parse_monitor_nodes_options(const term& options) {
  static const atom a_node_type("node_type"), a_nodedown_reason("nodedown_reason"), a_visible("visible"),
      a_hidden("hidden"), a_all("all"), a_connection_id("connection_id");
  monitor_nodes_options o;
  o.with_info = true;
  auto one = [&](const term& key, const term& value) {
    if (key.is_atom(a_nodedown_reason)) {
      o.nodedown_reason = value.is_atom(atoms::true_);
      return value.is_atom(atoms::true_) || value.is_atom(atoms::false_);
    }
    if (key.is_atom(a_connection_id)) return true;  // accepted; otpp numbers no connections
    if (!key.is_atom(a_node_type) || !value.is_atom()) return false;
    o.node_type_info = true;
    if (value.is_atom(a_visible)) o.node_type = monitor_nodes_options::types::visible;
    else if (value.is_atom(a_hidden)) o.node_type = monitor_nodes_options::types::hidden;
    else if (value.is_atom(a_all)) o.node_type = monitor_nodes_options::types::all;
    else return false;
    return true;
  };
  if (options.is_map()) {
    o.info_map = true;
    for (auto& [k, v] : options.map_entries())
      if (!one(k, v)) return std::nullopt;
    return o;
  }
  if (!options.is_proper_list()) return std::nullopt;
  if (options.is_nil()) o.with_info = false;  // monitor_nodes(true, []) is monitor_nodes(true)
  for (const term& item : options.list_elements()) {
    bool ok = item.is_atom(a_nodedown_reason) ? one(item, atoms::true_)
              : item.is_tuple() && item.tuple_size() == 2 ? one(item[0], item[1])
                                                          : false;
    if (!ok) return std::nullopt;
  }
  return o;
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
