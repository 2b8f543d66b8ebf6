// The literal parser: reads back what real erl and elixir print (the golden file), what otpp
// prints for random terms, and every literal form of both languages; errors carry positions.
#include "otpp/term/parse.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"

namespace otpp {
namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

/// Node 0 is the local node of a non-distributed erl, as in the golden file.
parse_options with_local_node(syntax s) {
  parse_options o(s);
  o.resolve_node = [](std::uint32_t n) -> std::optional<node_identity> {
    if (n == 0) return node_identity{atoms::nonode_nohost, 0};
    return std::nullopt;
  };
  return o;
}

term must_parse(std::string_view text, const parse_options& o) {
  auto r = parse_term(text, o);
  EXPECT_TRUE(r.ok()) << "parsing " << text << ": " << r.error.describe(text);
  return r.ok() ? *r.value : term(atom("parse_failed"));
}

term erl(std::string_view text) { return must_parse(text, syntax::erlang); }
term ex(std::string_view text) { return must_parse(text, syntax::elixir); }

parse_error error_of(std::string_view text, const parse_options& o) {
  auto r = parse_term(text, o);
  EXPECT_FALSE(r.ok()) << "expected an error for " << text << ", got " << to_string(*r.value);
  return r.error;
}

TEST(parse, reads_back_everything_erl_and_elixir_printed_in_the_golden_file) {
  std::ifstream in(std::string(OTPP_SOURCE_DIR) + "/tests/term/golden/print_golden.tsv");
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) f.push_back(field);
    ASSERT_EQ(f.size(), 5u);
    auto expected = etf::decode(from_hex(f[4]));
    ASSERT_TRUE(expected) << f[0];
    for (int column = 1; column <= 3; ++column) {
      const auto o = with_local_node(column == 3 ? syntax::elixir : syntax::erlang);
      auto r = parse_term(f[column], o);
      ASSERT_TRUE(r.ok()) << f[column] << ": " << r.error.describe(f[column]);
      EXPECT_TRUE(exact_equal(*r.value, *expected))
          << "source " << f[0] << ", column " << column << ": " << f[column] << " read as "
          << to_string(*r.value);
    }
    ++rows;
  }
  EXPECT_GT(rows, 250);
}

// ---- random round trip ----------------------------------------------------------------------

class random_terms {
 public:
  explicit random_terms(std::uint32_t seed) : rng_(seed) {}

  term any(int depth) {
    const int pick = depth <= 0 ? static_cast<int>(below(7)) : static_cast<int>(below(13));
    switch (pick) {
      case 0:
        return small_integer();
      case 1:
        return big_integer();
      case 2:
        return floating();
      case 3:
        return an_atom();
      case 4:
        return binary();
      case 5:
        return text_list();
      case 6:
        return process_like();
      case 7:
        return tuple(depth);
      case 8:
        return list(depth);
      case 9:
        return map(depth);
      case 10:
        return keyword_list(depth);
      case 11:
        return bitstring();
      default:
        return term::export_fun(an_atom().atom_value(), an_atom().atom_value(),
                                static_cast<std::uint32_t>(below(256)));
    }
  }

 private:
  std::uint64_t below(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
  }

