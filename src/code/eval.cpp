// The evaluator: runs compiled abstract format inside a process. Expressions that cannot
// suspend run as plain C++ calls; calls and receive run as coroutines (one frame per call,
// not per expression). Tail calls reuse the caller's loop, deep recursion ends the process
// with system_limit before the C++ stack runs out, and every call counts a reduction.
#include <pthread.h>

#include <algorithm>

#include "code/evaluator.hpp"
#include "otpp/otp/services.hpp"

namespace otpp::code::detail {

// ---- the one place the evaluator finds the node's export table ----------------------------

export_table* exports_for(const process& self) {
  auto* s = otp::services_of(self.rt());
  return s ? &s->exports() : nullptr;
}

// ---- C++ stack guard -------------------------------------------------------------------------

const char* find_stack_limit() {
  pthread_attr_t attr;
  void* addr = nullptr;
  std::size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
  }
  std::size_t margin = std::min<std::size_t>(size / 2, 512 * 1024);
  return static_cast<const char*>(addr) + margin;
}

namespace {

[[noreturn]] void raise_badmatch(const term& v) { eval_error(tuple_of(a_badmatch, v)); }

const term& read_var(const node& n, frame& f) {
  if (!f.bound[n.slot]) eval_error(tuple_of(a_unbound_var, n.name));
  return f.slots[n.slot];
}

}  // namespace

// ---- matching -----------------------------------------------------------------------------------

bool guard_true(ctx& c, const clause_c& cl, frame& f) {
  if (cl.guards.empty()) return true;
  for (const auto& conj : cl.guards) {
    bool ok = true;
    try {
      for (const node* g : conj) {
        if (!eval_sync(c, *g, f).is_atom(atoms::true_)) {
          ok = false;
          break;
        }
      }
    } catch (const std::exception&) {
      ok = false;  // a failing guard expression is false
    }
    if (ok) return true;
  }
  return false;
}

// The clause whose pattern and guard accept `v` (its bindings made), or -1.
int select(ctx& c, const std::vector<clause_c>& cls, const term& v, frame& f) {
  for (std::size_t i = 0; i < cls.size(); ++i) {
    std::size_t mark = c.trail.size();
    if (match(c, *cls[i].pats[0], v, f) && guard_true(c, cls[i], f)) {
      c.trail.resize(mark);
      return static_cast<int>(i);
    }
    undo(c, f, mark);
  }
  return -1;
}

namespace {

// ---- pattern matching -----------------------------------------------------------------------------

bool bind(ctx& c, const pat& p, const term& v, frame& f) {
  if (p.kind == pk::bind) {
    f.slots[p.slot] = v;
    f.bound[p.slot] = 1;
    return true;
  }
  if (f.bound[p.slot]) return exact_equal(f.slots[p.slot], v);
  f.slots[p.slot] = v;
  f.bound[p.slot] = 1;
  c.trail.push_back(p.slot);
  return true;
}

}  // namespace

bool match(ctx& c, const pat& p, const term& v, frame& f) {
  switch (p.kind) {
    case pk::lit: return exact_equal(p.lit, v);
    case pk::wild: return true;
    case pk::bind:
    case pk::check: return bind(c, p, v, f);
    case pk::alias: return match(c, *p.kids[0], v, f) && match(c, *p.kids[1], v, f);
    case pk::tuple: {
      if (!v.is_tuple() || v.tuple_size() != p.kids.size()) return false;
      for (std::size_t i = 0; i < p.kids.size(); ++i)
        if (!match(c, *p.kids[i], v[i], f)) return false;
      return true;
    }
    case pk::cons: {
      if (v.type() != term::kind::list) return false;
      auto xs = v.list_elements();
      std::size_t k = p.kids.size();
      if (xs.size() < k) return false;
      for (std::size_t i = 0; i < k; ++i)
        if (!match(c, *p.kids[i], xs[i], f)) return false;
      if (p.tail->kind == pk::wild) return true;
      return match(c, *p.tail, v.list_nthtail(k), f);
    }
    case pk::map: {
      if (!v.is_map()) return false;
      for (const auto& [k, vp] : p.map) {
        term key = eval_sync(c, *k, f);
        const term* x = v.map_find(key);
        if (!x || !match(c, *vp, *x, f)) return false;
      }
      return true;
    }
    case pk::bin: {
      if (!v.is_bitstring()) return false;
      bit_reader r(v);
      for (const auto& s : p.segs) {
        std::optional<term> size;
        if (s.size) {
          try {
            size = eval_sync(c, *s.size, f);
          } catch (const std::exception&) {
            return false;
          }
        }
        auto got = r.get(s.spec, size);
        if (!got || !match(c, *s.p, *got, f)) return false;
      }
      return r.at_end();
    }
  }
  return false;
}

