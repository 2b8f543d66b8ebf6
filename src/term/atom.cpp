// The process-wide atom table: entries in fixed chunks readable without locks, a lock-free
// hash index for lookups by name, and a mutex only for adding a new name.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>

#include "otpp/term/atom.hpp"
#include "otpp/term/unicode.hpp"
#include "term/atom_table.hpp"

namespace otpp {

namespace detail {
namespace {
constexpr std::uint32_t constexpr_strlen(const char* s) {
  std::uint32_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

// The predefined atoms live in the first chunk from constant initialisation on, so
// `atoms::ok.name()` works even during other translation units' static initialisation.
constexpr std::array<atom_entry, chunk_size> make_first_chunk() {
  std::array<atom_entry, chunk_size> chunk{};
  std::uint32_t i = 0;
#define OTPP_ENTRY(id, text)                                                         \
  chunk[i].data = text;                                                              \
  chunk[i].size = constexpr_strlen(text);                                            \
  chunk[i].chars = static_cast<std::uint16_t>(constexpr_strlen(text));               \
  chunk[i].latin1 = true;                                                            \
  ++i;
  OTPP_PREDEFINED_ATOMS(OTPP_ENTRY)
#undef OTPP_ENTRY
  return chunk;
}
constinit std::array<atom_entry, chunk_size> g_first_chunk = make_first_chunk();
}  // namespace

constinit std::array<std::atomic<atom_entry*>, chunk_count> g_chunks{&g_first_chunk[0]};
}  // namespace detail

namespace {

using detail::atom_entry;
using detail::max_atoms;

using detail::chunk_bits;
using detail::chunk_size;
using detail::chunk_count;

constinit std::atomic<std::uint32_t> g_count{atoms::predefined_count};
constinit std::atomic<std::size_t> g_name_bytes{0};  ///< names of the atoms added at run time
constinit std::mutex g_mutex;

// Open addressing; a slot holds index + 1 (0 = empty). A full table is replaced by a bigger
// one and the old one is leaked on purpose: a reader may still be probing it.
struct hash_index {
  std::uint32_t mask;
  std::uint32_t used;
  hash_index* retired;  ///< the table this one replaced, kept reachable (and alive) on purpose
  std::atomic<std::uint32_t> slots[1];
};
constinit std::atomic<hash_index*> g_index{nullptr};

inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t load32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline std::uint64_t mix64(std::uint64_t a, std::uint64_t b) noexcept {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

// Word-at-a-time hash (in the manner of wyhash): decoding looks atoms up by name all the time.
std::uint64_t hash_name(std::string_view s) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t seed = 0x9E3779B97F4A7C15ull ^ n;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n <= 16) {
    if (n >= 8) {
      a = load64(p);
      b = load64(p + n - 8);
    } else if (n >= 4) {
      a = load32(p);
      b = load32(p + n - 4);
    } else if (n > 0) {
      a = (std::uint64_t{static_cast<unsigned char>(p[0])} << 16) |
          (std::uint64_t{static_cast<unsigned char>(p[n >> 1])} << 8) | static_cast<unsigned char>(p[n - 1]);
    }
  } else {
    const char* end = p + n;
    while (end - p > 16) {
      seed = mix64(load64(p) ^ 0xA0761D6478BD642Full, load64(p + 8) ^ seed);
      p += 16;
    }
    a = load64(end - 16);
    b = load64(end - 8);
  }
  return mix64(a ^ 0xE7037ED1A0B428DBull, b ^ seed);
}

bool entry_is(const atom_entry& e, std::string_view s) noexcept {
  std::size_t n = s.size();
  if (e.size != n) return false;
  const char* x = e.data;
  const char* y = s.data();
  if (n > 16) return std::memcmp(x, y, n) == 0;
  if (n >= 8) return load64(x) == load64(y) && load64(x + n - 8) == load64(y + n - 8);
  if (n >= 4) return load32(x) == load32(y) && load32(x + n - 4) == load32(y + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

using detail::g_chunks;

const atom_entry& entry_at(std::uint32_t index) noexcept { return detail::atom_info(atom::from_index(index)); }


// Lock-free probe; nullopt when absent from this (possibly stale) table.
// Indices, not std::optional<atom>, cross these internal calls: GCC returns a small optional
// through memory with partial stores, a store-forwarding stall on every decoded atom.
using detail::no_atom;

std::uint32_t probe(const hash_index* idx, std::string_view s, std::uint64_t h) noexcept {
  if (idx == nullptr) return no_atom;
  for (std::uint32_t pos = static_cast<std::uint32_t>(h) & idx->mask;; pos = (pos + 1) & idx->mask) {
    std::uint32_t v = idx->slots[pos].load(std::memory_order_acquire);
    if (v == 0) return no_atom;
    if (entry_is(entry_at(v - 1), s)) return v - 1;
  }
}

hash_index* new_index(std::uint32_t capacity) {
  std::size_t bytes = sizeof(hash_index) + (capacity - 1) * sizeof(std::atomic<std::uint32_t>);
  void* mem = ::operator new(bytes);
  auto* idx = static_cast<hash_index*>(mem);
  idx->mask = capacity - 1;
  idx->used = 0;
  idx->retired = nullptr;
  for (std::uint32_t i = 0; i < capacity; ++i) new (&idx->slots[i]) std::atomic<std::uint32_t>(0);
  return idx;
}

void insert_into(hash_index* idx, std::uint32_t index) noexcept {
  const atom_entry& e = entry_at(index);
  std::uint64_t h = hash_name({e.data, e.size});
  std::uint32_t pos = static_cast<std::uint32_t>(h) & idx->mask;
  while (idx->slots[pos].load(std::memory_order_relaxed) != 0) pos = (pos + 1) & idx->mask;
  idx->slots[pos].store(index + 1, std::memory_order_release);
  ++idx->used;
}

// Caller holds g_mutex.
hash_index* index_locked() {
  hash_index* idx = g_index.load(std::memory_order_relaxed);
  if (idx != nullptr) return idx;
  idx = new_index(1024);
  std::uint32_t n = g_count.load(std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < n; ++i) insert_into(idx, i);
  g_index.store(idx, std::memory_order_release);
  return idx;
}

// Name bytes are never freed: an atom's name outlives every atom. Each block starts with a
// pointer to the previous one, so all stay reachable (leak checkers see no leak).
const char* store_name(std::string_view s) {
  static void* last_block = nullptr;
  static char* block = nullptr;
  static std::size_t left = 0;
  if (s.empty()) return "";
  if (s.size() > left) {
    std::size_t size = std::max<std::size_t>(64 * 1024, s.size()) + sizeof(void*);
    void* mem = ::operator new(size);
    std::memcpy(mem, &last_block, sizeof(void*));
    last_block = mem;
    block = static_cast<char*>(mem) + sizeof(void*);
    left = size - sizeof(void*);
  }
  char* out = block;
  std::memcpy(out, s.data(), s.size());
  block += s.size();
  left -= s.size();
  return out;
}

// Adds a validated name. Caller holds g_mutex and has checked the name is absent.
std::uint32_t add_locked(hash_index* idx, std::string_view s, std::uint16_t chars, bool latin1) {
  std::uint32_t index = g_count.load(std::memory_order_relaxed);
  if (index >= max_atoms) return no_atom;
  std::uint32_t chunk = index >> chunk_bits;
  atom_entry* entries = g_chunks[chunk].load(std::memory_order_relaxed);
  if (entries == nullptr) {
    entries = new atom_entry[chunk_size]{};
    g_chunks[chunk].store(entries, std::memory_order_release);
  }
  atom_entry& e = entries[index & (chunk_size - 1)];
  e.data = store_name(s);
  e.size = static_cast<std::uint32_t>(s.size());
  g_name_bytes.fetch_add(s.size(), std::memory_order_relaxed);
  e.chars = chars;
  e.latin1 = latin1;
  if ((idx->used + 1) * 2 > idx->mask + 1) {
    hash_index* bigger = new_index((idx->mask + 1) * 2);
    bigger->retired = idx;
    for (std::uint32_t i = 0; i < index; ++i) insert_into(bigger, i);
    g_index.store(bigger, std::memory_order_release);
    idx = bigger;  // the old table stays allocated for readers still probing it
  }
  insert_into(idx, index);
  g_count.store(index + 1, std::memory_order_release);
  return index;
}

bool utf8_is_latin1(std::string_view s) noexcept {
  for (unsigned char c : s) {
    if (c >= 0xC4) return false;  // lead bytes of U+0100 and above
  }
  return true;
}

std::uint32_t intern(std::string_view s, std::uint16_t chars, bool latin1) noexcept {
  std::uint64_t h = hash_name(s);
  if (std::uint32_t a = probe(g_index.load(std::memory_order_acquire), s, h); a != no_atom) return a;
  try {
    std::lock_guard lock(g_mutex);
    hash_index* idx = index_locked();
    if (std::uint32_t a = probe(idx, s, h); a != no_atom) return a;
    return add_locked(idx, s, chars, latin1);
  } catch (const std::bad_alloc&) {
    return no_atom;
  }
}

std::optional<atom> as_optional(std::uint32_t index) noexcept {
  if (index == no_atom) return std::nullopt;
  return atom::from_index(index);
}

}  // namespace

namespace detail {

std::ptrdiff_t utf8_length(std::string_view s) noexcept {
  std::ptrdiff_t n = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
    } else if (c < 0xC2) {
      return -1;  // continuation byte or overlong two-byte lead
    } else if (c < 0xE0) {
      if (end - p < 2 || (p[1] & 0xC0) != 0x80) return -1;
      p += 2;
    } else if (c < 0xF0) {
      if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return -1;
      if (c == 0xE0 && p[1] < 0xA0) return -1;   // overlong
      if (c == 0xED && p[1] >= 0xA0) return -1;  // surrogates
      p += 3;
    } else if (c < 0xF5) {
      if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
        return -1;
      if (c == 0xF0 && p[1] < 0x90) return -1;   // overlong
      if (c == 0xF4 && p[1] >= 0x90) return -1;  // above U+10FFFF
      p += 4;
    } else {
      return -1;
    }
    ++n;
  }
  return n;
}

std::uint32_t intern_utf8(std::string_view utf8) noexcept {
  // Known names need no validation: only valid names ever enter the table.
  if (std::uint32_t a = probe(g_index.load(std::memory_order_acquire), utf8, hash_name(utf8)); a != no_atom) return a;
  std::ptrdiff_t chars = utf8_length(utf8);
  if (chars < 0 || chars > 255) return no_atom;
  return intern(utf8, static_cast<std::uint16_t>(chars), utf8_is_latin1(utf8));
}

std::uint32_t intern_latin1(std::string_view latin1) noexcept {
  if (latin1.size() > 255) return no_atom;
  bool ascii = std::all_of(latin1.begin(), latin1.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return intern(latin1, static_cast<std::uint16_t>(latin1.size()), true);
  char buf[510];
  std::size_t n = 0;
  for (char ch : latin1) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      buf[n++] = static_cast<char>(c);
    } else {
      buf[n++] = static_cast<char>(0xC0 | (c >> 6));
      buf[n++] = static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return intern({buf, n}, static_cast<std::uint16_t>(latin1.size()), true);
}

}  // namespace detail

atom::atom(std::string_view utf8) {
  std::ptrdiff_t chars = detail::utf8_length(utf8);
  if (chars < 0) throw std::invalid_argument("atom text is not valid UTF-8");
  if (chars > 255) throw std::invalid_argument("atom text is longer than 255 characters");
  std::uint32_t a = intern(utf8, static_cast<std::uint16_t>(chars), utf8_is_latin1(utf8));
  if (a == no_atom) throw std::length_error("atom table is full");
  index_ = a;
}

std::optional<atom> atom::try_make(std::string_view utf8) { return as_optional(detail::intern_utf8(utf8)); }

std::optional<atom> atom::existing(std::string_view utf8) {
  std::uint64_t h = hash_name(utf8);
  if (std::uint32_t a = probe(g_index.load(std::memory_order_acquire), utf8, h); a != no_atom) return atom::from_index(a);
  std::lock_guard lock(g_mutex);
  return as_optional(probe(index_locked(), utf8, h));
}

bool atom::is_valid_text(std::string_view utf8) noexcept {
  const std::ptrdiff_t chars = detail::utf8_length(utf8);
  return chars >= 0 && chars <= 255;
}

atom atom::from_latin1(std::string_view latin1) {
  if (latin1.size() > 255) throw std::invalid_argument("atom text is longer than 255 characters");
  std::uint32_t a = detail::intern_latin1(latin1);
  if (a == no_atom) throw std::length_error("atom table is full");
  return atom::from_index(a);
}

std::string_view atom::name() const noexcept {
  const atom_entry& e = entry_at(index_);
  return {e.data, e.size};
}

std::size_t atom::length() const noexcept { return entry_at(index_).chars; }

int compare(atom a, atom b) noexcept {
  if (a.index_ == b.index_) return 0;
  // UTF-8 byte order is code point order, which is Erlang's atom order.
  const atom_entry& x = entry_at(a.index_);
  const atom_entry& y = entry_at(b.index_);
  std::size_t n = std::min(x.size, y.size);
  int c = n == 0 ? 0 : std::memcmp(x.data, y.data, n);
  if (c != 0) return c < 0 ? -1 : 1;
  return x.size < y.size ? -1 : (x.size > y.size ? 1 : 0);
}

std::size_t atom::table_size() noexcept { return g_count.load(std::memory_order_acquire); }

std::size_t atom::table_bytes() noexcept {
  std::size_t count = g_count.load(std::memory_order_acquire);
  std::size_t chunks = (count + chunk_size - 1) / chunk_size;
  std::size_t bytes =
      chunks * chunk_size * sizeof(atom_entry) + g_name_bytes.load(std::memory_order_relaxed);
  if (const hash_index* idx = g_index.load(std::memory_order_acquire))
    bytes += sizeof(hash_index) + std::size_t{idx->mask} * sizeof(std::atomic<std::uint32_t>);
  return bytes;
}

// ---- budgets for atoms from untrusted sources -------------------------------------------------

bool atom_budget::take_own() noexcept {
  std::size_t n = used_.load(std::memory_order_relaxed);
  do {
    if (n >= limit_) {
      spent_.store(true, std::memory_order_relaxed);
      return false;
    }
  } while (!used_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

bool atom_budget::take() noexcept {
  if (!take_own()) return false;
  if (ceiling_ == nullptr || ceiling_->take()) return true;
  // The ceiling refused: this budget gives its unit back, so used() counts interned atoms.
  used_.fetch_sub(1, std::memory_order_relaxed);
  ceiling_spent_.store(true, std::memory_order_relaxed);
  spent_.store(true, std::memory_order_relaxed);
  return false;
}

std::optional<atom> atom_budget::intern(std::string_view utf8) noexcept {
  try {
    if (auto a = atom::existing(utf8)) return a;
  } catch (...) {  // a lock that cannot be taken: treat as new
  }
  const std::ptrdiff_t chars = detail::utf8_length(utf8);
  if (chars < 0 || chars > 255) return std::nullopt;
  if (!take()) return std::nullopt;
  return as_optional(detail::intern_utf8(utf8));
}

std::optional<atom> atom_budget::intern_latin1(std::string_view latin1) noexcept {
  if (latin1.size() > 255) return std::nullopt;
  std::string utf8;
  try {
    for (char c : latin1) unicode::append_utf8(utf8, static_cast<unsigned char>(c));
    if (auto a = atom::existing(utf8)) return a;
  } catch (...) {
    return std::nullopt;
  }
  if (!take()) return std::nullopt;
  return as_optional(detail::intern_latin1(latin1));
}

}  // namespace otpp