  term small_integer() {
    static const std::int64_t corners[] = {
        0, 1, -1, 255, 256, 134217727, -134217728, 2147483647, -2147483648LL, INT64_MAX, INT64_MIN};
    if (below(2) == 0) return term(static_cast<long long>(corners[below(std::size(corners))]));
    return term(static_cast<long long>(static_cast<std::int64_t>(rng_())));
  }
  term big_integer() {
    std::string digits = below(2) ? "-" : "";
    digits += std::to_string(1 + below(9));
    for (std::uint64_t i = 0, n = below(60); i < n; ++i) digits += std::to_string(below(10));
    return *term::integer_from_string(digits);
  }
  term floating() {
    double d = 0;
    do {
      const std::uint64_t bits = rng_();
      std::memcpy(&d, &bits, sizeof d);
    } while (!std::isfinite(d));
    if (below(3) == 0) d = std::round(d * 1e-300 * 1e300);  // some integral values too
    if (below(4) == 0) d = static_cast<double>(static_cast<std::int64_t>(below(100000))) / 8.0;
    return term(d);
  }
  term an_atom() {
    static const char* names[] = {"ok",
                                  "",
                                  "Elixir.Kate",
                                  "Elixir.Foo.Bar",
                                  "kate@localhost",
                                  "hello world",
                                  "end",
                                  "nil",
                                  "true",
                                  "false",
                                  "A",
                                  "_",
                                  "a'b",
                                  "a\"b",
                                  "a\\b",
                                  "a#{b}",
                                  "héllo",
                                  "кот",
                                  "日本",
                                  "+",
                                  "::",
                                  "->",
                                  "%{}",
                                  "..//",
                                  "\\\\",
                                  "foo?",
                                  "foo!",
                                  "a\nb",
                                  "\x01",
                                  "\x7f",
                                  "Elixir",
                                  "Elixir.",
                                  "sup?",
                                  "$gen_call",
                                  "'",
                                  "\"",
                                  "@",
                                  "&"};
    return atom(names[below(std::size(names))]);
  }
  term binary() {
    std::string bytes;
    const auto n = below(12);
    const bool text = below(2) == 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      bytes += text ? static_cast<char>(32 + below(95)) : static_cast<char>(below(256));
    }
    if (below(4) == 0) bytes += "é\n\"#{";
    return term::binary(bytes);
  }
  term bitstring() {
    std::vector<std::uint8_t> bytes(1 + below(4));
    for (auto& b : bytes) b = static_cast<std::uint8_t>(below(256));
    return term::bitstring(bytes, static_cast<unsigned>(1 + below(7)));
  }
  term text_list() {
    std::vector<term> chars;
    for (std::uint64_t i = 0, n = below(8); i < n; ++i) {
      static const int specials[] = {'\n', '\t', 27,  7,   127, 0,   '\'',
                                     '"',  '\\', '#', '{', 233, 1050};
      chars.emplace_back(below(3) == 0 ? specials[below(std::size(specials))]
                                       : static_cast<int>(32 + below(95)));
    }
    return term::list(std::move(chars));
  }
  term process_like() {
    switch (below(3)) {
      case 0:
        return term(pid{atoms::nonode_nohost, static_cast<std::uint32_t>(rng_()),
                        static_cast<std::uint32_t>(rng_()), 0});
      case 1:
        return term(port_id{atoms::nonode_nohost, rng_(), 0});
      default: {
        reference r;
        r.node = atoms::nonode_nohost;
        r.length = static_cast<std::uint8_t>(1 + below(5));
        for (std::size_t i = 0; i < r.length; ++i) r.words[i] = static_cast<std::uint32_t>(rng_());
        return term(r);
      }
    }
  }
  term tuple(int depth) {
    std::vector<term> items;
    for (std::uint64_t i = 0, n = below(4); i < n; ++i) items.push_back(any(depth - 1));
    return term::tuple(std::move(items));
  }
  term list(int depth) {
    std::vector<term> items;
    for (std::uint64_t i = 0, n = below(4); i < n; ++i) items.push_back(any(depth - 1));
    const bool improper = !items.empty() && below(3) == 0;
    return term::list(std::move(items), improper ? any(0) : term());
  }
  term map(int depth) {
    std::vector<std::pair<term, term>> entries;
    for (std::uint64_t i = 0, n = below(5); i < n; ++i) {
      entries.emplace_back(below(2) ? an_atom() : any(depth - 1), any(depth - 1));
    }
    return term::map(std::move(entries));
  }
  term keyword_list(int depth) {
    std::vector<term> items;
    for (std::uint64_t i = 0, n = 1 + below(3); i < n; ++i)
      items.push_back(tuple_of(an_atom(), any(depth - 1)));
    return term::list(std::move(items));
  }

  std::mt19937_64 rng_;
};

TEST(parse, reads_back_every_random_term_in_each_print_form) {
  random_terms gen(20240611);
  print_options plain(syntax::erlang);
  plain.strings = false;
  const print_options forms[] = {plain, print_options(syntax::erlang),
                                 print_options(syntax::elixir)};
  for (int i = 0; i < 3000; ++i) {
    const term t = gen.any(4);
    for (const auto& form : forms) {
      const std::string text = to_string(t, form);
      auto r = parse_term(text, with_local_node(form.syntax));
      ASSERT_TRUE(r.ok()) << text << ": " << r.error.describe(text);
      ASSERT_TRUE(exact_equal(*r.value, t))
          << text << " read back as " << to_string(*r.value, form);
    }
  }
}

