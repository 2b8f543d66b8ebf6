// Scenario 105, the export table and the gen_server wire helpers on one node: registration
// by arity, each kind of function, how an exported function's failures are reported, and
// '$gen_call'/'$gen_cast' both ways.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/otp/gen.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;

process_task body0(process& self) {
  co_await self.receive(on(atom("stop")) >> [] {});
}
task<term> fn1(process& self, term x) { co_return tuple_of(self.self(), x); }
term plain2(term a, term b) { return tuple_of(a, b); }

TEST(export_table, the_arity_is_the_number_of_term_parameters) {
  export_table x;
  x.add("m", "body", body0);
  x.add("m", "fn", fn1);
  x.add("m", "plain", plain2);
  x.add("m", "any", [](std::vector<term> a) { return term(static_cast<std::int64_t>(a.size())); });
  EXPECT_EQ(x.find(atom("m"), atom("body"), 0)->arity, 0);
  EXPECT_FALSE(x.find(atom("m"), atom("body"), 1));
  EXPECT_EQ(x.find(atom("m"), atom("fn"), 1)->arity, 1);
  EXPECT_EQ(x.find(atom("m"), atom("plain"), 2)->arity, 2);
  EXPECT_EQ(x.find(atom("m"), atom("any"), 7)->arity, -1);
  EXPECT_FALSE(x.find(atom("m"), atom("nosuch"), 0));
  EXPECT_EQ(x.entries().size(), 4u);
}

TEST(export_table, an_exact_arity_wins_over_any_arity_and_add_replaces) {
  export_table x;
  x.add("m", "f", [](std::vector<term>) { return term(atom("any")); });
  x.add("m", "f", [](term) { return term(atom("one")); });
  EXPECT_EQ(x.find(atom("m"), atom("f"), 1)->arity, 1);
  EXPECT_EQ(x.find(atom("m"), atom("f"), 2)->arity, -1);
  x.add("m", "f", [](term) { return term(atom("replaced")); });
  EXPECT_EQ(x.entries().size(), 2u);
  x.remove(atom("m"), atom("f"));
  EXPECT_TRUE(x.entries().empty());
}

TEST(export_table, replacing_a_module_swaps_all_its_functions_and_leaves_other_modules) {
  export_table x;
  x.add("m", "old", plain2);
  x.add("m", "kept", fn1);
  x.add("other", "old", plain2);
  std::vector<export_table::entry> fresh{
      {atom("m"), atom("kept"), 2, export_table::function_fn([](process&, std::vector<term>) -> task<term> { co_return atom("v2"); })},
      {atom("m"), atom("new"), 0, export_table::function_fn([](process&, std::vector<term>) -> task<term> { co_return atom("v2"); })}};
  x.replace_module(atom("m"), std::move(fresh));
  EXPECT_FALSE(x.find(atom("m"), atom("old"), 2));
  EXPECT_FALSE(x.find(atom("m"), atom("kept"), 1));
  EXPECT_EQ(x.find(atom("m"), atom("kept"), 2)->arity, 2);
  EXPECT_EQ(x.find(atom("m"), atom("new"), 0)->arity, 0);
  EXPECT_TRUE(x.find(atom("other"), atom("old"), 2));
  EXPECT_EQ(x.entries().size(), 3u);
}

TEST(export_table, elixir_modules_are_spelled_with_the_elixir_prefix) {
  export_table x;
  x.add_elixir("Kate", "say_name", body0);
  EXPECT_TRUE(x.find(atom("Elixir.Kate"), atom("say_name"), 0));
  EXPECT_EQ(export_table::elixir_module("Elixir.Kate"), "Elixir.Kate");
}

