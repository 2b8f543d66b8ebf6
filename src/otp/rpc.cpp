// rpc/erpc calls and remote spawns over SPAWN_REQUEST, with OTP 25's results: erpc.erl's
// result/4, rpc.erl's rpcify_exception/2, erlang.erl's spawn_opt/5 (crasher on noconnection).
#include "otpp/otp/rpc.hpp"

#include "otpp/dist/control.hpp"
#include "otpp/otp/gen.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/services.hpp"
#include "receive_timeout.hpp"

namespace otpp::rpc {

namespace {

const atom a_execute_call("execute_call");
const atom a_execute_cast("execute_cast");
const atom a_spawn_reply("spawn_reply");
const atom a_notsup("notsup");
const atom a_nodedown("nodedown");
const atom a_badarg("badarg");

using erpc_kind = erpc_result::kind;

erpc_result from_outcome(const call_outcome& o) {
  switch (o.how) {
    case call_outcome::kind::return_:
      return {erpc_kind::return_, o.value, {}};
    case call_outcome::kind::throw_:
      return {erpc_kind::throw_, o.value, {}};
    case call_outcome::kind::exit:
      return {erpc_kind::exit, o.value, {}};
    case call_outcome::kind::error:
      return {erpc_kind::error, o.value, o.stack};
  }
  return {};
}

// erpc:result(down, ...): the DOWN reason of the execute_call process.
erpc_result from_down(const term& res, const term& reason) {
  if (reason.is_tuple() && reason.tuple_size() >= 3 && exact_equal(reason[0], res) &&
      reason[1].is_atom()) {
    atom how = reason[1].atom_value();
    if (reason.tuple_size() == 3) {
      if (how == atoms::return_) return {erpc_kind::return_, reason[2], {}};
      if (how == atoms::throw_) return {erpc_kind::throw_, reason[2], {}};
      if (how == atoms::exit) return {erpc_kind::exit, reason[2], {}};
      if (how == atoms::error && reason[2].is_tagged_tuple(atoms::erpc, 2))
        return {erpc_kind::erpc, reason[2][1], {}};
    }
    if (reason.tuple_size() == 4 && how == atoms::error)
      return {erpc_kind::error, reason[2], reason[3]};
  }
  if (reason.is_atom(atoms::noconnection)) return {erpc_kind::erpc, atoms::noconnection, {}};
  return {erpc_kind::signal, reason, {}};
}

bool distributed(const basic_process& self) { return self.rt().get_distribution() != nullptr; }

bool is_local(const basic_process& self, atom node) { return node == self.rt().node(); }

}  // namespace

namespace {

struct erpc_request {
  reference req_id;
  term res;
};

// erpc:call's request: spawn_request of erpc:execute_call/4 with a monitor whose DOWN carries
// the result; {reply, error_only} stays on this node, as in OTP (a peer answers an option it
// does not apply with badopt).
// After a timeout: the request and its monitor are given up (DEMONITOR_P to the process).
void abandon(basic_process& self, const reference& id) {
  self.spawn_request_abandon(id);
  self.demonitor(id, true);
}

erpc_request send_erpc(basic_process& self, atom node, atom m, atom f, std::vector<term> args) {
  term res = self.make_ref();
  term a = list_of(res, m, f, term::list(std::move(args)));
  reference req = self.spawn_request(node, atoms::erpc, a_execute_call, std::move(a),
                                     {.monitor = true, .reply = spawn_reply_mode::error_only});
  return erpc_request{req, res};
}

}  // namespace

namespace {

// The answer to an erpc request: its SPAWN_REPLY when the spawn failed, else the DOWN of the
// execute_call process. Works for a process (returns what to co_await) and for a blocking
// handle (returns the result): both take the clauses by value.
template <class Self>
auto receive_erpc_result(Self& self, const reference& id, const term& res,
                         std::chrono::milliseconds timeout) {
  return self.receive(
      on(a_spawn_reply, id, atoms::error, _) >>
          [](term why) {
            return erpc_result{erpc_kind::erpc, why, {}};
          },
      on(atoms::DOWN, id, atoms::process, ignore, _) >>
          [res](term reason) { return from_down(res, reason); },
      after(otp::detail::receive_timeout(timeout), [] {
        return erpc_result{erpc_kind::erpc, atoms::timeout, {}};
      }));
}

// After a timeout: an answer that arrived meanwhile is dropped, not left in the mailbox.
template <class Self>
auto drop_late_erpc_answer(Self& self, const reference& id) {
  return self.receive(on(atoms::DOWN, id, ignore, ignore, ignore) >> [] {},
                      on(a_spawn_reply, id, ignore, ignore) >> [] {},
                      after(std::chrono::milliseconds(0), [] {}));
}

}  // namespace

term execute_call_reason(const term& ref, const call_outcome& o) {
  switch (o.how) {
    case call_outcome::kind::return_:
      return term::tuple({ref, atoms::return_, o.value});
    case call_outcome::kind::throw_:
      return term::tuple({ref, atoms::throw_, o.value});
    case call_outcome::kind::exit:
      return term::tuple({ref, atoms::exit, o.value});
    case call_outcome::kind::error:
      return term::tuple({ref, atoms::error, o.value, o.stack});
  }
  return atoms::ok;
}

term to_rpc_result(const erpc_result& r) {
  auto badrpc = [](term why) { return tuple_of(atoms::badrpc, std::move(why)); };
  switch (r.how) {
    case erpc_kind::return_:
      // rpc:call/5 turns a returned {'EXIT', _} into {badrpc, {'EXIT', _}}.
      if (r.value.is_tagged_tuple(atoms::EXIT, 2)) return badrpc(r.value);
      return r.value;
    case erpc_kind::throw_:
      if (r.value.is_tagged_tuple(atoms::EXIT, 2)) return badrpc(r.value);
      return r.value;
    case erpc_kind::exit:
    case erpc_kind::signal:
      return badrpc(tuple_of(atoms::EXIT, r.value));
    case erpc_kind::error:
      return badrpc(tuple_of(atoms::EXIT, tuple_of(r.value, r.stack)));
    case erpc_kind::erpc:
      if (r.value.is_atom(atoms::noconnection)) return badrpc(a_nodedown);
      if (r.value.is_atom(atoms::timeout)) return badrpc(atoms::timeout);
      if (r.value.is_atom(a_notsup)) return badrpc(a_notsup);
      return badrpc(tuple_of(atoms::EXIT, r.value));
  }
  return atoms::ok;
}

task<erpc_result> erpc_call(process& self, atom node, atom m, atom f, std::vector<term> args,
                            std::chrono::milliseconds timeout) {
  if (is_local(self, node) || !distributed(self)) {
    if (!is_local(self, node)) co_return erpc_result{erpc_kind::erpc, atoms::noconnection, {}};
    auto* s = otp::services_of(self.rt());
    auto e = s ? s->exports().find(m, f, args.size()) : std::nullopt;
    if (!e)
      co_return erpc_result{erpc_kind::error, atoms::undef,
                            list_of(term::tuple({m, f, term::list(args), term()}))};
    co_return from_outcome(co_await export_table::call(self, *e, std::move(args)));
  }
  auto [id, res] = send_erpc(self, node, m, f, std::move(args));
  erpc_result r = co_await receive_erpc_result(self, id, res, timeout);
  if (r.how == erpc_kind::erpc && r.value.is_atom(atoms::timeout)) {
    abandon(self, id);
    co_await drop_late_erpc_answer(self, id);
  }
  co_return r;
}

erpc_result erpc_call(scoped_process& self, atom node, atom m, atom f, std::vector<term> args,
                      std::chrono::milliseconds timeout) {
  if (is_local(self, node) || !distributed(self)) {
    if (!is_local(self, node)) return {erpc_kind::erpc, atoms::noconnection, {}};
    // Run it in a process of this node, as erpc does for the local node.
    auto [p, mref] = self.spawn_monitor(
        [](process& worker, pid caller, atom m, atom f, std::vector<term> args) -> process_task {
          erpc_result r = co_await erpc_call(worker, worker.rt().node(), m, f, std::move(args));
          worker.send(caller, term::tuple({atom("$otpp_erpc"), worker.self(),
                                           term(static_cast<int>(r.how)), r.value, r.stack}));
        },
        self.self(), m, f, std::move(args));
    std::optional<erpc_result> r = self.receive(
        on(atom("$otpp_erpc"), p, any_int, _, _) >>
            [](std::int64_t how, term v, term s) {
              return std::optional<erpc_result>(erpc_result{static_cast<erpc_kind>(how), v, s});
            },
        on(atoms::DOWN, mref, ignore, ignore, _) >>
            [](term reason) {
              return std::optional<erpc_result>(erpc_result{erpc_kind::signal, reason, {}});
            },
        after(otp::detail::receive_timeout(timeout), [] { return std::optional<erpc_result>(); }));
    self.demonitor(mref, true);
    if (!r) return {erpc_kind::erpc, atoms::timeout, {}};
    return *r;
  }
  auto [id, res] = send_erpc(self, node, m, f, std::move(args));
  erpc_result r = receive_erpc_result(self, id, res, timeout);
  if (r.how == erpc_kind::erpc && r.value.is_atom(atoms::timeout)) {
    abandon(self, id);
    drop_late_erpc_answer(self, id);
  }
  return r;
}

task<term> call(process& self, atom node, atom m, atom f, std::vector<term> args,
                std::chrono::milliseconds timeout) {
  co_return to_rpc_result(co_await erpc_call(self, node, m, f, std::move(args), timeout));
}

term call(scoped_process& self, atom node, atom m, atom f, std::vector<term> args,
          std::chrono::milliseconds timeout) {
  return to_rpc_result(erpc_call(self, node, m, f, std::move(args), timeout));
}

void cast(basic_process& self, atom node, atom m, atom f, std::vector<term> args) {
  if (is_local(self, node)) {
    auto* s = otp::services_of(self.rt());
    if (!s) return;
    auto e = s->exports().find(m, f, args.size());
    if (!e) return;
    self.spawn(
        [](process& worker, export_table::entry e, std::vector<term> a) -> process_task {
          (void)co_await export_table::call(worker, std::move(e), std::move(a));
        },
        std::move(*e), std::move(args));
    return;
  }
  term a = list_of(m, f, term::list(std::move(args)));
  (void)self.spawn_request(node, atoms::erpc, a_execute_cast, std::move(a),
                           {.reply = spawn_reply_mode::no});
}

}  // namespace otpp::rpc

