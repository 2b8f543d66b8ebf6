// Scenario 060, refusals: a wrong cookie either way, a peer without the mandatory flags,
// hostile frame lengths and malformed control messages close only the offending
// connection, with a log line naming the peer, and the node goes on serving.
#include <arpa/inet.h>

#include "dist/blocking_socket.hpp"
#include "dist/dist_fixture.hpp"
#include "otpp/dist/handshake.hpp"

using namespace otpp;
using namespace otpp::test;
using dist::detail::blocking_socket;

namespace {
// A raw connection to `n` that has passed the handshake as node `me` with `flags`.
std::optional<blocking_socket> handshaken(test_node& n, std::uint16_t epmd, const std::string& me,
                                          const std::string& cookie, std::uint64_t flags = dist::dflag::otpp_default) {
  auto where = dist::epmd_port_please({"127.0.0.1", epmd, 3s}, n.name_text().substr(0, n.name_text().find('@')));
  if (!where) return std::nullopt;
  auto s = blocking_socket::connect("127.0.0.1", where->port, 3s);
  if (!s) return std::nullopt;
  dist::handshake_config c;
  c.this_node = me;
  c.cookie = cookie;
  c.flags = flags;
  c.peer_node = n.name_text();
  auto h = dist::handshake::initiator(c);
  while (h.current() == dist::handshake::state::in_progress) {
    if (h.has_output() && !s->write_all(h.take_output(), 3s)) return std::nullopt;
    auto len = s->read_exactly(2, 3s);
    if (!len) return std::nullopt;
    auto body = s->read_exactly(static_cast<std::size_t>(((*len)[0] << 8) | (*len)[1]), 3s);
    if (!body) return std::nullopt;
    h.receive(*len);
    h.receive(*body);
  }
  if (h.current() != dist::handshake::state::done) return std::nullopt;
  if (h.has_output() && !s->write_all(h.take_output(), 3s)) return std::nullopt;
  return std::move(*s);
}

bool closed_by_peer(blocking_socket& s) {
  auto r = s.read_to_end(1 << 20, 5s);
  return r.ok();  // EOF reached
}
}  // namespace

using Refusal = dist_test;

TEST_F(Refusal, ErlWithAWrongCookieIsRefusedAndTheNodeStillServes) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  auto intruder = start_erl("bad", "not_the_cookie");
  EXPECT_EQ(intruder->eval("net_adm:ping(" + quoted(a->name_text()) + ")."), "pang");
  EXPECT_TRUE(eventually([&] { return a->log->contains("refused connection from " + intruder->node(), "cookie"); }))
      << a->log->all();
  auto friendly = start_erl("good");
  EXPECT_EQ(friendly->eval("net_adm:ping(" + quoted(a->name_text()) + ")."), "pong");
}

TEST_F(Refusal, OtppWithAWrongCookieIsRefusedByErl) {
  auto a = start_node("a", [](dist::engine_options& o) { o.cookie = "wrong_cookie"; });
  auto erl = start_erl();
  ASSERT_TRUE(a && erl->ready());
  EXPECT_EQ(a->engine->ping(atom(erl->node()), 5s), atoms::pang);
  EXPECT_TRUE(a->log->contains("cannot connect to " + erl->node())) << a->log->all();
  EXPECT_EQ(erl->eval("nodes()."), "[]");
}

TEST_F(Refusal, OtppNodesWithDifferentCookiesDoNotConnect) {
  auto a = start_node("a");
  auto b = start_node("b", [](dist::engine_options& o) { o.cookie = "other"; });
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->engine->ping(b->name(), 5s), atoms::pang);
  EXPECT_TRUE(eventually([&] { return b->log->contains("refused connection from " + a->name_text(), "cookie"); }));
  EXPECT_TRUE(a->engine->nodes().empty());
}

TEST_F(Refusal, APeerWithoutMandatoryFlagsIsRefusedByName) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  std::string me = unique_name("old") + "@localhost";
  auto s = handshaken(*a, epmd_port(), me, cookie, dist::dflag::mandatory_25 | dist::dflag::published);
  EXPECT_FALSE(s);
  EXPECT_TRUE(eventually([&] { return a->log->contains("refused connection from " + me, "UNLINK_ID"); })) << a->log->all();
  auto b = start_node("b");
  EXPECT_EQ(b->engine->ping(a->name()), atoms::pong);
}

TEST_F(Refusal, AHostileFrameLengthClosesOnlyThatConnection) {
  auto a = start_node("a", [](dist::engine_options& o) { o.max_frame_size = 1 << 20; });
  auto b = start_node("b");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(b->engine->ping(a->name()), atoms::pong);
  std::string me = unique_name("evil") + "@localhost";
  auto s = handshaken(*a, epmd_port(), me, cookie);
  ASSERT_TRUE(s);
  std::vector<std::uint8_t> huge = {0xff, 0xff, 0xff, 0xf0, 131, 68, 0};
  ASSERT_TRUE(s->write_all(huge, 3s));
  EXPECT_TRUE(closed_by_peer(*s));
  EXPECT_TRUE(eventually([&] { return a->log->contains("exceeds the limit", me); })) << a->log->all();
  // The other connection is untouched.
  pid pa = a->make_pid(), pb = b->make_pid();
  b->engine->send(pb, pa, atom("still_here"));
  auto got = a->signals.wait_for_kind("deliver", [&](const term& t) { return t[2].is_atom(atom("still_here")); });
  EXPECT_TRUE(got);
  EXPECT_TRUE(a->engine->is_connected(b->name()));
}

TEST_F(Refusal, AMalformedControlMessageClosesOnlyThatConnection) {
  auto a = start_node("a");
  auto b = start_node("b");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(b->engine->ping(a->name()), atoms::pong);
  std::string me = unique_name("junk") + "@localhost";
  auto s = handshaken(*a, epmd_port(), me, cookie);
  ASSERT_TRUE(s);
  // 131 68 0, then {99, x} (an unknown opcode).
  std::vector<std::uint8_t> frame = {0, 0, 0, 9, 131, 68, 0, 104, 2, 97, 99, 119, 1, 'x'};
  ASSERT_TRUE(s->write_all(frame, 3s));
  EXPECT_TRUE(closed_by_peer(*s));
  EXPECT_TRUE(eventually([&] { return a->log->contains("malformed frame from " + me); })) << a->log->all();
  EXPECT_EQ(b->engine->ping(a->name()), atoms::pong);
  EXPECT_TRUE(a->engine->is_connected(b->name()));
}

TEST_F(Refusal, GarbageInsteadOfAHandshakeIsDropped) {
  auto a = start_node("a");
  ASSERT_TRUE(a);
  auto s = blocking_socket::connect("127.0.0.1", a->engine->port(), 3s);
  ASSERT_TRUE(s);
  std::vector<std::uint8_t> junk = {0, 5, 'x', 'y', 'z', 'w', 'v'};
  ASSERT_TRUE(s->write_all(junk, 3s));
  EXPECT_TRUE(closed_by_peer(*s));
  auto b = start_node("b");
  EXPECT_EQ(b->engine->ping(a->name()), atoms::pong);
}
