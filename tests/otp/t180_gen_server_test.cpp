// Scenario 180, gen_server: a C++ server started, called, cast to and stopped from C++, called
// and inspected with :sys from a real iex, and a C++ call into an Elixir GenServer on that iex.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/gen_server.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

const atom a_get("get");
const atom a_add("add");
const atom a_later("later");
const atom a_answer("answer");
const atom a_sleep("sleep");
const atom a_crash("crash");
const atom a_stop("stop");

// The counter every test serves: `get`, `{add, N}` (call and cast), `later` answered through
// `from` by a message to itself, `sleep` never answered, `crash` throws.
struct counter : gen_server::server {
  std::int64_t n = 0;
  std::shared_ptr<std::atomic<int>> terminated = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<term> terminate_reason = std::make_shared<term>();

  task<action> handle_call(process& self, term req, gen::from from) override {
    if (req.is_atom(a_get)) co_return reply(n);
    if (req.is_tagged_tuple(a_add, 2)) {
      n += req[1].to_int64().value_or(0);
      co_return reply(n);
    }
    if (req.is_atom(a_later)) {
      self.send(self.self(), tuple_of(a_answer, from.to_term()));
      co_return noreply();
    }
    if (req.is_atom(a_sleep)) co_return noreply();
    if (req.is_atom(a_crash)) throw error_exception(atom("boom"));
    if (req.is_atom(a_stop)) co_return stop(atoms::normal, atoms::ok);
    co_return reply(tuple_of(atoms::error, req));
  }
  task<action> handle_cast(process&, term req) override {
    if (req.is_tagged_tuple(a_add, 2)) n += req[1].to_int64().value_or(0);
    co_return noreply();
  }
  task<action> handle_info(process& self, term msg) override {
    if (msg.is_tagged_tuple(a_answer, 2))
      gen_server::reply(self, gen::from{msg[1][0].pid_value(), msg[1][1]}, atom("done_later"));
    co_return noreply();
  }
  task<> terminate(process&, term reason) override {
    *terminate_reason = reason;
    ++*terminated;
    co_return;
  }
  term state() const override { return n; }
  bool replace_state(const term& s) override {
    if (!s.is_small_integer()) return false;
    n = s.to_int64().value_or(0);
    return true;
  }
};

// Fails its init as asked.
struct failing_init : gen_server::server {
  term how;
  explicit failing_init(term h) : how(std::move(h)) {}
  task<gen_server::init_result> init(process&) override {
    if (how.is_atom(atom("ignore"))) co_return init_ignore();
    if (how.is_atom(a_crash)) throw exit_exception(atom("init_crashed"));
    co_return init_stop(how);
  }
};

class gen_servers : public ::testing::Test {
 protected:
  static inline std::unique_ptr<dist::epmd_server> epmd;
  static inline std::unique_ptr<otp::node> cpp;
  static inline std::unique_ptr<otpp::test::iex_peer> iex;
  static inline std::string cpp_name;

  static void SetUpTestSuite() {
    epmd = otpp::test::start_private_epmd();
    ASSERT_TRUE(epmd);
    cpp = otpp::test::start_test_node("cpp", epmd->port(), std::make_shared<io::string_output_sink>());
    ASSERT_TRUE(cpp);
    cpp_name = std::string(cpp->name().name());
    iex = std::make_unique<otpp::test::iex_peer>(otpp::test::unique_name("iex"), epmd->port(),
                                                 otpp::test::test_cookie);
    ASSERT_TRUE(iex->ready()) << iex->process().output();
  }
  static void TearDownTestSuite() {
    iex.reset();
    cpp.reset();
    epmd.reset();
  }
  void SetUp() override {
    if (!cpp || !iex || !iex->ready()) GTEST_SKIP() << "the suite's nodes did not start";
  }

  std::string iex_eval(const std::string& line) {
    auto out = iex->eval(line);
    EXPECT_TRUE(out) << iex->process().output();
    return out.value_or("");
  }
  std::string cpp_node() const { return ":\"" + cpp_name + "\""; }
};

TEST_F(gen_servers, a_started_server_answers_calls_and_casts_in_order) {
  scoped_process me(cpp->rt());
  auto started = gen_server::start(me, std::make_shared<counter>());
  ASSERT_TRUE(started.ok()) << to_string(started.value);
  EXPECT_EQ(gen_server::call(me, *started.pid, a_get), term(0));
  gen_server::cast(me, *started.pid, tuple_of(a_add, 5));
  EXPECT_EQ(gen_server::call(me, *started.pid, tuple_of(a_add, 2)), term(7));
  EXPECT_EQ(gen_server::call(me, *started.pid, a_later), term(atom("done_later")));
  gen_server::stop(me, *started.pid);
  EXPECT_FALSE(me.is_alive(*started.pid));
}

