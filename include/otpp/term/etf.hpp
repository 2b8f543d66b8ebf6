// The External Term Format codec: the same bytes as OTP 25's `term_to_binary/1` out, every
// tag an OTP 25/26 node sends in, and a decoder that is total (errors are values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otpp/term/expected.hpp"
#include "otpp/term/term.hpp"

namespace otpp::etf {

/// Tags of the external term format (erts/doc/src/erl_ext_dist.xml). The distribution
/// header tags (68, 69, 70 after 131 in a frame) belong to the dist layer and are not here.
enum class tag : std::uint8_t {
  version = 131,               ///< precedes every top-level term
  compressed = 80,             ///< uncompressed size:4, then a zlib stream
  atom_cache_ref = 82,         ///< index:1 into the distribution header's atom cache refs
  small_integer = 97,          ///< uint8
  integer = 98,                ///< int32
  small_big = 110,             ///< n:1 sign:1 little-endian digits
  large_big = 111,             ///< n:4 sign:1 little-endian digits
  new_float = 70,              ///< IEEE 754 double, big-endian
  float_old = 99,              ///< 31-byte "%.20e" text
  small_atom_utf8 = 119,       ///< len:1 UTF-8
  atom_utf8 = 118,             ///< len:2 UTF-8
  atom_latin1 = 100,           ///< ATOM_EXT: len:2 Latin-1 (OTP 25's term_to_binary/1 writes it)
  small_atom_latin1 = 115,     ///< SMALL_ATOM_EXT: len:1 Latin-1
  pid_old = 103,               ///< PID_EXT: creation:1
  new_pid = 88,                ///< node id:4 serial:4 creation:4
  port_old = 102,              ///< PORT_EXT: creation:1
  new_port = 89,               ///< node id:4 creation:4
  v4_port = 120,               ///< node id:8 creation:4
  reference_old = 101,         ///< REFERENCE_EXT: node id:4 creation:1
  new_reference = 114,         ///< len:2 node creation:1 words
  newer_reference = 90,        ///< len:2 node creation:4 words
  small_tuple = 104,           ///< arity:1
  large_tuple = 105,           ///< arity:4
  map = 116,                   ///< pairs:4
  nil = 106,                   ///< []
  string = 107,                ///< len:2 bytes: a list of small integers
  list = 108,                  ///< len:4 elements, then the tail
  binary = 109,                ///< len:4 bytes
  bit_binary = 77,             ///< len:4 bits:1 bytes
  new_fun = 112,               ///< closure
  export_fun = 113,            ///< fun M:F/A
  fun_old = 117,               ///< FUN_EXT, removed in OTP 23: rejected
  local = 121,                 ///< LOCAL_EXT (OTP 26): node-local, rejected
};

/// The tag's name as the specification spells it ("SMALL_TUPLE_EXT"), or "unknown".
[[nodiscard]] std::string_view to_string(tag t) noexcept;

// ---- encoding ---------------------------------------------------------------------------------

/// Gives a closure (NEW_FUN_EXT) another form on its way out: the term to write in its place,
/// or nullopt to write it as it is. A distribution connection uses one to give funs the
/// identity the peer's own code expects (an erl_eval closure carries the peer's erl_eval
/// fun identity). The replacement is encoded with the same rewriter, so it must answer
/// nullopt for what it produced. Called in the size pass and the bytes pass alike, so it must
/// answer the same both times; it may run on any thread that encodes.
using closure_rewriter = std::function<std::optional<term>(const fun_value&)>;

struct encode_options {
  /// Compress with zlib (tag 80) at `compression_level`, as `term_to_binary(T, [compressed])`;
  /// like OTP, the result stays uncompressed when compressing would not make it smaller.
  bool compressed = false;
  int compression_level = 6;
  /// 1: OTP 25's `term_to_binary/1` default — atoms whose characters are all Latin-1 as
  /// ATOM_EXT (100), others as SMALL_ATOM_UTF8/ATOM_UTF8.
  /// 2: UTF-8 atom tags only (OTP 26's default, and what the distribution protocol uses).
  int minor_version = 1;
  /// When set, every closure met is first offered to it (export funs are not).
  const closure_rewriter* rewrite_closure = nullptr;
};

/// Options for the distribution layer: UTF-8 atoms, no compression.
[[nodiscard]] inline encode_options dist_encoding() noexcept {
  encode_options o;
  o.minor_version = 2;
  return o;
}

/// `term_to_binary(t)`: the version byte 131 and the term (compressed if asked). Small maps
/// (up to 32 keys) come out in OTP's order; larger ones in map key order, where OTP writes its
/// internal hash order (same length, same term). Encoding recurses once per nesting level,
/// so terms nested hundreds of thousands deep need a deep stack (the decoder refuses them).
[[nodiscard]] std::vector<std::uint8_t> encode(const term& t, const encode_options& options = {});

/// Appends `encode(t, options)` to `out` in one pass, growing it as needed.
void encode_append(const term& t, std::vector<std::uint8_t>& out, const encode_options& options = {});

/// Two-pass encoding into a caller's buffer, uncompressed (`options.compressed` is ignored):
/// `encoded_size` bytes are written by `encode_into`, which returns one past the last byte.
/// With `with_version` false the leading 131 is left out (both functions agree).
[[nodiscard]] std::size_t encoded_size(const term& t, const encode_options& options = {},
                                       bool with_version = true);
std::uint8_t* encode_into(const term& t, std::uint8_t* out, const encode_options& options = {},
                          bool with_version = true);

// ---- decoding ---------------------------------------------------------------------------------

/// Why decoding failed: the byte offset (from the start of the given input; inside a
/// compressed term, from the start of its uncompressed data, as the message says) and the
/// problem in words.
struct decode_error {
  std::size_t offset = 0;
  std::string message;
  /// "offset 12: tuple arity 4294967295 exceeds the 3 bytes left"
  [[nodiscard]] std::string to_string() const;
};

/// Either a `T` or a `decode_error`.
template <class T>
using result = expected<T, decode_error>;

struct decode_options {
  /// Deepest nesting of tuples, lists, maps and fun environments accepted; none by default,
  /// as BEAM. Decoding is iterative, and so are compare, hash, encode and print on the result,
  /// so depth costs memory, not stack: each open level costs the decoder a 48-byte frame and
  /// takes at least one byte of input, so memory stays proportional to the input's size.
  std::size_t max_depth = std::numeric_limits<std::size_t>::max();
  /// Largest uncompressed size a compressed term may announce (and a compressed term must
  /// also be plausible: no more than zlib's maximum ratio of its compressed length).
  std::size_t max_uncompressed_size = std::size_t{256} << 20;
  /// When set, atoms not interned yet are interned only while this budget has room; past it
  /// decoding fails (`atom_budget::spent()` then says why). For input from peers.
  atom_budget* new_atoms = nullptr;
  /// Atoms referenced by ATOM_CACHE_REF (82) index, in the order of the distribution
  /// header that preceded the term. Empty: tag 82 is an error.
  std::span<const atom> atom_cache;
  /// When set, `bytes` lies inside this buffer and binaries of at least
  /// `share_threshold` bytes are decoded as slices of it instead of copies.
  std::shared_ptr<const std::vector<std::uint8_t>> shared_buffer;
  std::size_t share_threshold = 64;
};

/// A term and the number of input bytes it took.
struct decoded {
  term value;
  std::size_t consumed = 0;
};

/// `binary_to_term(bytes)`: the input must be 131 followed by exactly one term.
[[nodiscard]] result<term> decode(std::span<const std::uint8_t> bytes, const decode_options& options = {});

/// Decodes 131 and one term from the start of `bytes`; trailing bytes are left alone and
/// `consumed` says where they begin.
[[nodiscard]] result<decoded> decode_prefix(std::span<const std::uint8_t> bytes,
                                            const decode_options& options = {});

/// Decodes one term that starts right after a version byte (a distribution frame holds
/// `131 control 131 message`, or control and message after a distribution header, whose
/// terms carry no version byte). A compressed term (80) is accepted here too.
[[nodiscard]] result<decoded> decode_body(std::span<const std::uint8_t> bytes,
                                          const decode_options& options = {});

}  // namespace otpp::etf
