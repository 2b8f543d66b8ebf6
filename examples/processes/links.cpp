// Shows links, monitors and exit signals: a crash travels along links, a process that traps
// exits gets {'EXIT', From, Reason} instead of dying, and a monitor reports
// {'DOWN', Ref, process, Pid, Reason} without being affected. The crashing worker's report
// goes to stderr, as no io server is its group leader here.
#include <chrono>
#include <iostream>
#include <string_view>
#include <stdexcept>

#include "../command_line.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace std::chrono_literals;
using otpp::_;
using otpp::after;
using otpp::on;

namespace {

const otpp::atom crash("crash");

// Waits for `crash`, then throws: the exception becomes the exit reason.
otpp::process_task worker(otpp::process& self) {
  co_await self.receive(on(crash) >> [] {});
  throw std::runtime_error("worker gave up");
}

// Links to a worker it starts; as it does not trap exits, the worker's crash kills it too.
otpp::process_task middle(otpp::process& self, otpp::pid report) {
  otpp::pid w = self.spawn_link(worker);
  self.send(report, otpp::tuple_of(otpp::atom("worker"), w));
  co_await self.receive(on(otpp::atom("never")) >> [] {});
}

void show(const char* what, const std::optional<otpp::term>& t) {
  std::cout << what << ": " << (t ? otpp::to_string(*t) : std::string("(nothing)")) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  otpp::examples::describe(app, "Shows links, monitors and exit signals inside one runtime (no node, no peer).");
  CLI11_PARSE(app, argc, argv);
  otpp::runtime rt;
  otpp::scoped_process supervisor(rt);
  supervisor.trap_exit(true);  // the EXIT arrives as a message

  otpp::pid m = supervisor.spawn_link(middle, supervisor.self());
  (void)supervisor.monitor(m);  // a second, independent watcher

  otpp::pid w = supervisor.receive(on(otpp::atom("worker"), otpp::any_pid) >> [](otpp::pid p) { return p; },
                                   after(2s, [] { return otpp::pid{}; }));
  supervisor.send(w, crash);

  // The worker's crash kills `middle` through the link; we see both signals about `middle`.
  for (int i = 0; i < 2; ++i) show("supervisor got", supervisor.receive_for(2s));

  // Erlang's rules in one place: normal exits do not propagate, kill cannot be trapped.
  otpp::pid quiet = supervisor.spawn_link([](otpp::process& self) -> otpp::process_task {
    co_await self.receive(on(otpp::atoms::normal) >> [] {});
  });
  supervisor.send(quiet, otpp::atoms::normal);
  show("normal exit of a link", supervisor.receive_for(2s));
  std::cout << "supervisor alive: " << std::boolalpha << supervisor.alive() << std::endl;
  return 0;
}
