// The distribution handshake (version 6, erl_dist_protocol "Distribution Handshake") as a
// transport-agnostic state machine: bytes from the peer go in, bytes for the peer come out,
// and the owner answers the two questions only it can (what status to give a connecting
// node, whether to replace a connection the peer says is alive). Like OTP's dist_util.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/dist/flags.hpp"

namespace otpp::dist {

/// The acceptor's answer to a connecting node (the `s` status message).
enum class handshake_status : std::uint8_t {
  ok,               ///< go on
  ok_simultaneous,  ///< go on; this side drops its own pending attempt to the peer
  nok,              ///< refuse: this side's own attempt to the peer wins (simultaneous connect)
  not_allowed,      ///< refuse: the peer may not connect
  alive,            ///< a connection to the peer exists; the peer says whether to replace it
};
[[nodiscard]] std::string_view to_string(handshake_status s) noexcept;

/// Handshake message tags.
enum class handshake_tag : std::uint8_t {
  send_name = 'N',        ///< version 6 name: Flags:8 Creation:4 NameLen:2 Name
  old_send_name = 'n',    ///< version 5 name: Version:2 Flags:4 Name
  status = 's',           ///< status text
  challenge = 'N',        ///< Flags:8 Challenge:4 Creation:4 NameLen:2 Name
  complement = 'c',       ///< FlagsHigh:4 Creation:4 (after an old send_name)
  challenge_reply = 'r',  ///< Challenge:4 Digest:16
  challenge_ack = 'a',    ///< Digest:16
};

/// MD5 of the cookie text followed by the challenge as an unsigned decimal string.
[[nodiscard]] std::array<std::uint8_t, 16> handshake_digest(std::string_view cookie,
                                                            std::uint32_t challenge);

struct handshake_config {
  std::string this_node;  ///< our full node name, e.g. "kate@localhost"
  std::string cookie;
  std::uint64_t flags = dflag::otpp_default;
  std::uint32_t creation = 0;
  /// Initiator only: the node being dialled; the challenge must come from this name.
  std::string peer_node;
  /// Test hook: a fixed challenge instead of a random one (0 = random).
  std::uint32_t fixed_challenge = 0;
};

/// One handshake, from either side. Owner only (not thread-safe).
class handshake {
 public:
  enum class role : std::uint8_t { initiator, acceptor };
  enum class state : std::uint8_t {
    in_progress,        ///< waiting for more bytes from the peer
    need_status,        ///< acceptor: the peer's name is known; call answer_status()
    need_alive_answer,  ///< initiator: the peer has a connection to us; call answer_alive()
    done,               ///< connected: flags and leftover bytes are available
    failed,             ///< refused or broken; failure_reason() says why
  };

  /// An initiator; its output already holds the send_name message.
  [[nodiscard]] static handshake initiator(handshake_config config);
  [[nodiscard]] static handshake acceptor(handshake_config config);

  /// Consumes bytes from the peer and advances as far as they allow.
  state receive(std::span<const std::uint8_t> bytes);
  /// Acceptor, in need_status: the status to send.
  void answer_status(handshake_status status);
  /// Initiator, in need_alive_answer: true replaces the peer's old connection, false gives up.
  void answer_alive(bool proceed);

  /// Bytes to send to the peer (in order); the output is emptied.
  [[nodiscard]] std::vector<std::uint8_t> take_output();
  [[nodiscard]] bool has_output() const noexcept { return !output_.empty(); }

  [[nodiscard]] state current() const noexcept { return state_; }
  [[nodiscard]] role side() const noexcept { return role_; }
  [[nodiscard]] const std::string& failure_reason() const noexcept { return failure_; }
  /// Whether the failure was the peer's fault (bad cookie, missing flags, garbage) rather than
  /// a normal outcome (nok after a simultaneous connect).
  [[nodiscard]] bool refused_peer() const noexcept { return refused_; }
  /// The peer's full node name (acceptor: once send_name arrived).
  [[nodiscard]] const std::string& peer_node() const noexcept { return peer_node_; }
  [[nodiscard]] std::uint64_t peer_flags() const noexcept { return peer_flags_; }
  [[nodiscard]] std::uint32_t peer_creation() const noexcept { return peer_creation_; }
  /// Flags both sides support (the AND of the two sets); valid when done.
  [[nodiscard]] std::uint64_t agreed_flags() const noexcept;
  /// The status the acceptor sent or the initiator received.
  [[nodiscard]] handshake_status status() const noexcept { return status_; }
  /// Bytes that arrived after the handshake's last message: the first data frames.
  [[nodiscard]] std::vector<std::uint8_t> take_leftover();

 private:
  enum class phase : std::uint8_t {
    recv_name, wait_status_answer, recv_alive_answer, recv_complement, recv_reply,  // acceptor
    recv_status, wait_alive_answer, recv_challenge, recv_ack,                       // initiator
    finished,
  };
  handshake(role r, handshake_config config);
  void send_frame(std::span<const std::uint8_t> body);
  void send_status(std::string_view text);
  void send_challenge();
  void fail(std::string reason, bool peer_fault);
  void on_frame(std::span<const std::uint8_t> body);
  void on_name(std::span<const std::uint8_t> body);
  void on_status(std::span<const std::uint8_t> body);
  void on_alive_answer(std::span<const std::uint8_t> body);
  void on_complement(std::span<const std::uint8_t> body);
  void on_challenge(std::span<const std::uint8_t> body);
  void on_reply(std::span<const std::uint8_t> body);
  void on_ack(std::span<const std::uint8_t> body);
  [[nodiscard]] bool check_peer_flags();

  role role_;
  state state_ = state::in_progress;
  phase phase_;
  handshake_config config_;
  std::vector<std::uint8_t> input_;
  std::vector<std::uint8_t> output_;
  std::string failure_;
  bool refused_ = false;
  std::string peer_node_;
  std::uint64_t peer_flags_ = 0;
  std::uint32_t peer_creation_ = 0;
  std::uint32_t my_challenge_ = 0;
  bool old_name_ = false;  // the peer sent a version 5 send_name; a complement follows
  handshake_status status_ = handshake_status::ok;
};

}  // namespace otpp::dist
