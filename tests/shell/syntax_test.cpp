// The shell parser: what it reads as which expression, when it asks for more input, and the
// syntax errors it reports in Elixir's words.
#include "otpp/shell/syntax.hpp"

#include <gtest/gtest.h>

namespace {

using namespace otpp::shell;

// The program rendered back as source, or "incomplete", or "error L:C: message".
std::string read(std::string_view text) {
  parse_outcome r = parse(text);
  if (std::holds_alternative<incomplete>(r)) return "incomplete";
  if (auto* e = std::get_if<syntax_error>(&r)) {
    return "error " + std::to_string(e->at.line) + ":" + std::to_string(e->at.column) + ": " +
           e->message;
  }
  std::string out;
  for (const auto& x : std::get<program>(r).exprs) {
    if (!out.empty()) out += " ; ";
    out += to_source(*x);
  }
  return out;
}

TEST(shell_syntax, literals_read_as_elixir_writes_them) {
  EXPECT_EQ(read(":sup?"), ":sup?");
  EXPECT_EQ(read(":\"kate@localhost\""), ":kate@localhost");
  EXPECT_EQ(read(":kate@localhost"), ":kate@localhost");
  EXPECT_EQ(read("{:hi, 1, 2.5, \"text\", 'cl'}"), "{:hi, 1, 2.5, \"text\", 'cl'}");
  EXPECT_EQ(read("[1, 2 | 3]"), "[1, 2 | 3]");
  EXPECT_EQ(read("[a: 1]"), "[{:a, 1}]");
  EXPECT_EQ(read("%{\"b\" => 2, a: 1}"), "%{\"b\" => 2, :a => 1}");
  // As in Elixir, keyword pairs must come last.
  EXPECT_EQ(read("%{a: 1, \"b\" => 2}"), "error 1:9: syntax error before: \"b\"");
  EXPECT_EQ(read("Kate"), "Kate");
  EXPECT_EQ(read("-5"), "-5");
  EXPECT_EQ(read("nil"), "nil");
}

TEST(shell_syntax, bare_node_name_is_a_syntax_error_as_in_elixir) {
  EXPECT_EQ(read("kate@localhost"),
            "error 1:1: invalid character \"@\" (code point U+0040) in identifier: kate@localhost");
}

TEST(shell_syntax, calls_with_and_without_parentheses) {
  EXPECT_EQ(read("self()"), "self()");
  EXPECT_EQ(read("send(pid, {:hi, self()})"), "send(pid, {:hi, self()})");
  EXPECT_EQ(read("send pid, :sup?"), "send(pid, :sup?)");
  EXPECT_EQ(read("Node.spawn_link(:kate@localhost, Kate, :say_name, [])"),
            "Node.spawn_link(:kate@localhost, Kate, :say_name, [])");
  EXPECT_EQ(read("Node.spawn_link :kate@localhost, Kate, :reply_sup, []"),
            "Node.spawn_link(:kate@localhost, Kate, :reply_sup, [])");
  EXPECT_EQ(read(":erlang.element(1, {1})"), ":erlang.element(1, {1})");
  EXPECT_EQ(read("Node.self"), "Node.self()");
  EXPECT_EQ(read("IO.puts \"Hi\""), "IO.puts(\"Hi\")");
  EXPECT_EQ(read("x.field"), "x.field");
  EXPECT_EQ(read("m[:k]"), "Access.get(m, :k)");
  EXPECT_EQ(read("f(a, key: 1)"), "f(a, [{:key, 1}])");
  EXPECT_EQ(read("1 |> Kernel.+(2)"), "Kernel.+(1, 2)");
}

TEST(shell_syntax, operators_follow_elixir_precedence) {
  EXPECT_EQ(read("1 + 2 * 3"), "(1 + (2 * 3))");
  EXPECT_EQ(read("a = b = 1"), "a = b = 1");
  EXPECT_EQ(read("x == 1 and y"), "((x == 1) and y)");
  EXPECT_EQ(read("\"a\" <> \"b\" <> \"c\""), "(\"a\" <> (\"b\" <> \"c\"))");
  EXPECT_EQ(read("not x"), "not x");
  EXPECT_EQ(read("x not in [1]"), "(x not in [1])");
}

TEST(shell_syntax, newlines_and_semicolons_separate_expressions) {
  EXPECT_EQ(read("x = 1; y = 2"), "x = 1 ; y = 2");
  EXPECT_EQ(read("x = 1\ny"), "x = 1 ; y");
  EXPECT_EQ(read("1 +\n2"), "(1 + 2)");
  EXPECT_EQ(read("[1,\n 2]"), "[1, 2]");
}

TEST(shell_syntax, receive_with_clauses_guards_and_after) {
  EXPECT_EQ(read("receive do\n  {:hi, pid} -> send pid, :sup?\nend"),
            "receive do {:hi, pid} -> send(pid, :sup?); end");
  EXPECT_EQ(read("receive do x when is_atom(x) -> x\n y -> y after 100 -> :timeout end"),
            "receive do x when is_atom(x) -> x; y -> y; after 100 -> :timeout end");
  EXPECT_EQ(read("receive do after 0 -> :none end"), "receive do after 0 -> :none end");
  EXPECT_EQ(read("receive do\n:a ->\n  1\n  2\nend"), "receive do :a -> 1; 2; end");
}

TEST(shell_syntax, case_if_cond) {
  EXPECT_EQ(read("case x do {a, _} -> a end"), "case x do {a, _} -> a; end");
  EXPECT_EQ(read("if x, do: 1, else: 2"), "if x do 1 else 2 end");
  EXPECT_EQ(read("if x do\n 1\nelse\n 2\nend"), "if x do (1) else (2) end");
  EXPECT_EQ(read("if f x do 1 end"), "if f(x) do (1) end");
  EXPECT_EQ(read("case f(x) do _ -> 1 end"), "case f(x) do _ -> 1; end");
}

TEST(shell_syntax, unfinished_input_asks_for_more) {
  EXPECT_EQ(read("{1, 2"), "incomplete");
  EXPECT_EQ(read("1 +"), "incomplete");
  EXPECT_EQ(read("receive do"), "incomplete");
  EXPECT_EQ(read("receive do\n x -> x"), "incomplete");
  EXPECT_EQ(read("\"abc"), "incomplete");
  EXPECT_EQ(read("foo("), "incomplete");
  EXPECT_EQ(read("fn -> 1"), "incomplete");
  EXPECT_EQ(read("receive do\n  y -> y\nafter\n"), "incomplete");
  EXPECT_EQ(read("receive do\n  y -> y\nafter\n  100 -> :timeout\nend"),
            "receive do y -> y; after 100 -> :timeout end");
}

TEST(shell_syntax, syntax_errors_say_where_and_what) {
  EXPECT_EQ(read(")"), "error 1:1: unexpected token: )");
  EXPECT_EQ(read("{1, 2 ]"),
            "error 1:7: unexpected token: ]. The \"{\" at line 1 is missing terminator \"}\"");
  EXPECT_EQ(read("end"), "error 1:1: unexpected reserved word: end");
}

TEST(shell_syntax, interpolated_strings_split_into_parts) {
  EXPECT_EQ(read("\"a #{x} b\""), "\"a #{(x)} b\"");
  EXPECT_EQ(read("\"#{1 + 2}\""), "\"#{((1 + 2))}\"");
}

TEST(shell_syntax, ambiguous_unary_call_is_marked) {
  parse_outcome r = parse("x -1");
  ASSERT_TRUE(std::holds_alternative<program>(r));
  const auto& e = *std::get<program>(r).exprs.at(0);
  EXPECT_EQ(e.kind, expr_kind::local_call);
  EXPECT_TRUE(e.ambiguous_unary);
  EXPECT_EQ(read("x - 1"), "(x - 1)");
}

TEST(shell_syntax, fn_and_defmodule_parse_as_unsupported) {
  parse_outcome r = parse("fn -> 1 end");
  ASSERT_TRUE(std::holds_alternative<program>(r));
  EXPECT_EQ(std::get<program>(r).exprs.at(0)->kind, expr_kind::unsupported);
  r = parse("defmodule Kate do\n def x, do: 1\nend");
  ASSERT_TRUE(std::holds_alternative<program>(r));
  EXPECT_EQ(std::get<program>(r).exprs.at(0)->kind, expr_kind::unsupported);
}

}  // namespace
