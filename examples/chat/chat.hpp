// The lesson's Chat module as one C++ node (shared by chat_alex, chat_kate and chat_moebi): a
// Chat.TaskSupervisor, Chat.receive_message/1 printing here, Chat.receive_message_for_moebi/2
// answering "chicken?" through the sender's supervisor, and Chat.send_message/2. Each line
// `NODE MESSAGE` on standard input is a Chat.send_message(NODE, MESSAGE); the node serves until
// standard input closes. Any of the three can be a real iex running the lesson's Chat instead.
#pragma once

#include <cstdio>
#include <iostream>
#include <string>

#include "../command_line.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/task_supervisor.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace chat {

using namespace otpp;

inline const atom Chat("Elixir.Chat");
inline const atom TaskSupervisor("Elixir.Chat.TaskSupervisor");

// def receive_message(message), do: IO.puts(message)
inline task<term> receive_message(process& self, term message) {
  auto text = io::characters_to_utf8(message, io::encoding::unicode);
  if (!text) throw error_exception(atoms::badarg);
  co_return co_await io::put_chars(self, *text + "\n");
}

// recipient |> remote_supervisor() |> Task.Supervisor.async(Chat, fun, args) |> Task.await()
inline task<term> spawn_task(process& self, atom fun, atom recipient, std::vector<term> args) {
  gen::call_result r = co_await task_supervisor::async_await(
      self, gen::destination(TaskSupervisor, recipient), Chat, fun, std::move(args));
  if (!r.ok()) throw exit_exception(r.exit_reason);
  co_return *r.reply;
}

// The lesson matches :moebi@localhost; any node named moebi... is moebi here.
inline bool is_moebi(atom node) { return std::string(node.name()).starts_with("moebi"); }

// def send_message(recipient, message): moebi gets the message with our node to answer to.
inline task<term> send_message(process& self, term recipient, term message) {
  if (!recipient.is_atom()) throw error_exception(atoms::badarg);
  atom to = recipient.atom_value();
  std::vector<term> args{std::move(message)};
  atom fun("receive_message");
  if (is_moebi(to)) {
    args.push_back(self.rt().node());
    fun = atom("receive_message_for_moebi");
  }
  co_return co_await spawn_task(self, fun, to, std::move(args));
}

// def receive_message_for_moebi(message, from): IO.puts(message); send_message(from, "chicken?")
inline task<term> receive_message_for_moebi(process& self, term message, term from) {
  (void)co_await receive_message(self, message);
  co_return co_await send_message(self, from, term::binary("chicken?"));
}

inline int run(int argc, char** argv, const char* default_name) {
  otp::node_options options;
  options.dist.name = std::string(default_name) + "@localhost";
  CLI::App app;
  examples::describe(app, "The lesson's chat: each line `NODE MESSAGE` sends MESSAGE to NODE's "
                          "Chat.TaskSupervisor; serves until standard input closes.");
  examples::add_node_flags(app, options);
  CLI11_PARSE(app, argc, argv);
  options.services.task_supervisors = {"Elixir.Chat.TaskSupervisor"};
  auto node = otp::node::start(std::move(options));
  if (!node) {
    std::fprintf(stderr, "chat: %s\n", node.error().c_str());
    return 1;
  }
  code::install(**node);
  auto& exports = (*node)->exports();
  exports.add_elixir("Chat", "receive_message", receive_message);
  exports.add_elixir("Chat", "receive_message_for_moebi", receive_message_for_moebi);
  exports.add_elixir("Chat", "send_message", send_message);

  scoped_process me((*node)->rt());
  std::printf("%s ready\n", std::string((*node)->name().name()).c_str());
  std::fflush(stdout);
  print_options elixir(syntax::elixir);
  for (std::string line; std::getline(std::cin, line);) {
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    // Chat.send_message runs in a process of its own, as in iex (a failure does not end us).
    auto [p, ref] = me.spawn_monitor(
        [](process& self, pid owner, atom to, term msg) -> process_task {
          term r = co_await send_message(self, term(to), msg);
          self.send(owner, tuple_of(atom("sent"), r));
        },
        me.self(), atom(line.substr(0, space)), term::binary(line.substr(space + 1)));
    term result = me.receive(
        on(atom("sent"), _) >> [](term r) { return r; },
        on(atoms::DOWN, ref, ignore, ignore, _) >> [](term why) { return tuple_of(atoms::EXIT, why); });
    me.demonitor(ref, true);
    (void)io::put_chars(me, to_string(result, elixir) + "\n");
  }
  return 0;
}

}  // namespace chat
