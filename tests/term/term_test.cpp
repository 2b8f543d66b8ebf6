// The term value type: construction and normalisation, inspection, sharing of binaries,
// Erlang term order (OTP 25), `==` and `=:=`, and hashing consistent with `=:=`.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <thread>
#include <unordered_set>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp {
namespace {

term big(const char* text) { return *term::integer_from_string(text); }
term a(const char* text) { return term(atom(text)); }
term pid_term(const char* node, std::uint32_t id, std::uint32_t serial, std::uint32_t creation) {
  return term(pid{atom(node), id, serial, creation});
}
term ref_term(const char* node, std::uint32_t creation, std::vector<std::uint32_t> words) {
  reference r{atom(node), creation, static_cast<std::uint8_t>(words.size()), {}};
  std::copy(words.begin(), words.end(), r.words.begin());
  return term(r);
}

// ---- integers ---------------------------------------------------------------------------

TEST(term_integer, any_integer_that_fits_int64_is_stored_small) {
  EXPECT_TRUE(big("9223372036854775807").is_small_integer());
  EXPECT_TRUE(big("-9223372036854775808").is_small_integer());
  EXPECT_FALSE(big("9223372036854775808").is_small_integer());
  EXPECT_FALSE(big("-9223372036854775809").is_small_integer());
  EXPECT_TRUE(term(std::uint64_t{5}).is_small_integer());
  EXPECT_FALSE(term(std::numeric_limits<std::uint64_t>::max()).is_small_integer());
}

TEST(term_integer, a_magnitude_that_fits_int64_becomes_small) {
  std::uint8_t le[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  term t = term::integer_from_magnitude(false, le);
  EXPECT_TRUE(t.is_small_integer());
  EXPECT_EQ(t.small_integer(), 1);
  std::uint8_t two63[] = {0, 0, 0, 0, 0, 0, 0, 0x80};
  EXPECT_TRUE(term::integer_from_magnitude(true, two63).is_small_integer());
  EXPECT_FALSE(term::integer_from_magnitude(false, two63).is_small_integer());
  EXPECT_EQ(term::integer_from_magnitude(true, two63).small_integer(), std::numeric_limits<std::int64_t>::min());
}

TEST(term_integer, big_integers_print_and_round_trip_through_their_magnitude) {
  term t = big("-123456789012345678901234567890");
  EXPECT_EQ(t.integer_to_string(), "-123456789012345678901234567890");
  EXPECT_TRUE(t.integer_is_negative());
  term back = term::integer_from_magnitude(true, t.integer_magnitude());
  EXPECT_EQ(back, t);
  EXPECT_EQ(term(255).integer_to_string(16), "FF");
  EXPECT_EQ(big("-255").integer_to_string(16), "-FF");
  EXPECT_EQ(big("18446744073709551616").integer_to_string(16), "10000000000000000");
}

TEST(term_integer, integer_from_string_rejects_what_is_not_an_integer) {
  EXPECT_FALSE(term::integer_from_string("").has_value());
  EXPECT_FALSE(term::integer_from_string("-").has_value());
  EXPECT_FALSE(term::integer_from_string("12a").has_value());
  EXPECT_FALSE(term::integer_from_string(" 1").has_value());
  ASSERT_TRUE(term::integer_from_string("ff", 16).has_value());
  EXPECT_EQ(term::integer_from_string("ff", 16)->small_integer(), 255);
  EXPECT_EQ(term::integer_from_string("-0")->small_integer(), 0);
}

TEST(term_integer, to_int64_answers_only_for_small_integers) {
  EXPECT_EQ(term(42).to_int64(), 42);
  EXPECT_FALSE(big("99999999999999999999").to_int64().has_value());
  EXPECT_FALSE(term(1.0).to_int64().has_value());
}

// ---- containers -------------------------------------------------------------------------

TEST(term_list, a_list_tail_that_is_a_list_is_flattened) {
  term inner = term::list({3, 4}, a("end"));
  term outer = term::list({1, 2}, inner);
  EXPECT_EQ(outer.list_elements().size(), 4u);
  EXPECT_EQ(outer.list_tail(), a("end"));
  EXPECT_EQ(outer, term::list({1, 2, 3, 4}, a("end")));
  EXPECT_FALSE(outer.is_proper_list());
  EXPECT_TRUE(outer.is_list());
}

TEST(term_list, nthtail_shares_the_elements_and_keeps_the_tail_and_term_order) {
  std::vector<term> xs;
  for (int i = 1; i <= 100; ++i) xs.push_back(i);
  term l = term::list(xs, a("end"));
  term rest = l.list_nthtail(10);
  ASSERT_EQ(rest.list_elements().size(), 90u);
  // The rest shows the list's own elements, not a copy.
  EXPECT_EQ(rest.list_elements().data(), l.list_elements().data() + 10);
  EXPECT_EQ(rest.list_elements()[0], term(11));
  EXPECT_EQ(rest.list_tail(), a("end"));
  EXPECT_FALSE(rest.is_proper_list());
  // Equal to, ordered and hashed as the same list built afresh.
  term fresh = term::list(std::vector<term>(xs.begin() + 10, xs.end()), a("end"));
  EXPECT_EQ(rest, fresh);
  EXPECT_EQ(rest.hash(), fresh.hash());
  EXPECT_EQ(compare(rest, l), 1);  // [11, ...] > [1, ...]
  // A slice of a slice, outliving the list it came from.
  term deeper;
  {
    term owner = term::list(xs);
    deeper = owner.list_nthtail(5).list_nthtail(90);
  }
  EXPECT_EQ(deeper, term::list({96, 97, 98, 99, 100}));
  EXPECT_EQ(l.list_nthtail(0), l);
  EXPECT_EQ(l.list_nthtail(100), a("end"));
  EXPECT_EQ(l.list_nthtail(98), term::list({99, 100}, a("end")));
}

TEST(term_list, an_empty_element_list_with_a_tail_is_the_tail) {
  EXPECT_EQ(term::list({}, a("x")), a("x"));
  EXPECT_TRUE(term::list(std::vector<term>{}).is_nil());
}

TEST(term_list, nil_is_a_proper_empty_list) {
  term nil;
  EXPECT_TRUE(nil.is_nil());
  EXPECT_TRUE(nil.is_list());
  EXPECT_TRUE(nil.is_proper_list());
  EXPECT_TRUE(nil.list_elements().empty());
  EXPECT_TRUE(nil.list_tail().is_nil());
}

TEST(term_list, strings_are_lists_of_code_points) {
  term s = term::string("h\xC3\xA9");
  ASSERT_EQ(s.list_elements().size(), 2u);
  EXPECT_EQ(s.list_elements()[1].small_integer(), 0xE9);
  EXPECT_EQ(s.to_text(), "h\xC3\xA9");
  EXPECT_EQ(term::binary("abc").to_text(), "abc");
  EXPECT_EQ(term().to_text(), "");
  EXPECT_FALSE(term::list({1}, 2).to_text().has_value());
  EXPECT_FALSE(list_of(-1).to_text().has_value());
}

TEST(term_tuple, a_tuple_holds_its_elements_in_order) {
  term t = tuple_of(atoms::ok, 42, 2.5);
  ASSERT_TRUE(t.is_tuple());
  EXPECT_EQ(t.tuple_size(), 3u);
  EXPECT_TRUE(t[0].is_atom(atoms::ok));
  EXPECT_EQ(t[1].small_integer(), 42);
  EXPECT_EQ(t[2].float_value(), 2.5);
  EXPECT_TRUE(t.is_tagged_tuple(atoms::ok, 3));
  EXPECT_FALSE(t.is_tagged_tuple(atoms::ok, 2));
  EXPECT_FALSE(t.is_tagged_tuple(atoms::error, 3));
  EXPECT_EQ(term::tuple({}).tuple_size(), 0u);
}

TEST(term_map, entries_are_sorted_in_map_key_order_with_integers_before_floats) {
  term m = term::map({{1.0, a("float")}, {2, a("two")}, {a("z"), 0}, {1, a("int")}, {0.5, a("half")}});
  auto e = m.map_entries();
  ASSERT_EQ(e.size(), 5u);
  // OTP: maps:keys(#{1.0=>_, 2=>_, z=>_, 1=>_, 0.5=>_}) is [1, 2, 0.5, 1.0, z].
  EXPECT_EQ(e[0].first, term(1));
  EXPECT_EQ(e[1].first, term(2));
  EXPECT_EQ(e[2].first, term(0.5));
  EXPECT_EQ(e[3].first, term(1.0));
  EXPECT_EQ(e[4].first, a("z"));
}

TEST(term_map, a_later_duplicate_key_replaces_an_earlier_one) {
  term m = term::map({{a("k"), 1}, {a("k"), 2}});
  ASSERT_EQ(m.map_entries().size(), 1u);
  EXPECT_EQ(*m.map_find(a("k")), term(2));
}

TEST(term_map, lookup_matches_keys_exactly) {
  term m = term::map({{1, a("int")}, {1.0, a("float")}});
  EXPECT_EQ(m.map_entries().size(), 2u);
  EXPECT_EQ(*m.map_find(term(1)), a("int"));
  EXPECT_EQ(*m.map_find(term(1.0)), a("float"));
  EXPECT_EQ(m.map_find(term(2)), nullptr);
}

// ---- binaries -----------------------------------------------------------------------------

TEST(term_binary, a_slice_shares_the_buffer_of_its_binary) {
  term b = term::binary("hello world");
  term s = b.binary_slice(6, 5);
  EXPECT_EQ(s.bytes_as_string(), "world");
  EXPECT_EQ(s.bytes().data(), b.bytes().data() + 6);
  term ss = s.binary_slice(1, 2);
  EXPECT_EQ(ss.bytes_as_string(), "or");
  EXPECT_EQ(ss.bytes().data(), b.bytes().data() + 7);
  b = term();
  s = term();
  EXPECT_EQ(ss.bytes_as_string(), "or");  // the slice keeps the bytes alive
  EXPECT_THROW((void)ss.binary_slice(1, 5), std::out_of_range);
}

TEST(term_binary, a_view_shares_the_callers_buffer) {
  auto buf = std::make_shared<const std::vector<std::uint8_t>>(std::vector<std::uint8_t>{1, 2, 3, 4});
  term v = term::binary_view(buf, 1, 2);
  EXPECT_EQ(v.bytes().data(), buf->data() + 1);
  EXPECT_EQ(v, term::binary(std::string_view("\x02\x03", 2)));
  std::weak_ptr<const std::vector<std::uint8_t>> weak = buf;
  buf.reset();
  EXPECT_FALSE(weak.expired());
  term slice = v.binary_slice(1, 1);
  v = term();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(slice.bytes()[0], 3);
  slice = term();
  EXPECT_TRUE(weak.expired());
}

TEST(term_binary, a_bitstring_keeps_only_its_significant_bits) {
  std::uint8_t bytes[] = {0xFF, 0xFF};
  term b = term::bitstring(bytes, 3);
  EXPECT_FALSE(b.is_binary());
  EXPECT_TRUE(b.is_bitstring());
  EXPECT_EQ(b.bit_size(), 11u);
  EXPECT_EQ(b.bytes()[1], 0xE0);
  std::uint8_t other[] = {0xFF, 0xE0};
  EXPECT_EQ(b, term::bitstring(other, 3));
  EXPECT_TRUE(term::bitstring(bytes, 8).is_binary());
  EXPECT_THROW((void)term::bitstring(bytes, 0), std::invalid_argument);
}

// ---- order ------------------------------------------------------------------------------

TEST(term_order, kinds_follow_erlangs_order) {
  // number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring
  std::vector<term> ordered = {
      term(1), a("a"), ref_term("n@h", 1, {1, 2, 3}), term::export_fun(atom("m"), atom("f"), 1),
      term(port_id{atom("n@h"), 1, 1}), pid_term("n@h", 1, 0, 1), tuple_of(1), term::map({}),
      term(), list_of(1), term::binary("")};
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
    EXPECT_LT(compare(ordered[i], ordered[i + 1]), 0) << i;
    EXPECT_GT(compare(ordered[i + 1], ordered[i]), 0) << i;
  }
}

TEST(term_order, integers_and_floats_compare_by_value) {
  EXPECT_EQ(compare(term(1), term(1.0)), 0);
  EXPECT_LT(compare(term(1), term(1.5)), 0);
  EXPECT_GT(compare(term(2), term(1.5)), 0);
  EXPECT_LT(compare(term(-1.5), term(-1)), 0);
  // 2^53 + 1 is not a double; the comparison is exact, not through a rounded double.
  EXPECT_GT(compare(term(9007199254740993LL), term(9007199254740992.0)), 0);
  EXPECT_EQ(compare(big("18446744073709551616"), term(18446744073709551616.0)), 0);
  EXPECT_LT(compare(big("-18446744073709551617"), term(-18446744073709551616.0)), 0);
  EXPECT_GT(compare(term(1e300), big("99999999999999999999999999")), 0);
  EXPECT_LT(compare(term(std::numeric_limits<std::int64_t>::max()), term(9223372036854775808.0)), 0);
}

TEST(term_order, equal_compares_numbers_by_value_and_exact_equal_by_type) {
  EXPECT_TRUE(equal(term(1), term(1.0)));
  EXPECT_FALSE(exact_equal(term(1), term(1.0)));
  EXPECT_FALSE(term(1) == term(1.0));
  EXPECT_TRUE(equal(tuple_of(1, a("x")), tuple_of(1.0, a("x"))));
  EXPECT_FALSE(exact_equal(tuple_of(1, a("x")), tuple_of(1.0, a("x"))));
}

TEST(term_order, positive_and_negative_zero_are_exactly_equal_as_in_otp_25) {
  EXPECT_TRUE(exact_equal(term(0.0), term(-0.0)));
  EXPECT_EQ(compare(term(0.0), term(-0.0)), 0);
  EXPECT_EQ(term(0.0).hash(), term(-0.0).hash());
  EXPECT_EQ(term::map({{-0.0, a("a")}, {0.0, a("b")}}).map_entries().size(), 1u);
}

TEST(term_order, map_key_order_puts_every_integer_before_every_float) {
  EXPECT_LT(compare_exact(term(2), term(1.0)), 0);
  EXPECT_LT(compare_exact(term(1), term(1.0)), 0);
  EXPECT_GT(compare_exact(term(0.5), term(1000)), 0);
  EXPECT_LT(compare_exact(tuple_of(2), tuple_of(1.0)), 0);
}

TEST(term_order, maps_compare_by_size_then_keys_then_values) {
  EXPECT_LT(compare(term::map({{a("z"), 1}}), term::map({{a("a"), 1}, {a("b"), 1}})), 0);
  EXPECT_LT(compare(term::map({{a("a"), 2}}), term::map({{a("b"), 1}})), 0);
  EXPECT_GT(compare(term::map({{a("a"), 2}, {a("b"), 1}}), term::map({{a("a"), 1}, {a("b"), 2}})), 0);
  // Keys compare exactly even under ==, values do not.
  EXPECT_LT(compare(term::map({{2, a("a")}}), term::map({{1.0, a("a")}})), 0);
  EXPECT_FALSE(equal(term::map({{1, a("a")}}), term::map({{1.0, a("a")}})));
  EXPECT_TRUE(equal(term::map({{a("a"), 1}}), term::map({{a("a"), 1.0}})));
}

TEST(term_order, tuples_compare_by_size_first) {
  EXPECT_LT(compare(tuple_of(a("b")), tuple_of(a("a"), a("a"))), 0);
  EXPECT_LT(compare(tuple_of(1, 2), tuple_of(1, 3)), 0);
}

TEST(term_order, lists_compare_element_by_element_then_by_tail) {
  EXPECT_LT(compare(list_of(1, 2), list_of(1, 2, 3)), 0);
  EXPECT_LT(compare(list_of(1, 2), list_of(1, 3)), 0);
  EXPECT_LT(compare(term(), list_of(1)), 0);
  // [1|2] vs [1,2]: the tail 2 (a number) is less than the list [2].
  EXPECT_LT(compare(term::list({1}, 2), list_of(1, 2)), 0);
  // [1|<<>>] vs [1,2]: a bitstring tail is greater than a list.
  EXPECT_GT(compare(term::list({1}, term::binary("")), list_of(1, 2)), 0);
  EXPECT_LT(compare(term::list({1}, 2), term::list({1}, 3)), 0);
}

TEST(term_order, bitstrings_compare_bit_by_bit_then_by_length) {
  std::uint8_t one = 0x80;
  std::uint8_t zero_one = 0x40;
  EXPECT_GT(compare(term::bitstring({&one, 1}, 1), term::bitstring({&zero_one, 1}, 2)), 0);  // <<1:1>> > <<1:2>>
  std::uint8_t z = 0;
  EXPECT_LT(compare(term::bitstring({&z, 1}, 1), term::binary(std::string_view("\0", 1))), 0);
  EXPECT_LT(compare(term::binary("ab"), term::binary("abc")), 0);
  EXPECT_LT(compare(term::binary("ab"), term::binary("b")), 0);
}

TEST(term_order, pids_compare_by_serial_then_number_then_node) {
  EXPECT_GT(compare(pid_term("a@b", 1, 2, 1), pid_term("a@b", 2, 1, 1)), 0);
  EXPECT_LT(compare(pid_term("b@b", 1, 1, 1), pid_term("a@b", 2, 2, 1)), 0);
  EXPECT_GT(compare(pid_term("b@b", 1, 1, 1), pid_term("a@b", 1, 1, 1)), 0);
  EXPECT_GT(compare(pid_term("a@b", 1, 1, 2), pid_term("a@b", 1, 1, 1)), 0);
  EXPECT_GT(compare(pid_term("b@b", 1, 1, 1), pid_term("a@b", 1, 1, 2)), 0);
}

TEST(term_order, references_compare_by_node_then_creation_then_words_from_the_most_significant) {
  EXPECT_GT(compare(ref_term("b@b", 1, {1, 1, 1}), ref_term("a@b", 1, {2, 2, 2})), 0);
  EXPECT_GT(compare(ref_term("a@b", 2, {1, 1, 1}), ref_term("a@b", 1, {2, 2, 2})), 0);
  EXPECT_GT(compare(ref_term("a@b", 1, {1, 2, 3}), ref_term("a@b", 1, {2, 1, 3})), 0);
  EXPECT_GT(compare(ref_term("a@b", 1, {1, 2, 3}), ref_term("a@b", 1, {1, 3, 2})), 0);
  EXPECT_LT(compare(ref_term("a@b", 1, {5, 5}), ref_term("a@b", 1, {1, 1, 1})), 0);
}

TEST(term_order, references_differing_only_in_trailing_zero_words_are_equal) {
  term r1 = ref_term("a@b", 1, {1});
  term r3 = ref_term("a@b", 1, {1, 0, 0});
  EXPECT_TRUE(exact_equal(r1, r3));
  EXPECT_EQ(r1.hash(), r3.hash());
}

TEST(term_order, ports_compare_by_node_then_creation_then_number) {
  EXPECT_GT(compare(term(port_id{atom("b@b"), 1, 1}), term(port_id{atom("a@b"), 2, 1})), 0);
  EXPECT_GT(compare(term(port_id{atom("a@b"), 1, 2}), term(port_id{atom("a@b"), 2, 1})), 0);
  EXPECT_LT(compare(term(port_id{atom("a@b"), 1, 1}), term(port_id{atom("a@b"), 2, 1})), 0);
}

TEST(term_order, closures_sort_before_export_funs_which_sort_by_module_function_arity) {
  fun_value closure;
  closure.module = atom("zzz");
  EXPECT_LT(compare(term::fun(closure), term::export_fun(atom("a"), atom("a"), 0)), 0);
  EXPECT_GT(compare(term::export_fun(atom("lists"), atom("map"), 2), term::export_fun(atom("a"), atom("b"), 3)), 0);
  EXPECT_LT(compare(term::export_fun(atom("z"), atom("a"), 2), term::export_fun(atom("z"), atom("b"), 1)), 0);
  EXPECT_GT(compare(term::export_fun(atom("z"), atom("a"), 2), term::export_fun(atom("z"), atom("a"), 1)), 0);
}

TEST(term_order, closures_sort_by_module_then_index_then_uniq_then_environment) {
  fun_value f1;
  f1.module = atom("m");
  f1.old_index = 1;
  fun_value f2 = f1;
  f2.old_index = 2;
  EXPECT_LT(compare(term::fun(f1), term::fun(f2)), 0);
  fun_value f3 = f1;
  f3.free_vars = {term(1)};
  EXPECT_LT(compare(term::fun(f1), term::fun(f3)), 0);
  fun_value f4 = f1;
  f4.free_vars = {term(2)};
  EXPECT_LT(compare(term::fun(f3), term::fun(f4)), 0);
  EXPECT_TRUE(exact_equal(term::fun(f4), term::fun(f4)));
}

TEST(term_order, sorting_a_mixed_vector_gives_erlangs_order) {
  std::vector<term> v = {term::binary("b"), list_of(1), term(), a("atom"), term(3.5), term(2), tuple_of(1)};
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v[0], term(2));
  EXPECT_EQ(v[1], term(3.5));
  EXPECT_EQ(v[2], a("atom"));
  EXPECT_EQ(v[3], tuple_of(1));
  EXPECT_TRUE(v[4].is_nil());
  EXPECT_EQ(v[5], list_of(1));
  EXPECT_TRUE(v[6].is_bitstring());
}

