// The evaluator: runs compiled abstract format inside a process. Expressions that cannot
// suspend run as plain C++ calls; calls and receive run as coroutines (one frame per call,
// not per expression). Tail calls reuse the caller's loop, deep recursion ends the process
// with system_limit before the C++ stack runs out, and every call counts a reduction.
#include <pthread.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>

#include "code/compiled.hpp"
#include "code/sync_call.hpp"
#include "otpp/code/erl_eval_fun.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/services.hpp"
#include "otpp/term/list_builder.hpp"

#include "otpp/code/eval_str.hpp"
#include "otpp/code/fun_wire.hpp"
#include "otpp/code/library.hpp"
#include "otpp/code/module_loader.hpp"
#include "otpp/code/stdlib.hpp"

namespace otpp::code {

using namespace detail;

namespace {

const atom a_erl_eval("erl_eval"), a_badmatch("badmatch"), a_case_clause("case_clause"),
    a_if_clause("if_clause"), a_try_clause("try_clause"), a_function_clause("function_clause"),
    a_badfun("badfun"), a_badarity("badarity"), a_unbound_var("unbound_var"), a_badmap("badmap"),
    a_badkey("badkey"), a_bad_generator("bad_generator"), a_bad_filter("bad_filter"),
    a_system_limit("system_limit"), a_nocatch("nocatch"), a_apply("apply"), a_none("none"),
    a_inside("-inside-an-interpreted-fun-"), a_value("value");

// ---- the one place the evaluator finds the node's export table ----------------------------

export_table* exports_for(const process& self) {
  auto* s = otp::services_of(self.rt());
  return s ? &s->exports() : nullptr;
}

// ---- C++ stack guard -------------------------------------------------------------------------

// The lowest usable address of this thread's stack, plus a margin for the code that runs
// between two checks (BIFs, the codec, a crash report).
thread_local const char* stack_limit = nullptr;

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

// Whether this thread's stack is deep. A chain of coroutines that complete one another nests
// C++ calls where the compiler does not turn symmetric transfer into tail calls (g++ -O0), so
// long loops of interpreted calls yield to the scheduler when it is, which unwinds the stack.
bool stack_deep() {
  if (!stack_limit) stack_limit = find_stack_limit();
  return static_cast<const char*>(__builtin_frame_address(0)) < stack_limit;
}

// Whether a synchronous run must stop: it leaves a good part of the stack to the coroutine
// path that takes over.
bool sync_stack_deep() {
  if (!stack_limit) stack_limit = find_stack_limit();
  return static_cast<const char*>(__builtin_frame_address(0)) < stack_limit + 256 * 1024;
}

// ---- frames and the evaluation context --------------------------------------------------------

// A fun's variables. Most funs have few, held inside the frame itself (so a call allocates
// nothing for them); more go to the heap.
struct frame {
  static constexpr std::uint32_t inline_slots = 8;
  explicit frame(std::uint32_t n) {
    if (n <= inline_slots) {
      slots = small_.data();
      bound = small_bound_.data();
    } else {
      big_ = std::make_unique<term[]>(n);
      big_bound_ = std::make_unique<std::uint8_t[]>(n);
      slots = big_.get();
      bound = big_bound_.get();
    }
  }
  frame(const frame&) = delete;
  frame& operator=(const frame&) = delete;
  term* slots;
  std::uint8_t* bound;

