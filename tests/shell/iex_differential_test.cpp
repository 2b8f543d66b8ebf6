// The otpp shell against real iex 1.14: the same lines typed into both (through a pipe, as a
// script drives them) print the same thing, prompts, results and errors alike; and the
// lesson's lines with funs crossing between an otpp shell and a real Elixir node both ways.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"

namespace {

using otpp::test::child_process;
using namespace std::chrono_literals;

const std::string otpp_bin = std::string(OTPP_BIN_DIR) + "/otpp";

// What a shell printed for `input` on its standard input, until it ended.
std::string run_script(std::vector<std::string> argv, const std::string& input,
                       std::map<std::string, std::string> env = {}, bool with_stderr = false) {
  env.emplace("OTPP_HISTORY", "");
  child_process p({std::move(argv), std::move(env), with_stderr});
  p.write_stdin(input);
  p.close_stdin();
  (void)otpp::test::eventually([&] { return !p.running(); }, 60s);
  (void)p.wait();
  (void)p.wait_for(std::string(1, '\0'), 2s);  // until the reader saw the end of output
  return p.output();
}

// Both shells' text in one form: iex's prompts, pids and references without their numbers,
// no banner line.
std::string normalized(std::string text) {
  if (text.starts_with("Interactive ")) text.erase(0, text.find('\n') + 1);
  text = std::regex_replace(text, std::regex(R"(otpp\((\d+)\)> )"), "iex($1)> ");
  text = std::regex_replace(text, std::regex(R"(otpp\(([^)]*)\)(\d+)> )"), "iex($1)$2> ");
  text = std::regex_replace(text, std::regex(R"(#PID<\d+\.\d+\.\d+>)"), "#PID<N>");
  text = std::regex_replace(text, std::regex(R"(#Reference<[\d.]+>)"), "#Reference<N>");
  // A closure's numbers are its defining module's (`#Function<48.103858489/1 in Stream.map/2>`).
  text = std::regex_replace(text, std::regex(R"(#Function<[^>]*>)"), "#Function<N>");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

int occurrences(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

std::string without(std::string text, const std::string& part) {
  if (auto at = text.find(part); at != std::string::npos) text.erase(at, part.size());
  return text;
}

std::vector<std::string> iex_argv() { return {"iex"}; }
std::vector<std::string> otpp_argv() { return {otpp_bin, "--no-banner"}; }

// The lesson's language, typed as a user types it; what iex prints is the reference.
const char* const language_script = R"(Enum.map([1, 2], fn x -> x * 2 end)
double = &(&1 * 2)
double.(21)
1..3
Enum.to_list(1..3)
for x <- 1..4, rem(x, 2) == 0, do: x * x
for x <- [1, 2], into: %{}, do: {x, x * 10}
with {:ok, a} <- {:ok, 1}, {:ok, b} <- {:ok, 2}, do: a + b
with {:ok, a} <- {:error, 1}, do: a
~w(a b c)
~w(a b)a
:math.sqrt(2)
f = fn
  0 -> :zero
  n when n > 0 -> :pos
end
f.(3)
send(self(), {:hi, 1})
flush()
pid = spawn(fn ->
  receive do
    {:hi, from} -> send from, :sup?
  end
end)
send(pid, {:hi, self()})
receive do
  :sup? -> :got
after 1000 -> :timeout
end
case {1, 2} do
  {a, b} when a > b -> :gt
  _ -> :le
end
cond do
  false -> 1
  true -> 2
end
if nil, do: :y, else: :n
unless false, do: :y
try do
  raise "boom"
rescue
  e in RuntimeError -> e.message
end
try do
  throw(:x)
catch
  :throw, v -> {:caught, v}
after
  :ok
end
"a #{1 + 1} b"
[a: 1, b: 2][:b]
m = %{a: 1, b: 2}
%{m | a: 3}
[1, 2, 3] |> Enum.map(&(&1 + 1)) |> Enum.sum()
Enum.reduce(1..100_000, 0, &+/2)
x = 1
x = x + 1
v(-2)
1 / 0
Foo.bar()
String.upcase("abc")
~s(hello)
~c(abc)
1 + )
x -1
i :a
i "hi"
raise ArgumentError, "bad"
hd([])
{:a, b} = {:c, 1}
Enum.map(1..3, &Integer.to_string/1)
String.split("a b c")
Enum.filter([1, 2, 3, 4], fn x -> rem(x, 2) == 0 end)
elem({1, 2}, 0)
<<1, 2>>
'abc' ++ 'd'
Enum.to_list(1..100)
for i <- 1..12, into: %{}, do: {i, String.duplicate("v", i)}
Enum.map(1..12, fn i -> {String.to_atom("option_#{i}"), i * 100} end)
inspect(Enum.to_list(1..60), limit: 3)
IO.inspect(Enum.to_list(1..60), label: "xs")
{Enum.to_list(1..30), %{name: "kate", langs: [:elixir, :erlang, :cpp], long: String.duplicate("ab", 30)}}
Stream.map(1..3, &IO.inspect/1) |> Enum.take(2)
s = Stream.cycle([1, 2]) |> Stream.map(&(&1 * 10))
Enum.take(s, 5)
for x <- Stream.take(s, 3), do: x + 1
Stream.iterate(1, &(&1 * 2)) |> Stream.filter(&(&1 > 100)) |> Enum.take(2)
~r/foo/i
Regex.run(~r/(\d+)-(\d+)/, "on 2024-05")
"abc" =~ ~r/B/i
String.split("a1b22c", ~r/\d+/)
Regex.replace(~r/(\w+)@(\w+)/, "kate@host", "\\2 of \\1")
)";

TEST(shell_against_iex, the_lessons_language_prints_as_in_iex) {
  const std::string theirs = normalized(run_script(iex_argv(), language_script));
  const std::string ours = normalized(run_script(otpp_argv(), language_script));
  ASSERT_NE(theirs.find("iex(1)> [2, 4]"), std::string::npos) << theirs;
  EXPECT_EQ(ours, theirs);
}

TEST(shell_against_iex, unused_variables_and_redefined_modules_warn_on_standard_error_as_in_iex) {
  const std::string script =
      "Enum.map([1, 2], fn x -> 1 end)\n"
      "case 5 do\n  y -> :ok\nend\n"
      "Enum.map([1], fn _z -> 2 end)\n"
      "defmodule Kate do\n  def a, do: 1\nend\n"
      "defmodule Kate do\n  def a, do: 2\nend\n"
      "Kate.a()\n";
  // Standard error reaches the pipe on its own schedule (iex's comes in bursts): the warnings
  // are compared in their order, the rest of the text apart. The module's bytes differ (BEAM's
  // and otpp's).
  const std::regex warning(R"(warning: [^\n]*\n  iex:\d+\n\n)");
  auto warnings = [&](const std::string& text) {
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), warning); it != std::sregex_iterator(); ++it)
      out.push_back(it->str());
    return out;
  };
  auto rest = [&](const std::string& text) {
    return std::regex_replace(normalized(std::regex_replace(text, warning, "")), std::regex(R"(<<70, 79, 82, 49,[^>]*>>)"),
                              "<<...>>");
  };
  const std::string theirs = run_script(iex_argv(), script, {}, true);
  const std::string ours = run_script(otpp_argv(), script, {}, true);
  const std::vector<std::string> expected = {
      "warning: variable \"x\" is unused (if the variable is not meant to be used, prefix it with an underscore)\n"
      "  iex:1\n\n",
      "warning: variable \"y\" is unused (if the variable is not meant to be used, prefix it with an underscore)\n"
      "  iex:3\n\n",
      "warning: redefining module Kate (current version defined in memory)\n  iex:5\n\n"};
  ASSERT_EQ(warnings(theirs), expected) << theirs;
  EXPECT_EQ(warnings(ours), expected) << ours;
  EXPECT_EQ(rest(ours), rest(theirs));
}

