// Calling funs from C++ library code: export funs through their export-table entry, every other
// fun through the table's erlang:apply/2.
#include "otpp/code/fun_call.hpp"

#include <array>
#include <utility>

#include "code/sync_call.hpp"
#include "otpp/otp/services.hpp"

namespace otpp::code {

namespace {

const atom a_apply("apply");
const atom a_badfun("badfun");
const atom a_badarity("badarity");

// How a process-body entry ended, as the calling process sees it (rethrown).
term rethrow(call_outcome o) {
  switch (o.how) {
    case call_outcome::kind::return_:
      return std::move(o.value);
    case call_outcome::kind::throw_:
      throw throw_exception(std::move(o.value));
    case call_outcome::kind::exit:
      throw exit_exception(std::move(o.value));
    case call_outcome::kind::error:
      break;
  }
  throw error_exception(std::move(o.value));
}

}  // namespace

export_table& exports_of(const basic_process& self) {
  auto* s = otp::services_of(self.rt());
  if (!s) throw error_exception(atoms::undef);
  return s->exports();
}

fun_runner::fun_runner(const basic_process& self, term fun, std::size_t arity)
    : fun_(std::move(fun)), arity_(arity) {
  if (!fun_.is_fun()) return;
  const fun_value& f = fun_.fun_content();
  if (f.arity != arity_) {
    bad_arity_ = true;
    return;
  }
  export_table& x = exports_of(self);
  if (f.is_export) entry_ = x.find(f.module, f.function, arity_);
  if (!entry_) {
    // A closure, or an export fun of one of the evaluator's own BIFs (`&+/2` is
    // `fun erlang:'+'/2`): erlang:apply/2 runs both (and raises undef for the rest).
    entry_ = x.find(atoms::erlang, a_apply, 2);
    via_apply_ = true;
    sync_ = detail::prepare_sync(fun_, arity_);
  }
}

namespace {
task<term> run_body(process& self, export_table::entry e, std::vector<term> args) {
  co_return rethrow(co_await export_table::call(self, std::move(e), std::move(args)));
}
}  // namespace

// Not a coroutine: a function entry's own task is handed back, so a call costs one coroutine
// frame, not two. Errors are thrown here, inside the caller's co_await expression.
fun_call fun_runner::operator()(process& self, std::vector<term> args) const {
  if (sync_ && detail::sync_ready(self, *sync_)) return fun_call(detail::call_sync(*sync_, args));
  if (!fun_.is_fun()) throw error_exception(tuple_of(a_badfun, fun_));
  if (bad_arity_) {
    term info = tuple_of(fun_, term::list(std::move(args)));
    throw error_exception(tuple_of(a_badarity, std::move(info)));
  }
  if (!entry_) throw error_exception(atoms::undef);  // as error_handler raises it
  if (via_apply_) {
    std::vector<term> apply_args;
    apply_args.reserve(2);
    apply_args.push_back(fun_);
    apply_args.push_back(term::list(std::move(args)));
    args = std::move(apply_args);
  }
  if (auto* fn = std::get_if<export_table::function_fn>(&entry_->fn)) return fun_call((*fn)(self, std::move(args)));
  return fun_call(run_body(self, *entry_, std::move(args)));
}

fun_call fun_runner::operator()(process& self, term a) const {
  if (sync_ && detail::sync_ready(self, *sync_)) return fun_call(detail::call_sync(*sync_, std::span<const term>(&a, 1)));
  std::vector<term> args;
  args.push_back(std::move(a));
  return (*this)(self, std::move(args));
}

fun_call fun_runner::operator()(process& self, term a, term b) const {
  if (sync_ && detail::sync_ready(self, *sync_)) {
    std::array<term, 2> args{std::move(a), std::move(b)};
    return fun_call(detail::call_sync(*sync_, args));
  }
  std::vector<term> args;
  args.reserve(2);
  args.push_back(std::move(a));
  args.push_back(std::move(b));
  return (*this)(self, std::move(args));
}

task<term> call_fun(process& self, term fun, std::vector<term> args) {
  fun_runner f(self, std::move(fun), args.size());
  co_return co_await f(self, std::move(args));
}

}  // namespace otpp::code
