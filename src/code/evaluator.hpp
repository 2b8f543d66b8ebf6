// What the evaluator's parts share: the frame of a call's variables, the evaluation context,
// the awaiters of child evaluations, and the functions one part calls in another (matching,
// synchronous evaluation, calls, funs, receive and try, comprehensions).
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "code/compiled.hpp"
#include "otpp/code/eval.hpp"

namespace otpp::code::detail {

const atom a_erl_eval("erl_eval"), a_badmatch("badmatch"), a_case_clause("case_clause"),
    a_if_clause("if_clause"), a_try_clause("try_clause"), a_function_clause("function_clause"),
    a_badfun("badfun"), a_badarity("badarity"), a_unbound_var("unbound_var"), a_badmap("badmap"),
    a_badkey("badkey"), a_bad_generator("bad_generator"), a_bad_filter("bad_filter"),
    a_system_limit("system_limit"), a_nocatch("nocatch"), a_apply("apply"), a_none("none"),
    a_inside("-inside-an-interpreted-fun-"), a_value("value");

export_table* exports_for(const process& self);

// ---- C++ stack guard -------------------------------------------------------------------------

// The lowest usable address of this thread's stack, plus a margin for the code that runs
// between two checks (BIFs, the codec, a crash report).
inline thread_local const char* stack_limit = nullptr;

const char* find_stack_limit();

// Whether this thread's stack is deep. A chain of coroutines that complete one another nests
// C++ calls where the compiler does not turn symmetric transfer into tail calls (g++ -O0), so
// long loops of interpreted calls yield to the scheduler when it is, which unwinds the stack.
inline bool stack_deep() {
  if (!stack_limit) stack_limit = find_stack_limit();
  return static_cast<const char*>(__builtin_frame_address(0)) < stack_limit;
}

// Whether a synchronous run must stop: it leaves a good part of the stack to the coroutine
// path that takes over.
inline bool sync_stack_deep() {
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

inline void undo(ctx& c, frame& f, std::size_t mark) {
  while (c.trail.size() > mark) {
    f.bound[c.trail.back()] = 0;
    c.trail.pop_back();
  }
}

// A new frame for a call of `p` with its captured variables (and a named fun's own name) bound.
inline void enter(const prepared_fun& p, frame& f) {
  for (const auto& [slot, value] : p.captured) {
    f.slots[slot] = value;
    f.bound[slot] = 1;
  }
  if (p.code->self_slot) {
    f.slots[*p.code->self_slot] = p.fun;
    f.bound[*p.code->self_slot] = 1;
  }
}

bool guard_true(ctx& c, const clause_c& cl, frame& f);
// The clause whose pattern and guard accept `v` (its bindings made), or -1.
int select(ctx& c, const std::vector<clause_c>& cls, const term& v, frame& f);
bool match(ctx& c, const pat& p, const term& v, frame& f);
term eval_sync(ctx& c, const node& n, frame& f);
const clause_c* choose_clause(ctx& c, const compiled_fun& code, std::span<const term> args, frame& f);
[[noreturn]] void raise_function_clause(std::span<const term> args);
task<term> eval(ctx& c, const node& n, frame& f);
task<term> apply_fun(ctx& c, term fun, std::vector<term> args);
task<term> run_calls(ctx& c, term fun, const module_code* module, std::uint32_t index, std::vector<term> args);
task<term> call_mfa(ctx& c, atom m, atom fn, std::vector<term> args);
term make_closure(ctx& c, const node& n, frame& f);
const prepared_fun* prepare(ctx& c, const term& fun);
term run_sync(ctx& c, std::span<const term> args, bool nested);
task<term> eval_receive(ctx& c, const node& n, frame& f);
task<term> eval_try(ctx& c, const node& n, frame& f);
task<term> eval_catch(ctx& c, const node& n, frame& f);
task<term> eval_call_remote(ctx& c, const node& n, frame& f);
task<term> eval_call_dyn(ctx& c, const node& n, frame& f);
task<term> eval_call_local(ctx& c, const node& n, frame& f);
task<term> eval_call_fun(ctx& c, const node& n, frame& f);
task<term> eval_comprehension(ctx& c, const node& n, frame& f);

// Destroys a child task's frame, or queues it for the outermost destruction on this thread.
void bury(task<term>&& t);

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

}  // namespace otpp::code::detail
