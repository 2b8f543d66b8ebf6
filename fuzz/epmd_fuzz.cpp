// libFuzzer target: arbitrary bytes as what reaches a port mapper or its client — an ALIVE2
// request body, a PORT2 reply, a NAMES reply — through the codec both the embedded server and
// the client use. It must never crash or read out of bounds; what decodes must re-encode to
// the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "otpp/dist/epmd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otpp::dist;
  const std::span<const std::uint8_t> input(data, size);
  if (auto req = decode_alive2_req(input)) {
    // The encoder adds the 2-byte length; the server reads the body after it.
    const auto again = encode_alive2_req(*req);
    auto round = decode_alive2_req(std::span(again).subspan(2));
    if (!round || !(*round == *req)) std::abort();
  }
  if (auto node = decode_port2_resp(input)) {
    const auto again = encode_port2_resp(*node);
    auto round = decode_port2_resp(again);
    if (!round || !(*round == *node)) std::abort();
  }
  if (size >= 4) {
    const std::string_view text(reinterpret_cast<const char*>(data) + 4, size - 4);
    for (const auto& [name, port] : parse_names(text)) {
      if (port == 0 || name.find('\n') != std::string::npos) std::abort();
    }
  }
  return 0;
}
