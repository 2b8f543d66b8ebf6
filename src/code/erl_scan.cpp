// The Erlang scanner: source text to tokens as erl_scan (OTP 25) makes them, with its error
// messages, and the end of the first complete form in a text.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "code/erl_scan.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp::code {

namespace detail {

[[noreturn]] void fail(std::size_t line, const char* module, std::string message) {
  throw failure{erl_parse_error{line, module, std::move(message)}};
}

namespace {

using unicode::append_utf8;

std::string to_utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

// Code points of UTF-8 text; a byte that does not start a valid sequence stands for itself
// (Latin-1), so any byte string scans.
std::u32string decode(std::string_view text, std::vector<std::size_t>* offsets = nullptr) {
  std::u32string out;
  out.reserve(text.size());
  if (offsets) offsets->clear();
  for (std::size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    char32_t c = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = n != 0 && i + n <= text.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      auto cb = static_cast<unsigned char>(text[i + k]);
      if ((cb >> 6) != 2) ok = false;
      c = (c << 6) | (cb & 0x3F);
    }
    if (ok && n > 1 && (c < 0x80 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))) ok = false;
    if (offsets) offsets->push_back(i);
    if (!ok) {
      out += static_cast<char32_t>(b);
      ++i;
    } else {
      out += c;
      i += n;
    }
  }
  if (offsets) offsets->push_back(text.size());
  return out;
}

bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }
// erl_scan's character classes (Latin-1 letters count as letters).
bool is_lower(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7); }
bool is_upper(char32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7); }
bool is_name_char(char32_t c) { return is_lower(c) || is_upper(c) || is_digit(c) || c == '_' || c == '@'; }
bool is_white(char32_t c) { return c <= ' ' || (c >= 0x80 && c <= 0xA0); }

int digit_value(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'z') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'Z') return static_cast<int>(c - 'A' + 10);
  return 99;
}

bool is_reserved(std::string_view w) {
  static constexpr std::string_view words[] = {
      "after", "begin", "case", "try", "cond", "catch", "andalso", "orelse", "end", "fun", "if",
      "let", "of", "receive", "when", "bnot", "not", "div", "rem", "band", "and", "bor", "bxor",
      "bsl", "bsr", "or", "xor"};
  for (auto r : words)
    if (r == w) return true;
  return false;
}

class scanner {
 public:
  explicit scanner(std::string_view text) : s_(decode(text, &offsets_)) {}

