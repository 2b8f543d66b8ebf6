// The value type for every Erlang term, with Erlang's term order, equality and hashing.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otpp/term/atom.hpp"

namespace otpp {

/// A process identifier, local or remote. `id` and `serial` are the two 32-bit halves
/// NEW_PID_EXT carries (OTP 26 uses all 64 bits); `creation` tells incarnations apart.
struct pid {
  atom node = atoms::nonode_nohost;
  std::uint32_t id = 0;
  std::uint32_t serial = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const pid&, const pid&) = default;
};

/// A port identifier (NEW_PORT_EXT / V4_PORT_EXT).
struct port_id {
  atom node = atoms::nonode_nohost;
  std::uint64_t id = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const port_id&, const port_id&) = default;
};

/// A reference: up to five 32-bit words (OTP 25 uses 3; OTP 26 pid-references use up to 5).
struct reference {
  atom node = atoms::nonode_nohost;
  std::uint32_t creation = 0;
  std::uint8_t length = 0;  ///< how many of `words` are used, 1..5
  std::array<std::uint32_t, 5> words{};
  friend bool operator==(const reference& a, const reference& b) noexcept;
};

class term;

/// A fun: an export fun (`fun M:F/A`) or a closure (NEW_FUN_EXT) kept intact so it can be
/// re-encoded byte for byte; otpp cannot call a closure made by BEAM code.
struct fun_value {
  bool is_export = false;
  atom module;
  atom function;          ///< export funs only
  std::uint32_t arity = 0;
  // Closure fields (NEW_FUN_EXT), unused for export funs.
  std::array<std::uint8_t, 16> uniq{};
  std::uint32_t index = 0;
  std::int64_t old_index = 0;  ///< an integer term on the wire
  std::int64_t old_uniq = 0;   ///< an integer term on the wire
  otpp::pid creator;
  std::vector<term> free_vars;
};

namespace detail {
struct heap_object;

/// The head of every heap object behind a boxed term (term/heap.hpp has the rest): its
/// reference count, here so that copying and dropping a term count without a call.
struct refcounted {
  std::atomic<std::uint32_t> refs{1};

  void retain() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;
};

/// Destroys an object whose last reference went (out of line: it walks the object's kind).
void destroy_object(refcounted* h) noexcept;

inline void refcounted::release() noexcept {
  // A count of one means no other owner exists who could race with us, so the atomic
  // read-modify-write can be skipped.
  if (refs.load(std::memory_order_acquire) == 1 || refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    destroy_object(this);
  }
}
}  // namespace detail

/// Any Erlang term. Copying is cheap: immediates (small integers, floats, atoms, []) are held
/// inline, everything else is a reference-counted, immutable heap object shared between copies.
/// Thread-safe in the way `std::shared_ptr<const T>` is: distinct copies may be used from
/// distinct threads; the value itself never changes.
class term {
 public:
  /// Kinds in Erlang term order: number < atom < reference < fun < port < pid < tuple < map
  /// < nil < list < bitstring.
  enum class kind : std::uint8_t {
    integer,    ///< small (int64) or big (arbitrary precision)
    float_,     ///< IEEE double
    atom,
    reference,
    fun,        ///< closures and export funs
    port,
    pid,
    tuple,
    map,
    nil,        ///< the empty list []
    list,       ///< a non-empty list, proper or improper
    bitstring,  ///< binaries and bitstrings
  };

  /// [] (nil).
  term() noexcept : kind_(kind::nil) { value_.i = 0; }
  term(int v) noexcept : term(static_cast<std::int64_t>(v)) {}
  term(long v) noexcept : kind_(kind::integer) { value_.i = static_cast<std::int64_t>(v); }
  term(long long v) noexcept : kind_(kind::integer) { value_.i = static_cast<std::int64_t>(v); }
  term(unsigned v) noexcept : term(static_cast<std::int64_t>(v)) {}
  term(unsigned long v);
  term(unsigned long long v);
  term(double v) noexcept : kind_(kind::float_) { value_.d = v; }
  term(atom a) noexcept : kind_(kind::atom) { value_.a = a.index(); }
  term(const otpp::pid& p);
  term(const port_id& p);
  term(const otpp::reference& r);
  term(bool) = delete;  // use atoms::true_ / atoms::false_ or term::boolean

