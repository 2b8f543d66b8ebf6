// The I/O protocol's replies, one rule per test, as OTP 25's shell group leader gives them.
#include "otpp/otp/io_device.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "otpp/term/print.hpp"

namespace {

using namespace otpp;

struct lines final : io::line_source {
  std::deque<std::string> queue;
  std::optional<std::string> read_line() override {
    if (queue.empty()) return std::nullopt;
    auto l = queue.front();
    queue.pop_front();
    return l;
  }
};

struct fixture : testing::Test {
  std::shared_ptr<io::string_output_sink> out = std::make_shared<io::string_output_sink>();
  std::shared_ptr<lines> in = std::make_shared<lines>();
  io::io_device dev{out, in};
  std::string reply(const term& req) { return to_string(dev.handle(req), {syntax::erlang}); }
};

term a(std::string_view s) { return atom(s); }
term str(std::string_view s) { return term::string(s); }
term bin(std::string_view s) { return term::binary(s); }

using io_device = fixture;

TEST_F(io_device, put_chars_unicode_writes_binaries_lists_and_deep_lists) {
  EXPECT_EQ(reply(tuple_of(atoms::put_chars, atoms::unicode, bin("Hi, my name is Kate\n"))), "ok");
  EXPECT_EQ(reply(tuple_of(atoms::put_chars, atoms::unicode,
                           list_of(str("a"), list_of(0x109, bin("\xc3\xa9")), 10))),
            "ok");
  EXPECT_EQ(out->text(), "Hi, my name is Kate\na\xc4\x89\xc3\xa9\n");
}

TEST_F(io_device, put_chars_latin1_takes_bytes_as_characters) {
  EXPECT_EQ(reply(tuple_of(atoms::put_chars, atoms::latin1, bin("\xff\n"))), "ok");
  EXPECT_EQ(reply(tuple_of(atoms::put_chars, str("old\n"))), "ok");
  EXPECT_EQ(out->text(), "\xc3\xbf\nold\n");
}

TEST_F(io_device, put_chars_of_something_not_chardata_answers_error_with_the_request) {
  EXPECT_EQ(reply(tuple_of(atoms::put_chars, atoms::unicode, list_of(a("foo")))),
            "{error,{put_chars,unicode,[foo]}}");
  EXPECT_EQ(reply(tuple_of(atoms::put_chars, atoms::latin1, list_of(256))),
            "{error,{put_chars,latin1,[256]}}");
  EXPECT_EQ(out->text(), "");
}

TEST_F(io_device, put_chars_io_lib_format_formats_on_the_server) {
  EXPECT_EQ(reply(term::tuple({atoms::put_chars, atoms::unicode, a("io_lib"), a("format"),
                               list_of(str("~p~n"), list_of(tuple_of(a("ok"), 1)))})),
            "ok");
  EXPECT_EQ(reply(term::tuple({atoms::put_chars, a("io_lib"), a("format"),
                               list_of(str("~w~n"), list_of(a("x")))})),
            "ok");
  EXPECT_EQ(out->text(), "{ok,1}\nx\n");
}

TEST_F(io_device, a_bad_format_answers_error_format) {
  EXPECT_EQ(reply(term::tuple({atoms::put_chars, atoms::unicode, a("io_lib"), a("format"),
                               list_of(str("~d"), list_of(a("a")))})),
            "{error,format}");
  EXPECT_EQ(reply(term::tuple({atoms::put_chars, atoms::unicode, a("io_lib"), a("format"),
                               list_of(str("~p~n"), a("x"))})),
            "{error,format}");
  EXPECT_EQ(reply(term::tuple(
                {atoms::put_chars, atoms::unicode, a("lists"), a("reverse"), list_of(str("abc"))})),
            "{error,reverse}");
}

TEST_F(io_device, an_unknown_request_answers_error_request) {
  EXPECT_EQ(reply(tuple_of(a("nosuch"))), "{error,request}");
  EXPECT_EQ(reply(a("bogus")), "{error,request}");
}

TEST_F(io_device, requests_run_in_order_and_stop_at_the_first_error) {
  term ok_req = tuple_of(atoms::put_chars, atoms::unicode, str("a\n"));
  EXPECT_EQ(reply(tuple_of(a("requests"),
                           list_of(ok_req, tuple_of(atoms::put_chars, atoms::latin1, bin("b\n"))))),
            "ok");
  EXPECT_EQ(reply(tuple_of(a("requests"), list_of(ok_req, a("bad"), ok_req))), "{error,request}");
  EXPECT_EQ(out->text(), "a\nb\na\n");
}

TEST_F(io_device, setopts_and_getopts_round_trip_and_unknown_options_are_enotsup) {
  EXPECT_EQ(reply(tuple_of(a("setopts"), list_of(a("binary")))), "ok");
  EXPECT_EQ(reply(a("getopts")),
            "[{expand_fun,false},{echo,false},{binary,true},{encoding,unicode}]");
  EXPECT_EQ(reply(tuple_of(a("setopts"), list_of(tuple_of(a("binary"), atoms::false_),
                                                 tuple_of(a("encoding"), atoms::latin1)))),
            "ok");
  EXPECT_EQ(reply(a("getopts")),
            "[{expand_fun,false},{echo,false},{binary,false},{encoding,latin1}]");
  EXPECT_EQ(reply(tuple_of(a("setopts"), list_of(a("bogus")))), "{error,enotsup}");
}

TEST_F(io_device, get_geometry_is_enotsup_when_output_is_not_a_terminal) {
  EXPECT_EQ(reply(tuple_of(a("get_geometry"), a("columns"))), "{error,enotsup}");
  EXPECT_EQ(reply(tuple_of(a("get_geometry"), a("rows"))), "{error,enotsup}");
}

TEST_F(io_device, get_line_returns_a_line_with_its_newline_then_eof) {
  in->queue = {"first\n", "second"};
  EXPECT_EQ(reply(tuple_of(a("get_line"), atoms::unicode, str("prompt> "))), "\"first\\n\"");
  EXPECT_EQ(reply(tuple_of(a("get_line"), str(""))), "\"second\"");
  EXPECT_EQ(reply(tuple_of(a("get_line"), atoms::unicode, str(""))), "eof");
  EXPECT_EQ(out->text(), "prompt> ");
}

TEST_F(io_device, get_chars_reads_across_lines_and_binary_mode_gives_binaries) {
  in->queue = {"ab\n", "cd\n"};
  EXPECT_EQ(reply(tuple_of(a("get_chars"), atoms::unicode, str(""), 4)), "\"ab\\nc\"");
  EXPECT_EQ(reply(tuple_of(a("setopts"), list_of(a("binary")))), "ok");
  EXPECT_EQ(reply(tuple_of(a("get_chars"), atoms::unicode, str(""), 10)), "<<\"d\\n\">>");
  EXPECT_EQ(reply(tuple_of(a("get_chars"), atoms::unicode, str(""), 1)), "eof");
}

TEST(io_device_without_input, every_read_is_eof) {
  io::io_device dev(std::make_shared<io::string_output_sink>());
  EXPECT_TRUE(dev.handle(tuple_of(atom("get_line"), atoms::unicode, term::string("")))
                  .is_atom(atom("eof")));
  EXPECT_TRUE(dev.handle(term::tuple({atom("get_until"), atoms::unicode, term::string(""),
                                      atom("erl_scan"), atom("tokens"), list_of(1)}))
                  .is_atom(atom("eof")));
}

TEST(io_device_requests, reads_input_tells_which_requests_may_block) {
  EXPECT_TRUE(io::io_device::reads_input(tuple_of(atom("get_line"), term::string(""))));
  EXPECT_TRUE(io::io_device::reads_input(
      tuple_of(atom("requests"), list_of(tuple_of(atom("get_chars"), term::string(""), 1)))));
  EXPECT_FALSE(io::io_device::reads_input(tuple_of(atoms::put_chars, term::string("x"))));
}

}  // namespace
