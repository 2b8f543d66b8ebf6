// One connection's life: setting it up (initiator and acceptor, simultaneous connects
// resolved as net_kernel does), installing it on its peer, then reading frames, writing the
// peer's queue and ticking until it closes.
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "engine_impl.hpp"

namespace otpp::dist {

// =============================================================================================
// Setup
// =============================================================================================

namespace {

// The distribution handshake's messages. On TCP each has a 2-byte length; inside TLS a
// 4-byte one, as inet_tls_dist frames them ({packet, 4} from the first message on), so the
// handshake's 2-byte frames are re-framed on the way out and in.
asio::awaitable<bool> setup_write(tcp::socket& sock, detail::tls_session* tls, std::span<const std::uint8_t> data) {
  if (tls) {
    bytes framed;
    for (std::size_t at = 0; at + 2 <= data.size();) {
      std::size_t n = detail::load_u16(data.data() + at);
      detail::put_u32(framed, static_cast<std::uint32_t>(n));
      framed.insert(framed.end(), data.begin() + at + 2, data.begin() + std::min(data.size(), at + 2 + n));
      at += 2 + n;
    }
    co_return co_await tls->write_all(sock, framed);
  }
  auto [e, n] = co_await asio::async_write(sock, asio::buffer(data.data(), data.size()), nothrow_awaitable);
  co_return !e;
}

// A handshake message's length, as the handshake parser wants it (2 bytes).
asio::awaitable<bool> setup_read_length(tcp::socket& sock, detail::tls_session* tls, std::uint8_t (&len)[2]) {
  if (!tls) {
    auto [e, n] = co_await asio::async_read(sock, asio::buffer(len), nothrow_awaitable);
    co_return !e;
  }
  std::uint8_t len4[4];
  if (!co_await tls->read_exact(sock, len4)) co_return false;
  std::uint32_t n = detail::load_u32(len4);
  if (n > 0xffff) co_return false;  // no handshake message is that long
  len[0] = static_cast<std::uint8_t>(n >> 8);
  len[1] = static_cast<std::uint8_t>(n);
  co_return true;
}

asio::awaitable<bool> setup_read(tcp::socket& sock, detail::tls_session* tls, std::span<std::uint8_t> into) {
  if (tls) co_return co_await tls->read_exact(sock, into);
  auto [e, n] = co_await asio::async_read(sock, asio::buffer(into.data(), into.size()), nothrow_awaitable);
  co_return !e;
}

// A TLS record starts with its content type (22 handshake, 21 alert) and major version 3;
// a plain distribution handshake starts with a 2-byte length, never that large.
bool looks_like_tls(const std::uint8_t* b, std::size_t n) {
  return n >= 2 && (b[0] == 0x16 || b[0] == 0x15) && b[1] == 0x03;
}

std::string endpoint_text(const tcp::socket& sock) {
  asio::error_code ec;
  auto ep = sock.remote_endpoint(ec);
  return ec ? std::string("an unknown address") : ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

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
  std::unique_ptr<detail::tls_session> tls_session;
  bool ok = false;
  bool peer_speaks_tls = false;
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
    if (tls) {
      sock->native_non_blocking(true, ignored);
      tls_session = std::make_unique<detail::tls_session>(*tls, sock->native_handle(), false);
      auto shaken = co_await tls_session->handshake(*sock);
      if (!current()) co_return;
      if (!shaken) {
        why = *timed_out ? "TLS handshake timed out" : "TLS handshake failed: " + shaken.error();
        if (*timed_out || shaken.error() == "the peer closed the connection" ||
            shaken.error().find("reset by peer") != std::string::npos)
          why += " (does it run plain TCP distribution? this node runs TLS distribution, inet_tls)";
        break;
      }
    }
    handshake_config cfg;
    cfg.this_node = std::string(self.name_.name());
    cfg.cookie = self.cookie_;
    cfg.flags = opt().flags | (opt().hidden ? 0 : dflag::published);
    if (opt().hidden) cfg.flags &= ~dflag::published;
    cfg.creation = self.creation_;
    cfg.peer_node = node_text;
    h = handshake::initiator(cfg);
    bool io_failed = false;
    bool first_read = true;
    while (!io_failed) {
      if (h.has_output()) {
        auto out = h.take_output();
        if (!co_await setup_write(*sock, tls_session.get(), out)) io_failed = true;
      }
      if (h.current() == handshake::state::done || h.current() == handshake::state::failed || io_failed) break;
      if (h.current() == handshake::state::need_alive_answer) {
        h.answer_alive(true);  // we are dialling, so the peer's old connection is stale
        continue;
      }
      std::uint8_t len[2];
      if (!co_await setup_read_length(*sock, tls_session.get(), len)) break;
      if (first_read && !tls_session && looks_like_tls(len, 2)) {
        peer_speaks_tls = true;  // a TLS alert answering our plain handshake
        break;
      }
      first_read = false;
      bytes body(detail::load_u16(len));
      if (!co_await setup_read(*sock, tls_session.get(), body)) break;
      h.receive(std::span<const std::uint8_t>(len, 2));
      h.receive(body);
    }
    if (!current()) co_return;  // superseded by an accepted connection
    if (peer_speaks_tls) {
      why = "it answered in TLS: it runs TLS distribution (inet_tls), this node plain TCP";
      break;
    }
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
      if (!*timed_out && tls_session && !tls_session->error_text().empty())
        why += " (TLS: " + tls_session->error_text() + ")";
    }
  } while (false);

