// Registered names, aliases, group leaders, timers and process_info.
#include <gtest/gtest.h>

#include "runtime_test_util.hpp"

namespace otpp::test {
namespace {

TEST(registry, a_registered_name_finds_its_process) {
  det d;
  pid p = d.me.spawn(relay, d.me.self());
  EXPECT_TRUE(d.rt.register_name(atom("echo"), p));
  EXPECT_EQ(d.rt.whereis(atom("echo")), p);
  EXPECT_TRUE(d.me.send(atom("echo"), hello));
  EXPECT_EQ(str(d.me.receive_for(1s)), "{relayed,hello}");
}

TEST(registry, sending_to_an_unregistered_name_reports_failure) {
  det d;
  EXPECT_FALSE(d.me.send(atom("nobody"), hello));
}

TEST(registry, a_name_cannot_be_taken_twice_nor_a_process_named_twice) {
  det d;
  pid a = d.me.spawn(idle);
  pid b = d.me.spawn(idle);
  EXPECT_TRUE(d.rt.register_name(atom("one"), a));
  EXPECT_FALSE(d.rt.register_name(atom("one"), b));
  EXPECT_FALSE(d.rt.register_name(atom("two"), a));
}

TEST(registry, a_dead_process_cannot_be_registered) {
  det d;
  pid a = d.me.spawn(idle);
  d.me.send(a, stop);
  d.rt.run();
  EXPECT_FALSE(d.rt.register_name(atom("late"), a));
}

TEST(registry, the_name_goes_when_the_process_exits) {
  det d;
  pid a = d.me.spawn(idle);
  ASSERT_TRUE(d.rt.register_name(atom("shortlived"), a));
  d.me.send(a, stop);
  d.rt.run();
  EXPECT_EQ(d.rt.whereis(atom("shortlived")), std::nullopt);
  pid b = d.me.spawn(idle);
  EXPECT_TRUE(d.rt.register_name(atom("shortlived"), b));
}

TEST(registry, unregister_frees_the_name) {
  det d;
  pid a = d.me.spawn(idle);
  ASSERT_TRUE(d.rt.register_name(atom("n"), a));
  EXPECT_TRUE(d.rt.unregister_name(atom("n")));
  EXPECT_FALSE(d.rt.unregister_name(atom("n")));
  EXPECT_EQ(d.rt.whereis(atom("n")), std::nullopt);
  EXPECT_TRUE(d.rt.register_name(atom("m"), a));
}

TEST(registry, process_info_shows_the_registered_name) {
  det d;
  ASSERT_TRUE(d.me.register_name(atom("tester")));
  EXPECT_EQ(d.me.info(d.me.self())->registered_name, atom("tester"));
}

TEST(registry, sending_to_name_and_local_node_reaches_the_process) {
  det d;
  pid p = d.me.spawn(relay, d.me.self());
  ASSERT_TRUE(d.rt.register_name(atom("echo"), p));
  d.me.send(atom("echo"), d.rt.node(), hello);
  EXPECT_EQ(str(d.me.receive_for(1s)), "{relayed,hello}");
}

// ---- aliases ----------------------------------------------------------------------------------

TEST(aliases, a_message_to_an_alias_reaches_its_owner) {
  det d;
  reference a = d.me.alias();
  pid p = d.me.spawn([](process& self, reference to) -> process_task {
    self.send(to, hello);
    co_return;
  }, a);
  (void)p;
  EXPECT_EQ(str(d.me.receive_for(1s)), "hello");
}

TEST(aliases, after_unalias_messages_to_the_alias_are_dropped) {
  det d;
  reference a = d.me.alias();
  EXPECT_TRUE(d.me.unalias(a));
  d.me.send(a, hello);
  EXPECT_EQ(d.me.receive_for(100ms), std::nullopt);
}

TEST(aliases, a_message_still_queued_when_its_alias_is_removed_is_dropped) {
  // As erts: the owner checks the alias when it takes the message, so a late gen_server reply
  // sent just before a call gave up never shows up afterwards.
  det d;
  reference a = d.me.alias();
  reference kept = d.me.alias();
  pid p = d.me.spawn([](process& self, reference to, reference other) -> process_task {
    self.send(to, hello);
    self.send(other, 2);
    co_return;
  }, a, kept);
  (void)p;
  while (d.rt.run_once()) {
  }
  EXPECT_TRUE(d.me.unalias(a));
  EXPECT_EQ(str(d.me.receive_for(1s)), "2");
  EXPECT_EQ(d.me.receive_for(10ms), std::nullopt);
}

TEST(aliases, an_exit_signal_through_an_alias_arrives_only_while_the_alias_is_active) {
  // OTP 28's ALTACT_SIG_SEND can carry an exit signal to an alias: it reaches the owner as
  // exit/2 would, and not at all once the alias is gone.
  det d;
  d.me.trap_exit(true);
  reference a = d.me.alias();
  term via(a);
  pid from = d.me.self();
  d.rt.remote().exit_via(from, via, atom("first"));
  auto got = d.me.receive_for(1s);
  ASSERT_TRUE(got);
  EXPECT_EQ(str(got), "{'EXIT'," + str(term(from)) + ",first}");
  EXPECT_TRUE(d.me.unalias(a));
  d.rt.remote().exit_via(from, via, atom("second"));
  EXPECT_EQ(d.me.receive_for(100ms), std::nullopt);
}

TEST(aliases, a_reply_once_alias_takes_one_message) {
  det d;
  reference a = d.me.alias(true);
  d.me.send(a, 1);
  d.me.send(a, 2);
  EXPECT_EQ(str(d.me.receive_for(1s)), "1");
  EXPECT_EQ(d.me.receive_for(100ms), std::nullopt);
}

TEST(aliases, an_alias_dies_with_its_owner) {
  det d;
  reference a;
  {
    scoped_process other(d.rt);
    a = other.alias();
  }
  d.me.send(a, hello);  // nobody; must not crash
  EXPECT_EQ(d.me.receive_for(10ms), std::nullopt);
}

// ---- group leaders ----------------------------------------------------------------------------

TEST(group_leader, a_spawned_process_inherits_its_parents_group_leader) {
  det d;
  pid leader = d.me.spawn(idle);
  d.me.group_leader(leader);
  pid child = d.me.spawn(idle);
  EXPECT_EQ(d.me.info(child)->group_leader, leader);
}

TEST(group_leader, spawn_options_can_name_another_group_leader) {
  det d;
  pid leader = d.me.spawn(idle);
  spawn_options o;
  o.group_leader = leader;
  pid child = d.me.spawn_opt(o, idle).pid;
  EXPECT_EQ(d.me.info(child)->group_leader, leader);
  EXPECT_NE(d.me.group_leader(), leader);
}

TEST(group_leader, the_group_leader_of_another_process_can_be_set) {
  det d;
  pid leader = d.me.spawn(idle);
  pid child = d.me.spawn(idle);
  d.me.group_leader(leader, child);
  EXPECT_EQ(d.me.info(child)->group_leader, leader);
}

TEST(group_leader, processes_spawned_by_the_runtime_get_its_default_group_leader) {
  det d;
  pid leader = d.me.spawn(idle);
  d.rt.set_default_group_leader(leader);
  pid child = d.rt.spawn(idle);
  EXPECT_EQ(d.me.info(child)->group_leader, leader);
  scoped_process other(d.rt);
  EXPECT_EQ(other.group_leader(), leader);
}

// ---- timers -----------------------------------------------------------------------------------

TEST(timers, send_after_delivers_after_the_delay) {
  det d;
  (void)d.me.send_after(100ms, d.me.self(), hello);
  d.rt.advance_time(99ms);
  EXPECT_EQ(d.me.flush().size(), 0u);
  d.rt.advance_time(1ms);
  EXPECT_EQ(str(d.me.receive_for(0ms)), "hello");
}

TEST(timers, a_cancelled_timer_does_not_fire_and_reports_time_left) {
  det d;
  reference t = d.me.send_after(100ms, d.me.self(), hello);
  d.rt.advance_time(30ms);
  auto left = d.me.cancel_timer(t);
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, 70ms);
  d.rt.advance_time(1s);
  EXPECT_EQ(d.me.receive_for(0ms), std::nullopt);
  EXPECT_EQ(d.me.cancel_timer(t), std::nullopt);
}

TEST(timers, start_timer_wraps_the_message_with_the_timer_reference) {
  det d;
  reference t = d.me.start_timer(10ms, d.me.self(), hello);
  d.rt.advance_time(10ms);
  EXPECT_EQ(str(d.me.receive_for(0ms)), "{timeout," + str(term(t)) + ",hello}");
}

TEST(timers, timers_fire_in_deadline_order) {
  det d;
  (void)d.me.send_after(300ms, d.me.self(), 3);
  (void)d.me.send_after(100ms, d.me.self(), 1);
  (void)d.me.send_after(5000ms, d.me.self(), 4);
  (void)d.me.send_after(200ms, d.me.self(), 2);
  d.rt.advance_time(10s);
  auto all = d.me.flush();
  ASSERT_EQ(all.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(all[i].to_int64(), i + 1);
}

TEST(timers, a_long_timer_crosses_the_wheel_levels_exactly) {
  det d;
  (void)d.me.send_after(std::chrono::hours(3) + 7ms, d.me.self(), hello);
  d.rt.advance_time(std::chrono::hours(3) + 6ms);
  EXPECT_EQ(d.me.flush().size(), 0u);
  d.rt.advance_time(1ms);
  EXPECT_EQ(d.me.flush().size(), 1u);
}

TEST(timers, a_timer_to_a_dead_process_is_dropped) {
  det d;
  pid p = d.me.spawn(idle);
  std::size_t before = d.rt.process_count();
  reference t = d.me.send_after(10ms, p, hello);
  d.me.send(p, stop);
  d.rt.run();
  EXPECT_FALSE(d.rt.is_alive(p));
  d.rt.advance_time(20ms);
  d.rt.run();
  // The timer is gone (fired into nothing), the dead pid stays dead, nobody else got hello.
  EXPECT_FALSE(d.me.cancel_timer(t).has_value());
  EXPECT_FALSE(d.rt.is_alive(p));
  EXPECT_EQ(d.rt.process_count(), before - 1);
  EXPECT_EQ(d.me.flush().size(), 0u);
}

TEST(timers, threaded_send_after_arrives_on_the_real_clock) {
  runtime rt(threaded());
  scoped_process me(rt);
  auto t0 = std::chrono::steady_clock::now();
  (void)me.send_after(30ms, me.self(), hello);
  EXPECT_EQ(str(me.receive_for(5s)), "hello");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
}

// ---- process_info -----------------------------------------------------------------------------

TEST(process_info, reports_status_queue_links_monitors_and_memory) {
  det d;
  pid p = d.me.spawn(idle);
  d.rt.run();  // parked in receive: waiting
  d.me.link(p);
  reference ref = d.me.monitor(p);
  (void)ref;
  d.me.send(p, hello);
  d.me.send(p, hello);
  auto info = d.me.info(p);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, atom("waiting"));
  EXPECT_EQ(info->message_queue_len, 2u);
  ASSERT_EQ(info->links.size(), 1u);
  EXPECT_EQ(info->links[0], d.me.self());
  ASSERT_EQ(info->monitored_by.size(), 1u);
  EXPECT_GT(info->memory, 0u);
  EXPECT_LT(info->memory, 4096u);
  EXPECT_FALSE(info->trap_exit);
}

TEST(process_info, a_dead_process_has_no_info) {
  det d;
  pid p = d.me.spawn(idle);
  d.me.send(p, stop);
  d.rt.run();
  EXPECT_EQ(d.me.info(p), std::nullopt);
}

TEST(process_info, the_proplist_reads_back) {
  det d;
  pid p = d.me.spawn(idle);
  auto info = d.me.info(p);
  ASSERT_TRUE(info);
  auto again = process_info::from_term(info->to_term());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, info->status);
  EXPECT_EQ(again->memory, info->memory);
  EXPECT_EQ(again->group_leader, info->group_leader);
}

