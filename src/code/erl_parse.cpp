// The Erlang expression parser: tokens (erl_scan.cpp) to the abstract format erl_parse (OTP 25)
// produces, including its annotations and its error messages.
#include "otpp/code/erl_parse.hpp"

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "code/erl_scan.hpp"
#include "otpp/term/print.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp::code {

std::string erl_parse_error::describe() const { return std::to_string(line) + ": " + message; }

using namespace detail;

namespace {

using unicode::append_utf8;

// ---- building abstract format --------------------------------------------------------------

term a(std::string_view name) { return term(atom(name)); }
term ln(std::size_t line) { return term(static_cast<std::int64_t>(line)); }

term node(std::string_view tag, std::size_t line, std::initializer_list<term> rest) {
  std::vector<term> e;
  e.reserve(rest.size() + 2);
  e.push_back(a(tag));
  e.push_back(ln(line));
  for (const auto& r : rest) e.push_back(r);
  return term::tuple(std::move(e));
}

// The smallest line annotation in a form (erl_parse's first_anno): a node is a tuple whose
// first element is an atom and second an integer; bit type lists are skipped (their
// `{unit, 8}` is not a node).
std::size_t first_line(const term& t, std::size_t best, int depth = 0) {
  if (depth > 2000) return best;
  if (t.is_tuple()) {
    auto e = t.elements();
    if (e.size() >= 2 && e[0].is_atom() && e[1].is_small_integer() && e[1].small_integer() >= 0) {
      auto l = static_cast<std::size_t>(e[1].small_integer());
      if (l < best) best = l;
    }
    bool bin_element = e.size() == 5 && e[0].is_atom(atom("bin_element"));
    for (std::size_t k = 1; k < e.size(); ++k) {
      if (bin_element && k == 4) break;
      if (e[k].is_tuple() || e[k].is_list()) best = first_line(e[k], best, depth + 1);
    }
  } else if (t.type() == term::kind::list) {
    for (const auto& x : t.list_elements())
      if (x.is_tuple() || x.is_list()) best = first_line(x, best, depth + 1);
    const auto& tail = t.list_tail();
    if (tail.is_tuple() || tail.is_list()) best = first_line(tail, best, depth + 1);
  }
  return best;
}

std::size_t anno(const term& t) { return first_line(t, SIZE_MAX); }

// io_lib:write_string/1 for the text of a string token in an error message.
std::string write_string(const std::u32string& s) {
  std::string out = "\"";
  for (char32_t c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 32 || c == 127) {
          out += "\\" + std::to_string((c >> 6) & 7) + std::to_string((c >> 3) & 7) + std::to_string(c & 7);
        } else {
          append_utf8(out, c);
        }
    }
  }
  return out + "\"";
}

// What yecc prints for the token a syntax error stands before.
std::string describe_token(const token& t) {
  switch (t.kind) {
    case tk::end: return "";
    case tk::dot: return "'.'";
    case tk::symbol: return "'" + t.text + "'";
    case tk::atom: return format_atom(t.value.atom_value());
    case tk::var: return t.text;
    case tk::integer: return t.value.integer_to_string();
    case tk::float_: return format_float(t.value.float_value());
    case tk::string: return write_string(t.chars);
    case tk::char_: {
      auto c = static_cast<char32_t>(t.value.small_integer());
      if (c == '\n') return "$\\n";
      if (c == ' ') return "$\\s";
      std::string out = "$";
      if (c < 32) return "$\\^" + std::string(1, static_cast<char>(c + 64));
      append_utf8(out, c);
      return out;
    }
  }
  return "";
}

constexpr int max_depth = 400;

class parser {
 public:
  explicit parser(std::vector<token> tokens) : t_(std::move(tokens)) {}

  term exprs_form() {
    term es = exprs();
    if (at(";")) {
      // erl_parse reads expressions as the body of `f() -> ...`, so a `;` starts another
      // function clause: its syntax errors are the ones to report. A well-formed one is
      // still not an expression sequence.
      const token& semi = t_[p_++];
      for (;;) {
        if (peek().kind != tk::atom) syntax_error(peek());
        ++p_;
        (void)pat_argument_list();
        (void)opt_guard();
        (void)clause_body();
        if (!accept(";")) break;
      }
      end_form();
      syntax_error(semi);
    }
    end_form();
    return es;
  }

