// Erlang term order (as OTP 25 defines it, deep terms compared on an explicit stack), exact
// equality, and hashing consistent with `=:=`.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "otpp/term/term.hpp"

#include "term/heap.hpp"
#include "term/walk.hpp"

namespace otpp {

using namespace detail;

namespace {
// Position of each kind in term order; integers and floats are both numbers.
constexpr int rank(term::kind k) noexcept {
  return k == term::kind::float_ ? 0 : static_cast<int>(k) - (k > term::kind::float_ ? 1 : 0);
}

int sign(int c) noexcept { return (c > 0) - (c < 0); }

template <class T>
int three_way(const T& a, const T& b) noexcept {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Exact comparison of an int64 with a finite double, as Erlang compares mixed numbers.
int compare_int_double(std::int64_t i, double d) noexcept {
  constexpr double two63 = 9223372036854775808.0;
  if (d >= two63) return -1;
  if (d < -two63) return 1;
  double t = std::trunc(d);
  auto ti = static_cast<std::int64_t>(t);
  if (i != ti) return i < ti ? -1 : 1;
  double frac = d - t;
  return frac > 0 ? -1 : (frac < 0 ? 1 : 0);
}

int compare_numbers(const term& a, const term& b, bool exact) noexcept {
  bool af = a.is_float();
  bool bf = b.is_float();
  if (af && bf) return three_way(a.float_value(), b.float_value());
  if (af != bf && exact) return af ? 1 : -1;  // map key order: every integer before every float
  if (!af && !bf) {
    bool ab = !a.is_small_integer();
    bool bb = !b.is_small_integer();
    if (!ab && !bb) return three_way(a.small_integer(), b.small_integer());
    if (ab && bb) return sign(mpz_cmp(as<big_object>(a)->value, as<big_object>(b)->value));
    // Big integers are normalised, so a big one lies outside int64 on its own side.
    if (ab) return mpz_sgn(as<big_object>(a)->value);
    return -mpz_sgn(as<big_object>(b)->value);
  }
  // One integer, one float.
  if (af) return -compare_numbers(b, a, exact);
  if (a.is_small_integer()) return compare_int_double(a.small_integer(), b.float_value());
  return sign(mpz_cmp_d(as<big_object>(a)->value, b.float_value()));
}

int compare_refs(const reference& a, const reference& b) noexcept {
  if (int c = compare(a.node, b.node)) return c;
  if (a.creation != b.creation) return a.creation < b.creation ? -1 : 1;
  // Missing words count as zero; the most significant (last) word decides first.
  int n = std::max(a.length, b.length);
  for (int i = n - 1; i >= 0; --i) {
    std::uint32_t x = i < a.length ? a.words[static_cast<std::size_t>(i)] : 0;
    std::uint32_t y = i < b.length ? b.words[static_cast<std::size_t>(i)] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

int compare_pids(const pid& a, const pid& b) noexcept {
  if (a.serial != b.serial) return a.serial < b.serial ? -1 : 1;
  if (a.id != b.id) return a.id < b.id ? -1 : 1;
  if (int c = compare(a.node, b.node)) return c;
  return three_way(a.creation, b.creation);
}

int compare_ports(const port_id& a, const port_id& b) noexcept {
  if (int c = compare(a.node, b.node)) return c;
  if (a.creation != b.creation) return a.creation < b.creation ? -1 : 1;
  return three_way(a.id, b.id);
}

int compare_terms(const term& a, const term& b, bool exact, std::size_t depth) noexcept;
int compare_deep(const term& a, const term& b, bool exact) noexcept;

// Funs compare by module, then (closures) by their identity and environment, then by their
// code. These two parts come before and after the environment's terms.
int compare_fun_heads(const fun_value& a, const fun_value& b) noexcept {
  if (a.is_export != b.is_export) return a.is_export ? 1 : -1;  // closures before exports
  if (int c = compare(a.module, b.module)) return c;
  if (a.is_export) {
    if (int c = compare(a.function, b.function)) return c;
    return three_way(a.arity, b.arity);
  }
  if (a.old_index != b.old_index) return a.old_index < b.old_index ? -1 : 1;
  if (a.old_uniq != b.old_uniq) return a.old_uniq < b.old_uniq ? -1 : 1;
  if (a.free_vars.size() != b.free_vars.size()) return a.free_vars.size() < b.free_vars.size() ? -1 : 1;
  return 0;
}

int compare_fun_code(const fun_value& a, const fun_value& b) noexcept {
  // Same module, index, uniq and environment: tell different code versions apart too.
  if (int c = std::memcmp(a.uniq.data(), b.uniq.data(), a.uniq.size())) return sign(c);
  if (a.index != b.index) return a.index < b.index ? -1 : 1;
  if (a.arity != b.arity) return a.arity < b.arity ? -1 : 1;
  return compare_pids(a.creator, b.creator);
}

int compare_funs(const fun_value& a, const fun_value& b, bool exact, std::size_t depth) noexcept {
  if (int c = compare_fun_heads(a, b)) return c;
  if (a.is_export) return 0;
  for (std::size_t i = 0; i < a.free_vars.size(); ++i) {
    if (int c = compare_terms(a.free_vars[i], b.free_vars[i], exact, depth + 1)) return c;
  }
  return compare_fun_code(a, b);
}

int compare_bits(const bits_object* a, const bits_object* b) noexcept {
  std::size_t abits = a->size == 0 ? 0 : (a->size - 1) * 8 + a->bits;
  std::size_t bbits = b->size == 0 ? 0 : (b->size - 1) * 8 + b->bits;
  std::size_t n = std::min(abits, bbits);
  std::size_t full = n / 8;
  if (full > 0) {
    if (int c = std::memcmp(a->data, b->data, full)) return sign(c);
  }
  if (unsigned rest = n % 8) {
    auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    std::uint8_t x = a->data[full] & mask;
    std::uint8_t y = b->data[full] & mask;
    if (x != y) return x < y ? -1 : 1;
  }
  return three_way(abits, bbits);
}

// Two lists whose common prefix of elements compared equal: one side ran out first, or both
// did and their tails decide.
int compare_list_ends(const list_object* a, const list_object* b) noexcept {
  // One side ran out: its tail (never a non-empty list) against the other's remaining cells.
  if (a->size < b->size) return rank(a->tail.type()) < rank(term::kind::list) ? -1 : 1;
  return rank(b->tail.type()) < rank(term::kind::list) ? 1 : -1;
}

int compare_lists(const list_object* a, const list_object* b, bool exact, std::size_t depth) noexcept {
  std::uint32_t n = std::min(a->size, b->size);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (int c = compare_terms(a->data()[i], b->data()[i], exact, depth + 1)) return c;
  }
  if (a->size == b->size) return compare_terms(a->tail, b->tail, exact, depth + 1);
  return compare_list_ends(a, b);
}

int compare_terms(const term& a, const term& b, bool exact, std::size_t depth) noexcept {
  term::kind ka = a.type();
  term::kind kb = b.type();
  bool na = ka == term::kind::integer || ka == term::kind::float_;
  bool nb = kb == term::kind::integer || kb == term::kind::float_;
  if (na && nb) return compare_numbers(a, b, exact);
  if (ka != kb) return rank(ka) < rank(kb) ? -1 : 1;
  if (heap_object::boxed(a) && heap_object::of(a) == heap_object::of(b)) return 0;
  switch (ka) {
    case term::kind::atom:
      return compare(a.atom_value(), b.atom_value());
    case term::kind::reference:
      return compare_refs(a.reference_value(), b.reference_value());
    case term::kind::fun:
      if (depth > recursion_limit) return compare_deep(a, b, exact);
      return compare_funs(a.fun_content(), b.fun_content(), exact, depth);
    case term::kind::port:
      return compare_ports(a.port_value(), b.port_value());
    case term::kind::pid:
      return compare_pids(a.pid_value(), b.pid_value());
    case term::kind::tuple: {
      auto x = a.elements();
      auto y = b.elements();
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (depth > recursion_limit) return compare_deep(a, b, exact);
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (int c = compare_terms(x[i], y[i], exact, depth + 1)) return c;
      }
      return 0;
    }
    case term::kind::map: {
      auto x = a.map_entries();
      auto y = b.map_entries();
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (depth > recursion_limit) return compare_deep(a, b, exact);
      // Keys always compare exactly (#{1 => a} /= #{1.0 => a}); values as the caller asked.
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (int c = compare_terms(x[i].first, y[i].first, true, depth + 1)) return c;
      }
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (int c = compare_terms(x[i].second, y[i].second, exact, depth + 1)) return c;
      }
      return 0;
    }
    case term::kind::nil:
      return 0;
    case term::kind::list:
      if (depth > recursion_limit) return compare_deep(a, b, exact);
      return compare_lists(as<list_object>(a), as<list_object>(b), exact, depth);
    case term::kind::bitstring:
      return compare_bits(as<bits_object>(a), as<bits_object>(b));
    case term::kind::integer:
    case term::kind::float_:
      break;
  }
  return 0;
}

// ---- comparison of deep terms, on an explicit stack ------------------------------------------

// What compare_deep still has to do, innermost last: compare `n` pairs of terms `stride` bytes
// apart, or finish a list or a closure whose elements compared equal.
struct compare_task {
  enum class op : std::uint8_t { pairs, list_end, fun_end };
  op what = op::pairs;
  bool exact = false;
  const char* x = nullptr;
  const char* y = nullptr;
  std::size_t stride = 0;
  std::size_t n = 0;
};

using compare_stack = work_stack<compare_task>;

void push_pairs(compare_stack& st, const void* x, const void* y, std::size_t stride, std::size_t n, bool exact) {
  if (n != 0)
    st.push_back({compare_task::op::pairs, exact, static_cast<const char*>(x), static_cast<const char*>(y), stride, n});
}

// Compares what can be compared of `a` and `b` without looking inside their subterms; pushes
// the rest. Nonzero: the order is decided.
int compare_step(const term& a, const term& b, bool exact, compare_stack& st) noexcept {
  const term::kind k = a.type();
  const bool container = k == b.type() && heap_object::boxed(a) && heap_object::of(a) != heap_object::of(b) &&
                         (k == term::kind::tuple || k == term::kind::map || k == term::kind::list ||
                          k == term::kind::fun);
  if (!container) return compare_terms(a, b, exact, 0);
  switch (k) {
    case term::kind::tuple: {
      auto x = a.elements();
      auto y = b.elements();
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      push_pairs(st, x.data(), y.data(), sizeof(term), x.size(), exact);
      return 0;
    }
    case term::kind::map: {
      auto x = a.map_entries();
      auto y = b.map_entries();
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      using entry = std::pair<term, term>;
      // Keys (exactly) before values: pushed last, taken first.
      push_pairs(st, &x.data()->second, &y.data()->second, sizeof(entry), x.size(), exact);
      push_pairs(st, &x.data()->first, &y.data()->first, sizeof(entry), x.size(), true);
      return 0;
    }
    case term::kind::list: {
      auto x = a.list_elements();
      auto y = b.list_elements();
      st.push_back({compare_task::op::list_end, exact, reinterpret_cast<const char*>(&a),
                    reinterpret_cast<const char*>(&b), 0, 0});
      push_pairs(st, x.data(), y.data(), sizeof(term), std::min(x.size(), y.size()), exact);
      return 0;
    }
    default: {  // fun
      const auto& f = a.fun_content();
      const auto& g = b.fun_content();
      if (int c = compare_fun_heads(f, g)) return c;
      if (f.is_export) return 0;
      st.push_back({compare_task::op::fun_end, exact, reinterpret_cast<const char*>(&f),
                    reinterpret_cast<const char*>(&g), 0, 0});
      push_pairs(st, f.free_vars.data(), g.free_vars.data(), sizeof(term), f.free_vars.size(), exact);
      return 0;
    }
  }
}

int compare_deep(const term& a, const term& b, bool exact) noexcept {
  compare_stack st;
  if (int c = compare_step(a, b, exact, st)) return c;
  while (!st.empty()) {
    const compare_task t = st.back();
    st.pop_back();
    switch (t.what) {
      case compare_task::op::pairs: {
        if (t.n > 1) st.push_back({t.what, t.exact, t.x + t.stride, t.y + t.stride, t.stride, t.n - 1});
        const auto& x = *reinterpret_cast<const term*>(t.x);
        const auto& y = *reinterpret_cast<const term*>(t.y);
        if (int c = compare_step(x, y, t.exact, st)) return c;
        break;
      }
      case compare_task::op::list_end: {
        const auto* x = as<list_object>(*reinterpret_cast<const term*>(t.x));
        const auto* y = as<list_object>(*reinterpret_cast<const term*>(t.y));
        int c = x->size == y->size ? compare_step(x->tail, y->tail, t.exact, st) : compare_list_ends(x, y);
        if (c) return c;
        break;
      }
      case compare_task::op::fun_end:
        if (int c = compare_fun_code(*reinterpret_cast<const fun_value*>(t.x), *reinterpret_cast<const fun_value*>(t.y)))
          return c;
        break;
    }
  }
  return 0;
}

// ---- hashing -----------------------------------------------------------------------------

constexpr std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}

