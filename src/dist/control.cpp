// Control message codec: hand-written encoders for the fixed parts of each control tuple
// (small integers, atoms, pids, references) so no term is built per signal, the term
// codec for everything else, and a strict decoder.
#include "otpp/dist/control.hpp"

#include <cstring>

#include "otpp/dist/flags.hpp"
#include "otpp/term/etf.hpp"

namespace otpp::dist {

std::string_view to_string(control_op op) noexcept {
  switch (op) {
    case control_op::link: return "LINK";
    case control_op::send: return "SEND";
    case control_op::exit: return "EXIT";
    case control_op::unlink: return "UNLINK";
    case control_op::node_link: return "NODE_LINK";
    case control_op::reg_send: return "REG_SEND";
    case control_op::group_leader: return "GROUP_LEADER";
    case control_op::exit2: return "EXIT2";
    case control_op::send_tt: return "SEND_TT";
    case control_op::exit_tt: return "EXIT_TT";
    case control_op::reg_send_tt: return "REG_SEND_TT";
    case control_op::exit2_tt: return "EXIT2_TT";
    case control_op::monitor_p: return "MONITOR_P";
    case control_op::demonitor_p: return "DEMONITOR_P";
    case control_op::monitor_p_exit: return "MONITOR_P_EXIT";
    case control_op::send_sender: return "SEND_SENDER";
    case control_op::send_sender_tt: return "SEND_SENDER_TT";
    case control_op::payload_exit: return "PAYLOAD_EXIT";
    case control_op::payload_exit_tt: return "PAYLOAD_EXIT_TT";
    case control_op::payload_exit2: return "PAYLOAD_EXIT2";
    case control_op::payload_exit2_tt: return "PAYLOAD_EXIT2_TT";
    case control_op::payload_monitor_p_exit: return "PAYLOAD_MONITOR_P_EXIT";
    case control_op::spawn_request: return "SPAWN_REQUEST";
    case control_op::spawn_request_tt: return "SPAWN_REQUEST_TT";
    case control_op::spawn_reply: return "SPAWN_REPLY";
    case control_op::spawn_reply_tt: return "SPAWN_REPLY_TT";
    case control_op::alias_send: return "ALIAS_SEND";
    case control_op::alias_send_tt: return "ALIAS_SEND_TT";
    case control_op::unlink_id: return "UNLINK_ID";
    case control_op::unlink_id_ack: return "UNLINK_ID_ACK";
    case control_op::altact_sig_send: return "ALTACT_SIG_SEND";
  }
  return "UNKNOWN";
}

// ---- encoding ----------------------------------------------------------------------------------

namespace {

using bytes = std::vector<std::uint8_t>;

inline void u8(bytes& out, std::uint8_t v) { out.push_back(v); }
inline void u16(bytes& out, std::uint16_t v) {
  std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  out.insert(out.end(), b, b + 2);
}
inline void u32(bytes& out, std::uint32_t v) {
  std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                       static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  out.insert(out.end(), b, b + 4);
}

void tuple_header(bytes& out, std::size_t arity) {
  u8(out, 104);
  u8(out, static_cast<std::uint8_t>(arity));
}
void small_int(bytes& out, std::uint8_t v) {
  u8(out, 97);
  u8(out, v);
}
void atom_ext(bytes& out, atom a) {
  auto name = a.name();
  if (name.size() <= 255) {
    u8(out, 119);  // SMALL_ATOM_UTF8_EXT
    u8(out, static_cast<std::uint8_t>(name.size()));
  } else {
    u8(out, 118);  // ATOM_UTF8_EXT
    u16(out, static_cast<std::uint16_t>(name.size()));
  }
  out.insert(out.end(), name.begin(), name.end());
}
void pid_ext(bytes& out, const pid& p) {
  u8(out, 88);  // NEW_PID_EXT
  atom_ext(out, p.node);
  u32(out, p.id);
  u32(out, p.serial);
  u32(out, p.creation);
}
void ref_ext(bytes& out, const reference& r) {
  u8(out, 90);  // NEWER_REFERENCE_EXT
  std::uint16_t len = r.length == 0 ? 1 : r.length;
  if (len > 5) len = 5;
  u16(out, len);
  atom_ext(out, r.node);
  u32(out, r.creation);
  for (std::uint16_t i = 0; i < len; ++i) u32(out, r.words[i]);
}
void any_term(bytes& out, const term& t) {
  auto opts = etf::dist_encoding();
  std::size_t n = etf::encoded_size(t, opts, false);
  std::size_t at = out.size();
  out.resize(at + n);
  etf::encode_into(t, out.data() + at, opts, false);
}
// A pid or an atom (the target of a monitor), written directly when it is one of those.
void proc_ext(bytes& out, const term& t) {
  if (t.is_pid()) pid_ext(out, t.pid_value());
  else if (t.is_atom()) atom_ext(out, t.atom_value());
  else any_term(out, t);
}
void uint_ext(bytes& out, std::uint64_t v) {
  if (v < 256) return small_int(out, static_cast<std::uint8_t>(v));
  any_term(out, term(static_cast<unsigned long long>(v)));
}
void op_header(bytes& out, std::size_t arity, control_op op) {
  tuple_header(out, arity);
  small_int(out, static_cast<std::uint8_t>(op));
}

}  // namespace

namespace encode {

std::optional<term> send(bytes& out, std::uint64_t flags, const pid& from, const pid& to, term msg) {
  if (flags & dflag::send_sender) {
    op_header(out, 3, control_op::send_sender);
    pid_ext(out, from);
  } else {
    op_header(out, 3, control_op::send);
    atom_ext(out, atoms::empty);
  }
  pid_ext(out, to);
  return msg;
}

std::optional<term> reg_send(bytes& out, const pid& from, atom name, term msg) {
  op_header(out, 4, control_op::reg_send);
  pid_ext(out, from);
  atom_ext(out, atoms::empty);
  atom_ext(out, name);
  return msg;
}

std::optional<term> alias_send(bytes& out, std::uint64_t flags, const pid& from,
                               const reference& alias, term msg) {
  if (flags & dflag::altact_sig) {
    op_header(out, 4, control_op::altact_sig_send);
    small_int(out, altact::alias);
  } else {
    op_header(out, 3, control_op::alias_send);
  }
  pid_ext(out, from);
  ref_ext(out, alias);
  return msg;
}

std::optional<term> link(bytes& out, const pid& from, const pid& to) {
  op_header(out, 3, control_op::link);
  pid_ext(out, from);
  pid_ext(out, to);
  return std::nullopt;
}

std::optional<term> unlink(bytes& out, std::uint64_t flags, const pid& from, const pid& to, std::uint64_t id) {
  if (flags & dflag::unlink_id) {
    op_header(out, 4, control_op::unlink_id);
    uint_ext(out, id);
  } else {
    op_header(out, 3, control_op::unlink);
  }
  pid_ext(out, from);
  pid_ext(out, to);
  return std::nullopt;
}

std::optional<term> unlink_ack(bytes& out, const pid& from, const pid& to, std::uint64_t id) {
  op_header(out, 4, control_op::unlink_id_ack);
  uint_ext(out, id);
  pid_ext(out, from);
  pid_ext(out, to);
  return std::nullopt;
}

std::optional<term> exit(bytes& out, std::uint64_t flags, const pid& from, const pid& to, term reason,
                         bool is_exit2) {
  if (flags & dflag::exit_payload) {
    op_header(out, 3, is_exit2 ? control_op::payload_exit2 : control_op::payload_exit);
    pid_ext(out, from);
    pid_ext(out, to);
    return reason;
  }
  op_header(out, 4, is_exit2 ? control_op::exit2 : control_op::exit);
  pid_ext(out, from);
  pid_ext(out, to);
  any_term(out, reason);
  return std::nullopt;
}

std::optional<term> monitor(bytes& out, const pid& watcher, const term& target, const reference& ref) {
  op_header(out, 4, control_op::monitor_p);
  pid_ext(out, watcher);
  proc_ext(out, target);
  ref_ext(out, ref);
  return std::nullopt;
}

std::optional<term> demonitor(bytes& out, const pid& watcher, const term& target, const reference& ref) {
  op_header(out, 4, control_op::demonitor_p);
  pid_ext(out, watcher);
  proc_ext(out, target);
  ref_ext(out, ref);
  return std::nullopt;
}

std::optional<term> monitor_exit(bytes& out, std::uint64_t flags, const term& target, const pid& watcher,
                                 const reference& ref, term reason) {
  if (flags & dflag::exit_payload) {
    op_header(out, 4, control_op::payload_monitor_p_exit);
    proc_ext(out, target);
    pid_ext(out, watcher);
    ref_ext(out, ref);
    return reason;
  }
  op_header(out, 5, control_op::monitor_p_exit);
  proc_ext(out, target);
  pid_ext(out, watcher);
  ref_ext(out, ref);
  any_term(out, reason);
  return std::nullopt;
}

std::optional<term> group_leader(bytes& out, const pid& leader, const pid& to) {
  op_header(out, 3, control_op::group_leader);
  pid_ext(out, leader);
  pid_ext(out, to);
  return std::nullopt;
}

std::optional<term> spawn_request(bytes& out, const reference& req_id, const pid& from,
                                  const pid& group_leader, atom module, atom function, term args,
                                  const term& opts) {
  op_header(out, 6, control_op::spawn_request);
  ref_ext(out, req_id);
  pid_ext(out, from);
  pid_ext(out, group_leader);
  tuple_header(out, 3);
  atom_ext(out, module);
  atom_ext(out, function);
  std::size_t arity = args.is_list() ? args.list_elements().size() : 0;
  uint_ext(out, arity);
  any_term(out, opts);
  return args;
}

std::optional<term> spawn_reply(bytes& out, const reference& req_id, const pid& to, std::uint32_t flags,
                                const term& result) {
  op_header(out, 5, control_op::spawn_reply);
  ref_ext(out, req_id);
  pid_ext(out, to);
  uint_ext(out, flags);
  if (result.is_pid()) pid_ext(out, result.pid_value());
  else any_term(out, result);
  return std::nullopt;
}

}  // namespace encode

std::vector<std::uint8_t> pass_through_body(std::span<const std::uint8_t> control,
                                            const std::optional<term>& payload) {
  std::vector<std::uint8_t> out;
  auto opts = etf::dist_encoding();
  std::size_t payload_size = payload ? etf::encoded_size(*payload, opts, true) : 0;
  out.reserve(2 + control.size() + payload_size);
  out.push_back(112);
  out.push_back(131);
  out.insert(out.end(), control.begin(), control.end());
  if (payload) {
    std::size_t at = out.size();
    out.resize(at + payload_size);
    etf::encode_into(*payload, out.data() + at, opts, true);
  }
  return out;
}

// ---- decoding ----------------------------------------------------------------------------------

namespace {

bool carries_payload(control_op op) {
  switch (op) {
    case control_op::send:
    case control_op::reg_send:
    case control_op::send_tt:
    case control_op::reg_send_tt:
    case control_op::send_sender:
    case control_op::send_sender_tt:
    case control_op::payload_exit:
    case control_op::payload_exit_tt:
    case control_op::payload_exit2:
    case control_op::payload_exit2_tt:
    case control_op::payload_monitor_p_exit:
    case control_op::spawn_request:
    case control_op::spawn_request_tt:
    case control_op::alias_send:
    case control_op::alias_send_tt:
    case control_op::altact_sig_send:
      return true;
    default:
      return false;
  }
}

failure bad(control_op op, const char* what) {
  return failure{std::string(to_string(op)) + ": " + what};
}

std::optional<std::uint64_t> to_uint64(const term& t) {
  if (!t.is_integer() || t.integer_is_negative()) return std::nullopt;
  if (auto v = t.to_int64()) return static_cast<std::uint64_t>(*v);
  auto mag = t.integer_magnitude();
  if (mag.size() > 8) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = mag.size(); i-- > 0;) v = (v << 8) | mag[i];
  return v;
}

}  // namespace

