// The `otpp` shell driven through a pipe, as scripts drive it: one expression per line, each
// result printed after its prompt, errors printed and the script going on, the exit status
// saying whether everything succeeded; --eval/--halt; a named node registered with the port
// mapper for its life only.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/child_process.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"

namespace {

using otpp::test::child_process;
using namespace std::chrono_literals;

const std::string otpp_bin = std::string(OTPP_BIN_DIR) + "/otpp";

struct run_result {
  std::string output;
  int status = -1;
};

run_result run_otpp(std::vector<std::string> args, const std::string& input,
                    std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), otpp_bin);
  env.emplace("OTPP_HISTORY", "");
  child_process p({args, env, false});
  p.write_stdin(input);
  p.close_stdin();
  // Bounded: a shell that does not end on end of input fails the test instead of hanging.
  (void)otpp::test::eventually([&] { return !p.running(); }, 15s);
  run_result r;
  const int st = p.wait();
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  (void)p.wait_for(std::string(1, '\0'), 2s);  // until the reader saw the end of output
  r.output = p.output();
  return r;
}

TEST(shell_pipe, each_result_prints_after_its_prompt_and_status_is_zero) {
  auto r = run_otpp({"--no-banner"}, "1 + 2\n:sup?\n{:hi, [1, 2.5, \"a\"]}\n");
  EXPECT_EQ(r.output, "otpp(1)> 3\notpp(2)> :sup?\notpp(3)> {:hi, [1, 2.5, \"a\"]}\notpp(4)> \n");
  EXPECT_EQ(r.status, 0);
}

TEST(shell_pipe, the_banner_comes_first_as_in_iex) {
  auto r = run_otpp({}, "1\n");
  EXPECT_EQ(r.output.rfind("Interactive otpp", 0), 0u) << r.output;
}

TEST(shell_pipe, an_error_prints_the_script_goes_on_and_the_status_is_one) {
  auto r = run_otpp({"--no-banner"}, "foo()\n{:a, b} = {:c, 1}\n:still_here\n");
  EXPECT_EQ(
      r.output,
      "otpp(1)> ** (CompileError) iex:1: undefined function foo/0 (there is no such import)\n\n"
      "otpp(1)> ** (MatchError) no match of right hand side value: {:c, 1}\n\n"
      "otpp(1)> :still_here\notpp(2)> \n");
  EXPECT_EQ(r.status, 1);
}

TEST(shell_pipe, multi_line_expressions_continue_with_the_continuation_prompt) {
  auto r = run_otpp({"--no-banner"}, "send(self(), :a)\nreceive do\n  x ->\n    {:got, x}\nend\n");
  EXPECT_EQ(r.output, "otpp(1)> :a\notpp(2)> ...(2)> ...(2)> ...(2)> {:got, :a}\notpp(3)> \n");
  EXPECT_EQ(r.status, 0);
}

TEST(shell_pipe, system_halt_ends_the_shell_at_once_with_its_status) {
  auto r = run_otpp({"--no-banner"}, "1\nSystem.halt(3)\n:never_reached\n");
  EXPECT_EQ(r.output, "otpp(1)> 1\notpp(2)> ");
  EXPECT_EQ(r.status, 3);
}

TEST(shell_pipe, the_erl_shell_reads_erlang_and_its_status_says_whether_all_succeeded) {
  auto ok = run_otpp({"--erl", "--no-banner"}, "X = 1 +\n 2.\nX * 2.\n");
  EXPECT_EQ(ok.output, "1> 3\n2> 6\n3> *** Terminating erlang (nonode@nohost)\n");
  EXPECT_EQ(ok.status, 0);
  auto failed = run_otpp({"--erl", "--no-banner"}, "hd([]).\nok.\n");
  EXPECT_EQ(failed.status, 1);
  auto halted = run_otpp({"--erl", "--no-banner"}, "halt(4).\n");
  EXPECT_EQ(halted.status, 4);
  auto evals = run_otpp({"--erl", "--eval", "io:format(\"~p~n\", [lists:sum([1, 2])])", "--halt"}, "");
  EXPECT_EQ(evals.output, "3\n");
  EXPECT_EQ(evals.status, 0);
}

TEST(shell_pipe, unfinished_input_at_the_end_is_an_error) {
  auto r = run_otpp({"--no-banner"}, "{1,\n");
  EXPECT_NE(r.output.find("TokenMissingError"), std::string::npos) << r.output;
  EXPECT_EQ(r.status, 1);
}

