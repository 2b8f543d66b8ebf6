// The lexer and the literal parser for Erlang and Elixir term syntax (see parse.hpp).
#include "otpp/term/parse.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "otpp/term/unicode.hpp"
#include "term/identifier_chars.hpp"

namespace otpp {
namespace {

using unicode::append_utf8;
using unicode::next_utf8;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_ascii_upper(char c) { return c >= 'A' && c <= 'Z'; }

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

bool starts_with(std::string_view s, std::size_t at, std::string_view prefix) {
  return s.substr(at, prefix.size()) == prefix;
}

// Latin-1 letters as erl_scan classifies them (the characters of unquoted atoms and variables).
bool erlang_lower(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}
bool erlang_upper(char32_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}
bool erlang_name_char(char32_t c) {
  return erlang_lower(c) || erlang_upper(c) || (c >= '0' && c <= '9') || c == '_' || c == '@';
}

bool erlang_reserved(std::string_view s) {
  static constexpr std::string_view words[] = {
      "after", "and",  "andalso", "band",   "begin",   "bnot", "bor", "bsl",  "bsr",
      "bxor",  "case", "catch",   "cond",   "div",     "end",  "fun", "if",   "let",
      "not",   "of",   "or",      "orelse", "receive", "rem",  "try", "when", "xor"};
  return std::find(std::begin(words), std::end(words), s) != std::end(words);
}

// Longest match first.
constexpr std::string_view erlang_puncts[] = {
    "=:=", "=/=", "...", "=>", ":=", "->", "<-", "<=", "||", "==", "/=", "=<", ">=", "++",
    "--",  "<<",  ">>",  "::", "..", "{",  "}",  "[",  "]",  "(",  ")",  ",",  "|",  ".",
    ":",   "/",   "#",   "+",  "-",  "*",  "=",  "<",  ">",  "!",  "?",  ";"};
constexpr std::string_view elixir_puncts[] = {
    "===", "!==", "..//", "<<<", ">>>", "<<~", "~>>", "<~>", "|||", "&&&", "+++", "---",
    "...", "==",  "!=",   "<=",  ">=",  "&&",  "||",  "<>",  "++",  "--",  "**",  "|>",
    "<~",  "~>",  "=~",   "<-",  "->",  "..",  "=>",  "::",  "<<",  ">>",  "%{",  "\\\\",
    "{",   "}",   "[",    "]",   "(",   ")",   ",",   "|",   ".",   ":",   "/",   "%",
    "&",   "+",   "-",    "*",   "=",   "<",   ">",   "!",   "^",   "@",   ";"};
// Operators Elixir writes as bare atoms (`:+`) and keys (`+: 1`), longest first.
constexpr std::string_view elixir_atom_ops[] = {
    "===", "!==",  "..//", "<<<",  ">>>", "<<~", "~>>", "<~>", "|||", "&&&", "+++", "---",
    "...", "<<>>", "%{}",  "\\\\", "==",  "!=",  "<=",  ">=",  "&&",  "||",  "<>",  "++",
    "--",  "**",   "|>",   "<~",   "~>",  "=~",  "<-",  "->",  "..",  "{}",  "<",   ">",
    "=",   "*",    "/",    "+",    "-",   "|",   "!",   "@",   "^",   "&",   "%",   "."};

std::string quote_for_message(const token& t) {
  switch (t.kind) {
    case token_kind::end:
      return "end of text";
    case token_kind::error:
      return t.text;
    case token_kind::integer:
      return "integer";
    case token_kind::float_:
      return "float";
    case token_kind::atom:
      return "atom";
    case token_kind::alias:
      return "alias";
    case token_kind::string:
      return "string";
    case token_kind::charlist:
      return "charlist";
    case token_kind::keyword_key:
      return "keyword key";
    case token_kind::variable:
      return "variable '" + t.text + "'";
    case token_kind::keyword:
    case token_kind::punct:
      return "'" + t.text + "'";
    case token_kind::process:
      return t.text + " literal";
  }
  return "token";
}

}  // namespace

std::string parse_error::describe(std::string_view text) const {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

// ---- lexer ---------------------------------------------------------------------------------

const token& lexer::peek() {
  if (!peeked_) peeked_ = lex();
  return *peeked_;
}

token lexer::next() {
  if (peeked_) {
    token t = std::move(*peeked_);
    peeked_.reset();
    return t;
  }
  return lex();
}

token lexer::make(token_kind k, std::size_t start) {
  token t;
  t.kind = k;
  t.offset = start;
  t.length = pos_ - start;
  return t;
}

token lexer::fail(std::size_t at, std::string message) {
  token t;
  t.kind = token_kind::error;
  t.offset = at;
  t.length = 0;
  t.text = std::move(message);
  pos_ = text_.size();  // an error ends the token stream
  return t;
}

void lexer::skip_space() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (is_space(c)) {
      ++pos_;
    } else if ((c == '%' && syntax_ == syntax::erlang) ||
               (c == '#' && syntax_ == syntax::elixir && !starts_with(text_, pos_, "#PID<") &&
                !starts_with(text_, pos_, "#Reference<") && !starts_with(text_, pos_, "#Port<") &&
                !starts_with(text_, pos_, "#Function<"))) {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
}

bool lexer::keyword_colon_follows(std::size_t at) const noexcept {
  return at < text_.size() && text_[at] == ':' &&
         (at + 1 == text_.size() || is_space(text_[at + 1]));
}

token lexer::lex() {
  skip_space();
  const std::size_t start = pos_;
  if (pos_ >= text_.size()) return make(token_kind::end, start);
  const char c = text_[pos_];
  if (is_digit(c)) return lex_number(start);
  if (syntax_ == syntax::erlang) {
    if (c == '$') return lex_erlang_char(start);
    if (c == '\'') return lex_quoted(start, '\'', token_kind::atom);
    if (c == '"') return lex_quoted(start, '"', token_kind::string);
    if (c == '<' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])) {
      token t = lex_process(start, start + 1, "pid");
      if (t.kind != token_kind::error) return t;
      pos_ = start;  // not a pid after all: a '<' operator
    }
    if (starts_with(text_, pos_, "#Ref<")) return lex_process(start, start + 5, "reference");
    if (starts_with(text_, pos_, "#Port<")) return lex_process(start, start + 6, "port");
    if (starts_with(text_, pos_, "#Fun<")) {
      return fail(start, "a fun's environment cannot be written as a literal");
    }
    return lex_erlang_word(start);
  }
  // Elixir
  if (c == '"' || c == '\'') {
    token t = lex_quoted(start, c, c == '"' ? token_kind::string : token_kind::charlist);
    if (t.kind == token_kind::string && keyword_colon_follows(pos_)) {
      auto a = atom::try_make(t.text);
      if (!a) return fail(start, "an atom is at most 255 characters");
      ++pos_;
      t = make(token_kind::keyword_key, start);
      t.value = *a;
    }
    return t;
  }
  if (c == '?') {
    ++pos_;
    char32_t ch = 0;
    if (pos_ < text_.size() && text_[pos_] == '\\') {
      ++pos_;
      std::string buf;
      std::string error;
      if (!read_escape(buf, error)) return fail(start, error);
      std::size_t p = 0;
      next_utf8(buf, p, ch);
    } else if (!next_utf8(text_, pos_, ch)) {
      return fail(start, "expected a character after '?'");
    }
    token t = make(token_kind::integer, start);
    t.value = term(static_cast<long long>(ch));
    return t;
  }
  if (c == ':') return lex_elixir_colon(start);
  if (c == '~') return lex_elixir_sigil(start);
  if (starts_with(text_, pos_, "#PID<")) return lex_process(start, start + 5, "pid");
  if (starts_with(text_, pos_, "#Reference<")) return lex_process(start, start + 11, "reference");
  if (starts_with(text_, pos_, "#Port<")) return lex_process(start, start + 6, "port");
  if (starts_with(text_, pos_, "#Function<")) {
    return fail(start, "an anonymous function cannot be written as a literal");
  }
  return lex_elixir_word(start);
}

