// libFuzzer target: arbitrary bytes as a sequence of distribution frame bodies (each
// prefixed by a 2-byte length chosen by the input) through one frame_decoder, covering
// pass-through frames, distribution headers with atom cache references, fragment
// reassembly and every control message shape. It must never crash or allocate beyond its
// limits; malformed frames are failures.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "otpp/dist/frame_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otpp::dist;
  // Small bounds, so the fuzzer reaches every limit (per message, sequences in flight, bytes
  // pending reassembly) within its 4 KiB inputs. fuzz/seed_gen.cpp replays with the same.
  frame_decoder decoder(frame_decoder::limits{1 << 20, 8, 3000});
  std::span<const std::uint8_t> input(data, size);
  while (input.size() >= 2) {
    std::size_t len = (static_cast<std::size_t>(input[0]) << 8) | input[1];
    input = input.subspan(2);
    len = std::min(len, input.size());
    if (len == 0) continue;  // a tick
    auto r = decoder.decode(input.first(len));
    input = input.subspan(len);
    if (decoder.pending_bytes() > 3000) std::abort();  // the reassembly bound held
    if (!r) break;  // the connection would be closed here
  }
  return 0;
}
