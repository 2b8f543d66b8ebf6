// The shell's language: the abstract syntax of the iex subset the otpp shell evaluates, and
// the parser that reads it from Elixir source text (term literals come from term/parse.hpp's
// lexer, so the shell reads every literal the printer writes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp::shell {

struct expr;
using expr_ptr = std::shared_ptr<const expr>;

/// Where an expression starts in the input (1-based).
struct position {
  std::size_t line = 1;
  std::size_t column = 1;
};

/// One clause of `receive`, `case` or `cond`: `pattern when guard -> body`.
struct clause {
  expr_ptr pattern;
  expr_ptr guard;  ///< may be null
  std::vector<expr_ptr> body;
};

enum class expr_kind : std::uint8_t {
  literal,        ///< `value`
  variable,       ///< `name`; in an expression it may turn out to be a call of `name/0`
  pin,            ///< `^name` (patterns only)
  tuple,          ///< `items`
  list,           ///< `items`, `tail` (null: proper)
  map,            ///< `pairs`; `target` is the map updated by `%{m | k => v}` (or null)
  binary,         ///< `items` (segments; `pairs[i].second` holds a `::` spec or null)
  interpolation,  ///< a string with `#{...}`: `items` are literal binaries and expressions
  match,          ///< `left = right`: `items[0]` pattern, `items[1]` value
  unary,          ///< `name` is the operator, `items[0]` its operand
  binary_op,   ///< `name` is the operator (`+`, `==`, `and`, `<>`, `++`, ...), `items` two operands
  local_call,  ///< `name(items...)`
  remote_call,  ///< `target.name(items...)`: target is an alias, an atom or any expression
  dot,          ///< `target.name` without parentheses on a non-module value (map field)
  fun_call,     ///< `target.(items...)`
  block,        ///< `items` evaluated in order (parentheses, do-blocks)
  receive,      ///< `clauses`, `after_timeout` (null: no after), `after_body`
  case_,        ///< `target` the value, `clauses`
  cond,         ///< `clauses` (the pattern is the condition)
  if_,          ///< `target` the condition, `items[0]` then-block, `items[1]` else-block
                ///< (null when missing); `name` is "if" or "unless"
  unsupported,  ///< parsed but not evaluable in this shell (`fn`, `defmodule`): `name` says what
};

/// An expression node. Immutable once built.
struct expr {
  expr_kind kind = expr_kind::literal;
  position at;
  term value;
  std::string name;
  expr_ptr target;
  std::vector<expr_ptr> items;
  expr_ptr tail;
  std::vector<std::pair<expr_ptr, expr_ptr>> pairs;
  std::vector<clause> clauses;
  expr_ptr after_timeout;
  std::vector<expr_ptr> after_body;
  /// local_call: written without parentheses (`send pid, :a`).
  bool no_parens = false;
  /// local_call without parentheses whose only argument is a unary minus or plus glued to it
  /// (`x -1`): if `name` is a variable, Elixir reports the ambiguity.
  bool ambiguous_unary = false;
};

/// What reading one input gives: a program (expressions to evaluate in order), a need for
/// more lines, or a syntax error.
struct program {
  std::vector<expr_ptr> exprs;
};
struct incomplete {};
struct syntax_error {
  position at;
  std::string message;  ///< "unexpected token: )", as Elixir words it
};
using parse_outcome = std::variant<program, incomplete, syntax_error>;

/// Reads `text` (one or more lines) as a sequence of expressions separated by newlines or `;`.
/// `incomplete` when the text ends inside an expression (an open bracket, a string, a `do`
/// without `end`, a trailing operator): the shell then asks for another line.
[[nodiscard]] parse_outcome parse(std::string_view text);

/// A readable rendering of an expression, for tests and error messages (Elixir-like).
[[nodiscard]] std::string to_source(const expr& e);

}  // namespace otpp::shell
