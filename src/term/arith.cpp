// Erlang arithmetic on terms: small-integer fast paths, GMP for everything larger, floats
// with Erlang's rule that an infinite or NaN result is badarith.
#include "otpp/term/arith.hpp"

#include <gmp.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "term/heap.hpp"

namespace otpp::arith {
namespace {

/// An mpz_t that clears itself.
struct mpz {
  mpz_t v;
  mpz() { mpz_init(v); }
  explicit mpz(const term& t) {
    mpz_init(v);
    detail::integer_to_mpz(t, v);
  }
  mpz(const mpz&) = delete;
  mpz& operator=(const mpz&) = delete;
  ~mpz() { mpz_clear(v); }
  [[nodiscard]] term to_term() const { return detail::make_integer(v); }
};

using mpz_binary = void (*)(mpz_ptr, mpz_srcptr, mpz_srcptr);

term big_op(mpz_binary op, const term& a, const term& b) {
  mpz x(a), y(b), r;
  op(r.v, x.v, y.v);
  return r.to_term();
}

/// A finite float result, or badarith.
std::optional<term> float_result(double d) {
  if (!std::isfinite(d)) return std::nullopt;
  return term(d);
}

/// Both operands as doubles for a float operation; nullopt when one is not a number or an
/// integer beyond the double range.
bool both_doubles(const term& a, const term& b, double& x, double& y) {
  auto dx = to_double(a);
  auto dy = to_double(b);
  if (!dx || !dy) return false;
  x = *dx;
  y = *dy;
  return true;
}

bool both_integers(const term& a, const term& b) { return a.is_integer() && b.is_integer(); }
bool both_small(const term& a, const term& b) { return a.is_small_integer() && b.is_small_integer(); }

/// `a` shifted left by `bits` (negative: right, flooring), for a shift count that fits int64.
std::optional<term> shift_left(const term& a, std::int64_t bits) {
  if (a.is_small_integer()) {
    std::int64_t x = a.small_integer();
    if (x == 0) return term(0);
    if (bits <= 0) {
      // Arithmetic right shift (C++20 defines >> on negatives as flooring).
      if (bits <= -64) return term(x < 0 ? -1 : 0);
      return term(static_cast<long long>(x >> -bits));
    }
    if (bits < 63) {
      std::int64_t r = static_cast<std::int64_t>(static_cast<std::uint64_t>(x) << bits);
      if ((r >> bits) == x) return term(static_cast<long long>(r));
    }
  }
  mpz x(a), r;
  if (mpz_sgn(x.v) == 0) return term(0);
  if (bits >= 0) {
    std::uint64_t length = mpz_sizeinbase(x.v, 2);
    if (static_cast<std::uint64_t>(bits) > max_shift_result_bits ||
        length + static_cast<std::uint64_t>(bits) > max_shift_result_bits) {
      return std::nullopt;
    }
    mpz_mul_2exp(r.v, x.v, static_cast<mp_bitcnt_t>(bits));
  } else {
    // -bits cannot overflow: the caller maps INT64_MIN to "shift everything out".
    std::uint64_t right = static_cast<std::uint64_t>(-bits);
    if (right >= mpz_sizeinbase(x.v, 2)) return term(mpz_sgn(x.v) < 0 ? -1 : 0);
    mpz_fdiv_q_2exp(r.v, x.v, static_cast<mp_bitcnt_t>(right));
  }
  return r.to_term();
}

/// `a` shifted left by the integer term `count` (which may be a bignum).
std::optional<term> shift(const term& a, const term& count, bool left) {
  if (!both_integers(a, count)) return std::nullopt;
  auto n = count.to_int64();
  if (!n || *n == std::numeric_limits<std::int64_t>::min()) {
    // A count beyond int64: everything shifts out, or the result is absurdly large.
    bool grows = count.integer_is_negative() != left;
    if (!grows) {
      mpz x(a);
      return term(mpz_sgn(x.v) < 0 ? -1 : 0);
    }
    if (a.is_small_integer() && a.small_integer() == 0) return term(0);
    return std::nullopt;
  }
  return shift_left(a, left ? *n : -*n);
}

}  // namespace

std::optional<term> add(const term& a, const term& b) {
  if (both_small(a, b)) {
    long long r;
    if (!__builtin_add_overflow(a.small_integer(), b.small_integer(), &r)) return term(r);
  }
  if (both_integers(a, b)) return big_op(mpz_add, a, b);
  double x, y;
  if (!both_doubles(a, b, x, y)) return std::nullopt;
  return float_result(x + y);
}

std::optional<term> subtract(const term& a, const term& b) {
  if (both_small(a, b)) {
    long long r;
    if (!__builtin_sub_overflow(a.small_integer(), b.small_integer(), &r)) return term(r);
  }
  if (both_integers(a, b)) return big_op(mpz_sub, a, b);
  double x, y;
  if (!both_doubles(a, b, x, y)) return std::nullopt;
  return float_result(x - y);
}

std::optional<term> multiply(const term& a, const term& b) {
  if (both_small(a, b)) {
    long long r;
    if (!__builtin_mul_overflow(a.small_integer(), b.small_integer(), &r)) return term(r);
  }
  if (both_integers(a, b)) return big_op(mpz_mul, a, b);
  double x, y;
  if (!both_doubles(a, b, x, y)) return std::nullopt;
  return float_result(x * y);
}

std::optional<term> float_divide(const term& a, const term& b) {
  double x, y;
  if (!both_doubles(a, b, x, y) || y == 0.0) return std::nullopt;
  return float_result(x / y);
}

std::optional<term> int_div(const term& a, const term& b) {
  if (!both_integers(a, b)) return std::nullopt;
  if (both_small(a, b)) {
    std::int64_t x = a.small_integer(), y = b.small_integer();
    if (y == 0) return std::nullopt;
    // INT64_MIN div -1 is 2^63, which needs a bignum.
    if (!(x == std::numeric_limits<std::int64_t>::min() && y == -1)) return term(static_cast<long long>(x / y));
  }
  mpz x(a), y(b), q;
  if (mpz_sgn(y.v) == 0) return std::nullopt;
  mpz_tdiv_q(q.v, x.v, y.v);
  return q.to_term();
}

std::optional<term> rem(const term& a, const term& b) {
  if (!both_integers(a, b)) return std::nullopt;
  if (both_small(a, b)) {
    std::int64_t x = a.small_integer(), y = b.small_integer();
    if (y == 0) return std::nullopt;
    if (y == -1) return term(0);  // also avoids INT64_MIN % -1
    return term(static_cast<long long>(x % y));
  }
  mpz x(a), y(b), r;
  if (mpz_sgn(y.v) == 0) return std::nullopt;
  mpz_tdiv_r(r.v, x.v, y.v);
  return r.to_term();
}

std::optional<term> negate(const term& a) {
  if (a.is_small_integer() && a.small_integer() != std::numeric_limits<std::int64_t>::min()) {
    return term(static_cast<long long>(-a.small_integer()));
  }
  if (a.is_integer()) {
    mpz x(a);
    mpz_neg(x.v, x.v);
    return x.to_term();
  }
  if (a.is_float()) return term(-a.float_value());
  return std::nullopt;
}

std::optional<term> abs(const term& a) {
  if (a.is_integer()) return a.integer_is_negative() ? negate(a) : std::optional<term>(a);
  if (a.is_float()) return term(std::fabs(a.float_value()));
  return std::nullopt;
}

std::optional<term> band(const term& a, const term& b) {
  if (both_small(a, b)) return term(static_cast<long long>(a.small_integer() & b.small_integer()));
  if (!both_integers(a, b)) return std::nullopt;
  return big_op(mpz_and, a, b);
}

std::optional<term> bor(const term& a, const term& b) {
  if (both_small(a, b)) return term(static_cast<long long>(a.small_integer() | b.small_integer()));
  if (!both_integers(a, b)) return std::nullopt;
  return big_op(mpz_ior, a, b);
}

std::optional<term> bxor(const term& a, const term& b) {
  if (both_small(a, b)) return term(static_cast<long long>(a.small_integer() ^ b.small_integer()));
  if (!both_integers(a, b)) return std::nullopt;
  return big_op(mpz_xor, a, b);
}

std::optional<term> bnot(const term& a) {
  if (a.is_small_integer()) return term(static_cast<long long>(~a.small_integer()));
  if (!a.is_integer()) return std::nullopt;
  mpz x(a);
  mpz_com(x.v, x.v);
  return x.to_term();
}

std::optional<term> bsl(const term& a, const term& b) { return shift(a, b, true); }
std::optional<term> bsr(const term& a, const term& b) { return shift(a, b, false); }

std::optional<double> to_double(const term& t) {
  if (t.is_float()) return t.float_value();
  if (t.is_small_integer()) return static_cast<double>(t.small_integer());
  if (!t.is_integer()) return std::nullopt;
  // Round to nearest: the top 64 bits convert with one correct rounding once every lower
  // bit is folded into the lowest one ("sticky"), which decides ties that are not ties.
  mpz x(t), top;
  bool negative = mpz_sgn(x.v) < 0;
  mpz_abs(x.v, x.v);
  std::size_t length = mpz_sizeinbase(x.v, 2);
  if (length > 1100) return std::nullopt;  // far beyond DBL_MAX (2^1024)
  std::size_t drop = length > 64 ? length - 64 : 0;
  mpz_tdiv_q_2exp(top.v, x.v, drop);
  std::uint64_t m = 0;
  mpz_export(&m, nullptr, -1, sizeof(m), 0, 0, top.v);
  if (drop > 0 && mpz_scan1(x.v, 0) < drop) m |= 1;
  double d = std::ldexp(static_cast<double>(m), static_cast<int>(drop));
  if (!std::isfinite(d)) return std::nullopt;
  return negative ? -d : d;
}

term integer_from_double(double d) {
  if (!std::isfinite(d)) return term(0);
  double t = std::trunc(d);
  // Every double in (-2^63, 2^63) converts exactly.
  if (t > -9223372036854775808.0 && t < 9223372036854775808.0) {
    return term(static_cast<long long>(t));
  }
  mpz z;
  mpz_set_d(z.v, t);
  return z.to_term();
}

}  // namespace otpp::arith
