// Bit syntax segments: building and reading integers, floats, binaries, bitstrings and UTF
// code points at any bit offset, with Erlang's defaults for size, unit, sign and endianness.
#include "code/bit_syntax.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace otpp::code::detail {

namespace {

const atom a_integer("integer"), a_float("float"), a_binary("binary"), a_bytes("bytes"),
    a_bitstring("bitstring"), a_bits("bits"), a_utf8("utf8"), a_utf16("utf16"), a_utf32("utf32"),
    a_signed("signed"), a_unsigned("unsigned"), a_big("big"), a_little("little"), a_native("native"),
    a_unit("unit"), a_default("default");

// Two's complement of an integer over `nbits`, little-endian bytes.
std::vector<std::uint8_t> twos_complement(const term& v, std::size_t nbits) {
  std::size_t len = (nbits + 7) / 8;
  std::vector<std::uint8_t> out(len, 0);
  std::vector<std::uint8_t> mag = v.integer_magnitude();
  for (std::size_t i = 0; i < len && i < mag.size(); ++i) out[i] = mag[i];
  if (v.integer_is_negative()) {
    unsigned carry = 1;
    for (auto& b : out) {
      unsigned x = static_cast<std::uint8_t>(~b) + carry;
      b = static_cast<std::uint8_t>(x);
      carry = x >> 8;
    }
  }
  return out;
}

bool valid_code_point(std::int64_t c) { return c >= 0 && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF); }

}  // namespace

std::optional<segment_spec> parse_segment_spec(const term& specs) {
  segment_spec s;
  bool unit_given = false;
  if (specs.is_atom(a_default)) {
    return s;
  }
  if (!specs.is_proper_list()) return std::nullopt;
  for (const term& x : specs.list_elements()) {
    if (x.is_atom()) {
      atom a = x.atom_value();
      if (a == a_integer) s.kind = segment_spec::type::integer;
      else if (a == a_float) s.kind = segment_spec::type::float_;
      else if (a == a_binary || a == a_bytes) s.kind = segment_spec::type::binary;
      else if (a == a_bitstring || a == a_bits) s.kind = segment_spec::type::bitstring;
      else if (a == a_utf8) s.kind = segment_spec::type::utf8;
      else if (a == a_utf16) s.kind = segment_spec::type::utf16;
      else if (a == a_utf32) s.kind = segment_spec::type::utf32;
      else if (a == a_signed) s.is_signed = true;
      else if (a == a_unsigned) s.is_signed = false;
      else if (a == a_big) s.little = false;
      else if (a == a_little) s.little = true;
      else if (a == a_native) s.little = std::endian::native == std::endian::little;
      else return std::nullopt;
    } else if (x.is_tuple() && x.tuple_size() == 2 && x[0].is_atom(a_unit) && x[1].is_small_integer() &&
               x[1].small_integer() >= 1 && x[1].small_integer() <= 256) {
      s.unit = static_cast<unsigned>(x[1].small_integer());
      unit_given = true;
    } else {
      return std::nullopt;
    }
  }
  if (!unit_given) {
    s.unit = s.kind == segment_spec::type::binary ? 8 : 1;
  }
  return s;
}

std::optional<std::int64_t> default_size(const segment_spec& s) {
  switch (s.kind) {
    case segment_spec::type::integer: return 8;
    case segment_spec::type::float_: return 64;
    default: return std::nullopt;
  }
}

void bit_writer::put_bits(std::uint64_t v, std::size_t n) {
  if (bits_ % 8 == 0 && n % 8 == 0) {
    for (std::size_t i = n; i > 0; i -= 8) bytes_.push_back(static_cast<std::uint8_t>(v >> (i - 8)));
    bits_ += n;
    return;
  }
  for (std::size_t i = n; i-- > 0;) {
    if (bits_ % 8 == 0) bytes_.push_back(0);
    if ((v >> i) & 1u) bytes_.back() |= static_cast<std::uint8_t>(0x80u >> (bits_ % 8));
    ++bits_;
  }
}

