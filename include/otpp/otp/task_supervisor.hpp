// A task supervisor other nodes can start work on, speaking Elixir 1.14's Task.Supervisor wire
// protocol, so `Task.Supervisor.async({Chat.TaskSupervisor, node}, Chat, :receive_message, [msg])
// |> Task.await()` from a real iex works against an otpp node:
//   1. GenServer.call(Sup, {:start_task, [{OwnerNode, OwnerPidOrName, OwnerPid}, :monitor],
//      :temporary, Shutdown}) answered {:ok, TaskPid} (the task, linked to the supervisor,
//      monitors the owner);
//   2. the owner links to and monitors the task, then sends it
//      {OwnerPid, Ref, ReplyTo, Callers, {M, F, A}} (within 5 s);
//   3. the task runs M:F(A) from the export table and sends {Ref, Result} to ReplyTo (an alias).
// Tasks run with the supervisor's group leader: their output prints on this node.
#pragma once

#include <chrono>
#include <vector>

#include "otpp/otp/exports.hpp"
#include "otpp/otp/gen.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"

namespace otpp::task_supervisor {

/// Starts a task supervisor registered as `name` (spell Elixir names in full:
/// `Elixir.Chat.TaskSupervisor`). Its tasks look functions up in `exports`, which must outlive
/// the supervisor (node_services kills it first).
pid start(runtime& rt, export_table& exports, atom name);

/// The client side, for a C++ process: `Task.Supervisor.async(Sup, M, F, A) |> Task.await(Timeout)`
/// against any Task.Supervisor (Elixir's or otpp's), local or `{Name, Node}`. The reply, or
/// why Task.await would have exited (`timeout`, the task's exit reason, `noproc`, ...). The
/// task is linked to the caller, as async links it.
[[nodiscard]] task<gen::call_result> async_await(
    process& self, gen::destination supervisor, atom m, atom f, std::vector<term> args,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
[[nodiscard]] gen::call_result async_await(
    scoped_process& self, const gen::destination& supervisor, atom m, atom f,
    std::vector<term> args, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace otpp::task_supervisor