// The clause of `code` whose patterns and guard accept `args` (its bindings made in `f`), or
// nullptr.
const clause_c* choose_clause(ctx& c, const compiled_fun& code, std::span<const term> args, frame& f) {
  for (const auto& cl : code.clauses) {
    std::size_t mark = c.trail.size();
    bool ok = true;
    for (std::size_t i = 0; i < args.size() && ok; ++i) ok = match(c, *cl.pats[i], args[i], f);
    if (ok && guard_true(c, cl, f)) {
      c.trail.resize(mark);
      return &cl;
    }
    undo(c, f, mark);
  }
  return nullptr;
}

[[noreturn]] void raise_function_clause(std::span<const term> args) {
  throw raised_error(a_function_clause,
                     list_of(term::tuple({a_erl_eval, a_inside,
                                          list_of(term::list(std::vector<term>(args.begin(), args.end()))), term()})));
}

namespace {

// ---- building values -------------------------------------------------------------------------------

term build_map(ctx& c, const node& n, frame& f, const term* base, std::span<const term> keys, std::span<const term> vals) {
  std::vector<std::pair<term, term>> entries;
  if (base) {
    if (!base->is_map()) eval_error(tuple_of(a_badmap, *base));
    entries.assign(base->map_entries().begin(), base->map_entries().end());
  }
  (void)c;
  (void)f;
  for (std::size_t i = 0; i < n.assocs.size(); ++i) {
    if (n.assocs[i].exact) {
      auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return exact_equal(e.first, keys[i]); });
      if (it == entries.end()) eval_error(tuple_of(a_badkey, keys[i]));
      it->second = vals[i];
    } else {
      entries.emplace_back(keys[i], vals[i]);
    }
  }
  // term::map keeps the last of duplicate keys, as `=>` does.
  return term::map(std::move(entries));
}

term build_bin(const node& n, std::span<const term> vals, std::span<const std::optional<term>> sizes) {
  bit_writer w;
  for (std::size_t i = 0; i < n.segs.size(); ++i) {
    if (!w.put(n.segs[i].spec, vals[i], sizes[i])) eval_error(atoms::badarg);
  }
  return w.finish();
}

}  // namespace

// ---- synchronous evaluation (nothing below suspends) --------------------------------------------------

// Counts a synchronous call's depth, on the way in and out (an error or a cut unwinds it).
struct sync_depth {
  explicit sync_depth(ctx& c) : c_(c) {
    if (++c.depth > max_call_depth) {
      --c.depth;
      eval_error(a_system_limit);
    }
    c.sync_reached = std::max(c.sync_reached, c.depth);
  }
  ~sync_depth() { --c_.depth; }
  sync_depth(const sync_depth&) = delete;
  sync_depth& operator=(const sync_depth&) = delete;

 private:
  ctx& c_;
};

