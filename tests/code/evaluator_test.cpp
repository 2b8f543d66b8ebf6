// The evaluator inside otpp processes: recursion limits, tail calls, receive suspending the
// process, funs applied from C++ and through erlang:apply/2, and funs it cannot run.
#include <chrono>

#include "code_fixture.hpp"
#include "otpp/code/erl_eval_fun.hpp"
#include "otpp/code/erl_parse.hpp"
#include "support/eventually.hpp"

namespace {

using namespace otpp;
using otpp::test::code_test;
using namespace std::chrono_literals;

// Abstract format of each text, read by a real erl.
std::vector<term> forms(const std::vector<std::string>& texts) {
  std::vector<term> out;
  for (auto& c : test::erl_reference(texts, false)) out.push_back(c.exprs);
  EXPECT_EQ(out.size(), texts.size());
  return out;
}

// Abstract format of a text, read by the project's parser (for code whose parse is not in
// question).
term parsed(const char* text) {
  auto r = code::parse_exprs(text);
  EXPECT_TRUE(r) << text;
  return r ? *r.value : term();
}

// Receives {run, Fun} and applies it to 10 (the fun itself waits for a message).
process_task apply_received_fun(process& self, pid to) {
  term fun = co_await self.receive(on(atom("run"), _) >> [](term f) { return f; });
  std::vector<term> args(1, term(10));
  term r = co_await code::apply(self, fun, std::move(args));
  self.send(to, tuple_of(atom("result"), r));
}

// Applies `fun` to no arguments and reports the error it raised (its exit reason, or reason).
process_task apply_and_report(process& self, pid to, term fun, bool exit_reason) {
  try {
    (void)co_await code::apply(self, fun, std::vector<term>());
  } catch (const error_exception& e) {
    self.send(to, exit_reason ? e.exit_reason() : e.reason());
  }
}

process_task eval_forever(process& self, term exprs) {
  code::bindings bs;
  (void)co_await code::eval_exprs(self, exprs, bs);
}

process_task say_running(process& self, pid to) {
  self.send(to, atom("still_running"));
  co_return;
}

TEST_F(code_test, unbounded_recursion_ends_only_that_process_with_system_limit) {
  auto f = forms({"F = fun Loop(N) -> 1 + Loop(N + 1) end, F(0)."});
  ASSERT_EQ(f.size(), 1u);
  auto start = std::chrono::steady_clock::now();
  term got = run_exprs(f[0], nullptr, 300s);
  EXPECT_EQ(to_string(got), "{error,system_limit}");
  std::printf("100,000 nested calls and back: %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - start).count()));
  // The node still evaluates.
  auto g = forms({"1 + 1."});
  EXPECT_EQ(to_string(run_exprs(g[0])), "{value,2}");
}

TEST_F(code_test, a_process_killed_deep_in_recursion_ends_and_the_node_keeps_serving) {
  auto f = forms({"F = fun L(0) -> receive {go, P} -> P ! deep, receive stop -> ok end end; "
                  "L(N) -> 1 + L(N - 1) end, F(50000).",
                  "1 + 1."});
  ASSERT_EQ(f.size(), 2u);
  scoped_process me(node_->rt());
  pid deep = node_->rt().spawn(eval_forever, f[0]);
  reference mref = me.monitor(deep);
  me.send(deep, tuple_of(atom("go"), me.self()));
  auto at_bottom = me.receive_for(60s);  // 50,000 calls deep, waiting in receive
  ASSERT_TRUE(at_bottom);
  EXPECT_EQ(to_string(*at_bottom), "deep");
  me.exit(deep, atoms::kill);
  auto down = me.receive_for(60s);
  ASSERT_TRUE(down);
  EXPECT_EQ(to_string(*down), to_string(tuple_of(atoms::DOWN, mref, atoms::process, deep, atoms::killed)));
  EXPECT_EQ(to_string(run_exprs(f[1])), "{value,2}");
}

TEST_F(code_test, a_tail_recursive_loop_runs_in_constant_space) {
  auto f = forms({"F = fun L(0, Acc) -> Acc; L(N, Acc) -> L(N - 1, Acc + 1) end, F(100000, 0).",
                  "F = fun L(0) -> done; L(N) -> case N rem 2 of 0 -> L(N - 1); 1 -> L(N - 1) end end, F(100000)."});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(to_string(run_exprs(f[0])), "{value,100000}");
  EXPECT_EQ(to_string(run_exprs(f[1])), "{value,done}");
}

TEST_F(code_test, a_fun_received_in_a_message_is_applied_from_cpp) {
  auto f = forms({"Y = 5, fun(X) -> receive {add, Z} -> X + Y + Z end end."});
  ASSERT_EQ(f.size(), 1u);
  term fun = run_exprs(f[0]);
  ASSERT_TRUE(fun.is_tuple() && fun[1].is_fun()) << to_string(fun);
  scoped_process me(node_->rt());
  pid to = me.self();
  pid worker = node_->rt().spawn(apply_received_fun, to);
  me.send(worker, tuple_of(atom("run"), fun[1]));
  me.send(worker, tuple_of(atom("add"), 100));
  auto r = me.receive_for(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), "{result,115}");
}

TEST_F(code_test, erlang_apply_in_the_export_table_runs_funs_as_a_spawned_process) {
  auto f = forms({"P = self(), fun() -> P ! {hello, self()} end."});
  scoped_process me(node_->rt());
  // The fun captures the pid of the process that made it; make it here instead.
  code::erl_eval_closure c;
  auto g = forms({"fun() -> P ! {hello, self()} end."});
  ASSERT_EQ(g.size(), 1u);
  const term& fun_form = g[0].list_elements()[0];
  c.clauses = fun_form[2][1];
  c.bindings = list_of(tuple_of(atom("P"), me.self()));
  term fun = code::make_erl_eval_fun(me.self(), 0, c);
  auto body = node_->exports().spawn_body(atoms::erlang, atom("apply"), {fun, term()});
  pid p = node_->rt().spawn(body);
  auto r = me.receive_for(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), to_string(tuple_of(atom("hello"), p)));
}

