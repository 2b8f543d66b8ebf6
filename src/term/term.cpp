// The term value type: heap objects, construction, inspection, Erlang term order (as OTP 25
// defines it) and hashing consistent with `=:=`.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#include "otpp/term/term.hpp"

#include "otpp/term/unicode.hpp"
#include "term/atom_table.hpp"
#include "term/heap.hpp"
#include "term/walk.hpp"

namespace otpp {

namespace detail {
namespace {

// Destroying a deeply nested term recursively could overflow the stack; past a modest depth
// objects are queued and destroyed by the outermost call instead.
thread_local int tl_destroy_depth = 0;

// Bytes of the binaries alive that own more than 64 bytes inline (term::binary_memory).
constinit std::atomic<std::size_t> g_binary_bytes{0};
constexpr std::size_t heap_binary_max = 64;
thread_local std::vector<heap_object*>* tl_pending = nullptr;

void destroy_one(heap_object* h) noexcept {
  switch (h->type) {
    case object_type::big:
      static_cast<big_object*>(h)->~big_object();
      break;
    case object_type::tuple: {
      auto* t = static_cast<tuple_object*>(h);
      std::destroy_n(t->data(), t->size);
      t->~tuple_object();
      break;
    }
    case object_type::list: {
      auto* l = static_cast<list_object*>(h);
      if (l->owner != nullptr) {
        l->owner->release();
      } else {
        std::destroy_n(l->data(), l->size);
      }
      l->~list_object();
      break;
    }
    case object_type::map: {
      auto* m = static_cast<map_object*>(h);
      std::destroy_n(m->data(), m->size);
      m->~map_object();
      break;
    }
    case object_type::bits: {
      auto* b = static_cast<bits_object*>(h);
      if (b->parent != nullptr) b->parent->release();
      else if (b->size > heap_binary_max && b->data == b->inline_bytes())
        g_binary_bytes.fetch_sub(b->size, std::memory_order_relaxed);
      b->~bits_object();
      break;
    }
    case object_type::pid:
      static_cast<pid_object*>(h)->~pid_object();
      break;
    case object_type::port:
      static_cast<port_object*>(h)->~port_object();
      break;
    case object_type::ref:
      static_cast<ref_object*>(h)->~ref_object();
      break;
    case object_type::fun:
      static_cast<fun_object*>(h)->~fun_object();
      break;
  }
  ::operator delete(static_cast<void*>(h));
}

}  // namespace

void heap_object::destroy(heap_object* h) noexcept {
  if (tl_destroy_depth >= 64) {
    if (tl_pending == nullptr) tl_pending = new std::vector<heap_object*>();
    tl_pending->push_back(h);
    return;
  }
  ++tl_destroy_depth;
  destroy_one(h);
  if (tl_destroy_depth == 1 && tl_pending != nullptr) {
    while (!tl_pending->empty()) {
      heap_object* next = tl_pending->back();
      tl_pending->pop_back();
      destroy_one(next);
    }
  }
  --tl_destroy_depth;
}

}  // namespace detail

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

term make_big_from(const mpz_t z) {
  auto* b = alloc_object<big_object>(0);
  mpz_set(b->value, z);
  return heap_object::adopt(term::kind::integer, b);
}

int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

}  // namespace

// ---- builders ------------------------------------------------------------------------------

namespace detail {

term make_tuple(term* first, std::size_t n) {
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("tuple too large");
  auto* t = alloc_object<tuple_object>(n * sizeof(term), static_cast<std::uint32_t>(n));
  std::uninitialized_move_n(first, n, t->data());
  return heap_object::adopt(term::kind::tuple, t);
}

term make_list(term* first, std::size_t n, term tail) {
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("list too long");
  auto* l = alloc_object<list_object>(n * sizeof(term), static_cast<std::uint32_t>(n), std::move(tail));
  std::uninitialized_move_n(first, n, l->data());
  return heap_object::adopt(term::kind::list, l);
}

term make_list_slice(const term& l, std::size_t skip) {
  const auto* from = as<list_object>(l);
  std::size_t n = from->size - skip;
  // A short rest is copied: it costs little and does not keep a long list alive.
  if (n <= 4) {
    std::array<term, 4> rest;
    std::copy_n(from->data() + skip, n, rest.begin());
    return make_list(rest.data(), n, from->tail);
  }
  auto* s = alloc_object<list_object>(0, static_cast<std::uint32_t>(n), from->tail);
  s->cells = const_cast<term*>(from->data()) + skip;
  s->owner = from->owner != nullptr ? from->owner : heap_object::of(l);
  s->owner->retain();
  return heap_object::adopt(term::kind::list, s);
}

term make_map(std::pair<term, term>* first, std::size_t n) {
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("map too large");
  auto less = [](const std::pair<term, term>& x, const std::pair<term, term>& y) {
    return compare_exact(x.first, y.first) < 0;
  };
  if (!std::is_sorted(first, first + n, less)) std::stable_sort(first, first + n, less);
  // Keep the last of each run of equal keys.
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 1 < n && compare_exact(first[i].first, first[i + 1].first) == 0) continue;
    if (out != i) first[out] = std::move(first[i]);
    ++out;
  }
  auto* m = alloc_object<map_object>(out * sizeof(map_object::entry), static_cast<std::uint32_t>(out));
  std::uninitialized_move_n(first, out, m->data());
  return heap_object::adopt(term::kind::map, m);
}

