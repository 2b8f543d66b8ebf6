// The shell's parser: Elixir expressions (the iex subset in syntax.hpp) on top of the term
// lexer, with newlines as separators, no-parentheses calls, do-blocks and incomplete-input
// detection for the `...(N)>` continuation prompt.
#include "otpp/shell/syntax.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "otpp/term/parse.hpp"
#include "otpp/term/print.hpp"
#include "shell/tokens.hpp"

namespace otpp::shell {
namespace {

using namespace detail;

// ---- parser -------------------------------------------------------------------------------

struct op_info {
  int prec;
  bool right;
};

std::optional<op_info> binary_op(const stok& t) {
  if (t.kind == tk::keyword) {
    if (t.text == "when") return op_info{1, true};
    if (t.text == "or") return op_info{4, false};
    if (t.text == "and") return op_info{5, false};
    if (t.text == "in") return op_info{9, false};
    return std::nullopt;
  }
  if (t.kind != tk::punct) return std::nullopt;
  const std::string& s = t.text;
  if (s == "=") return op_info{3, true};
  if (s == "||" || s == "|||") return op_info{4, false};
  if (s == "&&" || s == "&&&") return op_info{5, false};
  if (s == "==" || s == "!=" || s == "=~" || s == "===" || s == "!==") return op_info{6, false};
  if (s == "<" || s == ">" || s == "<=" || s == ">=") return op_info{7, false};
  if (s == "|>" || s == "<<<" || s == ">>>" || s == "<~" || s == "~>") return op_info{8, false};
  if (s == "++" || s == "--" || s == ".." || s == "<>") return op_info{10, true};
  if (s == "+" || s == "-") return op_info{11, false};
  if (s == "*" || s == "/") return op_info{12, false};
  if (s == "**") return op_info{13, false};
  return std::nullopt;
}

constexpr int match_prec = 3;

class parser {
 public:
  explicit parser(std::string_view text) : text_(text) {
    toks_ = tokenize(text);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  program parse_program() {
    program p;
    p.exprs = parse_block({});
    if (peek().kind != tk::end) unexpected(peek());
    return p;
  }

  position pos_of(std::size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
    const std::size_t line_start = line == 0 ? 0 : line_starts_[line - 1];
    std::size_t column = 1;
    for (std::size_t i = line_start; i < offset && i < text_.size(); ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
    }
    return {line + 1, column};
  }

 private:
  // -- token access --
  const stok& peek(std::size_t ahead = 0) const {
    const std::size_t k = std::min(i_ + ahead, toks_.size() - 1);
    return toks_[k];
  }
  stok take() {
    stok t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  [[nodiscard]] bool is_punct(const stok& t, std::string_view s) const {
    return t.kind == tk::punct && t.text == s;
  }
  [[nodiscard]] bool is_kw(const stok& t, std::string_view s) const {
    return t.kind == tk::keyword && t.text == s;
  }
  static std::string describe(const stok& t) {
    switch (t.kind) {
      case tk::end:
        return "end of input";
      case tk::string:
      case tk::interp:
        return "\"" + t.text + "\"";
      case tk::keyword_key:
        return std::string(t.value.atom_value().name()) + ":";
      case tk::integer:
      case tk::float_:
      case tk::atom:
      case tk::alias:
      case tk::charlist:
      case tk::process:
      case tk::ident:
      case tk::keyword:
      case tk::punct:
        break;
    }
    return t.text.empty() ? "token" : t.text;
  }
  [[noreturn]] void unexpected(const stok& t, std::string extra = {}) const {
    if (t.kind == tk::end) throw failure{true, t.offset, "unexpected end of input"};
    if (is_kw(t, "end") && open_do_ == 0) {
      throw failure{false, t.offset, "unexpected reserved word: end"};
    }
    std::string what = t.kind == tk::keyword ? "unexpected reserved word: " : "unexpected token: ";
    if (t.kind == tk::integer || t.kind == tk::float_ || t.kind == tk::atom ||
        t.kind == tk::alias || t.kind == tk::string || t.kind == tk::charlist ||
        t.kind == tk::ident || t.kind == tk::interp) {
      throw failure{false, t.offset, "syntax error before: " + source_of(t) + extra};
    }
    throw failure{false, t.offset, what + describe(t) + extra};
  }
  std::string source_of(const stok& t) const {
    return std::string(text_.substr(t.offset, t.length));
  }
  void expect_punct(std::string_view s, const stok& opener) {
    const stok& t = peek();
    if (is_punct(t, s)) {
      take();
      return;
    }
    if (t.kind == tk::end) throw failure{true, t.offset, "missing terminator"};
    const position p = pos_of(opener.offset);
    unexpected(t, ". The \"" + opener.text + "\" at line " + std::to_string(p.line) +
                      " is missing terminator \"" + std::string(s) + "\"");
  }

  std::shared_ptr<expr> node(expr_kind k, const stok& at) const {
    auto e = std::make_shared<expr>();
    e->kind = k;
    e->at = pos_of(at.offset);
    return e;
  }

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

  std::vector<expr_ptr> parse_block(const std::vector<std::string_view>& stops) {
    std::vector<expr_ptr> out;
    for (;;) {
      skip_separators();
      if (at_stop(stops)) return out;
      out.push_back(parse_expr(0));
      if (at_stop(stops)) return out;
      if (!separator_ahead()) unexpected(peek());
    }
  }

  // Clauses (`pat -> body`) until one of `stops`.
  std::vector<clause> parse_clauses(const std::vector<std::string_view>& stops) {
    std::vector<clause> out;
    for (;;) {
      skip_separators();
      if (at_stop(stops)) break;
      expr_ptr e = parse_expr(0);
      if (is_punct(peek(), "->")) {
        take();
        clause c;
        if (e->kind == expr_kind::binary_op && e->name == "when") {
          c.pattern = e->items[0];
          c.guard = e->items[1];
        } else {
          c.pattern = e;
        }
        out.push_back(std::move(c));
        continue;
      }
      if (out.empty()) throw failure{false, peek().offset, "expected -> clauses for do-block"};
      out.back().body.push_back(e);
      if (at_stop(stops)) break;
      if (!separator_ahead() && !is_punct(peek(), "->")) unexpected(peek());
    }
    return out;
  }

  // -- expressions --
  expr_ptr parse_expr(int min_prec) {
    expr_ptr lhs = parse_unary();
    for (;;) {
      const stok& t = peek();
      // `not in`
      bool not_in = is_kw(t, "not") && is_kw(peek(1), "in");
      auto op = not_in ? std::optional<op_info>(op_info{9, false}) : binary_op(t);
      if (!op || op->prec < min_prec) return lhs;
      if (t.newline_before && nesting_ == 0 && (is_punct(t, "+") || is_punct(t, "-"))) return lhs;
      stok op_tok = take();
      if (not_in) take();
      const std::string name = not_in ? "not in" : op_tok.text;
      expr_ptr rhs = parse_expr(op->right ? op->prec : op->prec + 1);
      if (name == "=") {
        auto e = node(expr_kind::match, op_tok);
        e->at = lhs->at;
        e->items = {lhs, rhs};
        lhs = e;
      } else if (name == "|>") {
        lhs = pipe_into(lhs, rhs, op_tok);
      } else {
        auto e = node(expr_kind::binary_op, op_tok);
        e->at = lhs->at;
        e->name = name;
        e->items = {lhs, rhs};
        lhs = e;
      }
    }
  }

  expr_ptr pipe_into(const expr_ptr& value, const expr_ptr& call, const stok& at) {
    auto e = std::make_shared<expr>(*call);
    if (call->kind == expr_kind::variable) {
      e->kind = expr_kind::local_call;
      e->items = {value};
      return e;
    }
    if (call->kind == expr_kind::dot) {
      e->kind = expr_kind::remote_call;
      e->items = {value};
      return e;
    }
    if (call->kind == expr_kind::local_call || call->kind == expr_kind::remote_call ||
        call->kind == expr_kind::fun_call) {
      e->items.insert(e->items.begin(), value);
      return e;
    }
    throw failure{false, at.offset, "cannot pipe into " + to_source(*call)};
  }

  expr_ptr parse_unary() {
    const stok& t = peek();
    const bool unary_punct =
        t.kind == tk::punct && (t.text == "-" || t.text == "+" || t.text == "!" || t.text == "^");
    if (unary_punct || is_kw(t, "not")) {
      stok op = take();
      if (op.text == "^") {
        const stok& v = peek();
        if (v.kind != tk::ident) unexpected(v);
        auto e = node(expr_kind::pin, op);
        e->name = take().text;
        return e;
      }
      expr_ptr operand = parse_unary();
      if (op.text == "-" && operand->kind == expr_kind::literal && operand->value.is_number() &&
          operand->name.empty()) {
        auto e = std::make_shared<expr>(*operand);
        e->at = pos_of(op.offset);
        e->value = negate(operand->value);
        e->name = "neg";
        return e;
      }
      auto e = node(expr_kind::unary, op);
      e->name = op.text;
      e->items = {operand};
      return e;
    }
    return parse_postfix(parse_primary());
  }

  static term negate(const term& v) {
    if (v.is_float()) return term(-v.float_value());
    if (auto i = v.to_int64(); i && *i != INT64_MIN) return term(static_cast<long long>(-*i));
    const std::string s = v.integer_to_string();
    return s[0] == '-' ? *term::integer_from_string(s.substr(1))
                       : *term::integer_from_string("-" + s);
  }

  // Can `t` start an argument of a call written without parentheses?
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
      case tk::process:
      case tk::interp:
        return true;
      case tk::keyword:
        return t.text == "fn" || (t.text == "not" && !is_kw(peek(ahead + 1), "in"));
      case tk::punct: {
        const std::string& s = t.text;
        if (s == "{" || s == "[" || s == "%{" || s == "%" || s == "<<" || s == "^" || s == "!" ||
            s == "&" || s == "@" || s == "(") {
          return true;
        }
        if (s == "-" || s == "+")
          return !peek(ahead + 1).space_before && peek(ahead + 1).kind != tk::end;
        return false;
      }
      case tk::end:
        return false;
    }
    return false;
  }

