// Scenario 130, remote spawn and group-leader I/O between otpp and real erl/iex nodes, both
// directions: output prints where the group leader is, undef and noconnection as Erlang gives
// them, and a group leader on a node that went away.
#include <gtest/gtest.h>

#include <stdexcept>

#include "otp_fixture.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::erl_atom;
using otpp::test::eventually;

process_task say_name(process& self) {
  (void)co_await io::put_chars(self, "Hi, my name is Kate\n");
}

// Waits for `go`, then prints through its (remote) group leader and reports the io reply to
// the process registered as `observer`.
process_task print_later(process& self) {
  self.register_name(atom("waiter"));
  co_await self.receive(on(atom("go")) >> [] {});
  term r = co_await io::put_chars(self, "late line\n");
  (void)self.send(atom("observer"), tuple_of(atom("io_result"), r));
}

struct spawn_interop : otpp::test::otp_test {
  std::shared_ptr<io::string_output_sink> kate_out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> kate;
  std::string k;  // kate as an Erlang atom literal

  void SetUp() override {
    otp_test::SetUp();
    kate = start_node("kate", kate_out);
    ASSERT_TRUE(kate);
    kate->exports().add_elixir("Kate", "say_name", say_name);
    kate->exports().add_elixir("Kate", "print_later", print_later);
    kate->exports().add_elixir("Kate", "crash", [](process&) -> process_task {
      throw std::runtime_error("boom");
      co_return;
    });
    kate->exports().add_elixir("Kate", "quit", [](process& self) -> process_task {
      self.exit(atom("bye"));  // at once: the link the request made still reports it
      co_return;
    });
    k = erl_atom(kate->name().name());
  }
  void TearDown() override { kate.reset(); }
};

TEST_F(spawn_interop, erl_spawns_a_cpp_function_and_its_output_prints_on_erl) {
  auto erl = start_erl();
  ASSERT_TRUE(
      erl->eval("P = spawn_link(" + k + ", 'Elixir.Kate', say_name, []), is_pid(P).").has_value());
  EXPECT_TRUE(erl->wait_for_output("Hi, my name is Kate\n", 10s)) << erl->process().output();
  EXPECT_EQ(kate_out->text(), "");
}

TEST_F(spawn_interop, erl_spawning_an_undefined_function_gets_the_undef_exit) {
  auto erl = start_erl();
  EXPECT_EQ(erl->eval("process_flag(trap_exit, true), P2 = spawn_link(" + k +
                      ", 'Elixir.Kate', nosuch, [1]), receive {'EXIT', P2, R} -> R after 5000 -> "
                      "timeout end.")
                .value_or("?"),
            "{undef,[{'Elixir.Kate',nosuch,[1],[]}]}");
  EXPECT_EQ(erl->eval("{P3, M3} = spawn_monitor(" + k +
                      ", 'Elixir.Kate', nosuch, []), receive {'DOWN', M3, process, P3, R3} -> R3 "
                      "after 5000 -> timeout end.")
                .value_or("?"),
            "{undef,[{'Elixir.Kate',nosuch,[],[]}]}");
}

TEST_F(spawn_interop, otpp_spawns_io_format_on_erl_and_the_output_prints_on_otpp) {
  auto erl = start_erl();
  scoped_process me(kate->rt());
  me.trap_exit(true);
  pid p = remote::spawn_link(me, atom(erl->node()), atom("io"), atom("format"),
                             {term::string("hello from ~s~n"), list_of(term::string("erl"))});
  EXPECT_EQ(p.node, atom(erl->node()));
  auto exit = me.receive_for(10s);
  ASSERT_TRUE(exit);
  EXPECT_EQ(to_string(*exit), to_string(tuple_of(atoms::EXIT, p, atoms::normal)));
  EXPECT_EQ(kate_out->text(), "hello from erl\n");
  EXPECT_EQ(erl->process().output().find("hello from erl"), std::string::npos);
}

