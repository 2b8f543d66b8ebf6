// UTF-8 and character data (`unicode:characters_to_list/2` and `characters_to_binary/3`): the
// one encoder and decoder every layer uses for text in terms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "otpp/term/term.hpp"

namespace otpp::unicode {

/// The encoding of character data: `latin1` (bytes are characters, characters above 255 are
/// refused) or `unicode` (binaries hold UTF-8).
enum class encoding : std::uint8_t { latin1, unicode };

/// Appends `c` encoded as UTF-8 (precondition: `c` is a Unicode scalar value).
inline void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

/// Whether `c` is a Unicode scalar value (what UTF-8 may encode).
[[nodiscard]] constexpr bool is_scalar_value(std::int64_t c) noexcept {
  return c >= 0 && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
}

/// Decodes one UTF-8 character at `pos` and advances past it. Strict, as Erlang's
/// `<<C/utf8>>` is: no overlong forms, no surrogates, nothing above U+10FFFF.
/// Returns false (pos unchanged) at an invalid or truncated sequence. Inline: the parser's
/// inner loop.
inline bool next_utf8(std::string_view s, std::size_t& pos, char32_t& c) noexcept {
  if (pos >= s.size()) return false;
  const auto b0 = static_cast<std::uint8_t>(s[pos]);
  if (b0 < 0x80) {
    c = b0;
    ++pos;
    return true;
  }
  std::size_t n;
  char32_t v;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 1, v = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 2, v = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 3, v = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (s.size() - pos <= n) return false;
  for (std::size_t i = 1; i <= n; ++i) {
    const auto b = static_cast<std::uint8_t>(s[pos + i]);
    if ((b & 0xC0) != 0x80) return false;
    v = (v << 6) | (b & 0x3F);
  }
  if (v < min || !is_scalar_value(v)) return false;
  c = v;
  pos += n + 1;
  return true;
}

/// Code points of UTF-8 text; nullopt when it is not valid UTF-8.
[[nodiscard]] std::optional<std::u32string> from_utf8(std::string_view text);

/// UTF-8 text of code points (each should be a scalar value; others become U+FFFD).
[[nodiscard]] std::string to_utf8(std::u32string_view text);

/// unicode:characters_to_list/2: character data (code points, binaries and nested lists of
/// them, an improper tail may be a binary) in `in` encoding. nullopt when it is not chardata,
/// holds a code point above 255 in latin1 or beyond Unicode, or a binary is not UTF-8 in unicode.
[[nodiscard]] std::optional<std::u32string> characters_to_list(const term& data, encoding in);

/// unicode:characters_to_binary(Data, In, utf8), as a std::string.
[[nodiscard]] std::optional<std::string> characters_to_utf8(const term& data, encoding in);

}  // namespace otpp::unicode
