// Shows a node: two named otpp nodes in one program, on a port mapper of their own, that find
// each other by name, connect on first use, watch each other with net_kernel's node
// monitoring and answer net_adm:ping. (The guide's "A node" section, docs/guide.md.)
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  examples::describe(app, "Starts kate and alex in one program and connects them.");
  CLI11_PARSE(app, argc, argv);
  // A private port mapper on a free port, so this program runs beside anything else. A real
  // deployment leaves epmd_port unset: the node uses epmd on 4369, or starts one there itself.
  auto epmd = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!epmd) {
    std::fprintf(stderr, "port mapper: %s\n", epmd.error().c_str());
    return 1;
  }
  auto options = [&](const char* name) {
    otp::node_options o;
    o.dist.name = name;                  // short name: kate@localhost
    o.dist.cookie = "secret";            // both sides must agree
    o.dist.epmd_port = (*epmd)->port();
    o.dist.listen_address = "127.0.0.1";
    return o;
  };
  auto kate = otp::node::start(options("kate@localhost"));
  auto alex = otp::node::start(options("alex@localhost"));
  if (!kate || !alex) {
    std::fprintf(stderr, "cannot start: %s\n", (!kate ? kate.error() : alex.error()).c_str());
    return 1;
  }

  bool pong = false;
  {
    scoped_process me((*alex)->rt());
    (*alex)->engine()->monitor_nodes(me.self(), true);  // net_kernel:monitor_nodes(true)

    // net_adm:ping(kate@localhost): connects (first use) and asks kate's net_kernel.
    atom answer = (*alex)->engine()->ping(atom("kate@localhost"));
    std::printf("ping kate@localhost: %s\n", std::string(answer.name()).c_str());
    pong = answer == atom("pong");
    if (auto up = me.receive_for(5s)) std::printf("alex got %s\n", to_string(*up).c_str());

    std::printf("alex's nodes(): [");
    for (atom n : (*alex)->engine()->nodes()) std::printf("%s", std::string(n.name()).c_str());
    std::printf("]\n");

    // Stopping kate closes the connection: alex hears {nodedown, kate@localhost}.
    kate.value().reset();  // destroying a node stops it
    if (auto down = me.receive_for(10s)) std::printf("alex got %s\n", to_string(*down).c_str());
  }  // every scoped_process of a node goes before the node
  return pong ? 0 : 1;
}
