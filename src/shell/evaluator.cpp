// Evaluation of shell expressions: Elixir's compile-time checks (undefined functions and
// variables), pattern matching with bindings, operators, calls through the builtin table and
// the node's export table, and receive through the node's hook.
#include "otpp/shell/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "otpp/term/arith.hpp"
#include "otpp/term/print.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp::shell {
namespace {

const atom kernel_module("Elixir.Kernel");
const atom helpers_module("Elixir.IEx.Helpers");

shell_exception compile_error(std::size_t line, std::string_view message) {
  return raise("CompileError", "iex:" + std::to_string(line) + ": " + std::string(message));
}

bool ignored_variable(std::string_view name) { return !name.empty() && name[0] == '_'; }

}  // namespace

// ---- builtin table ---------------------------------------------------------------------------

void builtin_table::add(std::string_view module, std::string_view function, std::size_t arity,
                        builtin_fn fn) {
  const atom m(module);
  const atom f(function);
  auto [it, inserted] = fns_.insert_or_assign(key{m.index(), f.index(), arity}, std::move(fn));
  (void)it;
  if (inserted) ++modules_[m.index()];
}

const builtin_fn* builtin_table::find(atom module, atom function, std::size_t arity) const {
  auto it = fns_.find(key{module.index(), function.index(), arity});
  return it == fns_.end() ? nullptr : &it->second;
}

bool builtin_table::has_module(atom module) const { return modules_.contains(module.index()); }

std::optional<atom> builtin_table::local_module(std::string_view name, std::size_t arity) const {
  auto f = atom::try_make(name);
  if (!f) return std::nullopt;
  if (find(kernel_module, *f, arity)) return kernel_module;
  if (find(helpers_module, *f, arity)) return helpers_module;
  return std::nullopt;
}

// ---- helpers ---------------------------------------------------------------------------------

bool truthy(const term& t) noexcept { return !(t.is_atom(atoms::nil) || t.is_atom(atoms::false_)); }

namespace {

std::string type_name(const term& t) {
  switch (t.type()) {
    case term::kind::integer:
      return "Integer";
    case term::kind::float_:
      return "Float";
    case term::kind::atom:
      return "Atom";
    case term::kind::reference:
      return "Reference";
    case term::kind::fun:
      return "Function";
    case term::kind::port:
      return "Port";
    case term::kind::pid:
      return "PID";
    case term::kind::tuple:
      return "Tuple";
    case term::kind::map:
      return "Map";
    case term::kind::nil:
    case term::kind::list:
      return "List";
    case term::kind::bitstring:
      return "BitString";
  }
  return "Any";
}

}  // namespace

std::string to_chars(const term& t, const format_context& ctx) {
  if (t.is_binary()) return std::string(t.bytes_as_string());
  if (t.is_atom())
    return t.is_atom(atoms::nil) ? std::string() : std::string(t.atom_value().name());
  if (t.is_integer()) return t.integer_to_string();
  if (t.is_float()) return format_float(t.float_value(), syntax::elixir);
  if (t.is_list()) {
    if (auto text = unicode::characters_to_utf8(t, unicode::encoding::unicode)) return *text;
  }
  throw raise("Protocol.UndefinedError", "protocol String.Chars not implemented for " +
                                             inspect(t, ctx) + " of type " + type_name(t));
}

// ---- arithmetic --------------------------------------------------------------------------------

namespace {

[[noreturn]] void badarith(std::string_view op, const term& a, const term& b) {
  throw shell_exception(error_class::error, term(atom("badarith")),
                        {stack_frame{atoms::erlang, atom(op), std::vector<term>{a, b}, 2}});
}

// A number as a double; an integer beyond the double range is infinite (Elixir's `**` and
// float bit syntax take it from there).
double to_double(const term& t) {
  if (auto d = arith::to_double(t)) return *d;
  return t.is_integer() && t.integer_is_negative() ? -HUGE_VAL : HUGE_VAL;
}

using binary_arith = std::optional<term> (*)(const term&, const term&);

const std::pair<std::string_view, binary_arith> binary_ariths[] = {
    {"+", arith::add},          {"-", arith::subtract},  {"*", arith::multiply},
    {"/", arith::float_divide}, {"div", arith::int_div}, {"rem", arith::rem},
    {"band", arith::band},      {"bor", arith::bor},     {"bxor", arith::bxor},
    {"bsl", arith::bsl},        {"bsr", arith::bsr},
};

}  // namespace

