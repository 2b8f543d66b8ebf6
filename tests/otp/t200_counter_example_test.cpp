// Scenario 200, examples/otp/counter.cpp against a real iex: the C++ Counter called, cast to and
// inspected with :sys by name and node, its supervisor listed with Elixir's Supervisor, and a
// killed Counter restarted from 0.
#include <gtest/gtest.h>
#include <unistd.h>

#include "otp_fixture.hpp"

namespace {

using namespace otpp;
using namespace otpp::test;
using namespace std::chrono_literals;

std::string bin(const std::string& name) { return std::string(OTPP_BIN_DIR) + "/" + name; }

struct counter_example : otp_test {};

TEST_F(counter_example, iex_calls_casts_inspects_and_restarts_the_cpp_counter) {
  ASSERT_EQ(::access(bin("otp_counter").c_str(), X_OK), 0) << "build otp_counter first";
  std::string name = unique_name("cpp") + "@localhost";
  child_process counter({{bin("otp_counter"), "--sname", name, "--cookie", cookie},
                         {{"ERL_EPMD_PORT", std::to_string(epmd_port())}},
                         true});
  ASSERT_TRUE(counter.wait_for(name + " ready", 20s)) << counter.output();
  auto iex = start_iex("alex");
  ASSERT_TRUE(iex->ready());
  std::string at = "{Counter, :\"" + name + "\"}";
  auto eval = [&](const std::string& line) {
    auto out = iex->eval(line);
    EXPECT_TRUE(out) << iex->process().output();
    return out.value_or("");
  };
  EXPECT_EQ(eval("GenServer.call(" + at + ", :get)"), "0\n");
  EXPECT_EQ(eval("GenServer.cast(" + at + ", {:add, 5})"), ":ok\n");
  EXPECT_EQ(eval("GenServer.call(" + at + ", {:add, 2})"), "7\n");
  EXPECT_EQ(eval("pid = :rpc.call(:\"" + name + "\", Process, :whereis, [Counter]); :sys.get_state(pid)"),
            "7\n");
  EXPECT_EQ(eval(":sys.replace_state(pid, fn n -> n * 6 end)"), "42\n");
  EXPECT_EQ(eval("GenServer.call(" + at + ", :get)"), "42\n");
  auto children = eval("[{id, child, type, _}] = Supervisor.which_children({Counter.Supervisor, :\"" +
                       name + "\"}); {id, child == pid, type}");
  EXPECT_EQ(children, "{Counter, true, :worker}\n");
  EXPECT_EQ(eval("ref = Process.monitor(pid); Process.exit(pid, :kill); "
                 "receive do {:DOWN, ^ref, :process, _, r} -> r after 5000 -> :no_down end"),
            ":killed\n");
  // The supervisor restarts it from 0 (the name is back once the restart is done).
  EXPECT_TRUE(eventually([&] {
    return eval("try do GenServer.call(" + at + ", :get) catch :exit, _ -> :not_yet end") == "0\n";
  }));
  counter.close_stdin();
  EXPECT_TRUE(eventually([&] { return !counter.running(); }, 10s)) << counter.output();
}

}  // namespace
