// Processes: the coroutine types a process function returns, and the API a running process
// uses (send, spawn, receive, links, monitors, exits, timers, group leader).
//
//   otpp::process_task echo(otpp::process& self) {
//     for (;;) {
//       bool more = co_await self.receive(
//           on(any_pid, _) >> [&](otpp::pid from, otpp::term x) { self.send(from, x); return true; },
//           on(atoms::stop) >> [] { return false; });
//       if (!more) co_return;
//     }
//   }
//   otpp::pid p = self.spawn_link(echo);
//
// A process function takes `process&` first and its other arguments by value (they are copied
// into the coroutine frame). A callable with state (a lambda with captures, a std::function)
// is kept alive by the runtime for as long as the process runs.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "otpp/runtime/pattern.hpp"
#include "otpp/term/term.hpp"

namespace otpp {

class runtime;
class process;
class scoped_process;

namespace detail {
struct pcb;
class runtime_impl;

/// Base of every awaitable a process may `co_await` (receive, yield, task). Anything else
/// would suspend the process without telling the scheduler, so the promise types refuse it.
struct awaitable_base {};
template <class T>
concept process_awaitable = std::is_base_of_v<awaitable_base, std::remove_cvref_t<T>>;

/// Coroutine frames of processes and tasks come from here (counted in process memory).
[[nodiscard]] void* allocate_frame(std::size_t size);
void free_frame(void* p, std::size_t size) noexcept;
}  // namespace detail

// ---- exit and error ------------------------------------------------------------------------

/// Thrown by `process::exit(reason)`: the process ends with `reason`, without a crash report
/// (as `erlang:exit/1`).
class exit_exception : public std::exception {
 public:
  explicit exit_exception(term reason) : reason_(std::move(reason)) {}
  [[nodiscard]] const term& reason() const noexcept { return reason_; }
  [[nodiscard]] const char* what() const noexcept override { return "otpp: process exit"; }

 private:
  term reason_;
};

/// Thrown by `process::error(reason)`: the process ends with `reason` and a crash report (as
/// `erlang:error/1`), made by the runtime's crash reporter (the otp layer's sends the
/// emulator's "Error in process" logger event where a BEAM node would). Any other exception
/// escaping a process ends it with `{error, <<"what()">>}` and a crash report.
class error_exception : public std::exception {
 public:
  explicit error_exception(term reason) : reason_(std::move(reason)) {}
  /// An error with its stack trace `[{M, F, ArityOrArgs, Location}]` (interpreted code raises
  /// these): the process then ends with `{Reason, Stack}`, as a BEAM process does.
  error_exception(term reason, term stack) : reason_(std::move(reason)), stack_(std::move(stack)) {}
  [[nodiscard]] const term& reason() const noexcept { return reason_; }
  /// The stack trace, or [] when the thrower gave none.
  [[nodiscard]] const term& stack() const noexcept { return stack_; }
  /// What the process ends with: the reason, or `{Reason, Stack}` when there is a stack.
  [[nodiscard]] term exit_reason() const {
    return stack_.is_nil() ? reason_ : term::tuple({reason_, stack_});
  }
  [[nodiscard]] const char* what() const noexcept override { return "otpp: process error"; }

 private:
  term reason_;
  term stack_;
};

/// Thrown by a `scoped_process` that is asked to receive after an exit signal killed it.
class process_exited : public std::exception {
 public:
  explicit process_exited(term reason) : reason_(std::move(reason)) {}
  [[nodiscard]] const term& reason() const noexcept { return reason_; }
  [[nodiscard]] const char* what() const noexcept override { return "otpp: the process has exited"; }

 private:
  term reason_;
};

// ---- coroutine types ------------------------------------------------------------------------

/// What a process function returns: `otpp::process_task f(otpp::process& self, ...)`.
/// The runtime owns the coroutine; a process_task is only handed from the function to spawn.
class [[nodiscard]] process_task {
 public:
  class promise_type {
   public:
    process_task get_return_object() noexcept {
      return process_task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error_ = std::current_exception(); }

