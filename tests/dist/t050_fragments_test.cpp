// Scenario 050, large messages: a 50 MB binary crosses in fragments (131 69/70) in both
// directions between otpp and erl and between two otpp nodes.
#include "dist/dist_fixture.hpp"
#include "support/slowdown.hpp"

using namespace otpp;
using namespace otpp::test;

namespace {
constexpr std::size_t big = 50'000'000;

term big_binary() {
  std::vector<std::uint8_t> bytes(big);
  for (std::size_t i = 0; i < big; ++i) bytes[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return term::binary(bytes);
}

bool same_pattern(const term& t) {
  if (!t.is_binary() || t.bytes().size() != big) return false;
  auto b = t.bytes();
  for (std::size_t i = 0; i < big; i += 4099)
    if (b[i] != static_cast<std::uint8_t>(i * 31 + 7)) return false;
  return b[big - 1] == static_cast<std::uint8_t>((big - 1) * 31 + 7);
}
}  // namespace

using fragments = dist_test;

TEST_F(fragments, fifty_megabytes_cross_between_otpp_nodes) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  pid pa = a->make_pid(), pb = b->make_pid();
  a->engine->send(pa, pb, tuple_of(atom("big"), big_binary()));
  a->engine->send(pa, pb, atom("after_big"));
  // Copying, framing, reading and reassembling 50 MB: a sanitizer's instrumentation of every
  // byte moved makes that many times longer.
  auto got = b->signals.wait_for_kind("deliver", {}, scaled(60s));
  ASSERT_TRUE(got);
  ASSERT_TRUE((*got)[2].is_tagged_tuple(atom("big"), 2));
  EXPECT_TRUE(same_pattern((*got)[2][1]));
  auto next = b->signals.wait_for_kind("deliver", {}, scaled(10s));
  ASSERT_TRUE(next);
  EXPECT_EQ((*next)[2], atom("after_big"));
}

TEST_F(fragments, fifty_megabytes_from_otpp_reach_erl) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  ASSERT_EQ(erl->eval("register(tester, self())."), "true");
  pid pa = a->make_pid();
  a->engine->send_named(pa, atom("tester"), atom(erl->node()), tuple_of(atom("big"), big_binary()));
  EXPECT_EQ(erl->eval("receive {big, B} -> {byte_size(B), binary:at(B, 12345), binary:last(B)} after " +
                          std::to_string(scaled(30s).count()) + " -> timeout end.",
                      scaled(60s)),
            "{" + std::to_string(big) + "," + std::to_string(static_cast<std::uint8_t>(12345 * 31 + 7)) + "," +
                std::to_string(static_cast<std::uint8_t>((big - 1) * 31 + 7)) + "}");
}

TEST_F(fragments, fifty_megabytes_from_erl_reach_otpp) {
  auto a = start_node("a");
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  EXPECT_EQ(erl->eval("B = binary:copy(<<7,8,9,10,11>>, 10000000), {kate, " + quoted(a->name_text()) + "} ! {big, B}, ok.", 60s), "ok");
  auto got = a->signals.wait_for_kind("deliver_named", [](const term& t) { return t[1].is_atom(atom("kate")); }, scaled(60s));
  ASSERT_TRUE(got);
  const term& b = (*got)[2][1];
  ASSERT_TRUE(b.is_binary());
  ASSERT_EQ(b.bytes().size(), big);
  EXPECT_EQ(b.bytes()[5 * 777 + 3], 10);
}

TEST_F(fragments, large_binary_messages_below_the_fragment_size_cross_intact_both_ways) {
  auto a = start_node("a"), b = start_node("b");
  auto erl = start_erl();
  ASSERT_TRUE(a && b && erl->ready());
  ASSERT_EQ(erl->eval("register(tester, self())."), "true");
  pid pa = a->make_pid(), pb = b->make_pid();
  for (std::size_t size : {40'000u, 65'536u, 200'000u}) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i ^ (i >> 8));
    term bin = term::binary(bytes);
    a->engine->send(pa, pb, bin);
    auto got = b->signals.wait_for_kind("deliver");
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)[2], bin) << size;
    a->engine->send_named(pa, atom("tester"), atom(erl->node()), bin);
    std::string v = "B" + std::to_string(size);  // evaluator bindings persist: a fresh name each time
    EXPECT_EQ(erl->eval("receive " + v + " -> erlang:md5(" + v + ") =:= erlang:md5(list_to_binary([(I bxor (I bsr 8)) band 255 || I <- lists:seq(0, " +
                        std::to_string(size - 1) + ")])) andalso byte_size(" + v + ") end."),
              std::to_string(size));
  }
}
