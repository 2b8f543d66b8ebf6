// The `lists` module, with OTP's error behaviour (function_clause where lists.erl has no
// matching clause, badarg where it calls a BIF that refuses the argument).
#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "code/modules/support.hpp"
#include "otpp/code/fun_call.hpp"
#include "otpp/term/list_builder.hpp"
#include "otpp/term/print.hpp"

namespace otpp::code::lib {

namespace {

const atom a_bad_filter("bad_filter");

// The boolean a predicate returned; otherwise the error `case` in lists.erl would raise.
bool truth(const term& v, const atom& else_tag) {
  if (v.is_atom(atoms::true_)) return true;
  if (v.is_atom(atoms::false_)) return false;
  fail(tuple_of(else_tag, v));
}

term list(std::vector<term> v) { return term::list(std::move(v)); }

term slice(std::span<const term> xs, std::size_t from, std::size_t to) {
  return term::list(std::vector<term>(xs.begin() + static_cast<std::ptrdiff_t>(from),
                                      xs.begin() + static_cast<std::ptrdiff_t>(to)));
}

// Erlang term order as a strict weak ordering (stable sorts keep equal elements in order).
bool less(const term& x, const term& y) { return compare(x, y) < 0; }

void flatten_into(const term& l, std::vector<term>& out, int depth) {
  if (depth > 10000) fail(atoms::system_limit);
  for (const term& e : proper(l)) {
    if (e.is_list())
      flatten_into(e, out, depth + 1);
    else
      out.push_back(e);
  }
}

const term* key_of(const term& t, std::int64_t n) {
  if (!t.is_tuple() || static_cast<std::int64_t>(t.tuple_size()) < n) return nullptr;
  return &t[static_cast<std::size_t>(n - 1)];
}

// The elements of a list lists.erl matches in a `case`: anything else is a case_clause.
std::span<const term> cased(const term& l) {
  if (!l.is_list()) fail(tuple_of(a::case_clause, l));
  if (!l.list_tail().is_nil()) fail(tuple_of(a::case_clause, l.list_tail()));
  return l.list_elements();
}

std::int64_t key_pos(const term& n) {
  auto v = n.to_int64();
  if (!v || *v < 1) badarg();
  return *v;
}

term seq(const term& from, const term& to, const term& incr, const term& bad = a::function_clause) {
  if (!from.is_small_integer() || !to.is_small_integer() || !incr.is_small_integer())
    function_clause();
  std::int64_t f = from.small_integer(), t = to.small_integer(), i = incr.small_integer();
  list_builder out;
  if (i > 0) {
    if (f - i > t) fail(bad);
    if (t >= f) out.reserve(static_cast<std::size_t>((t - f) / i + 1));
    for (std::int64_t x = f; x <= t; x += i) out.push_back(term(static_cast<long long>(x)));
  } else if (i < 0) {
    if (f - i < t) fail(bad);
    if (f >= t) out.reserve(static_cast<std::size_t>((f - t) / -i + 1));
    for (std::int64_t x = f; x >= t; x += i) out.push_back(term(static_cast<long long>(x)));
  } else {
    if (f != t) fail(bad);
    out.push_back(from);
  }
  return out.finish();
}

term thing_to_chars(const term& t) {
  if (t.is_atom()) return term::string(t.atom_value().name());
  if (t.is_integer()) return term::string(t.integer_to_string());
  if (t.is_float()) {  // float_to_list/1's format
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.20e", t.float_value());
    return term::string(buf);
  }
  if (t.is_list()) return t;
  function_clause();
}

term extreme(const term& l, bool want_max) {
  auto xs = proper(l);
  if (xs.empty()) function_clause();
  const term* best = &xs[0];
  for (const term& e : xs.subspan(1))
    if (want_max ? compare(e, *best) > 0 : compare(e, *best) < 0) best = &e;
  return *best;
}

}  // namespace

task<term> sort_with(process& self, term fun, term l) {
  if (!is_fun(fun, 2)) function_clause();
  auto xs = proper(l);
  std::vector<term> a(xs.begin(), xs.end()), b(a.size());
  fun_runner le(self, fun, 2);
  for (std::size_t width = 1; width < a.size(); width *= 2) {
    for (std::size_t lo = 0; lo < a.size(); lo += 2 * width) {
      std::size_t mid = std::min(lo + width, a.size()), hi = std::min(lo + 2 * width, a.size());
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        co_await self.maybe_yield();
        bool first = truth(co_await le(self, a[i], a[j]), a::case_clause);
        b[k++] = first ? a[i++] : a[j++];
      }
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    std::swap(a, b);
  }
  co_return list(std::move(a));
}

void add_lists(export_table& x) {
  // ---- higher-order --------------------------------------------------------------------------
  x.add("lists", "map", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    auto xs = cased(l);
    fun_runner fn(self, f, 1);
    std::vector<term> out;
    out.reserve(xs.size());
    for (const term& e : xs) {
      co_await self.maybe_yield();
      out.push_back(co_await fn(self, e));
    }
    co_return list(std::move(out));
  });
  x.add("lists", "foreach", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    for (const term& e : proper(l)) {
      co_await self.maybe_yield();
      (void)co_await fn(self, e);
    }
    co_return atoms::ok;
  });
  x.add("lists", "foldl", [](process& self, term f, term acc, term l) -> task<term> {
    if (!is_fun(f, 2)) function_clause();
    fun_runner fn(self, f, 2);
    for (const term& e : cased(l)) {
      co_await self.maybe_yield();
      acc = co_await fn(self, e, std::move(acc));
    }
    co_return acc;
  });
  x.add("lists", "foldr", [](process& self, term f, term acc, term l) -> task<term> {
    if (!is_fun(f, 2)) function_clause();
    fun_runner fn(self, f, 2);
    auto xs = proper(l);
    for (auto it = xs.rbegin(); it != xs.rend(); ++it) {
      co_await self.maybe_yield();
      acc = co_await fn(self, *it, std::move(acc));
    }
    co_return acc;
  });
  x.add("lists", "mapfoldl", [](process& self, term f, term acc, term l) -> task<term> {
    if (!is_fun(f, 2)) function_clause();
    fun_runner fn(self, f, 2);
    auto xs = proper(l);
    std::vector<term> out;
    out.reserve(xs.size());
    for (const term& e : xs) {
      co_await self.maybe_yield();
      term r = co_await fn(self, e, std::move(acc));
      if (!r.is_tuple() || r.tuple_size() != 2) fail(tuple_of(atom("badmatch"), r));
      out.push_back(r[0]);
      acc = r[1];
    }
    co_return tuple_of(list(std::move(out)), acc);
  });
  x.add("lists", "filter", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    std::vector<term> out;
    // A list comprehension: a non-list (or an improper tail) is a bad generator.
    if (!l.is_list()) fail(tuple_of(atom("bad_generator"), l));
    if (!l.list_tail().is_nil()) fail(tuple_of(atom("bad_generator"), l.list_tail()));
    for (const term& e : l.list_elements()) {
      co_await self.maybe_yield();
      if (truth(co_await fn(self, e), a_bad_filter)) out.push_back(e);
    }
    co_return list(std::move(out));
  });
  x.add("lists", "filtermap", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    std::vector<term> out;
    for (const term& e : proper(l)) {
      co_await self.maybe_yield();
      term r = co_await fn(self, e);
      if (r.is_atom(atoms::true_))
        out.push_back(e);
      else if (r.is_tagged_tuple(atoms::true_, 2))
        out.push_back(r[1]);
      else if (!r.is_atom(atoms::false_))
        fail(tuple_of(a::case_clause, r));
    }
    co_return list(std::move(out));
  });
  x.add("lists", "flatmap", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    std::vector<term> out;
    for (const term& e : proper(l)) {
      co_await self.maybe_yield();
      term r = co_await fn(self, e);
      auto rs = proper_or(r, atoms::badarg);
      out.insert(out.end(), rs.begin(), rs.end());
    }
    co_return list(std::move(out));
  });
  x.add("lists", "any", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    for (const term& e : proper(l)) {
      co_await self.maybe_yield();
      if (truth(co_await fn(self, e), a::case_clause)) co_return atoms::true_;
    }
    co_return atoms::false_;
  });
  x.add("lists", "all", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    for (const term& e : proper(l)) {
      co_await self.maybe_yield();
      if (!truth(co_await fn(self, e), a::case_clause)) co_return atoms::false_;
    }
    co_return atoms::true_;
  });
  x.add("lists", "partition", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    std::vector<term> yes, no;
    for (const term& e : proper(l)) {
      co_await self.maybe_yield();
      (truth(co_await fn(self, e), a::case_clause) ? yes : no).push_back(e);
    }
    co_return tuple_of(list(std::move(yes)), list(std::move(no)));
  });
  x.add("lists", "splitwith", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    auto xs = proper(l);
    std::size_t i = 0;
    while (i < xs.size() && truth(co_await fn(self, xs[i]), a::case_clause)) ++i;
    co_return tuple_of(slice(xs, 0, i),
                       slice(xs, i, xs.size()));
  });
  x.add("lists", "takewhile", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    std::vector<term> out;
    for (const term& e : proper(l)) {
      co_await self.maybe_yield();
      if (!truth(co_await fn(self, e), a::case_clause)) break;
      out.push_back(e);
    }
    co_return list(std::move(out));
  });
  x.add("lists", "dropwhile", [](process& self, term f, term l) -> task<term> {
    if (!is_fun(f, 1)) function_clause();
    fun_runner fn(self, f, 1);
    auto xs = proper(l);
    std::size_t i = 0;
    while (i < xs.size() && truth(co_await fn(self, xs[i]), a::case_clause)) ++i;
    co_return slice(xs, i, xs.size());
  });
  x.add("lists", "sort", [](process& self, term f, term l) -> task<term> {
    co_return co_await sort_with(self, std::move(f), std::move(l));
  });
  x.add("lists", "zipwith", [](process& self, term f, term l1, term l2) -> task<term> {
    if (!is_fun(f, 2)) function_clause();
    auto a1 = proper(l1), a2 = proper(l2);
    if (a1.size() != a2.size()) function_clause();
    fun_runner fn(self, f, 2);
    std::vector<term> out;
    out.reserve(a1.size());
    for (std::size_t i = 0; i < a1.size(); ++i) out.push_back(co_await fn(self, a1[i], a2[i]));
    co_return list(std::move(out));
  });

  // ---- first-order ---------------------------------------------------------------------------
  x.add("lists", "seq", [](term f, term t) { return seq(f, t, term(1)); });
  x.add("lists", "seq", [](term f, term t, term i) { return seq(f, t, i, atoms::badarg); });
  x.add("lists", "reverse", [](term l, term tail) {
    auto xs = proper_or(l, atoms::badarg);
    return term::list(std::vector<term>(xs.rbegin(), xs.rend()), tail);
  });
  x.add("lists", "sum", [](term l) {
    term acc(0);
    for (const term& e : proper(l)) acc = add(e, acc);
    return acc;
  });
  x.add("lists", "max", [](term l) { return extreme(l, true); });
  x.add("lists", "min", [](term l) { return extreme(l, false); });
  x.add("lists", "sort", [](term l) {
    auto xs = proper(l);
    std::vector<term> v(xs.begin(), xs.end());
    std::stable_sort(v.begin(), v.end(), less);
    return list(std::move(v));
  });
  x.add("lists", "usort", [](term l) {
    auto xs = proper(l);
    std::vector<term> v(xs.begin(), xs.end());
    std::stable_sort(v.begin(), v.end(), less);
    v.erase(std::unique(v.begin(), v.end(), [](const term& p, const term& q) { return compare(p, q) == 0; }),
            v.end());
    return list(std::move(v));
  });
  x.add("lists", "uniq", [](term l) {
    std::vector<term> out;
    std::unordered_set<term> seen;
    for (const term& e : proper(l))
      if (seen.insert(e).second) out.push_back(e);
    return list(std::move(out));
  });
  x.add("lists", "nth", [](term n, term l) {
    auto i = small_or(n, a::function_clause);
    auto xs = proper(l);
    if (i < 1 || static_cast<std::size_t>(i) > xs.size()) function_clause();
    return xs[static_cast<std::size_t>(i - 1)];
  });
  x.add("lists", "nthtail", [](term n, term l) {
    auto i = small_or(n, a::function_clause);
    if (i == 0) return l;
    if (!l.is_list() || i < 0 || static_cast<std::size_t>(i) > l.list_elements().size())
      function_clause();
    return l.list_nthtail(static_cast<std::size_t>(i));
  });
  x.add("lists", "last", [](term l) {
    auto xs = proper(l);
    if (xs.empty()) function_clause();
    return xs.back();
  });
  x.add("lists", "droplast", [](term l) {
    auto xs = proper(l);
    if (xs.empty()) function_clause();
    return slice(xs, 0, xs.size() - 1);
  });
  x.add("lists", "member", [](term e, term l) {
    for (const term& y : proper_or(l, atoms::badarg))
      if (exact_equal(y, e)) return boolean(true);
    return boolean(false);
  });
  x.add("lists", "append", [](term l1, term l2) {
    auto xs = proper_or(l1, atoms::badarg);
    return term::list(std::vector<term>(xs.begin(), xs.end()), l2);
  });
  x.add("lists", "append", [](term ls) {
    auto parts = proper(ls);
    if (parts.empty()) return term();
    std::vector<term> out;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      auto xs = proper_or(parts[i], atoms::badarg);
      out.insert(out.end(), xs.begin(), xs.end());
    }
    return term::list(std::move(out), parts.back());
  });
  x.add("lists", "concat", [](term ls) {
    std::vector<term> out;
    for (const term& t : proper(ls)) {
      // The span views the characters' list: it must outlive the span.
      term chars = thing_to_chars(t);
      auto xs = proper_or(chars, atoms::badarg);
      out.insert(out.end(), xs.begin(), xs.end());
    }
    return list(std::move(out));
  });
  x.add("lists", "flatten", [](term l) {
    std::vector<term> out;
    flatten_into(l, out, 0);
    return list(std::move(out));
  });
  x.add("lists", "flatten", [](term l, term tail) {
    std::vector<term> out;
    flatten_into(l, out, 0);
    return term::list(std::move(out), tail);
  });
  x.add("lists", "zip", [](term l1, term l2) {
    auto a1 = proper(l1), a2 = proper(l2);
    if (a1.size() != a2.size()) function_clause();
    std::vector<term> out;
    out.reserve(a1.size());
    for (std::size_t i = 0; i < a1.size(); ++i) out.push_back(term::tuple({a1[i], a2[i]}));
    return list(std::move(out));
  });
  x.add("lists", "unzip", [](term l) {
    std::vector<term> xs, ys;
    for (const term& t : proper(l)) {
      if (!t.is_tuple() || t.tuple_size() != 2) function_clause();
      xs.push_back(t[0]);
      ys.push_back(t[1]);
    }
    return tuple_of(list(std::move(xs)), list(std::move(ys)));
  });
  x.add("lists", "keyfind", [](term k, term n, term l) {
    auto pos = key_pos(n);
    for (const term& t : proper_or(l, atoms::badarg))
      if (const term* key = key_of(t, pos); key && equal(*key, k)) return t;
    return boolean(false);
  });
  x.add("lists", "keymember", [](term k, term n, term l) {
    auto pos = key_pos(n);
    for (const term& t : proper_or(l, atoms::badarg))
      if (const term* key = key_of(t, pos); key && equal(*key, k)) return boolean(true);
    return boolean(false);
  });
  x.add("lists", "keysearch", [](term k, term n, term l) {
    auto pos = key_pos(n);
    for (const term& t : proper_or(l, atoms::badarg))
      if (const term* key = key_of(t, pos); key && equal(*key, k)) return tuple_of(atom("value"), t);
    return boolean(false);
  });
  x.add("lists", "keydelete", [](term k, term n, term l) {
    auto pos = small_or(n, a::function_clause);
    if (pos < 1) function_clause();
    auto xs = proper(l);
    std::vector<term> out(xs.begin(), xs.end());
    for (std::size_t i = 0; i < out.size(); ++i)
      if (const term* key = key_of(out[i], pos); key && equal(*key, k)) {
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    return list(std::move(out));
  });
  x.add("lists", "keyreplace", [](term k, term n, term l, term v) {
    auto pos = small_or(n, a::function_clause);
    if (pos < 1 || !v.is_tuple()) function_clause();
    auto xs = proper(l);
    std::vector<term> out(xs.begin(), xs.end());
    for (auto& t : out)
      if (const term* key = key_of(t, pos); key && equal(*key, k)) {
        t = v;
        break;
      }
    return list(std::move(out));
  });
  x.add("lists", "keystore", [](term k, term n, term l, term v) {
    auto pos = small_or(n, a::function_clause);
    if (pos < 1 || !v.is_tuple()) function_clause();
    auto xs = proper(l);
    std::vector<term> out(xs.begin(), xs.end());
    for (auto& t : out)
      if (const term* key = key_of(t, pos); key && equal(*key, k)) {
        t = v;
        return list(std::move(out));
      }
    out.push_back(v);
    return list(std::move(out));
  });
  x.add("lists", "keytake", [](term k, term n, term l) {
    auto pos = small_or(n, a::function_clause);
    if (pos < 1) function_clause();
    auto xs = proper(l);
    for (std::size_t i = 0; i < xs.size(); ++i)
      if (const term* key = key_of(xs[i], pos); key && equal(*key, k)) {
        std::vector<term> rest(xs.begin(), xs.end());
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
        return tuple_of(atom("value"), xs[i], list(std::move(rest)));
      }
    return boolean(false);
  });
  x.add("lists", "keysort", [](term n, term l) {
    auto pos = small_or(n, a::function_clause);
    if (pos < 1) function_clause();
    auto xs = proper(l);
    for (const term& t : xs)
      if (!key_of(t, pos)) badarg();
    std::vector<term> v(xs.begin(), xs.end());
    std::stable_sort(v.begin(), v.end(), [pos](const term& p, const term& q) {
      return compare(*key_of(p, pos), *key_of(q, pos)) < 0;
    });
    return list(std::move(v));
  });
  x.add("lists", "split", [](term n, term l) {
    auto i = small(n);
    if (!l.is_list() || !l.list_tail().is_nil() || i < 0 ||
        static_cast<std::size_t>(i) > l.list_elements().size())
      badarg();
    auto xs = l.list_elements();
    return tuple_of(slice(xs, 0, static_cast<std::size_t>(i)), slice(xs, static_cast<std::size_t>(i), xs.size()));
  });
  x.add("lists", "sublist", [](term l, term n) {
    auto len = small_or(n, a::function_clause);
    auto xs = proper(l);
    if (len < 0) function_clause();
    std::size_t k = std::min(xs.size(), static_cast<std::size_t>(len));
    return slice(xs, 0, k);
  });
  x.add("lists", "sublist", [](term l, term s, term n) {
    auto start = small_or(s, a::function_clause), len = small_or(n, a::function_clause);
    auto xs = proper(l);
    if (start < 1 || len < 0) function_clause();
    auto rest = xs.subspan(std::min(xs.size(), static_cast<std::size_t>(start - 1)));
    std::size_t k = std::min(rest.size(), static_cast<std::size_t>(len));
    return slice(rest, 0, k);
  });
  x.add("lists", "duplicate", [](term n, term e) {
    auto k = small_or(n, a::function_clause);
    if (k < 0) function_clause();
    return list(std::vector<term>(static_cast<std::size_t>(k), e));
  });
  x.add("lists", "delete", [](term e, term l) {
    auto xs = proper(l);
    std::vector<term> out(xs.begin(), xs.end());
    for (std::size_t i = 0; i < out.size(); ++i)
      if (exact_equal(out[i], e)) {
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    return list(std::move(out));
  });
  x.add("lists", "subtract", [](term l1, term l2) {
    auto xs = proper_or(l1, atoms::badarg);
    auto ys = proper_or(l2, atoms::badarg);
    std::vector<term> out(xs.begin(), xs.end());
    for (const term& y : ys) {
      auto it = std::find_if(out.begin(), out.end(), [&](const term& t) { return exact_equal(t, y); });
      if (it != out.end()) out.erase(it);
    }
    return list(std::move(out));
  });
  x.add("lists", "join", [](term sep, term l) {
    auto xs = proper(l);
    std::vector<term> out;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (i) out.push_back(sep);
      out.push_back(xs[i]);
    }
    return list(std::move(out));
  });
  x.add("lists", "enumerate", [](term l) {
    auto xs = proper(l);
    std::vector<term> out;
    out.reserve(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) out.push_back(term::tuple({integer(i + 1), xs[i]}));
    return list(std::move(out));
  });
  x.add("lists", "enumerate", [](term start, term l) {
    if (!start.is_integer()) function_clause();
    auto xs = proper(l);
    std::vector<term> out;
    out.reserve(xs.size());
    term i = start;
    for (const term& e : xs) {
      out.push_back(term::tuple({i, e}));
      i = add(i, term(1));
    }
    return list(std::move(out));
  });
  x.add("lists", "prefix", [](term p, term l) {
    auto ps = proper(p), xs = proper(l);
    if (ps.size() > xs.size()) return boolean(false);
    return boolean(std::equal(ps.begin(), ps.end(), xs.begin(), [](const term& a, const term& b) { return exact_equal(a, b); }));
  });
  x.add("lists", "suffix", [](term p, term l) {
    auto ps = proper(p), xs = proper(l);
    if (ps.size() > xs.size()) return boolean(false);
    return boolean(std::equal(ps.begin(), ps.end(), xs.end() - static_cast<std::ptrdiff_t>(ps.size()),
                              [](const term& a, const term& b) { return exact_equal(a, b); }));
  });
}

}  // namespace otpp::code::lib
