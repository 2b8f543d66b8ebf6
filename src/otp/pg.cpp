// pg scope processes speaking OTP 25's pg protocol, and the C++ and rpc views of their groups.
//
// A scope process tells the same scope on every visible node `{discover, self()}` at start and on
// nodeup; a scope told so answers with a `{sync, self(), [{Group, LocalPids}]}` cast, monitors the
// peer and discovers it back. Joins and leaves of local processes go to every known peer as
// `{join, self(), Group, PidOrPids}` / `{leave, self(), PidOrPids, [Group]}`. A peer's DOWN (its
// node went down, or it stopped) removes every member it reported.
#include "otpp/otp/pg.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "otpp/otp/exports.hpp"
#include "otpp/otp/gen.hpp"
#include "otpp/otp/services.hpp"

namespace otpp::otp::pg {

namespace {

const atom a_join_local("join_local");
const atom a_leave_local("leave_local");
const atom a_join("join");
const atom a_leave("leave");
const atom a_discover("discover");
const atom a_sync("sync");
const atom a_demonitor("demonitor");
const atom a_not_joined("not_joined");
const atom a_nolocal("nolocal");

// One scope's groups as this node sees them (pg's ETS table): all members, local members.
struct group_members {
  std::vector<pid> all;
  std::vector<pid> local;
};

struct scope_table {
  mutable std::mutex mu;
  std::unordered_map<term, group_members> groups;
};

// Every scope of one node, by name.
struct scopes {
  std::mutex mu;
  std::unordered_map<atom, std::shared_ptr<scope_table>> by_name;

  std::shared_ptr<scope_table> find(atom scope) {
    std::lock_guard lock(mu);
    auto it = by_name.find(scope);
    return it == by_name.end() ? nullptr : it->second;
  }
};

std::shared_ptr<scope_table> table_of(runtime& rt, atom scope) {
  auto* s = services_of(rt);
  if (!s) return nullptr;
  auto all = s->find_extension<scopes>();
  return all ? all->find(scope) : nullptr;
}

std::vector<pid> pids_of(const term& pid_or_pids) {
  std::vector<pid> out;
  if (pid_or_pids.is_pid()) {
    out.push_back(pid_or_pids.pid_value());
  } else if (pid_or_pids.is_proper_list()) {
    for (const term& t : pid_or_pids.list_elements())
      if (t.is_pid()) out.push_back(t.pid_value());
  }
  return out;
}

term pids_term(const std::vector<pid>& pids) {
  std::vector<term> out(pids.begin(), pids.end());
  return term::list(std::move(out));
}

// `All -- Pids`: each pid of `pids` removes one occurrence.
void subtract(std::vector<pid>& from, const std::vector<pid>& pids) {
  for (const pid& p : pids)
    if (auto it = std::find(from.begin(), from.end(), p); it != from.end()) from.erase(it);
}

// Groups as pg's maps key them: by exact term order.
struct exact_less {
  bool operator()(const term& a, const term& b) const noexcept { return compare_exact(a, b) < 0; }
};
using groups_map = std::map<term, std::vector<pid>, exact_less>;

struct peer_entry {
  reference mon;
  groups_map groups;  // what this peer reported
};

struct group_monitor {
  reference ref;
  pid watcher;
  term group;
};

class scope_server {
 public:
  scope_server(process& self, node_services& svc, atom scope, std::shared_ptr<scope_table> table)
      : self_(self), svc_(svc), scope_(scope), table_(std::move(table)) {}

  void start() {
    if (auto* e = svc_.engine()) {
      e->monitor_nodes(self_.self(), true);
      for (atom n : e->nodes()) self_.send(scope_, n, tuple_of(a_discover, self_.self()));
    }
  }

