// Scenario 190, supervisors: a C++ supervisor restarting children by strategy, seen from a real
// erl (its monitors get the DOWN with the crash reason; past the restart intensity the supervisor
// exits with `shutdown` and reports it as erl's own supervisor does), Erlang's `supervisor`
// module called against it, and Elixir's DynamicSupervisor calls from a real iex.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "otp_fixture.hpp"
#include "otpp/otp/supervisor.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

const atom a_crash("crash");
const atom a_ping("ping");

// Answers `ping` with `pong`; the cast `crash` makes it fail with `boom`. With `stubborn` it
// traps exits and its terminate never ends, so only `kill` stops it.
struct worker_server : gen_server::server {
  bool stubborn = false;
  explicit worker_server(bool s = false) : stubborn(s) {}
  task<init_result> init(process& self) override {
    if (stubborn) self.trap_exit(true);
    co_return init_ok();
  }
  task<action> handle_call(process&, term req, gen::from) override {
    if (req.is_atom(a_ping)) co_return reply(atoms::pong);
    co_return reply(req);
  }
  task<action> handle_cast(process&, term req) override {
    if (req.is_atom(a_crash)) throw error_exception(atom("boom"));
    co_return noreply();
  }
  task<action> handle_info(process&, term) override { co_return noreply(); }
  task<> terminate(process& self, term) override {
    if (stubborn) co_await self.receive(on(atom("never")) >> [] {});
  }
};

supervisor::child_spec named_worker(const char* id, std::optional<atom> name = {}, bool stubborn = false) {
  gen_server::start_options o;
  o.name = name;
  return supervisor::worker(atom(id), [stubborn] { return std::make_shared<worker_server>(stubborn); }, o);
}

class supervisors : public ::testing::Test {
 protected:
  static inline std::unique_ptr<dist::epmd_server> epmd;
  static inline std::shared_ptr<io::string_output_sink> out;
  static inline std::unique_ptr<otp::node> cpp;
  static inline std::unique_ptr<otpp::test::erl_peer> erl;
  static inline std::unique_ptr<otpp::test::iex_peer> iex;
  static inline std::string cpp_name;

  static void SetUpTestSuite() {
    epmd = otpp::test::start_private_epmd();
    ASSERT_TRUE(epmd);
    out = std::make_shared<io::string_output_sink>();
    cpp = otpp::test::start_test_node("cpp", epmd->port(), out);
    ASSERT_TRUE(cpp);
    cpp_name = std::string(cpp->name().name());
    // A C++ start function Erlang's supervisor:start_child can name in a child spec.
    cpp->exports().add("cpp_worker", "start_link", [](process& self) -> task<term> {
      auto r = co_await gen_server::start(self, std::make_shared<worker_server>());
      co_return r.value;
    });
    cpp->exports().add("cpp_worker", "start_named", [](process& self, term name) -> task<term> {
      gen_server::start_options o;
      if (name.is_atom()) o.name = name.atom_value();
      auto r = co_await gen_server::start(self, std::make_shared<worker_server>(), o);
      co_return r.value;
    });
    erl = std::make_unique<otpp::test::erl_peer>(otpp::test::unique_name("erl"), epmd->port(),
                                                 otpp::test::test_cookie);
    ASSERT_TRUE(erl->ready()) << erl->process().output();
    iex = std::make_unique<otpp::test::iex_peer>(otpp::test::unique_name("iex"), epmd->port(),
                                                 "otpp_test_cookie");
    ASSERT_TRUE(iex->ready()) << iex->process().output();
  }
  static void TearDownTestSuite() {
    iex.reset();
    erl.reset();
    cpp.reset();
    epmd.reset();
    out.reset();
  }
  void SetUp() override {
    if (!cpp || !erl || !erl->ready() || !iex || !iex->ready()) GTEST_SKIP() << "the suite's nodes did not start";
  }

