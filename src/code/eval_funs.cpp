// Funs in the evaluator: closures made by interpreted code, their compiled code (cached by the
// fun's clauses), the frame a call of one starts with, and the synchronous fast path library
// code uses to call one many times.
#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "code/evaluator.hpp"
#include "code/sync_call.hpp"
#include "otpp/code/erl_eval_fun.hpp"
#include "otpp/code/module_loader.hpp"

namespace otpp::code::detail {

namespace {

// ---- the compiled-fun cache --------------------------------------------------------------------

std::vector<std::uint32_t> sorted_names(const std::vector<std::pair<atom, term>>& bs) {
  std::vector<std::uint32_t> v;
  v.reserve(bs.size());
  for (const auto& b : bs) v.push_back(b.first.index());
  std::sort(v.begin(), v.end());
  return v;
}

struct cache_entry {
  term clauses;  ///< kept alive so its address stays this code's key
  std::vector<std::uint32_t> names;
  term handler;  ///< the local function handler: the same clauses in a module call its functions
  std::shared_ptr<compiled_fun> fun;
};

// Compiled funs by the address of their clauses list (a fun applied a million times is
// looked up without hashing its code), and by content (the same code arriving again in a
// new message). Both are bounded: an overfull table starts again.
class fun_cache {
 public:
  std::shared_ptr<compiled_fun> find(const term& clauses, const std::vector<std::uint32_t>& names,
                                     const term& handler) {
    const void* key = clauses.list_elements().data();
    std::lock_guard lock(mu_);
    if (auto it = by_address_.find(key); it != by_address_.end()) {
      for (const auto& e : it->second)
        if (e.names == names && exact_equal(e.handler, handler)) return e.fun;
    }
    if (auto it = by_content_.find(clauses); it != by_content_.end()) {
      for (const auto& e : it->second) {
        if (e.names == names && exact_equal(e.handler, handler)) {
          add_address(key, e);
          return e.fun;
        }
      }
    }
    return nullptr;
  }
  void add(const term& clauses, std::vector<std::uint32_t> names, term handler, std::shared_ptr<compiled_fun> fun) {
    std::lock_guard lock(mu_);
    cache_entry e{clauses, std::move(names), std::move(handler), std::move(fun)};
    add_address(clauses.list_elements().data(), e);
    if (by_content_.size() > 20000) by_content_.clear();
    by_content_[clauses].push_back(std::move(e));
  }