 private:
  std::array<term, inline_slots> small_;
  std::array<std::uint8_t, inline_slots> small_bound_{};
  std::unique_ptr<term[]> big_;
  std::unique_ptr<std::uint8_t[]> big_bound_;
};

// Small argument arrays stay on the C++ stack.
struct arg_buffer {
  std::array<term, 6> inline_;
  std::vector<term> heap_;
  std::size_t n = 0;
  explicit arg_buffer(std::size_t count) : n(count) {
    if (count > inline_.size()) heap_.resize(count);
  }
  term& operator[](std::size_t i) { return n > inline_.size() ? heap_[i] : inline_[i]; }
  std::span<const term> span() const { return n > inline_.size() ? std::span<const term>(heap_) : std::span<const term>(inline_.data(), n); }
  std::vector<term> to_vector() {
    std::vector<term> v;
    v.reserve(n);
    for (std::size_t i = 0; i < n; ++i) v.push_back(std::move((*this)[i]));
    return v;
  }
};

// A closure resolved to its compiled code and the values its captured variables start with,
// found again by the fun's identity while the fun is kept here.
struct prepared_fun {
  term fun;
  std::shared_ptr<compiled_fun> code;
  std::vector<std::pair<std::uint32_t, term>> captured;  ///< slot, value
};

struct ctx {
  explicit ctx(process& p) : self(p) {}
  process& self;
  std::size_t depth = 0;
  std::vector<std::uint32_t> trail;  ///< slots bound by a match that may still fail
  // A call in tail position hands its fun and arguments to the running apply loop.
  bool has_tail = false;
  term tail_fun;
  std::vector<term> tail_args;
  const module_code* tail_module = nullptr;  ///< a local call in tail position: its module
  std::uint32_t tail_index = 0;              ///< and the function's index there
  // The funs applied last (a named fun calls itself again and again; a loop calls a few funs),
  // replaced round robin.
  std::array<prepared_fun, 4> recent;
  std::size_t next_recent = 0;
  // Code replaced in `recent` stays alive while this evaluation runs (a call in progress
  // holds a plain pointer to it): each compiled fun once.
  std::vector<std::shared_ptr<compiled_fun>> retired;
  // A synchronous run (compiled_fun::sync_calls): the fun whose self-calls it makes, the calls
  // made so far, the deepest call reached, a self-call in tail position handed to its loop.
  const prepared_fun* sync_fun = nullptr;
  std::size_t sync_count = 0;
  std::size_t sync_reached = 0;
  bool sync_has_tail = false;
  std::vector<term> sync_tail_args;
  // Calls at this depth or above run as coroutines (a synchronous run of theirs was cut short).
  std::size_t sync_from = 0;
  // The source line of the operation the running function does now (set just before an
  // operation that may fail), which a module function's stack frame names.
  std::uint32_t line = 0;
};

// Ends a synchronous run that grew too deep for the C++ stack (`stack`) or ran too long to
// keep the scheduler waiting; the call then runs as coroutines from its start. Not an
// std::exception: nothing in interpreted code may catch it.
struct sync_cut {
  bool stack;
  /// Not cut: a loop of tail self-calls at the run's first level ran its share, and goes on
  /// as coroutines from the arguments in ctx::sync_tail_args (nothing to run again).
  bool resume = false;
};

// A synchronous run makes at most this many calls (about a millisecond) before it is cut.
constexpr std::size_t max_sync_calls = 32768;

[[noreturn]] void raise_badmatch(const term& v) { eval_error(tuple_of(a_badmatch, v)); }

const term& read_var(const node& n, frame& f) {
  if (!f.bound[n.slot]) eval_error(tuple_of(a_unbound_var, n.name));
  return f.slots[n.slot];
}

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

// A new frame for a call of `p` with its captured variables (and a named fun's own name) bound.
void enter(const prepared_fun& p, frame& f) {
  for (const auto& [slot, value] : p.captured) {
    f.slots[slot] = value;
    f.bound[slot] = 1;
  }
  if (p.code->self_slot) {
    f.slots[*p.code->self_slot] = p.fun;
    f.bound[*p.code->self_slot] = 1;
  }
}

// ---- receive ------------------------------------------------------------------------------------

bool match(ctx& c, const pat& p, const term& v, frame& f);
term eval_sync(ctx& c, const node& n, frame& f);
const clause_c* choose_clause(ctx& c, const compiled_fun& code, std::span<const term> args, frame& f);
[[noreturn]] void raise_function_clause(std::span<const term> args);
task<term> eval(ctx& c, const node& n, frame& f);
task<term> apply_fun(ctx& c, term fun, std::vector<term> args);
task<term> run_calls(ctx& c, term fun, const module_code* module, std::uint32_t index, std::vector<term> args);
task<term> call_mfa(ctx& c, atom m, atom fn, std::vector<term> args);

void undo(ctx& c, frame& f, std::size_t mark) {
  while (c.trail.size() > mark) {
    f.bound[c.trail.back()] = 0;
    c.trail.pop_back();
  }
}

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
      c.line = n.line;
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
      c.line = n.line;
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
      c.line = n.line;
      int i = select(c, n.clauses, v, f);
      if (i < 0) eval_error(tuple_of(a_case_clause, v));
      return eval_sync(c, *n.clauses[static_cast<std::size_t>(i)].body, f);
    }
    case nk::if_: {
      c.line = n.line;
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

// `co_await deferred(child(...))`: awaits a child task whose frame is buried, not destroyed
// in place.
struct deferred : otpp::detail::awaitable_base {
  explicit deferred(task<term> t) : t_(std::move(t)) {}
  deferred(deferred&& o) noexcept : t_(std::move(o.t_)) { o.t_.reset(); }
  ~deferred() {
    if (t_) bury(std::move(*t_));
  }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) { return t_->await_suspend(h); }
  term await_resume() { return t_->await_resume(); }

 private:
  std::optional<task<term>> t_;
};

// `co_await evaluate(c, n, f)`: a node that cannot suspend is evaluated in await_resume,
// without a coroutine frame; one that can runs as a child task. (A `cond ? co_await a : b`
// would be shorter, but g++ 12 destroys the temporaries of such a conditional too early.)
//
// A call of a fun whose operands cannot suspend (`F(N - 1)`, the commonest call) evaluates
// them here and runs apply_fun as its child, without a coroutine frame of its own; in tail
// position it hands the call to the running apply loop at once.
struct evaluate : otpp::detail::awaitable_base {
  evaluate(ctx& c, const node& n, frame& f) : c_(c), n_(&n), f_(f) {}
  evaluate(evaluate&& o) noexcept
      : c_(o.c_), n_(o.n_), f_(o.f_), t_(std::move(o.t_)), fun_(std::move(o.fun_)), args_(std::move(o.args_)),
        call_(o.call_), handed_(o.handed_) {
    o.t_.reset();
  }
  bool await_ready() {
    // A block whose expressions before the last cannot suspend (`P ! M, receive ... end`,
    // `From ! N, loop()`): they run here, and only the last is awaited.
    while (n_->kind == nk::block && n_->suspends && plain_prefix(*n_)) {
      for (std::size_t i = 0; i + 1 < n_->kids.size(); ++i) (void)eval_sync(c_, *n_->kids[i], f_);
      n_ = n_->kids.back();
    }
    if (!n_->suspends) return true;
    if (n_->kind != nk::call_fun || n_->a->suspends) return false;
    for (const node* k : n_->kids)
      if (k->suspends) return false;
    fun_ = eval_sync(c_, *n_->a, f_);
    args_.reserve(n_->kids.size());
    for (const node* k : n_->kids) args_.push_back(eval_sync(c_, *k, f_));
    c_.line = n_->line;
    if (n_->tail && fun_.is_fun() && !fun_.fun_content().is_export) {
      c_.has_tail = true;
      c_.tail_fun = std::move(fun_);
      c_.tail_args = std::move(args_);
      handed_ = true;
      return true;
    }
    call_ = true;
    return false;
  }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
    t_.emplace(call_ ? apply_fun(c_, std::move(fun_), std::move(args_)) : eval(c_, *n_, f_));
    return t_->await_suspend(h);
  }
  term await_resume() {
    if (t_) return t_->await_resume();
    if (handed_) return term();
    return eval_sync(c_, *n_, f_);
  }
  ~evaluate() {
    if (t_) bury(std::move(*t_));
  }
  static bool plain_prefix(const node& block) {
    for (std::size_t i = 0; i + 1 < block.kids.size(); ++i)
      if (block.kids[i]->suspends) return false;
    return true;
  }