std::uint64_t hash_bytes(const std::uint8_t* p, std::size_t n, std::uint64_t h) noexcept {
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix(h, w);
    p += 8;
    n -= 8;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, p, n);
  return mix(h, w ^ (n << 56));
}

std::uint64_t hash_pid(const pid& p) noexcept {
  return mix(mix(mix(mix(0x51, p.node.index()), p.id), p.serial), p.creation);
}

std::uint64_t hash_term(const term& t, std::size_t depth) noexcept;
std::uint64_t hash_deep(const term& t) noexcept;

bool hashes_children(const term& t) noexcept {
  switch (t.type()) {
    case term::kind::tuple:
    case term::kind::map:
    case term::kind::list:
      return true;
    case term::kind::fun:
      return !t.fun_content().is_export;
    default:
      return false;
  }
}

// A container's hash before its subterms (child_cursor's order) are mixed in.
std::uint64_t hash_seed(const term& t) noexcept {
  switch (t.type()) {
    case term::kind::tuple:
      return 0x18;
    case term::kind::map:
      return 0x19;
    case term::kind::list:
      return 0x1b;
    default: {
      const auto& f = t.fun_content();
      const std::uint64_t h = mix(mix(0x16, f.module.index()), f.arity);
      return mix(mix(h, static_cast<std::uint64_t>(f.old_index)), static_cast<std::uint64_t>(f.old_uniq));
    }
  }
}

