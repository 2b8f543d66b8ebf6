// Lowers the Elixir tree of ast.hpp to Erlang abstract format the way Elixir's own compiler
// does (elixir_expand, elixir_erl_pass, elixir_rewrite): Kernel's operators and inlined
// functions become `erlang` calls, control macros become `case`, variables get versioned
// names, `for` reduces through `Enum`, `rescue` normalizes through `Exception`.
#include <algorithm>
#include <optional>
#include <set>

#include "code/elixir/ast.hpp"
#include "otpp/code/elixir.hpp"

namespace otpp::code {
namespace elixir {
namespace {

struct compile_failure {
  std::size_t offset = 0;
  std::string message;
  std::string kind = "CompileError";
};

using env = std::map<std::string, std::string, std::less<>>;

// What binding a pattern does: the names it binds (first occurrence makes a new version,
// later ones in the same pattern match it), and, in fn heads, pins turned into guards.
struct pattern_state {
  env bound;
  bool pins_as_guards = false;
  std::vector<term> pin_guards;
};

// Forms are built in hundreds of places: an atom and a tuple get one-letter builders.
term a(std::string_view name) { return atom(name); }
term t(std::initializer_list<term> items) { return term::tuple(items); }

bool is_call(const ex& e, std::string_view name) { return e.kind == ex_kind::call && !e.target && e.name == name; }
// A sigil node's name: `~` and its letter (operators such as `~>` are not).
bool is_sigil(std::string_view name) {
  return name.size() == 2 && name[0] == '~' &&
         ((name[1] >= 'a' && name[1] <= 'z') || (name[1] >= 'A' && name[1] <= 'Z'));
}
// An operator or special form named with an arity it does not have (`Kernel.=(1)`).
bool wrong_special_arity(std::string_view n, std::size_t arity) {
  static const std::set<std::string_view> binary_only = {"=", "|>", "<>", "..", "&&", "||", "and", "or", "in",
                                                         "not in", "<-", "when", "::", "\\\\", "->"};
  static const std::set<std::string_view> unary_only = {"!", "^", "@", "&"};
  return (binary_only.count(n) && arity != 2) || (unary_only.count(n) && arity != 1) || (n == "..//" && arity != 3);
}
bool is_atom_literal(const ex& e) { return e.kind == ex_kind::literal && e.value.is_atom(); }

// A do-block or keyword argument: the value for `key` in a trailing keyword list.
const ex* keyword_value(const ex* list, std::string_view key) {
  if (!list || list->kind != ex_kind::list) return nullptr;
  for (const auto& item : list->args) {
    if (is_call(*item, "{}") && item->args.size() == 2 && is_atom_literal(*item->args[0]) &&
        item->args[0]->value.atom_value().name() == key) {
      return item->args[1].get();
    }
  }
  return nullptr;
}

bool is_keyword_list(const ex& e) {
  if (e.kind != ex_kind::list || e.tail || e.args.empty()) return false;
  return std::all_of(e.args.begin(), e.args.end(), [](const ex_ptr& item) {
    return is_call(*item, "{}") && item->args.size() == 2 && is_atom_literal(*item->args[0]);
  });
}

// Kernel functions Elixir inlines to an `erlang` function of the same name and arity.
bool erlang_same_name(std::string_view name, std::size_t arity) {
  static const std::set<std::pair<std::string_view, std::size_t>> table = {
      {"abs", 1},          {"apply", 2},        {"apply", 3},         {"binary_part", 3},
      {"bit_size", 1},     {"byte_size", 1},    {"ceil", 1},          {"exit", 1},
      {"floor", 1},        {"hd", 1},           {"is_atom", 1},       {"is_binary", 1},
      {"is_bitstring", 1}, {"is_boolean", 1},   {"is_float", 1},      {"is_function", 1},
      {"is_function", 2},  {"is_integer", 1},   {"is_list", 1},       {"is_map", 1},
      {"is_number", 1},    {"is_pid", 1},       {"is_port", 1},       {"is_reference", 1},
      {"is_tuple", 1},     {"length", 1},       {"make_ref", 0},      {"map_size", 1},
      {"max", 2},          {"min", 2},          {"node", 0},          {"node", 1},
      {"round", 1},        {"self", 0},         {"spawn", 1},         {"spawn", 3},
      {"spawn_link", 1},   {"spawn_link", 3},   {"spawn_monitor", 1}, {"spawn_monitor", 3},
      {"throw", 1},        {"tl", 1},           {"trunc", 1},         {"tuple_size", 1},
      {"send", 2}};
  return table.count({name, arity}) != 0;
}

// Kernel functions that stay calls of 'Elixir.Kernel'.
bool kernel_function(std::string_view name, std::size_t arity) {
  static const std::set<std::pair<std::string_view, std::size_t>> table = {
      {"inspect", 1}, {"inspect", 2}, {"struct", 1},  {"struct", 2},  {"struct!", 1},
      {"struct!", 2}, {"get_in", 2},  {"put_in", 3},  {"update_in", 3}, {"pop_in", 2},
      {"get_and_update_in", 3},       {"**", 2},      {"=~", 2},      {"function_exported?", 3},
      {"macro_exported?", 3},         {"to_timeout", 1}};
  return table.count({name, arity}) != 0;
}

// Erlang operators a Kernel operator of that arity becomes.
std::optional<std::string_view> erlang_operator(std::string_view op, std::size_t arity) {
  if (arity == 2) {
    static const std::pair<std::string_view, std::string_view> binary[] = {
        {"+", "+"},    {"-", "-"},   {"*", "*"},     {"/", "/"},     {"==", "=="},
        {"!=", "/="},  {"===", "=:="}, {"!==", "=/="}, {"<", "<"},     {">", ">"},
        {"<=", "=<"},  {">=", ">="}, {"++", "++"},   {"--", "--"},   {"div", "div"},
        {"rem", "rem"}};
    for (const auto& [elixir_op, erlang_op] : binary) {
      if (op == elixir_op) return erlang_op;
    }
  }
  if (arity == 1 && (op == "-" || op == "+" || op == "not")) return op;
  return std::nullopt;
}

// The exceptions `rescue Alias` catches when the raw reason is an Erlang error term.
struct erlang_error_shape {
  std::string_view module;
  std::string_view tag;  // the atom, or the tuple's first element
  bool tuple;
};
constexpr erlang_error_shape erlang_errors[] = {
    {"Elixir.ArithmeticError", "badarith", false},
    {"Elixir.ArgumentError", "badarg", false},
    {"Elixir.FunctionClauseError", "function_clause", false},
    {"Elixir.UndefinedFunctionError", "undef", false},
    {"Elixir.SystemLimitError", "system_limit", false},
    {"Elixir.CondClauseError", "cond_clause", false},
    {"Elixir.MatchError", "badmatch", true},
    {"Elixir.CaseClauseError", "case_clause", true},
    {"Elixir.WithClauseError", "with_clause", true},
    {"Elixir.TryClauseError", "try_clause", true},
    {"Elixir.KeyError", "badkey", true},
    {"Elixir.BadMapError", "badmap", true},
    {"Elixir.BadFunctionError", "badfun", true},
    {"Elixir.BadArityError", "badarity", true},
    {"Elixir.BadBooleanError", "badbool", true},
};

class lowerer {
 public:
  lowerer(std::string_view text, const elixir_scope& scope, const elixir_options& options)
      : text_(text), scope_(scope), options_(options) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  term program(const std::vector<ex_ptr>& items) {
    env vars = scope_.variables;
    std::vector<term> forms;
    forms.reserve(items.size());
    for (const auto& item : items) forms.push_back(expr(*item, vars));
    scope_.variables = std::move(vars);
    return term::list(std::move(forms));
  }

  elixir_scope& scope() { return scope_; }

 private:
  // ---- helpers ----
  [[nodiscard]] term line(std::size_t offset) const {
    if (offset > text_.size()) return term(static_cast<long long>(options_.first_line));
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    return term(static_cast<long long>(it - line_starts_.begin() + options_.first_line));
  }
  [[noreturn]] static void fail(std::size_t offset, std::string message) {
    throw compile_failure{offset, std::move(message)};
  }
  std::string fresh_name(std::string_view base) {
    return "_" + std::string(base) + "@" + std::to_string(++scope_.counter);
  }
  term fresh_var(term l, std::string_view base = "") {
    return t({a("var"), l, a(fresh_name(base))});
  }
  static term atom_form(term l, std::string_view name) { return t({a("atom"), l, a(name)}); }
  static term remote(term l, std::string_view mod, std::string_view fun, std::vector<term> args) {
    return t({a("call"), l, t({a("remote"), l, atom_form(l, mod), atom_form(l, fun)}),
              term::list(std::move(args))});
  }
  static term op(term l, std::string_view name, term x, term y) {
    return t({a("op"), l, a(name), std::move(x), std::move(y)});
  }
  static term op1(term l, std::string_view name, term x) { return t({a("op"), l, a(name), std::move(x)}); }
  static term clause(term l, std::vector<term> pats, std::vector<term> guards, std::vector<term> body) {
    std::vector<term> guard_seq;
    if (!guards.empty()) guard_seq.push_back(term::list(std::move(guards)));
    return t({a("clause"), l, term::list(std::move(pats)), term::list(std::move(guard_seq)),
              term::list(std::move(body))});
  }
  static term case_of(term l, term subject, std::vector<term> clauses) {
    return t({a("case"), l, std::move(subject), term::list(std::move(clauses))});
  }
  static term block(term l, std::vector<term> body) {
    if (body.size() == 1) return body[0];
    return t({a("block"), l, term::list(std::move(body))});
  }
  static term cons_list(term l, const std::vector<term>& items, term tail) {
    term out = std::move(tail);
    for (auto it = items.rbegin(); it != items.rend(); ++it) out = t({a("cons"), l, *it, out});
    return out;
  }
  static term nil_form(term l) { return t({a("nil"), l}); }
  static term bin_string(term l, std::string_view bytes) {
    std::vector<term> chars;
    chars.reserve(bytes.size());
    for (unsigned char c : bytes) chars.emplace_back(static_cast<int>(c));
    if (chars.empty()) return t({a("bin"), l, term::list({})});
    return t({a("bin"), l, term::list({t({a("bin_element"), l, t({a("string"), l, term::list(std::move(chars))}),
                                           a("default"), a("default")})})});
  }
  static term bin_element(term l, term value, term size, term types) {
    return t({a("bin_element"), l, std::move(value), std::move(size), std::move(types)});
  }
  // Elixir's truthiness: `case X of false -> F; nil -> F; _ -> T end`.
  term truthy_case(term l, term subject, term when_true, term when_false) {
    return case_of(l, std::move(subject),
                   {clause(l, {atom_form(l, "false")}, {}, {when_false}),
                    clause(l, {atom_form(l, "nil")}, {}, {when_false}),
                    clause(l, {t({a("var"), l, a("_")})}, {}, {std::move(when_true)})});
  }
  term error_call(term l, term reason) { return remote(l, "erlang", "error", {std::move(reason)}); }