 private:
  ctx& c_;
  const node* n_;
  frame& f_;
  std::optional<task<term>> t_;
  term fun_;
  std::vector<term> args_;
  bool call_ = false;    ///< a call whose operands are evaluated: apply_fun is the child
  bool handed_ = false;  ///< a tail call handed to the apply loop
};

#define OTPP_EVAL(c, n, f) (co_await evaluate((c), (n), (f)))

// Erlang's error for a failed try/catch: class, reason and stack as a catch clause sees them.
struct caught {
  atom cls;
  term reason;
  term stack;
};

caught classify(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const throw_exception& t) {
    return {atoms::throw_, t.value(), term()};
  } catch (const exit_exception& x) {
    return {atoms::exit, x.reason(), term()};
  } catch (const error_exception& x) {
    return {atoms::error, x.reason(), x.stack()};
  } catch (const std::bad_alloc&) {
    return {atoms::error, a_system_limit, term()};
  } catch (const std::exception& x) {
    return {atoms::error, tuple_of(atoms::error, term::binary(std::string_view(x.what()))), term()};
  }
}

[[noreturn]] void rethrow(const caught& k) {
  if (k.cls == atoms::throw_) throw throw_exception(k.reason);
  if (k.cls == atoms::exit) throw exit_exception(k.reason);
  throw raised_error(k.reason, k.stack);
}

task<term> eval_match(ctx& c, const node& n, frame& f) {
  term v = OTPP_EVAL(c, *n.a, f);
  c.line = n.line;
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
  c.line = n.line;
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
  c.line = n.line;
  int i = select(c, n.clauses, v, f);
  if (i < 0) eval_error(tuple_of(a_case_clause, v));
  co_return OTPP_EVAL(c, *n.clauses[static_cast<std::size_t>(i)].body, f);
}

task<term> eval_if(ctx& c, const node& n, frame& f) {
  c.line = n.line;
  for (const auto& cl : n.clauses) {
    if (guard_true(c, cl, f)) co_return OTPP_EVAL(c, *cl.body, f);
  }
  eval_error(a_if_clause);
}

