// The distribution engine (see engine.hpp): node table, connection setup (initiator and
// acceptor, simultaneous connects resolved as net_kernel does), the connection reader and
// writer, ticks, dispatch of arriving control messages, net_kernel's answers, node monitors
// and remote spawn.
//
// Threads and locks: everything asynchronous runs on one thread at a time, the one driving
// the io_context: the engine's I/O thread, or an idle scheduler worker (see io_driver) —
// "the I/O thread" below means whichever drives. Senders on any thread touch only
// `peers_mu` (shared, to find a peer) and then that peer's `mu` (queue and state); the
// driver takes the same locks in the same order. Nothing is called out of the engine
// (sink, callbacks) while a lock is held.
#include "otpp/dist/engine.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "asio_support.hpp"
#include "bytes.hpp"
#include "otpp/dist/control.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/dist/frame_decoder.hpp"
#include "otpp/dist/handshake.hpp"
#include "out_queue.hpp"

namespace otpp::dist {

namespace {

using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using detail::nothrow_awaitable;
using bytes = std::vector<std::uint8_t>;
/// A signal encoded once the peer's flags are known (queued while connecting).
using deferred_signal = std::function<std::optional<term>(bytes&, std::uint64_t)>;

struct connection;

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
thread_local const void* tl_driving = nullptr;

struct driving_scope {
  const void* previous;
  explicit driving_scope(const void* engine) : previous(std::exchange(tl_driving, engine)) {}
  ~driving_scope() { tl_driving = previous; }
  driving_scope(const driving_scope&) = delete;
  driving_scope& operator=(const driving_scope&) = delete;
};

bool valid_peer_name(atom node) {
  auto n = node.name();
  auto at = n.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < n.size();
}

}  // namespace

// =============================================================================================
// The engine's state
// =============================================================================================

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

  bool poll_ready() override {
    auto ran = drive_as_worker([&] { return io.poll_one(); });
    return ran && *ran > 0;
  }

  bool wait_ready(std::chrono::milliseconds timeout) override {
    return drive_as_worker([&] {
             worker_waiting.store(true, std::memory_order_release);
             std::size_t ran = io.run_one_for(timeout);
             worker_waiting.store(false, std::memory_order_release);
             return ran;
           })
        .has_value();
  }

  /// Makes the driver's wait (a worker's or the I/O thread's) return: a no-op to run.
  void wake_poller() override {
    asio::post(io, [] {});
  }

