// The Erlang and Elixir term printers: io_lib's `~tw`/`~tp` and Elixir 1.14's `inspect/1`,
// rule for rule (checked against both in tests/term/print_test.cpp).
#include "otpp/term/print.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include "otpp/term/unicode.hpp"
#include "term/identifier_chars.hpp"
#include "term/inspect_algebra.hpp"

namespace otpp {
namespace {

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

void put_char(std::string& out, char32_t c) { append_utf8(out, c); }
void put_char(std::u32string& out, char32_t c) { out.push_back(c); }
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

// ---- the printer ---------------------------------------------------------------------------

class printer {
  friend class elixir_layout;

 public:
  printer(std::string& out, const print_options& o) : out_(out), o_(o) {}

  // Iterative, so a term prints however deep it is nested: containers push what is left of
  // them (subterms, separators, closing brackets) on `jobs_`, last part first.
  void print(const term& t) {
    const bool elixir_syntax = o_.syntax == syntax::elixir;
    jobs_.push_back({job::op::term, &t, {}});
    while (!jobs_.empty()) {
      const job j = jobs_.back();
      jobs_.pop_back();
      switch (j.what) {
        case job::op::text:
          out_ += j.text;
          break;
        case job::op::key:
          elixir_key_of(j.t->atom_value());
          break;
        case job::op::term:
          if (elixir_syntax) {
            elixir(*j.t);
          } else {
            erlang(*j.t);
          }
          break;
      }
    }
  }

 private:
  std::uint32_t node_number(atom node, std::uint32_t creation) const {
    return o_.node_number ? o_.node_number(node, creation) : 0;
  }

  void number(std::uint64_t v) { out_ += std::to_string(v); }

  void pid_fields(const pid& p) {
    out_ += '<';
    number(node_number(p.node, p.creation));
    out_ += '.';
    number(p.id);
    out_ += '.';
    number(p.serial);
    out_ += '>';
  }
  void port_fields(const port_id& p) {
    out_ += '<';
    number(node_number(p.node, p.creation));
    out_ += '.';
    number(p.id);
    out_ += '>';
  }
  void reference_fields(const reference& r) {
    out_ += '<';
    number(node_number(r.node, r.creation));
    // The wire carries the least significant word first; Erlang prints it last.
    for (std::size_t i = r.length; i-- > 0;) {
      out_ += '.';
      number(r.words[i]);
    }
    out_ += '>';
  }

  /// Value of the partial last byte of a bitstring: its significant high bits.
  static unsigned tail_bits_value(const term& t) {
    const auto bytes = t.bytes();
    return bytes.back() >> (8 - t.bits_in_last_byte());
  }

  // One step of print(): a subterm to print, literal text, or an Elixir keyword key.
  struct job {
    enum class op : std::uint8_t { term, text, key };
    op what;
    const term* t;
    std::string_view text;
  };
  void later(const term& t) { jobs_.push_back({job::op::term, &t, {}}); }
  void later_text(std::string_view text) { jobs_.push_back({job::op::text, nullptr, text}); }
  void later_key(const term& key) { jobs_.push_back({job::op::key, &key, {}}); }

  // ---- Erlang --------------------------------------------------------------------------------
  void erlang(const term& t) {
    switch (t.type()) {
      case term::kind::tuple: {
        out_ += '{';
        later_text("}");
        const auto e = t.elements();
        for (std::size_t i = e.size(); i-- > 0;) {
          later(e[i]);
          if (i > 0) later_text(",");
        }
        break;
      }
      case term::kind::map: {
        out_ += "#{";
        later_text("}");
        const auto e = t.map_entries();
        for (std::size_t i = e.size(); i-- > 0;) {
          later(e[i].second);
          later_text(" => ");
          later(e[i].first);
          if (i > 0) later_text(",");
        }
        break;
      }
      case term::kind::list:
        erlang_list(t);
        break;
      default:
        erlang_scalar(t);
        break;
    }
  }

