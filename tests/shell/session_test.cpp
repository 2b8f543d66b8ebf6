// A shell session on a real (not distributed) otpp node, in this process: the shell's self()
// is a process with a mailbox, receive and flush see what others send it, links kill and
// restart it as they do an iex shell process, and the node's export table is callable.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "session_fixture.hpp"
#include "support/eventually.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;
using otpp::test::shell_session;

TEST_F(shell_session, prompt_counts_successful_expressions) {
  EXPECT_EQ(s->prompt(), "otpp(1)> ");
  feed("1 + 1");
  EXPECT_EQ(s->prompt(), "otpp(2)> ");
  feed("foo()");
  EXPECT_EQ(s->prompt(), "otpp(2)> ");
  EXPECT_EQ(s->feed("receive do"), shell::session::outcome::more);
  EXPECT_EQ(s->prompt(), "...(2)> ");
  EXPECT_EQ(s->feed("after 0 -> :none end"), shell::session::outcome::ok);
}

TEST_F(shell_session, messages_to_self_queue_until_flush) {
  EXPECT_EQ(feed("send(self(), {:hi, 1})"), "{:hi, 1}\n");
  EXPECT_EQ(feed("send(self(), :sup?)"), ":sup?\n");
  EXPECT_EQ(feed("flush()"), "{:hi, 1}\n:sup?\n:ok\n");
  EXPECT_EQ(feed("flush()"), ":ok\n");
}

TEST_F(shell_session, self_prints_as_a_local_pid) {
  const std::string text = feed("self()");
  EXPECT_EQ(text.rfind("#PID<0.", 0), 0u) << text;
  EXPECT_EQ(feed("node(self())"), ":nonode@nohost\n");
}

TEST_F(shell_session, receive_gets_messages_from_other_processes) {
  node->rt().send(s->self(), tuple_of(atom("ping"), 41));
  EXPECT_EQ(feed("receive do {:ping, n} -> n + 1 end"), "42\n");
  EXPECT_EQ(feed("receive do :never -> 1 after 20 -> :timeout end"), ":timeout\n");
}

TEST_F(shell_session, send_by_registered_name) {
  feed("Process.register(self(), :me)");
  EXPECT_EQ(feed("send(:me, :by_name)"), ":by_name\n");
  EXPECT_EQ(feed("send({:me, node()}, :by_tuple)"), ":by_tuple\n");
  EXPECT_EQ(feed("flush()"), ":by_name\n:by_tuple\n:ok\n");
  EXPECT_EQ(feed("Process.whereis(:me) == self()"), "true\n");
  EXPECT_EQ(feed("Process.whereis(:nobody)"), "nil\n");
}

TEST_F(shell_session, exported_functions_are_callable) {
  EXPECT_EQ(feed("Kate.add(1, 2)"), "3\n");
  EXPECT_EQ(feed("Kate.nope()"),
            "** (UndefinedFunctionError) function Kate.nope/0 is undefined or private\n    "
            "Kate.nope()\n");
  EXPECT_EQ(feed("Kate.say_name()"), ":ok\n");
  EXPECT_NE(node_output->text().find("Hi, my name is Kate\n"), std::string::npos);
}

TEST_F(shell_session, undefined_functions_of_the_nodes_modules_suggest_others_as_iex_does) {
  // Same name, other arity: every arity. A name close to one exported: that one.
  EXPECT_EQ(feed("Kate.add(1)"),
            "** (UndefinedFunctionError) function Kate.add/1 is undefined or private. Did you "
            "mean:\n\n      * add/2\n\n    Kate.add(1)\n");
  EXPECT_EQ(feed("Kate.say_nam()"),
            "** (UndefinedFunctionError) function Kate.say_nam/0 is undefined or private. Did you "
            "mean:\n\n      * say_name/0\n\n    Kate.say_nam()\n");
  EXPECT_EQ(feed("Kate.sayname()"),
            "** (UndefinedFunctionError) function Kate.sayname/0 is undefined or private. Did you "
            "mean:\n\n      * say_name/0\n\n    Kate.sayname()\n");
  // A standard module (no list: the shell knows only a part of its functions).
  EXPECT_EQ(feed(":rpc.nosuch()"),
            "** (UndefinedFunctionError) function :rpc.nosuch/0 is undefined or private\n"
            "    (kernel 8.5.3) :rpc.nosuch()\n");
  // A module the node does not have.
  EXPECT_EQ(feed("Nosuch.f()"),
            "** (UndefinedFunctionError) function Nosuch.f/0 is undefined (module Nosuch is not "
            "available)\n    Nosuch.f()\n");
  EXPECT_EQ(feed("1 + 1"), "2\n");
}