void bit_writer::put_bytes_bits(std::span<const std::uint8_t> bytes, std::size_t nbits) {
  if (bits_ % 8 == 0) {
    std::size_t whole = nbits / 8;
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(whole));
    bits_ += whole * 8;
    if (nbits % 8) put_bits(bytes[whole] >> (8 - nbits % 8), nbits % 8);
    return;
  }
  for (std::size_t i = 0; i < nbits / 8; ++i) put_bits(bytes[i], 8);
  if (nbits % 8) put_bits(bytes[nbits / 8] >> (8 - nbits % 8), nbits % 8);
}

bool bit_writer::put(const segment_spec& s, const term& value, std::optional<term> size_term) {
  std::optional<std::int64_t> size;
  if (size_term) {
    if (size_term->is_atom(atom("all"))) {
      size.reset();
    } else if (!size_term->is_small_integer() || size_term->small_integer() < 0) {
      return false;
    } else {
      size = size_term->small_integer();
    }
  } else {
    size = default_size(s);
  }
  using T = segment_spec::type;
  switch (s.kind) {
    case T::integer: {
      if (!value.is_integer() || !size) return false;
      std::size_t n = static_cast<std::size_t>(*size) * s.unit;
      if (n == 0) return true;
      if (n <= 64 && value.is_small_integer() && !s.little) {
        put_bits(static_cast<std::uint64_t>(value.small_integer()) & (n == 64 ? ~0ull : ((1ull << n) - 1)), n);
        return true;
      }
      if (n > (1u << 24)) return false;
      std::vector<std::uint8_t> le = twos_complement(value, n);
      if (s.little && n % 8 == 0) {
        for (auto b : le) put_bits(b, 8);
      } else {
        for (std::size_t i = n; i-- > 0;) put_bits((le[i / 8] >> (i % 8)) & 1u, 1);
      }
      return true;
    }
    case T::float_: {
      if (!value.is_number() || !size) return false;
      std::size_t n = static_cast<std::size_t>(*size) * s.unit;
      double d = value.is_float() ? value.float_value() : static_cast<double>(value.to_int64().value_or(0));
      if (value.is_integer() && !value.is_small_integer()) return false;
      std::uint64_t bits;
      if (n == 64) {
        bits = std::bit_cast<std::uint64_t>(d);
      } else if (n == 32) {
        bits = std::bit_cast<std::uint32_t>(static_cast<float>(d));
      } else {
        return false;
      }
      if (s.little) {
        for (std::size_t i = 0; i < n / 8; ++i) put_bits((bits >> (8 * i)) & 0xFF, 8);
      } else {
        put_bits(bits, n);
      }
      return true;
    }
    case T::binary:
    case T::bitstring: {
      if (!value.is_bitstring()) return false;
      std::size_t have = value.bit_size();
      std::size_t n = have;
      if (size) {
        n = static_cast<std::size_t>(*size) * s.unit;
        if (n > have) return false;
      } else if (s.kind == T::binary && have % 8 != 0) {
        return false;
      }
      put_bytes_bits(value.bytes(), n);
      return true;
    }
    case T::utf8: {
      if (!value.is_small_integer() || !valid_code_point(value.small_integer())) return false;
      auto c = static_cast<std::uint32_t>(value.small_integer());
      if (c < 0x80) {
        put_bits(c, 8);
      } else if (c < 0x800) {
        put_bits(0xC0 | (c >> 6), 8);
        put_bits(0x80 | (c & 0x3F), 8);
      } else if (c < 0x10000) {
        put_bits(0xE0 | (c >> 12), 8);
        put_bits(0x80 | ((c >> 6) & 0x3F), 8);
        put_bits(0x80 | (c & 0x3F), 8);
      } else {
        put_bits(0xF0 | (c >> 18), 8);
        put_bits(0x80 | ((c >> 12) & 0x3F), 8);
        put_bits(0x80 | ((c >> 6) & 0x3F), 8);
        put_bits(0x80 | (c & 0x3F), 8);
      }
      return true;
    }
    case T::utf16: {
      if (!value.is_small_integer() || !valid_code_point(value.small_integer())) return false;
      auto c = static_cast<std::uint32_t>(value.small_integer());
      auto unit16 = [&](std::uint32_t u) {
        if (s.little) {
          put_bits(u & 0xFF, 8);
          put_bits(u >> 8, 8);
        } else {
          put_bits(u, 16);
        }
      };
      if (c < 0x10000) {
        unit16(c);
      } else {
        c -= 0x10000;
        unit16(0xD800 | (c >> 10));
        unit16(0xDC00 | (c & 0x3FF));
      }
      return true;
    }
    case T::utf32: {
      if (!value.is_small_integer() || !valid_code_point(value.small_integer())) return false;
      auto c = static_cast<std::uint32_t>(value.small_integer());
      if (s.little) {
        for (int i = 0; i < 4; ++i) put_bits((c >> (8 * i)) & 0xFF, 8);
      } else {
        put_bits(c, 32);
      }
      return true;
    }
  }
  return false;
}

