// The distribution engine's insides, shared by its sources: the node table (one `peer` per
// other node), one established `connection`, the `io_driver` and `engine::impl`.
//
// Threads and locks: everything asynchronous runs on one thread at a time, the one driving
// the io_context: the engine's I/O thread, or an idle scheduler worker (see io_driver) —
// "the I/O thread" below means whichever drives. Senders on any thread touch only
// `peers_mu` (shared, to find a peer) and then that peer's `mu` (queue and state); the
// driver takes the same locks in the same order. Nothing is called out of the engine
// (sink, callbacks) while a lock is held.
//
// Lock order (never take an earlier one while holding a later one):
//   io_driver::drive_mu  (held while driving: every handler runs under it)
//   engine::impl::peers_mu  (the node table)
//   peer::mu  (one peer's queue and state; a connection's `closed` is set under it)
//   connection::tls_mu  (a TLS connection's session: held for one read or write through it)
// engine::impl::callbacks_mu and io_driver::standby_mu are taken with none of the last two
// held, and take nothing else.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "asio_support.hpp"
#include "bytes.hpp"
#include "otpp/dist/control.hpp"
#include "otpp/dist/engine.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/dist/frame_decoder.hpp"
#include "otpp/dist/handshake.hpp"
#include "otpp/term/print.hpp"
#include "out_queue.hpp"
#include "tls_session.hpp"

namespace otpp::dist {

using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using detail::nothrow_awaitable;
using bytes = std::vector<std::uint8_t>;
/// A signal encoded once the peer's flags are known (queued while connecting).
using deferred_signal = std::function<std::optional<term>(bytes&, std::uint64_t)>;

struct connection;

/// Frames to a peer waiting until its connection's closure rewriter can say what closures
/// become (engine::closure_policy): in the order sent, behind the first frame that had to wait.
struct closure_gate {
  std::uint64_t connection = 0;
  std::function<bool(const term&)> must_wait;
  std::vector<deferred_signal> waiting;
  std::vector<pid> passing;  ///< senders whose frames go ahead (the learner)
};

/// Everything known about one other node. `mu` guards the fields above the line; the rest
/// belongs to the I/O thread.
struct peer {
  explicit peer(atom n) : name(n) {}
  const atom name;

  std::mutex mu;
  enum class state : std::uint8_t { idle, connecting, up } st = state::idle;
  std::uint64_t flags = 0;  // agreed flags while up
  bool hidden = false;
  detail::out_queue out;
  bool write_scheduled = false;
  std::vector<deferred_signal> deferred;
  std::optional<closure_gate> gate;  // while the connection's closure rewriter learns
  std::shared_ptr<connection> conn;
  // ---- I/O thread only ----
  std::uint64_t attempt = 0;                  // the outgoing attempt in flight (0: none)
  std::shared_ptr<tcp::socket> attempt_socket;
  bool waiting_after_nok = false;             // our attempt got nok: the peer dials us
  bool inbound_pending = false;               // an accepted handshake holds the peer in connecting
  std::vector<std::function<void(bool)>> connect_waiters;
  std::vector<pid> node_monitors;             // monitor_node(Node, true) callers
};

/// A reference as a map key.
struct ref_key {
  std::uint32_t node = 0, creation = 0;
  std::uint8_t length = 0;
  std::array<std::uint32_t, 5> words{};
  explicit ref_key(const reference& r) : node(r.node.index()), creation(r.creation), length(r.length) {
    for (std::size_t i = 0; i < r.length && i < 5; ++i) words[i] = r.words[i];
  }
  auto operator<=>(const ref_key&) const = default;
};

/// The engine whose io_context this thread drives right now (null when none).
inline thread_local const void* tl_driving = nullptr;

struct driving_scope {
  const void* previous;
  explicit driving_scope(const void* engine) : previous(std::exchange(tl_driving, engine)) {}
  ~driving_scope() { tl_driving = previous; }
  driving_scope(const driving_scope&) = delete;
  driving_scope& operator=(const driving_scope&) = delete;
};

inline bool valid_peer_name(atom node) {
  auto n = node.name();
  auto at = n.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < n.size();
}

// Who drives the io_context. An idle scheduler worker that polls the sockets itself runs the
// process woken by arriving data on its own thread at once (BEAM's schedulers check I/O
// the same way); an I/O thread would have to wake a sleeping worker first, a second thread
// hand-off per hop. The I/O thread still drives whenever no worker does: before a runtime
// plugs in, while the workers are all busy (a worker that has not polled for a while loses
// the role), and while stopping. `drive_mu` makes one driver at a time, so the engine's
// handlers still run one after another, as on a single thread.
struct io_driver final : io_poller {
  explicit io_driver(engine::impl& e, asio::io_context& c) : eng(e), io(c) {}
  engine::impl& eng;
  asio::io_context& io;
  std::mutex drive_mu;
  /// A worker drives (or will, as soon as it is idle); the I/O thread stands by.
  std::atomic<bool> worker_role{false};
  /// That worker is blocked waiting for I/O (not busy: no need to take over).
  std::atomic<bool> worker_waiting{false};
  /// Counts the workers' polls, so the standing-by I/O thread sees that they go on.
  std::atomic<std::uint64_t> beats{0};
  /// The I/O thread drives, or is about to.
  std::atomic<bool> io_thread_driving{false};
  std::atomic<bool> stopping{false};
  std::mutex standby_mu;
  std::condition_variable standby_cv;

