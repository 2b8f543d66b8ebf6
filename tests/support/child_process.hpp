// A child process for tests: started with posix_spawn, its standard output and error
// collected by a reader thread, its standard input writable, and killed by pid (SIGKILL) and
// reaped when the object is destroyed. Header-only so any test executable can include it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace otpp::test {

class child_process {
 public:
  struct options {
    std::vector<std::string> argv;              ///< argv[0] is looked up in PATH
    std::map<std::string, std::string> env;     ///< added to (or replacing in) the environment
    bool merge_stderr = true;                   ///< collect stderr with stdout
  };

  explicit child_process(options opts) {
    int in_pipe[2], out_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    if (opts.merge_stderr) posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own process group, so a terminal's Ctrl-C aimed at the test does not reach it first.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      std::string kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string::npos && opts.env.count(kv.substr(0, eq))) continue;
      env_strings.push_back(kv);
    }
    for (auto& [k, v] : opts.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, argv;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    for (auto& s : opts.argv) argv.push_back(s.data());
    argv.push_back(nullptr);

    int rc = posix_spawnp(&pid_, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    if (rc != 0) {
      ::close(in_pipe[1]);
      ::close(out_pipe[0]);
      throw std::runtime_error("cannot start " + opts.argv[0] + ": " + std::strerror(rc));
    }
    stdin_fd_ = in_pipe[1];
    stdout_fd_ = out_pipe[0];
    reader_ = std::thread([this] { read_loop(); });
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    kill(SIGKILL);
    wait();
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    // A grandchild may still hold the output pipe open: stop reading rather than wait for EOF.
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    ::close(stdout_fd_);
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// Sends `sig` to the child (by pid) unless it was reaped already.
  void kill(int sig) {
    std::lock_guard lock(wait_mu_);
    if (!reaped_) ::kill(pid_, sig);
  }

  /// Waits for the child to exit; returns its wait status. Its last output may still be on
  /// the way: wait for the text you expect with wait_for().
  int wait() {
    std::lock_guard lock(wait_mu_);
    if (!reaped_) {
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
    }
    return status_;
  }

  /// Whether the child is still running.
  [[nodiscard]] bool running() {
    std::lock_guard lock(wait_mu_);
    if (reaped_) return false;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
    return !reaped_;
  }

  /// Writes text to the child's standard input.
  bool write_stdin(const std::string& text) {
    std::size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::write(stdin_fd_, text.data() + off, text.size() - off);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  void close_stdin() {
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    stdin_fd_ = -1;
  }

  /// Everything the child printed so far.
  [[nodiscard]] std::string output() const {
    std::lock_guard lock(mu_);
    return output_;
  }

  /// Waits until the output (from byte `from` on) contains `needle`; returns the offset just
  /// past it, or nullopt after `timeout` or when the child closed its output.
  std::optional<std::size_t> wait_for(const std::string& needle, std::chrono::milliseconds timeout,
                                      std::size_t from = 0) {
    std::unique_lock lock(mu_);
    std::optional<std::size_t> found;
    // Each wake-up searches only what arrived since the last (plus a needle's length less one,
    // for a match across two reads): rescanning megabytes of output per 4 KB read is quadratic,
    // which a sanitizer's slowdown turns into minutes.
    std::size_t start = from;
    auto search = [&] {
      auto at = output_.find(needle, std::min(start, output_.size()));
      if (at != std::string::npos) {
        found = at + needle.size();
      } else if (output_.size() >= needle.size()) {
        start = std::max(start, output_.size() - needle.size() + 1);
      }
    };
    cv_.wait_for(lock, timeout, [&] {
      search();
      return found.has_value() || eof_;
    });
    if (!found) search();
    return found;
  }

 private:
  void read_loop() {
    char buf[4096];
    for (;;) {
      pollfd p{stdout_fd_, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r == 0) {
        if (stop_) mark_eof();
        if (stop_) return;
        continue;
      }
      ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(mu_);
      if (n <= 0) {
        eof_ = true;
        cv_.notify_all();
        return;
      }
      output_.append(buf, static_cast<std::size_t>(n));
      cv_.notify_all();
    }
  }

  void mark_eof() {
    std::lock_guard lock(mu_);
    eof_ = true;
    cv_.notify_all();
  }

  std::atomic<bool> stop_{false};
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;
  bool eof_ = false;
  std::mutex wait_mu_;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace otpp::test
