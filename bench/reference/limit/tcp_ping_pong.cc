// The floor under a remote call on this machine: two threads doing sequential request/reply
// round trips over loopback TCP, with nothing else in the way (no encoding, no processes).
// Three ways of waiting for the other side: blocking reads, an epoll wait before each read
// (what an event loop such as otpp's does), and busy polling on non-blocking sockets.
// Prints key=value lines: floor.tcp_round_trips_per_s (blocking), floor.tcp_epoll_round_trips_per_s
// and floor.tcp_busy_round_trips_per_s, each the best of three runs. A run ends after its round
// trips or after a second, whichever comes first: on a machine whose cores are all taken, a
// busy-polling thread spins away the slices its peer needs, and round trips crawl.
// Build: g++ -O2 -pthread tcp_ping_pong.cc -o tcp_ping_pong
// Usage: tcp_ping_pong [round trips per run]   (default 50000)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "loopback_listener.hpp"

namespace {

// About the size of a gen_server call's frames over the distribution (a REG_SEND of
// {'$gen_call', {Pid, [alias|Ref]}, N} with its MONITOR_P one way, the ALIAS_SEND answer back).
constexpr std::size_t kMessageBytes = 128;

enum class mode { blocking, epoll, busy };

// Reads exactly `n` bytes, waiting as `m` says; false when the peer closed or on an error.
bool read_full(int fd, int ep, mode m, char* p, std::size_t n) {
  while (n > 0) {
    if (m == mode::epoll) {
      epoll_event ev{};
      if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR) return false;
    }
    ssize_t r = read(fd, p, n);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool write_full(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// One end's socket set up for `m`: no Nagle delay, non-blocking unless blocking reads, and an
// epoll set watching it for input in epoll mode (-1 otherwise).
int prepare(int fd, mode m) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (m != mode::blocking) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (m != mode::epoll) return -1;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  return ep;
}

// Round trips per second of one run of up to `n` sequential round trips (or a second's worth)
// in mode `m`.
double run(mode m, int n) {
  using clock = std::chrono::steady_clock;
  sockaddr_in addr;
  int ls = listen_on_loopback(addr);
  if (ls < 0) return 0;

  std::thread server([&] {
    int c = accept(ls, nullptr, nullptr);
    int ep = prepare(c, m);
    char buf[kMessageBytes];
    while (read_full(c, ep, m, buf, sizeof buf) && write_full(c, buf, sizeof buf)) {
    }
    if (ep >= 0) close(ep);
    close(c);
  });

  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::exit(1);
  int ep = prepare(c, m);
  char buf[kMessageBytes];
  std::memset(buf, 1, sizeof buf);
  // A few round trips first, so both threads are running and the caches warm.
  for (int i = 0; i < 100; ++i) {
    if (!write_full(c, buf, sizeof buf) || !read_full(c, ep, m, buf, sizeof buf)) std::exit(1);
  }
  const auto t0 = clock::now();
  const auto limit = t0 + std::chrono::seconds(1);
  int done = 0;
  while (done < n) {
    if (!write_full(c, buf, sizeof buf) || !read_full(c, ep, m, buf, sizeof buf)) std::exit(1);
    ++done;
    if ((done & 63) == 0 && clock::now() > limit) break;
  }
  double secs = std::chrono::duration<double>(clock::now() - t0).count();
  shutdown(c, SHUT_WR);
  server.join();
  if (ep >= 0) close(ep);
  close(c);
  close(ls);
  return done / secs;
}

double best_of_three(mode m, int n) { return std::max({run(m, n), run(m, n), run(m, n)}); }

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 50000;
  if (n <= 0) n = 50000;
  std::printf("floor.tcp_round_trips_per_s=%.0f\n", best_of_three(mode::blocking, n));
  std::printf("floor.tcp_epoll_round_trips_per_s=%.0f\n", best_of_three(mode::epoll, n));
  std::printf("floor.tcp_busy_round_trips_per_s=%.0f\n", best_of_three(mode::busy, n));
  return 0;
}