term make_binary_uninit(std::size_t n, unsigned bits, std::uint8_t** out) {
  auto* b = alloc_object<bits_object>(n, nullptr, n, n == 0 ? 8u : bits);
  b->data = b->inline_bytes();
  if (n > heap_binary_max) g_binary_bytes.fetch_add(n, std::memory_order_relaxed);
  *out = b->inline_bytes();
  return heap_object::adopt(term::kind::bitstring, b);
}

term make_integer(const mpz_t z) {
  if (mpz_fits_slong_p(z)) return term(static_cast<long long>(mpz_get_si(z)));
  return make_big_from(z);
}

void integer_to_mpz(const term& t, mpz_t z) {
  if (t.is_small_integer()) {
    mpz_set_si(z, static_cast<long>(t.small_integer()));
  } else {
    mpz_set(z, as<big_object>(t)->value);
  }
}

}  // namespace detail

// ---- special members -----------------------------------------------------------------------

term::term(unsigned long v) : term(static_cast<unsigned long long>(v)) {}

term::term(unsigned long long v) : kind_(kind::integer) {
  if (v <= static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max())) {
    value_.i = static_cast<std::int64_t>(v);
    return;
  }
  auto* b = alloc_object<big_object>(0);
  mpz_import(b->value, 1, 1, sizeof(v), 0, 0, &v);
  boxed_ = true;
  value_.h = b;
}

term::term(const otpp::pid& p) : kind_(kind::pid), boxed_(true) { value_.h = alloc_object<pid_object>(0, p); }
term::term(const port_id& p) : kind_(kind::port), boxed_(true) { value_.h = alloc_object<port_object>(0, p); }
term::term(const otpp::reference& r) : kind_(kind::reference), boxed_(true) {
  value_.h = alloc_object<ref_object>(0, r);
}

void detail::destroy_object(refcounted* h) noexcept { heap_object::destroy(static_cast<heap_object*>(h)); }

// ---- construction --------------------------------------------------------------------------

std::optional<term> term::integer_from_string(std::string_view text, int base) {
  if (base < 2 || base > 36) return std::nullopt;
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (digit_value(c) >= base) return std::nullopt;
  }
  // Fast path: accumulate while the value surely fits.
  if (text.size() <= 12) {
    std::int64_t v = 0;
    for (char c : text) v = v * base + digit_value(c);
    return term(static_cast<long long>(negative ? -v : v));
  }
  std::string digits(text);
  mpz_t z;
  mpz_init(z);
  mpz_set_str(z, digits.c_str(), base);
  if (negative) mpz_neg(z, z);
  term result = make_integer(z);
  mpz_clear(z);
  return result;
}

term term::integer_from_magnitude(bool negative, std::span<const std::uint8_t> le_bytes) {
  std::size_t n = le_bytes.size();
  while (n > 0 && le_bytes[n - 1] == 0) --n;
  if (n <= 8) {
    std::uint64_t m = 0;
    for (std::size_t i = n; i-- > 0;) m = (m << 8) | le_bytes[i];
    if (!negative && m <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return term(static_cast<long long>(m));
    }
    if (negative && m <= (std::uint64_t{1} << 63)) {
      return term(static_cast<long long>(0 - m));  // wraps to INT64_MIN for 2^63
    }
  }
  auto* b = alloc_object<big_object>(0);
  mpz_import(b->value, n, -1, 1, 0, 0, le_bytes.data());
  if (negative) mpz_neg(b->value, b->value);
  return heap_object::adopt(kind::integer, b);
}

