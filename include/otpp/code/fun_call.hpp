// Calling a fun from C++ code that runs inside a process (the higher-order library functions,
// `lists:map/2`, `'Elixir.Enum':reduce/3`): an export fun `fun M:F/A` runs the export table's
// entry, any other fun goes through the table's `erlang:apply/2` (the evaluator's, for
// erl_eval closures).
//
//   otpp::code::fun_runner f(self, fun, 1);                  // checks the fun once
//   for (const auto& x : xs) out.push_back(co_await f(self, x));
#pragma once

#include <coroutine>
#include <memory>
#include <optional>
#include <vector>

#include "otpp/otp/exports.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::code {

namespace detail {
struct sync_fun;
}

/// What a fun_runner call returns, to `co_await`: the value at once when the fun ran
/// synchronously (an interpreted fun whose body cannot suspend), else the call's task.
class fun_call : public otpp::detail::awaitable_base {
 public:
  explicit fun_call(task<term> t) : task_(std::move(t)) {}
  explicit fun_call(term value) : value_(std::move(value)) {}
  [[nodiscard]] bool await_ready() const noexcept { return !task_; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) { return task_->await_suspend(h); }
  term await_resume() { return task_ ? task_->await_resume() : std::move(value_); }

 private:
  std::optional<task<term>> task_;
  term value_;
};

/// The export table of the node `self` runs on. Throws error_exception(undef) when the
/// runtime has no node services.
[[nodiscard]] export_table& exports_of(const basic_process& self);

/// A fun resolved once (its export-table entry looked up) for many calls of one arity. A call
/// raises Erlang's errors: `{badfun, F}` for a non-fun, `{badarity, {F, Args}}` for a wrong
/// arity, `undef` when an export fun's function (or, for other funs, erlang:apply/2) does not
/// exist. The runner must outlive the tasks its calls return.
class fun_runner {
 public:
  fun_runner(const basic_process& self, term fun, std::size_t arity);
  /// Calls the fun with `args` (exactly `arity` of them) in `self`.
  [[nodiscard]] fun_call operator()(process& self, std::vector<term> args) const;
  /// The same for one or two arguments (no braced list inside `co_await`: g++ 12 miscompiles it).
  [[nodiscard]] fun_call operator()(process& self, term a) const;
  [[nodiscard]] fun_call operator()(process& self, term a, term b) const;
  [[nodiscard]] const term& fun() const noexcept { return fun_; }

 private:
  term fun_;
  std::size_t arity_;
  bool bad_arity_ = false;
  std::optional<export_table::entry> entry_;  ///< the function, or erlang:apply/2
  bool via_apply_ = false;
  std::shared_ptr<detail::sync_fun> sync_;  ///< an interpreted fun that runs synchronously
};

/// `Fun(Args...)` once: as fun_runner(self, fun, args.size())(self, args).
[[nodiscard]] task<term> call_fun(process& self, term fun, std::vector<term> args);

}  // namespace otpp::code
