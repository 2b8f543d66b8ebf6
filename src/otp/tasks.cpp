// Task.async and Task.await (Elixir 1.14's task.ex) for C++ processes.
#include "otpp/otp/tasks.hpp"

#include <optional>
#include <utility>

#include "receive_timeout.hpp"

namespace otpp::tasks {

namespace {

const atom a_start("$otpp_task_start");
const atom a_task("Elixir.Task");
const atom a_await("await");

// The task's process: learns its tag (the owner's monitor reference), runs, replies.
process_task task_body(process& self, function fn, pid owner) {
  term tag = co_await self.receive(on(a_start, any_ref) >> [](reference r) { return term(r); });
  term result = co_await fn(self);
  self.send(owner, tuple_of(tag, std::move(result)));
}

struct outcome {
  std::optional<term> reply;
  term reason;
};

term await_exit_reason(const handle& t, const term& reason, std::chrono::milliseconds timeout) {
  term tt = timeout.count() < 0 ? term(atoms::infinity) : term(static_cast<std::int64_t>(timeout.count()));
  return tuple_of(reason, tuple_of(a_task, a_await, list_of(t.to_term(), tt)));
}

}  // namespace

term handle::to_term() const {
  static const atom struct_key("__struct__"), owner_key("owner"), pid_key("pid"), ref_key("ref");
  return term::map({{term(struct_key), term(a_task)},
                    {term(owner_key), term(owner)},
                    {term(pid_key), term(pid)},
                    {term(ref_key), term(ref)}});
}

handle async(basic_process& self, function fn) {
  spawn_options o;
  o.link = true;
  o.monitor = true;
  spawned s = self.spawn_opt(o, task_body, std::move(fn), self.self());
  self.send(s.pid, tuple_of(a_start, *s.monitor));
  return handle{s.pid, *s.monitor, self.self()};
}

otpp::task<term> await(process& self, handle t, std::chrono::milliseconds timeout) {
  term ref = t.ref;
  outcome o = co_await self.receive(
      on(ref, _) >> [](term r) { return outcome{std::move(r), {}}; },
      on(atoms::DOWN, ref, ignore, ignore, _) >> [](term why) { return outcome{std::nullopt, why}; },
      after(otp::detail::receive_timeout(timeout), [] { return outcome{std::nullopt, atoms::timeout}; }));
  if (o.reply) {
    self.demonitor(t.ref, true);
    co_return std::move(*o.reply);
  }
  self.exit(await_exit_reason(t, o.reason, timeout));
}

term await(scoped_process& self, const handle& t, std::chrono::milliseconds timeout) {
  term ref = t.ref;
  outcome o = self.receive(
      on(ref, _) >> [](term r) { return outcome{std::move(r), {}}; },
      on(atoms::DOWN, ref, ignore, ignore, _) >> [](term why) { return outcome{std::nullopt, why}; },
      after(otp::detail::receive_timeout(timeout), [] { return outcome{std::nullopt, atoms::timeout}; }));
  if (o.reply) {
    self.demonitor(t.ref, true);
    return std::move(*o.reply);
  }
  term reason = await_exit_reason(t, o.reason, timeout);
  self.exit(reason);
  throw process_exited(reason);
}

}  // namespace otpp::tasks
