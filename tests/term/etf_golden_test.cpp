// Golden vectors written by a real erl (golden/make_golden.escript): otpp decodes each one,
// re-encodes it byte for byte as term_to_binary does, and decodes to the term built in C++.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"
#include "otpp/term/term.hpp"

namespace otpp {
namespace {

struct vector_row {
  std::string name;
  std::string mode;
  std::string literal;
  std::vector<std::uint8_t> input;
  std::vector<std::uint8_t> reencoded;
};

// gtest prints a parameter on failure; the name is all a reader needs.
void PrintTo(const vector_row& v, std::ostream* os) { *os << v.name; }

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<vector_row> load_vectors() {
  std::ifstream in(std::string(OTPP_SOURCE_DIR) + "/tests/term/golden/vectors.txt");
  std::vector<vector_row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() != 5) continue;
    rows.push_back({cols[0], cols[1], cols[2], from_hex(cols[3]), from_hex(cols[4])});
  }
  return rows;
}

const std::vector<vector_row>& vectors() {
  static const std::vector<vector_row> rows = load_vectors();
  return rows;
}

term big(const char* text) { return *term::integer_from_string(text); }
term a(const char* text) { return term(atom(text)); }
atom node_atom(const char* text) { return atom(text); }

// What some vectors must decode to, built in C++ without the codec.
std::map<std::string, term> expected_terms() {
  std::map<std::string, term> m;
  m["int_0"] = 0;
  m["int_255"] = 255;
  m["int_256"] = 256;
  m["int_minus_1"] = -1;
  m["int_2_27"] = 1 << 27;
  m["int_minus_2_27_minus_1"] = -(1 << 27) - 1;
  m["int_2_31_minus_1"] = 2147483647;
  m["int_2_31"] = 2147483648LL;
  m["int_minus_2_31"] = -2147483648LL;
  m["int_minus_2_31_minus_1"] = -2147483649LL;
  m["int_2_63_minus_1"] = 9223372036854775807LL;
  m["int_2_63"] = term(9223372036854775808ULL);
  m["int_minus_2_63"] = static_cast<long long>(-9223372036854775807LL - 1);
  m["int_minus_2_63_minus_1"] = big("-9223372036854775809");
  m["int_2_64_minus_1"] = term(18446744073709551615ULL);
  m["int_2_64"] = big("18446744073709551616");
  m["int_minus_2_64"] = big("-18446744073709551616");
  m["int_10_300"] = big(("1" + std::string(300, '0')).c_str());
  m["float_0"] = 0.0;
  m["float_minus_0"] = -0.0;
  m["float_1_5"] = 1.5;
  m["float_denormal"] = 5e-324;
  m["float_max"] = 1.7976931348623157e308;
  m["atom_empty"] = term(atoms::empty);
  m["atom_a"] = a("a");
  m["atom_space"] = a("hello world");
  m["atom_latin1_a_umlaut"] = a("\xC3\xA4");
  m["atom_latin1_mixed"] = a("caf\xC3\xA9\xC3\xBF");
  m["atom_unicode_a_macron"] = a("\xC4\x80");
  m["atom_unicode_cjk"] = a("\xE6\x97\xA5\xE6\x9C\xAC");
  m["atom_unicode_emoji"] = a("\xF0\x9F\x98\x80");
  m["atom_long_latin1"] = a(std::string(255, 'x').c_str());
  m["tuple_empty"] = term::tuple({});
  m["tuple_1"] = tuple_of(atom("a"));
  m["tuple_3"] = tuple_of(1, 2, 3);
  m["tuple_nested_empty"] = tuple_of(term::tuple({term::tuple({})}), term(), term::map({}), term::binary(""));
  m["tuple_ok_list"] = tuple_of(atoms::ok, list_of(1, 2.5, term::binary("a"), term::map({{a("a"), 1}})));
  m["list_nil"] = term();
  m["list_bytes"] = list_of(1, 2, 3);
  m["list_string"] = term::string("hello");
  m["list_256"] = list_of(256);
  m["list_unicode_string"] = term::string("\xD0\x9A\xD0\xB8\xD1\x80");
  m["list_improper_atom"] = term::list({a("a")}, a("b"));
  m["list_improper_int"] = term::list({1}, 2);
  m["list_improper_bytes"] = term::list({1, 2}, 3);
  m["list_improper_binary"] = term::list({a("a")}, term::binary("t"));
  m["list_nested_empty"] = list_of(term());
  m["list_of_strings"] = list_of(term::string("ab"), term::string(""), term::string("c"));
  m["map_empty"] = term::map({});
  m["map_1"] = term::map({{a("a"), 1}});
  m["map_int_float_keys"] = term::map({{1, a("a")}, {1.0, a("b")}});
  m["map_int_before_float"] = term::map({{2, a("a")}, {1.0, a("b")}, {0.5, a("c")}, {-1, a("d")}});
  m["map_nested"] = term::map({{a("a"), term::map({{a("b"), term::map({{a("c"), term()}})}})}});
  m["binary_empty"] = term::binary("");
  m["binary_3"] = term::binary("\x01\x02\x03");
  m["binary_text"] = term::binary("hello");
  std::uint8_t one_bit = 0x80;
  m["bits_1"] = term::bitstring({&one_bit, 1}, 1);
  std::uint8_t b11[] = {1, 2, 3 << 5};
  m["bits_11"] = term::bitstring(b11, 3);
  std::uint8_t b7 = 127 << 1;
  m["bits_7"] = term::bitstring({&b7, 1}, 7);
  m["pid_remote"] = pid{node_atom("kate@localhost"), 77, 3, 1700000000};
  m["pid_big_numbers"] = pid{node_atom("n@h"), 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
  m["port_remote"] = port_id{node_atom("kate@localhost"), 9, 4};
  m["port_v4"] = port_id{node_atom("kate@localhost"), std::uint64_t{1} << 40, 4};
  m["ref_remote"] = reference{node_atom("kate@localhost"), 2, 3, {1, 2, 3, 0, 0}};
  m["ref_1_word"] = reference{node_atom("n@h"), 1, 1, {7, 0, 0, 0, 0}};
  m["ref_5_words"] = reference{node_atom("n@h"), 1, 5, {1, 2, 3, 4, 5}};
  m["fun_export"] = term::export_fun(atom("lists"), atom("map"), 2);
  m["fun_export_operator"] = term::export_fun(atom("erlang"), atom("+"), 2);
  m["decode_float_ext"] = 1.5;
  m["decode_float_ext_negative"] = -123.456e-10;
  m["decode_small_atom_ext"] = a("abc");
  m["decode_small_atom_ext_latin1"] = a("\xC3\xA4\xC3\xBF");
  m["decode_atom_ext_latin1"] = a("caf\xC3\xA9");
  m["decode_pid_ext"] = pid{node_atom("kate@localhost"), 12, 5, 2};
  m["decode_port_ext"] = port_id{node_atom("kate@localhost"), 7, 3};
  m["decode_reference_ext"] = reference{node_atom("kate@localhost"), 1, 1, {99, 0, 0, 0, 0}};
  m["decode_new_reference_ext"] = reference{node_atom("kate@localhost"), 2, 3, {1, 2, 3, 0, 0}};
  m["decode_integer_ext_small_value"] = 5;
  m["decode_small_big_small_value"] = 1;  // little-endian digits 1, 0
  m["decode_small_big_zero_digits"] = 0;
  m["decode_small_big_negative_sign_2"] = -5;
  m["decode_large_big_small_value"] = 200;
  m["decode_list_nested_tail"] = list_of(1, 2);
  m["decode_list_string_tail"] = list_of(atom("a"), 1, 2);
  m["decode_list_zero_elements"] = 1;
  m["decode_bit_binary_full_byte"] = term::binary("\xFF");
  m["decode_bit_binary_empty"] = term::binary("");
  std::uint8_t masked = 0xE0;
  m["decode_bit_binary_unmasked"] = term::bitstring({&masked, 1}, 3);
  m["decode_map_unsorted"] = term::map({{a("a"), 1}, {a("b"), 2}});
  return m;
}

class golden : public ::testing::TestWithParam<vector_row> {};

TEST_P(golden, decodes_and_reencodes_as_erl_does) {
  const vector_row& v = GetParam();
  SCOPED_TRACE(v.name + " " + v.literal.substr(0, 200));
  auto decoded = etf::decode(v.input);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();

  etf::encode_options opts;
  if (v.mode == "compressed") opts.compressed = true;
  if (v.mode == "minor2") opts.minor_version = 2;
  auto ours = etf::encode(*decoded, opts);
  if (v.mode == "unordered") {
    // OTP writes maps above 32 keys in its hash order; same size, same term.
    EXPECT_EQ(ours.size(), v.input.size());
  } else {
    EXPECT_EQ(ours, v.reencoded) << "otpp's encoding differs from term_to_binary";
  }
  auto again = etf::decode(ours);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE(exact_equal(*again, *decoded));
  EXPECT_EQ(again->hash(), decoded->hash());

  if (v.mode != "compressed") {
    std::vector<std::uint8_t> buf(etf::encoded_size(*decoded, opts));
    auto* end = etf::encode_into(*decoded, buf.data(), opts);
    EXPECT_EQ(static_cast<std::size_t>(end - buf.data()), buf.size());
    if (v.mode != "unordered") {
      EXPECT_EQ(buf, v.reencoded);
    }
  }

  static const std::map<std::string, term> expected = expected_terms();
  if (auto it = expected.find(v.name); it != expected.end()) {
    EXPECT_TRUE(exact_equal(*decoded, it->second)) << "decoded term differs from the one built in C++";
  }
}

INSTANTIATE_TEST_SUITE_P(erl_vectors, golden, ::testing::ValuesIn(vectors()),
                         [](const ::testing::TestParamInfo<vector_row>& info) { return info.param.name; });

TEST(golden_file, covers_every_tag_otp_writes_and_the_old_forms_it_reads) {
  std::set<int> top_level_tags;
  for (const auto& v : vectors()) {
    if (v.input.size() > 1) top_level_tags.insert(v.input[1]);
  }
  const int every_tag[] = {80, 97, 98, 110, 111, 70, 99, 119, 118, 100, 115, 103, 88, 102, 89,
                           120, 101, 114, 90, 104, 105, 116, 106, 107, 108, 109, 77, 112, 113};
  for (int t : every_tag) {
    EXPECT_TRUE(top_level_tags.count(t)) << "no vector starts with tag " << t << " ("
                                         << etf::to_string(static_cast<etf::tag>(t)) << ")";
  }
  EXPECT_GE(vectors().size(), 150u);
}

}  // namespace
}  // namespace otpp
