// erl_eval:eval_str/1: one form read with erl_parse, evaluated, answered as erl_call expects.
#include "otpp/code/eval_str.hpp"

#include <string>
#include <vector>

#include "otpp/code/erl_parse.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/term/print.hpp"

namespace otpp::code {

namespace {


term error_text(std::string text) { return tuple_of(atoms::error, term::string(text)); }

// erl_eval's all_white/1: only spaces, newlines and tabs.
bool all_white(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\n' && c != '\t') return false;
  return true;
}

// The value of an expression made of literals only (erl_parse:normalise/1 plus unary
// minus/plus on numbers), or nullopt.
std::optional<term> literal_value(const term& e, int depth = 0) {
  if (depth > 1000 || !e.is_tuple() || e.tuple_size() < 2 || !e[0].is_atom()) return std::nullopt;
  std::string_view tag = e[0].atom_value().name();
  auto n = e.tuple_size();
  if ((tag == "integer" || tag == "char" || tag == "float" || tag == "atom") && n == 3) return e[2];
  if (tag == "string" && n == 3) return e[2];
  if (tag == "nil" && n == 2) return term();
  if (tag == "cons" && n == 4) {
    std::vector<term> items;
    term cur = e;
    while (cur.is_tagged_tuple(atom("cons"), 4)) {
      auto h = literal_value(cur[2], depth + 1);
      if (!h) return std::nullopt;
      items.push_back(std::move(*h));
      cur = cur[3];
    }
    auto tail = literal_value(cur, depth + 1);
    if (!tail) return std::nullopt;
    return term::list(std::move(items), std::move(*tail));
  }
  if (tag == "tuple" && n == 3 && e[2].is_proper_list()) {
    std::vector<term> items;
    for (const term& x : e[2].list_elements()) {
      auto v = literal_value(x, depth + 1);
      if (!v) return std::nullopt;
      items.push_back(std::move(*v));
    }
    return term::tuple(std::move(items));
  }
  if (tag == "map" && n == 3 && e[2].is_proper_list()) {
    std::vector<std::pair<term, term>> entries;
    for (const term& f : e[2].list_elements()) {
      if (!f.is_tagged_tuple(atom("map_field_assoc"), 4)) return std::nullopt;
      auto k = literal_value(f[2], depth + 1);
      auto v = literal_value(f[3], depth + 1);
      if (!k || !v) return std::nullopt;
      entries.emplace_back(std::move(*k), std::move(*v));
    }
    return term::map(std::move(entries));
  }
  if (tag == "bin" && n == 3 && e[2].is_proper_list()) {
    // Elements without size or type: bytes (integers) and strings.
    std::vector<std::uint8_t> bytes;
    for (const term& el : e[2].list_elements()) {
      if (!el.is_tagged_tuple(atom("bin_element"), 5) || !el[3].is_atom(atom("default")) ||
          !el[4].is_atom(atom("default")))
        return std::nullopt;
      auto v = literal_value(el[2], depth + 1);
      if (!v) return std::nullopt;
      if (v->is_integer()) {
        auto i = v->to_int64();
        if (!i) return std::nullopt;
        bytes.push_back(static_cast<std::uint8_t>(*i & 0xFF));
      } else if (v->is_list() && el[2].is_tagged_tuple(atom("string"), 3)) {
        for (const term& c : v->list_elements()) bytes.push_back(static_cast<std::uint8_t>(c.small_integer() & 0xFF));
      } else {
        return std::nullopt;
      }
    }
    return term::binary(std::span<const std::uint8_t>(bytes));
  }
  if (tag == "op" && n == 4 && (e[2].atom_value().name() == "-" || e[2].atom_value().name() == "+")) {
    auto v = literal_value(e[3], depth + 1);
    if (!v || !v->is_number()) return std::nullopt;
    if (e[2].atom_value().name() == "+") return v;
    if (v->is_float()) return term(-v->float_value());
    if (auto i = v->to_int64(); i && *i != INT64_MIN) return term(-*i);
    return term::integer_from_string("-" + v->integer_to_string());
  }
  return std::nullopt;
}

// The one step that needs the evaluator: erl_eval:exprs(Exprs, []) in this process, giving
// the value of the last expression; a failure throws as the evaluated code would.
// TODO(evaluator): once code::eval_exprs is in this layer, evaluate with it here:
//   code::bindings bs; co_return co_await code::eval_exprs(self, exprs, bs);
// Until then a form evaluates when each expression is a literal (as erl_parse:normalise/1
// reads it); anything else fails as an undefined function would.
task<term> evaluate(process& self, const term& exprs) {
  (void)self;
  term last;
  for (const term& e : exprs.list_elements()) {
    auto v = literal_value(e);
    if (!v) {
      // A call M:F(Args) with literal parts names itself in the stack, as BEAM's undef does.
      term where;
      if (e.is_tagged_tuple(atom("call"), 4) && e[2].is_tagged_tuple(atom("remote"), 4)) {
        auto m = literal_value(e[2][2]);
        auto f = literal_value(e[2][3]);
        std::vector<term> args;
        for (const term& a : e[3].list_elements()) args.push_back(literal_value(a).value_or(term()));
        if (m && f) where = list_of(term::tuple({*m, *f, term::list(std::move(args)), term()}));
      }
      throw error_exception(tuple_of(atom("undef"), where));
    }
    last = std::move(*v);
  }
  co_return last;
}

}  // namespace

task<term> eval_str(process& self, term text) {
  std::string source;
  if (text.is_binary()) {
    // binary_to_list/1: each byte is one character.
    for (std::uint8_t b : text.bytes()) {
      if (b < 0x80) {
        source += static_cast<char>(b);
      } else {
        source += static_cast<char>(0xC0 | (b >> 6));
        source += static_cast<char>(0x80 | (b & 0x3F));
      }
    }
  } else if (auto t = text.is_list() ? text.to_text() : std::nullopt) {
    source = *t;
  } else {
    throw error_exception(tuple_of(atom("function_clause"), term()));
  }
  first_form form = find_first_form(source);
  if (form.error) co_return error_text("*** " + form.error->message);
  if (!form.complete) co_return error_text("Incomplete form (missing .<cr>)??");
  std::string_view rest = std::string_view(source).substr(form.end);
  if (!all_white(rest)) co_return error_text("Non-white space found after end-of-form :" + std::string(rest));
  auto parsed = parse_exprs(std::string_view(source).substr(0, form.end));
  if (!parsed) co_return error_text("*** " + parsed.error.message);
  term reason;
  try {
    term v = co_await evaluate(self, *parsed.value);
    co_return tuple_of(atoms::ok, std::move(v));
  } catch (const error_exception& e) {
    // evaluate() raises {Reason, Stack} as one term: erl_eval's 'EXIT' holds just that.
    reason = e.reason();
  } catch (const exit_exception& e) {
    reason = e.reason();
  } catch (const throw_exception& e) {
    reason = tuple_of(atom("nocatch"), e.value());
  }
  co_return error_text("*** eval: " + to_string(tuple_of(atoms::EXIT, reason)));
}

void install_eval_str(otp::node& n) {
  n.exports().add("erl_eval", "eval_str",
                  [](process& self, term text) -> task<term> { co_return co_await eval_str(self, std::move(text)); });
}

}  // namespace otpp::code