  void handle(const term& msg) {
    if (auto c = gen::parse_call(msg)) return handle_call(c->from, c->request);
    if (auto c = gen::parse_cast(msg)) {
      if (c->is_tagged_tuple(a_sync, 3) && (*c)[1].is_pid() && (*c)[2].is_proper_list())
        handle_sync((*c)[1].pid_value(), (*c)[2]);
      return;
    }
    if (msg.is_tagged_tuple(a_join, 4) && msg[1].is_pid()) return remote_join(msg[1].pid_value(), msg[2], msg[3]);
    if (msg.is_tagged_tuple(a_leave, 4) && msg[1].is_pid()) return remote_leave(msg[1].pid_value(), msg[2], msg[3]);
    if (msg.is_tagged_tuple(a_discover, 2) && msg[1].is_pid()) return discover(msg[1].pid_value());
    if (msg.is_tagged_tuple(atoms::DOWN, 5) && msg[1].is_reference() && msg[3].is_pid())
      return down(msg[1].reference_value(), msg[3].pid_value());
    if (msg.is_tagged_tuple(atoms::nodeup, 2) && msg[1].is_atom()) {
      atom n = msg[1].atom_value();
      auto visible = svc_.engine() ? svc_.engine()->nodes() : std::vector<atom>{};
      if (n != self_.rt().node() && std::find(visible.begin(), visible.end(), n) != visible.end())
        self_.send(scope_, n, tuple_of(a_discover, self_.self()));
    }
    // nodedown: the peer's DOWN (noconnection) does the work.
  }

 private:
  // -- the table --------------------------------------------------------------------------
  void add_members(const term& group, const std::vector<pid>& pids, bool local) {
    {
      std::lock_guard lock(table_->mu);
      auto& g = table_->groups[group];
      g.all.insert(g.all.begin(), pids.begin(), pids.end());
      if (local) g.local.insert(g.local.begin(), pids.begin(), pids.end());
    }
    notify(a_join, group, pids);
  }

  void remove_members(const term& group, const std::vector<pid>& pids, bool local) {
    {
      std::lock_guard lock(table_->mu);
      auto it = table_->groups.find(group);
      if (it == table_->groups.end()) return;
      subtract(it->second.all, pids);
      if (local) subtract(it->second.local, pids);
      if (it->second.all.empty()) table_->groups.erase(it);
    }
    notify(a_leave, group, pids);
  }

  void notify(atom action, const term& group, const std::vector<pid>& pids) {
    term list = pids_term(pids);
    for (auto& [ref, watcher] : scope_monitors_)
      self_.send(watcher, term::tuple({ref, action, group, list}));
    for (auto& m : group_monitors_)
      if (exact_equal(m.group, group)) self_.send(m.watcher, term::tuple({m.ref, action, group, list}));
  }

  void broadcast(const term& msg) {
    for (auto& [peer, e] : remote_) self_.send(peer.pid_value(), msg);
  }

  // -- local members ----------------------------------------------------------------------
  void handle_call(const gen::from& from, const term& req) {
    auto reply = [&](term r) { gen::reply(self_, from, std::move(r)); };
    if (req.is_tagged_tuple(a_join_local, 3)) {
      auto pids = pids_of(req[2]);
      for (const pid& p : pids) {
        auto [it, fresh] = local_.try_emplace(term(p));
        if (fresh) it->second.first = self_.monitor(p);
        it->second.second.push_back(req[1]);
      }
      add_members(req[1], pids, true);
      broadcast(term::tuple({a_join, self_.self(), req[1], req[2]}));
      return reply(atoms::ok);
    }
    if (req.is_tagged_tuple(a_leave_local, 3)) {
      auto pids = pids_of(req[2]);
      bool changed = false;
      for (const pid& p : pids) {
        auto it = local_.find(term(p));
        if (it == local_.end()) continue;
        auto& groups = it->second.second;
        auto g = std::find_if(groups.begin(), groups.end(), [&](const term& x) { return exact_equal(x, req[1]); });
        if (g == groups.end()) continue;
        changed = true;
        groups.erase(g);
        if (groups.empty()) {
          self_.demonitor(it->second.first);
          local_.erase(it);
        }
      }
      if (!changed) return reply(a_not_joined);
      remove_members(req[1], pids, true);
      broadcast(term::tuple({a_leave, self_.self(), req[2], list_of(req[1])}));
      return reply(atoms::ok);
    }
    if (req.is_atom(atoms::monitor)) {
      std::vector<std::pair<term, term>> now;
      {
        std::lock_guard lock(table_->mu);
        for (auto& [g, m] : table_->groups) now.emplace_back(g, pids_term(m.all));
      }
      reference ref = self_.monitor(from.caller);
      scope_monitors_.emplace_back(ref, from.caller);
      return reply(tuple_of(ref, term::map(std::move(now))));
    }
    if (req.is_tagged_tuple(atoms::monitor, 2)) {
      term members;
      {
        std::lock_guard lock(table_->mu);
        auto it = table_->groups.find(req[1]);
        members = it == table_->groups.end() ? term() : pids_term(it->second.all);
      }
      reference ref = self_.monitor(from.caller);
      group_monitors_.push_back(group_monitor{ref, from.caller, req[1]});
      return reply(tuple_of(ref, members));
    }
    if (req.is_tagged_tuple(a_demonitor, 2) && req[1].is_reference()) {
      const reference& ref = req[1].reference_value();
      bool found = drop_monitor(ref);
      if (found) self_.demonitor(ref);
      return reply(found ? term(atoms::ok) : term(atoms::false_));
    }
    // pg's handle_call fails on anything else; the caller sees the server go. Here it stays.
  }

