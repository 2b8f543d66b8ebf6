// Crash reports of a node's processes, made and routed as a BEAM node does
// (beam_common.c terminate_proc, utils.c do_send_logger_message).
#include "otpp/otp/crash_report.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "otpp/otp/logger.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/term/print.hpp"

namespace otpp::otp {

namespace {

// The text of the error report, as the legacy handler prints it.
std::string crash_report_text(atom node, const pid& who, const term& reason) {
  char stamp[64] = "";
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::snprintf(stamp, sizeof stamp, "%d-%s-%04d::%02d:%02d:%02d.%06lld", tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros));
  std::string text = "=ERROR REPORT==== ";
  text += stamp;
  text += " ===\nError in process ";
  text += to_string(term(who));
  if (node != atoms::nonode_nohost) {
    text += " on node ";
    text += to_string(term(node));
  }
  text += " with exit value:\n";
  text += to_string(reason);
  text += "\n\n";
  return text;
}

/// An error exit value as the emulator logs it is `{Reason, Stacktrace}`: a list of
/// `{M, F, Arity | Args, Location}` (or `{Fun, Arity, Location}`) entries.
bool is_error_value(const term& value) {
  if (!value.is_tuple() || value.tuple_size() != 2) return false;
  const term& stack = value[1];
  if (!stack.is_list() || !stack.is_proper_list()) return false;
  for (const term& frame : stack.list_elements()) {
    if (!frame.is_tuple() || (frame.tuple_size() != 3 && frame.tuple_size() != 4)) return false;
  }
  return true;
}

}  // namespace

// BEAM's Value is always `{Reason, Stacktrace}` and consumers rely on it (Elixir's Logger
// translator formats the stacktrace); an otpp error reason that lacks one (a C++ exception's
// `{error, <<"what">>}`) is logged as `{Reason, []}`.
term emulator_error_event(atom node, const pid& who, const pid* gl, const term& reason) {
  static const atom log("log"), error_logger("error_logger"), emulator("emulator"), tag("tag"),
      gl_key("gl"), pid_key("pid"), time_key("time");
  const bool alive = node != atoms::nonode_nohost;
  term value = is_error_value(reason) ? reason : tuple_of(reason, term());
  term args = alive ? list_of(who, node, std::move(value)) : list_of(who, std::move(value));
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::vector<std::pair<term, term>> meta;
  meta.emplace_back(error_logger, term::map({{term(emulator), term(atoms::true_)},
                                             {term(tag), term(atoms::error)}}));
  if (gl) meta.emplace_back(gl_key, *gl);
  meta.emplace_back(pid_key, who);
  meta.emplace_back(time_key, term(static_cast<std::int64_t>(now)));
  return term::tuple({term(log), term(atoms::error),
                      term::string(alive ? "Error in process ~p on node ~p with exit value:~n~p~n"
                                         : "Error in process ~p with exit value:~n~p~n"),
                      std::move(args), term::map(std::move(meta))});
}

// As on a BEAM node: a remote group leader's node gets the event at its logger_proxy (what
// OTP's logger does with an event whose gl is remote; its default handler's remote_gl filter
// keeps it from printing here).
void report_crash(basic_process& dying, const term& reason) {
  runtime& rt = dying.rt();
  const pid who = dying.self();
  static const atom logger_proxy("logger_proxy");
  const pid gl = dying.group_leader();
  const bool set = gl.id != 0 || gl.serial != 0;  // <0.0.0>: no group leader
  if (set && !rt.is_local(gl)) {
    dying.send(logger_proxy, gl.node, emulator_error_event(rt.node(), who, &gl, reason));
    return;
  }
  if (auto proxy = rt.whereis(logger_proxy)) {
    dying.send(*proxy, emulator_error_event(rt.node(), who, set ? &gl : nullptr, reason));
    return;
  }
  const bool has_leader = set && rt.is_alive(gl);
  std::string text = crash_report_text(rt.node(), who, reason);
  if (!has_leader) {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
    return;
  }
  term request = tuple_of(atoms::io_request, who, dying.make_ref(),
                          tuple_of(atoms::put_chars, atoms::unicode, term::binary(text)));
  dying.send(gl, std::move(request));
}

void log_error(basic_process& self, std::string_view format, term args, std::string_view title) {
  static const atom log("log"), logger_proxy("logger_proxy"), gl_key("gl"), pid_key("pid"),
      time_key("time"), logger_formatter("logger_formatter"), title_key("title");
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const pid gl = self.group_leader();
  std::vector<std::pair<term, term>> meta{{term(gl_key), term(gl)},
                                          {term(pid_key), term(self.self())},
                                          {term(time_key), term(static_cast<std::int64_t>(now))}};
  if (!title.empty())
    meta.emplace_back(logger_formatter, term::map({{term(title_key), term::string(title)}}));
  term event = term::tuple({term(log), term(atoms::error), term::string(format), std::move(args),
                            term::map(std::move(meta))});
  if (auto proxy = self.rt().whereis(logger_proxy)) {
    self.send(*proxy, std::move(event));
    return;
  }
  auto request = log_event_request(event);
  if (request && self.is_alive(gl)) {
    self.send(gl, tuple_of(atoms::io_request, self.self(), self.make_ref(), std::move(*request)));
    return;
  }
  std::string text = to_string(event) + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace otpp::otp
