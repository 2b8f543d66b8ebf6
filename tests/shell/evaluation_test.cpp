// Inputs typed in a shell session, evaluated by the code layer in the shell process: values,
// bindings across inputs, patterns, operators, the library, and the error reports iex prints
// for each failure (the expectations were checked against iex 1.14).
#include "session_fixture.hpp"

namespace {

using namespace otpp;
using shell_eval = otpp::test::shell_session;

TEST_F(shell_eval, literals_evaluate_to_themselves) {
  EXPECT_EQ(run(":sup?"), ":sup?");
  EXPECT_EQ(run("{:hi, [1, 2.5], \"a\", 'ab'}"), "{:hi, [1, 2.5], \"a\", 'ab'}");
  EXPECT_EQ(run("%{a: 1}"), "%{a: 1}");
  EXPECT_EQ(run("<<1, 2, 3>>"), "<<1, 2, 3>>");
  EXPECT_EQ(run(":\"Elixir.Kate\""), "Kate");
}

TEST_F(shell_eval, arithmetic_and_comparison) {
  EXPECT_EQ(run("1 + 2"), "3");
  EXPECT_EQ(run("1 - 5 * 2"), "-9");
  EXPECT_EQ(run("10 / 4"), "2.5");
  EXPECT_EQ(run("div(10, 4)"), "2");
  EXPECT_EQ(run("rem(10, 4)"), "2");
  EXPECT_EQ(run("9223372036854775807 + 1"), "9223372036854775808");
  EXPECT_EQ(run("99999999999999999999 * 99999999999999999999"),
            "9999999999999999999800000000000000000001");
  EXPECT_EQ(run("div(99999999999999999999 * 3, 3)"), "99999999999999999999");
  EXPECT_EQ(run("1 == 1.0"), "true");
  EXPECT_EQ(run("1 === 1.0"), "false");
  EXPECT_EQ(run(":a < :b"), "true");
  EXPECT_EQ(run(":erlang.+(1, 2)"), "3");
}

TEST_F(shell_eval, bindings_persist_across_inputs) {
  EXPECT_EQ(run("x = 5"), "5");
  EXPECT_EQ(run("x"), "5");
  EXPECT_EQ(run("x = x + 1"), "6");
  EXPECT_EQ(run("{a, b} = {1, 2}"), "{1, 2}");
  EXPECT_EQ(run("a + b"), "3");
  EXPECT_EQ(run("[h | t] = [1, 2, 3]"), "[1, 2, 3]");
  EXPECT_EQ(run("t"), "[2, 3]");
  EXPECT_EQ(run("z = y = 7"), "7");
  EXPECT_EQ(run("y"), "7");
  EXPECT_EQ(run("%{a: aa} = %{a: 1, b: 2}"), "%{a: 1, b: 2}");
  EXPECT_EQ(run("aa"), "1");
  EXPECT_EQ(run("\"he\" <> rest = \"hello\""), "\"hello\"");
  EXPECT_EQ(run("rest"), "\"llo\"");
}

TEST_F(shell_eval, match_errors_print_like_iex) {
  EXPECT_EQ(run("{:a, b} = {:c, 1}"),
            "** (MatchError) no match of right hand side value: {:c, 1}\n\n");
  EXPECT_EQ(run("x = 1"), "1");
  EXPECT_EQ(run("^x = 2"), "** (MatchError) no match of right hand side value: 2\n\n");
  EXPECT_EQ(run("{y, y} = {1, 2}"),
            "** (MatchError) no match of right hand side value: {1, 2}\n\n");
  EXPECT_EQ(run("_ = 5"), "5");
}

TEST_F(shell_eval, failed_match_leaves_bindings_alone) {
  run("x = 1");
  run("{x, :no} = {2, :yes}");
  EXPECT_EQ(run("x"), "1");
}

TEST_F(shell_eval, compile_errors_come_before_any_side_effect) {
  EXPECT_EQ(run("IO.puts(\"a\"); foo()"),
            "** (CompileError) iex:1: undefined function foo/0 (there is no such import)\n\n");
  EXPECT_EQ(node_output->text(), "");
  EXPECT_EQ(run("x"),
            "** (CompileError) iex:1: undefined function x/0 (there is no such import)\n\n");
  EXPECT_EQ(run("^q = 1"),
            "** (CompileError) iex:1: undefined variable ^q. No variable \"q\" has been defined "
            "before the "
            "current pattern\n\n");
  EXPECT_EQ(run("_"),
            "** (CompileError) iex:1: invalid use of _. \"_\" represents a value to be ignored in "
            "a pattern and "
            "cannot be used in expressions\n\n");
  EXPECT_EQ(run("send(:a)"),
            "** (CompileError) iex:1: undefined function send/1 (there is no such import)\n\n");
}

TEST_F(shell_eval, ambiguous_unary_call_on_a_variable_is_a_compile_error) {
  run("x = 5");
  EXPECT_EQ(run("x - 1"), "4");
  EXPECT_EQ(run("x -1").rfind(
                "** (CompileError) iex:3: \"x -1\" looks like a function call but there is a "
                "variable named \"x\"",
                0),
            0u);
}

TEST_F(shell_eval, undefined_remote_functions) {
  EXPECT_EQ(
      run("Foo.bar()"),
      "** (UndefinedFunctionError) function Foo.bar/0 is undefined (module Foo is not available)\n"
      "    Foo.bar()\n");
  EXPECT_EQ(run(":foo.bar(1)"),
            "** (UndefinedFunctionError) function :foo.bar/1 is undefined (module :foo is not "
            "available)\n"
            "    :foo.bar(1)\n");
  // iex 1.14 also lists "Did you mean: puts/1, puts/2"; the shell knows only a part of what
  // Elixir's modules have, so it lists nothing rather than a wrong list.
  EXPECT_EQ(run("IO.puts(\"a\", \"b\", \"c\")"),
            "** (UndefinedFunctionError) function IO.puts/3 is undefined or private\n"
            "    (elixir 1.14.0) IO.puts(\"a\", \"b\", \"c\")\n");
}

TEST_F(shell_eval, stack_frames_name_the_application_as_iex_does) {
  EXPECT_EQ(run("String.nosuch(1)"),
            "** (UndefinedFunctionError) function String.nosuch/1 is undefined or private\n"
            "    (elixir 1.14.0) String.nosuch(1)\n");
  EXPECT_EQ(run(":lists.nosuch()"),
            "** (UndefinedFunctionError) function :lists.nosuch/0 is undefined or private\n"
            "    (stdlib 4.2) :lists.nosuch()\n");
  EXPECT_EQ(run(":io.nosuch()"),
            "** (UndefinedFunctionError) function :io.nosuch/0 is undefined or private\n"
            "    (stdlib 4.2) :io.nosuch()\n");
  EXPECT_EQ(run(":erlang.nosuch()"),
            "** (UndefinedFunctionError) function :erlang.nosuch/0 is undefined or private\n"
            "    :erlang.nosuch()\n");
}

TEST_F(shell_eval, bif_argument_errors_name_the_argument) {
  EXPECT_EQ(run(":erlang.element(5, {1})"),
            "** (ArgumentError) errors were found at the given arguments:\n\n  * 1st argument: out "
            "of range\n\n"
            "    :erlang.element(5, {1})\n");
  EXPECT_EQ(run("hd([])"),
            "** (ArgumentError) errors were found at the given arguments:\n\n  * 1st argument: not "
            "a nonempty "
            "list\n\n    :erlang.hd([])\n");
  EXPECT_EQ(run("length(:a)"),
            "** (ArgumentError) errors were found at the given arguments:\n\n  * 1st argument: not "
            "a list\n\n"
            "    :erlang.length(:a)\n");
  EXPECT_EQ(
      run("1 + :a"),
      "** (ArithmeticError) bad argument in arithmetic expression: 1 + :a\n    :erlang.+(1, :a)\n");
}

TEST_F(shell_eval, exit_throw_and_raise) {
  EXPECT_EQ(run("exit(:baz)"), "** (exit) :baz\n\n");
  EXPECT_EQ(run("throw(:bar)"), "** (throw) :bar\n\n");
  EXPECT_EQ(run(":erlang.error(:badarg)"), "** (ArgumentError) argument error\n\n");
  EXPECT_EQ(run(":erlang.error(:foo)"), "** (ErlangError) Erlang error: :foo\n\n");
  EXPECT_EQ(run("raise \"oops\""), "** (RuntimeError) oops\n\n");
  EXPECT_EQ(run("raise ArgumentError, \"bad\""), "** (ArgumentError) bad\n\n");
  EXPECT_EQ(run("exit(:noconnection)"), "** (exit) no connection\n\n");
}

TEST_F(shell_eval, case_if_cond_and_booleans) {
  EXPECT_EQ(run("case {1, 2} do\n {a, b} when a > 5 -> a\n {_, b} -> b\nend"), "2");
  EXPECT_EQ(run("case 5 do 1 -> :a end"), "** (CaseClauseError) no case clause matching: 5\n\n");
  EXPECT_EQ(run("if true, do: :y, else: :n"), ":y");
  EXPECT_EQ(run("if false do :y end"), "nil");
  EXPECT_EQ(run("unless false do :y end"), ":y");
  EXPECT_EQ(run("cond do\n false -> 1\n true -> 2\nend"), "2");
  EXPECT_EQ(run("1 and true"),
            "** (BadBooleanError) expected a boolean on left-side of \"and\", got: 1\n\n");
  EXPECT_EQ(run("nil || 3"), "3");
  EXPECT_EQ(run("!true"), "false");
  EXPECT_EQ(run("not 1"), "** (ArgumentError) argument error\n    :erlang.not(1)\n");
}

TEST_F(shell_eval, clause_bindings_do_not_leak) {
  EXPECT_EQ(run("case 1 do q -> q end"), "1");
  EXPECT_EQ(run("q").rfind("** (CompileError) iex:2: undefined function q/0", 0), 0u);
}

TEST_F(shell_eval, strings_lists_and_maps) {
  run("x = 1");
  EXPECT_EQ(run("\"a #{x} b\""), "\"a 1 b\"");
  EXPECT_EQ(run("\"a\" <> \"b\""), "\"ab\"");
  EXPECT_EQ(run("[1, 2] ++ [3]"), "[1, 2, 3]");
  EXPECT_EQ(run("[1, 2, 1] -- [1]"), "[2, 1]");
  EXPECT_EQ(run("'abc' ++ 'd'"), "'abcd'");
  EXPECT_EQ(run("%{a: 1}.a"), "1");
  EXPECT_EQ(run("%{a: 1}.b"), "** (KeyError) key :b not found in: %{a: 1}\n\n");
  EXPECT_EQ(run("%{a: 1}[:a]"), "1");
  EXPECT_EQ(run("%{%{a: 1} | a: 2}"), "%{a: 2}");
  EXPECT_EQ(run("elem({1, 2}, 1)"), "2");
  EXPECT_EQ(run("tuple_size({1, 2})"), "2");
  EXPECT_EQ(run("2 in [1, 2]"), "true");
  EXPECT_EQ(run("String.upcase(\"a\")"), "\"A\"");
  EXPECT_EQ(run(":lists.reverse([1, 2, 3])"), "[3, 2, 1]");
  EXPECT_EQ(run("\"x\" |> String.upcase()"), "\"X\"");
  EXPECT_EQ(run("<<\"abc\", 1>>"), "<<97, 98, 99, 1>>");
  EXPECT_EQ(run("<<1::16>>"), "<<0, 1>>");
}

TEST_F(shell_eval, io_writes_through_the_group_leader) {
  EXPECT_EQ(run("IO.puts(\"hello\")"), ":ok");
  EXPECT_EQ(run("IO.puts(:a)"), ":ok");
  EXPECT_EQ(run("IO.inspect({1, \"a\"})"), "{1, \"a\"}");
  EXPECT_EQ(run(":io.format(\"~p~n\", [{1, 2}])"), ":ok");
  EXPECT_EQ(node_output->text(), "hello\na\n{1, \"a\"}\n{1,2}\n");
  EXPECT_EQ(run("IO.puts({1})"),
            "** (Protocol.UndefinedError) protocol String.Chars not implemented for {1} of type "
            "Tuple\n\n");
}

TEST_F(shell_eval, receive_takes_the_first_matching_message_and_leaves_the_rest) {
  node->rt().send(s->self(), term(atom("other")));
  node->rt().send(s->self(), tuple_of(atom("hi"), 42));
  EXPECT_EQ(run("receive do {:hi, n} -> n + 1 end"), "43");
  EXPECT_EQ(run("receive do {:hi, n} -> n after 0 -> :timeout end"), ":timeout");
  EXPECT_EQ(run("receive do x when is_atom(x) -> x end"), ":other");
  EXPECT_EQ(run("receive do x -> x after 0 -> :empty end"), ":empty");
}

TEST_F(shell_eval, anonymous_functions_captures_and_comprehensions) {
  EXPECT_EQ(run("Enum.map([1, 2], fn x -> x * 2 end)"), "[2, 4]");
  EXPECT_EQ(run("double = &(&1 * 2)"), "#Function<42.3316493/1 in :erl_eval.expr/6>");
  EXPECT_EQ(run("double.(4)"), "8");
  EXPECT_EQ(run("f = fn\n  0 -> :zero\n  n when n > 0 -> :pos\nend"), "#Function<42.3316493/1 in :erl_eval.expr/6>");
  EXPECT_EQ(run("{f.(0), f.(3)}"), "{:zero, :pos}");
  EXPECT_EQ(run("1..3"), "1..3");
  EXPECT_EQ(run("Enum.to_list(1..3)"), "[1, 2, 3]");
  EXPECT_EQ(run("for x <- 1..4, rem(x, 2) == 0, do: x * x"), "[4, 16]");
  EXPECT_EQ(run("for x <- [1, 2], into: %{}, do: {x, x}"), "%{1 => 1, 2 => 2}");
  EXPECT_EQ(run("with {:ok, a} <- {:ok, 1}, {:ok, b} <- {:ok, 2}, do: a + b"), "3");
  EXPECT_EQ(run("with {:ok, a} <- {:error, 1}, do: a"), "{:error, 1}");
  EXPECT_EQ(run("~w(a b c)"), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(run(":math.sqrt(2)"), "1.4142135623730951");
  EXPECT_EQ(run("Enum.reduce(1..100_000, 0, &+/2)"), "5000050000");
}

TEST_F(shell_eval, compile_error_line_follows_the_prompt_number) {
  for (int i = 0; i < 6; ++i) feed("1");
  EXPECT_EQ(feed("1\nfoo()"), "** (CompileError) iex:8: undefined function foo/0 (there is no such import)\n\n");
}

TEST_F(shell_eval, defmodule_defines_a_module_on_the_node_and_redefining_replaces_it) {
  const std::string first = run("defmodule Greeter do\n  def hi(name), do: \"hi \" <> name\n  defp secret, do: 1\nend");
  // Laid out as iex lays it out: the binary on lines of its own, cut after 50 bytes.
  EXPECT_EQ(first.rfind("{:module, Greeter,\n <<70, 79, 82, 49, ", 0), 0u) << first;
  // The last value of the module's body, as iex shows it: the last definition.
  EXPECT_TRUE(first.ends_with(", ...>>, {:secret, 0}}")) << first;
  EXPECT_EQ(run("Greeter.hi(\"kate\")"), "\"hi kate\"");
  // Callable from any process of the node: an export-table entry.
  EXPECT_EQ(run(":rpc.call(node(), Greeter, :hi, [\"alex\"])"), "\"hi alex\"");
  (void)run("defmodule Greeter do\n  def hi(_), do: :replaced\nend");
  EXPECT_EQ(run("Greeter.hi(1)"), ":replaced");
}

}  // namespace

namespace {

using shell_dictionary = otpp::test::shell_session;

TEST_F(shell_dictionary, process_put_get_and_delete_act_on_the_shell_processes_own_dictionary) {
  EXPECT_EQ(run("Process.put(:colour, :red)"), "nil");
  EXPECT_EQ(run("Process.put(:colour, :blue)"), ":red");
  EXPECT_EQ(run("Process.get(:colour)"), ":blue");
  EXPECT_EQ(run("Process.get(:size)"), "nil");
  EXPECT_EQ(run("Process.get(:size, 3)"), "3");
  EXPECT_EQ(run(":erlang.get(:size)"), ":undefined");
  EXPECT_EQ(run("Process.get_keys(:blue)"), "[:colour]");
  EXPECT_EQ(run(":erlang.process_info(self(), :dictionary)"), "{:dictionary, [colour: :blue]}");
  // Another process has a dictionary of its own.
  EXPECT_EQ(run("parent = self(); spawn(fn -> send(parent, {:seen, Process.get(:colour)}) end); "
                "receive do {:seen, c} -> c end"),
            "nil");
  EXPECT_EQ(run("Process.delete(:colour)"), ":blue");
  EXPECT_EQ(run("Process.get()"), "[]");
}

}  // namespace

namespace {

using shell_system = otpp::test::shell_session;

TEST_F(shell_system, system_answers_the_environment_clocks_and_versions_as_in_iex) {
  EXPECT_EQ(run("System.otp_release()"), "\"25\"");
  EXPECT_EQ(run("System.version()"), "\"1.14.0\"");
  EXPECT_EQ(run("System.get_env(\"OTPP_SURELY_UNSET_VARIABLE\")"), "nil");
  EXPECT_EQ(run("System.get_env(\"OTPP_SURELY_UNSET_VARIABLE\", \"none\")"), "\"none\"");
  EXPECT_EQ(run("System.get_env(\"PATH\") == System.get_env()[\"PATH\"]"), "true");
  EXPECT_EQ(run("String.to_integer(System.pid()) > 0"), "true");
  EXPECT_EQ(run("System.schedulers_online() >= 1"), "true");
  EXPECT_EQ(run("t = System.monotonic_time(); is_integer(t) and t <= System.monotonic_time()"), "true");
  EXPECT_EQ(run("abs(System.system_time(:second) - System.os_time(:second)) <= 1"), "true");
  EXPECT_EQ(run("div(System.system_time(:millisecond), 1000) - System.system_time(:second) in [-1, 0]"), "true");
}

}  // namespace