  bool drop_monitor(const reference& ref) {
    auto n = scope_monitors_.size() + group_monitors_.size();
    std::erase_if(scope_monitors_, [&](auto& m) { return m.first == ref; });
    std::erase_if(group_monitors_, [&](auto& m) { return m.ref == ref; });
    return scope_monitors_.size() + group_monitors_.size() != n;
  }

  // -- peers ------------------------------------------------------------------------------
  void discover(const pid& peer) {
    groups_map mine;
    for (auto& [p, e] : local_)
      for (const term& g : e.second) mine[g].insert(mine[g].begin(), p.pid_value());
    std::vector<term> groups;
    for (auto& [g, ps] : mine) groups.push_back(tuple_of(g, pids_term(ps)));
    self_.send(peer, tuple_of(atoms::gen_cast, tuple_of(a_sync, self_.self(), term::list(std::move(groups)))));
    if (remote_.contains(term(peer))) return;
    remote_.emplace(term(peer), peer_entry{self_.monitor(peer), {}});
    self_.send(peer, tuple_of(a_discover, self_.self()));
  }

  void handle_sync(const pid& peer, const term& groups) {
    auto it = remote_.find(term(peer));
    if (it == remote_.end()) it = remote_.emplace(term(peer), peer_entry{self_.monitor(peer), {}}).first;
    auto old = std::move(it->second.groups);
    groups_map fresh;
    for (const term& g : groups.list_elements()) {
      if (!g.is_tuple() || g.tuple_size() != 2) continue;
      auto pids = pids_of(g[1]);
      fresh[g[0]] = pids;
      auto o = old.find(g[0]);
      if (o == old.end()) {
        add_members(g[0], pids, false);
        continue;
      }
      if (o->second != pids) {
        // As pg: the new list replaces the old one in the group, without notifications.
        std::lock_guard lock(table_->mu);
        auto& all = table_->groups[g[0]].all;
        subtract(all, o->second);
        all.insert(all.begin(), pids.begin(), pids.end());
      }
      old.erase(o);
    }
    for (auto& [g, pids] : old) remove_members(g, pids, false);
    it->second.groups = std::move(fresh);
  }

  void remote_join(const pid& peer, const term& group, const term& pid_or_pids) {
    auto it = remote_.find(term(peer));
    if (it == remote_.end()) return;
    auto pids = pids_of(pid_or_pids);
    add_members(group, pids, false);
    auto& mine = it->second.groups[group];
    mine.insert(mine.begin(), pids.begin(), pids.end());
  }

  void remote_leave(const pid& peer, const term& pid_or_pids, const term& groups) {
    auto it = remote_.find(term(peer));
    if (it == remote_.end() || !groups.is_proper_list()) return;
    auto pids = pids_of(pid_or_pids);
    for (const term& g : groups.list_elements()) {
      remove_members(g, pids, false);
      auto r = it->second.groups.find(g);
      if (r == it->second.groups.end()) continue;
      subtract(r->second, pids);
      if (r->second.empty()) it->second.groups.erase(r);
    }
  }

