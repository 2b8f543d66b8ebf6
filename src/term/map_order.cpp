// BEAM's map iteration order: erts's internal hash of a key (OTP 25) and the depth-first walk
// of the hash-array mapped trie it stores maps of more than 32 keys in.
#include "otpp/term/map_order.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace otpp {

namespace {

// The word mixer of Bob Jenkins' lookup2 hash, which erts's internal hash is built on.
void mix(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c) {
  a -= b; a -= c; a ^= (c >> 13);
  b -= c; b -= a; b ^= (a << 8);
  c -= a; c -= b; c ^= (b >> 13);
  a -= b; a -= c; a ^= (c >> 12);
  b -= c; b -= a; b ^= (a << 16);
  c -= a; c -= b; c ^= (b >> 5);
  a -= b; a -= c; a ^= (c >> 3);
  b -= c; b -= a; b ^= (a << 10);
  c -= a; c -= b; c ^= (b >> 15);
}

// The golden ratio and its multiples (mod 2^32): each kind of value mixes in its own constant.
constexpr std::uint32_t golden = 0x9e3779b9U;
constexpr std::uint32_t k_pid = 0x1715609dU;
constexpr std::uint32_t k_ref_first = 0x5384540fU;
constexpr std::uint32_t k_ref_rest = 0xf1bbcdc8U;
constexpr std::uint32_t k_tuple = 0x8ff34781U;
constexpr std::uint32_t k_negative_big = 0x2e2ac13aU;
constexpr std::uint32_t k_positive_big = 0xcc623af3U;
constexpr std::uint32_t k_float = 0x6a99b4acU;
constexpr std::uint32_t k_binary = 0x08d12e65U;
constexpr std::uint32_t k_fun = 0xa708a81eU;
constexpr std::uint32_t k_bit_tail = 0x454021d7U;
constexpr std::uint32_t k_map = 0xe3779b90U;
constexpr std::uint32_t k_cons_head = 0x81af1549U;
constexpr std::uint32_t k_cons_tail = 0x1fe68f02U;
constexpr std::uint32_t k_string_word = 0x78dde6e4U;
constexpr std::uint32_t k_string_rest = 0x98c475e6U;
// Where the internal hash starts (a prime, so that it differs from erlang:phash2/1).
constexpr std::uint32_t internal_salt = 3432918353U;

// BEAM's immediate words on a 64-bit machine: a small integer (60 bits, signed) is
// `I << 4 | 0xF`, an atom `Index << 6 | 0xB`, [] the word `0x3B`, a local pid
// `Data << 4 | 0x3`.
constexpr std::int64_t small_max = (std::int64_t{1} << 59) - 1;
constexpr std::int64_t small_min = -(std::int64_t{1} << 59);
constexpr std::uint64_t nil_word = 0x3B;

struct hasher {
  std::uint32_t h;

