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

#include "../tests/support/child_process.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/global.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/pg.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* cookie = "otpp_cluster_bench";

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
    std::fprintf(stderr, "cluster_bench: cannot start %s: %s\n", name.c_str(), n.error().c_str());
    std::exit(1);
  }
  return std::move(n.value());
}

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

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
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
  auto epmd = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!epmd) {
    std::fprintf(stderr, "cluster_bench: no port mapper: %s\n", epmd.error().c_str());
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
    std::string server = "cbkate" + tag() + "@localhost";
    test::child_process kate({{self_path, "--serve", server, std::to_string(port)}, env, true});
    if (!kate.wait_for("ready", 30s)) {
      std::fprintf(stderr, "cluster_bench: the otpp server did not start: %s\n", kate.output().c_str());
      return 1;
    }
    auto alex = start_node("cbalex" + tag() + "@localhost", port);
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
    std::string server = "cbsink" + tag() + "@localhost";
    test::child_process sink({{"erl", "-sname", server, "-setcookie", cookie, "-noshell", "-start_epmd",
                               "false", "-kernel", "start_pg", "true", "-eval", "io:format(\"ready~n\")."},
                              env,
                              true});
    if (!sink.wait_for("ready", 30s)) {
      std::fprintf(stderr, "cluster_bench: erl did not start: %s\n", sink.output().c_str());
      return 1;
    }
    // The reference sits below this file; a relative __FILE__ is relative to the build tree
    // (the directory above bin/).
    std::string here = __FILE__;
    if (here.empty() || here[0] != '/') {
      std::string exe = self_path;
      std::string bin_dir = exe.substr(0, exe.rfind('/'));
      here = bin_dir.substr(0, bin_dir.rfind('/')) + "/" + here;
    }
    std::string script = here.substr(0, here.rfind('/') + 1) + "reference/beam/cluster.escript";
    test::child_process client(
        {{"escript", script, "cbsrc" + tag(), server, cookie, std::to_string(seconds)}, env, true});
    (void)client.wait();
    std::string out = client.output();
    std::fputs(out.c_str(), stdout);
    for (const char* key : {"global.register_per_s", "pg.join_leave_per_s"}) {
      auto at = out.find(std::string("beam.") + key + "=");
      if (at == std::string::npos) continue;
      double b = std::atof(out.c_str() + at + std::strlen(key) + 6);
      if (b > 0) std::printf("ratio.%s=%.2f\n", key, figures[std::string("otpp.") + key] / b);
    }
  }
  return 0;
}
