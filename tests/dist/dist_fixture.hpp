// Shared set-up for the distribution scenarios: a private port mapper per test, otpp engines
// whose arriving signals are recorded, their log lines captured, and real erl peers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dist/blocking_socket.hpp"
#include "otpp/dist/engine.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/dist/handshake.hpp"
#include "support/captured_log.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"
#include "support/recording_signals.hpp"

namespace otpp::test {

using namespace std::chrono_literals;

/// An otpp node as the dist layer sees it: an engine plus a recording runtime stand-in.
struct test_node {
  recording_signals signals;
  std::shared_ptr<captured_log> log = std::make_shared<captured_log>();
  std::unique_ptr<dist::engine> engine;
  std::uint32_t next_pid = 100;

  /// A pid of this node, as a local process would have.
  pid make_pid() { return pid{engine->name(), next_pid++, 0, engine->creation()}; }
  atom name() const { return engine->name(); }
  std::string name_text() const { return std::string(engine->name().name()); }
};

class dist_test : public ::testing::Test {
 protected:
  static constexpr const char* cookie = "otpp_test_cookie";
  std::unique_ptr<dist::epmd_server> epmd;

  void SetUp() override {
    auto s = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
    ASSERT_TRUE(s) << s.error();
    epmd = std::move(s.value());
  }

  std::uint16_t epmd_port() const { return epmd->port(); }

  std::unique_ptr<test_node> start_node(const std::string& prefix = "otpp",
                                        std::function<void(dist::engine_options&)> tweak = {}) {
    auto n = std::make_unique<test_node>();
    dist::engine_options o;
    o.name = unique_name(prefix) + "@localhost";
    o.cookie = cookie;
    o.epmd_port = epmd_port();
    o.embedded_epmd = false;
    o.listen_address = "127.0.0.1";
    auto log = n->log;
    o.log = [log](std::string_view line) { log->add(line); };
    if (tweak) tweak(o);
    n->engine = std::make_unique<dist::engine>(o);
    n->engine->set_remote_signals(&n->signals);
    auto r = n->engine->start();
    EXPECT_TRUE(r) << r.error();
    if (!r) return nullptr;
    return n;
  }

  std::unique_ptr<erl_peer> start_erl(const std::string& prefix = "erl", const std::string& c = cookie,
                                      std::vector<std::string> extra = {}) {
    auto e = std::make_unique<erl_peer>(unique_name(prefix), epmd_port(), c, std::move(extra));
    EXPECT_TRUE(e->ready()) << e->process().output();
    return e;
  }
};

using dist::detail::blocking_socket;

/// A raw connection to `n` that has passed the handshake as node `me` with `flags`: a peer
/// whose frames a test writes byte by byte.
inline std::optional<blocking_socket> handshaken(test_node& n, std::uint16_t epmd,
                                                 const std::string& me, const std::string& cookie,
                                                 std::uint64_t flags = dist::dflag::otpp_default) {
  auto where = dist::epmd_port_please({"127.0.0.1", epmd, 3s},
                                      n.name_text().substr(0, n.name_text().find('@')));
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

/// Whether the node closed the raw connection (end of stream within a few seconds).
inline bool closed_by_peer(blocking_socket& s) {
  auto r = s.read_to_end(1 << 20, 5s);
  return r.ok();  // EOF reached
}

/// Erlang source text for an atom (quoted).
inline std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace otpp::test
