// The interpreter's figures, mirroring `dbench:eval/1` in reference/beam/dbench.erl: the same
// expression texts parsed with code::parse_exprs and run with code::eval_exprs inside a process
// of a node with the code layer installed (one worker, as the reference runs one scheduler).
// Prints otpp.eval.<case>_us, the CPU time of this program per run (median of 5 after one
// warm-up; the reference counts its emulator's CPU time the same way, so the load of a shared
// machine does not skew the ratio), and otpp.eval.<case>_wall_us, the elapsed time.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "otpp/code/erl_parse.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

struct bench_case {
  const char* key;
  const char* text;
};

// The texts of dbench:eval/1, character for character.
const bench_case cases[] = {
    {"fib20_us", "Fib = fun F(0) -> 0; F(1) -> 1; F(N) -> F(N - 1) + F(N - 2) end, Fib(20)."},
    {"comprehension_us", "lists:sum([X * X || X <- lists:seq(1, 100000), X rem 3 =/= 0])."},
    {"foldl_us", "lists:foldl(fun(X, {S, C}) -> {S + X, C + 1} end, {0, 0}, lists:seq(1, 100000))."},
    {"receive_loop_us",
     "P = spawn(fun L() -> receive {From, N} -> From ! N, L(); stop -> ok end end), "
     "R = fun Loop(0) -> done; Loop(K) -> P ! {self(), K}, receive K -> Loop(K - 1) end end, "
     "R(20000), P ! stop, ok."},
};

// CPU time of every thread of this program (the worker does the work; the others wait).
double cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

// Runs every case in one process: a warm-up run, then 5 timed ones; reports each median (or
// the error that ended a run) to `report_to`.
otpp::process_task driver(otpp::process& self, otpp::pid report_to) {
  const char* only = std::getenv("OTPP_BENCH_ONLY");  // a part of a case's key, for profiling
  for (const auto& c : cases) {
    if (only != nullptr && std::strstr(c.key, only) == nullptr) continue;
    auto parsed = otpp::code::parse_exprs(c.text);
    if (!parsed) {
      self.send(report_to, otpp::tuple_of(otpp::atom("failed"), otpp::atom(c.key), otpp::term::string(parsed.error.message)));
      continue;
    }
    std::vector<double> runs, cpu;
    bool ok = true;
    int repeat = std::getenv("OTPP_BENCH_REPEAT") ? std::atoi(std::getenv("OTPP_BENCH_REPEAT")) : 6;
    for (int i = 0; i < repeat && ok; ++i) {
      auto t0 = clk::now();
      double c0 = cpu_us();
      try {
        otpp::code::bindings bs;
        (void)co_await otpp::code::eval_exprs(self, *parsed.value, bs);
      } catch (const otpp::error_exception& e) {
        self.send(report_to, otpp::tuple_of(otpp::atom("failed"), otpp::atom(c.key), e.reason()));
        ok = false;
      } catch (const std::exception& e) {
        self.send(report_to, otpp::tuple_of(otpp::atom("failed"), otpp::atom(c.key), otpp::term::string(e.what())));
        ok = false;
      }
      if (i > 0) {
        runs.push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
        cpu.push_back(cpu_us() - c0);
      }
    }
    if (!ok) continue;
    std::sort(runs.begin(), runs.end());
    std::sort(cpu.begin(), cpu.end());
    self.send(report_to, otpp::tuple_of(otpp::atom(c.key), cpu[cpu.size() / 2]));
    std::string wall = std::string(c.key).replace(std::string(c.key).size() - 3, 3, "_wall_us");
    self.send(report_to, otpp::tuple_of(otpp::atom(wall), runs[runs.size() / 2]));
  }
  self.send(report_to, otpp::atom("done"));
}

}  // namespace

int main() {
  otpp::otp::node_options o;
  // One worker, as the reference's erl_eval runs in one process; the receive loop's echo
  // process shares it, as it shares BEAM's scheduler there.
  o.runtime.workers = 1;
  auto n = otpp::otp::node::start(std::move(o));
  if (!n) {
    std::fprintf(stderr, "eval_bench: %s\n", n.error().c_str());
    return 1;
  }
  auto& node = *n.value();
  otpp::code::install(node);
  otpp::scoped_process main_proc(node.rt());
  main_proc.spawn(driver, main_proc.self());
  int status = 0;
  for (;;) {
    bool more = main_proc.receive(
        otpp::on(otpp::atom("failed"), otpp::any_atom, otpp::_) >> [&](otpp::atom key, otpp::term why) {
          std::fprintf(stderr, "eval_bench: %s failed: %s\n", std::string(key.name()).c_str(), otpp::to_string(why).c_str());
          status = 1;
          return true;
        },
        otpp::on(otpp::any_atom, otpp::_) >> [](otpp::atom key, otpp::term v) {
          std::printf("otpp.eval.%.*s=%.1f\n", int(key.name().size()), key.name().data(), v.float_value());
          std::fflush(stdout);
          return true;
        },
        otpp::on(otpp::atom("done")) >> [] { return false; },
        otpp::after(600s, [&] {
          std::fprintf(stderr, "eval_bench: no answer in 600 s\n");
          status = 1;
          return false;
        }));
    if (!more) break;
  }
  return status;
}