result<control_signal> parse_control(const term& control, const term* payload) {
  if (!control.is_tuple() || control.tuple_size() == 0 || !control[0].is_small_integer())
    return failure{"control message is not a tuple starting with an opcode"};
  auto raw = control[0].small_integer();
  if (raw < 1 || raw > 37) return failure{"unknown control opcode " + std::to_string(raw)};
  auto op = static_cast<control_op>(raw);
  if (to_string(op) == "UNKNOWN") return failure{"unknown control opcode " + std::to_string(raw)};
  auto e = control.elements();
  std::size_t n = e.size();
  bool wants_payload = carries_payload(op);
  if (wants_payload && !payload) return bad(op, "payload missing");
  if (!wants_payload && payload) return bad(op, "unexpected payload");
  auto arity_is = [&](std::size_t k) { return n == k; };
  auto is_pid = [&](std::size_t i) { return e[i].is_pid(); };
  auto is_ref = [&](std::size_t i) { return e[i].is_reference(); };
  auto is_proc = [&](std::size_t i) { return e[i].is_pid() || e[i].is_atom(); };

  switch (op) {
    case control_op::link:
      if (!arity_is(3) || !is_pid(1) || !is_pid(2)) return bad(op, "malformed");
      return control_signal{signal::link{e[1].pid_value(), e[2].pid_value()}};
    case control_op::send:
    case control_op::send_tt:
      if (!arity_is(op == control_op::send ? 3 : 4) || !is_pid(2)) return bad(op, "malformed");
      return control_signal{signal::send{std::nullopt, e[2].pid_value(), *payload}};
    case control_op::send_sender:
    case control_op::send_sender_tt:
      if (!arity_is(op == control_op::send_sender ? 3 : 4) || !is_pid(2)) return bad(op, "malformed");
      // OTP puts the sender's pid here; anything else is kept out of the message.
      return control_signal{signal::send{is_pid(1) ? std::optional<pid>(e[1].pid_value()) : std::nullopt,
                                         e[2].pid_value(), *payload}};
    case control_op::exit:
    case control_op::exit2:
      if (!arity_is(4) || !is_pid(1) || !is_pid(2)) return bad(op, "malformed");
      return control_signal{signal::exit{e[1].pid_value(), e[2].pid_value(), e[3], op == control_op::exit2}};
    case control_op::exit_tt:
    case control_op::exit2_tt:
      if (!arity_is(5) || !is_pid(1) || !is_pid(2)) return bad(op, "malformed");
      return control_signal{signal::exit{e[1].pid_value(), e[2].pid_value(), e[4], op == control_op::exit2_tt}};
    case control_op::payload_exit:
    case control_op::payload_exit2:
    case control_op::payload_exit_tt:
    case control_op::payload_exit2_tt: {
      bool tt = op == control_op::payload_exit_tt || op == control_op::payload_exit2_tt;
      if (!arity_is(tt ? 4 : 3) || !is_pid(1) || !is_pid(2)) return bad(op, "malformed");
      bool two = op == control_op::payload_exit2 || op == control_op::payload_exit2_tt;
      return control_signal{signal::exit{e[1].pid_value(), e[2].pid_value(), *payload, two}};
    }
    case control_op::unlink:
      if (!arity_is(3) || !is_pid(1) || !is_pid(2)) return bad(op, "malformed");
      return control_signal{signal::unlink{0, e[1].pid_value(), e[2].pid_value()}};
    case control_op::unlink_id:
    case control_op::unlink_id_ack: {
      if (!arity_is(4) || !is_pid(2) || !is_pid(3)) return bad(op, "malformed");
      auto id = to_uint64(e[1]);
      if (!id) return bad(op, "id is not an unsigned 64-bit integer");
      if (op == control_op::unlink_id) return control_signal{signal::unlink{*id, e[2].pid_value(), e[3].pid_value()}};
      return control_signal{signal::unlink_ack{*id, e[2].pid_value(), e[3].pid_value()}};
    }
    case control_op::node_link:
      return control_signal{signal::node_link{}};
    case control_op::reg_send:
    case control_op::reg_send_tt:
      if (!arity_is(op == control_op::reg_send ? 4 : 5) || !is_pid(1) || !e[3].is_atom())
        return bad(op, "malformed");
      return control_signal{signal::reg_send{e[1].pid_value(), e[3].atom_value(), *payload}};
    case control_op::group_leader:
      if (!arity_is(3) || !is_pid(1) || !is_pid(2)) return bad(op, "malformed");
      return control_signal{signal::group_leader{e[1].pid_value(), e[2].pid_value()}};
    case control_op::monitor_p:
    case control_op::demonitor_p:
      if (!arity_is(4) || !is_pid(1) || !is_proc(2) || !is_ref(3)) return bad(op, "malformed");
      if (op == control_op::monitor_p)
        return control_signal{signal::monitor{e[1].pid_value(), e[2], e[3].reference_value()}};
      return control_signal{signal::demonitor{e[1].pid_value(), e[2], e[3].reference_value()}};
    case control_op::monitor_p_exit:
      if (!arity_is(5) || !is_proc(1) || !is_pid(2) || !is_ref(3)) return bad(op, "malformed");
      return control_signal{signal::monitor_exit{e[1], e[2].pid_value(), e[3].reference_value(), e[4]}};
    case control_op::payload_monitor_p_exit:
      if (!arity_is(4) || !is_proc(1) || !is_pid(2) || !is_ref(3)) return bad(op, "malformed");
      return control_signal{signal::monitor_exit{e[1], e[2].pid_value(), e[3].reference_value(), *payload}};
    case control_op::spawn_request:
    case control_op::spawn_request_tt: {
      if (!arity_is(op == control_op::spawn_request ? 6 : 7) || !is_ref(1) || !is_pid(2) || !is_pid(3))
        return bad(op, "malformed");
      const term& mfa = e[4];
      if (!mfa.is_tuple() || mfa.tuple_size() != 3 || !mfa[0].is_atom() || !mfa[1].is_atom() ||
          !mfa[2].is_small_integer() || mfa[2].small_integer() < 0 || mfa[2].small_integer() > 255)
        return bad(op, "malformed {Module, Function, Arity}");
      if (!e[5].is_proper_list()) return bad(op, "options are not a list");
      if (!payload->is_proper_list()) return bad(op, "arguments are not a list");
      if (payload->list_elements().size() != static_cast<std::size_t>(mfa[2].small_integer()))
        return bad(op, "argument count differs from the arity");
      return control_signal{signal::spawn_request{e[1].reference_value(), e[2].pid_value(), e[3].pid_value(),
                                                  mfa[0].atom_value(), mfa[1].atom_value(),
                                                  static_cast<std::uint32_t>(mfa[2].small_integer()), e[5],
                                                  *payload}};
    }
    case control_op::spawn_reply:
    case control_op::spawn_reply_tt: {
      if (!arity_is(op == control_op::spawn_reply ? 5 : 6) || !is_ref(1) || !is_pid(2) || !e[3].is_small_integer())
        return bad(op, "malformed");
      if (!e[4].is_pid() && !e[4].is_atom()) return bad(op, "result is neither a pid nor an atom");
      return control_signal{signal::spawn_reply{e[1].reference_value(), e[2].pid_value(),
                                                static_cast<std::uint32_t>(e[3].small_integer()), e[4]}};
    }
    case control_op::alias_send:
    case control_op::alias_send_tt:
      if (!arity_is(op == control_op::alias_send ? 3 : 4) || !is_pid(1) || !is_ref(2)) return bad(op, "malformed");
      return control_signal{signal::alias_send{e[1].pid_value(), e[2].reference_value(), *payload}};
    case control_op::altact_sig_send: {
      // The tuple may grow in later releases: only a minimum size is checked.
      if (n < 4 || !e[1].is_integer() || e[1].integer_is_negative() || !is_pid(2))
        return bad(op, "malformed");
      std::uint8_t flags = 0;
      if (auto v = e[1].to_int64())
        flags = static_cast<std::uint8_t>(*v & 0xff);
      else if (auto mag = e[1].integer_magnitude(); !mag.empty())
        flags = mag[0];
      if ((flags & altact::token) && n < 5) return bad(op, "token flag without a token");
      const pid from = e[2].pid_value();
      const term& to = e[3];
      const bool exit_signal = (flags & altact::exit) != 0;
      if (flags & altact::alias) {
        if (!to.is_reference() || (flags & altact::name))
          return bad(op, "alias flag without a reference");
        if (exit_signal) return control_signal{signal::exit_via{from, to, *payload}};
        return control_signal{signal::alias_send{from, to.reference_value(), *payload}};
      }
      if (flags & altact::name) {
        if (!to.is_atom()) return bad(op, "name flag without an atom");
        if (exit_signal) return control_signal{signal::exit_via{from, to, *payload}};
        return control_signal{signal::reg_send{from, to.atom_value(), *payload}};
      }
      if (!to.is_pid()) return bad(op, "receiver is not a pid");
      if (exit_signal) return control_signal{signal::exit{from, to.pid_value(), *payload, true}};
      return control_signal{signal::send{from, to.pid_value(), *payload}};
    }
  }
  return bad(op, "unsupported");
}

