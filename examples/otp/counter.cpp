// Shows a C++ gen_server under a C++ supervisor serving Elixir: `Counter` (`:get` → the count,
// `{:add, n}` call → the new count, `{:add, n}` cast; starts at 0) registered as Elixir's
// `Counter`, under a one_for_one supervisor registered as `Counter.Supervisor`, until standard
// input closes. From iex on the same host and cookie:
//
//   otp_counter --sname cpp@localhost --cookie secret
//   iex --sname alex@localhost --cookie secret
//   iex> GenServer.call({Counter, :cpp@localhost}, {:add, 2})                 # 2
//   iex> :sys.get_state(:rpc.call(:cpp@localhost, Process, :whereis, [Counter]))  # 2
//   iex> Supervisor.which_children({Counter.Supervisor, :cpp@localhost})
#include <cstdio>
#include <iostream>
#include <string>

#include "../command_line.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/otp/supervisor.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;

const atom a_get("get");
const atom a_add("add");

struct counter : gen_server::server {
  std::int64_t count = 0;

  task<action> handle_call(process&, term request, gen::from) override {
    if (request.is_atom(a_get)) co_return reply(count);
    if (request.is_tagged_tuple(a_add, 2) && request[1].is_small_integer()) {
      count += request[1].small_integer();
      co_return reply(count);
    }
    co_return reply(tuple_of(atoms::error, request));
  }
  task<action> handle_cast(process&, term request) override {
    if (request.is_tagged_tuple(a_add, 2) && request[1].is_small_integer())
      count += request[1].small_integer();
    co_return noreply();
  }
  // What :sys.get_state shows; :sys.replace_state may set another integer.
  [[nodiscard]] term state() const override { return count; }
  bool replace_state(const term& s) override {
    if (!s.is_small_integer()) return false;
    count = s.small_integer();
    return true;
  }
};

int main(int argc, char** argv) {
  otp::node_options options;
  options.dist.name = "cpp@localhost";
  CLI::App app;
  examples::describe(app, "Serves Elixir's Counter under Counter.Supervisor until standard input closes.");
  examples::add_node_flags(app, options);
  CLI11_PARSE(app, argc, argv);
  auto node = otp::node::start(std::move(options));
  if (!node) {
    std::fprintf(stderr, "otp_counter: %s\n", node.error().c_str());
    return 1;
  }
  // Funs typed in iex run here too (:sys.replace_state(pid, fn n -> n * 2 end)).
  code::install(**node);

  scoped_process main_process((*node)->rt());
  std::vector<supervisor::child_spec> children{
      supervisor::worker(atom("Elixir.Counter"), [] { return std::make_shared<counter>(); },
                         {.name = atom("Elixir.Counter")})};
  auto sup = supervisor::start(main_process, {.strategy = supervisor::strategy::one_for_one},
                               std::move(children),
                               {.name = atom("Elixir.Counter.Supervisor"), .link = false});
  if (!sup.ok()) {
    std::fprintf(stderr, "otp_counter: the supervisor did not start\n");
    return 1;
  }
  std::printf("%s ready\n", std::string((*node)->name().name()).c_str());
  std::fflush(stdout);
  for (std::string line; std::getline(std::cin, line);) {
  }
  gen_server::stop(main_process, *sup.pid, atoms::shutdown);
  return 0;
}
