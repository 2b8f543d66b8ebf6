// Funs made on real BEAM nodes run on otpp: the lesson's two funs typed into a real iex against
// the lesson's kate (examples/lesson/kate.cpp), a fun from erl serving many messages in a
// receive loop (process_info shows it as BEAM would), erpc with a fun (and its process
// dictionary), and a fun of a compiled module refused as BEAM refuses it.
#include <gtest/gtest.h>
#include <unistd.h>

#include "otp/otp_fixture.hpp"

namespace {

using namespace otpp;
using namespace otpp::test;
using namespace std::chrono_literals;

std::string bin(const std::string& name) { return std::string(OTPP_BIN_DIR) + "/" + name; }

struct funs_interop : otp_test {
  std::unique_ptr<child_process> start_kate(const std::string& name) {
    EXPECT_EQ(::access(bin("lesson_kate").c_str(), X_OK), 0) << "build lesson_kate first";
    auto k = std::make_unique<child_process>(child_process::options{
        {bin("lesson_kate"), "--sname", name, "--cookie", cookie},
        {{"ERL_EPMD_PORT", std::to_string(epmd_port())}},
        true});
    EXPECT_TRUE(k->wait_for(name + " ready", 20s)) << k->output();
    return k;
  }
};

TEST_F(funs_interop, the_lessons_funs_typed_in_a_real_iex_run_on_otpp_kate) {
  std::string kate_name = unique_name("kate") + "@localhost";
  auto kate = start_kate(kate_name);
  auto iex = start_iex("alex");
  auto spawned = iex->eval("Node.spawn_link(:\"" + kate_name + "\", fn -> Kate.say_name end)");
  ASSERT_TRUE(spawned);
  EXPECT_TRUE(eventually([&] {
    return (*spawned + iex->pending_output()).find("Hi, my name is Kate") != std::string::npos;
  })) << iex->process().output() << kate->output();
  ASSERT_TRUE(iex->eval("pid = Node.spawn_link(:\"" + kate_name +
                        "\", fn -> receive do {:hi, pid} -> send pid, :sup? end end)"));
  auto sent = iex->eval("send(pid, {:hi, self()})");
  ASSERT_TRUE(sent);
  auto got = iex->eval("receive do :sup? -> :got_sup after 10_000 -> :nothing end");
  ASSERT_TRUE(got);
  EXPECT_NE(got->find(":got_sup"), std::string::npos) << *got << kate->output();
  EXPECT_EQ(kate->output().find("Hi, my name is Kate"), std::string::npos) << kate->output();
}

TEST_F(funs_interop, a_fun_from_erl_serves_many_messages_in_a_receive_loop_and_erpc_runs_funs_with_their_own_dictionary) {
  std::string kate_name = unique_name("kate") + "@localhost";
  auto kate = start_kate(kate_name);
  auto erl = start_erl();
  std::string k = erl_atom(kate_name);
  auto p = erl->eval("P = spawn(" + k +
                     ", fun() -> L = fun Loop(N) -> receive {ping, From} -> From ! {pong, N}, Loop(N + 1); "
                     "stop -> ok end end, L(0) end), node(P).");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, kate_name);
  auto served = erl->eval(
      "lists:all(fun(I) -> P ! {ping, self()}, receive {pong, I} -> true after 10000 -> false end end, "
      "lists:seq(0, 1999)).");
  ASSERT_TRUE(served);
  EXPECT_EQ(*served, "true");
  // As BEAM shows a fun spawned from erl that waits in erl_eval's receive.
  auto info = erl->eval("W = fun W(0) -> gave_up; W(I) -> case rpc:call(" + k +
                        ", erlang, process_info, [P, [initial_call, current_function]]) of "
                        "[_, {current_function, {prim_eval, 'receive', 2}}] = R -> R; "
                        "_ -> timer:sleep(20), W(I - 1) end end, W(100).");
  ASSERT_TRUE(info);
  EXPECT_EQ(*info, "[{initial_call,{erlang,apply,2}},{current_function,{prim_eval,'receive',2}}]");
  auto rpc = erl->eval("X = 6, erpc:call(" + k + ", fun() -> X * 7 end).");
  ASSERT_TRUE(rpc);
  EXPECT_EQ(*rpc, "42");
  auto failed = erl->eval("catch erpc:call(" + k + ", fun() -> 1 = 2 end).");
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->find("{badmatch,2}"), std::string::npos) << *failed;
  // The process dictionary: a fun's own, and another process's through process_info over rpc.
  auto dict = erl->eval("erpc:call(" + k + ", fun() -> undefined = put(k, 1), 1 = put(k, 2), {get(k), get_keys(2), get()} end).");
  ASSERT_TRUE(dict);
  EXPECT_EQ(*dict, "{2,[k],[{k,2}]}");
  EXPECT_EQ(erl->eval("rpc:call(" + k + ", erlang, get, [k])."), "undefined");
  auto dict_info = erl->eval("Q = spawn(" + k + ", fun() -> put(colour, red), receive {From, go} -> From ! ready, "
                             "receive stop -> ok end end end), Q ! {self(), go}, receive ready -> ok end, "
                             "rpc:call(" + k + ", erlang, process_info, [Q, dictionary]).");
  ASSERT_TRUE(dict_info);
  EXPECT_EQ(*dict_info, "{dictionary,[{colour,red}]}");
}

TEST_F(funs_interop, a_fun_of_a_compiled_module_is_refused_as_beam_refuses_it_and_kate_keeps_serving) {
  std::string kate_name = unique_name("kate") + "@localhost";
  auto kate = start_kate(kate_name);
  auto erl = start_erl();
  std::string k = erl_atom(kate_name);
  ASSERT_TRUE(erl->eval(
      "{ok, zqmod, Bin} = compile:forms([{attribute, 1, module, zqmod}, {attribute, 1, export, [{f, 0}]},"
      "{function, 1, f, 0, [{clause, 1, [], [], [{'fun', 1, {clauses, [{clause, 1, [], [], [{atom, 1, hi}]}]}}]}]}]),"
      "{module, zqmod} = code:load_binary(zqmod, \"zqmod.erl\", Bin), F = zqmod:f(), ok."));
  auto down = erl->eval("{_, R} = spawn_monitor(" + k +
                        ", F), receive {'DOWN', R, process, _, Why} -> Why after 10000 -> none end.");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->rfind("{undef,[{#Fun<zqmod.0.", 0), 0u) << *down;
  EXPECT_NE(down->find(",[],[]}]}"), std::string::npos) << *down;
  auto still = erl->eval("erpc:call(" + k + ", fun() -> still_serving end).");
  ASSERT_TRUE(still);
  EXPECT_EQ(*still, "still_serving");
}

}  // namespace
