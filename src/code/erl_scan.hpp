// What the Erlang scanner hands the parser: tokens as erl_scan makes them, and the failure
// both throw, which the parser's entry points turn into an erl_parse_error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/code/erl_parse.hpp"
#include "otpp/term/term.hpp"

namespace otpp::code::detail {

enum class tk : std::uint8_t { char_, integer, float_, atom, string, var, symbol, dot, end };

struct token {
  tk kind = tk::end;
  std::size_t line = 1;
  std::string text;     // symbol or keyword text, variable name, atom name (UTF-8)
  term value;           // char, integer, float, atom values
  std::u32string chars; // string contents
};

// Thrown inside the scanner and parser only; parse_exprs turns it into an erl_parse_error.
struct failure {
  erl_parse_error error;
};

[[noreturn]] void fail(std::size_t line, const char* module, std::string message);

// The tokens of `text` (erl_scan:string/1), ending with a token of kind `end`.
std::vector<token> scan_tokens(std::string_view text);

}  // namespace otpp::code::detail
