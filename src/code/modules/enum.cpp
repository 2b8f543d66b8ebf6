// Elixir's `Enum` (over lists, maps and ranges) and `List` modules, raising what Elixir 1.14
// raises: Erlang errors where Elixir calls into `:lists`/`:erlang`, `%Enum.EmptyError{}` and
// friends where Elixir raises its own exceptions.
#include <algorithm>
#include <optional>
#include <unordered_set>

#include "code/modules/support.hpp"
#include "otpp/code/fun_call.hpp"

namespace otpp::code::lib {

namespace {

const atom a_asc("asc");
const atom a_desc("desc");
const atom a_cont("cont");
const atom a_halt("halt");

bool truthy(const term& t) { return !t.is_atom(atoms::false_) && !t.is_atom(atoms::nil); }

term list(std::vector<term> v) { return term::list(std::move(v)); }

[[noreturn]] void empty_error() { raise_elixir("Enum.EmptyError", "empty error"); }

// Elixir's FunctionClauseError for a call no clause of Module.fun/arity accepts.
[[noreturn]] void no_clause(std::string_view module, std::string_view fun, int arity, std::vector<term> args) {
  raise_elixir("FunctionClauseError", "", {{atom("module"), atom(export_table::elixir_module(module))},
                                           {atom("function"), atom(fun)},
                                           {atom("arity"), integer(static_cast<std::int64_t>(arity))},
                                           {atom("kind"), atom("def")},
                                           {atom("args"), term::list(std::move(args))},
                                           {atom("clauses"), atoms::nil}});
}

std::int64_t int_arg(const term& t) { return small_or(t, atoms::badarg); }

// Index arithmetic of Enum.at/take/drop: a negative index counts from the end.
std::size_t clamp_index(std::int64_t i, std::size_t n) {
  if (i < 0) i += static_cast<std::int64_t>(n);
  if (i < 0) return 0;
  return std::min(n, static_cast<std::size_t>(i));
}

std::string join(std::span<const term> items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.append(sep);
    out += elixir_to_string(items[i]);
  }
  return out;
}

std::string binary_arg(const term& t) {
  if (!t.is_binary()) badarg();
  return std::string(t.bytes_as_string());
}

// Elixir's min/max over an enumerable, by term order (the first of equal ones).
term extreme(const term& e, bool want_max) {
  enumerable items(e);
  if (items.size() == 0) empty_error();
  const term* best = &items.items()[0];
  for (const term& t : items.items().subspan(1))
    if (want_max ? compare(t, *best) > 0 : compare(t, *best) < 0) best = &t;
  return *best;
}

task<std::vector<term>> map_all(process& self, std::span<const term> items, const term& f) {
  fun_runner fn(self, f, 1);
  std::vector<term> out;
  out.reserve(items.size());
  for (const term& t : items) {
    co_await self.maybe_yield();
    out.push_back(co_await fn(self, t));
  }
  co_return out;
}

task<term> filter(process& self, term e, term f, bool keep) {
  enumerable items(e, map_walk::fold);
  fun_runner fn(self, f, 1);
  std::vector<term> out;
  for (const term& t : items.items()) {
    co_await self.maybe_yield();
    if (truthy(co_await fn(self, t)) == keep) out.push_back(t);
  }
  co_return list(std::move(out));
}

task<term> any_all(process& self, term e, term f, bool all) {
  enumerable items(e);
  fun_runner fn(self, f, 1);
  for (const term& t : items.items()) {
    co_await self.maybe_yield();
    if (truthy(co_await fn(self, t)) != all) co_return boolean(!all);
  }
  co_return boolean(all);
}

// Elixir's sorter argument of Enum.sort/2 and Enum.sort_by/3: :asc, :desc, a module with
// compare/2 (ascending), {:asc | :desc, Module}, or a fun of two arguments that is true when
// its first argument may go first.
struct sorter {
  enum class order : std::uint8_t { asc, desc, module_asc, module_desc, fun } how = order::asc;
  term fn;  ///< the module's compare/2 as an export fun, or the fun
};

// nullopt for what is none of these (Elixir has no clause for it).
std::optional<sorter> sorter_of(const term& how) {
  const atom compare("compare");
  if (how.is_atom(a_asc)) return sorter{sorter::order::asc, term()};
  if (how.is_atom(a_desc)) return sorter{sorter::order::desc, term()};
  if (how.is_atom()) return sorter{sorter::order::module_asc, term::export_fun(how.atom_value(), compare, 2)};
  if (how.is_tuple() && how.tuple_size() == 2 && how[1].is_atom() && (how[0].is_atom(a_asc) || how[0].is_atom(a_desc))) {
    auto order = how[0].is_atom(a_asc) ? sorter::order::module_asc : sorter::order::module_desc;
    return sorter{order, term::export_fun(how[1].atom_value(), compare, 2)};
  }
  if (is_fun(how, 2)) return sorter{sorter::order::fun, how};
  return std::nullopt;
}

// A stable sort of `items` by `keys` (one per item) in the sorter's order.
task<std::vector<term>> sort_keyed(process& self, std::vector<term> items, std::vector<term> keys, const sorter& s) {
  std::vector<std::size_t> a(items.size());
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = i;
  if (s.how == sorter::order::asc || s.how == sorter::order::desc) {
    const bool desc = s.how == sorter::order::desc;
    std::stable_sort(a.begin(), a.end(), [&](std::size_t p, std::size_t q) {
      int c = compare(keys[p], keys[q]);
      return desc ? c > 0 : c < 0;
    });
  } else {
    // A merge sort asking the sorter whether the left one may go first, as :lists.sort/2 does.
    const atom gt("gt"), lt("lt");
    fun_runner le(self, s.fn, 2);
    std::vector<std::size_t> b(a.size());
    for (std::size_t width = 1; width < a.size(); width *= 2) {
      for (std::size_t lo = 0; lo < a.size(); lo += 2 * width) {
        std::size_t mid = std::min(lo + width, a.size()), hi = std::min(lo + 2 * width, a.size());
        std::size_t i = lo, j = mid, k = lo;
        while (i < mid && j < hi) {
          co_await self.maybe_yield();
          term r = co_await le(self, keys[a[i]], keys[a[j]]);
          bool first = s.how == sorter::order::fun           ? truthy(r)
                       : s.how == sorter::order::module_asc ? !r.is_atom(gt)
                                                             : !r.is_atom(lt);
          b[k++] = first ? a[i++] : a[j++];
        }
        while (i < mid) b[k++] = a[i++];
        while (j < hi) b[k++] = a[j++];
      }
      std::swap(a, b);
    }
  }
  std::vector<term> out;
  out.reserve(a.size());
  for (std::size_t i : a) out.push_back(items[i]);
  co_return out;
}

task<term> sort_by(process& self, term e, term f, term how) {
  enumerable items(e, map_walk::fold);
  auto s = sorter_of(how);
  if (!s) no_clause("List", "keysort_fun", 2, {how, term(1)});
  std::vector<term> keys = co_await map_all(self, items.items(), f);
  std::vector<term> all(items.items().begin(), items.items().end());
  co_return list(co_await sort_keyed(self, std::move(all), std::move(keys), *s));
}

task<term> sort(process& self, term e, term how) {
  enumerable items(e, map_walk::fold);
  auto s = sorter_of(how);
  if (!s) no_clause("Enum", "to_sort_fun", 1, {how});
  std::vector<term> all(items.items().begin(), items.items().end());
  std::vector<term> keys = all;
  co_return list(co_await sort_keyed(self, std::move(all), std::move(keys), *s));
}

term chunk_every(const term& e, const term& count, const term& step) {
  enumerable items(e);
  auto n = int_arg(count), s = int_arg(step);
  if (n < 1 || s < 1) no_clause("Enum", "chunk_every", 4, {e, count, step, term()});
  std::vector<term> out;
  auto xs = items.items();
  for (std::size_t i = 0; i < xs.size(); i += static_cast<std::size_t>(s)) {
    std::size_t end = std::min(xs.size(), i + static_cast<std::size_t>(n));
    out.push_back(term::list(std::vector<term>(xs.begin() + static_cast<std::ptrdiff_t>(i),
                                               xs.begin() + static_cast<std::ptrdiff_t>(end))));
    if (end == xs.size() && end - i < static_cast<std::size_t>(n)) break;  // a partial last chunk
  }
  return list(std::move(out));
}

}  // namespace

