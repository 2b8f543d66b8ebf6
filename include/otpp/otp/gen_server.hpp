// gen_server for C++: a server is a class whose callbacks (init, handle_call, handle_cast,
// handle_info, terminate) run inside its process, as OTP's gen_server runs a callback module,
// and which Erlang and Elixir nodes call, cast to and inspect with `sys` like one of theirs.
//
//   struct counter : otpp::gen_server::server {
//     std::int64_t n = 0;
//     otpp::task<action> handle_call(otpp::process&, otpp::term req, otpp::gen::from) override {
//       if (req.is_atom(otpp::atom("get"))) co_return reply(n);
//       co_return reply(otpp::atoms::error);
//     }
//     otpp::term state() const override { return n; }   // what :sys.get_state shows
//   };
//   auto started = co_await otpp::gen_server::start(self, std::make_unique<counter>(),
//                                                   {.name = otpp::atom("Elixir.Counter")});
//   otpp::term n = co_await otpp::gen_server::call(self, otpp::atom("Elixir.Counter"), otpp::atom("get"));
//
// Callbacks are coroutines: a handler may itself call other servers, receive, or answer later
// through `from` (return noreply(), then `gen_server::reply(self, from, value)`).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "otpp/otp/gen.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::gen_server {

using gen::destination;
using gen::from;

/// Erlang's `infinity` for every timeout here.
inline constexpr std::chrono::milliseconds infinity{-1};

/// What init/1 decides: `{ok, State}` (optionally with an idle timeout), `{stop, Reason}`
/// or `ignore`.
struct init_result {
  enum class kind : std::uint8_t { ok, stop, ignore };
  kind how = kind::ok;
  term reason;
  std::chrono::milliseconds timeout = infinity;
};

/// What a handler decides: `{reply, R, S}`, `{noreply, S}` (both with an optional idle
/// timeout: `timeout` arrives as a message when nothing else did), `{stop, Reason, S}` or
/// `{stop, Reason, Reply, S}`.
struct action {
  enum class kind : std::uint8_t { reply, noreply, stop };
  kind how = kind::noreply;
  term reply;
  term reason;
  bool stop_replies = false;
  std::chrono::milliseconds timeout = infinity;
};

/// A server's callbacks. The object is the server's state; it lives, and its callbacks run,
/// in the server's process only.
class server {
 public:
  // The names a derived class writes its callbacks with.
  using action = otpp::gen_server::action;
  using init_result = otpp::gen_server::init_result;

  virtual ~server() = default;

  /// init/1; `start` returns once it has. An exception here fails the start with its reason.
  virtual task<init_result> init(process& self);
  /// handle_call/3. The default stops the server with `{bad_call, Request}` (as Elixir's
  /// GenServer raises for a call it has no clause for).
  virtual task<action> handle_call(process& self, term request, from from);
  /// handle_cast/2. The default stops the server with `{bad_cast, Request}`.
  virtual task<action> handle_cast(process& self, term request);
  /// handle_info/2: every other message (and `timeout` after an idle timeout). The default
  /// drops it.
  virtual task<action> handle_info(process& self, term message);
  /// terminate/2: on a stop, a callback's exception, and an exit signal from the parent when
  /// the server traps exits. Not called when the process is killed.
  virtual task<> terminate(process& self, term reason);

  /// The state as `sys:get_state/1` and `sys:get_status/1` show it.
  [[nodiscard]] virtual term state() const { return atoms::undefined; }
  /// `sys:replace_state/2`: takes the state the fun made; false refuses it (the caller then
  /// gets `{callback_failed, ...}`). The default refuses.
  virtual bool replace_state(const term& new_state);

