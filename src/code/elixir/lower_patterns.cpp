// Lowering of Elixir patterns, guards and `->` clauses, and of `fn`.
#include "code/elixir/lowerer.hpp"

namespace otpp::code::elixir {

term lowerer::pattern(const ex& e, env& vars, pattern_state& ps) {
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

term lowerer::guard(const ex& e, env& vars) {
  const bool saved = in_guard_;
  in_guard_ = true;
  term out = expr(e, vars);
  in_guard_ = saved;
  return out;
}

std::vector<term> lowerer::clauses(const ex& list, env& vars, std::size_t arity, bool pins_as_guards,
                          std::size_t* seen_arity) {
  if (list.kind != ex_kind::list) fail(list.offset, "expected -> clauses");
  std::vector<term> out;
  for (const auto& c : list.args) {
    if (!is_call(*c, "->")) fail(c->offset, "expected -> clauses");
    out.push_back(one_clause(*c, vars, arity, pins_as_guards, seen_arity));
  }
  return out;
}

term lowerer::one_clause(const ex& c, env& vars, std::size_t arity, bool pins_as_guards, std::size_t* seen_arity,
                const std::vector<term>& extra_body_prefix) {
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

term lowerer::fn(const ex& e, env& vars) {
  const term l = line(e.offset);
  std::size_t arity = static_cast<std::size_t>(-1);
  auto list = std::make_shared<ex>();
  list->kind = ex_kind::list;
  list->args = e.args;
  std::vector<term> cls = clauses(*list, vars, 0, true, &arity);
  return t({a("fun"), l, t({a("clauses"), term::list(std::move(cls))})});
}

}  // namespace otpp::code::elixir
