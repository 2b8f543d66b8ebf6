// Scenario 240, `:global` with real erl nodes: global:sync() on erl completes with otpp in the
// cluster, names resolve both ways, a name registered in two partitions is resolved by
// random_exit_name when they meet, and the names of a node that goes down disappear. One otpp
// node and one erl peer serve the whole suite; the conflict test brings a second erl.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/otp/global.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::erl_atom;
using otpp::test::eventually;

class global_with_erl : public ::testing::Test {
 protected:
  static inline std::unique_ptr<dist::epmd_server> epmd;
  static inline std::unique_ptr<otp::node> kate;
  static inline std::unique_ptr<test::erl_peer> erl;

  static void SetUpTestSuite() {
    epmd = otpp::test::start_private_epmd();
    ASSERT_TRUE(epmd);
    kate = start_node("kate");
    erl = start_erl("gerl");
    ASSERT_TRUE(kate && erl->ready());
    ASSERT_EQ(erl->eval("net_adm:ping(" + erl_atom(kate->name().name()) + ")."), "pong");
  }
  static void TearDownTestSuite() {
    erl.reset();
    kate.reset();
    epmd.reset();
  }

  static std::unique_ptr<otp::node> start_node(const std::string& prefix) {
    return test::start_test_node(prefix, epmd->port(), std::make_shared<io::string_output_sink>());
  }
  static std::unique_ptr<test::erl_peer> start_erl(const std::string& prefix) {
    return std::make_unique<test::erl_peer>(test::unique_name(prefix), epmd->port(), otpp::test::test_cookie);
  }

  static std::string whereis_on_otpp(const std::string& name) {
    auto p = otp::global::whereis_name(kate->rt(), atom(name));
    return p ? to_string(term(*p)) : "undefined";
  }
};

TEST_F(global_with_erl, sync_on_erl_completes_with_an_otpp_node_connected) {
  EXPECT_EQ(erl->eval("global:sync().", 15s), "ok");
  EXPECT_EQ(erl->eval("lists:member(" + erl_atom(kate->name().name()) +
                      ", gen_server:call(global_name_server, get_synced)).", 5s),
            "true");
}

TEST_F(global_with_erl, a_name_registered_on_erl_resolves_from_otpp) {
  ASSERT_EQ(erl->eval("global:sync(), P1 = spawn(fun() -> receive stop -> ok end end), "
                      "global:register_name(from_erl, P1).", 15s),
            "yes");
  EXPECT_TRUE(eventually([] { return whereis_on_otpp("from_erl") != "undefined"; }, 5s));
  auto p = otp::global::whereis_name(kate->rt(), atom("from_erl"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->node.name(), erl->node());
  EXPECT_EQ(erl->eval("P1 ! stop, ok."), "ok");
  EXPECT_TRUE(eventually([] { return whereis_on_otpp("from_erl") == "undefined"; }, 5s));
}

TEST_F(global_with_erl, a_name_registered_by_otpp_resolves_on_erl_and_takes_messages) {
  scoped_process me(kate->rt());
  ASSERT_TRUE(otp::global::register_name(me, atom("from_otpp"), me.self()));
  EXPECT_FALSE(otp::global::register_name(me, atom("from_otpp"), me.self()));
  // Run alone, the suite's connection may still be in global's exchange: sync as a user would.
  EXPECT_EQ(erl->eval("global:sync(), is_pid(global:whereis_name(from_otpp)) andalso node(global:whereis_name(from_otpp)).", 15s),
            std::string(kate->name().name()));
  EXPECT_EQ(erl->eval("global:send(from_otpp, hello_from_erl), ok."), "ok");
  auto got = me.receive_for(5s);
  ASSERT_TRUE(got);
  EXPECT_EQ(to_string(*got), "hello_from_erl");
  EXPECT_TRUE(otp::global::unregister_name(me, atom("from_otpp")));
  EXPECT_EQ(erl->eval("global:whereis_name(from_otpp)."), "undefined");
}

TEST_F(global_with_erl, a_conflict_kills_one_holder_and_the_names_of_a_dead_node_go) {
  // Both partitions register `twice` before they meet.
  scoped_process holder(kate->rt());
  ASSERT_TRUE(otp::global::register_name(holder, atom("twice"), holder.self()));
  auto other = start_erl("gerlb");
  ASSERT_TRUE(other->ready());
  ASSERT_EQ(other->eval("P = spawn(fun() -> receive stop -> ok end end), "
                        "Q = spawn(fun() -> receive stop -> ok end end), "
                        "{global:register_name(twice, P), global:register_name(only_b, Q)}."),
            "{yes,yes}");
  ASSERT_EQ(other->eval("net_adm:ping(" + erl_atom(kate->name().name()) + ")."), "pong");
  ASSERT_EQ(other->eval("global:sync().", 15s), "ok");
  // random_exit_name keeps the process on the node whose name sorts first.
  bool otpp_wins = compare(kate->name(), atom(other->node())) < 0;
  std::string expected_node = otpp_wins ? std::string(kate->name().name()) : other->node();
  EXPECT_TRUE(eventually([&] {
    auto p = otp::global::whereis_name(kate->rt(), atom("twice"));
    return p && p->node.name() == expected_node;
  }, 10s));
  EXPECT_EQ(other->eval("node(global:whereis_name(twice))."), expected_node);
  if (otpp_wins) {
    EXPECT_EQ(other->eval("is_process_alive(P)."), "false");
  } else {
    EXPECT_THROW((void)holder.receive_for(2s), process_exited);
  }
  EXPECT_TRUE(eventually([] { return whereis_on_otpp("only_b") != "undefined"; }, 5s));
  other->kill();
  EXPECT_TRUE(eventually([] { return whereis_on_otpp("only_b") == "undefined"; }, 10s));
  EXPECT_TRUE(eventually([&] { return erl->eval("global:whereis_name(only_b).") == "undefined"; }, 10s));
}

}  // namespace
