// Scenario 100, the io server and the io client on one node: output through the group leader,
// server-side formatting, input on a helper thread, and a dead group leader.
#include <gtest/gtest.h>

#include <deque>

#include "otp_fixture.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

struct io_server : ::testing::Test {
  runtime rt{runtime_options{.workers = 2}};
  std::shared_ptr<io::string_output_sink> out = std::make_shared<io::string_output_sink>();
  pid server = io::start_server(rt, std::make_shared<io::io_device>(out));
  void SetUp() override { rt.set_default_group_leader(server); }
  void TearDown() override { rt.shutdown(2s); }
};

TEST_F(io_server, put_chars_goes_to_the_group_leaders_device_and_answers_ok) {
  scoped_process me(rt);
  EXPECT_EQ(to_string(io::put_chars(me, "Hi, my name is Kate\n")), "ok");
  EXPECT_EQ(out->text(), "Hi, my name is Kate\n");
}

TEST_F(io_server, format_is_done_by_the_device_and_a_bad_format_is_an_error) {
  scoped_process me(rt);
  EXPECT_EQ(to_string(io::format(me, "~p + ~w = ~.2f~n", {term(1), term(2), term(3.0)})), "ok");
  EXPECT_EQ(to_string(io::format(me, "~d~n", {atom("a")})), "{error,format}");
  EXPECT_EQ(out->text(), "1 + 2 = 3.00\n");
}

TEST_F(io_server, a_coroutine_process_prints_through_its_group_leader) {
  scoped_process me(rt);
  me.spawn_link(
      [](process& self, pid parent) -> process_task {
        term r = co_await io::put_chars(self, "from a process\n");
        self.send(parent, r);
      },
      me.self());
  auto r = me.receive_for(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(to_string(*r), "ok");
  EXPECT_EQ(out->text(), "from a process\n");
}

TEST_F(io_server, a_spawned_process_inherits_the_group_leader_and_set_group_leader_redirects) {
  auto other = std::make_shared<io::string_output_sink>();
  pid other_server = io::start_server(rt, std::make_shared<io::io_device>(other));
  scoped_process me(rt);
  me.group_leader(other_server);
  me.spawn_link(
      [](process& self, pid parent) -> process_task {
        self.send(parent, co_await io::put_chars(self, "child\n"));
      },
      me.self());
  ASSERT_TRUE(me.receive_for(5s));
  EXPECT_EQ(other->text(), "child\n");
  EXPECT_EQ(out->text(), "");
}

TEST_F(io_server, a_dead_group_leader_gives_error_terminated_instead_of_a_hang) {
  scoped_process me(rt);
  pid doomed = io::start_server(
      rt, std::make_shared<io::io_device>(std::make_shared<io::string_output_sink>()));
  rt.exit(doomed, atoms::kill);
  ASSERT_TRUE(eventually([&] { return !rt.is_alive(doomed); }));
  me.group_leader(doomed);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(to_string(io::put_chars(me, "lost\n")), "{error,terminated}");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(io_server, requests_that_read_input_are_answered_from_the_helper_thread) {
  struct lines final : io::line_source {
    std::deque<std::string> q{"typed line\n"};
    std::optional<std::string> read_line() override {
      if (q.empty()) return std::nullopt;
      auto l = q.front();
      q.pop_front();
      return l;
    }
  };
  auto in_out = std::make_shared<io::string_output_sink>();
  pid reader =
      io::start_server(rt, std::make_shared<io::io_device>(in_out, std::make_shared<lines>()));
  scoped_process me(rt);
  EXPECT_EQ(to_string(io::request(me, reader,
                                  tuple_of(atom("get_line"), atoms::unicode, term::string("> ")))),
            "\"typed line\\n\"");
  EXPECT_EQ(to_string(io::request(me, reader,
                                  tuple_of(atom("get_line"), atoms::unicode, term::string("> ")))),
            "eof");
  EXPECT_EQ(in_out->text(), "> > ");
}

TEST_F(io_server, the_server_ignores_messages_that_are_not_io_requests) {
  scoped_process me(rt);
  me.send(server, atom("garbage"));
  me.send(server, tuple_of(atoms::io_request, atom("not_a_pid"), 1, 2));
  EXPECT_EQ(to_string(io::put_chars(me, "still here\n")), "ok");
  EXPECT_EQ(out->text(), "still here\n");
}

}  // namespace