// ---- hashing ------------------------------------------------------------------------------

TEST(term_hash, exactly_equal_terms_hash_equal) {
  std::vector<std::pair<term, term>> pairs = {
      {big("123456789012345678901234567890"), big("123456789012345678901234567890")},
      {term::map({{a("x"), 1}, {a("y"), 2}}), term::map({{a("y"), 2}, {a("x"), 1}})},
      {term::list({1, 2}, 3), term::list({1}, term::list({2}, 3))},
      {term::binary("abc").binary_slice(1, 2), term::binary("bc")},
      {tuple_of(pid_term("n@h", 1, 2, 3)), tuple_of(pid_term("n@h", 1, 2, 3))},
      // OTP 25: 0.0 =:= -0.0 is true, so they must hash alike.
      {term(0.0), term(-0.0)}};
  for (auto& [x, y] : pairs) {
    EXPECT_TRUE(exact_equal(x, y));
    EXPECT_EQ(x.hash(), y.hash());
    EXPECT_EQ(std::hash<term>{}(x), std::hash<term>{}(y));
  }
}

TEST(term_hash, terms_work_as_keys_of_unordered_containers) {
  std::unordered_set<term> set;
  for (int i = 0; i < 1000; ++i) set.insert(tuple_of(i, a("x")));
  for (int i = 0; i < 1000; ++i) set.insert(tuple_of(i, a("x")));
  EXPECT_EQ(set.size(), 1000u);
  EXPECT_TRUE(set.count(tuple_of(5, a("x"))));
  EXPECT_FALSE(set.count(tuple_of(5.0, a("x"))));
}

