// Blocking TCP client socket with poll(2) deadlines.
#include "blocking_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace otpp::dist::detail {
namespace {

using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits until fd is ready for `events`; false on timeout or error.
bool wait_ready(int fd, short events, clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

blocking_socket& blocking_socket::operator=(blocking_socket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

blocking_socket::~blocking_socket() {
  if (fd_ >= 0) ::close(fd_);
}

result<blocking_socket> blocking_socket::connect(const std::string& host, std::uint16_t port,
                                                 std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0 || !res)
    return failure{"cannot resolve host '" + host + "': " + ::gai_strerror(rc)};
  auto deadline = clock::now() + timeout;
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    blocking_socket s(fd);
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!wait_ready(fd, POLLOUT, deadline)) {
        last_error = "connection timed out";
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::freeaddrinfo(res);
    return s;
  }
  ::freeaddrinfo(res);
  return failure{"cannot connect to " + host + ":" + service + ": " + last_error};
}

result<success> blocking_socket::write_all(std::span<const std::uint8_t> bytes,
                                           std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_ready(fd_, POLLOUT, deadline)) return failure{"write timed out"};
      continue;
    }
    return failure{std::string("write failed: ") + std::strerror(errno)};
  }
  return success{};
}

result<std::vector<std::uint8_t>> blocking_socket::read_exactly(std::size_t n,
                                                                std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  std::vector<std::uint8_t> out(n);
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
    if (r > 0) {
      got += static_cast<std::size_t>(r);
      continue;
    }
    if (r == 0) return failure{"connection closed by peer"};
    if (errno == EAGAIN || errno == EINTR) {
      if (!wait_ready(fd_, POLLIN, deadline)) return failure{"read timed out"};
      continue;
    }
    return failure{std::string("read failed: ") + std::strerror(errno)};
  }
  return out;
}

result<std::vector<std::uint8_t>> blocking_socket::read_to_end(std::size_t limit,
                                                               std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  std::vector<std::uint8_t> out;
  std::uint8_t buf[4096];
  for (;;) {
    ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r > 0) {
      if (out.size() + static_cast<std::size_t>(r) > limit) return failure{"reply too long"};
      out.insert(out.end(), buf, buf + r);
      continue;
    }
    if (r == 0) return out;
    if (errno == EAGAIN || errno == EINTR) {
      if (!wait_ready(fd_, POLLIN, deadline)) return failure{"read timed out"};
      continue;
    }
    return failure{std::string("read failed: ") + std::strerror(errno)};
  }
}

}  // namespace otpp::dist::detail
