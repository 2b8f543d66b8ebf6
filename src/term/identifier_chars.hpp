// Which characters make names: Unicode identifier characters (UAX #31 ID_Start / ID_Continue,
// Unicode 14.0, the version Elixir 1.14 uses) for Elixir's bare atoms and words, and erl_scan's
// Latin-1 name characters and reserved words for Erlang's. The printers and the lexer both
// decide with these.
#pragma once

#include <algorithm>
#include <iterator>
#include <string_view>

namespace otpp::detail {

/// A character that may start an identifier (letters, letter numbers). ASCII included.
[[nodiscard]] bool is_id_start(char32_t c) noexcept;
/// A character that may continue an identifier (adds marks, digits, connectors).
[[nodiscard]] bool is_id_continue(char32_t c) noexcept;

/// A Latin-1 lowercase letter as erl_scan classifies it: what an unquoted atom starts with.
[[nodiscard]] inline bool erlang_lower(char32_t c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}
/// A Latin-1 uppercase letter: what a variable starts with (besides `_`).
[[nodiscard]] inline bool erlang_upper(char32_t c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}
/// A character of an unquoted atom or variable after its first.
[[nodiscard]] inline bool erlang_name_char(char32_t c) noexcept {
  return erlang_lower(c) || erlang_upper(c) || (c >= '0' && c <= '9') || c == '_' || c == '@';
}
/// An Erlang reserved word, which as an atom must be quoted.
[[nodiscard]] inline bool erlang_reserved_word(std::string_view s) noexcept {
  static constexpr std::string_view words[] = {
      "after", "and",  "andalso", "band",   "begin",   "bnot", "bor", "bsl",  "bsr",
      "bxor",  "case", "catch",   "cond",   "div",     "end",  "fun", "if",   "let",
      "not",   "of",   "or",      "orelse", "receive", "rem",  "try", "when", "xor"};
  return std::find(std::begin(words), std::end(words), s) != std::end(words);
}

}  // namespace otpp::detail