  void down(const reference& ref, const pid& who) {
    if (who.node == self_.rt().node()) {
      auto it = local_.find(term(who));
      if (it != local_.end() && it->second.first == ref) {
        auto groups = std::move(it->second.second);
        local_.erase(it);
        std::vector<pid> one{who};
        for (const term& g : groups) remove_members(g, one, true);
        term list = term::list(std::move(groups));
        broadcast(term::tuple({a_leave, self_.self(), who, list}));
        return;
      }
    } else if (auto it = remote_.find(term(who)); it != remote_.end() && it->second.mon == ref) {
      auto groups = std::move(it->second.groups);
      remote_.erase(it);
      for (auto& [g, pids] : groups) remove_members(g, pids, false);
      return;
    }
    (void)drop_monitor(ref);
  }

  process& self_;
  node_services& svc_;
  atom scope_;
  std::shared_ptr<scope_table> table_;
  std::unordered_map<term, std::pair<reference, std::vector<term>>> local_;  // pid -> monitor, groups
  std::unordered_map<term, peer_entry> remote_;                              // peer scope pid -> ...
  std::vector<std::pair<reference, pid>> scope_monitors_;
  std::vector<group_monitor> group_monitors_;
};

process_task scope_process(process& self, node_services* svc, atom scope, std::shared_ptr<scope_table> table) {
  scope_server s(self, *svc, scope, std::move(table));
  s.start();
  for (;;) {
    term msg = co_await self.receive();
    s.handle(msg);
  }
}

void ensure_local(runtime& rt, const std::vector<pid>& pids) {
  for (const pid& p : pids)
    if (!rt.is_local(p)) throw error_exception(tuple_of(a_nolocal, p));
}

term scope_of_args(const std::vector<term>& args, std::size_t n) {
  if (args.size() == n + 1) {
    if (!args[0].is_atom()) throw error_exception(atoms::badarg);
    return args[0];
  }
  return default_scope;
}

term list_terms(std::vector<term> v) { return term::list(std::move(v)); }

}  // namespace

std::optional<pid> start_scope(node_services& services, atom scope) {
  runtime& rt = services.rt();
  if (rt.whereis(scope)) return std::nullopt;
  auto all = services.use_extension<scopes>();
  auto table = std::make_shared<scope_table>();
  {
    std::lock_guard lock(all->mu);
    all->by_name[scope] = table;
  }
  pid p = rt.spawn(scope_process, &services, scope, table);
  if (!rt.register_name(scope, p)) {
    rt.exit(p, atoms::kill);
    return std::nullopt;
  }
  add_exports(services);
  return p;
}

void add_exports(node_services& services) {
  auto& x = services.exports();
  // pg:get_members([Scope,] Group) and friends, for BEAM nodes that call them over rpc.
  auto members = [](bool local) {
    return [local](process& self, std::vector<term> args) -> task<term> {
      if (args.empty() || args.size() > 2) throw error_exception(atoms::undef);
      atom scope = scope_of_args(args, 1).atom_value();
      auto pids = local ? get_local_members(self.rt(), scope, args.back())
                        : get_members(self.rt(), scope, args.back());
      co_return pids_term(pids);
    };
  };
  auto groups = [](bool local) {
    return [local](process& self, std::vector<term> args) -> task<term> {
      if (args.size() > 1) throw error_exception(atoms::undef);
      atom scope = scope_of_args(args, 0).atom_value();
      co_return list_terms(local ? which_local_groups(self.rt(), scope) : which_groups(self.rt(), scope));
    };
  };
  x.add("pg", "get_members", members(false));
  x.add("pg", "get_local_members", members(true));
  x.add("pg", "which_groups", groups(false));
  x.add("pg", "which_local_groups", groups(true));
}

std::vector<pid> get_members(runtime& rt, atom scope, const term& group) {
  auto t = table_of(rt, scope);
  if (!t) return {};
  std::lock_guard lock(t->mu);
  auto it = t->groups.find(group);
  return it == t->groups.end() ? std::vector<pid>{} : it->second.all;
}

std::vector<pid> get_local_members(runtime& rt, atom scope, const term& group) {
  auto t = table_of(rt, scope);
  if (!t) return {};
  std::lock_guard lock(t->mu);
  auto it = t->groups.find(group);
  return it == t->groups.end() ? std::vector<pid>{} : it->second.local;
}

std::vector<term> which_groups(runtime& rt, atom scope) {
  std::vector<term> out;
  auto t = table_of(rt, scope);
  if (!t) return out;
  std::lock_guard lock(t->mu);
  for (auto& [g, m] : t->groups) out.push_back(g);
  return out;
}

std::vector<term> which_local_groups(runtime& rt, atom scope) {
  std::vector<term> out;
  auto t = table_of(rt, scope);
  if (!t) return out;
  std::lock_guard lock(t->mu);
  for (auto& [g, m] : t->groups)
    if (!m.local.empty()) out.push_back(g);
  return out;
}

task<bool> join(process& self, atom scope, term group, std::vector<pid> pids) {
  ensure_local(self.rt(), pids);
  term req = tuple_of(a_join_local, group, pids_term(pids));
  gen::call_result r = co_await gen::call(self, scope, req, std::chrono::milliseconds(-1));
  co_return r.ok();
}

bool join(scoped_process& self, atom scope, const term& group, const std::vector<pid>& pids) {
  ensure_local(self.rt(), pids);
  return gen::call(self, scope, tuple_of(a_join_local, group, pids_term(pids)), std::chrono::milliseconds(-1)).ok();
}

task<bool> leave(process& self, atom scope, term group, std::vector<pid> pids) {
  ensure_local(self.rt(), pids);
  term req = tuple_of(a_leave_local, group, pids_term(pids));
  gen::call_result r = co_await gen::call(self, scope, req, std::chrono::milliseconds(-1));
  co_return r.ok() && r.reply->is_atom(atoms::ok);
}

bool leave(scoped_process& self, atom scope, const term& group, const std::vector<pid>& pids) {
  ensure_local(self.rt(), pids);
  auto r = gen::call(self, scope, tuple_of(a_leave_local, group, pids_term(pids)), std::chrono::milliseconds(-1));
  return r.ok() && r.reply->is_atom(atoms::ok);
}

namespace {
std::optional<std::pair<reference, term>> monitor_reply(const gen::call_result& r) {
  if (!r.ok() || !r.reply->is_tuple() || r.reply->tuple_size() != 2 || !(*r.reply)[0].is_reference())
    return std::nullopt;
  return std::pair{(*r.reply)[0].reference_value(), (*r.reply)[1]};
}
}  // namespace

task<std::optional<std::pair<reference, term>>> monitor_scope(process& self, atom scope) {
  term req = atoms::monitor;
  gen::call_result r = co_await gen::call(self, scope, req, std::chrono::milliseconds(-1));
  co_return monitor_reply(r);
}

std::optional<std::pair<reference, term>> monitor_scope(scoped_process& self, atom scope) {
  return monitor_reply(gen::call(self, scope, term(atoms::monitor), std::chrono::milliseconds(-1)));
}

std::optional<std::pair<reference, term>> monitor(scoped_process& self, atom scope, const term& group) {
  return monitor_reply(gen::call(self, scope, tuple_of(atoms::monitor, group), std::chrono::milliseconds(-1)));
}

bool demonitor(scoped_process& self, atom scope, const reference& ref) {
  auto r = gen::call(self, scope, tuple_of(a_demonitor, ref), std::chrono::milliseconds(-1));
  if (!r.ok() || !r.reply->is_atom(atoms::ok)) return false;
  // As pg:demonitor/2: notifications already queued for the monitor go too.
  for (;;) {
    bool more = self.receive(on(ref, ignore, ignore, ignore) >> [] { return true; },
                             after(std::chrono::milliseconds(0), [] { return false; }));
    if (!more) return true;
  }
}

}  // namespace otpp::otp::pg
