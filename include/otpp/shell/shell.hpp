// The interactive shell's entry point: `otpp [--sname N | --name N] [--cookie C]
// [--proto-dist inet_tls --ssl-dist-optfile F] [--eval E]...`
// starts a node with an iex-like prompt (the default mode of the `otpp` executable), or with
// `--erl` an erl-like one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace otpp::shell {

struct shell_options {
  /// `--sname kate@localhost` (or `kate`): a short-named node.
  std::optional<std::string> sname;
  /// `--name kate@host.example`: a long-named node.
  std::optional<std::string> name;
  /// `--cookie secret`; else `~/.erlang.cookie`.
  std::optional<std::string> cookie;
  /// `--eval EXPR`, in order, evaluated before the first prompt (results not printed, errors
  /// are).
  std::vector<std::string> evals;
  /// `--halt`: exit after the evals (status 0 when all succeeded).
  bool halt = false;
  /// `--epmd-port P`; else ERL_EPMD_PORT; else 4369.
  std::optional<std::uint16_t> epmd_port;
  /// `--net-ticktime S` (erl: `-kernel net_ticktime S`): a peer silent this long is down.
  std::optional<unsigned> net_ticktime_s;
  /// `--proto-dist inet_tls` (erl: `-proto_dist`): TLS distribution; inet_tcp (plain) by default.
  std::string proto_dist;
  /// `--ssl-dist-optfile FILE` (erl: `-ssl_dist_optfile`): the TLS options, in erl's format.
  std::string ssl_dist_optfile;
  /// `--no-banner`: skip the "Interactive otpp" line.
  bool no_banner = false;
  /// `--erl`: an erl-style shell (Erlang syntax, `1>` prompts) instead of the iex-style one.
  bool erl = false;
};

/// Adds the shell's flags to `app` (the `otpp` executable's top level), filling `options`.
void add_shell_options(CLI::App& app, shell_options& options);

/// Runs the shell until Ctrl-D, Ctrl-C or the end of standard input. With a terminal on
/// standard input: line editing and history, output of other processes printed above the
/// prompt. Otherwise one expression per line, each result printed after its prompt; the
/// status is 0 when every expression succeeded, 1 otherwise, 2 when the node cannot start.
[[nodiscard]] int run_shell(const shell_options& options);

}  // namespace otpp::shell