    // Hands the awaitable through (no copy: it lives in the frame until the co_await ends).
    template <class A>
    A&& await_transform(A&& a) noexcept {
      static_assert(detail::process_awaitable<A>,
                    "a process may only co_await otpp awaitables (receive, yield, task)");
      return std::forward<A>(a);
    }

    static void* operator new(std::size_t size) { return detail::allocate_frame(size); }
    static void operator delete(void* p, std::size_t size) noexcept { detail::free_frame(p, size); }

    /// The exception that ended the process, if any.
    [[nodiscard]] const std::exception_ptr& error() const noexcept { return error_; }

   private:
    std::exception_ptr error_;
  };

  process_task(process_task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  process_task& operator=(process_task&&) = delete;
  ~process_task() {
    if (h_) h_.destroy();
  }

  /// Hands the coroutine over (the runtime calls this).
  [[nodiscard]] std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }

 private:
  explicit process_task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

template <class T = void>
class task;

namespace detail {

template <class T>
struct task_result {
  std::variant<std::monostate, T, std::exception_ptr> value;
  template <class U>
  void return_value(U&& v) {
    value.template emplace<1>(std::forward<U>(v));
  }
  T take() {
    if (value.index() == 2) std::rethrow_exception(std::get<2>(value));
    return std::move(std::get<1>(value));
  }
  void fail(std::exception_ptr e) noexcept { value.template emplace<2>(std::move(e)); }
};
template <>
struct task_result<void> {
  std::exception_ptr error;
  void return_void() noexcept {}
  void take() {
    if (error) std::rethrow_exception(error);
  }
  void fail(std::exception_ptr e) noexcept { error = std::move(e); }
};

}  // namespace detail

/// A child coroutine a process awaits: `co_await helper(self, ...)` where
/// `otpp::task<term> helper(otpp::process& self, ...)` may itself receive, yield and await
/// tasks. Lazily started; the awaiting process resumes when it completes.
template <class T>
class [[nodiscard]] task : public detail::awaitable_base {
 public:
  class promise_type : public detail::task_result<T> {
   public:
    task get_return_object() noexcept { return task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct to_parent {
        bool await_ready() noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
          return h.promise().continuation;
        }
        void await_resume() noexcept {}
      };
      return to_parent{};
    }
    void unhandled_exception() noexcept { this->fail(std::current_exception()); }

    // Hands the awaitable through (no copy: it lives in the frame until the co_await ends).
    template <class A>
    A&& await_transform(A&& a) noexcept {
      static_assert(detail::process_awaitable<A>,
                    "a process may only co_await otpp awaitables (receive, yield, task)");
      return std::forward<A>(a);
    }

    static void* operator new(std::size_t size) { return detail::allocate_frame(size); }
    static void operator delete(void* p, std::size_t size) noexcept { detail::free_frame(p, size); }

    std::coroutine_handle<> continuation;
  };

  task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  task& operator=(task&&) = delete;
  ~task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    h_.promise().continuation = parent;
    return h_;
  }
  T await_resume() { return h_.promise().take(); }

