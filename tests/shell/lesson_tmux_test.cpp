// The lesson's walkthrough typed into the otpp shell through a real terminal (tmux), with kate
// an otpp node exporting C++ functions (in this test process), a real `iex` shell, or an otpp
// shell, where the test types the lesson's `defmodule Kate`. Also: output that
// arrives while a line is half typed prints above the prompt and the line survives.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "otpp/code/eval.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/node.hpp"
#include "shell/tmux_pane.hpp"
#include "support/child_process.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::tmux_pane;

const std::string otpp_bin = std::string(OTPP_BIN_DIR) + "/otpp";
const std::string cookie = "lesson_cookie";

// Kate as an otpp node: the lesson's module as C++ functions, and the evaluator for funs.
std::unique_ptr<otp::node> start_otpp_kate(const std::string& name, std::uint16_t epmd_port,
                                           std::shared_ptr<io::output_sink> output) {
  otp::node_options o;
  o.dist.name = name;
  o.dist.cookie = cookie;
  o.dist.epmd_port = epmd_port;
  o.runtime.workers = 2;
  o.services.output = std::move(output);
  auto started = otp::node::start(std::move(o));
  if (!started) return nullptr;
  auto n = std::move(started.value());
  code::install(*n);  // runs the funs alex sends
  n->exports().add_elixir("Kate", "say_name", [](process& self) -> process_task {
    (void)co_await io::put_chars(self, "Hi, my name is Kate\n");
  });
  n->exports().add_elixir("Kate", "reply_sup", [](process& self) -> process_task {
    co_await self.receive(on(atom("hi"), any_pid) >>
                          [&self](pid alex_node_pid) { self.send(alex_node_pid, atom("sup?")); });
  });
  n->exports().add_elixir("Kate", "say_later", [](process& self, term ms) -> process_task {
    co_await self.receive(
        on(atom("never")) >> [] {}, after(std::chrono::milliseconds(ms.small_integer()), [] {}));
    (void)co_await io::put_chars(self, "Hi later\n");
  });
  return n;
}

std::vector<std::string> alex_argv(const std::string& alex, std::uint16_t port) {
  return {otpp_bin, "--sname", alex, "--cookie", cookie, "--epmd-port", std::to_string(port)};
}

// The lesson, typed at alex's prompt as the lesson types it; kate is `kate`.
void replay_lesson(tmux_pane& alex, const std::string& alex_name, const std::string& kate) {
  const std::string prompt = "otpp(" + alex_name + ")";
  ASSERT_TRUE(alex.wait_for(prompt + "1> ", 30s)) << alex.screen();
  alex.line("Node.spawn_link(:\"" + kate + "\", fn -> Kate.say_name end)");
  ASSERT_TRUE(alex.wait_for("Hi, my name is Kate", 20s)) << alex.screen();
  ASSERT_TRUE(alex.wait_for(prompt + "2> ", 20s)) << alex.screen();
  EXPECT_NE(alex.screen().find("#PID<100."), std::string::npos) << alex.screen();

  alex.line("pid = Node.spawn_link :\"" + kate + "\", fn ->");
  alex.line("  receive do");
  alex.line("    {:hi, alex_node_pid} -> send alex_node_pid, :sup?");
  alex.line("  end");
  alex.line("end");
  ASSERT_TRUE(alex.wait_for(prompt + "3> ", 20s)) << alex.screen();
  alex.line("send(pid, {:hi, self()})");
  ASSERT_TRUE(alex.wait_for("{:hi, #PID<0.", 20s)) << alex.screen();
  ASSERT_TRUE(alex.wait_for(prompt + "4> ", 20s)) << alex.screen();
  // The reply travels back from kate; a person types flush() a moment later, and so do we.
  const bool got = otpp::test::eventually(
      [&] {
        alex.line("flush()");
        return alex.wait_for(":sup?\n:ok", 3s);
      },
      60s);
  EXPECT_TRUE(got) << alex.screen();
}

bool listed_by_epmd(std::uint16_t port, const std::string& alive) {
  otpp::test::child_process p({{"epmd", "-port", std::to_string(port), "-names"}, {}, true});
  p.wait();
  (void)p.wait_for(std::string(1, '\0'), 2s);
  return p.output().find("name " + alive + " at port") != std::string::npos;
}

TEST(shell_lesson, alex_on_otpp_against_kate_on_otpp) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate_alive = otpp::test::unique_name("kate");
  const std::string alex_alive = otpp::test::unique_name("alex");
  auto kate_output = std::make_shared<io::string_output_sink>();
  auto kate = start_otpp_kate(kate_alive + "@localhost", epmd.port(), kate_output);
  ASSERT_TRUE(kate);

  tmux_pane alex(alex_argv(alex_alive + "@localhost", epmd.port()), {{"OTPP_HISTORY", ""}});
  ASSERT_TRUE(alex.started());
  replay_lesson(alex, alex_alive + "@localhost", kate_alive + "@localhost");
  // The group leader rule: say_name's output printed on alex, nowhere on kate.
  EXPECT_EQ(kate_output->text().find("Hi, my name is Kate"), std::string::npos);

  // Ctrl-D ends the shell and unregisters the node.
  EXPECT_TRUE(listed_by_epmd(epmd.port(), alex_alive));
  alex.key("C-d");
  const bool gone = otpp::test::eventually(
      [&] { return !alex.running() && !listed_by_epmd(epmd.port(), alex_alive); });
  EXPECT_TRUE(gone);
}