result<control_signal> decode_pass_through(std::span<const std::uint8_t> body) {
  if (body.empty() || body[0] != 112) return failure{"not a pass-through frame"};
  auto ctrl = etf::decode_prefix(body.subspan(1));
  if (!ctrl) return failure{"control message: " + ctrl.error().to_string()};
  auto rest = body.subspan(1 + ctrl->consumed);
  if (rest.empty()) return parse_control(ctrl->value, nullptr);
  auto msg = etf::decode_prefix(rest);
  if (!msg) return failure{"message: " + msg.error().to_string()};
  if (msg->consumed != rest.size()) return failure{"trailing bytes after the message"};
  return parse_control(ctrl->value, &msg->value);
}

result<control_signal> decode_after_header(std::span<const std::uint8_t> bytes,
                                           std::span<const atom> atom_cache) {
  etf::decode_options opts;
  opts.atom_cache = atom_cache;
  auto ctrl = etf::decode_body(bytes, opts);
  if (!ctrl) return failure{"control message: " + ctrl.error().to_string()};
  auto rest = bytes.subspan(ctrl->consumed);
  if (rest.empty()) return parse_control(ctrl->value, nullptr);
  auto msg = etf::decode_body(rest, opts);
  if (!msg) return failure{"message: " + msg.error().to_string()};
  if (msg->consumed != rest.size()) return failure{"trailing bytes after the message"};
  return parse_control(ctrl->value, &msg->value);
}

}  // namespace otpp::dist