  deadline->cancel();
  if (!current()) co_return;
  p->attempt = 0;
  p->attempt_socket.reset();
  if (ok) {
    install(p, std::move(*sock), h, std::move(tls_session));
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
  // A plain node dialling a TLS node, or the other way round, is told apart by its first
  // bytes, so that the log says why they cannot connect.
  const std::string remote = endpoint_text(sock);
  if (auto [wec] = co_await sock.async_wait(tcp::socket::wait_read, nothrow_awaitable); !wec && !stopping) {
    std::uint8_t first[2];
    ssize_t n = ::recv(sock.native_handle(), first, sizeof first, MSG_PEEK | MSG_DONTWAIT);
    bool tls_hello = n > 0 && looks_like_tls(first, static_cast<std::size_t>(n));
    if (n > 0 && tls && !tls_hello) {
      log("refused connection from " + remote +
          ": it speaks plain TCP distribution, and this node runs TLS distribution (inet_tls)");
      co_return;
    }
    if (n > 0 && !tls && tls_hello) {
      log("refused connection from " + remote +
          ": it speaks TLS (inet_tls distribution), and this node runs plain TCP distribution");
      co_return;
    }
  }
  std::unique_ptr<detail::tls_session> tls_session;
  if (tls && !stopping) {
    sock.native_non_blocking(true, ignored);
    tls_session = std::make_unique<detail::tls_session>(*tls, sock.native_handle(), true);
    auto shaken = co_await tls_session->handshake(sock);
    if (stopping) co_return;
    if (!shaken) {
      log("refused connection from " + remote + ": TLS handshake " +
          (*timed_out ? std::string("timed out") : "failed: " + shaken.error()));
      co_return;
    }
  }
  std::shared_ptr<peer> p;
  bool claimed = false;  // we moved the peer to connecting for this handshake
  bool alive_replaced = false;
  for (;;) {
    if (h.has_output()) {
      auto out = h.take_output();
      if (!co_await setup_write(sock, tls_session.get(), out)) break;
    }
    auto st = h.current();
    if (st == handshake::state::done || st == handshake::state::failed) break;
    if (st == handshake::state::need_status) {
      // The claimed name is the peer's word until its cookie is checked: it stays text, and
      // becomes an atom here only if it is one already (a node we know of; a peer table
      // entry needs its atom). A name new to this process is interned once the handshake
      // succeeds, so unauthenticated peers cannot fill the atom table.
      if (!atom::is_valid_text(h.peer_node())) {
        h.answer_status(handshake_status::not_allowed);
        continue;
      }
      auto status = handshake_status::ok;  // an unknown name: nobody dials it, no connection
      if (auto name = atom::existing(h.peer_node())) {
        p = get_peer(*name);
        status = decide_status(p, claimed);
        alive_replaced = status == handshake_status::alive;
      }
      h.answer_status(status);
      continue;
    }
    std::uint8_t len[2];
    if (!co_await setup_read_length(sock, tls_session.get(), len)) break;
    bytes body(detail::load_u16(len));
    if (!co_await setup_read(sock, tls_session.get(), body)) break;
    h.receive(std::span<const std::uint8_t>(len, 2));
    h.receive(body);
  }
  deadline.cancel();
  if (stopping) co_return;
  std::string peer_name = h.peer_node().empty() ? "an unknown node" : h.peer_node();
  if (h.current() == handshake::state::done && !p) {
    // The peer proved its cookie under a name new to this process: now it is an atom.
    if (auto name = atom::try_make(h.peer_node())) {
      p = get_peer(*name);
      claim_after_handshake(p);
      claimed = true;
    } else {
      log("refused connection from " + peer_name + ": the atom table is full");
      co_return;
    }
  }
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
    install(p, std::move(sock), h, std::move(tls_session));
    co_return;
  }
  if (h.current() == handshake::state::failed) {
    if (h.refused_peer())
      log("refused connection from " + peer_name + ": " + h.failure_reason());
  } else {
    std::string why = *timed_out ? std::string("handshake timed out") : std::string("closed during the handshake");
    if (!*timed_out && tls_session && !tls_session->error_text().empty())
      why += " (TLS: " + tls_session->error_text() + ")";
    log("connection attempt from " + peer_name + " ended: " + why);
  }
  if (p && claimed) fail_peer(p, "handshake failed", false);
}

