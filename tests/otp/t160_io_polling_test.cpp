// Scenario 160, who drives a node's distribution I/O: idle scheduler workers poll the
// sockets themselves; when the only worker is stuck in a long turn, the engine's I/O thread
// takes over, so the node still answers other nodes, and nothing that arrived meanwhile is lost.
#include <gtest/gtest.h>

#include <atomic>

#include "otp_fixture.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

struct io_polling : otpp::test::otp_test {
  std::unique_ptr<otp::node> kate, alex;

  void SetUp() override {
    otp_test::SetUp();
    // One worker: when it is stuck, no other worker can poll for it.
    kate = start_node("kate", std::make_shared<io::string_output_sink>(),
                      [](otp::node_options& o) { o.runtime.workers = 1; });
    alex = start_node("alex", std::make_shared<io::string_output_sink>());
    ASSERT_TRUE(kate && alex);
  }
  void TearDown() override {
    alex.reset();
    kate.reset();
  }
};

// echo: {From, Msg} -> From ! {echoed, Msg}
process_task echo(process& self) {
  (void)self.register_name(atom("echo"));
  for (;;) {
    co_await self.receive(on(any_pid, _) >> [&](pid from, term m) { self.send(from, tuple_of(atom("echoed"), m)); });
  }
}

TEST_F(io_polling, a_node_whose_only_worker_is_stuck_still_answers_and_keeps_what_arrives) {
  kate->rt().spawn(echo);
  ASSERT_TRUE(eventually([&] { return kate->rt().whereis(atom("echo")).has_value(); }, 5s));

  // A process that holds kate's only worker without ever yielding, until told to stop.
  std::atomic<bool> stuck{false}, release{false};
  kate->rt().spawn([](process&, std::atomic<bool>* stuck, std::atomic<bool>* release) -> process_task {
    stuck->store(true);
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!release->load() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    co_return;
  }, &stuck, &release);
  ASSERT_TRUE(eventually([&] { return stuck.load(); }, 5s));

  // The handshake and net_kernel's answer run in kate's engine, not in a process.
  EXPECT_EQ(alex->engine()->ping(kate->name(), 10s), atoms::pong);
  EXPECT_FALSE(release.load());

  // A message sent now waits in echo's mailbox until the worker is free again.
  scoped_process me(alex->rt());
  me.send(atom("echo"), kate->name(), tuple_of(me.self(), atom("during")));
  EXPECT_EQ(me.receive_for(200ms), std::nullopt);
  release.store(true);
  auto echoed = me.receive_for(10s);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(to_string(*echoed), "{echoed,during}");

  // The worker polls again: calls go on as usual.
  for (int i = 0; i < 100; ++i) {
    std::vector<term> none;
    ASSERT_EQ(rpc::call(me, kate->name(), atom("erlang"), atom("node"), std::move(none), 10s),
              term(kate->name()));
  }
}

TEST_F(io_polling, many_calls_back_to_back_each_get_their_own_answer_in_order) {
  // rpc answers leave after the woken process ran: none is lost or mixed up on the way.
  kate->exports().add("ids", "twice", [](term x) -> term { return term(*x.to_int64() * 2); });
  scoped_process me(alex->rt());
  for (std::int64_t i = 0; i < 2000; ++i) {
    std::vector<term> args{term(i)};
    ASSERT_EQ(rpc::call(me, kate->name(), atom("ids"), atom("twice"), std::move(args), 10s), term(2 * i));
  }
}

}  // namespace
