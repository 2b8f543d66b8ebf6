// Erlang arithmetic on terms: the int64 boundaries, bignums, the sign rules of div and rem,
// shifts and bitwise operators in two's complement, floats and badarith. Expected values
// were computed with a real OTP 25 `erl` while writing these tests (the expression that
// produced each one is beside it).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "otpp/term/arith.hpp"

namespace otpp {
namespace {

term big(const char* text) { return *term::integer_from_string(text); }

/// True when `got` holds exactly `want` (`=:=`).
::testing::AssertionResult is(const std::optional<term>& got, const term& want) {
  if (!got) return ::testing::AssertionFailure() << "badarith, wanted " << want.integer_to_string();
  if (exact_equal(*got, want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got another value";
}

const term max64 = big("9223372036854775807");
const term min64 = big("-9223372036854775808");

TEST(arith_integers, addition_past_int64_max_becomes_a_bignum) {
  EXPECT_TRUE(is(arith::add(max64, term(1)), big("9223372036854775808")));  // (1 bsl 63) - 1 + 1
  EXPECT_FALSE(arith::add(max64, term(1))->is_small_integer());
  EXPECT_TRUE(is(arith::subtract(min64, term(1)), big("-9223372036854775809")));  // -(1 bsl 63) - 1
  EXPECT_TRUE(is(arith::add(big("9223372036854775808"), term(-1)), max64));
  EXPECT_TRUE(arith::add(big("9223372036854775808"), term(-1))->is_small_integer());
}

TEST(arith_integers, products_around_two_to_the_64_are_exact) {
  EXPECT_TRUE(is(arith::multiply(term(4294967296LL), term(4294967296LL)), big("18446744073709551616")));
  EXPECT_TRUE(is(arith::subtract(big("18446744073709551616"), term(1)), big("18446744073709551615")));
  // 123456789012345678901234567890 * 98765432109876543210
  EXPECT_TRUE(is(arith::multiply(big("123456789012345678901234567890"), big("98765432109876543210")),
                 big("12193263113702179522496570642237463801111263526900")));
  EXPECT_TRUE(is(arith::multiply(min64, term(-1)), big("9223372036854775808")));
}

TEST(arith_integers, div_truncates_toward_zero_and_rem_takes_the_sign_of_the_dividend) {
  EXPECT_TRUE(is(arith::int_div(term(-7), term(2)), term(-3)));
  EXPECT_TRUE(is(arith::int_div(term(7), term(-2)), term(-3)));
  EXPECT_TRUE(is(arith::rem(term(-7), term(2)), term(-1)));
  EXPECT_TRUE(is(arith::rem(term(7), term(-2)), term(1)));
  // -(1 bsl 100) div 3, -(1 bsl 100) rem 3, (1 bsl 100) rem -7
  term two_100 = big("1267650600228229401496703205376");
  EXPECT_TRUE(is(arith::int_div(*arith::negate(two_100), term(3)), big("-422550200076076467165567735125")));
  EXPECT_TRUE(is(arith::rem(*arith::negate(two_100), term(3)), term(-1)));
  EXPECT_TRUE(is(arith::rem(two_100, term(-7)), term(2)));
}

TEST(arith_integers, int64_min_divided_by_minus_one_does_not_overflow) {
  EXPECT_TRUE(is(arith::int_div(min64, term(-1)), big("9223372036854775808")));
  EXPECT_TRUE(is(arith::rem(min64, term(-1)), term(0)));
  EXPECT_TRUE(is(arith::negate(min64), big("9223372036854775808")));
  EXPECT_TRUE(is(arith::abs(min64), big("9223372036854775808")));
  EXPECT_TRUE(is(arith::negate(big("9223372036854775808")), min64));
}

TEST(arith_integers, division_by_zero_is_badarith) {
  EXPECT_FALSE(arith::int_div(term(1), term(0)));
  EXPECT_FALSE(arith::rem(big("18446744073709551616"), term(0)));
  EXPECT_FALSE(arith::float_divide(term(1), term(0)));
  EXPECT_FALSE(arith::float_divide(term(1), term(-0.0)));  // 1 / -0.0
  EXPECT_FALSE(arith::float_divide(term(0.0), term(0.0)));
}

TEST(arith_bits, shifts_of_negative_numbers_are_arithmetic) {
  EXPECT_TRUE(is(arith::bsl(term(-1), term(70)), big("-1180591620717411303424")));  // -1 bsl 70
  EXPECT_TRUE(is(arith::bsr(term(-1), term(70)), term(-1)));
  EXPECT_TRUE(is(arith::bsr(term(-5), term(1)), term(-3)));
  term two_100 = big("1267650600228229401496703205376");
  EXPECT_TRUE(is(arith::bsr(*arith::negate(two_100), term(99)), term(-2)));
  // (-(1 bsl 100) - 1) bsr 99
  EXPECT_TRUE(is(arith::bsr(*arith::subtract(*arith::negate(two_100), term(1)), term(99)), term(-3)));
  EXPECT_TRUE(is(arith::bsl(term(1), term(62)), big("4611686018427387904")));
  EXPECT_TRUE(is(arith::bsl(term(1), term(63)), big("9223372036854775808")));
  EXPECT_TRUE(is(arith::bsl(term(-1), term(63)), min64));
}

TEST(arith_bits, a_negative_shift_count_shifts_the_other_way) {
  EXPECT_TRUE(is(arith::bsl(term(1), term(-1)), term(0)));
  EXPECT_TRUE(is(arith::bsr(term(5), term(-2)), term(20)));
}

TEST(arith_bits, a_shift_count_beyond_int64_shifts_everything_out_or_is_refused) {
  term huge = big("100000000000000000000000");
  EXPECT_TRUE(is(arith::bsl(term(0), huge), term(0)));
  EXPECT_TRUE(is(arith::bsr(term(1), huge), term(0)));
  EXPECT_TRUE(is(arith::bsr(term(-1), huge), term(-1)));
  EXPECT_FALSE(arith::bsl(term(1), huge));
}

TEST(arith_bits, a_shift_past_the_size_bound_is_refused_rather_than_allocated) {
  EXPECT_FALSE(arith::bsl(term(1), term(static_cast<long long>(arith::max_shift_result_bits) + 1)));
  EXPECT_FALSE(arith::bsl(term(3), term(1LL << 40)));
  EXPECT_TRUE(arith::bsl(term(1), term(100000)).has_value());
}

TEST(arith_bits, bitwise_operators_use_twos_complement_on_bignums) {
  term minus_two_80 = big("-1208925819614629174706176");
  EXPECT_TRUE(is(arith::band(minus_two_80, term(0xFFFF)), term(0)));  // -(1 bsl 80) band 16#FFFF
  EXPECT_TRUE(is(arith::bor(minus_two_80, term(5)), big("-1208925819614629174706171")));
  EXPECT_TRUE(is(arith::bxor(big("1208925819614629174706176"), term(-1)), big("-1208925819614629174706177")));
  EXPECT_TRUE(is(arith::bnot(big("1208925819614629174706176")), big("-1208925819614629174706177")));
  EXPECT_TRUE(is(arith::bnot(term(0)), term(-1)));
  EXPECT_TRUE(is(arith::band(term(-1), max64), max64));
}

TEST(arith_floats, mixing_an_integer_with_a_float_gives_a_float) {
  EXPECT_TRUE(is(arith::add(term(1), term(0.5)), term(1.5)));
  EXPECT_TRUE(is(arith::float_divide(term(7), term(2)), term(3.5)));  // 7 / 2
  EXPECT_TRUE(is(arith::float_divide(term(4), term(2)), term(2.0)));
  EXPECT_TRUE(is(arith::multiply(big("18446744073709551616"), term(0.5)), term(9223372036854775808.0)));
  EXPECT_TRUE(is(arith::negate(term(2.5)), term(-2.5)));
  EXPECT_TRUE(is(arith::abs(term(-2.5)), term(2.5)));
}

TEST(arith_floats, an_overflowing_float_result_is_badarith) {
  EXPECT_FALSE(arith::multiply(term(1.0e308), term(10)));  // 1.0e308 * 10
  EXPECT_FALSE(arith::add(term(1.7e308), term(1.7e308)));
  // (1 bsl 1024) + 1.0: the integer has no double.
  EXPECT_FALSE(arith::add(*arith::bsl(term(1), term(1024)), term(1.0)));
}

TEST(arith_floats, integers_convert_to_the_nearest_double) {
  EXPECT_EQ(arith::to_double(big("18446744073709551615")), 1.8446744073709552e19);  // float((1 bsl 64) - 1)
  EXPECT_EQ(arith::to_double(big("9007199254740993")), 9.007199254740992e15);
  EXPECT_EQ(arith::to_double(big("18014398509481987")), 1.8014398509481988e16);
  // float((1 bsl 70) + (1 bsl 17)): a tie, to even; one more and it rounds up.
  term two_70 = *arith::bsl(term(1), term(70));
  EXPECT_EQ(arith::to_double(*arith::add(two_70, term(1 << 17))), 1.1805916207174113e21);
  EXPECT_EQ(arith::to_double(*arith::add(two_70, term((1 << 17) + 1))), 1.1805916207174116e21);
  EXPECT_EQ(arith::to_double(*arith::add(two_70, term(3 << 17))), 1.1805916207174118e21);
  EXPECT_EQ(arith::to_double(*arith::negate(two_70)), -std::ldexp(1.0, 70));
  EXPECT_EQ(arith::to_double(term(2.5)), 2.5);
  // float((1 bsl 1024) - 1) is badarg in Erlang: it rounds to 2^1024.
  EXPECT_FALSE(arith::to_double(*arith::subtract(*arith::bsl(term(1), term(1024)), term(1))));
  EXPECT_TRUE(arith::to_double(*arith::bsl(term(1), term(1023))).has_value());
  EXPECT_FALSE(arith::to_double(term(atom("a"))));
}

TEST(arith_floats, truncating_a_double_gives_an_integer_of_any_size) {
  EXPECT_TRUE(is(arith::integer_from_double(1.0e20), big("100000000000000000000")));  // trunc(1.0e20)
  EXPECT_TRUE(is(arith::integer_from_double(-2.5), term(-2)));
  EXPECT_TRUE(is(arith::integer_from_double(9223372036854775808.0), big("9223372036854775808")));
  EXPECT_TRUE(is(arith::integer_from_double(-9223372036854775808.0), min64));
  EXPECT_TRUE(arith::integer_from_double(-9223372036854775808.0).is_small_integer());
  EXPECT_TRUE(is(arith::integer_from_double(std::ldexp(1.0, 100)), big("1267650600228229401496703205376")));
}

TEST(arith_errors, non_numbers_are_badarith) {
  term a = atom("a");
  EXPECT_FALSE(arith::add(a, term(1)));  // a + 1
  EXPECT_FALSE(arith::subtract(term(1), term::string("x")));
  EXPECT_FALSE(arith::multiply(term(), term(2.0)));
  EXPECT_FALSE(arith::float_divide(a, term(1)));
  EXPECT_FALSE(arith::negate(a));
  EXPECT_FALSE(arith::abs(a));
  EXPECT_FALSE(arith::bnot(a));
}

TEST(arith_errors, integer_operators_refuse_floats) {
  EXPECT_FALSE(arith::int_div(term(1.5), term(1)));  // 1.5 div 1
  EXPECT_FALSE(arith::rem(term(3), term(2.0)));
  EXPECT_FALSE(arith::band(term(1.0), term(1)));
  EXPECT_FALSE(arith::bor(term(1), term(1.0)));
  EXPECT_FALSE(arith::bxor(term(1.0), term(1.0)));
  EXPECT_FALSE(arith::bnot(term(1.0)));
  EXPECT_FALSE(arith::bsl(term(1), term(1.0)));
  EXPECT_FALSE(arith::bsr(term(1.0), term(1)));
}

}  // namespace
}  // namespace otpp
