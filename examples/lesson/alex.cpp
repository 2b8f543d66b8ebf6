// Shows the lesson's alex as a C++ node replaying the walkthrough against kate (an otpp
// kate, or a real iex with the lesson's Kate module): say_name spawned on kate prints here,
// a process on kate answers {:hi, self()} with :sup?, and supervised work runs on kate.
//
//   lesson_alex --sname alex@localhost --cookie secret --kate kate@localhost
#include <cstdio>
#include <string>

#include "../command_line.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/otp/task_supervisor.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;
using namespace std::chrono_literals;

// The walkthrough itself, once kate is reachable.
static int replay(otp::node& alex, atom kate) {
  atom Kate("Elixir.Kate");
  scoped_process me(alex.rt());
  // Everything prints through alex's io server, like the shell's own output, so lines from
  // processes on kate and our own lines never interleave mid-line.
  print_options elixir(syntax::elixir);
  elixir.node_number = alex.services().numbering();  // #PID<101.88.0> for kate's pids
  auto show = [&](const term& t) { (void)io::put_chars(me, to_string(t, elixir) + "\n"); };

  // iex> Node.spawn_link(:kate@localhost, Kate, :say_name, [])
  pid p = remote::spawn_link(me, kate, Kate, atom("say_name"), {});
  show(p);

  // iex> pid = Node.spawn_link(:kate@localhost, Kate, :reply_sup, [])
  // iex> send(pid, {:hi, self()})
  // iex> flush()
  pid q = remote::spawn_link(me, kate, Kate, atom("reply_sup"), {});
  term hi = tuple_of(atom("hi"), me.self());
  me.send(q, hi);
  show(hi);
  if (auto answer = me.receive_for(5s)) show(*answer);
  show(atoms::ok);

  // Task.Supervisor.async({Chat.TaskSupervisor, kate}, Chat, :receive_message, ["hi kate"])
  // |> Task.await()   -- the line prints on kate
  auto r = task_supervisor::async_await(
      me, gen::destination(atom("Elixir.Chat.TaskSupervisor"), kate), atom("Elixir.Chat"),
      atom("receive_message"), {term::binary("hi kate")});
  show(r.ok() ? *r.reply : tuple_of(atoms::EXIT, r.exit_reason));
  return 0;
}

int main(int argc, char** argv) {
  otp::node_options options;
  options.dist.name = "alex@localhost";
  std::string kate_name = "kate@localhost";
  CLI::App app;
  examples::describe(app, "Replays the lesson against kate, which must be running.");
  examples::add_node_flags(app, options);
  app.add_option("--kate", kate_name, "kate's node")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto alex = otp::node::start(std::move(options));
  if (!alex) {
    std::fprintf(stderr, "alex: %s\n", alex.error().c_str());
    return 1;
  }
  atom kate(kate_name);
  // Without a kate, everything below would fail with noconnection: say so plainly instead.
  if (!(*alex)->engine()->connect(kate)) {
    std::fprintf(stderr, "alex: cannot reach %s (is lesson_kate running there with the same cookie?)\n",
                 kate_name.c_str());
    return 1;
  }
  try {
    return replay(**alex, kate);
  } catch (const process_exited& e) {
    // kate went away part way (a link to one of its processes brought the signal here).
    std::fprintf(stderr, "alex: stopped: %s\n", to_string(e.reason()).c_str());
    return 1;
  }
}
