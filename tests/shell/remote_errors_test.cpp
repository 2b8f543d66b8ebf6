// The shell's error paths through a remote node, as a script piped into `otpp --sname` sees
// them: a linked spawn of an undefined function on kate (the shell process gets the EXIT), a
// linked spawn on a node that does not exist (noconnection), an rpc to it ({:badrpc,
// :nodedown}), a send to a name nobody registered on kate (silently returns the message), and
// the crash reports of the processes that failed with undef (kate's and one of alex's own) —
// each printed as iex 1.14 prints it, and the shell answering the next expression. Kate is
// once the lesson_kate program, once a real Elixir node.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <initializer_list>
#include <regex>
#include <string>

#include "support/child_process.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"

namespace {

using otpp::test::child_process;
using namespace std::chrono_literals;

const std::string otpp_bin = std::string(OTPP_BIN_DIR) + "/otpp";
const std::string cookie = "lesson";
const std::string banner = "Interactive otpp (" OTPP_VERSION ") - press Ctrl+C or Ctrl+D to exit\n";

// What may differ from run to run: pid numbers (not the node number) and the clock.
std::string normalized(const std::string& text) {
  static const std::regex pid_re(R"(#PID<(\d+)\.\d+\.\d+>)");
  static const std::regex time_re(R"(\n\d\d:\d\d:\d\d\.\d\d\d \[)");
  return std::regex_replace(std::regex_replace(text, pid_re, "#PID<$1.N.N>"), time_re,
                            "\nHH:MM:SS.mmm [");
}

/// Removes the first `part` from `text`; false when it is not there.
bool take_out(std::string& text, const std::string& part) {
  const auto at = text.find(part);
  if (at == std::string::npos) return false;
  text.erase(at, part.size());
  return true;
}

bool one_of(const std::string& text, std::initializer_list<std::string> allowed) {
  for (const std::string& a : allowed) {
    if (text == a) return true;
  }
  return false;
}

// An otpp shell reading a pipe, fed one line at a time: each step waits for what the line
// must print before the next line goes in, so a late EXIT cannot land in another line's
// evaluation.
class piped_shell {
 public:
  piped_shell(const std::string& name, std::uint16_t epmd_port)
      : prompt_("otpp(" + name + ")"),
        p_({{otpp_bin, "--sname", name, "--cookie", cookie, "--epmd-port",
             std::to_string(epmd_port)},
            {{"OTPP_HISTORY", ""}},
            false}) {}

  [[nodiscard]] std::string prompt(int n) const { return prompt_ + std::to_string(n) + "> "; }

  /// Waits until the output from the current mark on contains `until`; returns that part of
  /// the output (normalized) and moves the mark past it. Empty optional on timeout.
  std::optional<std::string> wait(const std::string& until, std::chrono::milliseconds timeout) {
    auto end = p_.wait_for(until, timeout, mark_);
    if (!end) return std::nullopt;
    std::string text = p_.output().substr(mark_, *end - mark_);
    mark_ = *end;
    return normalized(text);
  }

  std::optional<std::string> step(const std::string& line, const std::string& until,
                                  std::chrono::milliseconds timeout = 20s) {
    p_.write_stdin(line + "\n");
    return wait(until, timeout);
  }

  [[nodiscard]] std::string everything() const { return p_.output(); }

  void finish() {
    p_.close_stdin();
    (void)otpp::test::eventually([&] { return !p_.running(); });
  }

