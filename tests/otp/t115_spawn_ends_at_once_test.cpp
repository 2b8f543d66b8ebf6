// Scenario 115, a remote spawn whose process ends at once: the link and the monitor the
// request made report its real exit reason (normal, or its error), never noproc, whether the
// requester is an otpp node (started with node::start or wired by hand) or a real erl, and
// erpc calls of functions that return or fail at once give their result.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::erl_atom;

struct spawn_ends_at_once : otpp::test::otp_test {
  std::unique_ptr<otp::node> kate, alex;
  const atom Kate{"Elixir.Kate"};
  std::string k;  // kate as an Erlang atom literal

  void SetUp() override {
    otp_test::SetUp();
    kate = start_node("kate", std::make_shared<io::string_output_sink>());
    alex = start_node("alex", std::make_shared<io::string_output_sink>());
    ASSERT_TRUE(kate && alex);
    auto& x = kate->exports();
    // Process bodies and plain functions, each returning or failing without waiting.
    x.add_elixir("Kate", "done", [](process&) -> process_task { co_return; });
    x.add_elixir("Kate", "fail", [](process& self) -> process_task {
      self.error(atom("boom"));
      co_return;
    });
    x.add_elixir("Kate", "echo", [](term v) { return v; });
    x.add_elixir("Kate", "raise", [](term v) -> term { throw error_exception(v); });
    k = erl_atom(kate->name().name());
  }
  void TearDown() override {
    alex.reset();
    kate.reset();
  }

  // What the link and the monitor of `me`'s remote spawns of Kate.F(Args) report.
  static std::pair<std::string, std::string> link_and_monitor(scoped_process& me, atom node,
                                                              const char* f,
                                                              std::vector<term> args) {
    me.trap_exit(true);
    const atom Kate{"Elixir.Kate"};
    pid p = remote::spawn_link(me, node, Kate, atom(f), args);
    auto exit = me.receive_for(5s);
    auto [q, ref] = remote::spawn_monitor(me, node, Kate, atom(f), args);
    auto down = me.receive_for(5s);
    std::string e = exit ? to_string(*exit) : "nothing", d = down ? to_string(*down) : "nothing";
    const std::string ps = to_string(term(p)), qs = to_string(term(q)), rs = to_string(term(ref));
    if (auto at = e.find(ps); at != std::string::npos) e.replace(at, ps.size(), "P");
    if (auto at = d.find(qs); at != std::string::npos) d.replace(at, qs.size(), "P");
    if (auto at = d.find(rs); at != std::string::npos) d.replace(at, rs.size(), "Ref");
    return {e, d};
  }
};

TEST_F(spawn_ends_at_once, otpp_link_and_monitor_see_normal_from_a_body_that_returns_at_once) {
  scoped_process me(alex->rt());
  for (int i = 0; i < 20; ++i) {
    auto [exit, down] = link_and_monitor(me, kate->name(), "done", {});
    ASSERT_EQ(exit, "{'EXIT',P,normal}") << "iteration " << i;
    ASSERT_EQ(down, "{'DOWN',Ref,process,P,normal}") << "iteration " << i;
  }
}

TEST_F(spawn_ends_at_once, otpp_link_and_monitor_see_the_error_of_a_body_that_fails_at_once) {
  scoped_process me(alex->rt());
  auto [exit, down] = link_and_monitor(me, kate->name(), "fail", {});
  EXPECT_EQ(exit, "{'EXIT',P,boom}");
  EXPECT_EQ(down, "{'DOWN',Ref,process,P,boom}");
}

TEST_F(spawn_ends_at_once, otpp_link_and_monitor_see_how_a_plain_function_ended) {
  scoped_process me(alex->rt());
  auto [exit, down] = link_and_monitor(me, kate->name(), "echo", {term(1)});
  EXPECT_EQ(exit, "{'EXIT',P,normal}");
  EXPECT_EQ(down, "{'DOWN',Ref,process,P,normal}");
  auto [exit2, down2] = link_and_monitor(me, kate->name(), "raise", {atom("bad")});
  // (otpp's error reasons carry no stacktrace: the reason is the raised term.)
  EXPECT_EQ(exit2, "{'EXIT',P,bad}");
  EXPECT_EQ(down2, "{'DOWN',Ref,process,P,bad}");
}

TEST_F(spawn_ends_at_once, otpp_erpc_calls_of_functions_that_return_or_fail_at_once) {
  scoped_process me(alex->rt());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(to_string(rpc::call(me, kate->name(), Kate, atom("echo"), {term(i)}, 5s)),
              std::to_string(i));
  }
  auto r = rpc::erpc_call(me, kate->name(), Kate, atom("raise"), {atom("bad")}, 5s);
  EXPECT_EQ(r.how, rpc::erpc_result::kind::error);
  EXPECT_EQ(to_string(r.value), "bad");
}

TEST_F(spawn_ends_at_once, a_node_wired_by_hand_sees_the_same_as_a_started_one) {
  otpp::test::hand_wired_node bare(epmd_port());
  ASSERT_TRUE(bare.started);
  {
    scoped_process me(bare.rt);
    auto [exit, down] = link_and_monitor(me, kate->name(), "done", {});
    EXPECT_EQ(exit, "{'EXIT',P,normal}");
    EXPECT_EQ(down, "{'DOWN',Ref,process,P,normal}");
    auto r = rpc::erpc_call(me, kate->name(), Kate, atom("raise"), {atom("bad")}, 5s);
    EXPECT_EQ(r.how, rpc::erpc_result::kind::error);
    EXPECT_EQ(to_string(r.value), "bad");
  }
}

TEST_F(spawn_ends_at_once, erl_spawn_monitor_and_spawn_link_see_normal_and_the_error) {
  auto erl = start_erl();
  auto down = [&](const char* f) {
    return erl
        ->eval("(fun() -> {P, R} = erlang:spawn_monitor(" + k + ", 'Elixir.Kate', " + f +
               ", []), receive {'DOWN', R, process, P, Why} -> Why after 5000 -> timeout end "
               "end)().")
        .value_or("?");
  };
  auto exit = [&](const char* f) {
    return erl
        ->eval("(fun() -> process_flag(trap_exit, true), L = spawn_link(" + k +
               ", 'Elixir.Kate', " + f +
               ", []), receive {'EXIT', L, Why} -> Why after 5000 -> timeout end end)().")
        .value_or("?");
  };
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(down("done"), "normal") << "iteration " << i;
    ASSERT_EQ(exit("done"), "normal") << "iteration " << i;
  }
  EXPECT_EQ(down("fail"), "boom");
  EXPECT_EQ(exit("fail"), "boom");
}

TEST_F(spawn_ends_at_once, erl_erpc_calls_of_functions_that_return_or_fail_at_once) {
  auto erl = start_erl();
  EXPECT_EQ(erl->eval("[erpc:call(" + k + ", 'Elixir.Kate', echo, [N]) || N <- lists:seq(1, 20)].")
                .value_or("?"),
            "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]");
  EXPECT_EQ(erl->eval("try erpc:call(" + k + ", 'Elixir.Kate', raise, [bad]) catch C:R -> {C, R} end.")
                .value_or("?"),
            "{error,{exception,bad,[{'Elixir.Kate',raise,1,[]}]}}");
}

}  // namespace