  /// Runs `run` (handlers it ran) as the driver, for a worker; nullopt when another thread
  /// drives or the engine is stopping.
  template <class Run>
  std::optional<std::size_t> drive_as_worker(Run run) {
    if (stopping.load(std::memory_order_relaxed)) return std::nullopt;
    claim();
    std::unique_lock lk(drive_mu, std::try_to_lock);
    if (!lk) return std::nullopt;
    std::size_t ran;
    {
      driving_scope scope(&eng);
      ran = run();
    }
    beats.store(beats.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    return ran;
  }

  void claim() {
    if (worker_role.load(std::memory_order_relaxed)) return;
    // Pairs with the I/O thread's store to io_thread_driving before it looks at
    // worker_role: either it sees our claim, or we see it driving and interrupt its wait.
    worker_role.store(true, std::memory_order_seq_cst);
    if (io_thread_driving.load(std::memory_order_seq_cst)) wake_poller();
  }

  /// The I/O thread's loop.
  void run_io_thread();

  /// Before stopping: the I/O thread drives from now on.
  void stop_polling() {
    stopping.store(true, std::memory_order_seq_cst);
    {
      std::lock_guard lk(standby_mu);
    }
    standby_cv.notify_all();
  }
};

void io_driver::run_io_thread() {
  using std::chrono::milliseconds;
  // How long to stand by before looking whether the worker with the role still polls:
  // growing while it does (to 4 ms) or while it waits for I/O itself (to 64 ms).
  milliseconds standby{1};
  while (!io.stopped()) {
    if (worker_role.load(std::memory_order_seq_cst) && !stopping.load(std::memory_order_relaxed)) {
      std::uint64_t seen = beats.load(std::memory_order_acquire);
      {
        std::unique_lock lk(standby_mu);
        standby_cv.wait_for(lk, standby, [&] { return stopping.load(std::memory_order_relaxed); });
      }
      if (!stopping.load(std::memory_order_relaxed)) {
        if (beats.load(std::memory_order_acquire) != seen) {
          // Each look costs the polling worker a preemption on a busy core: look less often
          // while it keeps polling, but soon enough that a stuck one stalls I/O only briefly.
          standby = std::min(standby * 2, milliseconds(4));
          continue;
        }
        if (worker_waiting.load(std::memory_order_acquire)) {
          standby = std::min(standby * 2, milliseconds(64));
          continue;
        }
      }
      // The worker has not polled for a while (a long turn, or the runtime let go of the
      // poller): drive until it claims the role back.
      worker_role.store(false, std::memory_order_seq_cst);
      standby = milliseconds(1);
    }
    io_thread_driving.store(true, std::memory_order_seq_cst);
    if (!worker_role.load(std::memory_order_seq_cst) || stopping.load(std::memory_order_relaxed)) {
      std::lock_guard lk(drive_mu);
      driving_scope scope(&eng);
      // A claiming worker interrupts this wait (claim() calls wake_poller()).
      io.run_one_for(milliseconds(500));
    }
    io_thread_driving.store(false, std::memory_order_seq_cst);
  }
}

struct engine::impl {
  engine& self;
  // Driven by one thread at a time (io_driver), though not always the same one: concurrency
  // hint 1 keeps asio's locking (other threads post to it) and lets it skip waking other
  // runners, of which there are never any (measured: rpc 57 k -> 62 k calls/s).
  asio::io_context io{1};
  io_driver driver{*this, io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  tcp::acceptor acceptor{io};
  std::unique_ptr<epmd_server> epmd;
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
  closure_rewriter_factory closure_rewriters;

  // ---- I/O thread only ----
  struct pending_ping {
    atom node;
    std::function<void(atom)> done;
    std::shared_ptr<asio::steady_timer> timer;
  };
  std::map<ref_key, pending_ping> pings;
  std::vector<pid> node_subscribers;  // monitor_nodes(true)

  explicit impl(engine& e) : self(e) {}

  // ---- small helpers ----
  const engine_options& opt() const { return self.options_; }
  void log(const std::string& line) {
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
  template <class Encode>
  void post_signal(atom node, Encode&& encode);
  void schedule_write_locked(peer& p);

  // ---- connection life ----
  void start_outgoing(const std::shared_ptr<peer>& p);
  asio::awaitable<void> outgoing(std::shared_ptr<peer> p, std::uint64_t attempt);
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> inbound(tcp::socket sock);
  handshake_status decide_status(const std::shared_ptr<peer>& p, bool& claimed);
  void install(const std::shared_ptr<peer>& p, tcp::socket sock, handshake& h);
  void fail_peer(const std::shared_ptr<peer>& p, const std::string& reason, bool was_up);
  void on_connection_closed(connection& c, const std::string& reason);
  void notify_node(atom node, bool up, const term& reason);

  // ---- arriving signals ----
  void dispatch(connection& c, control_signal&& s);
  bool is_local(const pid& p) const { return p.node == self.name_; }
  bool stale(const pid& p) const { return p.creation != self.creation_ && p.creation != 0; }
  void handle_net_kernel(const std::shared_ptr<peer>& p, const term& msg);
  void finish_ping(const reference& ref, const term& answer) {
    auto it = pings.find(ref_key(ref));
    if (it == pings.end()) return;
    auto done = std::move(it->second.done);
    it->second.timer->cancel();
    pings.erase(it);
    done(answer.is_atom(atoms::yes) ? atoms::pong : atoms::pang);
  }
  void handle_spawn_request(signal::spawn_request&& r);
};

// =============================================================================================
// One established connection
// =============================================================================================

namespace {

struct connection : std::enable_shared_from_this<connection> {
  static constexpr std::size_t read_buffer_size = 256 * 1024;
  static constexpr std::size_t own_buffer_threshold = 64 * 1024;

  connection(engine::impl& e, std::shared_ptr<peer> p, tcp::socket s, std::uint64_t agreed)
      : eng(e), pr(std::move(p)), sock(std::move(s)), flags(agreed), ticker(eng.io),
        decoder(frame_decoder::limits{e.opt().max_message_size, 256,
                                      e.opt().max_pending_fragment_bytes ? e.opt().max_pending_fragment_bytes
                                                                         : e.opt().max_message_size}) {
    rbuf = std::make_shared<std::vector<std::uint8_t>>(read_buffer_size);
  }

  engine::impl& eng;
  std::shared_ptr<peer> pr;
  tcp::socket sock;
  std::uint64_t flags;
  asio::steady_timer ticker;
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

  void start(std::vector<std::uint8_t> leftover) {
    rend = std::min(leftover.size(), rbuf->size());
    std::memcpy(rbuf->data(), leftover.data(), rend);
    asio::co_spawn(eng.io, read_loop(shared_from_this()), asio::detached);
    arm_ticker();
  }

  void arm_ticker() {
    auto period = eng.opt().net_ticktime / 4;
    if (period.count() <= 0) period = std::chrono::milliseconds(1);
    ticker.expires_after(period);
    ticker.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->on_tick_timer();
    });
  }

  void on_tick_timer() {
    if (closed) return;
    if (clock_type::now() - last_read > eng.opt().net_ticktime) {
      eng.log("** node " + std::string(pr->name.name()) + " not responding ** removing (timed out) connection");
      close("net_tick_timeout");
      return;
    }
    if (written == written_at_tick) enqueue_tick();
    written_at_tick = written;
    arm_ticker();
  }

  void on_peer_tick() {
    // Answer a tick when we have been silent since the previous one, so a peer with a
    // shorter net_ticktime than ours still hears from us often enough.
    if (written == written_at_peer_tick) enqueue_tick();
    written_at_peer_tick = written;
  }

  void enqueue_tick() {
    std::lock_guard lock(pr->mu);
    if (pr->conn.get() != this) return;
    if (pr->out.empty()) pr->out.add_tick();
    eng.schedule_write_locked(*pr);
  }

  // Writes as much of `writing` as the socket takes now, with one sendmsg per up to 512
  // chunks. Returns false on a socket error; `done` tells whether everything went out.
  bool write_some(bool& done) {
    done = false;
    while (write_index < writing.size()) {
      iov.clear();
      for (std::size_t i = write_index; i < writing.size() && iov.size() < 512; ++i) {
        auto b = writing[i].bytes();
        std::size_t skip = i == write_index ? write_offset : 0;
        iov.push_back(iovec{const_cast<std::uint8_t*>(b.data()) + skip, b.size() - skip});
      }
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = iov.size();
      ssize_t n = ::sendmsg(sock.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        return false;
      }
      written.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      std::size_t left = static_cast<std::size_t>(n);
      while (left > 0 && write_index < writing.size()) {
        std::size_t avail = writing[write_index].bytes().size() - write_offset;
        if (left >= avail) {
          left -= avail;
          ++write_index;
          write_offset = 0;
        } else {
          write_offset += left;
          left = 0;
        }
      }
    }
    done = true;
    return true;
  }

  // Returns written batch buffers for reuse (peer mutex held).
  void recycle_written() {
    for (auto& c : writing)
      if (!c.shared && !c.own.empty()) pr->out.recycle(std::move(c.own));
    writing.clear();
    write_index = write_offset = 0;
  }

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
  void write_from_sender() {
    if (eng.on_io_thread()) {
      schedule_io_flush();
      return;
    }
    auto now = clock_type::now();
    if (closed || now - last_direct_write < direct_write_gap) {
      schedule_io_flush();
      return;
    }
    last_direct_write = now;
    pr->out.take(writing);
    bool done = false;
    if (!write_some(done)) {
      schedule_io_flush();  // the I/O thread meets the error and closes
      return;
    }
    if (done) {
      recycle_written();
      return;
    }
    schedule_io_flush();  // the rest when the socket drains
  }

  void schedule_io_flush() {
    pr->write_scheduled = true;
    asio::post(eng.io, [self = shared_from_this()] { self->flush(); });
  }

  // The writer on the I/O thread: runs while `write_scheduled` is set.
  void flush() {
    for (;;) {
      if (closed) return;
      if (write_index >= writing.size()) {
        std::lock_guard lock(pr->mu);
        recycle_written();
        if (pr->conn.get() != this) return;
        pr->out.take(writing);
        if (writing.empty()) {
          pr->write_scheduled = false;
          return;
        }
      }
      bool done = false;
      if (!write_some(done)) {
        close(std::string("write failed: ") + std::strerror(errno));
        return;
      }
      if (!done) {
        sock.async_wait(tcp::socket::wait_write, [self = shared_from_this()](const asio::error_code& ec) {
          if (ec) {
            if (!self->closed) self->close("write failed: " + ec.message());
            return;
          }
          self->flush();
        });
        return;
      }
    }
  }

  // I/O thread only; never with the peer's mutex held.
  void close(const std::string& reason) {
    {
      std::lock_guard lock(pr->mu);
      if (closed) return;
      closed = true;
      asio::error_code ignored;
      sock.shutdown(tcp::socket::shutdown_both, ignored);
      sock.close(ignored);
    }
    ticker.cancel();
    eng.on_connection_closed(*this, reason);
  }

  bool process(std::span<const std::uint8_t> body, std::shared_ptr<const std::vector<std::uint8_t>> shared) {
    auto r = decoder.decode(body, std::move(shared));
    if (!r) {
      if (decoder.limit_exceeded()) {
        eng.log("frame from " + std::string(pr->name.name()) + " exceeds the limit: " + r.error() +
                "; closing that connection");
        close("reassembly limit exceeded");
      } else {
        eng.log("malformed frame from " + std::string(pr->name.name()) + " (" + r.error() +
                "); closing that connection");
        close("malformed frame");
      }
      return false;
    }
    if (*r) eng.dispatch(*this, std::move(**r));
    return !closed;
  }

  static asio::awaitable<void> read_loop(std::shared_ptr<connection> self) {
    auto& c = *self;
    const std::size_t max_frame = c.eng.opt().max_frame_size;
    for (;;) {
      bool delivered = false;
      while (!c.closed && c.rend - c.rpos >= 4) {
        auto& buf = *c.rbuf;
        std::uint32_t len = detail::load_u32(buf.data() + c.rpos);
        if (len == 0) {
          c.rpos += 4;
          c.on_peer_tick();
          continue;
        }
        if (len > max_frame) {
          c.eng.log("frame of " + std::to_string(len) + " bytes from " + std::string(c.pr->name.name()) +
                    " exceeds the limit of " + std::to_string(max_frame) + "; closing that connection");
          c.close("frame too large");
          co_return;
        }
        std::size_t have = c.rend - c.rpos - 4;
        if (have >= len) {
          std::span<const std::uint8_t> body(buf.data() + c.rpos + 4, len);
          c.rpos += 4 + len;
          if (!c.process(body, c.rbuf)) co_return;
          delivered = true;
          continue;
        }
        if (len >= own_buffer_threshold) {
          // A large frame gets a buffer of its own, read straight into.
          auto big = std::make_shared<std::vector<std::uint8_t>>(len);
          std::memcpy(big->data(), buf.data() + c.rpos + 4, have);
          c.rpos = c.rend = 0;
          auto [ec, n] = co_await asio::async_read(c.sock, asio::buffer(big->data() + have, len - have), nothrow_awaitable);
          if (ec) {
            c.close("connection closed");
            co_return;
          }
          c.last_read = clock_type::now();
          if (!c.process(*big, big)) co_return;
          continue;
        }
        break;  // wait for the rest of a small frame
      }
      if (c.closed) co_return;
      if (c.rbuf.use_count() > 1) {
        // Decoded binaries still point into this buffer: continue in a fresh one.
        auto fresh = std::make_shared<std::vector<std::uint8_t>>(read_buffer_size);
        std::memcpy(fresh->data(), c.rbuf->data() + c.rpos, c.rend - c.rpos);
        c.rend -= c.rpos;
        c.rpos = 0;
        c.rbuf = std::move(fresh);
      } else if (c.rpos == c.rend) {
        c.rpos = c.rend = 0;
      } else if (c.rbuf->size() - c.rend < own_buffer_threshold) {
        std::memmove(c.rbuf->data(), c.rbuf->data() + c.rpos, c.rend - c.rpos);
        c.rend -= c.rpos;
        c.rpos = 0;
      }
      // Starting the next read tries the socket at once (a system call that mostly finds it
      // empty). After frames were delivered, that try waits its turn in the queue: a worker
      // driving the I/O runs the processes just woken first (see io_driver::poll_ready).
      if (delivered) co_await asio::post(c.eng.io, asio::use_awaitable);
      if (c.closed) co_return;
      auto [ec, n] = co_await c.sock.async_read_some(
          asio::buffer(c.rbuf->data() + c.rend, c.rbuf->size() - c.rend), nothrow_awaitable);
      if (ec) {
        c.close(ec == asio::error::eof ? "connection closed" : "read failed: " + ec.message());
        co_return;
      }
      c.rend += n;
      c.last_read = clock_type::now();
    }
  }
};

}  // namespace

// =============================================================================================
// Sending
// =============================================================================================

void engine::impl::schedule_write_locked(peer& p) {
  if (p.write_scheduled || !p.conn) return;
  p.conn->write_from_sender();
}

template <class Encode>
void engine::impl::post_signal(atom node, Encode&& encode) {
  if (stopping.load(std::memory_order_relaxed) || !valid_peer_name(node)) return;
  auto p = get_peer(node);
  std::unique_lock lock(p->mu);
  switch (p->st) {
    case peer::state::up: {
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

// =============================================================================================
// Connection setup
// =============================================================================================

void engine::impl::start_outgoing(const std::shared_ptr<peer>& p) {
  if (stopping) return;
  if (p->attempt != 0) return;  // already dialling
  {
    std::lock_guard lock(p->mu);
    if (p->st == peer::state::up) return;
  }
  static std::atomic<std::uint64_t> attempts{1};
  p->attempt = attempts++;
  p->waiting_after_nok = false;
  asio::co_spawn(io, outgoing(p, p->attempt), asio::detached);
}

asio::awaitable<void> engine::impl::outgoing(std::shared_ptr<peer> p, std::uint64_t attempt) {
  const std::string node_text(p->name.name());
  auto split = split_node_name(node_text);
  auto current = [&] { return p->attempt == attempt && !stopping; };
  std::string why;
  auto sock = std::make_shared<tcp::socket>(io);
  p->attempt_socket = sock;
  // One deadline for the whole attempt: when it passes, whatever socket is in use is closed.
  auto deadline = std::make_shared<asio::steady_timer>(io, opt().setup_timeout);
  auto timed_out = std::make_shared<bool>(false);
  auto epmd_sock = std::make_shared<tcp::socket>(io);
  deadline->async_wait([sock, epmd_sock, timed_out](const asio::error_code& ec) {
    if (ec) return;
    *timed_out = true;
    asio::error_code ignored;
    sock->close(ignored);
    epmd_sock->close(ignored);
  });

  handshake h = handshake::initiator(handshake_config{});
  bool ok = false;
  do {
    if (!split) {
      why = split.error();
      break;
    }
    tcp::resolver resolver(io);
    auto [rec, endpoints] = co_await resolver.async_resolve(tcp::v4(), split->host, "", nothrow_awaitable);
    if (rec || endpoints.empty()) {
      why = "cannot resolve host '" + split->host + "'";
      break;
    }
    tcp::endpoint host_ep = endpoints.begin()->endpoint();
    // Port mapper lookup (PORT_PLEASE2) on the peer's host.
    auto [cec] = co_await epmd_sock->async_connect(tcp::endpoint(host_ep.address(), self.epmd_port_), nothrow_awaitable);
    if (cec) {
      why = "no port mapper on " + split->host + ":" + std::to_string(self.epmd_port_);
      break;
    }
    auto req = encode_port_please2_req(split->alive);
    auto [wec, wn] = co_await asio::async_write(*epmd_sock, asio::buffer(req), nothrow_awaitable);
    if (wec || wn != req.size()) {
      why = "the port mapper on " + split->host + " closed the connection";
      break;
    }
    bytes reply;
    std::uint8_t chunk[512];
    for (;;) {
      auto [e, n] = co_await epmd_sock->async_read_some(asio::buffer(chunk), nothrow_awaitable);
      reply.insert(reply.end(), chunk, chunk + n);
      if (e || reply.size() > 4096) break;
    }
    asio::error_code ignored;
    epmd_sock->close(ignored);
    auto info = decode_port2_resp(reply);
    if (!info) {
      why = *timed_out ? "timed out asking the port mapper" : "the port mapper on " + split->host + " does not know '" + split->alive + "'";
      break;
    }
    if (info->highest_version < 6) {
      why = "it speaks only distribution version " + std::to_string(info->highest_version);
      break;
    }
    if (!current()) co_return;
    auto [ec] = co_await sock->async_connect(tcp::endpoint(host_ep.address(), info->port), nothrow_awaitable);
    if (ec) {
      why = "cannot connect to port " + std::to_string(info->port) + ": " + ec.message();
      break;
    }
    sock->set_option(tcp::no_delay(true), ignored);
    handshake_config cfg;
    cfg.this_node = std::string(self.name_.name());
    cfg.cookie = self.cookie_;
    cfg.flags = opt().flags | (opt().hidden ? 0 : dflag::published);
    if (opt().hidden) cfg.flags &= ~dflag::published;
    cfg.creation = self.creation_;
    cfg.peer_node = node_text;
    h = handshake::initiator(cfg);
    bool io_failed = false;
    while (!io_failed) {
      if (h.has_output()) {
        auto out = h.take_output();
        auto [e, n] = co_await asio::async_write(*sock, asio::buffer(out), nothrow_awaitable);
        if (e) io_failed = true;
      }
      if (h.current() == handshake::state::done || h.current() == handshake::state::failed || io_failed) break;
      if (h.current() == handshake::state::need_alive_answer) {
        h.answer_alive(true);  // we are dialling, so the peer's old connection is stale
        continue;
      }
      std::uint8_t len[2];
      auto [e1, n1] = co_await asio::async_read(*sock, asio::buffer(len), nothrow_awaitable);
      if (e1) break;
      bytes body(detail::load_u16(len));
      auto [e2, n2] = co_await asio::async_read(*sock, asio::buffer(body), nothrow_awaitable);
      if (e2) break;
      h.receive(std::span<const std::uint8_t>(len, 2));
      h.receive(body);
    }
    if (!current()) co_return;  // superseded by an accepted connection
    if (h.current() == handshake::state::done) {
      ok = true;
      break;
    }
    if (h.current() == handshake::state::failed) {
      if (h.status() == handshake_status::nok) {
        // Simultaneous connect and the peer's own attempt wins: it will dial us.
        p->waiting_after_nok = true;
        p->attempt = 0;
        p->attempt_socket.reset();
        auto wait = std::make_shared<asio::steady_timer>(io, opt().setup_timeout);
        wait->async_wait([this, p, wait](const asio::error_code& e) {
          if (e || !p->waiting_after_nok) return;
          p->waiting_after_nok = false;
          fail_peer(p, "simultaneous connect ended without a connection", false);
        });
        deadline->cancel();
        co_return;
      }
      why = h.failure_reason();
      if (h.refused_peer()) why = "refused: " + why;
    } else {
      why = *timed_out ? "handshake timed out" : "connection closed during the handshake";
    }
  } while (false);

  deadline->cancel();
  if (!current()) co_return;
  p->attempt = 0;
  p->attempt_socket.reset();
  if (ok) {
    install(p, std::move(*sock), h);
    co_return;
  }
  if (*timed_out && why.empty()) why = "timed out";
  log("cannot connect to " + node_text + ": " + why);
  fail_peer(p, why, false);
}

asio::awaitable<void> engine::impl::accept_loop() {
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(nothrow_awaitable);
    if (ec) {
      if (!acceptor.is_open() || stopping) co_return;
      continue;
    }
    asio::co_spawn(io, inbound(std::move(sock)), asio::detached);
  }
}

handshake_status engine::impl::decide_status(const std::shared_ptr<peer>& p, bool& claimed) {
  claimed = false;
  if (p->name == self.name_) return handshake_status::not_allowed;
  std::unique_lock lock(p->mu);
  if (p->st == peer::state::up) return handshake_status::alive;
  auto status = handshake_status::ok;
  if (p->st == peer::state::connecting && p->attempt != 0) {
    // Both sides dial at once: the connection started by the greater name wins.
    if (compare(self.name_, p->name) > 0) return handshake_status::nok;
    status = handshake_status::ok_simultaneous;
  }
  if (p->st == peer::state::idle) p->st = peer::state::connecting;  // senders queue meanwhile
  lock.unlock();
  if (status == handshake_status::ok_simultaneous) {
    p->attempt = 0;  // our own attempt is abandoned
    if (p->attempt_socket) {
      asio::error_code ignored;
      p->attempt_socket->close(ignored);
      p->attempt_socket.reset();
    }
  }
  claimed = true;  // this handshake now decides the peer's fate
  p->inbound_pending = true;
  p->waiting_after_nok = false;
  return status;
}

asio::awaitable<void> engine::impl::inbound(tcp::socket accepted) {
  auto shared_sock = std::make_shared<tcp::socket>(std::move(accepted));
  auto& sock = *shared_sock;
  asio::error_code ignored;
  sock.set_option(tcp::no_delay(true), ignored);
  handshake_config cfg;
  cfg.this_node = std::string(self.name_.name());
  cfg.cookie = self.cookie_;
  cfg.flags = opt().flags;
  if (opt().hidden) cfg.flags &= ~dflag::published;
  cfg.creation = self.creation_;
  handshake h = handshake::acceptor(cfg);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer deadline(io, opt().setup_timeout);
  deadline.async_wait([shared_sock, timed_out](const asio::error_code& ec) {
    if (ec) return;
    *timed_out = true;
    asio::error_code e;
    shared_sock->close(e);
  });
  std::shared_ptr<peer> p;
  bool claimed = false;  // we moved the peer to connecting for this handshake
  bool alive_replaced = false;
  for (;;) {
    if (h.has_output()) {
      auto out = h.take_output();
      auto [e, n] = co_await asio::async_write(sock, asio::buffer(out), nothrow_awaitable);
      if (e) break;
    }
    auto st = h.current();
    if (st == handshake::state::done || st == handshake::state::failed) break;
    if (st == handshake::state::need_status) {
      auto name = atom::try_make(h.peer_node());
      if (!name) {
        h.answer_status(handshake_status::not_allowed);
        continue;
      }
      p = get_peer(*name);
      auto status = decide_status(p, claimed);
      alive_replaced = status == handshake_status::alive;
      h.answer_status(status);
      continue;
    }
    std::uint8_t len[2];
    auto [e1, n1] = co_await asio::async_read(sock, asio::buffer(len), nothrow_awaitable);
    if (e1) break;
    bytes body(detail::load_u16(len));
    auto [e2, n2] = co_await asio::async_read(sock, asio::buffer(body), nothrow_awaitable);
    if (e2) break;
    h.receive(std::span<const std::uint8_t>(len, 2));
    h.receive(body);
  }
  deadline.cancel();
  if (stopping) co_return;
  std::string peer_name = h.peer_node().empty() ? "an unknown node" : h.peer_node();
  if (h.current() == handshake::state::done && p) {
    if (alive_replaced) {
      // The peer restarted: its old connection is dead even if TCP has not noticed.
      std::shared_ptr<connection> old;
      {
        std::lock_guard lock(p->mu);
        old = p->conn;
      }
      if (old) old->close("replaced by a new connection from the same node");
    }
    install(p, std::move(sock), h);
    co_return;
  }
  if (h.current() == handshake::state::failed) {
    if (h.refused_peer())
      log("refused connection from " + peer_name + ": " + h.failure_reason());
  } else {
    log("connection attempt from " + peer_name + " ended: " +
        (*timed_out ? std::string("handshake timed out") : std::string("closed during the handshake")));
  }
  if (p && claimed) fail_peer(p, "handshake failed", false);
}

void engine::impl::install(const std::shared_ptr<peer>& p, tcp::socket sock, handshake& h) {
  auto c = std::make_shared<connection>(*this, p, std::move(sock), h.agreed_flags());
  std::shared_ptr<const etf::closure_rewriter> rewriter;
  {
    std::lock_guard lock(callbacks_mu);
    if (closure_rewriters) rewriter = closure_rewriters(p->name, h.peer_creation());
  }
  bool raced = false;
  {
    std::lock_guard lock(p->mu);
    if (p->st == peer::state::up && p->conn) {
      raced = true;
    } else {
      p->st = peer::state::up;
      p->flags = h.agreed_flags();
      p->hidden = !(h.peer_flags() & dflag::published);
      p->conn = c;
      p->write_scheduled = false;
      p->out.clear();
      p->out.configure(p->flags, opt().fragment_size);
      p->out.set_closure_rewriter(std::move(rewriter));
      for (auto& d : p->deferred) p->out.add([&](bytes& out) { return d(out, p->flags); });
      p->deferred.clear();
      if (!p->out.empty()) schedule_write_locked(*p);
    }
  }
  if (raced) {
    asio::error_code ignored;
    c->closed = true;
    c->sock.close(ignored);
    return;
  }
  p->attempt = 0;
  p->attempt_socket.reset();
  p->waiting_after_nok = false;
  p->inbound_pending = false;
  c->start(h.take_leftover());
  auto waiters = std::move(p->connect_waiters);
  p->connect_waiters.clear();
  for (auto& w : waiters) w(true);
  notify_node(p->name, true, atoms::ok);
}

void engine::impl::on_connection_closed(connection& c, const std::string& reason) {
  auto p = c.pr;
  {
    std::lock_guard lock(p->mu);
    if (p->conn.get() != &c) return;
  }
  if (!stopping) log("connection to " + std::string(p->name.name()) + " lost: " + reason);
  fail_peer(p, reason, true);
}

void engine::impl::fail_peer(const std::shared_ptr<peer>& p, const std::string& reason, bool was_up) {
  std::shared_ptr<connection> old;
  {
    std::lock_guard lock(p->mu);
    old = std::move(p->conn);
    p->conn.reset();
    p->st = peer::state::idle;
    p->deferred.clear();
    p->out.clear();
    p->write_scheduled = false;
    if (old && !old->closed) {
      old->closed = true;
      asio::error_code ignored;
      old->sock.close(ignored);
    }
  }
  p->attempt = 0;
  p->attempt_socket.reset();
  p->waiting_after_nok = false;
  p->inbound_pending = false;
  if (old) old->ticker.cancel();
  if (stopping) return;
  auto waiters = std::move(p->connect_waiters);
  p->connect_waiters.clear();
  for (auto& w : waiters) w(false);
  // Links and monitors across the connection break with noconnection.
  if (sink) sink->node_down(p->name);
  // One-shot node monitors fire whether the node was up or could not be reached.
  auto monitors = std::move(p->node_monitors);
  p->node_monitors.clear();
  if (sink)
    for (auto& w : monitors) sink->deliver(w, tuple_of(atoms::nodedown, p->name));
  // Pending pings to the node fail (the runtime answers spawn requests on node_down).
  for (auto it = pings.begin(); it != pings.end();) {
    if (it->second.node == p->name) {
      auto done = std::move(it->second.done);
      it->second.timer->cancel();
      it = pings.erase(it);
      done(atoms::pang);
    } else {
      ++it;
    }
  }
  if (was_up) {
    atom why("connection_closed");
    if (reason.find("net_tick_timeout") != std::string::npos) why = atom("net_tick_timeout");
    else if (reason == "disconnect") why = atom("disconnect");
    notify_node(p->name, false, why);
  }
}

void engine::impl::notify_node(atom node, bool up, const term& reason) {
  if (sink)
    for (auto& w : node_subscribers) sink->deliver(w, tuple_of(up ? atoms::nodeup : atoms::nodedown, node));
  std::vector<std::function<void(const node_event&)>> obs;
  {
    std::lock_guard lock(callbacks_mu);
    for (auto& [id, f] : observers) obs.push_back(f);
  }
  node_event ev{node, up, reason};
  for (auto& f : obs) f(ev);
}

// =============================================================================================
// Arriving signals
// =============================================================================================

void engine::impl::dispatch(connection& c, control_signal&& s) {
  const auto& p = c.pr;
  std::visit(
      [&](auto&& sig) {
        using T = std::decay_t<decltype(sig)>;
        if constexpr (std::is_same_v<T, signal::send>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sig.to.id == 0 && sig.to.serial == 0) {
            // The engine's own pid: replies to its gen_calls (net_kernel answers the
            // caller's pid rather than the alias in the tag).
            const term& m = sig.message;
            if (m.is_tuple() && m.tuple_size() == 2) {
              const term& tag = m[0];
              if (tag.is_reference()) return finish_ping(tag.reference_value(), m[1]);
              if (tag.is_list() && !tag.is_nil() && tag.list_tail().is_reference())
                return finish_ping(tag.list_tail().reference_value(), m[1]);
            }
            return;
          }
          if (sink) sink->deliver(sig.to, std::move(sig.message));
        } else if constexpr (std::is_same_v<T, signal::reg_send>) {
          if (sig.name == atoms::net_kernel) return handle_net_kernel(p, sig.message);
          if (sink) sink->deliver_named(sig.name, std::move(sig.message));
        } else if constexpr (std::is_same_v<T, signal::alias_send>) {
          if (pings.count(ref_key(sig.alias))) {
            const term& m = sig.message;
            return finish_ping(sig.alias, m.is_tuple() && m.tuple_size() == 2 ? m[1] : term());
          }
          if (sink) sink->deliver_alias(sig.alias, std::move(sig.message));
        } else if constexpr (std::is_same_v<T, signal::link>) {
          if (!is_local(sig.to)) return;
          if (stale(sig.to)) {
            // A pid of an earlier incarnation: it is dead, say so as a dead process would.
            post_signal(p->name, [from = sig.to, to = sig.from](bytes& out, std::uint64_t f) {
              return encode::exit(out, f, from, to, atoms::noproc, false);
            });
            return;
          }
          if (sink) sink->link(sig.from, sig.to);
        } else if constexpr (std::is_same_v<T, signal::unlink>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink) sink->unlink(sig.from, sig.to, sig.id);
        } else if constexpr (std::is_same_v<T, signal::unlink_ack>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink) sink->unlink_ack(sig.from, sig.to, sig.id);
        } else if constexpr (std::is_same_v<T, signal::exit>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink) sink->exit(sig.from, sig.to, std::move(sig.reason), sig.is_exit2);
        } else if constexpr (std::is_same_v<T, signal::monitor>) {
          // net_kernel is the engine itself: it exists for as long as the connection does.
          if (sig.target.is_atom(atoms::net_kernel)) return;
          if (sig.target.is_pid() && (!is_local(sig.target.pid_value()) || stale(sig.target.pid_value()))) {
            post_signal(p->name, [target = sig.target, watcher = sig.watcher, ref = sig.ref](bytes& out, std::uint64_t f) {
              return encode::monitor_exit(out, f, target, watcher, ref, atoms::noproc);
            });
            return;
          }
          if (sink) sink->monitor(sig.watcher, sig.target, sig.ref);
        } else if constexpr (std::is_same_v<T, signal::demonitor>) {
          if (sig.target.is_atom(atoms::net_kernel)) return;
          if (sink) sink->demonitor(sig.watcher, sig.target, sig.ref);
        } else if constexpr (std::is_same_v<T, signal::monitor_exit>) {
          if (!is_local(sig.watcher) || stale(sig.watcher)) return;
          term target = sig.target.is_atom() ? tuple_of(sig.target, p->name) : sig.target;
          if (sink) sink->monitor_down(sig.watcher, target, sig.ref, std::move(sig.reason));
        } else if constexpr (std::is_same_v<T, signal::group_leader>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink) sink->group_leader(sig.leader, sig.to, sig.leader);
        } else if constexpr (std::is_same_v<T, signal::spawn_request>) {
          handle_spawn_request(std::move(sig));
        } else if constexpr (std::is_same_v<T, signal::spawn_reply>) {
          if (!is_local(sig.to) || stale(sig.to)) return;
          if (sink)
            sink->spawn_reply(sig.to, sig.req_id, std::move(sig.result), (sig.flags & spawn_reply_link) != 0,
                              (sig.flags & spawn_reply_monitor) != 0);
        } else {
          // NODE_LINK: nothing to do.
        }
      },
      std::move(s));
}

