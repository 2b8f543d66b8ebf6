// The node's global_name_server, its locker and its registrar, speaking OTP 25's global protocol
// (version 8) with BEAM and otpp peers.
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

namespace otpp::otp::global {

namespace {

const atom a_gns("global_name_server");
const atom a_global("global");
const atom a_init_connect("init_connect");
const atom a_init_connect_ack("init_connect_ack");
const atom a_cancel_connect("cancel_connect");
const atom a_locker("locker");
const atom a_lock_set("lock_set");
const atom a_lock_is_set("lock_is_set");
const atom a_exchange("exchange");
const atom a_resolved("resolved");
const atom a_new_nodes("new_nodes");
const atom a_in_sync("in_sync");
const atom a_set_lock("set_lock");
const atom a_del_lock("del_lock");
const atom a_register("register");
const atom a_register_ext("register_ext");
const atom a_unregister("unregister");
const atom a_get_known("get_known");
const atom a_get_synced("get_synced");
const atom a_get_protocol_version("get_protocol_version");
const atom a_sync("sync");
const atom a_synced("synced");
const atom a_whereis("whereis");
const atom a_his_the_locker("his_the_locker");
const atom a_cancel("cancel");
const atom a_no_fun("no_fun");
const atom a_insert("insert");
const atom a_delete("delete");
const atom a_vsn("vsn");
const atom a_lock("lock");
const atom a_unused("unused");
const atom a_add_to_known("add_to_known");
const atom a_remove_from_known("remove_from_known");
const atom a_no_longer_a_pid("no_longer_a_pid");
const atom a_random_exit_name("random_exit_name");
const atom a_random_notify_name("random_notify_name");
const atom a_notify_all_name("notify_all_name");
const atom a_global_name_conflict("global_name_conflict");
const atom a_prepare_shutdown("prepare_shutdown");
// otpp's own requests to its local server (C++ callers have no funs to hand the registrar).
const atom a_otpp_registrar("$otpp_registrar");
const atom a_otpp_new_nodes("$otpp_new_nodes");
const atom a_trans("trans");

constexpr int protocol_version = 8;
constexpr std::chrono::milliseconds call_timeout = std::chrono::seconds(10);

// ---- the node's copy of the cluster's tables -----------------------------------------------

struct name_entry {
  pid p;
  term method;
  reference mon;
};

struct lock_entry {
  term requester;
  std::vector<std::pair<pid, reference>> holders;
};

// Written by the server process only; read by the locker, the registrar and C++ callers.
struct registry {
  mutable std::mutex mu;
  std::unordered_map<term, name_entry> names;
  std::unordered_map<term, lock_entry> locks;  // by resource id
  std::vector<std::pair<atom, int>> known;     // node, global protocol version
  std::vector<atom> synced;