  term function_form() {
    std::vector<term> clauses;
    std::optional<atom> name;
    std::size_t arity = 0;
    std::size_t line = peek().line;
    for (;;) {
      const token& n = peek();
      if (n.kind != tk::atom) syntax_error(n);
      std::size_t l = n.line;
      term fname = n.value;
      ++p_;
      term args = pat_argument_list().first;
      std::size_t ar = args.list_elements().size();
      if (!name) {
        name = fname.atom_value();
        arity = ar;
      } else if (*name != fname.atom_value() || arity != ar) {
        fail(l, "erl_parse", "head mismatch");
      }
      term g = opt_guard();
      term b = clause_body();
      clauses.push_back(term::tuple({a("clause"), ln(l), args, g, b}));
      if (!accept(";")) break;
    }
    end_form();
    return term::tuple({a("function"), ln(line), term(*name), term(static_cast<std::int64_t>(arity)),
                        term::list(std::move(clauses))});
  }

 private:
  // ---- tokens ----
  const token& peek(std::size_t ahead = 0) const {
    std::size_t k = p_ + ahead;
    return k < t_.size() ? t_[k] : t_.back();
  }
  bool is_sym(const token& t, std::string_view s) const { return t.kind == tk::symbol && t.text == s; }
  bool at(std::string_view s) const { return is_sym(peek(), s); }
  bool accept(std::string_view s) {
    if (!at(s)) return false;
    ++p_;
    return true;
  }
  const token& expect(std::string_view s) {
    if (!at(s)) syntax_error(peek());
    return t_[p_++];
  }
  [[noreturn]] void syntax_error(const token& t) {
    fail(t.line, "erl_parse", "syntax error before: " + describe_token(t));
  }
  void end_form() {
    if (peek().kind != tk::dot) syntax_error(peek());
    ++p_;
    if (peek().kind != tk::end) syntax_error(peek());
  }

  struct depth_guard {
    explicit depth_guard(parser& p) : p_(p) {
      if (++p_.depth_ > max_depth) fail(p_.peek().line, "erl_parse", "expression nested too deeply");
    }
    ~depth_guard() { --p_.depth_; }
    parser& p_;
  };

  // ---- expressions ----
  term exprs() {
    std::vector<term> out;
    out.push_back(expr());
    while (accept(",")) out.push_back(expr());
    return term::list(std::move(out));
  }

  term expr() { return binary(0, false); }
  term pat_expr() { return binary(0, true); }

  enum class assoc : std::uint8_t { left, right, none };
  struct op_info {
    int prec;
    assoc as;
  };

  static std::optional<op_info> binary_op(const token& t, bool pattern) {
    if (t.kind != tk::symbol) return std::nullopt;
    const std::string& s = t.text;
    if (s == "=") return op_info{100, assoc::right};
    if (!pattern) {
      if (s == "!") return op_info{100, assoc::right};
      if (s == "orelse") return op_info{150, assoc::right};
      if (s == "andalso") return op_info{160, assoc::right};
    }
    if (s == "==" || s == "/=" || s == "=<" || s == "<" || s == ">=" || s == ">" || s == "=:=" ||
        s == "=/=")
      return op_info{200, assoc::none};
    if (s == "++" || s == "--") return op_info{300, assoc::right};
    if (s == "+" || s == "-" || s == "bor" || s == "bxor" || s == "bsl" || s == "bsr" || s == "or" ||
        s == "xor")
      return op_info{400, assoc::left};
    if (s == "/" || s == "*" || s == "div" || s == "rem" || s == "band" || s == "and")
      return op_info{500, assoc::left};
    return std::nullopt;
  }

  static bool prefix_op(const token& t) {
    return t.kind == tk::symbol && (t.text == "+" || t.text == "-" || t.text == "bnot" || t.text == "not");
  }

  term binary(int min_prec, bool pattern) {
    depth_guard guard(*this);
    term lhs = unary(pattern);
    for (;;) {
      auto op = binary_op(peek(), pattern);
      if (!op || op->prec < min_prec) break;
      const token& opt = t_[p_++];
      term rhs = binary(op->as == assoc::right ? op->prec : op->prec + 1, pattern);
      if (opt.text == "=") {
        lhs = node("match", anno(lhs), {lhs, rhs});
      } else {
        lhs = node("op", opt.line, {a(opt.text), lhs, rhs});
      }
      if (op->as == assoc::none) {
        auto next = binary_op(peek(), pattern);
        if (next && next->prec == op->prec) syntax_error(peek());
      }
    }
    return lhs;
  }

