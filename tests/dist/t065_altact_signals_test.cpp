// Scenario 065, OTP 28's ALTACT_SIG_SEND (DFLAG_ALTACT_SIG): a peer that agreed to the flag sends
// messages and exit signals to a pid, a name or an alias as `{37, Flags, SenderPid, To[, Token]}`
// followed by the message or the reason, and otpp encodes its alias messages that way for a peer
// that agreed (ALIAS_SEND for one that did not). Only OTP 25 installs here, so the peer is a raw
// connection writing frames as erl_dist_protocol describes them (Flags: 1 priority, 2 token,
// 4 alias, 8 name, 16 exit).
#include "dist/dist_fixture.hpp"
#include "otpp/dist/control.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/parse.hpp"

using namespace otpp;
using namespace otpp::test;

namespace {

// One pass-through frame: 4-byte length, 112, the control tuple and the payload, each as
// term_to_binary writes them.
std::vector<std::uint8_t> frame(const term& control, const term& payload) {
  std::vector<std::uint8_t> body{112};
  auto c = etf::encode(control);
  auto p = etf::encode(payload);
  body.insert(body.end(), c.begin(), c.end());
  body.insert(body.end(), p.begin(), p.end());
  std::vector<std::uint8_t> out(4);
  auto n = static_cast<std::uint32_t>(body.size());
  out[0] = static_cast<std::uint8_t>(n >> 24);
  out[1] = static_cast<std::uint8_t>(n >> 16);
  out[2] = static_cast<std::uint8_t>(n >> 8);
  out[3] = static_cast<std::uint8_t>(n);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

reference alias_on(test_node& n, std::uint32_t word) {
  reference r;
  r.node = n.name();
  r.creation = n.engine->creation();
  r.length = 3;
  r.words = {word, 7, 9, 0, 0};
  return r;
}

}  // namespace

class altact_signals : public dist_test {
 protected:
  std::unique_ptr<test_node> a;
  std::optional<blocking_socket> peer;
  std::string me;
  pid sender;

  // A raw peer that agreed to `flags` with node a.
  void connect(std::uint64_t flags = dist::dflag::otpp_default) {
    a = start_node("a");
    ASSERT_TRUE(a);
    me = unique_name("peer28") + "@localhost";
    peer = handshaken(*a, epmd_port(), me, cookie, flags);
    ASSERT_TRUE(peer);
    sender = pid{atom(me), 41, 0, 1};
    // The accepting side counts the connection as up a moment after the peer does.
    ASSERT_TRUE(eventually([&] { return a->engine->is_connected(atom(me)); }));
  }
  void send(std::initializer_list<term> control, const term& payload) {
    ASSERT_TRUE(peer->write_all(frame(term::tuple(control), payload), 3s));
  }
};

TEST_F(altact_signals, an_alias_message_reaches_the_alias) {
  connect();
  reference al = alias_on(*a, 1);
  send({term(37), term(4), sender, al}, atom("via_alias"));
  auto got = a->signals.wait_for_kind("deliver_alias");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[1], term(al));
  EXPECT_EQ((*got)[2], atom("via_alias"));
}

TEST_F(altact_signals, a_priority_message_to_a_pid_arrives_as_an_ordinary_message) {
  connect();
  pid to = a->make_pid();
  send({term(37), term(1), sender, to}, atom("urgent"));
  auto got = a->signals.wait_for_kind("deliver");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[1], term(to));
  EXPECT_EQ((*got)[2], atom("urgent"));
}

TEST_F(altact_signals, a_message_to_a_name_and_one_with_a_trace_token_arrive) {
  connect();
  send({term(37), term(8), sender, atom("kate")}, atom("by_name"));
  reference al = alias_on(*a, 2);
  term token = term::tuple({term(0), atom("label"), term(1), sender, term(2)});
  send({term(37), term(2 | 4), sender, al, token}, atom("traced"));
  auto named = a->signals.wait_for_kind("deliver_named");
  ASSERT_TRUE(named);
  EXPECT_EQ((*named)[1], atom("kate"));
  EXPECT_EQ((*named)[2], atom("by_name"));
  auto traced = a->signals.wait_for_kind("deliver_alias");
  ASSERT_TRUE(traced);
  EXPECT_EQ((*traced)[2], atom("traced"));
}

