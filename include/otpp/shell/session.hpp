// One shell session on a running node: the shell process (a real process with a pid and a
// mailbox), its bindings and prompt counter, the built-ins that need the node (self, send,
// flush, receive, Node.*, Process.*, :rpc), iex's handling of a shell process killed by
// a link, and the node's `logger` that prints log events as iex does. The REPL (run_shell) and
// tests feed it lines.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/shell/evaluator.hpp"
#include "otpp/shell/logger.hpp"
#include "otpp/term/node_numbers.hpp"
#include "otpp/term/parse.hpp"

namespace otpp::shell {

class session {
 public:
  /// Where the session writes: results and errors (`out`), warnings (`err`).
  struct sinks {
    std::function<void(std::string_view)> out;
    std::function<void(std::string_view)> err;
  };

  /// A session on `node`; the shell process starts now, with the node's io server as group
  /// leader.
  session(otp::node& node, sinks io);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  enum class outcome : std::uint8_t {
    more,   ///< the input so far is incomplete: ask for another line
    ok,     ///< evaluated; the result was printed
    error,  ///< a syntax error or an exception was printed
    empty,  ///< nothing to evaluate (a blank line)
  };

  /// One line of input (without its newline). Evaluates when the input so far makes a
  /// complete expression, printing the result (`print_result`) or the error.
  outcome feed(std::string_view line, bool print_result = true);
  /// Whether a started expression awaits more lines.
  [[nodiscard]] bool continuing() const noexcept { return !pending_.empty(); }
  /// Drops a started expression (end of input); returns the error text iex would show, if any.
  std::optional<std::string> abandon_input();

  /// `otpp(alex@localhost)1> `, `otpp(1)> `, or `...(1)> ` while continuing.
  [[nodiscard]] std::string prompt() const;
  /// The line printed when the shell (re)starts.
  [[nodiscard]] static std::string banner();

  /// Takes in pending signals of the shell process without waiting. If an exit signal
  /// killed it (a linked process died), prints `** (EXIT from ...) shell process exited
  /// with reason: ...`, starts a new shell process (new pid, no bindings, counter 1) and
  /// returns true. Log lines the last expression caused (a spawn that could not reach its
  /// node) print first. Owner thread only.
  bool poll();

  /// Ends the evaluation in progress (Ctrl-C): the shell process is killed. Thread-safe.
  void interrupt();

  [[nodiscard]] pid self() const;
  [[nodiscard]] evaluator& eval() noexcept { return *eval_; }
  [[nodiscard]] bindings& env() noexcept { return env_; }
  [[nodiscard]] std::size_t counter() const noexcept { return counter_; }
  [[nodiscard]] otp::node& node() noexcept { return node_; }
  [[nodiscard]] node_numbers& numbers() noexcept { return *numbers_; }

 private:
  void start_process();
  bool take_signals();
  void flush_log();
  void restart(const term& reason, const pid& dead);
  void install_node_builtins();
  outcome evaluate(const std::string& text, bool print_result);
  [[nodiscard]] scoped_process& proc();

  otp::node& node_;
  sinks io_;
  std::shared_ptr<node_numbers> numbers_;
  builtin_table table_;
  std::unique_ptr<evaluator> eval_;
  std::unique_ptr<scoped_process> proc_;
  mutable std::mutex pid_mu_;  // guards current_ for interrupt() from other threads
  pid current_;
  bindings env_;
  std::size_t counter_ = 1;
  std::string pending_;
  std::string pending_log_;  // log lines to print after the result (or before the EXIT)
  std::unique_ptr<log_printer> logger_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace otpp::shell