TEST_F(shell_session, a_linked_spawn_on_an_unreachable_node_warns_then_kills_the_shell_process) {
  const std::string me = feed("self()");
  feed("Node.spawn_link(:nosuch@localhost, Kate, :say_name, [])");
  // The EXIT may have come during the evaluation already.
  const bool restarted = eventually(
      [&] { return output().find("** (EXIT from") != std::string::npos || s->poll(); });
  ASSERT_TRUE(restarted);
  const std::string warning =
      " [warning] ** Can not start Kate::say_name,[] ([:link]) on :nosuch@localhost **\n\n";
  std::string text = output().substr(me.size());
  const auto at = text.find(warning);
  ASSERT_NE(at, std::string::npos) << text;
  // As erts_internal:crasher/6 logs before it exits: the warning, then the EXIT. The logger
  // prints on its own, so the spawn's result (if the EXIT came after it) may come before or
  // after the warning.
  text.erase(0, at + warning.size());
  if (text.starts_with("#PID<0.")) text.erase(0, text.find('\n') + 1);
  EXPECT_EQ(text, "** (EXIT from " + me.substr(0, me.size() - 1) +
                      ") shell process exited with reason: no connection\n\n" + shell::session::banner() + "\n");
  EXPECT_EQ(feed("1 + 1"), "2\n");
}

TEST_F(shell_session, a_logger_event_sent_to_the_node_prints_as_iex_prints_it) {
  ASSERT_TRUE(node->rt().whereis(atom("logger")));
  ASSERT_TRUE(node->rt().whereis(atom("logger_proxy")));
  node->rt().send(
      atom("logger_proxy"),
      term::tuple({term(atom("log")), term(atom("error")),
                   term::string("Error in process ~p with exit value:~n~p~n"),
                   list_of(s->self(), tuple_of(atoms::undef,
                                               list_of(tuple_of(atom("Elixir.Kate"), atom("nope"),
                                                                term::list({}), term::list({}))))),
                   term::map({})}));
  const std::string tail =
      " raised an exception\n** (UndefinedFunctionError) function Kate.nope/0 is undefined or "
      "private\n    Kate.nope()\n";
  const bool seen = eventually([&] { return output().find(tail) != std::string::npos; });
  EXPECT_TRUE(seen) << output();
  EXPECT_NE(output().find("[error] Process #PID<0."), std::string::npos) << output();
}

