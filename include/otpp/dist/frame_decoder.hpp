// The receiving half of a connection's framing: turns each frame body (what follows the
// 4-byte length) into a control signal — pass-through frames (112), distribution headers
// with atom cache references (131 68) and fragmented messages (131 69 / 131 70), with
// bounds on reassembly so a hostile peer cannot exhaust memory. Owner only (one per
// connection); total: any bytes give a signal, "need more fragments", or a failure.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "otpp/dist/control.hpp"
#include "otpp/dist/result.hpp"

namespace otpp::dist {

class frame_decoder {
 public:
  struct limits {
    std::size_t max_message_size = std::size_t{1} << 30;  ///< bound on a reassembled message
    std::size_t max_pending_sequences = 256;              ///< fragmented messages in flight
    /// Bound on the bytes of all fragmented messages in flight together, so a peer cannot
    /// hold max_pending_sequences times max_message_size.
    std::size_t max_pending_bytes = std::size_t{1} << 30;
    /// Bound on the atoms new to this process that frames may introduce (usually the
    /// connection's share, drawing on a node-wide ceiling); none when null. Not owned.
    atom_budget* new_atoms = nullptr;
  };
  frame_decoder() = default;
  explicit frame_decoder(limits l) : limits_(l) {}

  /// Decodes one non-empty frame body. A signal when one is complete, nullopt when a
  /// fragment was stored for later, a failure when the frame is malformed (the connection
  /// should then be closed). When `shared` holds the frame (the body lies inside it), large
  /// binaries in the message become slices of it instead of copies.
  [[nodiscard]] result<std::optional<control_signal>> decode(
      std::span<const std::uint8_t> body,
      std::shared_ptr<const std::vector<std::uint8_t>> shared = nullptr);

  /// Bytes held by partially received fragmented messages.
  [[nodiscard]] std::size_t pending_bytes() const noexcept { return pending_bytes_; }
  /// Whether the last failure was a resource limit (message size, fragments in flight)
  /// rather than bytes that break the protocol.
  [[nodiscard]] bool limit_exceeded() const noexcept { return limit_exceeded_; }

 private:
  struct partial {
    std::vector<std::uint8_t> data;  // control + payload so far (no version bytes)
    std::vector<atom> refs;          // atom cache references of the starting header
    std::uint64_t next_fragment = 0; // the FragmentId expected next
  };
  // Parses an atom cache reference section (after 131 68 / the 69 header's ids); returns
  // the atoms by reference index and advances `pos`.
  result<std::vector<atom>> parse_atom_cache(std::span<const std::uint8_t> body, std::size_t& pos);
  result<std::optional<control_signal>> decode_terms(std::span<const std::uint8_t> bytes,
                                                     const std::vector<atom>& refs,
                                                     std::shared_ptr<const std::vector<std::uint8_t>> shared);

  std::array<std::optional<atom>, 2048> cache_{};  // 8 segments of 256 entries
  std::unordered_map<std::uint64_t, partial> partials_;
  result<std::optional<control_signal>> decode_frame(std::span<const std::uint8_t> body,
                                                     std::shared_ptr<const std::vector<std::uint8_t>> shared);
  [[nodiscard]] std::string atom_budget_text() const;
  // Fails with `why` as a resource limit (see limit_exceeded()).
  failure over_limit(std::string why);
  [[nodiscard]] std::string pending_limit_text() const;

  limits limits_;
  std::size_t pending_bytes_ = 0;
  bool limit_exceeded_ = false;
};

}  // namespace otpp::dist
