// A real Erlang node for interop tests: `erl -sname NAME@localhost -setcookie C -noshell`
// pointed at the test's own port mapper, evaluating one expression per line from its
// standard input so a test can drive it (`peer.eval("net_adm:ping('x@localhost').")`), and
// killed by pid when the object is destroyed. Elixir's `elixir`/`iex` can be driven the same
// way through `extra_args`/`program`.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/slowdown.hpp"

namespace otpp::test {

class erl_peer {
 public:
  struct options {
    std::string name;                 ///< alive part, or a full name@host
    std::string host = "localhost";   ///< used when `name` has no '@'
    std::string cookie = "otpp_test_cookie";
    std::uint16_t epmd_port = 0;      ///< ERL_EPMD_PORT for the peer (required)
    bool long_names = false;          ///< -name instead of -sname
    std::vector<std::string> extra_args{};  ///< more erl flags, e.g. {"-kernel", "net_ticktime", "4"}
    std::vector<std::string> command_prefix{};  ///< runs `erl` through it, e.g. {"ip", "netns", "exec", NS}
    std::chrono::milliseconds start_timeout{30000};
  };

  /// The common case: `erl -sname <name>@localhost` on the test's port mapper.
  erl_peer(std::string name, std::uint16_t epmd_port, std::string cookie = "otpp_test_cookie",
           std::vector<std::string> extra_args = {})
      : erl_peer(make_options(std::move(name), epmd_port, std::move(cookie), std::move(extra_args))) {}

  explicit erl_peer(options opts) : opts_(std::move(opts)) {
    full_name_ = opts_.name.find('@') == std::string::npos ? opts_.name + "@" + opts_.host : opts_.name;
    std::vector<std::string> argv = opts_.command_prefix;
    argv.insert(argv.end(), {"erl", opts_.long_names ? "-name" : "-sname", full_name_, "-setcookie", opts_.cookie,
                             "-noshell", "-start_epmd", "false"});
    argv.insert(argv.end(), opts_.extra_args.begin(), opts_.extra_args.end());
    argv.push_back("-eval");
    argv.push_back(eval_loop());
    process_ = std::make_unique<child_process>(child_process::options{
        argv, {{"ERL_EPMD_PORT", std::to_string(opts_.epmd_port)}}, true});
    ready_ = eval("node().", opts_.start_timeout).has_value();
  }

  /// Whether the node came up and answers.
  [[nodiscard]] bool ready() const noexcept { return ready_; }
  [[nodiscard]] const std::string& node() const noexcept { return full_name_; }
  [[nodiscard]] pid_t pid() const noexcept { return process_->pid(); }
  [[nodiscard]] child_process& process() noexcept { return *process_; }

  /// Evaluates one Erlang expression (ending in '.') in the peer's evaluator process and
  /// returns the printed result (`~p` on one line), `{'EXIT',Class,Reason}` for an exception,
  /// or nullopt when no answer came within `timeout` (by default one that stretches under a
  /// sanitizer, as what the peer evaluates often waits on an instrumented otpp node). Variables
  /// bound by one eval are kept for the next; the evaluator is always the same process
  /// (`self()` is stable).
  std::optional<std::string> eval(const std::string& expr,
                                  std::chrono::milliseconds timeout = scaled(std::chrono::seconds(20))) {
    int id = next_id_++;
    std::string marker = "<<otpp:" + std::to_string(id) + ">>";
    if (!process_->write_stdin(std::to_string(id) + " " + expr + "\n")) return std::nullopt;
    auto start = process_->wait_for(marker, timeout, scan_from_);
    if (!start) return std::nullopt;
    auto end = process_->wait_for("<<end>>", timeout, *start);
    if (!end) return std::nullopt;
    scan_from_ = *end;
    std::string out = process_->output();
    return out.substr(*start, *end - 7 - *start);
  }

  /// Waits until the peer printed `needle` (anywhere in its output).
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) {
    return process_->wait_for(needle, timeout).has_value();
  }

  void kill(int sig = SIGKILL) { process_->kill(sig); }

 private:
  static options make_options(std::string name, std::uint16_t epmd_port, std::string cookie,
                              std::vector<std::string> extra_args) {
    options o;
    o.name = std::move(name);
    o.epmd_port = epmd_port;
    o.cookie = std::move(cookie);
    o.extra_args = std::move(extra_args);
    return o;
  }

  // One line = "<id> <expression>"; the answer is printed as <<otpp:id>>Result<<end>>.
  static std::string eval_loop() {
    return R"ERL(
      Loop = fun Loop(B) ->
        case io:get_line('') of
          eof -> halt();
          {error, _} -> halt();
          Line ->
            {Id, Rest} = string:to_integer(Line),
            {R, B2} = try
                {ok, Toks, _} = erl_scan:string(Rest),
                {ok, Exprs} = erl_parse:parse_exprs(Toks),
                {value, V, NB} = erl_eval:exprs(Exprs, B),
                {V, NB}
              catch C:E -> {{'EXIT', C, E}, B}
              end,
            io:put_chars([<<"<<otpp:">>, integer_to_list(Id), <<">>">>,
                          io_lib:print(R, 1, 100000000, -1), <<"<<end>>\n">>]),
            Loop(B2)
        end
      end,
      Loop(erl_eval:new_bindings()).
    )ERL";
  }

  options opts_;
  std::string full_name_;
  std::unique_ptr<child_process> process_;
  bool ready_ = false;
  int next_id_ = 0;
  std::size_t scan_from_ = 0;
};

/// A real `epmd -port P` in the foreground, killed by pid when destroyed.
class epmd_process {
 public:
  explicit epmd_process(std::uint16_t port)
      : port_(port), process_(child_process::options{{"epmd", "-port", std::to_string(port)}, {}, true}) {}
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] pid_t pid() const noexcept { return process_.pid(); }
  [[nodiscard]] child_process& process() noexcept { return process_; }

 private:
  std::uint16_t port_;
  child_process process_;
};

}  // namespace otpp::test