void engine::impl::claim_after_handshake(const std::shared_ptr<peer>& p) {
  {
    std::lock_guard lock(p->mu);
    if (p->st == peer::state::up) return;  // a connection came up meanwhile: install() drops ours
    if (p->st == peer::state::idle) p->st = peer::state::connecting;
  }
  // Our own attempt, if one began meanwhile, gives way: the peer already counts on this one.
  p->attempt = 0;
  if (p->attempt_socket) {
    asio::error_code ignored;
    p->attempt_socket->close(ignored);
    p->attempt_socket.reset();
  }
  p->inbound_pending = true;
  p->waiting_after_nok = false;
}

void engine::impl::install(const std::shared_ptr<peer>& p, tcp::socket sock, handshake& h,
                           std::unique_ptr<detail::tls_session> tls_session) {
  auto c = std::make_shared<connection>(*this, p, std::move(sock), h.agreed_flags(), std::move(tls_session));
  closure_policy policy;
  {
    std::lock_guard lock(callbacks_mu);
    if (closure_policies)
      policy = closure_policies(
          closure_peer{p->name, h.peer_creation(), !(h.peer_flags() & dflag::published), c->serial});
  }
  const bool gated = static_cast<bool>(policy.must_wait);
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
      p->out.set_closure_rewriter(std::move(policy.rewriter));
      p->gate.reset();
      if (policy.must_wait) p->gate = closure_gate{c->serial, std::move(policy.must_wait), {}, {}};
      for (auto& d : p->deferred) {
        if (p->gate) enqueue_gated_locked(*p, nullptr, std::move(d));
        else p->out.add([&](bytes& out) { return d(out, p->flags); });
      }
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
  if (gated) arm_gate_limit(p, c->serial, policy.hold_limit);
  c->start(h.take_leftover());
  auto waiters = std::move(p->connect_waiters);
  p->connect_waiters.clear();
  for (auto& w : waiters) w(true);
  notify_node(p->name, true, atoms::ok);
}

