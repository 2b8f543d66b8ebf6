// The runtime's side of the distribution plug: what goes out to `distribution` for remote
// pids and names, and what signals from `remote_signals` do to local processes. A fake
// distribution records every call.
#include <gtest/gtest.h>

#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "otpp/runtime/distribution.hpp"
#include "runtime_test_util.hpp"
#include "support/recording_distribution.hpp"

namespace otpp::test {
namespace {

const atom near_node{"near@host"};
const atom far_node{"far@host"};
const pid far_pid{far_node, 5, 0, 7};
const pid far_pid2{far_node, 6, 0, 7};


runtime_options near_options() {
  runtime_options o = deterministic();
  o.node = near_node;
  o.creation = 7;
  return o;
}

struct dist_fixture {
  recording_distribution dist;
  runtime rt{near_options()};
  scoped_process me{rt};
  dist_fixture() { rt.set_distribution(&dist); }
  ~dist_fixture() { rt.set_distribution(nullptr); }
  std::string s(const pid& p) { return str(term(p)); }
};

using calls = std::vector<std::string>;

TEST(distribution, local_pids_carry_the_node_name_and_creation) {
  dist_fixture f;
  pid me = f.me.self();
  EXPECT_EQ(me.node, near_node);
  EXPECT_EQ(me.creation, 7u);
  EXPECT_TRUE(f.rt.is_local(me));
  EXPECT_FALSE(f.rt.is_local(far_pid));
  reference r = f.rt.make_ref();
  EXPECT_EQ(r.node, near_node);
  EXPECT_EQ(r.creation, 7u);
}

TEST(distribution, a_message_to_a_remote_pid_goes_to_the_distribution_with_its_sender) {
  dist_fixture f;
  f.me.send(far_pid, hello);
  EXPECT_EQ(f.dist.take(), (calls{"send " + f.s(f.me.self()) + " " + f.s(far_pid) + " hello"}));
}

TEST(distribution, a_message_to_a_name_on_a_remote_node_is_a_named_send) {
  dist_fixture f;
  f.me.send(atom("rex"), far_node, hello);
  EXPECT_EQ(f.dist.take(), (calls{"send_named " + f.s(f.me.self()) + " {rex,far@host} hello"}));
}

TEST(distribution, a_message_to_a_remote_alias_is_an_alias_send) {
  dist_fixture f;
  reference remote_alias{far_node, 7, 3, {1, 2, 3, 0, 0}};
  f.me.send(remote_alias, hello);
  auto c = f.dist.take();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].rfind("send_alias ", 0), 0u);
}

TEST(distribution, a_local_process_linked_to_a_remote_one_sends_EXIT_when_it_dies) {
  dist_fixture f;
  pid p = f.me.spawn([](process& self) -> process_task {
    self.link(far_pid);
    co_await self.receive(on(stop) >> [] {});
    self.exit(atom("bye"));
  });
  f.rt.run();
  EXPECT_EQ(f.dist.take(), (calls{"link " + f.s(p) + " " + f.s(far_pid)}));
  f.me.send(p, stop);
  f.rt.run();
  EXPECT_EQ(f.dist.take(), (calls{"exit " + f.s(p) + " " + f.s(far_pid) + " bye"}));
}

TEST(distribution, a_link_from_a_remote_process_is_told_when_the_local_one_dies) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  f.rt.remote().link(far_pid, p);
  f.rt.run();
  EXPECT_EQ(f.me.info(p)->links, std::vector<pid>{far_pid});
  f.me.send(p, tuple_of(atoms::exit, atom("crash")));
  f.rt.run();
  EXPECT_EQ(f.dist.take(), (calls{"exit " + f.s(p) + " " + f.s(far_pid) + " crash"}));
}

TEST(distribution, a_remote_link_to_a_dead_local_pid_is_answered_with_noproc) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  f.me.send(p, stop);
  f.rt.run();
  f.rt.remote().link(far_pid, p);
  EXPECT_EQ(f.dist.take(), (calls{"exit " + f.s(p) + " " + f.s(far_pid) + " noproc"}));
}

TEST(distribution, a_remote_exit_through_a_link_kills_the_local_process) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  f.rt.remote().link(far_pid, p);
  f.rt.run();
  f.rt.remote().exit(far_pid, p, atom("remote_crash"), false);
  f.rt.run();
  EXPECT_FALSE(f.rt.is_alive(p));
}