TEST(shell_against_iex, an_error_in_a_defmodule_function_names_its_iex_lines_as_iex_does) {
  const std::string script =
      "defmodule Kate do\n"
      "  def f(x) do\n"
      "    x + 1\n"
      "  end\n"
      "  def g(x), do: f(x) * 2\n"
      "  def m(x) do\n"
      "    {:ok, y} = x\n"
      "    y\n"
      "  end\n"
      "end\n"
      "Kate.g(:a)\n"
      "Kate.m(:b)\n"
      "try do\n  Kate.f(:a)\nrescue\n  _ -> hd(__STACKTRACE__)\nend\n";
  // The module's bytes differ (BEAM's and otpp's).
  auto comparable = [](const std::string& text) {
    return std::regex_replace(normalized(text), std::regex(R"(<<70, 79, 82, 49,[^>]*>>)"), "<<...>>");
  };
  const std::string theirs = comparable(run_script(iex_argv(), script));
  const std::string ours = comparable(run_script(otpp_argv(), script));
  ASSERT_NE(theirs.find("** (ArithmeticError) bad argument in arithmetic expression\n    iex:3: Kate.f/1\n"
                        "    iex:5: Kate.g/1\n"),
            std::string::npos)
      << theirs;
  ASSERT_NE(theirs.find("{Kate, :f, 1, [file: 'iex', line: 3]}"), std::string::npos) << theirs;
  EXPECT_EQ(ours, theirs);
}