TEST_F(spawn_interop, otpp_spawning_an_undefined_function_on_erl_gets_undef) {
  auto erl = start_erl();
  scoped_process me(kate->rt());
  auto [p, ref] =
      remote::spawn_monitor(me, atom(erl->node()), atom("nosuch"), atom("fn"), {term(7)});
  auto down = me.receive_for(10s);
  ASSERT_TRUE(down);
  EXPECT_EQ(to_string(*down), "{'DOWN'," + to_string(term(ref)) + ",process," + to_string(term(p)) +
                                  ",{undef,[{nosuch,fn,[7],[]}]}}");
  // erl sends the crash report to this node's logger_proxy, as to a BEAM caller's: it prints
  // here, and not on erl.
  ASSERT_TRUE(eventually([&] {
    return kate_out->text().find("{undef,[{nosuch,fn,[7],[]}]}") != std::string::npos;
  })) << kate_out->text();
  EXPECT_EQ(kate_out->text().rfind("=ERROR REPORT==== ", 0), 0u) << kate_out->text();
  EXPECT_NE(kate_out->text().find(" ===\nError in process <"), std::string::npos);
  EXPECT_NE(kate_out->text().find("> on node " + erl->node() + " with exit value:\n"),
            std::string::npos)
      << kate_out->text();
  EXPECT_EQ(erl->process().output().find("Error in process"), std::string::npos);
}

TEST_F(spawn_interop, a_group_leader_on_a_node_that_went_away_gives_an_error_not_a_hang) {
  auto erl = start_erl();
  scoped_process observer(kate->rt());
  observer.register_name(atom("observer"));
  ASSERT_EQ(erl->eval("is_pid(spawn(" + k + ", 'Elixir.Kate', print_later, [])).").value_or("?"),
            "true");
  ASSERT_TRUE(eventually([&] { return kate->rt().whereis(atom("waiter")).has_value(); }));
  erl->kill(SIGKILL);
  (void)erl->process().wait();
  ASSERT_TRUE(eventually([&] { return !kate->engine()->is_connected(atom(erl->node())); }, 30s));
  observer.send(*kate->rt().whereis(atom("waiter")), atom("go"));
  auto r = observer.receive_for(15s);
  ASSERT_TRUE(r) << "the io request hung";
  EXPECT_EQ(to_string(*r), "{io_result,{error,terminated}}");
  EXPECT_EQ(kate_out->text(), "");
}

// ---- crash reports: where a BEAM kate sends them ------------------------------------------

// A process that fails with an error sends the emulator's event to `{logger_proxy, node(GL)}`,
// exactly as a BEAM kate does (checked against `erl`: erts terminate_proc builds it, OTP's
// logger forwards it to the group leader's node); exit/1 is not reported.
TEST_F(spawn_interop, erl_gets_the_emulators_error_event_on_its_logger_proxy) {
  auto erl = start_erl();
  ASSERT_EQ(erl->eval("unregister(logger_proxy), register(logger_proxy, self()), "
                      "process_flag(trap_exit, true), ok.")
                .value_or("?"),
            "ok");
  EXPECT_EQ(erl->eval("Q = spawn_link(" + k +
                      ", 'Elixir.Kate', quit, []), receive {'EXIT', Q, QR} -> QR after 5000 -> "
                      "timeout end.")
                .value_or("?"),
            "bye");
  EXPECT_EQ(erl->eval("P = spawn_link(" + k +
                      ", 'Elixir.Kate', nosuch, [1]), receive {'EXIT', P, PR} -> PR after 5000 -> "
                      "timeout end.")
                .value_or("?"),
            "{undef,[{'Elixir.Kate',nosuch,[1],[]}]}");
  // The first event is the undef's (quit's would have come before its EXIT).
  EXPECT_EQ(erl->eval("G = group_leader(), receive {log, error, Fmt, [P, " + k +
                      ", V], #{error_logger := EL, gl := G, pid := P, time := T} = Meta} when "
                      "is_integer(T) -> "
                      "{Fmt, V, EL, lists:sort(maps:keys(Meta)), "
                      "abs(os:system_time(microsecond) - T) < 60000000}; "
                      "Other -> {unexpected, Other} after 5000 -> timeout end.")
                .value_or("?"),
            "{\"Error in process ~p on node ~p with exit value:~n~p~n\","
            "{undef,[{'Elixir.Kate',nosuch,[1],[]}]},"
            "#{emulator => true,tag => error},"
            "[error_logger,gl,pid,time],true}");
  // A C++ exception: its reason with an empty stacktrace, as Elixir's translator needs.
  EXPECT_EQ(erl->eval("C = spawn(" + k +
                      ", 'Elixir.Kate', crash, []), receive {log, error, _, [C, _, CV], _} -> CV "
                      "after 5000 -> timeout end.")
                .value_or("?"),
            "{{error,<<\"boom\">>},[]}");
  EXPECT_EQ(kate_out->text(), "");

  // The same from a real erl kate, for comparison: the same event, field for field.
  auto erl_kate = start_erl("erlkate");
  const std::string ek = otpp::test::erl_atom(erl_kate->node());
  EXPECT_EQ(erl->eval("E = spawn(" + ek +
                      ", 'Elixir.Kate', nosuch, [1]), receive {log, error, EFmt, [E, " + ek +
                      ", EV], #{error_logger := EEL, gl := G, pid := E, time := ET} = EMeta} when "
                      "is_integer(ET) -> {EFmt, EV, EEL, lists:sort(maps:keys(EMeta))}; "
                      "EOther -> {unexpected, EOther} after 5000 -> timeout end.")
                .value_or("?"),
            "{\"Error in process ~p on node ~p with exit value:~n~p~n\","
            "{undef,[{'Elixir.Kate',nosuch,[1],[]}]},"
            "#{emulator => true,tag => error},"
            "[error_logger,gl,pid,time]}");
}

