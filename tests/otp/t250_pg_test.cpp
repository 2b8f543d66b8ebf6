// Scenario 250, `:pg` with real erl nodes: members joined on otpp are seen by erl and the
// reverse, in the default scope and in a named one; leaves and monitor_scope notifications
// cross too; rpc from erl reads otpp's groups; members of a killed node disappear. One otpp
// node and one erl peer serve the suite; the last test brings a second erl and kills it.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/pg.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::erl_atom;
using otpp::test::eventually;

class pg_with_erl : public ::testing::Test {
 protected:
  static inline std::unique_ptr<dist::epmd_server> epmd;
  static inline std::unique_ptr<otp::node> kate;
  static inline std::unique_ptr<test::erl_peer> erl;
  static inline const atom chat{"chat_scope"};

  static void SetUpTestSuite() {
    epmd = otpp::test::start_private_epmd();
    ASSERT_TRUE(epmd);
    kate = otpp::test::start_test_node("kate", epmd->port(), std::make_shared<io::string_output_sink>());
    ASSERT_TRUE(kate);
    ASSERT_TRUE(otp::pg::start_scope(kate->services(), chat));
    erl = start_erl("pgerl");
    ASSERT_TRUE(erl->ready());
    ASSERT_EQ(erl->eval("{ok, _} = pg:start(chat_scope), ok."), "ok");
    ASSERT_EQ(erl->eval("net_adm:ping(" + erl_atom(kate->name().name()) + ")."), "pong");
  }
  static void TearDownTestSuite() {
    erl.reset();
    kate.reset();
    epmd.reset();
  }
  static std::unique_ptr<test::erl_peer> start_erl(const std::string& prefix) {
    return std::make_unique<test::erl_peer>(test::unique_name(prefix), epmd->port(), otpp::test::test_cookie,
                                            std::vector<std::string>{"-kernel", "start_pg", "true"});
  }

  static std::string members_on_otpp(atom scope, const std::string& group) {
    auto m = otp::pg::get_members(kate->rt(), scope, atom(group));
    return to_string(term::list(std::vector<term>(m.begin(), m.end())));
  }
};

TEST_F(pg_with_erl, otpp_members_are_seen_on_erl_in_both_scopes_until_they_leave) {
  scoped_process me(kate->rt());
  ASSERT_TRUE(otp::pg::join(me, otp::pg::default_scope, atom("room"), {me.self()}));
  ASSERT_TRUE(otp::pg::join(me, chat, atom("lobby"), {me.self()}));
  std::string k = std::string(kate->name().name());
  EXPECT_TRUE(eventually([&] { return erl->eval("[node(P) || P <- pg:get_members(room)].") == "[" + k + "]"; }, 5s));
  EXPECT_TRUE(eventually(
      [&] { return erl->eval("[node(P) || P <- pg:get_members(chat_scope, lobby)].") == "[" + k + "]"; }, 5s));
  EXPECT_EQ(erl->eval("pg:get_members(chat_scope, room)."), "[]");
  EXPECT_EQ(erl->eval("pg:get_local_members(room)."), "[]");
  EXPECT_TRUE(otp::pg::leave(me, otp::pg::default_scope, atom("room"), {me.self()}));
  EXPECT_FALSE(otp::pg::leave(me, otp::pg::default_scope, atom("room"), {me.self()}));
  EXPECT_TRUE(eventually([&] { return erl->eval("pg:get_members(room).") == "[]"; }, 5s));
  EXPECT_EQ(otp::pg::which_local_groups(kate->rt(), chat).size(), 1u);
}

TEST_F(pg_with_erl, erl_members_are_seen_on_otpp_and_by_its_scope_monitor) {
  scoped_process me(kate->rt());
  auto mon = otp::pg::monitor_scope(me, chat);
  ASSERT_TRUE(mon);
  ASSERT_EQ(erl->eval("M = spawn(fun() -> receive stop -> ok end end), pg:join(chat_scope, crew, M)."), "ok");
  auto note = me.receive(on(mon->first, atom("join"), atom("crew"), _) >> [](term pids) { return pids; },
                         after(5s, [] { return term(); }));
  ASSERT_TRUE(note.is_list() && note.list_elements().size() == 1);
  EXPECT_EQ(note.list_elements()[0].pid_value().node.name(), erl->node());
  EXPECT_EQ(members_on_otpp(chat, "crew"), to_string(note));
  EXPECT_EQ(members_on_otpp(otp::pg::default_scope, "crew"), "[]");
  // rpc from erl reads otpp's copy of the groups.
  EXPECT_EQ(erl->eval("lists:member(crew, rpc:call(" + erl_atom(kate->name().name()) +
                      ", pg, which_groups, [chat_scope]))."),
            "true");
  ASSERT_EQ(erl->eval("pg:leave(chat_scope, crew, M)."), "ok");
  auto left = me.receive(on(mon->first, atom("leave"), atom("crew"), _) >> [] { return true; },
                         after(5s, [] { return false; }));
  EXPECT_TRUE(left);
  EXPECT_EQ(members_on_otpp(chat, "crew"), "[]");
  EXPECT_TRUE(otp::pg::demonitor(me, chat, mon->first));
}

TEST_F(pg_with_erl, members_of_a_killed_node_disappear) {
  auto other = start_erl("pgerlb");
  ASSERT_TRUE(other->ready());
  ASSERT_EQ(other->eval("net_adm:ping(" + erl_atom(kate->name().name()) + ")."), "pong");
  ASSERT_EQ(other->eval("{ok, _} = pg:start(chat_scope), M = spawn(fun() -> receive stop -> ok end end), "
                        "{pg:join(doomed, M), pg:join(chat_scope, doomed, [M, M])}."),
            "{ok,ok}");
  EXPECT_TRUE(eventually([] { return otp::pg::get_members(kate->rt(), otp::pg::default_scope, atom("doomed")).size() == 1; }, 5s));
  EXPECT_TRUE(eventually([] { return otp::pg::get_members(kate->rt(), chat, atom("doomed")).size() == 2; }, 5s));
  other->kill();
  EXPECT_TRUE(eventually([] { return otp::pg::get_members(kate->rt(), otp::pg::default_scope, atom("doomed")).empty(); }, 10s));
  EXPECT_TRUE(eventually([] { return otp::pg::get_members(kate->rt(), chat, atom("doomed")).empty(); }, 10s));
  auto groups = otp::pg::which_groups(kate->rt(), chat);
  EXPECT_TRUE(std::none_of(groups.begin(), groups.end(), [](const term& g) { return g.is_atom(atom("doomed")); }));
}

}  // namespace
