// Scenario 011, the handshake against a real erl, in both roles, driven over a plain blocking
// socket so that only the state machine is under test.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "dist/blocking_socket.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/dist/handshake.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"

using namespace otpp::dist;
using namespace std::chrono_literals;
using otpp::dist::detail::blocking_socket;

namespace {

epmd_address local(std::uint16_t port) { return epmd_address{"127.0.0.1", port, 3000ms}; }

// Runs `h` over `s` until it is done or failed, answering the acceptor's status with ok.
handshake::state drive(blocking_socket& s, handshake& h) {
  for (;;) {
    if (h.has_output() && !s.write_all(h.take_output(), 3s)) return handshake::state::failed;
    switch (h.current()) {
      case handshake::state::done:
      case handshake::state::failed:
        return h.current();
      case handshake::state::need_status:
        h.answer_status(handshake_status::ok);
        continue;
      case handshake::state::need_alive_answer:
        h.answer_alive(true);
        continue;
      case handshake::state::in_progress:
        break;
    }
    auto len = s.read_exactly(2, 5s);
    if (!len) return handshake::state::failed;
    h.receive(*len);
    auto body = s.read_exactly(static_cast<std::size_t>(((*len)[0] << 8) | (*len)[1]), 5s);
    if (!body) return handshake::state::failed;
    h.receive(*body);
  }
}

struct listener {
  int fd = -1;
  std::uint16_t port = 0;
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 4);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~listener() { ::close(fd); }
  blocking_socket accept() { return blocking_socket(::accept(fd, nullptr, nullptr)); }
};

struct fixture : ::testing::Test {
  std::unique_ptr<epmd_server> epmd;
  void SetUp() override {
    auto s = epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
    ASSERT_TRUE(s) << s.error();
    epmd = std::move(s.value());
  }
};

using handshake_with_erl = fixture;

}  // namespace

TEST_F(handshake_with_erl, otpp_dials_erl_and_erl_lists_otpp_in_nodes) {
  otpp::test::erl_peer erl(otpp::test::unique_name("erl"), epmd->port(), "hs_cookie");
  ASSERT_TRUE(erl.ready());
  auto alive = erl.node().substr(0, erl.node().find('@'));
  auto where = epmd_port_please(local(epmd->port()), alive);
  ASSERT_TRUE(where) << where.error();
  auto sock = blocking_socket::connect("127.0.0.1", where->port, 3s);
  ASSERT_TRUE(sock);
  std::string me = otpp::test::unique_name("otpp") + "@localhost";
  handshake_config c;
  c.this_node = me;
  c.cookie = "hs_cookie";
  c.creation = 42;
  c.peer_node = erl.node();
  auto h = handshake::initiator(c);
  ASSERT_EQ(drive(*sock, h), handshake::state::done) << h.failure_reason();
  EXPECT_EQ(h.status(), handshake_status::ok);
  EXPECT_EQ(missing_mandatory(h.peer_flags()), 0u) << flags_to_string(h.peer_flags());
  EXPECT_TRUE(h.agreed_flags() & dflag::fragments);
  EXPECT_FALSE(h.agreed_flags() & dflag::dist_hdr_atom_cache);
  EXPECT_EQ(erl.eval("nodes()."), "[" + me + "]");
}

TEST_F(handshake_with_erl, erl_dials_otpp_and_gets_connected) {
  listener l;
  std::string alive = otpp::test::unique_name("otpp");
  auto reg = epmd_registration::register_node(local(epmd->port()), {alive, l.port, 77, 0, 6, 6, ""});
  ASSERT_TRUE(reg);
  otpp::test::erl_peer erl(otpp::test::unique_name("erl"), epmd->port(), "hs_cookie");
  ASSERT_TRUE(erl.ready());
  handshake::state result = handshake::state::failed;
  std::string reason;
  std::atomic<bool> erl_looked{false};
  std::thread acceptor([&] {
    auto s = l.accept();
    handshake_config c;
    c.this_node = alive + "@localhost";
    c.cookie = "hs_cookie";
    c.creation = reg->creation();
    auto h = handshake::acceptor(c);
    result = drive(s, h);
    reason = h.failure_reason();
    // Keep the connection open until erl has looked at it.
    if (result == handshake::state::done) (void)otpp::test::eventually([&] { return erl_looked.load(); }, 30s);
  });
  EXPECT_EQ(erl.eval("net_kernel:connect_node('" + alive + "@localhost')."), "true");
  EXPECT_EQ(erl.eval("nodes()."), "[" + alive + "@localhost]");
  erl_looked = true;
  acceptor.join();
  EXPECT_EQ(result, handshake::state::done) << reason;
}

TEST_F(handshake_with_erl, erl_with_another_cookie_is_refused_by_otpp) {
  listener l;
  std::string alive = otpp::test::unique_name("otpp");
  auto reg = epmd_registration::register_node(local(epmd->port()), {alive, l.port, 77, 0, 6, 6, ""});
  ASSERT_TRUE(reg);
  otpp::test::erl_peer erl(otpp::test::unique_name("erl"), epmd->port(), "other_cookie");
  ASSERT_TRUE(erl.ready());
  std::string reason;
  bool refused = false;
  std::thread acceptor([&] {
    auto s = l.accept();
    handshake_config c;
    c.this_node = alive + "@localhost";
    c.cookie = "hs_cookie";
    auto h = handshake::acceptor(c);
    drive(s, h);
    reason = h.failure_reason();
    refused = h.refused_peer();
  });
  EXPECT_EQ(erl.eval("net_kernel:connect_node('" + alive + "@localhost')."), "false");
  acceptor.join();
  EXPECT_TRUE(refused);
  EXPECT_NE(reason.find("cookie"), std::string::npos) << reason;
}

TEST_F(handshake_with_erl, otpp_with_another_cookie_is_refused_by_erl) {
  otpp::test::erl_peer erl(otpp::test::unique_name("erl"), epmd->port(), "hs_cookie");
  ASSERT_TRUE(erl.ready());
  auto where = epmd_port_please(local(epmd->port()), erl.node().substr(0, erl.node().find('@')));
  ASSERT_TRUE(where);
  auto sock = blocking_socket::connect("127.0.0.1", where->port, 3s);
  ASSERT_TRUE(sock);
  handshake_config c;
  c.this_node = otpp::test::unique_name("otpp") + "@localhost";
  c.cookie = "wrong";
  c.peer_node = erl.node();
  auto h = handshake::initiator(c);
  EXPECT_EQ(drive(*sock, h), handshake::state::failed);
  EXPECT_EQ(erl.eval("nodes()."), "[]");
}
