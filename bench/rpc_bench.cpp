// rpc and remote spawn between two otpp nodes on loopback, beside the same between two erl
// nodes in the same run: one caller, sequential. otpp.rpc.calls_per_s is rpc::call of
// erlang:self/0 on the other node (a SPAWN_REQUEST of erpc:execute_call/4 and its DOWN, as
// rpc:call does); otpp.remote.spawn_per_s is spawn/4 of erlang:self/0 (waits for each
// SPAWN_REPLY, as erlang:spawn/4 does). The server node is a second process, as erl's is.
// Prints key=value lines: otpp.*, beam.* (from bench/rpc_bench.escript) and ratio.* = otpp/beam,
// and load.*_other_cores: the CPU other programs used meanwhile (figures beside other work are
// not a quiet machine's; a warning on stderr says so).
// Options: --seconds S (per metric, default 2), --no-beam.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "node_pair.hpp"
#include "other_load.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// Runs `op` back to back in a process of `n` for about `seconds` (after a warm-up); ops/s.
template <class Op>
double rate(otp::node& n, double seconds, Op op) {
  scoped_process me(n.rt());
  auto budget = std::chrono::duration<double>(seconds);
  me.spawn_link(
      [](process& self, pid report, Op op, std::chrono::duration<double> budget) -> process_task {
        for (int i = 0; i < 200; ++i) co_await op(self);
        long count = 0;
        auto t0 = clock_type::now();
        while (clock_type::now() - t0 < budget) {
          for (int i = 0; i < 50; ++i) co_await op(self);
          count += 50;
        }
        double s = std::chrono::duration<double>(clock_type::now() - t0).count();
        self.send(report, term(count / s));
      },
      me.self(), op, budget);
  auto r = me.receive_for(std::chrono::seconds(static_cast<int>(seconds) + 60));
  return r && r->is_float() ? r->float_value() : 0.0;
}

// Prints how much CPU other programs used while `what` ran, warning when it was enough to
// skew the figures (a fifth of a core already costs the otpp figures a third here).
void report_load(const char* what, const bench::other_load& load) {
  const double cores = load.cores();
  std::printf("load.%s_other_cores=%.2f\n", what, cores);
  if (cores > 0.1)
    std::fprintf(stderr,
                 "rpc_bench: other programs used %.2f cores during the %s runs: these are not "
                 "a quiet machine's figures\n",
                 cores, what);
}

}  // namespace

int main(int argc, char** argv) {
  bench::node_pair nodes("rpc_bench", "otpp_rpc_bench");
  if (auto served = nodes.serve_if_asked(argc, argv)) return *served;
  double seconds = 2.0;
  bool beam = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::stod(argv[++i]);
    else if (a == "--no-beam")
      beam = false;
  }
  if (!nodes.start_port_mapper()) return 1;
  const std::string tag = bench::node_pair::tag();

  std::map<std::string, double> figures;
  {
    std::string server = "rbkate" + tag + "@localhost";
    auto kate = nodes.start_otpp_server(server);
    if (!kate) return 1;
    auto alex = nodes.start_node("rbalex" + tag + "@localhost");
    bench::other_load load({kate->pid()});
    atom k(server);
    figures["otpp.rpc.calls_per_s"] = rate(*alex, seconds, [k](process& self) -> task<term> {
      std::vector<term> none;
      co_return co_await rpc::call(self, k, atom("erlang"), atom("self"), std::move(none));
    });
    figures["otpp.remote.spawn_per_s"] = rate(*alex, seconds, [k](process& self) -> task<term> {
      std::vector<term> none;
      pid p = co_await remote::spawn(self, k, atom("erlang"), atom("self"), std::move(none));
      co_return term(p);
    });
    for (auto& [key, v] : figures) std::printf("%s=%.1f\n", key.c_str(), v);
    report_load("otpp", load);
  }
  std::fflush(stdout);

  if (beam) {
    std::string server = "rbsink" + tag + "@localhost";
    auto sink = nodes.start_erl_sink(server);
    if (!sink) return 1;
    std::string here = __FILE__;  // CMake compiles by absolute path: the script sits beside
    std::string script = here.substr(0, here.rfind('/') + 1) + "rpc_bench.escript";
    test::child_process client(
        {{"escript", script, "rbsrc" + tag, server, nodes.cookie(), std::to_string(seconds)}, nodes.env(), true});
    bench::other_load load({sink->pid(), client.pid()});
    (void)client.wait();
    report_load("beam", load);
    std::string out = client.output();
    std::fputs(out.c_str(), stdout);
    bench::node_pair::print_ratios(out, figures, {"rpc.calls_per_s", "remote.spawn_per_s"});
  }
  return 0;
}