TEST(shell_pipe, self_flush_and_a_linked_exit_behave_as_in_iex) {
  auto r =
      run_otpp({"--no-banner"}, "send(self(), :sup?)\nflush()\nProcess.exit(self(), :kill)\n1\n");
  EXPECT_NE(r.output.find("otpp(2)> :sup?\n:ok\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(") shell process exited with reason: killed\n\nInteractive otpp"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("otpp(1)> 1\n"), std::string::npos) << r.output;
}

TEST(shell_pipe, eval_runs_before_the_prompt_and_halt_exits) {
  auto r = run_otpp({"--eval", "IO.puts(:hi)", "--eval", "IO.puts(1 + 1)", "--halt"}, "");
  EXPECT_EQ(r.output, "hi\n2\n");
  EXPECT_EQ(r.status, 0);
  r = run_otpp({"--eval", "foo()", "--halt"}, "");
  EXPECT_NE(r.output.find("undefined function foo/0"), std::string::npos);
  EXPECT_EQ(r.status, 1);
}

TEST(shell_pipe, help_names_the_shell_flags) {
  auto r = run_otpp({"--help"}, "");
  for (const char* flag :
       {"--sname", "--name", "--cookie", "--eval", "--halt", "--epmd-port", "--net-ticktime"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(r.status, 0);
}

// `epmd -names` on the test's port mapper.
std::string epmd_names(std::uint16_t port) {
  child_process p({{"epmd", "-port", std::to_string(port), "-names"}, {}, true});
  p.wait();
  (void)p.wait_for(std::string(1, '\0'), 2s);
  return p.output();
}

TEST(shell_pipe, a_named_node_is_registered_for_its_life_only) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string name = otpp::test::unique_name("shellpipe");
  child_process shell({{otpp_bin, "--sname", name + "@localhost", "--cookie", "c", "--epmd-port",
                        std::to_string(epmd.port()), "--no-banner"},
                       {{"OTPP_HISTORY", ""}},
                       false});
  ASSERT_TRUE(shell.wait_for("otpp(" + name + "@localhost)1> ", 20s)) << shell.output();
  shell.write_stdin("Node.self()\n");
  ASSERT_TRUE(shell.wait_for(":" + name + "@localhost\n", 10s)) << shell.output();
  EXPECT_NE(epmd_names(epmd.port()).find("name " + name + " at port"), std::string::npos);
  shell.close_stdin();
  (void)otpp::test::eventually([&] { return !shell.running(); });
  const int st = shell.wait();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_EQ(epmd_names(epmd.port()).find("name " + name + " at port"), std::string::npos);
}

TEST(shell_pipe, interrupt_ends_a_blocked_shell_and_unregisters) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string name = otpp::test::unique_name("shellint");
  child_process shell({{otpp_bin, "--sname", name + "@localhost", "--cookie", "c", "--epmd-port",
                        std::to_string(epmd.port()), "--no-banner"},
                       {{"OTPP_HISTORY", ""}},
                       false});
  ASSERT_TRUE(shell.wait_for("1> ", 20s)) << shell.output();
  shell.write_stdin("receive do :never -> 1 end\n");
  // Nothing shows that the receive began; give the shell a moment to reach it.
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(shell.running());
  shell.kill(SIGINT);
  (void)otpp::test::eventually([&] { return !shell.running(); });
  const int st = shell.wait();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 130) << st;
  EXPECT_EQ(epmd_names(epmd.port()).find("name " + name + " at port"), std::string::npos);
}

TEST(shell_pipe, net_ticktime_declares_a_stopped_peer_down_in_that_time) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string peer = otpp::test::unique_name("tickpeer") + "@localhost";
  const std::string me = otpp::test::unique_name("tickme") + "@localhost";
  child_process peer_node({{otpp_bin, "--sname", peer, "--cookie", "t", "--epmd-port",
                            std::to_string(epmd.port()), "--no-banner"},
                           {{"OTPP_HISTORY", ""}},
                           false});
  ASSERT_TRUE(peer_node.wait_for("1> ", 20s)) << peer_node.output();
  child_process shell({{otpp_bin, "--sname", me, "--cookie", "t", "--epmd-port",
                        std::to_string(epmd.port()), "--no-banner", "--net-ticktime", "2"},
                       {{"OTPP_HISTORY", ""}},
                       false});
  ASSERT_TRUE(shell.wait_for("1> ", 20s)) << shell.output();
  shell.write_stdin("Node.ping(:\"" + peer + "\")\n");
  ASSERT_TRUE(shell.wait_for(":pong\n", 10s)) << shell.output();
  shell.write_stdin("Node.monitor(:\"" + peer + "\", true)\n");
  ASSERT_TRUE(shell.wait_for("3> ", 10s)) << shell.output();
  // A frozen peer answers no ticks: with a 2 s ticktime it is down well before 60 s.
  peer_node.kill(SIGSTOP);
  const auto t0 = std::chrono::steady_clock::now();
  shell.write_stdin("receive do {:nodedown, n} -> n after 15000 -> :still_up end\n");
  EXPECT_TRUE(shell.wait_for(":" + peer + "\n", 20s)) << shell.output();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  peer_node.kill(SIGKILL);
  shell.close_stdin();
  (void)otpp::test::eventually([&] { return !shell.running(); });
  (void)shell.wait();
}

