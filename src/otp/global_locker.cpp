// The global name server's locker, which takes the global lock for one pair of nodes at a time,
// and its registrar, which registers names under the lock {global, Registrar} on every node
// (OTP 25's global protocol, version 8; the sync itself is described in global.cpp).
#include <algorithm>
#include <random>

#include "otp/global_tables.hpp"
#include "otpp/otp/gen.hpp"

namespace otpp::otp::global::detail {

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

}  // namespace otpp::otp::global::detail
