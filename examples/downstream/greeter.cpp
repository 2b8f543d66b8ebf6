// A program built outside the otpp repository (see CMakeLists.txt beside it): a node, not
// distributed, whose one process answers {hello, From} with {hi, Self}.
#include <chrono>
#include <cstdio>

#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;

process_task greeter(process& self) {
  co_await self.receive(on(atom("hello"), any_pid) >>
                        [&](pid from) { self.send(from, tuple_of(atom("hi"), self.self())); });
}

int main() {
  auto node = otp::node::start({});  // no name: nonode@nohost, as `erl` without -sname
  if (!node) {
    std::fprintf(stderr, "greeter: %s\n", node.error().c_str());
    return 1;
  }
  scoped_process me((*node)->rt());
  pid g = me.spawn(greeter);
  me.send(g, tuple_of(atom("hello"), me.self()));
  auto reply = me.receive_for(std::chrono::seconds(5));
  if (!reply) {
    std::fprintf(stderr, "greeter: no answer\n");
    return 1;
  }
  std::printf("greeter answered %s\n", to_string(*reply).c_str());
  return 0;
}
