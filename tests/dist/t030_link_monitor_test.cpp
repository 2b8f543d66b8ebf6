// Scenario 030, links, monitors and exit signals across nodes: otpp <-> erl both ways
// (by pid and by registered name), unlink with UNLINK_ID, exit/2, group leader, aliases,
// and the same signals between two otpp nodes.
#include <future>
#include <thread>

#include "dist/dist_fixture.hpp"
#include "otpp/dist/control.hpp"

using namespace otpp;
using namespace otpp::test;

namespace {
bool pid_is(const term& t, const pid& p) { return t.is_pid() && t.pid_value() == p; }

// Starts an erl process that sends its pid to `to` (an otpp pid, as Erlang text) and then
// runs `body`; returns the erl pid as otpp received it.
std::optional<pid> erl_process(erl_peer& erl, test_node& n, const pid& to, const std::string& body) {
  // The otpp pid reaches erl inside a message to the registered evaluator.
  n.engine->send_named(to, atom("tester"), atom(erl.node()), tuple_of(atom("otpp_pid"), to));
  auto r = erl.eval("receive {otpp_pid, OtppPid} -> spawn(fun() -> OtppPid ! {erl_pid, self()}, " + body +
                    " end), ok after 5000 -> timeout end.");
  if (!r || *r != "ok") return std::nullopt;
  auto got = n.signals.wait_for_kind("deliver", [&](const term& t) {
    return t[2].is_tuple() && t[2].tuple_size() == 2 && t[2][0].is_atom(atom("erl_pid"));
  });
  if (!got) return std::nullopt;
  return (*got)[2][1].pid_value();
}
}  // namespace

class links_with_erl : public dist_test {
 protected:
  std::unique_ptr<test_node> a;
  std::unique_ptr<erl_peer> erl;
  pid me;
  void SetUp() override {
    dist_test::SetUp();
    a = start_node("a");
    erl = start_erl();
    ASSERT_TRUE(a && erl->ready());
    ASSERT_EQ(erl->eval("register(tester, self())."), "true");
    me = a->make_pid();
  }
};

TEST_F(links_with_erl, erl_links_to_an_otpp_pid_and_otpp_exit_reaches_it) {
  auto ep = erl_process(*erl, *a, me,
                        "process_flag(trap_exit, true), receive {link_to, P} -> link(P), OtppPid ! linked, "
                        "receive {'EXIT', P, R} -> OtppPid ! {got_exit, R} end end");
  ASSERT_TRUE(ep);
  a->engine->send(me, *ep, tuple_of(atom("link_to"), me));
  auto link = a->signals.wait_for_kind("link");
  ASSERT_TRUE(link);
  EXPECT_TRUE(pid_is((*link)[1], *ep));
  EXPECT_TRUE(pid_is((*link)[2], me));
  ASSERT_TRUE(a->signals.wait_for_kind("deliver", [](const term& t) { return t[2].is_atom(atom("linked")); }));
  // Our process "dies": the runtime sends EXIT over the link.
  a->engine->exit(me, *ep, atom("boom"), false);
  auto got = a->signals.wait_for_kind("deliver", [](const term& t) { return t[2].is_tagged_tuple(atom("got_exit"), 2); });
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[2][1], atom("boom"));
}

TEST_F(links_with_erl, otpp_links_to_an_erl_process_and_its_exit_arrives) {
  auto ep = erl_process(*erl, *a, me, "receive die -> exit({shutdown, because}) end");
  ASSERT_TRUE(ep);
  a->engine->link(me, *ep);
  a->engine->send(me, *ep, atom("die"));
  auto ex = a->signals.wait_for_kind("exit");
  ASSERT_TRUE(ex);
  EXPECT_TRUE(pid_is((*ex)[1], *ep));
  EXPECT_TRUE(pid_is((*ex)[2], me));
  EXPECT_EQ((*ex)[3], tuple_of(atom("shutdown"), atom("because")));
}

