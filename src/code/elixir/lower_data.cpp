// Lowering of Elixir's data and operators: aliases, pipes, `<>`, ranges, `in`, maps, structs,
// binaries and sigils.
#include "code/elixir/lowerer.hpp"

namespace otpp::code::elixir {

term lowerer::alias_form(const ex& e) {
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

ex_ptr lowerer::pipe(const ex& e) {
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

term lowerer::concat(const ex& e, env& vars) {
  const term l = line(e.offset);
  std::vector<term> elements;
  concat_elements(e, vars, elements, false, nullptr);
  return t({a("bin"), l, term::list(std::move(elements))});
}

void lowerer::concat_elements(const ex& e, env& vars, std::vector<term>& out, bool is_pattern, pattern_state* ps) {
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

term lowerer::range(const ex& e, env& vars) {
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

term lowerer::membership(const ex& e, env& vars) {
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

term lowerer::map_expr(const ex& e, env& vars) {
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

term lowerer::struct_expr(const ex& e, env& vars) {
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

term lowerer::binary(const ex& e, env& vars, pattern_state* ps) {
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

void lowerer::read_spec(const ex& spec, env& vars, pattern_state* ps, term& size, std::vector<term>& types) {
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

term lowerer::sigil(const ex& e) {
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

}  // namespace otpp::code::elixir