task<term> eval_receive(ctx& c, const node& n, frame& f) {
  std::optional<std::chrono::milliseconds> timeout;
  if (n.a) {
    term t = OTPP_EVAL(c, *n.a, f);
    if (t.is_atom(atoms::infinity)) {
    } else if (t.is_small_integer() && t.small_integer() >= 0 && t.small_integer() <= 0xFFFFFFFFll) {
      timeout = std::chrono::milliseconds(t.small_integer());
    } else {
      eval_error(atom("timeout_value"));
    }
  }
  // process_info's current_function, as BEAM shows a process waiting in erl_eval's receive.
  static const term waiting_in = tuple_of(atom("prim_eval"), atom("receive"), term(2));
  c.self.set_current_function(waiting_in);
  int chosen = -1;
  auto matcher = [&](const term& msg) {
    chosen = select(c, n.clauses, msg, f);
    return chosen >= 0;
  };
  std::optional<term> got;
  if (timeout) {
    got = co_await c.self.receive(match_if(matcher) >> [](term m) { return std::optional<term>(std::move(m)); },
                                  after(*timeout, [] { return std::optional<term>(); }));
  } else {
    got = co_await c.self.receive(match_if(matcher) >> [](term m) { return std::optional<term>(std::move(m)); });
  }
  if (!got) co_return OTPP_EVAL(c, *n.b, f);
  // The matcher left the chosen clause's bindings in the frame.
  co_return OTPP_EVAL(c, *n.clauses[static_cast<std::size_t>(chosen)].body, f);
}

task<term> eval_try(ctx& c, const node& n, frame& f) {
  std::exception_ptr failure;
  term v;
  try {
    v = OTPP_EVAL(c, *n.a, f);
  } catch (...) {
    failure = std::current_exception();
  }
  std::exception_ptr after_failure;
  term result;
  bool have_result = false;
  try {
    if (!failure) {
      if (n.clauses.empty()) {
        result = v;
      } else {
        int i = select(c, n.clauses, v, f);
        if (i < 0) eval_error(tuple_of(a_try_clause, v));
        result = OTPP_EVAL(c, *n.clauses[static_cast<std::size_t>(i)].body, f);
      }
      have_result = true;
    } else {
      caught k = classify(failure);
      term triple = term::tuple({k.cls, k.reason, k.stack});
      int i = n.catches.empty() ? -1 : select(c, n.catches, triple, f);
      if (i < 0) rethrow(k);
      result = OTPP_EVAL(c, *n.catches[static_cast<std::size_t>(i)].body, f);
      have_result = true;
    }
  } catch (...) {
    after_failure = std::current_exception();
  }
  if (n.b) (void)OTPP_EVAL(c, *n.b, f);
  if (after_failure) std::rethrow_exception(after_failure);
  (void)have_result;
  co_return result;
}

task<term> eval_catch(ctx& c, const node& n, frame& f) {
  std::exception_ptr failure;
  term v;
  try {
    v = OTPP_EVAL(c, *n.a, f);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure) co_return v;
  caught k = classify(failure);
  if (k.cls == atoms::throw_) co_return k.reason;
  if (k.cls == atoms::exit) co_return tuple_of(atoms::EXIT, k.reason);
  co_return tuple_of(atoms::EXIT, tuple_of(k.reason, k.stack));
}

task<term> eval_call_remote(ctx& c, const node& n, frame& f) {
  std::vector<term> args;
  args.reserve(n.kids.size());
  for (const node* k : n.kids) args.push_back(OTPP_EVAL(c, *k, f));
  c.line = n.line;
  co_return co_await deferred(call_mfa(c, n.mod, n.name, std::move(args)));
}

task<term> eval_call_dyn(ctx& c, const node& n, frame& f) {
  term m = OTPP_EVAL(c, *n.a, f);
  term fn = OTPP_EVAL(c, *n.b, f);
  std::vector<term> args;
  for (const node* k : n.kids) args.push_back(OTPP_EVAL(c, *k, f));
  c.line = n.line;
  if (!m.is_atom() || !fn.is_atom()) eval_error(tuple_of(a_badfun, tuple_of(m, fn)));
  co_return co_await deferred(call_mfa(c, m.atom_value(), fn.atom_value(), std::move(args)));
}

task<term> eval_call_local(ctx& c, const node& n, frame& f) {
  if (n.local_module) {
    // A function of the module this code belongs to (alive while its code runs).
    std::vector<term> args;
    args.reserve(n.kids.size());
    for (const node* k : n.kids) args.push_back(OTPP_EVAL(c, *k, f));
    c.line = n.line;
    if (n.tail) {
      c.has_tail = true;
      c.tail_fun = term();
      c.tail_module = n.local_module;
      c.tail_index = n.slot;
      c.tail_args = std::move(args);
      co_return term();
    }
    co_return co_await deferred(run_calls(c, term(), n.local_module, n.slot, std::move(args)));
  }
  // No local function handler on this node: erl_eval's default raises undef.
  for (const node* k : n.kids) (void)OTPP_EVAL(c, *k, f);
  throw raised_error(atoms::undef, list_of(term::tuple({a_erl_eval, n.name,
                                                        term(static_cast<long long>(n.kids.size())), term()})));
}

