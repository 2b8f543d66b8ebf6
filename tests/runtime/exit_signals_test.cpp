// exit/2 signals (not through links), and how a process's end is reported.
#include <gtest/gtest.h>

#include "runtime_test_util.hpp"

namespace otpp::test {
namespace {

process_task trapper(process& self, pid report) {
  self.trap_exit(true);
  for (;;) {
    term m = co_await self.receive();
    self.send(report, tuple_of(relayed, m));
  }
}

TEST(exit_signals, exit_with_reason_normal_does_not_kill_another_process) {
  det d;
  pid p = d.me.spawn(idle);
  d.me.exit(p, atoms::normal);
  d.rt.run();
  EXPECT_TRUE(d.rt.is_alive(p));
}

TEST(exit_signals, exit_with_another_reason_kills_a_process_not_trapping_exits) {
  det d;
  pid p = d.me.spawn(idle);
  reference ref = d.me.monitor(p);
  d.me.exit(p, atom("go_away"));
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'DOWN'," + str(term(ref)) + ",process," + str(term(p)) + ",go_away}");
}

TEST(exit_signals, a_trapping_process_turns_exit_into_an_EXIT_message) {
  det d;
  pid t = d.me.spawn(trapper, d.me.self());
  d.rt.run();
  d.me.exit(t, atom("go_away"));
  EXPECT_EQ(str(d.me.receive_for(1s)), "{relayed,{'EXIT'," + str(term(d.me.self())) + ",go_away}}");
  EXPECT_TRUE(d.rt.is_alive(t));
}

TEST(exit_signals, a_trapping_process_gets_normal_exit_signals_as_messages) {
  det d;
  pid t = d.me.spawn(trapper, d.me.self());
  d.rt.run();
  d.me.exit(t, atoms::normal);
  EXPECT_EQ(str(d.me.receive_for(1s)), "{relayed,{'EXIT'," + str(term(d.me.self())) + ",normal}}");
}

TEST(exit_signals, kill_cannot_be_trapped_and_the_reason_becomes_killed) {
  det d;
  pid t = d.me.spawn(trapper, d.me.self());
  reference ref = d.me.monitor(t);
  d.rt.run();
  d.me.exit(t, atoms::kill);
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'DOWN'," + str(term(ref)) + ",process," + str(term(t)) + ",killed}");
}

TEST(exit_signals, exit_self_normal_ends_the_caller_with_reason_normal) {
  det d;
  auto [p, ref] = d.me.spawn_monitor([](process& self) -> process_task {
    self.exit(self.self(), atoms::normal);
    co_await self.receive(on(stop) >> [] {});
  });
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'DOWN'," + str(term(ref)) + ",process," + str(term(p)) + ",normal}");
}

TEST(exit_signals, an_exit_signal_to_a_dead_process_is_ignored) {
  det d;
  pid p = d.me.spawn(idle);
  d.me.send(p, stop);
  d.rt.run();
  d.me.exit(p, atom("late"));
  d.rt.run();
  EXPECT_TRUE(d.me.alive());
}

TEST(exit_signals, a_parked_process_is_killed_without_being_resumed) {
  det d;
  int resumed = 0;
  pid p = d.me.spawn([&resumed](process& self) -> process_task {
    co_await self.receive(on(stop) >> [] {});
    ++resumed;
  });
  d.rt.run();
  d.me.exit(p, atoms::kill);
  d.rt.run();
  EXPECT_FALSE(d.rt.is_alive(p));
  EXPECT_EQ(resumed, 0);
}

struct destructor_probe {
  int* count;
  ~destructor_probe() { ++*count; }
};

TEST(exit_signals, a_killed_process_runs_the_destructors_of_its_locals) {
  det d;
  int destroyed = 0;
  pid p = d.me.spawn([&destroyed](process& self) -> process_task {
    destructor_probe probe{&destroyed};
    co_await self.receive(on(stop) >> [] {});
  });
  d.rt.run();
  d.me.exit(p, atoms::kill);
  d.rt.run();
  EXPECT_EQ(destroyed, 1);
}

TEST(exit_signals, signals_from_one_process_arrive_in_order_message_before_exit) {
  det d;
  d.me.trap_exit(true);
  pid p = d.me.spawn([](process& self, pid to) -> process_task {
    self.send(to, hello);
    self.exit(to, atom("bye"));
    co_return;
  }, d.me.self());
  d.rt.run();
  EXPECT_EQ(str(d.me.receive_for(1s)), "hello");
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'EXIT'," + str(term(p)) + ",bye}");
}

// ---- crash reports --------------------------------------------------------------------------





// ---- exit_on_return ---------------------------------------------------------------------------

process_task exit_when_done(process& self, term reason) {
  self.exit_on_return(reason);
  co_return;
}

inline process_task error_with(process& self, term reason) {
  self.error(reason);
  co_return;
}

process_task exit_when_done_after_a_message(process& self, term reason) {
  self.exit_on_return(reason);
  co_await self.receive(on(atom("finish")) >> [] {});
}

TEST(exit_signals, exit_on_return_ends_the_process_with_that_reason_for_monitors_and_links) {
  det d;
  d.me.trap_exit(true);
  spawn_options o;
  o.link = true;
  o.monitor = true;
  auto s = d.me.spawn_opt(o, exit_when_done, term(tuple_of(atom("shutdown"), atom("done"))));
  d.rt.run();
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'EXIT'," + str(term(s.pid)) + ",{shutdown,done}}");
  EXPECT_EQ(str(d.me.receive_for(1s)),
            "{'DOWN'," + str(term(*s.monitor)) + ",process," + str(term(s.pid)) + ",{shutdown,done}}");
}

TEST(exit_signals, a_kill_before_the_function_returns_wins_over_exit_on_return) {
  det d;
  pid p = d.me.spawn(exit_when_done_after_a_message, term(atom("planned")));
  reference ref = d.me.monitor(p);
  d.rt.run();
  d.me.exit(p, atoms::kill);
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'DOWN'," + str(term(ref)) + ",process," + str(term(p)) + ",killed}");
}

TEST(exit_signals, a_process_that_set_exit_on_return_ends_with_it_once_it_returns) {
  det d;
  pid p = d.me.spawn(exit_when_done_after_a_message, term(atom("planned")));
  reference ref = d.me.monitor(p);
  d.rt.run();
  EXPECT_TRUE(d.rt.is_alive(p));
  d.me.send(p, atom("finish"));
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'DOWN'," + str(term(ref)) + ",process," + str(term(p)) + ",planned}");
}

// ---- the emulator's logger event ------------------------------------------------------------







TEST(exit_signals, without_a_logger_proxy_or_group_leader_the_report_goes_to_stderr) {
  det d;
  spawn_options o;
  o.group_leader = pid{};
  testing::internal::CaptureStderr();
  d.me.spawn_opt(o, error_with, term(atom("nobody_listens")));
  d.rt.run();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Error in process <0."), std::string::npos) << err;
  EXPECT_NE(err.find("nobody_listens"), std::string::npos) << err;
}

}  // namespace
}  // namespace otpp::test
