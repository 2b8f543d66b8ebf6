// Lowering of `defmodule`: a module's functions, attributes and exports as Erlang forms, defined
// when the lowered code runs.
#include "code/elixir/lowerer.hpp"

namespace otpp::code::elixir {

lowerer::def_head lowerer::read_head(const ex& def) {
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

term lowerer::defmodule(const ex& e) {
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
      last = t({a("tuple"), il, term::list({atom_form(il, "__struct__"), t({a("integer"), il, term(1)})})});
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

term lowerer::abstract(term l, const term& v) {
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

}  // namespace otpp::code::elixir