TEST(distribution, a_remote_link_exit_without_a_link_is_ignored) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  f.rt.remote().exit(far_pid, p, atom("remote_crash"), false);
  f.rt.run();
  EXPECT_TRUE(f.rt.is_alive(p));
}

TEST(distribution, a_remote_exit2_kills_without_a_link) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  f.rt.remote().exit(far_pid, p, atom("go"), true);
  f.rt.run();
  EXPECT_FALSE(f.rt.is_alive(p));
}

TEST(distribution, monitoring_a_remote_pid_goes_out_and_demonitor_follows) {
  dist_fixture f;
  reference ref = f.me.monitor(far_pid);
  EXPECT_EQ(f.dist.take(), (calls{"monitor " + f.s(f.me.self()) + " " + f.s(far_pid) + " far@host"}));
  EXPECT_TRUE(f.me.demonitor(ref));
  EXPECT_EQ(f.dist.take(), (calls{"demonitor " + f.s(f.me.self()) + " " + f.s(far_pid) + " far@host"}));
}

TEST(distribution, a_remote_DOWN_arrives_as_a_DOWN_message) {
  dist_fixture f;
  reference ref = f.me.monitor(far_pid);
  f.rt.remote().monitor_down(f.me.self(), term(far_pid), ref, atom("gone"));
  EXPECT_EQ(str(f.me.receive_for(1s)),
            "{'DOWN'," + str(term(ref)) + ",process," + f.s(far_pid) + ",gone}");
}

TEST(distribution, monitoring_a_remote_name_shows_name_and_node_in_DOWN) {
  dist_fixture f;
  reference ref = f.me.monitor(atom("srv"), far_node);
  EXPECT_EQ(f.dist.take(), (calls{"monitor " + f.s(f.me.self()) + " srv far@host"}));
  f.rt.remote().monitor_down(f.me.self(), tuple_of(atom("srv"), far_node), ref, atoms::noproc);
  EXPECT_EQ(str(f.me.receive_for(1s)), "{'DOWN'," + str(term(ref)) + ",process,{srv,far@host},noproc}");
}

TEST(distribution, a_remote_watcher_gets_monitor_exit_when_the_local_process_dies) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  reference ref{far_node, 7, 3, {9, 9, 9, 0, 0}};
  f.rt.remote().monitor(far_pid, term(p), ref);
  f.rt.run();
  f.me.send(p, stop);
  f.rt.run();
  EXPECT_EQ(f.dist.take(), (calls{"monitor_exit " + f.s(p) + " " + f.s(far_pid) + " normal"}));
}

TEST(distribution, a_remote_monitor_by_name_reports_the_name) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  ASSERT_TRUE(f.rt.register_name(atom("srv"), p));
  reference ref{far_node, 7, 3, {9, 9, 8, 0, 0}};
  f.rt.remote().monitor(far_pid, term(atom("srv")), ref);
  f.rt.run();
  f.me.send(p, stop);
  f.rt.run();
  EXPECT_EQ(f.dist.take(), (calls{"monitor_exit srv " + f.s(far_pid) + " normal"}));
}

TEST(distribution, a_remote_monitor_of_nothing_is_answered_with_noproc_at_once) {
  dist_fixture f;
  reference ref{far_node, 7, 3, {9, 9, 7, 0, 0}};
  f.rt.remote().monitor(far_pid, term(atom("nobody")), ref);
  EXPECT_EQ(f.dist.take(), (calls{"monitor_exit nobody " + f.s(far_pid) + " noproc"}));
}

TEST(distribution, node_down_breaks_links_with_noconnection) {
  dist_fixture f;
  f.me.trap_exit(true);
  f.me.link(far_pid);
  (void)f.dist.take();
  f.rt.remote().node_down(far_node);
  EXPECT_EQ(str(f.me.receive_for(1s)), "{'EXIT'," + f.s(far_pid) + ",noconnection}");
  EXPECT_TRUE(f.me.info(f.me.self())->links.empty());
}

TEST(distribution, node_down_kills_a_linked_process_not_trapping_exits) {
  dist_fixture f;
  pid p = f.me.spawn([](process& self) -> process_task {
    self.link(far_pid);
    co_await self.receive(on(stop) >> [] {});
  });
  f.rt.run();
  f.rt.remote().node_down(far_node);
  f.rt.run();
  EXPECT_FALSE(f.rt.is_alive(p));
}

