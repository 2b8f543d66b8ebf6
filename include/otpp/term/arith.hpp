// Erlang arithmetic on terms: integers of any size and floats, with Erlang's badarith rules.
#pragma once

#include <optional>

#include "otpp/term/term.hpp"

/// Each operation returns the result Erlang's operator gives, or nullopt where Erlang raises
/// `badarith`: an operand that is not a number (or not an integer for the integer-only
/// operators), a division by zero, or a float result that is infinite or NaN. Mixing an
/// integer with a float converts the integer (an integer beyond the double range is badarith).
/// Integer results are exact at any size; a result that fits int64 is a small integer.
/// All functions are thread-safe (they only read their arguments).
namespace otpp::arith {

/// The largest integer (in bits) `bsl` builds; a shift whose result would be longer gives
/// nullopt instead of exhausting memory (Erlang raises system_limit there). 2^26 bits is
/// 8 MiB, far beyond any integer a program means to build.
inline constexpr unsigned long max_shift_result_bits = 1ul << 26;

/// `A + B`.
[[nodiscard]] std::optional<term> add(const term& a, const term& b);
/// `A - B`.
[[nodiscard]] std::optional<term> subtract(const term& a, const term& b);
/// `A * B`.
[[nodiscard]] std::optional<term> multiply(const term& a, const term& b);
/// `A / B`: always a float; badarith when B is zero (0, 0.0 or -0.0).
[[nodiscard]] std::optional<term> float_divide(const term& a, const term& b);
/// `A div B`: integers only, the quotient truncated toward zero; badarith when B is 0.
[[nodiscard]] std::optional<term> int_div(const term& a, const term& b);
/// `A rem B`: integers only, the remainder with the sign of A; badarith when B is 0.
[[nodiscard]] std::optional<term> rem(const term& a, const term& b);
/// Unary `-A`.
[[nodiscard]] std::optional<term> negate(const term& a);
/// `abs(A)`.
[[nodiscard]] std::optional<term> abs(const term& a);

/// Bitwise operators on integers with two's-complement semantics at any size.
[[nodiscard]] std::optional<term> band(const term& a, const term& b);
[[nodiscard]] std::optional<term> bor(const term& a, const term& b);
[[nodiscard]] std::optional<term> bxor(const term& a, const term& b);
[[nodiscard]] std::optional<term> bnot(const term& a);
/// `A bsl B`; a negative B shifts right. nullopt also when the result would exceed
/// max_shift_result_bits.
[[nodiscard]] std::optional<term> bsl(const term& a, const term& b);
/// `A bsr B` (arithmetic: rounds toward negative infinity); a negative B shifts left.
[[nodiscard]] std::optional<term> bsr(const term& a, const term& b);

/// An integer or float as a double (integers rounded to nearest, as `float/1`); nullopt if
/// `t` is not a number or is an integer beyond the double range.
[[nodiscard]] std::optional<double> to_double(const term& t);
/// The integer part of `d` (truncated toward zero), at any size, as `trunc/1`.
/// Precondition: `d` is finite (Erlang floats always are); NaN or infinity give 0.
[[nodiscard]] term integer_from_double(double d);

}  // namespace otpp::arith