TEST_F(code_test, a_fun_of_a_compiled_module_fails_with_undef_as_on_beam) {
  fun_value v;
  v.module = atom("zzmod");
  v.arity = 0;
  v.index = 0;
  v.old_uniq = 60325100;
  term fun = term::fun(v);
  scoped_process me(node_->rt());
  pid to = me.self();
  node_->rt().spawn(apply_and_report, to, fun, true);
  auto r = me.receive_for(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), "{undef,[{" + to_string(fun) + ",[],[]}]}");
}

TEST_F(code_test, a_malformed_form_fails_with_an_erlang_error) {
  term bad = list_of(tuple_of(atom("frobnicate"), 1, 2));
  EXPECT_EQ(to_string(run_exprs(bad)), "{error,{illegal_expr,{frobnicate,1,2}}}");
  fun_value v;
  v.module = atom("erl_eval");
  v.arity = 0;
  v.free_vars = {term::tuple({term(1), term(), atom("none"), atom("none"), term::map({}), list_of(atom("junk"))})};
  scoped_process me(node_->rt());
  pid to = me.self();
  term fun = term::fun(v);
  node_->rt().spawn(apply_and_report, to, fun, false);
  auto r = me.receive_for(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), "{illegal_expr,junk}");
}

TEST_F(code_test, a_busy_interpreted_loop_does_not_starve_other_processes) {
  auto f = forms({"F = fun L(N) -> L(N + 1) end, F(0)."});
  ASSERT_EQ(f.size(), 1u);
  term exprs = f[0];
  std::vector<pid> busy;
  for (int i = 0; i < 4; ++i) {
    busy.push_back(node_->rt().spawn(eval_forever, exprs));
  }
  scoped_process me(node_->rt());
  pid to = me.self();
  node_->rt().spawn(say_running, to);
  // A busy turn is a synchronous run of up to 32,768 calls, which the sanitizers' Debug builds
  // stretch to seconds: the wait scales with them.
  auto r = me.receive_for(test::scaled(30s));
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), "still_running");
  for (const pid& p : busy) me.exit(p, atoms::kill);
}

TEST_F(code_test, fib_20_through_a_named_fun_gives_6765) {
  auto f = forms({"Fib = fun F(N) when N < 2 -> N; F(N) -> F(N - 1) + F(N - 2) end, Fib(20)."});
  ASSERT_EQ(f.size(), 1u);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(to_string(run_exprs(f[0])), "{value,6765}");
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("fib(20) interpreted: %lld us\n", static_cast<long long>(us));
}

