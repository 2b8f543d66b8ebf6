// Scenario 010, the handshake: the state machine against itself (both roles, every refusal).
// The interop handshakes with real erl run in t011_handshake_erl_test.cpp.
#include <gtest/gtest.h>

#include "otpp/dist/handshake.hpp"

using namespace otpp::dist;

namespace {

handshake_config cfg(std::string me, std::string cookie, std::string peer = "") {
  handshake_config c;
  c.this_node = std::move(me);
  c.cookie = std::move(cookie);
  c.creation = 7;
  c.peer_node = std::move(peer);
  return c;
}

// Moves bytes between the two machines until neither has anything to say.
void pump(handshake& a, handshake& b) {
  for (int i = 0; i < 20; ++i) {
    bool moved = false;
    if (a.has_output()) {
      b.receive(a.take_output());
      moved = true;
    }
    if (b.has_output()) {
      a.receive(b.take_output());
      moved = true;
    }
    if (!moved) return;
  }
}

}  // namespace

TEST(handshake, digest_is_md5_of_cookie_and_decimal_challenge) {
  auto d = handshake_digest("abc", 1234);
  // echo -n abc1234 | md5sum
  const std::array<std::uint8_t, 16> expected = {0xa1, 0x41, 0xc4, 0x79, 0x27, 0x92, 0x9b, 0xc2,
                                                 0xd1, 0xfb, 0x6d, 0x33, 0x6a, 0x25, 0x6d, 0xf4};
  EXPECT_EQ(d, expected);
  auto again = handshake_digest("abc", 1234);
  EXPECT_EQ(d, again);
  EXPECT_NE(d, handshake_digest("abc", 1235));
  EXPECT_NE(d, handshake_digest("abd", 1234));
}

TEST(handshake, initiator_starts_with_a_version6_send_name) {
  auto h = handshake::initiator(cfg("a@h", "c", "b@h"));
  auto out = h.take_output();
  ASSERT_GE(out.size(), 2u + 1 + 8 + 4 + 2 + 3);
  EXPECT_EQ((out[0] << 8) | out[1], static_cast<int>(out.size() - 2));
  EXPECT_EQ(out[2], 'N');
  std::uint64_t flags = 0;
  for (int i = 0; i < 8; ++i) flags = (flags << 8) | out[3 + i];
  EXPECT_EQ(flags, dflag::otpp_default);
  EXPECT_EQ(missing_mandatory(flags), 0u);
  EXPECT_FALSE(flags & dflag::dist_hdr_atom_cache);
}

TEST(handshake, two_sides_with_the_same_cookie_connect) {
  auto a = handshake::initiator(cfg("a@h", "secret", "b@h"));
  auto b = handshake::acceptor(cfg("b@h", "secret"));
  pump(a, b);
  ASSERT_EQ(b.current(), handshake::state::need_status);
  EXPECT_EQ(b.peer_node(), "a@h");
  b.answer_status(handshake_status::ok);
  pump(a, b);
  ASSERT_EQ(a.current(), handshake::state::done) << a.failure_reason();
  ASSERT_EQ(b.current(), handshake::state::done) << b.failure_reason();
  EXPECT_EQ(a.peer_node(), "b@h");
  EXPECT_EQ(a.peer_creation(), 7u);
  EXPECT_EQ(a.agreed_flags(), b.agreed_flags());
  EXPECT_TRUE(a.agreed_flags() & dflag::fragments);
}

TEST(handshake, a_wrong_cookie_is_refused_by_the_acceptor) {
  auto a = handshake::initiator(cfg("a@h", "one", "b@h"));
  auto b = handshake::acceptor(cfg("b@h", "two"));
  pump(a, b);
  b.answer_status(handshake_status::ok);
  pump(a, b);
  EXPECT_EQ(b.current(), handshake::state::failed);
  EXPECT_TRUE(b.refused_peer());
  EXPECT_NE(b.failure_reason().find("cookie"), std::string::npos);
  EXPECT_NE(a.current(), handshake::state::done);
}

TEST(handshake, a_forged_ack_is_refused_by_the_initiator) {
  auto a = handshake::initiator(cfg("a@h", "one", "b@h"));
  auto b = handshake::acceptor(cfg("b@h", "one"));
  pump(a, b);
  b.answer_status(handshake_status::ok);
  b.receive(a.take_output());  // send_name already consumed; nothing new
  a.receive(b.take_output());  // status + challenge
  auto reply = a.take_output();
  b.receive(reply);
  auto ack = b.take_output();
  ack.back() ^= 0xff;  // corrupt the digest
  a.receive(ack);
  EXPECT_EQ(a.current(), handshake::state::failed);
  EXPECT_NE(a.failure_reason().find("cookie"), std::string::npos);
}

