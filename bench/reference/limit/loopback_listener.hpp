// A listening TCP socket on an ephemeral loopback port, shared by the raw-TCP reference programs.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

// Listens on 127.0.0.1 at a port the kernel picks; `addr` receives the address to connect to.
// Returns the listening socket, or -1.
inline int listen_on_loopback(sockaddr_in& addr) {
  int one = 1;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  addr = sockaddr_in{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(ls, 1) != 0) return -1;
  getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
  return ls;
}
