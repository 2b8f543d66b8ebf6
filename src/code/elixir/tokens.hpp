// What the Elixir tokenizer hands the parser: tokens with their source ranges, the spacing
// before them, and the parts of interpolated strings and sigils.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp::code::elixir {

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
  interp,
  sigil,
};

struct interp_part {
  bool is_expr = false;
  std::string text;        ///< decoded literal text
  std::size_t begin = 0;   ///< an expression's source range
  std::size_t end = 0;
};

struct stok {
  tk kind = tk::end;
  std::string text;
  term value;
  std::size_t offset = 0;
  std::size_t length = 0;
  bool space_before = false;
  bool newline_before = false;
  std::string modifiers;  ///< sigils: the letter in `text`'s place is in `value`
  std::vector<interp_part> parts;
};

// The tokens of text[begin, end), ending with a token of kind `end`.
std::vector<stok> tokenize(std::string_view text, std::size_t begin, std::size_t end);

}  // namespace otpp::code::elixir
