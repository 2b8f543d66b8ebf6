// Process groups, as OTP's `pg`: one scope process per scope (`pg` by default, started with
// every distributed node; named scopes with start_scope) speaking pg's protocol with the same
// scope on other nodes (`{discover, Peer}`, `{sync, Peer, Groups}` cast, `{join, Peer, Group,
// PidOrPids}`, `{leave, Peer, PidOrPids, Groups}`), so otpp processes join groups BEAM processes
// see (Phoenix.PubSub finds subscribers that way) and the reverse. Members on a node that goes
// down leave with it.
//
//   otpp::scoped_process me(node->rt());
//   otpp::otp::pg::join(me, otpp::atom("pg"), otpp::atom("chat"), {me.self()});
//   auto members = otpp::otp::pg::get_members(node->rt(), otpp::atom("pg"), otpp::atom("chat"));
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "otpp/runtime/process.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::otp {
class node_services;
}  // namespace otpp::otp

namespace otpp::otp::pg {

/// The default scope, `pg`.
inline const atom default_scope{"pg"};

/// pg:start(Scope): starts the scope process registered as `scope` (nullopt if the name is
/// taken). node_services starts `pg` on a distributed node and registers pg's read functions
/// (get_members/1,2, get_local_members/1,2, which_groups/0,1, which_local_groups/0,1) in the
/// export table for rpc.
std::optional<pid> start_scope(node_services& services, atom scope);
/// Registers pg's read functions in the export table (start_scope does too).
void add_exports(node_services& services);

/// pg:join(Scope, Group, Pids): the pids (local processes) join `group`, once per call (a pid
/// may join a group several times). Throws error_exception `{nolocal, Pid}` for a remote pid.
[[nodiscard]] task<bool> join(process& self, atom scope, term group, std::vector<pid> pids);
bool join(scoped_process& self, atom scope, const term& group, const std::vector<pid>& pids);
/// pg:leave(Scope, Group, Pids): true (`ok`), or false (`not_joined`).
[[nodiscard]] task<bool> leave(process& self, atom scope, term group, std::vector<pid> pids);
bool leave(scoped_process& self, atom scope, const term& group, const std::vector<pid>& pids);

/// pg:get_members/2 (every node's members, newest first), get_local_members/2 (this node's),
/// which_groups/1, which_local_groups/1. Thread-safe; read this node's copy of the scope.
[[nodiscard]] std::vector<pid> get_members(runtime& rt, atom scope, const term& group);
[[nodiscard]] std::vector<pid> get_local_members(runtime& rt, atom scope, const term& group);
[[nodiscard]] std::vector<term> which_groups(runtime& rt, atom scope);
[[nodiscard]] std::vector<term> which_local_groups(runtime& rt, atom scope);

/// pg:monitor_scope(Scope): the reference and the groups now (`#{Group => [Pid]}`); then
/// `{Ref, join, Group, Pids}` and `{Ref, leave, Group, Pids}` arrive. pg:monitor(Scope, Group)
/// does the same for one group (the members now as a list). nullopt if the scope is not running.
[[nodiscard]] task<std::optional<std::pair<reference, term>>> monitor_scope(process& self, atom scope);
std::optional<std::pair<reference, term>> monitor_scope(scoped_process& self, atom scope);
std::optional<std::pair<reference, term>> monitor(scoped_process& self, atom scope, const term& group);
/// pg:demonitor(Scope, Ref): true if the monitor was active.
bool demonitor(scoped_process& self, atom scope, const reference& ref);

}  // namespace otpp::otp::pg