 private:
  explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

// ---- spawning -------------------------------------------------------------------------------

/// How to start a process.
struct spawn_options {
  /// The group leader of the new process; by default the spawner's (the runtime's default
  /// group leader when the runtime itself spawns).
  std::optional<pid> group_leader;
  /// Link the new process with the spawner (spawn_link).
  bool link = false;
  /// The spawner monitors the new process (spawn_monitor).
  bool monitor = false;
  /// Link the new process with this pid, local or remote (a remote SPAWN_REQUEST with the
  /// link option: the requester already counts the link as made).
  std::optional<pid> link_to;
  /// This pid monitors the new process with this reference (SPAWN_REQUEST with monitor).
  std::optional<std::pair<pid, reference>> monitored_by;
  /// Start with trap_exit set.
  bool trap_exit = false;
  /// `{Module, Function, Arity}` the process starts in, as process_info's initial_call shows
  /// it (a SPAWN_REQUEST's function); unknown when absent.
  std::optional<term> initial_call;
};

/// How a requester hears of its spawn_request (the `reply` option of erlang:spawn_request/5).
enum class spawn_reply_mode : std::uint8_t {
  yes,           ///< `{spawn_reply, ReqId, ok, Pid}` or `{spawn_reply, ReqId, error, Reason}`
  error_only,    ///< only the error message
  success_only,  ///< only the success message
  no,            ///< neither
};

/// Options of a remote spawn request.
struct spawn_request_options {
  /// Link the new process with the requester (in place when the reply arrives).
  bool link = false;
  /// The requester monitors the new process; the monitor's reference is the request id.
  bool monitor = false;
  /// Which reply messages the requester gets (stays on this node, as in OTP).
  spawn_reply_mode reply = spawn_reply_mode::yes;
};

/// What spawn_opt returns.
struct spawned {
  otpp::pid pid;
  /// The monitor reference when `spawn_options::monitor` was set.
  std::optional<otpp::reference> monitor;
};

namespace detail {

/// Keeps a stateful process function alive while its process runs.
struct closure_base {
  virtual ~closure_base() = default;
};
template <class F>
struct closure final : closure_base {
  explicit closure(F f) : fn(std::move(f)) {}
  F fn;
};

/// A borrowed "make the coroutine for this process" callable.
struct body_ref {
  void* object;
  process_task (*call)(void* object, process& self);
};

/// What runs once a new process is complete and before it can run (a SPAWN_REPLY leaves
/// there, ahead of anything the process sends).
struct before_run {
  void* object;
  void (*call)(void* object, const pid& child);
};

/// Spawns a process (the non-template core of every spawn). `parent` is null when the
/// runtime itself spawns.
spawned spawn_process(runtime_impl& rt, pcb* parent, const spawn_options& options, body_ref body,
                      std::unique_ptr<closure_base> keep_alive, const before_run* before = nullptr);

/// True unless F is a function whose parameters after `process&` include a reference: the
/// coroutine frame would keep the reference, and spawn's arguments die when spawn returns.
template <class F>
struct by_value_parameters : std::true_type {};
template <class R, class... Ps>
struct by_value_parameters<R (*)(process&, Ps...)> : std::bool_constant<(!std::is_reference_v<Ps> && ...)> {};

template <class F, class... A>
spawned spawn_with(runtime_impl& rt, pcb* parent, const spawn_options& options, F&& f, A&&... args) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_r_v<process_task, Fn&, process&, A&&...>,
                "a process function is called as f(process&, args...) and returns otpp::process_task");
  static_assert(by_value_parameters<Fn>::value,
                "a process function takes its arguments by value (they are copied into the coroutine "
                "frame; references would dangle once spawn returns)");
  if constexpr (std::is_empty_v<Fn> || std::is_pointer_v<Fn>) {
    // Nothing to keep alive: a function pointer or a lambda without captures.
    Fn fn(std::forward<F>(f));
    auto make = [&](process& self) -> process_task { return std::invoke(fn, self, std::forward<A>(args)...); };
    body_ref body{&make, [](void* o, process& self) { return (*static_cast<decltype(make)*>(o))(self); }};
    return spawn_process(rt, parent, options, body, nullptr);
  } else {
    auto keep = std::make_unique<closure<Fn>>(Fn(std::forward<F>(f)));
    Fn* fn = &keep->fn;
    auto make = [&](process& self) -> process_task { return std::invoke(*fn, self, std::forward<A>(args)...); };
    body_ref body{&make, [](void* o, process& self) { return (*static_cast<decltype(make)*>(o))(self); }};
    return spawn_process(rt, parent, options, body, std::move(keep));
  }
}