  // Arguments of a call without parentheses: `a, b, key: v`.
  std::vector<expr_ptr> parse_no_parens_args() {
    std::vector<expr_ptr> args;
    for (;;) {
      if (peek().kind == tk::keyword_key) {
        args.push_back(parse_keywords({}));
        return args;
      }
      args.push_back(parse_expr(match_prec));
      if (!is_punct(peek(), ",")) return args;
      take();
    }
  }

  // Arguments in parentheses, the `(` already taken.
  std::vector<expr_ptr> parse_paren_args(const stok& open) {
    std::vector<expr_ptr> args;
    ++nesting_;
    if (is_punct(peek(), ")")) {
      take();
      --nesting_;
      return args;
    }
    for (;;) {
      if (peek().kind == tk::keyword_key) {
        args.push_back(parse_keywords({")"}));
        break;
      }
      args.push_back(parse_expr(0));
      if (!is_punct(peek(), ",")) break;
      take();
      if (is_punct(peek(), ")")) break;  // trailing comma
    }
    expect_punct(")", open);
    --nesting_;
    return args;
  }

  // `key: value, ...` as a keyword list literal, until a token in `closers` or the end.
  expr_ptr parse_keywords(const std::vector<std::string_view>& closers) {
    auto list = node(expr_kind::list, peek());
    for (;;) {
      const stok key = peek();
      if (key.kind != tk::keyword_key) unexpected(key);
      take();
      auto k = node(expr_kind::literal, key);
      k->value = key.value;
      expr_ptr v = parse_expr(match_prec);
      auto pair = node(expr_kind::tuple, key);
      pair->items = {k, v};
      list->items.push_back(pair);
      if (!is_punct(peek(), ",")) break;
      // a trailing comma before a closer
      if (!closers.empty() && peek(1).kind == tk::punct &&
          std::find(closers.begin(), closers.end(), peek(1).text) != closers.end()) {
        take();
        break;
      }
      take();
    }
    return list;
  }

