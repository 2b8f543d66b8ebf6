// One erl-style shell session on a running node (`otpp --erl`): Erlang source read as erl_parse
// reads it and run by the code layer's evaluator in the shell process, with erl's prompts
// (`1> `, `(kate@localhost)1> `), results laid out as erl prints them, its shell commands
// (`f/0,1`, `b/0`, `v/1`, `h/0`, `flush/0`, `q/0`) and its exception reports
// (`** exception error: ...`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/code/eval.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/shell/repl_session.hpp"
#include "otpp/shell/session.hpp"

namespace otpp::shell {

class erl_session final : public repl_session {
 public:
  /// A session on `node`: installs the code layer and the shell commands (`c:flush/0`) in
  /// the node's export table and starts the shell process with the node's io server as group
  /// leader. Writes to the same sinks as the iex session.
  erl_session(otp::node& node, session::sinks io);
  ~erl_session() override;

  /// One line of input; each complete form (ending with a dot) is evaluated, its value printed
  /// as erl prints it. The counter moves on after every evaluated form, failed or not, as in
  /// erl; a syntax error leaves it.
  outcome feed(std::string_view line, bool print_result = true) override;
  [[nodiscard]] bool continuing() const noexcept { return !pending_.empty(); }
  std::optional<std::string> abandon_input() override;
  /// `1> ` on a node that is not distributed, `(kate@localhost)1> ` on one that is; nothing
  /// while an expression continues, as erl.
  [[nodiscard]] std::string prompt() const override;
  [[nodiscard]] std::string greeting() const override;
  /// A link killed the shell process while it waited: prints `** exception error: Reason` and
  /// starts another, keeping the bindings (erl's shell keeps them in its server).
  bool poll() override;
  void interrupt() override;
  /// Bound variables, modules (`lis` -> `lists`) and their functions (`lists:rev` -> `lists:reverse`).
  [[nodiscard]] std::vector<std::string> complete(std::string_view word) const override;
  [[nodiscard]] otp::node& node() noexcept override { return node_; }
  /// `*** Terminating erlang (nonode@nohost)`, as erl says at the end of its input.
  [[nodiscard]] std::string farewell() const override;
  /// `q()` was evaluated.
  [[nodiscard]] bool quit_requested() const noexcept override { return quit_; }

  /// The shell process.
  [[nodiscard]] pid self() const;
  [[nodiscard]] std::size_t counter() const noexcept { return counter_; }

 private:
  struct command {
    std::string source;
    term value;
  };
  struct eval_result;

  void start_process();
  outcome run_form(const std::string& text, bool print_result);
  eval_result evaluate(const term& expr);
  bool shell_command(const term& expr, term& value);
  void print(const std::string& text);
  [[nodiscard]] std::string fresh_prompt() const;
  [[nodiscard]] std::string pp(const term& t, int column = 1) const;
  [[nodiscard]] int columns() const;

  otp::node& node_;
  session::sinks io_;
  std::unique_ptr<scoped_process> driver_;
  shell_process_slot shell_;
  code::bindings bindings_;
  std::map<std::size_t, command> history_;  ///< the last 20 commands, by number
  std::size_t counter_ = 1;
  std::string pending_;
  std::atomic<bool> interrupted_{false};
  bool quit_ = false;
};

}  // namespace otpp::shell
