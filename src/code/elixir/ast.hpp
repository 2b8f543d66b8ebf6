// The Elixir syntax tree the lowering reads: Elixir's own quoted form in C++ (every construct a
// call with a name and arguments, do-blocks as a trailing keyword list, `->` clauses as calls).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp::code::elixir {

struct ex;
using ex_ptr = std::shared_ptr<const ex>;

enum class ex_kind : std::uint8_t {
  literal,  ///< `value`: a number, atom, alias, binary (string) or charlist
  var,      ///< `name`
  call,     ///< `name(args)`, `target.name(args)`; the special names are listed below
  list,     ///< `args`, `tail` (null: proper)
};

// Special call names: "{}" tuple; "%{}" map (args are "{}" pairs, `target` the updated map);
// "%" struct (`value` the alias, `target` the "%{}" body); "<<>>" binary (segments, "::" typed);
// "__block__"; "fn" (args "->" clauses); "->" (args[0] a list of heads, args[1] a block);
// "&" capture; "&N" (`value` N); "<interp>" (args strings and expressions); ".()" (`target` the
// fun); "~w", "~r"... sigils (`value` the text, `modifiers`); operators by their text. None of
// these can be an identifier a user writes.
struct ex {
  ex_kind kind = ex_kind::literal;
  std::size_t offset = 0;  ///< byte offset of the construct in the source
  std::size_t begin = 0;   ///< call arguments: where their source text starts
  std::size_t end = 0;     ///< call arguments: just past their source text (else 0)
  term value;
  std::string name;
  std::string modifiers;  ///< sigils
  ex_ptr target;          ///< remote calls: the module or value before the dot
  std::vector<ex_ptr> args;
  ex_ptr tail;
  bool no_parens = false;  ///< a call written without parentheses
  bool is_alias = false;   ///< a literal written as an alias (`Kate`)
  /// A call without parentheses whose one argument starts with a unary `-`/`+` glued to it
  /// (`x -1`): ambiguous when `x` is a variable.
  bool ambiguous_unary = false;
};

/// A failure while reading: incomplete input or a syntax error at `offset`.
struct read_failure {
  bool incomplete = false;
  std::size_t offset = 0;
  std::string kind = "SyntaxError";
  std::string message;
};

/// Reads `text` into its top-level expressions; throws read_failure.
[[nodiscard]] std::vector<ex_ptr> read(std::string_view text, std::size_t max_depth);

/// Line and column (1-based, columns in code points) of `offset` in `text`.
struct line_column {
  std::size_t line = 1;
  std::size_t column = 1;
};
[[nodiscard]] line_column locate(std::string_view text, std::size_t offset);

}  // namespace otpp::code::elixir