  std::string erl_eval(const std::string& expr) {
    auto r = erl->eval(expr);
    EXPECT_TRUE(r) << erl->process().output();
    return r.value_or("");
  }
  std::string iex_eval(const std::string& line) {
    auto r = iex->eval(line);
    EXPECT_TRUE(r) << iex->process().output();
    std::string s = r.value_or("");
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  std::string node() const { return "'" + cpp_name + "'"; }
  std::optional<pid> whereis(const char* name) const { return cpp->rt().whereis(atom(name)); }
};

TEST_F(supervisors, a_crashed_child_is_restarted_and_a_remote_monitor_sees_its_reason) {
  scoped_process me(cpp->rt());
  auto sup = supervisor::start(me, {.strategy = supervisor::strategy::one_for_one, .intensity = 3},
                               {named_worker("w", atom("restarted_worker"))}, {.name = atom("sup_a")});
  ASSERT_TRUE(sup.ok()) << to_string(sup.value);
  auto before = whereis("restarted_worker");
  ASSERT_TRUE(before);
  EXPECT_EQ(erl_eval("MonA = erlang:monitor(process, {restarted_worker, " + node() + "}), "
                     "gen_server:cast({restarted_worker, " + node() + "}, crash), "
                     "receive {'DOWN', MonA, process, _, ReasonA} -> ReasonA after 5000 -> no_down end."),
            "{boom,[]}");
  EXPECT_TRUE(eventually([&] {
    auto after = whereis("restarted_worker");
    return after && *after != *before;
  }));
  EXPECT_EQ(erl_eval("gen_server:call({restarted_worker, " + node() + "}, ping)."), "pong");
  EXPECT_NE(out->text().find("child_terminated"), std::string::npos) << out->text();
  gen_server::stop(me, atom("sup_a"));
  EXPECT_FALSE(whereis("restarted_worker"));
}

TEST_F(supervisors, past_its_intensity_the_supervisor_exits_with_shutdown_and_reports_it) {
  scoped_process me(cpp->rt());
  auto sup = supervisor::start(me, {.strategy = supervisor::strategy::one_for_one, .intensity = 1, .period = 10s},
                               {named_worker("w", atom("fragile_worker"))},
                               {.name = atom("sup_b"), .link = false});
  ASSERT_TRUE(sup.ok()) << to_string(sup.value);
  erl_eval("MonB = erlang:monitor(process, {sup_b, " + node() + "}).");
  auto first = whereis("fragile_worker");
  ASSERT_TRUE(first);
  erl_eval("gen_server:cast({fragile_worker, " + node() + "}, crash).");
  ASSERT_TRUE(eventually([&] {
    auto w = whereis("fragile_worker");
    return w && *w != *first;
  }));
  erl_eval("gen_server:cast({fragile_worker, " + node() + "}, crash).");
  EXPECT_EQ(erl_eval("receive {'DOWN', MonB, process, _, ReasonB} -> ReasonB after 5000 -> no_down end."),
            "shutdown");
  EXPECT_FALSE(me.is_alive(*sup.pid));
  EXPECT_TRUE(eventually([&] { return out->text().find("reached_max_restart_intensity") != std::string::npos; }))
      << out->text();
}

TEST_F(supervisors, erlangs_supervisor_module_lists_counts_stops_restarts_deletes_and_starts_children) {
  scoped_process me(cpp->rt());
  auto sup = supervisor::start(me, {}, {named_worker("first"), named_worker("second")},
                               {.name = atom("sup_c")});
  ASSERT_TRUE(sup.ok()) << to_string(sup.value);
  std::string s = "{sup_c, " + node() + "}";
  auto children = erl_eval("[{Id, is_pid(P), T, M} || {Id, P, T, M} <- supervisor:which_children(" + s + ")].");
  EXPECT_EQ(children, "[{second,true,worker,[]},{first,true,worker,[]}]");
  EXPECT_EQ(erl_eval("supervisor:count_children(" + s + ")."),
            "[{specs,2},{active,2},{supervisors,0},{workers,2}]");
  EXPECT_EQ(erl_eval("supervisor:terminate_child(" + s + ", first)."), "ok");
  EXPECT_EQ(erl_eval("supervisor:delete_child(" + s + ", second)."), "{error,running}");
  EXPECT_EQ(erl_eval("element(1, supervisor:restart_child(" + s + ", first))."), "ok");
  EXPECT_EQ(erl_eval("supervisor:terminate_child(" + s + ", second)."), "ok");
  EXPECT_EQ(erl_eval("supervisor:delete_child(" + s + ", second)."), "ok");
  EXPECT_EQ(erl_eval("supervisor:terminate_child(" + s + ", nobody)."), "{error,not_found}");
  EXPECT_EQ(erl_eval("{ok, ThirdC} = supervisor:start_child(" + s +
                     ", #{id => third, start => {cpp_worker, start_link, []}}), "
                     "gen_server:call(ThirdC, ping)."),
            "pong");
  EXPECT_EQ(erl_eval("element(1, supervisor:start_child(" + s +
                     ", #{id => third, start => {cpp_worker, start_link, []}}))."),
            "error");
  EXPECT_EQ(erl_eval("supervisor:get_childspec(" + s + ", third)."),
            "{ok,#{id => third,modules => [cpp_worker],restart => permanent,shutdown => 5000,"
            "start => {cpp_worker,start_link,[]},type => worker}}");
  EXPECT_EQ(erl_eval("supervisor:count_children(" + s + ")."),
            "[{specs,2},{active,2},{supervisors,0},{workers,2}]");
  gen_server::stop(me, atom("sup_c"));
}

TEST_F(supervisors, one_for_all_restarts_every_child_and_rest_for_one_the_later_ones) {
  scoped_process me(cpp->rt());
  for (auto strat : {supervisor::strategy::one_for_all, supervisor::strategy::rest_for_one}) {
    auto sup = supervisor::start(me, {.strategy = strat, .intensity = 5},
                                 {named_worker("a", atom("worker_a")), named_worker("b", atom("worker_b")),
                                  named_worker("c", atom("worker_c"))},
                                 {.name = atom("sup_d")});
    ASSERT_TRUE(sup.ok()) << to_string(sup.value);
    auto a = *whereis("worker_a"), b = *whereis("worker_b"), c = *whereis("worker_c");
    gen_server::cast(me, atom("worker_b"), a_crash);
    ASSERT_TRUE(eventually([&] {
      auto b2 = whereis("worker_b"), c2 = whereis("worker_c");
      return b2 && *b2 != b && c2 && *c2 != c;
    }));
    auto a2 = whereis("worker_a");
    ASSERT_TRUE(a2);
    if (strat == supervisor::strategy::one_for_all)
      EXPECT_NE(*a2, a);
    else
      EXPECT_EQ(*a2, a);
    gen_server::stop(me, atom("sup_d"));
  }
}

TEST_F(supervisors, a_child_that_ignores_shutdown_is_killed_after_its_shutdown_time) {
  scoped_process me(cpp->rt());
  auto spec = named_worker("stubborn", atom("stubborn_worker"), true);
  spec.shutdown = 100ms;
  auto brutal = named_worker("brutal", atom("brutal_worker"), true);
  brutal.brutal_kill = true;
  auto sup = supervisor::start(me, {}, {spec, brutal}, {.name = atom("sup_e")});
  ASSERT_TRUE(sup.ok()) << to_string(sup.value);
  auto stubborn = *whereis("stubborn_worker");
  auto mon = me.monitor(stubborn);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(gen_server::call(me, atom("sup_e"), tuple_of(atom("terminate_child"), atom("stubborn"))),
            term(atoms::ok));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);
  auto reason = me.receive(on(atoms::DOWN, mon, ignore, ignore, _) >> [](term r) { return r; },
                           after(5s, [] { return term(); }));
  EXPECT_EQ(reason, term(atoms::killed));
  auto brutal_pid = *whereis("brutal_worker");
  auto mon2 = me.monitor(brutal_pid);
  EXPECT_EQ(gen_server::call(me, atom("sup_e"), tuple_of(atom("terminate_child"), atom("brutal"))),
            term(atoms::ok));
  auto reason2 = me.receive(on(atoms::DOWN, mon2, ignore, ignore, _) >> [](term r) { return r; },
                            after(5s, [] { return term(); }));
  EXPECT_EQ(reason2, term(atoms::killed));
  gen_server::stop(me, atom("sup_e"));
}