// A call of c.sync_fun with `args` and the self-calls its body makes in tail position, as one
// loop; `nested`: a self-call inside the run (counted here; the run's first call was counted
// by its caller).
term run_sync(ctx& c, std::span<const term> args, bool nested) {
  const prepared_fun& p = *c.sync_fun;
  const compiled_fun& code = *p.code;
  std::optional<sync_depth> depth;
  if (nested) {
    if (++c.sync_count > max_sync_calls) throw sync_cut{false};
    depth.emplace(c);
    if (sync_stack_deep()) throw sync_cut{true};
    (void)otpp::detail::consume_reduction();
  }
  std::vector<term> own;  // tail-call arguments
  for (;;) {
    frame f(code.nslots);
    for (const auto& [slot, value] : p.captured) {
      f.slots[slot] = value;
      f.bound[slot] = 1;
    }
    if (code.self_read) {
      f.slots[*code.self_slot] = p.fun;
      f.bound[*code.self_slot] = 1;
    }
    const clause_c* chosen = choose_clause(c, code, args, f);
    if (!chosen) raise_function_clause(args);
    term r = eval_sync(c, *chosen->body, f);
    if (!c.sync_has_tail) return r;
    c.sync_has_tail = false;
    if (++c.sync_count > max_sync_calls) throw sync_cut{false, !nested};
    own.swap(c.sync_tail_args);
    args = own;
    (void)otpp::detail::consume_reduction();
  }
}

term eval_sync(ctx& c, const node& n, frame& f) {
  switch (n.kind) {
    case nk::lit: return n.lit;
    case nk::var: return read_var(n, f);
    case nk::match: {
      term v = eval_sync(c, *n.a, f);
      if (!match(c, *n.p, v, f)) raise_badmatch(v);
      c.trail.clear();
      return v;
    }
    case nk::tuple: {
      std::vector<term> es;
      es.reserve(n.kids.size());
      for (const node* k : n.kids) es.push_back(eval_sync(c, *k, f));
      return term::tuple(std::move(es));
    }
    case nk::cons: {
      std::vector<term> es;
      es.reserve(n.kids.size());
      for (std::size_t i = 0; i + 1 < n.kids.size(); ++i) es.push_back(eval_sync(c, *n.kids[i], f));
      term t = eval_sync(c, *n.kids.back(), f);
      return term::list(std::move(es), std::move(t));
    }
    case nk::map_new:
    case nk::map_upd: {
      std::optional<term> base;
      if (n.a) base = eval_sync(c, *n.a, f);
      std::vector<term> ks, vs;
      for (const auto& as : n.assocs) {
        ks.push_back(eval_sync(c, *as.key, f));
        vs.push_back(eval_sync(c, *as.value, f));
      }
      return build_map(c, n, f, base ? &*base : nullptr, ks, vs);
    }
    case nk::bin: {
      std::vector<term> vs;
      std::vector<std::optional<term>> sizes;
      for (const auto& s : n.segs) {
        vs.push_back(eval_sync(c, *s.value, f));
        sizes.push_back(s.size ? std::optional<term>(eval_sync(c, *s.size, f)) : std::nullopt);
      }
      return build_bin(n, vs, sizes);
    }
    case nk::bif: {
      arg_buffer a(n.kids.size());
      for (std::size_t i = 0; i < n.kids.size(); ++i) a[i] = eval_sync(c, *n.kids[i], f);
      return n.fn(&c.self, a.span());
    }
    case nk::andalso:
    case nk::orelse: {
      term l = eval_sync(c, *n.a, f);
      bool is_and = n.kind == nk::andalso;
      if (l.is_atom(is_and ? atoms::true_ : atoms::false_)) return eval_sync(c, *n.b, f);
      if (l.is_atom(is_and ? atoms::false_ : atoms::true_)) return l;
      eval_error(tuple_of(atoms::badarg, l));
    }
    case nk::block: {
      term v;
      for (const node* k : n.kids) v = eval_sync(c, *k, f);
      return v;
    }
    case nk::make_fun: return make_closure(c, n, f);
    case nk::case_: {
      term v = eval_sync(c, *n.a, f);
      int i = select(c, n.clauses, v, f);
      if (i < 0) eval_error(tuple_of(a_case_clause, v));
      return eval_sync(c, *n.clauses[static_cast<std::size_t>(i)].body, f);
    }
    case nk::if_: {
      for (const auto& cl : n.clauses)
        if (guard_true(c, cl, f)) return eval_sync(c, *cl.body, f);
      eval_error(a_if_clause);
    }
    case nk::call_fun: {
      // Only a synchronous run's self-calls come here (every other call suspends).
      if (!n.self_call || c.sync_fun == nullptr) break;
      arg_buffer a(n.kids.size());
      for (std::size_t i = 0; i < n.kids.size(); ++i) a[i] = eval_sync(c, *n.kids[i], f);
      if (n.tail) {
        c.sync_tail_args.clear();
        for (std::size_t i = 0; i < n.kids.size(); ++i) c.sync_tail_args.push_back(std::move(a[i]));
        c.sync_has_tail = true;
        return term();
      }
      return run_sync(c, a.span(), true);
    }
    case nk::catch_: {
      // Not reached: catch is compiled as suspending only when its body is; a pure body runs
      // here.
      try {
        return eval_sync(c, *n.a, f);
      } catch (const throw_exception& t) {
        return t.value();
      } catch (const exit_exception& x) {
        return tuple_of(atoms::EXIT, x.reason());
      } catch (const error_exception& x) {
        return tuple_of(atoms::EXIT, tuple_of(x.reason(), x.stack()));
      }
    }
    default: break;
  }
  // Everything else (case, if, try, calls, receive, comprehensions) goes through eval().
  throw std::logic_error("otpp: a suspending expression evaluated synchronously");
}

