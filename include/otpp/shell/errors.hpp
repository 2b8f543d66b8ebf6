// Exceptions raised while the shell evaluates an expression, and their text as iex prints it
// (`** (ArgumentError) ...`, `** (exit) ...`), including exit reasons of linked processes.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otpp/term/print.hpp"
#include "otpp/term/term.hpp"

namespace otpp::shell {

/// The class of an exception, as Erlang's `try ... catch Class:Reason`.
enum class error_class : std::uint8_t { error, exit, throw_ };

/// One frame of a stack trace: `Mod.fun(args)` or `Mod.fun/arity`, with the source location
/// when the frame came from a real node (`lists.erl:175: `).
struct stack_frame {
  stack_frame() = default;
  stack_frame(atom m, atom f, std::optional<std::vector<term>> a, std::size_t n)
      : module(m), function(f), args(std::move(a)), arity(n) {}

  atom module;
  atom function;
  std::optional<std::vector<term>> args;  ///< the arguments when known
  std::size_t arity = 0;
  std::string file;        ///< source file from the frame's location, or empty
  std::uint32_t line = 0;  ///< line in `file`, 0 when unknown
};

/// What evaluation throws: an Erlang exception (`error`/`exit`/`throw` with a reason) and the
/// frames that explain it. Elixir exceptions are maps `%{__struct__: Name, __exception__:
/// true, message: "..."}` as Elixir makes them.
class shell_exception : public std::exception {
 public:
  shell_exception(error_class cls, term reason, std::vector<stack_frame> stack = {})
      : cls_(cls), reason_(std::move(reason)), stack_(std::move(stack)) {}

  [[nodiscard]] error_class cls() const noexcept { return cls_; }
  [[nodiscard]] const term& reason() const noexcept { return reason_; }
  [[nodiscard]] const std::vector<stack_frame>& stack() const noexcept { return stack_; }
  /// For `badarg` raised by a BIF: which argument was wrong and why ("out of range"), as
  /// OTP's erl_erts_errors reports it; 1-based.
  [[nodiscard]] const std::vector<std::pair<int, std::string>>& argument_errors() const noexcept {
    return arg_errors_;
  }
  shell_exception& with_argument_error(int n, std::string why) {
    arg_errors_.emplace_back(n, std::move(why));
    return *this;
  }
  [[nodiscard]] const char* what() const noexcept override { return "otpp shell exception"; }

 private:
  error_class cls_;
  term reason_;
  std::vector<stack_frame> stack_;
  std::vector<std::pair<int, std::string>> arg_errors_;
};

/// An Elixir exception value: `%{__struct__: :"Elixir.<name>", __exception__: true, message: msg}`.
[[nodiscard]] term elixir_exception(std::string_view name, std::string_view message);
/// `error` with an Elixir exception (`raise ArgumentError, msg`).
[[nodiscard]] shell_exception raise(std::string_view name, std::string_view message,
                                    std::vector<stack_frame> stack = {});
/// `error(badarg)` from a BIF, with the argument that was wrong: `:erlang.hd([])`.
[[nodiscard]] shell_exception badarg(atom module, atom function, std::vector<term> args, int which,
                                     std::string why);

/// What the formatter needs to know about the node it runs on.
struct format_context {
  print_options print{syntax::elixir};
  /// Whether a module is available (for `UndefinedFunctionError`'s wording).
  std::function<bool(atom)> module_exists;
  /// The public functions of a module, when they are all known (`{name, arity}`), for the
  /// "Did you mean:" list iex adds to an UndefinedFunctionError raised at the prompt. Empty
  /// when unknown: no list is shown.
  std::function<std::vector<std::pair<atom, std::size_t>>(atom)> module_functions;
  /// The application a module belongs to, as a stack frame names it (`elixir 1.14.0` for
  /// `String`, `stdlib 4.2` for `:lists`); empty for none (`:erlang`, the node's own modules).
  std::function<std::string(atom)> application;
};

/// `inspect/1` of `t`.
[[nodiscard]] std::string inspect(const term& t, const format_context& ctx);

/// The whole report iex prints for an exception raised at the prompt: `** (Name) message\n`
/// and the stack trace (four spaces per frame), or a blank line when there is none. As iex
/// "blames" such an exception, an UndefinedFunctionError lists the module's functions of a
/// similar name ("Did you mean:").
[[nodiscard]] std::string format_exception(
    error_class cls, const term& reason, const std::vector<stack_frame>& stack,
    const std::vector<std::pair<int, std::string>>& arg_errors, const format_context& ctx);
[[nodiscard]] std::string format_exception(const shell_exception& e, const format_context& ctx);

/// Only the banner: `** (Name) message` without the stack trace (and without "Did you mean",
/// as in exit reasons and log reports).
[[nodiscard]] std::string format_banner(error_class cls, const term& reason,
                                        const std::vector<stack_frame>& stack,
                                        const std::vector<std::pair<int, std::string>>& arg_errors,
                                        const format_context& ctx);

/// `Exception.format_exit/1`: `no connection`, `killed`, `:boom`, `an exception was raised: ...`,
/// `exited in: GenServer.call(...)\n    ** (EXIT) time out`.
[[nodiscard]] std::string format_exit(const term& reason, const format_context& ctx);

/// The line iex prints when the shell process was killed by an exit signal:
/// `** (EXIT from #PID<0.106.0>) shell process exited with reason: killed`.
[[nodiscard]] std::string format_shell_exit(const pid& shell, const term& reason,
                                            const format_context& ctx);

/// One stack frame as Elixir formats it: `:erlang.hd([])`, `Kate.say_name/0`,
/// `(stdlib 4.2) lists.erl:175: :lists.reverse/1`.
[[nodiscard]] std::string format_frame(const stack_frame& f, const format_context& ctx);

/// Reads an Erlang stack trace term (`[{M, F, ArgsOrArity, Location}]`); nullopt if `t` is not one.
[[nodiscard]] std::optional<std::vector<stack_frame>> stack_from_term(const term& t);

/// For `badarg` raised by a BIF (the stack's top frame `{erlang, F, Args, _}`): which argument
/// was wrong and why, as OTP's erl_erts_errors words it for the BIFs a shell user meets most
/// (1-based). Empty for any other error.
[[nodiscard]] std::vector<std::pair<int, std::string>> bif_argument_errors(const term& reason, const term& stack);

/// `String.jaro_distance/2` of Elixir 1.14 (how iex ranks "Did you mean" candidates):
/// 0.0 (nothing in common) to 1.0 (equal).
[[nodiscard]] double jaro_distance(std::string_view a, std::string_view b);

}  // namespace otpp::shell
