// Cluster-wide process names, as OTP's `global`: the node's `global_name_server` speaks OTP 25's
// global protocol (init_connect, the lockers' lock_set, exchange, resolved, new_nodes, in_sync,
// set_lock/del_lock, register/unregister), so names registered with `:global` on BEAM nodes
// resolve here, names registered here resolve there, `:global.sync()` completes with this node
// in the cluster, and names of a node that goes down disappear.
//
//   otpp::scoped_process me(node->rt());
//   otpp::otp::global::register_name(me, otpp::atom("chat"), me.self());   // yes
//   auto p = otpp::otp::global::whereis_name(node->rt(), otpp::atom("other"));
#pragma once

#include <optional>
#include <vector>

#include "otpp/runtime/process.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::otp {
class node_services;
}  // namespace otpp::otp

namespace otpp::otp::global {

/// Starts the node's `global_name_server` (node_services does, for a distributed node) and
/// registers global:whereis_name/1, registered_names/0 and resolve_it/4 in the export table.
pid start(node_services& services);

/// global:whereis_name/1: the pid registered as `name` in the cluster, or nullopt.
/// Thread-safe; reads the node's copy of the name table.
[[nodiscard]] std::optional<pid> whereis_name(runtime& rt, const term& name);
/// global:registered_names/0.
[[nodiscard]] std::vector<term> registered_names(runtime& rt);

/// global:register_name/2: registers `p` as `name` on every node of the cluster under the
/// global lock; true (`yes`) unless the name is taken or `p` already has a name.
[[nodiscard]] task<bool> register_name(process& self, term name, pid p);
[[nodiscard]] bool register_name(scoped_process& self, const term& name, const pid& p);
/// global:unregister_name/1.
[[nodiscard]] task<bool> unregister_name(process& self, term name);
bool unregister_name(scoped_process& self, const term& name);
/// global:sync/0: returns once this node has exchanged names with every connected node.
[[nodiscard]] task<bool> sync(process& self);
bool sync(scoped_process& self);

/// global:send/2: sends `msg` to the process registered as `name`; its pid, or nullopt (where
/// Erlang exits with `{badarg, {Name, Msg}}`) when there is none.
std::optional<pid> send(basic_process& self, const term& name, term msg);

}  // namespace otpp::otp::global