TEST(export_table, a_miss_runs_the_autoload_hook_which_may_add_to_a_module_and_find_looks_again) {
  export_table x;
  x.add("m", "kept", plain2);
  std::vector<std::string> asked;
  bool loaded = false;
  x.set_autoload([&](atom module) {
    asked.emplace_back(module.name());
    if (module != atom("m") || loaded) return false;
    loaded = true;
    export_table::entry e = *x.find(atom("m"), atom("kept"), 2);
    e.function = atom("added");
    e.arity = 1;
    x.add_entries({e});
    return true;
  });
  EXPECT_TRUE(x.find(atom("m"), atom("kept"), 2));
  EXPECT_TRUE(asked.empty()) << "a hit asks nothing";
  EXPECT_TRUE(x.find(atom("m"), atom("added"), 1));
  EXPECT_TRUE(x.find(atom("m"), atom("kept"), 2)) << "adding entries leaves the module's others";
  EXPECT_FALSE(x.find(atom("other"), atom("f"), 0));
  EXPECT_FALSE(x.find(atom("m"), atom("missing"), 0)) << "a second miss finds nothing more";
  EXPECT_EQ(asked, (std::vector<std::string>{"m", "other", "m"}));
}

TEST(export_table, undef_is_reported_as_erlang_reports_it) {
  EXPECT_EQ(to_string(export_table::undef_reason(atom("m"), atom("f"), list_of(1))),
            "{undef,[{m,f,[1],[]}]}");
}

struct local_node : ::testing::Test {
  std::shared_ptr<io::string_output_sink> out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> n;
  void SetUp() override {
    otp::node_options o;  // no name: a node that is not distributed
    o.runtime.workers = 2;
    o.services.output = out;
    auto r = otp::node::start(std::move(o));
    ASSERT_TRUE(r.ok());
    n = std::move(r.value());
    auto& x = n->exports();
    x.add("m", "plain", plain2);
    x.add("m", "fn", fn1);
    x.add("m", "body", body0);
    x.add("m", "error", [](term r) -> term { throw error_exception(r); });
    x.add("m", "exit", [](term r) -> term { throw exit_exception(r); });
    x.add("m", "throw", [](term r) -> term { throw throw_exception(r); });
    x.add("m", "cpp", [](term) -> term { throw std::runtime_error("oops"); });
    x.add("m", "void", [](term) {});
  }
  std::string call(std::string_view f, std::vector<term> args) {
    scoped_process me(n->rt());
    return to_string(rpc::call(me, n->name(), atom("m"), atom(f), std::move(args), 5s));
  }
};

TEST_F(local_node, each_kind_of_function_answers_an_rpc) {
  EXPECT_EQ(call("plain", {term(1), term(2)}), "{1,2}");
  EXPECT_EQ(call("void", {term(1)}), "ok");
  EXPECT_NE(call("fn", {atom("x")}).find(",x}"), std::string::npos);
}

TEST_F(local_node, failures_fold_into_badrpc_as_rpc_call_does) {
  EXPECT_EQ(call("error", {atom("why")}), "{badrpc,{'EXIT',{why,[{m,error,1,[]}]}}}");
  EXPECT_EQ(call("exit", {atom("why")}), "{badrpc,{'EXIT',why}}");
  EXPECT_EQ(call("throw", {atom("v")}), "v");
  EXPECT_EQ(call("cpp", {atom("v")}), "{badrpc,{'EXIT',{{error,<<\"oops\">>},[{m,cpp,1,[]}]}}}");
  EXPECT_EQ(call("nosuch", {}), "{badrpc,{'EXIT',{undef,[{m,nosuch,[],[]}]}}}");
}

