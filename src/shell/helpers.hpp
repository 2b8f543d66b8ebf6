// The shell's helpers (iex's IEx.Helpers: flush/0, v/1, h/1, i/1, c/1, pid/1...) as entries of
// the node's export table, and what they share with the session whose shell process calls them
// (private to the shell layer).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/code/elixir.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/shell/errors.hpp"
#include "otpp/shell/session.hpp"
#include "otpp/term/node_numbers.hpp"

namespace otpp::shell {

/// What a session's helpers see: where to print, how to print, the results so far.
struct session::state {
  otp::node* node = nullptr;
  std::shared_ptr<node_numbers> numbers;
  format_context format;
  std::function<void(std::string_view)> out;
  /// The lowering options of the session (c/1 lowers files with them).
  std::function<code::elixir_options()> options;

  std::mutex mu;
  std::vector<term> results;  ///< what v(n) returns: results[n - 1] (nil for failed inputs)
};

namespace detail {

/// The module the helpers live in, imported into every shell scope as iex imports it.
inline const char* const helpers_module = "Elixir.IEx.Helpers";

/// Makes `shell` (a shell process) reach `st` from its helpers; forget_shell undoes it.
void remember_shell(const pid& shell, std::shared_ptr<session::state> st);
void forget_shell(const pid& shell);

/// Registers IEx.Helpers in `exports` (once per table is enough; again is harmless).
void add_helpers(export_table& exports);

/// erlang:halt/0,1 and System.halt/0,1 as the shell's node has them: the whole program ends
/// at once with the status given (0 by default; `abort` aborts, a slogan string gives 1).
void add_halt(export_table& exports);

/// Helpers that iex defines as macros taking their argument unevaluated (`h Enum.map/2`);
/// the lowering hands them the argument's source text.
[[nodiscard]] bool helper_takes_source(std::string_view name, std::size_t arity);

/// The value a helper returns when iex prints no result after it (i/1, h/1).
[[nodiscard]] atom no_result();

/// Rewrites local calls of the source-taking helpers (`{call, L, {atom, L, h}, Args}`) into
/// calls of IEx.Helpers, as Elixir expands an imported macro.
[[nodiscard]] term resolve_helper_calls(const term& forms);

}  // namespace detail
}  // namespace otpp::shell