  [[gnu::noinline]] void erlang_scalar(const term& t) {
    switch (t.type()) {
      case term::kind::integer:
        out_ += t.integer_to_string();
        break;
      case term::kind::float_:
        out_ += erlang_float(t.float_value());
        break;
      case term::kind::atom:
        erlang_atom(out_, t.atom_value());
        break;
      case term::kind::reference:
        out_ += "#Ref";
        reference_fields(t.reference_value());
        break;
      case term::kind::fun:
        erlang_fun(t.fun_content());
        break;
      case term::kind::port:
        out_ += "#Port";
        port_fields(t.port_value());
        break;
      case term::kind::pid:
        pid_fields(t.pid_value());
        break;
      case term::kind::nil:
        out_ += "[]";
        break;
      case term::kind::bitstring:
        erlang_bits(t);
        break;
      case term::kind::tuple:
      case term::kind::map:
      case term::kind::list:
        break;
    }
  }

  void erlang_fun(const fun_value& f) {
    if (f.is_export) {
      out_ += "fun ";
      erlang_atom(out_, f.module);
      out_ += ':';
      erlang_atom(out_, f.function);
      out_ += '/';
      number(f.arity);
    } else {
      out_ += "#Fun<";
      erlang_atom(out_, f.module);
      out_ += '.';
      number(f.index);
      out_ += '.';
      out_ += std::to_string(f.old_uniq);
      out_ += '>';
    }
  }

  /// Prints a proper list of printable characters as a string; false if it is not one.
  [[gnu::noinline]] bool erlang_string(std::span<const term> elements) {
    std::u32string chars;
    chars.reserve(elements.size());
    for (const term& e : elements) {
      const auto v = e.to_int64();
      if (!v || *v < 0 || !erlang_printable(static_cast<char32_t>(*v))) return false;
      chars.push_back(static_cast<char32_t>(*v));
    }
    erlang_quoted(out_, chars, '"');
    return true;
  }

  void erlang_list(const term& t) {
    const auto elements = t.list_elements();
    if (o_.strings && t.list_tail().is_nil() && erlang_string(elements)) return;
    out_ += '[';
    later_text("]");
    if (!t.list_tail().is_nil()) {
      later(t.list_tail());
      later_text("|");
    }
    for (std::size_t i = elements.size(); i-- > 0;) {
      later(elements[i]);
      if (i > 0) later_text(",");
    }
  }

  void erlang_bits(const term& t) {
    const auto bytes = t.bytes();
    if (o_.strings && t.is_binary() && !bytes.empty() && erlang_text_binary(t)) return;
    out_ += "<<";
    const std::size_t whole = t.is_binary() ? bytes.size() : bytes.size() - 1;
    for (std::size_t i = 0; i < whole; ++i) {
      if (i > 0) out_ += ',';
      number(bytes[i]);
    }
    if (!t.is_binary()) {
      if (whole > 0) out_ += ',';
      number(tail_bits_value(t));
      out_ += ':';
      number(t.bits_in_last_byte());
    }
    out_ += ">>";
  }

  /// io_lib_pretty's printable_bin: UTF-8 text prints as <<"text"/utf8>> (or <<"text">> when
  /// it is all ASCII); anything else that is printable byte by byte as Latin-1 <<"text">>.
  bool erlang_text_binary(const term& t) {
    const std::string_view bytes = t.bytes_as_string();
    if (auto decoded = unicode::from_utf8(bytes)) {
      const std::u32string& chars = *decoded;
      for (char32_t c : chars) {
        if (!erlang_printable(c)) return false;
      }
      out_ += "<<";
      erlang_quoted(out_, chars, '"');
      out_ += chars.size() == bytes.size() ? ">>" : "/utf8>>";
      return true;
    }
    std::u32string chars;
    for (char b : bytes) {
      const auto c = static_cast<char32_t>(static_cast<unsigned char>(b));
      if (!erlang_printable(c)) return false;
      chars.push_back(c);
    }
    out_ += "<<";
    erlang_quoted(out_, chars, '"');
    out_ += ">>";
    return true;
  }

