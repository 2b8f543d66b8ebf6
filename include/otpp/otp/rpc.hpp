// Remote procedure calls and remote spawns, as a C++ process makes them: rpc:call/5 and
// erpc:call/5 semantics over SPAWN_REQUEST of `erpc:execute_call/4` (the result travels as the
// monitor's DOWN reason), and spawn/spawn_link/spawn_monitor of Module:Function(Args) on
// another node. The serving side (erpc, rex) lives in services.hpp.
//
//   term r = co_await otpp::rpc::call(self, atom("erl@localhost"), atom("lists"), atom("reverse"),
//                                     {otpp::list_of(1, 2, 3)});           // [3,2,1]
//   pid p = co_await otpp::remote::spawn_link(self, atom("kate@localhost"),
//                                             atom("Elixir.Kate"), atom("say_name"), {});
#pragma once

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "otpp/otp/exports.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::rpc {

/// No timeout.
inline constexpr std::chrono::milliseconds infinity{-1};

/// How an erpc call ended, before rpc's `{badrpc, ...}` folding.
struct erpc_result {
  enum class kind : std::uint8_t {
    return_,  ///< value: the result
    throw_,   ///< value: the thrown term
    exit,     ///< value: the exit reason ({exception, R} in erpc terms)
    error,    ///< value: the error reason, stack: the stacktrace ({exception, R, S})
    erpc,     ///< value: an erpc error: noconnection, timeout, notsup, badarg, system_limit...
    signal,   ///< value: the process died of a signal with this reason
  };
  kind how = kind::return_;
  term value;
  term stack;
};

/// erpc:call/5: runs M:F(Args) on `node` in a new process whose group leader is the
/// caller's, and reports how it ended. `node` may be this node (runs here, from the export
/// table).
[[nodiscard]] task<erpc_result> erpc_call(process& self, atom node, atom m, atom f,
                                          std::vector<term> args,
                                          std::chrono::milliseconds timeout = infinity);
[[nodiscard]] erpc_result erpc_call(scoped_process& self, atom node, atom m, atom f,
                                    std::vector<term> args,
                                    std::chrono::milliseconds timeout = infinity);

/// rpc:call/5: the result, or `{badrpc, Reason}` exactly as OTP 25 folds erpc's outcomes:
/// `{badrpc, nodedown}`, `{badrpc, timeout}`, `{badrpc, {'EXIT', Reason}}` for an exit,
/// `{badrpc, {'EXIT', {Reason, Stack}}}` for an error; a thrown value is returned as is.
[[nodiscard]] task<term> call(process& self, atom node, atom m, atom f, std::vector<term> args,
                              std::chrono::milliseconds timeout = infinity);
[[nodiscard]] term call(scoped_process& self, atom node, atom m, atom f, std::vector<term> args,
                        std::chrono::milliseconds timeout = infinity);

/// rpc:cast/4 (erpc:cast): runs M:F(Args) on `node`, no answer.
void cast(basic_process& self, atom node, atom m, atom f, std::vector<term> args);

/// rpc's folding of an erpc outcome into a result or `{badrpc, ...}`.
[[nodiscard]] term to_rpc_result(const erpc_result& r);

/// The DOWN reason erpc:execute_call/4 exits with for `outcome` (`{Ref, return, V}` ...).
[[nodiscard]] term execute_call_reason(const term& ref, const call_outcome& outcome);

}  // namespace otpp::rpc

namespace otpp::remote {

/// spawn_opt(Node, M, F, Args, Opts) for link/monitor: the remote pid, and the monitor
/// reference when `monitor`. When `node` cannot be reached the result is, as in Erlang, a
/// local pid that exits at once with `noconnection` (so a linked caller gets the EXIT and a
/// monitoring one the DOWN). Throws error_exception(badarg) for a request the peer refuses.
[[nodiscard]] task<spawned> spawn_opt(process& self, atom node, atom m, atom f,
                                      std::vector<term> args, bool link, bool monitor);
[[nodiscard]] spawned spawn_opt(scoped_process& self, atom node, atom m, atom f,
                                std::vector<term> args, bool link, bool monitor);

/// erlang:spawn/4, spawn_link/4, spawn_monitor/4 on another node.
[[nodiscard]] task<pid> spawn(process& self, atom node, atom m, atom f, std::vector<term> args);
[[nodiscard]] task<pid> spawn_link(process& self, atom node, atom m, atom f,
                                   std::vector<term> args);
[[nodiscard]] task<std::pair<pid, reference>> spawn_monitor(process& self, atom node, atom m,
                                                            atom f, std::vector<term> args);
[[nodiscard]] pid spawn(scoped_process& self, atom node, atom m, atom f, std::vector<term> args);
[[nodiscard]] pid spawn_link(scoped_process& self, atom node, atom m, atom f,
                             std::vector<term> args);
[[nodiscard]] std::pair<pid, reference> spawn_monitor(scoped_process& self, atom node, atom m,
                                                      atom f, std::vector<term> args);

}  // namespace otpp::remote
