// EPMD blocking client and embedded server (the protocol of erts/epmd/src/epmd_srv.c; the codec is in epmd_codec.cpp).
#include "otpp/dist/epmd.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "asio_support.hpp"
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "blocking_socket.hpp"
#include "bytes.hpp"
#include "otpp/term/print.hpp"

namespace otpp::dist {

using detail::put_bytes;
using detail::put_u16;
using detail::put_u32;
using detail::put_u8;

// ---- blocking client -------------------------------------------------------------------------

result<epmd_node> epmd_port_please(const epmd_address& at, std::string_view name) {
  auto sock = detail::blocking_socket::connect(at.host, at.port, at.timeout);
  if (!sock) return failure{"port mapper at " + at.host + ":" + std::to_string(at.port) + ": " + sock.error()};
  if (auto w = sock->write_all(encode_port_please2_req(name), at.timeout); !w) return failure{w.error()};
  // The server closes after the reply, so read it whole.
  auto reply = sock->read_to_end(64 * 1024, at.timeout);
  if (!reply) return failure{reply.error()};
  return decode_port2_resp(*reply);
}

result<std::vector<std::pair<std::string, std::uint16_t>>> epmd_names(const epmd_address& at) {
  auto sock = detail::blocking_socket::connect(at.host, at.port, at.timeout);
  if (!sock) return failure{"port mapper at " + at.host + ":" + std::to_string(at.port) + ": " + sock.error()};
  if (auto w = sock->write_all(encode_names_req(), at.timeout); !w) return failure{w.error()};
  auto reply = sock->read_to_end(16 * 1024 * 1024, at.timeout);
  if (!reply) return failure{reply.error()};
  if (reply->size() < 4) return failure{"truncated NAMES reply"};
  std::string_view text(reinterpret_cast<const char*>(reply->data()) + 4, reply->size() - 4);
  return parse_names(text);
}

bool epmd_reachable(const epmd_address& at) {
  return static_cast<bool>(detail::blocking_socket::connect(at.host, at.port, at.timeout));
}

result<epmd_registration> epmd_registration::register_node(const epmd_address& at,
                                                           const epmd_node& node) {
  auto sock = detail::blocking_socket::connect(at.host, at.port, at.timeout);
  if (!sock) return failure{"port mapper at " + at.host + ":" + std::to_string(at.port) + ": " + sock.error()};
  if (auto w = sock->write_all(encode_alive2_req(node), at.timeout); !w) return failure{w.error()};
  auto head = sock->read_exactly(2, at.timeout);
  if (!head) return failure{"no answer to ALIVE2 from the port mapper: " + head.error()};
  std::uint8_t code = (*head)[0], res = (*head)[1];
  if (code != static_cast<std::uint8_t>(epmd_code::alive2_x_resp) &&
      code != static_cast<std::uint8_t>(epmd_code::alive2_resp))
    return failure{"unexpected answer " + std::to_string(code) + " to ALIVE2"};
  bool wide = code == static_cast<std::uint8_t>(epmd_code::alive2_x_resp);
  auto creation_bytes = sock->read_exactly(wide ? 4 : 2, at.timeout);
  if (!creation_bytes) return failure{"truncated ALIVE2 answer"};
  if (res != 0)
    return failure{"the port mapper refused to register '" + node.name +
                   "' (the name is probably in use)"};
  std::uint32_t creation = 0;
  for (auto b : *creation_bytes) creation = (creation << 8) | b;
  return epmd_registration(sock->release(), creation);
}

epmd_registration::epmd_registration(epmd_registration&& other) noexcept
    : fd_(other.fd_), creation_(other.creation_) {
  other.fd_ = -1;
}

epmd_registration& epmd_registration::operator=(epmd_registration&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    creation_ = other.creation_;
    other.fd_ = -1;
  }
  return *this;
}

epmd_registration::~epmd_registration() {
  if (fd_ >= 0) ::close(fd_);
}

bool epmd_registration::alive() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return true;  // nothing to read: still open
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

// ---- embedded server -------------------------------------------------------------------------

using asio::ip::tcp;

struct epmd_server::impl {
  struct entry {
    epmd_node node;
    std::uint32_t creation = 0;
    std::uint64_t owner = 0;  // which connection registered it
  };

  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::thread thread;
  std::function<void(std::string_view)> log_sink;
  bool quiet = false;

  mutable std::mutex mu;  // guards nodes (read by registered() from any thread)
  std::map<std::string, entry> nodes;
  std::uint32_t next_creation = 1;
  std::uint64_t next_conn = 1;
  std::chrono::milliseconds idle_timeout{5000};
  std::size_t max_connections = 256;
  struct open_conn {
    tcp::socket* sock;
    asio::steady_timer* idle;
    bool registration = false;  // holds a registration: never closed to make room
  };
  std::map<std::uint64_t, open_conn> open_conns;  // io thread only; by age (ids grow)
  asio::steady_timer accept_pause{io};             // io thread only

