// Shows rpc: kate exports Math.add/2 (a plain function) and Math.fail/0 (which raises); alex
// calls them with rpc:call and erpc:call semantics, including the errors Erlang gives for a
// function that raises, one that does not exist and a node that is not there.
// (docs/guide.md, "rpc".)
#include <chrono>
#include <cstdio>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  CLI::App app;  // takes no arguments
  examples::describe(app, "Calls kate's exported functions from alex by rpc.");
  CLI11_PARSE(app, argc, argv);
  auto epmd = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!epmd) return 1;
  auto options = [&](const char* name) {
    otp::node_options o;
    o.dist.name = name;
    o.dist.cookie = "secret";
    o.dist.epmd_port = (*epmd)->port();
    o.dist.listen_address = "127.0.0.1";
    o.dist.log = [](std::string_view) {};  // the unreachable node below is expected
    return o;
  };
  auto kate = otp::node::start(options("kate@localhost"));
  auto alex = otp::node::start(options("alex@localhost"));
  if (!kate || !alex) return 1;

  // 'Elixir.Math':add/2 from a plain C++ function of terms; fail/0 raises erlang:error(badarith).
  (*kate)->exports().add_elixir("Math", "add", [](term a, term b) {
    auto x = a.to_int64(), y = b.to_int64();
    if (!x || !y) throw error_exception(atom("badarith"));  // as 1 + :a does
    return term(*x + *y);
  });
  (*kate)->exports().add_elixir("Math", "fail", []() -> term { throw error_exception(atom("badarith")); });

  scoped_process me((*alex)->rt());
  atom kate_node("kate@localhost"), Math("Elixir.Math");
  auto show = [](const char* what, const term& t) { std::printf("%s -> %s\n", what, to_string(t).c_str()); };

  // :rpc.call(:kate@localhost, Math, :add, [1, 2])
  term sum = rpc::call(me, kate_node, Math, atom("add"), {term(1), term(2)}, 5s);
  show("rpc:call Math.add(1, 2)", sum);
  // Errors fold into {badrpc, ...} as OTP's rpc:call folds them.
  show("rpc:call Math.fail()", rpc::call(me, kate_node, Math, atom("fail"), {}, 5s));
  show("rpc:call Math.nope()", rpc::call(me, kate_node, Math, atom("nope"), {}, 5s));
  show("rpc:call on a missing node", rpc::call(me, atom("nobody@localhost"), Math, atom("add"), {term(1), term(2)}, 5s));
  // Built-in functions other nodes expect are there too: erlang:node/0 on kate.
  show("rpc:call erlang:node()", rpc::call(me, kate_node, atom("erlang"), atom("node"), {}, 5s));

  // erpc:call keeps the outcome apart: an error is kind::error with its reason and stack.
  auto r = rpc::erpc_call(me, kate_node, Math, atom("fail"), {}, 5s);
  std::printf("erpc:call Math.fail() raised: %s\n",
              r.how == rpc::erpc_result::kind::error ? to_string(r.value).c_str() : "(no error)");
  return sum.to_int64() == 3 ? 0 : 1;
}