  // ---- Elixir --------------------------------------------------------------------------------
  void elixir(const term& t) {
    switch (t.type()) {
      case term::kind::tuple: {
        out_ += '{';
        later_text("}");
        const auto e = t.elements();
        for (std::size_t i = e.size(); i-- > 0;) {
          later(e[i]);
          if (i > 0) later_text(", ");
        }
        break;
      }
      case term::kind::map:
        elixir_map(t);
        break;
      case term::kind::list:
        elixir_list(t);
        break;
      default:
        elixir_scalar(t);
        break;
    }
  }

  [[gnu::noinline]] void elixir_scalar(const term& t) {
    switch (t.type()) {
      case term::kind::integer:
        out_ += t.integer_to_string();
        break;
      case term::kind::float_:
        out_ += elixir_float(t.float_value());
        break;
      case term::kind::atom:
        elixir_atom(out_, t.atom_value());
        break;
      case term::kind::reference:
        out_ += "#Reference";
        reference_fields(t.reference_value());
        break;
      case term::kind::fun:
        elixir_fun(t.fun_content());
        break;
      case term::kind::port:
        out_ += "#Port";
        port_fields(t.port_value());
        break;
      case term::kind::pid:
        out_ += "#PID";
        pid_fields(t.pid_value());
        break;
      case term::kind::nil:
        out_ += "[]";
        break;
      case term::kind::bitstring:
        elixir_bits(t);
        break;
      case term::kind::tuple:
      case term::kind::map:
      case term::kind::list:
        break;
    }
  }

  void elixir_fun(const fun_value& f) {
    if (f.is_export) {
      out_ += '&';
      elixir_atom(out_, f.module);
      out_ += '.';
      elixir_remote_name(out_, f.function);
      out_ += '/';
      number(f.arity);
    } else {
      // Elixir adds the name of the function the closure was defined in, which only the
      // loaded module knows; the wire does not carry it.
      out_ += "#Function<";
      number(f.index);
      out_ += '.';
      out_ += std::to_string(f.old_uniq);
      out_ += '/';
      number(f.arity);
      out_ += " in ";
      elixir_atom(out_, f.module);
      // Every closure erl_eval makes is defined in erl_eval:expr/6, which Elixir names.
      if (f.module.name() == "erl_eval") out_ += ".expr/6";
      out_ += '>';
    }
  }

  /// Prints a proper list of characters as a charlist ('abc'); false if it is not one.
  [[gnu::noinline]] bool elixir_charlist(std::span<const term> elements) {
    for (const term& e : elements) {
      const auto v = e.to_int64();
      if (!v || !elixir_charlist_char(*v)) return false;
    }
    std::u32string chars;
    chars.reserve(elements.size());
    for (const term& e : elements) chars.push_back(static_cast<char32_t>(e.small_integer()));
    out_ += '\'';
    elixir_escaped(out_, chars, '\'');
    out_ += '\'';
    return true;
  }

  [[gnu::noinline]] static bool elixir_keyword_list(std::span<const term> elements) {
    for (const term& e : elements)
      if (!elixir_keyword_pair(e)) return false;
    return true;
  }

  [[gnu::noinline]] void elixir_key_of(atom key) { elixir_key(out_, key); }

  void elixir_list(const term& t) {
    const auto elements = t.list_elements();
    const bool proper = t.list_tail().is_nil();
    if (proper && elixir_charlist(elements)) return;
    const bool keyword = proper && elixir_keyword_list(elements);
    out_ += '[';
    later_text("]");
    if (!proper) {
      later(t.list_tail());
      later_text(" | ");
    }
    for (std::size_t i = elements.size(); i-- > 0;) {
      if (keyword) {
        later(elements[i][1]);
        later_key(elements[i][0]);
      } else {
        later(elements[i]);
      }
      if (i > 0) later_text(", ");
    }
  }

  /// A map whose keys are all atoms (a struct's keys are).
  [[gnu::noinline]] static bool elixir_keyword_map_or_struct(const term& t) {
    for (const auto& [k, v] : t.map_entries()) {
      if (!k.is_atom()) return false;
    }
    return true;
  }