  // Escaped once here: most lines carry a name a client chose.
  void log(const std::string& raw) {
    if (quiet) return;
    const std::string line = escape_log_text(raw);
    if (log_sink) log_sink(line);
    else std::cerr << "epmd: " << line << '\n';
  }

  // Closes the oldest connection that holds no registration; false when there is none.
  bool close_oldest_idle() {
    for (auto& [id, c] : open_conns) {
      if (c.registration) continue;
      asio::error_code ignored;
      c.sock->close(ignored);  // its handler ends with an error and removes it
      c.registration = true;   // not picked twice while it winds down
      return true;
    }
    return false;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(detail::nothrow_awaitable);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // Out of descriptors (or memory): the pending connection stays queued and would be
        // reported again at once. Make room, then retry after a pause instead of spinning.
        const bool freed = close_oldest_idle();
        accept_pause.expires_after(freed ? std::chrono::milliseconds(10) : std::chrono::milliseconds(100));
        auto [ew] = co_await accept_pause.async_wait(detail::nothrow_awaitable);
        if (ew || !acceptor.is_open()) co_return;
        continue;
      }
      if (open_conns.size() >= max_connections && !close_oldest_idle()) {
        asio::error_code ignored;
        sock.close(ignored);  // every slot holds a registration
        continue;
      }
      asio::co_spawn(io, serve(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket sock) {
    std::uint64_t id = next_conn++;
    asio::steady_timer idle(io);
    idle.expires_after(idle_timeout);
    idle.async_wait([&sock](const asio::error_code& ec) {
      asio::error_code ignored;
      if (!ec) sock.close(ignored);  // the pending read or write ends with an error
    });
    open_conns[id] = open_conn{&sock, &idle, false};
    co_await handle(sock, id);
    open_conns.erase(id);
    idle.cancel();
    asio::error_code ignored;
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
  }

  asio::awaitable<void> write(tcp::socket& sock, const std::vector<std::uint8_t>& bytes) {
    co_await asio::async_write(sock, asio::buffer(bytes), detail::nothrow_awaitable);
  }

  asio::awaitable<void> handle(tcp::socket& sock, std::uint64_t id) {
    std::uint8_t len_bytes[2];
    auto [ec, n] = co_await asio::async_read(sock, asio::buffer(len_bytes),
                                             detail::nothrow_awaitable);
    if (ec) co_return;
    std::size_t len = detail::load_u16(len_bytes);
    if (len == 0) co_return;
    std::vector<std::uint8_t> body(len);
    std::tie(ec, n) = co_await asio::async_read(sock, asio::buffer(body), detail::nothrow_awaitable);
    if (ec) co_return;

    switch (static_cast<epmd_code>(body[0])) {
      case epmd_code::alive2_req:
        co_await alive2(sock, id, body);
        break;
      case epmd_code::port_please2_req: {
        std::string name(body.begin() + 1, body.end());
        std::optional<epmd_node> found;
        {
          std::lock_guard lock(mu);
          if (auto it = nodes.find(name); it != nodes.end()) found = it->second.node;
        }
        co_await write(sock, encode_port2_resp(found));
        break;
      }
      case epmd_code::names_req:
      case epmd_code::dump_req: {
        bool dump = body[0] == static_cast<std::uint8_t>(epmd_code::dump_req);
        std::vector<std::uint8_t> out;
        put_u32(out, port);
        std::lock_guard lock(mu);
        for (auto& [name, e] : nodes) {
          char line[1200];
          int k = dump ? std::snprintf(line, sizeof line, "active name     <%s> at port %u, fd = %llu\n",
                                       name.c_str(), unsigned{e.node.port},
                                       static_cast<unsigned long long>(e.owner))
                       : std::snprintf(line, sizeof line, "name %s at port %u\n", name.c_str(),
                                       unsigned{e.node.port});
          if (k > 0) out.insert(out.end(), line, line + std::min<std::size_t>(k, sizeof line - 1));
        }
        co_await write(sock, out);
        break;
      }
      case epmd_code::kill_req: {
        // An embedded port mapper belongs to the node that started it: never killed remotely.
        static const std::vector<std::uint8_t> no = {'N', 'O'};
        co_await write(sock, no);
        break;
      }
      case epmd_code::stop_req: {
        static const std::vector<std::uint8_t> refused = {'S', 'T', 'O', 'P', '_', 'N', 'O', 'T', '_', 'A', 'L', 'I', 'V', 'E'};
        co_await write(sock, refused);
        break;
      }
      default:
        log("unknown request " + std::to_string(body[0]) + " ignored");
        break;
    }
  }

  asio::awaitable<void> alive2(tcp::socket& sock, std::uint64_t id, const std::vector<std::uint8_t>& body) {
    auto req = decode_alive2_req(body);
    bool wide = !req || req->highest_version >= 6;
    auto reply = [&](std::uint8_t res, std::uint32_t creation) {
      std::vector<std::uint8_t> out;
      if (wide) {
        put_u8(out, static_cast<std::uint8_t>(epmd_code::alive2_x_resp));
        put_u8(out, res);
        put_u32(out, creation);
      } else {
        put_u8(out, static_cast<std::uint8_t>(epmd_code::alive2_resp));
        put_u8(out, res);
        put_u16(out, static_cast<std::uint16_t>(creation % 3 + 1));
      }
      return out;
    };
    if (!req) {
      log("bad ALIVE2 request: " + req.error());
      co_await write(sock, reply(1, 0));
      co_return;
    }
    std::uint32_t creation = 0;
    {
      std::lock_guard lock(mu);
      if (nodes.count(req->name)) {
        creation = 0;
      } else {
        creation = next_creation++;
        if (next_creation == 0) next_creation = 1;  // creation 0 is reserved
        nodes[req->name] = entry{*req, creation, id};
      }
    }
    if (creation == 0) {
      log("refused to register '" + req->name + "': the name is in use");
      co_await write(sock, reply(1, 0));
      co_return;
    }
    log("registered '" + req->name + "' at port " + std::to_string(req->port));
    if (auto it = open_conns.find(id); it != open_conns.end()) {
      it->second.registration = true;
      it->second.idle->cancel();
    }
    co_await write(sock, reply(0, creation));
    // The registration lasts while the node keeps this connection open.
    std::uint8_t sink[256];
    for (;;) {
      auto [ec, n] = co_await sock.async_read_some(asio::buffer(sink), detail::nothrow_awaitable);
      if (ec) break;
    }
    {
      std::lock_guard lock(mu);
      if (auto it = nodes.find(req->name); it != nodes.end() && it->second.owner == id) nodes.erase(it);
    }
    log("unregistered '" + req->name + "'");
  }
};

epmd_server::epmd_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

result<std::unique_ptr<epmd_server>> epmd_server::start(epmd_server_options options) {
  auto p = std::make_unique<impl>();
  p->log_sink = std::move(options.log);
  p->quiet = options.quiet;
  p->idle_timeout = options.idle_timeout;
  p->max_connections = std::max<std::size_t>(options.max_connections, 1);
  std::random_device rd;
  p->next_creation = std::uniform_int_distribution<std::uint32_t>(1, 0x7fffffff)(rd);
  asio::error_code ec;
  auto address = asio::ip::make_address(options.bind_address, ec);
  if (ec) return failure{"bad bind address '" + options.bind_address + "'"};
  tcp::endpoint ep(address, options.port);
  p->acceptor.open(ep.protocol(), ec);
  if (!ec) p->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) p->acceptor.bind(ep, ec);
  if (!ec) p->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return failure{"cannot listen on port " + std::to_string(options.port) + ": " + ec.message()};
  p->port = p->acceptor.local_endpoint().port();
  asio::co_spawn(p->io, p->accept_loop(), asio::detached);
  p->thread = std::thread([raw = p.get()] { raw->io.run(); });
  return std::unique_ptr<epmd_server>(new epmd_server(std::move(p)));
}

