// Selective receive: order, the save point, timeouts, flush; in a deterministic runtime so
// each interleaving is exact.
#include <gtest/gtest.h>

#include <vector>

#include "runtime_test_util.hpp"

namespace otpp::test {
namespace {

TEST(receive, messages_from_one_sender_arrive_in_the_order_sent) {
  det d;
  for (int i = 0; i < 100; ++i) d.me.send(d.me.self(), i);
  for (int i = 0; i < 100; ++i) {
    auto m = d.me.receive_for(0ms);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->to_int64(), i);
  }
}

TEST(receive, unmatched_messages_stay_queued_in_order_for_a_later_receive) {
  det d;
  d.me.send(d.me.self(), 1);
  d.me.send(d.me.self(), ping);
  d.me.send(d.me.self(), 2);
  bool got = d.me.receive(on(ping) >> [] { return true; }, after(0ms, [] { return false; }));
  EXPECT_TRUE(got);
  auto rest = d.me.flush();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(str(rest[0]), "1");
  EXPECT_EQ(str(rest[1]), "2");
}

TEST(receive, the_oldest_matching_message_is_taken_not_the_first_clause) {
  det d;
  d.me.send(d.me.self(), tuple_of(pong, 1));
  d.me.send(d.me.self(), tuple_of(ping, 2));
  // Erlang tries each message against every clause: the older pong wins over the ping
  // clause written first.
  auto r = d.me.receive(on(ping, any_int) >> [](std::int64_t n) { return n; },
                        on(pong, any_int) >> [](std::int64_t n) { return -n; }, after(0ms, [] { return std::int64_t{0}; }));
  EXPECT_EQ(r, -1);
}

process_task selective(process& self, pid report) {
  // Waits for `go` while other messages pile up, then takes them in order.
  co_await self.receive(on(go) >> [] {});
  for (;;) {
    auto m = co_await self.receive_for(0ms);
    if (!m) break;
    self.send(report, *m);
  }
  self.send(report, atoms::ok);
}

TEST(receive, a_process_waiting_for_one_message_keeps_the_others_queued) {
  det d;
  pid p = d.me.spawn(selective, d.me.self());
  d.me.send(p, 1);
  d.me.send(p, 2);
  d.rt.run();
  EXPECT_EQ(d.me.info(p)->message_queue_len, 2u);
  d.me.send(p, go);
  std::vector<std::string> got;
  for (;;) {
    auto m = d.me.receive_for(1s);
    ASSERT_TRUE(m);
    got.push_back(str(*m));
    if (m->is_atom(atoms::ok)) break;
  }
  EXPECT_EQ(got, (std::vector<std::string>{"1", "2", "ok"}));
}

process_task scans_once(process& self, pid report, int* offered) {
  // The guard counts how often messages are offered: each message once per receive, even
  // when the receive wakes up many times.
  co_await self.receive(match_if([offered](const term& t) {
                          ++*offered;
                          return t.is_atom(go);
                        }) >> [](term) {});
  self.send(report, atoms::ok);
}

TEST(receive, a_waiting_receive_offers_each_message_once_from_its_save_point) {
  det d;
  int offered = 0;
  pid p = d.me.spawn(scans_once, d.me.self(), &offered);
  d.rt.run();
  for (int i = 0; i < 10; ++i) {
    d.me.send(p, i);
    d.rt.run();
  }
  EXPECT_EQ(offered, 10);
  d.me.send(p, go);
  EXPECT_TRUE(d.me.receive(on(atoms::ok) >> [] { return true; }, after(1s, [] { return false; })));
  EXPECT_EQ(offered, 11);
}

process_task waits_with_timeout(process& self, pid report, int ms) {
  auto r = co_await self.receive(on(ping) >> [] { return atom("got_ping"); },
                                 after(std::chrono::milliseconds(ms), [] { return atoms::timeout; }));
  self.send(report, r);
}

TEST(receive, after_runs_its_handler_when_nothing_matches_in_time) {
  det d;
  d.me.spawn(waits_with_timeout, d.me.self(), 500);
  d.rt.run();
  d.rt.advance_time(499ms);
  d.rt.run();
  EXPECT_EQ(d.me.receive_for(0ms), std::nullopt);  // not yet
  d.rt.advance_time(1ms);
  d.rt.run();
  EXPECT_EQ(str(d.me.receive_for(0ms)), "timeout");
}

TEST(receive, a_message_before_the_timeout_cancels_it) {
  det d;
  pid p = d.me.spawn(waits_with_timeout, d.me.self(), 500);
  d.rt.run();
  d.rt.advance_time(100ms);
  d.me.send(p, ping);
  d.rt.run();
  EXPECT_EQ(str(d.me.receive_for(0ms)), "got_ping");
  d.rt.advance_time(1s);
  d.rt.run();
  EXPECT_EQ(d.me.receive_for(0ms), std::nullopt);
}

TEST(receive, a_non_matching_message_does_not_end_the_wait) {
  det d;
  pid p = d.me.spawn(waits_with_timeout, d.me.self(), 500);
  d.rt.run();
  d.me.send(p, pong);
  d.rt.run();
  EXPECT_EQ(d.me.receive_for(0ms), std::nullopt);
  d.rt.advance_time(500ms);
  d.rt.run();
  EXPECT_EQ(str(d.me.receive_for(0ms)), "timeout");
}

TEST(receive, after_zero_looks_at_the_queue_once_without_waiting) {
  det d;
  d.me.spawn(waits_with_timeout, d.me.self(), 0);
  d.rt.run();
  EXPECT_EQ(str(d.me.receive_for(0ms)), "timeout");
}

TEST(receive, an_after_longer_than_a_century_never_fires) {
  det d;
  pid p = d.me.spawn([](process& self, pid report) -> process_task {
    auto r = co_await self.receive(on(ping) >> [] { return atom("got_ping"); },
                                   after(std::chrono::hours::max(), [] { return atoms::timeout; }));
    self.send(report, r);
  }, d.me.self());
  d.rt.run();
  d.rt.advance_time(std::chrono::hours(24 * 365 * 50));
  d.rt.run();
  EXPECT_EQ(d.me.flush().size(), 0u);
  d.me.send(p, ping);
  EXPECT_EQ(str(d.me.receive_for(1s)), "got_ping");
}

TEST(receive, a_scoped_receive_without_timeout_in_an_idle_deterministic_runtime_throws) {
  det d;
  EXPECT_THROW((void)d.me.receive(on(ping) >> [] {}), std::logic_error);
}

TEST(receive, a_scoped_process_times_out_on_virtual_time) {
  det d;
  auto t0 = d.rt.now();
  EXPECT_EQ(d.me.receive_for(5s), std::nullopt);
  EXPECT_GE(d.rt.now() - t0, 5s);
}

TEST(receive, flush_returns_every_queued_message_and_empties_the_queue) {
  det d;
  d.me.send(d.me.self(), 1);
  d.me.send(d.me.self(), 2);
  EXPECT_EQ(d.me.message_queue_len(), 2u);
  auto all = d.me.flush();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(d.me.message_queue_len(), 0u);
  EXPECT_TRUE(d.me.flush().empty());
}

task<int> add_after_receive(process& self, int base) {
  int n = co_await self.receive(on(atoms::ok, any_int) >> [](std::int64_t v) { return int(v); });
  co_return base + n;
}

process_task uses_task(process& self, pid report) {
  int r = co_await add_after_receive(self, 40);
  self.send(report, r);
}

TEST(receive, a_task_awaited_by_a_process_can_receive) {
  det d;
  pid p = d.me.spawn(uses_task, d.me.self());
  d.rt.run();
  d.me.send(p, tuple_of(atoms::ok, 2));
  EXPECT_EQ(str(d.me.receive_for(1s)), "42");
}

process_task streamer(process& self, pid to, int n) {
  for (int i = 0; i < n; ++i) self.send(to, i);
  self.exit(to, atom("after_the_stream"));
  co_await self.receive(on(stop) >> [] {});
}

TEST(receive, a_stream_of_messages_arrives_complete_and_in_order_before_a_later_signal) {
  det d;
  d.me.trap_exit(true);
  pid s = d.me.spawn(streamer, d.me.self(), 1000);
  d.rt.run();
  for (int i = 0; i < 1000; ++i) {
    auto m = d.me.receive_for(0ms);
    ASSERT_TRUE(m) << i;
    ASSERT_EQ(m->to_int64(), i);
  }
  EXPECT_EQ(str(d.me.receive_for(0ms)), "{'EXIT'," + str(term(s)) + ",after_the_stream}");
}

TEST(receive, a_stream_that_ends_with_a_wait_is_delivered_before_the_wait) {
  det d;
  d.me.trap_exit(true);
  d.me.spawn(streamer, d.me.self(), 50);
  EXPECT_EQ(d.rt.run_once(), true);  // one turn: sends 50 and an exit signal, then waits
  EXPECT_EQ(d.me.flush().size(), 51u);
}

TEST(receive, a_threaded_scoped_process_waits_and_wakes) {
  runtime rt(threaded());
  scoped_process me(rt);
  pid p = me.spawn(relay, me.self());
  me.send(p, hello);
  EXPECT_EQ(str(me.receive_for(5s)), "{relayed,hello}");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(me.receive_for(50ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
}

}  // namespace
}  // namespace otpp::test
