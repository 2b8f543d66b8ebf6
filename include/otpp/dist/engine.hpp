// The distribution engine of one node: its name and cookie, the port mapper registration
// (starting an embedded port mapper when none answers), the listener, one connection per
// peer node opened on first use, ticks, control messages both ways, node monitoring and the
// `net_kernel` answers that make `net_adm:ping/1` work. It implements `otpp::distribution`
// for a runtime and hands what arrives to an `otpp::remote_signals`; it needs no runtime of
// its own, so tests can drive it with a stub.
//
// Threads: the engine owns one I/O thread; with `poller()` plugged into a runtime, idle
// scheduler workers drive the I/O instead and the I/O thread stands by (callbacks below said
// to run "on the I/O thread" run on whichever of them drives, one at a time). Every public
// method is thread-safe; the blocking ones (`connect`, `ping`, `start`) must not be called
// from a callback the engine runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/dist/flags.hpp"
#include "otpp/dist/node_name.hpp"
#include "otpp/dist/result.hpp"
#include "otpp/dist/tls.hpp"
#include "otpp/runtime/distribution.hpp"
#include "otpp/runtime/io_poller.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/term.hpp"

namespace otpp::dist {

struct engine_options {
  /// `kate`, `kate@localhost` or (long names) `kate@host.example`.
  std::string name;
  name_kind names = name_kind::short_names;
  /// The cookie; when empty, `~/.erlang.cookie` (created when missing, as erl does).
  std::optional<std::string> cookie;
  /// Port mapper port; when empty, ERL_EPMD_PORT or 4369.
  std::optional<std::uint16_t> epmd_port;
  /// Start an embedded port mapper when nothing answers on the port mapper port.
  bool embedded_epmd = true;
  /// Where the embedded port mapper and the distribution listener bind.
  std::string listen_address = "0.0.0.0";
  /// Distribution port; 0 lets the system choose.
  std::uint16_t listen_port = 0;
  /// net_ticktime: ticks go out every quarter of it on an idle connection; a peer silent
  /// for this long is declared down.
  std::chrono::milliseconds net_ticktime = std::chrono::seconds(60);
  /// Bound on one connection attempt (port mapper lookup, TCP connect, handshake).
  std::chrono::milliseconds setup_timeout = std::chrono::seconds(7);
  /// A frame announcing more bytes than this closes its connection (hostile length).
  std::size_t max_frame_size = std::size_t{128} << 20;
  /// Bound on a message reassembled from fragments.
  std::size_t max_message_size = std::size_t{1} << 30;
  /// Bound on the bytes of all messages one peer has in flight as fragments together; past
  /// it that connection is closed. 0 means max_message_size (as much as one message).
  std::size_t max_pending_fragment_bytes = 0;
  /// Bound on the atoms one connection may add to the process's atom table (names new to
  /// the process; known ones cost nothing): the connection whose message needs one more is
  /// closed with a log line, and other peers go on.
  std::size_t max_atoms_per_peer = std::size_t{1} << 16;
  /// Ceiling on the atoms all of this node's peers together may add (the table holds
  /// 1,048,576, as BEAM's default): what is left stays for the node's own atoms and, when
  /// flooding peers have spent it, for the names of peers that prove their cookie.
  std::size_t max_peer_atoms = std::size_t{1} << 19;
  /// Messages larger than this travel in fragments of this size (when the peer agrees).
  std::size_t fragment_size = std::size_t{256} << 10;
  /// A hidden node (not in the peers' `nodes()`).
  bool hidden = false;
  /// TLS distribution (erl's `-proto_dist inet_tls`) when set: every connection, both ways,
  /// runs inside TLS with these options (read_ssl_dist_optfile reads erl's file); a plain
  /// node and a TLS node do not connect. Unset: plain TCP (`inet_tcp`).
  std::optional<tls_options> tls;
  /// Capability flags to advertise (tests narrow them to play an old peer).
  std::uint64_t flags = dflag::otpp_default;
  /// Receives every log line (refused peers, lost connections); stderr when empty.
  std::function<void(std::string_view)> log;
};

/// What `net_kernel:monitor_nodes(true, Options)` asks for.
struct monitor_nodes_options {
  enum class types : std::uint8_t { visible, hidden, all };
  /// `{node_type, visible | hidden | all}`: which nodes are reported (visible by default).
  types node_type = types::visible;
  /// `nodedown_reason`: nodedown messages carry `{nodedown_reason, Reason}`.
  bool nodedown_reason = false;
  /// Messages are `{nodeup, N, InfoList}` / `{nodedown, N, InfoList}` (any option given, even
  /// an empty map); else `{nodeup, N}` / `{nodedown, N}`.
  bool with_info = false;
  /// `{node_type, T}` in InfoList (when node_type was an option).
  bool node_type_info = false;
  /// The options came as a map: InfoList is a map too (`#{node_type => visible}`).
  bool info_map = false;
};

/// A node going up or down, for C++ observers.
struct node_event {
  atom node;
  bool up = false;
  term reason;  ///< why it went down (connection_closed, net_tick_timeout, disconnect, ...)
};

class engine final : public distribution {
 public:
  explicit engine(engine_options options);
  ~engine() override;  ///< stops (see stop())
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Where signals from other nodes go; set before start(), valid until stop() returns.
  void set_remote_signals(remote_signals* sink);
  /// Produces references for the engine's own requests (ping); by default
  /// the engine makes its own. Set before start().
  void set_reference_factory(std::function<reference()> make_ref);