TEST(distribution, node_down_fires_DOWN_noconnection_for_monitors) {
  dist_fixture f;
  reference r1 = f.me.monitor(far_pid);
  reference r2 = f.me.monitor(atom("srv"), far_node);
  f.rt.remote().node_down(far_node);
  auto msgs = f.me.flush();
  ASSERT_EQ(msgs.size(), 2u);
  std::string a = str(msgs[0]) + str(msgs[1]);
  EXPECT_NE(a.find("{'DOWN'," + str(term(r1)) + ",process," + f.s(far_pid) + ",noconnection}"), std::string::npos);
  EXPECT_NE(a.find("{'DOWN'," + str(term(r2)) + ",process,{srv,far@host},noconnection}"), std::string::npos);
}

TEST(distribution, node_down_forgets_remote_watchers) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  reference ref{far_node, 7, 3, {1, 1, 1, 0, 0}};
  f.rt.remote().monitor(far_pid, term(p), ref);
  f.rt.run();
  f.rt.remote().node_down(far_node);
  f.rt.run();
  EXPECT_TRUE(f.me.info(p)->monitored_by.empty());
  f.me.send(p, stop);
  f.rt.run();
  EXPECT_TRUE(f.dist.take().empty());
}

TEST(distribution, node_down_leaves_links_to_other_nodes_alone) {
  dist_fixture f;
  f.me.trap_exit(true);
  pid other{atom("third@host"), 1, 0, 1};
  f.me.link(other);
  f.rt.remote().node_down(far_node);
  EXPECT_EQ(f.me.receive_for(10ms), std::nullopt);
  EXPECT_EQ(f.me.info(f.me.self())->links.size(), 1u);
}

TEST(distribution, delivered_messages_reach_pids_names_and_aliases) {
  dist_fixture f;
  f.rt.remote().deliver(f.me.self(), 1);
  ASSERT_TRUE(f.me.register_name(atom("tester")));
  f.rt.remote().deliver_named(atom("tester"), 2);
  reference a = f.me.alias();
  f.rt.remote().deliver_alias(a, 3);
  auto all = f.me.flush();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(str(all[0]) + str(all[1]) + str(all[2]), "123");
}

TEST(distribution, a_remote_unlink_removes_the_link_and_is_acknowledged) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  f.rt.remote().link(far_pid, p);
  f.rt.run();
  f.rt.remote().unlink(far_pid, p, 42);
  f.rt.run();
  EXPECT_TRUE(f.me.info(p)->links.empty());
  EXPECT_EQ(f.dist.take(), (calls{"unlink_ack " + f.s(p) + " " + f.s(far_pid) + " 42"}));
}

TEST(distribution, unlinking_a_remote_pid_goes_out) {
  dist_fixture f;
  f.me.link(far_pid);
  f.me.unlink(far_pid);
  EXPECT_EQ(f.dist.take(), (calls{"link " + f.s(f.me.self()) + " " + f.s(far_pid),
                                  "unlink " + f.s(f.me.self()) + " " + f.s(far_pid)}));
}

TEST(distribution, exit2_to_a_remote_pid_goes_out) {
  dist_fixture f;
  f.me.exit(far_pid, atom("stop_it"));
  EXPECT_EQ(f.dist.take(), (calls{"exit2 " + f.s(f.me.self()) + " " + f.s(far_pid) + " stop_it"}));
}

TEST(distribution, a_remote_group_leader_signal_sets_it) {
  dist_fixture f;
  pid p = f.me.spawn(idle);
  f.rt.remote().group_leader(far_pid, p, far_pid2);
  f.rt.run();
  EXPECT_EQ(f.me.info(p)->group_leader, far_pid2);
  f.me.group_leader(far_pid2, far_pid);
  EXPECT_EQ(f.dist.take(), (calls{"group_leader " + f.s(f.me.self()) + " " + f.s(far_pid) + " " + f.s(far_pid2)}));
}



TEST(distribution, spawn_for_a_remote_requester_links_and_monitors_it) {
  dist_fixture f;
  reference ref{far_node, 7, 3, {5, 5, 5, 0, 0}};
  spawn_options o;
  o.link_to = far_pid;
  o.monitored_by = std::make_pair(far_pid, ref);
  o.group_leader = far_pid2;
  pid p = f.rt.spawn_opt(o, exit_with, term(atom("finished"))).pid;
  f.rt.run();
  auto c = f.dist.take();
  EXPECT_EQ(c, (calls{"exit " + f.s(p) + " " + f.s(far_pid) + " finished",
                      "monitor_exit " + f.s(p) + " " + f.s(far_pid) + " finished"}));
}

