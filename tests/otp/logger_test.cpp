// The node's default logger: logger events printed as OTP's default handler prints them, and a
// local process's error report printed through it.
#include "otpp/otp/logger.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <regex>
#include <stdexcept>

#include "otp_fixture.hpp"
#include "otpp/otp/io_device.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;
using otpp::test::eventually;

// A fixed event time, in microseconds since the epoch.
constexpr std::int64_t event_time = 1796036361357794;

std::string local_stamp(std::int64_t micros) {
  const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%d-%b-%Y::%H:%M:%S", &tm);
  std::string s = buf;
  if (s[0] == '0') s.erase(0, 1);  // the day without a leading zero, as calendar does
  return s + "." + std::to_string(micros % 1000000);
}

term meta() {
  return term::map({{term(atom("time")), term(event_time)},
                    {term(atom("pid")), term(pid{atoms::nonode_nohost, 9, 0, 0})}});
}

std::string printed(const term& event) {
  auto out = std::make_shared<io::string_output_sink>();
  io::io_device dev(out, nullptr);
  // This device's own numbering: every node is 0.
  dev.set_numbering([](atom, std::uint32_t) { return std::uint32_t{0}; });
  auto req = otp::log_event_request(event);
  if (!req) return "(none)";
  EXPECT_EQ(to_string(dev.handle(*req)), "ok");
  return out->text();
}

TEST(default_logger, the_emulators_error_event_prints_as_erl_prints_it) {
  const term event = term::tuple(
      {atom("log"), atoms::error,
       term::string("Error in process ~p on node ~p with exit value:~n~p~n"),
       list_of(pid{atoms::nonode_nohost, 9, 0, 0}, atom("kate@localhost"),
               tuple_of(atoms::undef, list_of(term::tuple({atom("m"), atom("f"), term(), term()})))),
       meta()});
  EXPECT_EQ(printed(event), "=ERROR REPORT==== " + local_stamp(event_time) +
                                " ===\nError in process <0.9.0> on node kate@localhost with exit "
                                "value:\n{undef,[{m,f,[],[]}]}\n\n");
}

TEST(default_logger, string_report_and_format_args_forms_print_with_their_level) {
  EXPECT_EQ(printed(term::tuple({atom("log"), atom("warning"),
                                 tuple_of(atom("string"), term::binary("careful")), meta()})),
            "=WARNING REPORT==== " + local_stamp(event_time) + " ===\ncareful\n");
  EXPECT_EQ(printed(term::tuple({atom("log"), atom("info"),
                                 tuple_of(atom("report"), list_of(tuple_of(atom("a"), 1))),
                                 meta()})),
            "=INFO REPORT==== " + local_stamp(event_time) + " ===\n[{a,1}]\n");
  EXPECT_EQ(printed(term::tuple({atom("log"), atom("notice"),
                                 tuple_of(term::string("~w and ~w"), list_of(1, 2)), meta()})),
            "=NOTICE REPORT==== " + local_stamp(event_time) + " ===\n1 and 2\n");
}

TEST(default_logger, a_format_that_does_not_fit_its_arguments_is_a_format_error) {
  EXPECT_EQ(printed(term::tuple({atom("log"), atoms::error, term::string("~p ~p"), list_of(1),
                                 meta()})),
            "=ERROR REPORT==== " + local_stamp(event_time) +
                " ===\nFORMAT ERROR: \"~p ~p\" - [1]\n\n");
}

TEST(default_logger, other_messages_are_not_events) {
  EXPECT_EQ(otp::log_event_request(atom("log")), std::nullopt);
  EXPECT_EQ(otp::log_event_request(tuple_of(atom("log"), 1, 2, 3)), std::nullopt);
  EXPECT_EQ(otp::log_event_request(tuple_of(atoms::io_reply, atoms::undefined, atoms::ok)),
            std::nullopt);
}

// A node's own process that fails: the runtime sends the event to the node's logger_proxy,
// which prints it on the node's output (as a BEAM node's logger prints it on standard output).
TEST(default_logger, a_local_process_error_prints_on_the_nodes_output) {
  auto out = std::make_shared<io::string_output_sink>();
  otp::node_options o;
  o.runtime.workers = 2;
  o.services.output = out;
  auto n = otp::node::start(std::move(o));
  ASSERT_TRUE(n.ok()) << n.error();
  auto& node = *n.value();
  ASSERT_TRUE(node.rt().whereis(atom("logger_proxy")));
  scoped_process me(node.rt());
  pid p = me.spawn([](process&) -> process_task {
    throw std::runtime_error("kaboom");
    co_return;
  });
  ASSERT_TRUE(eventually([&] { return out->text().find("kaboom") != std::string::npos; }))
      << out->text();
  static const std::regex report(
      R"(^=ERROR REPORT==== \d+-[A-Z][a-z][a-z]-\d{4}::\d\d:\d\d:\d\d\.\d{6} ===\n)"
      R"(Error in process (<[0-9.]+>) with exit value:\n\{\{error,<<"kaboom">>\},\[\]\}\n\n$)");
  const std::string text = out->text();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(text, m, report)) << text;
  EXPECT_EQ(m[1].str(), to_string(term(p)));
}

}  // namespace
