// The erl-style shell session (`otpp --erl`) on a node in this process: Erlang syntax evaluated in
// the shell process, results laid out as erl prints them, erl's shell commands and its
// exception reports (the expectations were checked against erl 25).
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>

#include "otpp/otp/io.hpp"
#include "otpp/otp/io_device.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/shell/erl_session.hpp"

namespace {

using namespace otpp;

class erl_shell : public ::testing::Test {
 protected:
  void SetUp() override {
    otp::node_options o;
    o.runtime.workers = 2;
    o.services.output = node_output;
    auto started = otp::node::start(std::move(o));
    ASSERT_TRUE(started.ok()) << started.error();
    node = std::move(started.value());
    s = std::make_unique<shell::erl_session>(*node, shell::session::sinks{[this](std::string_view t) {
                                                                             std::lock_guard lock(mu);
                                                                             out += t;
                                                                           },
                                                                           [](std::string_view) {}});
  }
  void TearDown() override {
    s.reset();
    node.reset();
  }

  // What the session printed for `line`, results and errors alike, and what the node's io
  // server printed meanwhile (io:format), without the last newline.
  std::string run(std::string_view line) {
    std::size_t from = printed().size();
    std::size_t io_from = io_text().size();
    s->feed(line);
    std::string text = io_text().substr(io_from) + printed().substr(from);
    if (text.ends_with("\n")) text.pop_back();
    return text;
  }
  std::string printed() {
    std::lock_guard lock(mu);
    return out;
  }
  std::string io_text() { return node_output->text(); }

  std::shared_ptr<io::string_output_sink> node_output = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> node;
  std::unique_ptr<shell::erl_session> s;
  std::mutex mu;
  std::string out;
};

TEST_F(erl_shell, results_print_as_erl_prints_them_and_the_prompt_counts_commands) {
  EXPECT_EQ(s->prompt(), "1> ");
  EXPECT_EQ(run("1 + 2."), "3");
  EXPECT_EQ(run("{ok, [1, 2.5, \"a\", <<\"b\">>, #{a => 1}]}."), "{ok,[1,2.5,\"a\",<<\"b\">>,#{a => 1}]}");
  EXPECT_EQ(run("lists:seq(1, 30)."),
            "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,\n 23,24,25,26,27,28,29|...]");
  EXPECT_EQ(s->prompt(), "4> ");
}

TEST_F(erl_shell, an_expression_may_span_lines_and_a_line_may_hold_two) {
  EXPECT_EQ(run("{1,"), "");
  EXPECT_TRUE(s->continuing());
  EXPECT_EQ(s->prompt(), "");
  EXPECT_EQ(run(" 2}."), "{1,2}");
  EXPECT_EQ(run("a. b."), "a\n3> b");
  EXPECT_EQ(s->prompt(), "4> ");
}

TEST_F(erl_shell, bindings_last_until_f_forgets_them_and_b_lists_them) {
  EXPECT_EQ(run("X = 5."), "5");
  EXPECT_EQ(run("Y = {X, X + 1}."), "{5,6}");
  EXPECT_EQ(run("b()."), "X = 5\nY = {5,6}\nok");
  EXPECT_EQ(run("f(X)."), "ok");
  EXPECT_EQ(run("X."), "* 1:1: variable 'X' is unbound");
  EXPECT_EQ(run("Y."), "{5,6}");
  EXPECT_EQ(run("f()."), "ok");
  EXPECT_EQ(run("{Y}."), "* 1:2: variable 'Y' is unbound");
}

TEST_F(erl_shell, v_recalls_results_and_h_lists_the_commands) {
  EXPECT_EQ(run("6 * 7."), "42");
  EXPECT_EQ(run("v(1) + 1."), "43");
  EXPECT_EQ(run("v(-1) + 1."), "44");
  EXPECT_EQ(run("v(9)."), "* 9: command not found");
  EXPECT_EQ(run("h()."), "1: 6 * 7\n-> 42\n2: v(1) + 1\n-> 43\n3: v(-1) + 1\n-> 44\nok");
}

TEST_F(erl_shell, exceptions_are_reported_as_erl_reports_them_and_the_shell_goes_on) {
  EXPECT_EQ(run("hd([])."),
            "** exception error: bad argument\n"
            "     in function  hd/1\n"
            "        called as hd([])\n"
            "        *** argument 1: not a nonempty list");
  EXPECT_EQ(run("1 / 0."),
            "** exception error: an error occurred when evaluating an arithmetic expression\n"
            "     in operator  '/'/2\n"
            "        called as 1 / 0");
  EXPECT_EQ(run("{a, B} = {c, 1}."), "** exception error: no match of right hand side value {c,1}");
  EXPECT_EQ(run("throw(x)."), "** exception throw: x");
  EXPECT_EQ(run("exit(boom)."), "** exception exit: boom");
  EXPECT_EQ(run("foo()."), "** exception error: undefined shell command foo/0");
  EXPECT_EQ(run("nosuch:f(1)."), "** exception error: undefined function nosuch:f/1");
  EXPECT_EQ(run("case 3 of 1 -> one end."), "** exception error: no case clause matching 3");
  EXPECT_EQ(run("1 + ."), "* 1:5: syntax error before: '.'");
  EXPECT_EQ(run("ok."), "ok");
  EXPECT_EQ(s->prompt(), "10> ");
}

TEST_F(erl_shell, io_format_prints_and_flush_shows_the_shells_messages) {
  EXPECT_EQ(run("io:format(\"hi ~p~n\", [x])."), "hi x\nok");
  EXPECT_EQ(run("self() ! {hello, 1}, self() ! bye, flush()."), "Shell got {hello,1}\nShell got bye\nok");
  EXPECT_EQ(run("c:flush()."), "ok");
}

TEST_F(erl_shell, the_process_dictionary_is_the_shell_processes_own) {
  EXPECT_EQ(run("put(colour, red)."), "undefined");
  EXPECT_EQ(run("put(colour, blue)."), "red");
  EXPECT_EQ(run("{get(colour), get_keys(blue), erase(colour), get(colour)}."), "{blue,[colour],blue,undefined}");
}

TEST_F(erl_shell, q_ends_the_shell) {
  EXPECT_FALSE(s->quit_requested());
  EXPECT_EQ(run("q()."), "ok");
  EXPECT_TRUE(s->quit_requested());
}

}  // namespace
