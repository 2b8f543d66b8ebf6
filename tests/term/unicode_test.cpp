// UTF-8 and character data: strict decoding, chardata flattening in both encodings, and the
// atom quoting rule the printer and io_lib share.
#include <gtest/gtest.h>

#include "otpp/term/print.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp {
namespace {

term bin(std::string_view s) { return term::binary(s); }

TEST(unicode, utf8_round_trips_every_length_of_sequence) {
  const std::u32string chars = U"a\u00e9\u20ac\U0001F600";
  const std::string text = unicode::to_utf8(chars);
  EXPECT_EQ(text, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(unicode::from_utf8(text), chars);
}

TEST(unicode, overlong_forms_surrogates_and_truncated_sequences_are_not_utf8) {
  EXPECT_FALSE(unicode::from_utf8("\xc0\x80"));
  EXPECT_FALSE(unicode::from_utf8("\xed\xa0\x80"));
  EXPECT_FALSE(unicode::from_utf8("\xe2\x82"));
  EXPECT_FALSE(unicode::from_utf8("\xf4\x90\x80\x80"));
  EXPECT_EQ(unicode::to_utf8(std::u32string(1, char32_t{0xD800})), "\xef\xbf\xbd");
}

TEST(unicode, nested_chardata_flattens_with_a_binary_tail) {
  // unicode:characters_to_binary([$a, [<<"é"/utf8>>, 8364], $b | <<"c">>])
  term data = term::list({term(97), term::list({bin("\xc3\xa9"), term(8364)}), term(98)}, bin("c"));
  EXPECT_EQ(unicode::characters_to_utf8(data, unicode::encoding::unicode), "a\xc3\xa9\xe2\x82\xac" "bc");
  EXPECT_FALSE(unicode::characters_to_utf8(data, unicode::encoding::latin1));  // 8364 > 255
}

TEST(unicode, a_latin1_binary_widens_byte_by_byte) {
  EXPECT_EQ(unicode::characters_to_list(bin("\xe9"), unicode::encoding::latin1), U"\u00e9");
  EXPECT_FALSE(unicode::characters_to_list(bin("\xe9"), unicode::encoding::unicode));
  EXPECT_FALSE(unicode::characters_to_list(term::list({term(atom("a"))}), unicode::encoding::unicode));
}

TEST(atom_quoting, the_printer_and_io_lib_quote_the_same_atoms) {
  for (const char* name : {"ok", "Ok", "hello world", "receive", "caf\xc3\xa9", "\xc3\xa9t\xc3\xa9", ""}) {
    const atom a(name);
    const std::string printed = format_atom(a);
    EXPECT_EQ(printed.front() == '\'', erlang_atom_needs_quotes(a)) << name;
    EXPECT_EQ(unicode::to_utf8(erlang_atom_chars(a, char_escaping::unicode_as_unicode)), printed) << name;
  }
}

TEST(atom_quoting, characters_above_latin1_escape_in_latin1_mode) {
  // io_lib:write_atom('€') as ~p prints it: '\x{20AC}'.
  EXPECT_EQ(erlang_atom_chars(atom("\xe2\x82\xac"), char_escaping::unicode_as_latin1), U"'\\x{20AC}'");
  EXPECT_EQ(erlang_atom_chars(atom("a\nb"), char_escaping::unicode_as_unicode), U"'a\\nb'");
}

}  // namespace
}  // namespace otpp