// ---- lifetime -----------------------------------------------------------------------------

TEST(term_lifetime, copies_share_and_outlive_the_original) {
  term t = tuple_of(term::binary("payload"), list_of(1, 2, 3));
  term copy = t;
  t = term();
  EXPECT_EQ(copy[0].bytes_as_string(), "payload");
  term moved = std::move(copy);
  EXPECT_TRUE(copy.is_nil());  // NOLINT(bugprone-use-after-move): moved-from is []
  EXPECT_EQ(moved.tuple_size(), 2u);
}

TEST(term_lifetime, destroying_a_very_deep_term_does_not_overflow_the_stack) {
  term t = a("leaf");
  for (int i = 0; i < 1000000; ++i) t = tuple_of(t);
  t = term();
  SUCCEED();
}

TEST(term_lifetime, copies_may_be_used_and_dropped_from_many_threads) {
  term shared = tuple_of(term::binary("x"), list_of(1, 2), big("123456789012345678901234567890"));
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([shared] {
      for (int i = 0; i < 20000; ++i) {
        term c = shared;
        if (c.tuple_size() != 3) std::abort();
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(shared[0].bytes_as_string(), "x");
}

TEST(term_lifetime, heap_size_counts_children) {
  EXPECT_EQ(term(1).heap_size(), sizeof(term));
  EXPECT_GT(term::binary(std::string(1000, 'x')).heap_size(), 1000u);
  EXPECT_GT(list_of(1, 2, 3).heap_size(), 3 * sizeof(term));
}

}  // namespace
}  // namespace otpp
