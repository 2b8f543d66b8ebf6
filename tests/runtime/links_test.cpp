// Links and exit signals, one Erlang rule per test.
#include <gtest/gtest.h>

#include "runtime_test_util.hpp"

namespace otpp::test {
namespace {

/// Links to `to`, then tells `report` it is linked and waits.
process_task linker(process& self, pid to, pid report) {
  self.link(to);
  self.send(report, tuple_of(atoms::link, self.self()));
  co_await self.receive(on(stop) >> [] {}, on(atoms::exit, _) >> [&](term reason) { self.exit(reason); });
}

process_task trapper(process& self, pid report) {
  self.trap_exit(true);
  self.send(report, tuple_of(atoms::ok, self.self()));
  for (;;) {
    term m = co_await self.receive();
    self.send(report, tuple_of(relayed, m));
  }
}

TEST(links, a_process_that_exits_abnormally_kills_a_linked_process) {
  det d;
  pid a = d.me.spawn(idle);
  pid b = d.me.spawn(linker, a, d.me.self());
  d.rt.run();
  d.me.send(a, tuple_of(atoms::exit, atom("boom")));
  d.rt.run();
  EXPECT_FALSE(d.rt.is_alive(a));
  EXPECT_FALSE(d.rt.is_alive(b));
}

TEST(links, exit_signal_with_reason_normal_does_not_kill_a_linked_process) {
  det d;
  pid a = d.me.spawn(idle);
  pid b = d.me.spawn(linker, a, d.me.self());
  d.rt.run();
  d.me.send(a, stop);  // a ends normally
  d.rt.run();
  EXPECT_FALSE(d.rt.is_alive(a));
  EXPECT_TRUE(d.rt.is_alive(b));
}

TEST(links, links_are_bidirectional) {
  det d;
  pid a = d.me.spawn(idle);
  pid b = d.me.spawn(linker, a, d.me.self());
  d.rt.run();
  d.me.send(b, tuple_of(atoms::exit, atom("boom")));  // the linker dies: a dies too
  d.rt.run();
  EXPECT_FALSE(d.rt.is_alive(a));
}

TEST(links, a_trapping_process_gets_an_EXIT_message_instead_of_dying) {
  det d;
  pid t = d.me.spawn(trapper, d.me.self());
  d.rt.run();
  d.me.flush();
  pid a = d.me.spawn(linker, t, d.me.self());
  d.rt.run();
  d.me.flush();
  d.me.send(a, tuple_of(atoms::exit, atom("boom")));
  d.rt.run();
  EXPECT_TRUE(d.rt.is_alive(t));
  auto m = d.me.receive_for(1s);
  EXPECT_EQ(str(m), "{relayed,{'EXIT'," + str(term(a)) + ",boom}}");
}

TEST(links, a_trapping_process_gets_an_EXIT_message_with_reason_normal_too) {
  det d;
  pid t = d.me.spawn(trapper, d.me.self());
  d.rt.run();
  d.me.flush();
  pid a = d.me.spawn(linker, t, d.me.self());
  d.rt.run();
  d.me.flush();
  d.me.send(a, stop);
  d.rt.run();
  EXPECT_EQ(str(d.me.receive_for(1s)), "{relayed,{'EXIT'," + str(term(a)) + ",normal}}");
}

TEST(links, linking_to_a_dead_process_gives_noproc) {
  det d;
  pid dead = d.me.spawn(idle);
  d.me.send(dead, stop);
  d.rt.run();
  ASSERT_FALSE(d.rt.is_alive(dead));
  d.me.trap_exit(true);
  d.me.link(dead);
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'EXIT'," + str(term(dead)) + ",noproc}");
}

TEST(links, linking_to_a_dead_process_kills_a_process_not_trapping_exits) {
  det d;
  pid dead = d.me.spawn(idle);
  d.me.send(dead, stop);
  d.rt.run();
  pid b = d.me.spawn(linker, dead, d.me.self());
  d.rt.run();
  EXPECT_FALSE(d.rt.is_alive(b));
}

TEST(links, after_unlink_an_exit_no_longer_propagates) {
  det d;
  d.me.trap_exit(true);
  pid a = d.me.spawn_link(idle);
  d.rt.run();
  d.me.unlink(a);
  d.me.send(a, tuple_of(atoms::exit, atom("boom")));
  d.rt.run();
  EXPECT_FALSE(d.rt.is_alive(a));
  EXPECT_EQ(d.me.receive_for(100ms), std::nullopt);
}

TEST(links, spawn_link_links_before_the_child_runs) {
  det d;
  d.me.trap_exit(true);
  // The child dies in its first turn: the link must already exist.
  pid c = d.me.spawn_link(exit_with, term(atom("early")));
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'EXIT'," + str(term(c)) + ",early}");
}