term arith(std::string_view op, const term& a, const term& b) {
  for (const auto& [name, fn] : binary_ariths) {
    if (name != op) continue;
    if (auto r = fn(a, b)) return *std::move(r);
    break;
  }
  badarith(op, a, b);
}

// ---- evaluator -------------------------------------------------------------------------------

namespace {

// The application (and version, as on Elixir 1.14 / OTP 25) that iex names in a stack frame
// of a standard module: `(elixir 1.14.0) String.nosuch(1)`. `:erlang` belongs to erts, which
// is not a loaded application, so iex names none.
std::string application_of(atom m) {
  const std::string_view n = m.name();
  if (n.starts_with("Elixir.IEx")) return "iex 1.14.0";
  if (n.starts_with("Elixir.")) return "elixir 1.14.0";
  static constexpr std::string_view stdlib[] = {
      "lists",  "io",       "io_lib", "string",     "maps",     "proplists", "timer", "unicode",
      "binary", "math",     "sets",   "dict",       "orddict",  "ordsets",   "queue", "gen_server",
      "gen",    "proc_lib", "sys",    "supervisor", "erl_eval", "calendar",  "ets",   "filename"};
  static constexpr std::string_view kernel[] = {"rpc",         "erpc",   "net_kernel", "net_adm",
                                                "global",      "code",   "os",         "file",
                                                "application", "logger", "inet",       "gen_tcp"};
  for (std::string_view s : stdlib) {
    if (n == s) return "stdlib 4.2";
  }
  for (std::string_view k : kernel) {
    if (n == k) return "kernel 8.5.3";
  }
  return {};
}

}  // namespace

struct evaluator::pattern_state {
  std::set<std::string, std::less<>> bound;  // variables bound earlier in this pattern
  const bindings* outer = nullptr;           // for pins
};

evaluator::evaluator(builtin_table& table, eval_hooks hooks)
    : table_(table), hooks_(std::move(hooks)) {
  format_.module_exists = [this](atom m) {
    return table_.has_module(m) || (hooks_.external_module && hooks_.external_module(m));
  };
  // Only the node's own modules are known in full; the built-in modules are a part of what
  // Elixir has, so a list of their functions would mislead.
  format_.module_functions = [this](atom m) {
    if (table_.has_module(m) || !hooks_.external_functions)
      return std::vector<std::pair<atom, std::size_t>>{};
    return hooks_.external_functions(m);
  };
  format_.application = [this](atom m) { return table_.has_module(m) ? application_of(m) : ""; };
}

void evaluator::write(std::string_view text) const {
  if (hooks_.output) hooks_.output(text);
}

// -- compile check --

namespace {

struct checker {
  const builtin_table& table;
  std::size_t line_base;
  const std::function<void(std::string_view)>& warn;

  [[nodiscard]] std::size_t line(const expr& e) const { return line_base + e.at.line - 1; }

