// The Erlang I/O protocol between processes: an io server process that owns a device (the
// node's standard output), and the client calls every process uses to print through its group
// leader — which may live on another node, as in the lesson's `Node.spawn_link`.
//
//   otpp::process_task say_name(otpp::process& self) {
//     co_await otpp::io::put_chars(self, "Hi, my name is Kate\n");   // prints on the caller's node
//   }
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "otpp/otp/io_device.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::io {

/// Starts a process serving `device`: every `{io_request, From, ReplyAs, Request}` gets
/// `{io_reply, ReplyAs, Reply}`; other messages are dropped. Requests that read input run on
/// a helper thread, so a waiting `get_line` holds up neither the scheduler nor other clients'
/// output. The process runs until the runtime shuts down (or it is killed); `name`, when given,
/// is registered for it.
pid start_server(runtime& rt, std::shared_ptr<io_device> device, std::optional<atom> name = {});

/// An io server for this program's standard output (and standard input when `with_input`),
/// registered as `user` as on an Erlang node.
pid start_stdio_server(runtime& rt, bool with_input = false);

// ---- client side ------------------------------------------------------------------------------
// Each call monitors the device while it waits, so a device that is dead, or on a node that
// disconnects, answers `{error, terminated}` instead of leaving the caller hanging (io.erl).

/// io:request/2: sends `request` to `device` and returns its reply.
[[nodiscard]] task<term> request(process& self, pid device, term request);
/// The same from a blocking handle; `{error, timeout}` when no reply came in time.
[[nodiscard]] term request(scoped_process& self, const pid& device, const term& request,
                           std::chrono::milliseconds timeout = std::chrono::minutes(5));

/// io:put_chars/1 to the caller's group leader: `{put_chars, unicode, <<Text>>}`.
/// Returns `ok` or `{error, Why}`.
[[nodiscard]] task<term> put_chars(process& self, std::string utf8);
[[nodiscard]] term put_chars(scoped_process& self, const std::string& utf8);

/// io:format/2 to the caller's group leader: `{put_chars, unicode, io_lib, format, [Fmt, Args]}`,
/// formatted by the device as an Erlang io server does. `{error, format}` for a bad format.
[[nodiscard]] task<term> format(process& self, std::string fmt, std::vector<term> args = {});
[[nodiscard]] term format(scoped_process& self, const std::string& fmt,
                          const std::vector<term>& args = {});

/// The request terms themselves, for callers that build their own conversations.
[[nodiscard]] term put_chars_request(const std::string& utf8);
[[nodiscard]] term format_request(const std::string& fmt, const std::vector<term>& args);

}  // namespace otpp::io
