// Shows two named nodes talking: one runs a registered `echo` process, the other pings it,
// sends it {self(), Msg} by name and prints the reply. Works against another otpp node or a
// real Erlang one (`erl -sname kate` with `register(echo, ...)`), same cookie.
//
//   distribution_echo --sname kate --cookie secret                  # serves until killed
//   distribution_echo --sname alex --cookie secret --peer kate@localhost hello
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "../command_line.hpp"
#include "otpp/dist/engine.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;
using namespace std::chrono_literals;

// Answers {From, Msg} with {echo, Msg}.
process_task echo(process& self) {
  (void)self.register_name(atom("echo"));
  for (;;) {
    auto [from, msg] = co_await self.receive(on(any_pid, _) >> [](pid p, term m) { return std::pair{p, m}; });
    self.send(from, tuple_of(atom("echo"), msg));
  }
}

int main(int argc, char** argv) {
  dist::engine_options options;
  std::string peer, text = "hello", proto_dist, optfile;
  CLI::App app;
  examples::describe(app, "Without --peer, serves a registered echo process until killed; with it, sends TEXT "
                          "to {echo, NODE} and prints the reply.");
  auto* sname = app.add_option("--sname", options.name, "the node's short name");
  app.add_option_function<std::string>(
         "--name",
         [&](const std::string& name) {
           options.name = name;
           options.names = dist::name_kind::long_names;
         },
         "the node's long name")
      ->excludes(sname);
  app.add_option("--cookie", options.cookie, "the distribution cookie");
  app.add_option_function<int>(
      "--net-ticktime", [&](int s) { options.net_ticktime = std::chrono::seconds(s); }, "seconds");
  app.add_option("--proto-dist", proto_dist, "inet_tls for TLS distribution");
  app.add_option("--ssl-dist-optfile", optfile, "the TLS options file (erl's -ssl_dist_optfile)");
  app.add_option("--peer", peer, "the node to send TEXT to");
  app.add_option("text", text, "what to send (default hello)");
  CLI11_PARSE(app, argc, argv);
  if (options.name.empty()) {
    std::fprintf(stderr, "%s", app.help().c_str());
    return 2;
  }
  auto tls = dist::proto_dist_options(proto_dist, optfile);  // erl's -proto_dist, -ssl_dist_optfile
  if (!tls) {
    std::fprintf(stderr, "%s\n", tls.error().c_str());
    return 2;
  }
  options.tls = *tls;

  // A node is a runtime (processes) plus a distribution engine (names, connections).
  runtime rt;
  dist::engine engine(options);
  engine.set_remote_signals(&rt.remote());
  engine.set_reference_factory([&rt] { return rt.make_ref(); });
  if (auto r = engine.start(); !r) {
    std::fprintf(stderr, "cannot start the node: %s\n", r.error().c_str());
    return 1;
  }
  rt.set_node(engine.name(), engine.creation());
  rt.set_distribution(&engine);
  std::printf("node %s up (port %u)\n", std::string(engine.name().name()).c_str(), engine.port());
  std::fflush(stdout);

  if (peer.empty()) {
    rt.spawn(echo);
    for (;;) std::this_thread::sleep_for(1h);  // serve until killed
  }

  atom peer_node(peer);
  atom answer = engine.ping(peer_node);
  std::printf("ping %s: %s\n", peer.c_str(), std::string(answer.name()).c_str());
  int status = 1;
  if (answer != atom("pong")) {
    std::fprintf(stderr, "cannot reach %s (is it running, with the same cookie?)\n", peer.c_str());
  } else {
    scoped_process me(rt);
    me.send(atom("echo"), peer_node, tuple_of(me.self(), term::binary(text)));
    auto reply = me.receive_for(5s);
    if (reply && reply->is_tagged_tuple(atom("echo"), 2)) {
      std::printf("reply: %s\n", std::string((*reply)[1].bytes_as_string()).c_str());
      status = 0;
    } else {
      std::printf("no reply\n");
    }
  }
  rt.set_distribution(nullptr);
  engine.stop();
  return status;
}