TEST_F(links_with_erl, link_to_a_dead_erl_pid_answers_noproc) {
  auto ep = erl_process(*erl, *a, me, "ok");
  ASSERT_TRUE(ep);
  // The erl process ends right after telling us its pid; link once it is gone.
  const std::string alive = "is_process_alive(c:pid(0," + std::to_string(ep->id) + "," +
                            std::to_string(ep->serial) + ")).";
  ASSERT_TRUE(eventually([&] { return erl->eval(alive) == "false"; }));
  a->engine->link(me, *ep);
  auto ex = a->signals.wait_for_kind("exit");
  ASSERT_TRUE(ex);
  EXPECT_EQ((*ex)[3], atoms::noproc);
}

TEST_F(links_with_erl, unlink_id_is_acknowledged_by_erl) {
  auto ep = erl_process(*erl, *a, me, "receive stop -> ok end");
  ASSERT_TRUE(ep);
  a->engine->link(me, *ep);
  a->engine->unlink(me, *ep, 4711);
  auto ack = a->signals.wait_for_kind("unlink_ack");
  ASSERT_TRUE(ack);
  EXPECT_TRUE(pid_is((*ack)[1], *ep));
  EXPECT_TRUE(pid_is((*ack)[2], me));
  EXPECT_EQ((*ack)[3], term(4711));
}

TEST_F(links_with_erl, erl_unlink_arrives_with_its_id) {
  auto ep = erl_process(*erl, *a, me, "receive {link_to, P} -> link(P), unlink(P), receive stop -> ok end end");
  ASSERT_TRUE(ep);
  a->engine->send(me, *ep, tuple_of(atom("link_to"), me));
  ASSERT_TRUE(a->signals.wait_for_kind("link"));
  auto un = a->signals.wait_for_kind("unlink");
  ASSERT_TRUE(un);
  EXPECT_TRUE(pid_is((*un)[1], *ep));
  EXPECT_TRUE((*un)[3].is_integer());
  // The runtime would ack; the erl side then forgets the link.
  a->engine->unlink_ack(me, *ep, static_cast<std::uint64_t>(*(*un)[3].to_int64()));
}

TEST_F(links_with_erl, exit2_from_erl_arrives_and_otpp_exit2_reaches_erl) {
  auto ep = erl_process(*erl, *a, me,
                        "process_flag(trap_exit, true), receive {kill_me, P} -> exit(P, kill), "
                        "receive {'EXIT', From, R} -> OtppPid ! {trapped, From, R} end end");
  ASSERT_TRUE(ep);
  a->engine->send(me, *ep, tuple_of(atom("kill_me"), me));
  auto ex2 = a->signals.wait_for_kind("exit2");
  ASSERT_TRUE(ex2);
  EXPECT_EQ((*ex2)[3], atoms::kill);
  a->engine->exit(me, *ep, atom("go_away"), true);
  auto trapped = a->signals.wait_for_kind("deliver", [](const term& t) { return t[2].is_tagged_tuple(atom("trapped"), 3); });
  ASSERT_TRUE(trapped);
  EXPECT_TRUE(pid_is((*trapped)[2][1], me));
  EXPECT_EQ((*trapped)[2][2], atom("go_away"));
}

TEST_F(links_with_erl, otpp_monitors_an_erl_pid_and_gets_its_exit_reason) {
  auto ep = erl_process(*erl, *a, me, "receive die -> exit(farewell) end");
  ASSERT_TRUE(ep);
  reference ref{a->name(), a->engine->creation(), 3, {1, 2, 3, 0, 0}};
  a->engine->monitor(me, term(*ep), ep->node, ref);
  a->engine->send(me, *ep, atom("die"));
  auto down = a->signals.wait_for_kind("monitor_down");
  ASSERT_TRUE(down);
  EXPECT_TRUE(pid_is((*down)[1], me));
  EXPECT_TRUE(pid_is((*down)[2], *ep));
  EXPECT_EQ((*down)[3], term(ref));
  EXPECT_EQ((*down)[4], atom("farewell"));
}

