// Remote messaging between two otpp nodes on loopback, the same workload as
// ../shared/bench/beam/dbench.erl remote/1: a `sink` process on node B counts N messages sent
// by a process on node A to {sink, B} (atoms, small tuples, 1 KiB and 64 KiB binaries), and
// an `echo` process answers ping-pongs from a process on A for the round trip. Prints otpp.remote.* key=value
// lines. Options: --peer erl (A sends to a real erl node running dbench instead, showing
// otpp is never the slower side), --ssl-dist-optfile FILE (both nodes run TLS distribution
// with erl's option file; the keys are then otpp.tls.*), --quick (fewer messages).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <unistd.h>

#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "otpp/dist/engine.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

/// One otpp node: a runtime and its distribution engine.
struct bench_node {
  runtime rt;
  dist::engine engine;
  bench_node(const std::string& name, std::uint16_t epmd_port, const std::optional<dist::tls_options>& tls = {})
      : rt(runtime_config()), engine(options(name, epmd_port, tls)) {
    engine.set_remote_signals(&rt.remote());
    engine.set_reference_factory([this] { return rt.make_ref(); });
    auto r = engine.start();
    if (!r) {
      std::fprintf(stderr, "cannot start %s: %s\n", name.c_str(), r.error().c_str());
      std::exit(1);
    }
    rt.set_node(engine.name(), engine.creation());
    rt.set_distribution(&engine);
    rt.set_io_poller(&engine.poller());  // as otp::node does
  }
  ~bench_node() {
    rt.set_io_poller(nullptr);
    rt.set_distribution(nullptr);
    engine.stop();
  }
  static runtime_options runtime_config() {
    runtime_options o;
    o.workers = 1;  // two nodes share this machine's two cores with their I/O threads
    return o;
  }
  static dist::engine_options options(const std::string& name, std::uint16_t epmd_port,
                                      const std::optional<dist::tls_options>& tls) {
    dist::engine_options o;
    o.tls = tls;
    o.name = name;
    o.cookie = "otpp_bench";
    o.epmd_port = epmd_port;
    o.listen_address = "127.0.0.1";
    o.log = [](std::string_view) {};  // a benchmark prints numbers only
    return o;
  }
};

// sink: receive {start, From, Total}, count Total messages, From ! done; forever.
process_task sink(process& self) {
  (void)self.register_name(atom("sink"));
  for (;;) {
    auto [from, total] = co_await self.receive(
        on(atom("start"), any_pid, any_int) >> [](pid f, std::int64_t n) { return std::pair{f, n}; });
    for (std::int64_t k = 0; k < total; ++k) {
      (void)co_await self.receive();
      if ((k & 1023) == 0) co_await self.maybe_yield();
    }
    self.send(from, atom("done"));
  }
}

// echo: receive {P, M} -> P ! M; forever.
process_task echo(process& self) {
  (void)self.register_name(atom("echo"));
  for (;;) {
    auto [p, m] = co_await self.receive(on(any_pid, _) >> [](pid p, term m) { return std::pair{p, m}; });
    self.send(p, m);
  }
}

double throughput(scoped_process& me, atom sink_node, std::int64_t n, const term& msg) {
  me.send(atom("sink"), sink_node, tuple_of(atom("start"), me.self(), n));
  auto t0 = clock_type::now();
  for (std::int64_t k = 0; k < n; ++k) me.send(atom("sink"), sink_node, msg);
  bool ok = me.receive(on(atom("done")) >> [] { return true; }, after(120s, [] { return false; }));
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  if (!ok) {
    std::fprintf(stderr, "sink did not answer\n");
    std::exit(1);
  }
  return static_cast<double>(n) / secs;
}

// Round trip to the echo process, by pid (otpp peer) or by name (erl peer), from a process of
// `me`'s node (as BEAM's figure is measured from a process): microseconds per round trip.
double round_trip_us(scoped_process& me, const std::optional<pid>& echo_pid, atom echo_node, int n) {
  me.spawn_link(
      [](process& self, pid report, std::optional<pid> echo_pid, atom echo_node, int n) -> process_task {
        term msg = tuple_of(self.self(), atom("x"));
        auto t0 = clock_type::now();
        for (int k = 0; k < n; ++k) {
          if (echo_pid) self.send(*echo_pid, msg);
          else self.send(atom("echo"), echo_node, msg);
          bool ok = co_await self.receive(on(atom("x")) >> [] { return true; }, after(10s, [] { return false; }));
          if (!ok) {
            self.send(report, term(-1.0));
            co_return;
          }
        }
        self.send(report, term(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n));
      },
      me.self(), echo_pid, echo_node, n);
  auto r = me.receive_for(std::chrono::seconds(120));
  if (!r || !r->is_float() || r->float_value() < 0) {
    std::fprintf(stderr, "echo did not answer\n");
    std::exit(1);
  }
  return r->float_value();
}

term binary_of(std::size_t size) { return term::binary(std::vector<std::uint8_t>(size, 1)); }