  term literal(const ex& e) {
    const term l = line(e.offset);
    const term& v = e.value;
    if (v.is_integer()) return t({a("integer"), l, v});
    if (v.is_float()) return t({a("float"), l, v});
    if (v.is_atom()) {
      if (e.is_alias) return atom_form(l, resolve_alias(e).atom_value().name());
      return atom_form(l, v.atom_value().name());
    }
    if (v.is_binary()) return bin_string(l, v.bytes_as_string());
    if (v.is_nil()) return nil_form(l);
    if (v.is_list()) return t({a("string"), l, v});
    fail(e.offset, "unsupported literal");
  }

  term resolve_alias(const ex& e) const {
    const std::string& written = e.name;
    if (written.empty()) return e.value;
    const auto dot = written.find('.');
    const std::string first = written.substr(0, dot);
    auto it = scope_.aliases.find(first);
    if (it == scope_.aliases.end()) return e.value;
    std::string full(it->second.name());
    if (dot != std::string::npos) full += written.substr(dot);
    return atom(full);
  }

  struct depth_guard {
    lowerer& l;
    depth_guard(lowerer& x, std::size_t at) : l(x) {
      if (++l.depth_ > l.options_.max_depth) fail(at, "expression nested too deeply");
    }
    ~depth_guard() { --l.depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
  };

  // ---- expressions ----
  term expr(const ex& e, env& vars) {
    depth_guard guard(*this, e.offset);
    const term l = line(e.offset);
    switch (e.kind) {
      case ex_kind::literal:
        return literal(e);
      case ex_kind::var:
        return variable(e, vars);
      case ex_kind::list: {
        std::vector<term> items;
        for (const auto& item : e.args) items.push_back(expr(*item, vars));
        term tail = e.tail ? expr(*e.tail, vars) : nil_form(l);
        return cons_list(l, items, tail);
      }
      case ex_kind::call:
        break;
    }
    if (e.target && e.name != "%{}" && e.name != "%") return remote_call(e, vars);
    return local(e, vars);
  }

  term variable(const ex& e, env& vars) {
    const term l = line(e.offset);
    if (e.no_parens) fail(e.offset, "an operator is a value only when captured: &" + e.name + "/2");
    if (auto it = vars.find(e.name); it != vars.end()) return t({a("var"), l, a(it->second)});
    if (e.name == "_") fail(e.offset, "invalid use of _. \"_\" represents a value to be ignored in a pattern and cannot be used in expressions");
    if (e.name == "__MODULE__") return atom_form(l, module_ ? module_->name : "nil");
    // A bare name that is no variable is a zero-arity call, as Elixir 1.14 still expands it.
    auto call = std::make_shared<ex>(e);
    call->kind = ex_kind::call;
    call->no_parens = true;
    if (kernel_local(e.name, 0) || (module_ && module_->functions.count({e.name, 0})) ||
        (options_.is_local && options_.is_local(e.name, 0)) || imported(e.name, 0)) {
      return local(*call, vars);
    }
    fail(e.offset, "undefined function " + e.name + "/0 (there is no such import)");
  }

  [[nodiscard]] bool kernel_local(std::string_view name, std::size_t arity) const {
    return erlang_same_name(name, arity) || kernel_function(name, arity);
  }

  std::vector<term> args_of(const ex& e, env& vars) {
    std::vector<term> out;
    out.reserve(e.args.size());
    for (const auto& arg : e.args) out.push_back(expr(*arg, vars));
    return out;
  }

  term remote_call(const ex& e, env& vars) {
    const term l = line(e.offset);
    const ex& target = *e.target;
    if (e.name == ".()") {
      term fun = expr(target, vars);
      return t({a("call"), l, fun, term::list(args_of(e, vars))});
    }
    if (is_atom_literal(target)) {
      const term mod = target.is_alias ? resolve_alias(target) : target.value;
      const std::string_view m = mod.atom_value().name();
      if (m == "Elixir.Kernel" && !wrong_special_arity(e.name, e.args.size())) {
        auto local_form = std::make_shared<ex>(e);
        local_form->target = nullptr;
        return local(*local_form, vars);
      }
      return remote(l, m, e.name, args_of(e, vars));
    }
    if (e.no_parens && e.args.empty()) {
      // `map.field`: the field of a map, or a zero-arity call on a module held in a variable.
      term subject = expr(target, vars);
      term v = fresh_var(l);
      term other = fresh_var(l);
      term field = atom_form(l, e.name);
      return case_of(
          l, subject,
          {clause(l, {t({a("map"), l, term::list({t({a("map_field_exact"), l, field, v})})})}, {}, {v}),
           clause(l, {other}, {t({a("call"), l, t({a("remote"), l, atom_form(l, "erlang"), atom_form(l, "is_map")}), term::list({other})})},
                  {error_call(l, t({a("tuple"), l, term::list({atom_form(l, "badkey"), field, other})}))}),
           clause(l, {other}, {}, {t({a("call"), l, t({a("remote"), l, other, field}), term::list({})})})});
    }
    term mod = expr(target, vars);
    return t({a("call"), l, t({a("remote"), l, mod, atom_form(l, e.name)}), term::list(args_of(e, vars))});
  }

  term local(const ex& e, env& vars) {
    const term l = line(e.offset);
    const std::string& n = e.name;
    const std::size_t arity = e.args.size();
    if (wrong_special_arity(n, arity)) {
      fail(e.offset, "undefined function " + n + "/" + std::to_string(arity) + " (there is no such import)");
    }
    if (e.ambiguous_unary && arity == 1 && vars.count(n)) {
      const std::size_t end = std::max(e.args[0]->begin, e.args[0]->end);
      const std::string_view arg = text_.substr(e.args[0]->begin, end - e.args[0]->begin);
      fail(e.offset, "\"" + n + " " + std::string(arg) + "\" looks like a function call but there is a variable named \"" + n +
                         "\". If you want to perform a function call, use parentheses:\n\n    " + n + "(" + std::string(arg) +
                         ")\n\nIf you want to perform an operation on the variable " + n +
                         ", use spaces around the unary operator");
    }
    if (n == "__block__") {
      if (e.args.empty()) return atom_form(l, "nil");
      std::vector<term> body;
      for (const auto& item : e.args) body.push_back(expr(*item, vars));
      return block(l, std::move(body));
    }
    if (n == "{}") return t({a("tuple"), l, term::list(args_of(e, vars))});
    if (n == "%{}") return map_expr(e, vars);
    if (n == "%") return struct_expr(e, vars);
    if (n == "<<>>") return binary(e, vars, nullptr);
    if (n == "=") {
      term value = expr(*e.args[1], vars);
      pattern_state ps;
      term pat = pattern(*e.args[0], vars, ps);
      for (auto& [k, v] : ps.bound) vars[k] = v;
      return t({a("match"), l, pat, value});
    }
    if (n == "fn") return fn(e, vars);
    if (n == "&") return capture(e, vars);
    if (n == "&N") {
      if (captures_ == nullptr) {
        fail(e.offset, "capture argument &" + e.value.integer_to_string() +
                           " must be used within the capture operator &");
      }
      const auto k = static_cast<std::size_t>(*e.value.to_int64());
      if (k == 0 || k > 255) fail(e.offset, "capture argument &" + e.value.integer_to_string() + " out of range");
      if (captures_->size() < k) captures_->resize(k);
      if ((*captures_)[k - 1].empty()) (*captures_)[k - 1] = fresh_name("capture");
      return t({a("var"), l, a((*captures_)[k - 1])});
    }
    if (n == "<interp>" || n == "<interp_charlist>") {
      std::vector<term> elements;
      for (const auto& part : e.args) {
        if (part->kind == ex_kind::literal) {
          if (part->value.bytes().empty()) continue;
          elements.push_back(bin_string(l, part->value.bytes_as_string()).operator[](2).list_elements()[0]);
          continue;
        }
        // As Elixir: a binary goes in as it is, anything else through String.Chars.
        term b = fresh_var(l);
        term other = fresh_var(l);
        term v = case_of(l, expr(*part, vars),
                         {clause(l, {b}, {remote(l, "erlang", "is_binary", {b})}, {b}),
                          clause(l, {other}, {}, {remote(l, "Elixir.String.Chars", "to_string", {other})})});
        elements.push_back(bin_element(l, v, a("default"), term::list({a("binary")})));
      }
      term bin = t({a("bin"), l, term::list(std::move(elements))});
      if (n == "<interp_charlist>") return remote(l, "unicode", "characters_to_list", {bin});
      return bin;
    }
    if (is_sigil(n)) return sigil(e);
    if (n == "|>") return expr(*pipe(e), vars);
    if (n == "<>") return concat(e, vars);
    if (n == ".." || n == "..//") return range(e, vars);
    if (n == "&&" || n == "||") {
      term left = expr(*e.args[0], vars);
      env inner = vars;
      term right = expr(*e.args[1], inner);
      if (n == "&&") {
        term v = fresh_var(l);
        return case_of(l, left,
                       {clause(l, {atom_form(l, "false")}, {}, {atom_form(l, "false")}),
                        clause(l, {atom_form(l, "nil")}, {}, {atom_form(l, "nil")}),
                        clause(l, {t({a("var"), l, a("_")})}, {}, {right})});
      }
      term v = fresh_var(l);
      return case_of(l, left,
                     {clause(l, {atom_form(l, "false")}, {}, {right}),
                      clause(l, {atom_form(l, "nil")}, {}, {right}), clause(l, {v}, {}, {v})});
    }
    if (n == "and" || n == "or") {
      term left = expr(*e.args[0], vars);
      env inner = vars;
      term right = expr(*e.args[1], inner);
      if (in_guard_) return op(l, n == "and" ? "andalso" : "orelse", left, right);
      term v = fresh_var(l);
      const bool is_and = n == "and";
      return case_of(
          l, left,
          {clause(l, {atom_form(l, is_and ? "false" : "true")}, {}, {atom_form(l, is_and ? "false" : "true")}),
           clause(l, {atom_form(l, is_and ? "true" : "false")}, {}, {right}),
           clause(l, {v}, {}, {error_call(l, t({a("tuple"), l, term::list({atom_form(l, "badbool"), atom_form(l, n), v})}))})});
    }
    if (n == "!" && arity == 1) {
      term v = expr(*e.args[0], vars);
      if (in_guard_) fail(e.offset, "invalid expression in guard, ! is not allowed in guards");
      return truthy_case(l, v, atom_form(l, "false"), atom_form(l, "true"));
    }
    if (n == "in" || n == "not in") {
      term in = membership(e, vars);
      return n == "in" ? in : op1(l, "not", in);
    }
    if (n == "^") {
      fail(e.offset, "cannot use ^" + (e.args[0]->kind == ex_kind::var ? e.args[0]->name : std::string("")) +
                         " outside of match clauses");
    }
    if (n == "@") {
      if (!module_) throw compile_failure{e.offset, "cannot invoke @/1 outside module", "ArgumentError"};
      const ex& attr = *e.args[0];
      auto it = module_->attributes.find(attr.name);
      if (attr.kind != ex_kind::var || it == module_->attributes.end()) return atom_form(l, "nil");
      env none;
      return expr(*it->second, none);  // an attribute reads the value given at definition
    }
    if (n == "<-") fail(e.offset, "undefined function <-/2 (there is no such import)");
    if (n == "when" || n == "::" || n == "->" || n == "\\\\") {
      fail(e.offset, "undefined function " + n + "/2 (there is no such import)");
    }
    if (auto erl = erlang_operator(n, arity)) {
      if (arity == 1) return op1(l, *erl, expr(*e.args[0], vars));
      term left = expr(*e.args[0], vars);
      term right = expr(*e.args[1], vars);
      return op(l, *erl, left, right);
    }
    return kernel_call(e, vars);
  }