TEST(shell_against_iex, unused_variables_of_a_modules_functions_warn_with_the_function_as_in_iex) {
  const std::string script =
      "defmodule K do\n"
      "  def a(x) do\n"
      "    y = 1\n"
      "    2\n"
      "  end\n"
      "  def c(w) when is_integer(w), do: 3\n"
      "  def d(v) do\n"
      "    fn q -> 1 end\n"
      "  end\n"
      "  def e(_u, t), do: t\n"
      "end\n";
  const std::regex warning(R"(warning: variable [^\n]*\n  iex:\d+: [^\n]*\n\n)");
  auto warnings = [&](const std::string& text) {
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), warning); it != std::sregex_iterator(); ++it)
      out.push_back(it->str());
    return out;
  };
  auto unused = [](const std::string& name, int line, const std::string& function) {
    return "warning: variable \"" + name +
           "\" is unused (if the variable is not meant to be used, prefix it with an underscore)\n  iex:" +
           std::to_string(line) + ": " + function + "\n\n";
  };
  const std::vector<std::string> expected = {unused("x", 2, "K.a/1"), unused("y", 3, "K.a/1"), unused("q", 8, "K.d/1"),
                                             unused("v", 7, "K.d/1")};
  const std::string theirs = run_script(iex_argv(), script, {}, true);
  const std::string ours = run_script(otpp_argv(), script, {}, true);
  ASSERT_EQ(warnings(theirs), expected) << theirs;
  EXPECT_EQ(warnings(ours), expected) << ours;
}

TEST(shell_against_iex, structs_print_their_fields_in_definition_order_as_in_iex) {
  const std::string script =
      "defmodule User do\n"
      "  defstruct name: nil, age: 0, b: 1\n"
      "end\n"
      "%User{name: \"x\"}\n"
      "%User{b: 2, age: 3}\n"
      "Map.put(%User{}, :c, 1)\n"
      "%{__struct__: User, name: 1}\n"
      "[Map.new(1..40, &{&1, &1})]\n";
  auto binary_free = [](const std::string& text) {
    return std::regex_replace(normalized(text), std::regex(R"(<<70, 79, 82, 49,[^>]*>>)"), "<<...>>");
  };
  const std::string theirs = binary_free(run_script(iex_argv(), script));
  const std::string ours = binary_free(run_script(otpp_argv(), script));
  ASSERT_NE(theirs.find("%User{name: \"x\", age: 0, b: 1}"), std::string::npos) << theirs;
  EXPECT_EQ(ours, theirs);
}

// Kate, a real Elixir node with the lesson's module; stopped by the test.
struct elixir_kate {
  explicit elixir_kate(std::uint16_t epmd_port, const std::string& cookie)
      : name(otpp::test::unique_name("kate") + "@localhost"),
        node({{"elixir", "--sname", name, "--cookie", cookie, "--erl", "-start_epmd false", "-e",
               "defmodule Kate do\n"
               "  def say_name do\n"
               "    IO.puts \"Hi, my name is Kate\"\n"
               "  end\n"
               "end\n"
               "IO.puts(\"kate ready\")\n"
               "Process.sleep(:infinity)\n"},
              {{"ERL_EPMD_PORT", std::to_string(epmd_port)}},
              true}) {}
  std::string name;
  child_process node;
};

// The lesson's lines, as alex types them, with `kate` the other node. The reply is awaited
// with a bounded receive before flush() so that the script does not race it.
std::string lesson_script(const std::string& kate) {
  return "Node.spawn_link(:\"" + kate + "\", fn -> Kate.say_name end)\n" +
         "pid = Node.spawn_link :\"" + kate + "\", fn ->\n"
         "  receive do\n"
         "    {:hi, alex_node_pid} -> send alex_node_pid, :sup?\n"
         "  end\n"
         "end\n"
         "send(pid, {:hi, self()})\n"
         "receive do :sup? -> send(self(), :sup?) after 5000 -> :timeout end\n"
         "flush()\n";
}