 protected:
  [[nodiscard]] static init_result init_ok(std::chrono::milliseconds timeout = infinity) {
    return {init_result::kind::ok, {}, timeout};
  }
  [[nodiscard]] static init_result init_ignore() { return {init_result::kind::ignore, {}, infinity}; }
  [[nodiscard]] static init_result init_stop(term reason) {
    return {init_result::kind::stop, std::move(reason), infinity};
  }
  [[nodiscard]] static action reply(term r, std::chrono::milliseconds timeout = infinity) {
    return {action::kind::reply, std::move(r), {}, false, timeout};
  }
  [[nodiscard]] static action noreply(std::chrono::milliseconds timeout = infinity) {
    return {action::kind::noreply, {}, {}, false, timeout};
  }
  [[nodiscard]] static action stop(term reason) {
    return {action::kind::stop, {}, std::move(reason), false, infinity};
  }
  [[nodiscard]] static action stop(term reason, term reply_value) {
    return {action::kind::stop, std::move(reply_value), std::move(reason), true, infinity};
  }
};

/// How to start a server.
struct start_options {
  /// Registers the server under this local name (spell Elixir names in full:
  /// `Elixir.Counter`); a taken name gives `{error, {already_started, Pid}}`.
  std::optional<atom> name;
  /// start_link (the default) or start.
  bool link = true;
  /// How long init may take; then the server is killed and the start gives `{error, timeout}`.
  std::chrono::milliseconds timeout = infinity;
};

/// What a start gave: `{ok, Pid}` (pid set), `ignore` or `{error, Reason}`.
struct start_result {
  std::optional<otpp::pid> pid;
  term value;
  [[nodiscard]] bool ok() const noexcept { return pid.has_value(); }
};

/// gen_server:start_link/3,4 (or start): spawns the server, runs init, and returns when it
/// has (proc_lib's start protocol). When init fails the server unlinks before it exits (as
/// OTP 26's proc_lib:init_fail), so a linked caller sees only the returned error.
[[nodiscard]] task<start_result> start(process& self, std::shared_ptr<server> s,
                                       start_options options = {});
[[nodiscard]] start_result start(scoped_process& self, std::shared_ptr<server> s,
                                 const start_options& options = {});

/// gen_server:call/3: the reply. Otherwise the caller exits as gen_server:call does, with
/// `{Reason, {gen_server, call, [Server, Request, Timeout]}}` (Reason `timeout`, `noproc`,
/// `{nodedown, Node}`, or the server's exit reason): an exit_exception is thrown.
[[nodiscard]] task<term> call(process& self, destination to, term request,
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
[[nodiscard]] term call(scoped_process& self, const destination& to, const term& request,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

/// gen_server:cast/2.
inline void cast(basic_process& self, const destination& to, term request) {
  gen::cast(self, to, std::move(request));
}
/// gen_server:reply/2, for a call answered later (its handler returned noreply()).
inline void reply(basic_process& self, const from& to, term value) {
  gen::reply(self, to, std::move(value));
}

/// gen_server:abcast/3: `{'$gen_cast', Request}` to `name` on each of `nodes`.
void abcast(basic_process& self, const std::vector<atom>& nodes, atom name, const term& request);

/// What gen_server:multi_call gave: `{Replies, BadNodes}`.
struct multi_call_result {
  std::vector<std::pair<atom, term>> replies;  ///< in the order the nodes were given
  std::vector<atom> bad_nodes;                 ///< no such server, node down, or no answer in time
  /// `{[{Node, Reply}], BadNodes}`.
  [[nodiscard]] term to_term() const;
};

/// gen_server:multi_call/4: calls `name` on every node at once and waits up to `timeout` for
/// them all. Late replies are dropped (they go to aliases that are gone).
[[nodiscard]] task<multi_call_result> multi_call(process& self, std::vector<atom> nodes, atom name,
                                                 term request,
                                                 std::chrono::milliseconds timeout = infinity);

/// gen_server:stop/3: terminates the server with `reason` (its terminate runs) and returns
/// when it is gone; exits as gen_server:stop does when it is not there (`noproc`) or ends
/// with another reason.
[[nodiscard]] task<> stop(process& self, destination to, term reason = atoms::normal,
                          std::chrono::milliseconds timeout = infinity);
void stop(scoped_process& self, const destination& to, const term& reason = atoms::normal,
          std::chrono::milliseconds timeout = infinity);

}  // namespace otpp::gen_server