  term unary(bool pattern) {
    depth_guard guard(*this);
    const token& t = peek();
    if (!pattern && is_sym(t, "catch")) {
      ++p_;
      term e = binary(0, false);
      return node("catch", t.line, {e});
    }
    if (prefix_op(t)) {
      ++p_;
      term e = unary(pattern);
      return node("op", t.line, {a(t.text), e});
    }
    return pattern ? pat_postfix() : postfix();
  }

  term postfix() {
    if (at("#")) return hash_chain(std::nullopt);
    term e = expr_max();
    if (at(":")) {
      const token& colon = t_[p_++];
      term f = expr_max();
      e = node("remote", colon.line, {e, f});
      if (at("(")) return call(e);
      return e;
    }
    if (at("(")) return call(e);
    if (at("#")) return hash_chain(e);
    return e;
  }

  term call(const term& f) {
    term args = argument_list();
    return node("call", anno(f), {f, args});
  }

  term argument_list() {
    expect("(");
    if (accept(")")) return term();
    term es = exprs();
    expect(")");
    return es;
  }

  std::pair<term, std::size_t> pat_argument_list() {
    const token& open = expect("(");
    std::size_t line = open.line;
    if (accept(")")) return {term(), line};
    std::vector<term> out;
    out.push_back(pat_expr());
    while (accept(",")) out.push_back(pat_expr());
    expect(")");
    return {term::list(std::move(out)), line};
  }

  enum class chain : std::uint8_t { start, max, map, record };

  // `#{...}`, `#r{...}`, `#r.f` and their chains on `base` (an expr_max) or on nothing.
  term hash_chain(std::optional<term> base) {
    chain state = base ? chain::max : chain::start;
    term e = base ? *base : term();
    while (at("#")) {
      const token& hash = t_[p_++];
      const token& n = peek();
      if (is_sym(n, "{")) {
        if (state == chain::record) syntax_error(n);
        term fields = map_tuple();
        e = state == chain::start ? node("map", hash.line, {fields}) : node("map", hash.line, {e, fields});
        state = chain::map;
      } else if (n.kind == tk::atom) {
        if (state == chain::map) syntax_error(n);
        ++p_;
        term rec = n.value;
        if (accept(".")) {
          const token& f = peek();
          if (f.kind != tk::atom) syntax_error(f);
          ++p_;
          term field = node("atom", f.line, {f.value});
          e = state == chain::start ? node("record_index", hash.line, {rec, field})
                                    : node("record_field", hash.line, {e, rec, field});
        } else {
          term fields = record_tuple();
          e = state == chain::start ? node("record", hash.line, {rec, fields})
                                    : node("record", hash.line, {e, rec, fields});
        }
        state = chain::record;
      } else {
        syntax_error(n);
      }
    }
    return e;
  }

  term map_tuple() {
    expect("{");
    if (accept("}")) return term();
    std::vector<term> fields;
    do {
      term key = expr();
      const token& op = peek();
      const char* tag = is_sym(op, "=>") ? "map_field_assoc" : is_sym(op, ":=") ? "map_field_exact" : nullptr;
      if (!tag) syntax_error(op);
      ++p_;
      term value = expr();
      fields.push_back(node(tag, op.line, {key, value}));
    } while (accept(","));
    expect("}");
    return term::list(std::move(fields));
  }

  term record_tuple() {
    expect("{");
    if (accept("}")) return term();
    std::vector<term> fields;
    do {
      const token& n = peek();
      term name;
      if (n.kind == tk::atom) {
        name = node("atom", n.line, {n.value});
      } else if (n.kind == tk::var) {
        name = node("var", n.line, {n.value});
      } else {
        syntax_error(n);
      }
      ++p_;
      expect("=");
      term value = expr();
      fields.push_back(node("record_field", n.line, {name, value}));
    } while (accept(","));
    expect("}");
    return term::list(std::move(fields));
  }

