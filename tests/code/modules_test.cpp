// Modules defined on an otpp node: `defmodule` lowered from Elixir and evaluated, and Erlang
// source loaded, then called from interpreted code, from C++ through the export table, and from
// a real iex over the network (`Node.spawn_link` of the lesson's fun printing on iex).
#include "otpp/code/module_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "otp/otp_fixture.hpp"
#include "otpp/code/elixir.hpp"
#include "otpp/code/erl_parse.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

const char* const kate_source = R"(defmodule Kate do
  def say_name do
    IO.puts("Hello, my name is Kate")
  end
end)";

// Evaluates `exprs` in a new process of `node` with the bindings `bs` (updated, as a shell
// keeps them): `{value, V}` or `{Class, Reason, Stack}`.
term run_on(otp::node& node, const term& exprs, code::bindings& bs) {
  scoped_process me(node.rt());
  pid to = me.self();
  auto shared = std::make_shared<code::bindings>(bs);
  node.rt().spawn([exprs, to, shared](process& self) -> process_task {
    term result;
    try {
      term v = co_await code::eval_exprs(self, exprs, *shared);
      result = tuple_of(atom("value"), v);
    } catch (const throw_exception& t) {
      result = tuple_of(atoms::throw_, t.value(), term());
    } catch (const exit_exception& x) {
      result = tuple_of(atoms::exit, x.reason(), term());
    } catch (const error_exception& x) {
      result = tuple_of(atoms::error, x.reason(), x.stack());
    }
    self.send(to, result);
  });
  auto r = me.receive_for(60s);
  if (!r) return atom("timeout");
  bs = *shared;
  return *r;
}

// Lowers Elixir `source` with `scope` (updated when it lowers) and evaluates it on `node`.
term run_elixir(otp::node& node, code::elixir_scope& scope, code::bindings& bs, std::string_view source) {
  auto out = code::lower_elixir(source, scope);
  if (auto* err = std::get_if<code::elixir_error>(&out)) return tuple_of(atom("lower_error"), term::string(err->describe()));
  if (!std::holds_alternative<code::elixir_lowered>(out)) return atom("incomplete");
  auto& lowered = std::get<code::elixir_lowered>(out);
  term r = run_on(node, lowered.exprs, bs);
  if (r.is_tuple() && r[0].is_atom(atom("value"))) scope = lowered.scope;
  return r;
}

term run_erlang(otp::node& node, std::string_view source) {
  auto parsed = code::parse_exprs(source);
  if (!parsed) return tuple_of(atom("parse_error"), term::string(parsed.error.describe()));
  code::bindings bs;
  return run_on(node, *parsed.value, bs);
}

term value(term v) { return tuple_of(atom("value"), std::move(v)); }
atom elixir(std::string_view name) { return atom(export_table::elixir_module(name)); }
std::string show(const term& t) { return to_string(t); }

// The first frame of an outcome's stack, or [] when there is none.
term top_frame(const term& outcome) {
  if (outcome.tuple_size() != 3 || !outcome[2].is_proper_list() || outcome[2].is_nil()) return term();
  return outcome[2].list_elements()[0];
}

class defmodule_on_a_node : public ::testing::Test {
 protected:
  void SetUp() override {
    otp::node_options o;
    o.runtime.workers = 2;
    o.services.output = out_;
    auto n = otp::node::start(std::move(o));
    ASSERT_TRUE(n) << n.error();
    node_ = std::move(n.value());
    code::install(*node_);
  }
  term iex(std::string_view source) { return run_elixir(*node_, scope_, bindings_, source); }
  term erl(std::string_view source) { return run_erlang(*node_, source); }

  std::shared_ptr<io::string_output_sink> out_ = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> node_;
  code::elixir_scope scope_;
  code::bindings bindings_;
};

