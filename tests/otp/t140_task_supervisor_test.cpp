// Scenario 140, the lesson's supervised remote work: Task.Supervisor.async({Chat.TaskSupervisor,
// Node}, Chat, :receive_message, [Msg]) |> Task.await() from a real iex against an otpp node,
// from otpp against Elixir's own Task.Supervisor, and moebi's "chicken?" round trip.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/task_supervisor.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

const atom Chat("Elixir.Chat");
const atom ChatSup("Elixir.Chat.TaskSupervisor");

// Chat.receive_message(msg): prints the message on this node (the task's group leader is here).
task<term> receive_message(process& self, term msg) {
  auto text = io::characters_to_utf8(msg, io::encoding::unicode);
  co_return co_await io::put_chars(self, text.value_or("?") + "\n");
}

// moebi's answer: print the message, then send "chicken?" back through the sender's supervisor.
task<term> receive_message_for_moebi(process& self, term msg, term from) {
  (void)co_await receive_message(self, msg);
  std::vector<term> args{term::binary("chicken?")};
  gen::call_result r =
      co_await task_supervisor::async_await(self, gen::destination(ChatSup, from.atom_value()),
                                            Chat, atom("receive_message"), std::move(args));
  if (!r.ok()) throw exit_exception(r.exit_reason);
  co_return *r.reply;
}

struct task_supervisors : otpp::test::otp_test {
  std::shared_ptr<io::string_output_sink> kate_out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> kate;
  std::string kate_name;

  void SetUp() override {
    otp_test::SetUp();
    kate = start_node("kate", kate_out, [](otp::node_options& o) {
      o.services.task_supervisors = {"Elixir.Chat.TaskSupervisor"};
    });
    ASSERT_TRUE(kate);
    kate->exports().add_elixir("Chat", "receive_message", receive_message);
    kate->exports().add_elixir("Chat", "receive_message_for_moebi", receive_message_for_moebi);
    kate_name = std::string(kate->name().name());
  }
  void TearDown() override { kate.reset(); }

  // The lesson's Chat module and its task supervisor, in a real iex.
  std::unique_ptr<otpp::test::iex_peer> start_chat_iex() {
    auto iex = start_iex("alex");
    EXPECT_TRUE(
        iex->eval("defmodule Chat do; def receive_message(message), do: IO.puts(message); "
                  "def send_message(recipient, message) do; "
                  "Task.Supervisor.async({Chat.TaskSupervisor, recipient}, Chat, :receive_message, "
                  "[message]) |> Task.await(); end; "
                  "def send_message_to_moebi(recipient, message) do; "
                  "Task.Supervisor.async({Chat.TaskSupervisor, recipient}, Chat, "
                  ":receive_message_for_moebi, [message, node()]) "
                  "|> Task.await(); end; end"));
    EXPECT_TRUE(iex->eval("{:ok, _} = Task.Supervisor.start_link(name: Chat.TaskSupervisor)"));
    return iex;
  }
};

TEST_F(task_supervisors, iex_runs_supervised_work_on_otpp_and_the_output_prints_on_otpp) {
  auto iex = start_chat_iex();
  auto out = iex->eval("Chat.send_message(:\"" + kate_name + "\", \"hi kate\")");
  ASSERT_TRUE(out) << iex->process().output();
  EXPECT_NE(out->find(":ok"), std::string::npos) << *out;
  EXPECT_EQ(out->find("hi kate"), std::string::npos) << *out;
  EXPECT_EQ(kate_out->text(), "hi kate\n");
}

TEST_F(task_supervisors, otpp_runs_supervised_work_on_an_elixir_task_supervisor) {
  auto iex = start_chat_iex();
  scoped_process me(kate->rt());
  auto r = task_supervisor::async_await(me, gen::destination(ChatSup, atom(iex->node())), Chat,
                                        atom("receive_message"), {term::binary("chicken?")});
  ASSERT_TRUE(r.ok()) << to_string(r.exit_reason);
  EXPECT_EQ(to_string(*r.reply), "ok");
  EXPECT_TRUE(eventually([&] {
    return iex->pending_output().find("chicken?") != std::string::npos;
  })) << iex->process().output();
  EXPECT_EQ(kate_out->text(), "");
}

TEST_F(task_supervisors, moebi_answers_chicken_through_the_senders_supervisor) {
  auto iex = start_chat_iex();
  auto out = iex->eval("Chat.send_message_to_moebi(:\"" + kate_name + "\", \"hi moebi\")");
  ASSERT_TRUE(out) << iex->process().output();
  EXPECT_NE(out->find("chicken?"), std::string::npos) << *out;
  EXPECT_EQ(kate_out->text(), "hi moebi\n");
}

TEST_F(task_supervisors, two_otpp_nodes_use_each_others_task_supervisor) {
  auto alex_out = std::make_shared<io::string_output_sink>();
  auto alex = start_node("alex", alex_out);
  ASSERT_TRUE(alex);
  scoped_process me(alex->rt());
  auto r = task_supervisor::async_await(me, gen::destination(ChatSup, kate->name()), Chat,
                                        atom("receive_message"), {term::string("from alex")});
  ASSERT_TRUE(r.ok()) << to_string(r.exit_reason);
  EXPECT_EQ(kate_out->text(), "from alex\n");
  // The task is linked to its caller (as Task.Supervisor.async links): trap its crash.
  me.trap_exit(true);
  auto missing = task_supervisor::async_await(me, gen::destination(ChatSup, kate->name()), Chat,
                                              atom("nosuch"), {});
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(to_string(missing.exit_reason), "{undef,[{'Elixir.Chat',nosuch,[],[]}]}");
}

}  // namespace
