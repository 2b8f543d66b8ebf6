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

#include "../tests/support/child_process.hpp"
#include "other_load.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* cookie = "otpp_rpc_bench";

std::unique_ptr<otp::node> start_node(const std::string& name, std::uint16_t epmd_port) {
  otp::node_options o;
  o.dist.name = name;
  o.dist.cookie = cookie;
  o.dist.epmd_port = epmd_port;
  o.dist.embedded_epmd = false;
  o.dist.listen_address = "127.0.0.1";
  o.dist.log = [](std::string_view) {};
  o.runtime.workers = 1;  // two nodes and their I/O threads share this machine's cores
  auto n = otp::node::start(std::move(o));
  if (!n) {
    std::fprintf(stderr, "rpc_bench: cannot start %s: %s\n", name.c_str(), n.error().c_str());
    std::exit(1);
  }
  return std::move(n.value());
}

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

// The server: a node that answers until its standard input closes.
int serve(const std::string& name, std::uint16_t epmd_port) {
  auto n = start_node(name, epmd_port);
  std::printf("ready\n");
  std::fflush(stdout);
  for (std::string line; std::getline(std::cin, line);) {
  }
  return 0;
}

std::string tag() { return std::to_string(::getpid()); }

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
  double seconds = 2.0;
  bool beam = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--serve" && i + 2 < argc)
      return serve(argv[i + 1], static_cast<std::uint16_t>(std::stoi(argv[i + 2])));
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::stod(argv[++i]);
    else if (a == "--no-beam")
      beam = false;
  }
  auto epmd =
      dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!epmd) {
    std::fprintf(stderr, "rpc_bench: no port mapper: %s\n", epmd.error().c_str());
    return 1;
  }
  std::uint16_t port = (*epmd)->port();
  std::map<std::string, std::string> env{{"ERL_EPMD_PORT", std::to_string(port)}};
  char self_path[4096];
  ssize_t len = ::readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  if (len <= 0) return 1;
  self_path[len] = 0;

  std::map<std::string, double> figures;
  {
    std::string server = "rbkate" + tag() + "@localhost";
    test::child_process kate({{self_path, "--serve", server, std::to_string(port)}, env, true});
    if (!kate.wait_for("ready", 30s)) {
      std::fprintf(stderr, "rpc_bench: the otpp server did not start: %s\n", kate.output().c_str());
      return 1;
    }
    auto alex = start_node("rbalex" + tag() + "@localhost", port);
    bench::other_load load({kate.pid()});
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
    std::string server = "rbsink" + tag() + "@localhost";
    test::child_process sink({{"erl", "-sname", server, "-setcookie", cookie, "-noshell",
                               "-start_epmd", "false", "-eval", "io:format(\"ready~n\")."},
                              env,
                              true});
    if (!sink.wait_for("ready", 30s)) {
      std::fprintf(stderr, "rpc_bench: erl did not start: %s\n", sink.output().c_str());
      return 1;
    }
    std::string here = __FILE__;  // CMake compiles by absolute path: the script sits beside
    std::string script = here.substr(0, here.rfind('/') + 1) + "rpc_bench.escript";
    test::child_process client(
        {{"escript", script, "rbsrc" + tag(), server, cookie, std::to_string(seconds)}, env, true});
    bench::other_load load({sink.pid(), client.pid()});
    (void)client.wait();
    report_load("beam", load);
    std::string out = client.output();
    std::fputs(out.c_str(), stdout);
    for (const char* key : {"rpc.calls_per_s", "remote.spawn_per_s"}) {
      auto at = out.find(std::string("beam.") + key + "=");
      if (at == std::string::npos) continue;
      double b = std::atof(out.c_str() + at + std::strlen(key) + 6);
      if (b > 0) std::printf("ratio.%s=%.2f\n", key, figures[std::string("otpp.") + key] / b);
    }
  }
  return 0;
}
