// The scheduler: deterministic stepping, reduction budgets, yielding, work on every worker,
// per-pair ordering under threads, shutdown, and telling contended cores (where idle workers
// do not spin).
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "runtime/scheduler.hpp"
#include "runtime_test_util.hpp"

namespace otpp::test {
namespace {

TEST(deterministic, run_once_runs_exactly_one_process_turn) {
  det d;
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    d.me.spawn([&order, i](process&) -> process_task {
      order.push_back(i);
      co_return;
    });
  }
  EXPECT_TRUE(order.empty());  // spawn does not run anything
  EXPECT_TRUE(d.rt.run_once());
  EXPECT_EQ(order, std::vector<int>{0});
  EXPECT_EQ(d.rt.run(), 2u);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(d.rt.run_once());
}

TEST(deterministic, a_message_wakes_its_receiver_for_exactly_one_turn) {
  det d;
  pid p = d.me.spawn(relay, d.me.self());
  EXPECT_EQ(d.rt.run(), 1u);  // runs up to its receive and parks
  EXPECT_EQ(d.rt.run(), 0u);
  d.me.send(p, hello);
  EXPECT_EQ(d.rt.run(), 1u);
  EXPECT_EQ(d.me.flush().size(), 1u);
}

TEST(budget, a_process_receiving_from_a_full_mailbox_yields_after_its_budget) {
  runtime_options o = deterministic();
  o.reductions_per_turn = 100;
  runtime rt(o);
  scoped_process me(rt);
  pid p = me.spawn([](process& self) -> process_task {
    for (;;) co_await self.receive(on(ignore) >> [] {});
  });
  rt.run();
  for (int i = 0; i < 1000; ++i) me.send(p, i);
  EXPECT_TRUE(rt.run_once());
  auto info = me.info(p);  // runs p's next turns too; count what one turn left
  ASSERT_TRUE(info);
  EXPECT_LT(info->message_queue_len, 1000u);
  EXPECT_GT(info->message_queue_len, 700u);
}

TEST(budget, maybe_yield_lets_other_processes_run_on_one_worker) {
  runtime rt(threaded(1));
  scoped_process me(rt);
  std::atomic<bool> done{false};
  pid busy = me.spawn([&done](process& self) -> process_task {
    while (!done.load()) co_await self.maybe_yield();
  });
  (void)busy;
  pid r = me.spawn(relay, me.self());
  me.send(r, hello);
  EXPECT_EQ(str(me.receive_for(5s)), "{relayed,hello}");
  done = true;
}

// A receive's timer is armed only when the waiting process parks, and a worker that never
// idles parks nobody: it must still arm the timers of the processes waiting on it.
TEST(timeouts, a_receive_times_out_while_its_worker_stays_busy) {
  runtime rt(threaded(1));
  scoped_process me(rt);
  std::atomic<bool> done{false};
  me.spawn([&done](process& self) -> process_task {
    while (!done.load()) co_await self.yield();
  });
  me.spawn([](process& self, pid report) -> process_task {
    atom r = co_await self.receive(on(ping) >> [] { return ping; }, after(20ms, [] { return atoms::timeout; }));
    self.send(report, r);
  }, me.self());
  EXPECT_EQ(str(me.receive_for(10s)), "timeout");
  done = true;
}

TEST(timeouts, a_receive_times_out_while_messages_it_does_not_take_keep_coming) {
  runtime rt(threaded(1));
  scoped_process me(rt);
  std::atomic<bool> done{false};
  pid waiter = me.spawn([](process& self, pid report) -> process_task {
    atom r = co_await self.receive(on(ping) >> [] { return ping; }, after(20ms, [] { return atoms::timeout; }));
    self.send(report, r);
    co_await self.receive(on(stop) >> [] { return true; });
  }, me.self());
  me.spawn([&done](process& self, pid to) -> process_task {
    while (!done.load()) {
      self.send(to, pong);
      co_await self.yield();
    }
  }, waiter);
  EXPECT_EQ(str(me.receive_for(10s)), "timeout");
  done = true;
  me.send(waiter, stop);
}

TEST(budget, yield_always_gives_way) {
  det d;
  std::vector<int> order;
  for (int i = 0; i < 2; ++i) {
    d.me.spawn([&order, i](process& self) -> process_task {
      for (int k = 0; k < 3; ++k) {
        order.push_back(i);
        co_await self.yield();
      }
    });
  }
  d.rt.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 0, 1, 0, 1}));
}

TEST(workers, processes_run_on_every_worker) {
  runtime rt(threaded(2));
  scoped_process me(rt);
  std::mutex m;
  std::set<std::thread::id> threads;
  pid spawner = me.spawn([&](process& self, pid report) -> process_task {
    for (int i = 0; i < 2000; ++i) {
      self.spawn([&](process& child, pid to) -> process_task {
        auto until = std::chrono::steady_clock::now() + 20us;
        while (std::chrono::steady_clock::now() < until) {
        }
        {
          std::lock_guard lk(m);
          threads.insert(std::this_thread::get_id());
        }
        child.send(to, atoms::ok);
        co_return;
      }, report);
    }
    co_return;
  }, me.self());
  (void)spawner;
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(me.receive_for(20s));
  std::lock_guard lk(m);
  EXPECT_EQ(threads.size(), 2u);
}

