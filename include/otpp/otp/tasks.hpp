// Elixir's Task for C++ processes: `tasks::async(self, fn)` runs `fn` in a process linked to and
// monitored by the caller, `tasks::await(self, t, timeout)` waits for its result, exiting as
// Task.await does (`{timeout, {'Elixir.Task', await, [Task, Timeout]}}`, or the task's exit
// reason in place of `timeout`). Remote work on a task supervisor: task_supervisor.hpp.
//
//   auto t = otpp::tasks::async(self, [](otpp::process& p) -> otpp::task<otpp::term> { co_return 42; });
//   otpp::term answer = co_await otpp::tasks::await(self, t);
#pragma once

#include <chrono>
#include <functional>

#include "otpp/runtime/process.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::tasks {

/// What a task runs, inside its own process.
using function = std::function<task<term>(process&)>;

/// A started task, as Elixir's `%Task{owner, pid, ref}`.
struct handle {
  otpp::pid pid;
  reference ref;  ///< the owner's monitor of the task, also the tag of its reply
  otpp::pid owner;
  /// The `%Task{}` struct Elixir prints in Task.await's exit reasons.
  [[nodiscard]] term to_term() const;
};

/// Task.async/1: the task is linked to the caller (its failure ends the caller unless it traps
/// exits, as in Elixir) and monitored by it.
[[nodiscard]] handle async(basic_process& self, function fn);

/// Task.await/2: the task's result; otherwise the caller exits (exit_exception from a process,
/// process_exited from a scoped_process) with `{Reason, {'Elixir.Task', await, [Task, Timeout]}}`.
[[nodiscard]] otpp::task<term> await(process& self, handle t,
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
[[nodiscard]] term await(scoped_process& self, const handle& t,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace otpp::tasks
