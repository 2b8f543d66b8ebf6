// `otpp --erl` against real erl 25: the same lines piped into both print the same thing, prompts,
// results, shell commands and exception reports alike (pids and the banner set aside).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/eventually.hpp"

namespace {

using otpp::test::child_process;
using namespace std::chrono_literals;

const std::string otpp_bin = std::string(OTPP_BIN_DIR) + "/otpp";

// What a shell printed for `input` on its standard input, until it ended.
std::string run_script(std::vector<std::string> argv, const std::string& input) {
  child_process p({std::move(argv), {{"OTPP_HISTORY", ""}}, false});
  p.write_stdin(input);
  p.close_stdin();
  (void)otpp::test::eventually([&] { return !p.running(); }, 60s);
  (void)p.wait();
  (void)p.wait_for(std::string(1, '\0'), 2s);  // until the reader saw the end of output
  return p.output();
}

// Both shells' text in one form: from the first prompt on (no banner), pids without numbers.
std::string normalized(std::string text) {
  if (auto first = text.find("1> "); first != std::string::npos) text.erase(0, first);
  text = std::regex_replace(text, std::regex(R"(<\d+\.\d+\.\d+>)"), "<N>");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Erlang as a user types it at erl's prompt; what erl prints is the reference.
const char* const erlang_script = R"(1 + 2.
{ok, [1, 2.5, "a", <<"b">>, #{a => 1}], 'Quoted atom', $a}.
X = 5.
X + 1.
Y = {X, [X, X]}.
b().
f(X).
X.
Z = 1 +
  2.
lists:seq(1, 30).
lists:sum(lists:seq(1, 100)).
[A * 2 || A <- [1, 2, 3], A > 1].
F = fun(N) -> N * N end, F(7).
v(-1) + 1.
{v(1), v(3)}.
v(99).
hd([]).
1 / 0.
{a, B} = {c, 1}.
throw(x).
exit(boom).
foo().
nosuch:f(1).
element(5, {a, b}).
case 3 of 1 -> one end.
io:format("hi ~p ~s~n", [x, "there"]).
self() ! hello, self() ! {tuple, 1}, flush().
is_pid(self()).
{1,
 2}.
a. b.
atom_to_list(abc).
put(colour, red), put(colour, blue).
get(colour).
lists:reverse([1, 2, 3]).
1 + .
  foo bar.
{a,
 b c}.
X2 = 16#zz.
A2 = 1.5e999.
M = maps:from_list([{I, I * I} || I <- lists:seq(1, 40)]).
maps:keys(M).
maps:fold(fun(K, _, Acc) -> [K | Acc] end, [], M).
maps:from_list([{{I, <<"k">>}, I} || I <- lists:seq(1, 40)]).
term_to_binary(maps:from_list([{{I}, I} || I <- lists:seq(1, 33)])).
re:run("abcd", "c(d)$").
re:run(<<"abcd">>, "c(d)$", [{capture, all_but_first, binary}]).
re:run("abab", "(?<x>a)|(?<y>b)|z", [global, {capture, all_names, list}]).
re:run("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "(a+)+$", [report_errors]).
{ok, MP} = re:compile("B", [caseless]), ok.
re:run("abc", MP, [{capture, first, list}]).
re:compile("a(").
re:replace("abcb", "b", "[&]", [global, {return, list}]).
re:split("a,b,,c,,", ",", [trim, {return, binary}]).
re:split("a1b2c", "(\\d)+", [{return, list}, group]).
)";

TEST(erl_shell_against_erl, a_session_of_erlang_prints_as_in_erl) {
  const std::string theirs = normalized(run_script({"erl"}, erlang_script));
  const std::string ours = normalized(run_script({otpp_bin, "--erl", "--no-banner"}, erlang_script));
  ASSERT_NE(theirs.find("1> 3\n"), std::string::npos) << theirs;
  EXPECT_EQ(ours, theirs);
}

}  // namespace
