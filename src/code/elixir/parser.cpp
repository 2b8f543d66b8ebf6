// Reads Elixir tokens (tokenizer.cpp) into the quoted-form tree of ast.hpp: Elixir's operator
// table; calls without parentheses; do-blocks; string interpolation and sigils; and
// incomplete-input detection for the shell's continuation prompt.
#include <algorithm>
#include <array>
#include <optional>

#include "code/elixir/ast.hpp"
#include "code/elixir/tokens.hpp"
#include "otpp/term/parse.hpp"

namespace otpp::code::elixir {
namespace {

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
    toks_ = tokenize(text, begin, end);
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