  void expr_(const expr& e, std::set<std::string, std::less<>>& scope) {
    switch (e.kind) {
      case expr_kind::literal:
        return;
      case expr_kind::variable:
        if (e.name == "_") {
          throw compile_error(
              line(e),
              "invalid use of _. \"_\" represents a value to be ignored in a pattern and "
              "cannot be used in expressions");
        }
        if (scope.contains(e.name)) return;
        if (table.local_module(e.name, 0)) return;
        if (warn) {
          warn("warning: variable \"" + e.name + "\" does not exist and is being expanded to \"" +
               e.name +
               "()\", please use parentheses to remove the ambiguity or change the variable name\n "
               " iex:" +
               std::to_string(line(e)) + "\n\n");
        }
        throw compile_error(line(e),
                            "undefined function " + e.name + "/0 (there is no such import)");
      case expr_kind::pin:
        throw compile_error(line(e),
                            "misplaced operator ^" + e.name +
                                "\n\nThe pin operator ^ is supported only inside matches or inside "
                                "custom macros. Make sure you are inside a match or all necessary "
                                "macros have been required");
      case expr_kind::tuple:
      case expr_kind::binary:
      case expr_kind::interpolation:
      case expr_kind::block:
        // Segment types (`::binary`, `::size(n)`) are read when the binary is built.
        for (const auto& x : e.items) expr_(*x, scope);
        return;
      case expr_kind::list:
        for (const auto& x : e.items) expr_(*x, scope);
        if (e.tail) expr_(*e.tail, scope);
        return;
      case expr_kind::map:
        if (e.target) expr_(*e.target, scope);
        for (const auto& [k, v] : e.pairs) {
          expr_(*k, scope);
          expr_(*v, scope);
        }
        return;
      case expr_kind::match: {
        expr_(*e.items[1], scope);
        std::set<std::string, std::less<>> fresh;
        pattern_(*e.items[0], scope, fresh);
        scope.insert(fresh.begin(), fresh.end());
        return;
      }
      case expr_kind::unary:
        expr_(*e.items[0], scope);
        return;
      case expr_kind::binary_op:
        if (e.name == "when")
          throw compile_error(line(e), "undefined function when/2 (there is no such import)");
        if (e.name == "..")
          throw compile_error(line(e), "ranges are not supported by the otpp shell yet");
        expr_(*e.items[0], scope);
        expr_(*e.items[1], scope);
        return;
      case expr_kind::local_call: {
        if (e.ambiguous_unary && scope.contains(e.name)) {
          std::string arg = e.items.empty() ? "" : to_source(*e.items[0]);
          const std::string op = arg.empty() ? "-" : arg.substr(0, 1);
          throw compile_error(line(e), "\"" + e.name + " " + arg +
                                           "\" looks like a function call but there is a "
                                           "variable named \"" +
                                           e.name +
                                           "\". If you want to perform a function "
                                           "call, use parentheses:\n\n    " +
                                           e.name + "(" + arg +
                                           ")\n\nIf you want "
                                           "to perform an operation on the variable " +
                                           e.name +
                                           ", use spaces "
                                           "around the unary operator");
        }
        for (const auto& x : e.items) expr_(*x, scope);
        if (!table.local_module(e.name, e.items.size())) {
          throw compile_error(line(e), "undefined function " + e.name + "/" +
                                           std::to_string(e.items.size()) +
                                           " (there is no such import)");
        }
        return;
      }
      case expr_kind::remote_call:
      case expr_kind::dot:
      case expr_kind::fun_call:
        expr_(*e.target, scope);
        for (const auto& x : e.items) expr_(*x, scope);
        return;
      case expr_kind::receive:
      case expr_kind::case_:
      case expr_kind::cond:
        if (e.target) expr_(*e.target, scope);
        for (const clause& c : e.clauses) {
          auto inner = scope;
          if (e.kind == expr_kind::cond) {
            expr_(*c.pattern, inner);
          } else {
            std::set<std::string, std::less<>> fresh;
            pattern_(*c.pattern, scope, fresh);
            inner.insert(fresh.begin(), fresh.end());
          }
          if (c.guard) expr_(*c.guard, inner);
          for (const auto& x : c.body) expr_(*x, inner);
        }
        if (e.after_timeout) {
          auto inner = scope;
          expr_(*e.after_timeout, inner);
          for (const auto& x : e.after_body) expr_(*x, inner);
        }
        return;
      case expr_kind::if_: {
        expr_(*e.target, scope);
        for (const auto& branch : e.items) {
          if (!branch) continue;
          auto inner = scope;
          expr_(*branch, inner);
        }
        return;
      }
      case expr_kind::unsupported: {
        std::string what = e.name == "fn"  ? "anonymous functions (fn) are"
                           : e.name == "&" ? "the capture operator & is"
                           : e.name == "@" ? "module attributes are"
                                           : e.name + " is";
        throw compile_error(line(e), what + " not supported by the otpp shell yet");
      }
    }
  }