  bool poll_ready() override;
  bool wait_ready(std::chrono::milliseconds timeout) override;

  /// Makes the driver's wait (a worker's or the I/O thread's) return: a no-op to run.
  void wake_poller() override;

  /// Runs `run` (handlers it ran) as the driver, for a worker; nullopt when another thread
  /// drives or the engine is stopping.
  template <class Run>
  std::optional<std::size_t> drive_as_worker(Run run);
  void claim();

  /// The I/O thread's loop.
  void run_io_thread();

  /// Before stopping: the I/O thread drives from now on.
  void stop_polling();
};

struct engine::impl {
  engine& self;
  // The ceiling on atoms new to the process that all of this node's peers together may
  // introduce; each connection's own share draws on it.
  atom_budget peer_atoms;
  // Driven by one thread at a time (io_driver), though not always the same one: concurrency
  // hint 1 keeps asio's locking (other threads post to it) and lets it skip waking other
  // runners, of which there are never any (measured: rpc 57 k -> 62 k calls/s).
  asio::io_context io{1};
  io_driver driver{*this, io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  tcp::acceptor acceptor{io};
  std::unique_ptr<epmd_server> epmd;
  std::shared_ptr<detail::tls_context> tls;  // TLS distribution's contexts; null for plain TCP
  std::optional<epmd_registration> registration;
  remote_signals* sink = nullptr;
  std::function<reference()> make_ref_fn;
  std::atomic<std::uint64_t> ref_counter{1};
  std::atomic<bool> stopping{false};

  mutable std::shared_mutex peers_mu;
  std::unordered_map<atom, std::shared_ptr<peer>> peers;

  std::mutex callbacks_mu;  // guards the callback tables below
  std::map<std::uint64_t, std::function<void(const node_event&)>> observers;
  std::uint64_t next_observer = 1;
  closure_policy_factory closure_policies;

  // ---- I/O thread only ----
  struct pending_ping {
    atom node;
    std::function<void(atom)> done;
    std::shared_ptr<asio::steady_timer> timer;
  };
  std::map<ref_key, pending_ping> pings;
  struct node_subscriber {
    pid watcher;
    monitor_nodes_options options;
  };
  std::vector<node_subscriber> node_subscribers;  // monitor_nodes(true[, Options])

  explicit impl(engine& e) : self(e), peer_atoms(e.options_.max_peer_atoms) {}

  // ---- small helpers ----
  const engine_options& opt() const { return self.options_; }
  // Every line is escaped here, once: most carry text a peer chose (its claimed name, reasons).
  void log(const std::string& raw) {
    const std::string line = escape_log_text(raw);
    if (opt().log) opt().log(line);
    else std::cerr << "otpp dist (" << self.name_.name() << "): " << line << '\n';
  }
  reference make_ref() {
    if (make_ref_fn) return make_ref_fn();
    std::uint64_t n = ref_counter++;
    reference r;
    r.node = self.name_;
    r.creation = self.creation_;
    r.length = 3;
    r.words = {static_cast<std::uint32_t>(n & 0x3ffff), static_cast<std::uint32_t>(n >> 18), 0xD157D157u, 0, 0};
    return r;
  }
  pid engine_pid() const { return pid{self.name_, 0, 0, self.creation_}; }
  /// True inside the engine's handlers (on whichever thread drives the io_context).
  bool on_io_thread() const { return tl_driving == this; }

  static bool is_up(peer& p) {
    std::lock_guard lock(p.mu);
    return p.st == peer::state::up;
  }

  std::shared_ptr<peer> find_peer(atom node) const {
    std::shared_lock lock(peers_mu);
    auto it = peers.find(node);
    return it == peers.end() ? nullptr : it->second;
  }
  std::shared_ptr<peer> get_peer(atom node) {
    if (auto p = find_peer(node)) return p;
    std::unique_lock lock(peers_mu);
    auto& slot = peers[node];
    if (!slot) slot = std::make_shared<peer>(node);
    return slot;
  }

  // ---- sending ----
  // `sender`: the local process the signal is from (the engine's own pid for its answers).
  template <class Encode>
  void post_signal(atom node, const pid& sender, Encode&& encode);
  void schedule_write_locked(peer& p);
  // Queues a signal to a peer whose closure gate is up (peer mutex held); `sender` null for
  // signals queued while connecting.
  void enqueue_gated_locked(peer& p, const pid* sender, deferred_signal encode);
  // Lets the frames waiting at `p`'s gate go (peer mutex held); how many there were.
  std::size_t open_gate_locked(peer& p);

  // ---- connection life ----
  void start_outgoing(const std::shared_ptr<peer>& p);
  asio::awaitable<void> outgoing(std::shared_ptr<peer> p, std::uint64_t attempt);
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> inbound(tcp::socket sock);
  handshake_status decide_status(const std::shared_ptr<peer>& p, bool& claimed);
  // An accepted handshake under a name that was no atom when its status was given now holds
  // the peer, as decide_status's `ok` would have (I/O thread).
  void claim_after_handshake(const std::shared_ptr<peer>& p);
  void install(const std::shared_ptr<peer>& p, tcp::socket sock, handshake& h,
               std::unique_ptr<detail::tls_session> tls_session);
  void fail_peer(const std::shared_ptr<peer>& p, const std::string& reason, bool was_up);
  void on_connection_closed(connection& c, const std::string& reason);
  // Opens the closure gate of `connection` to `p` after `limit`, if it is still up then.
  void arm_gate_limit(const std::shared_ptr<peer>& p, std::uint64_t connection, std::chrono::milliseconds limit);
  void notify_node(atom node, bool up, const term& reason);

  // ---- arriving signals ----
  void dispatch(connection& c, control_signal&& s);
  bool is_local(const pid& p) const { return p.node == self.name_; }
  bool stale(const pid& p) const { return p.creation != self.creation_ && p.creation != 0; }
  void handle_net_kernel(const std::shared_ptr<peer>& p, const term& msg);
  /// The answer to the engine's own is_auth call `ref` (net_adm:ping).
  void finish_ping(const reference& ref, const term& answer);
  void handle_spawn_request(signal::spawn_request&& r);
};

/// One established connection: the reader (frames in, dispatched), the writer (a sender's
/// direct write, else the I/O thread's) and the ticks (connection.cpp).
struct connection : std::enable_shared_from_this<connection> {
  static std::uint64_t next_serial() {
    static std::atomic<std::uint64_t> serials{1};
    return serials++;
  }
  static constexpr std::size_t read_buffer_size = 256 * 1024;
  static constexpr std::size_t own_buffer_threshold = 64 * 1024;

