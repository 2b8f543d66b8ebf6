// Reads Elixir source into the quoted-form tree of ast.hpp: the term lexer for literals, words
// and operators; Elixir's operator table; calls without parentheses; do-blocks; string
// interpolation and sigils; and incomplete-input detection for the shell's continuation prompt.
#include <algorithm>
#include <array>
#include <optional>

#include "code/elixir/ast.hpp"
#include "otpp/term/parse.hpp"

namespace otpp::code::elixir {
namespace {

enum class tk : std::uint8_t {
  end,
  integer,
  float_,
  atom,
  alias,
  string,
  charlist,
  keyword_key,
  ident,
  keyword,
  punct,
  interp,
  sigil,
};

struct interp_part {
  bool is_expr = false;
  std::string text;        ///< decoded literal text
  std::size_t begin = 0;   ///< an expression's source range
  std::size_t end = 0;
};

struct stok {
  tk kind = tk::end;
  std::string text;
  term value;
  std::size_t offset = 0;
  std::size_t length = 0;
  bool space_before = false;
  bool newline_before = false;
  std::string modifiers;  ///< sigils: the letter in `text`'s place is in `value`
  std::vector<interp_part> parts;
};

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

// ---- parser -------------------------------------------------------------------------------

struct op_info {
  int prec;
  bool right;
};

// Elixir's binary operators, loosest first (elixir_parser.yrl's table, renumbered).
std::optional<op_info> binary_op(const stok& t) {
  if (t.kind == tk::keyword) {
    if (t.text == "when") return op_info{2, true};
    if (t.text == "or") return op_info{5, false};
    if (t.text == "and") return op_info{6, false};
    if (t.text == "in") return op_info{10, false};
    return std::nullopt;
  }
  if (t.kind != tk::punct) return std::nullopt;
  const std::string& s = t.text;
  if (s == "<-" || s == "\\\\") return op_info{1, false};
  if (s == "::") return op_info{3, true};
  if (s == "=") return op_info{4, true};
  if (s == "||" || s == "|||") return op_info{5, false};
  if (s == "&&" || s == "&&&") return op_info{6, false};
  if (s == "==" || s == "!=" || s == "=~" || s == "===" || s == "!==") return op_info{7, false};
  if (s == "<" || s == ">" || s == "<=" || s == ">=") return op_info{8, false};
  if (s == "|>" || s == "<<<" || s == ">>>" || s == "<~" || s == "~>" || s == "<<~" ||
      s == "~>>" || s == "<~>") {
    return op_info{9, false};
  }
  if (s == "++" || s == "--" || s == ".." || s == "<>" || s == "+++" || s == "---") {
    return op_info{11, true};
  }
  if (s == "+" || s == "-") return op_info{12, false};
  if (s == "*" || s == "/") return op_info{13, false};
  if (s == "**") return op_info{14, false};
  return std::nullopt;
}

constexpr int arg_prec = 1;    // call arguments, list items, keyword values: anything but `->`
constexpr int capture_prec = 4;  // `&` takes a match-level operand

class parser {
 public:
  parser(std::string_view text, std::size_t begin, std::size_t end, std::size_t max_depth)
      : text_(text), max_depth_(max_depth) {
    toks_ = tokenizer(text, begin, end).run();
  }

  std::vector<ex_ptr> parse_program() {
    auto out = parse_block_items({});
    if (peek().kind != tk::end) unexpected(peek());
    return out;
  }