  void pattern_(const expr& e, const std::set<std::string, std::less<>>& outer,
                std::set<std::string, std::less<>>& fresh) {
    switch (e.kind) {
      case expr_kind::literal:
        return;
      case expr_kind::variable:
        if (!ignored_variable(e.name)) fresh.insert(e.name);
        return;
      case expr_kind::pin:
        if (!outer.contains(e.name)) {
          throw compile_error(line(e), "undefined variable ^" + e.name + ". No variable \"" +
                                           e.name +
                                           "\" has been defined before the current pattern");
        }
        return;
      case expr_kind::tuple:
        for (const auto& x : e.items) pattern_(*x, outer, fresh);
        return;
      case expr_kind::list:
        for (const auto& x : e.items) pattern_(*x, outer, fresh);
        if (e.tail) pattern_(*e.tail, outer, fresh);
        return;
      case expr_kind::map:
        if (e.target) break;
        for (const auto& [k, v] : e.pairs) {
          if (k->kind != expr_kind::literal && k->kind != expr_kind::pin) {
            throw compile_error(
                line(*k), "cannot use variable " + to_source(*k) + " as map key inside a pattern");
          }
          pattern_(*k, outer, fresh);
          pattern_(*v, outer, fresh);
        }
        return;
      case expr_kind::match:
        pattern_(*e.items[0], outer, fresh);
        pattern_(*e.items[1], outer, fresh);
        return;
      case expr_kind::binary_op:
        if (e.name == "<>" && e.items[0]->kind == expr_kind::literal &&
            e.items[0]->value.is_binary()) {
          pattern_(*e.items[1], outer, fresh);
          return;
        }
        if (e.name == "++" && e.items[0]->kind == expr_kind::literal &&
            e.items[0]->value.is_list()) {
          pattern_(*e.items[1], outer, fresh);
          return;
        }
        break;
      default:
        break;
    }
    if (e.kind == expr_kind::local_call || e.kind == expr_kind::remote_call) {
      throw compile_error(line(e),
                          "cannot invoke remote function " + to_source(e) + " inside a match");
    }
    throw compile_error(line(e), "invalid pattern in match: " + to_source(e));
  }
};

}  // namespace

void evaluator::check(const program& p, const bindings& env, std::size_t line_base) {
  std::set<std::string, std::less<>> scope;
  for (const auto& [name, value] : env) scope.insert(name);
  checker c{table_, line_base, warn};
  for (const auto& e : p.exprs) c.expr_(*e, scope);
}

term evaluator::run(const program& p, bindings& env, std::size_t line_base) {
  check(p, env, line_base);
  term result(atoms::nil);
  for (const auto& e : p.exprs) result = eval(*e, env);
  return result;
}

term evaluator::eval_body(const std::vector<expr_ptr>& body, bindings& env) {
  term result(atoms::nil);
  for (const auto& e : body) result = eval(*e, env);
  return result;
}

// -- pattern matching --

bool evaluator::match(const expr& p, const term& v, bindings& env, pattern_state& st) {
  switch (p.kind) {
    case expr_kind::literal:
      return exact_equal(p.value, v);
    case expr_kind::variable: {
      if (ignored_variable(p.name)) return true;
      if (st.bound.contains(p.name)) return exact_equal(env.at(p.name), v);
      st.bound.insert(p.name);
      env.insert_or_assign(p.name, v);
      return true;
    }
    case expr_kind::pin: {
      auto it = st.outer->find(p.name);
      return it != st.outer->end() && exact_equal(it->second, v);
    }
    case expr_kind::tuple: {
      if (!v.is_tuple() || v.tuple_size() != p.items.size()) return false;
      for (std::size_t i = 0; i < p.items.size(); ++i) {
        if (!match(*p.items[i], v[i], env, st)) return false;
      }
      return true;
    }
    case expr_kind::list: {
      if (!v.is_list()) return false;
      auto elems = v.list_elements();
      if (elems.size() < p.items.size()) return false;
      if (!p.tail && elems.size() != p.items.size()) return false;
      for (std::size_t i = 0; i < p.items.size(); ++i) {
        if (!match(*p.items[i], elems[i], env, st)) return false;
      }
      if (p.tail) {
        std::vector<term> rest(elems.begin() + static_cast<std::ptrdiff_t>(p.items.size()),
                               elems.end());
        term tail_value = rest.empty() ? v.list_tail() : term::list(std::move(rest), v.list_tail());
        return match(*p.tail, tail_value, env, st);
      }
      return v.list_tail().is_nil();
    }
    case expr_kind::map: {
      if (!v.is_map()) return false;
      for (const auto& [k, pv] : p.pairs) {
        term key;
        if (k->kind == expr_kind::pin) {
          auto it = st.outer->find(k->name);
          if (it == st.outer->end()) return false;
          key = it->second;
        } else {
          key = k->value;
        }
        const term* found = v.map_find(key);
        if (!found || !match(*pv, *found, env, st)) return false;
      }
      return true;
    }
    case expr_kind::match:
      return match(*p.items[0], v, env, st) && match(*p.items[1], v, env, st);
    case expr_kind::binary_op: {
      if (p.name == "<>") {
        if (!v.is_binary()) return false;
        const std::string_view prefix = p.items[0]->value.bytes_as_string();
        const std::string_view s = v.bytes_as_string();
        if (s.substr(0, prefix.size()) != prefix) return false;
        return match(*p.items[1], v.binary_slice(prefix.size(), s.size() - prefix.size()), env, st);
      }
      if (p.name == "++") {
        if (!v.is_list()) return false;
        auto prefix = p.items[0]->value.list_elements();
        auto elems = v.list_elements();
        if (elems.size() < prefix.size()) return false;
        for (std::size_t i = 0; i < prefix.size(); ++i) {
          if (!exact_equal(prefix[i], elems[i])) return false;
        }
        std::vector<term> rest(elems.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                               elems.end());
        term tail_value = rest.empty() ? v.list_tail() : term::list(std::move(rest), v.list_tail());
        return match(*p.items[1], tail_value, env, st);
      }
      return false;
    }
    default:
      return false;
  }
}