TEST_F(gen_servers, stop_runs_terminate_with_the_reason_and_waits_for_the_end) {
  scoped_process me(cpp->rt());
  auto c = std::make_shared<counter>();
  auto started = gen_server::start(me, c);
  ASSERT_TRUE(started.ok());
  me.trap_exit(true);
  gen_server::stop(me, *started.pid, atoms::shutdown);
  EXPECT_EQ(c->terminated->load(), 1);
  EXPECT_EQ(*c->terminate_reason, term(atoms::shutdown));
  EXPECT_FALSE(me.is_alive(*started.pid));
}

TEST_F(gen_servers, a_call_that_times_out_exits_the_caller_as_gen_server_call_does) {
  scoped_process me(cpp->rt());
  auto started = gen_server::start(me, std::make_shared<counter>(), {.name = atom("slow_counter")});
  ASSERT_TRUE(started.ok());
  me.unlink(*started.pid);
  scoped_process caller(cpp->rt());
  try {
    (void)gen_server::call(caller, atom("slow_counter"), a_sleep, 50ms);
    FAIL() << "the call returned";
  } catch (const process_exited& e) {
    EXPECT_EQ(to_string(e.reason()), "{timeout,{gen_server,call,[slow_counter,sleep,50]}}");
  }
  EXPECT_FALSE(caller.alive());
  gen_server::stop(me, atom("slow_counter"));
}

TEST_F(gen_servers, a_call_to_no_process_exits_with_noproc) {
  scoped_process caller(cpp->rt());
  try {
    (void)gen_server::call(caller, atom("nobody_here"), a_get);
    FAIL() << "the call returned";
  } catch (const process_exited& e) {
    EXPECT_EQ(to_string(e.reason()), "{noproc,{gen_server,call,[nobody_here,get,5000]}}");
  }
}

TEST_F(gen_servers, a_crashing_handler_ends_the_server_and_the_caller_sees_its_reason) {
  scoped_process me(cpp->rt());
  me.trap_exit(true);
  auto c = std::make_shared<counter>();
  auto started = gen_server::start(me, c);
  ASSERT_TRUE(started.ok());
  scoped_process caller(cpp->rt());
  try {
    (void)gen_server::call(caller, *started.pid, a_crash);
    FAIL() << "the call returned";
  } catch (const process_exited& e) {
    EXPECT_EQ(to_string(e.reason()[0]), "{boom,[]}");
  }
  EXPECT_EQ(to_string(*c->terminate_reason), "{boom,[]}");
  auto exit = me.receive(on(atoms::EXIT, *started.pid, _) >> [](term r) { return r; },
                         after(5s, [] { return term(); }));
  EXPECT_EQ(to_string(exit), "{boom,[]}");
}

TEST_F(gen_servers, init_stop_ignore_and_a_taken_name_fail_the_start_as_otp_does) {
  scoped_process me(cpp->rt());
  auto stopped = gen_server::start(me, std::make_shared<failing_init>(atom("no_config")));
  EXPECT_EQ(to_string(stopped.value), "{error,no_config}");
  auto ignored = gen_server::start(me, std::make_shared<failing_init>(atom("ignore")));
  EXPECT_EQ(to_string(ignored.value), "ignore");
  auto crashed = gen_server::start(me, std::make_shared<failing_init>(a_crash));
  EXPECT_EQ(to_string(crashed.value), "{error,init_crashed}");
  EXPECT_TRUE(me.alive());  // the failed server unlinked before it exited

  auto first = gen_server::start(me, std::make_shared<counter>(), {.name = atom("taken")});
  ASSERT_TRUE(first.ok());
  auto second = gen_server::start(me, std::make_shared<counter>(), {.name = atom("taken")});
  EXPECT_EQ(to_string(second.value), "{error,{already_started," + to_string(term(*first.pid)) + "}}");
  gen_server::stop(me, atom("taken"));
}

TEST_F(gen_servers, iex_calls_and_casts_a_registered_cpp_server_by_name_and_node) {
  scoped_process me(cpp->rt());
  auto started = gen_server::start(me, std::make_shared<counter>(), {.name = atom("Elixir.Counter")});
  ASSERT_TRUE(started.ok());
  EXPECT_NE(iex_eval("GenServer.call({Counter, " + cpp_node() + "}, :get)").find("0"), std::string::npos);
  (void)iex_eval("GenServer.cast({Counter, " + cpp_node() + "}, {:add, 3})");
  EXPECT_NE(iex_eval("GenServer.call({Counter, " + cpp_node() + "}, {:add, 4})").find("7"),
            std::string::npos);
  // The caller exits as gen_server:call does (matched in iex: the printed term may wrap).
  auto timeout = iex_eval("r = try do GenServer.call({Counter, " + cpp_node() +
                          "}, :sleep, 100) catch :exit, r -> r end; match?({:timeout, {GenServer, "
                          ":call, [{Counter, " + cpp_node() + "}, :sleep, 100]}}, r)");
  EXPECT_EQ(timeout, "true\n");
  gen_server::stop(me, atom("Elixir.Counter"));
}