task<term> eval_call_fun(ctx& c, const node& n, frame& f) {
  term fun;
  std::vector<term> args;
  if (n.kind == nk::call_fun) {
    fun = OTPP_EVAL(c, *n.a, f);
    args.reserve(n.kids.size());
    for (const node* k : n.kids) args.push_back(OTPP_EVAL(c, *k, f));
  } else {
    std::vector<term> xs;
    for (const node* k : n.kids) xs.push_back(OTPP_EVAL(c, *k, f));
    const term& list = xs.back();
    if (!list.is_proper_list()) bif_error(atoms::badarg, a_apply, xs);
    args.assign(list.list_elements().begin(), list.list_elements().end());
    if (n.kind == nk::apply3) {
      if (!xs[0].is_atom() || !xs[1].is_atom()) bif_error(atoms::badarg, a_apply, xs);
      c.line = n.line;
      co_return co_await deferred(call_mfa(c, xs[0].atom_value(), xs[1].atom_value(), std::move(args)));
    }
    fun = xs[0];
  }
  c.line = n.line;
  if (n.tail && fun.is_fun() && !fun.fun_content().is_export) {
    // The running apply loop makes the call, in place of this frame.
    c.has_tail = true;
    c.tail_fun = std::move(fun);
    c.tail_module = nullptr;
    c.tail_args = std::move(args);
    co_return term();
  }
  co_return co_await deferred(apply_fun(c, std::move(fun), std::move(args)));
}

task<term> eval_comprehension(ctx& c, const node& n, frame& f) {
  list_builder out;
  bit_writer w;
  // An explicit stack of generator positions walks the nested loops without recursion.
  struct level {
    term source;          ///< list or bitstring
    std::size_t index = 0;
  };
  std::vector<level> levels(n.quals.size());
  std::size_t q = 0;
  bool entering = true;
  for (;;) {
    if (q == n.quals.size()) {
      term v = OTPP_EVAL(c, *n.a, f);
      if (n.kind == nk::lc) {
        out.push_back(std::move(v));
      } else {
        if (!v.is_bitstring()) eval_error(atoms::badarg);
        segment_spec bits;
        bits.kind = segment_spec::type::bitstring;
        if (!w.put(bits, v, std::nullopt)) eval_error(atoms::badarg);
      }
      if (stack_deep()) {
        co_await c.self.yield();
      } else {
        co_await c.self.maybe_yield();
      }
      if (q == 0) break;
      --q;
      entering = false;
      continue;
    }
    const qualifier& qu = n.quals[q];
    if (qu.what == qualifier::kind::filter) {
      if (!entering) {
        if (q == 0) break;
        --q;
        continue;
      }
      term t;
      if (!qu.e->suspends) {
        // A filter that is a guard expression is evaluated as a guard: failing is false.
        try {
          t = eval_sync(c, *qu.e, f);
        } catch (const std::exception&) {
          t = atoms::false_;
        }
        if (!t.is_atom(atoms::true_)) t = atoms::false_;
      } else {
        t = OTPP_EVAL(c, *qu.e, f);
      }
      if (t.is_atom(atoms::true_)) {
        ++q;
        continue;
      }
      if (!t.is_atom(atoms::false_)) eval_error(tuple_of(a_bad_filter, t));
      entering = false;
      if (q == 0) break;
      --q;
      continue;
    }
    level& l = levels[q];
    if (entering) {
      l.source = OTPP_EVAL(c, *qu.e, f);
      l.index = 0;
      // A hint: as many elements out as the first generator gives (one allocation, not a
      // doubling series of big ones).
      if (n.kind == nk::lc && q == 0 && l.source.is_list())
        out.reserve(l.source.list_elements().size());
      if (qu.what == qualifier::kind::list_gen && !l.source.is_list()) eval_error(tuple_of(a_bad_generator, l.source));
      if (qu.what == qualifier::kind::bin_gen && !l.source.is_bitstring()) eval_error(tuple_of(a_bad_generator, l.source));
    }
    bool advanced = false;
    if (qu.what == qualifier::kind::list_gen) {
      auto xs = l.source.list_elements();
      while (l.index < xs.size()) {
        const term& x = xs[l.index++];
        std::size_t mark = c.trail.size();
        if (match(c, *qu.p, x, f)) {
          c.trail.resize(mark);
          advanced = true;
          break;
        }
        undo(c, f, mark);
      }
      if (!advanced && !l.source.list_tail().is_nil()) eval_error(tuple_of(a_bad_generator, l.source.list_tail()));
    } else {
      // <<Pattern || Pattern <= Bits>>: segments read from what is left; the generator
      // ends where they cannot be read.
      const pat& bp = *qu.p;
      if (bp.kind != pk::bin) eval_error(tuple_of(a_bad_generator, l.source));
      if (l.source.bit_size() > 0) {
        bit_reader r(l.source);
        std::size_t mark = c.trail.size();
        bool ok = true;
        for (const auto& s : bp.segs) {
          std::optional<term> size;
          if (s.size) size = eval_sync(c, *s.size, f);
          auto got = r.get(s.spec, size);
          if (!got || !match(c, *s.p, *got, f)) {
            ok = false;
            break;
          }
        }
        segment_spec rest;
        rest.kind = segment_spec::type::bitstring;
        auto left = r.get(rest, std::nullopt);
        if (ok && left && left->bit_size() < l.source.bit_size()) {
          c.trail.resize(mark);
          l.source = *left;
          advanced = true;
        } else {
          undo(c, f, mark);
          l.source = term::binary(std::string_view());
        }
      }
    }
    if (advanced) {
      entering = true;
      ++q;
      continue;
    }
    entering = false;
    if (q == 0) break;
    --q;
  }
  if (n.kind == nk::lc) co_return out.finish();
  co_return w.finish();
}

