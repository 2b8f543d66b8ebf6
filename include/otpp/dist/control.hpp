// Control messages between connected nodes (erl_dist_protocol "Protocol between connected
// nodes"): the opcodes, one decoded struct per signal, the decoder from a frame's bytes to a
// signal, and one encoder per signal that writes the control term (and payload) in the
// external term format. Pure functions: no sockets, no runtime, so the fuzzer can drive them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "otpp/dist/result.hpp"
#include "otpp/term/term.hpp"

namespace otpp::dist {

/// Control message opcodes: the first element of the control tuple.
enum class control_op : std::uint8_t {
  link = 1,                     ///< {1, FromPid, ToPid}
  send = 2,                     ///< {2, Unused, ToPid} + Message
  exit = 3,                     ///< {3, FromPid, ToPid, Reason}: a link broke
  unlink = 4,                   ///< {4, FromPid, ToPid} (replaced by UNLINK_ID)
  node_link = 5,                ///< {5} (obsolete)
  reg_send = 6,                 ///< {6, FromPid, Unused, ToName} + Message
  group_leader = 7,             ///< {7, LeaderPid, ToPid}
  exit2 = 8,                    ///< {8, FromPid, ToPid, Reason}: exit/2
  send_tt = 12,                 ///< {12, Unused, ToPid, TraceToken} + Message
  exit_tt = 13,                 ///< {13, FromPid, ToPid, TraceToken, Reason}
  reg_send_tt = 16,             ///< {16, FromPid, Unused, ToName, TraceToken} + Message
  exit2_tt = 18,                ///< {18, FromPid, ToPid, TraceToken, Reason}
  monitor_p = 19,               ///< {19, FromPid, ToProc, Ref}: ToProc is a pid or a name
  demonitor_p = 20,             ///< {20, FromPid, ToProc, Ref}
  monitor_p_exit = 21,          ///< {21, FromProc, ToPid, Ref, Reason}
  send_sender = 22,             ///< {22, FromPid, ToPid} + Message
  send_sender_tt = 23,          ///< {23, FromPid, ToPid, TraceToken} + Message
  payload_exit = 24,            ///< {24, FromPid, ToPid} + Reason
  payload_exit_tt = 25,         ///< {25, FromPid, ToPid, TraceToken} + Reason
  payload_exit2 = 26,           ///< {26, FromPid, ToPid} + Reason
  payload_exit2_tt = 27,        ///< {27, FromPid, ToPid, TraceToken} + Reason
  payload_monitor_p_exit = 28,  ///< {28, FromProc, ToPid, Ref} + Reason
  spawn_request = 29,           ///< {29, ReqId, From, GroupLeader, {M, F, Arity}, Opts} + Args
  spawn_request_tt = 30,        ///< {30, ReqId, From, GroupLeader, {M, F, Arity}, Opts, Token} + Args
  spawn_reply = 31,             ///< {31, ReqId, To, Flags, Result}
  spawn_reply_tt = 32,          ///< {32, ReqId, To, Flags, Result, Token}
  alias_send = 33,              ///< {33, FromPid, Alias} + Message
  alias_send_tt = 34,           ///< {34, FromPid, Alias, Token} + Message
  unlink_id = 35,               ///< {35, Id, FromPid, ToPid}
  unlink_id_ack = 36,           ///< {36, Id, FromPid, ToPid}
  altact_sig_send = 37,         ///< {37, Flags, SenderPid, To[, Token]} + Message or Reason
};
[[nodiscard]] std::string_view to_string(control_op op) noexcept;

/// ALTACT_SIG_SEND's Flags bits (the low byte counts; higher bits are for future use).
namespace altact {
inline constexpr std::uint8_t prio = 1;    ///< a priority message or exit signal
inline constexpr std::uint8_t token = 2;   ///< a trace token follows To in the control tuple
inline constexpr std::uint8_t alias = 4;   ///< To is an alias (a reference)
inline constexpr std::uint8_t name = 8;    ///< To is a registered name (an atom)
inline constexpr std::uint8_t exit = 16;   ///< an exit signal (the payload is its reason)
}  // namespace altact

/// SPAWN_REPLY flags.
inline constexpr std::uint32_t spawn_reply_link = 1;
inline constexpr std::uint32_t spawn_reply_monitor = 2;

/// One struct per signal, as the receiving node acts on it. Trace tokens are dropped;
/// PAYLOAD_* and *_TT forms decode to the same struct as their base form.
namespace signal {
struct send {
  std::optional<pid> from;  ///< absent for SEND (2), present for SEND_SENDER (22)
  pid to;
  term message;
};
struct reg_send {
  pid from;
  atom name;
  term message;
};
struct alias_send {
  pid from;
  reference alias;
  term message;
};
struct link {
  pid from, to;
};
struct unlink {  ///< UNLINK_ID (id set) or the old UNLINK (id 0)
  std::uint64_t id = 0;
  pid from, to;
};
struct unlink_ack {
  std::uint64_t id = 0;
  pid from, to;
};
struct exit {
  pid from, to;
  term reason;
  bool is_exit2 = false;
};
/// An exit signal (as exit/2 sends) through an alias or a registered name (ALTACT_SIG_SEND).
struct exit_via {
  pid from;
  term target;  ///< a reference (an alias) or an atom (a name)
  term reason;
};
struct monitor {
  pid watcher;
  term target;  ///< a pid or an atom (monitor by name)
  reference ref;
};
struct demonitor {
  pid watcher;
  term target;
  reference ref;
};
struct monitor_exit {
  term target;  ///< the monitored pid, or the name it was monitored by
  pid watcher;
  reference ref;
  term reason;
};
struct group_leader {
  pid leader, to;
};
struct spawn_request {
  reference req_id;
  pid from;
  pid group_leader;
  atom module, function;
  std::uint32_t arity = 0;
  term opts;  ///< the option list (link, monitor, {reply, ...}, ...)
  term args;  ///< the argument list
};
struct spawn_reply {
  reference req_id;
  pid to;
  std::uint32_t flags = 0;  ///< spawn_reply_link | spawn_reply_monitor
  term result;              ///< the new pid, or an error atom
};
struct node_link {};
}  // namespace signal

using control_signal =
    std::variant<signal::send, signal::reg_send, signal::alias_send, signal::link, signal::unlink,
                 signal::unlink_ack, signal::exit, signal::monitor, signal::demonitor,
                 signal::monitor_exit, signal::group_leader, signal::spawn_request,
                 signal::spawn_reply, signal::node_link, signal::exit_via>;

/// Interprets a decoded control tuple and its payload (required exactly for the opcodes
/// that carry one). Any shape OTP would not send is a failure naming what was wrong.
/// ALTACT_SIG_SEND decodes to the signal it stands for: a message to a pid (send), a name
/// (reg_send) or an alias (alias_send), an exit signal to a pid (exit, as EXIT2) or through an
/// alias or a name (exit_via). Priority is not kept: no otpp process enables priority
/// reception, and OTP delivers a priority message to such a receiver as an ordinary one.
[[nodiscard]] result<control_signal> parse_control(const term& control, const term* payload);

/// Decodes the body of a pass-through frame (after the 4-byte length: 112, 131 control
/// [131 payload]) into a signal. Total: any bytes give a signal or a failure.
[[nodiscard]] result<control_signal> decode_pass_through(std::span<const std::uint8_t> body);

/// Decodes control and payload that follow a distribution header (no version bytes).
[[nodiscard]] result<control_signal> decode_after_header(std::span<const std::uint8_t> bytes,
                                                         std::span<const atom> atom_cache = {});

/// One encoder per signal. Each appends the control tuple, without the leading 131, to `out`
/// and returns the payload term that must follow it (the message, the exit reason, the
/// spawn arguments), if the chosen form has one. `flags` are the flags agreed with the peer:
/// they choose between forms (SEND_SENDER or SEND, PAYLOAD_EXIT or EXIT, ...).
namespace encode {
using bytes = std::vector<std::uint8_t>;
[[nodiscard]] std::optional<term> send(bytes& out, std::uint64_t flags, const pid& from, const pid& to, term msg);
[[nodiscard]] std::optional<term> reg_send(bytes& out, const pid& from, atom name, term msg);
/// ALTACT_SIG_SEND with the alias flag when the peer agreed to DFLAG_ALTACT_SIG, else ALIAS_SEND.
[[nodiscard]] std::optional<term> alias_send(bytes& out, std::uint64_t flags, const pid& from,
                                             const reference& alias, term msg);
[[nodiscard]] std::optional<term> link(bytes& out, const pid& from, const pid& to);
[[nodiscard]] std::optional<term> unlink(bytes& out, std::uint64_t flags, const pid& from, const pid& to,
                                         std::uint64_t id);
[[nodiscard]] std::optional<term> unlink_ack(bytes& out, const pid& from, const pid& to, std::uint64_t id);
[[nodiscard]] std::optional<term> exit(bytes& out, std::uint64_t flags, const pid& from, const pid& to,
                                       term reason, bool is_exit2);
[[nodiscard]] std::optional<term> monitor(bytes& out, const pid& watcher, const term& target,
                                          const reference& ref);
[[nodiscard]] std::optional<term> demonitor(bytes& out, const pid& watcher, const term& target,
                                            const reference& ref);
[[nodiscard]] std::optional<term> monitor_exit(bytes& out, std::uint64_t flags, const term& target,
                                               const pid& watcher, const reference& ref, term reason);
[[nodiscard]] std::optional<term> group_leader(bytes& out, const pid& leader, const pid& to);
[[nodiscard]] std::optional<term> spawn_request(bytes& out, const reference& req_id, const pid& from,
                                                const pid& group_leader, atom module, atom function,
                                                term args, const term& opts);
[[nodiscard]] std::optional<term> spawn_reply(bytes& out, const reference& req_id, const pid& to,
                                              std::uint32_t flags, const term& result);
}  // namespace encode

/// The complete body of a pass-through frame (112, 131 control, 131 payload): what travels
/// after the 4-byte length when a message is not fragmented.
[[nodiscard]] std::vector<std::uint8_t> pass_through_body(std::span<const std::uint8_t> control,
                                                          const std::optional<term>& payload);

}  // namespace otpp::dist
