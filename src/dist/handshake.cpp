// The version 6 distribution handshake state machine (see handshake.hpp).
#include "otpp/dist/handshake.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <random>

#include "bytes.hpp"

namespace otpp::dist {

using detail::byte_reader;
using detail::put_bytes;
using detail::put_u16;
using detail::put_u32;
using detail::put_u64;
using detail::put_u8;

std::string_view to_string(handshake_status s) noexcept {
  switch (s) {
    case handshake_status::ok: return "ok";
    case handshake_status::ok_simultaneous: return "ok_simultaneous";
    case handshake_status::nok: return "nok";
    case handshake_status::not_allowed: return "not_allowed";
    case handshake_status::alive: return "alive";
  }
  return "?";
}

std::array<std::uint8_t, 16> handshake_digest(std::string_view cookie, std::uint32_t challenge) {
  std::string text(cookie);
  text += std::to_string(challenge);
  std::array<std::uint8_t, 16> out{};
  unsigned len = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_md5(), nullptr);
  return out;
}

namespace {

std::uint32_t random_challenge() {
  std::uint32_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) {
    std::random_device rd;
    v = rd();
  }
  return v;
}

bool valid_node_name(std::string_view name) {
  auto at = name.find('@');
  return !name.empty() && name.size() <= 1023 && at != std::string_view::npos && at > 0 &&
         at + 1 < name.size();
}

constexpr std::size_t max_handshake_message = 0xffff;

}  // namespace

handshake::handshake(role r, handshake_config config)
    : role_(r),
      phase_(r == role::initiator ? phase::recv_status : phase::recv_name),
      config_(std::move(config)) {
  my_challenge_ = config_.fixed_challenge ? config_.fixed_challenge : random_challenge();
}

handshake handshake::initiator(handshake_config config) {
  handshake h(role::initiator, std::move(config));
  h.peer_node_ = h.config_.peer_node;
  std::vector<std::uint8_t> body;
  put_u8(body, static_cast<std::uint8_t>(handshake_tag::send_name));
  put_u64(body, h.config_.flags);
  put_u32(body, h.config_.creation);
  put_u16(body, static_cast<std::uint16_t>(h.config_.this_node.size()));
  put_bytes(body, h.config_.this_node);
  h.send_frame(body);
  return h;
}

handshake handshake::acceptor(handshake_config config) {
  return handshake(role::acceptor, std::move(config));
}

void handshake::send_frame(std::span<const std::uint8_t> body) {
  put_u16(output_, static_cast<std::uint16_t>(body.size()));
  output_.insert(output_.end(), body.begin(), body.end());
}

void handshake::send_status(std::string_view text) {
  std::vector<std::uint8_t> body;
  put_u8(body, static_cast<std::uint8_t>(handshake_tag::status));
  put_bytes(body, text);
  send_frame(body);
}

void handshake::send_challenge() {
  std::vector<std::uint8_t> body;
  put_u8(body, static_cast<std::uint8_t>(handshake_tag::challenge));
  put_u64(body, config_.flags);
  put_u32(body, my_challenge_);
  put_u32(body, config_.creation);
  put_u16(body, static_cast<std::uint16_t>(config_.this_node.size()));
  put_bytes(body, config_.this_node);
  send_frame(body);
}

void handshake::fail(std::string reason, bool peer_fault) {
  if (state_ == state::failed) return;
  failure_ = std::move(reason);
  refused_ = peer_fault;
  state_ = state::failed;
  phase_ = phase::finished;
}

std::vector<std::uint8_t> handshake::take_output() {
  std::vector<std::uint8_t> out;
  out.swap(output_);
  return out;
}

std::vector<std::uint8_t> handshake::take_leftover() {
  std::vector<std::uint8_t> out;
  if (state_ == state::done) out.swap(input_);
  return out;
}

std::uint64_t handshake::agreed_flags() const noexcept {
  return expand_flags(config_.flags) & expand_flags(peer_flags_);
}