TEST(links, a_scoped_process_not_trapping_exits_is_killed_by_a_linked_crash) {
  det d;
  pid c = d.me.spawn_link(exit_with, term(atom("boom")));
  (void)c;
  EXPECT_THROW((void)d.me.receive_for(1s), process_exited);
  EXPECT_FALSE(d.me.alive());
  EXPECT_EQ(str(d.me.exit_reason()), "boom");
}

TEST(links, a_scoped_process_learns_of_its_death_between_receives) {
  det d;
  pid c = d.me.spawn_link(idle);
  d.rt.run();
  EXPECT_TRUE(d.me.handle_signals());
  d.me.send(c, tuple_of(atoms::exit, atom("boom")));
  d.rt.run();
  EXPECT_FALSE(d.me.handle_signals());
  EXPECT_FALSE(d.me.alive());
  EXPECT_EQ(str(d.me.exit_reason()), "boom");
  EXPECT_THROW((void)d.me.flush(), process_exited);
}

TEST(links, a_link_exit_with_reason_kill_is_trappable) {
  det d;
  d.me.trap_exit(true);
  pid c = d.me.spawn_link(exit_with, term(atoms::kill));
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'EXIT'," + str(term(c)) + ",kill}");
  EXPECT_TRUE(d.me.alive());
}

TEST(links, a_process_killed_by_kill_propagates_killed_to_its_links) {
  det d;
  d.me.trap_exit(true);
  pid c = d.me.spawn_link(idle);
  d.rt.run();
  d.rt.exit(c, atoms::kill);
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'EXIT'," + str(term(c)) + ",killed}");
}

TEST(links, linking_twice_is_one_link) {
  det d;
  d.me.trap_exit(true);
  pid a = d.me.spawn(idle);
  d.me.link(a);
  d.me.link(a);
  d.rt.run();
  EXPECT_EQ(d.me.info(a)->links.size(), 1u);
  d.me.unlink(a);
  d.rt.run();
  EXPECT_TRUE(d.me.info(a)->links.empty());
}

TEST(links, linking_to_oneself_does_nothing) {
  det d;
  d.me.link(d.me.self());
  EXPECT_TRUE(d.me.info(d.me.self())->links.empty());
}

TEST(links, an_exception_escaping_a_process_is_its_exit_reason) {
  det d;
  d.me.trap_exit(true);
  pid c = d.me.spawn_link([](process&) -> process_task {
    throw std::runtime_error("bad thing");
    co_return;
  });
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'EXIT'," + str(term(c)) + ",{error,<<\"bad thing\">>}}");
}

TEST(links, error_ends_a_process_with_the_given_reason) {
  det d;
  d.me.trap_exit(true);
  pid c = d.me.spawn_link([](process& self) -> process_task {
    self.error(tuple_of(atoms::badarg, 42));
    co_return;
  });
  EXPECT_EQ(str(d.me.receive_for(1s)), "{'EXIT'," + str(term(c)) + ",{badarg,42}}");
}

}  // namespace
}  // namespace otpp::test