 private:
  // -- token access --
  const stok& peek(std::size_t ahead = 0) const {
    return toks_[std::min(i_ + ahead, toks_.size() - 1)];
  }
  stok take() {
    stok t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  static bool is_punct(const stok& t, std::string_view s) { return t.kind == tk::punct && t.text == s; }
  static bool is_kw(const stok& t, std::string_view s) { return t.kind == tk::keyword && t.text == s; }

  std::string source_of(const stok& t) const { return std::string(text_.substr(t.offset, t.length)); }

  [[noreturn]] void unexpected(const stok& t, std::string extra = {}) const {
    if (t.kind == tk::end) throw read_failure{true, t.offset, "TokenMissingError", "unexpected end of input"};
    if (t.kind == tk::keyword) {
      throw read_failure{false, t.offset, "SyntaxError", "unexpected reserved word: " + t.text + extra};
    }
    if (t.kind == tk::punct) {
      throw read_failure{false, t.offset, "SyntaxError", "unexpected token: " + t.text + extra};
    }
    std::string shown = source_of(t);
    if (t.kind == tk::string || t.kind == tk::interp) shown = "\"" + t.text + "\"";
    if (t.kind == tk::keyword_key) shown = std::string(t.value.atom_value().name()) + ":";
    throw read_failure{false, t.offset, "SyntaxError", "syntax error before: " + shown + extra};
  }

  void expect_punct(std::string_view s, const stok& opener) {
    const stok& t = peek();
    if (is_punct(t, s)) {
      take();
      return;
    }
    if (t.kind == tk::end) {
      throw read_failure{true, t.offset, "TokenMissingError",
                         "missing terminator: " + std::string(s)};
    }
    const line_column p = locate(text_, opener.offset);
    unexpected(t, ". The \"" + opener.text + "\" at line " + std::to_string(p.line) +
                      " is missing terminator \"" + std::string(s) + "\"");
  }

  std::shared_ptr<ex> make(ex_kind k, std::size_t offset, std::string name = {}) const {
    auto e = std::make_shared<ex>();
    e->kind = k;
    e->offset = offset;
    e->name = std::move(name);
    return e;
  }
  ex_ptr literal(std::size_t offset, term v) const {
    auto e = make(ex_kind::literal, offset);
    e->value = std::move(v);
    return e;
  }
  ex_ptr call(std::size_t offset, std::string name, std::vector<ex_ptr> args) const {
    auto e = make(ex_kind::call, offset, std::move(name));
    e->args = std::move(args);
    return e;
  }

  struct depth_guard {
    parser& p;
    explicit depth_guard(parser& q, std::size_t at) : p(q) {
      if (++p.depth_ > p.max_depth_) {
        throw read_failure{false, at, "SyntaxError", "expression nested too deeply"};
      }
    }
    ~depth_guard() { --p.depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
  };

  // -- blocks --
  [[nodiscard]] bool separator_ahead() const {
    const stok& t = peek();
    return t.newline_before || is_punct(t, ";");
  }
  void skip_separators() {
    while (is_punct(peek(), ";")) take();
  }
  [[nodiscard]] bool at_stop(const std::vector<std::string_view>& stops) const {
    const stok& t = peek();
    if (t.kind == tk::end) return true;
    if (t.kind == tk::keyword || t.kind == tk::punct) {
      return std::find(stops.begin(), stops.end(), t.text) != stops.end();
    }
    return false;
  }

  std::vector<ex_ptr> parse_block_items(const std::vector<std::string_view>& stops) {
    std::vector<ex_ptr> out;
    for (;;) {
      skip_separators();
      if (at_stop(stops)) return out;
      out.push_back(parse_expr(0));
      if (at_stop(stops)) return out;
      if (!separator_ahead()) unexpected(peek());
    }
  }

  ex_ptr block_of(std::size_t offset, std::vector<ex_ptr> items) const {
    if (items.size() == 1) return items[0];
    return call(offset, "__block__", std::move(items));
  }

  // A do-block section's content: `->` clauses or a plain body, until one of `stops`.
  ex_ptr parse_section(std::size_t offset, const std::vector<std::string_view>& stops,
                       bool clauses_only) {
    struct pending {
      std::size_t offset;
      std::vector<ex_ptr> heads;
      std::vector<ex_ptr> body;
    };
    std::vector<ex_ptr> plain;
    std::vector<pending> clauses;
    for (;;) {
      skip_separators();
      if (at_stop(stops)) break;
      const std::size_t at = peek().offset;
      std::vector<ex_ptr> heads;
      if (!(clauses_only && is_punct(peek(), "->"))) {  // `fn -> body end` has no heads
        heads.push_back(parse_expr(0));
        while (is_punct(peek(), ",")) {
          take();
          heads.push_back(parse_expr(0));
        }
      }
      if (is_punct(peek(), "->")) {
        take();
        clauses.push_back({at, std::move(heads), {}});
        continue;
      }
      if (heads.size() != 1) unexpected(peek());
      if (!clauses.empty()) {
        clauses.back().body.push_back(heads[0]);
      } else if (clauses_only) {
        unexpected(peek());
      } else {
        plain.push_back(heads[0]);
      }
      if (at_stop(stops)) break;
      if (!separator_ahead() && !is_punct(peek(), "->")) unexpected(peek());
    }
    if (clauses.empty()) {
      if (clauses_only) {
        // `fn` at the end of the text: its clauses come on the next lines.
        if (peek().kind == tk::end) throw read_failure{true, peek().offset, "TokenMissingError", "missing terminator: end"};
        throw read_failure{false, offset, "SyntaxError",
                           "expected anonymous functions to be defined with -> inside: 'fn'"};
      }
      if (!plain.empty() && !clauses.empty()) unexpected(peek());
      if (plain.empty()) return literal(offset, atom("nil"));
      return block_of(offset, std::move(plain));
    }
    if (!plain.empty()) unexpected(peek());
    auto list = make(ex_kind::list, offset);
    for (auto& c : clauses) {
      auto head_list = make(ex_kind::list, c.offset);
      head_list->args = std::move(c.heads);
      ex_ptr body = c.body.empty() ? literal(c.offset, atom("nil")) : block_of(c.offset, std::move(c.body));
      list->args.push_back(call(c.offset, "->", {head_list, body}));
    }
    return list;
  }

  // -- expressions --
  ex_ptr parse_expr(int min_prec) {
    depth_guard guard(*this, peek().offset);
    ex_ptr lhs = parse_unary();
    // A left-associative chain (`1 + 1 + ...`) nests as deep as it is long: bound it too.
    std::size_t chain = 0;
    for (;;) {
      const stok& t = peek();
      if (depth_ + chain > max_depth_) {
        throw read_failure{false, t.offset, "SyntaxError", "expression nested too deeply"};
      }
      ++chain;
      const bool not_in = is_kw(t, "not") && is_kw(peek(1), "in");
      auto op = not_in ? std::optional<op_info>(op_info{10, false}) : binary_op(t);
      if (!op || op->prec < min_prec) return lhs;
      if (is_punct(t, "/") && is_punct(peek(1), "/") && !peek(1).space_before) return lhs;  // `..//`
      if (t.newline_before && nesting_ == 0 && (is_punct(t, "+") || is_punct(t, "-"))) return lhs;
      stok op_tok = take();
      if (not_in) take();
      const std::string name = not_in ? "not in" : op_tok.text;
      ex_ptr rhs = parse_expr(op->right ? op->prec : op->prec + 1);
      if (name == ".." && is_punct(peek(), "/") && is_punct(peek(1), "/") && !peek(1).space_before) {
        take();
        take();
        ex_ptr step = parse_expr(op->prec);
        lhs = call(op_tok.offset, "..//", {lhs, rhs, step});
        continue;
      }
      lhs = call(op_tok.offset, name, {lhs, rhs});
    }
  }

  ex_ptr parse_unary() {
    const stok& t = peek();
    if (is_punct(t, "&")) {
      stok amp = take();
      if (peek().kind == tk::integer && !peek().space_before) {
        stok n = take();
        auto e = make(ex_kind::call, amp.offset, "&N");
        e->value = n.value;
        return parse_postfix(e);
      }
      return call(amp.offset, "&", {parse_expr(capture_prec)});
    }
    if (is_punct(t, "@")) {
      stok at = take();
      return call(at.offset, "@", {parse_postfix(parse_primary())});
    }
    if (t.kind == tk::punct && (binary_op(t) || t.text == "!") && is_punct(peek(1), "/") &&
        !is_punct(peek(2), "/")) {
      return parse_primary();  // an operator named in a capture: `&+/2`
    }
    const bool unary_punct = t.kind == tk::punct && (t.text == "-" || t.text == "+" ||
                                                     t.text == "!" || t.text == "^");
    if (unary_punct || (is_kw(t, "not") && !is_kw(peek(1), "in"))) {
      stok op = take();
      depth_guard guard(*this, op.offset);
      ex_ptr operand = parse_unary();
      if (op.text == "-" && operand->kind == ex_kind::literal && operand->value.is_number() &&
          !operand->is_alias) {
        auto e = std::make_shared<ex>(*operand);
        e->offset = op.offset;
        e->value = negate(operand->value);
        return e;
      }
      return call(op.offset, op.text, {operand});
    }
    return parse_postfix(parse_primary());
  }

  static term negate(const term& v) {
    if (v.is_float()) return term(-v.float_value());
    return term::integer_from_magnitude(!v.integer_is_negative(), v.integer_magnitude());
  }

  // Can the token `ahead` start an argument of a call written without parentheses?
  [[nodiscard]] bool starts_no_parens_arg(std::size_t ahead = 0) const {
    const stok& t = peek(ahead);
    if (t.newline_before || !t.space_before) return false;
    switch (t.kind) {
      case tk::integer:
      case tk::float_:
      case tk::atom:
      case tk::alias:
      case tk::string:
      case tk::charlist:
      case tk::keyword_key:
      case tk::ident:
      case tk::interp:
      case tk::sigil:
        return true;
      case tk::keyword:
        return t.text == "fn" || (t.text == "not" && !is_kw(peek(ahead + 1), "in"));
      case tk::punct: {
        const std::string& s = t.text;
        if (s == "{" || s == "[" || s == "%{" || s == "%" || s == "<<" || s == "^" || s == "!" ||
            s == "&" || s == "@" || s == "(") {
          return true;
        }
        if (s == "-" || s == "+") {
          return !peek(ahead + 1).space_before && peek(ahead + 1).kind != tk::end;
        }
        return false;
      }
      case tk::end:
        return false;
    }
    return false;
  }

  // A call argument with the end of its source text recorded (for callers that take text).
  ex_ptr argument() {
    const std::size_t begin = peek().offset;
    ex_ptr e = parse_expr(arg_prec);
    const stok& last = toks_[i_ > 0 ? i_ - 1 : 0];
    auto copy = std::make_shared<ex>(*e);
    copy->begin = begin;
    copy->end = std::max(begin, last.offset + last.length);
    return copy;
  }

  // Arguments of a call without parentheses: `a, b, key: v`.
  std::vector<ex_ptr> parse_no_parens_args() {
    std::vector<ex_ptr> args;
    for (;;) {
      if (peek().kind == tk::keyword_key) {
        args.push_back(parse_keywords({}));
        return args;
      }
      args.push_back(argument());
      if (!is_punct(peek(), ",")) return args;
      take();
    }
  }

  // Arguments in parentheses, the `(` already taken.
  std::vector<ex_ptr> parse_paren_args(const stok& open) {
    std::vector<ex_ptr> args;
    ++nesting_;
    while (!is_punct(peek(), ")")) {
      if (peek().kind == tk::keyword_key) {
        args.push_back(parse_keywords({")"}));
        break;
      }
      args.push_back(argument());
      if (!is_punct(peek(), ",")) break;
      take();
    }
    expect_punct(")", open);
    --nesting_;
    return args;
  }

  // `key: value, ...` as a keyword list, until a token in `closers` or the end.
  ex_ptr parse_keywords(const std::vector<std::string_view>& closers) {
    auto list = make(ex_kind::list, peek().offset);
    for (;;) {
      const stok key = peek();
      if (key.kind != tk::keyword_key) unexpected(key);
      take();
      ex_ptr v = parse_expr(arg_prec);
      list->args.push_back(call(key.offset, "{}", {literal(key.offset, key.value), v}));
      if (!is_punct(peek(), ",")) break;
      if (!closers.empty() && peek(1).kind == tk::punct &&
          std::find(closers.begin(), closers.end(), peek(1).text) != closers.end()) {
        take();
        break;
      }
      take();
    }
    return list;
  }

  [[nodiscard]] bool do_block_follows() const { return suppress_do_ == 0 && is_kw(peek(), "do"); }

  // While reading the arguments of a call without parentheses, a `do` belongs to the outer
  // call (Elixir attaches it to the outermost one).
  template <class F>
  auto without_do(F&& f) {
    ++suppress_do_;
    struct restore {
      int& n;
      ~restore() { --n; }
    } r{suppress_do_};
    return f();
  }
  template <class F>
  auto with_do(F&& f) {
    const int saved = suppress_do_;
    suppress_do_ = 0;
    struct restore {
      int& n;
      int v;
      ~restore() { n = v; }
    } r{suppress_do_, saved};
    return f();
  }

  // `do ... [else/after/rescue/catch ...] end` as a keyword list appended to the call's args.
  void attach_do_block(const std::shared_ptr<ex>& c) {
    if (!do_block_follows()) return;
    const stok do_tok = take();
    const std::vector<std::string_view> stops = {"else", "after", "rescue", "catch", "end"};
    auto kw = make(ex_kind::list, do_tok.offset);
    std::string section = "do";
    std::size_t at = do_tok.offset;
    const int saved_nesting = nesting_;
    nesting_ = 0;  // newlines separate expressions in a do-block, even inside parentheses
    (void)with_do([&] {
      for (;;) {
        ex_ptr body = parse_section(at, stops, false);
        kw->args.push_back(call(at, "{}", {literal(at, atom(section)), body}));
        const stok& t = peek();
        if (t.kind == tk::end) {
          throw read_failure{true, t.offset, "TokenMissingError",
                             "missing terminator: end (for \"do\" starting at line " +
                                 std::to_string(locate(text_, do_tok.offset).line) + ")"};
        }
        if (is_kw(t, "end")) {
          take();
          return 0;
        }
        section = t.text;
        at = t.offset;
        take();
      }
    });
    nesting_ = saved_nesting;
    c->args.push_back(kw);
  }

  ex_ptr parse_postfix(ex_ptr e) {
    for (std::size_t chain = 0;; ++chain) {
      const stok& t = peek();
      if (depth_ + chain > max_depth_) {
        throw read_failure{false, t.offset, "SyntaxError", "expression nested too deeply"};
      }
      if (is_punct(t, ".") && !t.newline_before) {
        stok dot = take();
        const stok& n = peek();
        if (is_punct(n, "(")) {
          stok open = take();
          auto c = make(ex_kind::call, e->offset, ".()");
          c->target = e;
          c->args = with_do([&] { return parse_paren_args(open); });
          e = c;
          continue;
        }
        std::string name;
        if (n.kind == tk::ident || n.kind == tk::keyword) {
          name = n.text;
        } else if (n.kind == tk::punct && binary_op(n) && is_punct(peek(1), "(")) {
          name = n.text;
        } else if (n.kind == tk::string) {
          name = n.text;
        } else if (n.kind == tk::alias && e->kind == ex_kind::literal && e->is_alias) {
          // `Foo.Bar` split by a space or a variable alias: an alias of the two.
          stok a = take();
          auto joined = std::make_shared<ex>(*e);
          joined->value = atom(std::string(e->value.atom_value().name()) + "." + a.text);
          e = joined;
          continue;
        } else {
          unexpected(n);
        }
        stok name_tok = take();
        auto c = make(ex_kind::call, e->offset, name);
        c->target = e;
        if (is_punct(peek(), "(") && !peek().space_before) {
          stok open = take();
          c->args = with_do([&] { return parse_paren_args(open); });
        } else if (starts_no_parens_arg()) {
          c->no_parens = true;
          c->args = without_do([&] { return parse_no_parens_args(); });
        } else {
          c->no_parens = true;
        }
        attach_do_block(c);
        e = c;
        continue;
      }
      if (is_punct(t, "[") && !t.space_before) {
        stok open = take();
        ++nesting_;
        ex_ptr key = parse_expr(arg_prec);
        expect_punct("]", open);
        --nesting_;
        auto c = make(ex_kind::call, e->offset, "get");
        auto access = std::make_shared<ex>();
        access->kind = ex_kind::literal;
        access->offset = open.offset;
        access->value = atom("Elixir.Access");
        access->is_alias = true;
        c->target = access;
        c->args = {e, key};
        e = c;
        continue;
      }
      if (is_punct(t, "(") && !t.space_before && e->kind == ex_kind::call && e->name == ".()") {
        throw read_failure{false, e->offset, "CompileError",
                           "invalid call " + std::string(text_.substr(e->offset, t.offset - e->offset)) + "(...)"};
      }
      return e;
    }
  }

  ex_ptr parse_interp(const stok& t) {
    auto e = make(ex_kind::call, t.offset, t.modifiers == "charlist" ? "<interp_charlist>" : "<interp>");
    for (const interp_part& part : t.parts) {
      if (!part.is_expr) {
        e->args.push_back(literal(part.begin, term::binary(part.text)));
        continue;
      }
      parser sub(text_, part.begin, part.end, max_depth_ > depth_ ? max_depth_ - depth_ : 0);
      sub.depth_ = 0;
      std::vector<ex_ptr> items;
      try {
        items = sub.parse_program();
      } catch (read_failure& f) {
        f.incomplete = false;  // the string is closed: a cut expression inside is an error
        throw;
      }
      auto b = make(ex_kind::call, part.begin, "__block__");
      b->args = std::move(items);
      e->args.push_back(b);
    }
    return e;
  }

  ex_ptr parse_primary() {
    const stok t = peek();
    switch (t.kind) {
      case tk::end:
        throw read_failure{true, t.offset, "TokenMissingError", "unexpected end of input"};
      case tk::integer:
      case tk::float_:
      case tk::atom:
        take();
        return literal(t.offset, t.value);
      case tk::alias: {
        take();
        auto e = make(ex_kind::literal, t.offset);
        e->value = t.value;
        e->is_alias = true;
        e->name = t.text;
        return e;
      }
      case tk::string:
        take();
        return literal(t.offset, term::binary(t.text));
      case tk::charlist:
        take();
        return literal(t.offset, term::string(t.text));
      case tk::interp:
        take();
        return parse_interp(t);
      case tk::sigil: {
        take();
        auto e = make(ex_kind::call, t.offset, std::string("~") + static_cast<char>(*t.value.to_int64()));
        e->value = term::binary(t.text);
        e->modifiers = t.modifiers;
        return e;
      }
      case tk::keyword_key:
        unexpected(t);
      case tk::keyword:
        if (t.text == "fn") {
          take();
          ++nesting_;
          const int saved = nesting_;
          nesting_ = 0;
          ex_ptr clauses = with_do([&] { return parse_section(t.offset, {"end"}, true); });
          nesting_ = saved;
          --nesting_;
          if (peek().kind == tk::end) {
            throw read_failure{true, peek().offset, "TokenMissingError",
                               "missing terminator: end (for \"fn\" starting at line " +
                                   std::to_string(locate(text_, t.offset).line) + ")"};
          }
          if (!is_kw(peek(), "end")) unexpected(peek());
          take();
          auto e = make(ex_kind::call, t.offset, "fn");
          e->args = clauses->args;
          return e;
        }
        unexpected(t);
      case tk::ident:
        return parse_identifier();
      case tk::punct:
        break;
    }
    const std::string& s = t.text;
    if (s == "{") {
      stok open = take();
      auto e = make(ex_kind::call, open.offset, "{}");
      ++nesting_;
      while (!is_punct(peek(), "}")) {
        if (peek().kind == tk::keyword_key) {
          e->args.push_back(parse_keywords({"}"}));
          break;
        }
        e->args.push_back(parse_expr(arg_prec));
        if (!is_punct(peek(), ",")) break;
        take();
      }
      expect_punct("}", open);
      --nesting_;
      return e;
    }
    if (s == "[") {
      stok open = take();
      auto e = make(ex_kind::list, open.offset);
      ++nesting_;
      while (!is_punct(peek(), "]")) {
        if (peek().kind == tk::keyword_key) {
          auto kw = parse_keywords({"]"});
          for (const auto& item : kw->args) e->args.push_back(item);
          break;
        }
        e->args.push_back(parse_expr(arg_prec));
        if (is_punct(peek(), "|")) {
          take();
          e->tail = parse_expr(arg_prec);
          break;
        }
        if (!is_punct(peek(), ",")) break;
        take();
      }
      expect_punct("]", open);
      --nesting_;
      return e;
    }
    if (s == "%{") {
      stok open = take();
      auto e = make(ex_kind::call, open.offset, "%{}");
      ++nesting_;
      parse_map_body(e, open);
      --nesting_;
      return e;
    }
    if (s == "%") {
      stok pct = take();
      const stok name = peek();
      if (name.kind != tk::alias) unexpected(name);
      take();
      if (!is_punct(peek(), "{") || peek().space_before) unexpected(peek());
      stok open = take();
      auto body = make(ex_kind::call, open.offset, "%{}");
      ++nesting_;
      parse_map_body(body, open);
      --nesting_;
      auto e = make(ex_kind::call, pct.offset, "%");
      e->value = name.value;
      e->target = body;
      return e;
    }
    if (s == "<<") {
      stok open = take();
      auto e = make(ex_kind::call, open.offset, "<<>>");
      ++nesting_;
      while (!is_punct(peek(), ">>")) {
        e->args.push_back(parse_expr(arg_prec));
        if (!is_punct(peek(), ",")) break;
        take();
      }
      expect_punct(">>", open);
      --nesting_;
      return e;
    }
    if (s == "(") {
      stok open = take();
      ++nesting_;
      const int saved = nesting_;
      nesting_ = 0;  // newlines separate expressions inside parentheses
      auto items = with_do([&] { return parse_block_items({")"}); });
      nesting_ = saved;
      expect_punct(")", open);
      --nesting_;
      if (items.empty()) return literal(open.offset, atom("nil"));
      auto b = make(ex_kind::call, open.offset, "__block__");
      b->args = std::move(items);
      if (b->args.size() == 1) return b->args[0];
      return b;
    }
    // An operator used as a value: `&+/2` reaches here through `&`'s operand.
    if ((binary_op(t) || t.text == "!") && is_punct(peek(1), "/")) {
      take();
      auto v = make(ex_kind::var, t.offset, t.text);
      v->no_parens = true;  // marks an operator name
      return v;
    }
    unexpected(t);
  }

  void parse_map_body(const std::shared_ptr<ex>& e, const stok& open) {
    if (is_punct(peek(), "}")) {
      take();
      return;
    }
    if (peek().kind != tk::keyword_key) {
      ex_ptr first = parse_expr(arg_prec + 1);
      if (is_punct(peek(), "|")) {
        take();
        e->target = first;
      } else {
        if (!is_punct(peek(), "=>")) unexpected(peek());
        take();
        e->args.push_back(call(first->offset, "{}", {first, parse_expr(arg_prec)}));
        if (!is_punct(peek(), ",")) {
          expect_punct("}", open);
          return;
        }
        take();
      }
    }
    while (!is_punct(peek(), "}")) {
      if (peek().kind == tk::keyword_key) {
        auto kw = parse_keywords({"}"});
        for (const auto& pair : kw->args) e->args.push_back(pair);
        break;
      }
      ex_ptr k = parse_expr(arg_prec + 1);
      if (!is_punct(peek(), "=>")) unexpected(peek());
      take();
      e->args.push_back(call(k->offset, "{}", {k, parse_expr(arg_prec)}));
      if (!is_punct(peek(), ",")) break;
      take();
    }
    expect_punct("}", open);
  }

  ex_ptr parse_identifier() {
    const stok t = take();
    if (is_punct(peek(), "(") && !peek().space_before) {
      stok open = take();
      auto c = make(ex_kind::call, t.offset, t.text);
      c->args = with_do([&] { return parse_paren_args(open); });
      attach_do_block(c);
      return c;
    }
    if (starts_no_parens_arg()) {
      auto c = make(ex_kind::call, t.offset, t.text);
      c->no_parens = true;
      c->ambiguous_unary = is_punct(peek(), "-") || is_punct(peek(), "+");
      c->args = without_do([&] { return parse_no_parens_args(); });
      attach_do_block(c);
      return c;
    }
    if (do_block_follows()) {
      auto c = make(ex_kind::call, t.offset, t.text);
      c->no_parens = true;
      attach_do_block(c);
      return c;
    }
    return make(ex_kind::var, t.offset, t.text);
  }

  std::string_view text_;
  std::vector<stok> toks_;
  std::size_t i_ = 0;
  int nesting_ = 0;
  int suppress_do_ = 0;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
};

}  // namespace

std::vector<ex_ptr> read(std::string_view text, std::size_t max_depth) {
  parser p(text, 0, text.size(), max_depth);
  return p.parse_program();
}

line_column locate(std::string_view text, std::size_t offset) {
  line_column at;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++at.line;
      at.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++at.column;
    }
  }
  return at;
}

}  // namespace otpp::code::elixir
