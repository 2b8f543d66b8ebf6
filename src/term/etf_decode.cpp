// External Term Format decoding: an iterative, bounds-checked decoder for every tag an OTP
// 25/26 node sends, compressed terms included; errors are values.
#include "otpp/term/etf.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "term/atom_table.hpp"
#include "term/etf_tag.hpp"
#include "term/heap.hpp"

namespace otpp::etf {

using detail::alloc_object;
using detail::as;
using detail::atom_info;
using detail::heap_object;

std::string decode_error::to_string() const { return "offset " + std::to_string(offset) + ": " + message; }

// =============================================================================================
// Decoding
// =============================================================================================
namespace {

inline std::uint16_t get16(const std::uint8_t* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline std::uint32_t get32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline std::uint64_t get64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

// A per-thread memo of recently decoded atom names of 1..16 bytes. The key (two words and
// the length) holds every byte of the name, so equal keys mean equal names; atoms are never
// removed, so a remembered index stays right forever. Zero-filled slots (size 0) never match.
struct atom_memo {
  static constexpr std::size_t max_size = 16;
  std::uint64_t a;
  std::uint64_t b;
  std::uint32_t size;
  std::uint32_t index;

  // Precondition: 1 <= n <= max_size and p[0, n) readable. Overlapping loads cover every byte.
  static void key_of(const std::uint8_t* p, std::size_t n, std::uint64_t& a, std::uint64_t& b) noexcept {
    if (n >= 8) {
      std::memcpy(&a, p, 8);
      std::memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
      std::uint32_t x;
      std::uint32_t y;
      std::memcpy(&x, p, 4);
      std::memcpy(&y, p + n - 4, 4);
      a = x;
      b = y;
    } else {
      a = std::uint64_t{p[0]} | (std::uint64_t{p[n >> 1]} << 8) | (std::uint64_t{p[n - 1]} << 16);
      b = 0;
    }
  }
  static constexpr unsigned slot_bits = 8;
  static std::size_t slot_of(std::uint64_t a, std::uint64_t b, std::size_t n) noexcept {
    std::uint64_t h = (a ^ n) * 0x9E3779B97F4A7C15ull + b * 0xC2B2AE3D27D4EB4Full;
    return static_cast<std::size_t>(h >> (64 - slot_bits));
  }
};
// Trivial and zero-initialised: no per-access initialisation check, no destructor to register.
thread_local atom_memo tl_atom_memo[std::size_t{1} << atom_memo::slot_bits];

// deflate cannot do better than about 1032:1; a header claiming more is a lie.
constexpr std::size_t max_deflate_ratio = 1032;

// Containers are built in place: a frame is an object being filled, slot by slot, while its
// own slot in the parent already holds it. Every slot still to be filled needs at least one
// more input byte, so `pending_` (slots promised but not yet started) bounds what a length
// field may claim: allocation stays proportional to the input, however lengths nest.
class decoder {
 public:
  decoder(const std::uint8_t* begin, const std::uint8_t* end, const decode_options& o, std::string_view where)
      : begin_(begin), p_(begin), end_(end), opt_(o), where_(where) {}
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

  // Decodes one term starting at the current position (no version byte) into `root`.
  bool run(term& root);

  [[nodiscard]] std::size_t position() const noexcept { return static_cast<std::size_t>(p_ - begin_); }
  decode_error take_error() { return std::move(error_); }

 private:
  enum class frame_kind : std::uint8_t { tuple, list, map, fun };
  struct frame {
    term* next;                 // the slot being filled
    std::uint32_t remaining;    // slots left, including the one being filled (list: and the tail)
    std::uint32_t index;        // slots filled (list: elements filled)
    frame_kind kind;
    heap_object* obj;           // the object being filled (owned by *owner)
    term* owner;                // the parent's slot that holds obj
    const std::uint8_t* start;  // NEW_FUN_EXT: its Size field
  };

  // The open frames: a few in place (no set-up cost, no allocation for ordinary terms),
  // more on the heap, doubling, up to max_depth.
  class frame_stack {
   public:
    frame_stack() noexcept = default;  // `local_` stays uninitialised: only [0, size_) is read
    frame_stack(const frame_stack&) = delete;
    frame_stack& operator=(const frame_stack&) = delete;
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    frame& back() noexcept { return base_[size_ - 1]; }
    void pop_back() noexcept { --size_; }
    void push_back(const frame& f) {
      if (size_ == capacity_) [[unlikely]] grow();
      base_[size_++] = f;
    }

   private:
    void grow() {
      std::size_t capacity = 2 * capacity_;
      auto bigger = std::make_unique_for_overwrite<frame[]>(capacity);
      std::copy_n(base_, size_, bigger.get());
      heap_ = std::move(bigger);
      base_ = heap_.get();
      capacity_ = capacity;
    }
    static constexpr std::size_t local_frames = 24;
    frame local_[local_frames];
    frame* base_ = local_;
    std::size_t size_ = 0;
    std::size_t capacity_ = local_frames;
    std::unique_ptr<frame[]> heap_;
  };

  bool fail(const std::uint8_t* at, std::string message) {
    error_.offset = static_cast<std::size_t>(at - begin_);
    error_.message = where_.empty() ? std::move(message) : std::string(where_) + std::move(message);
    return false;
  }
  bool truncated(const std::uint8_t* at, std::string_view what) {
    return fail(at, "input ends inside " + std::string(what));
  }
  [[nodiscard]] std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  // Input bytes not yet spoken for by promised slots.
  [[nodiscard]] std::size_t avail() const noexcept { return left() > pending_ ? left() - pending_ : 0; }
  bool need(std::size_t n, const std::uint8_t* tag_at, tag t) {
    if (left() >= n) [[likely]] return true;
    return truncated(tag_at, to_string(t));
  }
  bool too_long(const std::uint8_t* at, std::string_view what, std::size_t n, std::string_view unit) {
    std::string text = std::string(what) + " " + std::to_string(n);
    if (!unit.empty()) text += " " + std::string(unit);
    return fail(at, text + " exceeds the " + std::to_string(avail()) + " bytes left");
  }

  // Pushes a frame for `obj`, now held by `slot`, whose first child slot is `first`.
  // `filled` slots before `first` are complete already (small integers stored in bulk).
  bool open(frame_kind k, heap_object* obj, term* slot, term* first, std::uint32_t count, const std::uint8_t* at,
            const std::uint8_t* start = nullptr, std::uint32_t filled = 0) {
    if (frames_.size() >= opt_.max_depth) return fail(at, "nesting deeper than " + std::to_string(opt_.max_depth));
    frames_.push_back(frame{first, count, filled, k, obj, slot, start});
    pending_ += count - 1;
    return true;
  }

  // Moves the top frame to its next slot; false when the frame is complete.
  static bool advance(frame& f) noexcept {
    ++f.index;
    if (--f.remaining == 0) return false;
    switch (f.kind) {
      case frame_kind::tuple:
      case frame_kind::fun:
        ++f.next;
        break;
      case frame_kind::list:
        f.next = f.remaining == 1 ? &static_cast<detail::list_object*>(f.obj)->tail : f.next + 1;
        break;
      case frame_kind::map: {
        auto* e = static_cast<detail::map_object*>(f.obj)->data() + (f.index >> 1);
        f.next = (f.index & 1) ? &e->second : &e->first;
        break;
      }
    }
    return true;
  }

  // Stores the leading run of small-integer elements of a tuple or list being built into
  // the raw (not yet constructed) slots at `d`, at most `limit` of them, in one tight loop;
  // returns how many. Never fails: it stops at anything else, which the caller decodes.
  std::uint32_t read_small_ints(term* d, std::uint32_t limit) noexcept {
    const std::uint8_t* p = p_;
    const std::uint8_t* const end = end_;  // a local: stores through `d` cannot change it
    std::uint32_t k = 0;
    if (p == end || (*p != tag_byte(tag::small_integer) && *p != tag_byte(tag::integer))) return 0;
    // In batches that cannot run past the input (an integer takes at most 5 bytes), so the
    // inner loop checks no bounds.
    for (;;) {
      auto batch = static_cast<std::uint32_t>(std::min<std::size_t>(limit - k, static_cast<std::size_t>(end - p) / 5));
      if (batch == 0) break;
      term* q = d + k;
      term* const stop = q + batch;
      for (; q != stop; ++q) {
        long long v;
        if (*p == tag_byte(tag::small_integer)) {
          v = p[1];
          p += 2;
        } else if (*p == tag_byte(tag::integer)) {
          v = static_cast<std::int32_t>(get32(p + 1));
          p += 5;
        } else {
          break;
        }
        new (q) term(v);
      }
      k = static_cast<std::uint32_t>(q - d);
      if (q != stop) break;
    }
    while (k < limit && end - p >= 2 && *p == tag_byte(tag::small_integer)) {
      new (d + k) term(static_cast<long long>(p[1]));
      p += 2;
      ++k;
    }
    p_ = p;
    return k;
  }

  bool step(term*& slot);
  bool finish(frame& f);
  bool grow_list(frame& f, std::size_t more, const std::uint8_t* at);
  bool read_atom(atom& out);
  bool read_atom_body(std::uint8_t t, const std::uint8_t* at, atom& out);
  [[gnu::noinline]] bool read_atom_slow(std::uint8_t t, const std::uint8_t* at, atom& out);
  bool read_fun_int(std::int64_t& out);
  bool read_pid(pid& out);
  void read_binary(term& slot, std::size_t n, unsigned bits);

  const std::uint8_t* begin_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  const decode_options& opt_;
  std::string_view where_;
  decode_error error_;
  frame_stack frames_;
  std::size_t pending_ = 0;
};

// Short ASCII names (nearly every atom on the wire) are remembered per thread, so a name
// seen before costs one compare, inline, instead of validation, hashing and a table probe.
inline bool decoder::read_atom_body(std::uint8_t t, const std::uint8_t* at, atom& out) {
  std::size_t hdr = (t == tag_byte(tag::atom_latin1) || t == tag_byte(tag::atom_utf8))               ? 2
                    : (t == tag_byte(tag::small_atom_latin1) || t == tag_byte(tag::small_atom_utf8)) ? 1
                                                                                                     : 0;
  if (hdr != 0 && left() >= hdr) [[likely]] {
    std::size_t n = hdr == 2 ? get16(p_) : *p_;
    const std::uint8_t* text = p_ + hdr;
    if (n - 1 < atom_memo::max_size && static_cast<std::size_t>(end_ - text) >= n) {
      std::uint64_t a;
      std::uint64_t b;
      atom_memo::key_of(text, n, a, b);
      const atom_memo& m = tl_atom_memo[atom_memo::slot_of(a, b, n)];
      if (m.a == a && m.b == b && m.size == n) {
        p_ = text + n;
        out = atom::from_index(m.index);
        return true;
      }
    }
  }
  return read_atom_slow(t, at, out);
}

bool decoder::read_atom_slow(std::uint8_t t, const std::uint8_t* at, atom& out) {
  std::size_t n;
  bool latin1 = false;
  switch (static_cast<tag>(t)) {
    case tag::atom_cache_ref: {
      if (left() < 1) return truncated(at, "ATOM_CACHE_REF");
      std::uint8_t i = *p_++;
      if (i >= opt_.atom_cache.size()) {
        return fail(at, "ATOM_CACHE_REF " + std::to_string(i) + " outside the atom cache of " +
                            std::to_string(opt_.atom_cache.size()));
      }
      out = opt_.atom_cache[i];
      return true;
    }
    case tag::small_atom_utf8:
    case tag::small_atom_latin1:
      if (left() < 1) return truncated(at, to_string(static_cast<tag>(t)));
      n = *p_++;
      latin1 = static_cast<tag>(t) == tag::small_atom_latin1;
      break;
    case tag::atom_utf8:
    case tag::atom_latin1:
      if (left() < 2) return truncated(at, to_string(static_cast<tag>(t)));
      n = get16(p_);
      p_ += 2;
      latin1 = static_cast<tag>(t) == tag::atom_latin1;
      break;
    default:
      return fail(at, "expected an atom, found tag " + std::to_string(t));
  }
  if (left() < n) return truncated(at, to_string(static_cast<tag>(t)));
  // Remember short ASCII names (see read_atom_body).
  atom_memo* memo = nullptr;
  std::uint64_t key_a = 0;
  std::uint64_t key_b = 0;
  if (n - 1 < atom_memo::max_size) {
    atom_memo::key_of(p_, n, key_a, key_b);
    memo = &tl_atom_memo[atom_memo::slot_of(key_a, key_b, n)];
  }
  std::string_view text(reinterpret_cast<const char*>(p_), n);
  std::uint32_t a;
  if (opt_.new_atoms != nullptr) [[unlikely]] {
    if (latin1 && n > 255) return fail(at, "atom of " + std::to_string(n) + " characters exceeds 255");
    auto got = latin1 ? opt_.new_atoms->intern_latin1(text) : opt_.new_atoms->intern(text);
    if (!got && opt_.new_atoms->spent())
      return fail(at, "a new atom exceeds the budget of " + std::to_string(opt_.new_atoms->limit()) +
                          " atoms peers may add");
    a = got ? got->index() : detail::no_atom;
    if (a == detail::no_atom && !latin1) {
      std::ptrdiff_t chars = detail::utf8_length(text);
      if (chars < 0) return fail(at, "atom text is not valid UTF-8");
      if (chars > 255) return fail(at, "atom of " + std::to_string(chars) + " characters exceeds 255");
    }
  } else if (latin1) {
    if (n > 255) return fail(at, "atom of " + std::to_string(n) + " characters exceeds 255");
    a = detail::intern_latin1(text);
  } else {
    a = detail::intern_utf8(text);
    if (a == detail::no_atom) {
      std::ptrdiff_t chars = detail::utf8_length(text);
      if (chars < 0) return fail(at, "atom text is not valid UTF-8");
      if (chars > 255) return fail(at, "atom of " + std::to_string(chars) + " characters exceeds 255");
    }
  }
  if (a == detail::no_atom) return fail(at, "atom table is full");
  // Only ASCII: its bytes mean the same name under the Latin-1 and the UTF-8 tags.
  if (memo != nullptr && ((key_a | key_b) & 0x8080808080808080ull) == 0) {
    *memo = atom_memo{key_a, key_b, static_cast<std::uint32_t>(n), a};
  }
  p_ += n;
  out = atom::from_index(a);
  return true;
}

bool decoder::read_atom(atom& out) {
  const std::uint8_t* at = p_;
  if (left() < 1) return truncated(at, "an atom");
  std::uint8_t t = *p_++;
  return read_atom_body(t, at, out);
}

// OldIndex and OldUniq of NEW_FUN_EXT: integer terms.
bool decoder::read_fun_int(std::int64_t& out) {
  const std::uint8_t* at = p_;
  if (left() < 1) return truncated(at, "NEW_FUN_EXT");
  std::uint8_t t = *p_++;
  if (t == tag_byte(tag::small_integer)) {
    if (left() < 1) return truncated(at, "SMALL_INTEGER_EXT");
    out = *p_++;
    return true;
  }
  if (t == tag_byte(tag::integer)) {
    if (left() < 4) return truncated(at, "INTEGER_EXT");
    out = static_cast<std::int32_t>(get32(p_));
    p_ += 4;
    return true;
  }
  if (t == tag_byte(tag::small_big)) {
    if (left() < 2) return truncated(at, "SMALL_BIG_EXT");
    std::size_t n = p_[0];
    bool neg = p_[1] != 0;
    p_ += 2;
    if (left() < n) return truncated(at, "SMALL_BIG_EXT");
    term v = term::integer_from_magnitude(neg, {p_, n});
    p_ += n;
    if (!v.is_small_integer()) return fail(at, "fun index does not fit 64 bits");
    out = v.small_integer();
    return true;
  }
  return fail(at, "expected an integer in NEW_FUN_EXT, found tag " + std::to_string(t));
}

bool decoder::read_pid(pid& out) {
  const std::uint8_t* at = p_;
  if (left() < 1) return truncated(at, "a pid");
  std::uint8_t t = *p_++;
  if (t != tag_byte(tag::new_pid) && t != tag_byte(tag::pid_old)) {
    return fail(at, "expected a pid, found tag " + std::to_string(t));
  }
  if (!read_atom(out.node)) return false;
  bool old = t == tag_byte(tag::pid_old);
  if (left() < (old ? 9u : 12u)) return truncated(at, to_string(static_cast<tag>(t)));
  out.id = get32(p_);
  out.serial = get32(p_ + 4);
  out.creation = old ? p_[8] : get32(p_ + 8);
  p_ += old ? 9 : 12;
  return true;
}

// `slot` holds [] (see step).
void decoder::read_binary(term& slot, std::size_t n, unsigned bits) {
  const auto& shared = opt_.shared_buffer;
  if (shared && n >= opt_.share_threshold && n != 0 && p_ >= shared->data() &&
      p_ + n <= shared->data() + shared->size()) {
    auto offset = static_cast<std::size_t>(p_ - shared->data());
    new (&slot) term(term::binary_view(shared, offset, n, bits));
  } else {
    std::uint8_t* out = nullptr;
    new (&slot) term(detail::make_binary_uninit(n, bits, &out));
    if (n != 0) {
      std::memcpy(out, p_, n);
      if (bits != 8) out[n - 1] &= static_cast<std::uint8_t>(0xFF << (8 - bits));
    }
  }
  p_ += n;
}

// A LIST_EXT or STRING_EXT in a list's tail continues that list: its object is replaced by
// a bigger one (capacity doubling keeps chains of one-element tails linear).
bool decoder::grow_list(frame& f, std::size_t more, const std::uint8_t* at) {
  auto* old = static_cast<detail::list_object*>(f.obj);
  std::size_t filled = f.index;
  std::size_t needed = filled + more;
  if (needed > std::numeric_limits<std::uint32_t>::max()) return fail(at, "list too long");
  if (needed > old->size) {
    std::size_t capacity = std::min<std::size_t>(std::max(needed, 2 * std::size_t{old->size}),
                                                 std::numeric_limits<std::uint32_t>::max());
    auto* l = alloc_object<detail::list_object>(capacity * sizeof(term), static_cast<std::uint32_t>(capacity), term());
    std::uninitialized_move_n(old->data(), filled, l->data());
    std::uninitialized_default_construct_n(l->data() + filled, capacity - filled);
    *f.owner = heap_object::adopt(term::kind::list, l);  // releases the old object
    f.obj = l;
  }
  f.next = static_cast<detail::list_object*>(f.obj)->data() + filled;
  return true;
}

// Completes the top frame's object.
bool decoder::finish(frame& f) {
  switch (f.kind) {
    case frame_kind::tuple:
      return true;
    case frame_kind::list: {
      auto* l = static_cast<detail::list_object*>(f.obj);
      std::uint32_t elements = f.index - 1;  // the last slot filled was the tail
      if (l->size != elements) {
        std::destroy(l->data() + elements, l->data() + l->size);  // unused capacity: [] each
        l->size = elements;
      }
      return true;
    }
    case frame_kind::map: {
      auto* m = static_cast<detail::map_object*>(f.obj);
      auto* first = m->data();
      auto* last = first + m->size;
      auto less = [](const std::pair<term, term>& x, const std::pair<term, term>& y) {
        return compare_exact(x.first, y.first) < 0;
      };
      // OTP writes small maps in key order: one pass checks order and duplicates. Keys are
      // mostly atoms, compared here without the general comparison's dispatch.
      bool ordered = true;
      for (auto* e = first + 1; e < last; ++e) {
        const term& x = e[-1].first;
        const term& y = e->first;
        int c = x.is_atom() && y.is_atom() ? compare(x.atom_value(), y.atom_value()) : compare_exact(x, y);
        if (c == 0) return fail(p_, "map has a duplicate key");
        if (c > 0) {
          ordered = false;
          break;
        }
      }
      if (!ordered) {
        std::sort(first, last, less);
        for (auto* e = first + 1; e < last; ++e) {
          if (compare_exact(e[-1].first, e->first) == 0) return fail(p_, "map has a duplicate key");
        }
      }
      return true;
    }
    case frame_kind::fun: {
      auto took = static_cast<std::size_t>(p_ - f.start);
      std::uint32_t declared = get32(f.start);
      if (took != declared) {
        return fail(f.start, "NEW_FUN_EXT size says " + std::to_string(declared) + " bytes but the fun took " +
                                 std::to_string(took));
      }
      return true;
    }
  }
  return true;
}

bool decoder::run(term& root) {
  term* slot = &root;
  for (;;) {
    // Small integers are most of what long lists and tuples hold: store them without the
    // full dispatch. Every slot being filled holds [] (nothing to release).
    if (end_ - p_ >= 5 && *p_ == tag_byte(tag::integer)) {
      new (slot) term(static_cast<long long>(static_cast<std::int32_t>(get32(p_ + 1))));
      p_ += 5;
    } else if (end_ - p_ >= 2 && *p_ == tag_byte(tag::small_integer)) {
      new (slot) term(static_cast<long long>(p_[1]));
      p_ += 2;
    } else {
      if (!step(slot)) return false;
      if (slot != nullptr) continue;  // a container opened, or a list tail went on: fill `slot` next
    }
    // A value landed in the slot: move on, completing every frame that is now full.
    for (;;) {
      if (frames_.empty()) return true;
      frame& f = frames_.back();
      if (advance(f)) {
        --pending_;
        slot = f.next;
        break;
      }
      if (!finish(f)) return false;
      frames_.pop_back();
    }
  }
}

// Decodes the tag at p_ into *slot. Afterwards slot is nullptr when a value was stored, or
// the slot to fill next when a container was opened (or a list tail was continued).
bool decoder::step(term*& slot) {
  const std::uint8_t* at = p_;
  if (p_ >= end_) return fail(at, "input ends where a term should start");
  std::uint8_t t = *p_++;
  term& out = *slot;
  // Every slot being filled holds [] (nothing to release), so values are moved in without
  // an assignment's release check.
  auto set = [&out](term&& v) noexcept { new (&out) term(std::move(v)); };
  switch (static_cast<tag>(t)) {
    case tag::small_integer:
      if (!need(1, at, tag::small_integer)) return false;
      set(term(static_cast<long long>(*p_++)));
      break;
    case tag::integer:
      if (!need(4, at, tag::integer)) return false;
      set(term(static_cast<long long>(static_cast<std::int32_t>(get32(p_)))));
      p_ += 4;
      break;
    case tag::small_big:
    case tag::large_big: {
      bool large = static_cast<tag>(t) == tag::large_big;
      std::size_t hdr = large ? 4 : 1;
      if (!need(hdr, at, static_cast<tag>(t))) return false;
      std::size_t n = large ? get32(p_) : *p_;
      p_ += hdr;
      if (large && n >= avail()) return too_long(at, "LARGE_BIG_EXT of", n, "bytes");
      if (left() < 1 + n) return truncated(at, "a big integer");
      bool neg = *p_++ != 0;
      set(term::integer_from_magnitude(neg, {p_, n}));
      p_ += n;
      break;
    }
    case tag::new_float: {
      if (!need(8, at, tag::new_float)) return false;
      double d = std::bit_cast<double>(get64(p_));
      if (!std::isfinite(d)) return fail(at, "NEW_FLOAT_EXT is not a finite number");
      p_ += 8;
      set(term(d));
      break;
    }
    case tag::float_old: {
      if (!need(31, at, tag::float_old)) return false;
      const char* s = reinterpret_cast<const char*>(p_);
      std::size_t len = 0;
      while (len < 31 && s[len] != '\0') ++len;
      double d = 0;
      const char* b = s;
      const char* e = s + len;
      while (b < e && *b == ' ') ++b;  // C's printf may pad; from_chars does not skip
      if (b < e && *b == '+') ++b;
      auto [ptr, ec] = std::from_chars(b, e, d);
      if (ec != std::errc() || ptr != e || !std::isfinite(d)) return fail(at, "FLOAT_EXT text is not a number");
      p_ += 31;
      set(term(d));
      break;
    }
    case tag::atom_cache_ref:
    case tag::small_atom_utf8:
    case tag::atom_utf8:
    case tag::atom_latin1:
    case tag::small_atom_latin1: {
      atom a;
      if (!read_atom_body(t, at, a)) return false;
      set(term(a));
      break;
    }
    case tag::new_pid:
    case tag::pid_old: {
      p_ = at;
      pid v;
      if (!read_pid(v)) return false;
      set(term(v));
      break;
    }
    case tag::new_port:
    case tag::v4_port:
    case tag::port_old: {
      port_id v;
      if (!read_atom(v.node)) return false;
      auto kind = static_cast<tag>(t);
      std::size_t n = kind == tag::v4_port ? 12 : kind == tag::new_port ? 8 : 5;
      if (!need(n, at, kind)) return false;
      if (kind == tag::v4_port) {
        v.id = get64(p_);
        v.creation = get32(p_ + 8);
      } else {
        v.id = get32(p_);
        v.creation = kind == tag::new_port ? get32(p_ + 4) : p_[4];
      }
      p_ += n;
      set(term(v));
      break;
    }
    case tag::reference_old: {
      reference r;
      if (!read_atom(r.node)) return false;
      if (!need(5, at, tag::reference_old)) return false;
      r.length = 1;
      r.words[0] = get32(p_);
      r.creation = p_[4];
      p_ += 5;
      set(term(r));
      break;
    }
    case tag::new_reference:
    case tag::newer_reference: {
      auto kind = static_cast<tag>(t);
      if (!need(2, at, kind)) return false;
      std::size_t n = get16(p_);
      p_ += 2;
      if (n < 1 || n > 5) {
        return fail(at, std::string(to_string(kind)) + " with " + std::to_string(n) + " words (1..5 allowed)");
      }
      reference r;
      if (!read_atom(r.node)) return false;
      std::size_t cbytes = kind == tag::newer_reference ? 4 : 1;
      if (!need(cbytes + 4 * n, at, kind)) return false;
      r.creation = cbytes == 4 ? get32(p_) : p_[0];
      p_ += cbytes;
      r.length = static_cast<std::uint8_t>(n);
      for (std::size_t i = 0; i < n; ++i) r.words[i] = get32(p_ + 4 * i);
      p_ += 4 * n;
      set(term(r));
      break;
    }
    case tag::small_tuple:
    case tag::large_tuple: {
      auto kind = static_cast<tag>(t);
      std::size_t hdr = kind == tag::small_tuple ? 1 : 4;
      if (!need(hdr, at, kind)) return false;
      std::size_t n = hdr == 1 ? *p_ : get32(p_);
      p_ += hdr;
      if (n == 0) {
        set(detail::make_tuple(nullptr, 0));
        break;
      }
      if (n > avail()) return too_long(at, "tuple arity", n, "");
      auto* obj = alloc_object<detail::tuple_object>(n * sizeof(term), static_cast<std::uint32_t>(n));
      // Leading small integers go straight into the new object; the last element is always
      // left to the main loop, so the frame below has a slot to fill.
      term* d = obj->data();
      auto count = static_cast<std::uint32_t>(n);
      std::uint32_t k = read_small_ints(d, count - 1);
      std::uninitialized_default_construct_n(d + k, count - k);
      set(heap_object::adopt(term::kind::tuple, obj));
      if (!open(frame_kind::tuple, obj, slot, d + k, count - k, at, nullptr, k)) return false;
      slot = d + k;
      return true;
    }
    case tag::map: {
      if (!need(4, at, tag::map)) return false;
      std::size_t n = get32(p_);
      p_ += 4;
      if (n == 0) {
        set(detail::make_map(nullptr, 0));
        break;
      }
      if (n > avail() / 2) return too_long(at, "map of", n, "pairs");
      auto* obj = alloc_object<detail::map_object>(n * sizeof(detail::map_object::entry), static_cast<std::uint32_t>(n));
      std::uninitialized_default_construct_n(obj->data(), n);
      set(heap_object::adopt(term::kind::map, obj));
      if (!open(frame_kind::map, obj, slot, &obj->data()->first, static_cast<std::uint32_t>(2 * n), at)) return false;
      slot = &obj->data()->first;
      return true;
    }
    case tag::nil:
      set(term());
      break;
    case tag::string: {
      if (!need(2, at, tag::string)) return false;
      std::size_t n = get16(p_);
      p_ += 2;
      if (n > avail()) return too_long(at, "STRING_EXT of", n, "bytes");
      if (n == 0) {
        set(term());
        break;
      }
      term* dest;
      if (!frames_.empty() && frames_.back().kind == frame_kind::list && frames_.back().remaining == 1) {
        // In a list's tail: the bytes join that list, and its own [] ends it.
        frame& f = frames_.back();
        if (!grow_list(f, n, at)) return false;
        dest = f.next;
        f.index += static_cast<std::uint32_t>(n);
        f.next = &static_cast<detail::list_object*>(f.obj)->tail;
        slot = f.next;
        for (std::size_t i = 0; i < n; ++i) dest[i] = term(static_cast<long long>(p_[i]));
        p_ += n;
        *slot = term();
        break;
      }
      auto* l = alloc_object<detail::list_object>(n * sizeof(term), static_cast<std::uint32_t>(n), term());
      dest = l->data();
      for (std::size_t i = 0; i < n; ++i) new (dest + i) term(static_cast<long long>(p_[i]));
      p_ += n;
      set(heap_object::adopt(term::kind::list, l));
      break;
    }
    case tag::list: {
      if (!need(4, at, tag::list)) return false;
      std::size_t n = get32(p_);
      p_ += 4;
      if (n >= avail()) return too_long(at, "list of", n, "elements");
      if (n == 0) return true;  // [ | T] is T: decode T into the same slot
      if (!frames_.empty() && frames_.back().kind == frame_kind::list && frames_.back().remaining == 1) {
        // In a list's tail: the elements continue that list without another level.
        frame& f = frames_.back();
        if (!grow_list(f, n, at)) return false;
        f.remaining += static_cast<std::uint32_t>(n);
        pending_ += n;
        slot = f.next;
        return true;
      }
      auto* l = alloc_object<detail::list_object>(n * sizeof(term), static_cast<std::uint32_t>(n), term());
      // As for tuples; the tail is always left to the main loop.
      term* d = l->data();
      auto count = static_cast<std::uint32_t>(n);
      std::uint32_t k = read_small_ints(d, count);
      std::uninitialized_default_construct_n(d + k, count - k);
      set(heap_object::adopt(term::kind::list, l));
      term* first = k == count ? &l->tail : d + k;
      if (!open(frame_kind::list, l, slot, first, count + 1 - k, at, nullptr, k)) return false;
      slot = first;
      return true;
    }
    case tag::binary: {
      if (!need(4, at, tag::binary)) return false;
      std::size_t n = get32(p_);
      p_ += 4;
      if (n > avail()) return too_long(at, "binary of", n, "bytes");
      read_binary(out, n, 8);
      break;
    }
    case tag::bit_binary: {
      if (!need(5, at, tag::bit_binary)) return false;
      std::size_t n = get32(p_);
      unsigned bits = p_[4];
      p_ += 5;
      if (n > avail()) return too_long(at, "bitstring of", n, "bytes");
      if (n == 0 ? bits != 0 : (bits < 1 || bits > 8)) {
        return fail(at, "BIT_BINARY_EXT with " + std::to_string(bits) + " bits in its last of " + std::to_string(n) + " bytes");
      }
      read_binary(out, n, n == 0 ? 8 : bits);
      break;
    }
    case tag::export_fun: {
      fun_value f;
      f.is_export = true;
      if (!read_atom(f.module) || !read_atom(f.function)) return false;
      if (!need(2, at, tag::export_fun)) return false;
      if (p_[0] != tag_byte(tag::small_integer)) return fail(p_, "EXPORT_EXT arity must be a SMALL_INTEGER_EXT");
      f.arity = p_[1];
      p_ += 2;
      set(term::fun(std::move(f)));
      break;
    }
    case tag::new_fun: {
      const std::uint8_t* start = p_;
      if (!need(29, at, tag::new_fun)) return false;
      fun_value f;
      std::uint32_t size = get32(p_);
      f.arity = p_[4];
      std::memcpy(f.uniq.data(), p_ + 5, 16);
      f.index = get32(p_ + 21);
      std::uint32_t nfree = get32(p_ + 25);
      p_ += 29;
      if (size > static_cast<std::size_t>(end_ - start)) {
        return fail(at, "NEW_FUN_EXT of " + std::to_string(size) + " bytes exceeds the input");
      }
      if (!read_atom(f.module) || !read_fun_int(f.old_index) || !read_fun_int(f.old_uniq) || !read_pid(f.creator)) {
        return false;
      }
      if (nfree > avail()) return too_long(at, "NEW_FUN_EXT with", nfree, "free variables");
      f.free_vars.resize(nfree);
      set(term::fun(std::move(f)));
      auto* obj = as<detail::fun_object>(out);
      if (nfree == 0) {
        frame tmp{nullptr, 0, 0, frame_kind::fun, obj, slot, start};
        if (!finish(tmp)) return false;
        break;
      }
      term* first = obj->value.free_vars.data();
      if (!open(frame_kind::fun, obj, slot, first, nfree, at, start)) return false;
      slot = first;
      return true;
    }
    case tag::compressed:
      return fail(at, "COMPRESSED (80) is allowed only right after the version byte");
    case tag::version:
      return fail(at, "version byte 131 inside a term");
    case tag::local:
      return fail(at, "LOCAL_EXT (121) is private to the node that made it and cannot be decoded");
    case tag::fun_old:
      return fail(at, "FUN_EXT (117) is obsolete since OTP 23");
    default:
      return fail(at, "unknown tag " + std::to_string(t));
  }
  slot = nullptr;
  return true;
}

result<decoded> decode_compressed(std::span<const std::uint8_t> bytes, const decode_options& options) {
  // bytes[0] is 80.
  if (bytes.size() < 5) return decode_error{0, "input ends inside COMPRESSED header"};
  std::size_t claimed = get32(bytes.data() + 1);
  std::size_t available = bytes.size() - 5;
  if (claimed > options.max_uncompressed_size) {
    return decode_error{1, "compressed term claims " + std::to_string(claimed) + " bytes, over the limit of " +
                               std::to_string(options.max_uncompressed_size)};
  }
  if (claimed > available * max_deflate_ratio + 64) {
    return decode_error{1, "compressed term claims " + std::to_string(claimed) + " bytes, more than " +
                               std::to_string(available) + " compressed bytes can hold"};
  }
  if (claimed == 0) return decode_error{1, "compressed term claims 0 bytes"};
  auto plain = std::make_shared<std::vector<std::uint8_t>>(claimed);
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return decode_error{5, "zlib could not start"};
  zs.next_in = const_cast<Bytef*>(bytes.data() + 5);
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(available, std::numeric_limits<uInt>::max()));
  zs.next_out = plain->data();
  zs.avail_out = static_cast<uInt>(claimed);
  int rc = inflate(&zs, Z_FINISH);
  std::size_t produced = zs.total_out;
  std::size_t consumed = zs.total_in;
  inflateEnd(&zs);
  if (rc == Z_BUF_ERROR && produced == claimed) {
    return decode_error{1, "compressed data is larger than the " + std::to_string(claimed) + " bytes its header claims"};
  }
  if (rc == Z_BUF_ERROR || (rc == Z_OK && produced < claimed)) {
    return decode_error{5 + consumed, "compressed data ends early"};
  }
  if (rc != Z_STREAM_END) return decode_error{5 + consumed, "compressed data is corrupt (zlib error " + std::to_string(rc) + ")"};
  if (produced != claimed) {
    return decode_error{1, "compressed data holds " + std::to_string(produced) + " bytes, not the " +
                               std::to_string(claimed) + " its header claims"};
  }
  decode_options inner = options;
  inner.shared_buffer = plain;
  decoder d(plain->data(), plain->data() + plain->size(), inner, "in compressed data: ");
  term value;
  if (!d.run(value)) return d.take_error();
  if (d.position() != claimed) {
    return decode_error{d.position(), "in compressed data: " + std::to_string(claimed - d.position()) +
                                          " bytes left after the term"};
  }
  return decoded{std::move(value), 5 + consumed};
}

}  // namespace

result<decoded> decode_body(std::span<const std::uint8_t> bytes, const decode_options& options) {
  if (!bytes.empty() && bytes[0] == tag_byte(tag::compressed)) return decode_compressed(bytes, options);
  decoder d(bytes.data(), bytes.data() + bytes.size(), options, "");
  term value;
  if (!d.run(value)) return d.take_error();
  return decoded{std::move(value), d.position()};
}

result<decoded> decode_prefix(std::span<const std::uint8_t> bytes, const decode_options& options) {
  if (bytes.empty()) return decode_error{0, "empty input"};
  if (bytes[0] != tag_byte(tag::version)) {
    return decode_error{0, "expected version byte 131, found " + std::to_string(bytes[0])};
  }
  auto r = decode_body(bytes.subspan(1), options);
  if (!r) {
    decode_error e = r.error();
    // Offsets inside compressed data refer to the uncompressed bytes; others to the input.
    if (e.message.rfind("in compressed data: ", 0) != 0) ++e.offset;
    return e;
  }
  r->consumed += 1;
  return r;
}

result<term> decode(std::span<const std::uint8_t> bytes, const decode_options& options) {
  // The common case without the intermediate results: 131 and an uncompressed term.
  if (bytes.size() >= 2 && bytes[0] == tag_byte(tag::version) && bytes[1] != tag_byte(tag::compressed)) {
    decoder d(bytes.data() + 1, bytes.data() + bytes.size(), options, "");
    term value;
    if (!d.run(value)) {
      decode_error e = d.take_error();
      ++e.offset;
      return e;
    }
    std::size_t consumed = 1 + d.position();
    if (consumed != bytes.size()) {
      return decode_error{consumed, std::to_string(bytes.size() - consumed) + " bytes left after the term"};
    }
    return value;
  }
  auto r = decode_prefix(bytes, options);
  if (!r) return r.error();
  if (r->consumed != bytes.size()) {
    return decode_error{r->consumed, std::to_string(bytes.size() - r->consumed) + " bytes left after the term"};
  }
  return std::move(r->value);
}

}  // namespace otpp::etf
