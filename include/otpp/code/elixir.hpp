// Elixir source lowered to Erlang abstract format: the shell's front end. Text becomes the
// expression forms `erl_parse` would give for the Erlang Elixir itself compiles the text to,
// so one evaluator of abstract format runs both languages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp::code {

/// What the text before the current input bound: Elixir's variables and the Erlang variables
/// holding their current versions. Rebinding `x` makes a new version (`_x@2`), as Elixir does,
/// so bindings made by earlier inputs stay valid in the evaluator's binding set.
struct elixir_scope {
  std::map<std::string, std::string, std::less<>> variables;  ///< `x` -> `_x@1`
  std::uint64_t counter = 0;                                    ///< the last version number used
  std::map<std::string, atom, std::less<>> aliases;  ///< `Bar` -> 'Elixir.Foo.Bar' (`alias`)
  /// `import Mod` (with `only:`/`except:` name-arity lists), latest last.
  struct import_entry {
    atom module;
    std::vector<std::pair<std::string, std::size_t>> only;    ///< empty: all
    std::vector<std::pair<std::string, std::size_t>> except;
  };
  std::vector<import_entry> imports;
};

struct elixir_options {
  /// Whether `name/arity` is a local function of the evaluation (the shell's helpers: `h/1`,
  /// `flush/0`, `v/1`...). Local calls lower to `{call, L, {atom, L, Name}, Args}`, which the
  /// evaluator hands to its local-function handler. Others are a CompileError, as in iex.
  std::function<bool(std::string_view name, std::size_t arity)> is_local;
  /// Local functions that take their arguments' source text (as binaries) instead of their
  /// values, as IEx's macros do: `h Enum.map/2` calls h(<<"Enum.map/2">>).
  std::function<bool(std::string_view name, std::size_t arity)> takes_source;
  /// Whether `module` exports `name/arity`: resolves calls to functions brought in by `import`
  /// (the shell answers from the node's export table). Without it, imports resolve nothing.
  std::function<bool(atom module, std::string_view name, std::size_t arity)> exports;
  /// The line number of the text's first line, in the forms' annotations and in errors (iex
  /// numbers an input's lines from its prompt counter).
  std::size_t first_line = 1;
  /// Deepest nesting of expressions accepted (untrusted input must not exhaust the stack).
  std::size_t max_depth = 500;
};

/// The lowered input: a proper list of expression forms, and the scope after it (the shell
/// keeps it when evaluating them succeeded; when evaluating fails, it keeps the earlier scope
/// through scope_after_failure).
struct elixir_lowered {
  term exprs;
  elixir_scope scope;
};

/// The scope after an input whose evaluation failed: the variables and aliases from before
/// it, with the version counter from after it, so names the failed evaluation may have bound
/// are never used again (they could still be in the evaluator's bindings).
[[nodiscard]] elixir_scope scope_after_failure(const elixir_scope& before, const elixir_scope& attempted);

/// The text ends inside an expression (open bracket, string, `do` without `end`, trailing
/// operator): the shell reads another line and tries again with both.
struct elixir_incomplete {};

/// What iex would report for the text, before running any of it.
struct elixir_error {
  std::string kind;  ///< "SyntaxError", "TokenMissingError" or "CompileError"
  std::size_t line = 1;
  std::size_t column = 0;  ///< 0 when iex gives only the line
  std::string message;     ///< "syntax error before: ')'", "undefined function x/0 ..."
  /// As iex prints it, with `file` where iex writes `iex` and its prompt number:
  /// "** (SyntaxError) iex:1:5: syntax error before: ')'".
  [[nodiscard]] std::string describe(std::string_view file = "iex") const;
};

using elixir_outcome = std::variant<elixir_lowered, elixir_incomplete, elixir_error>;

/// Lowers Elixir `source` (one or more expressions separated by newlines or `;`) to Erlang
/// abstract format, with `scope` holding the variables earlier inputs bound.
///
/// Besides `erlang` BIFs, lowered code calls these functions, as Elixir's compiled code does:
/// 'Elixir.String.Chars':to_string/1 (interpolation), 'Elixir.List.Chars':to_charlist/1,
/// 'Elixir.Enum':reduce/3, into/2, uniq/1, 'member?'/2 (`for`, `in`), 'Elixir.Range':new/2,3
/// (ranges of non-literal bounds), 'Elixir.Exception':normalize/3 (`rescue e`),
/// 'Elixir.Kernel.Utils':raise/1 (`raise expr`), Mod:exception/1 (`raise Mod`),
/// Mod:'__struct__'/1 (`%Mod{...}`), 'Elixir.Access':get/2 (`x[k]`), 'Elixir.Kernel':inspect/1,2
/// and the other Kernel functions Elixir does not inline, 'Elixir.Regex':'compile!'/2 (`~r`),
/// lists:reverse/1, lists:member/2, lists:foldl/3, maps:update/3, unicode:characters_to_list/1,
/// and otpp_module:define/3 (`defmodule`: the module's name, its Erlang forms as a list
/// starting with the module and export attributes, and the value iex shows last in
/// `{:module, Name, Binary, Last}`), which the node's module loader provides.
[[nodiscard]] elixir_outcome lower_elixir(std::string_view source, const elixir_scope& scope = {},
                                          const elixir_options& options = {});

}  // namespace otpp::code
