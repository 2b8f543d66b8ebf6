// The BIFs the evaluator runs itself, synchronously: operators, type tests and the guard BIFs
// (`erlang:'+'/2`, `is_atom/1`, `element/2`, `self/0`, `error/1`, ...).
#pragma once

#include <span>
#include <string_view>

#include "otpp/runtime/process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::code::detail {

/// A core BIF: `self` is the calling process (for self/0, node/0, '!'; null when folding
/// constants at compile time, where only pure BIFs run). Raises Erlang
/// exceptions (raised_error, exit_exception, throw_exception).
using bif_fn = term (*)(process* self, std::span<const term> args);

struct bif_info {
  bif_fn fn = nullptr;
  bool guard = false;  ///< allowed in guards
};

/// The core BIF `erlang:name/arity`, or a null fn.
[[nodiscard]] bif_info find_bif(atom name, std::size_t arity);

/// Raises error:`reason` with the stack `[{erlang, Name, Args, []}]`.
[[noreturn]] void bif_error(term reason, atom name, std::span<const term> args);
/// Raises error:`reason` from interpreted code (stack `[{erl_eval, expr, 6, []}]`).
[[noreturn]] void eval_error(term reason);

/// `A ! M` semantics (erlang:send/2): badarg for a destination that is not one.
void send_to(process& self, const term& dest, term msg);

}  // namespace otpp::code::detail