TEST_F(gen_servers, sys_from_iex_gets_replaces_and_suspends_the_state_of_a_cpp_server) {
  scoped_process me(cpp->rt());
  auto started = gen_server::start(me, std::make_shared<counter>(), {.name = atom("Elixir.SysCounter")});
  ASSERT_TRUE(started.ok());
  (void)iex_eval("pid = :rpc.call(" + cpp_node() + ", :erlang, :whereis, [SysCounter])");
  EXPECT_NE(iex_eval("GenServer.call(pid, {:add, 41})").find("41"), std::string::npos);
  auto state = iex_eval(":sys.get_state(pid)");
  EXPECT_NE(state.find("41"), std::string::npos) << state;
  cpp->exports().add_elixir("Inc", "next", [](term n) { return term(n.to_int64().value_or(0) + 1); });
  auto replaced = iex_eval(":sys.replace_state(pid, &Inc.next/1)");
  EXPECT_NE(replaced.find("42"), std::string::npos) << replaced;
  EXPECT_EQ(gen_server::call(me, *started.pid, a_get), term(42));
  auto status = iex_eval("{:status, ^pid, {:module, :gen_server}, [_, :running, _, _, misc]} = "
                         ":sys.get_status(pid); inspect(misc)");
  EXPECT_NE(status.find("{'State', 42}"), std::string::npos) << status;

  EXPECT_NE(iex_eval(":sys.suspend(pid)").find(":ok"), std::string::npos);
  auto suspended = iex_eval("try do GenServer.call(pid, :get, 100) catch :exit, _ -> :no_answer end");
  EXPECT_NE(suspended.find(":no_answer"), std::string::npos) << suspended;
  EXPECT_NE(iex_eval(":sys.resume(pid)").find(":ok"), std::string::npos);
  EXPECT_NE(iex_eval("GenServer.call(pid, :get)").find("42"), std::string::npos);
  gen_server::stop(me, atom("Elixir.SysCounter"));
}

TEST_F(gen_servers, a_cpp_call_reaches_an_elixir_genserver_and_times_out_as_gen_server_call) {
  (void)iex_eval(
      "defmodule Stack do; use GenServer; def init(s), do: {:ok, s}; "
      "def handle_call(:pop, _f, [h | t]), do: {:reply, h, t}; "
      "def handle_call(:hang, _f, s), do: {:noreply, s}; "
      "def handle_cast({:push, x}, s), do: {:noreply, [x | s]}; end");
  auto started = iex_eval("GenServer.start(Stack, [:a], name: Stack)");
  ASSERT_NE(started.find(":ok"), std::string::npos) << started;
  atom elixir_node(iex->node());
  scoped_process me(cpp->rt());
  gen_server::destination stack(atom("Elixir.Stack"), elixir_node);
  gen_server::cast(me, stack, tuple_of(atom("push"), atom("b")));
  EXPECT_EQ(gen_server::call(me, stack, atom("pop")), term(atom("b")));
  EXPECT_EQ(gen_server::call(me, stack, atom("pop")), term(atom("a")));
  scoped_process caller(cpp->rt());
  try {
    (void)gen_server::call(caller, stack, atom("hang"), 100ms);
    FAIL() << "the call returned";
  } catch (const process_exited& e) {
    EXPECT_EQ(to_string(e.reason()),
              "{timeout,{gen_server,call,[{'Elixir.Stack'," + iex->node() + "},hang,100]}}");
  }
}

TEST_F(gen_servers, multi_call_and_abcast_reach_the_server_of_that_name_on_every_node) {
  (void)iex_eval(
      "defmodule Echo do; use GenServer; def init(s), do: {:ok, s}; "
      "def handle_call(r, _f, s), do: {:reply, {:echo, r, s}, s}; "
      "def handle_cast({:add, n}, s), do: {:noreply, s + n}; end");
  auto started = iex_eval("GenServer.start(Echo, 0, name: Multi)");
  ASSERT_NE(started.find(":ok"), std::string::npos) << started;
  scoped_process me(cpp->rt());
  auto local = gen_server::start(me, std::make_shared<counter>(), {.name = atom("Elixir.Multi")});
  ASSERT_TRUE(local.ok());
  atom elixir_node(iex->node()), missing("nobody_here@localhost");
  std::vector<atom> nodes{cpp->name(), elixir_node, missing};
  gen_server::abcast(me, nodes, atom("Elixir.Multi"), tuple_of(a_add, 4));
  me.spawn([](process& self, pid owner, std::vector<atom> ns) -> process_task {
    auto r = co_await gen_server::multi_call(self, ns, atom("Elixir.Multi"), a_get, 5000ms);
    self.send(owner, r.to_term());
  }, me.self(), nodes);
  auto got = me.receive_for(10s);
  ASSERT_TRUE(got);
  EXPECT_EQ(to_string(*got), "{[{" + cpp_name + ",4},{" + iex->node() + ",{echo,get,4}}],[nobody_here@localhost]}");
  gen_server::stop(me, atom("Elixir.Multi"));
}

}  // namespace
