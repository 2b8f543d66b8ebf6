// The export table: C++ functions other nodes can call as Module:Function/Arity — spawned by a
// SPAWN_REQUEST (`Node.spawn_link(:"kate@localhost", Kate, :say_name, [])`) or called by rpc
// (`:rpc.call(:"kate@localhost", Kate, :add, [1, 2])`).
//
//   otpp::export_table exports;
//   exports.add_elixir("Kate", "say_name", [](otpp::process& self) -> otpp::process_task {
//     co_await otpp::io::put_chars(self, "Hi, my name is Kate\n");
//   });
//   exports.add_elixir("Kate", "add", [](otpp::term a, otpp::term b) { return add(a, b); });
//
// A function is one of:
//   - a process body, `process_task f(process&, term...)`: runs as the spawned process; called
//     by rpc it runs in a process of its own and the call returns `ok` when it ends normally;
//   - a process function, `task<term> f(process&, term...)`: runs in the calling (or spawned)
//     process and returns the rpc result;
//   - a plain function, `term f(term...)` (or returning void, which means `ok`).
// Each takes its arguments as terms; the arity is the number of term parameters. A function
// taking `std::vector<term>` instead accepts any arity. Errors: throw `otpp::error_exception`
// (erlang:error/1), `otpp::exit_exception` (exit/1) or `otpp::throw_exception` (throw/1);
// any other C++ exception is an error `{error, <<"what()">>}`.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "otpp/runtime/process.hpp"
#include "otpp/term/term.hpp"

namespace otpp {

/// Thrown by an exported function for Erlang's `throw(Value)`: rpc:call returns Value,
/// erpc:call rethrows it.
class throw_exception : public std::exception {
 public:
  explicit throw_exception(term value) : value_(std::move(value)) {}
  [[nodiscard]] const term& value() const noexcept { return value_; }
  [[nodiscard]] const char* what() const noexcept override { return "otpp: throw"; }

 private:
  term value_;
};

/// How an exported function ended, as erpc reports it.
struct call_outcome {
  enum class kind : std::uint8_t { return_, throw_, exit, error };
  kind how = kind::return_;
  term value;  ///< the result, thrown value, exit reason or error reason
  term stack;  ///< for errors: [{M, F, Args | Arity, []}]
};

class export_table {
 public:
  /// Everything the table stores, normalized: a process body or a process function, with
  /// its arguments as a vector.
  using body_fn = std::function<process_task(process&, std::vector<term>)>;
  using function_fn = std::function<task<term>(process&, std::vector<term>)>;

  struct entry {
    atom module;
    atom function;
    int arity = -1;  ///< -1: any arity
    std::variant<body_fn, function_fn> fn;
  };

  export_table() = default;
  export_table(const export_table&) = delete;
  export_table& operator=(const export_table&) = delete;

  /// Registers `f` as `module:function/N` (N deduced from `f`'s term parameters; any arity
  /// for a `std::vector<term>` parameter). A later registration of the same name and arity
  /// replaces the earlier one. Thread-safe.
  template <class F>
  void add(std::string_view module, std::string_view function, F&& f) {
    add_entry(make_entry(atom(module), atom(function), std::forward<F>(f)));
  }
  /// As add, for the Elixir module `Kate` (the atom `'Elixir.Kate'` on the wire).
  template <class F>
  void add_elixir(std::string_view module, std::string_view function, F&& f) {
    add(elixir_module(module), function, std::forward<F>(f));
  }
  /// Removes every arity of `module:function`. Thread-safe.
  void remove(atom module, atom function);
  /// Replaces every function of `module` with `entries` (each of that module) in one step, as
  /// loading a new version of a module does: a caller finds the old or the new module, never
  /// a mix or none. Thread-safe.
  void replace_module(atom module, std::vector<entry> entries);
  /// Adds `entries` in one step, each replacing an entry of the same name and arity, leaving the
  /// rest of their module as it is (a module part C++ and part loaded code). Thread-safe.
  void add_entries(std::vector<entry> entries);

  /// What find does when it finds nothing, as BEAM's error handler asks the code server to
  /// load a module on an undefined call: `hook(module)` may load more of `module` (it runs
  /// outside the table's lock and may add entries) and answers whether it did; find then looks
  /// once more. It is asked again on every miss, its own look-ups included, so it must answer
  /// false for what it already loaded. Set once, before the table is shared between threads.
  void set_autoload(std::function<bool(atom module)> hook);
  /// Runs the autoload hook for `module` (what code:ensure_loaded asks): whether it loaded any.
  bool autoload(atom module) const;

  /// The entry for `module:function/arity` (an exact arity before an any-arity one), or
  /// nullopt. Thread-safe; the copy stays valid after the table changes.
  [[nodiscard]] std::optional<entry> find(atom module, atom function, std::size_t arity) const;
  /// Every entry, for listing (the shell's completion, diagnostics).
  [[nodiscard]] std::vector<entry> entries() const;

  /// `"Kate"` → `"Elixir.Kate"` (unchanged when it already starts with "Elixir.").
  [[nodiscard]] static std::string elixir_module(std::string_view module);

  // ---- running --------------------------------------------------------------------------------

  /// Runs `e` with `args` inside the process `self`, as erpc:execute_call would run an Erlang
  /// function: the result or how it failed. A process body is spawned (with this process's
  /// group leader) and waited for.
  [[nodiscard]] static task<call_outcome> call(process& self, entry e, std::vector<term> args);

  /// A process function: the body of a process that runs `module:function(args)` from this
  /// table, or exits with `{undef, [{M, F, Args, []}]}` when there is no such function (as
  /// Erlang's spawn of an undefined function does: the spawn succeeds, the process fails).
  [[nodiscard]] std::function<process_task(process&)> spawn_body(atom module, atom function,
                                                                 std::vector<term> args) const;

