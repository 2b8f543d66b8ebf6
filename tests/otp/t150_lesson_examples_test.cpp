// Scenario 150, the lesson's walkthrough with the example programs (examples/lesson): kate
// and alex as otpp binaries against each other, otpp kate against a real iex alex, and an
// otpp alex against a real iex kate with the lesson's modules.
#include <gtest/gtest.h>
#include <unistd.h>

#include "otp_fixture.hpp"

namespace {

using namespace otpp;
using namespace otpp::test;
using namespace std::chrono_literals;

std::string bin(const std::string& name) { return std::string(OTPP_BIN_DIR) + "/" + name; }

struct lesson_examples : otp_test {
  void SetUp() override {
    otp_test::SetUp();
    for (const char* b : {"lesson_kate", "lesson_alex"})
      ASSERT_EQ(::access(bin(b).c_str(), X_OK), 0)
          << bin(b) << " is missing: build the examples first";
  }

  std::map<std::string, std::string> env() const {
    return {{"ERL_EPMD_PORT", std::to_string(epmd_port())}};
  }

  std::unique_ptr<child_process> start_kate(const std::string& name) {
    auto k = std::make_unique<child_process>(child_process::options{
        {bin("lesson_kate"), "--sname", name, "--cookie", cookie}, env(), true});
    EXPECT_TRUE(k->wait_for(name + " ready", 20s)) << k->output();
    return k;
  }

  // Runs alex against `kate` to the end; its output.
  std::string run_alex(const std::string& kate) {
    child_process a({{bin("lesson_alex"), "--sname", unique_name("alex") + "@localhost", "--cookie",
                      cookie, "--kate", kate},
                     env(),
                     true});
    // alex ends by itself after its last line (the task supervisor's :ok).
    (void)eventually([&] { return !a.running(); }, 30s);
    EXPECT_FALSE(a.running()) << "alex did not finish: " << a.output();
    a.wait_for("\n:ok\n", 2s);
    return a.output();
  }

  static constexpr const char* lesson_modules =
      "defmodule Kate do; def say_name, do: IO.puts(\"Hi, my name is Kate\"); "
      "def reply_sup do; receive do; {:hi, pid} -> send(pid, :sup?); end; end; end; "
      "defmodule Chat do; def receive_message(message), do: IO.puts(message); end";
};

TEST_F(lesson_examples, otpp_alex_and_otpp_kate_replay_the_walkthrough) {
  std::string kate_name = unique_name("kate") + "@localhost";
  auto kate = start_kate(kate_name);
  std::string alex = run_alex(kate_name);
  EXPECT_NE(alex.find("Hi, my name is Kate\n"), std::string::npos) << alex;
  EXPECT_NE(alex.find("\n:sup?\n"), std::string::npos) << alex;
  EXPECT_EQ(alex.find("hi kate"), std::string::npos) << alex;
  ASSERT_TRUE(kate->wait_for("hi kate\n", 10s)) << kate->output();
  EXPECT_EQ(kate->output().find("Hi, my name is Kate"), std::string::npos) << kate->output();
}

TEST_F(lesson_examples, a_real_iex_alex_replays_the_walkthrough_against_otpp_kate) {
  std::string kate_name = unique_name("kate") + "@localhost";
  auto kate = start_kate(kate_name);
  auto iex = start_iex("alex");
  auto spawned = iex->eval("Node.spawn_link(:\"" + kate_name + "\", Kate, :say_name, [])");
  ASSERT_TRUE(spawned);
  EXPECT_TRUE(eventually([&] {
    return (*spawned + iex->pending_output()).find("Hi, my name is Kate") != std::string::npos;
  }));
  ASSERT_TRUE(iex->eval("pid = Node.spawn_link(:\"" + kate_name + "\", Kate, :reply_sup, [])"));
  auto sent = iex->eval("send(pid, {:hi, self()})");
  ASSERT_TRUE(sent);
  EXPECT_NE(sent->find("{:hi, #PID<0."), std::string::npos) << *sent;
  // The reply travels back from kate; flush until it is there.
  std::optional<std::string> flushed;
  (void)eventually([&] {
    flushed = iex->eval("flush()");
    return flushed && flushed->find(":sup?") != std::string::npos;
  });
  ASSERT_TRUE(flushed);
  EXPECT_NE(flushed->find(":sup?\n:ok"), std::string::npos) << *flushed;
  EXPECT_EQ(kate->output().find("Hi, my name is Kate"), std::string::npos) << kate->output();
}

TEST_F(lesson_examples, otpp_alex_replays_the_walkthrough_against_a_real_iex_kate) {
  auto iex = start_iex("kate");
  ASSERT_TRUE(iex->eval(lesson_modules));
  ASSERT_TRUE(iex->eval("{:ok, _} = Task.Supervisor.start_link(name: Chat.TaskSupervisor)"));
  std::string alex = run_alex(iex->node());
  EXPECT_NE(alex.find("Hi, my name is Kate\n"), std::string::npos) << alex;
  EXPECT_NE(alex.find("\n:sup?\n"), std::string::npos) << alex;
  EXPECT_TRUE(eventually([&] {
    return iex->pending_output().find("hi kate") != std::string::npos;
  })) << iex->process().output();
  EXPECT_EQ(iex->process().output().find("Hi, my name is Kate"), std::string::npos);
}

}  // namespace

TEST_F(lesson_examples, alex_without_a_kate_says_so_and_exits_with_failure) {
  std::string missing = unique_name("kate") + "@localhost";  // never started
  child_process a({{bin("lesson_alex"), "--sname", unique_name("alex") + "@localhost", "--cookie",
                    cookie, "--kate", missing},
                   env(),
                   true});
  ASSERT_TRUE(eventually([&] { return !a.running(); }, 20s)) << a.output();
  EXPECT_NE(a.wait(), 0);
  EXPECT_TRUE(a.wait_for("alex: cannot reach " + missing, 2s)) << a.output();
  EXPECT_EQ(a.output().find("terminate called"), std::string::npos) << a.output();
}