  // The optional do-block after a call: returns true when one followed (and was consumed
  // into an `unsupported` node description).
  [[nodiscard]] bool do_block_follows() const { return suppress_do_ == 0 && is_kw(peek(), "do"); }

  // While parsing the subject of `case`/`if` or the arguments of a call without
  // parentheses, a `do` belongs to the outer form (Elixir attaches it to the outermost call).
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

  struct do_sections {
    std::vector<std::pair<std::string, std::vector<expr_ptr>>> blocks;
    std::vector<std::pair<std::string, std::vector<clause>>> clause_blocks;
  };

  // Skips a balanced do ... end (for forms this shell does not evaluate).
  void skip_do_end() {
    int depth = 0;
    for (;;) {
      const stok& t = peek();
      if (t.kind == tk::end) throw failure{true, t.offset, "missing terminator: end"};
      if (is_kw(t, "do") || is_kw(t, "fn")) ++depth;
      if (is_kw(t, "end") && --depth == 0) {
        take();
        return;
      }
      take();
    }
  }

  expr_ptr finish_call_with_do(std::shared_ptr<expr> call, const stok& at) {
    if (!do_block_follows()) return call;
    ++open_do_;
    skip_do_end();
    --open_do_;
    auto e = node(expr_kind::unsupported, at);
    e->name = call->name;
    return e;
  }