term bit_writer::finish() const {
  if (bits_ % 8 == 0) return term::binary(bytes_);
  return term::bitstring(bytes_, static_cast<unsigned>(bits_ % 8));
}

std::uint64_t bit_reader::bits_at(std::size_t pos, std::size_t n) const {
  auto bytes = src_.bytes();
  std::uint64_t v = 0;
  if (pos % 8 == 0 && n % 8 == 0) {
    for (std::size_t i = 0; i < n / 8; ++i) v = (v << 8) | bytes[pos / 8 + i];
    return v;
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t p = pos + i;
    v = (v << 1) | ((bytes[p / 8] >> (7 - p % 8)) & 1u);
  }
  return v;
}

term bit_reader::sub(std::size_t pos, std::size_t n) const {
  if (pos % 8 == 0 && n % 8 == 0) return src_.binary_slice(pos / 8, n / 8);
  bit_writer w;
  std::vector<std::uint8_t> tmp;
  for (std::size_t i = 0; i < n; i += 8) {
    std::size_t k = std::min<std::size_t>(8, n - i);
    tmp.push_back(static_cast<std::uint8_t>(bits_at(pos + i, k) << (8 - k)));
  }
  if (n % 8 == 0) return term::binary(tmp);
  return term::bitstring(tmp, static_cast<unsigned>(n % 8));
}