handshake::state handshake::receive(std::span<const std::uint8_t> bytes) {
  if (state_ == state::failed) return state_;
  input_.insert(input_.end(), bytes.begin(), bytes.end());
  // Process whole frames while the machine is free to move on by itself.
  while (state_ == state::in_progress && input_.size() >= 2) {
    std::size_t len = detail::load_u16(input_.data());
    if (input_.size() < 2 + len) break;
    if (len == 0) {
      fail("empty handshake message", true);
      break;
    }
    std::vector<std::uint8_t> body(input_.begin() + 2, input_.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    input_.erase(input_.begin(), input_.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    on_frame(body);
  }
  static_assert(max_handshake_message == 0xffff, "a 2-byte length bounds every message");
  return state_;
}

void handshake::on_frame(std::span<const std::uint8_t> body) {
  switch (phase_) {
    case phase::recv_name: on_name(body); break;
    case phase::recv_alive_answer: on_alive_answer(body); break;
    case phase::recv_complement: on_complement(body); break;
    case phase::recv_reply: on_reply(body); break;
    case phase::recv_status: on_status(body); break;
    case phase::recv_challenge: on_challenge(body); break;
    case phase::recv_ack: on_ack(body); break;
    case phase::wait_status_answer:
    case phase::wait_alive_answer:
    case phase::finished:
      fail("unexpected handshake message", true);
      break;
  }
}

bool handshake::check_peer_flags() {
  if (std::uint64_t missing = missing_mandatory(peer_flags_)) {
    fail("it lacks mandatory distribution flags " + flags_to_string(missing), true);
    return false;
  }
  return true;
}

void handshake::on_name(std::span<const std::uint8_t> body) {
  byte_reader r(body);
  auto tag = r.u8();
  if (tag == static_cast<std::uint8_t>(handshake_tag::send_name)) {
    peer_flags_ = r.u64();
    peer_creation_ = r.u32();
    peer_node_ = r.text(r.u16());
    // Trailing bytes are allowed: later versions may append fields.
    if (!r.ok() || !valid_node_name(peer_node_)) return fail("malformed send_name message", true);
    if (!check_peer_flags()) return;
  } else if (tag == static_cast<std::uint8_t>(handshake_tag::old_send_name)) {
    std::uint16_t version = r.u16();
    peer_flags_ = r.u32();
    peer_node_ = r.text(r.remaining());
    if (!r.ok() || !valid_node_name(peer_node_)) return fail("malformed send_name message", true);
    if (version < 5 || !(peer_flags_ & dflag::handshake_23))
      return fail("it speaks only distribution version " + std::to_string(version) +
                      " (version 6 is required)", true);
    // The high flags and the creation come in the complement message after our challenge.
  } else {
    return fail("expected send_name, got tag " + std::to_string(tag), true);
  }
  if (peer_flags_ & dflag::name_me) {
    send_status("not_allowed");
    return fail("it asked for a dynamic node name, which otpp does not hand out", true);
  }
  old_name_ = tag == static_cast<std::uint8_t>(handshake_tag::old_send_name);
  phase_ = phase::wait_status_answer;
  state_ = state::need_status;
}

void handshake::answer_status(handshake_status status) {
  if (state_ != state::need_status) return;
  status_ = status;
  send_status(to_string(status));
  switch (status) {
    case handshake_status::ok:
    case handshake_status::ok_simultaneous:
      send_challenge();
      phase_ = old_name_ ? phase::recv_complement : phase::recv_reply;
      state_ = state::in_progress;
      break;
    case handshake_status::alive:
      phase_ = phase::recv_alive_answer;
      state_ = state::in_progress;
      break;
    case handshake_status::nok:
      fail("simultaneous connect: our own connection to " + peer_node_ + " wins", false);
      return;
    case handshake_status::not_allowed:
      fail("not allowed to connect", true);
      return;
  }
  receive({});
}

void handshake::on_alive_answer(std::span<const std::uint8_t> body) {
  std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  if (text == "strue") {
    send_challenge();
    phase_ = old_name_ ? phase::recv_complement : phase::recv_reply;
  } else if (text == "sfalse") {
    fail("it keeps its existing connection", false);
  } else {
    fail("malformed answer to status alive", true);
  }
}

void handshake::on_complement(std::span<const std::uint8_t> body) {
  byte_reader r(body);
  if (r.u8() != static_cast<std::uint8_t>(handshake_tag::complement)) return fail("expected complement message", true);
  std::uint64_t high = r.u32();
  peer_creation_ = r.u32();
  if (!r.ok()) return fail("malformed complement message", true);
  peer_flags_ |= high << 32;
  if (!check_peer_flags()) return;
  phase_ = phase::recv_reply;
}

void handshake::on_reply(std::span<const std::uint8_t> body) {
  byte_reader r(body);
  if (r.u8() != static_cast<std::uint8_t>(handshake_tag::challenge_reply) || body.size() != 21)
    return fail("malformed challenge_reply message", true);
  std::uint32_t their_challenge = r.u32();
  auto digest = r.take(16);
  auto expected = handshake_digest(config_.cookie, my_challenge_);
  if (CRYPTO_memcmp(digest.data(), expected.data(), 16) != 0)
    return fail("wrong cookie (its challenge reply does not match our cookie)", true);
  std::vector<std::uint8_t> ack;
  put_u8(ack, static_cast<std::uint8_t>(handshake_tag::challenge_ack));
  auto ours = handshake_digest(config_.cookie, their_challenge);
  ack.insert(ack.end(), ours.begin(), ours.end());
  send_frame(ack);
  phase_ = phase::finished;
  state_ = state::done;
}

void handshake::on_status(std::span<const std::uint8_t> body) {
  if (body[0] != static_cast<std::uint8_t>(handshake_tag::status)) return fail("expected status message", true);
  std::string_view text(reinterpret_cast<const char*>(body.data()) + 1, body.size() - 1);
  if (text == "ok" || text == "ok_simultaneous") {
    status_ = text == "ok" ? handshake_status::ok : handshake_status::ok_simultaneous;
    phase_ = phase::recv_challenge;
  } else if (text == "nok") {
    status_ = handshake_status::nok;
    fail("simultaneous connect: the peer's own connection wins (status nok)", false);
  } else if (text == "not_allowed") {
    status_ = handshake_status::not_allowed;
    fail("the peer does not allow us to connect (status not_allowed)", true);
  } else if (text == "alive") {
    status_ = handshake_status::alive;
    phase_ = phase::wait_alive_answer;
    state_ = state::need_alive_answer;
  } else {
    fail("unexpected status '" + std::string(text.substr(0, 64)) + "'", true);
  }
}

void handshake::answer_alive(bool proceed) {
  if (state_ != state::need_alive_answer) return;
  send_status(proceed ? "true" : "false");
  if (!proceed) return fail("the peer already has a connection to us", false);
  phase_ = phase::recv_challenge;
  state_ = state::in_progress;
  receive({});
}

void handshake::on_challenge(std::span<const std::uint8_t> body) {
  byte_reader r(body);
  auto tag = r.u8();
  if (tag == static_cast<std::uint8_t>(handshake_tag::old_send_name))
    return fail("it speaks only distribution version 5 (version 6 is required)", true);
  if (tag != static_cast<std::uint8_t>(handshake_tag::challenge)) return fail("expected challenge message", true);
  peer_flags_ = r.u64();
  std::uint32_t their_challenge = r.u32();
  peer_creation_ = r.u32();
  std::string name = r.text(r.u16());
  if (!r.ok()) return fail("malformed challenge message", true);
  if (!config_.peer_node.empty() && name != config_.peer_node)
    return fail("it answered as '" + name + "', not as the node we dialled", true);
  peer_node_ = name;
  if (!check_peer_flags()) return;
  std::vector<std::uint8_t> reply;
  put_u8(reply, static_cast<std::uint8_t>(handshake_tag::challenge_reply));
  put_u32(reply, my_challenge_);
  auto digest = handshake_digest(config_.cookie, their_challenge);
  reply.insert(reply.end(), digest.begin(), digest.end());
  send_frame(reply);
  phase_ = phase::recv_ack;
}

void handshake::on_ack(std::span<const std::uint8_t> body) {
  if (body[0] != static_cast<std::uint8_t>(handshake_tag::challenge_ack) || body.size() != 17)
    return fail("malformed challenge_ack message", true);
  auto expected = handshake_digest(config_.cookie, my_challenge_);
  if (CRYPTO_memcmp(body.data() + 1, expected.data(), 16) != 0)
    return fail("wrong cookie (its challenge ack does not match our cookie)", true);
  phase_ = phase::finished;
  state_ = state::done;
}

}  // namespace otpp::dist