  void words(std::uint32_t x, std::uint32_t y, std::uint32_t k) {
    std::uint32_t a = k + x;
    std::uint32_t b = k + y;
    mix(a, b, h);
  }
  void word(std::uint32_t x, std::uint32_t k) { words(x, 0, k); }
  void immediate(std::uint64_t w) {
    words(static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(w >> 32), golden);
  }
  void constant(std::uint32_t k) {
    h ^= k;
    h = std::rotl(h, 17);
  }
  // lookup2 over a block of bytes, 12 at a time, starting from `h`.
  void block(const std::uint8_t* p, std::size_t n) {
    std::uint32_t a = golden, b = golden, c = h;
    auto le = [](const std::uint8_t* q) {
      return std::uint32_t{q[0]} | std::uint32_t{q[1]} << 8 | std::uint32_t{q[2]} << 16 | std::uint32_t{q[3]} << 24;
    };
    std::size_t left = n;
    for (; left >= 12; left -= 12, p += 12) {
      a += le(p);
      b += le(p + 4);
      c += le(p + 8);
      mix(a, b, c);
    }
    c += static_cast<std::uint32_t>(n);
    // The last bytes fill a, b and c's upper three bytes (c's lowest byte holds the length).
    for (std::size_t i = 0; i < left; ++i) {
      std::uint32_t byte = p[i];
      if (i < 4) {
        a += byte << (8 * i);
      } else if (i < 8) {
        b += byte << (8 * (i - 4));
      } else {
        c += byte << (8 * (i - 7));
      }
    }
    mix(a, b, c);
    h = c;
  }
  void integer(const term& t) {
    if (auto v = t.to_int64(); v && *v >= small_min && *v <= small_max) {
      immediate((static_cast<std::uint64_t>(*v) << 4) | 0xF);
      return;
    }
    // A bignum: its magnitude's 64-bit digits, lowest first, each as two 32-bit halves.
    const std::uint32_t k = t.integer_is_negative() ? k_negative_big : k_positive_big;
    auto mag = t.integer_magnitude();
    mag.resize((mag.size() + 7) / 8 * 8, 0);
    for (std::size_t i = 0; i < mag.size(); i += 8) {
      std::uint64_t d = 0;
      for (int j = 7; j >= 0; --j) d = (d << 8) | mag[i + static_cast<std::size_t>(j)];
      words(static_cast<std::uint32_t>(d), static_cast<std::uint32_t>(d >> 32), k);
    }
  }
  void float_(double d) {
    if (d == 0.0) d = 0.0;  // -0.0 hashes as 0.0
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    words(static_cast<std::uint32_t>(bits), static_cast<std::uint32_t>(bits >> 32), k_float);
  }
  void bitstring(const term& t) {
    std::uint32_t start = k_binary + h;
    auto bytes = t.bytes();
    const unsigned last_bits = t.bits_in_last_byte();
    const std::size_t whole = last_bits == 8 ? bytes.size() : bytes.size() - 1;
    if (bytes.empty()) {
      h = start;
      return;
    }
    h = start;
    block(bytes.data(), whole);
    if (last_bits != 8) words(last_bits, static_cast<std::uint32_t>(bytes[whole] >> (8 - last_bits)), k_bit_tail);
  }
};

// Work left on the explicit stack: a term to hash (a list from its element `list_at` on), or
// the mark that a list's last tail follows.
struct work {
  term value;
  std::size_t list_at = 0;
  bool tail_mark = false;
};

std::uint32_t internal_hash(const term& root, std::uint32_t salt) {
  hasher st{salt ^ internal_salt};
  std::vector<work> stack;
  stack.push_back({root});
  while (!stack.empty()) {
    work w = std::move(stack.back());
    stack.pop_back();
    if (w.tail_mark) {
      st.constant(k_cons_tail);
      continue;
    }
    const std::size_t from = w.list_at;
    const term t = std::move(w.value);
    switch (t.type()) {
      case term::kind::integer:
        st.integer(t);
        break;
      case term::kind::float_:
        st.float_(t.float_value());
        break;
      case term::kind::atom:
        st.immediate((std::uint64_t{t.atom_value().index()} << 6) | 0x0B);
        break;
      case term::kind::nil:
        st.immediate(nil_word);
        break;
      case term::kind::bitstring:
        st.bitstring(t);
        break;
      case term::kind::tuple: {
        auto e = t.elements();
        st.word(static_cast<std::uint32_t>(e.size()), k_tuple);
        for (std::size_t i = e.size(); i-- > 0;) stack.push_back({e[i]});
        break;
      }
      case term::kind::list: {
        // A run of bytes (0..255) is hashed four to a word; the first other element is
        // hashed as a cons cell's head, and what follows it later, as its tail.
        auto e = t.list_elements();
        std::size_t i = from;
        std::uint32_t packed = 0;
        std::uint32_t count = 0;
        for (; i < e.size(); ++i) {
          auto v = e[i].to_int64();
          if (!e[i].is_small_integer() || !v || *v < 0 || *v > 255) break;
          packed = (packed << 8) + static_cast<std::uint32_t>(*v);
          if (count == 3) {
            st.word(packed, k_string_word);
            packed = count = 0;
          } else {
            ++count;
          }
        }
        if (count > 0) st.words(packed, count, k_string_rest);
        if (i == e.size()) {
          stack.push_back({t.list_tail()});
          break;
        }
        // The element's tail comes after it; a tail that is not a cons cell ([] included)
        // is marked as the list's last.
        st.constant(k_cons_head);
        if (i + 1 < e.size()) {
          stack.push_back({t, i + 1});
        } else {
          stack.push_back({t.list_tail()});
          stack.push_back({term(), 0, true});
        }
        stack.push_back({e[i]});
        break;
      }
      case term::kind::map: {
        st.word(static_cast<std::uint32_t>(t.map_entries().size()), k_map);
        // Each key before its value; a trie's entries are pushed in its walk's order, so they
        // are hashed from the last.
        auto order = map_fold_order(t);
        if (t.map_entries().size() <= beam_flatmap_limit) std::reverse(order.begin(), order.end());
        for (const auto* kv : order) {
          stack.push_back({kv->second});
          stack.push_back({kv->first});
        }
        break;
      }
      case term::kind::pid: {
        const auto& p = t.pid_value();
        std::uint64_t data = (std::uint64_t{p.serial} << 28) | p.id;
        st.immediate((data << 4) | 0x3);
        if (p.node != atoms::nonode_nohost) st.words(p.node.index(), p.creation, k_pid);
        break;
      }
      case term::kind::reference: {
        const auto& r = t.reference_value();
        st.word(r.words[0], k_ref_first);
        st.words(r.words[1], r.words[2], k_ref_rest);
        break;
      }
      case term::kind::port:
      case term::kind::fun:
        st.words(static_cast<std::uint32_t>(t.hash()), static_cast<std::uint32_t>(t.hash() >> 32), k_fun);
        break;
    }
  }
  return st.h;
}

// A key's path down the trie, most significant first: the nibbles of its hash, lowest first,
// then (for keys whose 32 bits collide) those of the hash salted with the next level group.
std::uint32_t path_word(const term& key, std::uint32_t salt) {
  std::uint32_t h = internal_hash(key, salt);
  std::uint32_t path = 0;
  for (int i = 0; i < 8; ++i, h >>= 4) path = (path << 4) | (h & 0xF);
  return path;
}

}  // namespace

