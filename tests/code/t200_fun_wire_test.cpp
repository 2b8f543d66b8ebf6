// Funs made on an otpp node running on a real erl node (OTP 25): parsed from Erlang source,
// made into erl_eval closures here, rewritten on the wire with the identity the erl node's
// own erl_eval gives its closures, then spawned there or sent there and called.
#include "otpp/code/fun_wire.hpp"

#include <gtest/gtest.h>

#include "otp/otp_fixture.hpp"
#include "otpp/code/erl_parse.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

struct fun_wire : otpp::test::otp_test {
  std::shared_ptr<io::string_output_sink> kate_out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> kate;

  void SetUp() override {
    otp_test::SetUp();
    kate = start_node("kate", kate_out);
    ASSERT_TRUE(kate);
    code::install_fun_wire(*kate);
  }
};

TEST(fun_wire_layout, a_closure_from_source_has_erl_evals_environment_layout) {
  pid creator{atom("kate@localhost"), 1, 0, 1};
  auto f = code::make_fun("fun(X) -> X + Y end.", code::bindings_of({{"Y", term(5)}}), creator);
  ASSERT_TRUE(f);
  const fun_value& v = f->fun_content();
  EXPECT_EQ(v.module, atom("erl_eval"));
  EXPECT_EQ(v.arity, 1u);
  ASSERT_EQ(v.free_vars.size(), 1u);
  // As OTP 25's erlang:fun_info(F, env) shows for the same fun typed in erl.
  EXPECT_EQ(to_string(v.free_vars[0]),
            "{1,[{'Y',5}],none,none,#{},[{clause,1,[{var,1,'X'}],[],[{op,1,'+',{var,1,'X'},"
            "{var,1,'Y'}}]}]}");
  auto named = code::make_fun("fun F(0) -> 1; F(N) -> N * F(N - 1) end.", term(), creator);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->fun_content().free_vars[0].tuple_size(), 7u);
  EXPECT_TRUE(code::holds_erl_eval_closure(tuple_of(atom("run"), list_of(1, *f))));
  EXPECT_FALSE(code::holds_erl_eval_closure(tuple_of(atom("run"), term::export_fun(atom("m"), atom("f"), 1))));
  EXPECT_FALSE(code::make_fun("1 + 2.", term(), creator));
  EXPECT_FALSE(code::make_fun("fun(X) -> X end", term(), creator));
}

TEST(fun_wire_layout, the_encoder_writes_a_closure_with_the_identity_its_rewriter_gives) {
  pid creator{atom("kate@localhost"), 1, 0, 1};
  auto f = code::make_fun("fun() -> ok end.", term(), creator);
  ASSERT_TRUE(f);
  code::peer_erl_eval peer;
  peer.plain[0].uniq[0] = 0xAB;
  peer.plain[0].index = 43;
  peer.plain[0].old_uniq = 3316493;
  peer.plain[0].old_index = 43;
  etf::closure_rewriter rw = [&](const fun_value& v) { return code::with_identity(v, peer); };
  etf::encode_options opts = etf::dist_encoding();
  opts.rewrite_closure = &rw;
  // Nested inside a message, as a fun in a tuple: both passes see the rewritten fun.
  term msg = tuple_of(atom("run"), *f);
  auto bytes = etf::encode(msg, opts);
  EXPECT_EQ(bytes.size(), etf::encoded_size(msg, opts));
  auto back = etf::decode(bytes);
  ASSERT_TRUE(back.ok());
  const fun_value& g = (*back)[1].fun_content();
  EXPECT_EQ(g.index, 43u);
  EXPECT_EQ(g.uniq[0], 0xAB);
  EXPECT_EQ(g.old_uniq, 3316493);
  EXPECT_EQ(to_string(g.free_vars[0]), to_string(f->fun_content().free_vars[0]));
  // A fun that already carries the identity is left alone (the rewriter ends).
  EXPECT_FALSE(code::with_identity(g, peer));
}