void add_enum(export_table& x) {
  const std::string_view E = "Enum";
  x.add_elixir(E, "map", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    co_return list(co_await map_all(self, items.items(), f));
  });
  x.add_elixir(E, "each", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    fun_runner fn(self, f, 1);
    for (const term& t : items.items()) {
      co_await self.maybe_yield();
      (void)co_await fn(self, t);
    }
    co_return atoms::ok;
  });
  x.add_elixir(E, "reduce", [](process& self, term e, term acc, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    fun_runner fn(self, f, 2);
    for (const term& t : items.items()) {
      co_await self.maybe_yield();
      acc = co_await fn(self, t, std::move(acc));
    }
    co_return acc;
  });
  x.add_elixir(E, "reduce", [](process& self, term e, term f) -> task<term> {
    enumerable items(e);
    if (items.size() == 0) empty_error();
    fun_runner fn(self, f, 2);
    term acc = items.items()[0];
    for (const term& t : items.items().subspan(1)) {
      co_await self.maybe_yield();
      acc = co_await fn(self, t, std::move(acc));
    }
    co_return acc;
  });
  x.add_elixir(E, "reduce_while", [](process& self, term e, term acc, term f) -> task<term> {
    enumerable items(e);
    fun_runner fn(self, f, 2);
    for (const term& t : items.items()) {
      co_await self.maybe_yield();
      term r = co_await fn(self, t, std::move(acc));
      // Enumerable's reducer matches {:cont, Acc} and {:halt, Acc} in its function head.
      if (!r.is_tuple() || r.tuple_size() != 2 || !(r[0].is_atom(a_halt) || r[0].is_atom(a_cont)))
        function_clause();
      acc = r[1];
      if (r[0].is_atom(a_halt)) break;
    }
    co_return acc;
  });
  x.add_elixir(E, "filter", [](process& self, term e, term f) -> task<term> {
    co_return co_await filter(self, std::move(e), std::move(f), true);
  });
  x.add_elixir(E, "reject", [](process& self, term e, term f) -> task<term> {
    co_return co_await filter(self, std::move(e), std::move(f), false);
  });
  x.add_elixir(E, "flat_map", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    fun_runner fn(self, f, 1);
    std::vector<term> out;
    for (const term& t : items.items()) {
      co_await self.maybe_yield();
      term r = co_await fn(self, t);
      if (is_lazy(r)) r = co_await lazy_to_list(self, std::move(r));
      enumerable rs(r);
      out.insert(out.end(), rs.items().begin(), rs.items().end());
    }
    co_return list(std::move(out));
  });
  x.add_elixir(E, "any?", [](process& self, term e, term f) -> task<term> {
    co_return co_await any_all(self, std::move(e), std::move(f), false);
  });
  x.add_elixir(E, "all?", [](process& self, term e, term f) -> task<term> {
    co_return co_await any_all(self, std::move(e), std::move(f), true);
  });
  x.add_elixir(E, "any?", [](term e) {
    enumerable items(e);
    return boolean(std::any_of(items.items().begin(), items.items().end(), truthy));
  });
  x.add_elixir(E, "all?", [](term e) {
    enumerable items(e);
    return boolean(std::all_of(items.items().begin(), items.items().end(), truthy));
  });
  x.add_elixir(E, "find", [](process& self, term e, term f) -> task<term> {
    enumerable items(e);
    fun_runner fn(self, f, 1);
    for (const term& t : items.items())
      if (truthy(co_await fn(self, t))) co_return t;
    co_return atoms::nil;
  });
  x.add_elixir(E, "find", [](process& self, term e, term d, term f) -> task<term> {
    enumerable items(e);
    fun_runner fn(self, f, 1);
    for (const term& t : items.items())
      if (truthy(co_await fn(self, t))) co_return t;
    co_return d;
  });
  x.add_elixir(E, "count", [](term e) { return integer(enumerable(e).size()); });
  x.add_elixir(E, "count", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    fun_runner fn(self, f, 1);
    std::int64_t n = 0;
    for (const term& t : items.items()) {
      co_await self.maybe_yield();
      if (truthy(co_await fn(self, t))) ++n;
    }
    co_return integer(n);
  });
  x.add_elixir(E, "sum", [](term e) {
    term acc(0);
    enumerable all(e);
    for (const term& t : all.items()) acc = add(acc, t);
    return acc;
  });
  x.add_elixir(E, "product", [](term e) {
    term acc(1);
    enumerable all(e);
    for (const term& t : all.items()) acc = mul(acc, t);
    return acc;
  });
  x.add_elixir(E, "max", [](term e) { return extreme(e, true); });
  x.add_elixir(E, "min", [](term e) { return extreme(e, false); });
  x.add_elixir(E, "max_by", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    if (items.size() == 0) empty_error();
    auto keys = co_await map_all(self, items.items(), f);
    std::size_t best = 0;
    for (std::size_t i = 1; i < keys.size(); ++i)
      if (compare(keys[i], keys[best]) > 0) best = i;
    co_return items.items()[best];
  });
  x.add_elixir(E, "min_by", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    if (items.size() == 0) empty_error();
    auto keys = co_await map_all(self, items.items(), f);
    std::size_t best = 0;
    for (std::size_t i = 1; i < keys.size(); ++i)
      if (compare(keys[i], keys[best]) < 0) best = i;
    co_return items.items()[best];
  });
  x.add_elixir(E, "to_list", [](term e) {
    if (e.is_list()) return e;
    enumerable items(e);
    return list(std::vector<term>(items.items().begin(), items.items().end()));
  });
  x.add_elixir(E, "reverse", [](term e) {
    enumerable items(e, map_walk::fold);
    return list(std::vector<term>(items.items().rbegin(), items.items().rend()));
  });
  x.add_elixir(E, "sort", [](process& self, term e) -> task<term> { co_return co_await sort(self, std::move(e), a_asc); });
  x.add_elixir(E, "sort", [](process& self, term e, term how) -> task<term> {
    co_return co_await sort(self, std::move(e), std::move(how));
  });
  x.add_elixir(E, "sort_by", [](process& self, term e, term f) -> task<term> {
    co_return co_await sort_by(self, std::move(e), std::move(f), a_asc);
  });
  x.add_elixir(E, "sort_by", [](process& self, term e, term f, term how) -> task<term> {
    co_return co_await sort_by(self, std::move(e), std::move(f), std::move(how));
  });
  x.add_elixir(E, "uniq", [](term e) {
    std::vector<term> out;
    std::unordered_set<term> seen;
    enumerable all(e, map_walk::fold);
    for (const term& t : all.items())
      if (seen.insert(t).second) out.push_back(t);
    return list(std::move(out));
  });
  x.add_elixir(E, "dedup", [](term e) {
    std::vector<term> out;
    enumerable all(e, map_walk::fold);
    for (const term& t : all.items())
      if (out.empty() || !exact_equal(out.back(), t)) out.push_back(t);
    return list(std::move(out));
  });
  x.add_elixir(E, "join", [](term e) {
    enumerable all(e);
    return bin(join(all.items(), ""));
  });
  x.add_elixir(E, "join", [](term e, term sep) {
    enumerable all(e);
    return bin(join(all.items(), binary_arg(sep)));
  });
  x.add_elixir(E, "map_join", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    auto mapped = co_await map_all(self, items.items(), f);
    co_return bin(join(mapped, ""));
  });
  x.add_elixir(E, "map_join", [](process& self, term e, term sep, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    std::string s = binary_arg(sep);
    auto mapped = co_await map_all(self, items.items(), f);
    co_return bin(join(mapped, s));
  });
  x.add_elixir(E, "with_index", [](term e) {
    enumerable items(e, map_walk::fold);
    std::vector<term> out;
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) out.push_back(term::tuple({items.items()[i], integer(i)}));
    return list(std::move(out));
  });
  x.add_elixir(E, "with_index", [](term e, term offset) {
    enumerable items(e, map_walk::fold);
    std::vector<term> out;
    out.reserve(items.size());
    term i = offset;
    for (const term& t : items.items()) {
      out.push_back(term::tuple({t, i}));
      i = add(i, term(1));
    }
    return list(std::move(out));
  });
  x.add_elixir(E, "zip", [](term e1, term e2) {
    enumerable a(e1), b(e2);
    std::size_t n = std::min(a.size(), b.size());
    std::vector<term> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(term::tuple({a.items()[i], b.items()[i]}));
    return list(std::move(out));
  });
  x.add_elixir(E, "take", [](term e, term n) {
    enumerable items(e);
    auto k = int_arg(n);
    auto xs = items.items();
    if (k >= 0) {
      std::size_t end = std::min(xs.size(), static_cast<std::size_t>(k));
      return list(std::vector<term>(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(end)));
    }
    std::size_t from = clamp_index(k, xs.size());
    return list(std::vector<term>(xs.begin() + static_cast<std::ptrdiff_t>(from), xs.end()));
  });
  x.add_elixir(E, "drop", [](term e, term n) {
    enumerable items(e, map_walk::fold);
    auto k = int_arg(n);
    auto xs = items.items();
    if (k >= 0) {
      std::size_t from = std::min(xs.size(), static_cast<std::size_t>(k));
      return list(std::vector<term>(xs.begin() + static_cast<std::ptrdiff_t>(from), xs.end()));
    }
    std::size_t end = clamp_index(k, xs.size());
    return list(std::vector<term>(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(end)));
  });
  x.add_elixir(E, "take_while", [](process& self, term e, term f) -> task<term> {
    enumerable items(e);
    fun_runner fn(self, f, 1);
    std::vector<term> out;
    for (const term& t : items.items()) {
      if (!truthy(co_await fn(self, t))) break;
      out.push_back(t);
    }
    co_return list(std::move(out));
  });
  x.add_elixir(E, "drop_while", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    fun_runner fn(self, f, 1);
    auto xs = items.items();
    std::size_t i = 0;
    while (i < xs.size() && truthy(co_await fn(self, xs[i]))) ++i;
    co_return list(std::vector<term>(xs.begin() + static_cast<std::ptrdiff_t>(i), xs.end()));
  });
  x.add_elixir(E, "member?", [](term e, term v) {
    enumerable all(e);
    for (const term& t : all.items())
      if (exact_equal(t, v)) return boolean(true);
    return boolean(false);
  });
  x.add_elixir(E, "empty?", [](term e) { return boolean(enumerable(e).size() == 0); });
  x.add_elixir(E, "at", [](term e, term i) {
    enumerable items(e);
    auto k = int_arg(i);
    if (k < 0) k += static_cast<std::int64_t>(items.size());
    if (k < 0 || static_cast<std::size_t>(k) >= items.size()) return term(atoms::nil);
    return items.items()[static_cast<std::size_t>(k)];
  });
  x.add_elixir(E, "at", [](term e, term i, term d) {
    enumerable items(e);
    auto k = int_arg(i);
    if (k < 0) k += static_cast<std::int64_t>(items.size());
    if (k < 0 || static_cast<std::size_t>(k) >= items.size()) return d;
    return items.items()[static_cast<std::size_t>(k)];
  });
  x.add_elixir(E, "group_by", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    auto keys = co_await map_all(self, items.items(), f);
    std::vector<std::pair<term, std::vector<term>>> groups;
    std::unordered_map<term, std::size_t> where;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto [it, fresh] = where.emplace(keys[i], groups.size());
      if (fresh) groups.emplace_back(keys[i], std::vector<term>());
      groups[it->second].second.push_back(items.items()[i]);
    }
    std::vector<std::pair<term, term>> out;
    for (auto& [k, v] : groups) out.emplace_back(k, list(std::move(v)));
    co_return term::map(std::move(out));
  });
  x.add_elixir(E, "frequencies", [](term e) {
    std::vector<std::pair<term, term>> counts;
    std::unordered_map<term, std::size_t> where;
    enumerable all(e);
    for (const term& t : all.items()) {
      auto [it, fresh] = where.emplace(t, counts.size());
      if (fresh) counts.emplace_back(t, term(0));
      counts[it->second].second = add(counts[it->second].second, term(1));
    }
    return term::map(std::move(counts));
  });
  x.add_elixir(E, "chunk_every", [](term e, term n) { return chunk_every(e, n, n); });
  x.add_elixir(E, "chunk_every", [](term e, term n, term s) { return chunk_every(e, n, s); });
  x.add_elixir(E, "concat", [](term e) {
    std::vector<term> out;
    enumerable all(e);
    for (const term& part : all.items()) {
      enumerable xs(part);
      out.insert(out.end(), xs.items().begin(), xs.items().end());
    }
    return list(std::move(out));
  });
  x.add_elixir(E, "concat", [](term e1, term e2) {
    enumerable a(e1), b(e2);
    std::vector<term> out(a.items().begin(), a.items().end());
    out.insert(out.end(), b.items().begin(), b.items().end());
    return list(std::move(out));
  });
  x.add_elixir(E, "into", [](term e, term into) {
    enumerable items(e);
    if (into.is_list()) {
      auto xs = proper_or(into, atoms::badarg);
      std::vector<term> out(xs.begin(), xs.end());
      out.insert(out.end(), items.items().begin(), items.items().end());
      return list(std::move(out));
    }
    if (into.is_map() && !field(into, a::struct_)) {
      std::vector<std::pair<term, term>> out(into.map_entries().begin(), into.map_entries().end());
      for (const term& t : items.items()) {
        if (!t.is_tuple() || t.tuple_size() != 2) raise_elixir("ArgumentError", "collecting into a map requires {key, value} tuples, got: " + inspect(t));
        out.emplace_back(t[0], t[1]);
      }
      return term::map(std::move(out));
    }
    if (into.is_binary()) {
      std::string s(into.bytes_as_string());
      for (const term& t : items.items()) s += elixir_to_string(t);
      return bin(s);
    }
    std::vector<std::pair<term, term>> fields{
        {a::struct_, atom("Elixir.Protocol.UndefinedError")}, {a::exception, atoms::true_},
        {atom("protocol"), atom("Elixir.Collectable")}, {atom("value"), into}, {atom("description"), bin("")}};
    fail(term::map(std::move(fields)));
  });
  x.add_elixir(E, "split", [](term e, term n) {
    enumerable items(e, map_walk::fold);
    auto xs = items.items();
    auto k = int_arg(n);
    std::size_t at = k >= 0 ? std::min(xs.size(), static_cast<std::size_t>(k)) : clamp_index(k, xs.size());
    return tuple_of(list(std::vector<term>(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(at))),
                    list(std::vector<term>(xs.begin() + static_cast<std::ptrdiff_t>(at), xs.end())));
  });

  x.add_elixir(E, "find_index", [](process& self, term e, term f) -> task<term> {
    enumerable items(e);
    fun_runner fn(self, f, 1);
    for (std::size_t i = 0; i < items.size(); ++i)
      if (truthy(co_await fn(self, items.items()[i]))) co_return integer(i);
    co_return atoms::nil;
  });
  x.add_elixir(E, "find_value", [](process& self, term e, term f) -> task<term> {
    enumerable items(e);
    fun_runner fn(self, f, 1);
    for (const term& t : items.items()) {
      term v = co_await fn(self, t);
      if (truthy(v)) co_return v;
    }
    co_return atoms::nil;
  });
  x.add_elixir(E, "uniq_by", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    auto keys = co_await map_all(self, items.items(), f);
    std::unordered_set<term> seen;
    std::vector<term> out;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (seen.insert(keys[i]).second) out.push_back(items.items()[i]);
    co_return list(std::move(out));
  });
  x.add_elixir(E, "scan", [](process& self, term e, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    fun_runner fn(self, f, 2);
    std::vector<term> out;
    out.reserve(items.size());
    for (const term& t : items.items()) {
      if (out.empty()) out.push_back(t);
      else out.push_back(co_await fn(self, t, out.back()));
    }
    co_return list(std::move(out));
  });
  x.add_elixir(E, "scan", [](process& self, term e, term acc, term f) -> task<term> {
    enumerable items(e, map_walk::fold);
    fun_runner fn(self, f, 2);
    std::vector<term> out;
    out.reserve(items.size());
    for (const term& t : items.items()) {
      acc = co_await fn(self, t, std::move(acc));
      out.push_back(acc);
    }
    co_return list(std::move(out));
  });
  x.add_elixir(E, "fetch", [](term e, term i) {
    enumerable items(e);
    auto k = int_arg(i);
    if (k < 0) k += static_cast<std::int64_t>(items.size());
    if (k < 0 || static_cast<std::size_t>(k) >= items.size()) return term(atoms::error);
    return tuple_of(atoms::ok, items.items()[static_cast<std::size_t>(k)]);
  });
  x.add_elixir(E, "slice", [](term e, term start, term n) {
    enumerable items(e);
    auto xs = items.items();
    auto from = int_arg(start), len = int_arg(n);
    if (from < 0) from += static_cast<std::int64_t>(xs.size());
    if (from < 0 || len < 0 || static_cast<std::size_t>(from) >= xs.size()) return term();
    std::size_t f = static_cast<std::size_t>(from);
    std::size_t end = std::min(xs.size(), f + static_cast<std::size_t>(len));
    return list(std::vector<term>(xs.begin() + static_cast<std::ptrdiff_t>(f),
                                  xs.begin() + static_cast<std::ptrdiff_t>(end)));
  });

  // ---- List ----------------------------------------------------------------------------------
  const std::string_view L = "List";
  x.add_elixir(L, "first", [](term l) {
    auto xs = proper(l);
    return xs.empty() ? term(atoms::nil) : xs[0];
  });
  x.add_elixir(L, "first", [](term l, term d) {
    auto xs = proper(l);
    return xs.empty() ? d : xs[0];
  });
  x.add_elixir(L, "last", [](term l) {
    auto xs = proper(l);
    return xs.empty() ? term(atoms::nil) : xs.back();
  });
  x.add_elixir(L, "last", [](term l, term d) {
    auto xs = proper(l);
    return xs.empty() ? d : xs.back();
  });
  x.add_elixir(L, "flatten", [](term l) {
    std::vector<term> out;
    std::vector<std::pair<std::span<const term>, std::size_t>> stack{{proper(l), 0}};
    while (!stack.empty()) {
      auto& [xs, i] = stack.back();
      if (i == xs.size()) {
        stack.pop_back();
        continue;
      }
      const term& t = xs[i++];
      if (t.is_list()) stack.emplace_back(proper(t), 0);
      else out.push_back(t);
    }
    return list(std::move(out));
  });
  x.add_elixir(L, "wrap", [](term t) {
    if (t.is_atom(atoms::nil)) return term();
    if (t.is_list()) return t;
    return list_of(t);
  });
  x.add_elixir(L, "to_tuple", [](term l) {
    auto xs = proper_or(l, atoms::badarg);
    return term::tuple(std::vector<term>(xs.begin(), xs.end()));
  });
  x.add_elixir(L, "delete", [](term l, term v) {
    auto xs = proper(l);
    std::vector<term> out(xs.begin(), xs.end());
    for (std::size_t i = 0; i < out.size(); ++i)
      if (exact_equal(out[i], v)) {
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    return list(std::move(out));
  });
  x.add_elixir(L, "duplicate", [](term v, term n) {
    auto k = int_arg(n);
    if (k < 0) function_clause();
    return list(std::vector<term>(static_cast<std::size_t>(k), v));
  });
  x.add_elixir(L, "insert_at", [](term l, term i, term v) {
    auto xs = proper(l);
    auto k = int_arg(i);
    // A negative index counts from the end: -1 appends.
    std::size_t at = k >= 0 ? std::min(xs.size(), static_cast<std::size_t>(k))
                            : static_cast<std::size_t>(std::max<std::int64_t>(0, k + 1 + static_cast<std::int64_t>(xs.size())));
    std::vector<term> out(xs.begin(), xs.end());
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), v);
    return list(std::move(out));
  });
  x.add_elixir(L, "foldl", [](process& self, term l, term acc, term f) -> task<term> {
    fun_runner fn(self, f, 2);
    for (const term& t : proper(l)) {
      co_await self.maybe_yield();
      acc = co_await fn(self, t, std::move(acc));
    }
    co_return acc;
  });
  x.add_elixir(L, "foldr", [](process& self, term l, term acc, term f) -> task<term> {
    fun_runner fn(self, f, 2);
    auto xs = proper(l);
    for (auto it = xs.rbegin(); it != xs.rend(); ++it) {
      co_await self.maybe_yield();
      acc = co_await fn(self, *it, std::move(acc));
    }
    co_return acc;
  });
  x.add_elixir(L, "keyfind", [](term l, term k, term pos) {
    auto p = int_arg(pos);
    for (const term& t : proper(l))
      if (t.is_tuple() && p >= 0 && static_cast<std::size_t>(p) < t.tuple_size() && equal(t[static_cast<std::size_t>(p)], k))
        return t;
    return term(atoms::nil);
  });
  x.add_elixir(L, "zip", [](term ls) {
    std::vector<enumerable> parts;
    for (const term& l : proper(ls)) parts.emplace_back(l);
    std::size_t n = parts.empty() ? 0 : parts[0].size();
    for (const auto& p : parts) n = std::min(n, p.size());
    std::vector<term> out;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<term> row;
      for (const auto& p : parts) row.push_back(p.items()[i]);
      out.push_back(term::tuple(std::move(row)));
    }
    return list(std::move(out));
  });
}

}  // namespace otpp::code::lib
