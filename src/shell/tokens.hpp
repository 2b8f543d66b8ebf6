// The shell's tokens: Elixir source cut into tokens (on top of the term lexer) with the
// spacing and line breaks the parser needs for no-parentheses calls and separators, and the
// text of string interpolations (private to the shell layer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp::shell::detail {

enum class tk : std::uint8_t {
  end,
  integer,
  float_,
  atom,
  alias,
  string,
  charlist,
  keyword_key,
  ident,
  keyword,
  punct,
  process,
  interp,
};

struct interp_part {
  bool is_expr = false;
  std::string text;        ///< decoded literal text, or the expression's source
  std::size_t offset = 0;  ///< where an expression's source starts
};

struct stok {
  tk kind = tk::end;
  std::string text;
  term value;
  std::size_t offset = 0;
  std::size_t length = 0;
  bool space_before = false;
  bool newline_before = false;
  std::vector<std::uint64_t> numbers;
  std::vector<interp_part> parts;
};

// Internal failure: incomplete input or a syntax error.
struct failure {
  bool incomplete = false;
  std::size_t offset = 0;
  std::string message;
};

/// An Elixir keyword (`do`, `end`, `fn`, `when`, ...), never an identifier.
[[nodiscard]] bool is_keyword(std::string_view s);

/// The tokens of `text`, the last one `tk::end`. Throws `failure` on input that is
/// incomplete (an open string) or not Elixir.
[[nodiscard]] std::vector<stok> tokenize(std::string_view text);

}  // namespace otpp::shell::detail