TEST_F(fun_wire, an_otpp_fun_spawned_on_erl_runs_there_prints_through_its_group_leader_and_answers) {
  auto erl = start_erl();
  scoped_process me(kate->rt());
  atom erl_node(erl->node());
  ASSERT_TRUE(code::await_peer_funs(me, erl_node, 20s));
  auto f = code::make_fun(
      "fun() ->\n"
      "  io:format(\"hello from an otpp fun on ~s~n\", [node()]),\n"
      "  Parent ! {done, node(), [X * 2 || X <- lists:seq(1, N)]}\n"
      "end.",
      code::bindings_of({{"N", term(3)}, {"Parent", term(me.self())}}), me.self());
  ASSERT_TRUE(f);
  pid p = remote::spawn(me, erl_node, atom("erlang"), atom("apply"), {*f, term()});
  EXPECT_EQ(p.node, erl_node);
  auto reply = me.receive_for(10s);
  ASSERT_TRUE(reply) << erl->process().output();
  EXPECT_EQ(to_string(*reply), "{done," + to_string(term(erl_node)) + ",[2,4,6]}");
  ASSERT_TRUE(eventually([&] {
    return kate_out->text().find("hello from an otpp fun on " + erl->node()) != std::string::npos;
  })) << kate_out->text();
}

TEST_F(fun_wire, an_otpp_fun_sent_in_a_message_is_called_by_the_erl_side) {
  auto erl = start_erl();
  scoped_process me(kate->rt());
  atom erl_node(erl->node());
  ASSERT_EQ(erl->eval("register(funbox, self()).").value_or("?"), "true");
  ASSERT_TRUE(code::await_peer_funs(me, erl_node, 20s));
  auto add = code::make_fun("fun(X) -> X + Y end.", code::bindings_of({{"Y", term(1000)}}), me.self());
  auto fact = code::make_fun("fun F(0) -> 1; F(K) -> K * F(K - 1) end.", term(), me.self());
  ASSERT_TRUE(add && fact);
  me.send(atom("funbox"), erl_node, tuple_of(atom("funs"), *add, *fact));
  // Called from compiled code (lists:map), which runs the fun's BEAM code: only a fun with
  // erl's own erl_eval identity gets there (erl's evaluator would interpret any erl_eval fun).
  EXPECT_EQ(erl->eval("receive {funs, A, Fa} -> {lists:map(A, [21]), lists:map(Fa, [20]), "
                      "erlang:fun_info(A, module)} after 10000 -> timeout end.")
                .value_or("?"),
            "{[1021],[2432902008176640000],{module,erl_eval}}");
}

TEST_F(fun_wire, a_fun_sent_as_the_connection_is_made_runs_on_erl_and_keeps_its_place_among_messages) {
  auto erl = start_erl();
  scoped_process me(kate->rt());
  atom erl_node(erl->node());
  ASSERT_EQ(erl->eval("register(funbox, self()).").value_or("?"), "true");
  ASSERT_FALSE(kate->engine()->is_connected(erl_node));
  auto add = code::make_fun("fun(X) -> X + Y end.", code::bindings_of({{"Y", term(1000)}}), me.self());
  ASSERT_TRUE(add);
  // No waiting for the peer's erl_eval identity: the first message connects, the fun goes
  // out once the identity is learned, and the messages after it wait behind it.
  me.send(atom("funbox"), erl_node, term(1));
  me.send(atom("funbox"), erl_node, tuple_of(atom("f"), *add));
  for (int i = 2; i <= 20; ++i) me.send(atom("funbox"), erl_node, term(i));
  // lists:map runs the fun's BEAM code: only a fun with erl's own identity gets there.
  EXPECT_EQ(erl->eval("L = [receive M -> M after 10000 -> timeout end || _ <- lists:seq(1, 21)], "
                      "[case X of {f, F} -> lists:map(F, [21]); _ -> X end || X <- L].")
                .value_or("?"),
            "[1,[1021],2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]");
}

