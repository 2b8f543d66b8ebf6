// Lowering of Elixir expressions: variables, remote and local calls, and the Kernel macros,
// inlined functions and special forms a call may name.
#include "code/elixir/lowerer.hpp"

namespace otpp::code::elixir {

term lowerer::expr(const ex& e, env& vars) {
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

term lowerer::variable(const ex& e, env& vars) {
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

[[nodiscard]] bool lowerer::kernel_local(std::string_view name, std::size_t arity) const {
  return erlang_same_name(name, arity) || kernel_function(name, arity);
}

std::vector<term> lowerer::args_of(const ex& e, env& vars) {
  std::vector<term> out;
  out.reserve(e.args.size());
  for (const auto& arg : e.args) out.push_back(expr(*arg, vars));
  return out;
}

term lowerer::remote_call(const ex& e, env& vars) {
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

term lowerer::local(const ex& e, env& vars) {
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

term lowerer::kernel_call(const ex& e, env& vars) {
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

std::optional<atom> lowerer::imported(std::string_view name, std::size_t arity) const {
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

}  // namespace otpp::code::elixir