TEST_F(altact_signals, exit_signals_reach_a_pid_an_alias_and_a_name) {
  connect();
  pid to = a->make_pid();
  reference al = alias_on(*a, 3);
  send({term(37), term(16), sender, to}, atom("to_pid"));
  send({term(37), term(16 | 4 | 1), sender, al}, atom("to_alias"));
  send({term(37), term(16 | 8), sender, atom("kate")}, atom("to_name"));
  auto by_pid = a->signals.wait_for_kind("exit2");
  ASSERT_TRUE(by_pid);
  EXPECT_EQ((*by_pid)[1], term(sender));
  EXPECT_EQ((*by_pid)[2], term(to));
  EXPECT_EQ((*by_pid)[3], atom("to_pid"));
  auto by_alias =
      a->signals.wait_for_kind("exit_via", [](const term& t) { return t[2].is_reference(); });
  ASSERT_TRUE(by_alias);
  EXPECT_EQ((*by_alias)[2], term(al));
  EXPECT_EQ((*by_alias)[3], atom("to_alias"));
  auto by_name = a->signals.wait_for_kind("exit_via", [](const term& t) { return t[2].is_atom(); });
  ASSERT_TRUE(by_name);
  EXPECT_EQ((*by_name)[2], atom("kate"));
  EXPECT_EQ((*by_name)[3], atom("to_name"));
}

TEST_F(altact_signals, flags_beyond_the_low_byte_and_extra_elements_are_ignored) {
  connect();
  reference al = alias_on(*a, 4);
  // 2^70 + 4: a bignum whose least significant byte says "alias".
  term flags = *parse_term("1180591620717411303428.").value;
  send({term(37), flags, sender, al, atom("future_element")}, atom("still_arrives"));
  auto got = a->signals.wait_for_kind("deliver_alias");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[2], atom("still_arrives"));
}

TEST_F(altact_signals, an_alias_flag_on_a_pid_closes_only_that_connection) {
  connect();
  auto b = start_node("b");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->engine->ping(a->name()), atoms::pong);
  send({term(37), term(4), sender, a->make_pid()}, atom("bad"));
  EXPECT_TRUE(closed_by_peer(*peer));
  EXPECT_TRUE(eventually([&] { return a->log->contains("malformed frame from " + me); }))
      << a->log->all();
  EXPECT_EQ(b->engine->ping(a->name()), atoms::pong);
}

namespace {
// What otpp writes for an alias message: the control tuple as the protocol's text lays it out.
term alias_control(std::uint64_t flags) {
  pid from{atom("kate@localhost"), 5, 0, 1};
  reference al;
  al.node = atom("peer28@localhost");
  al.creation = 1;
  al.length = 3;
  al.words = {11, 12, 13, 0, 0};
  std::vector<std::uint8_t> out;
  auto payload = dist::encode::alias_send(out, flags, from, al, atom("reply"));
  EXPECT_TRUE(payload && *payload == atom("reply"));
  // The body decodes back to the same alias message.
  auto sig = dist::decode_pass_through(dist::pass_through_body(out, payload));
  EXPECT_TRUE(sig && std::holds_alternative<dist::signal::alias_send>(*sig));
  auto c = etf::decode_body(out);
  EXPECT_TRUE(c);
  return c ? c->value : term();
}
}  // namespace

TEST(altact_encoding, otpp_sends_alias_messages_as_altact_sig_send_to_a_peer_that_agreed) {
  term c = alias_control(dist::dflag::otpp_default);
  ASSERT_TRUE(c.is_tuple() && c.tuple_size() == 4);
  EXPECT_EQ(c[0], term(37));
  EXPECT_EQ(c[1], term(4));  // the alias flag
  EXPECT_TRUE(c[2].is_pid());
  EXPECT_TRUE(c[3].is_reference());
}

TEST(altact_encoding, otpp_sends_alias_send_to_a_peer_without_the_flag) {
  term c = alias_control(dist::dflag::otpp_default & ~dist::dflag::altact_sig);
  ASSERT_TRUE(c.is_tuple() && c.tuple_size() == 3);
  EXPECT_EQ(c[0], term(33));
  EXPECT_TRUE(c[1].is_pid());
  EXPECT_TRUE(c[2].is_reference());
}
