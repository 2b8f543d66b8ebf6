// The texts the term printers are made of: floats, quoted characters, atoms and strings as
// Erlang (io_lib) and Elixir (Inspect) write them.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "otpp/term/print.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp::detail {

inline void put_char(std::string& out, char32_t c) { unicode::append_utf8(out, c); }
inline void put_char(std::u32string& out, char32_t c) { out.push_back(c); }
template <class Out>
void put_ascii(Out& out, std::string_view s) {
  for (char c : s) out.push_back(c);
}

template <class Out>
void append_hex(Out& out, std::uint32_t v) {
  char buf[16];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  for (char* p = buf; p != r.ptr; ++p) out.push_back(static_cast<char>(*p >= 'a' ? *p - 'a' + 'A' : *p));
}

/// io_lib:string_char/4: how one character is written between quotes `q`, as UTF-8 text or
/// as code points.
template <class Out>
void quoted_char(Out& out, char32_t c, char32_t q, char_escaping mode) {
  if (c == q) {
    out.push_back('\\');
    put_char(out, q);
  } else if (c == '\\') {
    put_ascii(out, "\\\\");
  } else if (c >= 0x20 && c <= 0x7E) {
    out.push_back(static_cast<char>(c));
  } else if (c >= 0xA0 && (c <= 0xFF || mode == char_escaping::unicode_as_unicode)) {
    put_char(out, c);
  } else if (c > 0xFF && mode == char_escaping::unicode_as_latin1) {
    put_ascii(out, "\\x{");
    append_hex(out, c);
    out.push_back('}');
  } else {
    switch (c) {
      case '\n':
        return put_ascii(out, "\\n");
      case '\r':
        return put_ascii(out, "\\r");
      case '\t':
        return put_ascii(out, "\\t");
      case '\v':
        return put_ascii(out, "\\v");
      case '\b':
        return put_ascii(out, "\\b");
      case '\f':
        return put_ascii(out, "\\f");
      case 27:
        return put_ascii(out, "\\e");
      case 127:
        return put_ascii(out, "\\d");
      default:  // other control characters, three octal digits
        out.push_back('\\');
        out.push_back(static_cast<char>('0' + ((c >> 6) & 7)));
        out.push_back(static_cast<char>('0' + ((c >> 3) & 7)));
        out.push_back(static_cast<char>('0' + (c & 7)));
    }
  }
}

std::string erlang_float(double v);
std::string elixir_float(double v);
void erlang_quoted(std::string& out, std::u32string_view chars, char q);
bool erlang_atom_needs_quotes(std::string_view name, std::u32string_view chars);
void erlang_atom(std::string& out, atom a);
bool erlang_printable(char32_t c);
bool elixir_string_char(char32_t c);
bool elixir_charlist_char(std::int64_t c);
void elixir_escaped(std::string& out, const std::u32string& chars, char q);
void elixir_atom(std::string& out, atom a);
void elixir_key(std::string& out, atom a);
void elixir_remote_name(std::string& out, atom a);
bool elixir_keyword_pair(const term& t);

}  // namespace otpp::detail