  // Kernel macros, inlined functions, special forms, and the caller's local functions.
  term kernel_call(const ex& e, env& vars) {
    const term l = line(e.offset);
    const std::string& n = e.name;
    const std::size_t arity = e.args.size();
    const ex* kw = arity > 0 ? e.args.back().get() : nullptr;
    if (n == "if" || n == "unless") {
      bool keys_ok = arity == 2 && keyword_value(kw, "do") && kw->kind == ex_kind::list;
      if (keys_ok) {
        for (const auto& pair : kw->args) {
          const std::string_view key = pair->args[0]->value.atom_value().name();
          if (key != "do" && key != "else") keys_ok = false;
        }
      }
      if (!keys_ok) {
        throw compile_failure{e.offset, "invalid or duplicate keys for " + n +
                                            ", only \"do\" and an optional \"else\" are permitted",
                              "ArgumentError"};
      }
      term cond = expr(*e.args[0], vars);
      env then_vars = vars;
      env else_vars = vars;
      term then_form = expr(*keyword_value(kw, "do"), then_vars);
      const ex* else_ex = keyword_value(kw, "else");
      term else_form = else_ex ? expr(*else_ex, else_vars) : atom_form(l, "nil");
      if (n == "unless") std::swap(then_form, else_form);
      return truthy_case(l, cond, then_form, else_form);
    }
    if (n == "case" && arity == 2 && keyword_value(kw, "do")) {
      term subject = expr(*e.args[0], vars);
      return case_of(l, subject, clauses(*keyword_value(kw, "do"), vars, 1, false));
    }
    if (n == "cond" && arity == 1 && keyword_value(kw, "do")) return cond(*keyword_value(kw, "do"), vars, 0);
    if (n == "receive" && arity == 1 && keyword_value(kw, "do")) return receive(*kw, vars, l);
    if (n == "try" && arity == 1 && keyword_value(kw, "do")) return try_form(*kw, vars, l);
    if (n == "for" && arity >= 1) return for_form(e, vars);
    if (n == "with" && arity >= 1) return with_form(e, vars);
    if ((n == "raise" || n == "reraise") && arity >= 1) return raise(e, vars);
    if (n == "alias" || n == "import" || n == "require") return alias_form(e);
    if (n == "defmodule" && arity == 2 && keyword_value(kw, "do")) return defmodule(e);
    if (n == "def" || n == "defp" || n == "defstruct" || n == "defmacro" || n == "defmacrop") {
      fail(e.offset, "cannot invoke " + n + "/" + std::to_string(arity) + " outside module");
    }
    if (n == "defmodule") fail(e.offset, "undefined function defmodule/" + std::to_string(arity) + " (there is no such import)");
    if (n == "binding" && arity == 0) {
      std::vector<term> pairs;
      for (const auto& [name, erl] : vars) {
        if (name.rfind("__", 0) == 0) continue;  // __STACKTRACE__, capture arguments
        pairs.push_back(t({a("tuple"), l, term::list({atom_form(l, name), t({a("var"), l, a(erl)})})}));
      }
      return cons_list(l, pairs, nil_form(l));
    }
    if (n == "then" && arity == 2) {
      term v = expr(*e.args[0], vars);
      term f = expr(*e.args[1], vars);
      return t({a("call"), l, f, term::list({v})});
    }
    if (n == "tap" && arity == 2) {
      term v = fresh_var(l);
      term value = expr(*e.args[0], vars);
      term f = expr(*e.args[1], vars);
      return block(l, {t({a("match"), l, v, value}), t({a("call"), l, f, term::list({v})}), v});
    }
    if (n == "match?" && arity == 2) {
      term value = expr(*e.args[1], vars);
      env inner = vars;
      pattern_state ps;
      const ex* pat = e.args[0].get();
      std::vector<term> guards;
      if (is_call(*pat, "when")) {
        term p = pattern(*pat->args[0], inner, ps);
        for (auto& [k, v] : ps.bound) inner[k] = v;
        guards.push_back(guard(*pat->args[1], inner));
        return case_of(l, value, {clause(l, {p}, guards, {atom_form(l, "true")}),
                                  clause(l, {t({a("var"), l, a("_")})}, {}, {atom_form(l, "false")})});
      }
      term p = pattern(*pat, inner, ps);
      return case_of(l, value, {clause(l, {p}, {}, {atom_form(l, "true")}),
                                clause(l, {t({a("var"), l, a("_")})}, {}, {atom_form(l, "false")})});
    }
    if (n == "elem" && arity == 2) {
      term tuple = expr(*e.args[0], vars);
      term index = expr(*e.args[1], vars);
      return remote(l, "erlang", "element", {op(l, "+", index, t({a("integer"), l, term(1)})), tuple});
    }
    if (n == "put_elem" && arity == 3) {
      term tuple = expr(*e.args[0], vars);
      term index = expr(*e.args[1], vars);
      term value = expr(*e.args[2], vars);
      return remote(l, "erlang", "setelement", {op(l, "+", index, t({a("integer"), l, term(1)})), tuple, value});
    }
    if (n == "is_map_key" && arity == 2) {
      term m = expr(*e.args[0], vars);
      term k = expr(*e.args[1], vars);
      return remote(l, "erlang", "is_map_key", {k, m});
    }
    if (n == "is_nil" && arity == 1) return op(l, "==", expr(*e.args[0], vars), atom_form(l, "nil"));
    if (n == "to_string" && arity == 1) return remote(l, "Elixir.String.Chars", "to_string", args_of(e, vars));
    if (n == "to_charlist" && arity == 1) return remote(l, "Elixir.List.Chars", "to_charlist", args_of(e, vars));
    if (n == "not" && arity == 1) return op1(l, "not", expr(*e.args[0], vars));
    if (erlang_same_name(n, arity)) return remote(l, "erlang", n, args_of(e, vars));
    if (kernel_function(n, arity)) return remote(l, "Elixir.Kernel", n, args_of(e, vars));
    if (!module_ && options_.takes_source && options_.takes_source(n, arity)) {
      std::vector<term> texts;
      for (const auto& arg : e.args) {
        const std::size_t end = std::max(arg->begin, arg->end);
        texts.push_back(bin_string(l, text_.substr(arg->begin, end - arg->begin)));
      }
      return t({a("call"), l, atom_form(l, n), term::list(std::move(texts))});
    }
    if ((module_ && module_->functions.count({n, arity})) || (options_.is_local && options_.is_local(n, arity))) {
      return t({a("call"), l, atom_form(l, n), term::list(args_of(e, vars))});
    }
    if (auto from = imported(n, arity)) {
      if (from->name() == "Elixir.Bitwise") {
        // Bitwise's operators are inlined to Erlang's, as Elixir does.
        static const std::pair<std::string_view, std::string_view> ops[] = {
            {"&&&", "band"}, {"|||", "bor"}, {"<<<", "bsl"}, {">>>", "bsr"}, {"^^^", "bxor"}};
        for (const auto& [elixir_op, erlang_op] : ops) {
          if (n == elixir_op && arity == 2) return op(l, erlang_op, expr(*e.args[0], vars), expr(*e.args[1], vars));
        }
      }
      return remote(l, from->name(), n, args_of(e, vars));
    }
    fail(e.offset, "undefined function " + n + "/" + std::to_string(arity) + " (there is no such import)");
  }

  // The module an `import` brings `name/arity` from (the latest import wins).
  std::optional<atom> imported(std::string_view name, std::size_t arity) const {
    for (auto it = scope_.imports.rbegin(); it != scope_.imports.rend(); ++it) {
      auto listed = [&](const std::vector<std::pair<std::string, std::size_t>>& list) {
        return std::any_of(list.begin(), list.end(), [&](const auto& p) { return p.first == name && p.second == arity; });
      };
      if (!it->only.empty() && !listed(it->only)) continue;
      if (listed(it->except)) continue;
      const bool bitwise_op = it->module.name() == "Elixir.Bitwise" && arity == 2 &&
                              (name == "&&&" || name == "|||" || name == "<<<" || name == ">>>" || name == "^^^");
      if (bitwise_op || (options_.exports && options_.exports(it->module, name, arity))) return it->module;
    }
    return std::nullopt;
  }

  term alias_form(const ex& e) {
    const term l = line(e.offset);
    if (e.args.empty() || e.args[0]->kind != ex_kind::literal || !e.args[0]->value.is_atom() ||
        (!e.args[0]->is_alias && e.name == "alias")) {
      fail(e.offset, "invalid argument for " + e.name + ", expected a compile time atom or alias");
    }
    const term full = e.args[0]->is_alias ? resolve_alias(*e.args[0]) : e.args[0]->value;
    if (e.name == "import") {
      elixir_scope::import_entry entry{full.atom_value(), {}, {}};
      const ex* opts = e.args.size() == 2 ? e.args[1].get() : nullptr;
      for (const char* key : {"only", "except"}) {
        const ex* list = keyword_value(opts, key);
        if (!list) continue;
        if (!is_keyword_list(*list)) fail(list->offset, std::string("invalid :") + key + " option for import, expected a keyword list");
        auto& into = std::string_view(key) == "only" ? entry.only : entry.except;
        for (const auto& pair : list->args) {
          const ex& n = *pair->args[1];
          if (n.kind != ex_kind::literal || !n.value.is_integer()) fail(n.offset, "invalid arity in import");
          into.emplace_back(std::string(pair->args[0]->value.atom_value().name()),
                            static_cast<std::size_t>(n.value.to_int64().value_or(0)));
        }
      }
      scope_.imports.push_back(std::move(entry));
      return atom_form(l, full.atom_value().name());
    }
    if (e.name == "alias") {
      std::string as_name = e.args[0]->name.substr(e.args[0]->name.rfind('.') + 1);
      if (e.args.size() == 2) {
        const ex* as = keyword_value(e.args[1].get(), "as");
        if (!as || as->kind != ex_kind::literal || !as->is_alias || as->name.find('.') != std::string::npos) {
          fail(e.offset, "invalid value for option :as, expected a simple alias");
        }
        as_name = as->name;
      }
      scope_.aliases[as_name] = full.atom_value();
    }
    return atom_form(l, full.atom_value().name());
  }

