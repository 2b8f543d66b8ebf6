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
  const char* usage = "usage: %s [--sname NAME] [--cookie COOKIE] [--proto-dist inet_tls --ssl-dist-optfile FILE]\n"
                      "Serves the lesson's Kate and Chat modules (default kate@localhost) until "
                      "standard input closes.\n";
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf(usage, argv[0]);
      return 0;
    }
    if (i + 1 < argc && flag == "--sname")
      options.dist.name = argv[i + 1];
    else if (i + 1 < argc && flag == "--cookie")
      options.dist.cookie = argv[i + 1];
    else if (i + 1 < argc && flag == "--proto-dist")
      proto_dist = argv[i + 1];
    else if (i + 1 < argc && flag == "--ssl-dist-optfile")
      optfile = argv[i + 1];
    else {
      std::fprintf(stderr, usage, argv[0]);
      return 2;
    }
  }
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