token lexer::lex_number(std::size_t start) {
  // Digits with single underscores between them (both languages allow 1_000_000).
  auto digits = [&](auto accept) {
    std::string out;
    while (pos_ < text_.size()) {
      const char d = text_[pos_];
      if (accept(d)) {
        out += d;
        ++pos_;
      } else if (d == '_' && !out.empty() && pos_ + 1 < text_.size() && accept(text_[pos_ + 1])) {
        ++pos_;
      } else {
        break;
      }
    }
    return out;
  };
  auto decimal = [](char d) { return is_digit(d); };
  auto integer_token = [&](std::string_view text, int base) {
    auto v = term::integer_from_string(text, base);
    if (!v) return fail(start, "invalid integer");
    token t = make(token_kind::integer, start);
    t.value = *v;
    return t;
  };

  if (syntax_ == syntax::elixir && text_[pos_] == '0' && pos_ + 1 < text_.size()) {
    const char p = text_[pos_ + 1];
    const int base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (base != 0) {
      pos_ += 2;
      std::string ds = digits([base](char d) { return digit_value(d) < base; });
      if (ds.empty()) return fail(start, "expected digits after 0" + std::string(1, p));
      return integer_token(ds, base);
    }
  }
  std::string whole = digits(decimal);
  if (syntax_ == syntax::erlang && pos_ < text_.size() && text_[pos_] == '#') {
    int base = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), base);
    if (base < 2 || base > 36) return fail(start, "a base must be 2..36");
    ++pos_;
    std::string ds = digits([base](char d) { return digit_value(d) < base; });
    if (ds.empty()) return fail(start, "expected base " + whole + " digits after '#'");
    return integer_token(ds, base);
  }
  if (pos_ + 1 < text_.size() && text_[pos_] == '.' && is_digit(text_[pos_ + 1])) {
    ++pos_;
    std::string text = whole + "." + digits(decimal);
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      std::size_t save = pos_;
      ++pos_;
      std::string exp = "e";
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) exp += text_[pos_++];
      std::string ds = digits(decimal);
      if (ds.empty()) {
        pos_ = save;  // `1.0e` is not an exponent
      } else {
        text += exp + ds;
      }
    }
    double v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || !std::isfinite(v)) return fail(start, "float out of range: " + text);
    token t = make(token_kind::float_, start);
    t.value = term(v);
    return t;
  }
  return integer_token(whole, 10);
}

bool lexer::read_escape(std::string& out, std::string& error) {
  // pos_ is just past the backslash.
  if (pos_ >= text_.size()) {
    error = "unterminated escape sequence";
    return false;
  }
  const char c = text_[pos_++];
  auto hex_run = [&](std::size_t min, std::size_t max, char32_t& v) {
    std::size_t n = 0;
    v = 0;
    while (n < max && pos_ < text_.size() && digit_value(text_[pos_]) < 16) {
      v = v * 16 + static_cast<char32_t>(digit_value(text_[pos_++]));
      ++n;
    }
    return n >= min;
  };
  auto braced_hex = [&](char32_t& v) {
    ++pos_;  // '{'
    if (!hex_run(1, 8, v) || pos_ >= text_.size() || text_[pos_] != '}') return false;
    ++pos_;
    return true;
  };
  auto emit = [&](char32_t v) {
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
      error = "escape gives an invalid code point";
      return false;
    }
    append_utf8(out, v);
    return true;
  };
  if (syntax_ == syntax::erlang) {
    switch (c) {
      case 'b':
        return emit('\b');
      case 'd':
        return emit(127);
      case 'e':
        return emit(27);
      case 'f':
        return emit('\f');
      case 'n':
        return emit('\n');
      case 'r':
        return emit('\r');
      case 's':
        return emit(' ');
      case 't':
        return emit('\t');
      case 'v':
        return emit('\v');
      case 'x': {
        char32_t v = 0;
        if (pos_ < text_.size() && text_[pos_] == '{') {
          if (!braced_hex(v)) break;
        } else if (!hex_run(2, 2, v)) {
          break;
        }
        return emit(v);
      }
      case '^':
        if (pos_ < text_.size()) return emit(static_cast<char32_t>(text_[pos_++]) & 31);
        break;
      default:
        if (c >= '0' && c <= '7') {
          char32_t v = static_cast<char32_t>(c - '0');
          for (int i = 0; i < 2 && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '7';
               ++i) {
            v = v * 8 + static_cast<char32_t>(text_[pos_++] - '0');
          }
          return emit(v);
        }
        --pos_;  // any other character stands for itself
        char32_t ch = 0;
        if (!next_utf8(text_, pos_, ch)) break;
        return emit(ch);
    }
    error = "invalid escape sequence";
    return false;
  }
  switch (c) {
    case 'a':
      return emit(7);
    case 'b':
      return emit('\b');
    case 'd':
      return emit(127);
    case 'e':
      return emit(27);
    case 'f':
      return emit('\f');
    case 'n':
      return emit('\n');
    case 'r':
      return emit('\r');
    case 's':
      return emit(' ');
    case 't':
      return emit('\t');
    case 'v':
      return emit('\v');
    case '0':
      return emit(0);
    case '\n':
      return true;  // line continuation
    case 'x':
    case 'u': {
      char32_t v = 0;
      if (pos_ < text_.size() && text_[pos_] == '{') {
        if (!braced_hex(v)) break;
      } else if (!(c == 'x' ? hex_run(1, 2, v) : hex_run(4, 4, v))) {
        break;
      }
      return emit(v);
    }
    default: {
      --pos_;
      char32_t ch = 0;
      if (!next_utf8(text_, pos_, ch)) break;
      return emit(ch);
    }
  }
  error = "invalid escape sequence";
  return false;
}

