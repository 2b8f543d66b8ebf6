// UTF-8 helpers shared by the term printer and parser (private to the term layer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otpp::detail {

/// Appends `c` encoded as UTF-8 (c must be a Unicode scalar value).
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

/// Decodes one UTF-8 character at `pos` and advances past it. Strict, as Erlang's
/// `<<C/utf8>>` is: no overlong forms, no surrogates, nothing above U+10FFFF.
/// Returns false (pos unchanged) at an invalid or truncated sequence.
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
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  c = v;
  pos += n + 1;
  return true;
}

/// All characters of `s` if it is valid UTF-8.
inline bool decode_utf8(std::string_view s, std::vector<char32_t>& out) {
  out.clear();
  std::size_t pos = 0;
  char32_t c;
  while (pos < s.size()) {
    if (!next_utf8(s, pos, c)) return false;
    out.push_back(c);
  }
  return true;
}

}  // namespace otpp::detail
