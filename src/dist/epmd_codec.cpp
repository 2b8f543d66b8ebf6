// EPMD request and reply codec (the protocol of erts/epmd/src/epmd_srv.c), apart from the
// sockets so fuzz targets and tests take it alone.
#include <cstdlib>
#include <string>

#include "bytes.hpp"
#include "otpp/dist/epmd.hpp"

namespace otpp::dist {

using detail::put_bytes;
using detail::put_u16;
using detail::put_u8;

std::uint16_t epmd_port_from_env() {
  if (const char* s = std::getenv("ERL_EPMD_PORT"); s && *s) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (end && *end == '\0' && v > 0 && v < 65536) return static_cast<std::uint16_t>(v);
  }
  return default_epmd_port;
}

// ---- codec -----------------------------------------------------------------------------------

namespace {
// Prefixes `body` with its 2-byte length, as every request to the port mapper is.
std::vector<std::uint8_t> with_length(const std::vector<std::uint8_t>& body) {
  std::vector<std::uint8_t> out;
  out.reserve(body.size() + 2);
  put_u16(out, static_cast<std::uint16_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void put_node_fields(std::vector<std::uint8_t>& out, const epmd_node& n) {
  put_u16(out, n.port);
  put_u8(out, n.node_type);
  put_u8(out, n.protocol);
  put_u16(out, n.highest_version);
  put_u16(out, n.lowest_version);
  put_u16(out, static_cast<std::uint16_t>(n.name.size()));
  put_bytes(out, n.name);
  put_u16(out, static_cast<std::uint16_t>(n.extra.size()));
  put_bytes(out, n.extra);
}

// Reads the fields shared by ALIVE2_REQ and PORT2_RESP.
bool read_node_fields(detail::byte_reader& r, epmd_node& n) {
  n.port = r.u16();
  n.node_type = r.u8();
  n.protocol = r.u8();
  n.highest_version = r.u16();
  n.lowest_version = r.u16();
  n.name = r.text(r.u16());
  n.extra = r.text(r.u16());
  return r.ok();
}

constexpr std::size_t max_name_bytes = 255 * 4;  // epmd's MAXSYMLEN
}  // namespace

std::vector<std::uint8_t> encode_alive2_req(const epmd_node& node) {
  std::vector<std::uint8_t> body;
  put_u8(body, static_cast<std::uint8_t>(epmd_code::alive2_req));
  put_node_fields(body, node);
  return with_length(body);
}

std::vector<std::uint8_t> encode_port_please2_req(std::string_view name) {
  std::vector<std::uint8_t> body;
  put_u8(body, static_cast<std::uint8_t>(epmd_code::port_please2_req));
  put_bytes(body, name);
  return with_length(body);
}

std::vector<std::uint8_t> encode_names_req() {
  return with_length({static_cast<std::uint8_t>(epmd_code::names_req)});
}

result<epmd_node> decode_alive2_req(std::span<const std::uint8_t> body) {
  detail::byte_reader r(body);
  if (r.u8() != static_cast<std::uint8_t>(epmd_code::alive2_req)) return failure{"not an ALIVE2_REQ"};
  epmd_node n;
  if (!read_node_fields(r, n)) return failure{"truncated ALIVE2_REQ"};
  if (n.name.empty() || n.name.size() > max_name_bytes) return failure{"bad node name length"};
  return n;
}

std::vector<std::uint8_t> encode_port2_resp(const std::optional<epmd_node>& node) {
  std::vector<std::uint8_t> out;
  put_u8(out, static_cast<std::uint8_t>(epmd_code::port2_resp));
  if (!node) {
    put_u8(out, 1);
    return out;
  }
  put_u8(out, 0);
  put_node_fields(out, *node);
  return out;
}

result<epmd_node> decode_port2_resp(std::span<const std::uint8_t> reply) {
  detail::byte_reader r(reply);
  if (r.u8() != static_cast<std::uint8_t>(epmd_code::port2_resp)) return failure{"not a PORT2_RESP"};
  std::uint8_t code = r.u8();
  if (!r.ok()) return failure{"truncated PORT2_RESP"};
  if (code != 0) return failure{"name not registered with the port mapper"};
  epmd_node n;
  if (!read_node_fields(r, n)) return failure{"truncated PORT2_RESP"};
  return n;
}

std::vector<std::pair<std::string, std::uint16_t>> parse_names(std::string_view text) {
  std::vector<std::pair<std::string, std::uint16_t>> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    constexpr std::string_view prefix = "name ", mid = " at port ";
    if (!line.starts_with(prefix)) continue;
    auto at = line.rfind(mid);
    if (at == std::string_view::npos || at < prefix.size()) continue;
    std::string name(line.substr(prefix.size(), at - prefix.size()));
    long port = std::strtol(std::string(line.substr(at + mid.size())).c_str(), nullptr, 10);
    if (port > 0 && port < 65536) out.emplace_back(std::move(name), static_cast<std::uint16_t>(port));
  }
  return out;
}

}  // namespace otpp::dist
