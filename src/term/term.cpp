// The term value type: heap objects, construction and inspection (term order and hashing are
// in term_order.cpp).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
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
  std::vector<term> v(elements);
  return make_tuple(v.data(), v.size());
}

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

}  // namespace otpp