  // `x |> f(a)` is `f(x, a)`.
  ex_ptr pipe(const ex& e) {
    const ex_ptr& value = e.args[0];
    const ex& into = *e.args[1];
    auto c = std::make_shared<ex>(into);
    if (into.kind == ex_kind::var) {
      c->kind = ex_kind::call;
      c->args = {value};
      return c;
    }
    if (into.kind == ex_kind::call && into.name != "&" && into.name != "fn" && into.name != "{}" &&
        into.name != "%{}" && into.name != "<<>>" && into.name != "__block__") {
      c->args.insert(c->args.begin(), value);
      c->no_parens = false;
      return c;
    }
    fail(into.offset, "cannot pipe into this expression, can only pipe into local calls foo(), remote calls Foo.bar() "
                      "or anonymous function calls foo.()");
  }

  term concat(const ex& e, env& vars) {
    const term l = line(e.offset);
    std::vector<term> elements;
    concat_elements(e, vars, elements, false, nullptr);
    return t({a("bin"), l, term::list(std::move(elements))});
  }
  void concat_elements(const ex& e, env& vars, std::vector<term>& out, bool is_pattern, pattern_state* ps) {
    const term l = line(e.offset);
    if (is_call(e, "<>")) {
      concat_elements(*e.args[0], vars, out, is_pattern, ps);
      concat_elements(*e.args[1], vars, out, is_pattern, ps);
      return;
    }
    if (e.kind == ex_kind::literal && e.value.is_binary()) {
      term s = bin_string(l, e.value.bytes_as_string());
      if (!s[2].list_elements().empty()) out.push_back(s[2].list_elements()[0]);
      return;
    }
    term v = is_pattern ? pattern(e, vars, *ps) : expr(e, vars);
    out.push_back(bin_element(l, v, a("default"), term::list({a("binary")})));
  }

  term range(const ex& e, env& vars) {
    const term l = line(e.offset);
    term first = expr(*e.args[0], vars);
    term last = expr(*e.args[1], vars);
    auto make_map = [&](term f, term la, term step) {
      return t({a("map"), l,
                term::list({t({a("map_field_assoc"), l, atom_form(l, "__struct__"), atom_form(l, "Elixir.Range")}),
                            t({a("map_field_assoc"), l, atom_form(l, "first"), f}),
                            t({a("map_field_assoc"), l, atom_form(l, "last"), la}),
                            t({a("map_field_assoc"), l, atom_form(l, "step"), step})})});
    };
    if (e.name == "..//") {
      return remote(l, "Elixir.Range", "new", {first, last, expr(*e.args[2], vars)});
    }
    const ex& f = *e.args[0];
    const ex& la = *e.args[1];
    if (f.kind == ex_kind::literal && la.kind == ex_kind::literal && f.value.is_integer() && la.value.is_integer()) {
      const int step = compare(f.value, la.value) <= 0 ? 1 : -1;
      return make_map(first, last, t({a("integer"), l, term(step)}));
    }
    return remote(l, "Elixir.Range", "new", {first, last});
  }

  // `x in list_or_range`: in guards, Erlang comparisons; in bodies, `Enum.member?/2`, or
  // `lists:member/2` for a literal list, as Kernel.in/2 expands.
  term membership(const ex& e, env& vars) {
    const term l = line(e.offset);
    const ex& right = *e.args[1];
    if (in_guard_) {
      term left = expr(*e.args[0], vars);
      if (right.kind == ex_kind::list && !right.tail) {
        if (right.args.empty()) return atom_form(l, "false");
        std::optional<term> out;
        for (const auto& item : right.args) {
          term eq = op(l, "=:=", left, expr(*item, vars));
          out = out ? op(l, "orelse", *out, eq) : eq;
        }
        return *out;
      }
      if (is_call(right, "..")) {
        term lo = expr(*right.args[0], vars);
        term hi = expr(*right.args[1], vars);
        return op(l, "andalso", remote(l, "erlang", "is_integer", {left}),
                  op(l, "andalso", op(l, ">=", left, lo), op(l, "=<", left, hi)));
      }
      fail(e.offset, "invalid right argument for operator \"in\", it expects a compile-time proper list or compile-time range on its right side when used in guard expressions");
    }
    term left = expr(*e.args[0], vars);
    term r = expr(right, vars);
    if (right.kind == ex_kind::list && !right.tail) return remote(l, "lists", "member", {left, r});
    return remote(l, "Elixir.Enum", "member?", {r, left});
  }

  term map_expr(const ex& e, env& vars) {
    const term l = line(e.offset);
    std::optional<term> base;
    if (e.target) base = expr(*e.target, vars);
    std::vector<term> fields;
    for (const auto& pair : e.args) {
      term k = expr(*pair->args[0], vars);
      term v = expr(*pair->args[1], vars);
      fields.push_back(t({a(base ? "map_field_exact" : "map_field_assoc"), l, k, v}));
    }
    if (base) return t({a("map"), l, *base, term::list(std::move(fields))});
    return t({a("map"), l, term::list(std::move(fields))});
  }

  // `%Mod{k: v}` builds through `Mod.__struct__/1` (which checks the keys), as `struct!/2`
  // does; `%Mod{s | k: v}` checks that `s` is a `Mod` first.
  term struct_expr(const ex& e, env& vars) {
    const term l = line(e.offset);
    const ex& body = *e.target;
    const std::string_view mod = e.value.atom_value().name();
    std::vector<term> pairs;
    for (const auto& pair : body.args) {
      pairs.push_back(t({a("tuple"), l, term::list({expr(*pair->args[0], vars), expr(*pair->args[1], vars)})}));
    }
    if (!body.target) return remote(l, mod, "__struct__", {cons_list(l, pairs, nil_form(l))});
    term base = expr(*body.target, vars);
    term s = fresh_var(l);
    term other = fresh_var(l);
    std::vector<term> fields;
    for (const auto& pair : pairs) {
      fields.push_back(t({a("map_field_exact"), l, pair[2].list_elements()[0], pair[2].list_elements()[1]}));
    }
    term struct_pat = t({a("map"), l, term::list({t({a("map_field_exact"), l, atom_form(l, "__struct__"), atom_form(l, mod)})})});
    return case_of(l, base,
                   {clause(l, {t({a("match"), l, struct_pat, s})}, {}, {t({a("map"), l, s, term::list(std::move(fields))})}),
                    clause(l, {other}, {}, {error_call(l, t({a("tuple"), l, term::list({atom_form(l, "badstruct"), atom_form(l, mod), other})}))})});
  }

  // `<<...>>` in an expression (ps null) or a pattern.
  term binary(const ex& e, env& vars, pattern_state* ps) {
    const term l = line(e.offset);
    std::vector<term> elements;
    for (const auto& seg : e.args) {
      const ex* value = seg.get();
      const ex* spec = nullptr;
      if (is_call(*seg, "::")) {
        value = seg->args[0].get();
        spec = seg->args[1].get();
      }
      const term sl = line(value->offset);
      term size = a("default");
      std::vector<term> types;
      if (spec) read_spec(*spec, vars, ps, size, types);
      if (value->kind == ex_kind::literal && value->value.is_binary() && size.is_atom(atom("default"))) {
        term s = bin_string(sl, value->value.bytes_as_string());
        if (s[2].list_elements().empty()) continue;
        const term& el = s[2].list_elements()[0];
        elements.push_back(bin_element(sl, el[2], size, types.empty() ? a("default") : term::list(types)));
        continue;
      }
      if (value->kind == ex_kind::call && (value->name == "<interp>") && types.empty()) {
        types.push_back(a("binary"));
      }
      term v = ps ? pattern(*value, vars, *ps) : expr(*value, vars);
      elements.push_back(bin_element(sl, v, size, types.empty() ? a("default") : term::list(std::move(types))));
    }
    return t({a("bin"), l, term::list(std::move(elements))});
  }

  void read_spec(const ex& spec, env& vars, pattern_state* ps, term& size, std::vector<term>& types) {
    if (is_call(spec, "-") && spec.args.size() == 2) {
      read_spec(*spec.args[0], vars, ps, size, types);
      read_spec(*spec.args[1], vars, ps, size, types);
      return;
    }
    const term l = line(spec.offset);
    if (spec.kind == ex_kind::literal && spec.value.is_integer()) {
      size = t({a("integer"), l, spec.value});
      return;
    }
    std::string_view name;
    if (spec.kind == ex_kind::var) name = spec.name;
    if (spec.kind == ex_kind::call && !spec.target && spec.args.empty()) name = spec.name;
    if (!name.empty()) {
      static const std::set<std::string_view> plain = {"integer", "float",  "binary", "bitstring",
                                                       "utf8",    "utf16",  "utf32",  "signed",
                                                       "unsigned", "big",   "little", "native"};
      if (name == "bytes") name = "binary";
      if (name == "bits") name = "bitstring";
      if (plain.count(name)) {
        types.emplace_back(a(name));
        return;
      }
    }
    if (spec.kind == ex_kind::call && !spec.target && spec.args.size() == 1 &&
        (spec.name == "size" || spec.name == "unit")) {
      const ex& arg = *spec.args[0];
      if (spec.name == "unit") {
        if (arg.kind != ex_kind::literal || !arg.value.is_integer()) fail(spec.offset, "unit in bitstring expects an integer as argument");
        types.push_back(t({a("unit"), arg.value}));
        return;
      }
      // A size in a pattern reads variables bound before (or earlier in the same pattern).
      if (ps && arg.kind == ex_kind::var) {
        if (auto it = ps->bound.find(arg.name); it != ps->bound.end()) {
          size = t({a("var"), l, a(it->second)});
          return;
        }
      }
      const bool saved = in_guard_;
      in_guard_ = ps != nullptr;
      size = expr(arg, vars);
      in_guard_ = saved;
      return;
    }
    fail(spec.offset, "unknown bitstring specifier: " + std::string(text_.substr(spec.offset, 8)));
  }

