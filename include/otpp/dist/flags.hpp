// Distribution capability flags exchanged in the handshake (erl_dist_protocol "DFLAG_*"),
// with the sets otpp advertises and requires of a peer.
#pragma once

#include <cstdint>
#include <string>

namespace otpp::dist {

/// One capability bit. Values are the wire values of OTP's DFLAG_* macros.
namespace dflag {
inline constexpr std::uint64_t published = 0x1;            ///< a visible (not hidden) node
inline constexpr std::uint64_t atom_cache = 0x2;           ///< old atom cache (obsolete)
inline constexpr std::uint64_t extended_references = 0x4;  ///< references of several words
inline constexpr std::uint64_t dist_monitor = 0x8;         ///< MONITOR_P / DEMONITOR_P by pid
inline constexpr std::uint64_t fun_tags = 0x10;            ///< FUN_EXT understood
inline constexpr std::uint64_t dist_monitor_name = 0x20;   ///< MONITOR_P by registered name
inline constexpr std::uint64_t hidden_atom_cache = 0x40;   ///< obsolete
inline constexpr std::uint64_t new_fun_tags = 0x80;        ///< NEW_FUN_EXT understood
inline constexpr std::uint64_t extended_pids_ports = 0x100;
inline constexpr std::uint64_t export_ptr_tag = 0x200;     ///< EXPORT_EXT understood
inline constexpr std::uint64_t bit_binaries = 0x400;       ///< BIT_BINARY_EXT understood
inline constexpr std::uint64_t new_floats = 0x800;         ///< NEW_FLOAT_EXT understood
inline constexpr std::uint64_t unicode_io = 0x1000;        ///< unicode io requests
inline constexpr std::uint64_t dist_hdr_atom_cache = 0x2000;  ///< distribution header 131 68
inline constexpr std::uint64_t small_atom_tags = 0x4000;   ///< SMALL_ATOM_EXT understood
inline constexpr std::uint64_t utf8_atoms = 0x10000;       ///< ATOM_UTF8_EXT understood
inline constexpr std::uint64_t map_tag = 0x20000;          ///< MAP_EXT understood
inline constexpr std::uint64_t big_creation = 0x40000;     ///< 32-bit creations
inline constexpr std::uint64_t send_sender = 0x80000;      ///< SEND_SENDER control message
inline constexpr std::uint64_t big_seqtrace_labels = 0x100000;
inline constexpr std::uint64_t exit_payload = 0x400000;    ///< PAYLOAD_EXIT* control messages
inline constexpr std::uint64_t fragments = 0x800000;       ///< fragmented messages (131 69/70)
inline constexpr std::uint64_t handshake_23 = 0x1000000;   ///< version 6 handshake
inline constexpr std::uint64_t unlink_id = 0x2000000;      ///< UNLINK_ID / UNLINK_ID_ACK
inline constexpr std::uint64_t mandatory_25_digest = 0x4000000;  ///< "all OTP 25 mandatory flags"
inline constexpr std::uint64_t spawn = 1ULL << 32;         ///< SPAWN_REQUEST / SPAWN_REPLY
inline constexpr std::uint64_t name_me = 1ULL << 33;       ///< dynamic node name requested
inline constexpr std::uint64_t v4_nc = 1ULL << 34;         ///< 64-bit pids/ports, 5-word refs
inline constexpr std::uint64_t alias = 1ULL << 35;         ///< ALIAS_SEND
inline constexpr std::uint64_t local_ext = 1ULL << 36;     ///< internal to a BEAM node; never sent
/// ALTACT_SIG_SEND (OTP 28): alias sends, priority messages and exit signals through aliases
/// and names; OTP 28 deprecates ALIAS_SEND for it (removal planned for OTP 30).
inline constexpr std::uint64_t altact_sig = 1ULL << 37;

/// What OTP 25 refuses to connect without.
inline constexpr std::uint64_t mandatory_25 =
    extended_references | fun_tags | extended_pids_ports | new_fun_tags | export_ptr_tag |
    bit_binaries | new_floats | utf8_atoms | map_tag | big_creation | handshake_23;
/// What OTP 26 refuses to connect without; otpp requires this of every peer.
inline constexpr std::uint64_t mandatory_26 = mandatory_25 | unlink_id | v4_nc;

/// Everything otpp implements and advertises. No DIST_HDR_ATOM_CACHE: otpp sends and expects
/// pass-through frames (a peer may still send 131 68 headers without cache entries).
inline constexpr std::uint64_t otpp_default = mandatory_26 | mandatory_25_digest | published |
                                              dist_monitor | dist_monitor_name | unicode_io |
                                              small_atom_tags | send_sender | big_seqtrace_labels |
                                              exit_payload | fragments | spawn | alias | altact_sig;
}  // namespace dflag

/// Flags as the peer means them: MANDATORY_25_DIGEST stands for the whole OTP 25 set.
[[nodiscard]] constexpr std::uint64_t expand_flags(std::uint64_t flags) noexcept {
  return (flags & dflag::mandatory_25_digest) ? (flags | dflag::mandatory_25) : flags;
}

/// The mandatory flags missing from `peer_flags`, 0 when none are.
[[nodiscard]] constexpr std::uint64_t missing_mandatory(std::uint64_t peer_flags) noexcept {
  return dflag::mandatory_26 & ~expand_flags(peer_flags);
}

/// Names of the set bits, e.g. "UNLINK_ID|V4_NC", for log lines.
[[nodiscard]] std::string flags_to_string(std::uint64_t flags);

}  // namespace otpp::dist