namespace otpp::remote {

namespace {

const atom a_spawn_reply("spawn_reply");
const atom a_notsup("notsup");

// erts_internal:crasher/6: a local stand-in for a process that could not be started remotely.
// Before it exits it logs the warning OTP logs (to the node's `logger`, as error_logger does).
process_task crasher(process& self, term reason, term warning) {
  (void)self.send(atom("logger"), std::move(warning));
  self.exit(std::move(reason));
  co_return;
}

// The event erts_internal:crasher/6 logs: "** Can not start M:F,A (Opts) on Node **".
term crasher_warning(atom node, atom m, atom f, const std::vector<term>& args, bool link, bool monitor) {
  using namespace std::chrono;
  std::vector<term> opts;
  if (link) opts.emplace_back(atoms::link);
  if (monitor) opts.emplace_back(atoms::monitor);
  const auto now = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  return term::tuple({term(atom("log")), term(atom("warning")), term::string("** Can not start ~w:~w,~w (~w) on ~w **~n"),
                      list_of(m, f, term::list(args), term::list(std::move(opts)), node),
                      term::map({{term(atom("time")), term(static_cast<std::int64_t>(now))}})});
}

spawn_options local_options(bool link, bool monitor) {
  spawn_options o;
  o.link = link;
  o.monitor = monitor;
  return o;
}

// A spawn on this node itself, from the export table (undef as Erlang: the spawn succeeds).
spawned spawn_here(basic_process& self, atom m, atom f, std::vector<term> args, bool link,
                   bool monitor,
                   const std::function<spawned(const spawn_options&,
                                               std::function<process_task(process&)>)>& spawn) {
  auto* s = otp::services_of(self.rt());
  std::function<process_task(process&)> body;
  if (s) {
    body = s->exports().spawn_body(m, f, std::move(args));
  } else {
    export_table empty;
    body = empty.spawn_body(m, f, std::move(args));
  }
  return spawn(local_options(link, monitor), std::move(body));
}

reference send_spawn(basic_process& self, atom node, atom m, atom f, std::vector<term> args,
                     bool link, bool monitor) {
  return self.spawn_request(node, m, f, term::list(std::move(args)),
                            {.link = link, .monitor = monitor});
}

struct reply {
  bool ok;
  term value;
};

spawned finish(basic_process& self, const reference& id, const reply& r, bool link, bool monitor, term warning,
               const std::function<spawned(const spawn_options&,
                                           std::function<process_task(process&)>)>& spawn) {
  if (r.ok) {
    spawned s{r.value.pid_value(), std::nullopt};
    if (monitor) s.monitor = id;
    return s;
  }
  if (r.value.is_atom(atoms::noconnection) || r.value.is_atom(a_notsup)) {
    term reason = r.value;
    return spawn(local_options(link, monitor),
                 [reason, warning](process& p) { return crasher(p, reason, warning); });
  }
  (void)self;
  throw error_exception(r.value.is_atom(atom("badopt")) ? term(atoms::badarg) : r.value);
}

}  // namespace

task<spawned> spawn_opt(process& self, atom node, atom m, atom f, std::vector<term> args, bool link,
                        bool monitor) {
  auto local_spawn = [&self](const spawn_options& o, std::function<process_task(process&)> body) {
    return self.spawn_opt(o, std::move(body));
  };
  if (node == self.rt().node())
    co_return spawn_here(self, m, f, std::move(args), link, monitor, local_spawn);
  term warning = crasher_warning(node, m, f, args, link, monitor);
  reference id = send_spawn(self, node, m, f, std::move(args), link, monitor);
  reply r = co_await self.receive(on(a_spawn_reply, id, any_atom, _) >> [](atom status, term v) {
    return reply{status == atoms::ok, v};
  });
  co_return finish(self, id, r, link, monitor, std::move(warning), local_spawn);
}

spawned spawn_opt(scoped_process& self, atom node, atom m, atom f, std::vector<term> args,
                  bool link, bool monitor) {
  auto local_spawn = [&self](const spawn_options& o, std::function<process_task(process&)> body) {
    return self.spawn_opt(o, std::move(body));
  };
  if (node == self.rt().node())
    return spawn_here(self, m, f, std::move(args), link, monitor, local_spawn);
  term warning = crasher_warning(node, m, f, args, link, monitor);
  reference id = send_spawn(self, node, m, f, std::move(args), link, monitor);
  // Every request is answered (noconnection when the node cannot be reached).
  reply r = self.receive(on(a_spawn_reply, id, any_atom, _) >> [](atom status, term v) {
    return reply{status == atoms::ok, v};
  });
  return finish(self, id, r, link, monitor, std::move(warning), local_spawn);
}

task<pid> spawn(process& self, atom node, atom m, atom f, std::vector<term> args) {
  co_return (co_await spawn_opt(self, node, m, f, std::move(args), false, false)).pid;
}
task<pid> spawn_link(process& self, atom node, atom m, atom f, std::vector<term> args) {
  co_return (co_await spawn_opt(self, node, m, f, std::move(args), true, false)).pid;
}
task<std::pair<pid, reference>> spawn_monitor(process& self, atom node, atom m, atom f,
                                              std::vector<term> args) {
  spawned s = co_await spawn_opt(self, node, m, f, std::move(args), false, true);
  co_return std::pair<pid, reference>{s.pid, *s.monitor};
}
pid spawn(scoped_process& self, atom node, atom m, atom f, std::vector<term> args) {
  return spawn_opt(self, node, m, f, std::move(args), false, false).pid;
}
pid spawn_link(scoped_process& self, atom node, atom m, atom f, std::vector<term> args) {
  return spawn_opt(self, node, m, f, std::move(args), true, false).pid;
}
std::pair<pid, reference> spawn_monitor(scoped_process& self, atom node, atom m, atom f,
                                        std::vector<term> args) {
  spawned s = spawn_opt(self, node, m, f, std::move(args), false, true);
  return {s.pid, *s.monitor};
}

}  // namespace otpp::remote
