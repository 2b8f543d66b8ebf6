// Funs made on an otpp node, on the wire to BEAM nodes: an erl_eval closure (its clauses in
// abstract format, its bindings in its environment) runs on a BEAM node only if it carries the
// identity that node's own erl_eval module gives its closures, so each connection learns that
// identity from its peer once and rewrites erl_eval closures on their way out.
//
//   code::install_fun_wire(node);                        // once, after the node starts
//   term f = *code::make_fun("fun(X) -> X * N end.", code::bindings_of({{"N", 2}}), me.self());
//   self.send(remote_pid, f);                            // the peer can call f(21) -> 42
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otpp/code/erl_eval_fun.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::otp {
class node;
}

namespace otpp::code {

/// What a peer's erl_eval closures carry, per arity: plain funs (`fun (X) -> ... end`) and
/// named ones (`fun F(X) -> ... end`) are distinct lambdas of erl_eval. OTP 25 to 28 share one
/// environment layout ({Anno, Bindings, Lf, Ef, FunUsedVars, Clauses} and, named, + Name),
/// so only the identity differs between releases and builds.
struct peer_erl_eval {
  std::string otp_release;  ///< "25", as erlang:system_info(otp_release)
  std::vector<erl_eval_identity> plain = std::vector<erl_eval_identity>(max_erl_eval_arity + 1);  ///< by arity
  std::vector<erl_eval_identity> named = std::vector<erl_eval_identity>(max_erl_eval_arity + 1);  ///< by arity
};

/// Bindings for make_fun: the orddict erl_eval keeps ([{'N', 2}], sorted by name).
[[nodiscard]] term bindings_of(std::vector<std::pair<std::string, term>> bindings);

/// The erl_eval closure a fun expression evaluates to: `fun_expr` is a `{'fun', A, {clauses,
/// Cs}}` or `{named_fun, A, Name, Cs}` form, `bindings` the variables it sees (an orddict),
/// `creator` the process that made it. Its identity is a placeholder that each connection to
/// a BEAM node replaces with the peer's own. nullopt when `fun_expr` is not such a form or
/// takes more than 20 arguments.
[[nodiscard]] std::optional<term> make_closure(const term& fun_expr, const term& bindings,
                                               const pid& creator);

/// make_closure of the one fun expression in `source` ("fun(X) -> X + 1 end."). nullopt when
/// the text is not exactly one fun expression.
[[nodiscard]] std::optional<term> make_fun(std::string_view source, const term& bindings,
                                           const pid& creator);

/// `f` with `peer`'s identity when it is an erl_eval closure carrying another one; nullopt
/// otherwise (export funs, other modules' closures, closures that already carry it).
[[nodiscard]] std::optional<term> with_identity(const fun_value& f, const peer_erl_eval& peer);

/// Whether `t` holds an erl_eval closure anywhere (what a message to a BEAM node whose identity
/// is not learned yet waits for).
[[nodiscard]] bool holds_erl_eval_closure(const term& t);

/// Asks `node` (one rpc to erl_eval:exprs/2) which identity its erl_eval closures carry.
/// nullopt when the node does not answer as a BEAM node does (no erl_eval there).
[[nodiscard]] task<std::optional<peer_erl_eval>> learn_erl_eval_identity(
    process& self, atom node, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Makes every connection of `n` (a distributed node) rewrite erl_eval closures for its
/// peer, and learn each peer's identity as the connection comes up. Until a peer's identity
/// is known (one round trip after connecting) a message holding a closure waits, and the
/// messages sent to that peer after it wait behind it, so order holds; after 5 s without an
/// answer they go with this node's own identity (logged). Hidden peers are not asked: closures
/// travel to them as they are. Call once, after the node starts.
void install_fun_wire(otp::node& n);

/// Connects to `node` if needed and waits until its erl_eval identity is known on the current
/// connection (true), or the node is not a BEAM node, cannot be reached or `timeout` passes
/// (false): for a caller that wants to know, since sending needs no waiting. Needs
/// install_fun_wire.
[[nodiscard]] task<bool> await_peer_funs(process& self, atom node, std::chrono::milliseconds timeout);
[[nodiscard]] bool await_peer_funs(scoped_process& self, atom node, std::chrono::milliseconds timeout);

}  // namespace otpp::code
