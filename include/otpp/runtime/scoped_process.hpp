// A process driven from an ordinary thread: main(), the shell and tests use it to talk to
// processes with the same API, blocking where a coroutine would suspend.
//
//   otpp::scoped_process me(rt);
//   me.send(server, otpp::tuple_of(me.self(), otpp::atoms::ok));
//   bool got = me.receive(on(atoms::ok) >> [] { return true; },
//                         after(std::chrono::seconds(1), [] { return false; }));
#pragma once

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "otpp/runtime/pattern.hpp"
#include "otpp/runtime/process.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/term/term.hpp"

namespace otpp {

namespace detail {
/// Blocks the owner thread until `m` matches or times out (true either way); throws
/// process_exited if an exit signal killed the process.
bool blocking_receive(pcb* p, receive_matcher_base& m);
}  // namespace detail

/// A process owned by the thread that created it; only that thread may use it. It exits with
/// reason `normal` when destroyed (links and monitors see it go). An exit signal that would
/// kill a process kills it too: it shows at the next receive/flush, which throws
/// process_exited.
class scoped_process : public basic_process {
 public:
  explicit scoped_process(runtime& rt);
  scoped_process(runtime& rt, const pid& group_leader);
  ~scoped_process();
  scoped_process(const scoped_process&) = delete;
  scoped_process& operator=(const scoped_process&) = delete;

  /// As `process::receive`, blocking the thread. Without an `after(...)` clause it may wait
  /// forever; tests always give one.
  template <class... Cs>
  auto receive(Cs&&... clauses) {
    detail::receive_matcher<std::decay_t<Cs>...> m(std::forward<Cs>(clauses)...);
    detail::blocking_receive(pcb_, m);
    return m.invoke();
  }
  /// The oldest message, or nullopt after `timeout`.
  template <class Rep, class Period>
  std::optional<term> receive_for(std::chrono::duration<Rep, Period> timeout) {
    return receive(on(_) >> [](term t) { return std::optional<term>(std::move(t)); },
                   after(timeout, [] { return std::optional<term>(); }));
  }

  /// Every queued message, removed from the queue. Throws process_exited if an exit signal
  /// killed this process.
  std::vector<term> flush();
  /// Takes in the signals that arrived, without receiving: an exit signal that kills this
  /// process takes effect now (the shell calls it between inputs). Returns alive().
  bool handle_signals();

  /// Information about a process; nullopt if it is dead or did not answer in time.
  [[nodiscard]] std::optional<process_info> info(const pid& target,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Still alive (no exit signal killed it, `exit` not called)?
  [[nodiscard]] bool alive() const noexcept;
  /// Why it died (undefined while alive).
  [[nodiscard]] term exit_reason() const;
  /// Ends this process with `reason` now (links and monitors see it go).
  void exit(term reason);
  using basic_process::exit;
};

}  // namespace otpp