// ---- remote spawn ----------------------------------------------------------------------------

/// An incoming SPAWN_REQUEST from far_pid for `m:f(Args)` with link and monitor.
remote_spawn_request request_from_far(term args, bool link = true, bool monitor = true) {
  remote_spawn_request r;
  r.req_id = reference{far_node, 7, 3, {9, 9, 9, 0, 0}};
  r.from = far_pid;
  r.group_leader = far_pid2;
  r.module = atom("m");
  r.function = atom("f");
  r.args = std::move(args);
  r.link = link;
  r.monitor = monitor;
  return r;
}

/// A spawn hook whose bodies end at once: `exit_with` their first argument.
spawn_body ends_at_once(const remote_spawn_request& r) {
  term reason = r.args.list_elements()[0];
  return [reason](process& self) { return exit_with(self, reason); };
}

TEST(distribution, a_spawn_request_is_answered_before_the_new_process_reports_its_exit) {
  for (const char* why : {"normal", "boom"}) {
    dist_fixture f;
    f.rt.set_spawn_hook(ends_at_once);
    f.rt.remote().spawn_request(request_from_far(list_of(atom(why))));
    f.rt.run();
    auto c = f.dist.take();
    ASSERT_EQ(c.size(), 3u) << ::testing::PrintToString(c);
    std::istringstream words(c[0]);
    std::string kind, to, child;
    words >> kind >> to >> child;
    EXPECT_EQ(c[0], "spawn_reply " + f.s(far_pid) + " " + child + " link monitor");
    // The real reason reaches the requester's link and monitor, not noproc.
    EXPECT_EQ(c[1], "exit " + child + " " + f.s(far_pid) + " " + why);
    EXPECT_EQ(c[2], "monitor_exit " + child + " " + f.s(far_pid) + " " + why);
  }
}

TEST(distribution, a_spawn_request_without_a_spawn_hook_is_answered_notsup) {
  dist_fixture f;
  f.rt.remote().spawn_request(request_from_far(list_of(atoms::normal)));
  EXPECT_EQ(f.dist.take(), (calls{"spawn_reply " + f.s(far_pid) + " notsup nolink nomonitor"}));
}

TEST(distribution, a_spawn_request_with_an_improper_argument_list_is_answered_badarg) {
  dist_fixture f;
  f.rt.set_spawn_hook(ends_at_once);
  f.rt.remote().spawn_request(request_from_far(term::list(std::vector<term>{atoms::normal}, atom("x"))));
  EXPECT_EQ(f.dist.take(), (calls{"spawn_reply " + f.s(far_pid) + " badarg nolink nomonitor"}));
}

TEST(distribution, a_remote_spawn_request_goes_out_and_its_reply_makes_link_and_monitor) {
  dist_fixture f;
  f.me.trap_exit(true);
  reference req = f.me.spawn_request(far_node, atom("m"), atom("f"), list_of(1),
                                     {.link = true, .monitor = true});
  EXPECT_EQ(f.dist.take(),
            (calls{"spawn_request far@host " + f.s(f.me.self()) + " m f [1] [link,monitor]"}));
  f.rt.remote().spawn_reply(f.me.self(), req, far_pid, true, true);
  EXPECT_EQ(str(f.me.receive_for(1s)), "{spawn_reply," + str(term(req)) + ",ok," + f.s(far_pid) + "}");
  // The process ends at once: its link and its monitor report the real reason.
  f.rt.remote().exit(far_pid, f.me.self(), atoms::normal, false);
  f.rt.remote().monitor_down(f.me.self(), far_pid, req, atoms::normal);
  EXPECT_EQ(str(f.me.receive_for(1s)), "{'EXIT'," + f.s(far_pid) + ",normal}");
  EXPECT_EQ(str(f.me.receive_for(1s)),
            "{'DOWN'," + str(term(req)) + ",process," + f.s(far_pid) + ",normal}");
}