TEST_F(links_with_erl, otpp_monitors_an_erl_name_and_the_down_names_it) {
  auto ep = erl_process(*erl, *a, me, "register(watched_one, self()), OtppPid ! registered, receive die -> exit(bye) end");
  ASSERT_TRUE(ep);
  ASSERT_TRUE(a->signals.wait_for_kind("deliver", [](const term& t) { return t[2].is_atom(atom("registered")); }));
  reference ref{a->name(), a->engine->creation(), 3, {7, 8, 9, 0, 0}};
  a->engine->monitor(me, atom("watched_one"), atom(erl->node()), ref);
  a->engine->send(me, *ep, atom("die"));
  auto down = a->signals.wait_for_kind("monitor_down");
  ASSERT_TRUE(down);
  EXPECT_EQ((*down)[2], tuple_of(atom("watched_one"), atom(erl->node())));
  EXPECT_EQ((*down)[4], atom("bye"));
}

TEST_F(links_with_erl, monitoring_a_missing_erl_name_is_noproc) {
  reference ref{a->name(), a->engine->creation(), 3, {5, 5, 5, 0, 0}};
  a->engine->monitor(me, atom("nobody_here"), atom(erl->node()), ref);
  auto down = a->signals.wait_for_kind("monitor_down");
  ASSERT_TRUE(down);
  EXPECT_EQ((*down)[4], atoms::noproc);
}

TEST_F(links_with_erl, erl_monitors_an_otpp_pid_and_by_name_and_gets_down_messages) {
  a->engine->send_named(me, atom("tester"), atom(erl->node()), tuple_of(atom("otpp_pid"), me));
  ASSERT_EQ(erl->eval("receive {otpp_pid, P} -> put(p, P), ok end."), "ok");
  ASSERT_EQ(erl->eval("R1 = erlang:monitor(process, get(p)), ok."), "ok");
  auto mon = a->signals.wait_for_kind("monitor");
  ASSERT_TRUE(mon);
  EXPECT_TRUE(pid_is((*mon)[2], me));
  a->engine->monitor_exit(term(me), (*mon)[1].pid_value(), (*mon)[3].reference_value(), atom("gone"));
  EXPECT_EQ(erl->eval("receive {'DOWN', R1, process, P, Why} -> {P =:= get(p), Why} after 5000 -> timeout end."),
            "{true,gone}");
  ASSERT_EQ(erl->eval("R2 = erlang:monitor(process, {kate, " + quoted(a->name_text()) + "}), ok."), "ok");
  auto byname = a->signals.wait_for_kind("monitor");
  ASSERT_TRUE(byname);
  EXPECT_EQ((*byname)[2], atom("kate"));
  a->engine->monitor_exit(atom("kate"), (*byname)[1].pid_value(), (*byname)[3].reference_value(), atom("left"));
  EXPECT_EQ(erl->eval("receive {'DOWN', R2, process, Who, Why2} -> {Who, Why2} after 5000 -> timeout end."),
            "{{kate," + a->name_text() + "},left}");
  ASSERT_EQ(erl->eval("R3 = erlang:monitor(process, get(p)), erlang:demonitor(R3), ok."), "ok");
  ASSERT_TRUE(a->signals.wait_for_kind("monitor"));
  ASSERT_TRUE(a->signals.wait_for_kind("demonitor"));
}

