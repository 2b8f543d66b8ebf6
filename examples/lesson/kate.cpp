// Shows the lesson's kate as a C++ node: it exports Kate.say_name/0 (prints through the
// caller's group leader, so the line appears on the node that spawned it), Kate.reply_sup/0
// (answers {:hi, pid} with :sup?), Chat.receive_message/1 and a Chat.TaskSupervisor, then
// serves until its standard input closes. From iex on the same host and cookie:
//
//   lesson_kate --sname kate@localhost --cookie secret
//   iex --sname alex@localhost --cookie secret
//   iex> Node.spawn_link(:kate@localhost, Kate, :say_name, [])      # prints on alex
//   iex> Task.Supervisor.async({Chat.TaskSupervisor, :kate@localhost}, Chat, :receive_message,
//   ["hi"])
//        |> Task.await()                                              # prints on kate
//   iex> Node.spawn_link(:kate@localhost, fn -> Kate.say_name end)    # a fun: kate evaluates it
#include <cstdio>
#include <iostream>
#include <string>

#include "../command_line.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/node.hpp"

using namespace otpp;

// def say_name, do: IO.puts "Hi, my name is Kate"
process_task say_name(process& self) {
  (void)co_await io::put_chars(self, "Hi, my name is Kate\n");
}

// receive do {:hi, alex_node_pid} -> send alex_node_pid, :sup? end
process_task reply_sup(process& self) {
  co_await self.receive(on(atom("hi"), any_pid) >>
                        [&](pid alex) { self.send(alex, atom("sup?")); });
}

// def receive_message(message), do: IO.puts(message)
task<term> receive_message(process& self, term message) {
  auto text = io::characters_to_utf8(message, io::encoding::unicode);
  if (!text) throw error_exception(atom("badarg"));
  co_return co_await io::put_chars(self, *text + "\n");
}

int main(int argc, char** argv) {
  otp::node_options options;
  options.dist.name = "kate@localhost";
  std::string proto_dist, optfile;  // erl's -proto_dist inet_tls -ssl_dist_optfile FILE
  CLI::App app;
  examples::describe(app, "Serves the lesson's Kate and Chat modules until standard input closes.");
  examples::add_node_flags(app, options);
  app.add_option("--proto-dist", proto_dist, "inet_tls for TLS distribution");
  app.add_option("--ssl-dist-optfile", optfile, "the TLS options file (erl's -ssl_dist_optfile)");
  CLI11_PARSE(app, argc, argv);
  auto tls = dist::proto_dist_options(proto_dist, optfile);
  if (!tls) {
    std::fprintf(stderr, "kate: %s\n", tls.error().c_str());
    return 2;
  }
  options.dist.tls = *tls;
  options.services.task_supervisors = {"Elixir.Chat.TaskSupervisor"};
  auto kate = otp::node::start(std::move(options));
  if (!kate) {
    std::fprintf(stderr, "kate: %s\n", kate.error().c_str());
    return 1;
  }
  // Funs typed in iex (erl_eval closures) run here: erlang:apply/2 and the modules they call.
  code::install(**kate);
  auto& exports = (*kate)->exports();
  exports.add_elixir("Kate", "say_name", say_name);
  exports.add_elixir("Kate", "reply_sup", reply_sup);
  exports.add_elixir("Chat", "receive_message", receive_message);

  std::printf("%s ready\n", std::string((*kate)->name().name()).c_str());
  std::fflush(stdout);
  // Serve until standard input closes (or the process is killed).
  for (std::string line; std::getline(std::cin, line);) {
  }
  return 0;
}