TEST_F(shell_session, a_linked_process_that_crashes_kills_and_restarts_the_shell_process) {
  feed("x = 1");
  const std::string old_self = feed("self()");
  feed("spawn_link(Crash, :later, [30])");
  const bool restarted = eventually([&] { return s->poll(); });
  ASSERT_TRUE(restarted);
  const std::string text = output();
  const std::string old_pid = old_self.substr(0, old_self.size() - 1);
  EXPECT_NE(text.find("** (EXIT from " + old_pid + ") shell process exited with reason: :boom\n\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(s->prompt(), "otpp(1)> ");
  EXPECT_NE(feed("self()"), old_self);
  EXPECT_EQ(feed("x").rfind("** (CompileError)", 0), 0u);  // bindings are gone, as in iex
}

TEST_F(shell_session, killing_the_shell_process_prints_its_exit) {
  const std::string me = feed("self()");
  const std::string text = feed("Process.exit(self(), :kill)");
  EXPECT_EQ(text, "** (EXIT from " + me.substr(0, me.size() - 1) +
                      ") shell process exited with reason: killed\n\n" + shell::session::banner() +
                      "\n");
}

TEST_F(shell_session, trapping_exits_turns_the_crash_into_a_message) {
  EXPECT_EQ(feed("Process.flag(:trap_exit, true)"), "false\n");
  feed("pid = spawn_link(Crash, :later, [1])");
  EXPECT_EQ(feed("receive do {:EXIT, ^pid, reason} -> reason after 2000 -> :none end"), ":boom\n");
}

TEST_F(shell_session, monitors_deliver_down) {
  // The crash comes late enough that the monitor is surely set first, even on a loaded machine.
  feed("pid = spawn(Crash, :later, [300])");
  feed("ref = Process.monitor(pid)");
  EXPECT_EQ(feed("receive do {:DOWN, ^ref, :process, ^pid, r} -> r after 2000 -> :none end"),
            ":boom\n");
}

TEST_F(shell_session, interrupt_ends_a_blocked_receive_quietly) {
  std::thread t([this] {
    // Nothing shows that the receive began; interrupt a moment after it was fed.
    std::this_thread::sleep_for(100ms);
    s->interrupt();
  });
  EXPECT_EQ(s->feed("receive do :never -> 1 end"), shell::session::outcome::error);
  t.join();
  EXPECT_EQ(output().find("EXIT from"), std::string::npos);
}

TEST_F(shell_session, node_functions_on_a_node_that_is_not_alive) {
  EXPECT_EQ(feed("Node.self()"), ":nonode@nohost\n");
  EXPECT_EQ(feed("Node.alive?()"), "false\n");
  EXPECT_EQ(feed("Node.list()"), "[]\n");
  EXPECT_EQ(feed("Node.connect(:kate@localhost)"), ":ignored\n");
  EXPECT_EQ(feed("Node.ping(:kate@localhost)"), ":pang\n");
}

TEST_F(shell_session, errors_leave_the_shell_usable) {
  feed("{:a, b} = {:c, 1}");
  feed(")");
  feed("Foo.bar()");
  feed("hd([])");
  EXPECT_EQ(feed("1 + 1"), "2\n");
}

TEST_F(shell_session, pid_helper_reads_printed_pids) {
  const std::string me = feed("self()");
  const std::string dotted = me.substr(5, me.size() - 7);  // "#PID<0.5.0>\n" -> "0.5.0"
  EXPECT_EQ(feed("pid(\"" + dotted + "\") == self()"), "true\n");
}

TEST_F(shell_session, v_returns_earlier_results_as_iex_numbers_them) {
  feed("x = 5");
  feed(":two");
  EXPECT_EQ(feed("v()"), ":two\n");
  EXPECT_EQ(feed("v(1)"), "5\n");
  EXPECT_EQ(feed("v(-2)"), ":two\n");
  EXPECT_EQ(feed("v(99)").rfind("** (RuntimeError) v(99) is out of bounds", 0), 0u);
}

TEST_F(shell_session, h_prints_the_helpers_documentation_and_i_describes_a_term) {
  const std::string doc = feed("h(v/1)");
  // iex centres the heading in 80 columns and prints no result after the text.
  EXPECT_EQ(doc.rfind("\n" + std::string(33, ' ') + "def v(n \\\\ -1)\n\nReturns the value of the `n`th expression", 0), 0u)
      << doc;
  EXPECT_TRUE(doc.ends_with("`v()` does the same.\n\n")) << doc;
  EXPECT_NE(feed("h").find("IEx.Helpers"), std::string::npos);
  EXPECT_NE(feed("h Enum.map/2").find("def map/2"), std::string::npos);
  EXPECT_EQ(feed("i :a"),
            "Term\n  :a\nData type\n  Atom\nReference modules\n  Atom\nImplemented protocols\n"
            "  IEx.Info, Inspect, List.Chars, String.Chars\n");
  const std::string me = feed("self()");
  const std::string about_me = feed("i self()");
  EXPECT_EQ(about_me.rfind("Term\n  " + me + "Data type\n  PID\nAlive\n  true\nName\n  not registered\n", 0), 0u)
      << about_me;
}

TEST_F(shell_session, c_runs_an_exs_file_in_the_shell_process) {
  const std::string path = ::testing::TempDir() + "otpp_c_helper_test.exs";
  {
    std::ofstream f(path);
    f << "send(self(), :from_the_file)\nx = 40\nx + 2\n";
  }
  EXPECT_EQ(feed("c(\"" + path + "\")"), "[]\n");
  EXPECT_EQ(feed("flush()"), ":from_the_file\n:ok\n");
  EXPECT_EQ(feed("c(\"/nonexistent/file.exs\")").rfind("** (CompileError) could not load /nonexistent/file.exs", 0), 0u);
  std::remove(path.c_str());
}

TEST_F(shell_session, completion_offers_variables_modules_functions_and_helpers) {
  feed("xyzzy = 1");
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  EXPECT_TRUE(has(s->complete("xyz"), "xyzzy"));
  EXPECT_TRUE(has(s->complete("En"), "Enum"));
  EXPECT_TRUE(has(s->complete("Enum.ma"), "Enum.map"));
  EXPECT_FALSE(has(s->complete("Enum.ma"), "Enum.reduce"));
  EXPECT_TRUE(has(s->complete(":lis"), ":lists"));
  EXPECT_TRUE(has(s->complete("Kate.sa"), "Kate.say_name"));
  EXPECT_TRUE(has(s->complete("flu"), "flush"));
  EXPECT_TRUE(s->complete("Nosuch.").empty());
}

TEST_F(shell_session, builtins_answer_rpc_from_any_process_as_export_table_entries) {
  // What the shell calls is the node's: another process reaches it the same way.
  EXPECT_EQ(feed(":rpc.call(node(), Enum, :sum, [[1, 2, 3]])"), "6\n");
  EXPECT_EQ(feed(":erpc.call(node(), String, :upcase, [\"kate\"])"), "\"KATE\"\n");
}

}  // namespace