  connection(engine::impl& e, std::shared_ptr<peer> p, tcp::socket s, std::uint64_t agreed,
             std::unique_ptr<detail::tls_session> t);

  engine::impl& eng;
  const std::uint64_t serial;  // names this connection to the closure policy
  std::shared_ptr<peer> pr;
  tcp::socket sock;
  // TLS distribution: the session all bytes go through; null on plain TCP. The I/O thread
  // reads through it and a sender or the I/O thread writes, each holding `tls_mu` for the
  // call, so a sender's write never waits for the I/O thread to wake up.
  std::unique_ptr<detail::tls_session> tls;
  std::mutex tls_mu;
  std::vector<std::uint8_t> tls_stage;  // small chunks gathered into one record (the writer's)
  std::uint64_t flags;
  asio::steady_timer ticker;
  atom_budget new_atoms;  // this connection's share of the atoms peers may add (before decoder)
  frame_decoder decoder;
  // The read buffer is shared with the large binaries decoded from it (they become slices
  // of it, not copies); while any of them lives, reading goes on in a fresh buffer.
  std::shared_ptr<std::vector<std::uint8_t>> rbuf;
  std::size_t rpos = 0, rend = 0;
  clock_type::time_point last_read = clock_type::now();
  std::atomic<std::uint64_t> written{0};
  std::uint64_t written_at_tick = 0;
  std::uint64_t written_at_peer_tick = 0;
  // Set (and the socket closed) with the peer's mutex held, so a sender writing directly
  // under that mutex never writes to a closed (possibly reused) descriptor.
  std::atomic<bool> closed{false};
  // The writer's chunks and how far into them it got. Owned by whoever writes: a sender
  // (under the peer's mutex, while write_scheduled is false) or the I/O thread (while it is
  // true).
  std::vector<detail::out_chunk> writing;
  std::size_t write_index = 0, write_offset = 0;
  std::vector<iovec> iov;
  clock_type::time_point last_direct_write{};
  void start(std::vector<std::uint8_t> leftover);
  void arm_ticker();
  void on_tick_timer();
  void on_peer_tick();
  void enqueue_tick();

