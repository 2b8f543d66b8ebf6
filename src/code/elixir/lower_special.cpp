// Lowering of Elixir's control forms: `cond`, `receive`, `try` with its `catch` and `rescue`
// clauses, `raise`, and captures (`&`).
#include "code/elixir/lowerer.hpp"

namespace otpp::code::elixir {

term lowerer::cond(const ex& list, env& vars, std::size_t i) {
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

term lowerer::receive(const ex& kw, env& vars, term l) {
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

term lowerer::try_form(const ex& kw, env& vars, term l) {
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

term lowerer::catch_clause(const ex& c, env& vars) {
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

term lowerer::rescue_clause(const ex& c, env& vars) {
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

term lowerer::rescue_guard(term l, term reason, std::string_view mod) {
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

term lowerer::raise(const ex& e, env& vars) {
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

term lowerer::runtime_error(term l, term message) {
  return t({a("map"), l,
            term::list({t({a("map_field_assoc"), l, atom_form(l, "__struct__"), atom_form(l, "Elixir.RuntimeError")}),
                        t({a("map_field_assoc"), l, atom_form(l, "__exception__"), atom_form(l, "true")}),
                        t({a("map_field_assoc"), l, atom_form(l, "message"), message})})});
}

term lowerer::capture(const ex& e, env& vars) {
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

}  // namespace otpp::code::elixir