  // Inline so copying an immediate costs two word moves; only boxed terms call out.
  term(const term& other) noexcept : kind_(other.kind_), boxed_(other.boxed_), value_(other.value_) {
    if (boxed_) retain(value_.h);
  }
  term(term&& other) noexcept : kind_(other.kind_), boxed_(other.boxed_), value_(other.value_) {
    other.kind_ = kind::nil;
    other.boxed_ = false;
  }
  term& operator=(const term& other) noexcept {
    if (other.boxed_) retain(other.value_.h);
    if (boxed_) release(value_.h);
    kind_ = other.kind_;
    boxed_ = other.boxed_;
    value_ = other.value_;
    return *this;
  }
  term& operator=(term&& other) noexcept {
    if (this != &other) {
      if (boxed_) release(value_.h);
      kind_ = other.kind_;
      boxed_ = other.boxed_;
      value_ = other.value_;
      other.kind_ = kind::nil;
      other.boxed_ = false;
    }
    return *this;
  }
  ~term() {
    if (boxed_) release(value_.h);
  }

  // ---- construction -----------------------------------------------------------------------
  [[nodiscard]] static term boolean(bool b) noexcept { return b ? atoms::true_ : atoms::false_; }
  /// An integer from its decimal text (optionally signed); nullopt if it is not one.
  [[nodiscard]] static std::optional<term> integer_from_string(std::string_view text, int base = 10);
  /// An integer from sign and little-endian magnitude bytes, as SMALL_BIG_EXT carries it.
  [[nodiscard]] static term integer_from_magnitude(bool negative, std::span<const std::uint8_t> le_bytes);
  [[nodiscard]] static term tuple(std::vector<term> elements);
  [[nodiscard]] static term tuple(std::initializer_list<term> elements);
  /// A tuple of `elements`, moved out of them (tuple_of builds on the stack and calls this:
  /// no vector, and no reference counts taken and dropped again).
  [[nodiscard]] static term tuple_from(std::span<term> elements);
  /// A proper list, or an improper one when `tail` is not []. A `tail` that is itself a list
  /// is flattened into the result.
  [[nodiscard]] static term list(std::vector<term> elements, term tail = term());
  [[nodiscard]] static term list(std::initializer_list<term> elements);
  /// A list of `elements`, moved out of them, ending in `tail` (flattened as list() does).
  [[nodiscard]] static term list_from(std::span<term> elements, term tail = term());
  /// An Erlang string (list of code points) from UTF-8 text.
  [[nodiscard]] static term string(std::string_view utf8);
  /// A map; a later duplicate key replaces an earlier one (as `maps:from_list/1`).
  [[nodiscard]] static term map(std::vector<std::pair<term, term>> entries);
  /// A binary holding a copy of `bytes`.
  [[nodiscard]] static term binary(std::span<const std::uint8_t> bytes);
  [[nodiscard]] static term binary(std::string_view bytes);
  /// Bytes of the binaries alive in this program that own more than 64 bytes (BEAM's
  /// reference-counted binaries: erlang:memory(binary)); smaller ones count as part of the
  /// memory of whoever holds them, as BEAM's heap binaries do. Thread-safe.
  [[nodiscard]] static std::size_t binary_memory() noexcept;
  /// A bitstring whose last byte holds `bits_in_last_byte` (1..8) significant high bits.
  [[nodiscard]] static term bitstring(std::span<const std::uint8_t> bytes, unsigned bits_in_last_byte);
  /// A binary that shares `buffer` (no copy): bytes [offset, offset + size).
  [[nodiscard]] static term binary_view(std::shared_ptr<const std::vector<std::uint8_t>> buffer,
                                        std::size_t offset, std::size_t size,
                                        unsigned bits_in_last_byte = 8);
  [[nodiscard]] static term fun(fun_value f);
  [[nodiscard]] static term export_fun(atom module, atom function, std::uint32_t arity);

