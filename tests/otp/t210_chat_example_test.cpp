// Scenario 210, examples/chat against a real iex: otpp alex and moebi with an iex kate running
// the lesson's Chat module; moebi answers "chicken?" through the sender's supervisor.
#include <gtest/gtest.h>
#include <unistd.h>

#include "otp_fixture.hpp"

namespace {

using namespace otpp;
using namespace otpp::test;
using namespace std::chrono_literals;

std::string bin(const std::string& name) { return std::string(OTPP_BIN_DIR) + "/" + name; }

struct chat_example : otp_test {
  std::unique_ptr<child_process> start_chat(const std::string& who, const std::string& name) {
    auto c = std::make_unique<child_process>(child_process::options{
        {bin("chat_" + who), "--sname", name, "--cookie", cookie},
        {{"ERL_EPMD_PORT", std::to_string(epmd_port())}},
        true});
    EXPECT_TRUE(c->wait_for(name + " ready", 20s)) << c->output();
    return c;
  }
};

TEST_F(chat_example, otpp_alex_and_moebi_chat_with_an_iex_kate_and_moebi_answers_chicken) {
  for (const char* b : {"chat_alex", "chat_moebi"})
    ASSERT_EQ(::access(bin(b).c_str(), X_OK), 0) << "build " << b << " first";
  std::string alex_name = unique_name("alex") + "@localhost";
  std::string moebi_name = unique_name("moebi") + "@localhost";
  auto alex = start_chat("alex", alex_name);
  auto moebi = start_chat("moebi", moebi_name);
  auto kate = start_iex("kate");
  ASSERT_TRUE(kate->ready());
  ASSERT_TRUE(kate->eval(
      "defmodule Chat do; def receive_message(message), do: IO.puts(message); "
      "def send_message(recipient, message) do; "
      "Task.Supervisor.async({Chat.TaskSupervisor, recipient}, Chat, :receive_message, [message]) "
      "|> Task.await(); end; end"));
  ASSERT_TRUE(kate->eval("{:ok, _} = Task.Supervisor.start_link(name: Chat.TaskSupervisor)"));

  // alex -> kate: the line prints on kate, alex gets :ok.
  ASSERT_TRUE(alex->write_stdin(kate->node() + " hi kate\n"));
  EXPECT_TRUE(eventually([&] { return kate->pending_output().find("hi kate") != std::string::npos; }))
      << kate->pending_output();
  EXPECT_TRUE(alex->wait_for(":ok\n", 10s)) << alex->output();

  // kate -> alex: prints on alex.
  auto sent = kate->eval("Chat.send_message(:\"" + alex_name + "\", \"hi alex\")");
  ASSERT_TRUE(sent);
  EXPECT_NE(sent->find(":ok"), std::string::npos) << *sent;
  EXPECT_TRUE(alex->wait_for("hi alex\n", 10s)) << alex->output();

  // alex -> moebi: prints on moebi, and moebi's "chicken?" prints on alex.
  ASSERT_TRUE(alex->write_stdin(moebi_name + " hi moebi\n"));
  EXPECT_TRUE(moebi->wait_for("hi moebi\n", 10s)) << moebi->output();
  EXPECT_TRUE(alex->wait_for("chicken?\n", 10s)) << alex->output();
  alex->close_stdin();
  moebi->close_stdin();
  EXPECT_TRUE(eventually([&] { return !alex->running() && !moebi->running(); }, 10s));
}

}  // namespace