void engine::impl::arm_gate_limit(const std::shared_ptr<peer>& p, std::uint64_t connection,
                                  std::chrono::milliseconds limit) {
  auto timer = std::make_shared<asio::steady_timer>(io, limit);
  timer->async_wait([this, p, connection, limit, timer](const asio::error_code& ec) {
    if (ec || stopping) return;
    std::size_t waited = 0;
    {
      std::lock_guard lock(p->mu);
      if (!p->gate || p->gate->connection != connection) return;
      waited = open_gate_locked(*p);
    }
    log("the erl_eval identity of " + std::string(p->name.name()) + " was not learned within " +
        std::to_string(limit.count()) + " ms: " + std::to_string(waited) +
        " waiting message(s) go with funs carrying this node's own");
  });
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

// =============================================================================================
// The established connection
// =============================================================================================

connection::connection(engine::impl& e, std::shared_ptr<peer> p, tcp::socket s, std::uint64_t agreed,
                       std::unique_ptr<detail::tls_session> t)
    : eng(e), serial(next_serial()), pr(std::move(p)), sock(std::move(s)), tls(std::move(t)), flags(agreed), ticker(eng.io),
      new_atoms(e.opt().max_atoms_per_peer, &e.peer_atoms),
      decoder(frame_decoder::limits{e.opt().max_message_size, 256,
                                    e.opt().max_pending_fragment_bytes ? e.opt().max_pending_fragment_bytes
                                                                       : e.opt().max_message_size,
                                    &new_atoms}) {
  rbuf = std::make_shared<std::vector<std::uint8_t>>(read_buffer_size);
}

void connection::start(std::vector<std::uint8_t> leftover) {
  rend = std::min(leftover.size(), rbuf->size());
  std::memcpy(rbuf->data(), leftover.data(), rend);
  asio::co_spawn(eng.io, read_loop(shared_from_this()), asio::detached);
  arm_ticker();
}

void connection::arm_ticker() {
  auto period = eng.opt().net_ticktime / 4;
  if (period.count() <= 0) period = std::chrono::milliseconds(1);
  ticker.expires_after(period);
  ticker.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->on_tick_timer();
  });
}