  /// A map whose keys are all atoms (none an Elixir alias) prints as `%{a: 1}`.
  [[gnu::noinline]] static bool elixir_keyword_map(const term& t) {
    for (const auto& [k, v] : t.map_entries()) {
      if (!k.is_atom() || k.atom_value().name().substr(0, 7) == "Elixir.") return false;
    }
    return true;
  }

  /// The struct name of a map with `__struct__: Elixir.Name`, or empty.
  [[gnu::noinline]] static std::string_view elixir_struct_name(const term& t) {
    for (const auto& [k, v] : t.map_entries()) {
      if (k.is_atom() && k.atom_value().name() == "__struct__") {
        if (v.is_atom() && v.atom_value().name().substr(0, 7) == "Elixir.") return v.atom_value().name().substr(7);
        return {};
      }
    }
    return {};
  }

  [[gnu::noinline]] static const term* elixir_field(const term& t, std::string_view key) {
    for (const auto& [k, v] : t.map_entries()) {
      if (k.is_atom() && k.atom_value().name() == key) return &v;
    }
    return nullptr;
  }

  /// A %Regex{} as Elixir's Inspect prints it, `~r/source/opts` (a `/` of the source escaped).
  [[gnu::noinline]] static std::optional<std::string> elixir_regex_sigil(const term& t) {
    const term* source = elixir_field(t, "source");
    const term* opts = elixir_field(t, "opts");
    if (!source || !source->is_binary() || !opts || !opts->is_binary()) return std::nullopt;
    std::string out = "~r/";
    const std::string_view text = source->bytes_as_string();
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        out += text.substr(i, 2);
        ++i;
        continue;
      }
      if (text[i] == '/') out += '\\';
      out += text[i];
    }
    out += '/';
    out += opts->bytes_as_string();
    return out;
  }

  /// Structs as Elixir's Inspect implementations print them: ranges as `1..3` (`1..0//1`
  /// when the step is not the natural one), MapSets as `MapSet.new([...])`, others as
  /// `%Name{field: value}`.
  [[gnu::noinline]] bool elixir_struct(const term& t) {
    const std::string_view name = elixir_struct_name(t);
    if (name.empty()) return false;
    if (name == "Range") {
      const term* first = elixir_field(t, "first");
      const term* last = elixir_field(t, "last");
      const term* step = elixir_field(t, "step");
      if (!first || !last || !step || t.map_entries().size() != 4) return false;
      elixir(*first);
      out_ += "..";
      elixir(*last);
      if (!(step->is_integer() && step->to_int64() == 1 && first->is_integer() && last->is_integer() &&
            compare(*last, *first) >= 0)) {
        out_ += "//";
        elixir(*step);
      }
      return true;
    }
    if (name == "Stream") {
      const term* enumerable = elixir_field(t, "enum");
      const term* funs = elixir_field(t, "funs");
      if (!enumerable || !funs) return false;
      out_ += "#Stream<[enum: ";
      elixir(*enumerable);
      out_ += ", funs: ";
      elixir(*funs);
      out_ += "]>";
      return true;
    }
    if (name == "Regex") {
      auto sigil = elixir_regex_sigil(t);
      if (!sigil) return false;
      out_ += *sigil;
      return true;
    }
    if (name == "MapSet") {
      const term* set = elixir_field(t, "map");
      if (!set || !set->is_map()) return false;
      out_ += "MapSet.new([";
      bool first = true;
      for (const auto& [k, v] : set->map_entries()) {
        if (!first) out_ += ", ";
        first = false;
        elixir(k);
      }
      out_ += "])";
      return true;
    }
    out_ += '%';
    out_ += name;
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : t.map_entries()) {
      if (!k.is_atom()) return false;  // never: checked below before printing
      // Elixir's Inspect shows neither the struct's name field nor an exception's marker.
      if (k.atom_value().name() == "__struct__" || k.atom_value().name() == "__exception__") continue;
      if (!first) out_ += ", ";
      first = false;
      elixir_key_of(k.atom_value());
      elixir(v);
    }
    out_ += '}';
    return true;
  }

  void elixir_map(const term& t) {
    if (elixir_keyword_map_or_struct(t) && elixir_struct(t)) return;
    const bool keyword = elixir_keyword_map(t);
    out_ += "%{";
    later_text("}");
    const auto e = t.map_entries();
    for (std::size_t i = e.size(); i-- > 0;) {
      later(e[i].second);
      if (keyword) {
        later_key(e[i].first);
      } else {
        later_text(" => ");
        later(e[i].first);
      }
      if (i > 0) later_text(", ");
    }
  }

  void elixir_bits(const term& t) {
    const auto bytes = t.bytes();
    if (t.is_binary()) {
      auto decoded = unicode::from_utf8(t.bytes_as_string());
      bool text = decoded.has_value();
      const std::u32string chars = std::move(decoded).value_or(U"");
      for (std::size_t i = 0; text && i < chars.size(); ++i) text = elixir_string_char(chars[i]);
      if (text) {
        out_ += '"';
        elixir_escaped(out_, chars, '"');
        out_ += '"';
        return;
      }
    }
    out_ += "<<";
    const std::size_t whole = t.is_binary() ? bytes.size() : bytes.size() - 1;
    for (std::size_t i = 0; i < whole; ++i) {
      if (i > 0) out_ += ", ";
      number(bytes[i]);
    }
    if (!t.is_binary()) {
      if (whole > 0) out_ += ", ";
      number(tail_bits_value(t));
      out_ += "::size(";
      number(t.bits_in_last_byte());
      out_ += ')';
    }
    out_ += ">>";
  }

  std::string& out_;
  const print_options& o_;
  std::vector<job> jobs_;
};