token lexer::lex_quoted(std::size_t start, char quote, token_kind kind) {
  ++pos_;  // opening quote
  std::string content;
  while (true) {
    if (pos_ >= text_.size()) {
      return fail(start, std::string("missing closing ") + quote);
    }
    const char c = text_[pos_];
    if (c == quote) {
      ++pos_;
      break;
    }
    if (c == '\\') {
      ++pos_;
      std::string error;
      if (!read_escape(content, error)) return fail(pos_ - 1, error);
      continue;
    }
    if (syntax_ == syntax::elixir && c == '#' && pos_ + 1 < text_.size() &&
        text_[pos_ + 1] == '{') {
      return fail(pos_, "interpolation #{...} is not part of a literal");
    }
    char32_t ch = 0;
    if (!next_utf8(text_, pos_, ch)) return fail(pos_, "invalid UTF-8");
    append_utf8(content, ch);
  }
  token t = make(kind, start);
  if (kind == token_kind::atom) {
    auto a = atom::try_make(content);
    if (!a) return fail(start, "an atom is at most 255 characters");
    t.value = *a;
  }
  t.text = std::move(content);
  return t;
}

token lexer::lex_erlang_char(std::size_t start) {
  ++pos_;  // '$'
  std::string buf;
  if (pos_ < text_.size() && text_[pos_] == '\\') {
    ++pos_;
    std::string error;
    if (!read_escape(buf, error)) return fail(start, error);
  } else {
    char32_t ch = 0;
    if (!next_utf8(text_, pos_, ch)) return fail(start, "expected a character after '$'");
    append_utf8(buf, ch);
  }
  std::size_t p = 0;
  char32_t ch = 0;
  next_utf8(buf, p, ch);
  token t = make(token_kind::integer, start);
  t.value = term(static_cast<long long>(ch));
  return t;
}

token lexer::lex_process(std::size_t start, std::size_t fields_at, std::string_view what) {
  pos_ = fields_at;
  std::vector<std::uint64_t> numbers;
  while (true) {
    const std::size_t at = pos_;
    std::uint64_t v = 0;
    auto r = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), v);
    if (r.ec != std::errc() || r.ptr == text_.data() + at) {
      return fail(at, "expected a number in the " + std::string(what) + " literal");
    }
    pos_ = static_cast<std::size_t>(r.ptr - text_.data());
    numbers.push_back(v);
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      continue;
    }
    if (pos_ < text_.size() && text_[pos_] == '>') {
      ++pos_;
      break;
    }
    return fail(pos_, "expected '.' or '>' in the " + std::string(what) + " literal");
  }
  token t = make(token_kind::process, start);
  t.text = std::string(what);
  t.numbers = std::move(numbers);
  return t;
}

token lexer::lex_erlang_word(std::size_t start) {
  std::size_t p = pos_;
  char32_t first = 0;
  if (!next_utf8(text_, p, first)) return fail(start, "invalid UTF-8");
  if (erlang_lower(first) || erlang_upper(first) || first == '_') {
    pos_ = p;
    std::string name;
    append_utf8(name, first);
    char32_t ch = 0;
    std::size_t q = pos_;
    while (next_utf8(text_, q, ch) && erlang_name_char(ch)) {
      append_utf8(name, ch);
      pos_ = q;
    }
    if (erlang_lower(first)) {
      if (erlang_reserved(name)) {
        token t = make(token_kind::keyword, start);
        t.text = std::move(name);
        return t;
      }
      auto a = atom::try_make(name);
      if (!a) return fail(start, "an atom is at most 255 characters");
      token t = make(token_kind::atom, start);
      t.value = *a;
      t.text = std::move(name);
      return t;
    }
    token t = make(token_kind::variable, start);
    t.text = std::move(name);
    return t;
  }
  return lex_punct(start);
}

token lexer::lex_punct(std::size_t start) {
  auto try_list = [&](auto& list) -> std::optional<token> {
    for (std::string_view p : list) {
      if (starts_with(text_, pos_, p)) {
        pos_ += p.size();
        token t = make(token_kind::punct, start);
        t.text = std::string(p);
        return t;
      }
    }
    return std::nullopt;
  };
  auto t = syntax_ == syntax::erlang ? try_list(erlang_puncts) : try_list(elixir_puncts);
  if (t) return std::move(*t);
  char32_t ch = 0;
  std::size_t p = pos_;
  if (!next_utf8(text_, p, ch)) return fail(start, "invalid UTF-8");
  std::string shown;
  append_utf8(shown, ch);
  return fail(start, "unexpected character '" + shown + "'");
}