void connection::on_tick_timer() {
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

void connection::on_peer_tick() {
  // Answer a tick when we have been silent since the previous one, so a peer with a
  // shorter net_ticktime than ours still hears from us often enough.
  if (written == written_at_peer_tick) enqueue_tick();
  written_at_peer_tick = written;
}

void connection::enqueue_tick() {
  std::lock_guard lock(pr->mu);
  if (pr->conn.get() != this) return;
  if (pr->out.empty()) pr->out.add_tick();
  eng.schedule_write_locked(*pr);
}

// Writes as much of `writing` as the socket takes now, with one sendmsg per up to 512
// chunks. Returns false on a socket error; `done` tells whether everything went out.
bool connection::write_some(bool& done) {
  if (tls) return write_some_tls(done);
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

bool connection::write_some_tls(bool& done) {
  // 256 KiB of records per send; chunks under 4 KiB share records of up to 16 KiB, since a
  // record per small message would cost its own header, tag and cipher call.
  constexpr std::size_t batch = 256 * 1024, record = 16 * 1024, own_record = 4 * 1024;
  std::lock_guard session(tls_mu);
  done = false;
  for (;;) {
    if (tls->pending_output() > 0) {
      if (!tls->send_pending()) return false;
      if (tls->pending_output() > 0) return true;  // the socket is full: wait until it drains
    }
    if (write_index >= writing.size()) {
      done = true;
      return true;
    }
    std::size_t encrypted = 0;
    auto seal_stage = [&] {
      if (tls_stage.empty()) return;
      tls->encrypt(tls_stage);
      tls_stage.clear();
    };
    while (write_index < writing.size() && encrypted < batch) {
      auto b = writing[write_index].bytes().subspan(write_offset);
      if (b.size() >= own_record) {
        seal_stage();
        tls->encrypt(b);
      } else {
        tls_stage.insert(tls_stage.end(), b.begin(), b.end());
        if (tls_stage.size() >= record) seal_stage();
      }
      encrypted += b.size();
      ++write_index;
      write_offset = 0;
    }
    seal_stage();
    written.fetch_add(encrypted, std::memory_order_relaxed);
  }
}

// Returns written batch buffers for reuse (peer mutex held).
void connection::recycle_written() {
  for (auto& c : writing)
    if (!c.shared && !c.own.empty()) pr->out.recycle(std::move(c.own));
  writing.clear();
  write_index = write_offset = 0;
}

void connection::write_from_sender() {
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

void connection::schedule_io_flush() {
  pr->write_scheduled = true;
  asio::post(eng.io, [self = shared_from_this()] { self->flush(); });
}

// The writer on the I/O thread: runs while `write_scheduled` is set.
void connection::flush() {
  for (;;) {
    if (closed) return;
    if (write_index >= writing.size()) {
      std::lock_guard lock(pr->mu);
      recycle_written();
      if (pr->conn.get() != this) return;
      pr->out.take(writing);
      if (writing.empty() && !(tls && tls_output_pending())) {
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
void connection::close(const std::string& reason) {
  {
    std::lock_guard lock(pr->mu);
    if (closed) return;
    closed = true;
    if (tls) {
      std::lock_guard session(tls_mu);
      tls->shutdown();  // close_notify, as inet_tls_dist ends a connection
    }
    asio::error_code ignored;
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
  }
  ticker.cancel();
  eng.on_connection_closed(*this, reason);
}

bool connection::process(std::span<const std::uint8_t> body, std::shared_ptr<const std::vector<std::uint8_t>> shared) {
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

asio::awaitable<void> connection::read_loop(std::shared_ptr<connection> self) {
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
        if (c.tls) {
          while (have < len) {
            std::size_t n = co_await tls_read_some(self, big->data() + have, len - have);
            if (n == 0) co_return;  // closed
            have += n;
          }
        } else {
          auto [ec, n] = co_await asio::async_read(c.sock, asio::buffer(big->data() + have, len - have), nothrow_awaitable);
          if (ec) {
            c.close("connection closed");
            co_return;
          }
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
    if (c.tls) {
      std::size_t n = co_await tls_read_some(self, c.rbuf->data() + c.rend, c.rbuf->size() - c.rend);
      if (n == 0) co_return;
      c.rend += n;
      c.last_read = clock_type::now();
      continue;
    }
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

asio::awaitable<std::size_t> connection::tls_read_some(std::shared_ptr<connection> self, std::uint8_t* into,
                                                       std::size_t size) {
  auto& c = *self;
  for (;;) {
    std::size_t got = 0;
    detail::tls_session::status st;
    std::string why;
    {
      std::lock_guard session(c.tls_mu);
      st = c.tls->read(into, size, got);
      if (st == detail::tls_session::status::failed) why = c.tls->error_text();
    }
    if (st == detail::tls_session::status::ok) {
      c.flush_tls_answers();
      co_return got;
    }
    if (st == detail::tls_session::status::closed) {
      if (!c.closed) c.close("connection closed");
      co_return 0;
    }
    if (st == detail::tls_session::status::failed) {
      if (!c.closed) c.close("read failed: " + why);
      co_return 0;
    }
    auto received = co_await c.tls->receive(c.sock);
    if (c.closed) co_return 0;
    if (!received) {
      c.close("read failed: " + received.error());
      co_return 0;
    }
  }
}

bool connection::tls_output_pending() {
  std::lock_guard session(tls_mu);
  return tls->pending_output() > 0;
}

void connection::flush_tls_answers() {
  if (!tls_output_pending()) return;
  std::lock_guard lock(pr->mu);
  if (!pr->write_scheduled && !closed) schedule_io_flush();
}

}  // namespace otpp::dist