TEST(parse, negative_zero_survives_the_round_trip) {
  const term t = erl("-0.0");
  ASSERT_TRUE(t.is_float());
  EXPECT_TRUE(std::signbit(t.float_value()));
  EXPECT_TRUE(std::signbit(ex("-0.0").float_value()));
}

// ---- Erlang literal forms ---------------------------------------------------------------------

TEST(parse, erlang_integers_in_every_notation) {
  EXPECT_EQ(erl("42"), term(42));
  EXPECT_EQ(erl("-42"), term(-42));
  EXPECT_EQ(erl("16#ff"), term(255));
  EXPECT_EQ(erl("16#FF"), term(255));
  EXPECT_EQ(erl("-2#101"), term(-5));
  EXPECT_EQ(erl("36#z"), term(35));
  EXPECT_EQ(erl("1_000_000"), term(1000000));
  EXPECT_EQ(erl("$a"), term(97));
  EXPECT_EQ(erl("$\\n"), term(10));
  EXPECT_EQ(erl("$\\x{41}"), term(65));
  EXPECT_EQ(erl("$\\101"), term(65));
  EXPECT_EQ(erl("$\\^A"), term(1));
  EXPECT_EQ(erl("$é"), term(233));
  EXPECT_EQ(erl("123456789012345678901234567890").integer_to_string(),
            "123456789012345678901234567890");
  EXPECT_EQ(erl("-18446744073709551616").integer_to_string(), "-18446744073709551616");
}

TEST(parse, erlang_floats_read_exactly) {
  EXPECT_EQ(erl("2.5"), term(2.5));
  EXPECT_EQ(erl("1.0e20"), term(1.0e20));
  EXPECT_EQ(erl("1.0E-5"), term(1.0e-5));
  EXPECT_EQ(erl("0.30000000000000004"), term(0.1 + 0.2));
  EXPECT_EQ(erl("5.0e-324"), term(5.0e-324));
  EXPECT_EQ(erl("1.7976931348623157e308"), term(1.7976931348623157e308));
}

TEST(parse, erlang_atoms_bare_and_quoted) {
  EXPECT_EQ(erl("ok"), term(atoms::ok));
  EXPECT_EQ(erl("kate@localhost"), term(atom("kate@localhost")));
  EXPECT_EQ(erl("'Elixir.Kate'"), term(atom("Elixir.Kate")));
  EXPECT_EQ(erl("'hello world'"), term(atom("hello world")));
  EXPECT_EQ(erl("'a\\'b\\n'"), term(atom("a'b\n")));
  EXPECT_EQ(erl("héllo"), term(atom("héllo")));
  EXPECT_EQ(erl("'кот'"), term(atom("кот")));
  EXPECT_EQ(erl("''"), term(atom("")));
}

TEST(parse, erlang_strings_are_lists_and_adjacent_strings_join) {
  EXPECT_EQ(erl("\"abc\""), term::string("abc"));
  EXPECT_EQ(erl("\"ab\" \"c\""), term::string("abc"));
  EXPECT_EQ(erl("\"кот\""), term::string("кот"));
  EXPECT_EQ(erl("\"\""), term());
  EXPECT_EQ(erl("\"\\e\\d\\s\""), list_of(27, 127, 32));
}

TEST(parse, erlang_containers) {
  EXPECT_EQ(
      erl("{ok,[1,2.5,<<\"a\">>,#{a => 1}]}"),
      tuple_of(atoms::ok, list_of(1, 2.5, term::binary("a"), term::map({{atom("a"), term(1)}}))));
  EXPECT_EQ(erl("[1|2]"), term::list({term(1)}, term(2)));
  EXPECT_EQ(erl("[1,2|[3]]"), list_of(1, 2, 3));
  EXPECT_EQ(erl("{}"), term::tuple({}));
  EXPECT_EQ(erl("#{}"), term::map({}));
  EXPECT_EQ(erl("# { 1 => 2 }"), term::map({{term(1), term(2)}}));
  EXPECT_EQ(erl("[ ]"), term());
}