TEST(shell_pipe, the_lesson_against_a_real_elixir_node) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate = otpp::test::unique_name("kate") + "@localhost";
  const std::string alex = otpp::test::unique_name("alex") + "@localhost";
  // Kate: a real Elixir node with the lesson's module.
  const std::string module =
      "defmodule Kate do\n"
      "  def say_name, do: IO.puts(\"Hi, my name is Kate\")\n"
      "  def reply_sup do\n"
      "    receive do\n"
      "      {:hi, alex_node_pid} -> send alex_node_pid, :sup?\n"
      "    end\n"
      "  end\n"
      "end\n"
      "IO.puts(\"kate ready\")\n"
      "Process.sleep(:infinity)\n";
  child_process kate_node({{"elixir", "--sname", kate, "--cookie", "lesson", "--erl",
                            "-start_epmd false", "-e", module},
                           {{"ERL_EPMD_PORT", std::to_string(epmd.port())}},
                           true});
  ASSERT_TRUE(kate_node.wait_for("kate ready", 30s)) << kate_node.output();
  const std::string script = "Node.spawn_link(:\"" + kate +
                             "\", Kate, :say_name, [])\n"
                             "pid = Node.spawn_link(:\"" +
                             kate +
                             "\", Kate, :reply_sup, [])\n"
                             "send(pid, {:hi, self()})\n"
                             "receive do :sup? -> :got_sup after 5000 -> :timeout end\n"
                             ":rpc.call(:\"" +
                             kate +
                             "\", :erlang, :node, [])\n"
                             "Node.list()\n";
  auto r = run_otpp({"--sname", alex, "--cookie", "lesson", "--epmd-port",
                     std::to_string(epmd.port()), "--no-banner"},
                    script);
  EXPECT_NE(r.output.find("Hi, my name is Kate\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("#PID<100."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("{:hi, #PID<0."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(":got_sup\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(":" + kate + "\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[:" + kate + "]\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.status, 0) << r.output;
  // The output of say_name printed on alex, not on kate.
  EXPECT_EQ(kate_node.output().find("Hi, my name is Kate"), std::string::npos)
      << kate_node.output();
}

// A fun made in the shell and spawned on a BEAM node as the first thing the shell does there:
// it carries the identity the peer's erl_eval gives its closures, learned as the connection
// comes up, without the user waiting for anything.
TEST(shell_pipe, a_fun_spawned_on_a_new_elixir_peer_as_the_first_action_runs_there) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate = otpp::test::unique_name("kate") + "@localhost";
  const std::string alex = otpp::test::unique_name("alex") + "@localhost";
  child_process kate_node({{"elixir", "--sname", kate, "--cookie", "lesson", "--erl",
                            "-start_epmd false", "-e", "IO.puts(\"kate ready\")\nProcess.sleep(:infinity)\n"},
                           {{"ERL_EPMD_PORT", std::to_string(epmd.port())}},
                           true});
  ASSERT_TRUE(kate_node.wait_for("kate ready", 30s)) << kate_node.output();
  const std::string script = "me = self()\n"
                             "Node.spawn(:\"" + kate + "\", fn -> IO.puts(\"hello from kate\"); "
                             "send(me, {:ran, node(), Enum.map([1, 2], fn x -> x * 2 end)}) end)\n"
                             "receive do {:ran, _, _} = r -> r after 10000 -> :timeout end\n";
  auto r = run_otpp({"--sname", alex, "--cookie", "lesson", "--epmd-port",
                     std::to_string(epmd.port()), "--no-banner"},
                    script);
  EXPECT_NE(r.output.find("#PID<100."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("hello from kate\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("{:ran, :" + kate + ", [2, 4]}\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.status, 0) << r.output;
}

}  // namespace