TEST_F(links_with_erl, group_leader_changes_both_ways) {
  a->engine->send_named(me, atom("tester"), atom(erl->node()), tuple_of(atom("otpp_pid"), me));
  ASSERT_EQ(erl->eval("receive {otpp_pid, P} -> put(p, P), ok end."), "ok");
  ASSERT_EQ(erl->eval("group_leader(self(), get(p))."), "true");
  auto gl = a->signals.wait_for_kind("group_leader");
  ASSERT_TRUE(gl);
  EXPECT_TRUE(pid_is((*gl)[2], me));
  EXPECT_EQ(std::string((*gl)[3].pid_value().node.name()), erl->node());
  auto ep = erl_process(*erl, *a, me, "receive check -> {group_leader, G} = process_info(self(), group_leader), OtppPid ! {gl, G} end");
  ASSERT_TRUE(ep);
  pid leader = a->make_pid();
  a->engine->group_leader(me, *ep, leader);
  a->engine->send(me, *ep, atom("check"));
  auto got = a->signals.wait_for_kind("deliver", [](const term& t) { return t[2].is_tagged_tuple(atom("gl"), 2); });
  ASSERT_TRUE(got);
  EXPECT_TRUE(pid_is((*got)[2][1], leader));
}

TEST_F(links_with_erl, aliases_work_both_ways) {
  ASSERT_EQ(erl->eval("A = alias(), ok."), "ok");
  a->engine->send_named(me, atom("tester"), atom(erl->node()), atom("want_alias"));
  ASSERT_EQ(erl->eval("receive want_alias -> ok end."), "ok");
  EXPECT_EQ(erl->eval("{kate, " + quoted(a->name_text()) + "} ! {alias_is, A}, ok."), "ok");
  // (erl's rex and global also greet a new node by name: pick ours)
  auto got = a->signals.wait_for_kind("deliver_named", [](const term& t) { return t[1].is_atom(atom("kate")); });
  ASSERT_TRUE(got);
  ASSERT_TRUE((*got)[2].is_tagged_tuple(atom("alias_is"), 2));
  reference alias = (*got)[2][1].reference_value();
  a->engine->send_alias(me, alias, atom("via_alias"));
  EXPECT_EQ(erl->eval("receive via_alias -> yes after 5000 -> timeout end."), "yes");
  reference ours{a->name(), a->engine->creation(), 3, {11, 12, 13, 0, 0}};
  a->engine->send_named(me, atom("tester"), atom(erl->node()), tuple_of(atom("our_alias"), ours));
  EXPECT_EQ(erl->eval("receive {our_alias, OA} -> OA ! to_our_alias, ok end."), "ok");
  auto via = a->signals.wait_for_kind("deliver_alias");
  ASSERT_TRUE(via);
  EXPECT_EQ((*via)[1], term(ours));
  EXPECT_EQ((*via)[2], atom("to_our_alias"));
}

TEST_F(links_with_erl, erl_spawn_request_without_a_spawn_hook_gets_refused_back_at_erl) {
  // (A runtime without a spawn hook refuses with notsup; here the stand-in answers for it.)
  std::thread answer([&] {
    auto req = a->signals.wait_for_kind("spawn_request");
    ASSERT_TRUE(req);
    a->engine->spawn_reply((*req)[2].pid_value(), (*req)[1].reference_value(), atom("notsup"), false, false);
  });
  auto r = erl->eval("R = erlang:spawn_request(" + quoted(a->name_text()) +
                     ", lists, reverse, [[1,2]], []), receive {spawn_reply, R, Res, What} -> {Res, What} after 5000 -> timeout end.");
  answer.join();
  EXPECT_EQ(r, "{error,notsup}");
}

TEST_F(links_with_erl, erl_spawn_request_reaches_the_signals_and_gets_the_pid) {
  pid spawned = a->make_pid();
  std::thread answer([&] {
    auto req = a->signals.wait_for_kind("spawn_request");
    ASSERT_TRUE(req);
    EXPECT_EQ((*req)[4], atom("kate"));
    EXPECT_EQ((*req)[5], atom("say_name"));
    EXPECT_EQ((*req)[6], list_of(1, atom("two")));
    EXPECT_EQ((*req)[8], atoms::true_);  // monitor
    a->engine->spawn_reply((*req)[2].pid_value(), (*req)[1].reference_value(), term(spawned), false, true);
  });
  auto r = erl->eval("R = erlang:spawn_request(" + quoted(a->name_text()) +
                     ", kate, say_name, [1, two], [monitor]), receive {spawn_reply, R, ok, P} -> node(P) after 5000 -> timeout end.");
  answer.join();
  EXPECT_EQ(r, a->name_text());
}

