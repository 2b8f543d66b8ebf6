// Crash reports of a node's processes, as a BEAM node makes them: the emulator's
// "Error in process ..." logger event, sent where OTP's logger would take it.
#pragma once

#include <string_view>

#include "otpp/runtime/runtime.hpp"
#include "otpp/term/term.hpp"

namespace otpp::otp {

/// The report of `dying`, ending with the error `reason` (a runtime::crash_reporter): to
/// `{logger_proxy, node(GL)}` when its group leader is on another node; else to the local
/// `logger_proxy` when one is registered; else the text of an error report to its group leader,
/// or to stderr when it has none.
void report_crash(basic_process& dying, const term& reason);

/// The event erts_send_error_term_to_logger builds for `who` ending with the error `reason`:
///   {log, error, "Error in process ~p on node ~p with exit value:~n~p~n", [Pid, Node, Value],
///    #{error_logger => #{emulator => true, tag => error}, gl => GL, pid => Pid, time => T}}
/// (`gl` left out when null; "on node ~p" only when `node` is alive).
[[nodiscard]] term emulator_error_event(atom node, const pid& who, const pid* gl, const term& reason);

/// An error report of `self` (a behaviour's: a gen_server terminating, a supervisor giving up),
/// `{log, error, Format, Args, Meta}` as logger:error/2 makes it: to the local `logger_proxy`
/// when one is registered, else printed through `self`'s group leader, else on stderr. A
/// `title` goes in the metadata as `logger_formatter => #{title => Title}` (the header then
/// reads `=SUPERVISOR REPORT====` where it would read `=ERROR REPORT====`).
void log_error(basic_process& self, std::string_view format, term args, std::string_view title = {});

}  // namespace otpp::otp
