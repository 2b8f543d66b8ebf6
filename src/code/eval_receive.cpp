// Receive, try and catch in the evaluator: a receive's clauses chosen among the mailbox's
// messages with its timeout, and Erlang's classes of exceptions as catch clauses see them.
#include "code/evaluator.hpp"

namespace otpp::code::detail {

namespace {

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

}  // namespace

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

}  // namespace otpp::code::detail
