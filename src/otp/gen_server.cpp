// gen_server's process: proc_lib's start protocol, the receive loop dispatching to the
// callbacks, idle timeouts, the parent's exit, and the `sys` requests (sys.erl, gen_server.erl).
#include "otpp/otp/gen_server.hpp"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "otpp/otp/crash_report.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/otp/services.hpp"
#include "receive_timeout.hpp"

namespace otpp::gen_server {

namespace {

const atom a_system("system");
const atom a_get_state("get_state");
const atom a_replace_state("replace_state");
const atom a_get_status("get_status");
const atom a_suspend("suspend");
const atom a_resume("resume");
const atom a_terminate("terminate");
const atom a_debug("debug");
const atom a_change_code("change_code");
const atom a_running("running");
const atom a_suspended("suspended");
const atom a_status("status");
const atom a_module("module");
const atom a_gen_server("gen_server");
const atom a_header("header");
const atom a_data("data");
const atom a_apply("apply");
const atom a_callback_failed("callback_failed");
const atom a_system_replace_state("system_replace_state");
const atom a_unknown_system_msg("unknown_system_msg");
const atom a_already_started("already_started");
const atom a_bad_call("bad_call");
const atom a_bad_cast("bad_cast");
const atom a_nocatch("nocatch");
const atom a_bad_return_value("bad_return_value");
const atom a_ignore("ignore");

// How an exception escaping a callback ends the server, as gen_server's try/catch turns a
// class and reason into an exit reason.
term reason_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const exit_exception& x) {
    return x.reason();
  } catch (const error_exception& x) {
    return x.stack().is_nil() ? tuple_of(x.reason(), term::list({})) : x.exit_reason();
  } catch (const throw_exception& x) {
    // A throw is a callback's return value in Erlang; here it is not an action.
    return tuple_of(a_bad_return_value, x.value());
  } catch (const process_exited& x) {
    return x.reason();
  } catch (const std::exception& x) {
    return tuple_of(atoms::error, term::binary(x.what()));
  } catch (...) {
    return tuple_of(atoms::error, term::binary("unknown exception"));
  }
}

bool is_normal_exit(const term& reason) {
  return reason.is_atom(atoms::normal) || reason.is_atom(atoms::shutdown) ||
         reason.is_tagged_tuple(atoms::shutdown, 2);
}

std::optional<gen::from> system_from(const term& msg) {
  if (!msg.is_tagged_tuple(a_system, 3)) return std::nullopt;
  const term& f = msg[1];
  if (!f.is_tuple() || f.tuple_size() != 2 || !f[0].is_pid()) return std::nullopt;
  return gen::from{f[0].pid_value(), f[1]};
}

term name_or_pid(const process& self, const std::optional<atom>& name) {
  if (name) return *name;
  return self.self();
}

// sys:replace_state's answer when the fun or the server refuses.
term replace_failed(atom cls, term why) {
  return tuple_of(atoms::error,
                  tuple_of(a_callback_failed, tuple_of(a_gen_server, a_system_replace_state),
                           tuple_of(cls, std::move(why))));
}

// One running server: its callbacks, parent, sys state.
struct server_loop {
  process& self;
  std::shared_ptr<server> s;
  pid parent;
  std::optional<atom> name;
  bool suspended = false;

  // terminate/2, the error report for an abnormal reason, then the exit.
  task<> terminate_and_exit(term reason, term last_message) {
    std::exception_ptr failed;
    try {
      co_await s->terminate(self, reason);
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed) reason = reason_of(failed);
    if (!is_normal_exit(reason)) {
      otp::log_error(self,
                     "** Generic server ~tp terminating \n"
                     "** Last message in was ~tp~n"
                     "** When Server state == ~tp~n"
                     "** Reason for termination ==~n** ~tp~n",
                     list_of(name_or_pid(self, name), last_message, s->state(), reason));
    }
    self.exit(std::move(reason));
  }

  // sys:get_status/1's answer, laid out as gen_server:format_status/2 lays it out.
  term status() const {
    std::string header = "Status for generic server ";
    header += name ? std::string(name->name()) : to_string(term(self.self()));
    term misc = list_of(
        tuple_of(a_header, term::string(header)),
        tuple_of(a_data, list_of(tuple_of(term::string("Status"), suspended ? a_suspended : a_running),
                                 tuple_of(term::string("Parent"), parent),
                                 tuple_of(term::string("Logged events"), term::list({})))),
        tuple_of(a_data, list_of(tuple_of(term::string("State"), s->state()))));
    return tuple_of(a_status, self.self(), tuple_of(a_module, a_gen_server),
                    list_of(term::list({}), suspended ? a_suspended : a_running, parent,
                            term::list({}), std::move(misc)));
  }