TEST_F(supervisors, a_simple_one_for_one_supervisor_starts_children_with_erlangs_extra_arguments) {
  scoped_process me(cpp->rt());
  supervisor::child_spec tmpl;
  tmpl.id = atom("dyn");
  tmpl.restart = supervisor::restart::temporary;
  tmpl.start = [](process& self, std::vector<term> extra) -> task<gen_server::start_result> {
    gen_server::start_options o;
    if (!extra.empty() && extra[0].is_atom()) o.name = extra[0].atom_value();
    return gen_server::start(self, std::make_shared<worker_server>(), o);
  };
  auto sup = supervisor::start(me, {.strategy = supervisor::strategy::simple_one_for_one}, {tmpl},
                               {.name = atom("sup_f")});
  ASSERT_TRUE(sup.ok()) << to_string(sup.value);
  std::string s = "{sup_f, " + node() + "}";
  EXPECT_EQ(erl_eval("element(1, supervisor:start_child(" + s + ", [dyn_one]))."), "ok");
  EXPECT_EQ(erl_eval("{ok, DynF} = supervisor:start_child(" + s + ", [dyn_two]), ok."), "ok");
  EXPECT_EQ(erl_eval("gen_server:call({dyn_one, " + node() + "}, ping)."), "pong");
  EXPECT_EQ(erl_eval("supervisor:count_children(" + s + ")."),
            "[{specs,1},{active,2},{supervisors,0},{workers,2}]");
  EXPECT_EQ(erl_eval("supervisor:terminate_child(" + s + ", DynF)."), "ok");
  EXPECT_EQ(erl_eval("length(supervisor:which_children(" + s + "))."), "1");
  gen_server::stop(me, atom("sup_f"));
}

}  // namespace

