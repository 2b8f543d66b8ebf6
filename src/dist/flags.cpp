// Printable names of distribution flags, for log lines about refused peers.
#include "otpp/dist/flags.hpp"

#include <cstdio>
#include <utility>

namespace otpp::dist {

std::string flags_to_string(std::uint64_t flags) {
  static constexpr std::pair<std::uint64_t, const char*> names[] = {
      {dflag::published, "PUBLISHED"},
      {dflag::atom_cache, "ATOM_CACHE"},
      {dflag::extended_references, "EXTENDED_REFERENCES"},
      {dflag::dist_monitor, "DIST_MONITOR"},
      {dflag::fun_tags, "FUN_TAGS"},
      {dflag::dist_monitor_name, "DIST_MONITOR_NAME"},
      {dflag::hidden_atom_cache, "HIDDEN_ATOM_CACHE"},
      {dflag::new_fun_tags, "NEW_FUN_TAGS"},
      {dflag::extended_pids_ports, "EXTENDED_PIDS_PORTS"},
      {dflag::export_ptr_tag, "EXPORT_PTR_TAG"},
      {dflag::bit_binaries, "BIT_BINARIES"},
      {dflag::new_floats, "NEW_FLOATS"},
      {dflag::unicode_io, "UNICODE_IO"},
      {dflag::dist_hdr_atom_cache, "DIST_HDR_ATOM_CACHE"},
      {dflag::small_atom_tags, "SMALL_ATOM_TAGS"},
      {dflag::utf8_atoms, "UTF8_ATOMS"},
      {dflag::map_tag, "MAP_TAG"},
      {dflag::big_creation, "BIG_CREATION"},
      {dflag::send_sender, "SEND_SENDER"},
      {dflag::big_seqtrace_labels, "BIG_SEQTRACE_LABELS"},
      {dflag::exit_payload, "EXIT_PAYLOAD"},
      {dflag::fragments, "FRAGMENTS"},
      {dflag::handshake_23, "HANDSHAKE_23"},
      {dflag::unlink_id, "UNLINK_ID"},
      {dflag::mandatory_25_digest, "MANDATORY_25_DIGEST"},
      {dflag::spawn, "SPAWN"},
      {dflag::name_me, "NAME_ME"},
      {dflag::v4_nc, "V4_NC"},
      {dflag::alias, "ALIAS"},
      {dflag::local_ext, "LOCAL_EXT"},
      {dflag::altact_sig, "ALTACT_SIG"},
  };
  std::string out;
  std::uint64_t rest = flags;
  for (auto [bit, name] : names) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += '|';
    out += name;
    rest &= ~bit;
  }
  if (rest) {
    if (!out.empty()) out += '|';
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(rest));
    out += buf;
  }
  return out.empty() ? "0" : out;
}

}  // namespace otpp::dist