  // sys:replace_state/2: the fun runs through erlang:apply/2 of the node's export table
  // (the code layer installs it), so funs from erl and iex work.
  task<term> replace_state(term fun) {
    otp::node_services* services = otp::services_of(self.rt());
    if (!services) co_return replace_failed(atoms::error, atoms::undef);
    // `fun M:F/1` runs straight from the table; closures need erlang:apply/2 (the code layer).
    std::optional<export_table::entry> runner;
    std::vector<term> args;
    if (fun.is_fun() && fun.fun_content().is_export) {
      const fun_value& f = fun.fun_content();
      if (f.arity == 1) runner = services->exports().find(f.module, f.function, 1);
      args.push_back(s->state());
    } else {
      runner = services->exports().find(atoms::erlang, a_apply, 2);
      args.push_back(std::move(fun));
      args.push_back(list_of(s->state()));
    }
    if (!runner) co_return replace_failed(atoms::error, atoms::undef);
    call_outcome o = co_await export_table::call(self, *runner, std::move(args));
    if (o.how != call_outcome::kind::return_) {
      atom cls = o.how == call_outcome::kind::throw_ ? atoms::throw_
                 : o.how == call_outcome::kind::exit ? atoms::exit
                                                     : atoms::error;
      co_return replace_failed(cls, o.value);
    }
    if (!s->replace_state(o.value)) co_return replace_failed(atoms::error, atoms::badarg);
    co_return o.value;
  }

  // One `{system, From, Request}`.
  task<> handle_system(gen::from from, term request) {
    if (request.is_atom(a_get_state)) {
      gen::reply(self, from, s->state());
    } else if (request.is_tagged_tuple(a_replace_state, 2)) {
      term result = co_await replace_state(request[1]);
      gen::reply(self, from, std::move(result));
    } else if (request.is_atom(a_get_status)) {
      gen::reply(self, from, status());
    } else if (request.is_atom(a_suspend)) {
      suspended = true;
      gen::reply(self, from, atoms::ok);
    } else if (request.is_atom(a_resume)) {
      suspended = false;
      gen::reply(self, from, atoms::ok);
    } else if (request.is_tagged_tuple(a_terminate, 2)) {
      co_await terminate_and_exit(request[1], tuple_of(a_system, from.to_term(), request));
    } else if (request.is_tuple() && request.tuple_size() >= 1 &&
               (request[0].is_atom(a_debug) || request[0].is_atom(a_change_code))) {
      gen::reply(self, from, atoms::ok);
    } else {
      gen::reply(self, from, tuple_of(atoms::error, tuple_of(a_unknown_system_msg, request)));
    }
  }

  [[nodiscard]] bool is_parent_exit(const term& msg) const {
    return msg.is_tagged_tuple(atoms::EXIT, 3) && msg[1].is_pid() && msg[1].pid_value() == parent;
  }

  task<> run(std::chrono::milliseconds timeout) {
    for (;;) {
      term msg;
      if (suspended) {
        // Only sys requests and the parent's exit are taken while suspended.
        msg = co_await self.receive(
            on(_).when([this](const term& t) { return system_from(t) || is_parent_exit(t); }) >>
            [](term t) { return t; });
      } else if (timeout.count() >= 0) {
        auto got = co_await self.receive_for(timeout);
        msg = got ? std::move(*got) : term(atoms::timeout);
      } else {
        msg = co_await self.receive();
      }
      if (auto from = system_from(msg)) {
        co_await handle_system(*from, msg[2]);
        continue;
      }
      if (is_parent_exit(msg) && self.trap_exit()) co_await terminate_and_exit(msg[2], msg);

      action a;
      std::optional<gen::from> caller;
      std::exception_ptr failed;
      try {
        if (auto call = gen::parse_call(msg)) {
          caller = std::move(call->from);
          a = co_await s->handle_call(self, std::move(call->request), *caller);
        } else if (auto cast = gen::parse_cast(msg)) {
          a = co_await s->handle_cast(self, std::move(*cast));
        } else {
          a = co_await s->handle_info(self, msg);
        }
      } catch (...) {
        failed = std::current_exception();
      }
      if (failed) co_await terminate_and_exit(reason_of(failed), msg);

      switch (a.how) {
        case action::kind::reply:
          if (caller) gen::reply(self, *caller, std::move(a.reply));
          timeout = a.timeout;
          break;
        case action::kind::noreply:
          timeout = a.timeout;
          break;
        case action::kind::stop: {
          // terminate first, the reply after (gen_server's `try terminate after reply`).
          std::exception_ptr stop_failed;
          term reason = a.reason;
          try {
            co_await s->terminate(self, reason);
          } catch (...) {
            stop_failed = std::current_exception();
          }
          if (a.stop_replies && caller) gen::reply(self, *caller, std::move(a.reply));
          if (stop_failed) reason = reason_of(stop_failed);
          if (!is_normal_exit(reason)) {
            otp::log_error(self,
                           "** Generic server ~tp terminating \n"
                           "** Last message in was ~tp~n"
                           "** When Server state == ~tp~n"
                           "** Reason for termination ==~n** ~tp~n",
                           list_of(name_or_pid(self, name), msg, s->state(), reason));
          }
          self.exit(std::move(reason));
        }
      }
    }
  }
};

