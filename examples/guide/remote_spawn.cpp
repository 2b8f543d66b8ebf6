// Shows exports, remote spawn and group leaders: kate exports C++ functions as Kate.say_name/0
// and Kate.reply_sup/0; alex spawns them on kate (Node.spawn_link / spawn_monitor), and the
// line say_name prints comes out on alex, because a remotely spawned process has its
// spawner's group leader and IO.puts is an I/O request to it. (docs/guide.md, "Remote spawn",
// "Exports", "Group leaders and I/O".)
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/io.hpp"
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

// def say_name, do: IO.puts "Hi, my name is Kate"
process_task say_name(process& self) {
  (void)co_await io::put_chars(self, "Hi, my name is Kate\n");
}

// receive do {:hi, pid} -> send pid, :sup? end
process_task reply_sup(process& self) {
  co_await self.receive(on(atom("hi"), any_pid) >> [&](pid from) { self.send(from, atom("sup?")); });
}

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  examples::describe(app, "Spawns kate's exported functions from alex.");
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

  // Exports: Kate.say_name/0 is the atom 'Elixir.Kate' on the wire; add() takes Erlang names.
  (*kate)->exports().add_elixir("Kate", "say_name", say_name);
  (*kate)->exports().add_elixir("Kate", "reply_sup", reply_sup);

  scoped_process me((*alex)->rt());
  atom kate_node("kate@localhost"), Kate("Elixir.Kate");

  // Node.spawn_link(:kate@localhost, Kate, :say_name, []): the line prints on alex.
  pid p = remote::spawn_link(me, kate_node, Kate, atom("say_name"), {});
  print_options shown;  // pids as this node numbers other nodes: <N.4.0>, N for kate
  shown.node_number = (*alex)->services().numbering();
  std::printf("spawned %s on %s\n", to_string(p, shown).c_str(), std::string(p.node.name()).c_str());

  // A process on kate that answers us.
  pid q = remote::spawn_link(me, kate_node, Kate, atom("reply_sup"), {});
  me.send(q, tuple_of(atom("hi"), me.self()));
  bool answered = me.receive(on(atom("sup?")) >> [] { return true; }, after(5s, [] { return false; }));
  std::printf("reply_sup answered: %s\n", answered ? "sup?" : "(nothing)");

  // An unknown function: the spawn succeeds and the process exits with undef, as in Erlang.
  auto [r, ref] = remote::spawn_monitor(me, kate_node, Kate, atom("no_such_function"), {});
  me.receive(on(atom("DOWN"), ref, ignore, ignore, _) >> [](term reason) {
               std::printf("DOWN: %s\n", to_string(reason).c_str());
             },
             after(5s, [] { std::printf("no DOWN\n"); }));
  (void)r;
  return answered ? 0 : 1;
}