TEST(handshake, a_peer_without_mandatory_flags_is_refused_with_their_names) {
  auto c = cfg("a@h", "c", "b@h");
  c.flags = dflag::mandatory_25;  // an OTP 25-only set: no UNLINK_ID, no V4_NC
  auto a = handshake::initiator(c);
  auto b = handshake::acceptor(cfg("b@h", "c"));
  pump(a, b);
  EXPECT_EQ(b.current(), handshake::state::failed);
  EXPECT_NE(b.failure_reason().find("UNLINK_ID"), std::string::npos) << b.failure_reason();
  EXPECT_NE(b.failure_reason().find("V4_NC"), std::string::npos);
}

TEST(handshake, mandatory25_digest_stands_for_the_whole_otp25_set) {
  EXPECT_EQ(missing_mandatory(dflag::mandatory_25_digest | dflag::unlink_id | dflag::v4_nc), 0u);
}

TEST(handshake, nok_ends_the_initiator_without_blaming_the_peer) {
  auto a = handshake::initiator(cfg("a@h", "c", "b@h"));
  auto b = handshake::acceptor(cfg("b@h", "c"));
  pump(a, b);
  b.answer_status(handshake_status::nok);
  pump(a, b);
  EXPECT_EQ(a.current(), handshake::state::failed);
  EXPECT_FALSE(a.refused_peer());
  EXPECT_EQ(a.status(), handshake_status::nok);
}

TEST(handshake, alive_is_answered_by_the_initiator_and_true_goes_on) {
  auto a = handshake::initiator(cfg("a@h", "c", "b@h"));
  auto b = handshake::acceptor(cfg("b@h", "c"));
  pump(a, b);
  b.answer_status(handshake_status::alive);
  pump(a, b);
  ASSERT_EQ(a.current(), handshake::state::need_alive_answer);
  a.answer_alive(true);
  pump(a, b);
  EXPECT_EQ(a.current(), handshake::state::done) << a.failure_reason();
  EXPECT_EQ(b.current(), handshake::state::done) << b.failure_reason();
}

TEST(handshake, alive_answered_false_ends_both_sides) {
  auto a = handshake::initiator(cfg("a@h", "c", "b@h"));
  auto b = handshake::acceptor(cfg("b@h", "c"));
  pump(a, b);
  b.answer_status(handshake_status::alive);
  pump(a, b);
  a.answer_alive(false);
  pump(a, b);
  EXPECT_EQ(a.current(), handshake::state::failed);
  EXPECT_EQ(b.current(), handshake::state::failed);
}

TEST(handshake, the_challenge_must_come_from_the_node_we_dialled) {
  auto a = handshake::initiator(cfg("a@h", "c", "b@h"));
  auto b = handshake::acceptor(cfg("impostor@h", "c"));
  pump(a, b);
  b.answer_status(handshake_status::ok);
  pump(a, b);
  EXPECT_EQ(a.current(), handshake::state::failed);
  EXPECT_NE(a.failure_reason().find("impostor@h"), std::string::npos);
}

TEST(handshake, bytes_after_the_ack_are_left_over_for_the_connection) {
  auto a = handshake::initiator(cfg("a@h", "c", "b@h"));
  auto b = handshake::acceptor(cfg("b@h", "c"));
  pump(a, b);
  b.answer_status(handshake_status::ok);
  a.receive(b.take_output());
  b.receive(a.take_output());
  auto ack = b.take_output();
  ack.insert(ack.end(), {0, 0, 0, 0});  // a tick right behind the ack
  a.receive(ack);
  ASSERT_EQ(a.current(), handshake::state::done);
  EXPECT_EQ(a.take_leftover(), (std::vector<std::uint8_t>{0, 0, 0, 0}));
}

TEST(handshake, bytes_arriving_one_at_a_time_are_enough) {
  auto a = handshake::initiator(cfg("a@h", "c", "b@h"));
  auto b = handshake::acceptor(cfg("b@h", "c"));
  for (auto byte : a.take_output()) b.receive(std::span(&byte, 1));
  ASSERT_EQ(b.current(), handshake::state::need_status);
  b.answer_status(handshake_status::ok_simultaneous);
  for (auto byte : b.take_output()) a.receive(std::span(&byte, 1));
  for (auto byte : a.take_output()) b.receive(std::span(&byte, 1));
  for (auto byte : b.take_output()) a.receive(std::span(&byte, 1));
  EXPECT_EQ(a.current(), handshake::state::done);
  EXPECT_EQ(a.status(), handshake_status::ok_simultaneous);
}

TEST(handshake, garbage_fails_instead_of_crashing) {
  auto b = handshake::acceptor(cfg("b@h", "c"));
  std::vector<std::uint8_t> junk = {0, 3, 'N', 1, 2};
  EXPECT_EQ(b.receive(junk), handshake::state::failed);
  auto e = handshake::acceptor(cfg("b@h", "c"));
  std::vector<std::uint8_t> empty = {0, 0};
  EXPECT_EQ(e.receive(empty), handshake::state::failed);
}
