// What the parts of the Elixir lowering share: the lowerer, which turns the Elixir tree of
// ast.hpp into Erlang abstract format, its form builders, and the names of Kernel's functions
// and of the Erlang errors `rescue` recognizes.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "code/elixir/ast.hpp"
#include "otpp/code/elixir.hpp"

namespace otpp::code::elixir {

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
inline term a(std::string_view name) { return atom(name); }
inline term t(std::initializer_list<term> items) { return term::tuple(items); }

inline bool is_call(const ex& e, std::string_view name) { return e.kind == ex_kind::call && !e.target && e.name == name; }
// A sigil node's name: `~` and its letter (operators such as `~>` are not).
inline bool is_sigil(std::string_view name) {
  return name.size() == 2 && name[0] == '~' &&
         ((name[1] >= 'a' && name[1] <= 'z') || (name[1] >= 'A' && name[1] <= 'Z'));
}
// An operator or special form named with an arity it does not have (`Kernel.=(1)`).
inline bool wrong_special_arity(std::string_view n, std::size_t arity) {
  static const std::set<std::string_view> binary_only = {"=", "|>", "<>", "..", "&&", "||", "and", "or", "in",
                                                         "not in", "<-", "when", "::", "\\\\", "->"};
  static const std::set<std::string_view> unary_only = {"!", "^", "@", "&"};
  return (binary_only.count(n) && arity != 2) || (unary_only.count(n) && arity != 1) || (n == "..//" && arity != 3);
}
inline bool is_atom_literal(const ex& e) { return e.kind == ex_kind::literal && e.value.is_atom(); }

// A do-block or keyword argument: the value for `key` in a trailing keyword list.
inline const ex* keyword_value(const ex* list, std::string_view key) {
  if (!list || list->kind != ex_kind::list) return nullptr;
  for (const auto& item : list->args) {
    if (is_call(*item, "{}") && item->args.size() == 2 && is_atom_literal(*item->args[0]) &&
        item->args[0]->value.atom_value().name() == key) {
      return item->args[1].get();
    }
  }
  return nullptr;
}

inline bool is_keyword_list(const ex& e) {
  if (e.kind != ex_kind::list || e.tail || e.args.empty()) return false;
  return std::all_of(e.args.begin(), e.args.end(), [](const ex_ptr& item) {
    return is_call(*item, "{}") && item->args.size() == 2 && is_atom_literal(*item->args[0]);
  });
}

// Kernel functions Elixir inlines to an `erlang` function of the same name and arity.
inline bool erlang_same_name(std::string_view name, std::size_t arity) {
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
inline bool kernel_function(std::string_view name, std::size_t arity) {
  static const std::set<std::pair<std::string_view, std::size_t>> table = {
      {"inspect", 1}, {"inspect", 2}, {"struct", 1},  {"struct", 2},  {"struct!", 1},
      {"struct!", 2}, {"get_in", 2},  {"put_in", 3},  {"update_in", 3}, {"pop_in", 2},
      {"get_and_update_in", 3},       {"**", 2},      {"=~", 2},      {"function_exported?", 3},
      {"macro_exported?", 3},         {"to_timeout", 1}};
  return table.count({name, arity}) != 0;
}

// Erlang operators a Kernel operator of that arity becomes.
inline std::optional<std::string_view> erlang_operator(std::string_view op, std::size_t arity) {
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
inline constexpr erlang_error_shape erlang_errors[] = {
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
  term expr(const ex& e, env& vars);

  term variable(const ex& e, env& vars);

  [[nodiscard]] bool kernel_local(std::string_view name, std::size_t arity) const;

  std::vector<term> args_of(const ex& e, env& vars);

  term remote_call(const ex& e, env& vars);

  term local(const ex& e, env& vars);

  // Kernel macros, inlined functions, special forms, and the caller's local functions.
  term kernel_call(const ex& e, env& vars);

  // The module an `import` brings `name/arity` from (the latest import wins).
  std::optional<atom> imported(std::string_view name, std::size_t arity) const;

  term alias_form(const ex& e);

  // `x |> f(a)` is `f(x, a)`.
  ex_ptr pipe(const ex& e);

  term concat(const ex& e, env& vars);
  void concat_elements(const ex& e, env& vars, std::vector<term>& out, bool is_pattern, pattern_state* ps);

  term range(const ex& e, env& vars);

  // `x in list_or_range`: in guards, Erlang comparisons; in bodies, `Enum.member?/2`, or
  // `lists:member/2` for a literal list, as Kernel.in/2 expands.
  term membership(const ex& e, env& vars);

  term map_expr(const ex& e, env& vars);

  // `%Mod{k: v}` builds through `Mod.__struct__/1` (which checks the keys), as `struct!/2`
  // does; `%Mod{s | k: v}` checks that `s` is a `Mod` first.
  term struct_expr(const ex& e, env& vars);

  // `<<...>>` in an expression (ps null) or a pattern.
  term binary(const ex& e, env& vars, pattern_state* ps);

  void read_spec(const ex& spec, env& vars, pattern_state* ps, term& size, std::vector<term>& types);

  term sigil(const ex& e);

  // ---- patterns and guards ----
  term pattern(const ex& e, env& vars, pattern_state& ps);

  term guard(const ex& e, env& vars);

  // `->` clauses: heads of `arity` patterns (an optional `when`), bodies in their own scope.
  std::vector<term> clauses(const ex& list, env& vars, std::size_t arity, bool pins_as_guards,
                            std::size_t* seen_arity = nullptr);

  term one_clause(const ex& c, env& vars, std::size_t arity, bool pins_as_guards, std::size_t* seen_arity,
                  const std::vector<term>& extra_body_prefix = {});

  term fn(const ex& e, env& vars);

  term cond(const ex& list, env& vars, std::size_t i);

  term receive(const ex& kw, env& vars, term l);

  term try_form(const ex& kw, env& vars, term l);

  term catch_clause(const ex& c, env& vars);

  term rescue_clause(const ex& c, env& vars);

  // Does the raw error `reason` stand for exception `mod`: its struct, or the Erlang term
  // Exception.normalize/3 turns into it.
  static term rescue_guard(term l, term reason, std::string_view mod);

  term raise(const ex& e, env& vars);

  static term runtime_error(term l, term message);

  // `&Mod.fun/2`, `&fun/2`, `&+/2`, `&(&1 * 2)`.
  term capture(const ex& e, env& vars);

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

  def_head read_head(const ex& def);

  term defmodule(const ex& e);

  // The literal form that evaluates to `v` (erl_parse:abstract/2).
  static term abstract(term l, const term& v);

  // ---- for and with ----
  struct for_options {
    const ex* body = nullptr;
    const ex* into = nullptr;
    const ex* reduce = nullptr;
    const ex* uniq = nullptr;
  };

  term for_form(const ex& e, env& vars);

  // The reduction of generator `i` over its enumerable, starting from `acc_in`.
  term for_level(const std::vector<const ex*>& qs, std::size_t i, const for_options& o, env vars, term acc_in, term l);

  term for_rest(const std::vector<const ex*>& qs, std::size_t i, const for_options& o, env& vars, term acc, term l);

  term with_form(const ex& e, env& vars);

  term with_step(const std::vector<const ex*>& steps, std::size_t i, const ex* body, const ex* els, env vars, term l);

  std::string_view text_;
  elixir_scope scope_;
  const elixir_options& options_;
  std::vector<std::size_t> line_starts_;
  std::size_t depth_ = 0;
  bool in_guard_ = false;
  std::vector<std::string>* captures_ = nullptr;
  module_context* module_ = nullptr;
};

}  // namespace otpp::code::elixir