TEST(parse, erlang_binary_segments) {
  const std::uint8_t e_utf8[] = {0xC3, 0xA9};
  EXPECT_EQ(erl("<<\"é\"/utf8>>"), term::binary(e_utf8));
  EXPECT_EQ(erl("<<\"é\">>"), term::binary(std::string_view("\xE9")));
  EXPECT_EQ(erl("<<1,2,3>>"), term::binary(std::string_view("\x01\x02\x03")));
  const std::uint8_t bits[] = {0xFF, 0x10};
  EXPECT_EQ(erl("<<255,1:4>>"), term::bitstring(bits, 4));
  EXPECT_EQ(erl("<<1:16/little>>"), term::binary(std::string_view("\x01\x00", 2)));
  EXPECT_EQ(erl("<<1:16>>"), term::binary(std::string_view("\x00\x01", 2)));
  EXPECT_EQ(erl("<<-1>>"), term::binary(std::string_view("\xFF")));
  EXPECT_EQ(erl("<<1.5/float>>"), term::binary(std::string_view("\x3F\xF8\0\0\0\0\0\0", 8)));
  EXPECT_EQ(erl("<<(<<1,2>>)/binary,3>>"), term::binary(std::string_view("\x01\x02\x03")));
  EXPECT_EQ(erl("<<\"a\"/utf16>>"), term::binary(std::string_view("\x00\x61", 2)));
  EXPECT_EQ(erl("<<16#1F600/utf8>>"), term::binary(std::string_view("\xF0\x9F\x98\x80")));
  EXPECT_EQ(erl("<<0:1>>"), term::bitstring(std::vector<std::uint8_t>{0}, 1));
}

TEST(parse, erlang_export_funs) {
  EXPECT_EQ(erl("fun lists:map/2"), term::export_fun(atom("lists"), atom("map"), 2));
  EXPECT_EQ(erl("fun 'Elixir.Kate':say_name/0"),
            term::export_fun(atom("Elixir.Kate"), atom("say_name"), 0));
}

TEST(parse, erlang_comments_and_the_final_dot) {
  EXPECT_EQ(erl("% a comment\n{ok, % inside\n 1}.\n"), tuple_of(atoms::ok, 1));
  parse_options dot(syntax::erlang);
  dot.require_dot = true;
  EXPECT_EQ(must_parse("ok.", dot), term(atoms::ok));
  EXPECT_EQ(error_of("ok", dot).message, "expected '.' after the term");
}

// ---- Elixir literal forms ---------------------------------------------------------------------

TEST(parse, elixir_atoms_aliases_and_specials) {
  EXPECT_EQ(ex(":ok"), term(atoms::ok));
  EXPECT_EQ(ex(":\"kate@localhost\""), term(atom("kate@localhost")));
  EXPECT_EQ(ex(":kate@localhost"), term(atom("kate@localhost")));
  EXPECT_EQ(ex("Kate"), term(atom("Elixir.Kate")));
  EXPECT_EQ(ex("Foo.Bar"), term(atom("Elixir.Foo.Bar")));
  EXPECT_EQ(ex("Elixir.Kate"), term(atom("Elixir.Kate")));
  EXPECT_EQ(ex("nil"), term(atoms::nil));
  EXPECT_EQ(ex("true"), term(atoms::true_));
  EXPECT_EQ(ex("false"), term(atoms::false_));
  EXPECT_EQ(ex(":sup?"), term(atom("sup?")));
  EXPECT_EQ(ex(":+"), term(atom("+")));
  EXPECT_EQ(ex(":\"::\""), term(atom("::")));
  EXPECT_EQ(ex(":кот"), term(atom("кот")));
}

TEST(parse, elixir_numbers) {
  EXPECT_EQ(ex("0x1F"), term(31));
  EXPECT_EQ(ex("0b101"), term(5));
  EXPECT_EQ(ex("0o17"), term(15));
  EXPECT_EQ(ex("1_000"), term(1000));
  EXPECT_EQ(ex("?a"), term(97));
  EXPECT_EQ(ex("?\\n"), term(10));
  EXPECT_EQ(ex("-2.5e3"), term(-2500.0));
}

TEST(parse, elixir_strings_are_binaries_and_charlists_are_lists) {
  EXPECT_EQ(ex("\"abc\""), term::binary("abc"));
  EXPECT_EQ(ex("\"héllo\\n\""), term::binary("héllo\n"));
  EXPECT_EQ(ex("\"\\u{1F600}\\x41\\uFEFF\""), term::binary("\xF0\x9F\x98\x80"
                                                           "A\xEF\xBB\xBF"));
  EXPECT_EQ(ex("\"\\#{x}\""), term::binary("#{x}"));
  EXPECT_EQ(ex("'abc'"), term::string("abc"));
  EXPECT_EQ(ex("~c\"abc\""), term::string("abc"));
  EXPECT_EQ(ex("~s(a\"b)"), term::binary("a\"b"));
}

