// The atom table: interning, validation, predefined atoms, term order between atoms, and
// lock-free use from many threads.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "otpp/term/atom.hpp"

namespace otpp {
namespace {

TEST(atom, interning_the_same_text_twice_gives_the_same_index) {
  atom x("otpp_atom_test_same");
  atom y(std::string("otpp_atom_test_") + "same");
  EXPECT_EQ(x, y);
  EXPECT_EQ(x.index(), y.index());
  EXPECT_EQ(x.name(), "otpp_atom_test_same");
}

TEST(atom, different_texts_give_different_atoms) {
  EXPECT_NE(atom("otpp_atom_a"), atom("otpp_atom_b"));
}

TEST(atom, the_default_atom_is_the_empty_atom) {
  EXPECT_EQ(atom(), atoms::empty);
  EXPECT_EQ(atom().name(), "");
  EXPECT_EQ(atom(""), atom());
}

TEST(atom, predefined_atoms_sit_at_their_indices_with_their_names) {
  EXPECT_EQ(atoms::ok.name(), "ok");
  EXPECT_EQ(atoms::true_.name(), "true");
  EXPECT_EQ(atoms::gen_call.name(), "$gen_call");
  EXPECT_EQ(atoms::nonode_nohost.name(), "nonode@nohost");
  EXPECT_EQ(atom("ok"), atoms::ok);
  EXPECT_EQ(atom("$gen_call"), atoms::gen_call);
  EXPECT_EQ(atoms::empty.index(), 0u);
  EXPECT_EQ(atoms::ok.index(), 1u);
  EXPECT_GE(atom::table_size(), static_cast<std::size_t>(atoms::predefined_count));
}

TEST(atom, an_atom_of_255_characters_is_accepted_and_256_is_refused) {
  EXPECT_NO_THROW(atom(std::string(255, 'a')));
  EXPECT_THROW(atom(std::string(256, 'a')), std::invalid_argument);
  EXPECT_FALSE(atom::try_make(std::string(256, 'a')).has_value());
}

TEST(atom, the_limit_counts_characters_not_bytes) {
  std::string s;
  for (int i = 0; i < 255; ++i) s += "\xC4\x80";  // U+0100, two bytes each
  auto a = atom::try_make(s);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->length(), 255u);
  EXPECT_EQ(a->name().size(), 510u);
  EXPECT_FALSE(atom::try_make(s + "\xC4\x80").has_value());
}

TEST(atom, invalid_utf8_is_refused) {
  EXPECT_THROW(atom("\xFF"), std::invalid_argument);
  EXPECT_FALSE(atom::try_make("\xC3").has_value());          // truncated sequence
  EXPECT_FALSE(atom::try_make("\xC0\x80").has_value());      // overlong NUL
  EXPECT_FALSE(atom::try_make("\xED\xA0\x80").has_value());  // surrogate
  EXPECT_FALSE(atom::try_make("\xF4\x90\x80\x80").has_value());  // above U+10FFFF
  EXPECT_FALSE(atom::try_make("\x80").has_value());          // stray continuation byte
}

TEST(atom, valid_multibyte_utf8_is_accepted) {
  auto a = atom::try_make("\xF0\x9F\x98\x80");  // U+1F600
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->length(), 1u);
}

TEST(atom, existing_finds_only_interned_atoms) {
  EXPECT_FALSE(atom::existing("otpp_atom_never_interned_4711").has_value());
  atom x("otpp_atom_interned_4712");
  auto found = atom::existing("otpp_atom_interned_4712");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, x);
  EXPECT_EQ(atom::existing("ok"), atoms::ok);
}

TEST(atom, latin1_text_is_stored_as_utf8) {
  atom a = atom::from_latin1("caf\xE9");
  EXPECT_EQ(a.name(), "caf\xC3\xA9");
  EXPECT_EQ(a.length(), 4u);
  EXPECT_EQ(a, atom("caf\xC3\xA9"));
}

TEST(atom, term_order_between_atoms_is_by_code_point) {
  EXPECT_LT(compare(atom("a"), atom("b")), 0);
  EXPECT_LT(compare(atom("a"), atom("ab")), 0);
  EXPECT_LT(compare(atom(""), atom("a")), 0);
  EXPECT_GT(compare(atom("\xC3\xA4"), atom("z")), 0);            // 'ä' > 'z'
  EXPECT_LT(compare(atom("\xC3\xBF"), atom("\xC4\x80")), 0);     // 'ÿ' < 'Ā'
  EXPECT_EQ(compare(atom("same"), atom("same")), 0);
  EXPECT_LT(compare(atom("B"), atom("a")), 0);                   // upper case sorts first
}

TEST(atom, many_threads_interning_the_same_names_agree) {
  constexpr int threads = 4;
  constexpr int names = 3000;
  std::vector<std::vector<std::uint32_t>> seen(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([t, &seen] {
      for (int i = 0; i < names; ++i) {
        int k = (i * 7 + t * 13) % names;
        atom a("otpp_mt_" + std::to_string(k));
        seen[static_cast<std::size_t>(t)].push_back(a.index());
        if (a.name() != "otpp_mt_" + std::to_string(k)) std::abort();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (int i = 0; i < names; ++i) {
    std::set<std::string> distinct;
    atom expected("otpp_mt_" + std::to_string(i));
    for (int t = 0; t < threads; ++t) {
      int pos = -1;
      for (int j = 0; j < names; ++j) {
        if ((j * 7 + t * 13) % names == i) pos = j;
      }
      ASSERT_GE(pos, 0);
      EXPECT_EQ(seen[static_cast<std::size_t>(t)][static_cast<std::size_t>(pos)], expected.index());
    }
  }
}

TEST(atom, hashing_an_atom_uses_its_index) {
  EXPECT_EQ(std::hash<atom>{}(atoms::ok), atoms::ok.index());
}

TEST(atom, is_valid_text_checks_without_interning) {
  const std::string fresh = "never_interned_" + std::to_string(::getpid()) + "_validity";
  EXPECT_TRUE(atom::is_valid_text(fresh));
  EXPECT_FALSE(atom::existing(fresh));
  EXPECT_FALSE(atom::is_valid_text(std::string(256, 'a')));
  EXPECT_FALSE(atom::is_valid_text("\xff"));
}

TEST(atom_budget, a_share_is_cut_at_its_limit_while_known_atoms_stay_free) {
  atom_budget ceiling(100);
  atom_budget share(3, &ceiling);
  const std::string p = "share_" + std::to_string(::getpid()) + "_";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(share.intern(p + std::to_string(i)));
  EXPECT_FALSE(share.intern(p + "3"));
  EXPECT_TRUE(share.spent());
  EXPECT_FALSE(share.ceiling_reached());
  EXPECT_FALSE(atom::existing(p + "3"));
  EXPECT_TRUE(share.intern(p + "0")) << "an atom interned already costs nothing";
  EXPECT_EQ(ceiling.used(), 3u);
}

TEST(atom_budget, shares_together_are_cut_at_the_ceiling) {
  atom_budget ceiling(4);
  atom_budget first(3, &ceiling), second(3, &ceiling);
  const std::string p = "ceiling_" + std::to_string(::getpid()) + "_";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(first.intern(p + "a" + std::to_string(i)));
  EXPECT_TRUE(second.intern(p + "b0"));
  EXPECT_FALSE(second.intern(p + "b1"));
  EXPECT_TRUE(second.ceiling_reached());
  EXPECT_EQ(second.used(), 1u) << "a unit the ceiling refused is not counted";
  EXPECT_FALSE(atom::existing(p + "b1"));
}

}  // namespace
}  // namespace otpp