  term pat_postfix() {
    if (at("#")) {
      const token& hash = peek();
      const token& n = peek(1);
      if (n.kind == tk::atom) {
        p_ += 2;
        term rec = n.value;
        if (accept(".")) {
          const token& f = peek();
          if (f.kind != tk::atom) syntax_error(f);
          ++p_;
          return node("record_index", hash.line, {rec, node("atom", f.line, {f.value})});
        }
        return node("record", hash.line, {rec, record_tuple()});
      }
      return map_pat_chain(std::nullopt);
    }
    term e = pat_expr_max();
    if (at("#")) return map_pat_chain(e);
    return e;
  }

  term map_pat_chain(std::optional<term> base) {
    term e = base ? *base : term();
    bool first = !base;
    while (at("#")) {
      const token& hash = t_[p_++];
      if (!at("{")) syntax_error(peek());
      term fields = map_tuple();
      e = first ? node("map", hash.line, {fields}) : node("map", hash.line, {e, fields});
      first = false;
    }
    return e;
  }

  term atomic() {
    const token& t = peek();
    switch (t.kind) {
      case tk::char_: ++p_; return node("char", t.line, {t.value});
      case tk::integer: ++p_; return node("integer", t.line, {t.value});
      case tk::float_: ++p_; return node("float", t.line, {t.value});
      case tk::atom: ++p_; return node("atom", t.line, {t.value});
      case tk::var: ++p_; return node("var", t.line, {t.value});
      case tk::string: {
        std::u32string s;
        std::size_t line = t.line;
        while (peek().kind == tk::string) s += t_[p_++].chars;
        std::vector<term> cs;
        cs.reserve(s.size());
        for (char32_t c : s) cs.emplace_back(static_cast<std::int64_t>(c));
        return node("string", line, {term::list(std::move(cs))});
      }
      default: return term();
    }
  }

  bool at_atomic() const {
    auto k = peek().kind;
    return k == tk::char_ || k == tk::integer || k == tk::float_ || k == tk::atom || k == tk::var ||
           k == tk::string;
  }

  term pat_expr_max() {
    depth_guard guard(*this);
    if (at_atomic()) return atomic();
    const token& t = peek();
    if (is_sym(t, "[")) return list();
    if (is_sym(t, "<<")) return binary_expr();
    if (is_sym(t, "{")) return tuple();
    if (is_sym(t, "(")) {
      ++p_;
      term e = pat_expr();
      expect(")");
      return e;
    }
    syntax_error(t);
  }

  term expr_max() {
    depth_guard guard(*this);
    if (at_atomic()) return atomic();
    const token& t = peek();
    if (t.kind != tk::symbol) syntax_error(t);
    const std::string& s = t.text;
    if (s == "[") return list();
    if (s == "<<") return binary_expr();
    if (s == "{") return tuple();
    if (s == "(") {
      ++p_;
      term e = expr();
      expect(")");
      return e;
    }
    if (s == "begin") {
      ++p_;
      term es = exprs();
      expect("end");
      return node("block", t.line, {es});
    }
    if (s == "if") return if_expr();
    if (s == "case") return case_expr();
    if (s == "receive") return receive_expr();
    if (s == "fun") return fun_expr();
    if (s == "try") return try_expr();
    syntax_error(t);
  }

  term list() {
    const token& open = t_[p_++];
    if (at("]")) {
      ++p_;
      return node("nil", open.line, {});
    }
    term first = expr();
    if (accept("||")) {
      term qs = qualifiers();
      expect("]");
      return node("lc", open.line, {first, qs});
    }
    std::vector<term> items{first};
    term tail;
    for (;;) {
      if (at("]")) {
        tail = node("nil", peek().line, {});
        ++p_;
        break;
      }
      if (accept("|")) {
        tail = expr();
        expect("]");
        break;
      }
      expect(",");
      items.push_back(expr());
    }
    term out = tail;
    for (std::size_t k = items.size(); k-- > 0;) {
      std::size_t line = k == 0 ? open.line : anno(items[k]);
      out = node("cons", line, {items[k], out});
    }
    return out;
  }