task<term> eval_plain(ctx& c, const node& n, frame& f) { co_return eval_sync(c, n, f); }

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

// ---- calls ----------------------------------------------------------------------------------------

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

// Runs an export-table function (or a core BIF) as interpreted code calls it.
task<term> call_mfa(ctx& c, atom m, atom fn, std::vector<term> args) {
  if (m == atoms::erlang) {
    if (fn == a_apply && (args.size() == 2 || args.size() == 3)) {
      if (args.size() == 2) {
        if (!args[1].is_proper_list()) bif_error(atoms::badarg, a_apply, args);
        std::vector<term> as(args[1].list_elements().begin(), args[1].list_elements().end());
        co_return co_await deferred(apply_fun(c, args[0], std::move(as)));
      }
      if (!args[0].is_atom() || !args[1].is_atom() || !args[2].is_proper_list()) bif_error(atoms::badarg, a_apply, args);
      std::vector<term> as(args[2].list_elements().begin(), args[2].list_elements().end());
      co_return co_await deferred(call_mfa(c, args[0].atom_value(), args[1].atom_value(), std::move(as)));
    }
    if (bif_info b = find_bif(fn, args.size()); b.fn) co_return b.fn(&c.self, args);
  }
  export_table* x = exports_for(c.self);
  std::optional<export_table::entry> e;
  if (x) e = x->find(m, fn, args.size());
  if (!e) {
    throw raised_error(atoms::undef, list_of(term::tuple({m, fn, term::list(args), term()})));
  }
  co_await c.self.maybe_yield();
  if (auto* ff = std::get_if<export_table::function_fn>(&e->fn)) co_return co_await (*ff)(c.self, std::move(args));
  call_outcome o = co_await export_table::call(c.self, std::move(*e), std::move(args));
  switch (o.how) {
    case call_outcome::kind::return_: co_return o.value;
    case call_outcome::kind::throw_: throw throw_exception(o.value);
    case call_outcome::kind::exit: throw exit_exception(o.value);
    case call_outcome::kind::error: throw raised_error(o.value, o.stack);
  }
  co_return term();
}

// The deepest stack trace an error keeps, as BEAM's default backtrace_depth.
constexpr std::size_t max_stack_frames = 8;

// An error leaving function `fn` of `m` at source line `line`: its stack gets the function's
// frame, with the module's file and that line as BEAM's has them, as BEAM's stack trace names
// the compiled function (the evaluator's own erl_eval frames at the top go).
// A module function's frame's location: `[{file, File}, {line, Line}]` ([] when not known).
term frame_location(const module_code& m, std::uint32_t line) {
  if (m.file.is_nil() || line == 0) return term();
  return list_of(tuple_of(atom("file"), m.file), tuple_of(atom("line"), term(static_cast<std::int64_t>(line))));
}

// An arithmetic operator: compiled code runs it as an instruction, so BEAM's stack trace of
// its failure starts at the function, without the operator's own frame.
bool is_arith_frame(const term& frame) {
  static const std::array<atom, 12> ops = {atom("+"),   atom("-"),   atom("*"),    atom("/"),
                                           atom("div"), atom("rem"), atom("band"), atom("bor"),
                                           atom("bxor"), atom("bsl"), atom("bsr"), atom("bnot")};
  return frame.is_tuple() && frame.tuple_size() == 4 && frame[0].is_atom(atoms::erlang) && frame[1].is_atom() &&
         frame[2].is_proper_list() && std::find(ops.begin(), ops.end(), frame[1].atom_value()) != ops.end();
}

[[noreturn]] void rethrow_in_function(const error_exception& x, const module_code& m, const module_code::function& fn,
                                      std::uint32_t line) {
  // A full stack stays as it is (deep recursion unwinds without copying it at every level).
  if (x.stack().is_proper_list() && x.stack().list_elements().size() >= max_stack_frames &&
      !x.stack().list_elements()[0][0].is_atom(a_erl_eval))
    throw;
  std::vector<term> frames;
  if (x.stack().is_proper_list()) {
    auto es = x.stack().list_elements();
    std::size_t i = 0;
    while (i < es.size() && es[i].is_tuple() && es[i].tuple_size() == 4 && es[i][0].is_atom(a_erl_eval)) ++i;
    if (i == 0 && es.size() == 1 && x.reason().is_atom(atom("badarith")) && is_arith_frame(es[0])) i = 1;
    frames.assign(es.begin() + static_cast<std::ptrdiff_t>(i), es.end());
  }
  if (frames.size() < max_stack_frames)
    frames.push_back(term::tuple({m.name, fn.name, term(static_cast<std::int64_t>(fn.arity)), frame_location(m, line)}));
  throw raised_error(x.reason(), term::list(std::move(frames)));
}

