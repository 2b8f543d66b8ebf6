// The reference-counted heap objects behind non-immediate terms, private to the term layer
// (the codec builds and reads them directly; GMP stays out of public headers).
#pragma once

#include <gmp.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "otpp/term/term.hpp"

namespace otpp::detail {

/// Which object a boxed term points to.
enum class object_type : std::uint8_t { big, tuple, list, map, bits, pid, port, ref, fun };

/// Common header (the reference count comes first, from term.hpp). Objects are immutable
/// after construction; only `refs` changes.
struct alignas(8) heap_object : refcounted {
  object_type type;

  explicit heap_object(object_type t) noexcept : type(t) {}

  static void destroy(heap_object* h) noexcept;

  // Access to term internals (heap_object is term's friend).
  [[nodiscard]] static heap_object* of(const term& t) noexcept { return static_cast<heap_object*>(t.value_.h); }
  [[nodiscard]] static bool boxed(const term& t) noexcept { return t.boxed_; }
  /// Wraps an object whose single reference the new term takes over.
  [[nodiscard]] static term adopt(term::kind k, heap_object* h) noexcept { return term(k, h); }
  [[nodiscard]] static std::int64_t raw_int(const term& t) noexcept { return t.value_.i; }
};

template <class T>
T* as(const term& t) noexcept {
  return static_cast<T*>(heap_object::of(t));
}

struct big_object : heap_object {
  mpz_t value;
  big_object() noexcept : heap_object(object_type::big) { mpz_init(value); }
  ~big_object() { mpz_clear(value); }
};

/// A tuple: `size` terms follow the header in the same allocation.
struct tuple_object : heap_object {
  std::uint32_t size;
  explicit tuple_object(std::uint32_t n) noexcept : heap_object(object_type::tuple), size(n) {}
  term* data() noexcept { return reinterpret_cast<term*>(this + 1); }
  const term* data() const noexcept { return reinterpret_cast<const term*>(this + 1); }
};
static_assert(sizeof(tuple_object) % alignof(term) == 0);

/// A non-empty list: `size` elements, then the tail (never a list). An owner holds its
/// elements after the header; a slice (what is left after a list's first elements, so matching
/// `[H | T]` does not copy T) shows the end of its owner's elements and keeps the owner alive.
struct list_object : heap_object {
  std::uint32_t size;
  term tail;
  term* cells;                    ///< this + 1 for an owner; inside `owner`'s cells for a slice
  heap_object* owner = nullptr;   ///< a slice's owner (never itself a slice)
  list_object(std::uint32_t n, term t) noexcept
      : heap_object(object_type::list), size(n), tail(std::move(t)), cells(reinterpret_cast<term*>(this + 1)) {}
  term* data() noexcept { return cells; }
  const term* data() const noexcept { return cells; }
};
static_assert(sizeof(list_object) % alignof(term) == 0);

/// A map: `size` key/value pairs follow the header, sorted by key in map key order.
struct map_object : heap_object {
  std::uint32_t size;
  explicit map_object(std::uint32_t n) noexcept : heap_object(object_type::map), size(n) {}
  using entry = std::pair<term, term>;
  entry* data() noexcept { return reinterpret_cast<entry*>(this + 1); }
  const entry* data() const noexcept { return reinterpret_cast<const entry*>(this + 1); }
};
static_assert(sizeof(map_object) % alignof(term) == 0);

/// A binary or bitstring. Its bytes live inline after the header (an owner), in another
/// bits_object (`parent`, a slice) or in a caller's shared buffer (`keeper`).
struct bits_object : heap_object {
  const std::uint8_t* data;
  std::size_t size;            ///< bytes, including a partial last byte
  std::uint8_t bits;           ///< significant high bits in the last byte, 1..8
  heap_object* parent = nullptr;
  std::shared_ptr<const void> keeper;
  bits_object(const std::uint8_t* d, std::size_t n, unsigned b) noexcept
      : heap_object(object_type::bits), data(d), size(n), bits(static_cast<std::uint8_t>(b)) {}
  std::uint8_t* inline_bytes() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
};

struct pid_object : heap_object {
  otpp::pid value;
  explicit pid_object(const otpp::pid& p) noexcept : heap_object(object_type::pid), value(p) {}
};
struct port_object : heap_object {
  port_id value;
  explicit port_object(const port_id& p) noexcept : heap_object(object_type::port), value(p) {}
};
struct ref_object : heap_object {
  otpp::reference value;
  explicit ref_object(const otpp::reference& r) noexcept : heap_object(object_type::ref), value(r) {}
};
struct fun_object : heap_object {
  fun_value value;
  explicit fun_object(fun_value f) noexcept : heap_object(object_type::fun), value(std::move(f)) {}
};

// ---- builders used by term.cpp and the codec -----------------------------------------------

/// A heap object of type `T` with `extra` bytes after it (a container's elements), built
/// in place from `args`; its one reference belongs to the caller (heap_object::adopt).
template <class T, class... Args>
T* alloc_object(std::size_t extra, Args&&... args) {
  void* mem = ::operator new(sizeof(T) + extra);
  return new (mem) T(std::forward<Args>(args)...);
}

/// A tuple from `n` terms, moved out of `first`.
[[nodiscard]] term make_tuple(term* first, std::size_t n);
/// A list from `n` (> 0) terms moved out of `first` and a tail that is not a non-empty list.
[[nodiscard]] term make_list(term* first, std::size_t n, term tail);
/// The list after the first `skip` elements of the non-empty list `l` (0 < skip < its size),
/// sharing `l`'s elements.
[[nodiscard]] term make_list_slice(const term& l, std::size_t skip);
/// A map from `n` entries moved out of `first`; sorts and removes duplicates (later wins).
[[nodiscard]] term make_map(std::pair<term, term>* first, std::size_t n);
/// A binary with `n` uninitialised bytes the caller fills through `out` (before sharing it).
[[nodiscard]] term make_binary_uninit(std::size_t n, unsigned bits, std::uint8_t** out);
/// A term owning `z`'s value, small when it fits int64.
[[nodiscard]] term make_integer(const mpz_t z);
/// Reads any integer term into `z`.
void integer_to_mpz(const term& t, mpz_t z);

}  // namespace otpp::detail