TEST_F(spawn_interop, erl_prints_the_error_of_a_process_it_spawned_on_otpp) {
  auto erl = start_erl();
  ASSERT_EQ(erl->eval("is_pid(spawn(" + k + ", 'Elixir.Kate', nosuch, [2])).").value_or("?"),
            "true");
  ASSERT_TRUE(erl->wait_for_output("{undef,[{'Elixir.Kate',nosuch,[2],[]}]}", 10s))
      << erl->process().output();
  const std::string out = erl->process().output();
  EXPECT_NE(out.find("=ERROR REPORT===="), std::string::npos) << out;
  EXPECT_NE(out.find("Error in process <"), std::string::npos) << out;
  EXPECT_NE(out.find(" on node " + std::string(kate->name().name()) + " with exit value:\n"),
            std::string::npos)
      << out;
  // Nothing on kate: the report is for the group leader's node (BEAM's remote_gl filter).
  EXPECT_EQ(kate_out->text(), "");
}

// ---- against iex
// ---------------------------------------------------------------------------------

TEST_F(spawn_interop, elixir_node_spawn_link_of_kate_say_name_prints_in_iex) {
  auto iex = start_iex();
  auto out = iex->eval("pid = Node.spawn_link(:\"" + std::string(kate->name().name()) +
                       "\", Kate, :say_name, [])");
  ASSERT_TRUE(out) << iex->process().output();
  ASSERT_TRUE(eventually([&] {
    return (*out + iex->pending_output()).find("Hi, my name is Kate") != std::string::npos;
  })) << *out
      << iex->pending_output();
  EXPECT_NE(out->find("#PID<"), std::string::npos) << *out;
  EXPECT_EQ(kate_out->text(), "");
}

TEST_F(spawn_interop, iex_shows_the_error_of_a_process_it_spawned_on_otpp) {
  auto iex = start_iex();
  const std::string node(kate->name().name());
  auto out = iex->eval("Node.spawn(:\"" + node + "\", Kate, :nosuch, [])");
  ASSERT_TRUE(out) << iex->process().output();
  const std::string undef =
      " on node :" + node +
      " raised an exception\n** (UndefinedFunctionError) function Kate.nosuch/0 is undefined "
      "(module Kate is not available)\n    Kate.nosuch()\n";
  EXPECT_TRUE(eventually([&] {
    return (*out + iex->pending_output()).find(undef) != std::string::npos;
  })) << *out
      << iex->pending_output();
  EXPECT_NE((*out + iex->pending_output()).find("[error] Process #PID<"), std::string::npos);
  auto crash = iex->eval("Node.spawn(:\"" + node + "\", Kate, :crash, [])");
  ASSERT_TRUE(crash) << iex->process().output();
  const std::string error = " on node :" + node +
                            " raised an exception\n** (ErlangError) Erlang error: {:error, "
                            "\"boom\"}\n";
  EXPECT_TRUE(eventually([&] {
    return (*crash + iex->pending_output()).find(error) != std::string::npos;
  })) << *crash
      << iex->pending_output();
  EXPECT_EQ(kate_out->text(), "");
}

TEST_F(spawn_interop, otpp_spawning_io_puts_on_iex_prints_on_otpp) {
  auto iex = start_iex();
  scoped_process me(kate->rt());
  auto [p, ref] = remote::spawn_monitor(me, atom(iex->node()), atom("Elixir.IO"), atom("puts"),
                                        {term::binary("Hi from iex's IO.puts")});
  auto down = me.receive_for(10s);
  ASSERT_TRUE(down);
  EXPECT_EQ(to_string(*down),
            "{'DOWN'," + to_string(term(ref)) + ",process," + to_string(term(p)) + ",normal}");
  EXPECT_EQ(kate_out->text(), "Hi from iex's IO.puts\n");
}

}  // namespace