  std::vector<atom> known_nodes() const {
    std::lock_guard lock(mu);
    std::vector<atom> out;
    for (auto& [n, v] : known) out.push_back(n);
    return out;
  }
  bool global_lock_set() const {
    std::lock_guard lock(mu);
    return locks.contains(term(a_global));
  }
  // can_set_lock/1: free, or held for the same requester.
  bool can_set_lock(const term& id) const {
    std::lock_guard lock(mu);
    auto it = locks.find(id[0]);
    return it == locks.end() || exact_equal(it->second.requester, id[1]);
  }
};

std::shared_ptr<registry> registry_of(runtime& rt) {
  auto* s = services_of(rt);
  return s ? s->use_extension<registry>() : nullptr;
}

atom boss_of(std::vector<atom> nodes) {
  return *std::max_element(nodes.begin(), nodes.end(),
                           [](atom a, atom b) { return compare(a, b) < 0; });
}

bool valid_lock_id(const term& id) { return id.is_tuple() && id.tuple_size() == 2; }

term node_list_term(const std::vector<atom>& nodes) {
  std::vector<term> out(nodes.begin(), nodes.end());
  return term::list(std::move(out));
}

std::vector<atom> atoms_of(const term& list) {
  std::vector<atom> out;
  if (!list.is_proper_list()) return out;
  for (const term& t : list.list_elements()) {
    if (t.is_atom()) out.push_back(t.atom_value());
    else if (t.is_tuple() && t.tuple_size() == 2 && t[0].is_atom()) out.push_back(t[0].atom_value());
  }
  return out;
}

// ---- calls to the servers of several nodes (gen_server:multi_call) -------------------------

// As gen_server:multi_call/3: the request goes to every node's server at once, then the replies
// are collected; a node whose server is down or unreachable gives no reply.
task<std::vector<std::pair<atom, term>>> multi_call(process& self, std::vector<atom> nodes, term req) {
  struct pending {
    atom node;
    reference mon;
    reference alias;
    term tag;
  };
  std::vector<pending> out;
  atom local = self.rt().node();
  for (atom n : nodes) {
    reference mon = n == local ? self.monitor(a_gns) : self.monitor(a_gns, n);
    reference al = self.alias();
    term tag = term::list({atoms::alias}, term(al));
    term call = term::tuple({atoms::gen_call, tuple_of(self.self(), tag), req});
    if (n == local) (void)self.send(a_gns, std::move(call));
    else self.send(a_gns, n, std::move(call));
    out.push_back(pending{n, mon, al, tag});
  }
  std::vector<std::pair<atom, term>> replies;
  for (auto& p : out) {
    auto r = co_await self.receive(
        on(p.tag, _) >> [](term reply) { return std::optional<term>(reply); },
        on(atoms::DOWN, p.mon, ignore, ignore, ignore) >> [] { return std::optional<term>(); },
        after(call_timeout, [] { return std::optional<term>(); }));
    self.unalias(p.alias);
    self.demonitor(p.mon, true);
    if (r) replies.emplace_back(p.node, *r);
  }
  co_return replies;
}

// set_lock_on_nodes/2 with no retries: every node's server says true, or the lock is taken
// back from those that did.
task<bool> set_lock_on_nodes(process& self, registry& reg, term id, std::vector<atom> nodes) {
  if (nodes.empty()) co_return true;
  atom local = self.rt().node();
  bool has_local = std::find(nodes.begin(), nodes.end(), local) != nodes.end();
  if (nodes.size() > 1 && has_local && !reg.can_set_lock(id)) co_return false;
  term req = tuple_of(a_set_lock, id);
  auto replies = co_await multi_call(self, nodes, req);
  std::vector<atom> granted;
  bool all = true;
  for (auto& [n, r] : replies) {
    if (r.is_atom(atoms::true_)) granted.push_back(n);
    else all = false;
  }
  if (!all && replies.size() > 1) {
    term del = tuple_of(a_del_lock, id);
    (void)co_await multi_call(self, granted, del);
  }
  co_return all;
}

task<void> del_lock(process& self, term id, std::vector<atom> nodes) {
  term req = tuple_of(a_del_lock, id);
  (void)co_await multi_call(self, std::move(nodes), req);
}

// delete_global_lock/2: everyone but the boss first, the boss last.
task<void> delete_global_lock(process& self, term id, std::vector<atom> nodes) {
  if (nodes.empty()) co_return;
  atom boss = boss_of(nodes);
  std::vector<atom> rest;
  for (atom n : nodes)
    if (n != boss) rest.push_back(n);
  std::vector<atom> last{boss};
  co_await del_lock(self, id, rest);
  co_await del_lock(self, id, last);
}

task<void> random_sleep(process& self, int times) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  int tmax = times > 5 ? 8000 : (1 << times) * 1000 / 8;
  std::uniform_int_distribution<int> d(1, std::max(1, tmax));
  auto wait = std::chrono::milliseconds(d(rng));
  co_await self.receive(on(atom("$otpp_never")) >> [] {}, after(wait, [] {}));
}

// ---- the registrar: register/unregister under the lock {global, Registrar} on every node ----

task<term> trans_all_known(process& self, registry& reg, term op) {
  term id = tuple_of(a_global, self.self());
  atom local = self.rt().node();
  std::vector<atom> nodes;
  for (int times = 0;; ++times) {
    std::vector<atom> known = reg.known_nodes();
    nodes = known;
    nodes.insert(nodes.begin(), local);
    std::vector<atom> boss{boss_of(nodes)};
    // The boss first (so concurrent registrars queue there), then the others at once.
    std::vector<atom> others;
    for (atom n : nodes)
      if (n != boss[0]) others.push_back(n);
    if (co_await set_lock_on_nodes(self, reg, id, boss)) {
      if (co_await set_lock_on_nodes(self, reg, id, others)) {
        std::vector<atom> now = reg.known_nodes();
        bool grown = std::any_of(now.begin(), now.end(), [&](atom n) {
          return std::find(known.begin(), known.end(), n) == known.end();
        });
        if (!grown) break;
      }
      co_await del_lock(self, id, boss);
    }
    co_await random_sleep(self, times);
  }
  term result = atoms::ok;
  if (op.is_tagged_tuple(a_register, 4)) {
    bool free;
    {
      std::lock_guard lock(reg.mu);
      const pid p = op[2].pid_value();
      free = !reg.names.contains(op[1]) &&
             std::none_of(reg.names.begin(), reg.names.end(),
                          [&](const auto& e) { return e.second.p == p; });
    }
    if (free) (void)co_await multi_call(self, nodes, op);
    result = free ? atoms::yes : atoms::no;
  } else if (op.is_tagged_tuple(a_unregister, 2)) {
    (void)co_await multi_call(self, nodes, op);
  }
  co_await delete_global_lock(self, id, nodes);
  co_return result;
}

process_task registrar(process& self, std::shared_ptr<registry> reg) {
  for (;;) {
    term msg = co_await self.receive();
    if (!msg.is_tagged_tuple(a_trans, 3)) continue;
    term op = msg[1];
    const term& from = msg[2];
    term result = co_await trans_all_known(self, *reg, op);
    if (from.is_tuple() && from.tuple_size() == 2 && from[0].is_pid())
      gen::reply(self, gen::from{from[0].pid_value(), from[1]}, result);
  }
}

// ---- the locker: takes the global lock for one pair of nodes at a time ----------------------

struct him {
  atom node;
  pid locker;
  term my_tag;
  term his_tag;
};

struct locker_state {
  std::shared_ptr<registry> reg;
  std::vector<him> hims;
  std::vector<atom> known;
  bool just_synced = false;
};

void update_known(locker_state& s, const term& msg) {
  if (msg.is_tagged_tuple(a_add_to_known, 2)) {
    for (atom n : atoms_of(msg[1]))
      if (std::find(s.known.begin(), s.known.end(), n) == s.known.end()) s.known.push_back(n);
  } else if (msg.is_tagged_tuple(a_remove_from_known, 2) && msg[1].is_atom()) {
    std::erase(s.known, msg[1].atom_value());
  }
}

task<void> drain_known_updates(process& self, locker_state& s) {
  for (;;) {
    auto m = co_await self.receive(
        on(a_add_to_known, _) >> [](term t) { return std::optional<term>(tuple_of(a_add_to_known, t)); },
        on(a_remove_from_known, _) >>
            [](term t) { return std::optional<term>(tuple_of(a_remove_from_known, t)); },
        after(std::chrono::milliseconds(0), [] { return std::optional<term>(); }));
    if (!m) co_return;
    update_known(s, *m);
  }
}

void remove_him(locker_state& s, atom node, const term& tag) {
  std::erase_if(s.hims, [&](const him& h) { return h.node == node && exact_equal(h.my_tag, tag); });
}

term locker_lock_id(const pid& me, const pid& his) {
  term a(me), b(his);
  if (compare(b, a) < 0) std::swap(a, b);
  return tuple_of(a_global, list_of(a, b));
}

// lock_nodes_safely/3: the boss first, then this node and `extra`, then every known node.
task<bool> lock_nodes_safely(process& self, locker_state& s, term id, std::vector<atom> extra) {
  atom local = self.rt().node();
  std::vector<atom> all = s.known;
  all.push_back(local);
  atom boss = boss_of(all);
  std::vector<atom> first{boss};
  if (boss != local && !s.reg->can_set_lock(id)) co_return false;
  if (!co_await set_lock_on_nodes(self, *s.reg, id, first)) co_return false;
  co_await drain_known_updates(self, s);
  std::vector<atom> second;
  extra.insert(extra.begin(), local);
  for (atom n : extra)
    if (n != boss) second.push_back(n);
  if (!co_await set_lock_on_nodes(self, *s.reg, id, second)) {
    co_await del_lock(self, id, first);
    co_return false;
  }
  std::vector<atom> third;
  for (atom n : s.known)
    if (n != boss) third.push_back(n);
  if (!co_await set_lock_on_nodes(self, *s.reg, id, third)) {
    second.push_back(boss);
    co_await del_lock(self, id, second);
    co_return false;
  }
  co_return true;
}

void send_lock_set(process& self, const locker_state& s, bool set, const pid& his_locker,
                   const term& his_tag) {
  term msg = term::tuple({a_lock_set, self.self(), term::boolean(set), node_list_term(s.known), his_tag});
  self.send(a_gns, his_locker.node, tuple_of(atoms::gen_cast, msg));
}

// What the server hands over to run before the lock goes: new_nodes to the nodes it knew.
void run_cancel_fun(process& self, const term& fun) {
  if (!fun.is_tagged_tuple(a_otpp_new_nodes, 3)) return;
  for (atom n : atoms_of(fun[1])) self.send(a_gns, n, tuple_of(atoms::gen_cast, fun[2]));
}

// wait_cancel_lock/6: the lock stays until the server says this sync is over.
task<void> wait_cancel_lock(process& self, atom node, term lock_id, term my_tag,
                            std::vector<atom> nodes) {
  term fun = co_await self.receive(on(a_cancel, node, my_tag, _) >> [](term f) { return f; });
  run_cancel_fun(self, fun);
  co_await delete_global_lock(self, lock_id, std::move(nodes));
}

// The lock is set on our side; wait for the peer's locker to say whether it set it on its own.
task<void> lock_is_set(process& self, locker_state& s, him h, std::vector<atom> known1, term lock_id) {
  enum class outcome { set, rejected, cancelled, stale };
  for (;;) {
    term fun;
    auto o = co_await self.receive(
        on(a_lock_set, any_pid, _, ignore, _).when([&](pid p, term, term) { return p.node == h.node; }) >>
            [&](pid, term set, term tag) {
              if (!exact_equal(tag, h.my_tag)) return outcome::stale;
              return set.is_atom(atoms::true_) ? outcome::set : outcome::rejected;
            },
        on(a_lock_set, any_pid, _, ignore).when([&](pid p, term) { return p.node == h.node; }) >>
            [&](pid, term set) { return set.is_atom(atoms::true_) ? outcome::set : outcome::rejected; },
        on(a_cancel, h.node, h.my_tag, _) >> [&](term f) {
          fun = f;
          return outcome::cancelled;
        });
    if (o == outcome::stale) continue;
    if (o == outcome::set) {
      term msg = term::tuple({a_lock_is_set, h.node, h.my_tag, lock_id});
      self.send(a_gns, self.rt().node(), tuple_of(atoms::gen_cast, msg));
      co_await wait_cancel_lock(self, h.node, lock_id, h.my_tag, known1);
      s.just_synced = true;
      remove_him(s, h.node, h.my_tag);
      co_return;
    }
    if (o == outcome::cancelled) {
      run_cancel_fun(self, fun);
      co_await delete_global_lock(self, lock_id, known1);
      remove_him(s, h.node, h.my_tag);
      co_return;
    }
    co_await delete_global_lock(self, lock_id, known1);
    co_return;
  }
}

task<void> select_node(process& self, locker_state& s) {
  std::vector<him> others;
  for (auto& h : s.hims)
    if (std::find(s.known.begin(), s.known.end(), h.node) == s.known.end()) others.push_back(h);
  std::erase_if(s.hims, [&](const him& h) {
    return std::find(s.known.begin(), s.known.end(), h.node) != s.known.end();
  });
  if (others.empty()) co_return;
  static thread_local std::mt19937 rng{std::random_device{}()};
  him h = others[std::uniform_int_distribution<std::size_t>(0, others.size() - 1)(rng)];
  term id = locker_lock_id(self.self(), h.locker);
  std::vector<atom> extra{h.node};
  if (!co_await lock_nodes_safely(self, s, id, extra)) co_return;
  std::vector<atom> known1 = s.known;
  known1.insert(known1.begin(), {self.rt().node(), h.node});
  send_lock_set(self, s, true, h.locker, h.his_tag);
  co_await lock_is_set(self, s, h, known1, id);
}

// The peer's locker set the lock first: set it here too and answer.
task<void> answer_lock_set(process& self, locker_state& s, pid his_locker, term tag) {
  auto it = std::find_if(s.hims.begin(), s.hims.end(),
                         [&](const him& h) { return h.node == his_locker.node; });
  if (it == s.hims.end() || !exact_equal(it->my_tag, tag)) {
    send_lock_set(self, s, false, his_locker, it == s.hims.end() ? term(0) : it->his_tag);
    co_return;
  }
  him h = *it;
  term id = locker_lock_id(self.self(), his_locker);
  std::vector<atom> none;
  bool set = co_await lock_nodes_safely(self, s, id, none);
  send_lock_set(self, s, set, his_locker, h.his_tag);
  if (!set) {
    s.just_synced = false;
    co_return;
  }
  term msg = term::tuple({a_lock_is_set, h.node, h.my_tag, id});
  self.send(a_gns, self.rt().node(), tuple_of(atoms::gen_cast, msg));
  std::vector<atom> known2 = s.known;
  known2.insert(known2.begin(), self.rt().node());
  co_await wait_cancel_lock(self, h.node, id, h.my_tag, known2);
  s.just_synced = true;
  remove_him(s, h.node, h.my_tag);
}

process_task locker(process& self, std::shared_ptr<registry> reg) {
  locker_state s{reg, {}, reg->known_nodes(), false};
  for (;;) {
    std::chrono::milliseconds timeout(std::chrono::hours(24 * 365));
    if (!s.hims.empty()) {
      if (s.just_synced) timeout = std::chrono::milliseconds(0);
      else if (s.known.empty()) timeout = std::chrono::milliseconds(200);
      else timeout = std::chrono::milliseconds(std::min<std::size_t>(1000 + 100 * s.known.size(), 3000));
    }
    s.just_synced = false;
    auto m = co_await self.receive(on(_) >> [](term t) { return std::optional<term>(t); },
                                   after(timeout, [] { return std::optional<term>(); }));
    if (!m) {
      if (!reg->global_lock_set()) co_await select_node(self, s);
      continue;
    }
    const term& msg = *m;
    if (msg.is_tagged_tuple(a_his_the_locker, 5) && msg[1].is_pid() && msg[2].is_atom()) {
      s.hims.push_back(him{msg[2].atom_value(), msg[1].pid_value(), msg[4], msg[3]});
    } else if (msg.is_tagged_tuple(a_cancel, 4) && msg[1].is_atom()) {
      remove_him(s, msg[1].atom_value(), msg[2]);
    } else if (msg.is_tagged_tuple(a_lock_set, 5) && msg[1].is_pid() && msg[2].is_atom(atoms::true_)) {
      co_await answer_lock_set(self, s, msg[1].pid_value(), msg[4]);
    } else if (msg.is_tagged_tuple(a_lock_set, 4) && msg[1].is_pid() && msg[2].is_atom(atoms::true_)) {
      auto it = std::find_if(s.hims.begin(), s.hims.end(),
                             [&](const him& h) { return h.node == msg[1].pid_value().node; });
      term tag = it == s.hims.end() ? term(atoms::undefined) : it->my_tag;
      co_await answer_lock_set(self, s, msg[1].pid_value(), tag);
    } else {
      update_known(s, msg);
    }
  }
}

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
