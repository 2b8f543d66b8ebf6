// The External Term Format codec, one rule per test: the encoder's choice of tags, the
// two-pass API, and a decoder that answers every bad input with an error naming the offset.
#include <gtest/gtest.h>

#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"
#include "otpp/term/term.hpp"

namespace otpp {
namespace {

using bytes = std::vector<std::uint8_t>;

term a(const char* text) { return term(atom(text)); }

bytes enc(const term& t, etf::encode_options o = {}) { return etf::encode(t, o); }

etf::result<term> dec(const bytes& b, const etf::decode_options& o = {}) { return etf::decode(b, o); }

// Decoding must fail, at `offset`, with a message containing `words`.
void expect_error(const bytes& input, std::size_t offset, const std::string& words,
                  const etf::decode_options& o = {}) {
  auto r = etf::decode(input, o);
  ASSERT_FALSE(r.ok()) << "decoded although it should not";
  EXPECT_EQ(r.error().offset, offset) << r.error().to_string();
  EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().to_string();
}

// ---- encoder ----------------------------------------------------------------------------

TEST(etf_encode, integers_use_the_smallest_tag) {
  EXPECT_EQ(enc(0), (bytes{131, 97, 0}));
  EXPECT_EQ(enc(255), (bytes{131, 97, 255}));
  EXPECT_EQ(enc(256), (bytes{131, 98, 0, 0, 1, 0}));
  EXPECT_EQ(enc(-1), (bytes{131, 98, 255, 255, 255, 255}));
  EXPECT_EQ(enc(2147483647), (bytes{131, 98, 127, 255, 255, 255}));
  EXPECT_EQ(enc(2147483648LL), (bytes{131, 110, 4, 0, 0, 0, 0, 128}));
  EXPECT_EQ(enc(-2147483649LL), (bytes{131, 110, 4, 1, 1, 0, 0, 128}));
  EXPECT_EQ(enc(std::numeric_limits<std::int64_t>::min()), (bytes{131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128}));
}

TEST(etf_encode, a_bignum_of_more_than_255_bytes_uses_large_big) {
  term t = *term::integer_from_string("1" + std::string(700, '0'));
  bytes b = enc(t);
  EXPECT_EQ(b[1], 111);
  EXPECT_EQ(etf::decode(b).value(), t);
}

TEST(etf_encode, floats_use_new_float_and_keep_the_sign_of_zero) {
  EXPECT_EQ(enc(1.5), (bytes{131, 70, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(enc(-0.0), (bytes{131, 70, 0x80, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(etf_encode, latin1_atoms_use_atom_ext_by_default_as_otp_25_does) {
  EXPECT_EQ(enc(a("ab")), (bytes{131, 100, 0, 2, 'a', 'b'}));
  EXPECT_EQ(enc(a("\xC3\xA4")), (bytes{131, 100, 0, 1, 0xE4}));
  EXPECT_EQ(enc(a("\xC4\x80")), (bytes{131, 119, 2, 0xC4, 0x80}));
}

TEST(etf_encode, minor_version_2_writes_only_utf8_atom_tags) {
  auto o = etf::dist_encoding();
  EXPECT_EQ(enc(a("ab"), o), (bytes{131, 119, 2, 'a', 'b'}));
  EXPECT_EQ(enc(a("\xC3\xA4"), o), (bytes{131, 119, 2, 0xC3, 0xA4}));
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "\xC4\x80";
  bytes b = enc(a(long_name.c_str()), o);
  EXPECT_EQ(b[1], 118);
  EXPECT_EQ(b[2] * 256 + b[3], 400);
}

TEST(etf_encode, a_proper_list_of_up_to_65535_bytes_is_a_string) {
  EXPECT_EQ(enc(list_of(1, 2, 3)), (bytes{131, 107, 0, 3, 1, 2, 3}));
  std::vector<term> max(65535, term(7));
  EXPECT_EQ(enc(term::list(max))[1], 107);
  std::vector<term> over(65536, term(7));
  bytes b = enc(term::list(over));
  EXPECT_EQ(b[1], 108);
  EXPECT_EQ(b.size(), 1 + 5 + 65536 * 2 + 1u);
}

TEST(etf_encode, a_list_with_a_non_byte_or_an_improper_tail_is_a_list) {
  EXPECT_EQ(enc(list_of(256)), (bytes{131, 108, 0, 0, 0, 1, 98, 0, 0, 1, 0, 106}));
  EXPECT_EQ(enc(term::list({1}, 2)), (bytes{131, 108, 0, 0, 0, 1, 97, 1, 97, 2}));
  EXPECT_EQ(enc(term()), (bytes{131, 106}));
}

TEST(etf_encode, tuples_above_255_elements_use_large_tuple) {
  EXPECT_EQ(enc(term::tuple({})), (bytes{131, 104, 0}));
  std::vector<term> e(256, term(1));
  bytes b = enc(term::tuple(e));
  EXPECT_EQ(b[1], 105);
  EXPECT_EQ((bytes{b[2], b[3], b[4], b[5]}), (bytes{0, 0, 1, 0}));
}

TEST(etf_encode, binaries_and_bitstrings) {
  EXPECT_EQ(enc(term::binary("ab")), (bytes{131, 109, 0, 0, 0, 2, 'a', 'b'}));
  std::uint8_t b = 0xFF;
  EXPECT_EQ(enc(term::bitstring({&b, 1}, 3)), (bytes{131, 77, 0, 0, 0, 1, 3, 0xE0}));
}

TEST(etf_encode, ports_above_28_bits_use_v4_port) {
  EXPECT_EQ(enc(term(port_id{atom("n@h"), 0x0FFFFFFF, 1}))[1], 89);
  EXPECT_EQ(enc(term(port_id{atom("n@h"), 0x10000000, 1}))[1], 120);
}

TEST(etf_encode, pids_and_references_use_the_new_forms) {
  bytes p = enc(term(pid{atom("n@h"), 1, 2, 3}));
  EXPECT_EQ(p, (bytes{131, 88, 100, 0, 3, 'n', '@', 'h', 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}));
  bytes r = enc(term(reference{atom("n@h"), 3, 1, {9, 0, 0, 0, 0}}));
  EXPECT_EQ(r, (bytes{131, 90, 0, 1, 100, 0, 3, 'n', '@', 'h', 0, 0, 0, 3, 0, 0, 0, 9}));
}

TEST(etf_encode, encoded_size_and_encode_into_agree_with_encode) {
  term t = tuple_of(a("msg"), list_of(1, 2.5, term::binary("x")), term::map({{a("k"), 7}}));
  bytes whole = enc(t);
  EXPECT_EQ(etf::encoded_size(t), whole.size());
  bytes buf(etf::encoded_size(t));
  EXPECT_EQ(etf::encode_into(t, buf.data()), buf.data() + buf.size());
  EXPECT_EQ(buf, whole);
  bytes body(etf::encoded_size(t, {}, false));
  etf::encode_into(t, body.data(), {}, false);
  EXPECT_EQ(body, bytes(whole.begin() + 1, whole.end()));
}

TEST(etf_encode, encode_append_adds_after_what_is_there) {
  bytes out = {1, 2};
  etf::encode_append(term(5), out);
  EXPECT_EQ(out, (bytes{1, 2, 131, 97, 5}));
}

TEST(etf_encode, compression_is_used_only_when_it_makes_the_term_smaller) {
  etf::encode_options c;
  c.compressed = true;
  EXPECT_EQ(enc(a("a"), c), enc(a("a")));
  std::vector<term> many(1000, a("a"));
  bytes b = enc(term::list(many), c);
  EXPECT_EQ(b[1], 80);
  EXPECT_LT(b.size(), enc(term::list(many)).size());
  EXPECT_EQ(etf::decode(b).value(), term::list(many));
}

// ---- decoder: entry points ---------------------------------------------------------------

TEST(etf_decode, decode_prefix_reports_how_many_bytes_the_term_took) {
  bytes two = {131, 97, 1, 131, 100, 0, 1, 'x'};
  auto first = etf::decode_prefix(two);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->consumed, 3u);
  EXPECT_EQ(first->value, term(1));
  auto second = etf::decode_prefix(std::span(two).subspan(first->consumed));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->value, a("x"));
}

TEST(etf_decode, decode_body_starts_after_the_version_byte) {
  bytes body = {104, 2, 97, 1, 106, 97, 9};
  auto r = etf::decode_body(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->consumed, 5u);
  EXPECT_EQ(r->value, tuple_of(1, term()));
}

TEST(etf_decode, decode_body_accepts_a_compressed_term_and_counts_its_compressed_bytes) {
  etf::encode_options c;
  c.compressed = true;
  bytes b = enc(term::list(std::vector<term>(500, a("zzz"))), c);
  ASSERT_EQ(b[1], 80);
  b.push_back(97);
  b.push_back(4);
  auto r = etf::decode_body(std::span(b).subspan(1));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->consumed, b.size() - 3);
}

TEST(etf_decode, whole_input_decode_refuses_trailing_bytes) {
  expect_error({131, 97, 1, 0}, 3, "1 bytes left");
}

TEST(etf_decode, atom_cache_references_resolve_against_the_callers_table) {
  atom cache[] = {atom("first"), atom("second")};
  etf::decode_options o;
  o.atom_cache = cache;
  auto r = etf::decode_body(bytes{104, 2, 82, 1, 82, 0}, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->value, tuple_of(atom("second"), atom("first")));
  expect_error({131, 82, 2}, 1, "outside the atom cache", o);
  expect_error({131, 82, 0}, 1, "outside the atom cache of 0");
}

TEST(etf_decode, binaries_can_share_the_input_buffer) {
  bytes big = enc(tuple_of(term::binary(std::string(100, 'x')), term::binary("tiny")));
  auto buf = std::make_shared<const bytes>(big);
  etf::decode_options o;
  o.shared_buffer = buf;
  auto r = etf::decode(*buf, o);
  ASSERT_TRUE(r.ok());
  const term& t = *r;
  EXPECT_GE(t[0].bytes().data(), buf->data());
  EXPECT_LT(t[0].bytes().data(), buf->data() + buf->size());
  EXPECT_FALSE(t[1].bytes().data() >= buf->data() && t[1].bytes().data() < buf->data() + buf->size());
  EXPECT_EQ(t[0].bytes_as_string(), std::string(100, 'x'));
}

TEST(etf_decode, a_list_tail_written_as_a_list_is_flattened_without_nesting) {
  // 10000 chained one-element LIST_EXTs decode as one flat list, even with depth 8.
  bytes b = {131};
  for (int i = 0; i < 10000; ++i) {
    for (std::uint8_t x : {108, 0, 0, 0, 1, 97, 1}) b.push_back(x);
  }
  b.push_back(106);
  etf::decode_options o;
  o.max_depth = 8;
  auto r = etf::decode(b, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->list_elements().size(), 10000u);
  EXPECT_TRUE(r->is_proper_list());
}

TEST(etf_decode, old_and_latin1_forms_decode) {
  EXPECT_EQ(dec({131, 115, 1, 0xE4}).value(), a("\xC3\xA4"));
  EXPECT_EQ(dec({131, 100, 0, 1, 0xFF}).value(), a("\xC3\xBF"));
  bytes f = {131, 99};
  std::string text = "1.50000000000000000000e+00";
  f.insert(f.end(), text.begin(), text.end());
  f.resize(2 + 31, 0);
  EXPECT_EQ(dec(f).value(), term(1.5));
}

// ---- decoder: totality -----------------------------------------------------------------------

TEST(etf_decode, empty_input_and_a_wrong_version_byte_are_errors) {
  expect_error({}, 0, "empty");
  expect_error({130, 97, 1}, 0, "version byte 131");
}

TEST(etf_decode, every_truncation_of_a_valid_term_is_an_error_not_a_crash) {
  term t = tuple_of(a("ok"), list_of(1, 300, 2.5), term::map({{a("k"), term::binary("v")}}),
                    *term::integer_from_string("123456789012345678901234567890"),
                    term(pid{atom("n@h"), 1, 2, 3}), term(reference{atom("n@h"), 1, 3, {1, 2, 3, 0, 0}}),
                    term::export_fun(atom("m"), atom("f"), 2), term::string("abc"), term::list({1}, 2));
  bytes b = enc(t);
  for (std::size_t n = 0; n < b.size(); ++n) {
    auto r = etf::decode(std::span(b.data(), n));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    if (!r.ok()) {
      EXPECT_LE(r.error().offset, n);
    }
  }
  EXPECT_TRUE(etf::decode(b).ok());
}

TEST(etf_decode, a_length_field_larger_than_the_input_fails_before_allocating) {
  expect_error({131, 105, 0xFF, 0xFF, 0xFF, 0xFF, 97}, 1, "tuple arity 4294967295 exceeds the 1 bytes left");
  expect_error({131, 108, 0xFF, 0xFF, 0xFF, 0xFF, 106}, 1, "list of 4294967295 elements");
  expect_error({131, 116, 0xFF, 0xFF, 0xFF, 0xFF, 97, 1}, 1, "map of 4294967295 pairs");
  expect_error({131, 109, 0xFF, 0xFF, 0xFF, 0xFF, 1}, 1, "binary of 4294967295 bytes");
  expect_error({131, 77, 0xFF, 0xFF, 0xFF, 0xFF, 3, 1}, 1, "bitstring of 4294967295 bytes");
  expect_error({131, 111, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1}, 1, "LARGE_BIG_EXT of 4294967295 bytes");
  expect_error({131, 107, 0xFF, 0xFF, 1}, 1, "STRING_EXT of 65535 bytes");
  expect_error({131, 118, 0xFF, 0xFF, 'a'}, 1, "input ends inside ATOM_UTF8_EXT");
}

TEST(etf_decode, nesting_deeper_than_the_limit_is_an_error) {
  bytes b = {131};
  for (int i = 0; i < 100; ++i) {
    b.push_back(104);
    b.push_back(1);
  }
  b.push_back(106);
  etf::decode_options o;
  o.max_depth = 50;
  expect_error(b, 1 + 50 * 2, "nesting deeper than 50", o);
  o.max_depth = 100;
  EXPECT_TRUE(etf::decode(b, o).ok());
}

TEST(etf_decode, tuples_nested_300000_deep_decode_compare_hash_reencode_and_print) {
  // No depth limit (BEAM has none): every algorithm on terms walks deep ones on the heap.
  bytes b = {131};
  for (int i = 0; i < 300000; ++i) {
    b.push_back(104);
    b.push_back(1);
  }
  b.push_back(106);
  auto r = etf::decode(b);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto again = etf::decode(etf::encode(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(etf::encode(*again), b);
  EXPECT_EQ(etf::encoded_size(*r), b.size());
  EXPECT_TRUE(exact_equal(*r, *again));
  EXPECT_TRUE(equal(*r, *again));
  EXPECT_EQ(compare(*r, *again), 0);
  EXPECT_EQ(r->hash(), again->hash());
  EXPECT_GT(r->heap_size(), 300000u * sizeof(term));
  const std::string text = to_string(*r);
  EXPECT_EQ(text.size(), 600000u + 2);
  EXPECT_EQ(text.substr(299998, 6), "{{[]}}");
}

TEST(etf_decode, invalid_utf8_in_an_atom_is_an_error) {
  expect_error({131, 119, 1, 0xFF}, 1, "not valid UTF-8");
  expect_error({131, 118, 0, 2, 0xC0, 0x80}, 1, "not valid UTF-8");
}

TEST(etf_decode, an_atom_longer_than_255_characters_is_an_error) {
  bytes b = {131, 100, 1, 0};
  b.resize(4 + 256, 'a');
  expect_error(b, 1, "256 characters exceeds 255");
  bytes u = {131, 118, 1, 0};
  u.resize(4 + 256, 'a');
  expect_error(u, 1, "256 characters exceeds 255");
}

TEST(etf_decode, floats_that_are_not_finite_are_errors) {
  expect_error({131, 70, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0}, 1, "not a finite number");
  expect_error({131, 70, 0x7F, 0xF8, 0, 0, 0, 0, 0, 1}, 1, "not a finite number");
  bytes f = {131, 99};
  f.resize(2 + 31, 'x');
  expect_error(f, 1, "FLOAT_EXT text is not a number");
}

TEST(etf_decode, a_map_with_a_duplicate_key_is_an_error) {
  expect_error({131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2}, 14, "duplicate key");
}

TEST(etf_decode, bitstrings_need_1_to_8_bits_in_the_last_byte) {
  expect_error({131, 77, 0, 0, 0, 1, 0, 0xFF}, 1, "BIT_BINARY_EXT with 0 bits");
  expect_error({131, 77, 0, 0, 0, 1, 9, 0xFF}, 1, "BIT_BINARY_EXT with 9 bits");
  expect_error({131, 77, 0, 0, 0, 0, 8}, 1, "BIT_BINARY_EXT with 8 bits");
}

TEST(etf_decode, references_need_1_to_5_words) {
  expect_error({131, 90, 0, 0, 100, 0, 1, 'n', 0, 0, 0, 1}, 1, "0 words");
  expect_error({131, 90, 0, 6, 100, 0, 1, 'n', 0, 0, 0, 1}, 1, "6 words");
}

TEST(etf_decode, tags_that_cannot_be_decoded_are_named) {
  expect_error({131, 121, 0, 0}, 1, "LOCAL_EXT (121)");
  expect_error({131, 117, 0, 0}, 1, "FUN_EXT (117) is obsolete");
  expect_error({131, 1}, 1, "unknown tag 1");
  expect_error({131, 104, 1, 80, 0, 0, 0, 1}, 3, "COMPRESSED (80) is allowed only right after the version byte");
  expect_error({131, 104, 1, 131, 97, 1}, 3, "version byte 131 inside a term");
}

TEST(etf_decode, a_non_atom_where_an_atom_belongs_is_an_error) {
  expect_error({131, 88, 97, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 2, "expected an atom, found tag 97");
  expect_error({131, 113, 100, 0, 1, 'm', 100, 0, 1, 'f', 98, 0, 0, 0, 1}, 10, "arity must be a SMALL_INTEGER_EXT");
}

TEST(etf_decode, a_fun_whose_size_field_lies_is_an_error) {
  fun_value f;
  f.module = atom("m");
  f.free_vars = {term(1)};
  bytes b = enc(term::fun(f));
  ASSERT_EQ(b[1], 112);
  b[5] -= 1;  // Size field low byte
  expect_error(b, 2, "NEW_FUN_EXT size says");
}

// ---- decoder: compressed terms ----------------------------------------------------------------

bytes compressed_with_claim(const bytes& plain_body, std::uint32_t claim) {
  uLongf len = compressBound(plain_body.size());
  bytes z(len);
  compress2(z.data(), &len, plain_body.data(), plain_body.size(), 6);
  z.resize(len);
  bytes b(6 + z.size());
  b[0] = 131;
  b[1] = 80;
  for (int i = 0; i < 4; ++i) b[2 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(claim >> (24 - 8 * i));
  std::memcpy(b.data() + 6, z.data(), z.size());
  return b;
}

TEST(etf_decode, a_compressed_term_that_claims_more_than_it_could_hold_fails_before_allocating) {
  expect_error({131, 80, 0xFF, 0xFF, 0xFF, 0xFF, 0x78, 0x9C, 0, 0}, 2, "over the limit");
  etf::decode_options o;
  o.max_uncompressed_size = std::size_t{1} << 40;
  expect_error({131, 80, 0x7F, 0xFF, 0xFF, 0xFF, 0x78, 0x9C, 0, 0}, 2, "more than 4 compressed bytes can hold", o);
}

TEST(etf_decode, a_compressed_term_that_lies_about_its_size_is_an_error) {
  bytes body = enc(term::list(std::vector<term>(200, a("x"))));
  body.erase(body.begin());
  auto n = static_cast<std::uint32_t>(body.size());
  EXPECT_TRUE(etf::decode(compressed_with_claim(body, n)).ok());
  expect_error(compressed_with_claim(body, n - 1), 2, "larger than");
  auto r = etf::decode(compressed_with_claim(body, n + 1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("holds"), std::string::npos) << r.error().to_string();
}

TEST(etf_decode, corrupt_compressed_data_is_an_error) {
  bytes body = enc(term::list(std::vector<term>(200, a("x"))));
  body.erase(body.begin());
  bytes b = compressed_with_claim(body, static_cast<std::uint32_t>(body.size()));
  b[10] ^= 0x55;
  EXPECT_FALSE(etf::decode(b).ok());
  bytes cut(b.begin(), b.begin() + 12);
  auto r = etf::decode(cut);
  ASSERT_FALSE(r.ok());
}

TEST(etf_decode, an_error_inside_compressed_data_says_so) {
  bytes body = {104, 1, 1};  // unknown tag 1 inside a tuple
  body.resize(64, 106);
  auto r = etf::decode(compressed_with_claim(body, static_cast<std::uint32_t>(body.size())));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 2u);
  EXPECT_NE(r.error().message.find("in compressed data: unknown tag 1"), std::string::npos);
}

TEST(etf_decode, random_garbage_never_crashes) {
  std::uint64_t s = 42;
  auto next = [&s] {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  };
  const std::uint8_t tags[] = {97, 98, 110, 111, 70, 99, 119, 118, 100, 115, 103, 88, 102, 89, 120, 101,
                               114, 90, 104, 105, 116, 106, 107, 108, 109, 77, 112, 113, 80, 82};
  for (int i = 0; i < 20000; ++i) {
    bytes b = {131};
    std::size_t n = next() % 40;
    for (std::size_t j = 0; j < n; ++j) {
      b.push_back(next() % 3 == 0 ? tags[next() % sizeof tags] : static_cast<std::uint8_t>(next() % 8));
    }
    (void)etf::decode(b);
  }
  SUCCEED();
}

TEST(etf_tag, every_tag_has_its_specification_name) {
  EXPECT_EQ(etf::to_string(etf::tag::small_tuple), "SMALL_TUPLE_EXT");
  EXPECT_EQ(etf::to_string(etf::tag::newer_reference), "NEWER_REFERENCE_EXT");
  EXPECT_EQ(etf::to_string(static_cast<etf::tag>(1)), "unknown");
}

}  // namespace
}  // namespace otpp

namespace otpp {
namespace {

TEST(etf_decode, deep_terms_that_differ_deep_inside_compare_in_erlang_order) {
  // [[...[X]...]] 200,000 levels deep, X differing at the bottom (a float, an integer, an atom).
  auto nest = [](term inner) {
    for (int i = 0; i < 200000; ++i) inner = i % 2 ? list_of(inner, 1) : tuple_of(inner);
    return inner;
  };
  const term one = nest(term(1)), one_float = nest(term(1.0)), two = nest(term(2)), atom_a = nest(atom("a"));
  EXPECT_LT(compare(one, two), 0);
  EXPECT_GT(compare(atom_a, two), 0);
  EXPECT_EQ(compare(one, one_float), 0);  // == is numeric
  EXPECT_NE(compare_exact(one, one_float), 0);
  EXPECT_FALSE(exact_equal(one, one_float));
  EXPECT_TRUE(equal(one, one_float));
  EXPECT_NE(one.hash(), two.hash());
  EXPECT_EQ(one.hash(), nest(term(1)).hash());
  const term deep_map = term::map({{one, atom_a}});
  EXPECT_TRUE(exact_equal(etf::decode(etf::encode(deep_map)).value(), deep_map));
}

}  // namespace
}  // namespace otpp
