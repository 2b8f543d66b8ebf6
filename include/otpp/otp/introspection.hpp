// The functions BEAM tools call on a remote node to look inside it (observer, etop, plain rpc):
// erlang:processes/0, registered/0, is_process_alive/1, process_info/1,2 (registered_name, status,
// message_queue_len, messages, links, monitors, monitored_by, group_leader, trap_exit, memory,
// reductions, current_function, initial_call and the heap-size items as nearest measures),
// system_info/1 for the common keys (otp_release is "25"), memory/0,1, statistics/1, nodes/1.
#pragma once

#include "otpp/otp/exports.hpp"
#include "otpp/runtime/runtime.hpp"

namespace otpp::otp {

/// erlang:nodes/1: `which` is visible, hidden, connected, this or known, or a list of them;
/// each node once. Throws error_exception badarg for anything else.
[[nodiscard]] term nodes(runtime& rt, const term& which);

/// Registers the introspection functions in `exports` (entries already there are kept);
/// add_builtins does, and code::install (which builds on them: erlang:nodes/1 is Node.list/1).
void add_introspection(export_table& exports);

}  // namespace otpp::otp