// What the lesson shows on alex, whoever alex and kate are.
void expect_lesson_output(const std::string& text) {
  EXPECT_EQ(occurrences(text, "Hi, my name is Kate\n"), 1) << text;
  EXPECT_NE(without(text, "Hi, my name is Kate\n").find("1> #PID<N>\n"), std::string::npos) << text;
  EXPECT_NE(text.find(")2> #PID<N>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("3> {:hi, #PID<N>}\n"), std::string::npos) << text;
  EXPECT_NE(text.find("5> :sup?\n:ok"), std::string::npos) << text;
}

TEST(shell_against_iex, the_lesson_from_an_otpp_alex_to_an_iex_kate_prints_as_from_an_iex_alex) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string cookie = "lesson_diff";
  elixir_kate kate(epmd.port(), cookie);
  ASSERT_TRUE(kate.node.wait_for("kate ready", 30s)) << kate.node.output();
  const std::string script = lesson_script(kate.name);
  const std::map<std::string, std::string> env = {{"ERL_EPMD_PORT", std::to_string(epmd.port())}};
  const std::string alex = otpp::test::unique_name("alex") + "@localhost";
  const std::string theirs = normalized(
      run_script({"iex", "--sname", alex, "--cookie", cookie, "--erl", "-start_epmd false"}, script, env));
  const std::string ours = normalized(run_script(
      {otpp_bin, "--no-banner", "--sname", alex, "--cookie", cookie, "--epmd-port", std::to_string(epmd.port())},
      script));
  expect_lesson_output(theirs);
  // The sentence comes from kate's process through alex's group leader, on its own schedule:
  // before or after the result of the spawn, in iex too. The rest is the same.
  EXPECT_EQ(occurrences(ours, "Hi, my name is Kate\n"), 1) << ours;
  EXPECT_EQ(without(ours, "Hi, my name is Kate\n"), without(theirs, "Hi, my name is Kate\n"));
  // The group leader rule: say_name's output printed on alex, never on kate.
  EXPECT_EQ(kate.node.output().find("Hi, my name is Kate"), std::string::npos) << kate.node.output();
}

TEST(shell_against_iex, the_lesson_from_an_iex_alex_to_an_otpp_kate_shell_with_the_lessons_module) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string cookie = "lesson_diff";
  const std::string kate = otpp::test::unique_name("kate") + "@localhost";
  child_process kate_shell({{otpp_bin, "--no-banner", "--sname", kate, "--cookie", cookie, "--epmd-port",
                             std::to_string(epmd.port())},
                            {{"OTPP_HISTORY", ""}},
                            false});
  ASSERT_TRUE(kate_shell.wait_for("otpp(" + kate + ")1> ", 30s)) << kate_shell.output();
  // The lesson's module, typed at kate's prompt as the lesson types it.
  kate_shell.write_stdin(
      "defmodule Kate do\n"
      "  def say_name do\n"
      "    IO.puts \"Hi, my name is Kate\"\n"
      "  end\n"
      "end\n");
  ASSERT_TRUE(kate_shell.wait_for("{:module, Kate,\n <<", 30s)) << kate_shell.output();
  ASSERT_TRUE(kate_shell.wait_for("{:say_name, 0}}\notpp(" + kate + ")2> ", 30s)) << kate_shell.output();
  const std::string alex = otpp::test::unique_name("alex") + "@localhost";
  // And Kernel's functions, as an rpc finds them on a BEAM node.
  const std::string text = normalized(run_script({"iex", "--sname", alex, "--cookie", cookie, "--erl", "-start_epmd false"},
                                                 lesson_script(kate) + ":rpc.call(:\"" + kate + "\", Kernel, :node, [])\n",
                                                 {{"ERL_EPMD_PORT", std::to_string(epmd.port())}}));
  expect_lesson_output(text);
  EXPECT_NE(text.find("6> :" + kate + "\n"), std::string::npos) << text;
  // Kate's output shows not the sentence (the source typed through the pipe is not echoed).
  EXPECT_EQ(occurrences(kate_shell.output(), "Hi, my name is Kate"), 0) << kate_shell.output();
  kate_shell.close_stdin();
  (void)otpp::test::eventually([&] { return !kate_shell.running(); });
  (void)kate_shell.wait();
}

}  // namespace