// A named fun that calls only itself runs as one C++ recursion; these check that it gives the
// same values and errors when that recursion is cut short and carried on as coroutines.
TEST_F(code_test, self_recursive_funs_give_their_values_however_deep_or_long_they_run) {
  // Deeper than one synchronous run's stack, longer than its share of calls, a loop of tail
  // calls far past that share, and recursion through case and if.
  EXPECT_EQ(to_string(run_exprs(parsed("F = fun S(0) -> 0; S(N) -> N + S(N - 1) end, F(60000)."))),
            "{value,1800030000}");
  EXPECT_EQ(to_string(run_exprs(parsed(
                "F = fun Fib(N) when N < 2 -> N; Fib(N) -> Fib(N - 1) + Fib(N - 2) end, F(25)."))),
            "{value,75025}");
  EXPECT_EQ(to_string(run_exprs(parsed("F = fun L(0, A) -> A; L(N, A) -> L(N - 1, A + 2) end, F(1000000, 0)."))),
            "{value,2000000}");
  EXPECT_EQ(to_string(run_exprs(parsed(
                "F = fun S(N) -> case N of 0 -> 0; _ -> if N rem 2 =:= 0 -> N + S(N - 1); true -> S(N - 1) end end end, "
                "F(100)."))),
            "{value,2550}");
}

TEST_F(code_test, errors_deep_in_a_self_recursive_fun_are_erlangs) {
  EXPECT_EQ(to_string(run_exprs(parsed("F = fun S(0) -> 1 div 0; S(N) -> 1 + S(N - 1) end, F(10)."))),
            "{error,badarith}");
  term stack;
  EXPECT_EQ(to_string(run_exprs(parsed("F = fun S(1) -> 1 + S(a); S(0) -> 0 end, F(1)."), &stack)),
            "{error,function_clause}");
  EXPECT_EQ(to_string(stack), "[{erl_eval,'-inside-an-interpreted-fun-',[[a]],[]}]");
  EXPECT_EQ(to_string(run_exprs(parsed("F = fun S(0) -> throw(bottom); S(N) -> S(N - 1) + 1 end, catch F(5)."))),
            "{value,bottom}");
  // Its own name as a value, and captured by a fun it makes.
  EXPECT_EQ(to_string(run_exprs(parsed("F = fun S(0) -> S; S(N) -> S(N - 1) end, G = F(3), G(0) =:= G."))),
            "{value,true}");
  EXPECT_EQ(to_string(run_exprs(parsed("F = fun S(0) -> fun() -> S end; S(N) -> S(N - 1) end, G = F(3), is_function(G(), 1)."))),
            "{value,true}");
}

TEST_F(code_test, a_self_recursive_fun_that_sends_sends_each_message_once) {
  // Deep enough that a synchronous run would be cut and run again from its start.
  EXPECT_EQ(to_string(run_exprs(parsed("F = fun S(0) -> 0; S(N) -> self() ! N, 1 + S(N - 1) end, F(30000), "
                                       "Count = fun C(K) -> receive _ -> C(K + 1) after 0 -> K end end, Count(0)."))),
            "{value,30000}");
}

TEST_F(code_test, a_self_recursive_fun_that_sends_exit_signals_sends_each_once) {
  // exit/2 to a process that traps exits is a message it counts, as a send is.
  EXPECT_EQ(to_string(run_exprs(parsed("process_flag(trap_exit, true), "
                                       "F = fun S(0) -> 0; S(N) -> exit(self(), {n, N}), 1 + S(N - 1) end, F(30000), "
                                       "Count = fun C(K) -> receive {'EXIT', _, {n, _}} -> C(K + 1) after 0 -> K end end, "
                                       "Count(0)."))),
            "{value,30000}");
}

TEST_F(code_test, a_long_pure_recursion_lets_other_processes_run_and_can_be_killed) {
  // fib(40) takes minutes; two of them fill both workers.
  term exprs = parsed("F = fun Fib(N) when N < 2 -> N; Fib(N) -> Fib(N - 1) + Fib(N - 2) end, F(40).");
  scoped_process me(node_->rt());
  std::vector<std::pair<pid, reference>> busy;
  for (int i = 0; i < 2; ++i) {
    pid p = node_->rt().spawn(eval_forever, exprs);
    busy.emplace_back(p, me.monitor(p));
  }
  node_->rt().spawn(say_running, me.self());
  auto r = me.receive_for(test::scaled(30s));
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), "still_running");
  for (const auto& [p, mref] : busy) {
    me.exit(p, atoms::kill);
    auto down = me.receive_for(30s);
    ASSERT_TRUE(down);
    EXPECT_EQ(to_string(*down), to_string(tuple_of(atoms::DOWN, mref, atoms::process, p, atoms::killed)));
  }
}

}  // namespace