bool evaluator::match_clause(const clause& c, const term& value, bindings& env) {
  pattern_state st;
  const bindings outer = env;
  st.outer = &outer;
  if (!match(*c.pattern, value, env, st)) return false;
  if (!c.guard) return true;
  try {
    return eval(*c.guard, env).is_atom(atoms::true_);
  } catch (const shell_exception&) {
    return false;  // an exception in a guard fails the guard
  }
}

// -- expressions --

term evaluator::call(atom module, atom function, std::span<const term> args, const bindings& env) {
  if (const builtin_fn* fn = table_.find(module, function, args.size())) {
    call_context ctx{*this, env};
    return (*fn)(ctx, args);
  }
  if (hooks_.external_call) {
    if (auto r = hooks_.external_call(module, function, args)) return *r;
  }
  throw shell_exception(
      error_class::error, term(atoms::undef),
      {stack_frame{module, function, std::vector<term>(args.begin(), args.end()), args.size()}});
}

term evaluator::eval_call(const expr& e, atom module, std::string_view name, std::vector<term> args,
                          const bindings& env) {
  (void)e;
  auto f = atom::try_make(name);
  if (!f) throw raise("ArgumentError", "function name too long");
  return call(module, *f, args, env);
}

term evaluator::build_binary(const expr& e, bindings& env) {
  std::string bytes;
  for (const auto& [seg, spec] : e.pairs) {
    const term v = eval(*seg, env);
    std::string type = "integer";
    long long size_bits = -1;
    if (spec) {
      if (spec->kind == expr_kind::literal && spec->value.is_integer()) {
        size_bits = spec->value.to_int64().value_or(8);
      } else if (spec->kind == expr_kind::variable) {
        type = spec->name;
      } else if (spec->kind == expr_kind::local_call && spec->name == "size" &&
                 spec->items.size() == 1) {
        size_bits = eval(*spec->items[0], env).to_int64().value_or(8);
      } else {
        throw raise("ArgumentError", "unsupported binary segment type: " + to_source(*spec));
      }
    } else if (v.is_binary()) {
      type = "binary";
    } else if (v.is_float()) {
      type = "float";
    }
    auto bad = [&]() {
      return raise("ArgumentError", "construction of binary failed: segment 1 of type '" + type +
                                        "': expected an " + type + " but got: " + inspect(v));
    };
    if (type == "binary" || type == "bytes" || type == "bitstring" || type == "bits") {
      if (!v.is_binary()) throw bad();
      bytes.append(v.bytes_as_string());
    } else if (type == "utf8") {
      if (!v.is_integer()) throw bad();
      if (!unicode::is_scalar_value(v.to_int64().value_or(-1))) throw bad();
      unicode::append_utf8(bytes, static_cast<char32_t>(*v.to_int64()));
    } else if (type == "float") {
      if (!v.is_number()) throw bad();
      const double d = to_double(v);
      std::uint64_t u = 0;
      std::memcpy(&u, &d, sizeof d);
      for (int k = 7; k >= 0; --k) bytes += static_cast<char>(u >> (8 * k));
    } else if (type == "integer") {
      if (!v.is_integer()) throw bad();
      if (size_bits < 0) size_bits = 8;
      if (size_bits % 8 != 0)
        throw raise("ArgumentError", "bit sizes that are not multiples of 8 are not supported");
      const term masked = v;
      const auto mag = masked.integer_magnitude();
      const bool neg = masked.integer_is_negative();
      // two's complement, big-endian, size_bits/8 bytes
      std::vector<std::uint8_t> le(static_cast<std::size_t>(size_bits / 8), 0);
      for (std::size_t i = 0; i < le.size() && i < mag.size(); ++i) le[i] = mag[i];
      if (neg) {
        unsigned carry = 1;
        for (auto& b : le) {
          const unsigned x = static_cast<std::uint8_t>(~b) + carry;
          b = static_cast<std::uint8_t>(x);
          carry = x >> 8;
        }
      }
      for (std::size_t i = le.size(); i-- > 0;) bytes += static_cast<char>(le[i]);
    } else {
      throw raise("ArgumentError", "unsupported binary segment type: " + type);
    }
  }
  return term::binary(bytes);
}