void engine::impl::handle_net_kernel(const std::shared_ptr<peer>& p, const term& msg) {
  // {'$gen_call', {From, Tag}, {is_auth, Node}} -> {Tag, yes}, to the alias when Tag is
  // [alias|Ref] (OTP 24+), else to From.
  if (!msg.is_tagged_tuple(atoms::gen_call, 3)) return;
  const term& from_tag = msg[1];
  const term& request = msg[2];
  if (!from_tag.is_tuple() || from_tag.tuple_size() != 2 || !from_tag[0].is_pid()) return;
  if (!request.is_tagged_tuple(atoms::is_auth, 2)) return;
  pid from = from_tag[0].pid_value();
  term tag = from_tag[1];
  term reply = tuple_of(tag, atoms::yes);
  std::optional<reference> alias;
  if (tag.is_list() && !tag.is_nil() && tag.list_elements().size() == 1 && tag.list_elements()[0].is_atom(atoms::alias) &&
      tag.list_tail().is_reference())
    alias = tag.list_tail().reference_value();
  pid me = engine_pid();
  if (alias) {
    post_signal(p->name, [me, a = *alias, reply](bytes& out, std::uint64_t) { return encode::alias_send(out, me, a, reply); });
  } else {
    post_signal(p->name, [me, from, reply](bytes& out, std::uint64_t f) { return encode::send(out, f, me, from, reply); });
  }
}

