// Shows the behaviours: a Counter gen_server (calls, casts, a reply sent later through `from`)
// under a one_for_one supervisor that restarts it after a crash, a call that times out exiting
// as gen_server:call does, and tasks::async/await. (docs/guide.md, "Behaviours and supervisors".)
#include <cstdio>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/supervisor.hpp"
#include "otpp/otp/tasks.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;
using namespace std::chrono_literals;

const atom Counter("Elixir.Counter"), get("get"), add("add"), crash("crash"), slow("slow");

struct counter : gen_server::server {
  std::int64_t count = 0;
  task<action> handle_call(process& self, term request, gen::from from) override {
    if (request.is_atom(get)) co_return reply(count);
    if (request.is_tagged_tuple(add, 2)) co_return reply(count += request[1].to_int64().value_or(0));
    if (request.is_atom(slow)) {  // answered later, by handle_info
      self.send_after(200ms, self.self(), tuple_of(slow, from.to_term()));
      co_return noreply();
    }
    co_return reply(tuple_of(atoms::error, request));
  }
  task<action> handle_cast(process&, term request) override {
    if (request.is_atom(crash)) throw error_exception(atom("boom"));  // the supervisor restarts us
    if (request.is_tagged_tuple(add, 2)) count += request[1].to_int64().value_or(0);
    co_return noreply();
  }
  task<action> handle_info(process& self, term message) override {
    if (message.is_tagged_tuple(slow, 2))
      gen_server::reply(self, gen::from{message[1][0].pid_value(), message[1][1]}, atom("late"));
    co_return noreply();
  }
  term state() const override { return count; }  // what :sys.get_state shows
};

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  examples::describe(app, "Runs a supervised gen_server and a task.");
  CLI11_PARSE(app, argc, argv);
  auto node = otp::node::start({});  // not distributed: behaviours need no network
  if (!node) return 1;
  scoped_process me((*node)->rt());
  auto show = [](const char* what, const term& t) { std::printf("%s -> %s\n", what, to_string(t).c_str()); };

  auto sup = supervisor::start(
      me, {.strategy = supervisor::strategy::one_for_one, .intensity = 3, .period = 5s},
      {supervisor::worker(Counter, [] { return std::make_shared<counter>(); }, {.name = Counter})},
      {.name = atom("Elixir.Counter.Supervisor"), .link = false});
  if (!sup.ok()) return 1;

  gen_server::cast(me, Counter, tuple_of(add, 40));
  term n = gen_server::call(me, Counter, tuple_of(add, 2));
  show("GenServer.call(Counter, {:add, 2})", n);
  show("GenServer.call(Counter, :slow)", gen_server::call(me, Counter, slow));

  pid before = *(*node)->rt().whereis(Counter);
  gen_server::cast(me, Counter, crash);  // boom: the supervisor starts a fresh Counter
  auto restarted = [&] { auto p = (*node)->rt().whereis(Counter); return p && *p != before; };
  for (int i = 0; i < 500 && !restarted(); ++i) (void)me.receive_for(10ms);
  term fresh = gen_server::call(me, Counter, get);
  show("after the crash, GenServer.call(Counter, :get)", fresh);

  {
    scoped_process caller((*node)->rt());  // it exits, as a caller of gen_server:call would
    try {
      (void)gen_server::call(caller, Counter, slow, 50ms);
    } catch (const process_exited& e) {
      show("a call past its timeout exits with", e.reason());
    }
  }

  auto t = tasks::async(me, [](process&) -> task<term> { co_return term(6 * 7); });
  term answer = tasks::await(me, t);
  show("Task.async(fn -> 6 * 7 end) |> Task.await()", answer);

  gen_server::stop(me, *sup.pid, atoms::shutdown);
  return n == term(42) && fresh == term(0) && answer == term(42) ? 0 : 1;
}