term evaluator::eval_binary_op(const expr& e, bindings& env) {
  const std::string& op = e.name;
  if (op == "and" || op == "or") {
    const term a = eval(*e.items[0], env);
    if (!a.is_atom(atoms::true_) && !a.is_atom(atoms::false_)) {
      throw raise("BadBooleanError",
                  "expected a boolean on left-side of \"" + op + "\", got: " + inspect(a));
    }
    if (op == "and" ? a.is_atom(atoms::false_) : a.is_atom(atoms::true_)) return a;
    return eval(*e.items[1], env);
  }
  if (op == "&&" || op == "||") {
    const term a = eval(*e.items[0], env);
    if (op == "&&" ? !truthy(a) : truthy(a)) return a;
    return eval(*e.items[1], env);
  }
  const term a = eval(*e.items[0], env);
  const term b = eval(*e.items[1], env);
  if (op == "+" || op == "-" || op == "*" || op == "/") return arith(op, a, b);
  if (op == "**") {
    if (a.is_integer() && b.is_integer() && !b.integer_is_negative()) {
      term r(1);
      const auto n = b.to_int64().value_or(0);
      for (long long i = 0; i < n; ++i) r = arith("*", r, a);
      return r;
    }
    if (!a.is_number() || !b.is_number()) badarith("**", a, b);
    return term(std::pow(to_double(a), to_double(b)));
  }
  if (op == "==") return term::boolean(equal(a, b));
  if (op == "!=") return term::boolean(!equal(a, b));
  if (op == "===") return term::boolean(exact_equal(a, b));
  if (op == "!==") return term::boolean(!exact_equal(a, b));
  if (op == "<") return term::boolean(compare(a, b) < 0);
  if (op == ">") return term::boolean(compare(a, b) > 0);
  if (op == "<=") return term::boolean(compare(a, b) <= 0);
  if (op == ">=") return term::boolean(compare(a, b) >= 0);
  if (op == "<>") {
    if (!a.is_binary())
      throw raise("ArgumentError",
                  "expected binary argument in <> operator but got: " + inspect(a));
    if (!b.is_binary())
      throw raise("ArgumentError",
                  "expected binary argument in <> operator but got: " + inspect(b));
    std::string s(a.bytes_as_string());
    s.append(b.bytes_as_string());
    return term::binary(s);
  }
  if (op == "++") {
    if (!a.is_list() || !a.is_proper_list()) {
      throw shell_exception(error_class::error, term(atoms::badarg),
                            {stack_frame{atoms::erlang, atom("++"), std::vector<term>{a, b}, 2}});
    }
    if (a.is_nil()) return b;
    return term::list(std::vector<term>(a.list_elements().begin(), a.list_elements().end()), b);
  }
  if (op == "--") {
    if (!a.is_list() || !a.is_proper_list() || !b.is_list() || !b.is_proper_list()) {
      throw shell_exception(error_class::error, term(atoms::badarg),
                            {stack_frame{atoms::erlang, atom("--"), std::vector<term>{a, b}, 2}});
    }
    std::vector<term> left(a.list_elements().begin(), a.list_elements().end());
    for (const term& x : b.list_elements()) {
      auto it =
          std::find_if(left.begin(), left.end(), [&](const term& y) { return exact_equal(x, y); });
      if (it != left.end()) left.erase(it);
    }
    return term::list(std::move(left));
  }
  if (op == "in" || op == "not in") {
    bool found = false;
    if (b.is_list()) {
      for (const term& x : b.list_elements()) {
        if (exact_equal(x, a)) {
          found = true;
          break;
        }
      }
    } else if (b.is_map()) {
      if (a.is_tuple() && a.tuple_size() == 2) {
        const term* v = b.map_find(a[0]);
        found = v && exact_equal(*v, a[1]);
      }
    } else {
      throw raise("Protocol.UndefinedError", "protocol Enumerable not implemented for " +
                                                 inspect(b) + " of type " + type_name(b));
    }
    return term::boolean(op == "in" ? found : !found);
  }
  if (op == "=~") {
    if (!a.is_binary() || !b.is_binary())
      throw raise("ArgumentError", "=~ needs two strings in the otpp shell");
    return term::boolean(a.bytes_as_string().find(b.bytes_as_string()) != std::string_view::npos);
  }
  throw raise("ArgumentError", "the operator " + op + " is not supported by the otpp shell");
}