 private:
  void add_address(const void* key, const cache_entry& e) {
    if (by_address_.size() > 20000) by_address_.clear();
    by_address_[key].push_back(e);
  }
  std::mutex mu_;
  std::unordered_map<const void*, std::vector<cache_entry>> by_address_;
  std::unordered_map<term, std::vector<cache_entry>> by_content_;
};

fun_cache& cache() {
  static fun_cache c;
  return c;
}

std::vector<std::pair<atom, term>> bindings_list(const term& bs) {
  std::vector<std::pair<atom, term>> out;
  if (bs.is_map()) {
    for (const auto& [k, v] : bs.map_entries()) {
      if (!k.is_atom()) eval_error(tuple_of(atom("illegal_bindings"), bs));
      out.emplace_back(k.atom_value(), v);
    }
  } else if (bs.is_proper_list()) {
    for (const term& b : bs.list_elements()) {
      if (!b.is_tuple() || b.tuple_size() != 2 || !b[0].is_atom()) eval_error(tuple_of(atom("illegal_bindings"), bs));
      out.emplace_back(b[0].atom_value(), b[1]);
    }
  } else {
    eval_error(tuple_of(atom("illegal_bindings"), bs));
  }
  return out;
}

const atom a_otpp_module("otpp_module");

// Whether a closure's local function handler is a module's (`{otpp_module, Name, Version}`).
bool is_module_handler(const term& handler) {
  return handler.is_tuple() && handler.tuple_size() == 3 && handler[0].is_atom(a_otpp_module);
}

// The module whose code made a closure with local function handler `handler`, when that
// version is still loaded (current or old); else null.
std::shared_ptr<const module_code> module_of_handler(const process& self, const term& handler) {
  if (!is_module_handler(handler) || !handler[1].is_atom() || !handler[2].is_small_integer() ||
      handler[2].small_integer() < 0)
    return nullptr;
  auto* services = otp::services_of(self.rt());
  return services ? loaded_module(*services, handler[1].atom_value(), static_cast<std::uint64_t>(handler[2].small_integer()))
                  : nullptr;
}

std::shared_ptr<compiled_fun> compiled_for(const process& self, const term& fun, const erl_eval_closure& c,
                                           const std::vector<std::pair<atom, term>>& bs) {
  auto names = sorted_names(bs);
  if (auto f = cache().find(c.clauses, names, c.local_handler)) return f;
  std::vector<atom> bound;
  for (const auto& b : bs) bound.push_back(b.first);
  std::shared_ptr<const module_code> module;
  if (is_module_handler(c.local_handler)) {
    // A fun made by a module's code: it runs while that version of the module is loaded (funs
    // of purged code fail as on BEAM).
    module = module_of_handler(self, c.local_handler);
    if (!module) eval_error(tuple_of(a_badfun, fun));
  }
  auto f = compile_fun(c.clauses, bound, c.name, module);
  cache().add(c.clauses, std::move(names), c.local_handler, f);
  return f;
}

}  // namespace

// The compiled code and start bindings of the erl_eval closure `fun` (an erl_eval fun, not an
// export fun), or nullptr when otpp cannot run it (a fun of a compiled BEAM module).
const prepared_fun* prepare(ctx& c, const term& fun) {
  const fun_value* key = &fun.fun_content();
  for (const auto& r : c.recent)
    if (r.code && &r.fun.fun_content() == key) return &r;
  auto closure = decode_erl_eval_fun(*key);
  if (!closure) return nullptr;
  auto bs = bindings_list(closure->bindings);
  prepared_fun p;
  p.code = compiled_for(c.self, fun, *closure, bs);
  // Captured bindings: both lists are in name order.
  for (const auto& [name, value] : bs) {
    for (const auto& [cname, slot] : p.code->captured) {
      if (cname == name) {
        p.captured.emplace_back(slot, value);
        break;
      }
    }
  }
  p.fun = fun;
  auto& slot = c.recent[c.next_recent++ % c.recent.size()];
  if (slot.code && std::find(c.retired.begin(), c.retired.end(), slot.code) == c.retired.end())
    c.retired.push_back(std::move(slot.code));
  slot = std::move(p);
  return &slot;
}

term make_closure(ctx& c, const node& n, frame& f) {
  std::vector<std::pair<atom, term>> bs;
  bs.reserve(n.captures.size());
  for (const auto& [name, slot] : n.captures) {
    if (!f.bound[slot]) continue;
    bs.emplace_back(name, f.slots[slot]);
  }
  std::sort(bs.begin(), bs.end(), [](const auto& x, const auto& y) { return compare(x.first, y.first) < 0; });
  std::vector<term> orddict;
  orddict.reserve(bs.size());
  for (auto& [k, v] : bs) orddict.push_back(tuple_of(k, v));
  erl_eval_closure cl;
  cl.anno = n.lit;
  cl.bindings = term::list(std::move(orddict));
  cl.clauses = n.fun->clauses_term;
  cl.name = n.fun->fun_name;
  cl.local_handler = n.fun->local_handler;
  // The compiled code is found again by its clauses' address when the fun is applied.
  auto names = sorted_names(bs);
  if (!cache().find(cl.clauses, names, cl.local_handler)) cache().add(cl.clauses, names, cl.local_handler, n.fun);
  return make_erl_eval_fun(c.self.self(), n.fun->arity, cl);
}

// ---- the synchronous fast path ------------------------------------------------------------------

struct sync_fun {
  term fun;
  bool resolved = false;
  bool usable = false;   ///< resolved: no clause body can suspend
  prepared_fun p;
  std::optional<ctx> c;  ///< made at the first call, for the process that calls
};

std::shared_ptr<sync_fun> prepare_sync(const term& fun, std::size_t arity) {
  if (!fun.is_fun() || fun.fun_content().is_export || fun.fun_content().arity != arity) return nullptr;
  auto closure = decode_erl_eval_fun(fun.fun_content());
  // A fun made by a module's code runs while its module is held: the general path does that.
  if (!closure || is_module_handler(closure->local_handler)) return nullptr;
  auto out = std::make_shared<sync_fun>();
  out->fun = fun;
  return out;
}

bool sync_ready(process& self, sync_fun& s) {
  if (s.resolved) return s.usable;
  s.resolved = true;
  try {
    s.c.emplace(self);
    const prepared_fun* p = prepare(*s.c, s.fun);
    if (!p || p->code->arity != s.fun.fun_content().arity) return false;
    for (const auto& cl : p->code->clauses)
      if (cl.body->suspends) return false;
    s.p = *p;
    s.usable = true;
  } catch (const std::exception&) {
    // The general path raises the error when the fun is called.
  }
  return s.usable;
}

term call_sync(sync_fun& s, std::span<const term> args) {
  ctx& c = *s.c;
  const compiled_fun& code = *s.p.code;
  frame f(code.nslots);
  enter(s.p, f);
  c.trail.clear();
  const clause_c* chosen = choose_clause(c, code, args, f);
  if (!chosen) raise_function_clause(args);
  term r = eval_sync(c, *chosen->body, f);
  c.trail.clear();
  return r;
}

}  // namespace otpp::code::detail
