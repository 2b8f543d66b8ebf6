// Scenario 170, the test-cluster helper users test distributed code with
// (include/otpp/otp/test_cluster.hpp): in-process otpp nodes and a real erl on a private port
// mapper find each other, a killed erl is seen going down, and teardown stops the erl by pid.
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>

#include "otpp/otp/rpc.hpp"
#include "otpp/otp/test_cluster.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;

TEST(test_cluster, two_otpp_nodes_on_the_private_port_mapper_ping_each_other) {
  otp::test_cluster c;
  otp::node& kate = c.start_node("kate");
  otp::node& alex = c.start_node("alex");
  EXPECT_NE(c.epmd_port(), 4369);
  EXPECT_NE(kate.name(), alex.name());
  EXPECT_EQ(alex.engine()->ping(kate.name()), atom("pong"));
  EXPECT_EQ(alex.engine()->nodes(), std::vector<atom>{kate.name()});
}

TEST(test_cluster, a_real_erl_answers_rpc_from_an_otpp_node_and_teardown_stops_it) {
  long erl_os_pid = 0;
  {
    otp::test_cluster c;
    otp::node& alex = c.start_node("alex");
    atom erl = c.start_erl("erl");
    scoped_process me(alex.rt());
    EXPECT_EQ(to_string(rpc::call(me, erl, atom("erlang"), atom("node"), {}, c.timeout())),
              to_string(term(erl)));
    term os_pid = rpc::call(me, erl, atom("os"), atom("getpid"), {}, c.timeout());
    erl_os_pid = std::stol(to_string(os_pid).substr(1));  // "12345" printed as a string
    ASSERT_GT(erl_os_pid, 0);
    EXPECT_EQ(::kill(static_cast<pid_t>(erl_os_pid), 0), 0);
  }
  // Reaped by the cluster: no such process any more (not even a zombie).
  EXPECT_EQ(::kill(static_cast<pid_t>(erl_os_pid), 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(test_cluster, a_real_elixir_node_answers_rpc_with_elixirs_own_modules) {
  otp::test_cluster c;
  otp::node& alex = c.start_node("alex");
  atom iex = c.start_elixir("iex");
  scoped_process me(alex.rt());
  term sum = rpc::call(me, iex, atom("Elixir.Enum"), atom("sum"), {list_of(1, 2, 3)}, c.timeout());
  EXPECT_EQ(sum, term(6));
  term upcased = rpc::call(me, iex, atom("Elixir.String"), atom("upcase"), {term::binary("kate")}, c.timeout());
  EXPECT_EQ(to_string(upcased), "<<\"KATE\">>");
}

TEST(test_cluster, a_killed_erl_goes_down_for_the_nodes_that_watch_it) {
  otp::test_cluster c;
  otp::node& alex = c.start_node("alex");
  atom erl = c.start_erl("erl");
  scoped_process me(alex.rt());
  alex.engine()->monitor_nodes(me.self(), true);
  ASSERT_EQ(alex.engine()->ping(erl), atom("pong"));
  c.kill_erl(erl);
  bool down = me.receive(on(atom("nodedown"), erl) >> [] { return true; },
                         after(c.timeout(), [] { return false; }));
  EXPECT_TRUE(down);
  alex.engine()->monitor_nodes(me.self(), false);
}

}  // namespace