void engine::impl::handle_spawn_request(signal::spawn_request&& r) {
  remote_spawn_request req;
  req.req_id = r.req_id;
  req.from = r.from;
  req.group_leader = r.group_leader;
  req.module = r.module;
  req.function = r.function;
  req.args = std::move(r.args);
  req.opts = r.opts;
  for (const term& o : r.opts.list_elements()) {
    if (o.is_atom(atoms::link)) req.link = true;
    if (o.is_atom(atoms::monitor)) req.monitor = true;
  }
  if (sink) sink->spawn_request(std::move(req));
  else self.spawn_reply(req.from, req.req_id, atom("notsup"), false, false);
}

// =============================================================================================
// engine: public API
// =============================================================================================

engine::engine(engine_options options) : options_(std::move(options)), impl_(std::make_unique<impl>(*this)) {}

engine::~engine() { stop(); }

void engine::set_remote_signals(remote_signals* sink) { impl_->sink = sink; }
void engine::set_reference_factory(std::function<reference()> make_ref) { impl_->make_ref_fn = std::move(make_ref); }

io_poller& engine::poller() noexcept { return impl_->driver; }

bool engine::runs_embedded_epmd() const noexcept { return impl_->epmd != nullptr; }

result<success> engine::start() {
  auto& m = *impl_;
  if (m.thread.joinable()) return failure{"already started"};
  auto nn = make_node_name(options_.name, options_.names);
  if (!nn) return failure{nn.error()};
  auto node_atom = atom::try_make(nn->full());
  if (!node_atom) return failure{"invalid node name '" + nn->full() + "'"};
  name_ = *node_atom;
  if (options_.cookie) {
    cookie_ = *options_.cookie;
  } else {
    auto c = default_cookie();
    if (!c) return failure{c.error()};
    cookie_ = *c;
  }
  epmd_port_ = options_.epmd_port.value_or(epmd_port_from_env());

  // Listen first: the port goes into the registration.
  asio::error_code ec;
  auto address = asio::ip::make_address(options_.listen_address, ec);
  if (ec) return failure{"bad listen address '" + options_.listen_address + "'"};
  tcp::endpoint ep(address, options_.listen_port);
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failure{"cannot listen on port " + std::to_string(options_.listen_port) + ": " + ec.message()};
  port_ = m.acceptor.local_endpoint().port();

  // Register with the port mapper, starting the embedded one when nobody answers.
  epmd_address at{"127.0.0.1", epmd_port_, std::chrono::milliseconds(3000)};
  epmd_node me{nn->alive, port_, static_cast<std::uint8_t>(options_.hidden ? 72 : 77), 0, 6, 6, ""};
  auto reg = epmd_registration::register_node(at, me);
  if (!reg && options_.embedded_epmd && !epmd_reachable(at)) {
    epmd_server_options so;
    so.bind_address = options_.listen_address;
    so.port = epmd_port_;
    so.log = options_.log;
    so.quiet = true;
    auto server = epmd_server::start(so);
    if (server) m.epmd = std::move(server.value());
    // If another process won the race to the port, its port mapper serves us just as well.
    reg = epmd_registration::register_node(at, me);
  }
  if (!reg) {
    m.acceptor.close(ec);
    m.epmd.reset();
    return failure{"cannot register '" + nn->alive + "' with the port mapper on port " +
                   std::to_string(epmd_port_) + ": " + reg.error()};
  }
  creation_ = reg->creation();
  m.registration.emplace(std::move(reg.value()));

  m.work.emplace(m.io.get_executor());
  asio::co_spawn(m.io, m.accept_loop(), asio::detached);
  std::promise<void> running;
  m.thread = std::thread([&m, &running] {
    running.set_value();
    m.driver.run_io_thread();
  });
  running.get_future().wait();
  return success{};
}

