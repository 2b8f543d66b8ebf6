// Bit syntax for the evaluator: building `<<V:Size/Type-Sign-Endian-unit:U>>` segments and
// reading them back when matching a bitstring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp::code::detail {

/// A segment's type specifiers, resolved from `default` and the specifier list.
struct segment_spec {
  enum class type : std::uint8_t { integer, float_, binary, bitstring, utf8, utf16, utf32 };
  type kind = type::integer;
  bool is_signed = false;
  bool little = false;
  unsigned unit = 1;
};

/// Reads a specifier list (`default` or `[integer, {unit, 8}, little, ...]`); nullopt when
/// it holds something that is not a specifier.
[[nodiscard]] std::optional<segment_spec> parse_segment_spec(const term& specs);

/// The size a segment has when none is written (`8` for integers, `64` for floats), or
/// nullopt (the whole value: binaries, bitstrings, utf).
[[nodiscard]] std::optional<std::int64_t> default_size(const segment_spec& s);

/// Bits appended one segment at a time.
class bit_writer {
 public:
  /// Appends `value` as the segment; false when the value does not fit the type (badarg).
  /// `size`: the Size expression's value (nullopt: none written).
  [[nodiscard]] bool put(const segment_spec& s, const term& value, std::optional<term> size);
  [[nodiscard]] term finish() const;

 private:
  void put_bits(std::uint64_t v, std::size_t n);
  void put_bytes_bits(std::span<const std::uint8_t> bytes, std::size_t nbits);
  std::vector<std::uint8_t> bytes_;
  std::size_t bits_ = 0;
};

/// A cursor over a bitstring being matched.
class bit_reader {
 public:
  explicit bit_reader(const term& bits) : src_(bits), total_(bits.bit_size()) {}
  /// Reads one segment; nullopt when the rest does not hold it. `size` as bit_writer::put
  /// (none for a binary or bitstring: the rest).
  [[nodiscard]] std::optional<term> get(const segment_spec& s, std::optional<term> size);
  [[nodiscard]] bool at_end() const noexcept { return pos_ == total_; }

 private:
  [[nodiscard]] std::uint64_t bits_at(std::size_t pos, std::size_t n) const;
  [[nodiscard]] term sub(std::size_t pos, std::size_t n) const;
  term src_;
  std::size_t total_;
  std::size_t pos_ = 0;
};

}  // namespace otpp::code::detail