TEST(parse, elixir_containers_keywords_and_maps) {
  EXPECT_EQ(
      ex("{:ok, [1, 2.5, \"a\", %{a: 1}]}"),
      tuple_of(atoms::ok, list_of(1, 2.5, term::binary("a"), term::map({{atom("a"), term(1)}}))));
  EXPECT_EQ(ex("[a: 1, b: 2]"), list_of(tuple_of(atom("a"), 1), tuple_of(atom("b"), 2)));
  EXPECT_EQ(ex("[1, a: 2]"), list_of(1, tuple_of(atom("a"), 2)));
  EXPECT_EQ(ex("{1, a: 2}"), tuple_of(1, list_of(tuple_of(atom("a"), 2))));
  EXPECT_EQ(ex("[\"hello world\": 1]"), list_of(tuple_of(atom("hello world"), 1)));
  EXPECT_EQ(ex("%{\"k\" => 1, a: 2}"),
            term::map({{term::binary("k"), term(1)}, {atom("a"), term(2)}}));
  EXPECT_EQ(ex("%{1 => 2}"), term::map({{term(1), term(2)}}));
  EXPECT_EQ(ex("[1, 2 | 3]"), term::list({term(1), term(2)}, term(3)));
  EXPECT_EQ(ex("[1, 2,]"), list_of(1, 2));
  EXPECT_EQ(ex("%{}"), term::map({}));
}

TEST(parse, elixir_bitstrings_and_captures) {
  const std::uint8_t bits[] = {0x01, 0x40};
  EXPECT_EQ(ex("<<1, 2::size(3)>>"), term::bitstring(bits, 3));
  EXPECT_EQ(ex("<<1, 2::3>>"), term::bitstring(bits, 3));
  EXPECT_EQ(ex("<<\"é\"::utf8>>"), term::binary("é"));
  EXPECT_EQ(ex("<<\"ab\", 0>>"), term::binary(std::string_view("ab\0", 3)));
  EXPECT_EQ(ex("<<1::16-little>>"), term::binary(std::string_view("\x01\x00", 2)));
  EXPECT_EQ(ex("&Kate.say_name/0"), term::export_fun(atom("Elixir.Kate"), atom("say_name"), 0));
  EXPECT_EQ(ex("&:erlang.+/2"), term::export_fun(atoms::erlang, atom("+"), 2));
}

TEST(parse, process_literals_need_a_resolver_for_their_node_number) {
  const atom kate("kate@localhost");
  parse_options o(syntax::elixir);
  o.resolve_node = [kate](std::uint32_t n) -> std::optional<node_identity> {
    if (n == 12345) return node_identity{kate, 7};
    return std::nullopt;
  };
  EXPECT_EQ(must_parse("#PID<12345.112.0>", o), term(pid{kate, 112, 0, 7}));
  reference r;
  r.node = kate;
  r.creation = 7;
  r.length = 3;
  r.words = {3, 2, 1, 0, 0};
  EXPECT_EQ(must_parse("#Reference<12345.1.2.3>", o), term(r));
  EXPECT_EQ(must_parse("#Port<12345.5>", o), term(port_id{kate, 5, 7}));
  EXPECT_EQ(error_of("#PID<1.2.3>", o).message, "no node is numbered 1");
  const auto e = error_of("<0.1.2>", parse_options(syntax::erlang));
  EXPECT_NE(e.message.find("no node is there to resolve it"), std::string::npos) << e.message;
  EXPECT_NE(error_of("#Function<0.1/1 in :fx>", o).message.find("cannot be written"),
            std::string::npos);
}

// ---- errors -----------------------------------------------------------------------------------

