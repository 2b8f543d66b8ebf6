// The node's global_name_server, speaking OTP 25's global protocol (version 8) with BEAM and
// otpp peers (its locker and registrar are in global_locker.cpp).
//
// How two nodes sync (after nodeup on both sides): each server casts `{init_connect, {8, MyTag},
// Node, {locker, _, Known, TheLocker}}`; on the peer's init_connect the server hands the peer's
// locker to its own locker and answers `{init_connect_ack, Node, HisTag, MyTag}`. One of the two
// lockers sets the lock `{global, lists:sort([LockerA, LockerB])}` on the boss (the greatest known
// node), both nodes and every known node, then casts `{lock_set, Locker, true, Known, HisTag}`
// through the peer's server; the peer's locker sets the same lock and answers alike. With the
// lock held both lockers tell their servers `lock_is_set`; the servers swap name lists
// (`exchange`), resolve conflicts (the node with the smaller name does), swap what they resolved
// (`resolved`), apply it, tell the nodes they already knew (`new_nodes`), and the lockers release
// the lock. A node learnt of that way gets `{in_sync, Node, true}` instead of a sync of its own.
#include "otpp/otp/global.hpp"

#include <algorithm>
#include <mutex>
#include <random>
#include <unordered_map>
#include <utility>

#include "otpp/otp/exports.hpp"
#include "otpp/otp/gen.hpp"
#include "otpp/otp/services.hpp"
#include "otp/global_tables.hpp"

namespace otpp::otp::global {

using namespace detail;

namespace {

// ---- the server ------------------------------------------------------------------------------

struct peer_sync {
  std::optional<term> my_tag;  // set from our nodeup until the sync ends
  std::optional<term> his_tag;
  int vsn = 0;
  bool pending = false;        // init_connect seen, lockers at work
  std::optional<term> pre_connect;  // {Vsn, InitMsg, HisTag} that came before our nodeup
  bool lock_set = false;
  term lock_id;
  std::optional<term> his_names;
  std::optional<term> my_ops;
  std::optional<std::pair<term, term>> his_resolved;  // HisResolved, HisKnown
};

struct sync_waiter {
  gen::from from;
  std::vector<atom> nodes;
};

class name_server {
 public:
  name_server(process& self, node_services& svc, std::shared_ptr<registry> reg)
      : self_(self), svc_(svc), reg_(std::move(reg)), local_(self.rt().node()) {}

  void start() {
    self_.trap_exit(true);
    locker_ = self_.spawn_link(locker, reg_);
    registrar_ = self_.spawn_link(registrar, reg_);
    if (auto* e = svc_.engine()) {
      e->monitor_nodes(self_.self(), true);
      for (atom n : e->nodes()) handle_nodeup(n);
    }
  }

  void handle(const term& msg) {
    if (auto c = gen::parse_call(msg)) return handle_call(c->from, c->request);
    if (auto c = gen::parse_cast(msg)) return handle_cast(*c);
    if (msg.is_tagged_tuple(atoms::nodeup, 2) && msg[1].is_atom()) {
      atom n = msg[1].atom_value();
      if (auto* e = svc_.engine()) {
        auto visible = e->nodes();
        if (std::find(visible.begin(), visible.end(), n) == visible.end()) return;  // hidden
      }
      return handle_nodeup(n);
    }
    if (msg.is_tagged_tuple(atoms::nodedown, 2) && msg[1].is_atom())
      return handle_nodedown(msg[1].atom_value());
    if (msg.is_tagged_tuple(atoms::DOWN, 5) && msg[1].is_reference()) return handle_down(msg[1].reference_value());
    if (msg.is_tagged_tuple(a_init_connect_ack, 4) && msg[1].is_atom()) return init_connect_ack(msg);
    if (msg.is_tagged_tuple(a_cancel_connect, 3) && msg[1].is_atom()) return cancel_connect(msg);
    if (msg.is_tagged_tuple(a_whereis, 3) && msg[2].is_tuple() && msg[2].tuple_size() == 2 &&
        msg[2][0].is_pid()) {
      gen::reply(self_, gen::from{msg[2][0].pid_value(), msg[2][1]}, where(msg[1]));
      return;
    }
    if (msg.is_tagged_tuple(a_prepare_shutdown, 3) && msg[1].is_pid())
      self_.send(msg[1].pid_value(), tuple_of(msg[2], atoms::ok));
    // lost_connection, remove_connection and the rest: prevent_overlapping_partitions is
    // BEAM's business; a connection otpp should drop, the peer drops itself.
  }