void engine::stop() {
  auto& m = *impl_;
  if (!m.thread.joinable()) {
    m.registration.reset();
    m.epmd.reset();
    return;
  }
  m.stopping = true;
  m.driver.stop_polling();
  asio::post(m.io, [&m] {
    asio::error_code ignored;
    m.acceptor.close(ignored);
    std::vector<std::shared_ptr<peer>> all;
    {
      std::shared_lock lock(m.peers_mu);
      for (auto& [n, p] : m.peers) all.push_back(p);
    }
    for (auto& p : all) {
      std::shared_ptr<connection> c;
      {
        std::lock_guard lock(p->mu);
        c = p->conn;
        p->st = peer::state::idle;
        p->out.clear();
        p->deferred.clear();
      }
      if (c) c->close("node stopping");
      if (p->attempt_socket) p->attempt_socket->close(ignored);
      for (auto& w : p->connect_waiters) w(false);
      p->connect_waiters.clear();
    }
    for (auto& [k, ping] : m.pings) {
      ping.timer->cancel();
      ping.done(atoms::pang);
    }
    m.pings.clear();
    m.work.reset();
    m.io.stop();  // timers still pending (setup deadlines) are dropped, not waited for
  });
  m.thread.join();
  // Let aborted operations finish (they see `stopping` and do nothing more).
  {
    std::lock_guard lk(m.driver.drive_mu);
    driving_scope scope(&m);
    m.io.restart();
    m.io.poll();
  }
  {
    std::unique_lock lock(m.peers_mu);
    m.peers.clear();
  }
  m.registration.reset();
  m.epmd.reset();
}