  term sigil(const ex& e) {
    const term l = line(e.offset);
    const std::string_view content = e.value.bytes_as_string();
    const char letter = e.name.back();
    if (letter == 'w' || letter == 'W') {
      std::vector<term> words;
      std::size_t i = 0;
      const char mode = e.modifiers.empty() ? 's' : e.modifiers[0];
      if (e.modifiers.size() > 1 || (mode != 's' && mode != 'a' && mode != 'c')) {
        fail(e.offset, "modifier must be one of: s, a, c");
      }
      while (i < content.size()) {
        while (i < content.size() && (content[i] == ' ' || content[i] == '\n' || content[i] == '\t' || content[i] == '\r')) ++i;
        std::size_t j = i;
        while (j < content.size() && !(content[j] == ' ' || content[j] == '\n' || content[j] == '\t' || content[j] == '\r')) ++j;
        if (j > i) {
          const std::string_view word = content.substr(i, j - i);
          if (mode == 'a') {
            auto at = atom::try_make(word);
            if (!at) fail(e.offset, "atom length must be less than system limit");
            words.push_back(atom_form(l, at->name()));
          } else if (mode == 'c') {
            words.push_back(t({a("string"), l, term::string(word)}));
          } else {
            words.push_back(bin_string(l, word));
          }
        }
        i = j;
      }
      return cons_list(l, words, nil_form(l));
    }
    if (letter == 'r' || letter == 'R') {
      return remote(l, "Elixir.Regex", "compile!", {bin_string(l, content), bin_string(l, e.modifiers)});
    }
    if (letter == 's' || letter == 'S') return bin_string(l, content);
    if (letter == 'c' || letter == 'C') return t({a("string"), l, term::string(content)});
    fail(e.offset, "undefined function sigil_" + std::string(1, letter) + "/2 (there is no such import)");
  }

  // ---- patterns and guards ----
  term pattern(const ex& e, env& vars, pattern_state& ps) {
    depth_guard guard(*this, e.offset);
    const term l = line(e.offset);
    switch (e.kind) {
      case ex_kind::literal:
        return literal(e);
      case ex_kind::var: {
        if (e.name == "_") return t({a("var"), l, a("_")});
        if (auto it = ps.bound.find(e.name); it != ps.bound.end()) return t({a("var"), l, a(it->second)});
        const std::string name = fresh_name(e.name);
        ps.bound[e.name] = name;
        return t({a("var"), l, a(name)});
      }
      case ex_kind::list: {
        std::vector<term> items;
        for (const auto& item : e.args) items.push_back(pattern(*item, vars, ps));
        term tail = e.tail ? pattern(*e.tail, vars, ps) : nil_form(l);
        return cons_list(l, items, tail);
      }
      case ex_kind::call:
        break;
    }
    const std::string& n = e.name;
    if (!e.target && n == "^" && e.args.size() == 1 && e.args[0]->kind == ex_kind::var) {
      auto it = vars.find(e.args[0]->name);
      if (it == vars.end()) fail(e.offset, "undefined variable ^" + e.args[0]->name + ". No variable \"" + e.args[0]->name + "\" has been defined before the current pattern");
      term bound = t({a("var"), l, a(it->second)});
      if (!ps.pins_as_guards) return bound;
      term v = fresh_var(l, "pin");
      ps.pin_guards.push_back(op(l, "=:=", v, bound));
      return v;
    }
    if (!e.target && n == "{}") {
      std::vector<term> items;
      for (const auto& item : e.args) items.push_back(pattern(*item, vars, ps));
      return t({a("tuple"), l, term::list(std::move(items))});
    }
    if (n == "%{}" || n == "%") {
      const ex& body = n == "%" ? *e.target : e;
      if (body.target) fail(e.offset, "cannot use map/struct update syntax in match");
      std::vector<term> fields;
      if (n == "%") {
        fields.push_back(t({a("map_field_exact"), l, atom_form(l, "__struct__"), atom_form(l, e.value.atom_value().name())}));
      }
      for (const auto& pair : body.args) {
        const bool saved = in_guard_;
        in_guard_ = true;
        term k = pair->args[0]->kind == ex_kind::call && pair->args[0]->name == "^" ? pattern(*pair->args[0], vars, ps)
                                                                                     : expr(*pair->args[0], vars);
        in_guard_ = saved;
        fields.push_back(t({a("map_field_exact"), l, k, pattern(*pair->args[1], vars, ps)}));
      }
      return t({a("map"), l, term::list(std::move(fields))});
    }
    if (!e.target && n == "<<>>") return binary(e, vars, &ps);
    if (!e.target && n == "<>") {
      if (!(e.args[0]->kind == ex_kind::literal && e.args[0]->value.is_binary()) && !is_call(*e.args[0], "<>")) {
        fail(e.offset, "the left argument of <> operator inside a match should always be a literal binary");
      }
      std::vector<term> elements;
      concat_elements(e, vars, elements, true, &ps);
      return t({a("bin"), l, term::list(std::move(elements))});
    }
    if (!e.target && n == "=") {
      term left = pattern(*e.args[0], vars, ps);
      term right = pattern(*e.args[1], vars, ps);
      return t({a("match"), l, left, right});
    }
    if (!e.target && n == ".." && e.args.size() == 2) {
      return t({a("map"), l,
                term::list({t({a("map_field_exact"), l, atom_form(l, "__struct__"), atom_form(l, "Elixir.Range")}),
                            t({a("map_field_exact"), l, atom_form(l, "first"), pattern(*e.args[0], vars, ps)}),
                            t({a("map_field_exact"), l, atom_form(l, "last"), pattern(*e.args[1], vars, ps)})})});
    }
    if (!e.target && n == "<interp>") {
      fail(e.offset, "interpolation is not allowed in patterns; use <> with a literal prefix");
    }
    if (!e.target && n == "-" && e.args.size() == 1) fail(e.offset, "invalid pattern in match");
    if (!e.target && is_sigil(n) && n != "~r" && n != "~R") return sigil(e);
    if (e.target && n != "%{}" && n != "%") {
      fail(e.offset, "cannot invoke remote function " + e.name + "/" +
                         std::to_string(e.args.size()) + " inside a match");
    }
    fail(e.offset, "cannot find or invoke local " + n + "/" + std::to_string(e.args.size()) +
                       " inside match. Only macros can be invoked in a match and they must be defined before their invocation. Called as: " +
                       std::string(text_.substr(e.offset, std::min<std::size_t>(40, text_.size() - std::min(e.offset, text_.size())))));
  }

  term guard(const ex& e, env& vars) {
    const bool saved = in_guard_;
    in_guard_ = true;
    term out = expr(e, vars);
    in_guard_ = saved;
    return out;
  }

  // `->` clauses: heads of `arity` patterns (an optional `when`), bodies in their own scope.
  std::vector<term> clauses(const ex& list, env& vars, std::size_t arity, bool pins_as_guards,
                            std::size_t* seen_arity = nullptr) {
    if (list.kind != ex_kind::list) fail(list.offset, "expected -> clauses");
    std::vector<term> out;
    for (const auto& c : list.args) {
      if (!is_call(*c, "->")) fail(c->offset, "expected -> clauses");
      out.push_back(one_clause(*c, vars, arity, pins_as_guards, seen_arity));
    }
    return out;
  }

  term one_clause(const ex& c, env& vars, std::size_t arity, bool pins_as_guards, std::size_t* seen_arity,
                  const std::vector<term>& extra_body_prefix = {}) {
    const term l = line(c.offset);
    std::vector<ex_ptr> heads = c.args[0]->args;
    const ex* when = nullptr;
    if (!heads.empty() && is_call(*heads.back(), "when")) {
      auto last = heads.back();
      when = last->args[1].get();
      heads.back() = last->args[0];
    }
    if (seen_arity) {
      if (*seen_arity == static_cast<std::size_t>(-1)) *seen_arity = heads.size();
      if (heads.size() != *seen_arity) fail(c.offset, "cannot mix clauses with different arities in anonymous functions");
    } else if (heads.size() != arity) {
      fail(c.offset, "expected one argument per clause");
    }
    env inner = vars;
    pattern_state ps;
    ps.pins_as_guards = pins_as_guards;
    std::vector<term> pats;
    for (const auto& h : heads) pats.push_back(pattern(*h, vars, ps));
    for (auto& [k, v] : ps.bound) inner[k] = v;
    std::vector<term> guards = ps.pin_guards;
    if (when) guards.push_back(guard(*when, inner));
    std::vector<term> guard_conj;
    if (!guards.empty()) {
      term g = guards[0];
      for (std::size_t i = 1; i < guards.size(); ++i) g = op(l, "andalso", g, guards[i]);
      guard_conj.push_back(g);
    }
    std::vector<term> body = extra_body_prefix;
    body.push_back(expr(*c.args[1], inner));
    return clause(l, std::move(pats), std::move(guard_conj), std::move(body));
  }

  term fn(const ex& e, env& vars) {
    const term l = line(e.offset);
    std::size_t arity = static_cast<std::size_t>(-1);
    auto list = std::make_shared<ex>();
    list->kind = ex_kind::list;
    list->args = e.args;
    std::vector<term> cls = clauses(*list, vars, 0, true, &arity);
    return t({a("fun"), l, t({a("clauses"), term::list(std::move(cls))})});
  }

  term cond(const ex& list, env& vars, std::size_t i) {
    const term l = line(list.offset);
    if (list.kind != ex_kind::list) fail(list.offset, "expected -> clauses for :do in \"cond\"");
    if (i >= list.args.size()) return error_call(l, atom_form(l, "cond_clause"));
    const ex& c = *list.args[i];
    if (!is_call(c, "->") || c.args[0]->args.size() != 1) fail(c.offset, "expected -> clauses for :do in \"cond\"");
    env inner = vars;
    term test = expr(*c.args[0]->args[0], inner);
    term body = expr(*c.args[1], inner);
    env rest = vars;
    return truthy_case(line(c.offset), test, body, cond(list, rest, i + 1));
  }

  term receive(const ex& kw, env& vars, term l) {
    const ex* body = keyword_value(&kw, "do");
    std::vector<term> cls;
    if (!(body->kind == ex_kind::literal && body->value.is_atom(atom("nil")))) cls = clauses(*body, vars, 1, false);
    const ex* after = keyword_value(&kw, "after");
    if (!after) return t({a("receive"), l, term::list(std::move(cls))});
    if (after->kind != ex_kind::list || after->args.size() != 1 || !is_call(*after->args[0], "->") ||
        after->args[0]->args[0]->args.size() != 1) {
      fail(after->offset, "expected a single -> clause for :after in \"receive\"");
    }
    const ex& c = *after->args[0];
    env inner = vars;
    term timeout = expr(*c.args[0]->args[0], inner);
    term after_body = expr(*c.args[1], inner);
    return t({a("receive"), l, term::list(std::move(cls)), timeout, term::list({after_body})});
  }

  term try_form(const ex& kw, env& vars, term l) {
    env body_vars = vars;
    term body = expr(*keyword_value(&kw, "do"), body_vars);
    std::vector<term> else_clauses;
    if (const ex* els = keyword_value(&kw, "else")) else_clauses = clauses(*els, vars, 1, false);
    std::vector<term> catches;
    for (const auto& section : kw.args) {
      const std::string_view key = section->args[0]->value.atom_value().name();
      const ex& list = *section->args[1];
      if (key == "rescue") {
        if (list.kind != ex_kind::list) fail(list.offset, "expected -> clauses for :rescue in \"try\"");
        for (const auto& c : list.args) catches.push_back(rescue_clause(*c, vars));
      } else if (key == "catch") {
        if (list.kind != ex_kind::list) fail(list.offset, "expected -> clauses for :catch in \"try\"");
        for (const auto& c : list.args) catches.push_back(catch_clause(*c, vars));
      }
    }
    std::vector<term> after;
    if (const ex* af = keyword_value(&kw, "after")) {
      env after_vars = vars;
      after.push_back(expr(*af, after_vars));
    }
    return t({a("try"), l, term::list({body}), term::list(std::move(else_clauses)), term::list(std::move(catches)),
              term::list(std::move(after))});
  }

