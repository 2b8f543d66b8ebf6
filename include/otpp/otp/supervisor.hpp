// Supervisors for C++, faithful to OTP's supervisor: strategies one_for_one, one_for_all,
// rest_for_one and simple_one_for_one (Elixir's DynamicSupervisor), restart types, restart
// intensity over a period, shutdown timeouts and brutal_kill. A supervisor is a gen_server, so
// Erlang's `supervisor` module (which_children, count_children, start_child, terminate_child,
// restart_child, delete_child, get_childspec) and `sys` work on it from a real node.
//
//   std::vector<otpp::supervisor::child_spec> children{
//       otpp::supervisor::worker(otpp::atom("counter"),
//                                [] { return std::make_shared<counter>(); },
//                                {.name = otpp::atom("Elixir.Counter")})};
//   auto sup = co_await otpp::supervisor::start(self, {.strategy = otpp::supervisor::one_for_one},
//                                               std::move(children),
//                                               {.name = otpp::atom("Elixir.Counter.Supervisor")});
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "otpp/otp/gen_server.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::supervisor {

enum class strategy : std::uint8_t { one_for_one, one_for_all, rest_for_one, simple_one_for_one };
enum class restart : std::uint8_t {
  permanent,  ///< always restarted
  transient,  ///< restarted unless it ends with normal, shutdown or {shutdown, _}
  temporary,  ///< never restarted (and forgotten once it ends)
};
enum class child_type : std::uint8_t { worker, supervisor };

/// The supervisor flags: more than `intensity` restarts within `period` and the supervisor
/// terminates its children and exits with `shutdown`.
struct flags {
  supervisor::strategy strategy = strategy::one_for_one;
  int intensity = 1;
  std::chrono::milliseconds period = std::chrono::seconds(5);
};

/// Starts a child from inside the supervisor's process, linked to it (as a start_link does):
/// `{ok, Pid}`, `ignore` or `{error, Reason}`. `extra` holds the arguments of a
/// simple_one_for_one start_child (empty otherwise).
using start_fn = std::function<task<gen_server::start_result>(process& self, std::vector<term> extra)>;

/// A child specification.
struct child_spec {
  term id;
  start_fn start;
  supervisor::restart restart = restart::permanent;
  /// How long the child has to end after the exit signal `shutdown` before it is killed
  /// (negative: infinity); `brutal_kill` kills at once.
  std::chrono::milliseconds shutdown = std::chrono::seconds(5);
  bool brutal_kill = false;
  child_type type = child_type::worker;
  /// What `start` is, as get_childspec shows it (`{M, F, A}`); `undefined` when unset.
  term start_mfa = atoms::undefined;
  /// The callback modules (which_children's fourth element): `[]` means none known.
  term modules = term::list({});
};

/// A child spec for a C++ gen_server: each (re)start makes a fresh server object with `make`.
[[nodiscard]] child_spec worker(term id, std::function<std::shared_ptr<gen_server::server>()> make,
                                gen_server::start_options options = {});

/// A child spec from Erlang's terms (`#{id => Id, start => {M, F, A}, ...}` or the 6-tuple):
/// the start function runs M:F(A) from the node's export table (it must return `{ok, Pid}`
/// with Pid linked to the caller). nullopt for a malformed spec.
[[nodiscard]] std::optional<child_spec> from_term(const term& spec);

/// Elixir's DynamicSupervisor flags (`DynamicSupervisor.init/1`'s options).
struct dynamic_flags {
  int intensity = 3;                                    ///< max_restarts
  std::chrono::milliseconds period = std::chrono::seconds(5);  ///< max_seconds
  std::optional<std::size_t> max_children{};           ///< nullopt: infinity
  std::vector<term> extra_arguments{};                  ///< prepended to each child's arguments
};

/// supervisor:start_link/3: starts the supervisor and its children in order; a child that
/// fails to start makes the start fail with `{shutdown, {failed_to_start_child, Id, Reason}}`.
[[nodiscard]] task<gen_server::start_result> start(process& self, flags f,
                                                   std::vector<child_spec> children,
                                                   gen_server::start_options options = {});
[[nodiscard]] gen_server::start_result start(scoped_process& self, const flags& f,
                                             std::vector<child_spec> children,
                                             const gen_server::start_options& options = {});

/// DynamicSupervisor.start_link/1: a supervisor that starts with no children and answers
/// Elixir's DynamicSupervisor calls (`start_child` with `{MFA, Restart, Shutdown, Type,
/// Modules}`, `which_children`, `count_children`, `terminate_child` by pid) and Erlang's
/// `supervisor` module's. Children are one_for_one; past `max_children` a start gives
/// `{error, max_children}`.
[[nodiscard]] task<gen_server::start_result> start_dynamic(process& self, dynamic_flags f,
                                                           gen_server::start_options options = {});
[[nodiscard]] gen_server::start_result start_dynamic(scoped_process& self, const dynamic_flags& f,
                                                     const gen_server::start_options& options = {});

/// supervisor:start_child/2 with a C++ child spec, on a running supervisor of this node (a
/// spec holds C++ functions, so a supervisor on another node gives `{error, not_local}`):
/// `{ok, Pid}`, `{error, {already_started, Pid}}`, `{error, already_present}`,
/// `{error, max_children}` or the start's error. A dynamic supervisor hands the start
/// function its extra arguments. Exits as gen_server:call does when `sup` is not there.
[[nodiscard]] task<term> start_child(process& self, gen::destination sup, child_spec spec);
[[nodiscard]] term start_child(scoped_process& self, const gen::destination& sup, child_spec spec);

}  // namespace otpp::supervisor
