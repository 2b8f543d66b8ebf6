// Task.Supervisor and Task.Supervised (Elixir 1.14) on the wire: start_task, the owner's
// {OwnerPid, Ref, ReplyTo, Callers, MFA} message, and the {Ref, Result} reply.
#include "otpp/otp/task_supervisor.hpp"

#include <algorithm>
#include <vector>

#include "otpp/otp/gen.hpp"
#include "receive_timeout.hpp"

namespace otpp::task_supervisor {

namespace {

const atom a_start_task("start_task");
const atom a_which_children("which_children");
const atom a_count_children("count_children");
const atom a_terminate_child("terminate_child");
const atom a_worker("worker");
const atom a_supervised("Elixir.Task.Supervised");
const atom a_nocatch("nocatch");
const atom a_specs("specs");
const atom a_active("active");
const atom a_supervisors("supervisors");
const atom a_workers("workers");
const atom a_not_found("not_found");

// Task.Supervised.reply/4 then invoke_mfa/2.
process_task task_body(process& self, pid owner, bool monitor, export_table* exports) {
  std::optional<reference> mref;
  if (monitor) mref = self.monitor(owner);
  struct start_msg {
    bool ok = false;
    term ref, reply_to, mfa, down_reason;
    bool timed_out = false;
  };
  auto timeout = monitor ? std::chrono::milliseconds(5000) : std::chrono::milliseconds(-1);
  // Built before the co_await: g++ 12 destroys conditional temporaries of an await twice.
  term down_ref = atoms::undefined;
  if (mref) down_ref = *mref;
  start_msg m = co_await self.receive(
      on(owner, any_ref, _, ignore, any_tuple) >>
          [](reference ref, term reply_to, term mfa) {
            return start_msg{true, term(ref), reply_to, mfa, {}, false};
          },
      on(atoms::DOWN, down_ref, ignore, ignore, _) >>
          [](term reason) { return start_msg{false, {}, {}, {}, reason, false}; },
      after(otp::detail::receive_timeout(timeout),
            [] { return start_msg{false, {}, {}, {}, {}, true}; }));
  if (!m.ok) {
    term reason = atoms::timeout;
    if (!m.timed_out) reason = tuple_of(atoms::shutdown, m.down_reason);
    self.exit(reason);
  }
  if (mref) self.demonitor(*mref, true);

  const term& mfa = m.mfa;
  if (mfa.tuple_size() != 3 || !mfa[0].is_atom() || !mfa[1].is_atom() || !mfa[2].is_proper_list())
    self.error(tuple_of(atom("badfun"), mfa));
  atom mod = mfa[0].atom_value(), fun = mfa[1].atom_value();
  auto args = mfa[2].list_elements();
  auto e = exports->find(mod, fun, args.size());
  if (!e) self.error(export_table::undef_reason(mod, fun, mfa[2]));
  call_outcome o =
      co_await export_table::call(self, *e, std::vector<term>(args.begin(), args.end()));
  switch (o.how) {
    case call_outcome::kind::return_: {
      term reply = tuple_of(m.ref, o.value);
      if (m.reply_to.is_reference())
        self.send(m.reply_to.reference_value(), reply);
      else if (m.reply_to.is_pid())
        self.send(m.reply_to.pid_value(), reply);
      co_return;
    }
    case call_outcome::kind::throw_:
      self.error(tuple_of(tuple_of(a_nocatch, o.value), o.stack));
    case call_outcome::kind::exit:
      self.exit(o.value);
    case call_outcome::kind::error:
      self.error(tuple_of(o.value, o.stack));
  }
}

// The owner of a start_task: {Node, PidOrName, Pid} (Elixir 1.14) or a bare pid.
std::optional<pid> owner_of(const term& owner) {
  if (owner.is_pid()) return owner.pid_value();
  if (owner.is_tuple() && owner.tuple_size() == 3 && owner[2].is_pid()) return owner[2].pid_value();
  return std::nullopt;
}

process_task supervisor(process& self, export_table* exports) {
  self.trap_exit(true);
  std::vector<pid> children;
  for (;;) {
    term msg = co_await self.receive();
    if (msg.is_tagged_tuple(atoms::EXIT, 3) && msg[1].is_pid()) {
      std::erase(children, msg[1].pid_value());
      continue;
    }
    auto call = gen::parse_call(msg);
    if (!call) continue;
    const term& req = call->request;
    if (req.is_tagged_tuple(a_start_task, 4) && req[1].is_proper_list() && !req[1].is_nil()) {
      auto args = req[1].list_elements();
      auto owner = owner_of(args[0]);
      if (!owner) {
        gen::reply(self, call->from, tuple_of(atoms::error, atoms::badarg));
        continue;
      }
      bool monitor = args.size() > 1 && args[1].is_atom(atoms::monitor);
      spawn_options o;
      o.link = true;
      pid child = self.spawn_opt(o, task_body, *owner, monitor, exports).pid;
      children.push_back(child);
      gen::reply(self, call->from, tuple_of(atoms::ok, child));
    } else if (req.is_atom(a_which_children)) {
      std::vector<term> out;
      for (const pid& c : children)
        out.push_back(term::tuple({atoms::undefined, c, a_worker, list_of(a_supervised)}));
      gen::reply(self, call->from, term::list(std::move(out)));
    } else if (req.is_atom(a_count_children)) {
      auto n = static_cast<std::int64_t>(children.size());
      gen::reply(self, call->from,
                 list_of(tuple_of(a_specs, 1), tuple_of(a_active, n), tuple_of(a_supervisors, 0),
                         tuple_of(a_workers, n)));
    } else if (req.is_tagged_tuple(a_terminate_child, 2) && req[1].is_pid()) {
      pid c = req[1].pid_value();
      if (std::find(children.begin(), children.end(), c) == children.end()) {
        gen::reply(self, call->from, tuple_of(atoms::error, a_not_found));
      } else {
        self.exit(c, atoms::shutdown);
        std::erase(children, c);
        gen::reply(self, call->from, atoms::ok);
      }
    }
  }
}

}  // namespace

namespace {

// Task.Supervisor.async/5 up to the message that starts the task: the task's pid, the monitor
// reference (also the reply's tag) and the alias the reply goes to.
struct started_task {
  pid task;
  reference mref;
  reference reply_alias;
};

term start_task_request(basic_process& self) {
  term owner = tuple_of(self.rt().node(), self.self(), self.self());
  return term::tuple({a_start_task, list_of(owner, atoms::monitor), atom("temporary"), atoms::nil});
}

started_task begin_task(basic_process& self, const pid& task_pid, atom m, atom f,
                        std::vector<term> args) {
  self.link(task_pid);
  started_task t{task_pid, self.monitor(task_pid), self.alias()};
  term mfa = tuple_of(m, f, term::list(std::move(args)));
  self.send(task_pid, term::tuple({self.self(), t.mref, t.reply_alias, list_of(self.self()), mfa}));
  return t;
}

void end_task(basic_process& self, const started_task& t) {
  self.unalias(t.reply_alias);
  self.demonitor(t.mref, true);
}

gen::call_result start_failed(const gen::call_result& r) {
  if (!r.ok()) return r;
  return {std::nullopt, r.reply->is_tagged_tuple(atoms::error, 2) ? (*r.reply)[1] : *r.reply};
}

bool started(const gen::call_result& r) {
  return r.ok() && r.reply->is_tagged_tuple(atoms::ok, 2) && (*r.reply)[1].is_pid();
}

// Task.await: the task's reply (tagged with its monitor reference), its DOWN, or a timeout.
// For a process (returns what to co_await) and a blocking handle (returns the result) alike.
template <class Self>
auto receive_task_reply(Self& self, const reference& mref, std::chrono::milliseconds timeout) {
  return self.receive(
      on(mref, _) >>
          [](term v) {
            return gen::call_result{std::move(v), {}};
          },
      on(atoms::DOWN, mref, ignore, ignore, _) >>
          [](term why) {
            return gen::call_result{std::nullopt, why};
          },
      after(otp::detail::receive_timeout(timeout), [] {
        return gen::call_result{std::nullopt, atoms::timeout};
      }));
}

}  // namespace

task<gen::call_result> async_await(process& self, gen::destination supervisor, atom m, atom f,
                                   std::vector<term> args, std::chrono::milliseconds timeout) {
  term req = start_task_request(self);
  gen::call_result r =
      co_await gen::call(self, supervisor, std::move(req), std::chrono::milliseconds(-1));
  if (!started(r)) co_return start_failed(r);
  started_task t = begin_task(self, (*r.reply)[1].pid_value(), m, f, std::move(args));
  gen::call_result out = co_await receive_task_reply(self, t.mref, timeout);
  end_task(self, t);
  co_return out;
}

gen::call_result async_await(scoped_process& self, const gen::destination& supervisor, atom m,
                             atom f, std::vector<term> args, std::chrono::milliseconds timeout) {
  gen::call_result r =
      gen::call(self, supervisor, start_task_request(self), std::chrono::milliseconds(-1));
  if (!started(r)) return start_failed(r);
  started_task t = begin_task(self, (*r.reply)[1].pid_value(), m, f, std::move(args));
  gen::call_result out = receive_task_reply(self, t.mref, timeout);
  end_task(self, t);
  return out;
}

pid start(runtime& rt, export_table& exports, atom name) {
  pid p = rt.spawn(supervisor, &exports);
  rt.register_name(name, p);
  return p;
}

}  // namespace otpp::task_supervisor