std::uint32_t beam_map_key_hash(const term& key, std::uint32_t salt) { return internal_hash(key, salt); }

std::vector<const std::pair<term, term>*> map_fold_order(const term& map) {
  auto entries = map.map_entries();
  std::vector<const std::pair<term, term>*> out;
  out.reserve(entries.size());
  for (const auto& kv : entries) out.push_back(&kv);
  if (entries.size() <= beam_flatmap_limit) return out;
  std::vector<std::pair<std::uint32_t, const std::pair<term, term>*>> keyed;
  keyed.reserve(entries.size());
  for (const auto& kv : entries) keyed.emplace_back(path_word(kv.first, 0), &kv);
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first < y.first;
    // All 32 bits alike: the trie goes on with the hashes salted 1, 2, ...
    for (std::uint32_t salt = 1; salt < 4; ++salt) {
      std::uint32_t a = path_word(x.second->first, salt);
      std::uint32_t b = path_word(y.second->first, salt);
      if (a != b) return a < b;
    }
    return false;
  });
  for (std::size_t i = 0; i < keyed.size(); ++i) out[i] = keyed[i].second;
  return out;
}

std::vector<const std::pair<term, term>*> map_to_list_order(const term& map) {
  auto out = map_fold_order(map);
  if (out.size() > beam_flatmap_limit) std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace otpp
