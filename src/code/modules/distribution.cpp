// The node and distribution functions interpreted code calls beyond the evaluator's core: rpc and
// erpc calls, node monitoring and connections, the cookie, and the process functions of Process
// and erlang that take a node's runtime (info, timers, demonitor with options).
#include <chrono>

#include "code/modules/support.hpp"
#include "otpp/dist/engine.hpp"
#include "otpp/otp/introspection.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/otp/services.hpp"

namespace otpp::code::lib {

namespace {

dist::engine* engine_of(const process& self) {
  auto* s = otp::services_of(self.rt());
  return s ? s->engine() : nullptr;
}

atom atom_of(const term& t) {
  if (!t.is_atom()) badarg();
  return t.atom_value();
}

std::vector<term> list_of_args(const term& t) {
  auto xs = proper(t);
  return {xs.begin(), xs.end()};
}

std::chrono::milliseconds timeout_of(const term& t) {
  if (t.is_atom(atoms::infinity)) return rpc::infinity;
  auto ms = t.to_int64();
  if (!ms || *ms < 0) badarg();
  return std::chrono::milliseconds(*ms);
}

// erpc:call/5's outcome raised as erpc raises it in the caller.
term erpc_outcome(rpc::erpc_result r) {
  switch (r.how) {
    case rpc::erpc_result::kind::return_:
      return r.value;
    case rpc::erpc_result::kind::throw_:
      throw throw_exception(r.value);
    case rpc::erpc_result::kind::exit:
      throw exit_exception(r.value);
    case rpc::erpc_result::kind::signal:
      throw exit_exception(r.value);
    case rpc::erpc_result::kind::error:
      throw error_exception(r.value, r.stack);
    case rpc::erpc_result::kind::erpc:
      throw error_exception(tuple_of(atom("erpc"), r.value));
  }
  return term(atoms::nil);
}

}  // namespace

void add_distribution(export_table& x) {
  // -- rpc, erpc --
  x.add("rpc", "call", [](process& self, term n, term m, term f, term a) -> task<term> {
    co_return co_await rpc::call(self, atom_of(n), atom_of(m), atom_of(f), list_of_args(a));
  });
  x.add("rpc", "call", [](process& self, term n, term m, term f, term a, term t) -> task<term> {
    co_return co_await rpc::call(self, atom_of(n), atom_of(m), atom_of(f), list_of_args(a), timeout_of(t));
  });
  x.add("erpc", "call", [](process& self, term n, term m, term f, term a) -> task<term> {
    co_return erpc_outcome(co_await rpc::erpc_call(self, atom_of(n), atom_of(m), atom_of(f), list_of_args(a)));
  });
  x.add("erpc", "call", [](process& self, term n, term m, term f, term a, term t) -> task<term> {
    co_return erpc_outcome(
        co_await rpc::erpc_call(self, atom_of(n), atom_of(m), atom_of(f), list_of_args(a), timeout_of(t)));
  });
  x.add("rpc", "cast", [](process& self, term n, term m, term f, term a) -> task<term> {
    rpc::cast(self, atom_of(n), atom_of(m), atom_of(f), list_of_args(a));
    co_return atoms::true_;
  });

  // -- nodes --
  auto is_alive = [](process& self) -> task<term> { co_return boolean(engine_of(self) != nullptr); };
  x.add("erlang", "is_alive", is_alive);
  // Node.list/1 and Node.disconnect/1 are erlang:nodes/1 and disconnect_node/1 (otp/introspection).
  x.add_elixir("Node", "list", [](process& self, term which) -> task<term> {
    co_return otp::nodes(self.rt(), which);
  });
  auto connect = [](process& self, term n) -> task<term> {
    const atom node = atom_of(n);
    dist::engine* engine = engine_of(self);
    if (!engine) co_return atom("ignored");
    co_return boolean(engine->connect(node));
  };
  x.add("net_kernel", "connect_node", connect);
  if (auto d = x.find(atoms::erlang, atom("disconnect_node"), 1)) {
    auto fn = std::get<export_table::function_fn>(d->fn);
    x.add_elixir("Node", "disconnect", [fn](process& self, term n) { return fn(self, {n}); });
  }
  if (auto ping = x.find(atom("Elixir.Node"), atom("ping"), 1)) {
    auto fn = std::get<export_table::function_fn>(ping->fn);
    x.add("net_adm", "ping", [fn](process& self, term n) { return fn(self, {n}); });
  }
  auto monitor_node = [](process& self, term n, term flag) -> task<term> {
    const atom node = atom_of(n);
    if (!flag.is_atom(atoms::true_) && !flag.is_atom(atoms::false_)) badarg();
    const bool on = flag.is_atom(atoms::true_);
    if (dist::engine* engine = engine_of(self)) {
      engine->monitor_node(self.self(), node, on);
    } else if (on) {
      self.send(self.self(), tuple_of(atoms::nodedown, node));
    }
    co_return atoms::true_;
  };
  x.add("erlang", "monitor_node", monitor_node);
  x.add_elixir("Node", "monitor", monitor_node);
  auto cookie = [](process& self) -> task<term> {
    dist::engine* engine = engine_of(self);
    if (!engine) co_return atom("nocookie");
    co_return atom(engine->cookie());
  };
  x.add("erlang", "get_cookie", cookie);
  x.add_elixir("Node", "get_cookie", cookie);

  // -- processes --
  x.add_elixir("Process", "demonitor", [](process& self, term ref, term opts) -> task<term> {
    if (!ref.is_reference()) badarg();
    bool flush = false;
    for (const term& o : proper(opts)) flush = flush || o.is_atom(atom("flush"));
    (void)self.demonitor(ref.reference_value(), flush);
    co_return atoms::true_;
  });
  x.add_elixir("Process", "info", [](process& self, term p) -> task<term> {
    if (!p.is_pid()) badarg();
    auto i = co_await self.info(p.pid_value());
    co_return i ? i->to_term() : term(atoms::nil);
  });
  x.add_elixir("Process", "cancel_timer", [](process& self, term ref) -> task<term> {
    if (!ref.is_reference()) badarg();
    auto left = self.cancel_timer(ref.reference_value());
    co_return left ? term(static_cast<long long>(left->count())) : term(atoms::false_);
  });
}

}  // namespace otpp::code::lib
