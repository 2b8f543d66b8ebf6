// Shows how to test distributed code with otp::test_cluster: two otpp nodes in this process
// and a real erl on a private port mapper, a check on each, bounded waits, and a teardown that
// stops everything started here. A test framework's assertions would replace the `check`s.
// (docs/guide.md, "Testing distributed code".)
#include <cstdio>
#include <string>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/otp/test_cluster.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;

namespace {

int failures = 0;
void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok:  " : "FAIL:", what.c_str());
  if (!ok) ++failures;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  examples::describe(app, "Tests kate, alex and a real erl in a test cluster (needs erl).");
  CLI11_PARSE(app, argc, argv);
  try {
    otp::test_cluster cluster;  // a private port mapper; names like kate12345x0@localhost
    otp::node& kate = cluster.start_node("kate");
    otp::node& alex = cluster.start_node("alex");
    kate.exports().add("math", "double", [](term x) {
      auto n = x.to_int64();
      if (!n) throw error_exception(atom("badarith"));
      return term(*n * 2);
    });
    atom erl = cluster.start_erl("erl");  // a real erl, ready once registered
    {
      scoped_process me(alex.rt());
      term doubled = rpc::call(me, kate.name(), atom("math"), atom("double"), {term(21)}, cluster.timeout());
      check(doubled.to_int64() == 42, "math:double(21) on kate is " + to_string(doubled));
      term reversed = rpc::call(me, erl, atom("lists"), atom("reverse"), {list_of(1, 2, 3)}, cluster.timeout());
      check(to_string(reversed) == "[3,2,1]", "lists:reverse([1,2,3]) on erl is " + to_string(reversed));

      // A peer that dies is seen going down, within a bound.
      alex.engine()->monitor_nodes(me.self(), true);
      cluster.kill_erl(erl);
      bool down = me.receive(on(atom("nodedown"), erl) >> [] { return true; },
                             after(cluster.timeout(), [] { return false; }));
      check(down, "alex saw the killed erl go down");
      alex.engine()->monitor_nodes(me.self(), false);
    }  // processes first; the cluster then stops erl (by pid), the nodes and the port mapper
  } catch (const std::exception& e) {
    std::fprintf(stderr, "test cluster: %s\n", e.what());
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