std::uint64_t hash_term(const term& t, std::size_t depth) noexcept {
  switch (t.type()) {
    case term::kind::integer: {
      if (t.is_small_integer()) return mix(0x11, static_cast<std::uint64_t>(t.small_integer()));
      const auto* z = as<big_object>(t)->value;
      std::uint64_t h = mix(0x12, static_cast<std::uint64_t>(mpz_sgn(z)));
      std::size_t n = mpz_size(z);
      for (std::size_t i = 0; i < n; ++i) h = mix(h, mpz_getlimbn(z, static_cast<mp_size_t>(i)));
      return h;
    }
    case term::kind::float_: {
      double d = t.float_value();
      if (d == 0) d = 0.0;  // 0.0 =:= -0.0 in OTP 25
      return mix(0x13, std::bit_cast<std::uint64_t>(d));
    }
    case term::kind::atom:
      return mix(0x14, t.atom_value().index());
    case term::kind::reference: {
      const auto& r = t.reference_value();
      std::uint64_t h = mix(mix(0x15, r.node.index()), r.creation);
      int n = r.length;
      while (n > 0 && r.words[static_cast<std::size_t>(n - 1)] == 0) --n;  // [1] =:= [1,0,0]
      for (int i = 0; i < n; ++i) h = mix(h, r.words[static_cast<std::size_t>(i)]);
      return h;
    }
    case term::kind::port: {
      const auto& p = t.port_value();
      return mix(mix(mix(0x17, p.node.index()), p.id), p.creation);
    }
    case term::kind::pid:
      return hash_pid(t.pid_value());
    case term::kind::nil:
      return 0x1a;
    case term::kind::bitstring: {
      const auto* b = as<bits_object>(t);
      if (b->size == 0) return 0x1c;
      std::uint64_t h = hash_bytes(b->data, b->size - 1, 0x1c);
      auto last = static_cast<std::uint8_t>(b->data[b->size - 1] & (0xFF << (8 - b->bits)));
      return mix(mix(h, last), b->bits);
    }
    case term::kind::fun:
      if (t.fun_content().is_export) {
        const auto& f = t.fun_content();
        return mix(mix(mix(0x16, f.module.index()), f.arity), f.function.index());
      }
      [[fallthrough]];
    case term::kind::tuple:
    case term::kind::map:
    case term::kind::list: {
      if (depth > recursion_limit) return hash_deep(t);
      std::uint64_t h = hash_seed(t);
      child_cursor children(t);
      while (const term* c = children.next()) h = mix(h, hash_term(*c, depth + 1));
      return h;
    }
  }
  return 0;
}