TEST(shell_lesson, alex_on_otpp_against_the_lesson_kate_program) {
  // examples/lesson/kate.cpp: the same C++ functions in a program of their own.
  const std::string kate_bin = std::string(OTPP_BIN_DIR) + "/lesson_kate";
  if (::access(kate_bin.c_str(), X_OK) != 0) GTEST_SKIP() << "build the lesson_kate example first";
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate_name = otpp::test::unique_name("kate") + "@localhost";
  const std::string alex_name = otpp::test::unique_name("alex") + "@localhost";
  otpp::test::child_process kate({{kate_bin, "--sname", kate_name, "--cookie", cookie},
                                  {{"ERL_EPMD_PORT", std::to_string(epmd.port())}},
                                  true});
  ASSERT_TRUE(kate.wait_for("ready", 30s)) << kate.output();
  tmux_pane alex(alex_argv(alex_name, epmd.port()), {{"OTPP_HISTORY", ""}});
  ASSERT_TRUE(alex.started());
  replay_lesson(alex, alex_name, kate_name);
  EXPECT_EQ(kate.output().find("Hi, my name is Kate"), std::string::npos) << kate.output();
  alex.key("C-d");
}

TEST(shell_lesson, alex_on_otpp_against_kate_on_iex) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate_alive = otpp::test::unique_name("kate");
  const std::string alex_alive = otpp::test::unique_name("alex");
  const std::map<std::string, std::string> env = {{"ERL_EPMD_PORT", std::to_string(epmd.port())}};

  tmux_pane kate({"iex", "--sname", kate_alive + "@localhost", "--cookie", cookie, "--erl",
                  "-start_epmd false"},
                 env);
  ASSERT_TRUE(kate.started());
  ASSERT_TRUE(kate.wait_for("iex(" + kate_alive + "@localhost)1> ", 60s)) << kate.screen();
  // The lesson's module, typed as the lesson types it.
  kate.line("defmodule Kate do");
  kate.line("  def say_name do");
  kate.line("    IO.puts \"Hi, my name is Kate\"");
  kate.line("  end");
  kate.line("  def reply_sup do");
  kate.line("    receive do");
  kate.line("      {:hi, alex_node_pid} -> send alex_node_pid, :sup?");
  kate.line("    end");
  kate.line("  end");
  kate.line("end");
  ASSERT_TRUE(kate.wait_for("{:module, Kate", 30s)) << kate.screen();

  tmux_pane alex(alex_argv(alex_alive + "@localhost", epmd.port()), {{"OTPP_HISTORY", ""}});
  ASSERT_TRUE(alex.started());
  replay_lesson(alex, alex_alive + "@localhost", kate_alive + "@localhost");
  // On kate the sentence appears once: in the source typed there, not as output.
  EXPECT_EQ(tmux_pane::count(kate.screen(), "Hi, my name is Kate"), 1) << kate.screen();
  alex.key("C-c");
}

TEST(shell_lesson, two_otpp_shells_replay_the_lesson_with_kates_module_typed_in_her_shell) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate_name = otpp::test::unique_name("kate") + "@localhost";
  const std::string alex_name = otpp::test::unique_name("alex") + "@localhost";
  tmux_pane kate(alex_argv(kate_name, epmd.port()), {{"OTPP_HISTORY", ""}});
  tmux_pane alex(alex_argv(alex_name, epmd.port()), {{"OTPP_HISTORY", ""}});
  ASSERT_TRUE(kate.wait_for("otpp(" + kate_name + ")1> ", 30s)) << kate.screen();
  // The lesson's module, typed as the lesson types it.
  kate.line("defmodule Kate do");
  kate.line("  def say_name do");
  kate.line("    IO.puts \"Hi, my name is Kate\"");
  kate.line("  end");
  kate.line("end");
  ASSERT_TRUE(kate.wait_for("{:module, Kate,", 30s)) << kate.screen();
  ASSERT_TRUE(kate.wait_for("otpp(" + kate_name + ")2> ", 30s)) << kate.screen();

  replay_lesson(alex, alex_name, kate_name);
  // On kate the sentence appears once: in the source typed there, not as output.
  EXPECT_EQ(tmux_pane::count(kate.screen(), "Hi, my name is Kate"), 1) << kate.screen();
  alex.line("Node.list()");
  EXPECT_TRUE(alex.wait_for("[:" + kate_name + "]", 20s)) << alex.screen();
  kate.key("C-d");
  alex.key("C-d");
}

TEST(shell_lesson, output_arriving_while_typing_prints_above_the_prompt) {
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate_alive = otpp::test::unique_name("kate");
  const std::string alex_alive = otpp::test::unique_name("alex");
  auto kate = start_otpp_kate(kate_alive + "@localhost", epmd.port(),
                              std::make_shared<io::string_output_sink>());
  ASSERT_TRUE(kate);
  tmux_pane alex(alex_argv(alex_alive + "@localhost", epmd.port()), {{"OTPP_HISTORY", ""}});
  const std::string prompt = "otpp(" + alex_alive + "@localhost)";
  ASSERT_TRUE(alex.wait_for(prompt + "1> ", 30s)) << alex.screen();
  alex.line("Node.spawn(:\"" + kate_alive + "@localhost\", Kate, :say_later, [1500])");
  ASSERT_TRUE(alex.wait_for(prompt + "2> ", 20s)) << alex.screen();
  alex.type("IO.pu");
  ASSERT_TRUE(alex.wait_for("Hi later", 20s)) << alex.screen();
  // The prompt is redrawn after the line is printed.
  (void)alex.wait_for("\nHi later\n" + prompt + "2> IO.pu", 5s);
  const std::string screen = alex.screen();
  // "Hi later" on a line of its own, the prompt redrawn below it with the half-typed text.
  EXPECT_NE(screen.find("\nHi later\n" + prompt + "2> IO.pu"), std::string::npos) << screen;
  alex.line("ts(:done)");
  EXPECT_TRUE(alex.wait_for("done\n:ok", 10s)) << alex.screen();
  alex.key("C-d");
}

}  // namespace
