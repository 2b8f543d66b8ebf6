// Monitors: DOWN messages, noproc, demonitor, monitoring by name.
#include <gtest/gtest.h>

#include "runtime_test_util.hpp"

namespace otpp::test {
namespace {

std::string down(const reference& ref, const term& who, const std::string& reason) {
  return "{'DOWN'," + str(term(ref)) + ",process," + str(who) + "," + reason + "}";
}

TEST(monitors, a_monitored_process_that_ends_sends_DOWN_with_its_reason) {
  det d;
  pid p = d.me.spawn(idle);
  reference ref = d.me.monitor(p);
  d.me.send(p, tuple_of(atoms::exit, atom("boom")));
  EXPECT_EQ(str(d.me.receive_for(1s)), down(ref, p, "boom"));
}

TEST(monitors, a_normal_exit_is_reported_as_normal) {
  det d;
  pid p = d.me.spawn(idle);
  reference ref = d.me.monitor(p);
  d.me.send(p, stop);
  EXPECT_EQ(str(d.me.receive_for(1s)), down(ref, p, "normal"));
}

TEST(monitors, monitoring_a_dead_process_gives_DOWN_noproc) {
  det d;
  pid p = d.me.spawn(idle);
  d.me.send(p, stop);
  d.rt.run();
  reference ref = d.me.monitor(p);
  EXPECT_EQ(str(d.me.receive_for(1s)), down(ref, p, "noproc"));
}

TEST(monitors, a_monitor_does_not_kill_the_watcher) {
  det d;
  pid p = d.me.spawn(idle);
  (void)d.me.monitor(p);
  d.me.send(p, tuple_of(atoms::exit, atom("boom")));
  (void)d.me.receive_for(1s);
  EXPECT_TRUE(d.me.alive());
}

TEST(monitors, each_monitor_gets_its_own_DOWN) {
  det d;
  pid p = d.me.spawn(idle);
  reference r1 = d.me.monitor(p);
  reference r2 = d.me.monitor(p);
  EXPECT_NE(r1, r2);
  d.me.send(p, stop);
  // Both arrive, in no particular order (as in Erlang).
  std::string a = str(d.me.receive_for(1s)), b = str(d.me.receive_for(1s));
  EXPECT_TRUE((a == down(r1, p, "normal") && b == down(r2, p, "normal")) ||
              (a == down(r2, p, "normal") && b == down(r1, p, "normal")))
      << a << " " << b;
}

TEST(monitors, after_demonitor_no_DOWN_arrives) {
  det d;
  pid p = d.me.spawn(idle);
  reference ref = d.me.monitor(p);
  EXPECT_TRUE(d.me.demonitor(ref));
  d.me.send(p, stop);
  d.rt.run();
  EXPECT_EQ(d.me.receive_for(100ms), std::nullopt);
  EXPECT_FALSE(d.me.demonitor(ref));
}

TEST(monitors, demonitor_with_flush_removes_a_DOWN_already_queued) {
  det d;
  pid p = d.me.spawn(idle);
  reference ref = d.me.monitor(p);
  d.me.send(p, stop);
  d.rt.run();
  d.me.send(d.me.self(), hello);
  (void)d.me.demonitor(ref, true);
  auto rest = d.me.flush();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(str(rest[0]), "hello");
}

TEST(monitors, the_target_lists_its_watchers_and_forgets_them_on_demonitor) {
  det d;
  pid p = d.me.spawn(idle);
  reference ref = d.me.monitor(p);
  auto info = d.me.info(p);
  ASSERT_TRUE(info);
  ASSERT_EQ(info->monitored_by.size(), 1u);
  EXPECT_EQ(info->monitored_by[0], d.me.self());
  EXPECT_EQ(d.me.info(d.me.self())->monitors.size(), 1u);
  (void)d.me.demonitor(ref);
  EXPECT_TRUE(d.me.info(p)->monitored_by.empty());
}

TEST(monitors, monitoring_a_registered_name_shows_name_and_node_in_DOWN) {
  det d;
  pid p = d.me.spawn(idle);
  ASSERT_TRUE(d.rt.register_name(atom("server"), p));
  reference ref = d.me.monitor(atom("server"));
  d.me.send(p, stop);
  EXPECT_EQ(str(d.me.receive_for(1s)), down(ref, tuple_of(atom("server"), atoms::nonode_nohost), "normal"));
}

TEST(monitors, monitoring_an_unregistered_name_gives_DOWN_noproc) {
  det d;
  reference ref = d.me.monitor(atom("nobody"));
  EXPECT_EQ(str(d.me.receive_for(1s)), down(ref, tuple_of(atom("nobody"), atoms::nonode_nohost), "noproc"));
}

TEST(monitors, spawn_monitor_returns_pid_and_reference_and_DOWN_follows) {
  det d;
  auto [p, ref] = d.me.spawn_monitor(exit_with, term(atom("done_here")));
  EXPECT_EQ(str(d.me.receive_for(1s)), down(ref, p, "done_here"));
}

TEST(monitors, a_killed_process_is_reported_as_killed) {
  det d;
  pid p = d.me.spawn(idle);
  reference ref = d.me.monitor(p);
  d.me.exit(p, atoms::kill);
  EXPECT_EQ(str(d.me.receive_for(1s)), down(ref, p, "killed"));
}

TEST(monitors, a_watcher_that_dies_removes_its_monitor_from_the_target) {
  det d;
  pid target = d.me.spawn(idle);
  pid watcher = d.me.spawn([](process& self, pid t) -> process_task {
    (void)self.monitor(t);
    co_await self.receive(on(stop) >> [] {});
  }, target);
  d.rt.run();
  EXPECT_EQ(d.me.info(target)->monitored_by.size(), 1u);
  d.me.send(watcher, stop);
  d.rt.run();
  EXPECT_TRUE(d.me.info(target)->monitored_by.empty());
}

}  // namespace
}  // namespace otpp::test