// Receive support, called by the awaitables below.
/// Looks for a match in the queue (and the mailbox) without waiting. True: resume at once.
[[nodiscard]] bool receive_ready(pcb* p, receive_matcher_base& m);
/// Parks the process on `m` until a match or the timeout.
void receive_suspend(pcb* p, receive_matcher_base& m, std::coroutine_handle<> h) noexcept;
void yield_suspend(pcb* p, std::coroutine_handle<> h) noexcept;
/// Counts one reduction; false when the budget of this turn is spent.
[[nodiscard]] bool consume_reduction() noexcept;
/// Sends `{Tag, Info}` (or `{Tag, undefined}`) to `reply_to` from the process `target`; with
/// `messages`, Info includes the queued messages.
void request_info(runtime_impl& rt, const pid& target, const pid& reply_to, const reference& tag,
                  bool messages = false);

}  // namespace detail

/// Process information, as `erlang:process_info/1` reports it.
struct process_info {
  atom status;  ///< running, runnable, waiting or exiting
  std::size_t message_queue_len = 0;
  std::vector<pid> links;
  /// Processes this one monitors: a pid, or `{Name, Node}` when monitored by name.
  std::vector<term> monitors;
  std::vector<pid> monitored_by;
  bool trap_exit = false;
  pid group_leader;
  std::optional<atom> registered_name;
  /// `{Module, Function, Arity}` it was spawned in, and the one it last said it runs (see
  /// basic_process::set_current_function); absent when unknown.
  std::optional<term> initial_call;
  std::optional<term> current_function;
  /// Bytes: control block, coroutine frame, queued messages, links and monitors.
  std::size_t memory = 0;
  std::uint64_t reductions = 0;
  /// The queued messages, oldest first; only when asked for (process_info(P, messages)).
  std::optional<std::vector<term>> messages;
  /// The process dictionary, `[{Key, Value}]` (process_info(P, dictionary)).
  term dictionary;

  /// The Erlang proplist (`[{status, waiting}, {message_queue_len, 0}, ...]`).
  [[nodiscard]] term to_term() const;
  /// Reads the proplist back; nullopt for `undefined` or anything malformed.
  [[nodiscard]] static std::optional<process_info> from_term(const term& t);
};

// ---- the process API ----------------------------------------------------------------------

/// What both a coroutine process and a blocking handle can do. Every method acts on behalf
/// of this process and may be called only by its owner (the process itself, or the thread
/// driving a scoped_process).
class basic_process {
 public:
  /// This process's pid (Erlang's `self()`).
  [[nodiscard]] pid self() const noexcept;
  /// The same as a term, made once per process (a term holding a pid is a heap object:
  /// code that puts `self()` into every message it sends shares this one).
  [[nodiscard]] const term& self_term() const;
  [[nodiscard]] otpp::runtime& rt() const noexcept;

  // -- messages --
  /// `To ! Msg`. Remote pids go through the distribution; a dead pid drops the message.
  void send(const pid& to, term msg) const;
  /// `Name ! Msg` for a local registered name; false (nothing sent) when no such name.
  bool send(atom name, term msg) const;
  /// `{Name, Node} ! Msg`; local node: as send(name, msg).
  void send(atom name, atom node, term msg) const;
  /// A message to an alias; dropped when the alias is not active.
  void send(const reference& alias, term msg) const;

  // -- spawning --
  template <class F, class... A>
  pid spawn(F&& f, A&&... args) {
    return spawn_opt({}, std::forward<F>(f), std::forward<A>(args)...).pid;
  }
  template <class F, class... A>
  pid spawn_link(F&& f, A&&... args) {
    spawn_options o;
    o.link = true;
    return spawn_opt(o, std::forward<F>(f), std::forward<A>(args)...).pid;
  }
  template <class F, class... A>
  std::pair<pid, reference> spawn_monitor(F&& f, A&&... args) {
    spawn_options o;
    o.monitor = true;
    auto s = spawn_opt(o, std::forward<F>(f), std::forward<A>(args)...);
    return {s.pid, *s.monitor};
  }
  template <class F, class... A>
  spawned spawn_opt(const spawn_options& options, F&& f, A&&... args) {
    return detail::spawn_with(impl(), pcb_, options, std::forward<F>(f), std::forward<A>(args)...);
  }

