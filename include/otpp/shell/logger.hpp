// Log events as iex's console logger prints them (`\n10:37:26.349 [error] Process ... raised an
// exception`), and the shell node's registered `logger` process, to which Erlang nodes send
// the events of processes whose group leader is on this node (a crash on kate of a process
// that alex spawned prints on alex, as in iex).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/shell/errors.hpp"
#include "otpp/term/term.hpp"

namespace otpp::shell {

/// The text Elixir 1.14's console backend prints for a logger event as OTP's logger sends it
/// to a remote node's `logger` process: `{log, Level, Format, Args, Meta}` or
/// `{log, Level, {string, Chardata} | {report, Report}, Meta}`. Format and arguments are
/// translated as Elixir's Logger does (a crashed process: `Process #PID<...> raised an
/// exception` and the exception; else the format with `~p`/`~w` arguments inspected as
/// Elixir terms). The result starts with a newline and the local time of `Meta`'s `time`:
/// "\n10:37:26.588 [warning] ** Can not start ...\n". nullopt when `event` is none of these.
[[nodiscard]] std::optional<std::string> format_log_event(const term& event,
                                                          const format_context& ctx);

/// Processes registered as `logger` (where Erlang's logger sends a remote group leader's
/// events) and `logger_proxy` (where the emulator sends its own, such as a crashed process's
/// error) on `rt`, printing every event they receive through `out`. A name already taken (the
/// node's default logger) is taken over while this lives and handed back when it is
/// destroyed; then these processes stop printing.
class log_printer {
 public:
  log_printer(runtime& rt, format_context ctx, std::function<void(std::string_view)> out);
  ~log_printer();
  /// Returns once the events these processes received before now are printed (the shell
  /// prints a crash's log lines before the EXIT they explain); waits a second at most.
  void sync(scoped_process& self);
  log_printer(const log_printer&) = delete;
  log_printer& operator=(const log_printer&) = delete;

  struct state;

 private:
  runtime& rt_;
  std::shared_ptr<state> state_;
  std::vector<pid> processes_;
};

}  // namespace otpp::shell