TEST(process_info, shows_the_initial_call_given_at_spawn_and_the_current_function_a_process_sets) {
  det d;
  spawn_options o;
  o.initial_call = tuple_of(atom("m"), atom("f"), term(2));
  pid p = d.me.spawn_opt(o, [](process& self) -> process_task {
    self.set_current_function(tuple_of(atom("m"), atom("waiting_here"), term(0)));
    co_await self.receive(on(atom("stop")) >> [] {});
  }).pid;
  d.rt.run();
  auto info = d.me.info(p);
  ASSERT_TRUE(info);
  ASSERT_TRUE(info->initial_call);
  EXPECT_EQ(str(*info->initial_call), "{m,f,2}");
  ASSERT_TRUE(info->current_function);
  EXPECT_EQ(str(*info->current_function), "{m,waiting_here,0}");
  auto again = process_info::from_term(info->to_term());
  ASSERT_TRUE(again && again->initial_call && again->current_function);
  EXPECT_EQ(str(*again->current_function), "{m,waiting_here,0}");
  // A process spawned without one says nothing.
  auto plain = d.me.info(d.me.spawn(idle));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->initial_call);
  EXPECT_FALSE(plain->current_function);
  d.me.send(p, stop);
}

TEST(process_info, a_process_can_ask_about_itself_and_others) {
  det d;
  pid p = d.me.spawn([](process& self, pid report) -> process_task {
    auto mine = co_await self.info(self.self());
    self.send(report, mine ? mine->status : atoms::undefined);
  }, d.me.self());
  (void)p;
  EXPECT_EQ(str(d.me.receive_for(1s)), "running");
}

TEST(process_info, is_alive_and_process_count_follow_spawn_and_exit) {
  det d;
  std::size_t before = d.rt.process_count();
  pid p = d.me.spawn(idle);
  EXPECT_TRUE(d.me.is_alive(p));
  EXPECT_EQ(d.rt.process_count(), before + 1);
  d.me.send(p, stop);
  d.rt.run();
  EXPECT_FALSE(d.me.is_alive(p));
  EXPECT_EQ(d.rt.process_count(), before);
}

TEST(process_info, a_recycled_slot_gets_a_new_serial) {
  det d;
  pid p = d.me.spawn(idle);
  d.rt.send(p, stop);
  d.rt.run();
  pid q = d.me.spawn(idle);
  EXPECT_EQ(q.id, p.id);
  EXPECT_NE(q.serial, p.serial);
  EXPECT_FALSE(d.me.is_alive(p));
  d.me.send(p, stop);  // the old pid must not reach the new process
  d.rt.run();
  EXPECT_TRUE(d.me.is_alive(q));
}

}  // namespace
}  // namespace otpp::test