  // ---- inspection -------------------------------------------------------------------------
  [[nodiscard]] kind type() const noexcept { return kind_; }
  [[nodiscard]] bool is_integer() const noexcept { return kind_ == kind::integer; }
  [[nodiscard]] bool is_small_integer() const noexcept { return kind_ == kind::integer && !boxed_; }
  [[nodiscard]] bool is_float() const noexcept { return kind_ == kind::float_; }
  [[nodiscard]] bool is_number() const noexcept { return is_integer() || is_float(); }
  [[nodiscard]] bool is_atom() const noexcept { return kind_ == kind::atom; }
  [[nodiscard]] bool is_atom(atom a) const noexcept { return is_atom() && value_.a == a.index(); }
  [[nodiscard]] bool is_reference() const noexcept { return kind_ == kind::reference; }
  [[nodiscard]] bool is_fun() const noexcept { return kind_ == kind::fun; }
  [[nodiscard]] bool is_port() const noexcept { return kind_ == kind::port; }
  [[nodiscard]] bool is_pid() const noexcept { return kind_ == kind::pid; }
  [[nodiscard]] bool is_tuple() const noexcept { return kind_ == kind::tuple; }
  /// A tuple of `arity` elements whose first element is the atom `tag`.
  [[nodiscard]] bool is_tagged_tuple(atom tag, std::size_t arity) const noexcept;
  [[nodiscard]] bool is_map() const noexcept { return kind_ == kind::map; }
  [[nodiscard]] bool is_nil() const noexcept { return kind_ == kind::nil; }
  /// True for [] and for non-empty lists (proper or improper), as `is_list/1`.
  [[nodiscard]] bool is_list() const noexcept { return kind_ == kind::nil || kind_ == kind::list; }
  [[nodiscard]] bool is_proper_list() const noexcept;
  [[nodiscard]] bool is_bitstring() const noexcept { return kind_ == kind::bitstring; }
  /// A bitstring whose size is a whole number of bytes.
  [[nodiscard]] bool is_binary() const noexcept;

  /// The small integer value, or nullopt for big integers that do not fit and non-integers.
  [[nodiscard]] std::optional<std::int64_t> to_int64() const noexcept;
  /// Precondition: is_small_integer().
  [[nodiscard]] std::int64_t small_integer() const noexcept { return value_.i; }
  /// Decimal (or other base) text of an integer.
  [[nodiscard]] std::string integer_to_string(int base = 10) const;
  /// Sign and little-endian magnitude of any integer.
  [[nodiscard]] bool integer_is_negative() const noexcept;
  [[nodiscard]] std::vector<std::uint8_t> integer_magnitude() const;
  /// Precondition: is_float().
  [[nodiscard]] double float_value() const noexcept { return value_.d; }
  /// Precondition: is_atom().
  [[nodiscard]] atom atom_value() const noexcept { return atom::from_index(value_.a); }
  [[nodiscard]] const otpp::pid& pid_value() const noexcept;
  [[nodiscard]] const port_id& port_value() const noexcept;
  [[nodiscard]] const otpp::reference& reference_value() const noexcept;
  [[nodiscard]] const fun_value& fun_content() const noexcept;

  /// Tuple elements (precondition: is_tuple()).
  [[nodiscard]] std::span<const term> elements() const noexcept;
  [[nodiscard]] std::size_t tuple_size() const noexcept { return elements().size(); }
  [[nodiscard]] const term& operator[](std::size_t i) const noexcept { return elements()[i]; }

  /// The elements of a list before its tail; empty for [] (precondition: is_list()).
  [[nodiscard]] std::span<const term> list_elements() const noexcept;
  /// The tail after the elements: [] for a proper list (precondition: is_list()).
  [[nodiscard]] const term& list_tail() const noexcept;
  /// What follows the first `n` elements, as `lists:nthtail/2` (precondition: is_list(),
  /// n <= list_elements().size()): shares this list's elements, so walking a list as
  /// `[H | T]` costs no copies.
  [[nodiscard]] term list_nthtail(std::size_t n) const;