token lexer::lex_elixir_word(std::size_t start) {
  // An operator used as a keyword key: `+: 1`, `%{}: 2`.
  for (std::string_view op : elixir_atom_ops) {
    if (starts_with(text_, pos_, op) && keyword_colon_follows(pos_ + op.size())) {
      pos_ += op.size() + 1;
      token t = make(token_kind::keyword_key, start);
      t.value = atom(op);
      return t;
    }
  }
  std::size_t p = pos_;
  char32_t first = 0;
  if (!next_utf8(text_, p, first)) return fail(start, "invalid UTF-8");
  if (!(first == '_' || detail::is_id_start(first))) return lex_punct(start);
  // An identifier: ID_Start ID_Continue*, '@' anywhere after the start, then one '?' or '!'.
  std::string name;
  append_utf8(name, first);
  pos_ = p;
  char32_t ch = 0;
  std::size_t q = pos_;
  while (next_utf8(text_, q, ch) && (ch == '@' || detail::is_id_continue(ch))) {
    append_utf8(name, ch);
    pos_ = q;
  }
  if (pos_ < text_.size() && (text_[pos_] == '?' || text_[pos_] == '!')) name += text_[pos_++];
  if (keyword_colon_follows(pos_)) {
    auto a = atom::try_make(name);
    if (!a) return fail(start, "an atom is at most 255 characters");
    ++pos_;
    token t = make(token_kind::keyword_key, start);
    t.value = *a;
    return t;
  }
  if (pos_ + 1 < text_.size() && text_[pos_] == ':' && text_[pos_ + 1] != ':') {
    return fail(start, "a keyword key needs a space after the colon: '" + name + ": '");
  }
  if (is_ascii_upper(name[0])) {
    // An alias: `Foo.Bar` is 'Elixir.Foo.Bar'; `Elixir.Foo` is 'Elixir.Foo'.
    for (char n : name) {
      if (!(is_digit(n) || is_ascii_lower(n) || is_ascii_upper(n) || n == '_')) {
        return fail(start, "invalid alias '" + name + "'");
      }
    }
    while (pos_ + 1 < text_.size() && text_[pos_] == '.' && is_ascii_upper(text_[pos_ + 1])) {
      name += '.';
      ++pos_;
      while (pos_ < text_.size() && (is_digit(text_[pos_]) || is_ascii_lower(text_[pos_]) ||
                                     is_ascii_upper(text_[pos_]) || text_[pos_] == '_')) {
        name += text_[pos_++];
      }
    }
    const std::string full =
        name == "Elixir" || name.rfind("Elixir.", 0) == 0 ? name : "Elixir." + name;
    auto a = atom::try_make(full);
    if (!a) return fail(start, "an atom is at most 255 characters");
    token t = make(token_kind::alias, start);
    t.value = *a;
    t.text = std::move(name);
    return t;
  }
  if (name == "nil" || name == "true" || name == "false") {
    token t = make(token_kind::atom, start);
    t.value = atom(name);
    t.text = std::move(name);
    return t;
  }
  token t = make(token_kind::variable, start);
  t.text = std::move(name);
  return t;
}

token lexer::lex_elixir_colon(std::size_t start) {
  ++pos_;  // ':'
  if (pos_ < text_.size() && text_[pos_] == '"') {
    token q = lex_quoted(pos_, '"', token_kind::atom);
    if (q.kind == token_kind::error) return q;
    q.offset = start;
    q.length = pos_ - start;
    return q;
  }
  if (pos_ < text_.size() && text_[pos_] == ':') {
    ++pos_;
    token t = make(token_kind::punct, start);
    t.text = "::";
    return t;
  }
  std::size_t p = pos_;
  char32_t first = 0;
  if (next_utf8(text_, p, first) && (first == '_' || detail::is_id_start(first))) {
    std::string name;
    append_utf8(name, first);
    pos_ = p;
    char32_t ch = 0;
    std::size_t q = pos_;
    while (next_utf8(text_, q, ch) && (ch == '@' || detail::is_id_continue(ch))) {
      append_utf8(name, ch);
      pos_ = q;
    }
    if (pos_ < text_.size() && (text_[pos_] == '?' || text_[pos_] == '!')) name += text_[pos_++];
    auto a = atom::try_make(name);
    if (!a) return fail(start, "an atom is at most 255 characters");
    token t = make(token_kind::atom, start);
    t.value = *a;
    t.text = std::move(name);
    return t;
  }
  for (std::string_view op : elixir_atom_ops) {
    if (starts_with(text_, pos_, op)) {
      pos_ += op.size();
      token t = make(token_kind::atom, start);
      t.value = atom(op);
      t.text = std::string(op);
      return t;
    }
  }
  token t = make(token_kind::punct, start);
  t.text = ":";
  return t;
}

token lexer::lex_elixir_sigil(std::size_t start) {
  // ~c"..." ~s"..." (escapes) and ~C"..." ~S"..." (raw), with any of the usual delimiters.
  if (pos_ + 2 >= text_.size()) return lex_punct(start);
  const char kind = text_[pos_ + 1];
  if (kind != 'c' && kind != 's' && kind != 'C' && kind != 'S') return lex_punct(start);
  const char open = text_[pos_ + 2];
  const std::string_view opens = "\"'([{</|";
  const std::string_view closes = "\"')]}>/|";
  const auto which = opens.find(open);
  if (which == std::string_view::npos) return fail(start, "unsupported sigil delimiter");
  const char close = closes[which];
  pos_ += 3;
  std::string content;
  const bool raw = kind == 'C' || kind == 'S';
  while (true) {
    if (pos_ >= text_.size()) return fail(start, std::string("missing closing ") + close);
    const char c = text_[pos_];
    if (c == close) {
      ++pos_;
      break;
    }
    if (c == '\\') {
      if (raw) {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == close) {
          content += close;
          pos_ += 2;
        } else {
          content += c;
          ++pos_;
        }
        continue;
      }
      ++pos_;
      std::string error;
      if (!read_escape(content, error)) return fail(pos_ - 1, error);
      continue;
    }
    if (!raw && c == '#' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{') {
      return fail(pos_, "interpolation #{...} is not part of a literal");
    }
    char32_t ch = 0;
    if (!next_utf8(text_, pos_, ch)) return fail(pos_, "invalid UTF-8");
    append_utf8(content, ch);
  }
  if (pos_ < text_.size() && (is_ascii_lower(text_[pos_]) || is_ascii_upper(text_[pos_]))) {
    return fail(pos_, "sigil modifiers are not supported");
  }
  token t = make(kind == 'c' || kind == 'C' ? token_kind::charlist : token_kind::string, start);
  t.text = std::move(content);
  return t;
}

