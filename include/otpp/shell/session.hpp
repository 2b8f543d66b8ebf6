// One shell session on a running node: the shell process (a real process with a pid and a
// mailbox) in which each input, lowered from Elixir to abstract format, runs on the code
// layer's evaluator; the scope of variables and aliases across inputs, prompt counter and
// results as iex keeps them; iex's handling of a shell process killed by a link; and the
// node's `logger` that prints log events as iex does. The REPL (run_shell) and tests feed it
// lines.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/code/elixir.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/shell/repl_session.hpp"
#include "otpp/shell/errors.hpp"
#include "otpp/shell/logger.hpp"
#include "otpp/term/node_numbers.hpp"

namespace otpp::shell {

class session final : public repl_session {
 public:
  /// Where the session writes: results and errors (`out`), warnings (`err`).
  struct sinks {
    std::function<void(std::string_view)> out;
    std::function<void(std::string_view)> err;
    /// The terminal's width in columns, when `out` is a terminal (results are laid out to
    /// the narrower of it and 80 columns, as iex does). Empty or nullopt: 80.
    std::function<std::optional<int>()> columns = {};
  };

  /// A session on `node`; installs the code layer and the shell's helpers (IEx.Helpers) in
  /// the node's export table, and starts the shell process with the node's io server as
  /// group leader.
  session(otp::node& node, sinks io);
  ~session() override;

  /// One line of input (without its newline). Evaluates when the input so far makes a
  /// complete expression, printing the result (`print_result`) or the error.
  outcome feed(std::string_view line, bool print_result = true) override;
  /// Whether a started expression awaits more lines.
  [[nodiscard]] bool continuing() const noexcept { return !pending_.empty(); }
  /// Drops a started expression (end of input); returns the error text iex would show, if any.
  std::optional<std::string> abandon_input() override;

  /// `otpp(alex@localhost)1> `, `otpp(1)> `, or `...(1)> ` while continuing.
  [[nodiscard]] std::string prompt() const override;
  /// The line printed when the shell (re)starts.
  [[nodiscard]] static std::string banner();
  [[nodiscard]] std::string greeting() const override { return banner(); }

  /// Takes in pending signals of the shell process without waiting. If an exit signal
  /// killed it (a linked process died), prints `** (EXIT from ...) shell process exited
  /// with reason: ...`, starts a new shell process (new pid, no bindings, counter 1) and
  /// returns true. Log lines the last expression caused print first. Owner thread only.
  bool poll() override;

  /// Ends the evaluation in progress (Ctrl-C): the shell process is killed. Thread-safe.
  void interrupt() override;

  /// The shell process.
  [[nodiscard]] pid self() const;
  [[nodiscard]] std::size_t counter() const noexcept { return counter_; }
  [[nodiscard]] otp::node& node() noexcept override { return node_; }
  [[nodiscard]] node_numbers& numbers() noexcept { return *numbers_; }
  /// How terms and errors print in this session.
  [[nodiscard]] const format_context& format() const noexcept { return format_; }
  /// `inspect/1` as this session prints results.
  [[nodiscard]] std::string inspect(const term& t) const { return shell::inspect(t, format_); }
  /// A result as iex prints it: `inspect(t, pretty: true, width: 80, limit: 50)`.
  [[nodiscard]] std::string inspect_result(const term& t) const;
  /// The variables and aliases the inputs so far bound (for completion).
  [[nodiscard]] const code::elixir_scope& scope() const noexcept { return scope_; }
  /// Completions of `word` (the text before the cursor, back to the last delimiter):
  /// variables, modules of the export table (`En` -> `Enum`) and their functions (`Enum.ma`
  /// -> `Enum.map`), helpers. Sorted, without duplicates.
  [[nodiscard]] std::vector<std::string> complete(std::string_view word) const override;

  struct state;  ///< what the shell's helpers share with the session (results for v/1)

 private:
  void start_process();
  void flush_log();
  void restart(const term& reason, const pid& dead);
  outcome evaluate(const std::string& text, bool print_result);
  bool take_down(std::chrono::milliseconds wait);
  [[nodiscard]] code::elixir_options lowering_options() const;

  otp::node& node_;
  sinks io_;
  std::shared_ptr<node_numbers> numbers_;
  format_context format_;
  std::shared_ptr<state> state_;
  std::unique_ptr<scoped_process> driver_;  // sends inputs to the shell process, hears back
  shell_process_slot shell_;
  code::elixir_scope scope_;
  std::size_t counter_ = 1;
  std::string pending_;
  std::unique_ptr<log_printer> logger_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace otpp::shell
