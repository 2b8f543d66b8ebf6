// Scenario 130, remote spawn and group-leader I/O between otpp and real erl/iex nodes, both
// directions: output prints where the group leader is, undef and noconnection as Erlang gives
// them, and a group leader on a node that went away.
#include <gtest/gtest.h>

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
