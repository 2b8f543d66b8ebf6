// Cluster services between two otpp nodes on loopback, beside the same between two erl nodes in
// the same run (bench/reference/beam/cluster.escript): otpp.global.register_per_s is
// global::register_name + unregister_name of one name back to back (each a transaction under
// the global lock on both nodes, as global's registrar does); otpp.pg.join_leave_per_s is
// pg::join + pg::leave of the caller in the default scope (each broadcast to the other node's
// scope). Each metric runs three times; the medians are printed. The server node is a second
// process, as erl's is. Prints key=value lines: otpp.*, beam.* and ratio.* = otpp/beam.
// Options: --seconds S (per run, default 1), --no-beam.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "node_pair.hpp"
#include "otpp/otp/global.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/pg.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

using op_fn = std::function<task<bool>(process&)>;

// Runs `op` back to back in a process of `n` for about `seconds` (after a warm-up); ops/s.
double rate(otp::node& n, double seconds, op_fn op) {
  scoped_process me(n.rt());
  auto budget = std::chrono::duration<double>(seconds);
  me.spawn_link(
      [](process& self, pid report, op_fn op, std::chrono::duration<double> budget) -> process_task {
        for (int i = 0; i < 20; ++i) (void)co_await op(self);
        long count = 0;
        auto t0 = clock_type::now();
        while (clock_type::now() - t0 < budget) {
          for (int i = 0; i < 10; ++i)
            if (!co_await op(self)) self.exit(atom("failed"));
          count += 10;
        }
        double s = std::chrono::duration<double>(clock_type::now() - t0).count();
        self.send(report, term(count / s));
      },
      me.self(), op, budget);
  auto r = me.receive_for(std::chrono::seconds(static_cast<int>(seconds) + 60));
  return r && r->is_float() ? r->float_value() : 0.0;
}

double median(otp::node& n, double seconds, const op_fn& op) {
  double r[3];
  for (double& x : r) x = rate(n, seconds, op);
  std::sort(r, r + 3);
  return r[1];
}

}  // namespace

int main(int argc, char** argv) {
  bench::node_pair nodes("cluster_bench", "otpp_cluster_bench");
  if (auto served = nodes.serve_if_asked(argc, argv)) return *served;
  double seconds = 1.0;
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
    std::string server = "cbkate" + tag + "@localhost";
    auto kate = nodes.start_otpp_server(server);
    if (!kate) return 1;
    auto alex = nodes.start_node("cbalex" + tag + "@localhost");
    if (!alex->engine()->connect(atom(server))) {
      std::fprintf(stderr, "cluster_bench: cannot connect to %s\n", server.c_str());
      return 1;
    }
    {
      scoped_process me(alex->rt());
      (void)otp::global::sync(me);
    }
    figures["otpp.global.register_per_s"] = median(*alex, seconds, [](process& self) -> task<bool> {
      term name = atom("bench_name");
      bool ok = co_await otp::global::register_name(self, name, self.self());
      (void)co_await otp::global::unregister_name(self, name);
      co_return ok;
    });
    figures["otpp.pg.join_leave_per_s"] = median(*alex, seconds, [](process& self) -> task<bool> {
      term group = atom("bench_group");
      std::vector<pid> me{self.self()};
      bool joined = co_await otp::pg::join(self, otp::pg::default_scope, group, me);
      bool left = co_await otp::pg::leave(self, otp::pg::default_scope, group, me);
      co_return joined && left;
    });
  }
  for (auto& [k, v] : figures) std::printf("%s=%.1f\n", k.c_str(), v);
  std::fflush(stdout);

  if (beam) {
    std::string server = "cbsink" + tag + "@localhost";
    auto sink = nodes.start_erl_sink(server, {"-kernel", "start_pg", "true"});
    if (!sink) return 1;
    // The reference sits below this file; a relative __FILE__ is relative to the build tree
    // (the directory above bin/).
    std::string here = __FILE__;
    if (here.empty() || here[0] != '/') {
      std::string exe = nodes.self_path();
      std::string bin_dir = exe.substr(0, exe.rfind('/'));
      here = bin_dir.substr(0, bin_dir.rfind('/')) + "/" + here;
    }
    std::string script = here.substr(0, here.rfind('/') + 1) + "reference/beam/cluster.escript";
    test::child_process client(
        {{"escript", script, "cbsrc" + tag, server, nodes.cookie(), std::to_string(seconds)}, nodes.env(), true});
    (void)client.wait();
    std::string out = client.output();
    std::fputs(out.c_str(), stdout);
    bench::node_pair::print_ratios(out, figures, {"global.register_per_s", "pg.join_leave_per_s"});
  }
  return 0;
}