  /// `erlang:spawn_request(Node, M, F, Args, Opts)`: asks `node` to start `module:function`
  /// with the argument list `args`; returns the request id. The answer arrives as a message
  /// (see spawn_reply_mode); `noconnection` when the node cannot be reached. The link and
  /// the monitor asked for are in place when the reply arrives, ahead of any signal from
  /// the new process.
  reference spawn_request(atom node, atom module, atom function, term args,
                          const spawn_request_options& options = {});
  /// `erlang:spawn_request_abandon/1`: true if `req_id` was still waiting for its reply (a
  /// late reply is then dropped, and a process it started is sent `abandoned` over its link).
  bool spawn_request_abandon(const reference& req_id);

  // -- links, monitors, exit signals --
  /// Links to `to`. A dead pid sends this process an exit signal `noproc` (as Erlang does).
  void link(const pid& to);
  void unlink(const pid& to);
  /// Monitors a process; its end arrives as `{'DOWN', Ref, process, Pid, Reason}`.
  [[nodiscard]] reference monitor(const pid& target);
  /// Monitors a registered name on the local node (DOWN names it `{Name, Node}`).
  [[nodiscard]] reference monitor(atom name);
  /// Monitors `{Name, Node}`, local or remote.
  [[nodiscard]] reference monitor(atom name, atom node);
  /// Removes a monitor; `flush` also drops its DOWN message if it already arrived. True if
  /// the monitor was active.
  bool demonitor(const reference& ref, bool flush = false);
  /// `exit(To, Reason)`: sends an exit signal (`kill` cannot be trapped).
  void exit(const pid& to, term reason) const;
  /// Sets trap_exit; returns the previous value.
  bool trap_exit(bool on);
  [[nodiscard]] bool trap_exit() const;
  /// What process_info shows as current_function: `{Module, Function, Arity}` of the code this
  /// process runs now (an interpreter says where it waits).
  void set_current_function(term mfa);

  // -- group leader --
  [[nodiscard]] pid group_leader() const;
  /// Sets this process's group leader.
  void group_leader(const pid& leader);
  /// Sets the group leader of `of` (local or remote) to `leader`.
  void group_leader(const pid& leader, const pid& of) const;

  // -- references, aliases, names --
  [[nodiscard]] reference make_ref() const;
  /// A new alias: messages sent to it arrive here until `unalias` (or, with `reply_once`,
  /// until the first one arrives).
  [[nodiscard]] reference alias(bool reply_once = false);
  bool unalias(const reference& alias);
  /// Registers this process as `name`; false if the name is taken or this process has one.
  bool register_name(atom name);

  // -- timers --
  /// `erlang:send_after/3`: `msg` to `to` after `delay`; the reference cancels it.
  reference send_after(std::chrono::milliseconds delay, const pid& to, term msg) const;
  /// `erlang:start_timer/3`: `{timeout, TimerRef, Msg}` to `to` after `delay`.
  reference start_timer(std::chrono::milliseconds delay, const pid& to, term msg) const;
  /// Time left, or nullopt if the timer already fired or never existed.
  std::optional<std::chrono::milliseconds> cancel_timer(const reference& timer) const;

  // -- the process dictionary --
  /// `put(Key, Value)`: the value `key` had, or `undefined`.
  term put(term key, term value);
  /// `get(Key)`: the value of `key`, or `undefined`.
  [[nodiscard]] term get(const term& key) const;
  /// `get()`: every `{Key, Value}` of the dictionary (in no particular order, as on BEAM).
  [[nodiscard]] term dictionary() const;
  /// `get_keys()`: every key.
  [[nodiscard]] term get_keys() const;
  /// `get_keys(Value)`: the keys whose value is `value` (`=:=`).
  [[nodiscard]] term get_keys(const term& value) const;
  /// `erase(Key)`: the value `key` had, or `undefined`; the key is gone.
  term erase(const term& key);
  /// `erase()`: the whole dictionary, as dictionary() had it; it is empty afterwards.
  term erase_dictionary();