std::uint64_t hash_deep(const term& root) noexcept {
  struct frame {
    std::uint64_t h;
    child_cursor children;
  };
  work_stack<frame> st;
  st.push_back({hash_seed(root), child_cursor(root)});
  for (;;) {
    frame& f = st.back();
    if (const term* c = f.children.next()) {
      if (hashes_children(*c)) {
        st.push_back({hash_seed(*c), child_cursor(*c)});  // f is not used after this
      } else {
        f.h = mix(f.h, hash_term(*c, 0));
      }
      continue;
    }
    const std::uint64_t done = f.h;
    st.pop_back();
    if (st.empty()) return done;
    st.back().h = mix(st.back().h, done);
  }
}

bool equal_exact(const term& a, const term& b, std::size_t depth) noexcept {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case term::kind::integer:
      if (a.is_small_integer() != b.is_small_integer()) return false;
      if (a.is_small_integer()) return a.small_integer() == b.small_integer();
      return mpz_cmp(as<big_object>(a)->value, as<big_object>(b)->value) == 0;
    case term::kind::float_:
      return a.float_value() == b.float_value();
    case term::kind::atom:
      return a.atom_value() == b.atom_value();
    case term::kind::nil:
      return true;
    default:
      break;
  }
  if (heap_object::of(a) == heap_object::of(b)) return true;
  switch (a.type()) {
    case term::kind::tuple: {
      auto x = a.elements();
      auto y = b.elements();
      if (x.size() != y.size()) return false;
      if (depth > recursion_limit) return compare_deep(a, b, true) == 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!equal_exact(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case term::kind::list: {
      auto x = a.list_elements();
      auto y = b.list_elements();
      if (x.size() != y.size()) return false;
      if (depth > recursion_limit) return compare_deep(a, b, true) == 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!equal_exact(x[i], y[i], depth + 1)) return false;
      }
      return equal_exact(a.list_tail(), b.list_tail(), depth + 1);
    }
    case term::kind::map: {
      auto x = a.map_entries();
      auto y = b.map_entries();
      if (x.size() != y.size()) return false;
      if (depth > recursion_limit) return compare_deep(a, b, true) == 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!equal_exact(x[i].first, y[i].first, depth + 1) || !equal_exact(x[i].second, y[i].second, depth + 1))
          return false;
      }
      return true;
    }
    case term::kind::bitstring: {
      const auto* p = as<bits_object>(a);
      const auto* q = as<bits_object>(b);
      if (p->size != q->size || p->bits != q->bits) return false;
      return compare_bits(p, q) == 0;
    }
    default:
      return compare_terms(a, b, true, depth) == 0;
  }
}

}  // namespace

// ---- comparison ------------------------------------------------------------------------------

bool operator==(const reference& a, const reference& b) noexcept {
  return a.node == b.node && compare_refs(a, b) == 0;
}

int compare(const term& a, const term& b) noexcept { return compare_terms(a, b, false, 0); }
int compare_exact(const term& a, const term& b) noexcept { return compare_terms(a, b, true, 0); }
bool exact_equal(const term& a, const term& b) noexcept { return equal_exact(a, b, 0); }
bool equal(const term& a, const term& b) noexcept { return compare_terms(a, b, false, 0) == 0; }
std::size_t term::hash() const noexcept { return hash_term(*this, 0); }

}  // namespace otpp
