// Scenario 220, tasks: Task.async/await for C++ processes (results, timeouts and failures exiting
// as Task.await does), and a failing task on a real iex's Task.Supervisor seen as Elixir sees it.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/task_supervisor.hpp"
#include "otpp/otp/tasks.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;

struct async_tasks : otpp::test::otp_test {
  std::unique_ptr<otp::node> cpp;
  void SetUp() override {
    otp_test::SetUp();
    cpp = start_node("cpp", std::make_shared<io::string_output_sink>());
    ASSERT_TRUE(cpp);
  }
  void TearDown() override { cpp.reset(); }
};

TEST_F(async_tasks, async_runs_beside_the_caller_and_await_returns_its_result) {
  scoped_process me(cpp->rt());
  auto a = tasks::async(me, [](process&) -> task<term> { co_return term(6 * 7); });
  auto b = tasks::async(me, [](process& self) -> task<term> {
    auto got = co_await self.receive_for(10ms);
    co_return got ? term(atoms::error) : term(atom("waited"));
  });
  EXPECT_EQ(tasks::await(me, b), term(atom("waited")));
  EXPECT_EQ(tasks::await(me, a), term(42));
  EXPECT_EQ(me.message_queue_len(), 0u);  // the monitors' DOWNs are flushed
}

TEST_F(async_tasks, await_past_its_timeout_exits_as_task_await_does) {
  scoped_process me(cpp->rt());
  auto t = tasks::async(me, [](process& self) -> task<term> {
    co_await self.receive(on(atom("never")) >> [] {});
    co_return atoms::ok;
  });
  try {
    (void)tasks::await(me, t, 20ms);
    FAIL() << "await returned";
  } catch (const process_exited& e) {
    EXPECT_EQ(to_string(e.reason()), "{timeout,{'Elixir.Task',await,[" + to_string(t.to_term()) + ",20]}}");
  }
}

TEST_F(async_tasks, a_failing_task_takes_its_reason_to_a_trapping_owners_await) {
  scoped_process me(cpp->rt());
  me.trap_exit(true);
  auto t = tasks::async(me, [](process&) -> task<term> { throw exit_exception(atom("bad_input")); });
  try {
    (void)tasks::await(me, t);
    FAIL() << "await returned";
  } catch (const process_exited& e) {
    EXPECT_EQ(to_string(e.reason()[0]), "bad_input");
  }
}

TEST_F(async_tasks, a_task_raising_on_an_iex_task_supervisor_fails_as_in_elixir) {
  auto iex = start_iex("kate");
  ASSERT_TRUE(iex->ready());
  ASSERT_TRUE(iex->eval("{:ok, _} = Task.Supervisor.start_link(name: Chat.TaskSupervisor)"));
  scoped_process me(cpp->rt());
  me.trap_exit(true);  // the task is linked to us, as Task.Supervisor.async links it
  auto r = task_supervisor::async_await(me, gen::destination(atom("Elixir.Chat.TaskSupervisor"), atom(iex->node())),
                                        atom("Elixir.String"), atom("to_integer"), {term::binary("x")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(to_string(r.exit_reason[0]), "badarg") << to_string(r.exit_reason);
  auto ok = task_supervisor::async_await(me, gen::destination(atom("Elixir.Chat.TaskSupervisor"), atom(iex->node())),
                                         atom("Elixir.String"), atom("to_integer"), {term::binary("12")});
  ASSERT_TRUE(ok.ok()) << to_string(ok.exit_reason);
  EXPECT_EQ(*ok.reply, term(12));
}

}  // namespace