// ---- coroutine evaluation ------------------------------------------------------------------------------

// Destroying a suspended chain of 100,000 nested calls (a process killed deep in recursion)
// would nest 100,000 C++ destructor calls. Child tasks are buried instead: the outermost
// destruction on this thread destroys them one after another.
thread_local std::vector<task<term>>* graveyard = nullptr;

void bury(task<term>&& t) {
  if (graveyard) {
    graveyard->push_back(std::move(t));
    return;
  }
  std::vector<task<term>> pending;
  graveyard = &pending;
  { task<term> first(std::move(t)); }
  while (!pending.empty()) {
    task<term> next(std::move(pending.back()));
    pending.pop_back();
  }
  graveyard = nullptr;
}

namespace {

task<term> eval_match(ctx& c, const node& n, frame& f) {
  term v = OTPP_EVAL(c, *n.a, f);
  if (!match(c, *n.p, v, f)) raise_badmatch(v);
  c.trail.clear();
  co_return v;
}

task<term> eval_tuple(ctx& c, const node& n, frame& f) {
  std::vector<term> es;
  es.reserve(n.kids.size());
  for (const node* k : n.kids) es.push_back(OTPP_EVAL(c, *k, f));
  co_return term::tuple(std::move(es));
}

task<term> eval_cons(ctx& c, const node& n, frame& f) {
  std::vector<term> es;
  for (std::size_t i = 0; i + 1 < n.kids.size(); ++i) es.push_back(OTPP_EVAL(c, *n.kids[i], f));
  term t = OTPP_EVAL(c, *n.kids.back(), f);
  co_return term::list(std::move(es), std::move(t));
}

task<term> eval_map(ctx& c, const node& n, frame& f) {
  std::optional<term> base;
  if (n.a) base = OTPP_EVAL(c, *n.a, f);
  std::vector<term> ks, vs;
  for (const auto& as : n.assocs) {
    ks.push_back(OTPP_EVAL(c, *as.key, f));
    vs.push_back(OTPP_EVAL(c, *as.value, f));
  }
  co_return build_map(c, n, f, base ? &*base : nullptr, ks, vs);
}

task<term> eval_bin(ctx& c, const node& n, frame& f) {
  std::vector<term> vs;
  std::vector<std::optional<term>> sizes;
  for (const auto& s : n.segs) {
    vs.push_back(OTPP_EVAL(c, *s.value, f));
    if (s.size) {
      sizes.push_back(OTPP_EVAL(c, *s.size, f));
    } else {
      sizes.push_back(std::nullopt);
    }
  }
  co_return build_bin(n, vs, sizes);
}

task<term> eval_bif(ctx& c, const node& n, frame& f) {
  arg_buffer a(n.kids.size());
  for (std::size_t i = 0; i < n.kids.size(); ++i) a[i] = OTPP_EVAL(c, *n.kids[i], f);
  co_return n.fn(&c.self, a.span());
}

task<term> eval_logic(ctx& c, const node& n, frame& f) {
  term l = OTPP_EVAL(c, *n.a, f);
  bool is_and = n.kind == nk::andalso;
  if (l.is_atom(is_and ? atoms::true_ : atoms::false_)) co_return OTPP_EVAL(c, *n.b, f);
  if (l.is_atom(is_and ? atoms::false_ : atoms::true_)) co_return l;
  eval_error(tuple_of(atoms::badarg, l));
}

task<term> eval_block(ctx& c, const node& n, frame& f) {
  term v;
  for (const node* k : n.kids) v = OTPP_EVAL(c, *k, f);
  co_return v;
}

task<term> eval_case(ctx& c, const node& n, frame& f) {
  term v = OTPP_EVAL(c, *n.a, f);
  int i = select(c, n.clauses, v, f);
  if (i < 0) eval_error(tuple_of(a_case_clause, v));
  co_return OTPP_EVAL(c, *n.clauses[static_cast<std::size_t>(i)].body, f);
}

task<term> eval_if(ctx& c, const node& n, frame& f) {
  for (const auto& cl : n.clauses) {
    if (guard_true(c, cl, f)) co_return OTPP_EVAL(c, *cl.body, f);
  }
  eval_error(a_if_clause);
}

task<term> eval_plain(ctx& c, const node& n, frame& f) { co_return eval_sync(c, n, f); }

}  // namespace