remote_spawn_request request_of(const pid& from, atom m, atom f, term args, const pid& gl, bool monitor) {
  remote_spawn_request r;
  r.req_id = reference{from.node, from.creation, 3, {77, 1, 2, 0, 0}};
  r.from = from;
  r.group_leader = gl;
  r.module = m;
  r.function = f;
  r.args = std::move(args);
  r.monitor = monitor;
  r.opts = monitor ? list_of(atoms::monitor) : term();
  return r;
}

TEST_F(links_with_erl, otpp_spawn_request_runs_on_erl_and_monitor_reports_the_end) {
  pid gl = a->make_pid();
  auto req = request_of(me, atom("erlang"), atom("send"), list_of(me, atom("from_spawned")), gl, true);
  a->engine->spawn_request(atom(erl->node()), req);
  auto reply = a->signals.wait_for_kind("spawn_reply");
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)[2], term(req.req_id));
  EXPECT_EQ((*reply)[4], atoms::false_);  // link
  EXPECT_EQ((*reply)[5], atoms::true_);   // monitor
  ASSERT_TRUE((*reply)[3].is_pid());
  EXPECT_TRUE(a->signals.wait_for_kind("deliver", [](const term& t) { return t[2].is_atom(atom("from_spawned")); }));
  auto down = a->signals.wait_for_kind("monitor_down");
  ASSERT_TRUE(down);
  EXPECT_EQ((*down)[3], term(req.req_id));
  EXPECT_EQ((*down)[4], atoms::normal);
}

TEST_F(links_with_erl, otpp_spawn_request_to_a_missing_node_ends_in_node_down) {
  // The runtime answers a pending request with noconnection when its node goes down.
  atom ghost(unique_name("ghost") + "@localhost");
  a->engine->spawn_request(ghost, request_of(me, atom("m"), atom("f"), term(), me, false));
  auto down = a->signals.wait_for_kind("node_down");
  ASSERT_TRUE(down);
  EXPECT_EQ((*down)[1], ghost);
}

using links_between_otpp_nodes = dist_test;

TEST_F(links_between_otpp_nodes, link_exit_monitor_and_down_between_two_otpp_nodes) {
  auto a = start_node("a"), b = start_node("b");
  ASSERT_TRUE(a && b);
  pid pa = a->make_pid(), pb = b->make_pid();
  a->engine->link(pa, pb);
  auto l = b->signals.wait_for_kind("link");
  ASSERT_TRUE(l);
  EXPECT_TRUE(pid_is((*l)[1], pa));
  b->engine->exit(pb, pa, atom("bye"), false);
  auto e = a->signals.wait_for_kind("exit");
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)[3], atom("bye"));
  reference ref{a->name(), a->engine->creation(), 3, {1, 1, 1, 0, 0}};
  a->engine->monitor(pa, atom("svc"), b->name(), ref);
  auto m = b->signals.wait_for_kind("monitor");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)[2], atom("svc"));
  b->engine->monitor_exit(atom("svc"), pa, ref, atom("stopped"));
  auto d = a->signals.wait_for_kind("monitor_down");
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)[2], tuple_of(atom("svc"), b->name()));
  EXPECT_EQ((*d)[4], atom("stopped"));
  b->engine->unlink(pb, pa, 99);
  auto u = a->signals.wait_for_kind("unlink");
  ASSERT_TRUE(u);
  EXPECT_EQ((*u)[3], term(99));
}
