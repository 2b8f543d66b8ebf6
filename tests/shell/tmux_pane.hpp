// A terminal for shell tests: a detached tmux session on a server of its own (socket unique to
// this test process), so a test can type into a program with a real terminal and read the
// screen as a person would see it. Destroying it kills that tmux server and the pane's program.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/eventually.hpp"

namespace otpp::test {

class tmux_pane {
 public:
  /// Starts `argv` in a `width` x `height` terminal with `env` added to its environment.
  tmux_pane(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int width = 160, int height = 50) {
    static std::atomic<int> counter{0};
    socket_ = "otpp-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    std::string command = "env";
    for (const auto& [k, v] : env) command += " " + quote(k + "=" + v);
    for (const auto& a : argv) command += " " + quote(a);
    ok_ = run("new-session -d -s main -x " + std::to_string(width) + " -y " +
              std::to_string(height) + " " + quote(command)) == 0;
    if (ok_) {
      std::string pid_text = capture("display-message -p -t main '#{pane_pid}'");
      pane_pid_ = static_cast<pid_t>(std::atoi(pid_text.c_str()));
    }
  }
  ~tmux_pane() {
    run("kill-server");
    if (pane_pid_ > 0) ::kill(pane_pid_, SIGKILL);  // by pid, should it have ignored the hangup
    // tmux leaves its socket file behind.
    const char* dir = std::getenv("TMUX_TMPDIR");
    const std::string path = std::string(dir && *dir ? dir : "/tmp") + "/tmux-" +
                             std::to_string(::getuid()) + "/" + socket_;
    ::unlink(path.c_str());
  }
  tmux_pane(const tmux_pane&) = delete;
  tmux_pane& operator=(const tmux_pane&) = delete;

  [[nodiscard]] bool started() const noexcept { return ok_; }
  [[nodiscard]] pid_t pane_pid() const noexcept { return pane_pid_; }

  /// Types `text` literally (no Enter).
  void type(const std::string& text) { run("send-keys -t main -l " + quote(text)); }
  /// Presses keys by tmux name: "Enter", "C-c", "C-d", "Up".
  void key(const std::string& name) { run("send-keys -t main " + name); }
  /// Types a line and presses Enter.
  void line(const std::string& text) {
    type(text);
    key("Enter");
  }

  /// The screen and its scrollback, lines joined as displayed.
  [[nodiscard]] std::string screen() { return capture("capture-pane -p -J -t main -S -2000"); }

  /// Waits until the screen shows `needle` at least `times` times.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout, int times = 1) {
    return otpp::test::eventually([&] { return count(screen(), needle) >= times; }, timeout);
  }

  /// Whether the pane's program still runs (tmux keeps no pane once it exits).
  [[nodiscard]] bool running() { return run("has-session -t main") == 0; }

  static int count(const std::string& haystack, const std::string& needle) {
    int n = 0;
    for (std::size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1))
      ++n;
    return n;
  }

 private:
  static std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    return out + "'";
  }
  [[nodiscard]] std::string base() const { return "tmux -L " + socket_ + " -f /dev/null "; }
  int run(const std::string& args) {
    const std::string cmd = base() + args + " >/dev/null 2>&1";
    const int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  std::string capture(const std::string& args) {
    std::string out;
    FILE* f = ::popen((base() + args + " 2>/dev/null").c_str(), "r");
    if (!f) return out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
    ::pclose(f);
    return out;
  }

  std::string socket_;
  bool ok_ = false;
  pid_t pane_pid_ = -1;
};

}  // namespace otpp::test
