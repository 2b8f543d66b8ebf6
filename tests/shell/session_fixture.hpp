// Shared set-up for tests of a shell session on a real (not distributed) otpp node in this
// process: a node with a few exported functions (Kate.add/2, Kate.say_name/0, Crash.later/1),
// a session on it, and what the session printed for each line fed to it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "otpp/otp/io.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/shell/session.hpp"

namespace otpp::test {

class shell_session : public ::testing::Test {
 protected:
  void SetUp() override {
    otp::node_options o;
    o.runtime.workers = 2;
    o.services.output = node_output;
    auto started = otp::node::start(std::move(o));
    ASSERT_TRUE(started.ok()) << started.error();
    node = std::move(started.value());
    node->exports().add_elixir("Kate", "add", [](term a, term b) {
      return term(static_cast<long long>(a.small_integer() + b.small_integer()));
    });
    node->exports().add_elixir("Kate", "say_name", [](process& self) -> process_task {
      (void)co_await io::put_chars(self, "Hi, my name is Kate\n");
    });
    node->exports().add_elixir("Crash", "later", [](process& self, term ms) -> process_task {
      co_await self.receive(on(atom("never")) >> [] {}, after(std::chrono::milliseconds(ms.small_integer()), [] {}));
      self.exit(atom("boom"));
    });
    s = std::make_unique<shell::session>(*node, shell::session::sinks{[this](std::string_view t) {
                                                                        std::lock_guard lock(mu);
                                                                        out += t;
                                                                      },
                                                                      [](std::string_view) {}});
  }
  void TearDown() override {
    s.reset();
    node.reset();
  }

  // Feeds `line` and returns what the session printed for it.
  std::string feed(std::string_view line) {
    std::size_t from = output().size();
    s->feed(line);
    return output().substr(from);
  }
  // Feeds `line` and returns what it printed without the newline after a result; errors as
  // printed.
  std::string run(std::string_view line) {
    std::string text = feed(line);
    if (!text.starts_with("** (") && text.ends_with("\n")) text.pop_back();
    return text;
  }
  std::string output() {
    std::lock_guard lock(mu);
    return out;
  }

  std::shared_ptr<io::string_output_sink> node_output = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> node;
  std::unique_ptr<shell::session> s;
  std::mutex mu;
  std::string out;
};

}  // namespace otpp::test
