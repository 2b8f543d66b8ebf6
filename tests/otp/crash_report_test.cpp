// Crash reports as the otp layer makes them (the runtime's crash reporter): the text of an
// error report for a group leader, the emulator's logger event for a logger_proxy, and the
// event sent to the group leader's node when that is another one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "otpp/otp/crash_report.hpp"
#include "runtime/runtime_test_util.hpp"
#include "support/recording_distribution.hpp"

namespace otpp::test {
namespace {

/// A deterministic runtime reporting crashes as an otp node does, and a test process.
struct reporting {
  runtime rt{deterministic()};
  scoped_process me{rt};
  reporting() { rt.set_crash_reporter(otp::report_crash); }
};

const atom near_node{"near@host"};
const atom far_node{"far@host"};
const pid far_pid{far_node, 5, 0, 7};
const pid far_pid2{far_node, 6, 0, 7};

/// A distributed deterministic runtime (near@host) whose distribution records every call.
struct dist_fixture {
  recording_distribution dist;
  runtime rt{options()};
  scoped_process me{rt};
  static runtime_options options() {
    runtime_options o = deterministic();
    o.node = near_node;
    o.creation = 7;
    return o;
  }
  dist_fixture() {
    rt.set_distribution(&dist);
    rt.set_crash_reporter(otp::report_crash);
  }
  ~dist_fixture() { rt.set_distribution(nullptr); }
  std::string s(const pid& p) { return str(term(p)); }
};

/// The `{log, Level, Format, Args, Meta}` event the process registered as `logger_proxy`
/// (here: `me`) receives, or nullopt.
std::optional<term> logged(scoped_process& me, std::chrono::milliseconds wait = 1s) {
  return me.receive(on(atom("log"), _, _, _, _) >> [](term l, term f, term a, term m) {
                      return std::optional<term>(term::tuple({atom("log"), l, f, a, m}));
                    },
                    after(wait, [] { return std::optional<term>(); }));
}

inline process_task error_with(process& self, term reason) {
  self.error(reason);
  co_return;
}

process_task exit_when_done(process& self, term reason) {
  self.exit_on_return(reason);
  co_return;
}

/// A stand-in io server: answers put_chars and tells `report` what it printed.
process_task fake_io_server(process& self, pid report) {
  for (;;) {
    co_await self.receive(on(atoms::io_request, any_pid, _, _) >> [&](pid from, term reply_as, term req) {
      self.send(report, tuple_of(atom("printed"), req));
      self.send(from, tuple_of(atoms::io_reply, reply_as, atoms::ok));
    });
  }
}

TEST(crash_reports, an_exception_sends_a_crash_report_to_the_group_leader) {
  reporting d;
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

TEST(crash_reports, exit_and_exit_on_return_do_not_send_a_crash_report) {
  for (auto body : {exit_with, exit_when_done}) {
    reporting d;
    pid io = d.me.spawn(fake_io_server, d.me.self());
    spawn_options o;
    o.group_leader = io;
    d.me.spawn_opt(o, body, term(atom("quietly")));
    d.rt.run();
    EXPECT_EQ(d.me.receive_for(100ms), std::nullopt);
  }
}

TEST(crash_reports, an_error_goes_to_a_local_logger_proxy_as_the_emulators_event) {
  reporting d;
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

TEST(crash_reports, an_error_value_that_has_a_stacktrace_is_logged_as_it_is) {
  reporting d;
  ASSERT_TRUE(d.rt.register_name(atom("logger_proxy"), d.me.self()));
  term undef = tuple_of(atoms::undef, list_of(term::tuple({atom("m"), atom("f"), list_of(1), term()})));
  pid p = d.me.spawn(error_with, undef);
  auto e = logged(d.me);
  ASSERT_TRUE(e);
  EXPECT_EQ(str((*e)[3]), "[" + str(term(p)) + ",{undef,[{m,f,[1],[]}]}]");
}

TEST(crash_reports, a_cpp_exception_is_logged_with_an_empty_stacktrace) {
  reporting d;
  ASSERT_TRUE(d.rt.register_name(atom("logger_proxy"), d.me.self()));
  pid p = d.me.spawn([](process&) -> process_task {
    throw std::runtime_error("kaboom");
    co_return;
  });
  auto e = logged(d.me);
  ASSERT_TRUE(e);
  EXPECT_EQ(str((*e)[3]), "[" + str(term(p)) + ",{{error,<<\"kaboom\">>},[]}]");
}

TEST(crash_reports, exit_and_exit_signals_are_not_logged) {
  reporting d;
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

// As a BEAM node does (terminate_proc -> the system logger -> logger:log_allowed ->
// logger_proxy:log({remote, Node, Event})): the emulator's event goes to the logger_proxy of
// the group leader's node, not as output to the group leader, before the exit signals.
TEST(crash_reports, a_crash_with_a_remote_group_leader_logs_on_the_group_leaders_node) {
  dist_fixture f;
  // A local logger_proxy does not see it either: the event is for the group leader's node.
  ASSERT_TRUE(f.rt.register_name(atom("logger_proxy"), f.me.self()));
  spawn_options o;
  o.group_leader = far_pid;
  o.link_to = far_pid2;
  pid p = f.me.spawn_opt(o, [](process&) -> process_task {
    throw std::runtime_error("remote boom");
    co_return;
  }).pid;
  f.rt.run();
  auto c = f.dist.take();
  // (link_to: the remote side counts the link as made, no LINK goes out.)
  ASSERT_EQ(c.size(), 2u) << ::testing::PrintToString(c);
  const std::string event_head =
      "send_named " + f.s(p) +
      " {logger_proxy,far@host} {log,error,\"Error in process ~p on node ~p with exit "
      "value:~n~p~n\",[" +
      f.s(p) + ",near@host,{{error,<<\"remote boom\">>},[]}],#{error_logger => #{emulator => "
      "true,tag => error},gl => " +
      f.s(far_pid) + ",pid => " + f.s(p) + ",time => ";
  EXPECT_EQ(c[0].rfind(event_head, 0), 0u) << c[0];
  EXPECT_EQ(c[1], "exit " + f.s(p) + " " + f.s(far_pid2) + " {error,<<\"remote boom\">>}");
  EXPECT_EQ(f.me.receive_for(50ms), std::nullopt);
}

TEST(crash_reports, an_exit_with_a_remote_group_leader_is_not_logged) {
  dist_fixture f;
  spawn_options o;
  o.group_leader = far_pid;
  f.me.spawn_opt(o, exit_with, term(atom("quietly")));
  f.rt.run();
  EXPECT_TRUE(f.dist.take().empty());
}

}  // namespace
}  // namespace otpp::test