// ---- Elixir's inspect/2 layout ---------------------------------------------------------------

/// Builds the Inspect.Algebra document Elixir 1.14's Inspect implementations build for a term
/// (lib/elixir/lib/inspect.ex), so that `limit`, `width` and `pretty` lay it out as Elixir does.
/// Scalars are texts printed by the one-line printer above.
class elixir_layout {
 public:
  using doc = algebra::doc;
  static constexpr std::size_t infinity = print_options::infinity;

  explicit elixir_layout(const print_options& o) : o_(o), flat_(o) {
    flat_.pretty = false;
    flat_.limit = infinity;
    flat_.printable_limit = infinity;
  }

  void print(std::string& out, const term& t) {
    const doc d = docs_.group(to_doc(t, o_.limit));
    docs_.format(out, d, o_.pretty ? o_.width : infinity);
  }

 private:
  enum class breaks : std::uint8_t { maybe, strict, flex };

  doc text_of(const term& t) {
    std::string s;
    printer(s, flat_).print(t);
    return docs_.text(std::move(s));
  }

  doc to_doc(const term& t, std::size_t limit) {
    switch (t.type()) {
      case term::kind::tuple: {
        std::vector<term> items(t.elements().begin(), t.elements().end());
        return container("{", items, nullptr, "}", limit, breaks::flex,
                         [this](const term& e, std::size_t l) { return to_doc(e, l); });
      }
      case term::kind::list:
        return list(t, limit);
      case term::kind::map:
        return map(t, limit);
      case term::kind::bitstring:
        return bits(t, limit);
      default:
        return text_of(t);
    }
  }

