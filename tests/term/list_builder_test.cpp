// The list builder: a list built in place equals the same list built from a vector, whatever
// its length, capacity hint and tail.
#include <gtest/gtest.h>

#include <string>

#include "otpp/term/list_builder.hpp"
#include "otpp/term/print.hpp"

namespace otpp {
namespace {

TEST(list_builder, a_built_list_equals_the_list_of_the_same_elements) {
  for (std::size_t hint : {0u, 1u, 3u, 1000u}) {
    list_builder b(hint);
    std::vector<term> v;
    for (int i = 0; i < 100; ++i) {
      term x = i % 2 ? term(i) : term::tuple({term(i), term::string("x")});
      b.push_back(x);
      v.push_back(x);
    }
    EXPECT_EQ(b.size(), 100u);
    term built = b.finish();
    EXPECT_TRUE(exact_equal(built, term::list(v))) << to_string(built);
    EXPECT_TRUE(built.is_proper_list());
  }
}

TEST(list_builder, nothing_pushed_gives_the_tail) {
  list_builder b(10);
  EXPECT_TRUE(b.finish().is_nil());
  list_builder c;
  EXPECT_TRUE(exact_equal(c.finish(term(atom("t"))), term(atom("t"))));
}

TEST(list_builder, a_tail_that_is_a_list_is_flattened_and_an_improper_tail_kept) {
  list_builder b;
  b.push_back(term(1));
  term l = b.finish(list_of(2, 3));
  EXPECT_EQ(to_string(l), "[1,2,3]");
  EXPECT_EQ(l.list_elements().size(), 3u);
  list_builder c;
  c.push_back(term(1));
  EXPECT_EQ(to_string(c.finish(term(atom("x")))), "[1|x]");
}

TEST(list_builder, a_finished_builder_starts_a_new_list) {
  list_builder b;
  b.push_back(term(1));
  term first = b.finish();
  b.push_back(term(2));
  term second = b.finish();
  EXPECT_EQ(to_string(first), "[1]");
  EXPECT_EQ(to_string(second), "[2]");
}

}  // namespace
}  // namespace otpp