term term::tuple(std::vector<term> elements) { return make_tuple(elements.data(), elements.size()); }

term term::tuple(std::initializer_list<term> elements) {
  // Copied straight into the tuple (the list's elements are const): no vector in between.
  auto* t = alloc_object<tuple_object>(elements.size() * sizeof(term), static_cast<std::uint32_t>(elements.size()));
  std::uninitialized_copy(elements.begin(), elements.end(), t->data());
  return heap_object::adopt(term::kind::tuple, t);
}

term term::tuple_from(std::span<term> elements) { return make_tuple(elements.data(), elements.size()); }

term term::list(std::vector<term> elements, term tail) {
  if (tail.kind_ == kind::list) {
    // Flatten: [a, b | [c | d]] is [a, b, c | d].
    auto rest = tail.list_elements();
    elements.insert(elements.end(), rest.begin(), rest.end());
    term inner = tail.list_tail();
    tail = std::move(inner);
  }
  if (elements.empty()) return tail;
  return make_list(elements.data(), elements.size(), std::move(tail));
}

term term::list(std::initializer_list<term> elements) { return list(std::vector<term>(elements)); }

term term::list_from(std::span<term> elements, term tail) {
  if (tail.kind_ == kind::list) {
    std::vector<term> all(std::make_move_iterator(elements.begin()), std::make_move_iterator(elements.end()));
    return list(std::move(all), std::move(tail));
  }
  if (elements.empty()) return tail;
  return make_list(elements.data(), elements.size(), std::move(tail));
}

term term::string(std::string_view utf8) {
  std::vector<term> cps;
  cps.reserve(utf8.size());
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const auto* end = p + utf8.size();
  while (p < end) {
    std::size_t len = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
    if (len > 1 && static_cast<std::size_t>(end - p) >= len &&
        detail::utf8_length({reinterpret_cast<const char*>(p), len}) == 1) {
      std::uint32_t cp = len == 2 ? (p[0] & 0x1Fu) : len == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
      for (std::size_t i = 1; i < len; ++i) cp = (cp << 6) | (p[i] & 0x3Fu);
      cps.emplace_back(static_cast<long long>(cp));
      p += len;
    } else {
      cps.emplace_back(static_cast<long long>(*p));  // ASCII, or a stray byte taken as Latin-1
      ++p;
    }
  }
  return list(std::move(cps));
}

term term::map(std::vector<std::pair<term, term>> entries) { return make_map(entries.data(), entries.size()); }

term term::binary(std::span<const std::uint8_t> bytes) {
  std::uint8_t* out = nullptr;
  term t = make_binary_uninit(bytes.size(), 8, &out);
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  return t;
}

std::size_t term::binary_memory() noexcept {
  return g_binary_bytes.load(std::memory_order_relaxed);
}

