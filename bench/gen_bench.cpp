// gen_server call round trips, the workload of bench/reference/beam/dbench.erl's gen_calls: a
// server answering every call with its argument, called (by pid) sequentially by one process on
// the same node (otpp.gen.local_calls_per_s) and from a second node over loopback
// (otpp.gen.remote_calls_per_s). Calls use gen_server's default timeout (5 s), as the
// reference's gen_server:call/2 does, so arming and cancelling the timer is part of the cost.
// Prints key=value lines. Options: --quick (fewer calls), --only local|remote.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <unistd.h>

#include "otpp/dist/epmd.hpp"
#include "otpp/otp/gen_server.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;
using namespace std::chrono_literals;

namespace {

struct echo_server : gen_server::server {
  task<action> handle_call(process&, term request, gen::from) override { co_return reply(std::move(request)); }
};

// Makes `n` sequential calls from a process of `rt`; calls per second.
double calls_per_s(runtime& rt, gen_server::destination server, std::int64_t n) {
  scoped_process me(rt);
  rt.spawn([](process& self, pid owner, gen_server::destination to, std::int64_t count) -> process_task {
    auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t k = count; k > 0; --k) {
      term r = co_await gen_server::call(self, to, term(k));
      if (r != term(k)) self.exit(atom("wrong_reply"));
    }
    std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    self.send(owner, term(static_cast<double>(count) / dt.count()));
  }, me.self(), server, n);
  auto r = me.receive_for(600s);
  return r && r->is_float() ? r->float_value() : 0.0;
}

std::unique_ptr<otp::node> start_node(const std::string& name, std::uint16_t epmd_port) {
  otp::node_options o;
  o.dist.name = name;
  o.dist.cookie = "otpp_bench";
  o.dist.epmd_port = epmd_port;
  o.dist.embedded_epmd = false;
  o.dist.listen_address = "127.0.0.1";
  o.dist.log = [](std::string_view) {};
  o.runtime.workers = 1;  // two nodes share two cores with their I/O threads
  auto n = otp::node::start(std::move(o));
  if (!n) {
    std::fprintf(stderr, "gen_bench: %s\n", n.error().c_str());
    std::exit(1);
  }
  return std::move(n.value());
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: otpp_gen_bench [--quick] [--only local|remote]\n");
      return 2;
    }
  }
  const std::int64_t scale = quick ? 10 : 1;
  auto epmd = dist::epmd_server::start({"127.0.0.1", 0, {}, true});
  if (!epmd) {
    std::fprintf(stderr, "%s\n", epmd.error().c_str());
    return 1;
  }
  std::string tag = std::to_string(::getpid());
  auto sink = start_node("gsink" + tag + "@localhost", (*epmd)->port());
  auto source = start_node("gsrc" + tag + "@localhost", (*epmd)->port());
  {
    scoped_process starter(sink->rt());
    auto s = gen_server::start(starter, std::make_shared<echo_server>(),
                               {.name = atom("gen_echo"), .link = false});
    if (!s.ok()) return 1;
    if (only.empty() || only == "local") {
      (void)calls_per_s(sink->rt(), *s.pid, 100000 / scale);
      std::printf("otpp.gen.local_calls_per_s=%.0f\n", calls_per_s(sink->rt(), *s.pid, 1000000 / scale));
      std::fflush(stdout);
    }
    if (only.empty() || only == "remote") {
      // By pid, as the reference calls the pid its rpc:call started.
      gen_server::destination remote(*s.pid);
      (void)calls_per_s(source->rt(), remote, 10000 / scale);
      std::printf("otpp.gen.remote_calls_per_s=%.0f\n", calls_per_s(source->rt(), remote, 100000 / scale));
    }
  }
  source.reset();
  sink.reset();
  return 0;
}