// The server's process: registration, init and the acknowledgement proc_lib's starter waits
// for (`{Tag, {ok, Pid} | ignore | {error, Reason}}`), then the loop.
process_task server_body(process& self, std::shared_ptr<server> s, pid starter, reference tag,
                         std::optional<atom> name, bool linked) {
  const pid parent = linked ? starter : self.self();
  auto fail_start = [&](term ack, term reason) {
    self.send(starter, tuple_of(tag, std::move(ack)));
    if (linked) self.unlink(starter);
    self.exit(std::move(reason));
  };
  if (name && !self.register_name(*name)) {
    auto other = self.rt().whereis(*name);
    term holder = other ? term(*other) : term(atoms::undefined);
    fail_start(tuple_of(atoms::error, tuple_of(a_already_started, holder)), atoms::normal);
  }
  init_result ir;
  std::exception_ptr failed;
  try {
    ir = co_await s->init(self);
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    term reason = reason_of(failed);
    fail_start(tuple_of(atoms::error, reason), reason);
  }
  if (ir.how == init_result::kind::stop) fail_start(tuple_of(atoms::error, ir.reason), ir.reason);
  if (ir.how == init_result::kind::ignore) fail_start(a_ignore, atoms::normal);
  self.send(starter, tuple_of(tag, tuple_of(atoms::ok, self.self())));
  server_loop loop{self, std::move(s), parent, name};
  co_await loop.run(ir.timeout);
}

// The starter's half: what the acknowledgement, the server's DOWN or the timeout says.
start_result start_outcome(basic_process& self, const pid& child, bool linked, term value,
                           bool timed_out) {
  if (timed_out) {
    if (linked) self.unlink(child);
    self.exit(child, atoms::kill);
    return {std::nullopt, tuple_of(atoms::error, atoms::timeout)};
  }
  if (value.is_tagged_tuple(atoms::ok, 2) && value[1].is_pid()) return {value[1].pid_value(), value};
  return {std::nullopt, std::move(value)};
}

struct ack {
  term value;
  bool timed_out = false;
};

term call_exit_reason(const gen::call_result& r, const destination& to, const term& request,
                      std::chrono::milliseconds timeout) {
  term t = timeout.count() < 0 ? term(atoms::infinity) : term(static_cast<std::int64_t>(timeout.count()));
  return tuple_of(r.exit_reason, tuple_of(a_gen_server, atoms::call, list_of(to.to_term(), request, t)));
}

}  // namespace

// ---- default callbacks ---------------------------------------------------------------------

task<init_result> server::init(process&) { co_return init_ok(); }

task<action> server::handle_call(process&, term request, from) {
  co_return stop(tuple_of(a_bad_call, std::move(request)));
}

task<action> server::handle_cast(process&, term request) {
  co_return stop(tuple_of(a_bad_cast, std::move(request)));
}

task<action> server::handle_info(process&, term) { co_return noreply(); }

task<> server::terminate(process&, term) { co_return; }

bool server::replace_state(const term&) { return false; }

// ---- starting ------------------------------------------------------------------------------

task<start_result> start(process& self, std::shared_ptr<server> s, start_options options) {
  reference tag = self.make_ref();
  spawn_options so;
  so.link = options.link;
  so.monitor = true;
  spawned sp = self.spawn_opt(so, server_body, std::move(s), self.self(), tag, options.name,
                              options.link);
  term down_ref = *sp.monitor;
  ack a = co_await self.receive(
      on(tag, _) >> [](term v) { return ack{std::move(v), false}; },
      on(atoms::DOWN, down_ref, ignore, ignore, _) >>
          [](term reason) { return ack{tuple_of(atoms::error, std::move(reason)), false}; },
      after(otp::detail::receive_timeout(options.timeout), [] { return ack{{}, true}; }));
  self.demonitor(*sp.monitor, true);
  co_return start_outcome(self, sp.pid, options.link, std::move(a.value), a.timed_out);
}

