// The `otpp` executable: dispatches to the term tool (`otpp term ...`), the port mapper
// (`otpp epmd ...`) and, by default, to the shell. Each mode lives in its library; this file
// only wires the command line.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "otpp/dist/epmd.hpp"
#include "otpp/shell/shell.hpp"
#include "otpp/shell/term_tool.hpp"

namespace {

// `otpp epmd [-port P] [-address A]`: Erlang's epmd spells its options with one dash, which
// CLI11 reads as bundled short flags; those two are rewritten to their `--` forms first.
std::vector<std::string> epmd_style_arguments(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() > 1 && args[1] == "epmd") {
    for (std::size_t i = 2; i < args.size(); ++i) {
      for (const char* name : {"-port", "-address"}) {
        const std::size_t n = std::strlen(name);
        if (args[i] == name || (args[i].compare(0, n, name) == 0 && args[i].size() > n && args[i][n] == '='))
          args[i] = "-" + args[i];
      }
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{
      "otpp: Erlang-style distributed processes for C++20, speaking the Erlang "
      "distribution protocol"};
  app.require_subcommand(0, 1);

  int status = 0;
  CLI::App* term_cmd = otpp::shell::add_term_command(app, status);

  // The embedded port mapper alone, in the foreground, as Debian's `epmd` runs.
  otpp::dist::epmd_server_options epmd;
  epmd.port = otpp::dist::epmd_port_from_env();
  CLI::App* epmd_cmd = app.add_subcommand(
      "epmd", "Run the port mapper (EPMD) in the foreground until SIGINT or SIGTERM");
  epmd_cmd->add_option("--port,-p", epmd.port, "TCP port (default: ERL_EPMD_PORT, else 4369); -port works too")
      ->capture_default_str();
  epmd_cmd->add_option("--address", epmd.bind_address, "address to listen on; -address works too")
      ->capture_default_str();
  epmd_cmd->add_flag("--quiet,-q", epmd.quiet, "log nothing but a failure to start");

  // Without a subcommand: the interactive shell (--sname, --name, --cookie, --eval, ...).
  otpp::shell::shell_options shell;
  otpp::shell::add_shell_options(app, shell);

  std::vector<std::string> args = epmd_style_arguments(argc, argv);
  std::vector<char*> arg_ptrs;
  for (auto& a : args) arg_ptrs.push_back(a.data());
  CLI11_PARSE(app, static_cast<int>(arg_ptrs.size()), arg_ptrs.data());
  if (term_cmd->parsed()) return status;
  if (epmd_cmd->parsed()) return otpp::dist::run_epmd(std::move(epmd));
  return otpp::shell::run_shell(shell);
} catch (const std::exception& e) {
  // Only what cannot be handled where it happens ends up here (out of memory, say).
  std::cerr << "otpp: " << e.what() << "\n";
  return 1;
}