bool engine::connect(atom node) {
  if (impl_->on_io_thread()) {  // blocking here would wait for ourselves
    impl_->log("connect() called from an engine callback; use connect_async()");
    return is_connected(node);
  }
  std::promise<bool> done;
  auto f = done.get_future();
  connect_async(node, [&done](bool ok) { done.set_value(ok); });
  return f.get();
}

void engine::connect_async(atom node, std::function<void(bool)> done) {
  auto& m = *impl_;
  if (node == name_) return done(true);
  if (!valid_peer_name(node) || m.stopping || !m.thread.joinable()) return done(false);
  auto p = m.get_peer(node);
  asio::post(m.io, [&m, p, done = std::move(done)]() mutable {
    if (m.stopping) return done(false);
    bool up = false, start = false;
    {
      std::lock_guard lock(p->mu);
      if (p->st == peer::state::up) {
        up = true;
      } else {
        if (p->st == peer::state::idle) p->st = peer::state::connecting;
        start = p->attempt == 0 && !p->waiting_after_nok && !p->inbound_pending;
      }
    }
    if (up) return done(true);
    p->connect_waiters.push_back(std::move(done));
    if (start) m.start_outgoing(p);
  });
}

atom engine::ping(atom node, std::chrono::milliseconds timeout) {
  if (impl_->on_io_thread()) {  // blocking here would wait for ourselves
    impl_->log("ping() called from an engine callback; use ping_async()");
    return is_connected(node) ? atoms::pong : atoms::pang;
  }
  std::promise<atom> done;
  auto f = done.get_future();
  ping_async(node, timeout, [&done](atom a) { done.set_value(a); });
  return f.get();
}

