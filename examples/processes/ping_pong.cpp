// Shows the basics of otpp processes: spawn a process, send it messages, and receive its
// replies with selective receive — from main() through a scoped_process, and between two
// coroutine processes that play ping-pong and report back.
#include <chrono>
#include <iostream>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace std::chrono_literals;
using otpp::_;
using otpp::after;
using otpp::any_int;
using otpp::any_pid;
using otpp::on;

namespace {

const otpp::atom ping("ping");
const otpp::atom pong("pong");
const otpp::atom done("done");
const otpp::atom stop("stop");

// Answers {ping, From, N} with {pong, N} until told to stop.
otpp::process_task ponger(otpp::process& self) {
  for (;;) {
    bool more = co_await self.receive(
        on(ping, any_pid, any_int) >> [&](otpp::pid from, std::int64_t n) {
          self.send(from, otpp::tuple_of(pong, n));
          return true;
        },
        on(stop) >> [] { return false; });
    if (!more) co_return;
  }
}

// Plays `rounds` rounds against a fresh ponger, then tells `report_to` how it went.
otpp::process_task pinger(otpp::process& self, otpp::pid report_to, int rounds) {
  otpp::pid peer = self.spawn_link(ponger);
  for (int i = 1; i <= rounds; ++i) {
    self.send(peer, otpp::tuple_of(ping, self.self(), i));
    // Selective receive: only the pong for this round; anything else stays queued.
    co_await self.receive(on(pong, i) >> [] {}, after(1s, [&] { self.exit(otpp::atoms::timeout); }));
  }
  self.send(peer, stop);
  self.send(report_to, otpp::tuple_of(done, self.self(), rounds));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  otpp::examples::describe(app, "Shows spawn, send and selective receive inside one runtime (no node, no peer).");
  CLI11_PARSE(app, argc, argv);
  otpp::runtime rt;                 // nonode@nohost, one scheduler thread per core
  otpp::scoped_process main_proc(rt);  // main() takes part as a process

  otpp::pid p = main_proc.spawn(pinger, main_proc.self(), 1000);
  bool ok = main_proc.receive(
      on(done, p, _) >> [](otpp::term rounds) {
        std::cout << "pinger finished " << otpp::to_string(rounds) << " rounds\n";
        return true;
      },
      after(5s, [] { return false; }));

  // One message straight to a ponger, with the reply printed as Erlang would show it.
  otpp::pid q = main_proc.spawn(ponger);
  main_proc.send(q, otpp::tuple_of(ping, main_proc.self(), 42));
  if (auto reply = main_proc.receive_for(1s)) std::cout << "got " << otpp::to_string(*reply) << "\n";
  main_proc.send(q, stop);
  return ok ? 0 : 1;
}
