// Scenario 120, rpc in both directions: otpp -> otpp, otpp -> erl (erpc over SPAWN_REQUEST),
// erl -> otpp (rpc:call, erpc:call and the legacy rex server), with results, exceptions,
// timeouts and {badrpc, ...} exactly as OTP 25 gives them.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/gen.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::erl_atom;
using otpp::test::eventually;

term add(term a, term b) {
  if (!a.is_integer() || !b.is_integer()) throw error_exception(atom("badarith"));
  return term(*a.to_int64() + *b.to_int64());
}

struct rpc_calls : otpp::test::otp_test {
  std::shared_ptr<io::string_output_sink> kate_out = std::make_shared<io::string_output_sink>();
  std::shared_ptr<io::string_output_sink> alex_out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> kate, alex;
  const atom Kate{"Elixir.Kate"};

  void SetUp() override {
    otp_test::SetUp();
    kate = start_node("kate", kate_out);
    alex = start_node("alex", alex_out);
    ASSERT_TRUE(kate && alex);
    auto& x = kate->exports();
    x.add_elixir("Kate", "add", add);
    x.add_elixir("Kate", "boom", [](term why) -> term { throw exit_exception(why); });
    x.add_elixir("Kate", "toss", [](term v) -> term { throw throw_exception(v); });
    x.add_elixir("Kate", "nap", [](process& self, term ms) -> task<term> {
      co_await self.receive(
          on(atom("never")) >> [] {}, after(std::chrono::milliseconds(*ms.to_int64()), [] {}));
      co_return atom("rested");
    });
    x.add_elixir("Kate", "hello", [](process& self, term who) -> task<term> {
      std::vector<term> args{who};  // (not a braced list inside co_await: g++ 12 rejects it)
      (void)co_await io::format(self, "hello ~s~n", std::move(args));
      co_return atoms::ok;
    });
  }
  void TearDown() override {
    alex.reset();
    kate.reset();
  }

  std::string call(atom node, std::string_view m, std::string_view f, std::vector<term> args,
                   std::chrono::milliseconds timeout = rpc::infinity) {
    scoped_process me(alex->rt());
    return to_string(rpc::call(me, node, atom(m), atom(f), std::move(args), timeout));
  }
};

TEST_F(rpc_calls, otpp_calls_a_cpp_function_on_another_otpp_node) {
  EXPECT_EQ(call(kate->name(), "Elixir.Kate", "add", {term(1), term(2)}), "3");
}

TEST_F(rpc_calls, an_error_in_the_called_function_is_badrpc_exit_with_the_stack) {
  EXPECT_EQ(call(kate->name(), "Elixir.Kate", "add", {term(1), atom("a")}),
            "{badrpc,{'EXIT',{badarith,[{'Elixir.Kate',add,2,[]}]}}}");
}

TEST_F(rpc_calls, exits_and_throws_fold_as_rpc_call_folds_them) {
  EXPECT_EQ(call(kate->name(), "Elixir.Kate", "boom", {atom("bye")}), "{badrpc,{'EXIT',bye}}");
  EXPECT_EQ(call(kate->name(), "Elixir.Kate", "toss", {atom("caught")}), "caught");
}

TEST_F(rpc_calls, an_undefined_function_is_badrpc_undef) {
  EXPECT_EQ(call(kate->name(), "Elixir.Kate", "nosuch", {term(1)}),
            "{badrpc,{'EXIT',{undef,[{'Elixir.Kate',nosuch,[1],[]}]}}}");
}

TEST_F(rpc_calls, a_call_that_outlasts_its_timeout_is_badrpc_timeout_and_leaves_no_message) {
  scoped_process me(alex->rt());
  EXPECT_EQ(to_string(rpc::call(me, kate->name(), Kate, atom("nap"), {term(2000)}, 200ms)),
            "{badrpc,timeout}");
  EXPECT_EQ(to_string(rpc::call(me, kate->name(), Kate, atom("nap"), {term(10)}, 5s)), "rested");
  EXPECT_FALSE(me.receive_for(300ms).has_value());
}

TEST_F(rpc_calls, a_node_that_is_not_there_is_badrpc_nodedown) {
  EXPECT_EQ(call(atom("ghost" + std::to_string(::getpid()) + "@localhost"), "erlang", "node", {}),
            "{badrpc,nodedown}");
}

TEST_F(rpc_calls, output_of_a_called_function_goes_to_the_callers_group_leader) {
  EXPECT_EQ(call(kate->name(), "Elixir.Kate", "hello", {term::string("alex")}), "ok");
  EXPECT_EQ(alex_out->text(), "hello alex\n");
  EXPECT_EQ(kate_out->text(), "");
}

TEST_F(rpc_calls, builtins_answer_erlang_node_and_lists_reverse) {
  EXPECT_EQ(call(kate->name(), "erlang", "node", {}), to_string(term(kate->name())));
  EXPECT_EQ(call(kate->name(), "lists", "reverse", {list_of(1, 2, 3)}), "[3,2,1]");
}

TEST_F(rpc_calls, a_call_to_the_own_node_runs_locally) {
  EXPECT_EQ(call(alex->name(), "erlang", "node", {}), to_string(term(alex->name())));
}

// ---- against erl
// ----------------------------------------------------------------------------------

