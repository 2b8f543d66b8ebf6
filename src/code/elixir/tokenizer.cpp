// The Elixir tokenizer: source text to tokens, with the term lexer for literals, Elixir's words
// and operators, heredocs, sigils and string interpolation.
#include <algorithm>
#include <array>
#include <optional>

#include "code/elixir/ast.hpp"
#include "code/elixir/tokens.hpp"
#include "otpp/term/parse.hpp"

namespace otpp::code::elixir {
namespace {

constexpr std::array<std::string_view, 12> keywords = {
    "do", "end", "after", "else", "fn", "when", "and", "or", "not", "in", "rescue", "catch"};

bool is_keyword(std::string_view s) {
  return std::find(keywords.begin(), keywords.end(), s) != keywords.end();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ---- tokenizer ----------------------------------------------------------------------------

class tokenizer {
 public:
  tokenizer(std::string_view text, std::size_t begin, std::size_t end)
      : text_(text.substr(0, end)), pos_(begin) {}

  std::vector<stok> run() {
    std::vector<stok> out;
    for (;;) {
      bool space = false;
      bool newline = false;
      skip(space, newline);
      if (pos_ >= text_.size()) {
        stok t;
        t.offset = pos_;
        t.newline_before = newline;
        t.space_before = space;
        out.push_back(std::move(t));
        return out;
      }
      stok t = next_token();
      t.space_before = space || newline;
      t.newline_before = newline;
      out.push_back(std::move(t));
    }
  }

 private:
  void skip(bool& space, bool& newline) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        newline = true;
        ++pos_;
      } else if (is_space(c)) {
        space = true;
        ++pos_;
      } else if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
        space = true;  // an escaped newline joins lines
        pos_ += 2;
      } else if (c == '#') {  // `#PID<0.1.0>` pasted from output is a comment, as in iex
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  [[nodiscard]] bool starts(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

  stok next_token() {
    const std::size_t start = pos_;
    if (starts("\"\"\"")) return heredoc();
    if (text_[pos_] == '"') {
      if (auto t = interpolated(pos_ + 1, '"')) return std::move(*t);
    }
    if (text_[pos_] == '~' && pos_ + 2 < text_.size() && is_letter(text_[pos_ + 1])) {
      if (auto t = sigil()) return std::move(*t);
    }
    lexer lx(text_, syntax::elixir, start);
    token t = lx.next();
    if (t.kind == token_kind::error) {
      if (t.text.rfind("missing closing", 0) == 0) {
        throw read_failure{true, t.offset, "TokenMissingError", t.text};
      }
      throw read_failure{false, t.offset, "SyntaxError", t.text};
    }
    pos_ = t.offset + t.length;
    stok s;
    s.offset = t.offset;
    s.length = t.length;
    s.text = std::move(t.text);
    s.value = std::move(t.value);
    switch (t.kind) {
      case token_kind::integer:
        s.kind = tk::integer;
        break;
      case token_kind::float_:
        s.kind = tk::float_;
        break;
      case token_kind::atom:
        s.kind = tk::atom;
        break;
      case token_kind::alias:
        s.kind = tk::alias;
        break;
      case token_kind::string:
        s.kind = tk::string;
        break;
      case token_kind::charlist:
        s.kind = tk::charlist;
        break;
      case token_kind::keyword_key:
        s.kind = tk::keyword_key;
        break;
      case token_kind::variable:
        s.kind = is_keyword(s.text) ? tk::keyword : tk::ident;
        break;
      case token_kind::keyword:
        s.kind = tk::keyword;
        break;
      case token_kind::punct:
        s.kind = tk::punct;
        break;
      case token_kind::process:
        // `#PID<0.1.2>` pasted from output is not Elixir source.
        throw read_failure{false, t.offset, "SyntaxError", "syntax error before: '#'"};
      case token_kind::end:
      case token_kind::error:
        s.kind = tk::end;
        break;
    }
    return s;
  }

  // """ ... """: the lines between, with the closing line's indentation removed.
  stok heredoc() {
    const std::size_t start = pos_;
    std::size_t p = pos_ + 3;
    while (p < text_.size() && text_[p] != '\n') {
      if (!is_space(text_[p])) {
        throw read_failure{false, start, "SyntaxError",
                           "heredoc allows only zero or more whitespace characters followed by a "
                           "new line after \"\"\""};
      }
      ++p;
    }
    if (p >= text_.size()) throw read_failure{true, start, "TokenMissingError", "missing terminator: \"\"\""};
    const std::size_t body = p + 1;
    std::size_t line = body;
    for (;;) {
      if (line >= text_.size()) {
        throw read_failure{true, start, "TokenMissingError", "missing terminator: \"\"\""};
      }
      std::size_t q = line;
      while (q < text_.size() && is_space(text_[q])) ++q;
      if (text_.substr(q, 3) == "\"\"\"") {
        const std::size_t indent = q - line;
        pos_ = q + 3;
        return heredoc_parts(start, body, line, indent);
      }
      const std::size_t e = text_.find('\n', line);
      if (e == std::string_view::npos) {
        throw read_failure{true, start, "TokenMissingError", "missing terminator: \"\"\""};
      }
      line = e + 1;
    }
  }

  // The text of a heredoc from `body` to `closing` (the closing line's start), each line less
  // `indent` leading blanks, as a string token or, with #{...} inside, an interpolation.
  stok heredoc_parts(std::size_t start, std::size_t body, std::size_t closing, std::size_t indent) {
    stok t;
    t.offset = start;
    t.length = pos_ - start;
    std::string raw;
    std::size_t raw_at = body;
    auto flush = [&](std::size_t at) {
      if (raw.empty()) return;
      std::string src = "\"";
      for (char c : raw) {
        if (c == '"') src += '\\';
        src += c;
      }
      src += "\"";
      lexer lx(src, syntax::elixir);
      token lt = lx.next();
      if (lt.kind != token_kind::string) throw read_failure{false, raw_at, "SyntaxError", lt.text};
      t.parts.push_back({false, std::move(lt.text), raw_at, raw_at});
      raw.clear();
      raw_at = at;
    };
    std::size_t p = body;
    bool line_start = true;
    while (p < closing) {
      if (line_start) {
        std::size_t skipped = 0;
        while (skipped < indent && p < closing && is_space(text_[p])) {
          ++p;
          ++skipped;
        }
        line_start = false;
        continue;
      }
      const char c = text_[p];
      if (c == '\\' && p + 1 < closing) {
        raw += text_.substr(p, 2);
        p += 2;
        continue;
      }
      if (c == '#' && p + 1 < closing && text_[p + 1] == '{') {
        flush(p);
        const std::size_t after = skip_braces(p + 2);
        t.parts.push_back({true, {}, p + 2, after - 1});
        p = after;
        raw_at = p;
        continue;
      }
      raw += c;
      if (c == '\n') line_start = true;
      ++p;
    }
    flush(p);
    const bool interpolates = std::any_of(t.parts.begin(), t.parts.end(), [](const interp_part& x) { return x.is_expr; });
    if (interpolates) {
      t.kind = tk::interp;
      return t;
    }
    t.kind = tk::string;
    t.text = t.parts.empty() ? std::string() : t.parts[0].text;
    t.parts.clear();
    return t;
  }

  // ~w(...) ~W ~r ~R ~s ~S ~c ~C: the raw text and the modifiers; ~s"..#{}.." interpolates.
  std::optional<stok> sigil() {
    const std::size_t start = pos_;
    const char letter = text_[pos_ + 1];
    const char open = text_[pos_ + 2];
    const std::string_view opens = "\"'([{</|";
    const std::string_view closes = "\"')]}>/|";
    const auto which = opens.find(open);
    if (which == std::string_view::npos) {
      throw read_failure{false, start, "SyntaxError", "invalid sigil delimiter"};
    }
    const char close = closes[which];
    if ((letter == 's' || letter == 'c') && (open == '"' || open == '(' || open == '[' || open == '{')) {
      if (auto t = interpolated(pos_ + 3, close)) {
        if (letter == 'c') t->modifiers = "charlist";
        t->offset = start;
        return t;
      }
    }
    if (letter == 's' || letter == 'c' || letter == 'S' || letter == 'C') return std::nullopt;
    std::size_t p = pos_ + 3;
    std::string content;
    for (;;) {
      if (p >= text_.size()) {
        throw read_failure{true, start, "TokenMissingError",
                           std::string("missing terminator: ") + close};
      }
      if (text_[p] == close) break;
      if (text_[p] == '\\' && p + 1 < text_.size() && text_[p + 1] == close) {
        content += close;
        p += 2;
        continue;
      }
      content += text_[p++];
    }
    ++p;
    std::string modifiers;
    while (p < text_.size() && is_letter(text_[p])) modifiers += text_[p++];
    pos_ = p;
    stok s;
    s.kind = tk::sigil;
    s.offset = start;
    s.length = p - start;
    s.text = std::move(content);
    s.value = term(static_cast<int>(letter));
    s.modifiers = std::move(modifiers);
    return s;
  }

  // A string from `from` (just past the opening delimiter) to `close` containing #{...}: its
  // literal text and expression ranges. nullopt when there is no interpolation.
  std::optional<stok> interpolated(std::size_t from, char close) {
    const std::size_t start = pos_;
    std::size_t p = from;
    bool any = false;
    while (p < text_.size() && text_[p] != close) {
      if (text_[p] == '\\') {
        p += 2;
        continue;
      }
      if (text_[p] == '#' && p + 1 < text_.size() && text_[p + 1] == '{') {
        any = true;
        p = skip_braces(p + 2);
        continue;
      }
      ++p;
    }
    if (!any) return std::nullopt;
    if (p >= text_.size()) {
      throw read_failure{true, start, "TokenMissingError", std::string("missing terminator: ") + close};
    }
    stok t;
    t.kind = tk::interp;
    t.offset = start;
    std::size_t q = from;
    std::size_t lit_start = q;
    auto flush_literal = [&](std::size_t lit_end) {
      if (lit_end <= lit_start) return;
      std::string src = "\"";
      for (std::size_t k = lit_start; k < lit_end; ++k) {
        if (text_[k] == '"' && close != '"') src += '\\';
        src += text_[k];
      }
      src += "\"";
      lexer lx(src, syntax::elixir);
      token lt = lx.next();
      if (lt.kind != token_kind::string) throw read_failure{false, lit_start, "SyntaxError", lt.text};
      t.parts.push_back({false, std::move(lt.text), lit_start, lit_start});
    };
    while (q < p) {
      if (text_[q] == '\\') {
        q += 2;
        continue;
      }
      if (text_[q] == '#' && q + 1 < text_.size() && text_[q + 1] == '{') {
        flush_literal(q);
        const std::size_t expr_start = q + 2;
        const std::size_t after = skip_braces(expr_start);
        t.parts.push_back({true, {}, expr_start, after - 1});
        q = after;
        lit_start = q;
        continue;
      }
      ++q;
    }
    flush_literal(p);
    pos_ = p + 1;
    t.length = pos_ - start;
    return t;
  }

  // From just inside `#{`, the position just past the matching `}`.
  std::size_t skip_braces(std::size_t p) const {
    int depth = 1;
    while (p < text_.size()) {
      const char c = text_[p];
      if (c == '"' || c == '\'') {
        ++p;
        while (p < text_.size() && text_[p] != c) p += text_[p] == '\\' ? 2 : 1;
        ++p;
        continue;
      }
      if (c == '{') ++depth;
      if (c == '}' && --depth == 0) return p + 1;
      ++p;
    }
    throw read_failure{true, p, "TokenMissingError", "missing terminator: }"};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<stok> tokenize(std::string_view text, std::size_t begin, std::size_t end) {
  return tokenizer(text, begin, end).run();
}

}  // namespace otpp::code::elixir