  // -- this process --
  /// Every queued message, removed from the queue (the shell's `flush()`).
  std::vector<term> flush();
  /// Messages queued here now.
  [[nodiscard]] std::size_t message_queue_len();
  [[nodiscard]] bool is_alive(const pid& p) const;

 protected:
  explicit basic_process(detail::pcb* p) noexcept : pcb_(p) {}
  [[nodiscard]] detail::runtime_impl& impl() const noexcept;
  detail::pcb* pcb_;
};

namespace detail {

template <class... Cs>
class receive_op : public awaitable_base {
 public:
  explicit receive_op(pcb* p, Cs... cs) : pcb_(p), m_(std::move(cs)...) {}
  bool await_ready() { return receive_ready(pcb_, m_); }
  void await_suspend(std::coroutine_handle<> h) noexcept { receive_suspend(pcb_, m_, h); }
  decltype(auto) await_resume() { return m_.invoke(); }

 private:
  pcb* pcb_;
  receive_matcher<Cs...> m_;
};

struct yield_op : awaitable_base {
  pcb* p;
  bool only_if_spent;
  bool await_ready() const noexcept { return only_if_spent && consume_reduction(); }
  void await_suspend(std::coroutine_handle<> h) const noexcept { yield_suspend(p, h); }
  void await_resume() const noexcept {}
};

}  // namespace detail

/// The process a process function runs as (`self`). Lives as long as the process.
class process : public basic_process {
 public:
  /// `receive Clauses end`: waits for the oldest queued message that matches a clause, runs
  /// that clause's handler and returns its result. Messages that match nothing stay queued,
  /// in order. An `after(...)` last clause bounds the wait.
  template <class... Cs>
  [[nodiscard]] auto receive(Cs&&... clauses) {
    return detail::receive_op<std::decay_t<Cs>...>(pcb_, std::forward<Cs>(clauses)...);
  }
  /// The oldest message, whatever it is.
  [[nodiscard]] auto receive() {
    return receive(on(_) >> [](term t) { return t; });
  }
  /// The oldest message, or nullopt after `timeout`.
  template <class Rep, class Period>
  [[nodiscard]] auto receive_for(std::chrono::duration<Rep, Period> timeout) {
    return receive(on(_) >> [](term t) { return std::optional<term>(std::move(t)); },
                   after(timeout, [] { return std::optional<term>(); }));
  }

  /// Lets the other processes run; resumes later.
  [[nodiscard]] detail::yield_op yield() noexcept { return {{}, pcb_, false}; }
  /// Yields only when this process has used its budget of work (call it in long loops).
  [[nodiscard]] detail::yield_op maybe_yield() noexcept { return {{}, pcb_, true}; }

  using basic_process::exit;
  /// Ends this process with `reason` (`erlang:exit/1`). Throws exit_exception.
  [[noreturn]] void exit(term reason) { throw exit_exception(std::move(reason)); }
  /// `exit(reason)` as the process's last act, without unwinding: the process ends with
  /// `reason` when its function returns. For hot paths (each erpc answer travels as an exit
  /// reason), where a C++ throw through the coroutine frames costs more than the call.
  void exit_on_return(term reason);
  /// Ends this process with `reason` and a crash report (`erlang:error/1`).
  [[noreturn]] void error(term reason) { throw error_exception(std::move(reason)); }

  /// Information about a process (nullopt if it is dead). Asks the process itself, so the
  /// answer is consistent with every signal sent before. `messages` adds its queued messages.
  [[nodiscard]] task<std::optional<process_info>> info(pid target, bool messages = false) {
    reference tag = make_ref();
    detail::request_info(impl(), target, self(), tag, messages);
    term answer = co_await receive(on(tag, _) >> [](term t) { return t; });
    co_return process_info::from_term(answer);
  }

 private:
  friend struct detail::pcb;
  explicit process(detail::pcb* p) noexcept : basic_process(p) {}
};

}  // namespace otpp
