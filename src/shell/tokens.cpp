// The shell's tokenizer: Elixir source to tokens, on top of the term lexer.
#include "shell/tokens.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "otpp/term/parse.hpp"

namespace otpp::shell::detail {
namespace {

constexpr std::array<std::string_view, 11> keywords = {
    "do", "end", "after", "else", "fn", "when", "and", "or", "not", "in", "rescue"};

}  // namespace

bool is_keyword(std::string_view s) {
  return std::find(keywords.begin(), keywords.end(), s) != keywords.end() || s == "catch";
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// ---- tokenizer ----------------------------------------------------------------------------

class tokenizer {
 public:
  explicit tokenizer(std::string_view text) : text_(text) {}

  std::vector<stok> run() {
    std::vector<stok> out;
    for (;;) {
      bool space = false;
      bool newline = false;
      skip(space, newline);
      if (pos_ >= text_.size()) {
        stok t;
        t.kind = tk::end;
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
      } else if (c == '#' && !starts("#PID<") && !starts("#Reference<") && !starts("#Port<")) {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  [[nodiscard]] bool starts(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

  stok next_token() {
    const std::size_t start = pos_;
    if (text_[pos_] == '"') {
      if (starts("\"\"\""))
        throw failure{false, start, "heredocs are not supported in the otpp shell"};
      if (auto t = interpolated_string()) return std::move(*t);
    }
    lexer lx(text_, syntax::elixir, start);
    token t = lx.next();
    if (t.kind == token_kind::error) {
      if (t.text.rfind("missing closing", 0) == 0) throw failure{true, t.offset, t.text};
      throw failure{false, t.offset, t.text};
    }
    pos_ = t.offset + t.length;
    stok s;
    s.offset = t.offset;
    s.length = t.length;
    s.text = std::move(t.text);
    s.value = std::move(t.value);
    s.numbers = std::move(t.numbers);
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
        s.kind = tk::process;
        break;
      case token_kind::end:
      case token_kind::error:
        s.kind = tk::end;
        break;
    }
    // An atom written `:foo` right before a `.` followed by a name is a module (`:erlang.node`);
    // the lexer already stops there, nothing to do. A keyword key `do:` stays a key.
    return s;
  }

  // A "..." string containing #{...}: split it into literal text and expression sources.
  std::optional<stok> interpolated_string() {
    const std::size_t start = pos_;
    std::size_t p = start + 1;
    bool any = false;
    while (p < text_.size() && text_[p] != '"') {
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
    if (p >= text_.size()) throw failure{true, start, "missing closing \""};
    // Second pass: build the parts.
    stok t;
    t.kind = tk::interp;
    t.offset = start;
    std::size_t q = start + 1;
    std::size_t lit_start = q;
    auto flush_literal = [&](std::size_t lit_end) {
      if (lit_end <= lit_start) return;
      std::string src = "\"" + std::string(text_.substr(lit_start, lit_end - lit_start)) + "\"";
      lexer lx(src, syntax::elixir);
      token lt = lx.next();
      if (lt.kind != token_kind::string) throw failure{false, lit_start, lt.text};
      t.parts.push_back({false, std::move(lt.text), lit_start});
    };
    while (q < p) {
      if (text_[q] == '\\') {
        q += 2;
        continue;
      }
      if (text_[q] == '#' && q + 1 < text_.size() && text_[q + 1] == '{') {
        flush_literal(q);
        const std::size_t expr_start = q + 2;
        const std::size_t close = skip_braces(expr_start);  // just past '}'
        t.parts.push_back(
            {true, std::string(text_.substr(expr_start, close - 1 - expr_start)), expr_start});
        q = close;
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
    throw failure{true, p, "missing closing }"};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<stok> tokenize(std::string_view text) { return tokenizer(text).run(); }

}  // namespace otpp::shell::detail