TEST(distribution, a_spawn_request_with_error_only_hears_only_of_failure) {
  dist_fixture f;
  reference ok = f.me.spawn_request(far_node, atom("m"), atom("f"), term(),
                                    {.monitor = true, .reply = spawn_reply_mode::error_only});
  reference bad = f.me.spawn_request(far_node, atom("m"), atom("f"), term(),
                                     {.reply = spawn_reply_mode::error_only});
  f.rt.remote().spawn_reply(f.me.self(), ok, far_pid, false, true);
  f.rt.remote().spawn_reply(f.me.self(), bad, atom("badopt"), false, false);
  EXPECT_EQ(str(f.me.receive_for(1s)), "{spawn_reply," + str(term(bad)) + ",error,badopt}");
  f.rt.remote().monitor_down(f.me.self(), far_pid, ok, atom("done"));
  EXPECT_EQ(str(f.me.receive_for(1s)), "{'DOWN'," + str(term(ok)) + ",process," + f.s(far_pid) + ",done}");
}

TEST(distribution, node_down_answers_a_pending_spawn_request_with_noconnection) {
  dist_fixture f;
  reference req = f.me.spawn_request(far_node, atom("m"), atom("f"), term());
  f.rt.remote().node_down(far_node);
  EXPECT_EQ(str(f.me.receive_for(1s)), "{spawn_reply," + str(term(req)) + ",error,noconnection}");
}

TEST(distribution, an_abandoned_spawn_request_unlinks_with_abandoned_and_drops_the_reply) {
  dist_fixture f;
  reference req = f.me.spawn_request(far_node, atom("m"), atom("f"), term(), {.link = true});
  (void)f.dist.take();
  EXPECT_TRUE(f.me.spawn_request_abandon(req));
  EXPECT_FALSE(f.me.spawn_request_abandon(req));
  f.rt.remote().spawn_reply(f.me.self(), req, far_pid, true, false);
  EXPECT_EQ(f.me.receive_for(50ms), std::nullopt);
  EXPECT_EQ(f.dist.take(), (calls{"exit " + f.s(f.me.self()) + " " + f.s(far_pid) + " abandoned"}));
}

TEST(distribution, a_spawn_request_without_a_distribution_is_answered_noconnection) {
  runtime rt(near_options());
  scoped_process me(rt);
  reference req = me.spawn_request(far_node, atom("m"), atom("f"), term());
  EXPECT_EQ(str(me.receive_for(1s)), "{spawn_reply," + str(term(req)) + ",error,noconnection}");
}

TEST(distribution, without_a_distribution_links_and_monitors_to_remote_pids_fail_with_noconnection) {
  runtime rt(near_options());
  scoped_process me(rt);
  me.trap_exit(true);
  me.link(far_pid);
  EXPECT_EQ(str(me.receive_for(1s)), "{'EXIT'," + str(term(far_pid)) + ",noconnection}");
  reference ref = me.monitor(far_pid);
  EXPECT_EQ(str(me.receive_for(1s)), "{'DOWN'," + str(term(ref)) + ",process," + str(term(far_pid)) + ",noconnection}");
}

TEST(distribution, a_stale_pid_of_an_earlier_incarnation_is_dead) {
  dist_fixture f;
  pid old{near_node, 1, 0, 3};
  EXPECT_TRUE(f.rt.is_local(old));
  EXPECT_FALSE(f.rt.is_alive(old));
  f.me.trap_exit(true);
  f.me.link(old);
  EXPECT_EQ(str(f.me.receive_for(1s)), "{'EXIT'," + str(term(old)) + ",noproc}");
  EXPECT_TRUE(f.dist.take().empty());
}

TEST(distribution, pids_made_before_set_node_stay_local) {
  runtime rt(deterministic());
  scoped_process me(rt);
  pid before = me.self();
  rt.set_node(near_node, 9);
  EXPECT_TRUE(rt.is_local(before));
  EXPECT_TRUE(rt.is_alive(before));
  EXPECT_EQ(me.self().node, near_node);
  me.send(before, hello);
  EXPECT_EQ(str(me.receive_for(1s)), "hello");
}

TEST(distribution, a_name_registered_before_set_node_goes_when_its_process_exits) {
  runtime rt(deterministic());
  scoped_process me(rt);
  pid p = me.spawn(idle);
  ASSERT_TRUE(rt.register_name(atom("early"), p));
  rt.set_node(near_node, 9);
  EXPECT_EQ(rt.whereis(atom("early"))->node, near_node);
  me.send(p, stop);
  rt.run();
  EXPECT_EQ(rt.whereis(atom("early")), std::nullopt);
}

}  // namespace
}  // namespace otpp::test