// ---- parser --------------------------------------------------------------------------------

namespace {

/// Builds a bitstring MSB first, as binary construction does.
class bit_writer {
 public:
  void push(std::uint64_t value, std::size_t bits) {
    for (std::size_t i = bits; i-- > 0;) push_bit((value >> i) & 1);
  }
  void push_bit(unsigned b) {
    if (bits_ % 8 == 0) bytes_.push_back(0);
    if (b) bytes_.back() |= static_cast<std::uint8_t>(0x80 >> (bits_ % 8));
    ++bits_;
  }
  void push_bytes(std::span<const std::uint8_t> bytes, std::size_t bits) {
    for (std::size_t i = 0; i < bits; ++i) push_bit((bytes[i / 8] >> (7 - i % 8)) & 1);
  }
  [[nodiscard]] term result() const {
    if (bits_ % 8 == 0) return term::binary(std::span<const std::uint8_t>(bytes_));
    return term::bitstring(bytes_, static_cast<unsigned>(bits_ % 8));
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t bits_ = 0;
};

std::u32string code_points(std::string_view utf8) { return unicode::from_utf8(utf8).value_or(U""); }

term negate(const term& t) {
  if (t.is_float()) return term(-t.float_value());
  const auto mag = t.integer_magnitude();
  return term::integer_from_magnitude(!t.integer_is_negative(), mag);
}

/// One `Value:Size/Type` segment of a binary, with its specifiers resolved.
enum class segment_type : std::uint8_t { integer, float_, binary, utf8, utf16, utf32 };
struct segment_spec {
  segment_type type = segment_type::integer;
  bool type_given = false;
  std::optional<std::uint64_t> size;
  std::uint64_t unit = 0;  // 0: the type's default
  bool little = false;
};

class parser {
 public:
  parser(std::string_view text, const parse_options& o, std::size_t pos)
      : lx_(text, o.syntax, pos), o_(o), last_end_(pos) {}

  std::optional<term> value(std::size_t depth) {
    if (depth > o_.max_depth)
      return fail(lx_.peek().offset, "nesting deeper than " + std::to_string(o_.max_depth));
    token t = take();
    if (t.kind == token_kind::error) return fail(t.offset, t.text);
    if (t.kind == token_kind::punct && (t.text == "-" || t.text == "+")) {
      token n = take();
      if (n.kind != token_kind::integer && n.kind != token_kind::float_) {
        return fail(n.offset, "expected a number after '" + t.text + "'");
      }
      return t.text == "-" ? negate(n.value) : n.value;
    }
    return o_.syntax == syntax::erlang ? erlang_value(std::move(t), depth)
                                       : elixir_value(std::move(t), depth);
  }

  [[nodiscard]] std::size_t last_end() const noexcept { return last_end_; }
  lexer& lex() noexcept { return lx_; }
  parse_error& error() noexcept { return error_; }

  std::optional<term> fail(std::size_t offset, std::string message) {
    if (!failed_) {
      error_.offset = offset;
      error_.message = std::move(message);
      failed_ = true;
    }
    return std::nullopt;
  }

  token take() {
    token t = lx_.next();
    if (t.kind != token_kind::end && t.kind != token_kind::error) last_end_ = t.offset + t.length;
    return t;
  }

 private:
  bool peek_punct(std::string_view p) {
    const token& t = lx_.peek();
    return t.kind == token_kind::punct && t.text == p;
  }

  bool expect(std::string_view p, std::string_view context) {
    const token& t = lx_.peek();
    if (t.kind == token_kind::punct && t.text == p) {
      (void)take();
      return true;
    }
    if (t.kind == token_kind::error) {
      fail(t.offset, t.text);
    } else {
      fail(t.offset, "expected '" + std::string(p) + "' " + std::string(context) + ", found " +
                         quote_for_message(t));
    }
    return false;
  }

  std::optional<term> unexpected(const token& t) {
    if (t.kind == token_kind::error) return fail(t.offset, t.text);
    if (t.kind == token_kind::variable) {
      return fail(t.offset, o_.syntax == syntax::erlang
                                ? "variable '" + t.text + "' is not a literal"
                                : "'" + t.text + "' is not a literal (a variable or a call)");
    }
    return fail(t.offset, "unexpected " + quote_for_message(t));
  }

  // ---- Erlang ------------------------------------------------------------------------------
  std::optional<term> erlang_value(token t, std::size_t depth) {
    switch (t.kind) {
      case token_kind::integer:
      case token_kind::float_:
      case token_kind::atom:
        return t.value;
      case token_kind::string: {
        // Adjacent strings concatenate ("ab" "c" is "abc").
        std::string text = std::move(t.text);
        while (lx_.peek().kind == token_kind::string) text += take().text;
        std::vector<term> chars;
        for (char32_t c : code_points(text)) chars.emplace_back(static_cast<long long>(c));
        return term::list(std::move(chars));
      }
      case token_kind::process:
        return process(t);
      case token_kind::keyword:
        if (t.text == "fun") return erlang_export_fun(t);
        return unexpected(t);
      case token_kind::punct:
        if (t.text == "{") return sequence("}", depth, true);
        if (t.text == "[") return sequence("]", depth, false);
        if (t.text == "<<") return bitstring(depth);
        if (t.text == "#") {
          if (!peek_punct("{"))
            return fail(t.offset, "expected '{' after '#' (records are not literals)");
          (void)take();
          return map_body(depth);
        }
        return unexpected(t);
      default:
        return unexpected(t);
    }
  }

  std::optional<term> erlang_export_fun(const token& fun_token) {
    token m = take();
    if (m.kind != token_kind::atom)
      return fail(m.offset, "expected a module after 'fun' (fun M:F/A)");
    if (!expect(":", "after the module of fun M:F/A")) return std::nullopt;
    token f = take();
    if (f.kind != token_kind::atom) return fail(f.offset, "expected a function name in fun M:F/A");
    if (!expect("/", "after the function of fun M:F/A")) return std::nullopt;
    return export_fun_arity(m.value.atom_value(), f.value.atom_value(), fun_token.offset);
  }

