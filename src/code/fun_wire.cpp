// erl_eval closures on the wire: making them, learning a peer's erl_eval identity, and the
// per-connection rewriter the distribution encoder consults.
#include "otpp/code/fun_wire.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "otpp/code/erl_parse.hpp"
#include "otpp/dist/engine.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/pattern.hpp"
#include "otpp/runtime/runtime.hpp"

namespace otpp::code {

namespace {

const atom a_erl_eval("erl_eval");
const atom a_fun("fun");
const atom a_named_fun("named_fun");
const atom a_clauses("clauses");
const atom a_none("none");

// What one connection knows of its peer's erl_eval.
struct peer_entry {
  enum class state : std::uint8_t { learning, known, not_beam };
  explicit peer_entry(std::uint64_t c) : connection(c) {}
  const std::uint64_t connection;  // the engine's name for the connection
  std::mutex mu;
  state st = state::learning;
  peer_erl_eval identity;
};

// How long messages holding funs wait for a new peer's identity before they go with this
// node's own (the engine logs it); the learning itself goes on a while longer, for later funs.
constexpr std::chrono::milliseconds identity_wait = std::chrono::seconds(5);
constexpr std::chrono::milliseconds identity_learning = std::chrono::seconds(10);

// The fun wire of one node: the entry of each peer's current connection.
struct fun_wire_registry {
  std::mutex mu;
  std::unordered_map<atom, std::shared_ptr<peer_entry>> peers;

