// What the `otpp` read-eval-print loop drives: a shell session of either syntax (iex's, in
// session.hpp, or erl's, in erl_session.hpp) fed one line of input at a time.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp::otp {
class node;
}

namespace otpp::shell {

class repl_session {
 public:
  virtual ~repl_session() = default;

  enum class outcome : std::uint8_t {
    more,   ///< the input so far is incomplete: ask for another line
    ok,     ///< evaluated; the result was printed
    error,  ///< a syntax error or an exception was printed
    empty,  ///< nothing to evaluate (a blank line)
  };

  /// One line of input (without its newline). Evaluates when the input so far makes a
  /// complete expression, printing the result (`print_result`) or the error.
  virtual outcome feed(std::string_view line, bool print_result = true) = 0;
  /// Drops a started expression (end of input); returns the error text to show, if any.
  virtual std::optional<std::string> abandon_input() = 0;
  /// The prompt for the next line.
  [[nodiscard]] virtual std::string prompt() const = 0;
  /// The line printed when the shell starts.
  [[nodiscard]] virtual std::string greeting() const = 0;
  /// Takes in pending signals of the shell process without waiting; true when a link killed
  /// it and a new one took its place (after printing why). Owner thread only.
  virtual bool poll() = 0;
  /// Ends the evaluation in progress (Ctrl-C). Thread-safe.
  virtual void interrupt() = 0;
  /// Completions of `word`, the text before the cursor back to the last delimiter.
  [[nodiscard]] virtual std::vector<std::string> complete(std::string_view word) const = 0;
  /// The node the session runs on.
  [[nodiscard]] virtual otp::node& node() noexcept = 0;
  /// What the shell prints when its input ends (after the last prompt).
  [[nodiscard]] virtual std::string farewell() const { return "\n"; }
  /// Whether the user asked the shell to end (erl's `q()`).
  [[nodiscard]] virtual bool quit_requested() const noexcept { return false; }

 protected:
  /// The process a session evaluates in and the monitor its driver holds on it, replaced when
  /// a link kills it; interrupt() reads it from other threads.
  class shell_process_slot {
   public:
    void set(const pid& p, const reference& monitor) {
      std::lock_guard lock(mu_);
      pid_ = p;
      monitor_ = monitor;
    }
    [[nodiscard]] pid process() const {
      std::lock_guard lock(mu_);
      return pid_;
    }
    [[nodiscard]] std::pair<pid, reference> get() const {
      std::lock_guard lock(mu_);
      return {pid_, monitor_};
    }

   private:
    mutable std::mutex mu_;
    pid pid_;
    reference monitor_;
  };

  repl_session() = default;
  repl_session(const repl_session&) = delete;
  repl_session& operator=(const repl_session&) = delete;
};

}  // namespace otpp::shell
