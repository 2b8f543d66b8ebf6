// The narrow interface between the local runtime and the distribution layer: the runtime
// hands every signal addressed to a pid (or name) on another node to a `distribution`, and
// the distribution layer hands every signal arriving from the wire to `remote_signals`.
// Like OTP's dist.c beside erl_process.c, neither side knows how the other works.
#pragma once

#include "otpp/term/term.hpp"

namespace otpp {

/// One SPAWN_REQUEST: `from` asks a node to start `module:function(args...)`.
struct remote_spawn_request {
  reference req_id;   ///< names the request; also the monitor's reference when `monitor`
  pid from;           ///< the requesting process
  pid group_leader;   ///< the new process's group leader (the requester's)
  atom module;
  atom function;
  term args;          ///< the argument list
  term opts;          ///< the options as they travel (link, monitor, ...)
  bool link = false;     ///< the new process is linked to `from`
  bool monitor = false;  ///< `from` monitors the new process with reference `req_id`
};

/// Implemented by the distribution layer (dist/); installed into a runtime with
/// `runtime::set_distribution`. Every method is thread-safe and must not block: it queues
/// the signal on the connection to `to.node` (connecting on first use) and returns.
/// Signals from one sender to one receiver must leave in the order the methods were called.
/// When no connection can be made, the distribution layer reports it back through
/// `remote_signals` (a linked or monitoring local process gets `noconnection`).
class distribution {
 public:
  virtual ~distribution() = default;

  /// SEND / SEND_SENDER: `msg` from local `from` to remote `to`.
  virtual void send(const pid& from, const pid& to, term msg) = 0;
  /// REG_SEND: `msg` from local `from` to the process registered as `name` on `node`.
  virtual void send_named(const pid& from, atom name, atom node, term msg) = 0;
  /// ALIAS_SEND: `msg` to a remote alias reference.
  virtual void send_alias(const pid& from, const reference& alias, term msg) = 0;
  /// LINK: local `from` linked itself to remote `to`.
  virtual void link(const pid& from, const pid& to) = 0;
  /// UNLINK_ID: local `from` removed its link to remote `to`; `id` pairs with the ack.
  virtual void unlink(const pid& from, const pid& to, std::uint64_t id) = 0;
  /// UNLINK_ID_ACK: local `from` acknowledges remote `to`'s unlink `id`.
  virtual void unlink_ack(const pid& from, const pid& to, std::uint64_t id) = 0;
  /// EXIT (a link broke because local `from` exited) or EXIT2 (`exit(To, Reason)` called by
  /// `from`), with `reason`.
  virtual void exit(const pid& from, const pid& to, term reason, bool is_exit2) = 0;
  /// MONITOR_P: local `watcher` monitors `target` (a remote pid, or an atom name) on `node`.
  virtual void monitor(const pid& watcher, const term& target, atom node, const reference& ref) = 0;
  /// DEMONITOR_P.
  virtual void demonitor(const pid& watcher, const term& target, atom node, const reference& ref) = 0;
  /// MONITOR_P_EXIT: the local process `target` (pid, or the name it was monitored by)
  /// monitored by remote `watcher` went down with `reason`.
  virtual void monitor_exit(const term& target, const pid& watcher, const reference& ref, term reason) = 0;
  /// GROUP_LEADER: set remote `to`'s group leader to `leader`.
  virtual void group_leader(const pid& from, const pid& to, const pid& leader) = 0;
  /// SPAWN_REQUEST: local `r.from` asks `node` to start a process. The answer comes back
  /// through `remote_signals::spawn_reply` (`noconnection` when `node` cannot be reached,
  /// `badarg` for this node's own name).
  virtual void spawn_request(atom node, const remote_spawn_request& r) = 0;
  /// SPAWN_REPLY to remote `to` for its request `req_id`: the new local pid, whose link and
  /// monitor (as `link` / `monitor` say) are in place, or an error atom.
  virtual void spawn_reply(const pid& to, const reference& req_id, term result, bool link,
                           bool monitor) = 0;

  /// Signals this thread queues from now until the matching `release_writes` leave together
  /// (one write per connection) rather than each as it is queued: a gen_server call's
  /// MONITOR_P and its request travel in one packet. Calls nest; the order is kept.
  virtual void hold_writes() {}
  virtual void release_writes() {}
};

/// Implemented by the runtime; the distribution layer calls it for every signal that arrives
/// from another node, and when a node goes down. Thread-safe; never blocks.
class remote_signals {
 public:
  virtual ~remote_signals() = default;

  /// A message for a local pid (SEND, SEND_SENDER). Dropped silently if `to` is dead.
  virtual void deliver(const pid& to, term msg) = 0;
  /// A message for a local registered name (REG_SEND). Dropped if no such name.
  virtual void deliver_named(atom name, term msg) = 0;
  /// A message for a local alias (ALIAS_SEND). Dropped if the alias is not active.
  virtual void deliver_alias(const reference& alias, term msg) = 0;
  /// Remote `from` linked to local `to`. If `to` is dead, the runtime answers with an exit
  /// signal `noproc` through `distribution::exit`.
  virtual void link(const pid& from, const pid& to) = 0;
  /// Remote `from` unlinked from local `to` (the runtime acks through the distribution).
  virtual void unlink(const pid& from, const pid& to, std::uint64_t id) = 0;
  /// Remote `from` acknowledged local `to`'s unlink `id`.
  virtual void unlink_ack(const pid& from, const pid& to, std::uint64_t id) = 0;
  /// An exit signal from remote `from` to local `to`: a broken link (EXIT) or `exit/2` (EXIT2).
  virtual void exit(const pid& from, const pid& to, term reason, bool is_exit2) = 0;
  /// An exit signal as exit/2 sends it, from remote `from` through a local alias (a reference)
  /// or registered name (an atom): it reaches the alias's owner or the name's process, and is
  /// dropped when the alias is not active or the name not registered.
  virtual void exit_via(const pid& from, const term& target, term reason) = 0;
  /// Remote `watcher` monitors local `target` (a pid or an atom name). If there is no such
  /// process the runtime answers at once with `monitor_exit(..., noproc)`.
  virtual void monitor(const pid& watcher, const term& target, const reference& ref) = 0;
  virtual void demonitor(const pid& watcher, const term& target, const reference& ref) = 0;
  /// A remote process that local `watcher` monitored (`target` is the pid or the
  /// `{Name, Node}` tuple, as the DOWN message will show it) went down.
  virtual void monitor_down(const pid& watcher, const term& target, const reference& ref, term reason) = 0;
  /// Remote `from` sets local `to`'s group leader to `leader`.
  virtual void group_leader(const pid& from, const pid& to, const pid& leader) = 0;
  /// A SPAWN_REQUEST from remote `r.from`: the runtime starts the process (its body made by
  /// the runtime's spawn hook), sends the SPAWN_REPLY through `distribution::spawn_reply`
  /// before the process runs, and owns the link and the monitor the request asks for.
  virtual void spawn_request(remote_spawn_request r) = 0;
  /// The SPAWN_REPLY to local `to`'s request `req_id`: the remote pid (`link` / `monitor`
  /// say which the peer set up) or an error atom.
  virtual void spawn_reply(const pid& to, const reference& req_id, term result, bool link,
                           bool monitor) = 0;
  /// The connection to `node` is gone: every link to a process there breaks with reason
  /// `noconnection`, every monitor of one fires DOWN with `noconnection`, and remote
  /// monitors held by processes there are forgotten, and requests
  /// spawning there are answered with `noconnection`.
  virtual void node_down(atom node) = 0;
};

}  // namespace otpp