// One small coroutine per kind of node keeps each frame small (a frame holds the locals of
// every branch of its function).
task<term> eval(ctx& c, const node& n, frame& f) {
  switch (n.kind) {
    case nk::match: return eval_match(c, n, f);
    case nk::tuple: return eval_tuple(c, n, f);
    case nk::cons: return eval_cons(c, n, f);
    case nk::map_new: return eval_map(c, n, f);
    case nk::map_upd: return eval_map(c, n, f);
    case nk::bin: return eval_bin(c, n, f);
    case nk::bif: return eval_bif(c, n, f);
    case nk::andalso: return eval_logic(c, n, f);
    case nk::orelse: return eval_logic(c, n, f);
    case nk::block: return eval_block(c, n, f);
    case nk::case_: return eval_case(c, n, f);
    case nk::if_: return eval_if(c, n, f);
    case nk::receive_: return eval_receive(c, n, f);
    case nk::try_: return eval_try(c, n, f);
    case nk::catch_: return eval_catch(c, n, f);
    case nk::call_remote: return eval_call_remote(c, n, f);
    case nk::call_dyn: return eval_call_dyn(c, n, f);
    case nk::call_local: return eval_call_local(c, n, f);
    case nk::call_fun: return eval_call_fun(c, n, f);
    case nk::apply2: return eval_call_fun(c, n, f);
    case nk::apply3: return eval_call_fun(c, n, f);
    case nk::lc: return eval_comprehension(c, n, f);
    case nk::bc: return eval_comprehension(c, n, f);
    default: return eval_plain(c, n, f);
  }
  return eval_plain(c, n, f);
}

}  // namespace otpp::code::detail