term evaluator::eval_receive(const expr& e, bindings& env) {
  std::optional<std::chrono::milliseconds> timeout;
  if (e.after_timeout) {
    const term t = eval(*e.after_timeout, env);
    if (t.is_atom(atoms::infinity)) {
      timeout.reset();
    } else if (auto ms = t.to_int64(); ms && *ms >= 0 && *ms <= 0xFFFFFFFFLL) {
      timeout = std::chrono::milliseconds(*ms);
    } else {
      throw shell_exception(error_class::error, term(atom("timeout_value")));
    }
  }
  if (!hooks_.receive) throw raise("RuntimeError", "receive needs a running node");
  auto matches = [&](const term& msg) {
    for (const clause& c : e.clauses) {
      bindings scratch = env;
      if (match_clause(c, msg, scratch)) return true;
    }
    return false;
  };
  std::optional<term> msg;
  if (e.clauses.empty()) {
    msg = hooks_.receive([](const term&) { return false; }, timeout);
  } else {
    msg = hooks_.receive(matches, timeout);
  }
  if (!msg) {
    bindings inner = env;
    return eval_body(e.after_body, inner);
  }
  for (const clause& c : e.clauses) {
    bindings inner = env;
    if (match_clause(c, *msg, inner)) return eval_body(c.body, inner);
  }
  return term(atoms::nil);  // unreachable: the hook only returns a matching message
}

