// Shared set-up for the distribution scenarios: a private port mapper per test, otpp engines
// whose arriving signals are recorded, their log lines captured, and real erl peers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "otpp/dist/engine.hpp"
#include "otpp/dist/epmd.hpp"
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

/// Erlang source text for an atom (quoted).
inline std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace otpp::test