  std::shared_ptr<peer_entry> find(atom node) {
    std::lock_guard lock(mu);
    auto it = peers.find(node);
    return it == peers.end() ? nullptr : it->second;
  }
};

// The node's registry, kept in its services (nullptr when the fun wire is not installed).
std::shared_ptr<fun_wire_registry> registry_of(const runtime& rt) {
  auto* services = otp::services_of(rt);
  return services ? services->find_extension<fun_wire_registry>() : nullptr;
}

// The arity of a list of fun clauses: the length of the first clause's argument list.
std::optional<std::size_t> clauses_arity(const term& clauses) {
  if (!clauses.is_list() || clauses.is_nil()) return std::nullopt;
  const term& first = clauses.list_elements()[0];
  if (!first.is_tuple() || first.tuple_size() != 5 || !first[2].is_proper_list()) return std::nullopt;
  return first[2].list_elements().size();
}

std::optional<erl_eval_identity> identity_of(const term& f) {
  if (!f.is_fun()) return std::nullopt;
  const fun_value& v = f.fun_content();
  if (v.is_export || v.module != a_erl_eval) return std::nullopt;
  return erl_eval_identity{v.uniq, v.index, v.old_index, v.old_uniq};
}

// The expression whose value tells a node's erl_eval identity: its release and one closure of
// each arity, plain and named.
const term& identity_probe() {
  static const term exprs = [] {
    std::string plain = "{";
    std::string named = "{";
    for (std::size_t n = 0; n <= max_erl_eval_arity; ++n) {
      std::string args;
      for (std::size_t k = 0; k < n; ++k) args += k ? ",_" : "_";
      plain += (n ? "," : "") + std::string("fun(") + args + ") -> ok end";
      named += (n ? "," : "") + std::string("fun F(") + args + ") -> F end";
    }
    auto r = parse_exprs("{erlang:system_info(otp_release), " + plain + "}, " + named + "}}.");
    return r ? *r.value : term();
  }();
  return exprs;
}

// Learns the identity of the peer of `entry`'s connection; the messages holding funs that
// wait for it meanwhile go out once it is known. The probe's own rpc passes them.
process_task learner(process& self, std::shared_ptr<peer_entry> entry, atom node, dist::engine* engine) {
  engine->pass_closure_gate(node, entry->connection, self.self());
  auto identity = co_await learn_erl_eval_identity(self, node, identity_learning);
  const bool learned = identity.has_value();
  {
    std::lock_guard lock(entry->mu);
    if (identity) {
      entry->identity = std::move(*identity);
      entry->st = peer_entry::state::known;
    } else {
      entry->st = peer_entry::state::not_beam;
    }
  }
  engine->release_closures(node, entry->connection, learned);
}

enum class wait_result : std::uint8_t { known, failed, pending };

wait_result entry_state(const std::shared_ptr<fun_wire_registry>& reg, atom node) {
  auto e = reg->find(node);
  if (!e) return wait_result::pending;
  std::lock_guard lock(e->mu);
  if (e->st == peer_entry::state::known) return wait_result::known;
  if (e->st == peer_entry::state::not_beam) return wait_result::failed;
  return wait_result::pending;
}

}  // namespace

term bindings_of(std::vector<std::pair<std::string, term>> bindings) {
  std::sort(bindings.begin(), bindings.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<term> out;
  out.reserve(bindings.size());
  for (auto& [name, value] : bindings) out.push_back(tuple_of(atom(name), value));
  return term::list(std::move(out));
}

std::optional<term> make_closure(const term& fun_expr, const term& bindings, const pid& creator) {
  erl_eval_closure c;
  if (fun_expr.is_tagged_tuple(a_fun, 3) && fun_expr[2].is_tagged_tuple(a_clauses, 2)) {
    c.clauses = fun_expr[2][1];
  } else if (fun_expr.is_tagged_tuple(a_named_fun, 4) && fun_expr[2].is_atom()) {
    c.clauses = fun_expr[3];
    c.name = fun_expr[2].atom_value();
  } else {
    return std::nullopt;
  }
  auto arity = clauses_arity(c.clauses);
  if (!arity || *arity > max_erl_eval_arity) return std::nullopt;
  c.anno = fun_expr[1];
  c.bindings = bindings;
  return make_erl_eval_fun(creator, static_cast<std::uint32_t>(*arity), c);
}

std::optional<term> make_fun(std::string_view source, const term& bindings, const pid& creator) {
  auto r = parse_exprs(source);
  if (!r || r.value->list_elements().size() != 1) return std::nullopt;
  return make_closure(r.value->list_elements()[0], bindings, creator);
}

std::optional<term> with_identity(const fun_value& f, const peer_erl_eval& peer) {
  if (f.is_export || f.module != a_erl_eval || f.free_vars.size() != 1) return std::nullopt;
  const term& env = f.free_vars[0];
  if (!env.is_tuple() || (env.tuple_size() != 6 && env.tuple_size() != 7)) return std::nullopt;
  if (f.arity > max_erl_eval_arity) return std::nullopt;
  const erl_eval_identity& id = env.tuple_size() == 7 ? peer.named[f.arity] : peer.plain[f.arity];
  if (f.uniq == id.uniq && f.index == id.index && f.old_index == id.old_index && f.old_uniq == id.old_uniq)
    return std::nullopt;
  fun_value g = f;
  g.uniq = id.uniq;
  g.index = id.index;
  g.old_index = id.old_index;
  g.old_uniq = id.old_uniq;
  return term::fun(std::move(g));
}

namespace {

// The identity in erl_eval:exprs/2's answer to identity_probe(), if it is one:
// {value, {Release, {Plain0, ..., Plain20}, {Named0, ..., Named20}}, Bindings}.
std::optional<peer_erl_eval> identity_from_answer(const term& r) {
  if (!r.is_tagged_tuple(atom("value"), 3)) return std::nullopt;
  const term& v = r[1];
  if (!v.is_tuple() || v.tuple_size() != 3 || !v[1].is_tuple() || !v[2].is_tuple() ||
      v[1].tuple_size() != max_erl_eval_arity + 1 || v[2].tuple_size() != max_erl_eval_arity + 1)
    return std::nullopt;
  peer_erl_eval out;
  out.otp_release = v[0].to_text().value_or("");
  for (std::size_t n = 0; n <= max_erl_eval_arity; ++n) {
    auto p = identity_of(v[1][n]);
    auto q = identity_of(v[2][n]);
    if (!p || !q) return std::nullopt;
    out.plain[n] = *p;
    out.named[n] = *q;
  }
  return out;
}

}  // namespace

bool holds_erl_eval_closure(const term& t) {
  // Iterative: a message may be nested deeper than the stack likes.
  std::vector<const term*> todo{&t};
  while (!todo.empty()) {
    const term* x = todo.back();
    todo.pop_back();
    switch (x->type()) {
      case term::kind::fun: {
        const fun_value& f = x->fun_content();
        if (!f.is_export && f.module == a_erl_eval) return true;
        for (const term& v : f.free_vars) todo.push_back(&v);
        break;
      }
      case term::kind::tuple:
        for (const term& e : x->elements()) todo.push_back(&e);
        break;
      case term::kind::list:
        for (const term& e : x->list_elements()) todo.push_back(&e);
        todo.push_back(&x->list_tail());
        break;
      case term::kind::map:
        for (const auto& [k, v] : x->map_entries()) {
          todo.push_back(&k);
          todo.push_back(&v);
        }
        break;
      default:
        break;
    }
  }
  return false;
}

task<std::optional<peer_erl_eval>> learn_erl_eval_identity(process& self, atom node,
                                                               std::chrono::milliseconds timeout) {
  const term& probe = identity_probe();
  if (probe.is_nil()) co_return std::nullopt;
  std::vector<term> args;  // not a braced list inside co_await: g++ 12 miscompiles that
  args.push_back(probe);
  args.emplace_back();
  term r = co_await rpc::call(self, node, a_erl_eval, atom("exprs"), std::move(args), timeout);
  co_return identity_from_answer(r);
}

void install_fun_wire(otp::node& n) {
  dist::engine* engine = n.engine();
  if (!engine) return;
  auto reg = n.services().use_extension<fun_wire_registry>();
  engine->set_closure_policy_factory([reg](const dist::engine::closure_peer& peer) {
    auto entry = std::make_shared<peer_entry>(peer.connection);
    // Hidden peers (erl_call, C nodes) may not answer an rpc at all and must not be sent one
    // they did not ask for: their funs travel as they are.
    if (peer.hidden) entry->st = peer_entry::state::not_beam;
    {
      std::lock_guard lock(reg->mu);
      reg->peers[peer.node] = entry;
    }
    dist::engine::closure_policy policy;
    policy.rewriter = std::make_shared<const etf::closure_rewriter>([entry](const fun_value& f) -> std::optional<term> {
      std::lock_guard lock(entry->mu);
      if (entry->st != peer_entry::state::known) return std::nullopt;
      return with_identity(f, entry->identity);
    });
    if (!peer.hidden) {
      policy.must_wait = [](const term& payload) { return holds_erl_eval_closure(payload); };
      policy.hold_limit = identity_wait;
    }
    return policy;
  });
  runtime* rt = &n.rt();
  engine->on_node_event([reg, rt, engine](const dist::node_event& ev) {
    if (!ev.up) return;
    auto entry = reg->find(ev.node);
    if (!entry) return;
    {
      std::lock_guard lock(entry->mu);
      if (entry->st != peer_entry::state::learning) return;
    }
    (void)rt->spawn(learner, entry, ev.node, engine);
  });
}

task<bool> await_peer_funs(process& self, atom node, std::chrono::milliseconds timeout) {
  auto reg = registry_of(self.rt());
  if (!reg) co_return false;
  if (auto* d = dynamic_cast<dist::engine*>(self.rt().get_distribution())) {
    if (!d->is_connected(node)) d->connect_async(node, [](bool) {});
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  const term never = term(self.make_ref());
  for (;;) {
    auto s = entry_state(reg, node);
    if (s != wait_result::pending) co_return s == wait_result::known;
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await self.receive(on(never) >> [] {}, after(std::chrono::milliseconds(10), [] {}));
  }
}

bool await_peer_funs(scoped_process& self, atom node, std::chrono::milliseconds timeout) {
  auto reg = registry_of(self.rt());
  if (!reg) return false;
  if (auto* d = dynamic_cast<dist::engine*>(self.rt().get_distribution())) {
    if (!d->is_connected(node)) d->connect_async(node, [](bool) {});
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  const term never = term(self.make_ref());
  for (;;) {
    auto s = entry_state(reg, node);
    if (s != wait_result::pending) return s == wait_result::known;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    self.receive(on(never) >> [] {}, after(std::chrono::milliseconds(10), [] {}));
  }
}

}  // namespace otpp::code