namespace {

// The "=SUPERVISOR REPORT" blocks of a node's output that name `sup`, with the time stamps and
// pids (which differ from node to node) blanked.
std::vector<std::string> supervisor_reports(const std::string& output, const std::string& sup) {
  std::vector<std::string> blocks;
  for (std::size_t at = output.find("=SUPERVISOR REPORT"); at != std::string::npos;
       at = output.find("=SUPERVISOR REPORT", at + 1)) {
    std::size_t end = output.find("\n\n", at);
    std::string block = output.substr(at, end == std::string::npos ? std::string::npos : end + 2 - at);
    if (block.find(sup) == std::string::npos) continue;
    block = std::regex_replace(block, std::regex("==== [^=]* ==="), "==== T ===");
    block = std::regex_replace(block, std::regex("<[0-9]+\\.[0-9]+\\.[0-9]+>"), "<P>");
    blocks.push_back(block);
  }
  return blocks;
}

using namespace otpp;

TEST_F(supervisors, a_cpp_supervisors_reports_read_as_erls_supervisor_reports) {
  // erl's own supervisor with a child that exits with what it is sent, crashed past its
  // intensity: two child_terminated reports and the shutdown one.
  erl_eval(R"(Forms = [begin {ok, T, _} = erl_scan:string(S), {ok, F} = erl_parse:parse_form(T), F end || S <- ["-module(otpp_rsup).", "-export([init/1, start_child/0]).", "init(Spec) -> {ok, Spec}.", "start_child() -> {ok, spawn_link(fun() -> receive R -> exit(R) end end)}."]], {ok, otpp_rsup, Bin} = compile:forms(Forms), {module, otpp_rsup} = code:load_binary(otpp_rsup, "otpp_rsup.erl", Bin), ok.)");
  erl_eval("{ok, RS} = supervisor:start_link({local, rep_sup}, otpp_rsup, {#{intensity => 1, period => 10}, "
           "[#{id => w, start => {otpp_rsup, start_child, []}}]}), unlink(RS), MR = monitor(process, RS), ok.");
  erl_eval("[{w, RW1, _, _}] = supervisor:which_children(rep_sup), RW1 ! boom, ok.");
  ASSERT_TRUE(erl->wait_for_output("errorContext: child_terminated", 5s)) << erl->process().output();
  erl_eval("[{w, RW2, _, _}] = supervisor:which_children(rep_sup), RW2 ! {bang, [1, 2, 3]}, ok.");
  EXPECT_EQ(erl_eval("receive {'DOWN', MR, _, _, Why} -> Why after 5000 -> no_down end."), "shutdown");
  ASSERT_TRUE(erl->wait_for_output("reached_max_restart_intensity", 5s)) << erl->process().output();

  // The same supervisor in C++.
  scoped_process me(cpp->rt());
  supervisor::child_spec spec;
  spec.id = atom("w");
  spec.start_mfa = tuple_of(atom("otpp_rsup"), atom("start_child"), term::list({}));
  spec.modules = list_of(atom("otpp_rsup"));
  spec.start = [](process& self, std::vector<term>) -> task<gen_server::start_result> {
    pid p = self.spawn_link([](process& child) -> process_task {
      term why = co_await child.receive();
      child.exit(why);
    });
    co_return gen_server::start_result{p, tuple_of(atoms::ok, p)};
  };
  auto sup = supervisor::start(me, {.strategy = supervisor::strategy::one_for_one, .intensity = 1, .period = 10s},
                               {spec}, {.name = atom("rep_sup"), .link = false});
  ASSERT_TRUE(sup.ok()) << to_string(sup.value);
  auto mon = me.monitor(*sup.pid);
  auto child_pid = [&] {
    term kids = gen_server::call(me, atom("rep_sup"), atom("which_children"));
    return kids.list_elements()[0][1].pid_value();
  };
  me.send(child_pid(), atom("boom"));
  ASSERT_TRUE(eventually([&] { return supervisor_reports(out->text(), "rep_sup").size() == 1; })) << out->text();
  me.send(child_pid(), tuple_of(atom("bang"), list_of(term(1), term(2), term(3))));
  auto reason = me.receive(on(atoms::DOWN, mon, ignore, ignore, _) >> [](term r) { return r; },
                           after(5s, [] { return term(); }));
  EXPECT_EQ(reason, term(atoms::shutdown));
  ASSERT_TRUE(eventually([&] { return supervisor_reports(out->text(), "rep_sup").size() == 3; })) << out->text();

  auto theirs = supervisor_reports(erl->process().output(), "rep_sup");
  auto ours = supervisor_reports(out->text(), "rep_sup");
  ASSERT_EQ(theirs.size(), 3u) << erl->process().output();
  EXPECT_EQ(ours, theirs);
}

TEST_F(supervisors, elixirs_dynamic_supervisor_calls_start_list_count_and_terminate_children_of_a_cpp_one) {
  scoped_process me(cpp->rt());
  auto sup = supervisor::start_dynamic(me, {.max_children = 2}, {.name = atom("dyn_sup")});
  ASSERT_TRUE(sup.ok()) << to_string(sup.value);
  const std::string s = "{:dyn_sup, :\"" + cpp_name + "\"}";
  EXPECT_EQ(iex_eval("{:ok, p1} = DynamicSupervisor.start_child(" + s +
                     ", %{id: :one, start: {:cpp_worker, :start_link, []}}); GenServer.call(p1, :ping)"),
            ":pong");
  // A C++ spec on the running supervisor.
  term second = supervisor::start_child(me, atom("dyn_sup"), named_worker("two", atom("dyn_second")));
  ASSERT_TRUE(second.is_tagged_tuple(atoms::ok, 2)) << to_string(second);
  EXPECT_EQ(iex_eval("DynamicSupervisor.start_child(" + s + ", %{id: :three, start: {:cpp_worker, :start_link, []}})"),
            "{:error, :max_children}");
  EXPECT_EQ(iex_eval("DynamicSupervisor.count_children(" + s + ")"),
            "%{active: 2, specs: 2, supervisors: 0, workers: 2}");
  EXPECT_EQ(iex_eval("DynamicSupervisor.which_children(" + s +
                     ") |> Enum.map(fn {id, p, t, m} -> {id, is_pid(p), t, m} end) |> Enum.sort()"),
            "[{:undefined, true, :worker, []}, {:undefined, true, :worker, [:cpp_worker]}]");
  EXPECT_EQ(iex_eval("DynamicSupervisor.terminate_child(" + s + ", p1)"), ":ok");
  EXPECT_EQ(iex_eval("DynamicSupervisor.terminate_child(" + s + ", p1)"), "{:error, :not_found}");
  EXPECT_EQ(iex_eval("DynamicSupervisor.count_children(" + s + ")"),
            "%{active: 1, specs: 1, supervisors: 0, workers: 1}");
  // A permanent child that crashes is restarted; the C++ spec's name comes back.
  auto first = whereis("dyn_second");
  ASSERT_TRUE(first);
  gen_server::cast(me, atom("dyn_second"), a_crash);
  EXPECT_TRUE(eventually([&] {
    auto again = whereis("dyn_second");
    return again && *again != *first;
  }));
  gen_server::stop(me, atom("dyn_sup"));
  EXPECT_FALSE(whereis("dyn_second"));
}

TEST_F(supervisors, a_dynamic_supervisor_prepends_its_extra_arguments_and_takes_cpp_specs_while_running) {
  scoped_process me(cpp->rt());
  auto sup = supervisor::start_dynamic(me, {.extra_arguments = {atom("dyn_extra")}}, {.name = atom("dyn_sup_x")});
  ASSERT_TRUE(sup.ok()) << to_string(sup.value);
  const std::string s = "{:dyn_sup_x, :\"" + cpp_name + "\"}";
  EXPECT_EQ(iex_eval("{:ok, _} = DynamicSupervisor.start_child(" + s +
                     ", %{id: :x, start: {:cpp_worker, :start_named, []}, restart: :temporary}); "
                     "GenServer.call({:dyn_extra, :\"" + cpp_name + "\"}, :ping)"),
            ":pong");
  // The C++ start function is handed the extra arguments too.
  supervisor::child_spec spec;
  spec.id = atom("y");
  std::vector<term> seen;
  spec.start = [&seen](process& self, std::vector<term> extra) -> task<gen_server::start_result> {
    seen = extra;
    return gen_server::start(self, std::make_shared<worker_server>());
  };
  term r = supervisor::start_child(me, atom("dyn_sup_x"), spec);
  EXPECT_TRUE(r.is_tagged_tuple(atoms::ok, 2)) << to_string(r);
  EXPECT_EQ(seen, std::vector<term>{term(atom("dyn_extra"))});
  // A spec cannot go to a supervisor on another node; a missing one exits the caller.
  EXPECT_EQ(supervisor::start_child(me, gen::destination(atom("dyn_sup_x"), atom(iex->node())), spec),
            tuple_of(atoms::error, atom("not_local")));
  gen_server::stop(me, atom("dyn_sup_x"));
  EXPECT_THROW((void)supervisor::start_child(me, atom("no_such_sup"), spec), process_exited);
}

}  // namespace