  /// Resolves name and cookie, listens, registers with the port mapper (starting the
  /// embedded one if nothing answers) and starts the I/O thread.
  [[nodiscard]] result<success> start();
  /// Closes every connection (without telling the sink) and unregisters. Idempotent.
  void stop();
  /// Lets a runtime's idle workers drive this engine's I/O (`runtime::set_io_poller`); the
  /// I/O thread stands by while they do and takes over when they are busy. Remove it from
  /// the runtime before stop().
  [[nodiscard]] io_poller& poller() noexcept;

  // -- identity (valid after start) --
  [[nodiscard]] atom name() const noexcept { return name_; }
  [[nodiscard]] std::uint32_t creation() const noexcept { return creation_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::uint16_t epmd_port() const noexcept { return epmd_port_; }
  /// Whether this engine runs the embedded port mapper.
  [[nodiscard]] bool runs_embedded_epmd() const noexcept;
  [[nodiscard]] const std::string& cookie() const noexcept { return cookie_; }

  // -- connections --
  /// `net_kernel:connect_node/1`: true once connected (at once if already), false on failure.
  [[nodiscard]] bool connect(atom node);
  void connect_async(atom node, std::function<void(bool)> done);
  /// `net_adm:ping/1`: connects and asks the peer's net_kernel; pong or pang.
  [[nodiscard]] atom ping(atom node, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void ping_async(atom node, std::chrono::milliseconds timeout, std::function<void(atom)> done);
  /// `erlang:disconnect_node/1`: true if there was a connection.
  bool disconnect(atom node);
  /// `nodes()`: the visible connected nodes (and hidden ones when `include_hidden`).
  [[nodiscard]] std::vector<atom> nodes(bool include_hidden = false) const;
  [[nodiscard]] bool is_connected(atom node) const;

  // -- node monitoring --
  /// `monitor_node(Node, true)` for local process `watcher`: one `{nodedown, Node}` message
  /// when the connection goes (at once if it cannot be made). `false` removes one.
  void monitor_node(const pid& watcher, atom node, bool on);
  /// `net_kernel:monitor_nodes(true)`: `{nodeup, N}` / `{nodedown, N}` for every visible node;
  /// `false` removes the subscription.
  void monitor_nodes(const pid& watcher, bool on);
  /// `net_kernel:monitor_nodes(true, Options)`: one subscription per watcher and options, as
  /// net_kernel keeps them.
  void monitor_nodes(const pid& watcher, bool on, monitor_nodes_options options);
  /// Reads net_kernel's option list (`[nodedown_reason, {node_type, all}]`) or map; nullopt
  /// for a malformed one (net_kernel answers `error`).
  [[nodiscard]] static std::optional<monitor_nodes_options> parse_monitor_nodes_options(const term& options);
  /// C++ observer of node events, run on the I/O thread; returns an id for removal.
  std::uint64_t on_node_event(std::function<void(const node_event&)> observer);
  void remove_node_observer(std::uint64_t id);

  // -- funs on the wire --
  /// One connection, as the closure policy sees it when it comes up.
  struct closure_peer {
    atom node;
    std::uint32_t creation = 0;
    bool hidden = false;           ///< a hidden node (erl_call, a C node)
    std::uint64_t connection = 0;  ///< this connection, for release_closures and pass_closure_gate
  };
  /// What closures in messages to one connection's peer become, and which messages wait.
  struct closure_policy {
    /// What each closure becomes (etf::closure_rewriter); null: closures travel as they are.
    std::shared_ptr<const etf::closure_rewriter> rewriter;
    /// Set while `rewriter` cannot say yet (it learns from the peer): a frame whose payload
    /// this holds true for waits, and so does every frame to the peer queued after it, so
    /// nothing overtakes it, until `release_closures` or `hold_limit` (then they go as they are,
    /// with a log line). Frames of the senders `pass_closure_gate` names pass the waiting ones.
    std::function<bool(const term& payload)> must_wait;
    std::chrono::milliseconds hold_limit = std::chrono::seconds(5);
  };
  /// Makes the closure policy of each connection as it comes up; called on the I/O thread
  /// before anything is written to it, so it must be quick and must not call the engine.
  /// Connections already up keep theirs. Unset: closures travel as they are.
  using closure_policy_factory = std::function<closure_policy(const closure_peer&)>;
  void set_closure_policy_factory(closure_policy_factory factory);
  /// The rewriter of `connection` to `node` can say now (`learned`), or never will: the frames
  /// waiting for it go out, in order, and none waits from now on. Thread-safe; a connection
  /// that is gone or released already is left alone.
  void release_closures(atom node, std::uint64_t connection, bool learned);
  /// Frames from `sender` to `node` on `connection` pass the frames waiting for its rewriter
  /// (the process that learns what the rewriter needs from the peer). Thread-safe.
  void pass_closure_gate(atom node, std::uint64_t connection, const pid& sender);

  // -- otpp::distribution (thread-safe, never blocks) --
  void send(const pid& from, const pid& to, term msg) override;
  void send_named(const pid& from, atom name, atom node, term msg) override;
  void send_alias(const pid& from, const reference& alias, term msg) override;
  void link(const pid& from, const pid& to) override;
  void unlink(const pid& from, const pid& to, std::uint64_t id) override;
  void unlink_ack(const pid& from, const pid& to, std::uint64_t id) override;
  void exit(const pid& from, const pid& to, term reason, bool is_exit2) override;
  void monitor(const pid& watcher, const term& target, atom node, const reference& ref) override;
  void demonitor(const pid& watcher, const term& target, atom node, const reference& ref) override;
  void monitor_exit(const term& target, const pid& watcher, const reference& ref, term reason) override;
  void group_leader(const pid& from, const pid& to, const pid& leader) override;
  void spawn_request(atom node, const remote_spawn_request& r) override;
  void hold_writes() override;
  void release_writes() override;
  void spawn_reply(const pid& to, const reference& req_id, term result, bool link,
                   bool monitor) override;

  struct impl;

 private:
  engine_options options_;
  atom name_;
  std::uint32_t creation_ = 0;
  std::uint16_t port_ = 0;
  std::uint16_t epmd_port_ = 0;
  std::string cookie_;
  std::unique_ptr<impl> impl_;
};

}  // namespace otpp::dist
