// Shared set-up for the otp scenarios: a private port mapper per test, otpp nodes whose
// standard output is captured, real erl peers (tests/support) and real iex shells.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "otpp/dist/epmd.hpp"
#include "support/eventually.hpp"
#include "otpp/otp/io_device.hpp"
#include "otpp/otp/node.hpp"
#include "support/child_process.hpp"
#include "support/erl_peer.hpp"
#include "support/ports.hpp"

namespace otpp::test {

using namespace std::chrono_literals;

/// A real `iex --sname NAME@localhost` reading expressions from a pipe: `eval` sends one line
/// and returns what iex printed up to its next prompt. `erl_flags` go to its emulator
/// (`iex --erl "..."`), e.g. TLS distribution's; they must not contain spaces.
class iex_peer {
 public:
  iex_peer(std::string name, std::uint16_t epmd_port, std::string cookie, const std::vector<std::string>& erl_flags = {})
      : name_(std::move(name) + "@localhost"),
        process_(child_process::options{
            {"iex", "--sname", name_, "--cookie", cookie, "--erl", emulator_flags(erl_flags)},
            {{"ERL_EPMD_PORT", std::to_string(epmd_port)}},
            true}) {
    auto first = process_.wait_for(prompt(1), 60s);
    ready_ = first.has_value();
    if (first) from_ = *first;
  }
  [[nodiscard]] bool ready() const { return ready_; }
  [[nodiscard]] const std::string& node() const { return name_; }
  [[nodiscard]] child_process& process() { return process_; }

  /// Evaluates one line; returns the printed output (without prompts), or nullopt on timeout
  /// (by default one that stretches under a sanitizer: the line often waits on an otpp node).
  std::optional<std::string> eval(const std::string& line,
                                  std::chrono::milliseconds timeout = scaled(30s)) {
    ++count_;
    if (!process_.write_stdin(line + "\n")) return std::nullopt;
    auto end = process_.wait_for(prompt(count_), timeout, from_);
    if (!end) return std::nullopt;
    std::string out = process_.output().substr(from_, *end - from_ - prompt(count_).size());
    from_ = *end;
    return out;
  }
  /// Everything printed after the last prompt so far.
  [[nodiscard]] std::string pending_output() {
    std::string all = process_.output();
    return all.size() > from_ ? all.substr(from_) : std::string();
  }

 private:
  static std::string emulator_flags(const std::vector<std::string>& more) {
    std::string flags = "-start_epmd false";
    for (const auto& f : more) flags += " " + f;
    return flags;
  }
  std::string prompt(int n) const { return "iex(" + name_ + ")" + std::to_string(n) + "> "; }
  std::string name_;
  child_process process_;
  bool ready_ = false;
  int count_ = 1;
  std::size_t from_ = 0;
};

/// The cookie every otp scenario's nodes and peers share.
inline constexpr const char* test_cookie = "otpp_test_cookie";

/// A private port mapper on a free loopback port, for one test or a whole suite.
inline std::unique_ptr<dist::epmd_server> start_private_epmd() {
  auto s = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  EXPECT_TRUE(s) << (s ? "" : s.error());
  return s ? std::move(s.value()) : nullptr;
}

/// An otpp node `<prefix><unique>@localhost` on the port mapper at `epmd_port`, its standard
/// output going to `out` and its distribution log dropped; `tweak` may change any option.
inline std::unique_ptr<otp::node> start_test_node(const std::string& prefix, std::uint16_t epmd_port,
                                                  std::shared_ptr<io::output_sink> out,
                                                  const std::function<void(otp::node_options&)>& tweak = {}) {
  otp::node_options o;
  o.dist.name = unique_name(prefix) + "@localhost";
  o.dist.cookie = test_cookie;
  o.dist.epmd_port = epmd_port;
  o.dist.embedded_epmd = false;
  o.dist.listen_address = "127.0.0.1";
  o.dist.log = [](std::string_view) {};
  o.runtime.workers = 2;
  o.services.output = std::move(out);
  if (tweak) tweak(o);
  auto n = otp::node::start(std::move(o));
  EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error());
  return n ? std::move(n.value()) : nullptr;
}

/// A node assembled from its layers by hand (a runtime, a distribution engine, the services),
/// as an embedding program may do instead of otp::node::start: tests check it behaves as a
/// started node. Processes made on it must be gone before it is destroyed.
struct hand_wired_node {
  explicit hand_wired_node(std::uint16_t epmd_port) : engine(engine_options_for(epmd_port)) {
    engine.set_remote_signals(&rt.remote());
    started = engine.start().ok();
    EXPECT_TRUE(started);
    rt.set_node(engine.name(), engine.creation());
    rt.set_distribution(&engine);
    otp::services_options so;
    so.output = std::make_shared<io::string_output_sink>();
    services.emplace(rt, &engine, exports, so);
  }
  ~hand_wired_node() {
    services.reset();
    rt.set_distribution(nullptr);
    engine.stop();
    rt.shutdown(std::chrono::seconds(2));
  }
  hand_wired_node(const hand_wired_node&) = delete;
  hand_wired_node& operator=(const hand_wired_node&) = delete;

  runtime rt{runtime_options{.workers = 1}};
  dist::engine engine;
  export_table exports;
  std::optional<otp::node_services> services;
  bool started = false;

 private:
  static dist::engine_options engine_options_for(std::uint16_t epmd_port) {
    dist::engine_options o;
    o.name = unique_name("bare") + "@localhost";
    o.cookie = test_cookie;
    o.epmd_port = epmd_port;
    o.embedded_epmd = false;
    o.listen_address = "127.0.0.1";
    o.log = [](std::string_view) {};
    return o;
  }
};

class otp_test : public ::testing::Test {
 protected:
  static constexpr const char* cookie = test_cookie;
  std::unique_ptr<dist::epmd_server> epmd;

  void SetUp() override {
    epmd = start_private_epmd();
    ASSERT_TRUE(epmd);
  }

  [[nodiscard]] std::uint16_t epmd_port() const { return epmd->port(); }

  /// An otpp node on this test's port mapper whose standard output goes to `out`.
  std::unique_ptr<otp::node> start_node(const std::string& prefix,
                                        std::shared_ptr<io::output_sink> out,
                                        std::function<void(otp::node_options&)> tweak = {}) {
    return start_test_node(prefix, epmd_port(), std::move(out), tweak);
  }

  std::unique_ptr<erl_peer> start_erl(const std::string& prefix = "erl",
                                      std::vector<std::string> extra = {}) {
    auto e = std::make_unique<erl_peer>(unique_name(prefix), epmd_port(), cookie, std::move(extra));
    EXPECT_TRUE(e->ready()) << e->process().output();
    return e;
  }

  /// An erl peer that also runs Elixir (its modules on the code path, the app started).
  std::unique_ptr<erl_peer> start_elixir_erl(const std::string& prefix = "ex") {
    auto e = start_erl(prefix, {"-pa", "/usr/lib/elixir/lib/elixir/ebin"});
    if (e->ready()) (void)e->eval("application:ensure_all_started(elixir).");
    return e;
  }

  std::unique_ptr<iex_peer> start_iex(const std::string& prefix = "iex") {
    auto i = std::make_unique<iex_peer>(unique_name(prefix), epmd_port(), cookie);
    EXPECT_TRUE(i->ready()) << i->process().output();
    return i;
  }
};

/// Erlang source text for an atom (quoted).
inline std::string erl_atom(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace otpp::test