  term catch_clause(const ex& c, env& vars) {
    const term l = line(c.offset);
    std::vector<ex_ptr> heads = c.args[0]->args;
    const ex* when = nullptr;
    if (!heads.empty() && is_call(*heads.back(), "when")) {
      auto last = heads.back();
      when = last->args[1].get();
      heads.back() = last->args[0];
    }
    if (heads.empty() || heads.size() > 2) fail(c.offset, "expected one or two args for :catch clauses (->) in \"try\"");
    env inner = vars;
    pattern_state ps;
    term kind = heads.size() == 2 ? pattern(*heads[0], vars, ps) : atom_form(l, "throw");
    term value = pattern(*heads.back(), vars, ps);
    for (auto& [k, v] : ps.bound) inner[k] = v;
    std::vector<term> guards;
    if (when) guards.push_back(guard(*when, inner));
    term stack = fresh_var(l, "stacktrace");
    inner["__STACKTRACE__"] = std::string(stack[2].atom_value().name());
    term body = expr(*c.args[1], inner);
    return clause(l, {t({a("tuple"), l, term::list({kind, value, stack})})}, std::move(guards), {body});
  }

  term rescue_clause(const ex& c, env& vars) {
    const term l = line(c.offset);
    if (c.args[0]->args.size() != 1) fail(c.offset, "expected one arg for :rescue clauses (->) in \"try\"");
    const ex* head = c.args[0]->args[0].get();
    const ex* var = nullptr;
    const ex* modules = nullptr;
    if (is_call(*head, "in")) {
      var = head->args[0].get();
      modules = head->args[1].get();
    } else if (head->kind == ex_kind::var) {
      var = head;
    } else {
      modules = head;
    }
    std::vector<const ex*> mods;
    if (modules) {
      if (modules->kind == ex_kind::list) {
        for (const auto& m : modules->args) mods.push_back(m.get());
      } else {
        mods.push_back(modules);
      }
      for (const ex* m : mods) {
        if (m->kind != ex_kind::literal || !m->value.is_atom()) {
          fail(m->offset, "invalid \"rescue\" clause. The clause should match on an alias, a variable or be in the \"var in [alias]\" format");
        }
      }
    }
    term reason = fresh_var(l, "reason");
    term stack = fresh_var(l, "stacktrace");
    std::vector<term> guards;
    if (!mods.empty()) {
      term any;
      bool first = true;
      for (const ex* m : mods) {
        const term mod = m->is_alias ? resolve_alias(*m) : m->value;
        term g = rescue_guard(l, reason, mod.atom_value().name());
        any = first ? g : op(l, "orelse", any, g);
        first = false;
      }
      guards.push_back(any);
    }
    env inner = vars;
    inner["__STACKTRACE__"] = std::string(stack[2].atom_value().name());
    std::vector<term> body;
    if (var && var->name != "_") {
      pattern_state ps;
      term v = pattern(*var, vars, ps);
      for (auto& [k, name] : ps.bound) inner[k] = name;
      body.push_back(t({a("match"), l, v, remote(l, "Elixir.Exception", "normalize", {atom_form(l, "error"), reason, stack})}));
    }
    body.push_back(expr(*c.args[1], inner));
    return clause(l, {t({a("tuple"), l, term::list({atom_form(l, "error"), reason, stack})})}, std::move(guards),
                  std::move(body));
  }

  // Does the raw error `reason` stand for exception `mod`: its struct, or the Erlang term
  // Exception.normalize/3 turns into it.
  static term rescue_guard(term l, term reason, std::string_view mod) {
    auto erl = [&](std::string_view name, std::vector<term> args) {
      return t({a("call"), l, t({a("remote"), l, atom_form(l, "erlang"), atom_form(l, name)}), term::list(std::move(args))});
    };
    term is_struct = op(l, "andalso", erl("is_map", {reason}),
                        op(l, "=:=", erl("map_get", {atom_form(l, "__struct__"), reason}), atom_form(l, mod)));
    auto raw_shape = [&](const erlang_error_shape& shape) {
      return shape.tuple
                 ? op(l, "andalso", erl("is_tuple", {reason}),
                      op(l, "andalso", op(l, ">=", erl("tuple_size", {reason}), t({a("integer"), l, term(2)})),
                         op(l, "=:=", erl("element", {t({a("integer"), l, term(1)}), reason}), atom_form(l, shape.tag))))
                 : op(l, "=:=", reason, atom_form(l, shape.tag));
    };
    if (mod == "Elixir.ErlangError") {
      // Any Erlang error no other exception claims.
      term other = op1(l, "not", op(l, "andalso", erl("is_map", {reason}),
                                    erl("is_map_key", {atom_form(l, "__exception__"), reason})));
      for (const auto& shape : erlang_errors) other = op(l, "andalso", other, op1(l, "not", raw_shape(shape)));
      return op(l, "orelse", is_struct, other);
    }
    for (const auto& shape : erlang_errors) {
      if (shape.module == mod) return op(l, "orelse", is_struct, raw_shape(shape));
    }
    return is_struct;
  }

  term raise(const ex& e, env& vars) {
    const term l = line(e.offset);
    const bool re = e.name == "reraise";
    const std::size_t n = e.args.size() - (re ? 1 : 0);
    if (n == 0 || n > 2) fail(e.offset, "undefined function " + e.name + "/" + std::to_string(e.args.size()) + " (there is no such import)");
    const ex& first = *e.args[0];
    term exception;
    if (n == 2) {
      term mod = expr(first, vars);
      exception = t({a("call"), l, t({a("remote"), l, mod, atom_form(l, "exception")}), term::list({expr(*e.args[1], vars)})});
    } else if (first.kind == ex_kind::literal && first.value.is_binary()) {
      exception = runtime_error(l, literal(first));
    } else if (is_call(first, "<interp>")) {
      exception = runtime_error(l, expr(first, vars));
    } else if (first.kind == ex_kind::literal && first.is_alias) {
      exception = remote(l, resolve_alias(first).atom_value().name(), "exception", {nil_form(l)});
    } else {
      term v = fresh_var(l);
      exception = case_of(
          l, expr(first, vars),
          {clause(l, {v}, {remote(l, "erlang", "is_binary", {v})}, {runtime_error(l, v)}),
           clause(l, {v}, {remote(l, "erlang", "is_atom", {v})},
                  {t({a("call"), l, t({a("remote"), l, v, atom_form(l, "exception")}), term::list({nil_form(l)})})}),
           clause(l, {v}, {}, {remote(l, "Elixir.Kernel.Utils", "raise", {v})})});
    }
    if (re) return remote(l, "erlang", "raise", {atom_form(l, "error"), exception, expr(*e.args.back(), vars)});
    return error_call(l, exception);
  }

  static term runtime_error(term l, term message) {
    return t({a("map"), l,
              term::list({t({a("map_field_assoc"), l, atom_form(l, "__struct__"), atom_form(l, "Elixir.RuntimeError")}),
                          t({a("map_field_assoc"), l, atom_form(l, "__exception__"), atom_form(l, "true")}),
                          t({a("map_field_assoc"), l, atom_form(l, "message"), message})})});
  }

  // `&Mod.fun/2`, `&fun/2`, `&+/2`, `&(&1 * 2)`.
  term capture(const ex& e, env& vars) {
    const term l = line(e.offset);
    const ex& body = *e.args[0];
    if (captures_) fail(e.offset, "nested captures are not allowed. You cannot define a function using the capture operator & inside another function defined via &");
    if (is_call(body, "/") && body.args[1]->kind == ex_kind::literal && body.args[1]->value.is_integer()) {
      const ex& f = *body.args[0];
      const term arity = body.args[1]->value;
      const auto small = arity.to_int64();
      if (!small || *small < 0 || *small > 255) {
        fail(e.offset, "invalid arity for &: " + arity.integer_to_string() + " (an arity is 0 to 255)");
      }
      const auto n = static_cast<std::size_t>(*small);
      if (f.kind == ex_kind::call && f.target && f.name != ".()" && f.args.empty() && is_atom_literal(*f.target)) {
        const term mod = f.target->is_alias ? resolve_alias(*f.target) : f.target->value;
        return t({a("fun"), l, t({a("function"), atom_form(l, mod.atom_value().name()), atom_form(l, f.name), t({a("integer"), l, arity})})});
      }
      if (f.kind == ex_kind::var || (f.kind == ex_kind::call && !f.target && f.args.empty() && f.no_parens)) {
        if (auto erl = erlang_operator(f.name, n)) {
          return t({a("fun"), l, t({a("function"), atom_form(l, "erlang"), atom_form(l, *erl), t({a("integer"), l, arity})})});
        }
        if (erlang_same_name(f.name, n)) {
          return t({a("fun"), l, t({a("function"), atom_form(l, "erlang"), atom_form(l, f.name), t({a("integer"), l, arity})})});
        }
        if (kernel_function(f.name, n)) {
          return t({a("fun"), l, t({a("function"), atom_form(l, "Elixir.Kernel"), atom_form(l, f.name), t({a("integer"), l, arity})})});
        }
        if (f.kind == ex_kind::var && f.no_parens) {
          // Other operators capture as funs only at their own arity (`&<>/2`, `&!/1`).
          static const std::set<std::string_view> binary_ops = {"<>", "..", "&&", "||", "and", "or", "in",
                                                                "=~", "**", "&&&", "|||", "<<<", ">>>"};
          const bool fits = (n == 2 && binary_ops.count(f.name)) || (n == 1 && (f.name == "!" || f.name == "not"));
          if (!fits) fail(e.offset, "invalid args for &, cannot capture " + f.name + "/" + std::to_string(n));
        }
        // A macro or a local: a fun calling it with fresh arguments.
        auto c = std::make_shared<ex>();
        c->kind = ex_kind::call;
        c->offset = f.offset;
        c->name = f.name;
        std::vector<term> params;
        env inner = vars;
        for (std::size_t i = 0; i < n; ++i) {
          const std::string name = "__capture" + std::to_string(i + 1);
          const std::string erl_name = fresh_name("capture");
          inner[name] = erl_name;
          params.push_back(t({a("var"), l, a(erl_name)}));
          auto v = std::make_shared<ex>();
          v->kind = ex_kind::var;
          v->offset = f.offset;
          v->name = name;
          c->args.push_back(v);
        }
        term call = local(*c, inner);
        return t({a("fun"), l, t({a("clauses"), term::list({clause(l, std::move(params), {}, {call})})})});
      }
    }
    std::vector<std::string> slots;
    captures_ = &slots;
    struct reset {
      std::vector<std::string>*& p;
      ~reset() { p = nullptr; }
    } r{captures_};
    env inner = vars;
    term call = expr(body, inner);
    if (slots.empty()) {
      fail(e.offset, "invalid args for &, expected one of:\n\n  * &Mod.fun/arity to capture a remote function, such as &Enum.map/2\n  * &fun/arity to capture a local or imported function, such as &is_atom/1\n  * &some_code(&1, ...) containing at least one argument as &1, such as &List.flatten(&1)\n\nGot: " +
                           std::string(text_.substr(e.offset, std::min<std::size_t>(40, text_.size() - e.offset))));
    }
    std::vector<term> params;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].empty()) fail(e.offset, "capture argument &" + std::to_string(i + 1) + " cannot be defined without &" + std::to_string(i) + " (you cannot skip arguments, all arguments must be numbered)");
      params.push_back(t({a("var"), l, a(slots[i])}));
    }
    return t({a("fun"), l, t({a("clauses"), term::list({clause(l, std::move(params), {}, {call})})})});
  }