  expr_ptr parse_postfix(expr_ptr e) {
    for (;;) {
      const stok& t = peek();
      if (is_punct(t, ".") && !t.newline_before) {
        stok dot = take();
        const stok& n = peek();
        if (is_punct(n, "(")) {
          stok open = take();
          auto call = node(expr_kind::fun_call, dot);
          call->at = e->at;
          call->target = e;
          call->items = parse_paren_args(open);
          e = call;
          continue;
        }
        std::string name;
        if (n.kind == tk::ident || n.kind == tk::keyword) {
          name = n.text;
        } else if (n.kind == tk::punct && binary_op(n) && is_punct(peek(1), "(")) {
          name = n.text;
        } else if (n.kind == tk::alias) {
          // `mod.Alias` is not a call; Elixir rejects it too.
          unexpected(n);
        } else if (n.kind == tk::string) {
          name = n.text;  // Mod."fun name"(...)
        } else {
          unexpected(n);
        }
        stok name_tok = take();
        const bool module_target = e->kind == expr_kind::literal && e->value.is_atom();
        auto call = node(expr_kind::remote_call, name_tok);
        call->at = e->at;
        call->target = e;
        call->name = name;
        if (is_punct(peek(), "(") && !peek().space_before) {
          stok open = take();
          call->items = with_do([&] { return parse_paren_args(open); });
        } else if (starts_no_parens_arg()) {
          call->no_parens = true;
          call->items = without_do([&] { return parse_no_parens_args(); });
        } else if (!module_target) {
          call->kind = expr_kind::dot;  // map.field, or a zero-arity call on an atom value
        } else {
          call->no_parens = true;
        }
        e = finish_call_with_do(call, name_tok);
        continue;
      }
      if (is_punct(t, "[") && !t.space_before) {
        stok open = take();
        ++nesting_;
        expr_ptr key = parse_expr(0);
        expect_punct("]", open);
        --nesting_;
        auto call = node(expr_kind::remote_call, open);
        call->at = e->at;
        auto access = node(expr_kind::literal, open);
        access->value = atom("Elixir.Access");
        call->target = access;
        call->name = "get";
        call->items = {e, key};
        e = call;
        continue;
      }
      return e;
    }
  }

  expr_ptr literal(const stok& t, term v) {
    auto e = node(expr_kind::literal, t);
    e->value = std::move(v);
    return e;
  }

