// Floats, quoted characters, atoms and strings as Erlang (io_lib) and Elixir (Inspect) write
// them, for the term printers, io_lib formatting and log lines.
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

#include "otpp/term/unicode.hpp"
#include "term/identifier_chars.hpp"
#include "term/print_text.hpp"

namespace otpp {
namespace detail {

using unicode::append_utf8;

// ---- floats --------------------------------------------------------------------------------

/// Shortest round-trip digits of a positive finite double: value = d.ddd × 10^exponent.
/// Erlang computes the same digits with Ryu (or exactly, for integers below 2^53).
void shortest_digits(double v, std::string& digits, int& exponent) {
  std::array<char, 64> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  std::string_view s(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
  const auto e = s.find('e');
  digits.clear();
  for (char c : s.substr(0, e)) {
    if (c != '.') digits += c;
  }
  std::string_view ex = s.substr(e + 1);
  const bool negative = !ex.empty() && ex.front() == '-';
  if (!ex.empty() && (ex.front() == '-' || ex.front() == '+')) ex.remove_prefix(1);
  int value = 0;
  std::from_chars(ex.data(), ex.data() + ex.size(), value);
  exponent = negative ? -value : value;
}

/// io_lib_format:fwrite_g/1 as OTP 25 lays the digits out: fixed notation unless scientific
/// is shorter, and always scientific from 2^53 up.
std::string erlang_float(double v) {
  if (v == 0.0) return std::signbit(v) ? "-0.0" : "0.0";
  std::string out;
  if (v < 0) out += '-';
  const double a = std::fabs(v);
  std::string s;
  int exponent = 0;
  shortest_digits(a, s, exponent);
  const int len = static_cast<int>(s.size());
  const int place = exponent + 1;  // position of the decimal point: value = 0.s × 10^place
  auto scientific = [&] {
    out += s[0];
    out += '.';
    if (len == 1) {
      out += '0';
    } else {
      out.append(s, 1);
    }
    out += 'e';
    out += std::to_string(exponent);
  };
  if (place == 0) {
    out += "0.";
    out += s;
  } else if (place < 0 || place >= len) {
    const int exp_dot = len == 1 ? 2 : 1;
    const int exp_cost = static_cast<int>(std::to_string(exponent).size()) + 1 + exp_dot;
    if (place < 0) {
      if (2 - place <= exp_cost) {
        out += "0.";
        out.append(static_cast<std::size_t>(-place), '0');
        out += s;
      } else {
        scientific();
      }
    } else if (place - len + 2 <= exp_cost && a < 9007199254740992.0) {
      out += s;
      out.append(static_cast<std::size_t>(place - len), '0');
      out += ".0";
    } else {
      scientific();
    }
  } else {
    out.append(s, 0, static_cast<std::size_t>(place));
    out += '.';
    out.append(s, static_cast<std::size_t>(place));
  }
  return out;
}

/// Elixir 1.14's Inspect.Float: integral values in [1, 1.0e16) print all their digits.
std::string elixir_float(double v) {
  const double a = std::fabs(v);
  if (a >= 1.0 && a < 1.0e16 && std::trunc(v) == v) {
    return std::to_string(static_cast<std::int64_t>(v)) + ".0";
  }
  return erlang_float(v);
}

// ---- Erlang text ---------------------------------------------------------------------------

void erlang_quoted(std::string& out, std::u32string_view chars, char q) {
  out += q;
  for (char32_t c : chars) quoted_char(out, c, static_cast<char32_t>(q), char_escaping::unicode_as_unicode);
  out += q;
}

/// io_lib:quote_atom/2: bare only for a lowercase Latin-1 start, name characters after it,
/// and not a reserved word.
bool erlang_atom_needs_quotes(std::string_view name, std::u32string_view chars) {
  if (chars.empty() || !detail::erlang_lower(chars[0])) return true;
  for (std::size_t i = 1; i < chars.size(); ++i) {
    if (!detail::erlang_name_char(chars[i])) return true;
  }
  return detail::erlang_reserved_word(name);
}

void erlang_atom(std::string& out, atom a) {
  const std::string_view name = a.name();
  const std::u32string chars = unicode::from_utf8(name).value_or(U"");  // atom names are UTF-8
  if (erlang_atom_needs_quotes(name, chars)) {
    erlang_quoted(out, chars, '\'');
  } else {
    out += name;
  }
}

/// io_lib:printable_latin1_list/1's characters (the default printable range).
bool erlang_printable(char32_t c) {
  return (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xFF) || (c >= '\b' && c <= '\r') ||
         c == 27;
}

// ---- Elixir text ---------------------------------------------------------------------------

bool elixir_printable(char32_t c) {
  return (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

/// String.printable?/1: the printable ranges plus the escapable control characters.
bool elixir_string_char(char32_t c) {
  return elixir_printable(c) || (c >= 7 && c <= 13) || c == 27 || c == 127;
}

/// List.ascii_printable?/1, which decides whether a list prints as a charlist.
bool elixir_charlist_char(std::int64_t c) {
  return (c >= 32 && c <= 126) || (c >= 7 && c <= 13) || c == 27;
}

char hex_digit(unsigned v) { return static_cast<char>(v < 10 ? '0' + v : 'A' + v - 10); }

/// Code.Identifier.escape/2: how Elixir writes text between quotes `q`.
void elixir_escaped(std::string& out, const std::u32string& chars, char q) {
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const char32_t c = chars[i];
    if (c == static_cast<char32_t>(q)) {
      out += '\\';
      out += q;
      continue;
    }
    switch (c) {
      case '#':
        out += (i + 1 < chars.size() && chars[i + 1] == '{') ? "\\#" : "#";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case 7:
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case 127:
        out += "\\d";
        continue;
      case 27:
        out += "\\e";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      case 0:
        out += "\\0";
        continue;
      case 0xFEFF:
        out += "\\uFEFF";
        continue;
      default:
        break;
    }
    if (elixir_printable(c)) {
      append_utf8(out, c);
    } else if (c < 0x100) {
      out += "\\x";
      out += hex_digit((c >> 4) & 0xF);
      out += hex_digit(c & 0xF);
    } else {
      out += "\\x{";
      const int digits = c < 0x10000 ? 4 : 6;
      for (int d = digits - 1; d >= 0; --d) out += hex_digit((c >> (4 * d)) & 0xF);
      out += '}';
    }
  }
}

bool ascii_upper(char32_t c) { return c >= 'A' && c <= 'Z'; }
bool alias_piece_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/// `Elixir` followed by any number of `.Upper[A-Za-z0-9_]*` pieces.
bool elixir_alias(std::string_view s) {
  if (s.substr(0, 6) != "Elixir") return false;
  std::size_t i = 6;
  while (i < s.size()) {
    if (s[i] != '.' || i + 1 >= s.size() || !ascii_upper(static_cast<unsigned char>(s[i + 1]))) {
      return false;
    }
    i += 2;
    while (i < s.size() && alias_piece_char(s[i])) ++i;
  }
  return true;
}

/// Operators Elixir 1.14 writes bare after a colon (`:+`, `:|>`); `::`, `//`, `<|>`, `^^^`
/// and `~~~` are quoted.
bool elixir_operator(std::string_view s) {
  static constexpr std::string_view ops[] = {
      "===", "!==", "==",  "!=",  "<=",  ">=",   "<",   ">",  "&&",  "||",  "<>",
      "++",  "--",  "+++", "---", "**",  "\\\\", "=",   "|>", "<<<", ">>>", "<<~",
      "~>>", "<~",  "~>",  "<~>", "|||", "&&&",  "=~",  "*",  "/",   "+",   "-",
      "<-",  "|",   "!",   "@",   "^",   "&",    "and", "or", "in",  "not", "when"};
  for (auto o : ops) {
    if (o == s) return true;
  }
  return false;
}

enum class atom_class {
  callable_local,
  callable_operator,
  not_callable,
  quoted_operator,
  alias,
  other
};

/// Code.Identifier.classify/1, with identifiers decided by UAX #31 character classes.
atom_class elixir_classify(std::string_view name, const std::u32string& chars) {
  static constexpr std::string_view not_callable[] = {"%",  "%{}", "{}",   "<<>>", "...",
                                                      "..", ".",   "..//", "->"};
  for (auto n : not_callable) {
    if (n == name) return atom_class::not_callable;
  }
  if (name == "::") return atom_class::quoted_operator;
  if (elixir_operator(name)) return atom_class::callable_operator;
  if (elixir_alias(name)) return atom_class::alias;
  if (chars.empty()) return atom_class::other;
  const char32_t first = chars[0];
  if (!(first == '_' || detail::is_id_start(first))) return atom_class::other;
  std::size_t end = chars.size();
  if (chars[end - 1] == '?' || chars[end - 1] == '!') --end;
  bool has_at = false;
  for (std::size_t i = 1; i < end; ++i) {
    const char32_t c = chars[i];
    if (c == '@') {
      has_at = true;
    } else if (!detail::is_id_continue(c)) {
      return atom_class::other;
    }
  }
  if (ascii_upper(first) || has_at) return atom_class::not_callable;
  return atom_class::callable_local;
}

void elixir_quoted_atom_text(std::string& out, const std::u32string& chars) {
  out += '"';
  elixir_escaped(out, chars, '"');
  out += '"';
}

/// Macro.inspect_atom(:literal, atom).
void elixir_atom(std::string& out, atom a) {
  const std::string_view name = a.name();
  if (a == atoms::nil || a == atoms::true_ || a == atoms::false_) {
    out += name;
    return;
  }
  const std::u32string chars = unicode::from_utf8(name).value_or(U"");
  switch (elixir_classify(name, chars)) {
    case atom_class::alias:
      if (name == "Elixir" || name == "Elixir.Elixir" || name.substr(0, 14) == "Elixir.Elixir.") {
        out += name;
      } else {
        out += name.substr(7);
      }
      return;
    case atom_class::callable_local:
    case atom_class::callable_operator:
    case atom_class::not_callable:
      out += ':';
      out += name;
      return;
    default:
      out += ':';
      elixir_quoted_atom_text(out, chars);
  }
}

/// Macro.inspect_atom(:key, atom): `a: `, `"hello world": `.
void elixir_key(std::string& out, atom a) {
  const std::string_view name = a.name();
  const std::u32string chars = unicode::from_utf8(name).value_or(U"");
  switch (elixir_classify(name, chars)) {
    case atom_class::callable_local:
    case atom_class::callable_operator:
    case atom_class::not_callable:
      out += name;
      break;
    default:
      elixir_quoted_atom_text(out, chars);
  }
  out += ": ";
}

/// Macro.inspect_atom(:remote_call, atom): the function name in `&Mod.fun/1`.
void elixir_remote_name(std::string& out, atom a) {
  const std::string_view name = a.name();
  const std::u32string chars = unicode::from_utf8(name).value_or(U"");
  const auto cls = elixir_classify(name, chars);
  if (cls == atom_class::callable_local || cls == atom_class::callable_operator) {
    out += name;
  } else {
    elixir_quoted_atom_text(out, chars);
  }
}

/// Inspect.List.keyword?/1: every element a pair whose key is an atom not starting "Elixir.".
bool elixir_keyword_pair(const term& t) {
  return t.is_tuple() && t.tuple_size() == 2 && t[0].is_atom() &&
         t[0].atom_value().name().substr(0, 7) != "Elixir.";
}
}  // namespace detail

using namespace detail;

// ---- quoting shared with io_lib formatting ---------------------------------------------------

void append_quoted_char(std::u32string& out, char32_t c, char32_t quote, char_escaping mode) {
  quoted_char(out, c, quote, mode);
}

bool erlang_atom_needs_quotes(atom a) {
  const std::string_view name = a.name();
  return erlang_atom_needs_quotes(name, unicode::from_utf8(name).value_or(U""));
}

std::u32string erlang_atom_chars(atom a, char_escaping mode) {
  const std::string_view name = a.name();
  std::u32string chars = unicode::from_utf8(name).value_or(U"");
  if (!erlang_atom_needs_quotes(name, chars)) return chars;
  std::u32string out;
  out.push_back('\'');
  for (char32_t c : chars) quoted_char(out, c, U'\'', mode);
  out.push_back('\'');
  return out;
}

// ---- log lines ------------------------------------------------------------------------------

namespace {
// Characters a terminal does not show but obeys or hides behind: they would let a peer's text
// look like something else in a log (Unicode's bidirectional and zero-width format characters).
bool invisible_format_char(char32_t c) {
  return (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) ||
         c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB);
}
}  // namespace

std::string escape_log_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t c;
    if (!unicode::next_utf8(text, pos, c)) {
      put_ascii(out, "\\x{");
      append_hex(out, static_cast<std::uint8_t>(text[pos++]));
      out.push_back('}');
    } else if (invisible_format_char(c)) {
      put_ascii(out, "\\x{");
      append_hex(out, c);
      out.push_back('}');
    } else {
      // Backslash as the quote: it is escaped either way, and no other character is quoted.
      quoted_char(out, c, U'\\', char_escaping::unicode_as_unicode);
    }
  }
  return out;
}

}  // namespace otpp