TEST_F(local_node, a_remote_spawn_to_the_own_node_spawns_locally_and_undef_still_spawns) {
  scoped_process me(n->rt());
  me.trap_exit(true);
  pid p = remote::spawn_link(me, n->name(), atom("m"), atom("body"), {});
  EXPECT_TRUE(n->rt().is_alive(p));
  me.send(p, atom("stop"));
  auto e = me.receive_for(5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(to_string(*e), to_string(tuple_of(atoms::EXIT, p, atoms::normal)));
  pid q = remote::spawn_link(me, n->name(), atom("m"), atom("nosuch"), {term(1)});
  auto u = me.receive_for(5s);
  ASSERT_TRUE(u);
  EXPECT_EQ(to_string(*u), "{'EXIT'," + to_string(term(q)) + ",{undef,[{m,nosuch,[1],[]}]}}");
  // The report prints on this node's output, as Erlang's error logger would.
  EXPECT_TRUE(otpp::test::eventually(
      [&] { return out->text().find("{undef,[{m,nosuch,[1],[]}]}") != std::string::npos; }));
}

TEST_F(local_node, builtins_print_through_the_callers_group_leader) {
  EXPECT_EQ(call("x", {}), "{badrpc,{'EXIT',{undef,[{m,x,[],[]}]}}}");
  scoped_process me(n->rt());
  EXPECT_EQ(
      to_string(rpc::call(me, n->name(), atom("Elixir.IO"), atom("puts"), {term::binary("hello")})),
      "ok");
  EXPECT_EQ(to_string(rpc::call(me, n->name(), atom("Elixir.IO"), atom("puts"), {atom("world")})),
            "ok");
  EXPECT_EQ(to_string(rpc::call(me, n->name(), atom("io"), atom("format"),
                                {term::string("~p~n"), list_of(42)})),
            "ok");
  EXPECT_EQ(to_string(rpc::call(me, n->name(), atom("Elixir.IO"), atom("inspect"),
                                {list_of(1, atom("a"))})),
            "[1,a]");
  EXPECT_EQ(out->text(), "hello\nworld\n42\n[1, :a]\n");
}

// A gen_server-style echo: replies to '$gen_call' with {echo, Request}, remembers casts.
process_task echo_server(process& self) {
  (void)self.register_name(atom("echo"));
  term last_cast = atoms::undefined;
  for (;;) {
    term msg = co_await self.receive();
    if (auto c = gen::parse_call(msg)) {
      if (c->request.is_atom(atom("last_cast")))
        gen::reply(self, c->from, last_cast);
      else if (!c->request.is_atom(atom("no_answer")))
        gen::reply(self, c->from, tuple_of(atom("echo"), c->request));
    } else if (auto c2 = gen::parse_cast(msg)) {
      last_cast = *c2;
    }
  }
}

TEST_F(local_node, gen_call_and_cast_speak_the_gen_server_protocol) {
  scoped_process me(n->rt());
  pid server = me.spawn(echo_server);
  ASSERT_TRUE(otpp::test::eventually([&] { return n->rt().whereis(atom("echo")).has_value(); }));
  auto r = gen::call(me, server, atom("ping"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_string(*r.reply), "{echo,ping}");
  gen::cast(me, atom("echo"), atom("noted"));
  auto last = gen::call(me, atom("echo"), atom("last_cast"));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(to_string(*last.reply), "noted");
}

TEST_F(local_node, gen_call_exits_with_timeout_and_noproc_as_gen_call_does) {
  scoped_process me(n->rt());
  pid server = me.spawn(echo_server);
  auto slow = gen::call(me, server, atom("no_answer"), 100ms);
  EXPECT_FALSE(slow.ok());
  EXPECT_EQ(to_string(slow.exit_reason), "timeout");
  auto missing = gen::call(me, atom("nobody_here"), atom("x"), 1s);
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(to_string(missing.exit_reason), "noproc");
  EXPECT_FALSE(me.receive_for(100ms).has_value());
}

TEST(gen_parse, a_gen_call_with_an_alias_tag_is_taken_apart) {
  pid caller{atom("a@b"), 5, 0, 1};
  reference r{atom("a@b"), 1, 3, {1, 2, 3, 0, 0}};
  term tag = term::list({atoms::alias}, term(r));
  auto c = gen::parse_call(term::tuple({atoms::gen_call, tuple_of(caller, tag), atom("req")}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->from.caller, caller);
  EXPECT_TRUE(exact_equal(c->from.tag, tag));
  EXPECT_FALSE(gen::parse_call(tuple_of(atoms::gen_call, atom("x"), atom("req"))));
  EXPECT_TRUE(gen::parse_cast(tuple_of(atoms::gen_cast, atom("r"))));
}

}  // namespace