TEST_F(fun_wire, a_fun_spawned_on_erl_as_the_connection_is_made_runs_there) {
  auto erl = start_erl();
  scoped_process me(kate->rt());
  atom erl_node(erl->node());
  ASSERT_EQ(erl->eval("register(funbox, self()).").value_or("?"), "true");
  ASSERT_FALSE(kate->engine()->is_connected(erl_node));
  auto f = code::make_fun("fun() -> Parent ! {ran, node(), lists:map(fun(X) -> X * 2 end, [1, 2, 3])} end.",
                          code::bindings_of({{"Parent", term(me.self())}}), me.self());
  ASSERT_TRUE(f);
  me.send(atom("funbox"), erl_node, atom("before"));
  pid p = remote::spawn(me, erl_node, atom("erlang"), atom("apply"), {*f, term()});
  EXPECT_EQ(p.node, erl_node);
  me.send(atom("funbox"), erl_node, atom("after"));
  auto reply = me.receive_for(10s);
  ASSERT_TRUE(reply) << erl->process().output();
  EXPECT_EQ(to_string(*reply), "{ran," + to_string(term(erl_node)) + ",[2,4,6]}");
  EXPECT_EQ(erl->eval("[receive M -> M after 10000 -> timeout end || _ <- [1, 2]].").value_or("?"),
            "[before,'after']");
}

TEST_F(fun_wire, an_otpp_fun_spawned_on_iex_runs_there_and_one_sent_there_is_mapped_by_enum) {
  auto iex = start_iex();
  scoped_process me(kate->rt());
  atom iex_node(iex->node());
  ASSERT_TRUE(code::await_peer_funs(me, iex_node, 20s));
  auto hello = code::make_fun("fun() -> Parent ! {hello, node()} end.",
                              code::bindings_of({{"Parent", term(me.self())}}), me.self());
  ASSERT_TRUE(hello);
  (void)remote::spawn(me, iex_node, atom("erlang"), atom("apply"), {*hello, term()});
  auto reply = me.receive_for(10s);
  ASSERT_TRUE(reply) << iex->process().output();
  EXPECT_EQ(to_string(*reply), "{hello," + to_string(term(iex_node)) + "}");

  ASSERT_NE(iex->eval("Process.register(self(), :funbox)").value_or("?").find("true"), std::string::npos);
  auto square = code::make_fun("fun(X) -> X * X + K end.", code::bindings_of({{"K", term(1000)}}),
                               me.self());
  ASSERT_TRUE(square);
  me.send(atom("funbox"), iex_node, tuple_of(atom("square"), *square));
  EXPECT_NE(iex->eval("receive do {:square, f} -> Enum.map([1, 2, 3], f) after 10_000 -> :timeout end")
                .value_or("?")
                .find("[1001, 1004, 1009]"),
            std::string::npos);
}

TEST_F(fun_wire, the_identity_learned_from_erl_matches_the_funs_erl_makes) {
  auto erl = start_erl();
  scoped_process me(kate->rt());
  auto id = [&]() -> std::optional<code::peer_erl_eval> {
    std::optional<code::peer_erl_eval> out;
    pid p = kate->rt().spawn([](process& self, atom node, std::optional<code::peer_erl_eval>* o,
                                pid back) -> process_task {
      *o = co_await code::learn_erl_eval_identity(self, node);
      self.send(back, atoms::ok);
    }, atom(erl->node()), &out, me.self());
    (void)p;
    (void)me.receive_for(20s);
    return out;
  }();
  ASSERT_TRUE(id);
  EXPECT_EQ(id->otp_release, erl->eval("erlang:system_info(otp_release).").value_or("?").substr(1, 2));
  // erl's own fun of arity 2 carries the index learned for arity 2.
  EXPECT_EQ(erl->eval("element(2, erlang:fun_info(fun(_, _) -> ok end, new_index)).").value_or("?"),
            std::to_string(id->plain[2].index));
}

TEST_F(fun_wire, a_node_without_erl_eval_is_not_taken_for_a_beam_node) {
  auto other_out = std::make_shared<io::string_output_sink>();
  auto other = start_node("other", other_out);
  ASSERT_TRUE(other);
  scoped_process me(kate->rt());
  EXPECT_FALSE(code::await_peer_funs(me, other->name(), 20s));
  // Asking it was quiet: no crash report of the probe on either node.
  me.receive(on(atom("never")) >> [] {}, after(300ms, [] {}));
  EXPECT_EQ(kate_out->text(), "");
  EXPECT_EQ(other_out->text(), "");
}

}  // namespace