epmd_server::~epmd_server() {
  asio::post(impl_->io, [p = impl_.get()] {
    asio::error_code ignored;
    p->acceptor.close(ignored);
    p->accept_pause.cancel();
    for (auto& [id, c] : p->open_conns) c.sock->close(ignored);
  });
  // Handlers finish with operation_aborted; then nothing is left and run() returns.
  impl_->thread.join();
}

std::uint16_t epmd_server::port() const noexcept { return impl_->port; }

std::vector<epmd_node> epmd_server::registered() const {
  std::lock_guard lock(impl_->mu);
  std::vector<epmd_node> out;
  for (auto& [name, e] : impl_->nodes) out.push_back(e.node);
  return out;
}

int run_epmd(epmd_server_options options) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // SIGTERM back to its default (a parent may have ignored it, and an ignored signal never
  // reaches sigwait); SIGINT stays as inherited, like any foreground tool's.
  ::signal(SIGTERM, SIG_DFL);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the server thread starts
  auto log = [sink = options.log, quiet = options.quiet](const std::string& line) {
    if (quiet) return;
    if (sink) sink(line);
    else std::cerr << "epmd: " << line << std::endl;
  };
  const std::string address = options.bind_address;
  const std::uint16_t wanted = options.port;
  auto server = epmd_server::start(std::move(options));
  if (!server) {
    // Not silenced by `quiet`: the one thing a user must see.
    std::cerr << "epmd: " << server.error()
              << (wanted ? " (is another port mapper running there?)" : "") << std::endl;
    return 1;
  }
  log("listening on " + address + " port " + std::to_string((*server)->port()));
  int sig = 0;
  sigwait(&set, &sig);
  log(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
  return 0;
}

}  // namespace otpp::dist