TEST_F(defmodule_on_a_node, the_lessons_module_is_defined_and_its_function_prints_on_the_node) {
  term defined = iex(kate_source);
  ASSERT_TRUE(defined.is_tuple() && defined[0].is_atom(atom("value"))) << show(defined);
  const term& answer = defined[1];
  ASSERT_TRUE(answer.is_tuple() && answer.tuple_size() == 4) << show(answer);
  EXPECT_EQ(show(answer[0]), "module");
  EXPECT_EQ(show(answer[1]), "'Elixir.Kate'");
  ASSERT_TRUE(answer[2].is_binary());
  // iex prints <<70, 79, 82, 49, _, _, _, _, 66, 69, 65, 77, ...>> for a compiled module.
  std::string bytes(answer[2].bytes_as_string());
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(bytes.substr(0, 4), "FOR1");
  EXPECT_EQ(bytes.substr(8, 4), "BEAM");
  EXPECT_EQ(show(answer[3]), "{say_name,0}");

  EXPECT_EQ(show(iex("Kate.say_name()")), show(value(atoms::ok)));
  EXPECT_TRUE(eventually([&] { return out_->text().find("Hello, my name is Kate\n") != std::string::npos; }))
      << out_->text();
}

TEST_F(defmodule_on_a_node, clauses_guards_defaults_private_functions_and_attributes_run_as_in_elixir) {
  term defined = iex(R"(defmodule Shapes do
  @sides 4
  def area({:square, s}), do: s * s
  def area({:rect, w, h}) when is_number(w) and is_number(h), do: w * h
  def area(_other), do: :unknown
  def greet(name \\ "world", punct \\ "!"), do: "Hello, " <> name <> punct
  def double_all(list), do: Enum.map(list, fn x -> double(x) end)
  def triple_all(list), do: Enum.map(list, &triple/1)
  def sum([]), do: 0
  def sum([h | t]), do: h + sum(t)
  def count(n), do: count(n, 0)
  def sides, do: @sides
  def name, do: __MODULE__
  defp count(0, acc), do: acc
  defp count(n, acc), do: count(n - 1, acc + 1)
  defp double(x), do: x * 2
  defp triple(x), do: x * 3
end)");
  ASSERT_TRUE(defined.is_tuple() && defined[0].is_atom(atom("value"))) << show(defined);
  EXPECT_EQ(show(defined[1][3]), "{triple,1}");

  EXPECT_EQ(show(iex("Shapes.area({:square, 3})")), show(value(term(9))));
  EXPECT_EQ(show(iex("Shapes.area({:rect, 2, 5})")), show(value(term(10))));
  EXPECT_EQ(show(iex("Shapes.area({:rect, :a, 5})")), show(value(atom("unknown"))));
  EXPECT_EQ(show(iex("Shapes.greet()")), show(value(term::binary("Hello, world!"))));
  EXPECT_EQ(show(iex("Shapes.greet(\"Kate\")")), show(value(term::binary("Hello, Kate!"))));
  EXPECT_EQ(show(iex("Shapes.greet(\"Kate\", \"?\")")), show(value(term::binary("Hello, Kate?"))));
  EXPECT_EQ(show(iex("Shapes.double_all([1, 2, 3])")), show(value(list_of(2, 4, 6))));
  EXPECT_EQ(show(iex("Shapes.triple_all([1, 2, 3])")), show(value(list_of(3, 6, 9))));
  EXPECT_EQ(show(iex("Shapes.sum([1, 2, 3, 4])")), show(value(term(10))));
  // A private function's tail calls run in constant space.
  EXPECT_EQ(show(iex("Shapes.count(200_000)")), show(value(term(200000))));
  EXPECT_EQ(show(iex("Shapes.sides()")), show(value(term(4))));
  EXPECT_EQ(show(iex("Shapes.name()")), show(value(elixir("Shapes"))));

  // defp is not exported: BEAM's undef, with the call in the stack.
  term hidden = iex("Shapes.double(1)");
  EXPECT_EQ(show(hidden[1]), "undef") << show(hidden);
  EXPECT_EQ(show(top_frame(hidden)), "{'Elixir.Shapes',double,[1],[]}");
  term missing = iex("Shapes.area()");
  EXPECT_EQ(show(missing[1]), "undef") << show(missing);
}