TEST(parse, errors_name_the_position_and_the_problem) {
  const parse_options erlang(syntax::erlang);
  const parse_options elixir(syntax::elixir);
  auto e = error_of("{ok,", erlang);
  EXPECT_EQ(e.offset, 4u);
  EXPECT_EQ(e.describe("{ok,"), "line 1, column 5: unexpected end of text");

  e = error_of("{a b}", erlang);
  EXPECT_EQ(e.offset, 3u);
  EXPECT_EQ(e.message, "expected '}' to close the tuple, found atom");

  e = error_of("[1,\n 2", erlang);
  EXPECT_EQ(e.describe("[1,\n 2"),
            "line 2, column 3: expected ']' to close the list, found end of text");

  EXPECT_EQ(error_of("X", erlang).message, "variable 'X' is not a literal");
  EXPECT_EQ(error_of("'abc", erlang).message, "missing closing '");
  EXPECT_EQ(error_of("ok ok", erlang).message, "unexpected atom after the term");
  EXPECT_EQ(error_of("1.0e400", erlang).message, "float out of range: 1.0e400");
  EXPECT_EQ(error_of("#r{}", erlang).message, "expected '{' after '#' (records are not literals)");
  EXPECT_EQ(error_of("<<1:4/float>>", erlang).message, "a float segment is 32 or 64 bits");

  EXPECT_EQ(error_of("\"a#{b}\"", elixir).offset, 2u);
  EXPECT_EQ(error_of("[a: 1, 2]", elixir).message, "keyword pairs must come last");
  EXPECT_EQ(error_of("%Foo{}", elixir).message,
            "structs are not supported as literals; write a map");
  EXPECT_EQ(error_of("self()", elixir).message, "'self' is not a literal (a variable or a call)");
  EXPECT_EQ(error_of(":ok.", elixir).message, "unexpected '.' after the term");
  EXPECT_EQ(error_of("%{a:1}", elixir).message,
            "a keyword key needs a space after the colon: 'a: '");
}

TEST(parse, deep_nesting_is_an_error_not_a_crash) {
  std::string deep(100000, '[');
  const auto e = error_of(deep, syntax::erlang);
  EXPECT_EQ(e.message, "nesting deeper than 1000");
}

// ---- embedding --------------------------------------------------------------------------------

TEST(parse, one_literal_can_be_read_from_the_middle_of_a_larger_text) {
  const std::string_view line = "send(pid, {:hi, [a: 1]}) # and more";
  std::size_t pos = 10;
  auto r = parse_term(line, syntax::elixir, pos);
  ASSERT_TRUE(r.ok()) << r.error.describe(line);
  EXPECT_EQ(*r.value, tuple_of(atom("hi"), list_of(tuple_of(atom("a"), 1))));
  EXPECT_EQ(pos, 23u);
  EXPECT_EQ(line[pos], ')');

  std::size_t bad = 0;
  auto f = parse_term(line, syntax::elixir, bad);
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(bad, 0u) << "a failed parse leaves the position alone";
}

TEST(parse, the_lexer_splits_shell_input_into_tokens) {
  lexer lx("Node.spawn_link(:kate@localhost, Kate, :say_name, [])", syntax::elixir);
  std::vector<std::pair<token_kind, std::string>> got;
  for (token t = lx.next(); t.kind != token_kind::end; t = lx.next()) {
    ASSERT_NE(t.kind, token_kind::error) << t.text;
    got.emplace_back(t.kind, t.kind == token_kind::atom || t.kind == token_kind::alias
                                 ? std::string(t.value.atom_value().name())
                                 : t.text);
  }
  const std::vector<std::pair<token_kind, std::string>> want = {
      {token_kind::alias, "Elixir.Node"},
      {token_kind::punct, "."},
      {token_kind::variable, "spawn_link"},
      {token_kind::punct, "("},
      {token_kind::atom, "kate@localhost"},
      {token_kind::punct, ","},
      {token_kind::alias, "Elixir.Kate"},
      {token_kind::punct, ","},
      {token_kind::atom, "say_name"},
      {token_kind::punct, ","},
      {token_kind::punct, "["},
      {token_kind::punct, "]"},
      {token_kind::punct, ")"}};
  EXPECT_EQ(got, want);
}

TEST(parse, the_erlang_lexer_tells_pids_from_less_than) {
  lexer lx("<0.1.2> < 3", syntax::erlang);
  const token pid_token = lx.next();
  EXPECT_EQ(pid_token.kind, token_kind::process);
  EXPECT_EQ(pid_token.numbers, (std::vector<std::uint64_t>{0, 1, 2}));
  const token less = lx.next();
  EXPECT_EQ(less.kind, token_kind::punct);
  EXPECT_EQ(less.text, "<");
}

}  // namespace
}  // namespace otpp
