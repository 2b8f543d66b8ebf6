// Tests for the Elixir front end: exact forms for the lesson's lines, incomplete input and
// iex's errors, and a differential check against real Elixir 1.14, which evaluates every case
// both as Elixir source and as otpp's lowering of it (with :erl_eval) in one run.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "otpp/code/elixir.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"
#include "support/child_process.hpp"

namespace otpp::code {
namespace {

using namespace std::chrono_literals;

std::string erlang_text(const term& t) { return to_string(t, print_options(syntax::erlang)); }

// The lowered forms of `source` in Erlang syntax, or the error/incomplete as text.
std::string lowered(std::string_view source, const elixir_scope& scope = {}, const elixir_options& options = {}) {
  auto out = lower_elixir(source, scope, options);
  if (auto* ok = std::get_if<elixir_lowered>(&out)) return erlang_text(ok->exprs);
  if (std::holds_alternative<elixir_incomplete>(out)) return "incomplete";
  return std::get<elixir_error>(out).describe();
}

TEST(elixir_lower, a_fun_calling_a_remote_function_becomes_a_fun_of_one_clause) {
  EXPECT_EQ(lowered("fn -> Kate.say_name end"),
            "[{'fun',1,{clauses,[{clause,1,[],[],[{call,1,{remote,1,{atom,1,'Elixir.Kate'},"
            "{atom,1,say_name}},[]}]}]}}]");
}

TEST(elixir_lower, send_without_parentheses_becomes_erlang_send_of_the_bound_variable) {
  elixir_scope scope;
  scope.variables["pid"] = "_pid@1";
  EXPECT_EQ(lowered("send pid, :sup?", scope),
            "[{call,1,{remote,1,{atom,1,erlang},{atom,1,send}},[{var,1,'_pid@1'},{atom,1,'sup?'}]}]");
}

TEST(elixir_lower, receive_binds_its_pattern_variables_for_the_clause_body) {
  EXPECT_EQ(lowered("receive do {:hi, p} -> send p, :sup? end"),
            "[{'receive',1,[{clause,1,[{tuple,1,[{atom,1,hi},{var,1,'_p@1'}]}],[],"
            "[{call,1,{remote,1,{atom,1,erlang},{atom,1,send}},[{var,1,'_p@1'},{atom,1,'sup?'}]}]}]}]");
}

TEST(elixir_lower, rebinding_a_variable_makes_a_new_version_and_the_scope_follows_it) {
  auto out = lower_elixir("x = 1\nx = x + 1");
  auto& ok = std::get<elixir_lowered>(out);
  EXPECT_EQ(erlang_text(ok.exprs),
            "[{match,1,{var,1,'_x@1'},{integer,1,1}},"
            "{match,2,{var,2,'_x@2'},{op,2,'+',{var,2,'_x@1'},{integer,2,1}}}]");
  EXPECT_EQ(ok.scope.variables.at("x"), "_x@2");
  // The next input sees the latest version and keeps counting.
  auto next = lower_elixir("x", ok.scope);
  EXPECT_EQ(erlang_text(std::get<elixir_lowered>(next).exprs), "[{var,1,'_x@2'}]");
}

TEST(elixir_lower, captures_of_remote_functions_and_operators_are_export_funs) {
  EXPECT_EQ(lowered("&Kate.say_name/0"), "[{'fun',1,{function,{atom,1,'Elixir.Kate'},{atom,1,say_name},{integer,1,0}}}]");
  EXPECT_EQ(lowered("&+/2"), "[{'fun',1,{function,{atom,1,erlang},{atom,1,'+'},{integer,1,2}}}]");
  EXPECT_EQ(lowered("&(&1 * 2)"),
            "[{'fun',1,{clauses,[{clause,1,[{var,1,'_capture@1'}],[],[{op,1,'*',{var,1,'_capture@1'},{integer,1,2}}]}]}}]");
}

TEST(elixir_lower, a_literal_range_is_a_range_struct_map) {
  EXPECT_EQ(lowered("1..3"),
            "[{map,1,[{map_field_assoc,1,{atom,1,'__struct__'},{atom,1,'Elixir.Range'}},"
            "{map_field_assoc,1,{atom,1,first},{integer,1,1}},{map_field_assoc,1,{atom,1,last},{integer,1,3}},"
            "{map_field_assoc,1,{atom,1,step},{integer,1,1}}]}]");
}

TEST(elixir_lower, the_lessons_lines_lower_as_typed_in_iex) {
  elixir_options options;
  options.is_local = [](std::string_view name, std::size_t arity) { return name == "flush" && arity == 0; };
  elixir_scope scope;
  for (const char* line :
       {"defmodule Kate do\n  def say_name do\n    IO.puts \"Hi, my name is #{__MODULE__}\"\n  end\nend",
        "Node.spawn_link(:kate@localhost, fn -> Kate.say_name end)",
        "pid = Node.spawn_link(:kate@localhost, fn ->\n  receive do\n    {:hi, alex_node_pid} -> send alex_node_pid, :sup?\n  end\nend)",
        "send(pid, {:hi, self()})", "flush()"}) {
    auto out = lower_elixir(line, scope, options);
    auto* ok = std::get_if<elixir_lowered>(&out);
    ASSERT_NE(ok, nullptr) << line << ": " << lowered(line, scope, options);
    scope = ok->scope;
  }
  EXPECT_EQ(scope.variables.at("pid").rfind("_pid@", 0), 0u);
  EXPECT_EQ(lowered("Node.spawn_link(:kate@localhost, fn -> Kate.say_name end)"),
            "[{call,1,{remote,1,{atom,1,'Elixir.Node'},{atom,1,spawn_link}},[{atom,1,kate@localhost},"
            "{'fun',1,{clauses,[{clause,1,[],[],[{call,1,{remote,1,{atom,1,'Elixir.Kate'},{atom,1,say_name}},[]}]}]}}]}]");
  // Output pasted back is a comment in iex too: the line goes on.
  EXPECT_EQ(lowered("x = #PID<0.106.0>"), "incomplete");
}

TEST(elixir_lower, text_ending_inside_an_expression_is_incomplete) {
  for (const char* text : {"fn ->", "fn x -> x", "case x do", "[1, 2", "\"abc", "1 +", "receive do",
                           "%{a: 1", "if true do\n  1\nelse", "foo(", "Enum.map([1], fn x ->\n x end",
                           "\"a#{1", "try do\n 1\nrescue", "~w(a b", "\"\"\"\nabc", "<<1,", "{1,"}) {
    EXPECT_EQ(lowered(text), "incomplete") << text;
  }
}

TEST(elixir_lower, syntax_errors_give_iexs_kind_position_and_wording) {
  // The wording and positions real Elixir 1.14 gives for the same text.
  EXPECT_EQ(lowered("1 + )"), "** (SyntaxError) iex:1:5: unexpected token: )");
  EXPECT_EQ(lowered("[1, 2}"),
            "** (SyntaxError) iex:1:6: unexpected token: }. The \"[\" at line 1 is missing terminator \"]\"");
  EXPECT_EQ(lowered("x = 1\n) + 2"), "** (SyntaxError) iex:2:1: unexpected token: )");
  EXPECT_EQ(lowered("end"), "** (SyntaxError) iex:1:1: unexpected reserved word: end");
  elixir_options third_prompt;
  third_prompt.first_line = 3;
  EXPECT_EQ(lowered("x = 1\n) + 2", {}, third_prompt), "** (SyntaxError) iex:4:1: unexpected token: )");
  EXPECT_EQ(lowered("y", {}, third_prompt), "** (CompileError) iex:3: undefined function y/0 (there is no such import)");
  EXPECT_EQ(lowered(":a", {}, third_prompt), "[{atom,3,a}]");
  EXPECT_EQ(lowered("if true, do: 1, foo: 2"),
            "** (ArgumentError) invalid or duplicate keys for if, only \"do\" and an optional \"else\" are permitted");
}

TEST(elixir_lower, unknown_names_are_compile_errors_unless_the_shell_owns_them) {
  EXPECT_EQ(lowered("y + 1"), "** (CompileError) iex:1: undefined function y/0 (there is no such import)");
  EXPECT_EQ(lowered("foo(1, 2)"), "** (CompileError) iex:1: undefined function foo/2 (there is no such import)");
  EXPECT_EQ(lowered("&(&1 + &3)"),
            "** (CompileError) iex:1: capture argument &2 cannot be defined without &1 (you cannot skip "
            "arguments, all arguments must be numbered)");
  EXPECT_EQ(lowered("^x = 1"), "** (CompileError) iex:1: undefined variable ^x. No variable \"x\" has been defined before the current pattern");
  elixir_options options;
  options.is_local = [](std::string_view name, std::size_t arity) { return name == "flush" && arity == 0; };
  EXPECT_EQ(lowered("flush()", {}, options), "[{call,1,{atom,1,flush},[]}]");
  EXPECT_EQ(lowered("flush", {}, options), "[{call,1,{atom,1,flush},[]}]");
}

TEST(elixir_lower, iex_macros_take_their_arguments_source_text) {
  elixir_options options;
  options.is_local = [](std::string_view name, std::size_t) { return name == "h" || name == "i"; };
  options.takes_source = [](std::string_view name, std::size_t) { return name == "h"; };
  EXPECT_EQ(lowered("h Enum.map/2", {}, options),
            "[{call,1,{atom,1,h},[{bin,1,[{bin_element,1,{string,1,\"Enum.map/2\"},default,default}]}]}]");
  EXPECT_EQ(lowered("h(Enum.map)", {}, options),
            "[{call,1,{atom,1,h},[{bin,1,[{bin_element,1,{string,1,\"Enum.map\"},default,default}]}]}]");
  // Other helpers get values.
  EXPECT_EQ(lowered("i :a", {}, options), "[{call,1,{atom,1,i},[{atom,1,a}]}]");
}

TEST(elixir_lower, a_failed_input_leaves_the_variables_but_not_the_version_numbers) {
  elixir_scope before;
  before.variables["x"] = "_x@1";
  before.counter = 1;
  auto out = lower_elixir("x = 2; y = 3", before);
  const auto& attempted = std::get<elixir_lowered>(out).scope;
  const elixir_scope after = scope_after_failure(before, attempted);
  EXPECT_EQ(after.variables.at("x"), "_x@1");
  EXPECT_FALSE(after.variables.count("y"));
  // The next input never reuses a name the failed one may have bound.
  EXPECT_EQ(lowered("x = 4", after), "[{match,1,{var,1,'_x@4'},{integer,1,4}}]");
}

TEST(elixir_lower, aliases_persist_in_the_scope) {
  auto out = lower_elixir("alias Foo.Bar\nBar.baz()");
  auto& ok = std::get<elixir_lowered>(out);
  EXPECT_EQ(erlang_text(ok.exprs),
            "[{atom,1,'Elixir.Foo.Bar'},{call,2,{remote,2,{atom,2,'Elixir.Foo.Bar'},{atom,2,baz}},[]}]");
  EXPECT_EQ(lowered("Bar", ok.scope), "[{atom,1,'Elixir.Foo.Bar'}]");
}

TEST(elixir_lower, defmodule_becomes_a_call_defining_the_module_from_its_erlang_forms) {
  const std::string out = lowered("defmodule Kate do\n  def say_name do\n    IO.puts(\"kate\")\n  end\nend");
  // otpp_module:define('Elixir.Kate', Forms, {say_name, 0}), Forms as a literal.
  EXPECT_EQ(out.rfind("[{call,1,{remote,1,{atom,1,otpp_module},{atom,1,define}},[{atom,1,'Elixir.Kate'},", 0), 0u) << out;
  EXPECT_NE(out.find("{tuple,1,[{atom,1,attribute},{integer,1,1},{atom,1,export},{cons,1,{tuple,1,[{atom,1,say_name},"
                     "{integer,1,0}]},{nil,1}}]}"), std::string::npos) << out;
  EXPECT_NE(out.find("{atom,1,function},{integer,1,2},{atom,1,say_name},{integer,1,0}"), std::string::npos) << out;
  EXPECT_NE(out.find("{tuple,2,[{atom,2,say_name},{integer,2,0}]}]}]"), std::string::npos) << out;
  EXPECT_EQ(lowered("def f, do: 1"), "** (CompileError) iex:1: cannot invoke def/2 outside module");
}

TEST(elixir_lower, names_past_the_atom_limit_are_an_error_not_a_crash) {
  const std::string long_name(300, 'f');
  for (const std::string& text : {"Enum.\"" + long_name + "\"()", long_name + " = 1", "&(&1.\"" + long_name + "\")"}) {
    auto out = lower_elixir(text);
    ASSERT_TRUE(std::holds_alternative<elixir_error>(out)) << text;
    EXPECT_EQ(std::get<elixir_error>(out).kind, "SystemLimitError") << text;
  }
}

TEST(elixir_lower, deeply_nested_input_is_an_error_not_a_crash) {
  const std::string deep(5000, '[');
  auto out = lower_elixir(deep + "1" + std::string(5000, ']'));
  ASSERT_TRUE(std::holds_alternative<elixir_error>(out));
  EXPECT_NE(std::get<elixir_error>(out).message.find("nested too deeply"), std::string::npos);
  // Long left-associative chains nest as deeply, without a bracket.
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  auto sum = lower_elixir(chain);
  ASSERT_TRUE(std::holds_alternative<elixir_error>(sum));
  std::string pipes = "x = 1; x";
  for (int i = 0; i < 5000; ++i) pipes += ".a";
  ASSERT_TRUE(std::holds_alternative<elixir_error>(lower_elixir(pipes)));
}

// ---- differential: real Elixir evaluates the source and otpp's lowering -------------------

// What the shell would answer from its export table, for the imports the cases make.
elixir_options reference_options() {
  elixir_options options;
  options.exports = [](atom module, std::string_view name, std::size_t arity) {
    static const std::set<std::tuple<std::string_view, std::string_view, std::size_t>> known = {
        {"Elixir.Enum", "map", 2}, {"Elixir.Enum", "sum", 1}, {"Elixir.Enum", "count", 1},
        {"lists", "reverse", 1},   {"lists", "seq", 2},       {"Elixir.Bitwise", "band", 2}};
    return known.count({module.name(), name, arity}) != 0;
  };
  return options;
}

const std::vector<std::string>& reference_cases() {
  static const std::vector<std::string> cases = {
      // literals and data
      "1", "-7", "1_000_000", "0x1F", "2.5", "1.0e3", ":ok", ":\"quoted atom\"", "nil", "true", "\"héllo\"",
      "'abc'", "[]", "[1, 2 | [3]]", "{}", "{1, :two, \"three\"}", "[a: 1, b: 2]", "%{}", "%{a: 1, b: 2}",
      "%{\"k\" => [1], 2 => 3}", "?a", "<<1, 2, 3>>", "<<256::16, 1::little-32>>", "<<\"abc\", 0>>",
      "<<1.5::float>>", "<<?é::utf8>>", "\"\"\"\n  a\n  b\n  \"\"\"",
      // arithmetic and comparison
      "1 + 2 * 3", "10 / 4", "div(10, 3)", "rem(-7, 2)", "2 ** 10", "-(3 - 5)", "100000000000000000000 * 3",
      "1 == 1.0", "1 === 1.0", "1 != 2", "1 !== 1.0", "1 < :a", "\"b\" >= \"a\"", "abs(-3)", "max(1, 2)",
      "1 / 0", "1 + :a",
      // booleans and truthiness
      "true and false", "false or :x", "1 and true", "not true", "!nil", "!1", "nil && 1", "1 && 2",
      "nil || :d", "false || nil", "1 in [1, 2]", "3 in 1..2", "5 not in [1]",
      // strings, lists, binaries
      "\"a\" <> \"b\" <> \"c\"", "x = 3; \"x is #{x}!\"", "\"#{:atom} #{1.5} #{[?a]}\"", "[1] ++ [2]",
      "[1, 2, 3] -- [2]", "~w(a b c)", "~w(a b)a", "~s(x #{1 + 1})", "~c(ab)", "length([1, 2])",
      "hd([1, 2])", "tl([1])", "byte_size(\"abc\")", "is_binary(\"a\") and is_atom(:a)",
      "elem({:a, :b}, 1)", "put_elem({1, 2}, 0, :x)", "tuple_size({1, 2, 3})", "to_string(42)",
      "to_charlist(\"ab\")", "inspect([1, :a])", "is_nil(nil)",
      // variables, matching, pins
      "x = 1; y = x + 1; {x, y}", "{a, b} = {1, 2}; b", "[h | t] = [1, 2, 3]; {h, t}", "x = 1; x = 2; x",
      "x = 1; ^x = 1", "x = 1; ^x = 2", "{x, x} = {1, 1}", "{x, x} = {1, 2}", "%{a: v} = %{a: 5, b: 6}; v",
      "<<a::8, rest::binary>> = \"hey\"; {a, rest}", "\"he\" <> rest = \"hello\"; rest",
      "<<n::16, s::binary-size(2)>> = <<0, 7, ?o, ?k>>; {n, s}", "_ = 5", "[_, second | _] = [1, 2, 3]; second",
      // maps and structs
      "m = %{a: 1}; %{m | a: 2}", "m = %{a: 1}; %{m | b: 2}", "m = %{a: 1}; m.a", "m = %{a: 1}; m.b",
      "m = %{a: 1}; m[:a]", "kw = [a: 1]; kw[:a]", "Map.get(%{a: 1}, :a)", "r = 1..3; r.first",
      "%{1..3 | last: 9}.last", "%Range{first: 1, last: 2, step: 1}", "first..last = 4..6; {first, last}",
      // pipes and calls
      "[1, 2, 3] |> Enum.map(fn x -> x * 2 end) |> Enum.sum()", "\"abc\" |> String.upcase()",
      ":lists.reverse([1, 2])", ":erlang.element(1, {:a})", "Enum.reduce(1..4, 0, &+/2)",
      "Enum.map([1, 2], &(&1 * 10))", "Enum.map([{1, 2}], &{elem(&1, 1), &1})", "f = &Enum.count/1; f.([1, 2])",
      "f = &is_atom/1; f.(:a)", "String.length(\"héllo\")", "1 |> then(&(&1 + 1))", "List.first([])",
      // fn
      "f = fn x -> x + 1 end; f.(1)", "f = fn -> :hi end; f.()", "fn x, y -> x + y end.(1, 2)",
      "f = fn 0 -> :zero; n when n > 0 -> :pos; _ -> :neg end; {f.(0), f.(5), f.(-1)}",
      "x = 10; f = fn y -> x + y end; f.(1)", "x = 1; f = fn ^x -> :same; _ -> :other end; {f.(1), f.(2)}",
      "f = fn {:ok, v} -> v end; f.({:error, 1})", "fn x -> x end.(1, 2)", "f = fn x -> x end; f",
      // control flow
      "if 1 > 0, do: :yes, else: :no", "if nil do :a else :b end", "if false, do: :never", "unless false, do: :ran",
      "case {1, 2} do {1, x} -> x; _ -> :none end", "case 5 do n when n > 3 and n < 10 -> :mid; _ -> :other end",
      "case :z do :a -> 1 end", "cond do 1 > 2 -> :a; nil -> :b; true -> :c end", "cond do false -> 1 end",
      "x = 5\ncase x do\n  1 -> :one\n  other -> {:other, other}\nend",
      "with {:ok, a} <- {:ok, 1}, {:ok, b} <- {:ok, a + 1}, do: a + b",
      "with {:ok, a} <- {:error, :nope}, do: a", "with {:ok, a} <- {:error, 2} do a else {:error, e} -> {:handled, e} end",
      "with {:ok, a} <- :bad do a else {:error, _} -> :no end", "with x = 2, {:ok, y} <- {:ok, x * 2}, do: y",
      // for comprehensions
      "for x <- [1, 2, 3], do: x * 2", "for x <- 1..5, rem(x, 2) == 1, do: x", "for x <- [1, 2], y <- [:a, :b], do: {x, y}",
      "for {:ok, v} <- [{:ok, 1}, :skip, {:ok, 2}], do: v", "for x <- [1, 2, 3], into: %{}, do: {x, x * x}",
      "for x <- [1, 1, 2], uniq: true, do: x", "for x <- 1..4, reduce: 0 do acc -> acc + x end",
      "for x <- ~w(a b), into: \"\", do: x <> x", "for x when x > 1 <- [1, 2, 3], do: x",
      // receive and processes
      "send(self(), :hi); receive do :hi -> :got end", "receive do :never -> 1 after 0 -> :timeout end",
      "send(self(), {:n, 4}); receive do {:n, n} when n > 3 -> n * 2 end", "is_pid(self())", "node()",
      "ref = make_ref(); send(self(), ref); receive do ^ref -> :matched end",
      "pid = spawn(fn -> :ok end); is_pid(pid)",
      // exceptions
      "raise \"boom\"", "raise ArgumentError, \"bad\"", "raise ArgumentError", "try do raise \"x\" rescue e -> e.message end",
      "try do raise \"x\" rescue e in RuntimeError -> {:rt, e.message} end",
      "try do 1 / 0 rescue e in ArithmeticError -> :arith end", "try do 1 / 0 rescue ArithmeticError -> :arith end",
      "try do throw(:t) catch v -> {:caught, v} end", "try do exit(:bye) catch :exit, r -> r end",
      "try do :ok after :ignored end", "try do 1 else 1 -> :one end", "try do raise \"a\" rescue [ArgumentError, RuntimeError] -> :list end",
      "try do {:a} = {:b} rescue e in MatchError -> e.term end", "try do raise \"z\" catch :error, r -> r.message end",
      "x = \"dyn\"; try do raise x rescue e -> e.message end", "throw(:up)", "exit(:normal)",
      "try do raise \"a\" rescue e in ArithmeticError -> :wrong end",
      // the lesson and everyday lines
      "Enum.map([1, 2], fn x -> x * 2 end)", "Enum.reduce(1..100_000, 0, &+/2)",
      "[1, 2]\n|> Enum.map(&(&1 + 1))\n|> Enum.sum()", "String.split(\"a,b,,c\", \",\", trim: true)",
      "Keyword.get([a: 1], :a)", "Enum.into([{:a, 1}], %{})", "Map.put(%{}, :k, 1)",
      "[1, 2, 3] |> Enum.filter(&(&1 > 1)) |> length()", "1..3 |> Enum.to_list()", "1 + 2 |> Integer.to_string()",
      "Enum.map(%{a: 1}, fn {k, v} -> {v, k} end)", "{:a, b: 1}", "Enum.map([[1], [2]], &Enum.sum/1)",
      "apply(Enum, :sum, [[1, 2]])", "Kernel.+(1, 2)", ":erlang.+(1, 2)", "is_function(&Enum.map/2, 2)",
      "Map.update!(%{a: 1}, :a, &(&1 + 1))", "\"abc\" |> String.graphemes() |> Enum.reverse() |> Enum.join()",
      "~r/a+/ |> Regex.match?(\"caat\")", "\"a\" =~ \"a\"", "String.to_atom(\"x\")", "Process.sleep(0)",
      "Enum.map(1..3, fn x -> case x do 1 -> :one; _ -> :many end end)", "r = 1..4; %Range{r | last: 9}.last",
      "1..10//3 |> Enum.to_list()", "Enum.to_list(5..1)",
      // more semantics
      "x = 1; fn -> x = 2 end.(); x", "x = 1; if true do x = 2 end; x", "foo = fn -> :foo end; foo.()",
      "f = fn a, b when a > b -> a; _, b -> b end; {f.(3, 2), f.(1, 2)}", "{_x, y} = {1, 2}; y",
      "x = nil; if x, do: 1, else: 2", "unless 1, do: :a, else: :b", "!!:a", "not false and true",
      "case 1 do x when is_integer(x) and x > 0 -> :pos end", "%{\"k\" => v} = %{\"k\" => 3}; v",
      "<<c::utf8, _::binary>> = \"é!\"; c", "\"#{1}\" <> \"x\"", "\"tab\\there\"", "\"\\#{x}\"",
      "?\\n", "~c\"a#{1}\"", "[1, 2] = [1, 2]", "case [1, 2] do [a, b] -> a + b end",
      "with {:ok, x} when x > 0 <- {:ok, 1}, do: x", "t = 0; receive do :x -> 1 after t -> :late end",
      "try do :erlang.error(:boom) rescue e -> e end", "try do raise %ArgumentError{message: \"m\"} rescue e -> e end",
      "try do raise \"a\" rescue e -> reraise e, __STACKTRACE__ end",
      "%{a: 1}.b", "hd([])", "elem({}, 0)", "x = 1\n\nx + 1 # a comment", "-(-3)", "x = 2; -x",
      "Enum.sort([3, 1, 2], &>=/2)", "List.to_tuple([1, 2])", "Tuple.to_list({1})", "Integer.parse(\"12a\")",
      "for x <- [1, 2], y = x * 10, do: y", "for x <- [1, 2, 3], x > 1, y <- [x], do: {x, y}",
      "for <<c <- \"ab\">>, do: c",
      // guards, receive, strings, calls
      "case 2 do x when x in [1, 2] -> :y end", "case 2 do x when x in 1..3 and not is_float(x) -> :y end",
      "case 5 do x when x in 1..3 -> :in; _ -> :out end", "f = fn x when is_atom(x) or is_nil(x) -> :a; _ -> :b end; {f.(:x), f.(1)}",
      "receive do after 10 -> :t end", "x = 2\n\"\"\"\nx is #{x}\n  indented\n\"\"\"", "\"\\u00e9\\x41\"",
      "1 |> (fn x -> x + 1 end).()", "Enum.join([1, 2], \"-\")", "String.pad_leading(\"7\", 3, \"0\")",
      "[1, 2,]", "%{a: 1, b: 2,}", "Enum.zip([1, 2], [:a, :b])", "Enum.each([1], fn _ -> :ok end)",
      "Enum.filter(1..10, fn x -> rem(x, 3) == 0 end)", "Enum.group_by([1, 2, 3], &rem(&1, 2))",
      "String.replace(\"a-b\", \"-\", \"+\")", "Atom.to_string(:a)", "Integer.to_string(255, 16)",
      "Map.keys(%{b: 1, a: 2})", "List.flatten([1, [2, [3]]])", "Enum.max_by([{1, :a}, {3, :b}], &elem(&1, 0))",
      "abc = 1; abc + 1", "é = 1; é", "x? = 1", ":erlang.atom_to_binary(:x, :utf8)",
      "{:ok, pid} = Task.start(fn -> :ok end); is_pid(pid)", "self() |> is_pid()",
      "Enum.map([1, 2], fn\n  1 -> :one\n  _ -> :other\nend)",
      "try do\n  :ok\nafter\n  :done\nend", "if true do\n  x = 1\n  x + 1\nend",
      "with {:ok, a} <- {:ok, 1},\n     {:ok, b} <- {:ok, 2} do\n  a + b\nend", "for x <- [1, 2],\n    y <- [3] do\n  x * y\nend",
      "2 |> case do 1 -> :one; _ -> :other end", "if(true, do: 1)", "m = %{a: %{b: 1}}; m.a.b",
      "%{%{\"k\" => 1} | \"k\" => 2}", "Enum.map([1, 2], fn x ->\n  y = x * 2\n  y + 1\nend)",
      "case {:ok, 1} do\n  {:ok, n} when n > 0 ->\n    :pos\n\n  {:ok, _} ->\n    :other\nend",
      "x = 1\ny = case x do\n  1 -> :a\nend\n{x, y}", "[a: 1] ++ [b: 2]", "[{:a, 1}] == [a: 1]",
      "x = 1; a = 2; binding()", "x = 1; x = 2; _y = 3; binding()",
      "defmodule M8 do\n  def f(a, b \\\\ 2)\n  def f(a, 1), do: {:one, a}\n  def f(a, b), do: {a, b}\nend\n{M8.f(0), M8.f(0, 1), M8.f(0, 5)}",
      "a = 5; b = 1; Enum.to_list(a..b)", "a = 1; b = 3; a..b", "x = 2; Enum.to_list(1..x//1)", ":é", "~r/a/i |> Regex.match?(\"A\")",
      "Enum.map(~w(a b), &String.to_atom/1)", "<<x::binary-size(2), _::binary>> = \"abcd\"; x", "<<-1::signed-8>>",
      "<<a::4, b::4>> = <<0xAB>>; {a, b}", "<<1::size(2), 1::size(6)>>", "for x <- [3, 1, 2], into: [], do: x",
      "Enum.reverse(for x <- 1..3, do: x)", "Enum.map([1], fn x -> if x do\n  x\n  -1\nend end)",
      "List.wrap(if true do\n  1\n  -2\nend)", "x = 2; for ^x <- [1, 2, 3, 2], do: :hit",
      "k = :a; for {^k, v} <- [a: 1, b: 2, a: 3], do: v", "f = &<>/2; f.(\"a\", \"b\")", "f = &!/1; f.(nil)",
      "Enum.reduce([[1], [2]], &++/2)", "Kernel.=(1)", "Kernel.and(1)", "Kernel.<>()", "case :erlang.now() do {_, _, _} -> :ok end",
      // import
      "import Enum\nmap([1, 2], &(&1 + 1)) |> sum()", "import :lists, only: [reverse: 1]\nreverse([1, 2])",
      "import Bitwise\n{5 &&& 3, 5 ||| 3, 1 <<< 4, band(6, 3)}", "import Enum, except: [count: 1]\nsum([1])",
      // defmodule (the forms are compiled by the real compiler in the reference run)
      "defmodule Kate do\n  def say_name do\n    :kate\n  end\nend\nKate.say_name()",
      "defmodule M1 do\n  def f(0), do: :zero\n  def f(n) when n > 0, do: {:pos, g(n)}\n  defp g(n), do: n * 2\nend\n{M1.f(0), M1.f(4)}",
      "defmodule M2 do\n  @base 10\n  def add(x, y \\\\ @base), do: x + y\n  def name, do: __MODULE__\nend\n{M2.add(1), M2.add(1, 2), M2.name()}",
      "defmodule M3 do\n  defstruct [:a, b: 2]\nend\n{struct(M3, a: 1), M3.__struct__().b, M3.__struct__(a: 5).a}",
      "defmodule M4 do\n  def f(a \\\\ 1, b, c \\\\ 3), do: [a, b, c]\nend\n{M4.f(:x), M4.f(:x, :y), M4.f(:x, :y, :z)}",
      "defmodule M5 do\n  def safe(x) do\n    1 / x\n  rescue\n    ArithmeticError -> :inf\n  end\nend\n{M5.safe(0), M5.safe(2)}",
      "defmodule M6 do\n  def twice(f), do: fn x -> f.(f.(x)) end\n  def run, do: twice(&(&1 + 1)).(0)\nend\nM6.run()",
      "defmodule M7 do\n  def fact(0), do: 1\n  def fact(n), do: n * fact(n - 1)\nend\nM7.fact(20)",
  };
  return cases;
}

// Sources both otpp and real Elixir refuse before running anything; the kind must agree.
const std::vector<std::string>& refused_cases() {
  static const std::vector<std::string> cases = {
      "1 + )", "[1, 2}", "y + 1", "foo(1, 2)", "&(&1 + &3)", "^x = 1", "end", "fn x -> x; x, y -> y end",
      "cond do 1 end", "x = 1; ^y = 1", "receive do after 1 -> 1; 2 -> 2 end", "x(1) = 2", "_ + 1", "raise",
      "for x <- [1], do: x, foo: 1", "&1", "&(1)", "x = ; 1", "Enum.map([1], &(&1 + &(&1)))",
      "fn -> 1 end.()(2)", "case 1 do 1 end", "%{a: 1} = %{m | a: 2}", "\"#{\"", "a b c d",
      "if true, do: 1, foo: 2", "@foo", "sigil_um()", "interp(1)", "1 ~> 2", "&=/0", "&|>/2", "x = 5; x -1", "import :lists, only: [reverse: 1]\nseq(1, 2)",
      "import Enum, except: [count: 1]\ncount([1])",
  };
  return cases;
}

struct reference_run {
  bool available = false;  // elixir could be started
  std::string failure;     // why the run did not happen or did not finish
  std::map<std::size_t, std::string> results;  // case -> "OK" or the difference
  // case -> what real Elixir gave: {value, V} or {Class, Reason}, funs as {fun, {arity, N}}.
  std::map<std::size_t, term> expected;
  std::map<std::size_t, std::string> lowering_errors;
};

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

const reference_run& run_reference() {
  static const reference_run run = [] {
    reference_run r;
    std::vector<std::string> cases = reference_cases();
    cases.insert(cases.end(), refused_cases().begin(), refused_cases().end());
    const auto dir = std::filesystem::temp_directory_path() /
                     ("otpp-elixir-lower-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto input = dir / "cases.txt";
    {
      std::ofstream out(input);
      for (std::size_t i = 0; i < cases.size(); ++i) {
        auto lowered = lower_elixir(cases[i], {}, reference_options());
        auto* ok = std::get_if<elixir_lowered>(&lowered);
        if (i >= reference_cases().size()) {
          // A refused case: Elixir must refuse it the same way.
          if (ok) {
            r.lowering_errors[i] = "accepted";
            continue;
          }
          auto* error = std::get_if<elixir_error>(&lowered);
          out << i << '\t' << hex(cases[i]) << "\t!" << (error ? error->kind : "TokenMissingError") << '\n';
          continue;
        }
        if (!ok) {
          r.lowering_errors[i] = std::holds_alternative<elixir_error>(lowered)
                                     ? std::get<elixir_error>(lowered).describe()
                                     : "incomplete";
          continue;
        }
        const auto bytes = etf::encode(ok->exprs);
        out << i << '\t' << hex(cases[i]) << '\t'
            << hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())) << '\n';
      }
    }
    try {
      test::child_process elixir({{"elixir", std::string(OTPP_SOURCE_DIR) + "/tests/code/elixir_reference.exs",
                                   input.string()},
                                  {},
                                  false});
      r.available = true;
      if (!elixir.wait_for("DONE", 120s)) {
        r.failure = "elixir gave no DONE: " + elixir.output();
        elixir.kill(SIGKILL);
      } else {
        std::istringstream lines(elixir.output());
        std::string line;
        while (std::getline(lines, line)) {
          if (line.rfind("CASE ", 0) != 0) continue;
          std::size_t index = std::stoul(line.substr(5));
          const auto status = line.find(' ', 5);
          std::string result = line.substr(status + 1);
          if (result.rfind("OK ", 0) == 0) {
            std::vector<std::uint8_t> bytes;
            for (std::size_t k = 3; k + 1 < result.size(); k += 2) {
              bytes.push_back(static_cast<std::uint8_t>(std::stoi(result.substr(k, 2), nullptr, 16)));
            }
            if (auto value = etf::decode(bytes); value.ok()) r.expected[index] = *value;
            result = "OK";
          }
          r.results[index] = result;
        }
      }
      elixir.wait();
    } catch (const std::exception& e) {
      r.failure = e.what();
    }
    std::filesystem::remove_all(dir);
    return r;
  }();
  return run;
}

// One test per list (CTest runs each test in a process of its own: one elixir run each), one
// expectation per case.
TEST(elixir_reference, lowered_code_evaluates_as_real_elixir_does) {
  const reference_run& run = run_reference();
  for (std::size_t i = 0; i < reference_cases().size(); ++i) {
    const std::string& source = reference_cases()[i];
    if (auto it = run.lowering_errors.find(i); it != run.lowering_errors.end()) {
      ADD_FAILURE() << source << "\n  lowering failed: " << it->second;
    }
  }
  if (!run.available) GTEST_SKIP() << "no elixir: " << run.failure;
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  std::size_t agreed = 0;
  for (std::size_t i = 0; i < reference_cases().size(); ++i) {
    if (run.lowering_errors.count(i)) continue;
    const std::string& source = reference_cases()[i];
    auto it = run.results.find(i);
    if (it == run.results.end()) {
      ADD_FAILURE() << source << ": no result from elixir";
      continue;
    }
    EXPECT_EQ(it->second, "OK") << source << "\n  lowered: " << lowered(source);
    if (it->second != "OK") continue;
    EXPECT_TRUE(run.expected.count(i)) << source << ": no value from elixir";
    ++agreed;
  }
  EXPECT_GE(agreed, 250u);  // the list is the test: it must not silently shrink
}

TEST(elixir_reference, the_run_reports_real_elixirs_values) {
  const reference_run& run = run_reference();
  if (!run.available) GTEST_SKIP() << "no elixir: " << run.failure;
  const auto& cases = reference_cases();
  const auto at = static_cast<std::size_t>(std::find(cases.begin(), cases.end(), "1 + 2 * 3") - cases.begin());
  ASSERT_TRUE(run.expected.count(at));
  EXPECT_EQ(erlang_text(run.expected.at(at)), "{value,7}");
}

TEST(elixir_reference, source_real_elixir_refuses_is_refused_with_the_same_error) {
  const reference_run& run = run_reference();
  const std::size_t first = reference_cases().size();
  for (std::size_t k = 0; k < refused_cases().size(); ++k) {
    if (auto it = run.lowering_errors.find(first + k); it != run.lowering_errors.end()) {
      ADD_FAILURE() << refused_cases()[k] << "\n  otpp did not refuse it: " << lowered(refused_cases()[k]);
    }
  }
  if (!run.available) GTEST_SKIP() << "no elixir: " << run.failure;
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  for (std::size_t k = 0; k < refused_cases().size(); ++k) {
    if (run.lowering_errors.count(first + k)) continue;
    const std::string& source = refused_cases()[k];
    auto it = run.results.find(first + k);
    if (it == run.results.end()) {
      ADD_FAILURE() << source << ": no result from elixir";
      continue;
    }
    EXPECT_EQ(it->second, "OK") << source << "\n  otpp: " << lowered(source);
  }
}

}  // namespace
}  // namespace otpp::code
