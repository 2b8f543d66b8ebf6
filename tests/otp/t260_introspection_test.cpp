// Scenario 260, BEAM tools look inside an otpp node over rpc: processes/0, registered/0,
// process_info/2, system_info/1, memory/0, statistics/1 and nodes/1 answer from a real erl as
// they would from a BEAM node; a hidden erl pings the otpp node and shows up as hidden only;
// OTP's etop, in text mode on a hidden erl node, lists the otpp node's processes.
#include <gtest/gtest.h>

#include "otp_fixture.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"
#include "support/child_process.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::erl_atom;
using otpp::test::eventually;

class introspection_from_erl : public ::testing::Test {
 protected:
  static inline std::unique_ptr<dist::epmd_server> epmd;
  static inline std::unique_ptr<otp::node> kate;
  static inline std::unique_ptr<test::erl_peer> erl;

  static void SetUpTestSuite() {
    epmd = otpp::test::start_private_epmd();
    ASSERT_TRUE(epmd);
    kate = otpp::test::start_test_node("kate", epmd->port(), std::make_shared<io::string_output_sink>());
    ASSERT_TRUE(kate);
    erl = std::make_unique<test::erl_peer>(test::unique_name("ierl"), epmd->port(), otpp::test::test_cookie);
    ASSERT_TRUE(erl->ready());
    ASSERT_EQ(erl->eval("K = " + erl_atom(kate->name().name()) + ", net_adm:ping(K)."), "pong");
  }
  static void TearDownTestSuite() {
    erl.reset();
    kate.reset();
    epmd.reset();
  }
};

TEST_F(introspection_from_erl, processes_and_registered_list_the_node_services) {
  EXPECT_EQ(erl->eval("lists:member(rpc:call(K, erlang, whereis, [global_name_server]), "
                      "rpc:call(K, erlang, processes, []))."),
            "true");
  EXPECT_EQ(erl->eval("[N || N <- [rex, user, global_name_server, pg], "
                      "lists:member(N, rpc:call(K, erlang, registered, []))]."),
            "[rex,user,global_name_server,pg]");
}

TEST_F(introspection_from_erl, process_info_shows_a_cpp_process_queue_links_and_name) {
  // A process waiting for `stop` keeps whatever else arrives queued.
  pid probe = kate->rt().spawn([](process& self) -> process_task {
    co_await self.receive(on(atom("stop")) >> [] {});
  });
  ASSERT_TRUE(kate->rt().register_name(atom("probe"), probe));
  kate->rt().send(probe, atom("first"));
  kate->rt().send(probe, tuple_of(atom("second"), term(2)));
  EXPECT_EQ(erl->eval("P = rpc:call(K, erlang, whereis, [probe]), "
                      "rpc:call(K, erlang, process_info, [P, [registered_name, message_queue_len, "
                      "messages, links, trap_exit, status]], 5000)."),
            "[{registered_name,probe},{message_queue_len,2},{messages,[first,{second,2}]},"
            "{links,[]},{trap_exit,false},{status,waiting}]");
  EXPECT_EQ(erl->eval("rpc:call(K, erlang, process_info, [P, registered_name])."), "{registered_name,probe}");
  EXPECT_EQ(erl->eval("element(1, rpc:call(K, erlang, process_info, [P, no_such_item]))."), "badrpc");
  kate->rt().send(probe, atom("stop"));
}

TEST_F(introspection_from_erl, system_info_memory_statistics_and_nodes_answer_as_beam_does) {
  EXPECT_EQ(erl->eval("rpc:call(K, erlang, system_info, [otp_release])."), "\"25\"");
  EXPECT_EQ(erl->eval("is_integer(rpc:call(K, erlang, system_info, [process_count]))."), "true");
  EXPECT_EQ(erl->eval("T = proplists:get_value(total, rpc:call(K, erlang, memory, [])), "
                      "is_integer(T) andalso T > 0."),
            "true");
  EXPECT_EQ(erl->eval("{W1, _} = rpc:call(K, erlang, statistics, [wall_clock]), is_integer(W1)."), "true");
  EXPECT_EQ(erl->eval("rpc:call(K, erlang, nodes, [connected]) =:= [node()]."), "true");
  EXPECT_EQ(erl->eval("element(1, rpc:call(K, erlang, system_info, [no_such_key]))."), "badrpc");
}

TEST_F(introspection_from_erl, a_remote_spawn_shows_its_initial_call_and_current_function) {
  // As on BEAM: a process spawned by a SPAWN_REQUEST of M:F/A started in {M, F, A}.
  kate->exports().add("otpp_probe", "wait_for_stop", [](process& self) -> task<term> {
    co_await self.receive(on(atom("stop")) >> [] {});
    co_return atoms::ok;
  });
  EXPECT_EQ(erl->eval("P2 = spawn(K, otpp_probe, wait_for_stop, []), timer:sleep(10), "
                      "rpc:call(K, erlang, process_info, [P2, [initial_call, current_function]])."),
            "[{initial_call,{otpp_probe,wait_for_stop,0}},{current_function,{otpp_probe,wait_for_"
            "stop,0}}]");
  EXPECT_EQ(erl->eval("P2 ! stop, ok."), "ok");
}

