// libFuzzer target: arbitrary bytes fed to both roles of the handshake state machine, in
// chunks the input chooses, with the owner's answers also chosen by the input. It must
// never crash, hang or read out of bounds, and must end done, failed or waiting.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "otpp/dist/handshake.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otpp::dist;
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::uint8_t chunk = static_cast<std::uint8_t>(data[1] | 1);
  std::span<const std::uint8_t> input(data + 2, size - 2);

  handshake_config cfg;
  cfg.this_node = "fuzz@localhost";
  cfg.cookie = "cookie";
  cfg.peer_node = "peer@localhost";
  cfg.fixed_challenge = 42;
  handshake h = (mode & 1) ? handshake::initiator(cfg) : handshake::acceptor(cfg);
  (void)h.take_output();
  while (!input.empty()) {
    std::size_t n = std::min<std::size_t>(chunk, input.size());
    h.receive(input.first(n));
    input = input.subspan(n);
    if (h.current() == handshake::state::need_status)
      h.answer_status(static_cast<handshake_status>((mode >> 1) % 5));
    if (h.current() == handshake::state::need_alive_answer) h.answer_alive(mode & 0x40);
    (void)h.take_output();
    if (h.current() == handshake::state::failed) break;
  }
  if (h.current() == handshake::state::done) {
    (void)h.agreed_flags();
    (void)h.take_leftover();
  }
  return 0;
}