void engine::ping_async(atom node, std::chrono::milliseconds timeout, std::function<void(atom)> done) {
  auto& m = *impl_;
  if (node == name_) return done(atoms::pong);
  if (!valid_peer_name(node) || m.stopping || !m.thread.joinable()) return done(atoms::pang);
  asio::post(m.io, [this, &m, node, timeout, done = std::move(done)]() mutable {
    if (m.stopping) return done(atoms::pang);
    reference ref = m.make_ref();
    auto timer = std::make_shared<asio::steady_timer>(m.io, timeout);
    m.pings.emplace(ref_key(ref), impl::pending_ping{node, std::move(done), timer});
    timer->async_wait([&m, ref](const asio::error_code& ec) {
      if (ec) return;
      auto it = m.pings.find(ref_key(ref));
      if (it == m.pings.end()) return;
      auto d = std::move(it->second.done);
      m.pings.erase(it);
      d(atoms::pang);
    });
    pid me = m.engine_pid();
    term tag = term::list({atoms::alias}, term(ref));
    term call = tuple_of(atoms::gen_call, tuple_of(me, tag), tuple_of(atoms::is_auth, name_));
    m.post_signal(node, [me, call](bytes& out, std::uint64_t) { return encode::reg_send(out, me, atoms::net_kernel, call); });
  });
}

bool engine::disconnect(atom node) {
  auto& m = *impl_;
  auto p = m.find_peer(node);
  if (!p) return false;
  {
    std::lock_guard lock(p->mu);
    if (p->st != peer::state::up) return false;
  }
  asio::post(m.io, [p] {
    std::shared_ptr<connection> c;
    {
      std::lock_guard lock(p->mu);
      c = p->conn;
    }
    if (c) c->close("disconnect");
  });
  return true;
}

