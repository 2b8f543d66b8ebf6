// A node's default logger: the process registered as `logger_proxy`, where the crash reporter
// (otp/crash_report.hpp) sends the "Error in process" event of a local process that failed
// and where other nodes send the events of processes whose group leader is on this node (a
// process alex spawned on a BEAM or otpp kate that crashed). It prints each event on the node's standard output as the default
// handler of OTP's logger does:
//
//   =ERROR REPORT==== 30-Nov-2026::10:59:21.357794 ===
//   Error in process <100.88.0> on node kate@localhost with exit value:
//   {undef,[{'Elixir.Kate',nosuch,[],[]}]}
//
#pragma once

#include <optional>

#include "otpp/runtime/runtime.hpp"
#include "otpp/term/term.hpp"

namespace otpp::otp {

/// The io request (`{put_chars, unicode, io_lib, format, [Fmt, Args]}`) that prints a logger
/// event as OTP's default handler does: the `=LEVEL REPORT==== Time ===` header (Time from the
/// event's `time` metadata, microseconds, in local time), the message, and an empty line.
/// Events: `{log, Level, Format, Args, Meta}` and `{log, Level, {string, Chardata} |
/// {report, Report} | {Format, Args}, Meta}`; a format that does not fit its arguments prints
/// as `FORMAT ERROR: Format - Args`. nullopt for anything else.
[[nodiscard]] std::optional<term> log_event_request(const term& event);

/// Starts the default logger printing through the io server `output`, registered as
/// `logger_proxy` unless that name is taken. Runs until killed or the runtime shuts down.
pid start_logger(runtime& rt, const pid& output);

}  // namespace otpp::otp