  term qualifiers() {
    std::vector<term> qs;
    do {
      term e = expr();
      if (at("<-")) {
        const token& arrow = t_[p_++];
        term src = expr();
        qs.push_back(node("generate", arrow.line, {e, src}));
      } else if (at("<=")) {
        if (!e.is_tagged_tuple(atom("bin"), 3)) syntax_error(peek());
        const token& arrow = t_[p_++];
        term src = expr();
        qs.push_back(node("b_generate", arrow.line, {e, src}));
      } else {
        qs.push_back(e);
      }
    } while (accept(","));
    return term::list(std::move(qs));
  }

  term binary_expr() {
    const token& open = t_[p_++];
    if (accept(">>")) return node("bin", open.line, {term()});
    std::vector<term> elements;
    bool first = true;
    do {
      term value;
      bool prefixed = prefix_op(peek());
      if (prefixed) {
        const token& op = t_[p_++];
        term e = expr_max();
        value = node("op", op.line, {a(op.text), e});
      } else {
        value = expr_max();
      }
      if (first && !prefixed && at("||")) {
        ++p_;
        term qs = qualifiers();
        expect(">>");
        return node("bc", open.line, {value, qs});
      }
      first = false;
      term size = a("default");
      if (accept(":")) size = expr_max();
      term types = a("default");
      if (accept("/")) {
        std::vector<term> ts;
        do {
          const token& ty = peek();
          if (ty.kind != tk::atom) syntax_error(ty);
          ++p_;
          if (accept(":")) {
            const token& n = peek();
            if (n.kind != tk::integer) syntax_error(n);
            ++p_;
            ts.push_back(term::tuple({ty.value, n.value}));
          } else {
            ts.push_back(ty.value);
          }
        } while (accept("-"));
        types = term::list(std::move(ts));
      }
      elements.push_back(node("bin_element", anno(value), {value, size, types}));
    } while (accept(","));
    expect(">>");
    return node("bin", open.line, {term::list(std::move(elements))});
  }

  term tuple() {
    const token& open = t_[p_++];
    if (accept("}")) return node("tuple", open.line, {term()});
    term es = exprs();
    expect("}");
    return node("tuple", open.line, {es});
  }

  term opt_guard() {
    if (!accept("when")) return term();
    std::vector<term> alts;
    do alts.push_back(exprs());
    while (accept(";"));
    return term::list(std::move(alts));
  }

  term clause_body() {
    expect("->");
    return exprs();
  }

  term if_expr() {
    const token& kw = t_[p_++];
    std::vector<term> clauses;
    do {
      // A `;` before `->` separates guard alternatives; after a body it separates clauses.
      std::vector<term> alts;
      alts.push_back(exprs());
      while (accept(";")) alts.push_back(exprs());
      term guard = term::list(std::move(alts));
      term b = clause_body();
      clauses.push_back(node("clause", anno(guard.list_elements()[0].list_elements()[0]), {term(), guard, b}));
    } while (accept(";"));
    expect("end");
    return node("if", kw.line, {term::list(std::move(clauses))});
  }

  term cr_clauses() {
    std::vector<term> clauses;
    do {
      term pat = expr();
      term g = opt_guard();
      term b = clause_body();
      clauses.push_back(node("clause", anno(pat), {term::list({pat}), g, b}));
    } while (accept(";"));
    return term::list(std::move(clauses));
  }

  term case_expr() {
    const token& kw = t_[p_++];
    term e = expr();
    expect("of");
    term cs = cr_clauses();
    expect("end");
    return node("case", kw.line, {e, cs});
  }

  term receive_expr() {
    const token& kw = t_[p_++];
    term cs;
    if (!at("after")) {
      cs = cr_clauses();
      if (accept("end")) return node("receive", kw.line, {cs});
    }
    expect("after");
    term timeout = expr();
    term body = clause_body();
    expect("end");
    return node("receive", kw.line, {cs, timeout, body});
  }