 private:
  // -- names ---------------------------------------------------------------------------------
  term where(const term& name) const {
    std::lock_guard lock(reg_->mu);
    auto it = reg_->names.find(name);
    if (it == reg_->names.end()) return atoms::undefined;
    if (it->second.p.node == local_ && !self_.is_alive(it->second.p)) return atoms::undefined;
    return it->second.p;
  }

  term names_list() const {
    std::lock_guard lock(reg_->mu);
    std::vector<term> out;
    for (auto& [n, e] : reg_->names) out.push_back(tuple_of(n, e.p, e.method));
    return term::list(std::move(out));
  }

  void insert_name(const term& name, const pid& p, const term& method) {
    delete_name(name);
    reference mon = self_.monitor(p);
    std::lock_guard lock(reg_->mu);
    reg_->names[name] = name_entry{p, method, mon};
  }

  void delete_name(const term& name) {
    std::optional<reference> mon;
    {
      std::lock_guard lock(reg_->mu);
      auto it = reg_->names.find(name);
      if (it == reg_->names.end()) return;
      mon = it->second.mon;
      reg_->names.erase(it);
    }
    self_.demonitor(*mon, true);
  }

  void do_ops(const term& ops) {
    if (!ops.is_proper_list()) return;
    for (const term& op : ops.list_elements()) {
      if (op.is_tagged_tuple(a_insert, 2) && op[1].is_tuple() && op[1].tuple_size() == 3 &&
          op[1][1].is_pid())
        insert_name(op[1][0], op[1][1].pid_value(), op[1][2]);
      else if (op.is_tagged_tuple(a_delete, 2))
        delete_name(op[1]);
    }
  }

  // The default resolvers, as global:random_exit_name/3 and its siblings decide.
  term resolve(const term& method, const term& name, const pid& p1, const pid& p2) {
    bool p1_first = compare(p1.node, p2.node) < 0;
    const pid& min = p1_first ? p1 : p2;
    const pid& max = p1_first ? p2 : p1;
    std::optional<atom> f;
    if (method.is_fun() && method.fun_content().is_export && method.fun_content().module == a_global)
      f = method.fun_content().function;
    if (f == a_notify_all_name) {
      self_.send(p1, tuple_of(a_global_name_conflict, name, p2));
      self_.send(p2, tuple_of(a_global_name_conflict, name, p1));
      return a_no_fun;  // none
    }
    if (f == a_random_notify_name) {
      self_.send(max, tuple_of(a_global_name_conflict, name));
      return min;
    }
    self_.exit(max, atoms::kill);
    return min;
  }

  // exchange_names/4: what his names change here (ops) and there (resolved).
  std::pair<term, term> exchange_names(const term& his, atom node) {
    std::vector<term> ops, res;
    if (!his.is_proper_list()) return {term(), term()};
    for (const term& e : his.list_elements()) {
      if (!e.is_tuple() || e.tuple_size() != 3 || !e[1].is_pid()) continue;
      const term& name = e[0];
      pid p = e[1].pid_value();
      std::optional<name_entry> mine;
      {
        std::lock_guard lock(reg_->mu);
        if (auto it = reg_->names.find(name); it != reg_->names.end()) mine = it->second;
      }
      if (!mine) {
        ops.push_back(tuple_of(a_insert, e));
      } else if (mine->p == p || compare(local_, node) > 0) {
        continue;  // the same, or the other node resolves
      } else {
        term winner = resolve(mine->method, name, p, mine->p);
        if (winner.is_pid() && winner.pid_value() == p) {
          ops.push_back(tuple_of(a_insert, e));
        } else if (winner.is_pid() && winner.pid_value() == mine->p) {
          res.push_back(tuple_of(a_insert, tuple_of(name, mine->p, mine->method)));
        } else {
          ops.push_back(tuple_of(a_delete, name));
          res.push_back(tuple_of(a_delete, name));
        }
      }
    }
    return {term::list(std::move(ops)), term::list(std::move(res))};
  }