TEST_F(introspection_from_erl, memory_counts_the_atoms_and_binaries_the_node_holds) {
  auto memory_of = [](const char* what) {
    return std::stoll(erl->eval(std::string("rpc:call(K, erlang, memory, [") + what + "]).").value_or("-1"));
  };
  long long atoms_before = memory_of("atom"), binaries_before = memory_of("binary");
  EXPECT_GT(atoms_before, 0);
  const std::string prefix = test::unique_name("otpp_memory_probe") + "_";  // new names each run
  for (int i = 0; i < 1000; ++i) (void)atom(prefix + std::to_string(i));
  std::vector<std::uint8_t> bytes(1 << 20, 7);
  term held = term::binary(bytes);  // one megabyte, held while erl asks
  EXPECT_GE(memory_of("atom"), atoms_before + 1000 * static_cast<long long>(prefix.size()));
  EXPECT_GE(memory_of("binary"), binaries_before + (1 << 20));
  EXPECT_EQ(
      erl->eval(
          "M = rpc:call(K, erlang, memory, []), "
          "proplists:get_value(binary, M) >= 1048576 andalso proplists:get_value(atom, M) > 0."),
      "true");
}

TEST_F(introspection_from_erl, etop_in_text_mode_lists_the_otpp_processes) {
  if (erl->eval("code:which(etop).") == "non_existing")
    GTEST_SKIP()
        << "OTP's etop is not installed (Debian's erlang-observer; scripts/setup installs it)";
  pid shown = kate->rt().spawn(
      [](process& self) -> process_task { co_await self.receive(on(atom("stop")) >> [] {}); });
  ASSERT_TRUE(kate->rt().register_name(atom("etop_sees_me"), shown));
  test::child_process etop({{"erl",
                             "-sname",
                             test::unique_name("etop"),
                             "-hidden",
                             "-setcookie",
                             "otpp_test_cookie",
                             "-noshell",
                             "-s",
                             "etop",
                             "-output",
                             "text",
                             "-node",
                             std::string(kate->name().name()),
                             "-tracing",
                             "off",
                             "-interval",
                             "1",
                             "-lines",
                             "60",
                             "-sort",
                             "memory"},
                            {{"ERL_EPMD_PORT", std::to_string(epmd->port())}},
                            true});
  // etop prints a table each interval: the header, then a line per process.
  EXPECT_TRUE(etop.wait_for("etop_sees_me", 30s)) << etop.output();
  std::string out = etop.output();
  EXPECT_NE(out.find(std::string(kate->name().name())), std::string::npos) << out;
  EXPECT_NE(out.find("Name or Initial Func"), std::string::npos) << out;
  EXPECT_NE(out.find("global_name_server"), std::string::npos) << out;
  EXPECT_EQ(out.find("Timeout when waiting"), std::string::npos) << out;
  kate->rt().send(shown, atom("stop"));
}

TEST_F(introspection_from_erl, a_hidden_node_pings_and_is_listed_as_hidden_only) {
  test::erl_peer hidden(test::erl_peer::options{.name = test::unique_name("hid"),
                                                .epmd_port = epmd->port(),
                                                .extra_args = {"-hidden"}});
  ASSERT_TRUE(hidden.ready());
  // Two subscribers: the default one hears of visible nodes only.
  scoped_process visible_only(kate->rt()), every_type(kate->rt());
  kate->engine()->monitor_nodes(visible_only.self(), true);
  auto opts = dist::engine::parse_monitor_nodes_options(
      list_of(atom("nodedown_reason"), tuple_of(atom("node_type"), atom("all"))));
  ASSERT_TRUE(opts);
  kate->engine()->monitor_nodes(every_type.self(), true, *opts);
  ASSERT_EQ(hidden.eval("net_adm:ping(" + erl_atom(kate->name().name()) + ")."), "pong");
  auto up = every_type.receive_for(5s);
  ASSERT_TRUE(up);
  EXPECT_EQ(to_string(*up), "{nodeup," + hidden.node() + ",[{node_type,hidden}]}");
  EXPECT_EQ(hidden.eval("nodes()."), "[]");
  EXPECT_EQ(hidden.eval("lists:member(" + erl_atom(kate->name().name()) + ", nodes(hidden))."), "true");
  std::string h = hidden.node();
  EXPECT_EQ(erl->eval("lists:member('" + h + "', rpc:call(K, erlang, nodes, [hidden]))."), "true");
  EXPECT_EQ(erl->eval("lists:member('" + h + "', rpc:call(K, erlang, nodes, []))."), "false");
  EXPECT_EQ(erl->eval("lists:member('" + h + "', rpc:call(K, erlang, nodes, [known]))."), "true");
  // disconnect_node over rpc, and the reason the subscriber hears.
  EXPECT_EQ(erl->eval("rpc:call(K, erlang, disconnect_node, ['" + h + "'])."), "true");
  auto down = every_type.receive_for(5s);
  ASSERT_TRUE(down);
  EXPECT_EQ(to_string(*down), "{nodedown," + h + ",[{node_type,hidden},{nodedown_reason,disconnect}]}");
  EXPECT_FALSE(visible_only.receive_for(200ms));
  kate->engine()->monitor_nodes(visible_only.self(), false);
  kate->engine()->monitor_nodes(every_type.self(), false, *opts);
}

}  // namespace