std::optional<term> bit_reader::get(const segment_spec& s, std::optional<term> size_term) {
  std::optional<std::int64_t> size;
  if (size_term) {
    if (!size_term->is_small_integer() || size_term->small_integer() < 0) return std::nullopt;
    size = size_term->small_integer();
  } else {
    size = default_size(s);
  }
  std::size_t left = total_ - pos_;
  using T = segment_spec::type;
  switch (s.kind) {
    case T::integer: {
      if (!size) return std::nullopt;
      std::size_t n = static_cast<std::size_t>(*size) * s.unit;
      if (n > left) return std::nullopt;
      if (n == 0) return term(0);
      if (n <= 63 && !s.little) {
        std::uint64_t v = bits_at(pos_, n);
        pos_ += n;
        if (s.is_signed && ((v >> (n - 1)) & 1u)) return term(static_cast<long long>(v) - (1ll << n));
        return term(static_cast<long long>(v));
      }
      // Any size: collect a big-endian bit string into little-endian bytes.
      std::size_t len = (n + 7) / 8;
      std::vector<std::uint8_t> le(len, 0);
      if (s.little && n % 8 == 0) {
        for (std::size_t i = 0; i < len; ++i) le[i] = static_cast<std::uint8_t>(bits_at(pos_ + 8 * i, 8));
      } else {
        for (std::size_t i = 0; i < n; ++i) {
          if (bits_at(pos_ + i, 1)) {
            std::size_t bit = n - 1 - i;
            le[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
          }
        }
      }
      pos_ += n;
      bool negative = s.is_signed && ((le[(n - 1) / 8] >> ((n - 1) % 8)) & 1u);
      if (negative) {
        // Magnitude of a negative two's complement value: invert, add one, within n bits.
        if (n % 8) le[len - 1] |= static_cast<std::uint8_t>(0xFF << (n % 8));
        unsigned carry = 1;
        for (auto& b : le) {
          unsigned x = static_cast<std::uint8_t>(~b) + carry;
          b = static_cast<std::uint8_t>(x);
          carry = x >> 8;
        }
      }
      return term::integer_from_magnitude(negative, le);
    }
    case T::float_: {
      if (!size) return std::nullopt;
      std::size_t n = static_cast<std::size_t>(*size) * s.unit;
      if (n > left || (n != 32 && n != 64)) return std::nullopt;
      std::uint64_t bits = 0;
      if (s.little) {
        for (std::size_t i = 0; i < n / 8; ++i) bits |= bits_at(pos_ + 8 * i, 8) << (8 * i);
      } else {
        bits = bits_at(pos_, n);
      }
      double d = n == 64 ? std::bit_cast<double>(bits) : static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
      if (!std::isfinite(d)) return std::nullopt;
      pos_ += n;
      return term(d);
    }
    case T::binary:
    case T::bitstring: {
      std::size_t n = left;
      if (size) {
        n = static_cast<std::size_t>(*size) * s.unit;
        if (n > left) return std::nullopt;
      } else if (left % s.unit != 0) {
        return std::nullopt;
      }
      term out = sub(pos_, n);
      pos_ += n;
      return out;
    }
    case T::utf8: {
      if (left < 8) return std::nullopt;
      auto b0 = static_cast<std::uint32_t>(bits_at(pos_, 8));
      std::size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
      if (len == 0 || left < 8 * len) return std::nullopt;
      std::uint32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
      for (std::size_t i = 1; i < len; ++i) {
        auto b = static_cast<std::uint32_t>(bits_at(pos_ + 8 * i, 8));
        if ((b >> 6) != 2) return std::nullopt;
        c = (c << 6) | (b & 0x3F);
      }
      static constexpr std::uint32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
      if (c < min_of[len] || !valid_code_point(c)) return std::nullopt;
      pos_ += 8 * len;
      return term(static_cast<long long>(c));
    }
    case T::utf16: {
      auto unit16 = [&](std::size_t at) {
        auto v = static_cast<std::uint32_t>(bits_at(at, 16));
        return s.little ? ((v & 0xFF) << 8) | (v >> 8) : v;
      };
      if (left < 16) return std::nullopt;
      std::uint32_t u = unit16(pos_);
      if (u >= 0xD800 && u <= 0xDBFF) {
        if (left < 32) return std::nullopt;
        std::uint32_t l = unit16(pos_ + 16);
        if (l < 0xDC00 || l > 0xDFFF) return std::nullopt;
        pos_ += 32;
        return term(static_cast<long long>(0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00)));
      }
      if (u >= 0xDC00 && u <= 0xDFFF) return std::nullopt;
      pos_ += 16;
      return term(static_cast<long long>(u));
    }
    case T::utf32: {
      if (left < 32) return std::nullopt;
      auto v = static_cast<std::uint32_t>(bits_at(pos_, 32));
      if (s.little) v = ((v & 0xFF) << 24) | ((v & 0xFF00) << 8) | ((v >> 8) & 0xFF00) | (v >> 24);
      if (!valid_code_point(v)) return std::nullopt;
      pos_ += 32;
      return term(static_cast<long long>(v));
    }
  }
  return std::nullopt;
}

}  // namespace otpp::code::detail