  std::optional<term> export_fun_arity(atom module, atom function, std::size_t) {
    token a = take();
    const auto arity = a.kind == token_kind::integer ? a.value.to_int64() : std::nullopt;
    if (!arity || *arity < 0 || *arity > 255) return fail(a.offset, "expected an arity 0..255");
    return term::export_fun(module, function, static_cast<std::uint32_t>(*arity));
  }

  // ---- Elixir ------------------------------------------------------------------------------
  std::optional<term> elixir_value(token t, std::size_t depth) {
    switch (t.kind) {
      case token_kind::integer:
      case token_kind::float_:
      case token_kind::atom:
      case token_kind::alias:
        return t.value;
      case token_kind::string:
        return term::binary(std::string_view(t.text));
      case token_kind::charlist: {
        std::vector<term> chars;
        for (char32_t c : code_points(t.text)) chars.emplace_back(static_cast<long long>(c));
        return term::list(std::move(chars));
      }
      case token_kind::process:
        return process(t);
      case token_kind::keyword_key:
        return fail(t.offset, "a keyword pair belongs at the end of a list, tuple or map");
      case token_kind::punct:
        if (t.text == "{") return sequence("}", depth, true);
        if (t.text == "[") return sequence("]", depth, false);
        if (t.text == "%{") return map_body(depth);
        if (t.text == "<<") return bitstring(depth);
        if (t.text == "&") return elixir_capture(t);
        if (t.text == "%")
          return fail(t.offset, "structs are not supported as literals; write a map");
        return unexpected(t);
      default:
        return unexpected(t);
    }
  }

  /// `&Mod.fun/arity` or `&:mod.fun/arity`.
  std::optional<term> elixir_capture(const token& amp) {
    token m = take();
    if (m.kind != token_kind::atom && m.kind != token_kind::alias) {
      return fail(m.offset, "only &Module.function/arity captures are literals");
    }
    if (!expect(".", "after the module of &Module.function/arity")) return std::nullopt;
    token f = take();
    std::optional<atom> name;
    if (f.kind == token_kind::variable || f.kind == token_kind::punct ||
        f.kind == token_kind::string) {
      name = atom::try_make(f.text);
    } else if (f.kind == token_kind::atom) {  // nil, true, false
      name = f.value.atom_value();
    }
    if (!name) return fail(f.offset, "expected a function name in &Module.function/arity");
    if (!expect("/", "after the function of &Module.function/arity")) return std::nullopt;
    return export_fun_arity(m.value.atom_value(), *name, amp.offset);
  }

  // ---- shared ------------------------------------------------------------------------------

  /// Elements up to `close`: a tuple or a list. Elixir keyword pairs may end either (`[1, a: 2]`,
  /// `{1, a: 2}` is `{1, [a: 2]}`); a list may end with `| Tail`.
  std::optional<term> sequence(std::string_view close, std::size_t depth, bool tuple) {
    const bool elixir = o_.syntax == syntax::elixir;
    std::vector<term> items;
    std::vector<term> keywords;
    term tail;
    const char* what = tuple ? "tuple" : "list";
    if (peek_punct(close)) {
      (void)take();
      return tuple ? term::tuple(std::move(items)) : term::list(std::move(items));
    }
    while (true) {
      const token& t = lx_.peek();
      if (elixir && t.kind == token_kind::keyword_key) {
        token key = take();
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        keywords.push_back(term::tuple({key.value, std::move(*v)}));
      } else {
        if (!keywords.empty()) return fail(t.offset, "keyword pairs must come last");
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        items.push_back(std::move(*v));
      }
      if (peek_punct(",")) {
        (void)take();
        if (elixir && peek_punct(close)) break;  // Elixir allows a trailing comma
        continue;
      }
      if (!tuple && keywords.empty() && peek_punct("|")) {
        (void)take();
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        tail = std::move(*v);
      }
      break;
    }
    if (!expect(close, std::string("to close the ") + what)) return std::nullopt;
    if (tuple) {
      if (!keywords.empty()) items.push_back(term::list(std::move(keywords)));
      return term::tuple(std::move(items));
    }
    for (auto& k : keywords) items.push_back(std::move(k));
    return term::list(std::move(items), std::move(tail));
  }

  /// After `#{` / `%{`: `K => V` pairs (Elixir: then `key: V` pairs) and `}`.
  std::optional<term> map_body(std::size_t depth) {
    const bool elixir = o_.syntax == syntax::elixir;
    std::vector<std::pair<term, term>> entries;
    bool keywords = false;
    if (peek_punct("}")) {
      (void)take();
      return term::map({});
    }
    while (true) {
      const token& t = lx_.peek();
      if (elixir && t.kind == token_kind::keyword_key) {
        token key = take();
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        entries.emplace_back(key.value, std::move(*v));
        keywords = true;
      } else {
        if (keywords) return fail(t.offset, "keyword pairs must come last");
        auto k = value(depth + 1);
        if (!k) return std::nullopt;
        if (peek_punct("|")) return fail(lx_.peek().offset, "map update syntax is not a literal");
        if (!expect("=>", "between a map key and its value")) return std::nullopt;
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        entries.emplace_back(std::move(*k), std::move(*v));
      }
      if (peek_punct(",")) {
        (void)take();
        if (elixir && peek_punct("}")) break;
        continue;
      }
      break;
    }
    if (!expect("}", "to close the map")) return std::nullopt;
    return term::map(std::move(entries));
  }

