// The process dictionary: put/get/erase of one process's own keys, invisible to every other
// process, and shown by process_info.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime_test_util.hpp"

namespace otpp::test {
namespace {

const atom colour{"colour"};

std::vector<std::string> sorted_strings(const term& list) {
  std::vector<std::string> out;
  for (const term& t : list.list_elements()) out.push_back(str(t));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(process_dictionary, put_returns_the_previous_value_and_get_reads_the_current_one) {
  det d;
  EXPECT_EQ(str(d.me.get(colour)), "undefined");
  EXPECT_EQ(str(d.me.put(colour, atom("red"))), "undefined");
  EXPECT_EQ(str(d.me.put(colour, atom("blue"))), "red");
  EXPECT_EQ(str(d.me.get(colour)), "blue");
  EXPECT_EQ(str(d.me.put(term::list({term(1)}), term(2))), "undefined");
  EXPECT_EQ(str(d.me.get(term::list({term(1)}))), "2");
  EXPECT_EQ(sorted_strings(d.me.dictionary()), (std::vector<std::string>{"{[1],2}", "{colour,blue}"}));
}

TEST(process_dictionary, erase_removes_a_key_and_erase_all_empties_it) {
  det d;
  (void)d.me.put(colour, atom("red"));
  (void)d.me.put(atom("size"), term(3));
  (void)d.me.put(atom("shade"), atom("red"));
  EXPECT_EQ(sorted_strings(d.me.get_keys(atom("red"))), (std::vector<std::string>{"colour", "shade"}));
  EXPECT_EQ(str(d.me.erase(colour)), "red");
  EXPECT_EQ(str(d.me.erase(colour)), "undefined");
  EXPECT_EQ(sorted_strings(d.me.get_keys()), (std::vector<std::string>{"shade", "size"}));
  EXPECT_EQ(sorted_strings(d.me.erase_dictionary()), (std::vector<std::string>{"{shade,red}", "{size,3}"}));
  EXPECT_EQ(str(d.me.dictionary()), "[]");
}

TEST(process_dictionary, each_process_has_its_own_and_process_info_shows_it) {
  det d;
  (void)d.me.put(colour, atom("mine"));
  pid p = d.me.spawn([](process& self, pid report) -> process_task {
    term inherited = self.get(colour);
    (void)self.put(colour, atom("theirs"));
    self.send(report, inherited);
    co_await self.receive(on(stop) >> [] {});
  }, d.me.self());
  EXPECT_EQ(str(d.me.receive_for(1s)), "undefined");
  EXPECT_EQ(str(d.me.get(colour)), "mine");
  auto info = d.me.info(p);
  ASSERT_TRUE(info);
  EXPECT_EQ(str(info->dictionary), "[{colour,theirs}]");
  auto again = process_info::from_term(info->to_term());
  ASSERT_TRUE(again);
  EXPECT_EQ(str(again->dictionary), "[{colour,theirs}]");
  d.me.send(p, stop);
}

}  // namespace
}  // namespace otpp::test
