// Receive patterns on their own: what each kind of element matches and binds, guards, and
// which clause wins.
#include <gtest/gtest.h>

#include "otpp/runtime/pattern.hpp"
#include "runtime_test_util.hpp"

namespace otpp::test {
namespace {

/// Offers `msg` to the clauses; the handler's result, or nullopt when nothing matched.
template <class... Cs>
auto offer(const term& msg, Cs&&... cs) {
  detail::receive_matcher<std::decay_t<Cs>...> m(std::forward<Cs>(cs)...);
  using R = decltype(m.invoke());
  std::optional<R> out;
  if (m.match(msg)) out = m.invoke();
  return out;
}

const pid some_pid{atoms::nonode_nohost, 7, 0, 0};

TEST(patterns, a_literal_atom_matches_only_that_atom) {
  EXPECT_EQ(offer(term(ping), on(ping) >> [] { return 1; }), 1);
  EXPECT_EQ(offer(term(pong), on(ping) >> [] { return 1; }), std::nullopt);
  EXPECT_EQ(offer(tuple_of(ping), on(ping) >> [] { return 1; }), std::nullopt);
}

TEST(patterns, a_tuple_pattern_matches_arity_and_every_element) {
  auto c = [] { return on(ping, 1, _) >> [](term t) { return str(t); }; };
  EXPECT_EQ(offer(tuple_of(ping, 1, hello), c()), "hello");
  EXPECT_EQ(offer(tuple_of(ping, 2, hello), c()), std::nullopt);
  EXPECT_EQ(offer(tuple_of(ping, 1), c()), std::nullopt);
  EXPECT_EQ(offer(tuple_of(ping, 1, hello, hello), c()), std::nullopt);
  EXPECT_EQ(offer(list_of(ping, 1, hello), c()), std::nullopt);
}

TEST(patterns, literals_compare_exactly_so_one_does_not_match_one_point_zero) {
  EXPECT_EQ(offer(term(1.0), on(1) >> [] { return true; }), std::nullopt);
  EXPECT_EQ(offer(term(1), on(1) >> [] { return true; }), true);
}

TEST(patterns, wildcards_bind_in_order_with_their_types) {
  auto r = offer(tuple_of(some_pid, ping, 42, term::string("x")),
                 on(any_pid, any_atom, any_int, _) >> [](pid p, atom a, std::int64_t n, term rest) {
                   return std::to_string(p.id) + "/" + std::string(a.name()) + "/" + std::to_string(n) + "/" +
                          str(rest);
                 });
  EXPECT_EQ(r, "7/ping/42/\"x\"");
}

TEST(patterns, any_pid_does_not_match_other_kinds) {
  EXPECT_EQ(offer(tuple_of(ping, 1), on(ping, any_pid) >> [](pid) { return true; }), std::nullopt);
  EXPECT_EQ(offer(tuple_of(ping, some_pid), on(ping, any_pid) >> [](pid) { return true; }), true);
}

TEST(patterns, ignore_matches_anything_without_binding) {
  EXPECT_EQ(offer(tuple_of(ping, hello), on(ping, ignore) >> [] { return true; }), true);
}

TEST(patterns, a_bound_pid_or_reference_matches_only_itself) {
  pid other{atoms::nonode_nohost, 8, 0, 0};
  EXPECT_EQ(offer(tuple_of(some_pid, ping), on(some_pid, ping) >> [] { return true; }), true);
  EXPECT_EQ(offer(tuple_of(other, ping), on(some_pid, ping) >> [] { return true; }), std::nullopt);
  reference r1{atoms::nonode_nohost, 0, 3, {1, 2, 3, 0, 0}};
  reference r2{atoms::nonode_nohost, 0, 3, {1, 2, 4, 0, 0}};
  EXPECT_EQ(offer(tuple_of(r1, ping), on(r1, _) >> [](term) { return true; }), true);
  EXPECT_EQ(offer(tuple_of(r2, ping), on(r1, _) >> [](term) { return true; }), std::nullopt);
}

TEST(patterns, nested_tuples_bind_their_wildcards_in_place) {
  auto r = offer(tuple_of(atoms::ok, tuple_of(1, 2), 3),
                 on(atoms::ok, tup(any_int, any_int), any_int) >> [](std::int64_t a, std::int64_t b, std::int64_t c) {
                   return a * 100 + b * 10 + c;
                 });
  EXPECT_EQ(r, 123);
}

TEST(patterns, tup_matches_one_element_and_empty_tuples) {
  EXPECT_EQ(offer(tuple_of(ping), tup(ping) >> [] { return true; }), true);
  EXPECT_EQ(offer(term::tuple({}), tup() >> [] { return true; }), true);
  EXPECT_EQ(offer(term(ping), tup(ping) >> [] { return true; }), std::nullopt);
}

TEST(patterns, a_guard_sees_the_bound_values_and_can_refuse) {
  auto clause = [] {
    return on(ping, any_int).when([](std::int64_t n) { return n > 10; }) >> [](std::int64_t n) { return n; };
  };
  EXPECT_EQ(offer(tuple_of(ping, 11), clause()), 11);
  EXPECT_EQ(offer(tuple_of(ping, 10), clause()), std::nullopt);
}

TEST(patterns, a_guard_may_take_nothing) {
  bool allow = false;
  auto clause = [&] { return on(ping).when([&] { return allow; }) >> [] { return true; }; };
  EXPECT_EQ(offer(term(ping), clause()), std::nullopt);
  allow = true;
  EXPECT_EQ(offer(term(ping), clause()), true);
}

TEST(patterns, match_if_tests_the_whole_message) {
  auto c = [] { return match_if([](const term& t) { return t.is_binary(); }) >> [](term t) { return str(t); }; };
  EXPECT_EQ(offer(term::binary(std::string_view("hi")), c()), "<<\"hi\">>");
  EXPECT_EQ(offer(term(ping), c()), std::nullopt);
}

TEST(patterns, the_first_matching_clause_wins) {
  auto r = offer(tuple_of(ping, 1), on(ping, 2) >> [] { return 1; }, on(ping, _) >> [](term) { return 2; },
                 on(_) >> [](term) { return 3; });
  EXPECT_EQ(r, 2);
}

TEST(patterns, kind_wildcards_check_the_kind) {
  EXPECT_EQ(offer(term::list({1}), on(any_list) >> [](term) { return 1; }), 1);
  EXPECT_EQ(offer(term(), on(any_list) >> [](term) { return 1; }), 1);
  EXPECT_EQ(offer(tuple_of(1), on(any_tuple) >> [](term) { return 1; }), 1);
  EXPECT_EQ(offer(term(1), on(any_tuple) >> [](term) { return 1; }), std::nullopt);
  EXPECT_EQ(offer(term::map({}), on(any_map) >> [](term) { return 1; }), 1);
}

}  // namespace
}  // namespace otpp::test
