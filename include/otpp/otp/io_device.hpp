// The Erlang I/O protocol's server side without the process around it: given the request of
// `{io_request, From, ReplyAs, Request}`, produce the reply of `{io_reply, ReplyAs, Reply}`,
// writing to an output sink and reading from a line source, as OTP's group.erl answers.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "otpp/otp/io_format.hpp"
#include "otpp/term/term.hpp"

namespace otpp::io {

/// Where an io server's output goes. The shell implements one that prints between prompts
/// without garbling the line being typed; `fd_output_sink` writes to a file descriptor.
class output_sink {
 public:
  virtual ~output_sink() = default;
  /// Writes UTF-8 text, whole (one request's text is never interleaved with another's).
  /// Must be thread-safe: an io server calls it from its process and from its reader thread.
  virtual void write(std::string_view utf8) = 0;
  /// Columns and rows when the output is a terminal (`{get_geometry, columns|rows}`).
  [[nodiscard]] virtual std::optional<std::pair<int, int>> geometry() { return std::nullopt; }
};

/// Writes to a file descriptor (standard output by default); geometry from the terminal.
/// Thread-safe.
class fd_output_sink final : public output_sink {
 public:
  explicit fd_output_sink(int fd = 1) : fd_(fd) {}
  void write(std::string_view utf8) override;
  [[nodiscard]] std::optional<std::pair<int, int>> geometry() override;

 private:
  int fd_;
  std::mutex mu_;
};

/// Collects output in memory (tests, capturing a function's output). Thread-safe.
class string_output_sink final : public output_sink {
 public:
  void write(std::string_view utf8) override {
    std::lock_guard lock(mu_);
    text_.append(utf8);
  }
  [[nodiscard]] std::string text() const {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
};

/// Where an io server's input comes from (`get_line`, `get_chars`, `get_until`).
class line_source {
 public:
  virtual ~line_source() = default;
  /// The next line with its "\n" (the last line of input may lack it), or nullopt at end of
  /// input. May block; the io server calls it from its reader thread, one call at a time.
  virtual std::optional<std::string> read_line() = 0;
  /// Makes a blocked or later `read_line` return nullopt soon (the io server is stopping).
  /// Thread-safe.
  virtual void cancel() {}
};

/// Reads lines from a file descriptor (standard input by default).
class fd_line_source final : public line_source {
 public:
  explicit fd_line_source(int fd = 0) : fd_(fd) {}
  std::optional<std::string> read_line() override;
  void cancel() override { cancelled_ = true; }

 private:
  int fd_;
  std::string pending_;
  bool eof_ = false;
  std::atomic<bool> cancelled_{false};
};

/// The state of one I/O device: options (`binary`, `encoding`, `echo`), buffered input, and
/// the sink and source. Thread-safe: requests that read input serialize among themselves
/// and never hold up the others.
class io_device {
 public:
  explicit io_device(std::shared_ptr<output_sink> out, std::shared_ptr<line_source> in = nullptr)
      : out_(std::move(out)), in_(std::move(in)) {}

  /// The reply to `request`: `ok`, data, `eof`, or `{error, Why}` exactly as group.erl
  /// answers (`{error, request}` for anything it does not know).
  [[nodiscard]] term handle(const term& request);

  /// Whether `request` may block reading input (so a process should not run it inline).
  [[nodiscard]] static bool reads_input(const term& request);

  [[nodiscard]] output_sink& sink() noexcept { return *out_; }
  /// How `~p`/`~w` in format requests number other nodes' pids (the owning node's view).
  /// Set before the device serves requests.
  void set_numbering(otpp::node_numbering numbering) { numbering_ = std::move(numbering); }
  /// Stops reads: a blocked one returns eof soon (see line_source::cancel).
  void cancel_input() {
    if (in_) in_->cancel();
  }

 private:
  struct outcome {
    term reply;
    bool ok;
  };
  outcome dispatch(const term& request);
  outcome put_chars(atom enc, const term& chars, const term& original);
  outcome put_chars_apply(atom enc, const term& m, const term& f, const term& args);
  outcome get(atom enc, const term& prompt, const term& kind, std::size_t count);
  outcome get_until(atom enc, const term& prompt, const term& m, const term& f, const term& args);
  outcome setopts(const term& opts);
  outcome getopts();
  term make_input(const chars& text, atom enc, bool& ok) const;
  void write_prompt(const term& prompt, atom enc);
  bool fill_line();

  std::shared_ptr<output_sink> out_;
  std::shared_ptr<line_source> in_;
  std::mutex input_mu_;  // guards input_ and input_eof_ for the whole of one read
  chars input_;          // read but not yet consumed
  bool input_eof_ = false;
  std::atomic<bool> binary_{false};
  std::atomic<bool> echo_{false};
  std::atomic<encoding> encoding_{encoding::unicode};
  otpp::node_numbering numbering_;
};

}  // namespace otpp::io
