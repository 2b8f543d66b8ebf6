// Scenario 090, the distribution example (examples/distribution/echo.cpp) as a user runs it:
// one otpp node serving `echo`, another pinging it and getting the reply, then the same
// client against a real erl that registers an echo process.
#include <filesystem>

#include "dist/dist_fixture.hpp"

using namespace otpp;
using namespace otpp::test;

namespace {
std::string example() { return std::string(OTPP_BIN_DIR) + "/distribution_echo"; }
}  // namespace

// dist_tests depends on the distribution_echo target (tests/CMakeLists.txt), so the example
// is always there: a missing one is a failure, not a skip.
class examples : public dist_test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(example())) << example() << " was not built";
    dist_test::SetUp();
  }
  std::map<std::string, std::string> env() const { return {{"ERL_EPMD_PORT", std::to_string(epmd_port())}}; }
};

TEST_F(examples, echo_between_two_otpp_nodes) {
  std::string kate = unique_name("kate");
  child_process server({{example(), "--sname", kate + "@localhost", "--cookie", cookie}, env(), true});
  ASSERT_TRUE(server.wait_for("up", 10s)) << server.output();
  child_process client({{example(), "--sname", unique_name("alex") + "@localhost", "--cookie", cookie, "--peer", kate + "@localhost", "hi there"},
                        env(),
                        true});
  EXPECT_TRUE(client.wait_for(": pong", 10s)) << client.output();
  EXPECT_TRUE(client.wait_for("reply: hi there", 10s)) << client.output();
  EXPECT_EQ(client.wait(), 0);
}

TEST_F(examples, echo_to_a_missing_peer_says_so_and_exits_with_failure) {
  std::string missing = unique_name("kate") + "@localhost";  // never started
  child_process client({{example(), "--sname", unique_name("alex") + "@localhost", "--cookie", cookie, "--peer", missing, "hi"},
                        env(),
                        true});
  EXPECT_TRUE(client.wait_for("cannot reach " + missing, 20s)) << client.output();
  EXPECT_TRUE(eventually([&] { return !client.running(); }, 10s)) << client.output();
  EXPECT_NE(client.wait(), 0);  // (a wait status, not the exit code)
}

TEST_F(examples, echo_from_an_otpp_node_to_an_erl_node) {
  auto erl = start_erl("kate");
  ASSERT_TRUE(erl->ready());
  ASSERT_EQ(erl->eval("register(echo, spawn(fun Loop() -> receive {P, M} -> P ! {echo, M}, Loop() end end))."), "true");
  child_process client({{example(), "--sname", unique_name("alex") + "@localhost", "--cookie", cookie, "--peer", erl->node(), "from otpp"},
                        env(),
                        true});
  EXPECT_TRUE(client.wait_for(": pong", 10s)) << client.output();
  EXPECT_TRUE(client.wait_for("reply: from otpp", 10s)) << client.output();
  EXPECT_EQ(client.wait(), 0);
}