term term::binary(std::string_view bytes) {
  return binary(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

term term::bitstring(std::span<const std::uint8_t> bytes, unsigned bits_in_last_byte) {
  if (bits_in_last_byte < 1 || bits_in_last_byte > 8) {
    throw std::invalid_argument("bits_in_last_byte must be 1..8");
  }
  if (bytes.empty()) return binary(bytes);
  std::uint8_t* out = nullptr;
  term t = make_binary_uninit(bytes.size(), bits_in_last_byte, &out);
  std::memcpy(out, bytes.data(), bytes.size());
  out[bytes.size() - 1] &= static_cast<std::uint8_t>(0xFF << (8 - bits_in_last_byte));
  return t;
}

term term::binary_view(std::shared_ptr<const std::vector<std::uint8_t>> buffer, std::size_t offset,
                       std::size_t size, unsigned bits_in_last_byte) {
  if (!buffer || offset > buffer->size() || size > buffer->size() - offset) {
    throw std::out_of_range("binary_view outside its buffer");
  }
  if (bits_in_last_byte < 1 || bits_in_last_byte > 8) {
    throw std::invalid_argument("bits_in_last_byte must be 1..8");
  }
  auto* b = alloc_object<bits_object>(0, buffer->data() + offset, size, size == 0 ? 8u : bits_in_last_byte);
  b->keeper = std::move(buffer);
  return heap_object::adopt(kind::bitstring, b);
}

term term::fun(fun_value f) { return heap_object::adopt(kind::fun, alloc_object<fun_object>(0, std::move(f))); }

term term::export_fun(atom module, atom function, std::uint32_t arity) {
  fun_value f;
  f.is_export = true;
  f.module = module;
  f.function = function;
  f.arity = arity;
  return fun(std::move(f));
}

// ---- inspection ----------------------------------------------------------------------------

bool term::is_tagged_tuple(atom tag, std::size_t arity) const noexcept {
  if (kind_ != kind::tuple) return false;
  auto e = elements();
  return e.size() == arity && arity > 0 && e[0].is_atom(tag);
}

bool term::is_proper_list() const noexcept {
  if (kind_ == kind::nil) return true;
  return kind_ == kind::list && as<list_object>(*this)->tail.is_nil();
}

bool term::is_binary() const noexcept { return kind_ == kind::bitstring && as<bits_object>(*this)->bits == 8; }

std::optional<std::int64_t> term::to_int64() const noexcept {
  if (kind_ == kind::integer && !boxed_) return value_.i;
  return std::nullopt;
}

std::string term::integer_to_string(int base) const {
  if (base < 2 || base > 36) throw std::invalid_argument("base must be 2..36");
  if (!boxed_) {
    if (base == 10) return std::to_string(value_.i);
    std::uint64_t m = value_.i < 0 ? 0 - static_cast<std::uint64_t>(value_.i) : static_cast<std::uint64_t>(value_.i);
    std::string s;
    do {
      auto d = static_cast<int>(m % static_cast<unsigned>(base));
      s += static_cast<char>(d < 10 ? '0' + d : 'A' + d - 10);
      m /= static_cast<unsigned>(base);
    } while (m != 0);
    if (value_.i < 0) s += '-';
    std::reverse(s.begin(), s.end());
    return s;
  }
  const auto* z = as<big_object>(*this)->value;
  std::string s(mpz_sizeinbase(z, base) + 2, '\0');
  mpz_get_str(s.data(), -base, z);  // negative base: upper-case digits, as Erlang prints
  s.resize(std::strlen(s.c_str()));
  return s;
}

bool term::integer_is_negative() const noexcept {
  if (!boxed_) return value_.i < 0;
  return mpz_sgn(as<big_object>(*this)->value) < 0;
}

std::vector<std::uint8_t> term::integer_magnitude() const {
  if (!boxed_) {
    std::uint64_t m = value_.i < 0 ? 0 - static_cast<std::uint64_t>(value_.i) : static_cast<std::uint64_t>(value_.i);
    std::vector<std::uint8_t> out;
    while (m != 0) {
      out.push_back(static_cast<std::uint8_t>(m));
      m >>= 8;
    }
    return out;
  }
  const auto* z = as<big_object>(*this)->value;
  std::vector<std::uint8_t> out((mpz_sizeinbase(z, 2) + 7) / 8);
  std::size_t count = 0;
  mpz_export(out.data(), &count, -1, 1, 0, 0, z);
  out.resize(count);
  return out;
}

const otpp::pid& term::pid_value() const noexcept { return as<pid_object>(*this)->value; }
const port_id& term::port_value() const noexcept { return as<port_object>(*this)->value; }
const otpp::reference& term::reference_value() const noexcept { return as<ref_object>(*this)->value; }
const fun_value& term::fun_content() const noexcept { return as<fun_object>(*this)->value; }

std::span<const term> term::elements() const noexcept {
  const auto* t = as<tuple_object>(*this);
  return {t->data(), t->size};
}

std::span<const term> term::list_elements() const noexcept {
  if (kind_ != kind::list) return {};
  const auto* l = as<list_object>(*this);
  return {l->data(), l->size};
}

term term::list_nthtail(std::size_t n) const {
  if (n == 0) return *this;
  const auto* l = as<list_object>(*this);
  if (n == l->size) return l->tail;
  return make_list_slice(*this, n);
}

const term& term::list_tail() const noexcept {
  if (kind_ != kind::list) return *this;  // the tail of [] is taken as [] itself
  return as<list_object>(*this)->tail;
}

std::span<const std::pair<term, term>> term::map_entries() const noexcept {
  const auto* m = as<map_object>(*this);
  return {m->data(), m->size};
}

const term* term::map_find(const term& key) const noexcept {
  auto entries = map_entries();
  std::size_t lo = 0;
  std::size_t hi = entries.size();
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    int c = compare_exact(entries[mid].first, key);
    if (c == 0) return &entries[mid].second;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return nullptr;
}

std::span<const std::uint8_t> term::bytes() const noexcept {
  const auto* b = as<bits_object>(*this);
  return {b->data, b->size};
}

unsigned term::bits_in_last_byte() const noexcept { return as<bits_object>(*this)->bits; }

std::size_t term::bit_size() const noexcept {
  const auto* b = as<bits_object>(*this);
  return b->size == 0 ? 0 : (b->size - 1) * 8 + b->bits;
}

std::string_view term::bytes_as_string() const noexcept {
  const auto* b = as<bits_object>(*this);
  return {reinterpret_cast<const char*>(b->data), b->size};
}

term term::binary_slice(std::size_t offset, std::size_t size) const {
  const auto* b = as<bits_object>(*this);
  if (b->bits != 8 || offset > b->size || size > b->size - offset) {
    throw std::out_of_range("binary_slice outside the binary");
  }
  auto* s = alloc_object<bits_object>(0, b->data + offset, size, 8u);
  if (b->keeper) {
    s->keeper = b->keeper;
  } else {
    // Point at the owner of the bytes, so chains of slices do not keep slices alive.
    heap_object* owner = b->parent != nullptr ? b->parent : heap_object::of(*this);
    owner->retain();
    s->parent = owner;
  }
  return heap_object::adopt(kind::bitstring, s);
}

std::optional<std::string> term::to_text() const {
  if (kind_ == kind::bitstring) {
    if (!is_binary()) return std::nullopt;
    return std::string(bytes_as_string());
  }
  if (kind_ == kind::nil) return std::string();
  if (kind_ != kind::list || !is_proper_list()) return std::nullopt;
  std::string out;
  for (const auto& e : list_elements()) {
    if (!e.is_small_integer()) return std::nullopt;
    const std::int64_t cp = e.small_integer();
    if (!unicode::is_scalar_value(cp)) return std::nullopt;
    unicode::append_utf8(out, static_cast<char32_t>(cp));
  }
  return out;
}

namespace {
// Bytes of `t`'s own slot and object, not counting its subterms' objects.
std::size_t own_heap_size(const term& t) noexcept {
  if (!heap_object::boxed(t)) return sizeof(term);
  const std::size_t slot = sizeof(term);
  switch (heap_object::of(t)->type) {
    case object_type::big:
      return slot + sizeof(big_object) + mpz_size(as<big_object>(t)->value) * sizeof(mp_limb_t);
    case object_type::tuple:
      return slot + sizeof(tuple_object);
    case object_type::list:
      return slot + sizeof(list_object) - sizeof(term);  // the tail's slot is inside the object
    case object_type::map:
      return slot + sizeof(map_object);
    case object_type::bits:
      return slot + sizeof(bits_object) + as<bits_object>(t)->size;
    case object_type::pid:
      return slot + sizeof(pid_object);
    case object_type::port:
      return slot + sizeof(port_object);
    case object_type::ref:
      return slot + sizeof(ref_object);
    case object_type::fun:
      return slot + sizeof(fun_object);
  }
  return slot;
}
}  // namespace

std::size_t term::heap_size() const noexcept {
  // Iterative: a term may be nested far deeper than a thread's stack allows.
  std::size_t size = own_heap_size(*this);
  work_stack<child_cursor> open;
  open.push_back(child_cursor(*this));
  while (!open.empty()) {
    if (const term* c = open.back().next()) {
      size += own_heap_size(*c);
      open.push_back(child_cursor(*c));
    } else {
      open.pop_back();
    }
  }
  return size;
}

// ---- comparison ------------------------------------------------------------------------------

bool operator==(const reference& a, const reference& b) noexcept {
  // compare_refs()'s equality without its ordering of node names (monitor and alias lookups).
  if (a.node != b.node || a.creation != b.creation) return false;
  if (a.length == b.length && a.length <= a.words.size())
    return std::equal(a.words.begin(), a.words.begin() + a.length, b.words.begin());
  const std::size_t n = std::max(a.length, b.length);
  for (std::size_t i = 0; i < n && i < a.words.size(); ++i) {
    if ((i < a.length ? a.words[i] : 0) != (i < b.length ? b.words[i] : 0)) return false;
  }
  return true;
}

int compare(const term& a, const term& b) noexcept { return compare_terms(a, b, false, 0); }
int compare_exact(const term& a, const term& b) noexcept { return compare_terms(a, b, true, 0); }
bool exact_equal(const term& a, const term& b) noexcept { return equal_exact(a, b, 0); }
bool equal(const term& a, const term& b) noexcept { return compare_terms(a, b, false, 0) == 0; }
std::size_t term::hash() const noexcept { return hash_term(*this, 0); }

}  // namespace otpp
