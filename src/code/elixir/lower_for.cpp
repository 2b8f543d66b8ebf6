// Lowering of Elixir's `for` comprehensions and `with`.
#include "code/elixir/lowerer.hpp"

namespace otpp::code::elixir {

term lowerer::for_form(const ex& e, env& vars) {
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

term lowerer::for_level(const std::vector<const ex*>& qs, std::size_t i, const for_options& o, env vars, term acc_in, term l) {
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

term lowerer::for_rest(const std::vector<const ex*>& qs, std::size_t i, const for_options& o, env& vars, term acc, term l) {
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

term lowerer::with_form(const ex& e, env& vars) {
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

term lowerer::with_step(const std::vector<const ex*>& steps, std::size_t i, const ex* body, const ex* els, env vars, term l) {
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

}  // namespace otpp::code::elixir