start_result start(scoped_process& self, std::shared_ptr<server> s, const start_options& options) {
  reference tag = self.make_ref();
  spawn_options so;
  so.link = options.link;
  so.monitor = true;
  spawned sp = self.spawn_opt(so, server_body, std::move(s), self.self(), tag, options.name,
                              options.link);
  term down_ref = *sp.monitor;
  ack a = self.receive(
      on(tag, _) >> [](term v) { return ack{std::move(v), false}; },
      on(atoms::DOWN, down_ref, ignore, ignore, _) >>
          [](term reason) { return ack{tuple_of(atoms::error, std::move(reason)), false}; },
      after(otp::detail::receive_timeout(options.timeout), [] { return ack{{}, true}; }));
  self.demonitor(*sp.monitor, true);
  return start_outcome(self, sp.pid, options.link, std::move(a.value), a.timed_out);
}

// ---- the client side -----------------------------------------------------------------------

task<term> call(process& self, destination to, term request, std::chrono::milliseconds timeout) {
  gen::call_result r = co_await gen::call(self, to, request, timeout);
  if (r.ok()) co_return std::move(*r.reply);
  self.exit(call_exit_reason(r, to, request, timeout));
}

term call(scoped_process& self, const destination& to, const term& request,
          std::chrono::milliseconds timeout) {
  gen::call_result r = gen::call(self, to, request, timeout);
  if (r.ok()) return std::move(*r.reply);
  term reason = call_exit_reason(r, to, request, timeout);
  self.exit(reason);
  throw process_exited(reason);
}

void abcast(basic_process& self, const std::vector<atom>& nodes, atom name, const term& request) {
  for (atom n : nodes) self.send(name, n, tuple_of(atoms::gen_cast, request));
}

term multi_call_result::to_term() const {
  std::vector<term> rs;
  for (const auto& [n, r] : replies) rs.push_back(tuple_of(n, r));
  std::vector<term> bad(bad_nodes.begin(), bad_nodes.end());
  return tuple_of(term::list(std::move(rs)), term::list(std::move(bad)));
}

task<multi_call_result> multi_call(process& self, std::vector<atom> nodes, atom name, term request,
                                   std::chrono::milliseconds timeout) {
  // One monitored, aliased request per node, all sent before any answer is awaited.
  struct pending {
    atom node;
    reference mref;
    reference alias;
    term tag;
    std::optional<term> reply;
    bool done = false;
  };
  std::vector<pending> ps;
  for (atom n : nodes) {
    pending p{n, self.monitor(name, n), self.alias(), {}, std::nullopt, false};
    p.tag = term::list({atoms::alias}, term(p.alias));
    self.send(name, n, term::tuple({atoms::gen_call, tuple_of(self.self(), p.tag), request}));
    ps.push_back(std::move(p));
  }
  auto deadline = std::chrono::steady_clock::now() + otp::detail::receive_timeout(timeout);
  std::size_t open = ps.size();
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    auto which = [&ps](const term& m) -> std::optional<std::size_t> {
      for (std::size_t i = 0; i < ps.size(); ++i) {
        if (ps[i].done) continue;
        if (m.is_tuple() && m.tuple_size() == 2 && m[0] == ps[i].tag) return i;
        if (m.is_tagged_tuple(atoms::DOWN, 5) && m[1].is_reference() && m[1].reference_value() == ps[i].mref)
          return i;
      }
      return std::nullopt;
    };
    std::optional<term> msg = co_await self.receive(
        on(_).when([&which](const term& m) { return which(m).has_value(); }) >>
            [](term m) { return std::optional<term>(std::move(m)); },
        after(left, [] { return std::optional<term>(); }));
    if (!msg) break;
    std::size_t i = *which(*msg);
    ps[i].done = true;
    --open;
    if (!msg->is_tagged_tuple(atoms::DOWN, 5)) ps[i].reply = (*msg)[1];
  }
  multi_call_result r;
  for (pending& p : ps) {
    self.unalias(p.alias);
    self.demonitor(p.mref, true);
    if (p.reply)
      r.replies.emplace_back(p.node, std::move(*p.reply));
    else
      r.bad_nodes.push_back(p.node);
  }
  co_return r;
}

task<> stop(process& self, destination to, term reason, std::chrono::milliseconds timeout) {
  // proc_lib:stop/3: sys's terminate request, then the server's DOWN with that reason.
  gen::call_result r = co_await gen::call(self, to, tuple_of(a_terminate, reason), timeout, a_system);
  if (r.ok()) co_return;  // something answered instead of ending: not a behaviour
  if (r.exit_reason == reason) co_return;
  self.exit(r.exit_reason);
}

void stop(scoped_process& self, const destination& to, const term& reason,
          std::chrono::milliseconds timeout) {
  gen::call_result r = gen::call(self, to, tuple_of(a_terminate, reason), timeout, a_system);
  if (r.ok() || r.exit_reason == reason) return;
  self.exit(r.exit_reason);
  throw process_exited(r.exit_reason);
}

}  // namespace otpp::gen_server
