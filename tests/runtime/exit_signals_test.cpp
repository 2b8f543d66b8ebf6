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

/// A stand-in io server: answers put_chars and tells `report` what it printed.
process_task fake_io_server(process& self, pid report) {
  for (;;) {
    co_await self.receive(on(atoms::io_request, any_pid, _, _) >> [&](pid from, term reply_as, term req) {
      self.send(report, tuple_of(atom("printed"), req));
      self.send(from, tuple_of(atoms::io_reply, reply_as, atoms::ok));
    });
  }
}

TEST(exit_signals, an_exception_sends_a_crash_report_to_the_group_leader) {
  det d;
  pid io = d.me.spawn(fake_io_server, d.me.self());
  spawn_options o;
  o.group_leader = io;
  d.me.spawn_opt(o, [](process&) -> process_task {
    throw std::runtime_error("kaboom");
    co_return;
  });
  auto m = d.me.receive(on(atom("printed"), tup(atoms::put_chars, atoms::unicode, any_binary)) >>
                            [](term text) { return std::string(text.bytes_as_string()); },
                        after(1s, [] { return std::string("nothing"); }));
  EXPECT_NE(m.find("=ERROR REPORT===="), std::string::npos) << m;
  EXPECT_NE(m.find("Error in process <0."), std::string::npos) << m;
  EXPECT_NE(m.find("{error,<<\"kaboom\">>}"), std::string::npos) << m;
}

process_task exit_when_done(process& self, term reason) {
  self.exit_on_return(reason);
  co_return;
}

TEST(exit_signals, exit_and_exit_on_return_do_not_send_a_crash_report) {
  for (auto body : {exit_with, exit_when_done}) {
    det d;
    pid io = d.me.spawn(fake_io_server, d.me.self());
    spawn_options o;
    o.group_leader = io;
    d.me.spawn_opt(o, body, term(atom("quietly")));
    d.rt.run();
    EXPECT_EQ(d.me.receive_for(100ms), std::nullopt);
  }
}

// ---- exit_on_return ---------------------------------------------------------------------------

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

inline process_task error_with(process& self, term reason) {
  self.error(reason);
  co_return;
}

/// The `{log, Level, Format, Args, Meta}` event the process registered as `logger_proxy`
/// (here: `me`) receives, or nullopt.
std::optional<term> logged(scoped_process& me, std::chrono::milliseconds wait = 1s) {
  return me.receive(on(atom("log"), _, _, _, _) >> [](term l, term f, term a, term m) {
                      return std::optional<term>(term::tuple({atom("log"), l, f, a, m}));
                    },
                    after(wait, [] { return std::optional<term>(); }));
}

TEST(exit_signals, an_error_goes_to_a_local_logger_proxy_as_the_emulators_event) {
  det d;
  ASSERT_TRUE(d.rt.register_name(atom("logger_proxy"), d.me.self()));
  pid io = d.me.spawn(fake_io_server, d.me.self());
  spawn_options o;
  o.group_leader = io;
  pid p = d.me.spawn_opt(o, error_with, term(atom("why"))).pid;
  auto e = logged(d.me);
  ASSERT_TRUE(e);
  // A node that is not alive: no "on node ~p", Args = [Pid, Value].
  EXPECT_EQ(str((*e)[1]), "error");
  EXPECT_EQ(str((*e)[2]), "\"Error in process ~p with exit value:~n~p~n\"");
  // An otpp error reason has no stacktrace; the event carries {Reason, []} as BEAM's does.
  EXPECT_EQ(str((*e)[3]), "[" + str(term(p)) + ",{why,[]}]");
  const term& meta = (*e)[4];
  ASSERT_TRUE(meta.is_map());
  EXPECT_EQ(str(*meta.map_find(term(atom("error_logger")))), "#{emulator => true,tag => error}");
  EXPECT_EQ(str(*meta.map_find(term(atom("gl")))), str(term(io)));
  EXPECT_EQ(str(*meta.map_find(term(atom("pid")))), str(term(p)));
  const term* t = meta.map_find(term(atom("time")));
  ASSERT_TRUE(t && t->is_integer());
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_LT(std::abs(now_us - t->to_int64().value_or(0)), 60'000'000);
  EXPECT_EQ(meta.map_entries().size(), 4u);
  // The event replaces the printed report.
  EXPECT_EQ(d.me.receive_for(100ms), std::nullopt);
}

TEST(exit_signals, an_error_value_that_has_a_stacktrace_is_logged_as_it_is) {
  det d;
  ASSERT_TRUE(d.rt.register_name(atom("logger_proxy"), d.me.self()));
  term undef = tuple_of(atoms::undef, list_of(term::tuple({atom("m"), atom("f"), list_of(1), term()})));
  pid p = d.me.spawn(error_with, undef);
  auto e = logged(d.me);
  ASSERT_TRUE(e);
  EXPECT_EQ(str((*e)[3]), "[" + str(term(p)) + ",{undef,[{m,f,[1],[]}]}]");
}

TEST(exit_signals, a_cpp_exception_is_logged_with_an_empty_stacktrace) {
  det d;
  ASSERT_TRUE(d.rt.register_name(atom("logger_proxy"), d.me.self()));
  pid p = d.me.spawn([](process&) -> process_task {
    throw std::runtime_error("kaboom");
    co_return;
  });
  auto e = logged(d.me);
  ASSERT_TRUE(e);
  EXPECT_EQ(str((*e)[3]), "[" + str(term(p)) + ",{{error,<<\"kaboom\">>},[]}]");
}

TEST(exit_signals, exit_and_exit_signals_are_not_logged) {
  det d;
  ASSERT_TRUE(d.rt.register_name(atom("logger_proxy"), d.me.self()));
  d.me.spawn(exit_with, term(atom("quietly")));
  pid a = d.me.spawn(idle);
  d.me.exit(a, atom("shot"));
  pid b = d.me.spawn(idle);
  d.me.exit(b, atoms::kill);
  // Killed through a link by a process that crashed: only the crashed one is logged.
  pid c = d.me.spawn([](process& self) -> process_task {
    self.spawn_link(idle);
    co_await self.receive(on(stop) >> [] {});
    self.error(atom("first"));
  });
  d.rt.run();
  d.me.send(c, stop);
  auto e = logged(d.me);
  ASSERT_TRUE(e);
  EXPECT_EQ(str((*e)[3]), "[" + str(term(c)) + ",{first,[]}]");
  EXPECT_EQ(logged(d.me, 200ms), std::nullopt);
}

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