TEST_F(defmodule_on_a_node, deep_recursion_through_local_and_remote_calls_ends_with_the_answer) {
  ASSERT_TRUE(iex(R"(defmodule Deep do
  def local(0), do: 0
  def local(n), do: 1 + local(n - 1)
  def remote(0), do: 0
  def remote(n), do: 1 + __MODULE__.remote(n - 1)
end)")[0].is_atom(atom("value")));
  EXPECT_EQ(show(iex("Deep.local(20_000)")), "{value,20000}");
  EXPECT_EQ(show(iex("Deep.remote(20_000)")), "{value,20000}");
}

TEST_F(defmodule_on_a_node, module_info_and_info_answer_as_for_a_compiled_module) {
  ASSERT_TRUE(iex(kate_source)[0].is_atom(atom("value")));
  EXPECT_EQ(show(iex("Kate.__info__(:functions)")), "{value,[{say_name,0}]}");
  EXPECT_EQ(show(iex("Kate.__info__(:module)")), "{value,'Elixir.Kate'}");
  EXPECT_EQ(show(iex("Kate.__info__(:macros)")), "{value,[]}");
  // As a real iex 1.14 answers for the same module.
  EXPECT_EQ(show(iex("Kate.module_info(:exports)")), "{value,[{'__info__',1},{say_name,0},{module_info,0},{module_info,1}]}");
  EXPECT_EQ(show(iex("Keyword.keys(Kate.module_info())")), "{value,[module,exports,attributes,compile,md5]}");
  EXPECT_EQ(show(iex("Kate.module_info(:module)")), "{value,'Elixir.Kate'}");
  term vsn = iex("Kate.module_info(:attributes)");
  EXPECT_EQ(show(vsn[1].list_elements()[0][0]), "vsn") << show(vsn);
  EXPECT_EQ(show(iex(":code.is_loaded(Kate)")), "{value,{file,[]}}");
  EXPECT_EQ(show(iex(":code.is_loaded(Nope)")), "{value,false}");
  EXPECT_EQ(show(iex(":code.ensure_loaded(Kate)")), "{value,{module,'Elixir.Kate'}}");
  EXPECT_EQ(show(iex(":code.ensure_loaded(Nope)")), "{value,{error,nofile}}");
  EXPECT_EQ(show(iex("Code.ensure_loaded?(Kate)")), "{value,true}");
  EXPECT_EQ(show(iex("function_exported?(Kate, :say_name, 0)")), "{value,true}");
  EXPECT_EQ(show(iex("function_exported?(Kate, :say_name, 1)")), "{value,false}");
  EXPECT_EQ(show(iex(":erlang.function_exported(:lists, :reverse, 1)")), "{value,true}");
  EXPECT_EQ(show(iex("Kate.module_info(:nonsense)")[1]), "badarg");
  EXPECT_EQ(show(iex("Kate.__info__(:nonsense)")[1]), "function_clause");
}

TEST_F(defmodule_on_a_node, redefining_a_module_replaces_it_and_funs_of_the_old_code_still_run) {
  ASSERT_TRUE(iex(R"(defmodule Kate do
  def say_name, do: "v1"
  def only_in_v1, do: :here
  def later, do: fn -> helper() end
  defp helper, do: :old_helper
end)")[0].is_atom(atom("value")));
  ASSERT_EQ(show(iex("f = Kate.later()")[0]), "value");
  EXPECT_EQ(show(iex("f.()")), "{value,old_helper}");
  EXPECT_EQ(show(iex("Kate.only_in_v1()")), "{value,here}");
  ASSERT_TRUE(iex(R"(defmodule Kate do
  def say_name, do: "v2"
end)")[0].is_atom(atom("value")));
  EXPECT_EQ(show(iex("Kate.say_name()")), show(value(term::binary("v2"))));
  EXPECT_EQ(show(iex("Kate.only_in_v1()")[1]), "undef");
  EXPECT_EQ(show(iex("Kate.__info__(:functions)")), "{value,[{say_name,0}]}");
  // A fun made by the previous version runs its code, as BEAM's old code does until purged.
  EXPECT_EQ(show(iex("f.()")), "{value,old_helper}");
}

TEST_F(defmodule_on_a_node, an_error_in_a_modules_function_has_the_function_in_its_stack_and_the_node_keeps_running) {
  ASSERT_TRUE(iex(R"(defmodule M3 do
  def f(x) when is_integer(x), do: g(x)
  def h(x), do: {:ok, g(x)}
  defp g(x), do: x + :a
end)")[0].is_atom(atom("value")));
  term arith = iex("M3.h(1)");
  EXPECT_EQ(show(arith[1]), "badarith") << show(arith);
  ASSERT_TRUE(arith[2].is_proper_list()) << show(arith);
  auto frames = arith[2].list_elements();
  ASSERT_GE(frames.size(), 2u) << show(arith);
  // As BEAM's for the module defined in iex: the failing operator's line, then the caller's
  // line of the call; an arithmetic operator has no frame of its own in compiled code.
  EXPECT_EQ(show(frames[0]), "{'Elixir.M3',g,1,[{file,\"iex\"},{line,4}]}");
  EXPECT_EQ(show(frames[1]), "{'Elixir.M3',h,1,[{file,\"iex\"},{line,3}]}");
  // f calls g in tail position: f's frame is gone, as on BEAM.
  term tail = iex("M3.f(1)");
  EXPECT_EQ(show(tail[2].list_elements()[0]), "{'Elixir.M3',g,1,[{file,\"iex\"},{line,4}]}") << show(tail);
  EXPECT_EQ(tail[2].list_elements().size(), 1u) << show(tail);
  term clause = iex("M3.f(:b)");
  EXPECT_EQ(show(clause[1]), "function_clause");
  EXPECT_EQ(show(top_frame(clause)), "{'Elixir.M3',f,[b],[{file,\"iex\"},{line,2}]}");
  EXPECT_EQ(show(iex("M3.h(1.5) |> elem(0)")[1]), "badarith");
  EXPECT_EQ(show(iex("try do M3.h(2) catch :error, reason -> reason end")), "{value,badarith}");
}

TEST_F(defmodule_on_a_node, a_modules_functions_are_export_table_entries_cxx_callers_use) {
  ASSERT_TRUE(iex(R"(defmodule Calc do
  def add(a, b), do: a + b
end)")[0].is_atom(atom("value")));
  auto entry = node_->exports().find(elixir("Calc"), atom("add"), 2);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->arity, 2);
  EXPECT_FALSE(node_->exports().find(elixir("Calc"), atom("add"), 3));
  scoped_process me(node_->rt());
  pid to = me.self();
  node_->rt().spawn([to](process& self) -> process_task {
    std::vector<term> args{term(40), term(2)};
    term r = co_await code::apply(self, term::export_fun(atom("Elixir.Calc"), atom("add"), 2), std::move(args));
    self.send(to, r);
  });
  auto r = me.receive_for(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(show(*r), "42");
}

TEST_F(defmodule_on_a_node, erlang_source_loads_as_a_module_erlang_code_calls) {
  auto m = code::load_erlang_source(*node_, R"(-module(geometry).
-export([f/1, fact/1, apply_twice/2, quad/1, echo/1]).
-author(kate).
%% a comment between forms
f(X) -> g(X) + 1.
g(X) -> X * 2.
fact(0) -> 1;
fact(N) when N > 0 -> N * fact(N - 1).
apply_twice(F, X) -> F(F(X)).
quad(X) -> apply_twice(fun g/1, X).
echo(X) ->
  Pid = spawn(fun() -> receive {From, M} -> From ! {echoed, M} end end),
  Pid ! {self(), X},
  receive {echoed, Y} -> Y after 5000 -> timeout end.
)");
  ASSERT_TRUE(m) << show(m.error());
  EXPECT_EQ(*m, atom("geometry"));
  EXPECT_EQ(show(erl("geometry:f(3).")), "{value,7}");
  EXPECT_EQ(show(erl("geometry:fact(20).")), "{value,2432902008176640000}");
  EXPECT_EQ(show(erl("geometry:apply_twice(fun(X) -> X * 10 end, 2).")), "{value,200}");
  EXPECT_EQ(show(erl("geometry:quad(3).")), "{value,12}");
  EXPECT_EQ(show(erl("geometry:echo(hello).")), "{value,hello}");
  EXPECT_EQ(show(erl("geometry:g(1).")[1]), "undef");
  EXPECT_EQ(show(erl("geometry:fact(-1).")[1]), "function_clause");
  EXPECT_EQ(show(erl("geometry:module_info(exports).")),
            "{value,[{f,1},{fact,1},{apply_twice,2},{quad,1},{echo,1},{module_info,0},{module_info,1}]}");
  term attributes = erl("geometry:module_info(attributes).");
  EXPECT_NE(show(attributes).find("{author,[kate]}"), std::string::npos) << show(attributes);
  auto imports = code::load_erlang_source(*node_, R"(-module(imports).
-compile(export_all).
-import(lists, [reverse/1, map/2]).
backwards(L) -> reverse(map(fun helper/1, L)).
helper(X) -> {X}.
)");
  ASSERT_TRUE(imports) << show(imports.error());
  EXPECT_EQ(show(erl("imports:backwards([1, 2]).")), "{value,[{2},{1}]}");
  EXPECT_EQ(show(erl("imports:helper(x).")), "{value,{x}}");
  EXPECT_EQ(show(erl("imports:module_info(exports).")), "{value,[{backwards,1},{helper,1},{module_info,0},{module_info,1}]}");
  // The same forms through otpp_module:define/3, as a shell does for `defmodule`.
  EXPECT_EQ(show(erl("element(4, otpp_module:define(m2, [{attribute,1,module,m2},{attribute,1,export,[{one,0}]},"
                     "{function,1,one,0,[{clause,1,[],[],[{integer,1,1}]}]}], done)).")),
            "{value,done}");
  EXPECT_EQ(show(erl("m2:one().")), "{value,1}");
}

TEST_F(defmodule_on_a_node, erlang_source_with_errors_is_refused_with_erl_lints_reason_and_nothing_loads) {
  auto& x = *node_;
  auto& exports = node_->exports();
  auto undefined_export = code::load_erlang_source(x, "-module(bad1).\n-export([h/1]).\nf(X) -> X.\n");
  ASSERT_FALSE(undefined_export);
  EXPECT_EQ(show(undefined_export.error()), "{2,erl_lint,{undefined_function,{h,1}}}");
  auto undefined_call = code::load_erlang_source(x, "-module(bad2).\n-export([f/1]).\nf(X) ->\n  nowhere(X).\n");
  ASSERT_FALSE(undefined_call);
  EXPECT_EQ(show(undefined_call.error()), "{4,erl_lint,{undefined_function,{nowhere,1}}}");
  auto twice = code::load_erlang_source(x, "-module(bad3).\nf() -> 1.\nf() -> 2.\n");
  ASSERT_FALSE(twice);
  EXPECT_EQ(show(twice.error()), "{3,erl_lint,{redefine_function,{f,0}}}");
  auto nameless = code::load_erlang_source(x, "f() -> 1.\n");
  ASSERT_FALSE(nameless);
  EXPECT_EQ(show(nameless.error()), "{1,erl_lint,undefined_module}");
  auto syntax = code::load_erlang_source(x, "-module(bad4).\n\nf() -> ).\n");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(show(syntax.error()), "{3,erl_parse,\"syntax error before: ')'\"}");
  EXPECT_FALSE(code::load_forms(x, atom("nonsense")));
  for (const char* m : {"bad1", "bad2", "bad3", "bad4"}) EXPECT_FALSE(exports.find(atom(m), atom("module_info"), 0)) << m;
  // From interpreted code the reason is raised as an error; the node goes on.
  EXPECT_EQ(show(erl("otpp_module:define(m, [{attribute,1,module,m},{attribute,1,export,[{x,0}]}], ok).")[1]),
            "{1,erl_lint,{undefined_function,{x,0}}}");
  EXPECT_EQ(show(erl("1 + 1.")), "{value,2}");
}

// The lesson against a real iex: kate is an otpp node where `defmodule Kate` was evaluated.
struct defmodule_with_iex : otpp::test::otp_test {};

TEST_F(defmodule_with_iex, a_real_iex_runs_the_module_defined_on_otpp_kate_and_sees_it_redefined) {
  auto kate_out = std::make_shared<io::string_output_sink>();
  auto kate = start_node("kate", kate_out);
  ASSERT_TRUE(kate);
  code::install(*kate);
  code::elixir_scope scope;
  code::bindings bs;
  term defined = run_elixir(*kate, scope, bs, R"(defmodule Kate do
  def say_name do
    IO.puts "Hi, my name is Kate"
  end
end)");
  ASSERT_TRUE(defined[0].is_atom(atom("value"))) << show(defined);
  std::string kate_name(kate->name().name());

  auto iex = start_iex("alex");
  ASSERT_TRUE(iex->ready());
  auto spawned = iex->eval("Node.spawn_link(:\"" + kate_name + "\", fn -> Kate.say_name end)");
  ASSERT_TRUE(spawned);
  EXPECT_TRUE(eventually([&] {
    return (*spawned + iex->pending_output()).find("Hi, my name is Kate") != std::string::npos;
  })) << iex->process().output() << kate_out->text();

  auto via_rpc = iex->eval(":rpc.call(:\"" + kate_name + "\", Kate, :say_name, [])");
  ASSERT_TRUE(via_rpc);
  EXPECT_NE(via_rpc->find(":ok"), std::string::npos) << *via_rpc;

  term redefined = run_elixir(*kate, scope, bs, R"(defmodule Kate do
  def say_name, do: IO.puts("Hi again, I was redefined")
end)");
  ASSERT_TRUE(redefined[0].is_atom(atom("value"))) << show(redefined);
  auto again = iex->eval(":rpc.call(:\"" + kate_name + "\", Kate, :say_name, [])");
  ASSERT_TRUE(again);
  EXPECT_NE(again->find("Hi again, I was redefined"), std::string::npos) << *again;

  auto missing = iex->eval(":rpc.call(:\"" + kate_name + "\", Kate, :nope, [])");
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("{:badrpc, {:EXIT, {:undef, [{Kate, :nope, [], []}"), std::string::npos) << *missing;
  // Nothing printed on kate: output went to iex, the caller's group leader.
  EXPECT_EQ(kate_out->text().find("Hi"), std::string::npos) << kate_out->text();
}

// Erlang source loaded on otpp from a file, and the same file compiled by a real erl: the
// errors of their functions carry the same stack frames, file and line included.
struct erlang_source_beside_erl : otpp::test::otp_test {};

TEST_F(erlang_source_beside_erl, the_stack_frames_of_a_module_loaded_from_a_file_name_its_file_and_lines_as_erls_do) {
  const std::string dir = std::filesystem::temp_directory_path() / otpp::test::unique_name("otpp_frames");
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/frames.erl";
  const std::string source = R"(-module(frames).
-export([e/1, m/1, f/1, g/1, k/1]).

e(X) ->
    element(1, X).
m(X) -> {ok, Y} = X, Y.
f(X) ->
    X + 1.
g(X) -> f(X) * 2.
k(a) -> 1.
)";
  std::ofstream(file) << source;
  auto erl = start_erl();
  ASSERT_TRUE(erl->ready());
  ASSERT_EQ(erl->eval("{ok, frames} = compile:file(\"" + file + "\", [{outdir, \"" + dir +
                      "\"}]), {module, frames} = code:load_abs(\"" + dir + "/frames\"), ok.")
                .value_or("?"),
            "ok");
  auto node = start_node("kate", std::make_shared<io::string_output_sink>());
  ASSERT_TRUE(node);
  code::install(*node);
  auto loaded = code::load_erlang_source(*node, source, file);
  ASSERT_TRUE(loaded) << show(loaded.error());
  // The module's frames of each failure (erl's shell and otpp's evaluator differ below them;
  // a BIF's own frame above them lacks erl's error_info on otpp).
  const std::string frames =
      "[lists:sublist(element(2, element(2, catch frames:F(A))), S, N) || {F, A, S, N} <- "
      "[{e, a, 2, 1}, {m, b, 1, 1}, {g, a, 1, 2}, {k, b, 1, 1}]]";
  const std::string ours = show(run_erlang(*node, frames + "."));
  ASSERT_NE(ours.find("{line,5}"), std::string::npos) << ours;
  // Read back on erl, otpp's frames equal erl's own.
  EXPECT_EQ(erl->eval("{value, " + frames + "} =:= " + ours + ".").value_or("?"), "true")
      << ours << "\n" << erl->eval(frames + ".").value_or("?");
  std::filesystem::remove_all(dir);
}

}  // namespace