  // ---- defmodule ----
  // `defmodule Name do ... end` lowers to a call that defines the module when evaluated:
  // `otpp_module:define(Name, Forms, Last)`, where Forms are the module's Erlang forms
  // (`{attribute,_,module,Name}`, `{attribute,_,export,[...]}`, `{function,_,F,A,Clauses}`...)
  // as a literal, ready for `compile:forms/1` or an interpreting loader, and Last the value
  // iex shows as the fourth element of `{:module, Name, Binary, Last}`.
  struct module_context {
    std::string name;
    std::set<std::pair<std::string, std::size_t>> functions;
    std::map<std::string, ex_ptr, std::less<>> attributes;
  };

  struct def_head {
    std::string name;
    std::vector<ex_ptr> params;  // `\\` defaults still attached
    const ex* guard = nullptr;
    std::size_t defaults = 0;
  };

  def_head read_head(const ex& def) {
    if (def.args.empty()) fail(def.offset, "invalid syntax in " + def.name);
    const ex* head = def.args[0].get();
    def_head h;
    if (is_call(*head, "when")) {
      h.guard = head->args[1].get();
      head = head->args[0].get();
    }
    if (head->kind == ex_kind::var) {
      h.name = head->name;
    } else if (head->kind == ex_kind::call && !head->target && head->name.find_first_of("{}%<>.&=") == std::string::npos) {
      h.name = head->name;
      h.params = head->args;
    } else {
      fail(def.offset, "invalid syntax in " + def.name + " " + std::string(text_.substr(head->offset, 20)));
    }
    for (const auto& p : h.params) {
      if (is_call(*p, "\\\\")) ++h.defaults;
    }
    return h;
  }

  term defmodule(const ex& e) {
    const term l = line(e.offset);
    const ex& alias = *e.args[0];
    if (module_) fail(e.offset, "nested modules are not supported in this shell");
    if (alias.kind != ex_kind::literal || !alias.value.is_atom()) {
      fail(e.offset, "invalid module name: " + std::string(text_.substr(alias.offset, 20)));
    }
    const term name = alias.is_alias ? resolve_alias(alias) : alias.value;
    module_context ctx;
    ctx.name = std::string(name.atom_value().name());
    const ex* body = keyword_value(e.args[1].get(), "do");
    std::vector<const ex*> items;
    if (is_call(*body, "__block__")) {
      for (const auto& item : body->args) items.push_back(item.get());
    } else if (!(body->kind == ex_kind::literal && body->value.is_atom(atom("nil")))) {
      items.push_back(body);
    }
    // Every function the module defines, so bodies can call each other in any order.
    for (const ex* item : items) {
      if (is_call(*item, "def") || is_call(*item, "defp")) {
        def_head h = read_head(*item);
        for (std::size_t k = h.params.size() - h.defaults; k <= h.params.size(); ++k) ctx.functions.insert({h.name, k});
      } else if (is_call(*item, "defstruct")) {
        ctx.functions.insert({"__struct__", 0});
        ctx.functions.insert({"__struct__", 1});
      }
    }
    module_context* saved = module_;
    module_ = &ctx;
    struct restore {
      module_context*& m;
      module_context* v;
      ~restore() { m = v; }
    } r{module_, saved};

    struct function {
      std::string name;
      std::size_t arity;
      bool exported;
      std::vector<term> clauses;
      term l;
    };
    std::vector<function> functions;
    auto function_for = [&](const std::string& fname, std::size_t arity, bool exported, term fl) -> function& {
      for (auto& f : functions) {
        if (f.name == fname && f.arity == arity) return f;
      }
      functions.push_back({fname, arity, exported, {}, fl});
      return functions.back();
    };
    term last = atom_form(l, "nil");
    // Default arguments (`\\`): f/k for each shorter arity calls the full function, from the
    // first clause or bodiless head that gives them.
    auto emit_defaults = [&](const def_head& h, bool exported, term il) {
      std::vector<ex_ptr> defaults;
      for (const auto& p : h.params) defaults.push_back(is_call(*p, "\\\\") ? p->args[1] : nullptr);
        if (h.defaults > 0) {
          for (std::size_t k = h.params.size() - h.defaults; k < h.params.size(); ++k) {
            // With k arguments, the last n-k defaulted parameters take their defaults.
            std::vector<bool> use_default(h.params.size(), false);
            std::size_t left = h.params.size() - k;
            for (std::size_t i = h.params.size(); i-- > 0 && left > 0;) {
              if (defaults[i]) {
                use_default[i] = true;
                --left;
              }
            }
            std::vector<term> params;
            std::vector<term> call_args;
            for (std::size_t i = 0; i < h.params.size(); ++i) {
              if (use_default[i]) {
                env none;
                call_args.push_back(expr(*defaults[i], none));
              } else {
                term v = fresh_var(il, "arg");
                params.push_back(v);
                call_args.push_back(v);
              }
            }
            if (params.size() != k) continue;
            auto& f = function_for(h.name, k, exported, il);
            if (f.clauses.empty()) {
              f.clauses.push_back(clause(il, params, {}, {t({a("call"), il, atom_form(il, h.name), term::list(call_args)})}));
            }
          }
        }
    };
    for (const ex* item : items) {
      const term il = line(item->offset);
      if (is_call(*item, "def") || is_call(*item, "defp")) {
        const bool exported = item->name == "def";
        def_head h = read_head(*item);
        if (item->args.size() != 2 || !keyword_value(item->args[1].get(), "do")) {
          if (item->args.size() == 1) {  // a bodiless head declares defaults only
            emit_defaults(h, exported, il);
            continue;
          }
          fail(item->offset, "missing :do option in \"" + item->name + "\"");
        }
        const ex& kw = *item->args[1];
        env vars;
        pattern_state ps;
        std::vector<term> pats;
        for (const auto& p : h.params) {
          const ex* pat = p.get();
          if (is_call(*pat, "\\\\")) pat = pat->args[0].get();
          pats.push_back(pattern(*pat, vars, ps));
        }
        for (auto& [k, v] : ps.bound) vars[k] = v;
        std::vector<term> guards;
        if (h.guard) guards.push_back(guard(*h.guard, vars));
        term fbody = keyword_value(&kw, "rescue") || keyword_value(&kw, "catch") || keyword_value(&kw, "after")
                         ? try_form(kw, vars, il)
                         : expr(*keyword_value(&kw, "do"), vars);
        function_for(h.name, h.params.size(), exported, il).clauses.push_back(clause(il, pats, guards, {fbody}));
        emit_defaults(h, exported, il);
        last = t({a("tuple"), il, term::list({atom_form(il, h.name), t({a("integer"), il, term(static_cast<long long>(h.params.size()))})})});
        continue;
      }
      if (is_call(*item, "@") && item->args.size() == 1 && item->args[0]->kind == ex_kind::call &&
          item->args[0]->args.size() == 1) {
        ctx.attributes[item->args[0]->name] = item->args[0]->args[0];
        continue;
      }
      if (is_call(*item, "defstruct") && item->args.size() == 1) {
        std::vector<term> fields = {t({a("map_field_assoc"), il, atom_form(il, "__struct__"), atom_form(il, ctx.name)})};
        for (const auto& field : item->args[0]->args) {
          env none;
          if (is_atom_literal(*field)) {
            fields.push_back(t({a("map_field_assoc"), il, literal(*field), atom_form(il, "nil")}));
          } else if (is_call(*field, "{}") && field->args.size() == 2) {
            fields.push_back(t({a("map_field_assoc"), il, expr(*field->args[0], none), expr(*field->args[1], none)}));
          } else {
            fail(field->offset, "invalid field in defstruct");
          }
        }
        function_for("__struct__", 0, true, il).clauses.push_back(clause(il, {}, {}, {t({a("map"), il, term::list(fields)})}));
        term kv = fresh_var(il, "kv");
        term k = fresh_var(il, "k");
        term v = fresh_var(il, "v");
        term acc = fresh_var(il, "acc");
        term step = t({a("fun"), il, t({a("clauses"), term::list({clause(il, {t({a("tuple"), il, term::list({k, v})}), acc}, {},
                                                                            {remote(il, "maps", "update", {k, v, acc})})})})});
        function_for("__struct__", 1, true, il).clauses.push_back(
            clause(il, {kv}, {}, {remote(il, "lists", "foldl", {step, t({a("call"), il, atom_form(il, "__struct__"), term::list({})}), kv})}));
        // iex answers a defmodule ending in defstruct with the struct of the defaults.
        last = t({a("map"), il, term::list(fields)});
        continue;
      }
      if (is_call(*item, "alias") || is_call(*item, "import") || is_call(*item, "require")) {
        (void)alias_form(*item);
        continue;
      }
      fail(item->offset, "only def, defp, defstruct, module attributes and alias/import/require are supported in a module body in this shell");
    }
    std::vector<term> forms = {t({a("attribute"), l, a("module"), name})};
    std::vector<term> exports;
    for (const auto& f : functions) {
      if (f.exported) exports.push_back(t({a(f.name), term(static_cast<long long>(f.arity))}));
    }
    forms.push_back(t({a("attribute"), l, a("export"), term::list(std::move(exports))}));
    for (auto& f : functions) {
      forms.push_back(t({a("function"), f.l, a(f.name), term(static_cast<long long>(f.arity)), term::list(std::move(f.clauses))}));
    }
    return remote(l, "otpp_module", "define", {atom_form(l, ctx.name), abstract(l, term::list(std::move(forms))), last});
  }