std::vector<atom> engine::nodes(bool include_hidden) const {
  std::vector<atom> out;
  std::shared_lock lock(impl_->peers_mu);
  for (auto& [n, p] : impl_->peers) {
    std::lock_guard plock(p->mu);
    if (p->st == peer::state::up && (include_hidden || !p->hidden)) out.push_back(n);
  }
  return out;
}

bool engine::is_connected(atom node) const {
  auto p = impl_->find_peer(node);
  if (!p) return false;
  std::lock_guard lock(p->mu);
  return p->st == peer::state::up;
}

void engine::monitor_node(const pid& watcher, atom node, bool on) {
  auto& m = *impl_;
  if (m.stopping || !m.thread.joinable()) return;
  if (!valid_peer_name(node) || node == name_) {
    if (on && node != name_ && m.sink) m.sink->deliver(watcher, tuple_of(atoms::nodedown, node));
    return;
  }
  auto p = m.get_peer(node);
  asio::post(m.io, [&m, p, watcher, on] {
    if (!on) {
      auto& v = p->node_monitors;
      if (auto it = std::find(v.begin(), v.end(), watcher); it != v.end()) v.erase(it);
      return;
    }
    p->node_monitors.push_back(watcher);
    // Like erlang:monitor_node/2: try to connect; failure fires the monitor.
    bool idle = false;
    {
      std::lock_guard lock(p->mu);
      if (p->st == peer::state::idle) {
        p->st = peer::state::connecting;
        idle = true;
      }
    }
    if (idle || (p->attempt == 0 && !p->waiting_after_nok && !p->inbound_pending && !m.is_up(*p)))
      m.start_outgoing(p);
  });
}

void engine::monitor_nodes(const pid& watcher, bool on) {
  auto& m = *impl_;
  asio::post(m.io, [&m, watcher, on] {
    auto& v = m.node_subscribers;
    auto it = std::find(v.begin(), v.end(), watcher);
    if (on && it == v.end()) v.push_back(watcher);
    if (!on && it != v.end()) v.erase(it);
  });
}

std::uint64_t engine::on_node_event(std::function<void(const node_event&)> observer) {
  std::lock_guard lock(impl_->callbacks_mu);
  auto id = impl_->next_observer++;
  impl_->observers.emplace(id, std::move(observer));
  return id;
}

void engine::remove_node_observer(std::uint64_t id) {
  std::lock_guard lock(impl_->callbacks_mu);
  impl_->observers.erase(id);
}

void engine::set_closure_rewriter_factory(closure_rewriter_factory factory) {
  std::lock_guard lock(impl_->callbacks_mu);
  impl_->closure_rewriters = std::move(factory);
}

void engine::spawn_reply(const pid& to, const reference& req_id, term result, bool link, bool monitor) {
  std::uint32_t flags = 0;
  if (result.is_pid()) {
    if (link) flags |= spawn_reply_link;
    if (monitor) flags |= spawn_reply_monitor;
  }
  impl_->post_signal(to.node, [req_id, to, flags, r = std::move(result)](bytes& out, std::uint64_t) {
    return encode::spawn_reply(out, req_id, to, flags, r);
  });
}

void engine::spawn_request(atom node, const remote_spawn_request& r) {
  auto& m = *impl_;
  if (!valid_peer_name(node) || node == name_ || m.stopping) {
    // Answered as a lost connection would be (this node's own name is the caller's mistake).
    if (m.sink) m.sink->spawn_reply(r.from, r.req_id, node == name_ ? atoms::badarg : atoms::noconnection, false, false);
    return;
  }
  m.post_signal(node, [req = r.req_id, from = r.from, gl = r.group_leader, module = r.module, function = r.function,
                       args = r.args, opts = r.opts](bytes& out, std::uint64_t) {
    return encode::spawn_request(out, req, from, gl, module, function, args, opts);
  });
}

// ---- otpp::distribution -----------------------------------------------------------------------

void engine::send(const pid& from, const pid& to, term msg) {
  if (to.node == name_) {
    if (impl_->sink) impl_->sink->deliver(to, std::move(msg));
    return;
  }
  impl_->post_signal(to.node, [from, to, msg = std::move(msg)](bytes& out, std::uint64_t f) {
    return encode::send(out, f, from, to, msg);
  });
}

void engine::send_named(const pid& from, atom name, atom node, term msg) {
  if (node == name_) {
    if (impl_->sink) impl_->sink->deliver_named(name, std::move(msg));
    return;
  }
  impl_->post_signal(node, [from, name, msg = std::move(msg)](bytes& out, std::uint64_t) {
    return encode::reg_send(out, from, name, msg);
  });
}

void engine::send_alias(const pid& from, const reference& alias, term msg) {
  if (alias.node == name_) {
    if (impl_->sink) impl_->sink->deliver_alias(alias, std::move(msg));
    return;
  }
  impl_->post_signal(alias.node, [from, alias, msg = std::move(msg)](bytes& out, std::uint64_t) {
    return encode::alias_send(out, from, alias, msg);
  });
}

void engine::link(const pid& from, const pid& to) {
  impl_->post_signal(to.node, [from, to](bytes& out, std::uint64_t) { return encode::link(out, from, to); });
}

void engine::unlink(const pid& from, const pid& to, std::uint64_t id) {
  impl_->post_signal(to.node, [from, to, id](bytes& out, std::uint64_t f) { return encode::unlink(out, f, from, to, id); });
}

void engine::unlink_ack(const pid& from, const pid& to, std::uint64_t id) {
  impl_->post_signal(to.node, [from, to, id](bytes& out, std::uint64_t) { return encode::unlink_ack(out, from, to, id); });
}

void engine::exit(const pid& from, const pid& to, term reason, bool is_exit2) {
  impl_->post_signal(to.node, [from, to, reason = std::move(reason), is_exit2](bytes& out, std::uint64_t f) {
    return encode::exit(out, f, from, to, reason, is_exit2);
  });
}

void engine::monitor(const pid& watcher, const term& target, atom node, const reference& ref) {
  impl_->post_signal(node, [watcher, target, ref](bytes& out, std::uint64_t) { return encode::monitor(out, watcher, target, ref); });
}

void engine::demonitor(const pid& watcher, const term& target, atom node, const reference& ref) {
  impl_->post_signal(node, [watcher, target, ref](bytes& out, std::uint64_t) { return encode::demonitor(out, watcher, target, ref); });
}

void engine::monitor_exit(const term& target, const pid& watcher, const reference& ref, term reason) {
  impl_->post_signal(watcher.node, [target, watcher, ref, reason = std::move(reason)](bytes& out, std::uint64_t f) {
    return encode::monitor_exit(out, f, target, watcher, ref, reason);
  });
}

void engine::group_leader(const pid& /*from*/, const pid& to, const pid& leader) {
  impl_->post_signal(to.node, [to, leader](bytes& out, std::uint64_t) { return encode::group_leader(out, leader, to); });
}

}  // namespace otpp::dist