  // -- known nodes -------------------------------------------------------------------------
  term known_list() const {
    std::lock_guard lock(reg_->mu);
    std::vector<term> out;
    for (auto& [n, v] : reg_->known) out.push_back(tuple_of(n, term(static_cast<std::int64_t>(v))));
    return term::list(std::move(out));
  }
  bool is_known(atom n) const {
    std::lock_guard lock(reg_->mu);
    return std::any_of(reg_->known.begin(), reg_->known.end(), [&](auto& k) { return k.first == n; });
  }
  // add_to_known/2: the nodes not known before.
  std::vector<atom> add_to_known(const term& nodes) {
    std::vector<atom> added;
    if (!nodes.is_proper_list()) return added;
    std::lock_guard lock(reg_->mu);
    for (const term& t : nodes.list_elements()) {
      atom n;
      int v = 0;
      if (t.is_atom()) {
        n = t.atom_value();
      } else if (t.is_tuple() && t.tuple_size() == 2 && t[0].is_atom() && t[1].is_small_integer()) {
        n = t[0].atom_value();
        v = static_cast<int>(t[1].small_integer());
      } else {
        continue;
      }
      if (n == local_) continue;
      auto it = std::find_if(reg_->known.begin(), reg_->known.end(), [&](auto& k) { return k.first == n; });
      if (it == reg_->known.end()) {
        reg_->known.emplace_back(n, v);
        added.push_back(n);
      }
    }
    return added;
  }
  void add_synced(atom n) {
    std::lock_guard lock(reg_->mu);
    if (std::find(reg_->synced.begin(), reg_->synced.end(), n) == reg_->synced.end())
      reg_->synced.push_back(n);
  }

  // sync_others/1: connect to the nodes a peer knows, then tell them we are in sync.
  void sync_others(const std::vector<atom>& nodes) {
    auto* e = svc_.engine();
    if (!e) return;
    for (atom n : nodes) {
      if (n == local_) continue;
      runtime* rt = &self_.rt();
      atom me = local_;
      e->connect_async(n, [rt, me, n](bool ok) {
        if (ok) rt->send(a_gns, n, tuple_of(atoms::gen_cast, tuple_of(a_in_sync, me, atoms::true_)));
      });
    }
  }