  /// `{undef, [{M, F, Args, []}]}`.
  [[nodiscard]] static term undef_reason(atom module, atom function, const term& args);

  /// What a process of this node does when the function it should run does not exist: it
  /// fails with the error `reason` (as error_handler raises error:undef), so its crash report
  /// goes where a BEAM node sends it: to `{logger_proxy, Node}` of a group leader on another
  /// node (the caller's node prints it), else to this node's logger or group leader.
  [[nodiscard]] static task<term> fail_undef(process& self, term reason);

 private:
  template <class F, std::size_t... I>
  static entry make_fixed(atom m, atom f, F fn, std::index_sequence<I...>);
  template <class F>
  static entry make_entry(atom m, atom f, F&& fn);
  void add_entry(entry e);

  struct key_hash {
    std::size_t operator()(const std::pair<std::uint32_t, std::uint32_t>& k) const noexcept {
      return (static_cast<std::size_t>(k.first) << 32) ^ k.second;
    }
  };
  void insert_locked(entry e);  // with mu_ held
  [[nodiscard]] std::optional<entry> find_loaded(atom module, atom function, std::size_t arity) const;

  std::function<bool(atom)> autoload_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::pair<std::uint32_t, std::uint32_t>, std::vector<entry>, key_hash> table_;
};

// ---- template machinery ------------------------------------------------------------------------

namespace detail {
template <std::size_t>
using term_t = term;

template <class F, class Seq>
struct callable_with_terms;
template <class F, std::size_t... I>
struct callable_with_terms<F, std::index_sequence<I...>> {
  static constexpr bool plain = std::is_invocable_v<F&, term_t<I>...>;
  static constexpr bool with_process = std::is_invocable_v<F&, process&, term_t<I>...>;
};

/// The smallest N (0..10) for which F takes N terms (after an optional process&), or -1.
template <class F, std::size_t N = 0>
constexpr int term_arity() {
  if constexpr (N > 10) {
    return -1;
  } else if constexpr (callable_with_terms<F, std::make_index_sequence<N>>::plain ||
                       callable_with_terms<F, std::make_index_sequence<N>>::with_process) {
    return static_cast<int>(N);
  } else {
    return term_arity<F, N + 1>();
  }
}

/// Runs a plain function and turns its result (void → ok) into a term.
template <class R>
struct plain_result {
  template <class Call>
  static term run(Call&& call) {
    if constexpr (std::is_void_v<R>) {
      call();
      return atoms::ok;
    } else {
      return term(call());
    }
  }
};

task<term> run_plain(process& self, std::function<term(std::vector<term>&)> fn,
                     std::vector<term> args);
}  // namespace detail

template <class F, std::size_t... I>
export_table::entry export_table::make_fixed(atom m, atom f, F fn, std::index_sequence<I...>) {
  entry e{m, f, static_cast<int>(sizeof...(I)), body_fn{}};
  if constexpr (std::is_invocable_v<F&, process&, detail::term_t<I>...>) {
    using R = std::invoke_result_t<F&, process&, detail::term_t<I>...>;
    if constexpr (std::is_same_v<R, process_task>) {
      e.fn = body_fn([fn](process& self, std::vector<term> a) mutable -> process_task {
        return fn(self, a[I]...);
      });
    } else {
      static_assert(
          std::is_same_v<R, task<term>>,
          "a function taking process& returns otpp::process_task or otpp::task<otpp::term>");
      e.fn = function_fn([fn](process& self, std::vector<term> a) mutable -> task<term> {
        return fn(self, a[I]...);
      });
    }
  } else {
    using R = std::invoke_result_t<F&, detail::term_t<I>...>;
    static_assert(std::is_void_v<R> || std::is_constructible_v<term, R>,
                  "a plain exported function returns a term (or something convertible, or void)");
    std::function<term(std::vector<term>&)> call = [fn](std::vector<term>& a) mutable -> term {
      return detail::plain_result<R>::run([&]() -> decltype(auto) { return fn(a[I]...); });
    };
    e.fn = function_fn([call](process& self, std::vector<term> a) -> task<term> {
      return detail::run_plain(self, call, std::move(a));
    });
  }
  return e;
}

template <class F>
export_table::entry export_table::make_entry(atom m, atom f, F&& fn_in) {
  using Fn = std::decay_t<F>;
  Fn fn(std::forward<F>(fn_in));
  if constexpr (std::is_invocable_v<Fn&, process&, std::vector<term>>) {
    using R = std::invoke_result_t<Fn&, process&, std::vector<term>>;
    if constexpr (std::is_same_v<R, process_task>) {
      return entry{m, f, -1, body_fn(std::move(fn))};
    } else {
      static_assert(
          std::is_same_v<R, task<term>>,
          "a function taking process& returns otpp::process_task or otpp::task<otpp::term>");
      return entry{m, f, -1, function_fn(std::move(fn))};
    }
  } else if constexpr (std::is_invocable_v<Fn&, std::vector<term>>) {
    using R = std::invoke_result_t<Fn&, std::vector<term>>;
    std::function<term(std::vector<term>&)> call = [fn](std::vector<term>& a) mutable -> term {
      return detail::plain_result<R>::run([&]() -> decltype(auto) { return fn(a); });
    };
    return entry{m, f, -1, function_fn([call](process& self, std::vector<term> a) -> task<term> {
                   return detail::run_plain(self, call, std::move(a));
                 })};
  } else {
    constexpr int n = detail::term_arity<Fn>();
    static_assert(
        n >= 0, "an exported function takes (process&,) term... or (process&,) std::vector<term>");
    return make_fixed(m, f, std::move(fn), std::make_index_sequence<static_cast<std::size_t>(n)>{});
  }
}

}  // namespace otpp
