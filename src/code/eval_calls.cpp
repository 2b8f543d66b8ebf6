// Calls in the evaluator: calls of funs, of a module's local functions and of export-table
// functions, tail calls in one loop per call, and errors leaving a module function.
#include "code/evaluator.hpp"
#include "otpp/code/module_loader.hpp"

namespace otpp::code::detail {

task<term> eval_call_remote(ctx& c, const node& n, frame& f) {
  std::vector<term> args;
  args.reserve(n.kids.size());
  for (const node* k : n.kids) args.push_back(OTPP_EVAL(c, *k, f));
  co_return co_await deferred(call_mfa(c, n.mod, n.name, std::move(args)));
}

task<term> eval_call_dyn(ctx& c, const node& n, frame& f) {
  term m = OTPP_EVAL(c, *n.a, f);
  term fn = OTPP_EVAL(c, *n.b, f);
  std::vector<term> args;
  for (const node* k : n.kids) args.push_back(OTPP_EVAL(c, *k, f));
  if (!m.is_atom() || !fn.is_atom()) eval_error(tuple_of(a_badfun, tuple_of(m, fn)));
  co_return co_await deferred(call_mfa(c, m.atom_value(), fn.atom_value(), std::move(args)));
}

task<term> eval_call_local(ctx& c, const node& n, frame& f) {
  if (n.local_module) {
    // A function of the module this code belongs to (alive while its code runs).
    std::vector<term> args;
    args.reserve(n.kids.size());
    for (const node* k : n.kids) args.push_back(OTPP_EVAL(c, *k, f));
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
      co_return co_await deferred(call_mfa(c, xs[0].atom_value(), xs[1].atom_value(), std::move(args)));
    }
    fun = xs[0];
  }
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

namespace {

// The deepest stack trace an error keeps, as BEAM's default backtrace_depth.
constexpr std::size_t max_stack_frames = 8;

// An error leaving function `fn` of `m`: its stack gets the function's frame, as BEAM's stack
// trace names the compiled function (the evaluator's own erl_eval frames at the top go).
[[noreturn]] void rethrow_in_function(const error_exception& x, const module_code& m, const module_code::function& fn) {
  // A full stack stays as it is (deep recursion unwinds without copying it at every level).
  if (x.stack().is_proper_list() && x.stack().list_elements().size() >= max_stack_frames &&
      !x.stack().list_elements()[0][0].is_atom(a_erl_eval))
    throw;
  std::vector<term> frames;
  if (x.stack().is_proper_list()) {
    auto es = x.stack().list_elements();
    std::size_t i = 0;
    while (i < es.size() && es[i].is_tuple() && es[i].tuple_size() == 4 && es[i][0].is_atom(a_erl_eval)) ++i;
    frames.assign(es.begin() + static_cast<std::ptrdiff_t>(i), es.end());
  }
  if (frames.size() < max_stack_frames)
    frames.push_back(term::tuple({m.name, fn.name, term(static_cast<std::int64_t>(fn.arity)), term()}));
  throw raised_error(x.reason(), term::list(std::move(frames)));
}

}  // namespace

// Runs a call and the calls its body makes in tail position, in one loop: of `fun` (a fun
// term; `module` null) or of function `index` of `module` (a local call). A new frame per
// call; the clause accepting `args` binds them.
task<term> run_calls(ctx& c, term fun, const module_code* module, std::uint32_t index, std::vector<term> args) {
  // The module of a closure's code, held while it runs (a module function's caller holds its
  // module).
  std::shared_ptr<const module_code> keep;
  // The depth from which synchronous runs were tried before one of this call's was cut.
  std::optional<std::size_t> restore_sync_from;
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
      throw raised_error(a_function_clause, list_of(term::tuple({module->name, mf->name, term::list(args), term()})));
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
      if (mf) {
        try {
          std::rethrow_exception(failure);
        } catch (const error_exception& x) {
          rethrow_in_function(x, *module, *mf);
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
    co_return r;
  }
}

task<term> apply_fun(ctx& c, term fun, std::vector<term> args) {
  return run_calls(c, std::move(fun), nullptr, 0, std::move(args));
}

}  // namespace otpp::code::detail
