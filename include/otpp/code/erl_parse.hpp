// Reads Erlang source text into Erlang abstract format, the terms `erl_scan:string/1` followed
// by `erl_parse:parse_exprs/1` (or `erl_parse:parse_form/1`) produce, so code written in C++ or
// typed at a prompt becomes what BEAM's erl_eval and otpp's evaluator run.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "otpp/term/term.hpp"

namespace otpp::code {

/// Why text could not be read, as erl_scan or erl_parse reports it.
struct erl_parse_error {
  std::size_t line = 1;
  /// `erl_scan` for a lexical error, `erl_parse` for a grammar error (the module Erlang names).
  std::string module;
  /// What `Module:format_error/1` prints: "syntax error before: ')'", "unterminated string
  /// starting with \"abc\"", "illegal float", ...
  std::string message;
  /// The column of the token it stands at, counted from 1 (erl_scan's `{Line, Column}`
  /// location, which the Erlang shell scans with); 0 when not known.
  std::size_t column = 0;
  /// "1:5: syntax error before: ')'", as the Erlang shell shows it ("1: ..." without a column).
  [[nodiscard]] std::string describe() const;
};

/// Abstract format, or the error that prevented reading it.
struct erl_parse_result {
  std::optional<term> value;  ///< engaged on success
  erl_parse_error error;      ///< meaningful when `value` is empty
  [[nodiscard]] bool ok() const noexcept { return value.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
};

/// Expressions separated by commas and ended by a dot (`X = 1, X + 1.`), as a list of
/// expression forms. Annotations are line numbers (erl_scan's default, start line 1). Records
/// are read (`#r{a = 1}`, `X#r.a`) like any other form; `maybe` is not (OTP 25 reads it only
/// with the feature enabled). Never throws on bad input; nesting deeper than a few hundred
/// levels is an error rather than a deep C++ recursion.
[[nodiscard]] erl_parse_result parse_exprs(std::string_view text);

/// One function definition ending with a dot (`f(0) -> 1; f(N) -> N * f(N - 1).`) as
/// `{function, Line, Name, Arity, Clauses}`. Attributes (`-module(m).`) are not read.
[[nodiscard]] erl_parse_result parse_form(std::string_view text);

/// Where the first form of `text` ends, as `erl_scan:tokens/3` finds it.
struct first_form {
  bool complete = false;  ///< a dot followed by a white-space character was found
  std::size_t end = 0;    ///< byte offset just past that white-space character
  std::optional<erl_parse_error> error;  ///< a scan error before the dot
};
[[nodiscard]] first_form find_first_form(std::string_view text);

}  // namespace otpp::code