  std::optional<term> process(const token& t) {
    const auto& n = t.numbers;
    if (!o_.resolve_node) {
      return fail(t.offset, "a " + t.text +
                                " literal names a node by number; no node is there to resolve it");
    }
    auto fits32 = [](std::uint64_t v) { return v <= std::numeric_limits<std::uint32_t>::max(); };
    const bool shape_ok = (t.text == "pid" && n.size() == 3 && fits32(n[1]) && fits32(n[2])) ||
                          (t.text == "port" && n.size() == 2) ||
                          (t.text == "reference" && n.size() >= 2 && n.size() <= 6 &&
                           std::all_of(n.begin() + 1, n.end(), fits32));
    if (!shape_ok || !fits32(n[0])) return fail(t.offset, "malformed " + t.text + " literal");
    auto node = o_.resolve_node(static_cast<std::uint32_t>(n[0]));
    if (!node) return fail(t.offset, "no node is numbered " + std::to_string(n[0]));
    if (t.text == "pid") {
      return term(pid{node->node, static_cast<std::uint32_t>(n[1]),
                      static_cast<std::uint32_t>(n[2]), node->creation});
    }
    if (t.text == "port") return term(port_id{node->node, n[1], node->creation});
    reference r;
    r.node = node->node;
    r.creation = node->creation;
    r.length = static_cast<std::uint8_t>(n.size() - 1);
    // Printed most significant word first; stored in wire order.
    for (std::size_t i = 0; i < r.length; ++i)
      r.words[i] = static_cast<std::uint32_t>(n[n.size() - 1 - i]);
    return term(r);
  }

  // ---- binaries ----------------------------------------------------------------------------
  std::optional<term> bitstring(std::size_t depth) {
    bit_writer w;
    if (peek_punct(">>")) {
      (void)take();
      return w.result();
    }
    while (true) {
      if (!segment(w, depth)) return std::nullopt;
      if (peek_punct(",")) {
        (void)take();
        continue;
      }
      break;
    }
    if (!expect(">>", "to close the binary")) return std::nullopt;
    return w.result();
  }

  bool segment(bit_writer& w, std::size_t depth) {
    const bool elixir = o_.syntax == syntax::elixir;
    const std::size_t at = lx_.peek().offset;
    // The value: a number, a string, or (Erlang) a parenthesized / (Elixir) nested literal.
    std::optional<term> v;
    std::optional<std::string> text;
    if (lx_.peek().kind == token_kind::string) {
      text = take().text;
      if (!elixir) {
        while (lx_.peek().kind == token_kind::string) *text += take().text;
      }
    } else if (!elixir && peek_punct("(")) {
      (void)take();
      v = value(depth + 1);
      if (!v || !expect(")", "after a binary segment's value")) return false;
    } else {
      v = value(depth + 1);
      if (!v) return false;
    }
    segment_spec spec;
    if (!specifiers(spec, elixir)) return false;
    if (!spec.type_given) {
      if (v && v->is_float()) spec.type = segment_type::float_;
      if (v && v->is_bitstring()) spec.type = segment_type::binary;
      if (text && elixir) spec.type = segment_type::binary;
    }
    if (text) {
      if (elixir) {
        if (spec.type == segment_type::binary || spec.type == segment_type::utf8) {
          if (spec.size) return static_cast<bool>(fail(at, "a string segment takes no size"));
          w.push_bytes(std::span(reinterpret_cast<const std::uint8_t*>(text->data()), text->size()),
                       text->size() * 8);
          return true;
        }
        if (spec.type != segment_type::utf16 && spec.type != segment_type::utf32) {
          return static_cast<bool>(
              fail(at, "a string segment must be binary, utf8, utf16 or utf32"));
        }
      }
      // Erlang: each character is one segment with the given specifiers.
      for (char32_t c : code_points(*text)) {
        if (!put(w, term(static_cast<long long>(c)), spec, at)) return false;
      }
      return true;
    }
    return put(w, *v, spec, at);
  }

  /// `:Size/type-type` (Erlang) or `::type-size(N)-N` (Elixir).
  bool specifiers(segment_spec& spec, bool elixir) {
    auto set_type = [&](std::string_view name) {
      using T = segment_type;
      if (name == "integer")
        spec.type = T::integer;
      else if (name == "float")
        spec.type = T::float_;
      else if (name == "binary" || name == "bytes" || name == "bitstring" || name == "bits") {
        spec.type = T::binary;
        if (name == "binary" || name == "bytes") spec.unit = spec.unit ? spec.unit : 8;
      } else if (name == "utf8")
        spec.type = T::utf8;
      else if (name == "utf16")
        spec.type = T::utf16;
      else if (name == "utf32")
        spec.type = T::utf32;
      else if (name == "little")
        spec.little = true;
      else if (name == "big" || name == "signed" || name == "unsigned")
        return true;
      else
        return false;
      if (name != "little") spec.type_given = true;
      return true;
    };
    auto small_number = [&](const token& t) -> std::optional<std::uint64_t> {
      if (t.kind != token_kind::integer) return std::nullopt;
      auto v = t.value.to_int64();
      if (!v || *v < 0 || *v > (1 << 24)) return std::nullopt;
      return static_cast<std::uint64_t>(*v);
    };
    if (!elixir) {
      if (peek_punct(":")) {
        (void)take();
        token s = take();
        auto n = small_number(s);
        if (!n) return static_cast<bool>(fail(s.offset, "expected a segment size"));
        spec.size = n;
      }
      if (!peek_punct("/")) return true;
      (void)take();
      while (true) {
        token t = take();
        if (t.kind == token_kind::atom && t.text == "unit" && peek_punct(":")) {
          (void)take();
          token u = take();
          auto n = small_number(u);
          if (!n || *n < 1 || *n > 256)
            return static_cast<bool>(fail(u.offset, "expected a unit 1..256"));
          spec.unit = *n;
        } else if (t.kind != token_kind::atom || !set_type(t.text)) {
          return static_cast<bool>(fail(t.offset, "unknown binary type specifier"));
        }
        if (!peek_punct("-")) return true;
        (void)take();
      }
    }
    if (!peek_punct("::")) return true;
    (void)take();
    while (true) {
      token t = take();
      if (auto n = small_number(t)) {
        spec.size = n;
      } else if (t.kind == token_kind::variable && (t.text == "size" || t.text == "unit") &&
                 peek_punct("(")) {
        (void)take();
        token u = take();
        auto n2 = small_number(u);
        if (!n2)
          return static_cast<bool>(fail(u.offset, "expected a number in " + t.text + "(...)"));
        if (!expect(")", "after the number")) return false;
        if (t.text == "size") {
          spec.size = n2;
        } else {
          spec.unit = *n2;
        }
      } else if (t.kind != token_kind::variable || !set_type(t.text)) {
        return static_cast<bool>(fail(t.offset, "unknown bitstring modifier"));
      }
      if (!peek_punct("-")) return true;
      (void)take();
    }
  }