  term fun_expr() {
    const token& kw = t_[p_++];
    const token& n = peek();
    if (n.kind == tk::atom && is_sym(peek(1), "/")) {
      p_ += 2;
      const token& ar = peek();
      if (ar.kind != tk::integer) syntax_error(ar);
      ++p_;
      return node("fun", kw.line, {term::tuple({a("function"), n.value, ar.value})});
    }
    if ((n.kind == tk::atom || n.kind == tk::var) && is_sym(peek(1), ":")) {
      term m = atom_or_var();
      expect(":");
      term f = atom_or_var();
      expect("/");
      const token& ar = peek();
      term arity;
      if (ar.kind == tk::integer) {
        arity = node("integer", ar.line, {ar.value});
      } else if (ar.kind == tk::var) {
        arity = node("var", ar.line, {ar.value});
      } else {
        syntax_error(ar);
      }
      ++p_;
      return node("fun", kw.line, {term::tuple({a("function"), m, f, arity})});
    }
    // Clauses, each `(Args) ...` or `Name(Args) ...`; all named alike or all unnamed.
    std::vector<term> clauses;
    std::optional<term> name;
    bool named = false;
    bool first = true;
    do {
      const token& h = peek();
      std::optional<term> this_name;
      std::size_t line = h.line;
      if (h.kind == tk::var) {
        this_name = h.value;
        ++p_;
      } else if (!is_sym(h, "(")) {
        syntax_error(h);
      }
      auto [args, paren_line] = pat_argument_list();
      if (!this_name) line = paren_line;
      term g = opt_guard();
      term b = clause_body();
      if (first) {
        named = this_name.has_value();
        name = this_name;
        first = false;
      } else if (named != this_name.has_value() || (named && !(*name == *this_name))) {
        fail(line, "erl_parse", "head mismatch");
      }
      clauses.push_back(node("clause", line, {args, g, b}));
    } while (accept(";"));
    expect("end");
    if (named) return node("named_fun", kw.line, {*name, term::list(std::move(clauses))});
    return node("fun", kw.line, {term::tuple({a("clauses"), term::list(std::move(clauses))})});
  }

  term atom_or_var() {
    const token& t = peek();
    if (t.kind == tk::atom) {
      ++p_;
      return node("atom", t.line, {t.value});
    }
    if (t.kind == tk::var) {
      ++p_;
      return node("var", t.line, {t.value});
    }
    syntax_error(t);
  }

  term try_expr() {
    const token& kw = t_[p_++];
    term body = exprs();
    term of;
    if (accept("of")) of = cr_clauses();
    term catches;
    term after;
    if (accept("catch")) {
      catches = try_clauses();
      if (accept("after")) after = exprs();
      expect("end");
    } else if (accept("after")) {
      after = exprs();
      expect("end");
    } else {
      syntax_error(peek());
    }
    return node("try", kw.line, {body, of, catches, after});
  }

  term try_clauses() {
    std::vector<term> clauses;
    do {
      const token& h = peek();
      term head;
      std::size_t line = 0;
      if ((h.kind == tk::atom || h.kind == tk::var) && is_sym(peek(1), ":")) {
        line = h.line;
        term cls = node(h.kind == tk::atom ? "atom" : "var", h.line, {h.value});
        p_ += 2;
        term pat = pat_expr();
        // No stack trace variable: `_` annotated as the pattern; else the variable as read.
        term stack = node("var", anno(pat), {a("_")});
        if (accept(":")) {
          const token& v = peek();
          if (v.kind != tk::var) syntax_error(v);
          ++p_;
          stack = node("var", v.line, {v.value});
        }
        head = node("tuple", line, {term::list({cls, pat, stack})});
      } else {
        term pat = pat_expr();
        line = anno(pat);
        head = node("tuple", line,
                    {term::list({node("atom", line, {a("throw")}), pat, node("var", line, {a("_")})})});
      }
      term g = opt_guard();
      term b = clause_body();
      clauses.push_back(node("clause", line, {term::list({head}), g, b}));
    } while (accept(";"));
    return term::list(std::move(clauses));
  }

  std::vector<token> t_;
  std::size_t p_ = 0;
  int depth_ = 0;
};

template <class F>
erl_parse_result run(std::string_view text, F&& f) {
  erl_parse_result r;
  try {
    parser p(scan_tokens(text));
    r.value = f(p);
  } catch (const failure& e) {
    r.error = e.error;
  }
  return r;
}

}  // namespace

erl_parse_result parse_exprs(std::string_view text) {
  return run(text, [](parser& p) { return p.exprs_form(); });
}

erl_parse_result parse_form(std::string_view text) {
  return run(text, [](parser& p) { return p.function_form(); });
}

}  // namespace otpp::code
