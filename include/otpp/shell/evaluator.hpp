// The shell's evaluator: runs parsed expressions against an environment of bindings, with a
// table of built-in functions (Kernel, :erlang, Node, Process, IO, ...) and hooks through which
// a running node supplies receive, output and its export table.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "otpp/shell/errors.hpp"
#include "otpp/shell/syntax.hpp"
#include "otpp/term/term.hpp"

namespace otpp::shell {

/// Variable bindings of one shell session (name -> value).
using bindings = std::map<std::string, term, std::less<>>;

class evaluator;

/// What a built-in function sees: the evaluator (for output and printing) and the bindings of
/// the expression being evaluated.
struct call_context {
  evaluator& eval;
  const bindings& env;
};

/// A built-in function: arguments already evaluated; throws shell_exception on failure.
using builtin_fn = std::function<term(call_context&, std::span<const term>)>;

/// Functions the shell can call, by module, name and arity. Modules are atoms as Erlang
/// names them (`'Elixir.Node'`, `erlang`); local calls (`self()`, `send/2`) look in
/// `'Elixir.Kernel'` and then `'Elixir.IEx.Helpers'`.
class builtin_table {
 public:
  /// Adds (or replaces) `module.function/arity`. `module` as the atom's text: "Elixir.Node".
  void add(std::string_view module, std::string_view function, std::size_t arity, builtin_fn fn);
  [[nodiscard]] const builtin_fn* find(atom module, atom function, std::size_t arity) const;
  /// Whether any function of `module` is known.
  [[nodiscard]] bool has_module(atom module) const;
  /// The module a local call `name/arity` resolves to, if any.
  [[nodiscard]] std::optional<atom> local_module(std::string_view name, std::size_t arity) const;

 private:
  struct key {
    std::uint32_t module;
    std::uint32_t function;
    std::size_t arity;
    friend bool operator==(const key&, const key&) = default;
  };
  struct key_hash {
    std::size_t operator()(const key& k) const noexcept {
      return (std::size_t{k.module} * 1000003u) ^ (std::size_t{k.function} * 7919u) ^ k.arity;
    }
  };
  std::unordered_map<key, builtin_fn, key_hash> fns_;
  std::unordered_map<std::uint32_t, std::size_t> modules_;
};

/// The pure built-ins: Kernel and :erlang basics (arithmetic, comparison, tuples, lists,
/// type tests, exit/throw/raise), IO.puts/inspect, :io.format, String/Atom/Integer/List/Tuple/
/// Map/Enum basics, :lists. Node and Process functions come from the node (shell_node).
void add_pure_builtins(builtin_table& table);

/// Hooks through which a running node serves the evaluator.
struct eval_hooks {
  /// Removes and returns the oldest message of the shell process for which `matches` holds,
  /// waiting at most `timeout` (nullopt: forever); nullopt when none came in time.
  std::function<std::optional<term>(const std::function<bool(const term&)>& matches,
                                    std::optional<std::chrono::milliseconds> timeout)>
      receive;
  /// Writes text the shell itself prints (IO.puts from the shell, flush()).
  std::function<void(std::string_view)> output;
  /// Calls `module.function(args)` through the node's export table; nullopt when no such
  /// function is exported (the evaluator then raises UndefinedFunctionError).
  std::function<std::optional<term>(atom module, atom function, std::span<const term> args)>
      external_call;
  /// Whether the export table knows `module`.
  std::function<bool(atom module)> external_module;
  /// The functions the export table has for `module` (`{name, arity}`), for iex's "Did you
  /// mean:" list.
  std::function<std::vector<std::pair<atom, std::size_t>>(atom module)> external_functions;
};

/// Evaluates programs. One per shell session; not thread-safe.
class evaluator {
 public:
  explicit evaluator(builtin_table& table, eval_hooks hooks = {});

  /// Checks `p` the way Elixir compiles it (undefined functions and variables, misuse of `_`
  /// and `^`), then evaluates its expressions in order with `env`, returning the last value.
  /// `line_base` is the prompt number, so errors say `iex:N`. Throws shell_exception.
  term run(const program& p, bindings& env, std::size_t line_base = 1);

  /// Evaluates one expression (no compile check).
  term eval(const expr& e, bindings& env);

  /// Printing and formatting context (node numbering for pids; which modules exist).
  [[nodiscard]] format_context& format() noexcept { return format_; }
  [[nodiscard]] std::string inspect(const term& t) const { return shell::inspect(t, format_); }
  /// Text an exception prints as.
  [[nodiscard]] std::string describe(const shell_exception& e) const {
    return format_exception(e, format_);
  }

  [[nodiscard]] builtin_table& builtins() noexcept { return table_; }
  [[nodiscard]] eval_hooks& hooks() noexcept { return hooks_; }
  /// Writes through hooks.output (or nowhere when unset).
  void write(std::string_view text) const;
  /// Warnings (as Elixir prints them to standard error): `warning: ...`.
  std::function<void(std::string_view)> warn;

  /// Calls `module.function(args)`: a built-in, else the export table, else
  /// UndefinedFunctionError. Used by apply/3 and :rpc.call to the local node.
  term call(atom module, atom function, std::span<const term> args, const bindings& env);

 private:
  struct pattern_state;
  bool match(const expr& pattern, const term& value, bindings& env, pattern_state& st);
  bool match_clause(const clause& c, const term& value, bindings& env);
  term eval_body(const std::vector<expr_ptr>& body, bindings& env);
  term eval_call(const expr& e, atom module, std::string_view name, std::vector<term> args,
                 const bindings& env);
  term eval_binary_op(const expr& e, bindings& env);
  term eval_receive(const expr& e, bindings& env);
  term build_binary(const expr& e, bindings& env);
  void check(const program& p, const bindings& env, std::size_t line_base);

  builtin_table& table_;
  eval_hooks hooks_;
  format_context format_;
};

/// Elixir's truthiness: everything but `nil` and `false`.
[[nodiscard]] bool truthy(const term& t) noexcept;

/// `to_string/1` (String.Chars) of a term: binaries as they are, atoms by name, numbers,
/// charlists. Raises Protocol.UndefinedError for the rest.
[[nodiscard]] std::string to_chars(const term& t, const format_context& ctx);

/// Integer arithmetic of any size (`:erlang.+/2` etc. on integers and floats). Throw
/// shell_exception `badarith` (also for division by zero, as Erlang does).
[[nodiscard]] term arith(std::string_view op, const term& a, const term& b);

}  // namespace otpp::shell
