// The `maps` module, with OTP's errors: `{badmap, M}` for a non-map, `{badkey, K}` for a
// missing key, badarg for a bad fun or list.
#include "code/modules/support.hpp"
#include "otpp/code/fun_call.hpp"
#include "otpp/term/map_order.hpp"

namespace otpp::code::lib {

namespace {

using entries = std::vector<std::pair<term, term>>;

const term& map_arg(const term& m) {
  if (!m.is_map()) fail(tuple_of(a::badmap, m));
  return m;
}

entries copy(const term& m) {
  auto e = map_arg(m).map_entries();
  return entries(e.begin(), e.end());
}

term put(const term& k, term v, const term& m) {
  entries e = copy(m);
  e.emplace_back(k, std::move(v));  // term::map keeps the later of duplicate keys
  return term::map(std::move(e));
}

term remove(const term& k, const term& m) {
  entries e;
  for (const auto& kv : map_arg(m).map_entries())
    if (!exact_equal(kv.first, k)) e.push_back(kv);
  return term::map(std::move(e));
}

}  // namespace

void add_maps(export_table& x) {
  x.add("maps", "new", [] { return term::map({}); });
  x.add("maps", "get", [](term k, term m) {
    const term* v = map_arg(m).map_find(k);
    if (!v) fail(tuple_of(a::badkey, k));
    return *v;
  });
  x.add("maps", "get", [](term k, term m, term d) {
    const term* v = map_arg(m).map_find(k);
    return v ? *v : d;
  });
  x.add("maps", "find", [](term k, term m) {
    const term* v = map_arg(m).map_find(k);
    return v ? tuple_of(atoms::ok, *v) : term(atoms::error);
  });
  x.add("maps", "is_key", [](term k, term m) { return boolean(map_arg(m).map_find(k) != nullptr); });
  x.add("maps", "put", [](term k, term v, term m) { return put(k, std::move(v), m); });
  x.add("maps", "remove", [](term k, term m) { return remove(k, m); });
  x.add("maps", "take", [](term k, term m) {
    const term* v = map_arg(m).map_find(k);
    return v ? tuple_of(*v, remove(k, m)) : term(atoms::error);
  });
  x.add("maps", "update", [](term k, term v, term m) {
    if (!map_arg(m).map_find(k)) fail(tuple_of(a::badkey, k));
    return put(k, std::move(v), m);
  });
  x.add("maps", "keys", [](term m) {
    std::vector<term> out;
    for (const auto* kv : map_to_list_order(map_arg(m))) out.push_back(kv->first);
    return term::list(std::move(out));
  });
  x.add("maps", "values", [](term m) {
    std::vector<term> out;
    for (const auto* kv : map_to_list_order(map_arg(m))) out.push_back(kv->second);
    return term::list(std::move(out));
  });
  x.add("maps", "to_list", [](term m) {
    std::vector<term> out;
    for (const auto* kv : map_to_list_order(map_arg(m))) out.push_back(term::tuple({kv->first, kv->second}));
    return term::list(std::move(out));
  });
  x.add("maps", "from_list", [](term l) {
    entries e;
    for (const term& t : proper_or(l, atoms::badarg)) {
      if (!t.is_tuple() || t.tuple_size() != 2) badarg();
      e.emplace_back(t[0], t[1]);
    }
    return term::map(std::move(e));
  });
  x.add("maps", "from_keys", [](term l, term v) {
    entries e;
    for (const term& k : proper_or(l, atoms::badarg)) e.emplace_back(k, v);
    return term::map(std::move(e));
  });
  x.add("maps", "size", [](term m) { return integer(map_arg(m).map_entries().size()); });
  x.add("maps", "merge", [](term m1, term m2) {
    entries e = copy(m1);
    auto e2 = map_arg(m2).map_entries();
    e.insert(e.end(), e2.begin(), e2.end());
    return term::map(std::move(e));
  });
  x.add("maps", "with", [](term ks, term m) {
    map_arg(m);
    entries e;
    for (const term& k : proper_or(ks, atoms::badarg))
      if (const term* v = m.map_find(k)) e.emplace_back(k, *v);
    return term::map(std::move(e));
  });
  x.add("maps", "without", [](term ks, term m) {
    map_arg(m);
    auto drop = proper_or(ks, atoms::badarg);
    entries e;
    for (const auto& kv : m.map_entries()) {
      bool keep = true;
      for (const term& k : drop)
        if (exact_equal(k, kv.first)) keep = false;
      if (keep) e.push_back(kv);
    }
    return term::map(std::move(e));
  });
  x.add("maps", "update_with", [](process& self, term k, term f, term m) -> task<term> {
    const term* v = map_arg(m).map_find(k);
    if (!v) fail(tuple_of(a::badkey, k));
    if (!is_fun(f, 1)) badarg();
    term old = *v;
    term nv = co_await call_fun(self, f, std::vector<term>(1, old));
    co_return put(k, std::move(nv), m);
  });
  x.add("maps", "update_with", [](process& self, term k, term f, term init, term m) -> task<term> {
    const term* v = map_arg(m).map_find(k);
    if (!is_fun(f, 1)) badarg();
    if (!v) co_return put(k, init, m);
    term old = *v;
    term nv = co_await call_fun(self, f, std::vector<term>(1, old));
    co_return put(k, std::move(nv), m);
  });
  x.add("maps", "fold", [](process& self, term f, term acc, term m) -> task<term> {
    map_arg(m);
    if (!is_fun(f, 3)) badarg();
    fun_runner fn(self, f, 3);
    for (const auto* kv : map_fold_order(m)) {
      co_await self.maybe_yield();
      std::vector<term> args{kv->first, kv->second, std::move(acc)};
      acc = co_await fn(self, std::move(args));
    }
    co_return acc;
  });
  x.add("maps", "foreach", [](process& self, term f, term m) -> task<term> {
    map_arg(m);
    if (!is_fun(f, 2)) badarg();
    fun_runner fn(self, f, 2);
    for (const auto* kv : map_fold_order(m)) (void)co_await fn(self, kv->first, kv->second);
    co_return atoms::ok;
  });
  x.add("maps", "map", [](process& self, term f, term m) -> task<term> {
    map_arg(m);
    if (!is_fun(f, 2)) badarg();
    fun_runner fn(self, f, 2);
    entries e;
    e.reserve(m.map_entries().size());
    for (const auto* kv : map_fold_order(m)) {
      co_await self.maybe_yield();
      term nv = co_await fn(self, kv->first, kv->second);
      e.emplace_back(kv->first, std::move(nv));
    }
    co_return term::map(std::move(e));
  });
  x.add("maps", "filter", [](process& self, term f, term m) -> task<term> {
    map_arg(m);
    if (!is_fun(f, 2)) badarg();
    fun_runner fn(self, f, 2);
    entries e;
    for (const auto* kv : map_fold_order(m)) {
      co_await self.maybe_yield();
      term keep = co_await fn(self, kv->first, kv->second);
      if (keep.is_atom(atoms::true_))
        e.push_back(*kv);
      else if (!keep.is_atom(atoms::false_))
        fail(tuple_of(a::case_clause, keep));
    }
    co_return term::map(std::move(e));
  });
}

}  // namespace otpp::code::lib