  // Writes as much of `writing` as the socket takes now, with one sendmsg per up to 512
  // chunks. Returns false on a socket error; `done` tells whether everything went out.
  bool write_some(bool& done);
  // The same through TLS: chunks encrypted into the session's buffer, sent in one call
  // (takes tls_mu).
  bool write_some_tls(bool& done);
  // Whether the TLS session holds encrypted bytes not sent yet (takes tls_mu).
  bool tls_output_pending();

  // Returns written batch buffers for reuse (peer mutex held).
  void recycle_written();

  // A sender's shortcut (peer mutex held, write_scheduled false): when the connection is
  // idle, write right away instead of waking the I/O thread — the round trip of a lone
  // message saves a thread hand-off. Within a burst (a direct write less than
  // `direct_write_gap` ago) the I/O thread writes instead, so the many messages of a burst
  // leave in few writes. On the I/O thread itself (answers to arriving signals: a
  // SPAWN_REPLY, a pong) the flush is queued behind the frames being dispatched, costs no
  // wake-up, and does not count as a sender's write. When a worker drives the I/O, that
  // queued flush runs at its next poll, after the processes the frames woke: an rpc's
  // SPAWN_REPLY and the DOWN its process ends with leave in one write. The gap is about one
  // loopback round trip: measured on this machine, 50 us made back-to-back remote spawns
  // (one every ~60 us) pay the hand-off often; 5 us cost 1 KiB-message throughput a third.
  static constexpr auto direct_write_gap = std::chrono::microseconds(15);
  void write_from_sender();
  void schedule_io_flush();

  // The writer on the I/O thread: runs while `write_scheduled` is set.
  void flush();

  // I/O thread only; never with the peer's mutex held.
  void close(const std::string& reason);
  bool process(std::span<const std::uint8_t> body, std::shared_ptr<const std::vector<std::uint8_t>> shared);
  static asio::awaitable<void> read_loop(std::shared_ptr<connection> self);
  // A read through TLS into the read buffer: the bytes it got, or 0 when it closed the
  // connection.
  static asio::awaitable<std::size_t> tls_read_some(std::shared_ptr<connection> self, std::uint8_t* into,
                                                    std::size_t size);
  // After a read, what TLS itself must answer (a key update) goes out (tls_mu not held).
  void flush_tls_answers();
};

// ---- sending (any thread) ----

/// Writes a thread holds back (distribution::hold_writes): how deep, and the peers that have
/// something queued meanwhile.
struct held_writes {
  /// Queued bytes past which a held connection is written anyway.
  static constexpr std::size_t limit = 64 * 1024;
  int depth = 0;
  std::vector<std::pair<engine::impl*, std::shared_ptr<peer>>> peers;
};
inline thread_local held_writes held;

inline void engine::impl::schedule_write_locked(peer& p) {
  if (p.write_scheduled || !p.conn) return;
  // Held back up to a bound: a process streaming to a node within one turn writes as it goes.
  if (held.depth > 0 && p.out.queued_bytes() < held_writes::limit) {
    for (const auto& [e, q] : held.peers)
      if (q.get() == &p) return;
    held.peers.emplace_back(this, p.conn->pr);
    return;
  }
  p.conn->write_from_sender();
}

template <class Encode>
void engine::impl::post_signal(atom node, const pid& sender, Encode&& encode) {
  if (stopping.load(std::memory_order_relaxed) || !valid_peer_name(node)) return;
  auto p = get_peer(node);
  std::unique_lock lock(p->mu);
  switch (p->st) {
    case peer::state::up: {
      if (p->gate) [[unlikely]] {
        enqueue_gated_locked(*p, &sender, deferred_signal(std::forward<Encode>(encode)));
        return;
      }
      std::uint64_t f = p->flags;
      p->out.add([&](bytes& out) { return encode(out, f); });
      schedule_write_locked(*p);
      return;
    }
    case peer::state::connecting:
      p->deferred.emplace_back(std::forward<Encode>(encode));
      return;
    case peer::state::idle:
      p->st = peer::state::connecting;
      p->deferred.emplace_back(std::forward<Encode>(encode));
      lock.unlock();
      asio::post(io, [this, p] { start_outgoing(p); });
      return;
  }
}

}  // namespace otpp::dist
