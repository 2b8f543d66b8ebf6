// The Erlang Port Mapper Daemon protocol: the request/reply codec, a blocking client
// (register a node, look one up, list names) and an embedded server that real `erl`
// nodes and `epmd -names` work with, so one otpp binary needs no separate daemon.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/dist/result.hpp"

namespace otpp::dist {

inline constexpr std::uint16_t default_epmd_port = 4369;

/// The port mapper port a node uses: ERL_EPMD_PORT from the environment, else 4369.
[[nodiscard]] std::uint16_t epmd_port_from_env();

/// EPMD request and reply codes (erts/epmd/src/epmd_int.h).
enum class epmd_code : std::uint8_t {
  alive2_x_resp = 118,    ///< 'v' ALIVE2 reply with a 32-bit creation (versions >= 6)
  port2_resp = 119,       ///< 'w' PORT_PLEASE2 reply
  alive2_req = 120,       ///< 'x' register a node; the connection stays open
  alive2_resp = 121,      ///< 'y' ALIVE2 reply with a 16-bit creation (old nodes)
  port_please2_req = 122, ///< 'z' look a node up by name
  names_req = 110,        ///< 'n' list registered names
  dump_req = 100,         ///< 'd' list everything (debugging)
  kill_req = 107,         ///< 'k' stop the daemon
  stop_req = 115,         ///< 's' unregister a name (needs relaxed checks)
};

/// What a node registers with ALIVE2 and what PORT_PLEASE2 answers.
struct epmd_node {
  std::string name;                   ///< the alive part of the node name
  std::uint16_t port = 0;             ///< where the node accepts distribution connections
  std::uint8_t node_type = 77;        ///< 77 normal, 72 hidden
  std::uint8_t protocol = 0;          ///< 0 = TCP/IPv4
  std::uint16_t highest_version = 6;
  std::uint16_t lowest_version = 6;
  std::string extra;
  friend bool operator==(const epmd_node&, const epmd_node&) = default;
};

// ---- codec (pure functions; requests include their 2-byte length prefix) ---------------------
[[nodiscard]] std::vector<std::uint8_t> encode_alive2_req(const epmd_node& node);
[[nodiscard]] std::vector<std::uint8_t> encode_port_please2_req(std::string_view name);
[[nodiscard]] std::vector<std::uint8_t> encode_names_req();
/// Parses an ALIVE2_REQ body (after the length prefix, starting with 120).
[[nodiscard]] result<epmd_node> decode_alive2_req(std::span<const std::uint8_t> body);
/// Encodes a PORT2_RESP: the node's data, or result code 1 alone when `node` is empty.
[[nodiscard]] std::vector<std::uint8_t> encode_port2_resp(const std::optional<epmd_node>& node);
/// Parses a complete PORT2_RESP; a failure for result codes other than 0.
[[nodiscard]] result<epmd_node> decode_port2_resp(std::span<const std::uint8_t> reply);
/// Parses the text of a NAMES reply after its 4-byte port: `name N at port P` lines.
[[nodiscard]] std::vector<std::pair<std::string, std::uint16_t>> parse_names(std::string_view text);

/// Where the port mapper is and how long to wait for it.
struct epmd_address {
  std::string host = "127.0.0.1";
  std::uint16_t port = default_epmd_port;
  std::chrono::milliseconds timeout{5000};
};

// ---- blocking client -------------------------------------------------------------------------
/// PORT_PLEASE2: where node `name` (alive part) on the port mapper's host listens.
[[nodiscard]] result<epmd_node> epmd_port_please(const epmd_address& at, std::string_view name);
/// NAMES: every registered (name, port), as `epmd -names` prints them.
[[nodiscard]] result<std::vector<std::pair<std::string, std::uint16_t>>> epmd_names(
    const epmd_address& at);
/// True when something accepts TCP connections on the port mapper's port.
[[nodiscard]] bool epmd_reachable(const epmd_address& at);

/// A node's registration: ALIVE2 sent and accepted. The port mapper keeps the name while the
/// connection this object owns stays open; destroying the object unregisters the name.
/// Owner only (not thread-safe).
class epmd_registration {
 public:
  /// Registers `node`; fails if the port mapper is unreachable or refuses the name.
  [[nodiscard]] static result<epmd_registration> register_node(const epmd_address& at,
                                                               const epmd_node& node);
  epmd_registration(epmd_registration&& other) noexcept;
  epmd_registration& operator=(epmd_registration&& other) noexcept;
  epmd_registration(const epmd_registration&) = delete;
  epmd_registration& operator=(const epmd_registration&) = delete;
  ~epmd_registration();

  /// The creation the port mapper assigned; tells this incarnation's pids from older ones.
  [[nodiscard]] std::uint32_t creation() const noexcept { return creation_; }
  /// Whether the port mapper still holds the connection open (false after it went away).
  [[nodiscard]] bool alive() const;

 private:
  epmd_registration(int fd, std::uint32_t creation) : fd_(fd), creation_(creation) {}
  int fd_ = -1;
  std::uint32_t creation_ = 0;
};

// ---- embedded server ------------------------------------------------------------------------
struct epmd_server_options {
  std::string bind_address = "0.0.0.0";  ///< epmd listens on every interface by default
  std::uint16_t port = default_epmd_port;  ///< 0 picks a free port (for tests)
  /// Receives one line per notable event (registrations, refusals); stderr when empty.
  std::function<void(std::string_view)> log;
  bool quiet = false;  ///< log nothing at all
  /// A connection that has not completed a request (or, after one, not gone away) within this
  /// time is closed; a registration's connection is exempt (it lasts the node's life).
  std::chrono::milliseconds idle_timeout{5000};
  /// Connections held at once. Past it, and whenever descriptors run out, the oldest
  /// connection that is not a registration is closed to make room, as epmd does.
  std::size_t max_connections = 256;
};

/// A port mapper speaking the same protocol as Erlang's `epmd`, serving on a thread of its
/// own. Thread-safe.
class epmd_server {
 public:
  /// Binds and starts serving; fails (without side effects) when the port is taken.
  [[nodiscard]] static result<std::unique_ptr<epmd_server>> start(epmd_server_options options);
  ~epmd_server();  ///< stops serving and drops every registration
  epmd_server(const epmd_server&) = delete;
  epmd_server& operator=(const epmd_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// The nodes registered right now.
  [[nodiscard]] std::vector<epmd_node> registered() const;

  struct impl;

 private:
  explicit epmd_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// `otpp epmd [-port P]`: serves until SIGINT or SIGTERM; returns the process exit status.
int run_epmd(epmd_server_options options);

}  // namespace otpp::dist