TEST(ordering, messages_between_each_pair_keep_their_order_under_threads) {
  runtime rt(threaded(2));
  scoped_process me(rt);
  constexpr int senders = 20, each = 2000;
  pid sink = me.spawn([](process& self, pid report) -> process_task {
    std::vector<std::int64_t> last(senders, -1);
    bool ordered = true;
    for (int n = 0; n < senders * each; ++n) {
      co_await self.receive(on(any_int, any_int) >> [&](std::int64_t who, std::int64_t seq) {
        if (seq != last[who] + 1) ordered = false;
        last[who] = seq;
      });
    }
    self.send(report, term::boolean(ordered));
  }, me.self());
  for (int s = 0; s < senders; ++s) {
    me.spawn([](process& self, pid to, int who) -> process_task {
      for (int i = 0; i < each; ++i) {
        self.send(to, tuple_of(who, i));
        if (i % 100 == 0) co_await self.yield();
      }
    }, sink, s);
  }
  EXPECT_EQ(str(me.receive_for(30s)), "true");
}

TEST(ordering, scoped_processes_on_many_threads_can_talk_to_one_process) {
  runtime rt(threaded(2));
  scoped_process me(rt);
  pid echo = me.spawn([](process& self) -> process_task {
    for (;;) co_await self.receive(on(any_pid, _) >> [&](pid from, term m) { self.send(from, m); });
  });
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      scoped_process mine(rt);
      for (int i = 0; i < 200; ++i) {
        mine.send(echo, tuple_of(mine.self(), tuple_of(t, i)));
        auto r = mine.receive(on(t, i) >> [] { return true; }, after(10s, [] { return false; }));
        if (!r) return;
      }
      ++ok;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 4);
}

// ---- shutdown ---------------------------------------------------------------------------------

TEST(contention, a_thread_sharing_its_core_with_a_busy_thread_finds_it_contended) {
  // Both threads on the core this one runs on: the kernel makes each wait for the other.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  bool contended = false;
  std::thread spinner([&] {
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    detail::contention_meter meter;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (auto now = std::chrono::steady_clock::now(); now < deadline && !contended;
         now = std::chrono::steady_clock::now())
      contended = meter.contended(now);
  });
  spinner.join();
  stop = true;
  busy.join();
  EXPECT_TRUE(contended);
}

TEST(shutdown, every_process_is_told_and_trapping_ones_see_shutdown) {
  std::atomic<int> saw_shutdown{0};
  std::atomic<int> destroyed{0};
  struct probe {
    std::atomic<int>* n;
    ~probe() { ++*n; }
  };
  {
    runtime rt(threaded(2));
    scoped_process me(rt);
    for (int i = 0; i < 10; ++i) {
      me.spawn([&](process& self) -> process_task {
        self.trap_exit(true);
        co_await self.receive(on(atoms::EXIT, any_pid, atoms::shutdown) >> [&](pid) { ++saw_shutdown; });
      });
      me.spawn([&](process& self) -> process_task {
        probe p{&destroyed};
        co_await self.receive(on(stop) >> [] {});
      });
    }
    // Let them all reach their receive.
    me.send(me.spawn(relay, me.self()), hello);
    ASSERT_TRUE(me.receive_for(5s));
    rt.shutdown(5s);
    EXPECT_EQ(rt.process_count(), 1u);  // only `me`, which its thread ends
  }
  EXPECT_EQ(saw_shutdown.load(), 10);
  EXPECT_EQ(destroyed.load(), 10);
}

TEST(shutdown, processes_that_ignore_shutdown_are_killed_after_the_grace_time) {
  std::atomic<int> destroyed{0};
  struct probe {
    std::atomic<int>* n;
    ~probe() { ++*n; }
  };
  runtime rt(threaded(2));
  {
    scoped_process me(rt);
    me.spawn([&](process& self, pid report) -> process_task {
      probe p{&destroyed};
      self.trap_exit(true);
      self.send(report, atoms::ok);
      for (;;) co_await self.receive(on(ignore) >> [] {});
    }, me.self());
    ASSERT_TRUE(me.receive_for(5s));
  }
  auto t0 = std::chrono::steady_clock::now();
  rt.shutdown(100ms);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);
  EXPECT_EQ(destroyed.load(), 1);
  EXPECT_EQ(rt.process_count(), 0u);
}

TEST(shutdown, a_runtime_with_parked_processes_and_queued_messages_frees_everything) {
  runtime rt(threaded(2));
  {
    scoped_process me(rt);
    for (int i = 0; i < 100; ++i) {
      pid p = me.spawn(idle);
      for (int k = 0; k < 10; ++k) me.send(p, tuple_of(k, term::string("queued payload")));
      (void)me.send_after(1h, p, hello);
    }
  }
  // ~runtime: LSan/ASan builds check nothing leaks.
}

TEST(shutdown, a_deterministic_runtime_shuts_down_too) {
  runtime rt(deterministic());
  {
    scoped_process me(rt);
    for (int i = 0; i < 10; ++i) me.spawn(idle);
    rt.run();
  }
  rt.shutdown();
  EXPECT_EQ(rt.process_count(), 0u);
}

}  // namespace
}  // namespace otpp::test