  /// Inspect.Algebra.container_doc/6: items joined by `,` and a break, `...` past the limit,
  /// flex breaks when every item is plain text (or `flex`), else one item per line.
  template <class Fun>
  doc container(const std::string& left, const std::vector<term>& items, const term* tail,
                const std::string& right, std::size_t limit, breaks style, Fun&& fun) {
    if (items.empty() && !tail) return docs_.text(left + right);
    std::vector<doc> parts;
    bool simple = style == breaks::maybe;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (limit == 0) {
        parts.push_back(docs_.text("..."));
        break;
      }
      if (limit != infinity) --limit;
      const bool last_before_tail = tail && i + 1 == items.size();
      const doc d = fun(items[i], limit);
      if (!last_before_tail) {
        simple = simple && docs_.simple(d);
        parts.push_back(d);
        continue;
      }
      // [left | right]: the last element and the tail are one item joined by ` |`.
      const doc r = fun(*tail, limit);
      simple = simple && docs_.simple(d) && docs_.simple(r);
      parts.push_back(join(d, r, simple, " |"));
    }
    const bool flex = simple || style == breaks::flex;
    doc joined = parts.back();
    for (std::size_t i = parts.size() - 1; i-- > 0;) joined = join(parts[i], joined, flex, ",");
    const doc l = docs_.text(left);
    const doc r = docs_.text(right);
    if (flex) return docs_.group(docs_.concat({l, docs_.nest(joined, 1), r}));
    return docs_.group(docs_.glue(docs_.nest(docs_.glue(l, "", joined), 2), "", r));
  }

  doc join(doc left, doc right, bool flex, const char* separator) {
    const doc l = docs_.concat(left, docs_.text(separator));
    return flex ? docs_.flex_glue(l, " ", right) : docs_.glue(l, " ", right);
  }

  /// Inspect.List.keyword/2: `key: value`.
  doc keyword(const term& key, const term& value, std::size_t limit) {
    std::string k;
    elixir_key(k, key.atom_value());
    return docs_.concat(docs_.text(std::move(k)), to_doc(value, limit));
  }

  doc list(const term& t, std::size_t limit) {
    const auto elements = t.list_elements();
    const bool proper = t.list_tail().is_nil();
    if (proper) {
      if (auto d = charlist(elements)) return *d;
    }
    std::vector<term> items(elements.begin(), elements.end());
    if (proper && printer::elixir_keyword_list(elements)) {
      return container("[", items, nullptr, "]", limit, breaks::strict,
                       [this](const term& e, std::size_t l) { return keyword(e[0], e[1], l); });
    }
    const term tail = t.list_tail();
    return container("[", items, proper ? nullptr : &tail, "]", limit, breaks::maybe,
                     [this](const term& e, std::size_t l) { return to_doc(e, l); });
  }

  /// A printable charlist, its first `printable_limit` characters and ` ++ ...` past them.
  std::optional<doc> charlist(std::span<const term> elements) {
    const std::size_t shown = std::min(elements.size(), o_.printable_limit);
    std::u32string chars;
    for (std::size_t i = 0; i < shown; ++i) {
      const auto v = elements[i].to_int64();
      if (!v || !elixir_charlist_char(*v)) return std::nullopt;
      chars.push_back(static_cast<char32_t>(*v));
    }
    std::string s = "'";
    elixir_escaped(s, chars, '\'');
    s += '\'';
    if (shown < elements.size()) s += " ++ ...";
    return docs_.text(std::move(s));
  }

  doc map(const term& t, std::size_t limit) {
    std::vector<term> entries;
    std::string_view name = printer::elixir_keyword_map_or_struct(t) ? printer::elixir_struct_name(t) : "";
    if (name == "Range") return text_of(t);
    if (name == "Regex") {
      if (auto sigil = printer::elixir_regex_sigil(t)) return docs_.text(std::move(*sigil));
    }
    if (name == "Stream") {
      const term* enumerable = printer::elixir_field(t, "enum");
      const term* funs = printer::elixir_field(t, "funs");
      if (enumerable && funs) {
        term fields = term::list({term::tuple({atom("enum"), *enumerable}), term::tuple({atom("funs"), *funs})});
        return docs_.concat({docs_.text("#Stream<"), list(fields, limit), docs_.text(">")});
      }
    }
    if (name == "MapSet") {
      const term* set = printer::elixir_field(t, "map");
      if (set && set->is_map()) {
        std::vector<term> keys;
        for (const auto& [k, v] : set->map_entries()) keys.push_back(k);
        // [] alone would print as a charlist ('').
        if (keys.empty()) return docs_.text("MapSet.new([])");
        return docs_.concat({docs_.text("MapSet.new("), list(term::list(keys), limit), docs_.text(")")});
      }
      name = {};
    }
    for (const auto& [k, v] : t.map_entries()) {
      if (!name.empty() && (k.atom_value().name() == "__struct__" || k.atom_value().name() == "__exception__")) continue;
      entries.push_back(term::tuple({k, v}));
    }
    const bool keyword_map = !name.empty() || printer::elixir_keyword_map(t);
    const std::string open = "%" + std::string(name) + "{";
    if (keyword_map) {
      return container(open, entries, nullptr, "}", limit, breaks::strict,
                       [this](const term& e, std::size_t l) { return keyword(e[0], e[1], l); });
    }
    return container(open, entries, nullptr, "}", limit, breaks::strict, [this](const term& e, std::size_t l) {
      return docs_.concat({to_doc(e[0], l), docs_.text(" => "), to_doc(e[1], l)});
    });
  }

  doc bits(const term& t, std::size_t limit) {
    if (t.is_binary()) {
      if (auto d = string(t)) return *d;
      if (t.bytes().empty()) return docs_.text("<<>>");
    }
    // Inspect.BitString's each_bit/3: bytes joined by flex breaks, `...` past the limit.
    const auto bytes = t.bytes();
    const std::size_t whole = t.is_binary() ? bytes.size() : bytes.size() - 1;
    const std::size_t counter = limit;
    // Built from the right: each byte is `n,` flex-glued to the rest.
    const std::size_t count = whole + (t.is_binary() ? 0 : 1);
    std::size_t shown = count;
    bool ellipsis = false;
    if (counter != infinity && counter < count) {
      shown = counter;
      ellipsis = true;
    }
    auto item = [&](std::size_t i) {
      if (i < whole) return docs_.text(std::to_string(bytes[i]));
      return docs_.text(std::to_string(printer::tail_bits_value(t)) + "::size(" +
                        std::to_string(t.bits_in_last_byte()) + ")");
    };
    doc inner = ellipsis ? docs_.text("...") : item(shown - 1);
    for (std::size_t i = ellipsis ? shown : shown - 1; i-- > 0;) {
      inner = docs_.flex_glue(docs_.concat(item(i), docs_.text(",")), " ", inner);
    }
    return docs_.group(docs_.concat({docs_.text("<<"), docs_.nest(inner, 2), docs_.text(">>")}));
  }

  /// A printable string, its first `printable_limit` characters and ` <> ...` past them.
  std::optional<doc> string(const term& t) {
    auto decoded = unicode::from_utf8(t.bytes_as_string());
    if (!decoded) return std::nullopt;
    const std::u32string& chars = *decoded;
    const std::size_t shown = std::min(chars.size(), o_.printable_limit);
    for (std::size_t i = 0; i < shown; ++i)
      if (!elixir_string_char(chars[i])) return std::nullopt;
    std::string s = "\"";
    elixir_escaped(s, chars.substr(0, shown), '"');
    s += '"';
    if (shown < chars.size()) s += " <> ...";
    return docs_.text(std::move(s));
  }

  const print_options& o_;
  print_options flat_;
  algebra::documents docs_;
};

}  // namespace

void print_to(std::string& out, const term& t, const print_options& options) {
  if (options.syntax == syntax::elixir &&
      (options.pretty || options.limit != print_options::infinity ||
       options.printable_limit != print_options::infinity)) {
    elixir_layout(options).print(out, t);
    return;
  }
  printer(out, options).print(t);
}

std::string to_string(const term& t, const print_options& options) {
  std::string out;
  print_to(out, t, options);
  return out;
}

std::string format_float(double value, otpp::syntax s) {
  return s == syntax::elixir ? elixir_float(value) : erlang_float(value);
}

std::string format_atom(atom a, otpp::syntax s) {
  std::string out;
  if (s == syntax::elixir) {
    elixir_atom(out, a);
  } else {
    erlang_atom(out, a);
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const term& t) { return os << to_string(t); }

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
