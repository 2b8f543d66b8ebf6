// The Erlang parser: a few rules spelled out, then every case of erl_parse_cases.txt compared
// with what real erl_scan:string/1 + erl_parse:parse_exprs/1 give (one escript run per suite).
#include "otpp/code/erl_parse.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"
#include "otpp/term/parse.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;

term lit(std::string_view text) {
  auto r = parse_term(text);
  EXPECT_TRUE(r.ok()) << r.error.describe(text);
  return r.ok() ? *r.value : term();
}

TEST(erl_parse, operators_follow_erlangs_precedence_and_associativity) {
  EXPECT_EQ(*code::parse_exprs("1 + 2 * 3.").value,
            lit("[{op,1,'+',{integer,1,1},{op,1,'*',{integer,1,2},{integer,1,3}}}]"));
  EXPECT_EQ(*code::parse_exprs("A = B = c.").value,
            lit("[{match,1,{var,1,'A'},{match,1,{var,1,'B'},{atom,1,c}}}]"));
  EXPECT_EQ(*code::parse_exprs("a ++ b ++ c.").value,
            lit("[{op,1,'++',{atom,1,a},{op,1,'++',{atom,1,b},{atom,1,c}}}]"));
}

TEST(erl_parse, annotations_are_the_line_numbers_erl_scan_gives) {
  EXPECT_EQ(*code::parse_exprs("a\n+\nb.").value, lit("[{op,2,'+',{atom,1,a},{atom,3,b}}]"));
}

TEST(erl_parse, a_syntax_error_names_the_token_line_and_column_as_erl_parse_does) {
  auto r = code::parse_exprs("X = 1,\nf(.");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.line, 2u);
  EXPECT_EQ(r.error.module, "erl_parse");
  EXPECT_EQ(r.error.message, "syntax error before: '.'");
  EXPECT_EQ(r.error.column, 3u);
  EXPECT_EQ(r.error.describe(), "2:3: syntax error before: '.'");
}

TEST(erl_parse, text_without_a_final_dot_is_an_error) {
  EXPECT_FALSE(code::parse_exprs("1 + 2").ok());
  EXPECT_FALSE(code::parse_exprs("").ok());
}

TEST(erl_parse, deep_nesting_is_an_error_not_a_stack_overflow) {
  std::string deep(20000, '[');
  auto r = code::parse_exprs(deep + "].");
  EXPECT_FALSE(r.ok());
  std::string parens(20000, '(');
  EXPECT_FALSE(code::parse_exprs(parens + "1.").ok());
  std::string minus(20000, '-');
  EXPECT_FALSE(code::parse_exprs(minus + "1.").ok());
}

TEST(erl_parse, a_function_definition_reads_as_a_function_form) {
  auto r = code::parse_form("f(0) -> 1;\nf(N) -> N * f(N - 1).");
  ASSERT_TRUE(r.ok()) << r.error.describe();
  EXPECT_EQ(*r.value,
            lit("{function,1,f,1,[{clause,1,[{integer,1,0}],[],[{integer,1,1}]},"
                "{clause,2,[{var,2,'N'}],[],[{op,2,'*',{var,2,'N'},{call,2,{atom,2,f},"
                "[{op,2,'-',{var,2,'N'},{integer,2,1}}]}}]}]}"));
  auto bad = code::parse_form("f(0) -> 1; g(N) -> 2.");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error.message, "head mismatch");
}

TEST(erl_parse, the_first_form_ends_after_its_dot_and_one_white_space_character) {
  auto f = code::find_first_form("X = \"a.b\", X.\n Y.\n");
  ASSERT_TRUE(f.complete);
  EXPECT_EQ(f.end, 14u);
  // A dot at the very end may be followed by more (erl_scan:tokens asks for more), as may an
  // open string; a bad token before the dot is an error.
  EXPECT_FALSE(code::find_first_form("1.").complete);
  EXPECT_FALSE(code::find_first_form("\"open.\n").complete);
  EXPECT_FALSE(code::find_first_form("1 + 2").complete);
  auto bad = code::find_first_form("1.5e + 1.\n");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->message, "illegal float");
}

TEST(erl_parse, every_case_matches_real_erl_scan_and_erl_parse) {
  if (std::system("command -v escript >/dev/null 2>&1") != 0) GTEST_SKIP() << "no escript";
  std::string out = testing::TempDir() + "otpp_erl_parse_cases_" + std::to_string(::getpid()) + ".bin";
  std::string cmd = std::string("timeout 120 escript ") + OTPP_SOURCE_DIR +
                    "/tests/code/erl_parse_cases.escript " + OTPP_SOURCE_DIR +
                    "/tests/code/erl_parse_cases.txt " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(out.c_str());
  auto decoded = etf::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  int oks = 0;
  int errors = 0;
  for (const term& c : decoded->list_elements()) {
    std::string text(c[0].bytes_as_string());
    const term& want = c[1];
    auto got = code::parse_exprs(text);
    if (want.is_tagged_tuple(atoms::ok, 2)) {
      ASSERT_TRUE(got.ok()) << text << "\n  gave " << got.error.describe();
      EXPECT_EQ(*got.value, want[1]) << text << "\n  want " << to_string(want[1]) << "\n  got  "
                                     << to_string(*got.value);
      ++oks;
    } else {
      ASSERT_FALSE(got.ok()) << text << "\n  gave " << to_string(*got.value);
      EXPECT_EQ(got.error.line, static_cast<std::size_t>(*want[1].to_int64())) << text;
      EXPECT_EQ(got.error.module, want[2].atom_value().name()) << text;
      EXPECT_EQ(got.error.message, want[3].bytes_as_string()) << text;
      ++errors;
    }
  }
  EXPECT_GT(oks, 150);
  EXPECT_GT(errors, 40);
}

}  // namespace
