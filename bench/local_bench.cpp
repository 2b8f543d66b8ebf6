// Local process figures, mirroring `dbench:local/1` in ../shared/bench/beam/dbench.erl:
// spawn cost and size of a process parked in receive, local ping-pong round trip, and
// one-to-one send throughput. Prints otpp.local.* key=value lines (details on stderr).
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace std::chrono_literals;
using otpp::_;
using otpp::any_pid;
using otpp::on;
using clk = std::chrono::steady_clock;

namespace {

const otpp::atom stop("stop");
const otpp::atom hello("hello");
const otpp::atom done("done");
const otpp::atom x("x");

// Processes that have started, counted per thread (a shared counter would bounce its cache
// line between the workers and slow down what is measured).
struct alignas(64) start_count {
  std::atomic<std::uint64_t> n{0};
};
start_count start_counts[64];
std::atomic<unsigned> next_counter{0};
thread_local start_count* my_count = nullptr;

void count_start() {
  if (!my_count) my_count = &start_counts[next_counter.fetch_add(1) % 64];
  my_count->n.store(my_count->n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

std::uint64_t started() {
  std::uint64_t sum = 0;
  for (auto& c : start_counts) sum += c.n.load(std::memory_order_relaxed);
  return sum;
}

long rss_bytes() {
  long size = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

double ns_since(clk::time_point t0) { return std::chrono::duration<double, std::nano>(clk::now() - t0).count(); }


// `fun() -> receive stop -> ok end end`
otpp::process_task parked(otpp::process& self) {
  count_start();
  co_await self.receive(on(stop) >> [] {});
}

// `fun Loop() -> receive {P, X} -> P ! X, Loop() end end`
otpp::process_task echo(otpp::process& self) {
  for (;;) {
    co_await self.receive(on(any_pid, _) >> [&](otpp::pid p, otpp::term m) { self.send(p, std::move(m)); });
  }
}

// `count(K, From)`: receives K messages, then tells From.
otpp::process_task counter(otpp::process& self, std::int64_t k, otpp::pid from) {
  for (; k > 0; --k) co_await self.receive(on(otpp::ignore) >> [] {});
  self.send(from, done);
}

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

otpp::task<double> round_trip_ns(otpp::process& self, otpp::pid e, int n) {
  auto t0 = clk::now();
  double c0 = thread_cpu_ns();
  otpp::term request = otpp::tuple_of(self.self(), x);
  for (int i = 0; i < n; ++i) {
    self.send(e, request);
    co_await self.receive(on(x) >> [] {});
  }
  // CPU time of this thread: meaningful with one worker (both processes on it), and
  // unaffected by other programs competing for the cores.
  std::fprintf(stderr, "round trip: %.1f ns wall, %.1f ns cpu of this worker\n", ns_since(t0) / n,
               (thread_cpu_ns() - c0) / n);
  co_return ns_since(t0) / n;
}

bool run_part(const char* which) {
  const char* only = std::getenv("OTPP_BENCH_ONLY");
  return only == nullptr || std::strstr(only, which) != nullptr;
}

otpp::process_task driver(otpp::process& self, otpp::pid report_to) {
  constexpr int n = 1000000;
  if (run_part("spawn")) {
  std::vector<otpp::pid> pids;
  pids.reserve(n);
  long rss0 = rss_bytes();
  auto t0 = clk::now();
  double c0 = thread_cpu_ns();
  for (int i = 0; i < n; ++i) pids.push_back(self.spawn(parked));
  // As BEAM's figure: the spawn calls (the processes run meanwhile on the other workers).
  double spawn_ns = ns_since(t0) / n;
  // Also: until every process has run up to its receive.
  while (started() < std::uint64_t(n)) co_await self.yield();
  double parked_ns = ns_since(t0) / n;
  double spawn_cpu = (thread_cpu_ns() - c0) / n;
  co_await self.yield();
  long rss1 = rss_bytes();
  auto info = co_await self.info(pids.front());
  self.send(report_to, otpp::tuple_of(otpp::atom("spawn_ns"), spawn_ns));
  self.send(report_to, otpp::tuple_of(otpp::atom("process_bytes"), double(rss1 - rss0) / n));
  std::fprintf(stderr,
               "spawn: loop %.1f ns/process, until all parked %.1f ns/process (%.1f ns cpu of this worker); "
               "process_info memory %zu B\n",
               spawn_ns, parked_ns, spawn_cpu, info ? info->memory : std::size_t(0));
  for (const auto& p : pids) self.send(p, stop);
  pids.clear();
  pids.shrink_to_fit();
  }
  if (run_part("round_trip")) {
  otpp::pid e = self.spawn(echo);
  (void)co_await round_trip_ns(self, e, 100000);
  double rt = co_await round_trip_ns(self, e, 1000000);
  self.send(report_to, otpp::tuple_of(otpp::atom("round_trip_ns"), rt));
  self.exit(e, otpp::atoms::kill);
  }
  if (run_part("msgs")) {
  constexpr std::int64_t m = 2000000;
  otpp::pid s = self.spawn(counter, m, self.self());
  auto t4 = clk::now();
  double c4 = thread_cpu_ns();
  for (std::int64_t i = 0; i < m; ++i) self.send(s, hello);
  co_await self.receive(on(done) >> [] {});
  std::fprintf(stderr, "send: %.1f ns wall, %.1f ns cpu of this worker per message\n", ns_since(t4) / double(m),
               (thread_cpu_ns() - c4) / double(m));
  self.send(report_to, otpp::tuple_of(otpp::atom("msgs_per_s"), double(m) * 1e9 / ns_since(t4)));
  }
  self.send(report_to, done);
}

}  // namespace

int main(int argc, char** argv) {
  otpp::runtime_options options;
  if (argc > 1) options.workers = unsigned(std::atoi(argv[1]));
  otpp::runtime rt(options);
  otpp::scoped_process main_proc(rt);
  main_proc.spawn(driver, main_proc.self());
  for (;;) {
    bool more = main_proc.receive(
        on(otpp::any_atom, _) >> [](otpp::atom key, otpp::term v) {
          std::printf("otpp.local.%.*s=%.3f\n", int(key.name().size()), key.name().data(), v.float_value());
          std::fflush(stdout);
          return true;
        },
        on(done) >> [] { return false; },
        otpp::after(120s, [] {
          std::fprintf(stderr, "local_bench: no answer in 120 s\n");
          return false;
        }));
    if (!more) break;
  }
  return 0;
}