 private:
  std::string prompt_;
  child_process p_;
  std::size_t mark_ = 0;
};

// The four error paths against `kate` (a running node exporting Kate.say_name/0). Kate, a
// real Erlang node or an otpp one, sends the crash report of the process alex spawned to
// alex's `logger_proxy`, which prints it as iex does.
void error_paths(const std::string& kate, std::uint16_t epmd_port) {
  const std::string alex = otpp::test::unique_name("alex") + "@localhost";
  const std::string nowhere = otpp::test::unique_name("nosuch") + "@localhost";
  piped_shell sh(alex, epmd_port);
  ASSERT_TRUE(sh.wait(sh.prompt(1), 30s)) << sh.everything();

  // 1. undef on kate: the linked shell process gets {undef, [{Kate, :nosuch, [], []}]}.
  // Kate is not a module of alex, so iex (and otpp) call it not available.
  const std::string undef_exit =
      "** (EXIT from #PID<0.N.N>) shell process exited with reason: an exception was raised:\n"
      "    ** (UndefinedFunctionError) function Kate.nosuch/0 is undefined (module Kate is not "
      "available)\n"
      "        Kate.nosuch()\n\n" +
      banner + sh.prompt(1);
  auto text = sh.step("Node.spawn_link(:\"" + kate + "\", Kate, :nosuch, [])", banner);
  ASSERT_TRUE(text) << sh.everything();
  std::string seen = *text;
  text = sh.wait(sh.prompt(1), 20s);
  ASSERT_TRUE(text) << sh.everything();
  seen += *text;
  {
    // The report arrives on its own schedule: before the EXIT, after it, or after the prompt.
    if (seen.find("[error] Process") == std::string::npos) {
      auto report_end = sh.wait("    Kate.nosuch()\n", 20s);
      ASSERT_TRUE(report_end) << sh.everything();
      seen += *report_end;
    }
    const std::string report =
        "\nHH:MM:SS.mmm [error] Process #PID<100.N.N> on node :" + kate +
        " raised an exception\n"
        "** (UndefinedFunctionError) function Kate.nosuch/0 is undefined (module Kate is not "
        "available)\n"
        "    Kate.nosuch()\n";
    ASSERT_TRUE(take_out(seen, report)) << seen;
  }
  // The spawn's result prints only if the EXIT came after it (in iex too), the next prompt
  // only if the EXIT came later still.
  EXPECT_TRUE(one_of(seen, {undef_exit, "#PID<100.N.N>\n" + undef_exit,
                            "#PID<100.N.N>\n" + sh.prompt(2) + undef_exit}))
      << seen;
  text = sh.step("1 + 1", sh.prompt(2));
  EXPECT_EQ(text, "2\n" + sh.prompt(2));

  // 2. A node that does not exist: a local stand-in logs a warning and exits with
  // noconnection, which kills the linked shell process.
  const std::string warning =
      "\nHH:MM:SS.mmm [warning] ** Can not start Kate::say_name,[] ([:link]) on :" + nowhere +
      " **\n\n";
  const std::string noconnection_exit =
      "** (EXIT from #PID<0.N.N>) shell process exited with reason: no connection\n\n" + banner +
      sh.prompt(1);
  text =
      sh.step("Node.spawn_link(:\"" + nowhere + "\", Kate, :say_name, [])", banner + sh.prompt(1));
  ASSERT_TRUE(text) << sh.everything();
  // The warning always comes before the EXIT; the logger prints on its own, as iex's does,
  // so before or after the spawn's result (a local pid), which prints only if the EXIT came
  // after it.
  ASSERT_TRUE(text) << sh.everything();
  std::string rest = *text;
  ASSERT_NE(rest.find(warning), std::string::npos) << rest;
  EXPECT_LT(rest.find(warning), rest.find("** (EXIT from")) << rest;
  rest.erase(rest.find(warning), warning.size());
  EXPECT_TRUE(one_of(rest, {noconnection_exit, "#PID<0.N.N>\n" + noconnection_exit,
                            "#PID<0.N.N>\n" + sh.prompt(3) + noconnection_exit}))
      << *text;
  text = sh.step("1 + 1", sh.prompt(2));
  EXPECT_EQ(text, "2\n" + sh.prompt(2));

  // 3. rpc to that node.
  text = sh.step(":rpc.call(:\"" + nowhere + "\", :erlang, :node, [])", sh.prompt(3));
  EXPECT_EQ(text, "{:badrpc, :nodedown}\n" + sh.prompt(3));

  // 4. A send to a name nobody registered on kate: the message, silently, as in Erlang.
  text = sh.step("send({:nosuch_name, :\"" + kate + "\"}, :hi)", sh.prompt(4));
  EXPECT_EQ(text, ":hi\n" + sh.prompt(4));

  // Kate's module is not alex's: calling it here is an UndefinedFunctionError, and the shell
  // goes on, still connected to kate.
  text = sh.step("Kate.nosuch()", sh.prompt(4));
  EXPECT_EQ(text,
            "** (UndefinedFunctionError) function Kate.nosuch/0 is undefined (module Kate is not "
            "available)\n    Kate.nosuch()\n" +
                sh.prompt(4));
  text = sh.step("Node.list()", sh.prompt(5));
  EXPECT_EQ(text, "[:" + kate + "]\n" + sh.prompt(5));

  // The same undef in a process of alex's own: its report goes to alex's logger_proxy and
  // prints as iex prints it, before or after the next prompt.
  text = sh.step("spawn(Kate, :nosuch, [1])", "    Kate.nosuch(1)\n");
  ASSERT_TRUE(text) << sh.everything();
  seen = *text;
  if (seen.find(sh.prompt(6)) == std::string::npos) {
    text = sh.wait(sh.prompt(6), 20s);
    ASSERT_TRUE(text) << sh.everything();
    seen += *text;
  }
  const std::string local_report =
      "\nHH:MM:SS.mmm [error] Process #PID<0.N.N> on node :" + alex +
      " raised an exception\n"
      "** (UndefinedFunctionError) function Kate.nosuch/1 is undefined (module Kate is not "
      "available)\n"
      "    Kate.nosuch(1)\n";
  ASSERT_TRUE(take_out(seen, local_report)) << seen;
  EXPECT_EQ(seen, "#PID<0.N.N>\n" + sh.prompt(6));
  sh.finish();
}

TEST(shell_remote_errors, against_the_lesson_kate_program) {
  const std::string kate_bin = std::string(OTPP_BIN_DIR) + "/lesson_kate";
  if (::access(kate_bin.c_str(), X_OK) != 0) GTEST_SKIP() << "build the lesson_kate example first";
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate = otpp::test::unique_name("kate") + "@localhost";
  child_process kate_node({{kate_bin, "--sname", kate, "--cookie", cookie},
                           {{"ERL_EPMD_PORT", std::to_string(epmd.port())}},
                           true});
  ASSERT_TRUE(kate_node.wait_for("ready", 30s)) << kate_node.output();
  error_paths(kate, epmd.port());
}

TEST(shell_remote_errors, against_a_real_elixir_node) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate = otpp::test::unique_name("kate") + "@localhost";
  const std::string module =
      "defmodule Kate do\n"
      "  def say_name, do: IO.puts(\"Hi, my name is Kate\")\n"
      "end\n"
      "IO.puts(\"kate ready\")\n"
      "Process.sleep(:infinity)\n";
  child_process kate_node(
      {{"elixir", "--sname", kate, "--cookie", cookie, "--erl", "-start_epmd false", "-e", module},
       {{"ERL_EPMD_PORT", std::to_string(epmd.port())}},
       true});
  ASSERT_TRUE(kate_node.wait_for("kate ready", 30s)) << kate_node.output();
  error_paths(kate, epmd.port());
}

}  // namespace