// Runs a call and the calls its body makes in tail position, in one loop: of `fun` (a fun
// term; `module` null) or of function `index` of `module` (a local call). A new frame per
// call; the clause accepting `args` binds them.
task<term> run_calls(ctx& c, term fun, const module_code* module, std::uint32_t index, std::vector<term> args) {
  // The module of a closure's code, held while it runs (a module function's caller holds its
  // module).
  std::shared_ptr<const module_code> keep;
  // The depth from which synchronous runs were tried before one of this call's was cut.
  std::optional<std::size_t> restore_sync_from;
  // The caller's line, back when this call ends (its frame names it if this call fails).
  const std::uint32_t caller_line = c.line;
  for (;;) {
    const compiled_fun* code = nullptr;
    const module_code::function* mf = nullptr;
    const prepared_fun* p = nullptr;
    if (module) {
      mf = &module->functions[index];
      code = mf->code.get();
    } else {
      if (!fun.is_fun()) eval_error(tuple_of(a_badfun, fun));
      const fun_value& fv = fun.fun_content();
      if (fv.is_export) {
        if (fv.arity != args.size()) eval_error(tuple_of(a_badarity, tuple_of(fun, term::list(args))));
        co_return co_await deferred(call_mfa(c, fv.module, fv.function, std::move(args)));
      }
      p = prepare(c, fun);
      if (!p) {
        // A fun of a compiled BEAM module: its code is not here. BEAM raises undef for a fun
        // whose module is not loaded, with the frame {Fun, Args, []}.
        throw raised_error(atoms::undef, list_of(term::tuple({fun, term::list(args), term()})));
      }
      if (fv.arity != args.size()) eval_error(tuple_of(a_badarity, tuple_of(fun, term::list(args))));
      // Alive until the evaluation ends, even if the cache entry is replaced meanwhile.
      code = p->code.get();
      if (code->arity != args.size()) eval_error(tuple_of(a_badarity, tuple_of(fun, term::list(args))));
      if (code->in_module) {
        keep = code->module.lock();
        if (!keep) eval_error(tuple_of(a_badfun, fun));
      }
    }

    if (++c.depth > max_call_depth) eval_error(a_system_limit);
    if (stack_deep()) {
      co_await c.self.yield();
    } else {
      co_await c.self.maybe_yield();
    }

    if (p && code->sync_calls && c.depth > c.sync_from) {
      // A fun that suspends only by calling itself: the whole call as one C++ recursion, unless
      // it grows too deep or too long; then as coroutines, with synchronous runs tried again
      // only deeper down (below the depth the cut run reached, or a few calls down).
      std::size_t cut_from = 0;
      bool resume = false;
      std::size_t trail_mark = c.trail.size();
      try {
        c.sync_fun = p;
        c.sync_count = 0;
        c.sync_reached = c.depth;
        c.sync_has_tail = false;
        term r = run_sync(c, args, false);
        c.sync_fun = nullptr;
        --c.depth;
        co_return r;
      } catch (const sync_cut& cut) {
        cut_from = cut.stack ? c.sync_reached : c.depth + 3;
        resume = cut.resume;
      } catch (...) {
        c.sync_fun = nullptr;
        --c.depth;
        c.line = caller_line;
        throw;
      }
      c.sync_fun = nullptr;
      c.sync_has_tail = false;
      c.trail.resize(trail_mark);
      if (resume) {
        // The next call of the loop, after the scheduler's turn (the run spent the budget).
        --c.depth;
        args = std::move(c.sync_tail_args);
        c.sync_tail_args.clear();
        continue;
      }
      if (!restore_sync_from) restore_sync_from = c.sync_from;
      c.sync_from = std::max(c.sync_from, cut_from);
    }

    frame f(code->nslots);
    if (p) {
      enter(*p, f);
      p = nullptr;  // may be replaced by the calls below
    } else if (code->self_slot) {
      f.slots[*code->self_slot] = fun;
      f.bound[*code->self_slot] = 1;
    }
    const clause_c* chosen = choose_clause(c, *code, args, f);
    if (!chosen) {
      --c.depth;
      if (!mf) raise_function_clause(args);
      throw raised_error(a_function_clause,
                         list_of(term::tuple({module->name, mf->name, term::list(args), frame_location(*module, mf->line)})));
    }
    term r;
    std::exception_ptr failure;
    try {
      r = co_await evaluate(c, *chosen->body, f);
    } catch (...) {
      failure = std::current_exception();
    }
    --c.depth;
    if (restore_sync_from) {
      c.sync_from = *restore_sync_from;
      restore_sync_from.reset();
    }
    // Returning (or unwinding) through many levels nests C++ calls too: unwind the stack by
    // yielding when it is deep.
    if (stack_deep()) co_await c.self.yield();
    if (failure) {
      const std::uint32_t line = c.line;
      c.line = caller_line;
      if (mf) {
        try {
          std::rethrow_exception(failure);
        } catch (const error_exception& x) {
          rethrow_in_function(x, *module, *mf, line);
        }
      }
      std::rethrow_exception(failure);
    }
    if (c.has_tail) {
      c.has_tail = false;
      fun = std::move(c.tail_fun);
      module = c.tail_module;
      index = c.tail_index;
      args = std::move(c.tail_args);
      c.tail_fun = term();
      c.tail_module = nullptr;
      c.tail_args.clear();
      continue;
    }
    c.line = caller_line;
    co_return r;
  }
}

