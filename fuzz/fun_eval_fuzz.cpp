// libFuzzer target: code arriving in funs. The input is an external-format term taken as the
// free variable of an erl_eval closure (what a BEAM peer's fun carries: bindings, handlers and
// clauses in abstract format), then applied in a process of a node with the evaluator, bounded
// in time: a fun still running after 100 ms is killed, as a hostile loop would be on a node.
// Decoding and evaluating must never crash or leak; Erlang errors are ordinary outcomes.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "otpp/code/erl_eval_fun.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/etf.hpp"

namespace {
otpp::otp::node& fuzz_node() {
  static std::unique_ptr<otpp::otp::node> node = [] {
    otpp::otp::node_options o;
    o.runtime.workers = 1;
    auto n = otpp::otp::node::start(std::move(o));
    if (!n) std::abort();
    otpp::code::install(**n);
    return std::move(n.value());
  }();
  return *node;
}

// Applies `fun` and tells `to` it ended, however it ended.
otpp::process_task run_fun(otpp::process& self, otpp::term fun, std::vector<otpp::term> args, otpp::pid to) {
  try {
    (void)co_await otpp::code::apply(self, fun, std::move(args));
  } catch (const std::exception&) {  // Erlang's errors, as C++ exceptions
  }
  self.send(to, otpp::atoms::ok);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otpp;
  if (size < 2) return 0;
  const std::uint32_t arity = data[0] % 4;
  auto env = etf::decode(std::span(data + 1, size - 1));
  if (!env) return 0;
  fun_value f;
  f.module = atom("erl_eval");
  f.arity = arity;
  f.free_vars.push_back(*env);
  const term fun = term::fun(f);
  if (!code::decode_erl_eval_fun(fun.fun_content())) return 0;
  auto& node = fuzz_node();
  scoped_process me(node.rt());
  const pid to = me.self();
  std::vector<term> args;
  for (std::uint32_t i = 0; i < arity; ++i) args.emplace_back(static_cast<int>(i));
  const pid runner = node.rt().spawn(run_fun, fun, args, to);
  if (!me.receive_for(std::chrono::milliseconds(100))) {
    node.rt().exit(runner, atoms::kill);
    (void)me.receive_for(std::chrono::milliseconds(1000));
  }
  return 0;
}
