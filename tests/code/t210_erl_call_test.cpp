// `erl_call -e` (OTP 25's, from erl_interface) against an otpp node: it calls
// erl_eval:eval_str/1 over rex with the text it read, and must print what it prints against a
// real erl node, character for character.
#include "otpp/code/eval.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>

#include "otp/otp_fixture.hpp"
#include "otpp/otp/io.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;

std::string find_erl_call() {
  for (const char* dir : {"/usr/lib/erlang/bin", "/usr/local/lib/erlang/bin"}) {
    std::string p = std::string(dir) + "/erl_call";
    if (std::filesystem::exists(p)) return p;
  }
  return "";
}

struct erl_call : otpp::test::otp_test {
  std::shared_ptr<io::string_output_sink> kate_out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> kate;
  std::string program = find_erl_call();

  void SetUp() override {
    if (program.empty()) GTEST_SKIP() << "no erl_call";
    otp_test::SetUp();
    kate = start_node("kate", kate_out);
    ASSERT_TRUE(kate);
    code::install(*kate);
  }

  // What `erl_call -sname NODE -c COOKIE -e` prints for `input` on its standard input.
  std::string run(const std::string& node, const std::string& input) {
    otpp::test::child_process p(otpp::test::child_process::options{
        {program, "-sname", node, "-c", cookie, "-e"},
        {{"ERL_EPMD_PORT", std::to_string(epmd_port())}},
        true});
    p.write_stdin(input);
    p.close_stdin();
    int status = p.wait();
    // The output may still be on its way after the exit (child_process's reader thread).
    (void)p.wait_for("\x01never", 200ms);
    return p.output() + (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : " [failed]");
  }
};

TEST_F(erl_call, dash_e_against_otpp_prints_what_it_prints_against_erl) {
  auto erl = start_erl();
  const std::vector<std::string> inputs = {
      "{1, [a, \"b\"], #{k => 2.5}}.\n",
      "\"abc\".\n",
      "<<1,2>>.\n",
      "-42.\n",
      "123456789012345678901234567890.\n",
      "[1, 2 | c].\n",
      "'hello world'.\n",
      "1 + .\n",
      "1. 2.\n",
      "1.",
      "\"unterminated\n",
      "{a, b}}.\n",
      "X = 6, Y = X * 7, {X, Y}.\n",
      "lists:reverse([1, 2, 3]) ++ [length(\"abcd\")].\n",
      "F = fun(N) -> N * N end, lists:map(F, lists:seq(1, 5)).\n",
      "case 3 rem 2 of 1 -> odd; 0 -> even end.\n",
  };
  for (const auto& in : inputs) {
    std::string want = run(erl->node(), in);
    std::string got = run(std::string(kate->name().name()), in);
    EXPECT_EQ(got, want) << "input: " << in;
  }
}

TEST_F(erl_call, a_form_that_cannot_be_evaluated_answers_an_eval_error_and_the_node_keeps_serving) {
  std::string k(kate->name().name());
  std::string out = run(k, "nosuch:function().\n");
  EXPECT_EQ(out.rfind("{error, \"*** eval: {'EXIT',{undef,", 0), 0u) << out;
  EXPECT_EQ(run(k, "[x].\n"), "{ok, [x]}");
}

}  // namespace
