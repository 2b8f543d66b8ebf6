// erl's TLS distribution flags on the `otpp` shell and the lesson's kate program:
// `--proto-dist inet_tls --ssl-dist-optfile FILE` connects them inside TLS; a certificate the
// other side does not trust gives pang and a log line saying why; a missing or bad option file
// stops the node from starting, with the reason.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>

#include "support/child_process.hpp"
#include "support/erl_peer.hpp"
#include "support/eventually.hpp"
#include "support/ports.hpp"
#include "support/tls_certs.hpp"

namespace {

using otpp::test::child_process;
using namespace std::chrono_literals;

const std::string otpp_bin = std::string(OTPP_BIN_DIR) + "/otpp";
const std::string kate_bin = std::string(OTPP_BIN_DIR) + "/lesson_kate";

struct run_result {
  std::string output;
  int status = -1;
};

run_result run_otpp(std::vector<std::string> args, std::uint16_t epmd_port) {
  args.insert(args.begin(), otpp_bin);
  child_process p({args, {{"OTPP_HISTORY", ""}, {"ERL_EPMD_PORT", std::to_string(epmd_port)}}, true});
  p.close_stdin();
  (void)otpp::test::eventually([&] { return !p.running(); }, 30s);
  run_result r;
  const int st = p.wait();
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  (void)p.wait_for(std::string(1, '\0'), 2s);
  r.output = p.output();
  return r;
}

TEST(shell_tls_flags, the_shell_and_kate_connect_over_tls_and_an_untrusted_certificate_is_refused) {
  otpp::test::tls_certs certs;
  otpp::test::epmd_process epmd(otpp::test::free_port());
  const std::string kate = otpp::test::unique_name("kate") + "@localhost";
  child_process kate_node({{kate_bin, "--sname", kate, "--cookie", "c", "--proto-dist", "inet_tls",
                            "--ssl-dist-optfile", certs.trusted_optfile()},
                           {{"ERL_EPMD_PORT", std::to_string(epmd.port())}},
                           true});
  ASSERT_TRUE(kate_node.wait_for("ready", 30s)) << kate_node.output();

  auto ping = ":io.format(\"~p~n\", [Node.ping(:\"" + kate + "\")])";
  auto trusted = run_otpp({"--sname", otpp::test::unique_name("sh"), "--cookie", "c", "--proto-dist", "inet_tls",
                           "--ssl-dist-optfile", certs.trusted_optfile(), "--eval", ping, "--halt"},
                          epmd.port());
  EXPECT_NE(trusted.output.find("pong"), std::string::npos) << trusted.output;
  EXPECT_EQ(trusted.status, 0) << trusted.output;

  auto untrusted = run_otpp({"--sname", otpp::test::unique_name("sh"), "--cookie", "c", "--proto-dist", "inet_tls",
                             "--ssl-dist-optfile", certs.untrusted_optfile(), "--eval", ping, "--halt"},
                            epmd.port());
  EXPECT_NE(untrusted.output.find("pang"), std::string::npos) << untrusted.output;
  EXPECT_NE(untrusted.output.find("certificate verify failed"), std::string::npos) << untrusted.output;
  EXPECT_TRUE(kate_node.wait_for("TLS handshake failed", 10s)) << kate_node.output();
}

TEST(shell_tls_flags, a_missing_option_file_stops_the_node_with_the_reason) {
  auto no_file = run_otpp({"--sname", otpp::test::unique_name("sh"), "--proto-dist", "inet_tls", "--halt"}, 1);
  EXPECT_EQ(no_file.status, 2);
  EXPECT_NE(no_file.output.find("--proto-dist inet_tls needs --ssl-dist-optfile"), std::string::npos) << no_file.output;
  auto unreadable = run_otpp({"--sname", otpp::test::unique_name("sh"), "--proto-dist", "inet_tls",
                              "--ssl-dist-optfile", "/nonexistent/ssl_dist.conf", "--halt"},
                             1);
  EXPECT_EQ(unreadable.status, 2);
  EXPECT_NE(unreadable.output.find("cannot open the ssl_dist_optfile"), std::string::npos) << unreadable.output;
  auto unknown = run_otpp({"--sname", otpp::test::unique_name("sh"), "--proto-dist", "inet_sctp", "--halt"}, 1);
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.output.find("unsupported --proto-dist inet_sctp"), std::string::npos) << unknown.output;
}

}  // namespace
