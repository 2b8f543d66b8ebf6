// The lexer for Erlang and Elixir term syntax (see parse.hpp): numbers, quoted text and
// escapes, atoms, variables, punctuation, sigils and pid/port/reference literals.
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

}  // namespace

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
  if (detail::erlang_lower(first) || detail::erlang_upper(first) || first == '_') {
    pos_ = p;
    std::string name;
    append_utf8(name, first);
    char32_t ch = 0;
    std::size_t q = pos_;
    while (next_utf8(text_, q, ch) && detail::erlang_name_char(ch)) {
      append_utf8(name, ch);
      pos_ = q;
    }
    if (detail::erlang_lower(first)) {
      if (detail::erlang_reserved_word(name)) {
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

}  // namespace otpp