task<term> apply_fun(ctx& c, term fun, std::vector<term> args) {
  return run_calls(c, std::move(fun), nullptr, 0, std::move(args));
}

}  // namespace

// ---- the synchronous fast path ------------------------------------------------------------------

namespace detail {

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

}  // namespace detail

// ---- bindings ---------------------------------------------------------------------------------

const term* bindings::find(atom name) const noexcept {
  for (const auto& [k, v] : entries_)
    if (k == name) return &v;
  return nullptr;
}

void bindings::set(atom name, term value) {
  for (auto& [k, v] : entries_) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const auto& e, atom n) { return compare(e.first, n) < 0; });
  entries_.emplace(it, name, std::move(value));
}

void bindings::erase(atom name) {
  std::erase_if(entries_, [&](const auto& e) { return e.first == name; });
}

term bindings::to_term() const {
  std::vector<term> out;
  for (const auto& [k, v] : entries_) out.push_back(tuple_of(k, v));
  return term::list(std::move(out));
}

std::optional<bindings> bindings::from_term(const term& t) {
  bindings b;
  if (t.is_map()) {
    for (const auto& [k, v] : t.map_entries()) {
      if (!k.is_atom()) return std::nullopt;
      b.set(k.atom_value(), v);
    }
    return b;
  }
  if (!t.is_proper_list()) return std::nullopt;
  for (const term& e : t.list_elements()) {
    if (!e.is_tuple() || e.tuple_size() != 2 || !e[0].is_atom()) return std::nullopt;
    b.set(e[0].atom_value(), e[1]);
  }
  return b;
}

// ---- public API --------------------------------------------------------------------------------------

task<term> apply(process& self, const term& fun, std::vector<term> args) {
  ctx c(self);
  co_return co_await deferred(apply_fun(c, fun, std::move(args)));
}

task<term> eval_exprs(process& self, const term& exprs, bindings& bs) {
  ctx c(self);
  std::vector<atom> names;
  for (const auto& [k, v] : bs.entries()) names.push_back(k);
  auto code = compile_exprs(exprs, names);
  frame f(code->nslots);
  for (const auto& [name, slot] : code->names) {
    if (const term* v = bs.find(name)) {
      f.slots[slot] = *v;
      f.bound[slot] = 1;
    }
  }
  term r = co_await evaluate(c, *code->body, f);
  if (c.has_tail) {
    c.has_tail = false;
    r = co_await deferred(run_calls(c, std::move(c.tail_fun), c.tail_module, c.tail_index, std::move(c.tail_args)));
  }
  for (const auto& [name, slot] : code->names) {
    if (f.bound[slot]) bs.set(name, f.slots[slot]);
  }
  co_return r;
}

namespace detail {

task<term> call_module_function(process& self, std::shared_ptr<const module_code> module, std::uint32_t index,
                                std::vector<term> args) {
  ctx c(self);
  co_return co_await deferred(run_calls(c, term(), module.get(), index, std::move(args)));
}

}  // namespace detail

void install(export_table& exports) {
  add_stdlib(exports);
  install_module_loader(exports);
  // After the library, so erlang:apply/2,3 are the evaluator's.
  exports.add("erlang", "apply", [](process& self, term fun, term args) -> task<term> {
    if (!args.is_proper_list()) bif_error(atoms::badarg, a_apply, std::vector<term>{fun, args});
    std::vector<term> as(args.list_elements().begin(), args.list_elements().end());
    co_return co_await apply(self, fun, std::move(as));
  });
  exports.add("erlang", "apply", [](process& self, term m, term fn, term args) -> task<term> {
    if (!m.is_atom() || !fn.is_atom() || !args.is_proper_list())
      bif_error(atoms::badarg, a_apply, std::vector<term>{m, fn, args});
    std::vector<term> as(args.list_elements().begin(), args.list_elements().end());
    ctx c(self);
    co_return co_await deferred(call_mfa(c, m.atom_value(), fn.atom_value(), std::move(as)));
  });
}

void install(otp::node& node) {
  install(node.exports());
  install_library(node.services());
  install_eval_str(node);
  install_fun_wire(node);
}

}  // namespace otpp::code