  void notify_synced(atom node) {
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      std::erase(it->nodes, node);
      if (it->nodes.empty()) {
        gen::reply(self_, it->from, atoms::ok);
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // -- the sync with one peer --------------------------------------------------------------
  void cast_to(atom node, term msg) { self_.send(a_gns, node, tuple_of(atoms::gen_cast, std::move(msg))); }

  void cancel_locker(atom node, const term& tag, term fun = a_no_fun) {
    self_.send(locker_, term::tuple({a_cancel, node, tag, std::move(fun)}));
  }

  void handle_nodeup(atom node) {
    if (node == local_ || is_known(node)) return;
    auto& ps = peers_[node];
    if (ps.my_tag) return;
    std::optional<term> pre = std::move(ps.pre_connect);
    ps = peer_sync{};
    ps.my_tag = term(static_cast<std::int64_t>(++tags_));
    term init = term::tuple({a_locker, a_no_longer_a_pid, term::list({}), locker_});
    cast_to(node, term::tuple({a_init_connect, tuple_of(term(protocol_version), *ps.my_tag), local_, init}));
    if (pre) init_connect(node, (*pre)[0], (*pre)[1], (*pre)[2]);
  }

  void init_connect(atom node, const term& vsn_term, const term& init_msg, const term& his_tag) {
    int vsn = vsn_term.is_small_integer() ? static_cast<int>(vsn_term.small_integer()) : protocol_version;
    auto& ps = peers_[node];
    if (ps.pending) {
      // A second init_connect while we sync: the peer restarted; start over.
      self_.send(a_gns, node, tuple_of(a_cancel_connect, local_, his_tag));
      restart_connect(node);
    }
    auto& p = peers_[node];
    p.vsn = std::min(vsn, protocol_version);
    p.his_tag = his_tag;
    if (!p.my_tag) {
      p.pre_connect = tuple_of(vsn_term, init_msg, his_tag);
      return;
    }
    if (!init_msg.is_tagged_tuple(a_locker, 4) || !init_msg[3].is_pid()) return;
    self_.send(locker_, term::tuple({a_his_the_locker, init_msg[3], node, his_tag, *p.my_tag}));
    self_.send(a_gns, node, term::tuple({a_init_connect_ack, local_, his_tag, *p.my_tag}));
    p.pending = true;
  }

  void restart_connect(atom node) {
    auto it = peers_.find(node);
    if (it != peers_.end()) {
      if (it->second.my_tag) cancel_locker(node, *it->second.my_tag);
      peers_.erase(it);
    }
    handle_nodeup(node);
  }

  void init_connect_ack(const term& msg) {
    atom node = msg[1].atom_value();
    auto it = peers_.find(node);
    if (it == peers_.end()) return;
    auto& ps = it->second;
    bool same = ps.my_tag && ps.his_tag && exact_equal(*ps.my_tag, msg[2]) && exact_equal(*ps.his_tag, msg[3]);
    if (same) return;
    self_.send(a_gns, node, tuple_of(a_cancel_connect, local_, msg[3]));
    restart_connect(node);
  }

  void cancel_connect(const term& msg) {
    atom node = msg[1].atom_value();
    auto it = peers_.find(node);
    if (it == peers_.end() || !it->second.my_tag || !exact_equal(*it->second.my_tag, msg[2])) return;
    restart_connect(node);
  }

  peer_sync* current(atom node, const term& my_tag) {
    auto it = peers_.find(node);
    if (it == peers_.end() || !it->second.my_tag || !exact_equal(*it->second.my_tag, my_tag)) {
      cancel_locker(node, my_tag);
      return nullptr;
    }
    return &it->second;
  }

  void maybe_resolve(atom node, peer_sync& ps) {
    if (!ps.lock_set || !ps.his_names) return;
    auto [ops, resolved] = exchange_names(*ps.his_names, node);
    ps.his_names.reset();
    ps.my_ops = ops;
    cast_to(node, term::tuple({a_resolved, local_, resolved, known_list(), a_unused, term::list({}),
                               ps.his_tag.value_or(term())}));
    if (ps.his_resolved) finish(node, ps);
  }

  // resolved/5: apply both sides' decisions and make the peer's nodes ours.
  void finish(atom node, peer_sync& ps) {
    std::vector<term> all(ps.my_ops->list_elements().begin(), ps.my_ops->list_elements().end());
    auto his = ps.his_resolved->first;
    if (his.is_proper_list()) all.insert(all.end(), his.list_elements().begin(), his.list_elements().end());
    term ops = term::list(std::move(all));
    term his_known = ps.his_resolved->second;
    std::vector<atom> his_nodes = atoms_of(his_known);
    std::erase(his_nodes, local_);
    sync_others(his_nodes);
    term extra = list_of(tuple_of(a_vsn, term(ps.vsn)), tuple_of(a_lock, ps.lock_id));
    do_ops(ops);
    notify_synced(node);
    for (atom n : his_nodes) {
      auto it = peers_.find(n);
      if (it == peers_.end()) continue;
      if (it->second.my_tag) cancel_locker(n, *it->second.my_tag);
      peers_.erase(it);
    }
    std::vector<term> new_nodes{tuple_of(node, term(ps.vsn))};
    if (his_known.is_proper_list())
      for (const term& k : his_known.list_elements())
        if (!(k.is_tuple() && k.tuple_size() == 2 && k[0].is_atom(local_)) && !k.is_atom(local_))
          new_nodes.push_back(k);
    term new_nodes_term = term::list(std::move(new_nodes));
    term msg = term::tuple({a_new_nodes, local_, ops, term::list({}), new_nodes_term, extra});
    term fun = tuple_of(a_otpp_new_nodes, node_list_term(reg_->known_nodes()), msg);
    term tag = *ps.my_tag;
    peers_.erase(node);
    cancel_locker(node, tag, fun);
    auto added = add_to_known(new_nodes_term);
    self_.send(locker_, tuple_of(a_add_to_known, node_list_term(added)));
    add_synced(node);
  }

  void handle_cast(const term& req) {
    if (req.is_tagged_tuple(a_init_connect, 4) && req[2].is_atom()) {
      const term& v = req[1];
      if (!v.is_tuple() || v.tuple_size() < 2) return;
      return init_connect(req[2].atom_value(), v[0], req[3], v[1]);
    }
    if (req.is_tagged_tuple(a_lock_is_set, 4) && req[1].is_atom()) {
      atom node = req[1].atom_value();
      auto* ps = current(node, req[2]);
      if (!ps) return;
      cast_to(node, term::tuple({a_exchange, local_, names_list(), term::list({}), ps->his_tag.value_or(term())}));
      ps->lock_id = req[3];
      ps->lock_set = true;
      return maybe_resolve(node, *ps);
    }
    if (req.is_tagged_tuple(a_exchange, 5) && req[1].is_atom()) {
      atom node = req[1].atom_value();
      auto* ps = current(node, req[4]);
      if (!ps) return;
      ps->his_names = req[2];
      return maybe_resolve(node, *ps);
    }
    if (req.is_tagged_tuple(a_resolved, 7) && req[1].is_atom()) {
      atom node = req[1].atom_value();
      auto* ps = current(node, req[6]);
      if (!ps) return;
      ps->his_resolved = std::pair{req[2], req[3]};
      if (ps->my_ops) finish(node, *ps);
      return;
    }
    if (req.is_tagged_tuple(a_new_nodes, 6) && req[1].is_atom()) {
      auto added = add_to_known(req[4]);
      sync_others(added);
      do_ops(req[2]);
      self_.send(locker_, tuple_of(a_add_to_known, node_list_term(added)));
      return;
    }
    if (req.is_tagged_tuple(a_in_sync, 3) && req[1].is_atom()) {
      atom node = req[1].atom_value();
      notify_synced(node);
      add_synced(node);
      auto it = peers_.find(node);
      if (it != peers_.end()) {
        if (it->second.my_tag) cancel_locker(node, *it->second.my_tag);
        peers_.erase(it);
      }
      return;
    }
    if ((req.is_tagged_tuple(a_lock_set, 5) || req.is_tagged_tuple(a_lock_set, 4)) && req[1].is_pid()) {
      if (req.tuple_size() == 5) {
        auto it = peers_.find(req[1].pid_value().node);
        if (it == peers_.end() || !it->second.my_tag || !exact_equal(*it->second.my_tag, req[4])) return;
      }
      self_.send(locker_, req);
    }
  }

  void handle_call(const gen::from& from, const term& req) {
    auto reply = [&](term r) { gen::reply(self_, from, std::move(r)); };
    if (req.is_tagged_tuple(a_set_lock, 2) && valid_lock_id(req[1])) return reply(set_lock(req[1], from.caller));
    if (req.is_tagged_tuple(a_del_lock, 2) && valid_lock_id(req[1])) {
      del_lock_here(req[1], from.caller);
      return reply(atoms::true_);
    }
    if ((req.is_tagged_tuple(a_register, 4) || req.is_tagged_tuple(a_register_ext, 5)) && req[2].is_pid()) {
      insert_name(req[1], req[2].pid_value(), req[3]);
      return reply(atoms::yes);
    }
    if (req.is_tagged_tuple(a_unregister, 2)) {
      delete_name(req[1]);
      return reply(atoms::ok);
    }
    if (req.is_atom(a_get_known)) return reply(node_list_term(reg_->known_nodes()));
    if (req.is_atom(a_get_synced)) {
      std::lock_guard lock(reg_->mu);
      return reply(node_list_term(reg_->synced));
    }
    if (req.is_atom(a_get_protocol_version)) return reply(term(protocol_version));
    if (req.is_tagged_tuple(a_sync, 2)) {
      std::vector<atom> wanted = atoms_of(req[1]);
      std::vector<atom> connected = svc_.engine() ? svc_.engine()->nodes() : std::vector<atom>{};
      std::vector<atom> synced;
      {
        std::lock_guard lock(reg_->mu);
        synced = reg_->synced;
      }
      std::erase_if(wanted, [&](atom n) {
        return n == local_ || std::find(synced.begin(), synced.end(), n) != synced.end() ||
               std::find(connected.begin(), connected.end(), n) == connected.end();
      });
      if (wanted.empty()) return reply(atoms::ok);
      waiters_.push_back(sync_waiter{from, std::move(wanted)});
      return;
    }
    if (req.is_tagged_tuple(a_otpp_registrar, 2)) {
      self_.send(registrar_, tuple_of(a_trans, req[1], from.to_term()));
      return;
    }
    // Anything else goes unanswered, as global's handle_call logs and drops it.
  }

  term set_lock(const term& id, const pid& caller) {
    std::lock_guard lock(reg_->mu);
    auto it = reg_->locks.find(id[0]);
    if (it != reg_->locks.end() && !exact_equal(it->second.requester, id[1])) return atoms::false_;
    auto& entry = reg_->locks[id[0]];
    entry.requester = id[1];
    bool holding = std::any_of(entry.holders.begin(), entry.holders.end(),
                               [&](auto& h) { return h.first == caller; });
    if (!holding) entry.holders.emplace_back(caller, self_.monitor(caller));
    return atoms::true_;
  }

  void del_lock_here(const term& id, const pid& caller) {
    std::optional<reference> mon;
    {
      std::lock_guard lock(reg_->mu);
      auto it = reg_->locks.find(id[0]);
      if (it == reg_->locks.end() || !exact_equal(it->second.requester, id[1])) return;
      auto& hs = it->second.holders;
      auto h = std::find_if(hs.begin(), hs.end(), [&](auto& x) { return x.first == caller; });
      if (h == hs.end()) return;
      mon = h->second;
      hs.erase(h);
      if (hs.empty()) reg_->locks.erase(it);
    }
    self_.demonitor(*mon, true);
  }

  void handle_down(const reference& ref) {
    std::lock_guard lock(reg_->mu);
    std::erase_if(reg_->names, [&](auto& e) { return e.second.mon == ref; });
    for (auto it = reg_->locks.begin(); it != reg_->locks.end();) {
      std::erase_if(it->second.holders, [&](auto& h) { return h.second == ref; });
      it = it->second.holders.empty() ? reg_->locks.erase(it) : std::next(it);
    }
  }

  void handle_nodedown(atom node) {
    auto it = peers_.find(node);
    if (it != peers_.end()) {
      if (it->second.my_tag) cancel_locker(node, *it->second.my_tag);
      peers_.erase(it);
    }
    self_.send(locker_, tuple_of(a_remove_from_known, node));
    std::vector<reference> gone;
    {
      std::lock_guard lock(reg_->mu);
      std::erase_if(reg_->known, [&](auto& k) { return k.first == node; });
      std::erase(reg_->synced, node);
      // The names and locks of the node's processes go now, not when their DOWNs come.
      for (auto n = reg_->names.begin(); n != reg_->names.end();) {
        if (n->second.p.node == node) {
          gone.push_back(n->second.mon);
          n = reg_->names.erase(n);
        } else {
          ++n;
        }
      }
      for (auto l = reg_->locks.begin(); l != reg_->locks.end();) {
        std::erase_if(l->second.holders, [&](auto& h) {
          if (h.first.node != node) return false;
          gone.push_back(h.second);
          return true;
        });
        l = l->second.holders.empty() ? reg_->locks.erase(l) : std::next(l);
      }
    }
    for (auto& r : gone) self_.demonitor(r, true);
    notify_synced(node);
  }

  process& self_;
  node_services& svc_;
  std::shared_ptr<registry> reg_;
  atom local_;
  pid locker_;
  pid registrar_;
  std::int64_t tags_ = 0;
  std::unordered_map<atom, peer_sync> peers_;
  std::vector<sync_waiter> waiters_;
};

process_task server(process& self, node_services* svc, std::shared_ptr<registry> reg) {
  name_server s(self, *svc, std::move(reg));
  s.start();
  for (;;) {
    term msg = co_await self.receive();
    s.handle(msg);
  }
}

term registrar_call_result(const gen::call_result& r) {
  if (!r.ok()) return atoms::no;
  return *r.reply;
}

}  // namespace

pid start(node_services& services) {
  auto reg = services.use_extension<registry>();
  runtime& rt = services.rt();
  pid p = rt.spawn(server, &services, reg);
  rt.register_name(a_gns, p);
  auto& x = services.exports();
  x.add("global", "whereis_name", [](process& self, term name) -> task<term> {
    auto p = whereis_name(self.rt(), name);
    term r = atoms::undefined;
    if (p) r = *p;
    co_return r;
  });
  x.add("global", "registered_names", [](process& self) -> task<term> {
    co_return term::list(registered_names(self.rt()));
  });
  // What a BEAM node calls on the node of a conflicting name's process (the default resolvers).
  x.add("global", "resolve_it", [](process& self, term method, term name, term p1, term p2) -> task<term> {
    if (!p1.is_pid() || !p2.is_pid()) throw error_exception(atoms::badarg);
    bool first = compare(p1.pid_value().node, p2.pid_value().node) < 0;
    term min = first ? p1 : p2, max = first ? p2 : p1;
    if (method.is_fun() && method.fun_content().is_export &&
        method.fun_content().function == a_random_notify_name) {
      self.send(max.pid_value(), tuple_of(a_global_name_conflict, name));
    } else {
      self.exit(max.pid_value(), atoms::kill);
    }
    co_return min;
  });
  return p;
}

std::optional<pid> whereis_name(runtime& rt, const term& name) {
  auto reg = registry_of(rt);
  if (!reg) return std::nullopt;
  std::optional<pid> p;
  {
    std::lock_guard lock(reg->mu);
    auto it = reg->names.find(name);
    if (it != reg->names.end()) p = it->second.p;
  }
  if (p && rt.is_local(*p) && !rt.is_alive(*p)) return std::nullopt;
  return p;
}

std::vector<term> registered_names(runtime& rt) {
  std::vector<term> out;
  auto reg = registry_of(rt);
  if (!reg) return out;
  std::lock_guard lock(reg->mu);
  for (auto& [n, e] : reg->names) out.push_back(n);
  return out;
}

namespace {
term register_request(const term& name, const pid& p) {
  term method = term::export_fun(a_global, a_random_exit_name, 3);
  return tuple_of(a_otpp_registrar, term::tuple({a_register, name, p, method}));
}
term unregister_request(const term& name) {
  return tuple_of(a_otpp_registrar, tuple_of(a_unregister, name));
}
}  // namespace

task<bool> register_name(process& self, term name, pid p) {
  term req = register_request(name, p);
  gen::call_result r = co_await gen::call(self, a_gns, req, std::chrono::milliseconds(-1));
  co_return registrar_call_result(r).is_atom(atoms::yes);
}

bool register_name(scoped_process& self, const term& name, const pid& p) {
  return registrar_call_result(gen::call(self, a_gns, register_request(name, p), std::chrono::milliseconds(-1)))
      .is_atom(atoms::yes);
}

task<bool> unregister_name(process& self, term name) {
  if (!whereis_name(self.rt(), name)) co_return false;
  term req = unregister_request(name);
  gen::call_result r = co_await gen::call(self, a_gns, req, std::chrono::milliseconds(-1));
  co_return r.ok();
}

bool unregister_name(scoped_process& self, const term& name) {
  if (!whereis_name(self.rt(), name)) return false;
  return gen::call(self, a_gns, unregister_request(name), std::chrono::milliseconds(-1)).ok();
}

namespace {
term sync_request(runtime& rt) {
  std::vector<term> nodes;
  if (auto* s = services_of(rt); s && s->engine())
    for (atom n : s->engine()->nodes()) nodes.emplace_back(n);
  return tuple_of(a_sync, term::list(std::move(nodes)));
}
}  // namespace

task<bool> sync(process& self) {
  term req = sync_request(self.rt());
  gen::call_result r = co_await gen::call(self, a_gns, req, std::chrono::milliseconds(-1));
  co_return r.ok();
}

bool sync(scoped_process& self) {
  return gen::call(self, a_gns, sync_request(self.rt()), std::chrono::milliseconds(-1)).ok();
}

std::optional<pid> send(basic_process& self, const term& name, term msg) {
  auto p = whereis_name(self.rt(), name);
  if (p) self.send(*p, std::move(msg));
  return p;
}

}  // namespace otpp::otp::global