  // As erl_scan:tokens/3: the byte offset just past the first form's dot and the white-space
  // character that ends it; nullopt when the text ends before (a dot at the very end may
  // still be followed by more). Scan errors before the dot throw.
  std::optional<std::size_t> first_form_end() {
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) return std::nullopt;
      token t;
      try {
        t = next();
      } catch (const failure&) {
        // A token the text ends inside (an open string, a `$` at the end) may yet be
        // completed by more text: erl_scan:tokens asks for more rather than failing.
        if (i_ >= s_.size()) return std::nullopt;
        throw;
      }
      if (t.kind == tk::dot) {
        if (i_ >= s_.size()) return std::nullopt;
        if (s_[i_] != '%') ++i_;
        return offsets_[i_];
      }
    }
  }

  std::vector<token> scan() {
    std::vector<token> out;
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) break;
      out.push_back(next());
    }
    token end;
    end.kind = tk::end;
    end.line = line_;
    out.push_back(std::move(end));
    return out;
  }

 private:
  char32_t at(std::size_t k) const { return k < s_.size() ? s_[k] : char32_t(-1); }

  void skip_space() {
    while (i_ < s_.size()) {
      char32_t c = s_[i_];
      if (c == '%') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (is_white(c)) {
        if (c == '\n') ++line_;
        ++i_;
      } else {
        break;
      }
    }
  }

  token make(tk kind) {
    token t;
    t.kind = kind;
    t.line = line_;
    return t;
  }

  token next() {
    char32_t c = s_[i_];
    if (is_digit(c)) return number();
    if (is_lower(c)) return word();
    if (is_upper(c) || c == '_') {
      token t = make(tk::var);
      std::u32string name;
      while (i_ < s_.size() && is_name_char(s_[i_])) name += s_[i_++];
      t.text = to_utf8(name);
      t.value = term(atom(t.text));
      return t;
    }
    if (c == '\'') {
      token t = make(tk::atom);
      std::u32string name = quoted('\'');
      t.text = to_utf8(name);
      auto a = atom::try_make(t.text);
      if (!a) fail(t.line, "erl_scan", "illegal atom");
      t.value = term(*a);
      return t;
    }
    if (c == '"') {
      token t = make(tk::string);
      t.chars = quoted('"');
      return t;
    }
    if (c == '$') return character();
    if (c == '.') {
      char32_t n = at(i_ + 1);
      if (n == char32_t(-1) || n == '%' || is_white(n)) {
        ++i_;
        return make(tk::dot);
      }
    }
    return symbol();
  }

  token word() {
    token t = make(tk::atom);
    std::u32string name;
    while (i_ < s_.size() && is_name_char(s_[i_])) name += s_[i_++];
    t.text = to_utf8(name);
    if (is_reserved(t.text)) {
      t.kind = tk::symbol;
      return t;
    }
    auto a = atom::try_make(t.text);
    if (!a) fail(t.line, "erl_scan", "illegal atom");
    t.value = term(*a);
    return t;
  }

  // Digits of `base` with single underscores between them, appended to `out`.
  void digits(std::string& out, int base) {
    while (i_ < s_.size()) {
      if (digit_value(s_[i_]) < base) {
        out += static_cast<char>(s_[i_++]);
      } else if (s_[i_] == '_' && !out.empty() && digit_value(at(i_ + 1)) < base) {
        ++i_;
      } else {
        break;
      }
    }
  }

  token number() {
    token t = make(tk::integer);
    std::string whole;
    digits(whole, 10);
    if (at(i_) == '#' && digit_value(at(i_ + 1)) < 36) {
      auto base_value = term::integer_from_string(whole);
      auto base = base_value ? base_value->to_int64() : std::nullopt;
      if (!base || *base < 2 || *base > 36) fail(t.line, "erl_scan", "illegal base '" + whole + "'");
      if (digit_value(at(i_ + 1)) >= *base) fail(t.line, "erl_scan", "illegal integer");
      ++i_;
      std::string ds;
      digits(ds, static_cast<int>(*base));
      t.value = *term::integer_from_string(ds, static_cast<int>(*base));
      return t;
    }
    if (at(i_) == '.' && is_digit(at(i_ + 1))) {
      ++i_;
      std::string text = whole + ".";
      std::string frac;
      digits(frac, 10);
      text += frac;
      if (at(i_) == 'e' || at(i_) == 'E') {
        text += 'e';
        ++i_;
        if (at(i_) == '+' || at(i_) == '-') text += static_cast<char>(s_[i_++]);
        if (!is_digit(at(i_))) fail(t.line, "erl_scan", "illegal float");
        std::string exp;
        digits(exp, 10);
        text += exp;
      }
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (v > 1.7976931348623157e308 || v < -1.7976931348623157e308) fail(t.line, "erl_scan", "illegal float");
      t.kind = tk::float_;
      t.value = term(v);
      return t;
    }
    t.value = *term::integer_from_string(whole);
    return t;
  }

  // One escape sequence after a backslash (i_ at the character after it).
  char32_t escape(std::size_t start_line, char32_t quote) {
    if (i_ >= s_.size()) {
      if (quote == 0) fail(start_line, "erl_scan", "unterminated character");
      fail(start_line, "erl_scan", "unterminated escape sequence");
    }
    char32_t c = s_[i_++];
    switch (c) {
      case 'b': return 8;
      case 'd': return 127;
      case 'e': return 27;
      case 'f': return 12;
      case 'n': return 10;
      case 'r': return 13;
      case 's': return 32;
      case 't': return 9;
      case 'v': return 11;
      case '^': {
        if (i_ >= s_.size()) fail(start_line, "erl_scan", "unterminated escape sequence");
        return s_[i_++] & 31;
      }
      case 'x': {
        if (at(i_) == '{') {
          ++i_;
          char32_t v = 0;
          std::size_t n = 0;
          while (digit_value(at(i_)) < 16) {
            v = v * 16 + static_cast<char32_t>(digit_value(s_[i_++]));
            if (++n > 8 || v > 0x10FFFF) fail(start_line, "erl_scan", "illegal character");
          }
          if (at(i_) != '}' || n == 0) fail(start_line, "erl_scan", "illegal character");
          ++i_;
          return v;
        }
        if (digit_value(at(i_)) < 16 && digit_value(at(i_ + 1)) < 16) {
          char32_t v = static_cast<char32_t>(digit_value(s_[i_]) * 16 + digit_value(s_[i_ + 1]));
          i_ += 2;
          return v;
        }
        fail(start_line, "erl_scan", "illegal character");
      }
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      char32_t v = c - '0';
      for (int k = 0; k < 2 && at(i_) >= '0' && at(i_) <= '7'; ++k) v = v * 8 + (s_[i_++] - '0');
      return v;
    }
    if (c == '\n') ++line_;
    return c;
  }

  std::u32string quoted(char32_t quote) {
    std::size_t start_line = line_;
    ++i_;
    std::u32string out;
    for (;;) {
      if (i_ >= s_.size()) {
        std::string head(1, static_cast<char>(quote));
        head += to_utf8(out.substr(0, 16));
        head += static_cast<char>(quote);
        fail(start_line, "erl_scan",
             std::string("unterminated ") + (quote == '"' ? "string" : "atom") + " starting with " + head);
      }
      char32_t c = s_[i_++];
      if (c == quote) return out;
      if (c == '\\') {
        out += escape(start_line, quote);
      } else {
        if (c == '\n') ++line_;
        out += c;
      }
    }
  }

  token character() {
    token t = make(tk::char_);
    ++i_;
    if (i_ >= s_.size()) fail(t.line, "erl_scan", "unterminated character");
    char32_t c = s_[i_++];
    if (c == '\\') {
      c = escape(t.line, 0);
    } else if (c == '\n') {
      ++line_;
    }
    t.value = term(static_cast<std::int64_t>(c));
    return t;
  }

  token symbol() {
    static constexpr std::string_view symbols[] = {
        "...", "=:=", "=/=", "..", "||", "::", ":=", "=>", "->", "<-", "<=", "<<", ">>", "==",
        "=<", ">=", "/=", "++", "--", "??"};
    token t = make(tk::symbol);
    for (auto sym : symbols) {
      bool match = true;
      for (std::size_t k = 0; k < sym.size(); ++k)
        if (at(i_ + k) != static_cast<char32_t>(sym[k])) {
          match = false;
          break;
        }
      if (match) {
        i_ += sym.size();
        t.text = std::string(sym);
        return t;
      }
    }
    append_utf8(t.text, s_[i_++]);
    return t;
  }

  std::vector<std::size_t> offsets_;  // byte offset of each code point, and of the end
  std::u32string s_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

std::vector<token> scan_tokens(std::string_view text) {
  scanner sc(text);
  return sc.scan();
}

}  // namespace detail

using namespace detail;

first_form find_first_form(std::string_view text) {
  first_form out;
  try {
    scanner sc(text);
    if (auto end = sc.first_form_end()) {
      out.complete = true;
      out.end = *end;
    }
  } catch (const failure& e) {
    out.error = e.error;
  }
  return out;
}

}  // namespace otpp::code