  bool put(bit_writer& w, const term& v, const segment_spec& spec, std::size_t at) {
    using T = segment_type;
    switch (spec.type) {
      case T::integer: {
        if (!v.is_integer())
          return static_cast<bool>(fail(at, "an integer segment needs an integer"));
        const std::uint64_t bits = spec.size.value_or(8) * (spec.unit ? spec.unit : 1);
        if (bits > (1u << 20)) return static_cast<bool>(fail(at, "segment too large"));
        if (spec.little && bits % 8 != 0) {
          return static_cast<bool>(fail(at, "a little-endian segment must be whole bytes"));
        }
        // Two's complement of the value, truncated to `bits`, least significant byte first.
        auto mag = v.integer_magnitude();
        std::vector<std::uint8_t> le((bits + 7) / 8 + 1, 0);
        for (std::size_t i = 0; i < le.size() && i < mag.size(); ++i) le[i] = mag[i];
        if (v.integer_is_negative()) {
          unsigned carry = 1;
          for (auto& b : le) {
            const unsigned x = static_cast<std::uint8_t>(~b) + carry;
            b = static_cast<std::uint8_t>(x);
            carry = x >> 8;
          }
        }
        if (spec.little) {
          for (std::size_t i = 0; i < bits / 8; ++i) w.push(le[i], 8);
        } else {
          for (std::size_t i = bits; i-- > 0;) w.push_bit((le[i / 8] >> (i % 8)) & 1);
        }
        return true;
      }
      case T::float_: {
        if (!v.is_number()) return static_cast<bool>(fail(at, "a float segment needs a number"));
        const double d =
            v.is_float() ? v.float_value() : static_cast<double>(v.to_int64().value_or(0));
        const std::uint64_t bits = spec.size.value_or(64) * (spec.unit ? spec.unit : 1);
        std::uint64_t raw = 0;
        std::size_t n = 0;
        if (bits == 64) {
          std::memcpy(&raw, &d, 8);
          n = 8;
        } else if (bits == 32) {
          const float f = static_cast<float>(d);
          std::uint32_t r32 = 0;
          std::memcpy(&r32, &f, 4);
          raw = r32;
          n = 4;
        } else {
          return static_cast<bool>(fail(at, "a float segment is 32 or 64 bits"));
        }
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t shift = spec.little ? 8 * i : 8 * (n - 1 - i);
          w.push((raw >> shift) & 0xFF, 8);
        }
        return true;
      }
      case T::binary: {
        if (!v.is_bitstring())
          return static_cast<bool>(fail(at, "a binary segment needs a binary"));
        std::size_t bits = v.bit_size();
        if (spec.size) {
          const std::uint64_t want = *spec.size * (spec.unit ? spec.unit : 8);
          if (want > bits)
            return static_cast<bool>(fail(at, "the segment is shorter than its size"));
          bits = want;
        } else if (spec.unit == 8 && bits % 8 != 0) {
          return static_cast<bool>(fail(at, "a binary segment needs whole bytes (use bitstring)"));
        }
        w.push_bytes(v.bytes(), bits);
        return true;
      }
      case T::utf8:
      case T::utf16:
      case T::utf32: {
        const auto c = v.to_int64();
        if (!c || *c < 0 || *c > 0x10FFFF || (*c >= 0xD800 && *c <= 0xDFFF)) {
          return static_cast<bool>(fail(at, "not a Unicode code point"));
        }
        const auto cp = static_cast<char32_t>(*c);
        if (spec.type == T::utf8) {
          std::string s;
          append_utf8(s, cp);
          for (char b : s) w.push(static_cast<std::uint8_t>(b), 8);
        } else if (spec.type == T::utf32) {
          put_unit(w, cp, 4, spec.little);
        } else if (cp < 0x10000) {
          put_unit(w, cp, 2, spec.little);
        } else {
          const char32_t u = cp - 0x10000;
          put_unit(w, 0xD800 + (u >> 10), 2, spec.little);
          put_unit(w, 0xDC00 + (u & 0x3FF), 2, spec.little);
        }
        return true;
      }
    }
    return false;
  }

  static void put_unit(bit_writer& w, std::uint32_t v, std::size_t bytes, bool little) {
    for (std::size_t i = 0; i < bytes; ++i) {
      const std::size_t shift = little ? 8 * i : 8 * (bytes - 1 - i);
      w.push((v >> shift) & 0xFF, 8);
    }
  }

  lexer lx_;
  const parse_options& o_;
  std::size_t last_end_;
  parse_error error_;
  bool failed_ = false;
};

}  // namespace

parse_result parse_term(std::string_view text, const parse_options& options, std::size_t& pos) {
  parser p(text, options, pos);
  parse_result r;
  auto v = p.value(0);
  if (!v) {
    r.error = std::move(p.error());
    return r;
  }
  r.value = std::move(v);
  pos = p.last_end();
  return r;
}

parse_result parse_term(std::string_view text, const parse_options& options) {
  std::size_t pos = 0;
  parse_result r = parse_term(text, options, pos);
  if (!r) return r;
  lexer rest(text, options.syntax, pos);
  token t = rest.next();
  bool dot = false;
  if (options.syntax == syntax::erlang && t.kind == token_kind::punct && t.text == ".") {
    dot = true;
    t = rest.next();
  }
  auto fail = [&](std::size_t offset, std::string message) {
    r.value.reset();
    r.error = parse_error{offset, std::move(message)};
    return r;
  };
  if (t.kind == token_kind::error) return fail(t.offset, t.text);
  if (t.kind != token_kind::end) {
    return fail(t.offset, "unexpected " + quote_for_message(t) + " after the term");
  }
  if (options.syntax == syntax::erlang && options.require_dot && !dot) {
    return fail(t.offset, "expected '.' after the term");
  }
  return r;
}

}  // namespace otpp
