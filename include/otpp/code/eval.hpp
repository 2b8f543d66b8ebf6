// The evaluator of Erlang abstract format (what erl_parse produces and BEAM's erl_eval runs),
// running inside an otpp process: `receive` in interpreted code suspends the process.
//
//   otpp::code::bindings bs;
//   term exprs = ...;                          // [{op,1,'+',{integer,1,1},{integer,1,2}}]
//   term v = co_await otpp::code::eval_exprs(self, exprs, bs);     // 3
//   term r = co_await otpp::code::apply(self, fun, {term(1)});      // any fun
//
// Funs made by interpreted code are erl_eval closures in OTP 25's layout (see erl_eval_fun.hpp),
// so they travel to BEAM nodes and back unchanged.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "otpp/otp/exports.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::otp {
class node;
}

namespace otpp::code {

/// Variable bindings, as erl_eval's binding structure: names to values, in name order.
class bindings {
 public:
  bindings() = default;
  /// The value bound to `name`, or nullptr.
  [[nodiscard]] const term* find(atom name) const noexcept;
  /// Binds (or rebinds) `name`.
  void set(atom name, term value);
  void erase(atom name);
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] const std::vector<std::pair<atom, term>>& entries() const noexcept { return entries_; }
  /// As an orddict `[{Name, Value}]` (erl_eval:bindings/1).
  [[nodiscard]] term to_term() const;
  /// From an orddict or a map of bindings (OTP 26 erl_eval funs carry a map); nullopt if
  /// `t` is neither or a name is not an atom.
  [[nodiscard]] static std::optional<bindings> from_term(const term& t);

 private:
  std::vector<std::pair<atom, term>> entries_;  ///< sorted by atom name
};

/// An Erlang exception on its way through interpreted code: class (`error`, `exit`, `throw`),
/// reason and stack trace `[{M, F, ArityOrArgs, Location}]`. Derives from the runtime's
/// exception of the same class so C++ callers (the export table, erpc) see the usual types:
/// an error is an error_exception whose process exit reason is `{Reason, Stack}` as on BEAM.
class raised_error : public error_exception {
 public:
  raised_error(term reason, term stack) : error_exception(std::move(reason), std::move(stack)) {}
};

/// Applies any fun to `args` in the process `self`: an erl_eval closure (made by BEAM's
/// erl_eval in any OTP 25-28 layout, or by this evaluator), or an export fun `fun M:F/A`
/// (through the node's export table). Raises Erlang's errors as C++ exceptions
/// (error_exception, exit_exception, throw_exception): `{badfun, F}` for a fun otpp cannot run
/// (one of a compiled BEAM module) or a non-fun, `{badarity, {F, Args}}`, `undef`, ...
[[nodiscard]] task<term> apply(process& self, const term& fun, std::vector<term> args);

/// Evaluates a list of abstract-format expressions in order (erl_eval:exprs/2): the value of
/// the last one; `bs` receives the new bindings.
[[nodiscard]] task<term> eval_exprs(process& self, const term& exprs, bindings& bs);

/// Registers `erlang:apply/2,3` (so a SPAWN_REQUEST of `erlang:apply(Fun, [])`, what
/// `Node.spawn_link(node, fn -> ... end)` sends, runs the fun, and `erpc:call(Node, Fun)`
/// too), the core BIFs interpreted code calls as `erlang:F(...)`, and the stdlib modules.
void install(export_table& exports);
/// As install(exports) on a node's export table, plus what a node needs to trade code with
/// BEAM peers: erl_eval:eval_str/1 (what `erl_call -e` calls) and the per-peer rewriting of
/// erl_eval funs on their way out (code/fun_wire.hpp).
void install(otp::node& node);

/// The deepest nesting of interpreted function calls a process may reach; one level deeper
/// fails the process with `error:system_limit` (never a C++ stack overflow).
inline constexpr std::size_t max_call_depth = 100000;

}  // namespace otpp::code