term evaluator::eval(const expr& e, bindings& env) {
  switch (e.kind) {
    case expr_kind::literal:
      return e.value;
    case expr_kind::variable: {
      if (auto it = env.find(e.name); it != env.end()) return it->second;
      if (auto m = table_.local_module(e.name, 0)) return eval_call(e, *m, e.name, {}, env);
      throw shell_exception(error_class::error, term(atoms::undef),
                            {stack_frame{kernel_module, atom(e.name), std::vector<term>{}, 0}});
    }
    case expr_kind::pin:
      throw raise("CompileError", "misplaced operator ^" + e.name);
    case expr_kind::tuple: {
      std::vector<term> items;
      items.reserve(e.items.size());
      for (const auto& x : e.items) items.push_back(eval(*x, env));
      return term::tuple(std::move(items));
    }
    case expr_kind::list: {
      std::vector<term> items;
      items.reserve(e.items.size());
      for (const auto& x : e.items) items.push_back(eval(*x, env));
      term tail = e.tail ? eval(*e.tail, env) : term();
      if (items.empty()) return tail;
      return term::list(std::move(items), std::move(tail));
    }
    case expr_kind::map: {
      std::vector<std::pair<term, term>> entries;
      if (e.target) {
        const term base = eval(*e.target, env);
        if (!base.is_map())
          throw shell_exception(error_class::error, tuple_of(atom("badmap"), base));
        entries.assign(base.map_entries().begin(), base.map_entries().end());
        for (const auto& [k, v] : e.pairs) {
          const term key = eval(*k, env);
          if (!base.map_find(key))
            throw shell_exception(error_class::error, tuple_of(atom("badkey"), key, base));
          entries.emplace_back(key, eval(*v, env));
        }
        return term::map(std::move(entries));
      }
      for (const auto& [k, v] : e.pairs) {
        term key = eval(*k, env);
        entries.emplace_back(std::move(key), eval(*v, env));
      }
      return term::map(std::move(entries));
    }
    case expr_kind::binary:
      return build_binary(e, env);
    case expr_kind::interpolation: {
      std::string out;
      for (const auto& part : e.items) out += to_chars(eval(*part, env), format_);
      return term::binary(out);
    }
    case expr_kind::match: {
      const term v = eval(*e.items[1], env);
      bindings next = env;
      pattern_state st;
      st.outer = &env;
      if (!match(*e.items[0], v, next, st)) {
        throw shell_exception(error_class::error, tuple_of(atom("badmatch"), v));
      }
      env = std::move(next);
      return v;
    }
    case expr_kind::unary: {
      const term v = eval(*e.items[0], env);
      if (e.name == "-" || e.name == "+") {
        if (!v.is_number()) {
          throw shell_exception(
              error_class::error, term(atom("badarith")),
              {stack_frame{atoms::erlang, atom(e.name), std::vector<term>{v}, 1}});
        }
        return e.name == "-" ? arith("-", term(0), v) : v;
      }
      if (e.name == "!") return term::boolean(!truthy(v));
      if (e.name == "not") {
        if (v.is_atom(atoms::true_)) return term(atoms::false_);
        if (v.is_atom(atoms::false_)) return term(atoms::true_);
        throw shell_exception(error_class::error, term(atoms::badarg),
                              {stack_frame{atoms::erlang, atom("not"), std::vector<term>{v}, 1}});
      }
      throw raise("ArgumentError", "unknown unary operator " + e.name);
    }
    case expr_kind::binary_op:
      return eval_binary_op(e, env);
    case expr_kind::local_call: {
      std::vector<term> args;
      args.reserve(e.items.size());
      for (const auto& x : e.items) args.push_back(eval(*x, env));
      auto m = table_.local_module(e.name, args.size());
      if (!m)
        throw compile_error(e.at.line,
                            "undefined function " + e.name + "/" + std::to_string(args.size()));
      return eval_call(e, *m, e.name, std::move(args), env);
    }
    case expr_kind::remote_call:
    case expr_kind::dot: {
      const term target = eval(*e.target, env);
      if (e.kind == expr_kind::dot && !target.is_atom()) {
        const term key(atom(e.name));
        if (target.is_map()) {
          if (const term* v = target.map_find(key)) return *v;
          throw raise("KeyError", "key " + inspect(key) + " not found in: " + inspect(target));
        }
        throw raise("KeyError",
                    "key " + inspect(key) + " not found in: " + inspect(target) +
                        ". If you are using the dot syntax, such as map.field, make sure the "
                        "left-hand side of the dot is a map");
      }
      std::vector<term> args;
      args.reserve(e.items.size());
      for (const auto& x : e.items) args.push_back(eval(*x, env));
      if (!target.is_atom()) {
        throw shell_exception(error_class::error, tuple_of(atom("badfun"), target));
      }
      return eval_call(e, target.atom_value(), e.name, std::move(args), env);
    }
    case expr_kind::fun_call: {
      const term f = eval(*e.target, env);
      std::vector<term> args;
      for (const auto& x : e.items) args.push_back(eval(*x, env));
      if (f.is_fun() && f.fun_content().is_export && f.fun_content().arity == args.size()) {
        return call(f.fun_content().module, f.fun_content().function, args, env);
      }
      throw shell_exception(error_class::error, tuple_of(atom("badfun"), f));
    }
    case expr_kind::block:
      return eval_body(e.items, env);
    case expr_kind::receive:
      return eval_receive(e, env);
    case expr_kind::case_: {
      const term v = eval(*e.target, env);
      for (const clause& c : e.clauses) {
        bindings inner = env;
        if (match_clause(c, v, inner)) return eval_body(c.body, inner);
      }
      throw shell_exception(error_class::error, tuple_of(atom("case_clause"), v));
    }
    case expr_kind::cond: {
      for (const clause& c : e.clauses) {
        bindings inner = env;
        if (truthy(eval(*c.pattern, inner))) return eval_body(c.body, inner);
      }
      throw shell_exception(error_class::error, term(atom("cond_clause")));
    }
    case expr_kind::if_: {
      const term c = eval(*e.target, env);
      const bool take_then = e.name == "if" ? truthy(c) : !truthy(c);
      const expr_ptr& branch = take_then ? e.items[0] : e.items[1];
      if (!branch) return term(atoms::nil);
      bindings inner = env;
      return eval(*branch, inner);
    }
    case expr_kind::unsupported:
      throw compile_error(e.at.line, e.name + " is not supported by the otpp shell yet");
  }
  return term(atoms::nil);
}

}  // namespace otpp::shell
