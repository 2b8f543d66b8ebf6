// io_lib:format in C++: each control sequence as its own rule, then every case of
// io_format_cases.escript compared character for character with what real OTP printed.
#include "otpp/otp/io_format.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"

namespace {

using namespace otpp;

std::string fmt(std::string_view f, std::initializer_list<term> args) {
  auto r = io::format(f, args);
  return r ? r.value() : "<error: " + r.error() + ">";
}

bool fails(std::string_view f, std::initializer_list<term> args) {
  return !io::format(f, args).ok();
}

term a(std::string_view name) { return atom(name); }
term str(std::string_view s) { return term::string(s); }
term bin(std::string_view s) { return term::binary(s); }

term seq(int from, int to) {
  std::vector<term> v;
  for (int i = from; i <= to; ++i) v.emplace_back(i);
  return term::list(std::move(v));
}

TEST(io_format, plain_text_and_newline_and_tilde_pass_through) {
  EXPECT_EQ(fmt("hello~n", {}), "hello\n");
  EXPECT_EQ(fmt("~~", {}), "~");
  EXPECT_EQ(fmt("~5~|", {}), "~~~~~|");
  EXPECT_EQ(fmt("~3n|", {}), "\n\n\n|");
}

TEST(io_format, tilde_i_skips_its_argument) {
  EXPECT_EQ(fmt("~i~w", {a("skipped"), a("shown")}), "shown");
}

TEST(io_format, tilde_w_writes_standard_syntax_and_quotes_atoms_that_need_it) {
  EXPECT_EQ(
      fmt("~w", {list_of(a("maybe"), a("cond"), a("Abc"), a("a@b"), a("a b"), a(""), term())}),
      "[maybe,'cond','Abc',a@b,'a b','',[]]");
  EXPECT_EQ(fmt("~w", {str("abc")}), "[97,98,99]");
  EXPECT_EQ(fmt("~w", {tuple_of(a("ok"), list_of(1, 2))}), "{ok,[1,2]}");
  EXPECT_EQ(fmt("~w", {term::list({a("a")}, a("b"))}), "[a|b]");
  EXPECT_EQ(fmt("~w", {term::map({{a("a"), 1}, {a("b"), str("x")}})}), "#{a => 1,b => [120]}");
}

TEST(io_format, tilde_w_prints_floats_as_the_shortest_round_trip_text) {
  EXPECT_EQ(fmt("~w ~w ~w ~w ~w ~w", {1.0, 0.1, 1.0e10, 100.0, 1000.0, 1.0e-5}),
            "1.0 0.1 1.0e10 100.0 1.0e3 1.0e-5");
  EXPECT_EQ(fmt("~w ~w ~w", {-0.0, 9007199254740992.0, 1234567890123456.0}),
            "-0.0 9.007199254740992e15 1234567890123456.0");
}

TEST(io_format, tilde_p_prints_printable_lists_and_binaries_as_strings) {
  EXPECT_EQ(fmt("~p|~lp", {str("abc"), str("abc")}), "\"abc\"|[97,98,99]");
  EXPECT_EQ(fmt("~p", {bin("ab\n")}), "<<\"ab\\n\">>");
  EXPECT_EQ(fmt("~p", {list_of(1000, 1)}), "[1000,1]");
}

TEST(io_format, tilde_p_breaks_long_terms_over_lines_like_io_lib_pretty) {
  EXPECT_EQ(fmt("~p", {seq(1, 40)}),
            "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n"
            " 29,30,31,32,33,34,35,36,37,38,39,40]");
  term opts = list_of(tuple_of(a("expand_fun"), a("false")), tuple_of(a("echo"), a("true")),
                      tuple_of(a("binary"), a("false")), tuple_of(a("encoding"), a("unicode")));
  EXPECT_EQ(fmt("getopts -> ~p", {opts}),
            "getopts -> [{expand_fun,false},{echo,true},{binary,false},{encoding,unicode}]");
  term big = tuple_of(
      a("DOWN"), a("a_reference_placeholder_that_is_long"), a("process"), a("some_pid_placeholder"),
      tuple_of(a("undef"), list_of(tuple_of(a("nosuch"), a("fn"), list_of(1, 2), term()))));
  EXPECT_EQ(fmt("~p", {big}),
            "{'DOWN',a_reference_placeholder_that_is_long,process,some_pid_placeholder,\n"
            "        {undef,[{nosuch,fn,[1,2],[]}]}}");
}

TEST(io_format, tilde_s_takes_strings_binaries_atoms_and_iolists) {
  EXPECT_EQ(fmt("~s|~s|~s", {list_of(bin("ab"), str("c"), list_of('d')), a("abc"), bin("x")}),
            "abcd|abc|x");
  EXPECT_EQ(fmt("~10s|~-10s|~3s|~.2s", {str("abc"), str("abc"), str("abcdef"), str("abcdef")}),
            "       abc|abc       |abc|ab");
  EXPECT_EQ(fmt("~ts", {bin("x\xc3\xa9")}), "x\xc3\xa9");
  EXPECT_EQ(fmt("~s", {bin("x\xc3\xa9")}), "x\xc3\x83\xc2\xa9");  // bytes as Latin-1 characters
}

TEST(io_format, tilde_s_refuses_characters_above_255_without_t) {
  EXPECT_TRUE(fails("~s", {list_of(0x109)}));
  EXPECT_EQ(fmt("~ts", {list_of(0x109)}), "\xc4\x89");
}

TEST(io_format, tilde_c_repeats_by_precision_or_width) {
  EXPECT_EQ(fmt("~c~5c~.3c~5.2c~-5.2c|", {'a', 'x', 'y', 'z', 'w'}), "axxxxxyyy   zzww   |");
  EXPECT_EQ(fmt("~c", {256 + 'b'}), "b");
}

TEST(io_format, integer_controls_print_in_any_base_with_prefixes) {
  EXPECT_EQ(fmt("~b ~B ~.16b ~.16B ~.2B ~8B ~-8B|", {255, 255, 255, 255, 5, -42, 42}),
            "255 255 ff FF 101      -42 42      |");
  EXPECT_EQ(fmt("~.16x ~.16X ~.16# ~.16+", {255, str("0x"), 255, str("0x"), 255, 255}),
            "0xff 0xFF 16#FF 16#ff");
  EXPECT_EQ(fmt("~3b", {123456}), "***");
}

TEST(io_format, float_controls_round_like_io_lib_format) {
  EXPECT_EQ(fmt("~e ~f ~g", {1.0, 1.0, 1.0}), "1.00000e+0 1.000000 1.00000");
  EXPECT_EQ(fmt("~.3e ~.3f ~.3g", {3.14159, 3.14159, 3.14159}), "3.14e+0 3.142 3.14");
  EXPECT_EQ(fmt("~g ~g ~g", {0.1, 0.01, 10000.0}), "0.100000 1.00000e-2 1.00000e+4");
  EXPECT_EQ(fmt("~10.2f|~-10.2f|", {3.14159, 3.14159}), "      3.14|3.14      |");
}

TEST(io_format, a_bad_format_or_argument_is_an_error_value_not_a_crash) {
  EXPECT_TRUE(fails("~d", {a("a")}));
  EXPECT_TRUE(fails("~", {}));
  EXPECT_TRUE(fails("~w", {}));
  EXPECT_TRUE(fails("~w", {a("a"), a("b")}));
  EXPECT_TRUE(fails("~e", {1}));
  EXPECT_TRUE(fails("~b", {a("a")}));
  EXPECT_TRUE(fails("~.37b", {1}));
  EXPECT_TRUE(fails("~-5p", {a("a")}));
  EXPECT_TRUE(fails("~s", {tuple_of(a("a"))}));
  EXPECT_FALSE(io::format_chars(term::string("~p"), a("not_a_list")).ok());
}

TEST(io_format, chardata_accepts_deep_lists_binaries_and_binary_tails) {
  term data = term::list({str("ab"), bin("c"), list_of(0x109)}, bin("d"));
  EXPECT_EQ(io::characters_to_utf8(data, io::encoding::unicode).value_or("?"),
            "abc\xc4\x89"
            "d");
  EXPECT_FALSE(io::characters_to_utf8(data, io::encoding::latin1).has_value());
  EXPECT_FALSE(io::characters_to_utf8(list_of(a("foo")), io::encoding::unicode).has_value());
  EXPECT_FALSE(io::characters_to_utf8(bin("\xff"), io::encoding::unicode).has_value());
  EXPECT_EQ(io::characters_to_utf8(bin("\xff"), io::encoding::latin1).value_or("?"), "\xc3\xbf");
}

// ---- against real OTP -------------------------------------------------------------------------

std::string show(const io::chars& c) { return io::to_utf8(c); }

TEST(io_format, every_case_of_the_erlang_script_matches_real_io_lib_format) {
  if (std::system("command -v escript >/dev/null 2>&1") != 0) GTEST_SKIP() << "no escript";
  std::string out =
      testing::TempDir() + "otpp_io_format_cases_" + std::to_string(::getpid()) + ".bin";
  std::string cmd = std::string("timeout 120 escript ") + OTPP_SOURCE_DIR +
                    "/tests/otp/io_format_cases.escript " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  std::remove(out.c_str());
  auto decoded = etf::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  ASSERT_TRUE(decoded->is_list());
  int checked = 0;
  for (const term& c : decoded->list_elements()) {
    const term& f = c[0];
    const term& args = c[1];
    const term& expected = c[2];
    auto got = io::format_chars(f, args);
    std::string label = "format " + to_string(f) + " args " + to_string(args);
    if (expected.is_atom(atoms::error)) {
      EXPECT_FALSE(got.ok()) << label << " gave " << (got ? show(got.value()) : "");
    } else {
      auto want = io::characters_to_list(expected, io::encoding::unicode);
      ASSERT_TRUE(want.has_value()) << label;
      ASSERT_TRUE(got.ok()) << label << ": " << got.error();
      EXPECT_EQ(show(got.value()), show(*want)) << label;
    }
    ++checked;
  }
  EXPECT_GT(checked, 400);
}

}  // namespace
