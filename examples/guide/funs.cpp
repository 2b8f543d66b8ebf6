// Shows funs: alex makes Erlang funs from source text and spawns them on kate, as
// `Node.spawn_link(:kate@localhost, fn -> ... end)` does; kate runs them with its evaluator,
// their output comes out on alex, and a C++ process on kate applies a fun it receives.
// (docs/guide.md, "Funs".)
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/code/erl_parse.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/code/fun_wire.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/io_device.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;
using namespace std::chrono_literals;

// A node's standard output, each line marked with the node it printed on.
class labelled_output final : public io::output_sink {
 public:
  explicit labelled_output(std::string label) : label_(std::move(label)) {}
  void write(std::string_view utf8) override {
    std::lock_guard lock(mu_);
    std::printf("[%s] %.*s", label_.c_str(), static_cast<int>(utf8.size()), utf8.data());
    std::fflush(stdout);
  }

 private:
  std::mutex mu_;
  std::string label_;
};

// A C++ server on kate: applies each `{apply, Fun, Args, From}` it receives and sends the
// value back; an exception the fun raises goes back as `{error, Reason}`.
process_task applier(process& self) {
  for (;;) {
    term fun, args;
    std::optional<pid> from;
    co_await self.receive(on(atom("apply"), _, _, any_pid) >> [&](term f, term a, pid p) {
      fun = std::move(f);
      args = std::move(a);
      from = p;
    });
    std::vector<term> arguments;
    for (const term& a : args.list_elements()) arguments.push_back(a);
    term answer;
    try {
      answer = co_await code::apply(self, fun, std::move(arguments));
    } catch (const error_exception& e) {
      answer = tuple_of(atom("error"), e.reason());
    }
    self.send(*from, answer);
  }
}

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  examples::describe(app, "Spawns funs made from Erlang source on another node.");
  CLI11_PARSE(app, argc, argv);
  auto epmd = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!epmd) return 1;
  auto options = [&](const char* name) {
    otp::node_options o;
    o.dist.name = name;
    o.dist.cookie = "secret";
    o.dist.epmd_port = (*epmd)->port();
    o.dist.listen_address = "127.0.0.1";
    o.services.output = std::make_shared<labelled_output>(std::string(name).substr(0, 4));
    return o;
  };
  auto kate = otp::node::start(options("kate@localhost"));
  auto alex = otp::node::start(options("alex@localhost"));
  if (!kate || !alex) return 1;
  // The evaluator, the stdlib modules and erlang:apply/2 (what a spawned fun runs through).
  code::install(**kate);
  code::install(**alex);

  scoped_process me((*alex)->rt());
  atom kate_node("kate@localhost");

  // fn -> IO.puts("Hello from #{node()}") end, written in Erlang: the line prints on alex,
  // the group leader of the process that spawned it.
  auto hello = code::make_fun("fun() -> io:format(\"Hello from ~p~n\", [node()]) end.", code::bindings_of({}), me.self());
  if (!hello) return 1;
  pid p = remote::spawn_link(me, kate_node, atom("erlang"), atom("apply"), {*hello, term::list(std::vector<term>{})});
  std::printf("spawned on %s\n", std::string(p.node.name()).c_str());

  // fn -> receive do {:hi, pid} -> send(pid, :sup?) end end
  auto replier = code::make_fun("fun() -> receive {hi, Pid} -> Pid ! 'sup?' end end.", code::bindings_of({}), me.self());
  if (!replier) return 1;
  pid q = remote::spawn_link(me, kate_node, atom("erlang"), atom("apply"), {*replier, term::list(std::vector<term>{})});
  me.send(q, tuple_of(atom("hi"), me.self()));
  bool answered = me.receive(on(atom("sup?")) >> [] { return true; }, after(5s, [] { return false; }));
  std::printf("the fun answered: %s\n", answered ? "sup?" : "(nothing)");

  // A closure over N = 10, applied by C++ code on kate.
  auto add_n = code::make_fun("fun(X) -> X + N end.", code::bindings_of({{"N", term(10)}}), me.self());
  if (!add_n) return 1;
  pid server = (*kate)->rt().spawn(applier);
  me.send(server, tuple_of(atom("apply"), *add_n, list_of(32), me.self()));
  auto sum = me.receive_for(5s);
  std::printf("applied on kate: %s\n", sum ? to_string(*sum).c_str() : "(nothing)");
  // The same fun given an atom fails as Erlang's `+` does.
  me.send(server, tuple_of(atom("apply"), *add_n, list_of(atom("a")), me.self()));
  auto failed = me.receive_for(5s);
  std::printf("applied to an atom: %s\n", failed ? to_string(*failed).c_str() : "(nothing)");

  // Erlang source evaluated in a process: code::parse_exprs and code::eval_exprs.
  auto exprs = code::parse_exprs("L = [X * X || X <- lists:seq(1, 5)], lists:sum(L).");
  if (!exprs) return 1;
  pid evaluator = (*alex)->rt().spawn([](process& self, term exprs, pid to) -> process_task {
    code::bindings bs;
    term v = co_await code::eval_exprs(self, exprs, bs);
    self.send(to, v);
  }, *exprs.value, me.self());
  (void)evaluator;
  auto squares = me.receive_for(5s);
  std::printf("sum of squares: %s\n", squares ? to_string(*squares).c_str() : "(nothing)");

  bool ok = answered && sum && *sum == term(42) && squares && *squares == term(55);
  return ok ? 0 : 1;
}
