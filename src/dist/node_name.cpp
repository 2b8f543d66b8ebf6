// Node-name parsing and the ~/.erlang.cookie rules of erl.
#include "otpp/dist/node_name.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

namespace otpp::dist {
namespace {

bool valid_alive(std::string_view alive) {
  if (alive.empty() || alive.size() > 255) return false;
  for (char c : alive) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool looks_like_address(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;  // IPv6
  for (char c : host)
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  return !host.empty();
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string local_host_name(name_kind kind) {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  std::string host(buf);
  if (kind == name_kind::short_names) {
    if (auto dot = host.find('.'); dot != std::string::npos) host.resize(dot);
    return host;
  }
  if (host.find('.') != std::string::npos) return host;
  // Ask the resolver for the canonical (fully qualified) name, as inet_db does.
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) == 0 && res) {
    std::string canon = res->ai_canonname ? res->ai_canonname : "";
    freeaddrinfo(res);
    if (canon.find('.') != std::string::npos) return canon;
  }
  return host;
}

result<node_name> split_node_name(std::string_view full) {
  auto at = full.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == full.size())
    return failure{"node name '" + std::string(full) + "' is not of the form name@host"};
  return node_name{std::string(full.substr(0, at)), std::string(full.substr(at + 1))};
}

result<node_name> make_node_name(std::string_view text, name_kind kind) {
  node_name n;
  if (auto at = text.find('@'); at != std::string_view::npos) {
    n.alive = std::string(text.substr(0, at));
    n.host = std::string(text.substr(at + 1));
  } else {
    n.alive = std::string(text);
    n.host = local_host_name(kind);
  }
  if (!valid_alive(n.alive))
    return failure{"invalid node name '" + std::string(text) +
                   "': the name part may hold only letters, digits, '_' and '-'"};
  if (!valid_host(n.host))
    return failure{"invalid host in node name '" + std::string(text) + "'"};
  if (kind == name_kind::short_names && n.host.find('.') != std::string::npos &&
      !looks_like_address(n.host))
    return failure{"can't set short node name '" + n.full() +
                   "': the host of a short name has no dots (use a long name)"};
  if (kind == name_kind::long_names && n.host.find('.') == std::string::npos &&
      n.host != "localhost" && !looks_like_address(n.host))
    return failure{"can't set long node name '" + n.full() +
                   "': the host of a long name must be fully qualified"};
  return n;
}

result<std::string> read_or_create_cookie(const std::string& path) {
  if (std::ifstream in(path); in) {
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    if (line.empty()) return failure{"cookie file " + path + " is empty"};
    return line;
  }
  if (errno != ENOENT) return failure{"cannot read cookie file " + path + ": " + std::strerror(errno)};
  // erl creates a missing cookie file: 20 random upper-case letters, readable by the owner only.
  std::random_device rd;
  std::uniform_int_distribution<int> letter('A', 'Z');
  std::string cookie;
  for (int i = 0; i < 20; ++i) cookie.push_back(static_cast<char>(letter(rd)));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0400);
  if (fd < 0) {
    if (errno == EEXIST) return read_or_create_cookie(path);  // another process won the race
    return failure{"cannot create cookie file " + path + ": " + std::strerror(errno)};
  }
  bool written = ::write(fd, cookie.data(), cookie.size()) == static_cast<ssize_t>(cookie.size());
  ::close(fd);
  if (!written) return failure{"cannot write cookie file " + path};
  return cookie;
}

result<std::string> default_cookie() {
  const char* home = std::getenv("HOME");
  if (!home || !*home) return failure{"no cookie given and HOME is not set"};
  return read_or_create_cookie(std::string(home) + "/.erlang.cookie");
}

}  // namespace otpp::dist