  /// Map entries sorted by key in map key order (precondition: is_map()).
  [[nodiscard]] std::span<const std::pair<term, term>> map_entries() const noexcept;
  /// The value for `key` (exact match), or nullptr.
  [[nodiscard]] const term* map_find(const term& key) const noexcept;

  /// Bytes of a bitstring; the last byte holds `bits_in_last_byte()` significant high bits.
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept;
  [[nodiscard]] unsigned bits_in_last_byte() const noexcept;
  [[nodiscard]] std::size_t bit_size() const noexcept;
  /// The bytes as a string_view (for binaries holding text).
  [[nodiscard]] std::string_view bytes_as_string() const noexcept;
  /// A sub-binary sharing this binary's buffer (precondition: is_binary(), range inside).
  [[nodiscard]] term binary_slice(std::size_t offset, std::size_t size) const;

  /// UTF-8 text of an Erlang string (a proper list of code points) or of a binary;
  /// nullopt if this is neither.
  [[nodiscard]] std::optional<std::string> to_text() const;

  /// Approximate bytes this term occupies (its own node plus shared children), for
  /// memory figures.
  [[nodiscard]] std::size_t heap_size() const noexcept;

  // ---- comparison ---------------------------------------------------------------------------
  /// Erlang term order, with `==` semantics for numbers (1 and 1.0 compare equal).
  /// Returns <0, 0 or >0.
  friend int compare(const term& a, const term& b) noexcept;
  /// Total order used for map keys and `=:=` (OTP's "map key order"): as `compare`, but
  /// every integer sorts before every float (`#{2 => a, 1.0 => b}` keys are `[2, 1.0]`),
  /// so 1 and 1.0 differ. 0.0 and -0.0 are equal (OTP 25).
  friend int compare_exact(const term& a, const term& b) noexcept;
  /// `=:=`.
  friend bool exact_equal(const term& a, const term& b) noexcept;
  /// `==`.
  friend bool equal(const term& a, const term& b) noexcept;
  friend bool operator==(const term& a, const term& b) noexcept { return exact_equal(a, b); }
  friend bool operator<(const term& a, const term& b) noexcept { return compare(a, b) < 0; }
  /// A hash consistent with `=:=` (equal terms hash equal; 0.0 and -0.0 hash equal).
  [[nodiscard]] std::size_t hash() const noexcept;

 private:
  friend struct detail::heap_object;
  explicit term(kind k, detail::refcounted* h) noexcept : kind_(k), boxed_(true) { value_.h = h; }
  static void retain(detail::refcounted* h) noexcept { h->retain(); }
  static void release(detail::refcounted* h) noexcept { h->release(); }
  [[nodiscard]] bool is_boxed() const noexcept { return boxed_; }

  kind kind_;
  bool boxed_ = false;  ///< value_.h holds a heap object (bignums and every non-immediate kind)
  union {
    std::int64_t i;
    double d;
    std::uint32_t a;
    detail::refcounted* h;
  } value_;
};

static_assert(sizeof(term) == 16, "a term is two words");

// The comparison friends, declared again at namespace scope so they are found without ADL
// and so `[[nodiscard]]` applies (the attribute is ignored on a friend declaration).
[[nodiscard]] int compare(const term& a, const term& b) noexcept;
[[nodiscard]] int compare_exact(const term& a, const term& b) noexcept;
[[nodiscard]] bool exact_equal(const term& a, const term& b) noexcept;
[[nodiscard]] bool equal(const term& a, const term& b) noexcept;

/// Builds a tuple from any mix of values convertible to term: `tuple_of(atoms::ok, 42)`.
template <class... Ts>
[[nodiscard]] term tuple_of(Ts&&... values) {
  std::array<term, sizeof...(Ts)> elements{term(std::forward<Ts>(values))...};
  return term::tuple_from(elements);
}

/// Builds a proper list from any mix of values convertible to term.
template <class... Ts>
[[nodiscard]] term list_of(Ts&&... values) {
  std::array<term, sizeof...(Ts)> elements{term(std::forward<Ts>(values))...};
  return term::list_from(elements);
}

}  // namespace otpp

template <>
struct std::hash<otpp::term> {
  std::size_t operator()(const otpp::term& t) const noexcept { return t.hash(); }
};