  expr_ptr parse_primary() {
    const stok t = peek();
    switch (t.kind) {
      case tk::end:
        throw failure{true, t.offset, "unexpected end of input"};
      case tk::integer:
      case tk::float_:
      case tk::atom:
      case tk::alias:
        take();
        return literal(t, t.value);
      case tk::string:
        take();
        return literal(t, term::binary(t.text));
      case tk::charlist:
        take();
        return literal(t, term::string(t.text));
      case tk::interp: {
        take();
        auto e = node(expr_kind::interpolation, t);
        for (const interp_part& part : t.parts) {
          if (!part.is_expr) {
            e->items.push_back(literal(t, term::binary(part.text)));
            continue;
          }
          parse_outcome sub = parse(part.text);
          if (auto* bad = std::get_if<syntax_error>(&sub))
            throw failure{false, part.offset, bad->message};
          if (std::holds_alternative<incomplete>(sub))
            throw failure{false, part.offset, "missing terminator: }"};
          auto block = node(expr_kind::block, t);
          block->items = std::get<program>(sub).exprs;
          e->items.push_back(block);
        }
        return e;
      }
      case tk::process: {
        take();
        // `#PID<0.106.0>` pasted from output: the IEx helper pid/1 resolves its node number.
        std::string dotted;
        for (std::size_t k = 0; k < t.numbers.size(); ++k) {
          if (k) dotted += '.';
          dotted += std::to_string(t.numbers[k]);
        }
        auto e = node(expr_kind::local_call, t);
        e->name = t.text == "pid" ? "pid" : t.text == "reference" ? "ref" : "port";
        e->items = {literal(t, term::binary(dotted))};
        return e;
      }
      case tk::keyword_key: {
        // A keyword list without brackets is only valid as the last call argument.
        unexpected(t);
      }
      case tk::keyword: {
        if (t.text == "fn") {
          take();
          auto e = node(expr_kind::unsupported, t);
          e->name = "fn";
          ++open_do_;
          int depth = 1;
          for (;;) {
            const stok& x = peek();
            if (x.kind == tk::end) throw failure{true, x.offset, "missing terminator: end"};
            if (is_kw(x, "do") || is_kw(x, "fn")) ++depth;
            if (is_kw(x, "end") && --depth == 0) break;
            take();
          }
          take();
          --open_do_;
          return e;
        }
        unexpected(t);
      }
      case tk::ident:
        return parse_identifier();
      case tk::punct:
        break;
    }
    const std::string& s = t.text;
    if (s == "{") {
      stok open = take();
      auto e = node(expr_kind::tuple, open);
      ++nesting_;
      while (!is_punct(peek(), "}")) {
        if (peek().kind == tk::keyword_key) {
          e->items.push_back(parse_keywords({"}"}));
          break;
        }
        e->items.push_back(parse_expr(0));
        if (!is_punct(peek(), ",")) break;
        take();
      }
      expect_punct("}", open);
      --nesting_;
      return e;
    }
    if (s == "[") {
      stok open = take();
      auto e = node(expr_kind::list, open);
      ++nesting_;
      while (!is_punct(peek(), "]")) {
        if (peek().kind == tk::keyword_key) {
          auto kw = parse_keywords({"]"});
          for (const auto& item : kw->items) e->items.push_back(item);
          break;
        }
        e->items.push_back(parse_expr(match_prec));
        if (is_punct(peek(), "|")) {
          take();
          e->tail = parse_expr(match_prec);
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
      auto e = node(expr_kind::map, open);
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
      auto e = node(expr_kind::map, pct);
      ++nesting_;
      parse_map_body(e, open, "}");
      --nesting_;
      auto k = literal(name, atom("__struct__"));
      e->pairs.insert(e->pairs.begin(), {k, literal(name, name.value)});
      return e;
    }
    if (s == "<<") {
      stok open = take();
      auto e = node(expr_kind::binary, open);
      ++nesting_;
      while (!is_punct(peek(), ">>")) {
        expr_ptr seg = parse_expr(match_prec);
        expr_ptr spec;
        if (is_punct(peek(), "::")) {
          take();
          spec = parse_expr(match_prec);
        }
        e->items.push_back(seg);
        e->pairs.emplace_back(seg, spec);
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
      auto e = node(expr_kind::block, open);
      const int saved = nesting_;
      nesting_ = 0;  // newlines separate expressions inside parentheses
      e->items = with_do([&] { return parse_block({")"}); });
      nesting_ = saved;
      expect_punct(")", open);
      --nesting_;
      if (e->items.size() == 1) return e->items[0];
      return e;
    }
    if (s == "&" || s == "@") {
      take();
      auto e = node(expr_kind::unsupported, t);
      e->name = s == "&" ? "&" : "@";
      // Consume the operand so the rest of the line parses.
      (void)parse_unary();
      return e;
    }
    unexpected(t);
  }

  void parse_map_body(const std::shared_ptr<expr>& e, const stok& open,
                      std::string_view close = "}") {
    if (is_punct(peek(), close)) {
      take();
      return;
    }
    // `%{m | k => v}`: parse the first expression, then look for `|`.
    if (peek().kind != tk::keyword_key) {
      expr_ptr first = parse_expr(match_prec);
      if (is_punct(peek(), "|")) {
        take();
        e->target = first;
      } else {
        if (!is_punct(peek(), "=>")) unexpected(peek());
        take();
        e->pairs.emplace_back(first, parse_expr(match_prec));
        if (!is_punct(peek(), ",")) {
          expect_punct(std::string(close), open);
          return;
        }
        take();
      }
    }
    while (!is_punct(peek(), close)) {
      if (peek().kind == tk::keyword_key) {
        auto kw = parse_keywords({std::string_view(close)});
        for (const auto& pair : kw->items) e->pairs.emplace_back(pair->items[0], pair->items[1]);
        break;
      }
      expr_ptr k = parse_expr(match_prec);
      if (!is_punct(peek(), "=>")) unexpected(peek());
      take();
      e->pairs.emplace_back(k, parse_expr(match_prec));
      if (!is_punct(peek(), ",")) break;
      take();
    }
    expect_punct(std::string(close), open);
  }

  expr_ptr parse_identifier() {
    const stok t = take();
    if (t.text.find('@') != std::string::npos) {
      throw failure{false, t.offset,
                    "invalid character \"@\" (code point U+0040) in identifier: " + t.text};
    }
    if (t.text == "receive" && is_kw(peek(), "do")) return parse_receive(t);
    if ((t.text == "case") && !is_punct(peek(), "(")) return parse_case(t);
    if (t.text == "cond" && is_kw(peek(), "do")) return parse_cond(t);
    if ((t.text == "if" || t.text == "unless") &&
        !(is_punct(peek(), "(") && !peek().space_before)) {
      return parse_if(t);
    }
    if (is_punct(peek(), "(") && !peek().space_before) {
      stok open = take();
      auto call = node(expr_kind::local_call, t);
      call->name = t.text;
      call->items = with_do([&] { return parse_paren_args(open); });
      return finish_call_with_do(call, t);
    }
    if (starts_no_parens_arg()) {
      auto call = node(expr_kind::local_call, t);
      call->name = t.text;
      call->no_parens = true;
      const stok& first = peek();
      call->ambiguous_unary = is_punct(first, "-") || is_punct(first, "+");
      call->items = without_do([&] { return parse_no_parens_args(); });
      return finish_call_with_do(call, t);
    }
    if (do_block_follows()) {
      auto call = node(expr_kind::local_call, t);
      call->name = t.text;
      return finish_call_with_do(call, t);
    }
    auto e = node(expr_kind::variable, t);
    e->name = t.text;
    return e;
  }

  void expect_do(const stok& at) {
    if (peek().kind == tk::end) throw failure{true, peek().offset, "missing do"};
    if (!is_kw(peek(), "do")) unexpected(peek());
    (void)at;
    take();
  }
  void expect_end(const stok& opener) {
    if (peek().kind == tk::end) throw failure{true, peek().offset, "missing terminator: end"};
    if (!is_kw(peek(), "end")) {
      const position p = pos_of(opener.offset);
      unexpected(peek(), ". The \"do\" at line " + std::to_string(p.line) +
                             " is missing terminator \"end\"");
    }
    take();
  }

  expr_ptr parse_receive(const stok& t) {
    auto e = node(expr_kind::receive, t);
    stok do_tok = peek();
    take();  // do
    ++open_do_;
    e->clauses = parse_clauses({"after", "end"});
    if (is_kw(peek(), "after")) {
      take();
      std::vector<clause> after = parse_clauses({"end"});
      if (after.size() != 1) {
        throw failure{false, peek().offset,
                      "expected a single -> clause for :after in \"receive\""};
      }
      e->after_timeout = after[0].pattern;
      e->after_body = after[0].body;
    }
    expect_end(do_tok);
    --open_do_;
    return e;
  }

  expr_ptr parse_case(const stok& t) {
    auto e = node(expr_kind::case_, t);
    e->target = without_do([&] { return parse_expr(match_prec); });
    stok do_tok = peek();
    expect_do(t);
    ++open_do_;
    e->clauses = parse_clauses({"end"});
    expect_end(do_tok);
    --open_do_;
    return e;
  }

  expr_ptr parse_cond(const stok& t) {
    auto e = node(expr_kind::cond, t);
    stok do_tok = take();
    ++open_do_;
    e->clauses = parse_clauses({"end"});
    expect_end(do_tok);
    --open_do_;
    return e;
  }

  expr_ptr parse_if(const stok& t) {
    auto e = node(expr_kind::if_, t);
    e->name = t.text;
    e->target = without_do([&] { return parse_expr(match_prec); });
    e->items = {nullptr, nullptr};
    if (is_punct(peek(), ",")) {
      take();
      expr_ptr kw = parse_keywords({});
      for (const auto& pair : kw->items) {
        const atom key = pair->items[0]->value.atom_value();
        if (key.name() == "do") {
          e->items[0] = pair->items[1];
        } else if (key.name() == "else") {
          e->items[1] = pair->items[1];
        } else {
          throw failure{false, peek().offset, "invalid or duplicate keys for " + t.text};
        }
      }
      if (!e->items[0]) throw failure{false, t.offset, "missing :do option in \"" + t.text + "\""};
      return e;
    }
    stok do_tok = peek();
    expect_do(t);
    ++open_do_;
    auto then_block = node(expr_kind::block, do_tok);
    then_block->items = parse_block({"else", "end"});
    e->items[0] = then_block;
    if (is_kw(peek(), "else")) {
      stok else_tok = take();
      auto else_block = node(expr_kind::block, else_tok);
      else_block->items = parse_block({"end"});
      e->items[1] = else_block;
    }
    expect_end(do_tok);
    --open_do_;
    return e;
  }

  std::string_view text_;
  std::vector<stok> toks_;
  std::vector<std::size_t> line_starts_;
  std::size_t i_ = 0;
  int nesting_ = 0;
  int open_do_ = 0;
  int suppress_do_ = 0;
};

}  // namespace

parse_outcome parse(std::string_view text) {
  std::optional<parser> p;
  try {
    p.emplace(text);
    return p->parse_program();
  } catch (const failure& f) {
    // Anything that fails only because the text stopped is unfinished, not wrong.
    if (f.incomplete || f.offset >= text.size()) return incomplete{};
    syntax_error e;
    e.message = f.message;
    if (p) {
      e.at = p->pos_of(f.offset);
    } else {
      // The tokenizer failed: compute the position directly.
      std::size_t line = 1;
      std::size_t column = 1;
      for (std::size_t i = 0; i < f.offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
          ++line;
          column = 1;
        } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
          ++column;
        }
      }
      e.at = {line, column};
    }
    return e;
  }
}

}  // namespace otpp::shell