void out(const std::string& key, double v) {
  std::printf("%s=%.3f\n", key.c_str(), v);
  std::fflush(stdout);
}

// A real erl node running ../shared/bench/beam/dbench.erl's sink and echo, on our port mapper.
struct erl_sink {
  pid_t pid = -1;
  std::string node;
  std::string dir;
  erl_sink(std::uint16_t epmd_port, const std::string& tag) {
    char tmpl[] = "/tmp/otpp_bench_XXXXXX";
    dir = ::mkdtemp(tmpl);
    // DBENCH_ERL, else ../shared/bench/beam/dbench.erl seen from <repo>/<build>/bin/.
    std::string src;
    if (const char* e = std::getenv("DBENCH_ERL")) src = e;
    else src = std::filesystem::canonical("/proc/self/exe").parent_path().string() + "/../../../shared/bench/beam/dbench.erl";
    std::string cmd = "erlc -o " + dir + " " + src;
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "cannot compile %s\n", src.c_str());
      std::exit(1);
    }
    node = "esink" + tag + "@localhost";
    pid = ::fork();
    if (pid == 0) {
      ::setenv("ERL_EPMD_PORT", std::to_string(epmd_port).c_str(), 1);
      ::execlp("erl", "erl", "-sname", node.c_str(), "-setcookie", "otpp_bench", "-noshell", "-start_epmd", "false",
               "-pa", dir.c_str(), "-eval", "spawn(dbench, sink, []), spawn(dbench, echo, []).", (char*)nullptr);
      std::_Exit(127);
    }
  }
  ~erl_sink() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    std::system(("rm -rf " + dir).c_str());
  }
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, erl_peer = false;
  std::optional<dist::tls_options> tls;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--peer") == 0 && i + 1 < argc && std::strcmp(argv[i + 1], "erl") == 0) erl_peer = true;
    if (std::strcmp(argv[i], "--ssl-dist-optfile") == 0 && i + 1 < argc) {
      auto read = dist::read_ssl_dist_optfile(argv[++i]);
      if (!read) {
        std::fprintf(stderr, "%s\n", read.error().c_str());
        return 1;
      }
      tls = read.value();
    }
  }
  const std::int64_t scale = quick ? 10 : 1;

  // A private embedded port mapper, so the benchmark neither needs nor disturbs one on 4369.
  auto epmd = dist::epmd_server::start({"127.0.0.1", 0, {}, true});
  if (!epmd) {
    std::fprintf(stderr, "%s\n", epmd.error().c_str());
    return 1;
  }
  std::uint16_t port = (*epmd)->port();
  std::string tag = std::to_string(::getpid());
  std::unique_ptr<bench_node> b;
  std::unique_ptr<erl_sink> erl;
  atom sink_node;
  std::optional<pid> echo_pid;
  std::string prefix = tls ? "otpp.tls." : "otpp.remote.";
  if (erl_peer && tls) {
    std::fprintf(stderr, "--peer erl and --ssl-dist-optfile do not go together\n");
    return 2;
  }
  if (erl_peer) {
    erl = std::make_unique<erl_sink>(port, tag);
    sink_node = atom(erl->node);
    prefix = "otpp.remote_to_erl.";
  } else {
    b = std::make_unique<bench_node>("bsink" + tag + "@localhost", port, tls);
    b->rt.spawn(sink);
    b->rt.spawn(echo);
    sink_node = b->engine.name();
  }
  bench_node a("bsrc" + tag + "@localhost", port, tls);
  if (erl_peer) {
    // Wait until the erl node is up and its processes are registered.
    for (int i = 0; i < 300 && a.engine.ping(sink_node, 1s) != atoms::pong; ++i) std::this_thread::sleep_for(100ms);
    std::this_thread::sleep_for(500ms);
  } else {
    std::this_thread::sleep_for(100ms);
    echo_pid = b->rt.whereis(atom("echo"));
  }

  {
    scoped_process me(a.rt);
    throughput(me, sink_node, 100000 / scale, atom("warm"));
    out(prefix + "atom_msgs_per_s", throughput(me, sink_node, 1000000 / scale, atom("hello")));
    std::vector<std::uint8_t> zeros(16, 0);
    out(prefix + "tuple_msgs_per_s",
        throughput(me, sink_node, 1000000 / scale, tuple_of(atom("seq"), 12345, term::binary(zeros))));
    out(prefix + "bin1k_msgs_per_s", throughput(me, sink_node, 200000 / scale, binary_of(1024)));
    double r64 = throughput(me, sink_node, 20000 / scale, binary_of(65536));
    out(prefix + "bin64k_mb_per_s", r64 * 65536 / 1e6);
    round_trip_us(me, echo_pid, sink_node, 10000 / static_cast<int>(scale));
    out(prefix + "round_trip_us", round_trip_us(me, echo_pid, sink_node, 100000 / static_cast<int>(scale)));
  }
  a.rt.shutdown(1s);
  if (b) b->rt.shutdown(1s);
  return 0;
}
