// `otpp term encode|decode` as a user runs it: the real executable, bytes checked against what
// erl's term_to_binary produced, bad input ending in one line on stderr and a non-zero exit.
#include "otpp/shell/term_tool.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"

namespace {

struct run_result {
  int status = -1;  ///< exit status, or -1 if killed or not started
  std::string out;
  std::string err;
};

/// Runs build/bin/otpp with `args`, feeding `input` on stdin; killed (by its pid) after 20 s.
run_result run_otpp(const std::vector<std::string>& args, const std::string& input) {
  run_result r;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) return r;
  const std::string exe = std::string(OTPP_BIN_DIR) + "/otpp";
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  const pid_t child = fork();
  if (child == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      close(fd);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (child < 0) return r;

  // Write stdin and read both outputs together so neither side blocks on a full pipe.
  signal(SIGPIPE, SIG_IGN);
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&r.out, &r.err};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (fds[0] >= 0 || fds[1] >= 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(child, SIGKILL);
      break;
    }
    pollfd p[3];
    int n = 0;
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) p[n++] = {fds[i], POLLIN, 0};
    }
    if (in_fd >= 0) p[n++] = {in_fd, POLLOUT, 0};
    if (poll(p, static_cast<nfds_t>(n), 100) < 0 && errno != EINTR) break;
    for (int k = 0; k < n; ++k) {
      if (!p[k].revents) continue;
      if (p[k].fd == in_fd) {
        const ssize_t w = write(in_fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w <= 0 || written == input.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      for (int i = 0; i < 2; ++i) {
        if (p[k].fd != fds[i]) continue;
        char buf[4096];
        const ssize_t got = read(fds[i], buf, sizeof buf);
        if (got > 0) {
          sinks[i]->append(buf, static_cast<std::size_t>(got));
        } else {
          close(fds[i]);
          fds[i] = -1;
        }
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
  int status = 0;
  waitpid(child, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::size_t lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// erl: binary:encode_hex(term_to_binary({ok,[1,2.5,<<"a">>,#{a => 1}]})).
constexpr const char* erl_bytes =
    "8368026400026F6B6C0000000461014640040000000000006D000000016174000000016400016161016A";

TEST(term_tool, encode_writes_the_bytes_erl_term_to_binary_writes) {
  auto r = run_otpp({"term", "encode"}, "{ok,[1,2.5,<<\"a\">>,#{a => 1}]}.\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(to_hex(r.out), erl_bytes);
  EXPECT_EQ(r.err, "");
}

TEST(term_tool, decode_prints_erlang_syntax_and_elixir_with_the_flag) {
  auto erlang = run_otpp({"term", "decode"}, from_hex(erl_bytes));
  EXPECT_EQ(erlang.status, 0) << erlang.err;
  EXPECT_EQ(erlang.out, "{ok,[1,2.5,<<\"a\">>,#{a => 1}]}\n");
  auto elixir = run_otpp({"term", "decode", "--elixir"}, from_hex(erl_bytes));
  EXPECT_EQ(elixir.status, 0) << elixir.err;
  EXPECT_EQ(elixir.out, "{:ok, [1, 2.5, \"a\", %{a: 1}]}\n");
}

TEST(term_tool, encode_then_decode_gives_back_the_text_in_both_syntaxes) {
  const std::string erlang =
      "{'EXIT',<0.106.0>,[{a,\"x\"},<<1,2:3>>,-1.0e-300,'Elixir.Kate',fun lists:map/2]}";
  auto enc = run_otpp({"term", "encode"}, erlang + ".");
  ASSERT_EQ(enc.status, 0) << enc.err;
  auto dec = run_otpp({"term", "decode"}, enc.out);
  EXPECT_EQ(dec.status, 0) << dec.err;
  EXPECT_EQ(dec.out, erlang + "\n");

  const std::string elixir =
      "%{:a => [b: 'c'], \"k\" => {Kate, :\"kate@x.y\", #PID<0.1.2>, <<1::size(3)>>}}";
  enc = run_otpp({"term", "encode", "--elixir"}, elixir);
  ASSERT_EQ(enc.status, 0) << enc.err;
  dec = run_otpp({"term", "decode", "--elixir"}, enc.out);
  EXPECT_EQ(dec.status, 0) << dec.err;
  EXPECT_EQ(dec.out, elixir + "\n");
}

TEST(term_tool, bad_text_exits_non_zero_with_one_line_on_stderr) {
  for (const auto& [args, input] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"term", "encode"}, "{ok,\n"},
           {{"term", "encode"}, "{ok, 1}"},  // no final dot
           {{"term", "encode"}, "X."},
           {{"term", "encode"}, ""},
           {{"term", "encode", "--elixir"}, "%{a: 1, \"b\" => 2}"},
           {{"term", "encode", "--elixir"}, "\"a#{b}\""}}) {
    auto r = run_otpp(args, input);
    EXPECT_NE(r.status, 0) << input;
    EXPECT_EQ(r.out, "") << input;
    EXPECT_EQ(lines(r.err), 1u) << input << " -> " << r.err;
    EXPECT_EQ(r.err.rfind("otpp term encode: line ", 0), 0u) << r.err;
  }
}

TEST(term_tool, bad_bytes_exit_non_zero_with_one_line_on_stderr) {
  for (const std::string& input : {std::string(), std::string("hello"), from_hex("8368"),
                                   from_hex("836D000000FF61"), from_hex("83FF")}) {
    auto r = run_otpp({"term", "decode"}, input);
    EXPECT_NE(r.status, 0) << to_hex(input);
    EXPECT_EQ(r.out, "") << to_hex(input);
    EXPECT_EQ(lines(r.err), 1u) << to_hex(input) << " -> " << r.err;
    EXPECT_EQ(r.err.rfind("otpp term decode: ", 0), 0u) << r.err;
  }
}

TEST(term_tool, decode_numbers_each_remote_node_in_order_of_appearance) {
  const otpp::atom alex("alex@localhost");
  const otpp::atom kate("kate@localhost");
  const auto t =
      otpp::tuple_of(otpp::pid{kate, 1, 0, 3}, otpp::pid{alex, 2, 0, 3}, otpp::pid{kate, 3, 0, 3},
                     otpp::pid{otpp::atoms::nonode_nohost, 4, 0, 0});
  const auto bytes = otpp::etf::encode(t);
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::ostringstream out, err;
  EXPECT_EQ(otpp::shell::decode_term(in, out, err, otpp::syntax::elixir), 0);
  EXPECT_EQ(out.str(), "{#PID<1.1.0>, #PID<2.2.0>, #PID<1.3.0>, #PID<0.4.0>}\n");
}

}  // namespace
