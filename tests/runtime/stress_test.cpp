// Many processes at once, on real threads: 100,000 processes pass messages around a ring and
// to random peers, link and die in groups; every wait is bounded. Run under ThreadSanitizer
// too (-DOTPP_SANITIZE=thread).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "runtime_test_util.hpp"
#include "support/eventually.hpp"

namespace otpp::test {
namespace {

constexpr int processes = 100000;
constexpr int rounds = 3;
const atom next_is{"next_is"};
const atom token{"token"};
const atom finished{"finished"};

/// Learns its neighbour, then `rounds` times sends a token to it and waits for one from its
/// predecessor; also pokes a random peer each round (pokes are consumed at the end).
process_task ring_member(process& self, pid report, int index) {
  pid next = co_await self.receive(on(next_is, any_pid) >> [](pid p) { return p; });
  std::vector<pid> peers = co_await self.receive(on(atom("peers"), any_list) >> [](term l) {
    std::vector<pid> out;
    for (const term& t : l.list_elements()) out.push_back(t.pid_value());
    return out;
  });
  for (int r = 0; r < rounds; ++r) {
    self.send(next, tuple_of(token, r));
    self.send(peers[std::size_t(r) % peers.size()], tuple_of(atom("poke"), index));
    // Member 0 waits for the last member to be set up: under ThreadSanitizer on a loaded
    // machine that alone takes over a minute. A lost token still fails the test's own wait.
    bool got = co_await self.receive(on(token, r) >> [] { return true; }, after(300s, [] { return false; }));
    if (!got) self.exit(atoms::timeout);
  }
  self.send(report, tuple_of(finished, index));
  // Pokes from peers may still be on their way; drain for a while, then end.
  for (;;) {
    bool more = co_await self.receive(on(atom("poke"), ignore) >> [] { return true; },
                                      on(stop) >> [] { return false; });
    if (!more) break;
  }
}

TEST(stress, a_hundred_thousand_processes_exchange_messages) {
  runtime rt(threaded(2));
  scoped_process me(rt);
  std::vector<pid> ring;
  ring.reserve(processes);
  for (int i = 0; i < processes; ++i) ring.push_back(me.spawn(ring_member, me.self(), i));
  std::mt19937 rng(12345);
  for (int i = 0; i < processes; ++i) {
    me.send(ring[i], tuple_of(next_is, ring[(i + 1) % processes]));
    std::vector<term> peers;
    for (int k = 0; k < 3; ++k) peers.emplace_back(ring[rng() % processes]);
    me.send(ring[i], tuple_of(atom("peers"), term::list(std::move(peers))));
  }
  int done = 0;
  while (done < processes) {
    bool got = me.receive(on(finished, ignore) >> [] { return true; }, after(120s, [] { return false; }));
    ASSERT_TRUE(got) << "only " << done << " processes finished";
    ++done;
  }
  for (const pid& p : ring) me.send(p, stop);
  // Everyone ends normally; wait (bounded) for the table to empty.
  (void)eventually([&] { return rt.process_count() <= 1; }, 60s);
  EXPECT_EQ(rt.process_count(), 1u);
}

/// A chain link: spawn_links the rest of the chain, then waits (or exits when told).
process_task chain_member(process& self, int left) {
  if (left > 0) self.spawn_link(chain_member, left - 1);
  co_await self.receive(on(stop) >> [] {}, on(atoms::exit, _) >> [&](term r) { self.exit(r); });
}

TEST(stress, linked_chains_die_together_under_threads) {
  runtime rt(threaded(2));
  scoped_process me(rt);
  constexpr int chains = 200, length = 50;
  std::vector<pid> heads;
  for (int g = 0; g < chains; ++g) {
    pid head = me.spawn(chain_member, length);
    (void)me.monitor(head);
    heads.push_back(head);
  }
  for (const pid& h : heads) me.send(h, tuple_of(atoms::exit, atom("chain_crash")));
  for (int downs = 0; downs < chains; ++downs) {
    ASSERT_TRUE(me.receive(on(atoms::DOWN, any_ref, atoms::process, any_pid, atom("chain_crash")) >>
                               [](reference, pid) { return true; },
                           after(60s, [] { return false; })));
  }
  // The whole of every chain follows its head.
  (void)eventually([&] { return rt.process_count() <= 1; }, 30s);
  EXPECT_EQ(rt.process_count(), 1u);
}

}  // namespace
}  // namespace otpp::test