TEST_F(rpc_calls, otpp_calls_erlang_functions_on_a_real_erl_node) {
  auto erl = start_erl();
  atom node(erl->node());
  EXPECT_EQ(call(node, "erlang", "node", {}), erl->node());
  EXPECT_EQ(call(node, "lists", "reverse", {list_of(1, 2, 3)}), "[3,2,1]");
  EXPECT_EQ(call(node, "erlang", "binary_to_atom", {term(1)}).substr(0, 31),
            "{badrpc,{'EXIT',{badarg,[{erlan");
  EXPECT_EQ(call(node, "erlang", "exit", {atom("bye")}), "{badrpc,{'EXIT',bye}}");
  EXPECT_EQ(call(node, "erlang", "throw", {atom("up")}), "up");
  EXPECT_EQ(call(node, "nosuch", "fn", {}), "{badrpc,{'EXIT',{undef,[{nosuch,fn,[],[]}]}}}");
  EXPECT_EQ(call(node, "timer", "sleep", {term(2000)}, 200ms), "{badrpc,timeout}");
}

TEST_F(rpc_calls, output_of_an_erlang_function_called_from_otpp_prints_on_otpp) {
  auto erl = start_erl();
  EXPECT_EQ(call(atom(erl->node()), "io", "format", {term::string("from erl ~p~n"), list_of(42)}),
            "ok");
  EXPECT_EQ(alex_out->text(), "from erl 42\n");
}

TEST_F(rpc_calls, erl_calls_cpp_functions_with_rpc_call_and_erpc_call) {
  auto erl = start_erl();
  std::string k = erl_atom(std::string(kate->name().name()));
  EXPECT_EQ(erl->eval("rpc:call(" + k + ", 'Elixir.Kate', add, [1, 2]).").value_or("?"), "3");
  EXPECT_EQ(erl->eval("erpc:call(" + k + ", 'Elixir.Kate', add, [1, 2]).").value_or("?"), "3");
  EXPECT_EQ(erl->eval("rpc:call(" + k + ", 'Elixir.Kate', add, [1, a]).").value_or("?"),
            "{badrpc,{'EXIT',{badarith,[{'Elixir.Kate',add,2,[]}]}}}");
  EXPECT_EQ(erl->eval("catch erpc:call(" + k + ", 'Elixir.Kate', boom, [bye]).").value_or("?"),
            "{'EXIT',{exception,bye}}");
}

TEST_F(rpc_calls, erl_sees_undef_and_timeout_from_an_otpp_node) {
  auto erl = start_erl();
  std::string k = erl_atom(std::string(kate->name().name()));
  EXPECT_EQ(erl->eval("rpc:call(" + k + ", 'Elixir.Kate', nosuch, [1]).").value_or("?"),
            "{badrpc,{'EXIT',{undef,[{'Elixir.Kate',nosuch,[1],[]}]}}}");
  EXPECT_EQ(erl->eval("rpc:call(" + k + ", 'Elixir.Kate', nap, [2000], 200).").value_or("?"),
            "{badrpc,timeout}");
  EXPECT_EQ(erl->eval("rpc:call(" + k + ", 'Elixir.Kate', toss, [up]).").value_or("?"), "up");
}

TEST_F(rpc_calls, the_legacy_rex_server_answers_gen_server_calls_and_features_requests) {
  auto erl = start_erl();
  std::string k = erl_atom(std::string(kate->name().name()));
  std::string printed = to_string(term(kate->name()));
  EXPECT_EQ(erl->eval("gen_server:call({rex, " + k +
                      "}, {call, 'Elixir.Kate', add, [2, 3], group_leader()}).")
                .value_or("?"),
            "5");
  EXPECT_EQ(erl->eval("gen_server:call({rex, " + k +
                      "}, {call, 'Elixir.Kate', nosuch, [], group_leader()}).")
                .value_or("?"),
            "{badrpc,{'EXIT',{undef,[{'Elixir.Kate',nosuch,[],[]}]}}}");
  EXPECT_EQ(erl->eval("{rex, " + k +
                      "} ! {self(), features_request}, receive {features_reply, N, F} -> {N, F} "
                      "after 5000 -> timeout end.")
                .value_or("?"),
            "{" + printed + ",[erpc]}");
}

}  // namespace

namespace {

// A node wired by hand calls as a started node does: erpc over SPAWN_REQUEST (the peer's rex
// is gone, so a fall-back to it would fail).
TEST_F(rpc_calls, a_node_wired_by_hand_calls_through_erpc_as_a_started_node_does) {
  ASSERT_TRUE(kate->services().rex());
  kate->rt().exit(*kate->services().rex(), atoms::kill);
  ASSERT_TRUE(otpp::test::eventually([&] { return !kate->rt().whereis(atoms::rex); }));
  otpp::test::hand_wired_node bare(epmd_port());
  ASSERT_TRUE(bare.started);
  {
    scoped_process me(bare.rt);
    EXPECT_EQ(to_string(rpc::call(me, kate->name(), Kate, atom("add"), {term(20), term(22)}, 5s)),
              "42");
    EXPECT_EQ(to_string(rpc::call(me, kate->name(), Kate, atom("boom"), {atom("bye")}, 5s)),
              "{badrpc,{'EXIT',bye}}");
    auto erl = start_erl();
    EXPECT_EQ(to_string(rpc::call(me, atom(erl->node()), atom("lists"), atom("reverse"),
                                  {list_of(1, 2)}, 5s)),
              "[2,1]");
    EXPECT_EQ(
        to_string(rpc::call(me, atom("ghost@localhost"), atom("erlang"), atom("node"), {}, 5s)),
        "{badrpc,nodedown}");
  }
}

}  // namespace
