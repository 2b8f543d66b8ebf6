// Shows cluster services: a process on kate registers a `global` name that alex resolves and
// sends to, processes of both nodes join a `pg` group and each node sees all members, and a
// member on a node that goes away leaves the group with it. (docs/guide.md, "Cluster services".)
#include <chrono>
#include <cstdio>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/global.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/pg.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  examples::describe(app, "Uses global names and pg groups across two nodes.");
  CLI11_PARSE(app, argc, argv);
  auto epmd = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!epmd) return 1;
  auto options = [&](const char* name) {
    otp::node_options o;
    o.dist.name = name;
    o.dist.cookie = "secret";
    o.dist.epmd_port = (*epmd)->port();
    o.dist.listen_address = "127.0.0.1";
    o.dist.log = [](std::string_view) {};  // kate leaves at the end on purpose
    return o;
  };
  auto kate = otp::node::start(options("kate@localhost"));
  auto alex = otp::node::start(options("alex@localhost"));
  if (!kate || !alex) return 1;
  atom chat("chat");

  auto server = std::make_unique<scoped_process>((*kate)->rt());
  scoped_process me((*alex)->rt());
  if ((*alex)->engine()->ping(atom("kate@localhost")) != atom("pong")) return 1;

  // :global.register_name(:chat, self()) on kate, then :global.sync() and a send by name on alex.
  bool registered = otp::global::register_name(*server, chat, server->self());
  otp::global::sync(me);
  auto where = otp::global::whereis_name((*alex)->rt(), chat);
  std::printf("global chat registered: %s, seen on alex: %s\n", registered ? "yes" : "no",
              where ? std::string(where->node.name()).c_str() : "(nowhere)");
  otp::global::send(me, chat, atom("hello"));
  auto got = server->receive_for(5s);
  std::printf("kate's chat received: %s\n", got ? to_string(*got).c_str() : "(nothing)");

  // :pg.join(:room, self()) on both nodes; each node sees both members.
  otp::pg::join(*server, otp::pg::default_scope, atom("room"), {server->self()});
  otp::pg::join(me, otp::pg::default_scope, atom("room"), {me.self()});
  std::size_t seen = 0;
  for (int i = 0; i < 100 && seen < 2; ++i) {  // a join reaches the other node asynchronously
    seen = otp::pg::get_members((*alex)->rt(), otp::pg::default_scope, atom("room")).size();
    if (seen < 2) me.receive(after(20ms, [] {}));
  }
  std::printf("room members seen on alex: %zu\n", seen);

  // kate goes away: its member leaves the group and its global name disappears on alex.
  server.reset();
  kate->reset();
  std::size_t after_down = seen;
  for (int i = 0; i < 250 && after_down > 1; ++i) {
    after_down = otp::pg::get_members((*alex)->rt(), otp::pg::default_scope, atom("room")).size();
    if (after_down > 1) me.receive(after(20ms, [] {}));
  }
  bool name_gone = !otp::global::whereis_name((*alex)->rt(), chat);
  std::printf("after kate left: %zu member, global chat %s\n", after_down, name_gone ? "gone" : "still there");

  bool ok = registered && where && got && *got == atom("hello") && seen == 2 && after_down == 1 && name_gone;
  return ok ? 0 : 1;
}