  // The literal form that evaluates to `v` (erl_parse:abstract/2).
  static term abstract(term l, const term& v) {
    if (v.is_integer()) return t({a("integer"), l, v});
    if (v.is_float()) return t({a("float"), l, v});
    if (v.is_atom()) return t({a("atom"), l, v});
    if (v.is_binary()) return bin_string(l, v.bytes_as_string());
    if (v.is_tuple()) {
      std::vector<term> items;
      for (const auto& x : v.elements()) items.push_back(abstract(l, x));
      return t({a("tuple"), l, term::list(std::move(items))});
    }
    if (v.is_list()) {
      std::vector<term> items;
      if (!v.is_nil()) {
        for (const auto& x : v.list_elements()) items.push_back(abstract(l, x));
      }
      return cons_list(l, items, v.is_nil() || v.list_tail().is_nil() ? nil_form(l) : abstract(l, v.list_tail()));
    }
    if (v.is_map()) {
      std::vector<term> fields;
      for (const auto& [k, x] : v.map_entries()) fields.push_back(t({a("map_field_assoc"), l, abstract(l, k), abstract(l, x)}));
      return t({a("map"), l, term::list(std::move(fields))});
    }
    return t({a("atom"), l, a("undefined")});
  }

  // ---- for and with ----
  struct for_options {
    const ex* body = nullptr;
    const ex* into = nullptr;
    const ex* reduce = nullptr;
    const ex* uniq = nullptr;
  };

  term for_form(const ex& e, env& vars) {
    const term l = line(e.offset);
    std::vector<const ex*> qualifiers;
    for_options o;
    for (const auto& arg : e.args) {
      if (is_keyword_list(*arg)) {
        for (const auto& pair : arg->args) {
          const std::string_view key = pair->args[0]->value.atom_value().name();
          const ex* v = pair->args[1].get();
          if (key == "do") o.body = v;
          else if (key == "into") o.into = v;
          else if (key == "reduce") o.reduce = v;
          else if (key == "uniq") o.uniq = v;
          else fail(pair->offset, "unsupported option :" + std::string(key) + " given to for");
        }
        continue;
      }
      qualifiers.push_back(arg.get());
    }
    if (!o.body) fail(e.offset, "missing :do option in \"for\"");
    auto is_generator = [](const ex& q) {
      return is_call(q, "<-") || (is_call(q, "<<>>") && q.args.size() == 1 && is_call(*q.args[0], "<-"));
    };
    if (qualifiers.empty() || !is_generator(*qualifiers[0])) {
      fail(e.offset, "for comprehensions must start with a generator");
    }
    if (o.reduce && o.into) fail(e.offset, "cannot use :reduce alongside :into/:uniq in comprehension");
    env outer = vars;
    term init = o.reduce ? expr(*o.reduce, outer) : nil_form(l);
    term result = for_level(qualifiers, 0, o, vars, init, l);
    if (o.reduce) return result;
    result = remote(l, "lists", "reverse", {result});
    if (o.uniq) {
      env u = vars;
      result = truthy_case(l, expr(*o.uniq, u), remote(l, "Elixir.Enum", "uniq", {result}), result);
    }
    if (o.into) {
      env i = vars;
      result = remote(l, "Elixir.Enum", "into", {result, expr(*o.into, i)});
    }
    return result;
  }

  // The reduction of generator `i` over its enumerable, starting from `acc_in`.
  term for_level(const std::vector<const ex*>& qs, std::size_t i, const for_options& o, env vars, term acc_in, term l) {
    const ex& gen = *qs[i];
    const ex* pat = gen.args[0].get();
    const ex* when = nullptr;
    term enumerable;
    term p;
    std::vector<term> pin_guards;
    env inner = vars;
    if (is_call(gen, "<<>>")) {
      // `for <<c <- bin>>`: an Erlang binary comprehension collects the segments' variables,
      // then the reduction runs over those tuples.
      if (gen.args.size() != 1 || !is_call(*gen.args[0], "<-")) fail(gen.offset, "expected a bitstring generator <<pattern <- binary>>");
      const ex& inside = *gen.args[0];
      auto bin_pattern = std::make_shared<ex>(gen);
      bin_pattern->args = {inside.args[0]};
      term source = expr(*inside.args[1], vars);
      pattern_state bin_ps;
      term bin_pat = binary(*bin_pattern, vars, &bin_ps);
      std::vector<term> collected;
      std::vector<term> rebound;
      for (auto& [name, erl] : bin_ps.bound) {
        collected.push_back(t({a("var"), l, a(erl)}));
        const std::string again = fresh_name(name);
        rebound.push_back(t({a("var"), l, a(again)}));
        inner[name] = again;
      }
      enumerable = t({a("lc"), l, t({a("tuple"), l, term::list(collected)}),
                      term::list({t({a("b_generate"), l, bin_pat, source})})});
      p = t({a("tuple"), l, term::list(std::move(rebound))});
    } else {
      enumerable = expr(*gen.args[1], vars);
      if (is_call(*pat, "when")) {
        when = pat->args[1].get();
        pat = pat->args[0].get();
      }
      // The pattern is a fun head, where Erlang shadows bound variables: pins become guards.
      pattern_state ps;
      ps.pins_as_guards = true;
      p = pattern(*pat, vars, ps);
      for (auto& [k, v] : ps.bound) inner[k] = v;
      pin_guards = std::move(ps.pin_guards);
    }
    std::vector<term> guards = std::move(pin_guards);
    if (when) guards.push_back(guard(*when, inner));
    term acc = fresh_var(l, "acc");
    term body = for_rest(qs, i + 1, o, inner, acc, l);
    std::vector<term> fun_clauses = {clause(l, {p, acc}, std::move(guards), {body})};
    term skip = fresh_var(l, "acc");
    fun_clauses.push_back(clause(l, {t({a("var"), l, a("_")}), skip}, {}, {skip}));
    term fun = t({a("fun"), l, t({a("clauses"), term::list(std::move(fun_clauses))})});
    return remote(l, "Elixir.Enum", "reduce", {enumerable, acc_in, fun});
  }

  term for_rest(const std::vector<const ex*>& qs, std::size_t i, const for_options& o, env& vars, term acc, term l) {
    if (i == qs.size()) {
      if (o.reduce) {
        if (o.body->kind != ex_kind::list) fail(o.body->offset, "when using :reduce with comprehensions, the do block must be written using acc -> expr clauses");
        return case_of(l, acc, clauses(*o.body, vars, 1, false));
      }
      env inner = vars;
      term value = expr(*o.body, inner);
      return t({a("cons"), l, value, acc});
    }
    const ex& q = *qs[i];
    if (is_call(q, "<-") || (is_call(q, "<<>>") && q.args.size() == 1 && is_call(*q.args[0], "<-"))) {
      return for_level(qs, i, o, vars, acc, l);
    }
    env inner = vars;
    term test = expr(q, inner);
    return truthy_case(l, test, for_rest(qs, i + 1, o, inner, acc, l), acc);
  }

  term with_form(const ex& e, env& vars) {
    const term l = line(e.offset);
    std::vector<const ex*> steps;
    const ex* body = nullptr;
    const ex* else_clauses = nullptr;
    for (const auto& arg : e.args) {
      if (is_keyword_list(*arg) && keyword_value(arg.get(), "do")) {
        body = keyword_value(arg.get(), "do");
        else_clauses = keyword_value(arg.get(), "else");
        continue;
      }
      steps.push_back(arg.get());
    }
    if (!body) fail(e.offset, "missing :do option in \"with\"");
    return with_step(steps, 0, body, else_clauses, vars, l);
  }

  term with_step(const std::vector<const ex*>& steps, std::size_t i, const ex* body, const ex* els, env vars, term l) {
    if (i == steps.size()) return expr(*body, vars);
    const ex& s = *steps[i];
    if (!is_call(s, "<-")) {
      term first = expr(s, vars);
      term rest = with_step(steps, i + 1, body, els, vars, l);
      return block(l, {first, rest});
    }
    term value = expr(*s.args[1], vars);
    const ex* pat = s.args[0].get();
    const ex* when = nullptr;
    if (is_call(*pat, "when")) {
      when = pat->args[1].get();
      pat = pat->args[0].get();
    }
    env inner = vars;
    pattern_state ps;
    term p = pattern(*pat, vars, ps);
    for (auto& [k, v] : ps.bound) inner[k] = v;
    std::vector<term> guards;
    if (when) guards.push_back(guard(*when, inner));
    term rest = with_step(steps, i + 1, body, els, inner, l);
    term other = fresh_var(l);
    term on_mismatch = other;
    if (els) {
      env else_vars = vars;
      std::vector<term> cls = clauses(*els, else_vars, 1, false);
      term unmatched = fresh_var(l);
      cls.push_back(clause(l, {unmatched}, {}, {error_call(l, t({a("tuple"), l, term::list({atom_form(l, "with_clause"), unmatched})}))}));
      on_mismatch = case_of(l, other, std::move(cls));
    }
    return case_of(l, value, {clause(l, {p}, std::move(guards), {rest}), clause(l, {other}, {}, {on_mismatch})});
  }

  std::string_view text_;
  elixir_scope scope_;
  const elixir_options& options_;
  std::vector<std::size_t> line_starts_;
  std::size_t depth_ = 0;
  bool in_guard_ = false;
  std::vector<std::string>* captures_ = nullptr;
  module_context* module_ = nullptr;
};

}  // namespace
}  // namespace elixir

std::string elixir_error::describe(std::string_view file) const {
  if (kind == "ArgumentError") return "** (" + kind + ") " + message;
  std::string out = "** (" + kind + ") " + std::string(file) + ":" + std::to_string(line);
  if (column > 0) out += ":" + std::to_string(column);
  return out + ": " + message;
}

elixir_scope scope_after_failure(const elixir_scope& before, const elixir_scope& attempted) {
  elixir_scope out = before;
  out.counter = std::max(before.counter, attempted.counter);
  return out;
}

elixir_outcome lower_elixir(std::string_view source, const elixir_scope& scope, const elixir_options& options) {
  std::vector<elixir::ex_ptr> items;
  try {
    items = elixir::read(source, options.max_depth);
  } catch (const elixir::read_failure& f) {
    if (f.incomplete || f.offset >= source.size()) return elixir_incomplete{};
    auto at = elixir::locate(source, f.offset);
    at.line += options.first_line - 1;
    if (f.kind == "CompileError") return elixir_error{f.kind, at.line, 0, f.message};
    return elixir_error{f.kind, at.line, at.column, f.message};
  } catch (const std::exception&) {
    // An atom past the system limit (a name from the text longer than 255 characters).
    return elixir_error{"SystemLimitError", options.first_line, 0, "atom length must be less than system limit"};
  }
  try {
    elixir::lowerer l(source, scope, options);
    term exprs = l.program(items);
    return elixir_lowered{std::move(exprs), std::move(l.scope())};
  } catch (const elixir::compile_failure& f) {
    auto at = elixir::locate(source, f.offset);
    at.line += options.first_line - 1;
    return elixir_error{f.kind, at.line, 0, f.message};
  } catch (const std::exception&) {
    // An atom past the system limit (a name from the text longer than 255 characters).
    return elixir_error{"SystemLimitError", options.first_line, 0, "atom length must be less than system limit"};
  }
}

}  // namespace otpp::code
