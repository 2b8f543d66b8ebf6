// A fast path for library code that calls one interpreted fun many times (lists:foldl/3,
// lists:map/2, Enum.reduce/3): when no clause body of the fun can suspend, it runs as a plain
// C++ call on the caller's stack, without the export table, a coroutine frame or an argument
// list.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "otpp/runtime/process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::code::detail {

/// An erl_eval closure whose code never suspends, resolved once.
struct sync_fun;

/// `fun` for synchronous calls with `arity` arguments, or nullptr when it is not an erl_eval
/// closure of that arity made outside a module.
[[nodiscard]] std::shared_ptr<sync_fun> prepare_sync(const term& fun, std::size_t arity);

/// Whether `f` runs synchronously in `self` (its code resolved at the first ask): false when
/// its code cannot be compiled or a clause body may suspend (calls out, receives); such funs
/// take the general path, which raises the proper errors.
[[nodiscard]] bool sync_ready(process& self, sync_fun& f);

/// Runs `f` (sync_ready) with `args`, raising Erlang's errors as C++ exceptions as the general
/// path does (function_clause, badmatch, ...).
[[nodiscard]] term call_sync(sync_fun& f, std::span<const term> args);

}  // namespace otpp::code::detail
