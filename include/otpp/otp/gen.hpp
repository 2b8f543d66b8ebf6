// The gen_server wire protocol, both ends: `{'$gen_call', {From, Tag}, Request}` answered with
// `{Tag, Reply}` (Tag `[alias|Ref]` since OTP 24, the reply then going to the alias), and
// `{'$gen_cast', Request}` — so C++ processes can call Erlang/Elixir servers and serve them.
#pragma once

#include <chrono>
#include <optional>
#include <utility>
#include <variant>

#include "otpp/runtime/process.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::gen {

/// Who a call goes to: a pid, a local registered name, or `{Name, Node}`.
struct destination {
  std::variant<pid, atom, std::pair<atom, atom>> where;
  destination(const pid& p) : where(p) {}  // NOLINT(google-explicit-constructor)
  destination(atom name) : where(name) {}  // NOLINT(google-explicit-constructor)
  destination(atom name, atom node) : where(std::pair{name, node}) {}
  /// The destination as Erlang writes it: Pid, Name or {Name, Node}.
  [[nodiscard]] term to_term() const;
};

/// The `From` of a call: the caller and its tag, to be handed back to `reply`.
struct from {
  pid caller;
  term tag;
  /// `{Pid, Tag}`.
  [[nodiscard]] term to_term() const { return tuple_of(caller, tag); }
};

/// A `'$gen_call'` taken apart.
struct call_request {
  gen::from from;
  term request;
};

/// `{'$gen_call', {Pid, Tag}, Request}` → the pieces, or nullopt for anything else.
[[nodiscard]] std::optional<call_request> parse_call(const term& msg);
/// `{'$gen_cast', Request}` → Request, or nullopt.
[[nodiscard]] std::optional<term> parse_cast(const term& msg);

/// gen:reply/2: `{Tag, Reply}` to the alias in the tag (`[alias|Alias]`), else to the caller.
void reply(basic_process& self, const from& to, term reply);
/// The same from outside any process (the runtime sends it).
void reply(runtime& rt, const from& to, term reply);

/// What a call gave: the reply, or why the caller would have exited (gen:call's exit
/// reasons: `timeout`, `noproc`, `{nodedown, Node}`, or the server's exit reason).
struct call_result {
  std::optional<term> reply;
  term exit_reason;
  [[nodiscard]] bool ok() const noexcept { return reply.has_value(); }
};

/// gen:call/4 (gen_server:call/3, GenServer.call): monitors the server, sends
/// `{Label, {Self, Tag}, Request}` with Tag `[alias|Alias]`, waits for the reply, its DOWN, or
/// the timeout (negative: infinity). The label is `'$gen_call'`, or `system` for sys's requests.
[[nodiscard]] task<call_result> call(
    process& self, destination to, term request,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
    atom label = atoms::gen_call);
[[nodiscard]] call_result call(scoped_process& self, const destination& to, const term& request,
                               std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                               atom label = atoms::gen_call);

/// gen_server:cast/2: `{'$gen_cast', Request}`, no answer.
void cast(basic_process& self, const destination& to, term request);

/// Sends `msg` to a destination (pid, local name, or `{Name, Node}`). A local name that is
/// not registered drops the message and returns false.
bool send(basic_process& self, const destination& to, term msg);

}  // namespace otpp::gen
