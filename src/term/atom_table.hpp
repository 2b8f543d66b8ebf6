// Internal hooks into the atom table for the codec: validation and interning without
// exceptions, and per-atom facts the encoder needs without re-scanning the name.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "otpp/term/atom.hpp"

namespace otpp::detail {

/// What the table remembers about one atom; written once before the index is published.
struct atom_entry {
  const char* data = nullptr;
  std::uint32_t size = 0;    ///< UTF-8 bytes
  std::uint16_t chars = 0;   ///< code points
  bool latin1 = true;        ///< every code point < 256 (OTP 25 writes ATOM_EXT then)
};

/// Atom-table capacity (as Erlang's default +t), in chunks that never move once published.
inline constexpr std::uint32_t max_atoms = 1u << 20;
inline constexpr std::uint32_t chunk_bits = 10;
inline constexpr std::uint32_t chunk_size = 1u << chunk_bits;
inline constexpr std::uint32_t chunk_count = max_atoms / chunk_size;
extern std::array<std::atomic<atom_entry*>, chunk_count> g_chunks;

/// The entry for an index obtained from an atom. Lock-free.
[[nodiscard]] inline const atom_entry& atom_info(atom a) noexcept {
  std::uint32_t i = a.index();
  return g_chunks[i >> chunk_bits].load(std::memory_order_acquire)[i & (chunk_size - 1)];
}

/// Number of code points in `utf8`, or -1 if it is not valid UTF-8 (strict: no overlong
/// forms, no surrogates, nothing above U+10FFFF).
[[nodiscard]] std::ptrdiff_t utf8_length(std::string_view utf8) noexcept;

/// "No atom": what the interning functions below return on failure.
inline constexpr std::uint32_t no_atom = 0xFFFFFFFFu;

/// Interns UTF-8 text and returns its index; no_atom when the text is invalid, too long or
/// the table is full. A known name costs one lock-free probe.
[[nodiscard]] std::uint32_t intern_utf8(std::string_view utf8) noexcept;

/// Interns Latin-1 text (≤ 255 bytes); no_atom when too long or the table is full.
[[nodiscard]] std::uint32_t intern_latin1(std::string_view latin1) noexcept;

}  // namespace otpp::detail
