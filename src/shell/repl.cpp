// The read-eval-print loop of `otpp`: libedit line editing and history on a terminal (output
// of other processes printed above the prompt, which is then redrawn), or one expression per
// line from a pipe; Ctrl-C and Ctrl-D end the node cleanly.
#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include "otpp/otp/node.hpp"
#include "otpp/shell/erl_session.hpp"
#include "otpp/shell/session.hpp"
#include "otpp/shell/shell.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp::shell {
namespace {

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Standard output shared by the shell and the node's io server. While libedit edits a line,
// output is queued and the editing loop is woken to print it above the prompt.
class console final : public io::output_sink {
 public:
  explicit console(bool tty) : tty_(tty) {
    if (::pipe(wake_) != 0) wake_[0] = wake_[1] = -1;
    for (int fd : wake_) {
      if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
  }
  ~console() override {
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }

  void write(std::string_view s) override {
    std::lock_guard lock(mu_);
    if (editing_) {
      pending_.append(s);
      wake();
      return;
    }
    write_all(1, s);
  }

  std::optional<std::pair<int, int>> geometry() override {
    winsize ws{};
    if (tty_ && ::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
      return std::pair<int, int>(ws.ws_col, ws.ws_row);
    return std::nullopt;
  }

  void set_editing(bool on) {
    std::lock_guard lock(mu_);
    editing_ = on;
    if (!on && !pending_.empty()) {
      write_all(1, pending_);
      pending_.clear();
    }
  }

  std::string take_pending() {
    std::lock_guard lock(mu_);
    char buf[64];
    while (::read(wake_[0], buf, sizeof buf) > 0) {
    }
    return std::exchange(pending_, {});
  }

  // Thread-safe and async-signal-safe.
  void wake() const {
    const char c = 1;
    [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
  }
  [[nodiscard]] int wake_fd() const { return wake_[0]; }

 private:
  bool tty_;
  std::mutex mu_;
  bool editing_ = false;
  std::string pending_;
  int wake_[2] = {-1, -1};
};

// Ctrl-C and termination: a thread waits for the signals (blocked everywhere else) and ends
// the session: the evaluation in progress is interrupted, the input loop woken.
class signal_watch {
 public:
  signal_watch(repl_session& s, console& c, std::atomic<bool>& evaluating, bool tty)
      : s_(s), c_(c), evaluating_(evaluating), tty_(tty) {
    thread_ = std::thread([this] { run(); });
  }
  ~signal_watch() {
    stopping_ = true;
    ::pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
  }
  [[nodiscard]] bool quit() const noexcept { return signal_ != 0; }
  [[nodiscard]] int signal() const noexcept { return signal_; }
  /// While the BREAK menu reads its answer, the line editor leaves standard input alone.
  [[nodiscard]] bool in_break() const noexcept { return in_break_; }

  static void block_signals() {
    sigset_t set = signals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }

 private:
  static sigset_t signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    return set;
  }
  void run() {
    sigset_t set = signals();
    for (;;) {
      int sig = 0;
      if (::sigwait(&set, &sig) != 0) continue;
      if (stopping_) return;
      if (sig == SIGUSR1) continue;
      if (sig == SIGINT && tty_) {
        if (break_menu()) continue;
      }
      signal_ = sig;
      if (evaluating_) s_.interrupt();
      c_.wake();
    }
  }

  // Ctrl-C on a terminal opens the emulator's BREAK menu, as in erl and iex: (a)bort ends the
  // node, (c)ontinue goes on where it was. True when the shell goes on.
  bool break_menu() {
    in_break_ = true;
    for (;;) {
      write_all(1,
                "\r\nBREAK: (a)bort (A)bort with dump (c)ontinue (p)roc info (i)nfo\r\n"
                "       (l)oaded (v)ersion (k)ill (D)b-tables (d)istribution\r\n");
      char answer = 0;
      for (;;) {
        pollfd fd{0, POLLIN, 0};
        if (stopping_) return true;
        if (::poll(&fd, 1, 200) <= 0) continue;
        const ssize_t n = ::read(0, &answer, 1);
        if (n <= 0) {
          answer = 'a';  // the terminal is gone
          break;
        }
        if (answer != '\n' && answer != '\r' && answer != ' ') break;
      }
      switch (answer) {
        case 'a':
        case 'A':
        case 'q':
          in_break_ = false;
          return false;
        case 'c':
          in_break_ = false;
          c_.wake();
          return true;
        case 'v':
          write_all(1, "\r\notpp " OTPP_VERSION " (Erlang distribution version 6, as OTP 25)\r\n");
          break;
        case 'i':
        case 'p':
        case 'd': {
          std::string text = "\r\n=node:" + std::string(s_.node().name().name()) + "\r\n";
          if (answer == 'p' || answer == 'i') {
            text += "processes: " + std::to_string(s_.node().rt().processes().size()) + "\r\n";
          }
          write_all(1, text);
          break;
        }
        default:
          write_all(1, "\r\neh?\r\n");
          break;
      }
    }
  }

  repl_session& s_;
  console& c_;
  std::atomic<bool>& evaluating_;
  bool tty_;
  std::atomic<bool> in_break_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int> signal_{0};
  std::thread thread_;
};

int exit_status(const signal_watch& w, bool all_ok) {
  if (w.signal() == SIGINT) return 130;
  if (w.signal() == SIGTERM) return 143;
  if (w.signal() == SIGHUP) return 129;
  return all_ok ? 0 : 1;
}

// ---- terminal
// ------------------------------------------------------------------------------------

class terminal_loop {
 public:
  terminal_loop(repl_session& s, console& c, signal_watch& w, std::atomic<bool>& evaluating)
      : s_(s), c_(c), w_(w), evaluating_(evaluating) {}

  int run() {
    EditLine* el = ::el_init("otpp", stdin, stdout, stderr);
    History* hist = ::history_init();
    HistEvent ev;
    ::history(hist, &ev, H_SETSIZE, 1000);
    ::history(hist, &ev, H_SETUNIQUE, 1);
    const std::string history_file = history_path();
    if (!history_file.empty()) ::history(hist, &ev, H_LOAD, history_file.c_str());
    ::el_set(el, EL_CLIENTDATA, this);
    ::el_set(el, EL_EDITOR, "emacs");
    ::el_set(el, EL_HIST, ::history, hist);
    ::el_set(el, EL_PROMPT, &terminal_loop::prompt_of);
    ::el_set(el, EL_GETCFN, &terminal_loop::getc_of);
    ::el_set(el, EL_ADDFN, "otpp-complete", "complete a module, function or variable name",
             &terminal_loop::complete_of);
    ::el_set(el, EL_BIND, "^I", "otpp-complete", nullptr);
    ::el_source(el, nullptr);
    el_ = el;

    bool all_ok = true;
    while (!w_.quit()) {
      prompt_ = s_.prompt();
      c_.set_editing(true);
      int count = 0;
      const char* line = ::el_gets(el, &count);
      c_.set_editing(false);
      if (w_.quit()) break;
      if (!line || count <= 0) {
        write_all(1, "\n");
        break;
      }
      std::string text(line, static_cast<std::size_t>(count));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      if (!text.empty()) ::history(hist, &ev, H_ENTER, text.c_str());
      evaluating_ = true;
      auto r = s_.feed(text);
      evaluating_ = false;
      if (r == repl_session::outcome::error) all_ok = false;
      s_.poll();
      if (s_.quit_requested()) break;
    }
    if (w_.quit()) write_all(1, "\n");  // Ctrl-C may leave the cursor mid-line
    if (!history_file.empty()) ::history(hist, &ev, H_SAVE, history_file.c_str());
    ::el_end(el);
    ::history_end(hist);
    return exit_status(w_, all_ok);
  }

 private:
  static std::string history_path() {
    if (const char* p = std::getenv("OTPP_HISTORY")) return p;
    if (const char* home = std::getenv("HOME")) return std::string(home) + "/.otpp_history";
    return {};
  }

  static terminal_loop* self_of(EditLine* el) {
    void* data = nullptr;
    ::el_get(el, EL_CLIENTDATA, &data);
    return static_cast<terminal_loop*>(data);
  }

  static const char* prompt_of(EditLine* el) {
    terminal_loop* t = self_of(el);
    t->prompt_ = t->s_.prompt();
    return t->prompt_.c_str();
  }

  // Output that arrived while editing: clear the line being edited, print, redraw.
  void show_pending() {
    std::string text = c_.take_pending();
    if (text.empty()) return;
    std::string out = "\r\033[K";
    for (char ch : text) {
      if (ch == '\n') out += '\r';
      out += ch;
    }
    if (text.back() != '\n') out += "\r\n";
    write_all(1, out);
    ::el_set(el_, EL_REFRESH);
  }

  // Tab: the word before the cursor completed as far as all candidates agree; when they agree
  // no further, the candidates listed below the line (as iex does).
  static unsigned char complete_of(EditLine* el, int) {
    terminal_loop* t = self_of(el);
    const LineInfo* li = ::el_line(el);
    const char* start = li->cursor;
    auto word_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '?' ||
             c == '!' || (static_cast<unsigned char>(c) & 0x80);
    };
    while (start > li->buffer && word_char(start[-1])) --start;
    const std::string word(start, static_cast<std::size_t>(li->cursor - start));
    const auto candidates = t->s_.complete(word);
    if (candidates.empty()) return CC_REFRESH_BEEP;
    std::string common = candidates.front();
    for (const auto& c : candidates) {
      std::size_t n = 0;
      while (n < common.size() && n < c.size() && common[n] == c[n]) ++n;
      common.resize(n);
    }
    if (common.size() > word.size()) {
      std::string add = common.substr(word.size());
      if (candidates.size() == 1 && !common.ends_with(".")) {
        // A whole module name gets its dot, as iex adds it.
        const char first = common.empty() ? ' ' : common[common.rfind('.') == std::string::npos ? 0 : common.rfind('.') + 1];
        if (std::isupper(static_cast<unsigned char>(first)) && common.find('.') == std::string::npos) add += '.';
      }
      ::el_insertstr(el, add.c_str());
      return CC_REFRESH;
    }
    std::string list = "\r\n";
    for (const auto& c : candidates) {
      const auto dot = c.rfind('.');
      list += (dot == std::string::npos ? c : c.substr(dot + 1)) + "    ";
    }
    list += "\r\n";
    write_all(1, list);
    return CC_REDISPLAY;
  }

  static int getc_of(EditLine* el, wchar_t* out) {
    terminal_loop* t = self_of(el);
    for (;;) {
      if (t->w_.quit()) return 0;
      if (t->w_.in_break()) {
        // The BREAK menu reads standard input now.
        pollfd wake{t->c_.wake_fd(), POLLIN, 0};
        (void)::poll(&wake, 1, 100);
        if (!t->w_.in_break()) {
          (void)t->c_.take_pending();
          ::el_set(t->el_, EL_REFRESH);
        }
        continue;
      }
      pollfd fds[2] = {{0, POLLIN, 0}, {t->c_.wake_fd(), POLLIN, 0}};
      const int n = ::poll(fds, 2, 100);
      if (t->w_.quit()) return 0;
      // A link may have killed the shell process while the user types: say so now.
      t->s_.poll();
      t->show_pending();
      if (n <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      unsigned char byte = 0;
      const ssize_t got = ::read(0, &byte, 1);
      if (got == 0) return 0;
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return -1;
      }
      // UTF-8 to one wide character.
      t->utf8_.push_back(static_cast<char>(byte));
      const auto lead = static_cast<unsigned char>(t->utf8_[0]);
      const std::size_t need = lead < 0x80         ? 1
                               : (lead >> 5) == 6  ? 2
                               : (lead >> 4) == 14 ? 3
                               : (lead >> 3) == 30 ? 4
                                                   : 1;
      if (t->utf8_.size() < need) continue;
      std::size_t pos = 0;
      char32_t cp = U'\uFFFD';  // what an invalid sequence reads as
      unicode::next_utf8(t->utf8_, pos, cp);
      t->utf8_.clear();
      *out = static_cast<wchar_t>(cp);
      return 1;
    }
  }

  repl_session& s_;
  console& c_;
  signal_watch& w_;
  std::atomic<bool>& evaluating_;
  EditLine* el_ = nullptr;
  std::string prompt_;
  std::string utf8_;
};

// ---- pipe
// ------------------------------------------------------------------------------------------

// Reads lines from standard input, waking for signals.
class line_reader {
 public:
  /// `idle` runs whenever no input came for a while (to report a killed shell process).
  line_reader(console& c, signal_watch& w, std::function<void()> idle)
      : c_(c), w_(w), idle_(std::move(idle)) {}
  std::optional<std::string> next() {
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (eof_) {
        if (buf_.empty()) return std::nullopt;
        return std::exchange(buf_, {});
      }
      if (w_.quit()) return std::nullopt;
      pollfd fds[2] = {{0, POLLIN, 0}, {c_.wake_fd(), POLLIN, 0}};
      if (::poll(fds, 2, 200) <= 0) {
        if (idle_) idle_();
        continue;
      }
      if (fds[1].revents & POLLIN) (void)c_.take_pending();
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[4096];
      const ssize_t n = ::read(0, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  console& c_;
  signal_watch& w_;
  std::function<void()> idle_;
  std::string buf_;
  bool eof_ = false;
};

int pipe_loop(repl_session& s, console& c, signal_watch& w, std::atomic<bool>& evaluating) {
  // A link that kills the shell process while the script waits for input shows at once,
  // followed by a fresh prompt, as iex shows it.
  line_reader reader(c, w, [&] {
    if (s.poll()) c.write(s.prompt());
  });
  bool all_ok = true;
  for (;;) {
    s.poll();
    c.write(s.prompt());
    auto line = reader.next();
    if (!line || w.quit()) break;
    evaluating = true;
    auto r = s.feed(*line);
    evaluating = false;
    if (r == repl_session::outcome::error) all_ok = false;
    if (w.quit() || s.quit_requested()) break;
  }
  if (auto missing = s.abandon_input()) {
    c.write(*missing);
    all_ok = false;
  }
  if (!s.quit_requested()) c.write(s.farewell());
  return exit_status(w, all_ok);
}

}  // namespace

void add_shell_options(CLI::App& app, shell_options& o) {
  auto* sname = app.add_option_function<std::string>(
      "--sname", [&o](const std::string& v) { o.sname = v; },
      "Start a node with a short name (kate or kate@localhost), as erl/iex --sname");
  auto* name = app.add_option_function<std::string>(
      "--name", [&o](const std::string& v) { o.name = v; },
      "Start a node with a long name (kate@host.example), as erl/iex --name");
  sname->excludes(name);
  app.add_option_function<std::string>(
      "--cookie", [&o](const std::string& v) { o.cookie = v; },
      "The magic cookie (default: ~/.erlang.cookie)");
  app.add_option("--eval,-e", o.evals,
                 "Evaluate an expression before the first prompt (repeatable)");
  app.add_flag("--halt", o.halt, "Exit after the --eval expressions (status 0 if all succeeded)");
  app.add_option_function<std::uint16_t>(
      "--epmd-port", [&o](const std::uint16_t& v) { o.epmd_port = v; },
      "Port mapper port (default: ERL_EPMD_PORT or 4369)");
  app.add_option_function<unsigned>(
         "--net-ticktime", [&o](const unsigned& v) { o.net_ticktime_s = v; },
         "Seconds of silence after which a connected node is declared down (default 60), "
         "as erl -kernel net_ticktime")
      ->check(CLI::Range(1u, 3600u));
  app.add_option("--proto-dist", o.proto_dist,
                 "Distribution carrier, as erl -proto_dist: inet_tcp (default) or inet_tls");
  app.add_option("--ssl-dist-optfile", o.ssl_dist_optfile,
                 "TLS options for --proto-dist inet_tls, in erl's -ssl_dist_optfile format "
                 "([{server, Opts}, {client, Opts}].)");
  app.add_flag("--no-banner", o.no_banner, "Do not print the banner line");
  app.add_flag("--erl", o.erl,
               "An erl-style shell: Erlang syntax, 1> prompts, erl's results, errors and commands "
               "(f(), b(), v(N), h(), flush(), q())");
}

int run_shell(const shell_options& o) {
  // Line editing needs a UTF-8 locale to read and echo non-ASCII characters.
  const char* loc = std::setlocale(LC_CTYPE, "");
  if (!loc || std::strcmp(loc, "C") == 0 || std::strcmp(loc, "POSIX") == 0)
    std::setlocale(LC_CTYPE, "C.UTF-8");
  const bool tty = ::isatty(0) && ::isatty(1);
  // Before any thread exists, so that every thread inherits the mask.
  signal_watch::block_signals();
  ::signal(SIGPIPE, SIG_IGN);

  auto out = std::make_shared<console>(tty);
  otp::node_options options;
  if (o.sname || o.name) {
    options.dist.name = o.sname ? *o.sname : *o.name;
    options.dist.names = o.sname ? dist::name_kind::short_names : dist::name_kind::long_names;
    options.dist.cookie = o.cookie;
    options.dist.epmd_port = o.epmd_port;
    if (o.net_ticktime_s) options.dist.net_ticktime = std::chrono::seconds(*o.net_ticktime_s);
  }
  {
    auto tls = dist::proto_dist_options(o.proto_dist, o.ssl_dist_optfile);
    if (!tls) {
      std::cerr << "otpp: " << tls.error() << "\n";
      return 2;
    }
    options.dist.tls = std::move(tls.value());
  }
  options.services.output = out;
  // The engine's log lines (a refused peer, a lost connection) must not garble the line
  // being typed either.
  options.dist.log = [out, tty](std::string_view line) {
    // erl says nothing when a connection attempt fails (ping answers pang); neither do we.
    // A certificate or TLS problem is worth a line, as erl's ssl reports one.
    if (line.find("cannot connect to ") != std::string_view::npos && line.find("TLS") == std::string_view::npos)
      return;
    std::string text(line);
    if (text.empty() || text.back() != '\n') text += '\n';
    if (tty) {
      out->write(text);
    } else {
      write_all(2, text);
    }
  };
  auto started = otp::node::start(std::move(options));
  if (!started) {
    std::cerr << "otpp: could not start the node: " << started.error() << "\n";
    return 2;
  }
  std::unique_ptr<otp::node> node = std::move(started.value());

  int status = 0;
  {
    session::sinks sinks{[out](std::string_view text) { out->write(text); },
                         [](std::string_view text) { write_all(2, text); },
                         [out]() -> std::optional<int> {
                           if (auto g = out->geometry()) return g->first;
                           return std::nullopt;
                         }};
    std::unique_ptr<repl_session> shell;
    if (o.erl) {
      shell = std::make_unique<erl_session>(*node, std::move(sinks));
    } else {
      shell = std::make_unique<session>(*node, std::move(sinks));
    }
    repl_session& s = *shell;
    std::atomic<bool> evaluating{false};
    signal_watch watch(s, *out, evaluating, tty);

    bool evals_ok = true;
    for (const std::string& e : o.evals) {
      evaluating = true;
      auto r = s.feed(e, false);
      // erl's -eval takes expressions without their final dot.
      if (o.erl && r == repl_session::outcome::more) r = s.feed(".", false);
      evaluating = false;
      if (r == repl_session::outcome::more) {
        if (auto missing = s.abandon_input()) out->write(*missing);
        r = repl_session::outcome::error;
      }
      if (r == repl_session::outcome::error) evals_ok = false;
      if (watch.quit()) break;
    }
    if (o.halt || watch.quit() || s.quit_requested()) {
      s.poll();
      status = exit_status(watch, evals_ok);
    } else {
      if (!o.no_banner) out->write(s.greeting() + "\n");
      if (tty) {
        terminal_loop loop(s, *out, watch, evaluating);
        status = loop.run();
      } else {
        status = pipe_loop(s, *out, watch, evaluating);
      }
      if (!evals_ok && status == 0) status = 1;
    }
  }
  node.reset();  // unregisters from the port mapper
  return status;
}

}  // namespace otpp::shell
