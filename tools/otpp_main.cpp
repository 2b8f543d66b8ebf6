// The `otpp` executable: dispatches to the term tool (`otpp term ...`) and, by default, to
// the shell. Each mode lives in the shell library; this file only wires the command line.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "otpp/shell/shell.hpp"
#include "otpp/shell/term_tool.hpp"

int main(int argc, char** argv) try {
  CLI::App app{
      "otpp: Erlang-style distributed processes for C++20, speaking the Erlang "
      "distribution protocol"};
  app.require_subcommand(0, 1);

  int status = 0;
  CLI::App* term_cmd = otpp::shell::add_term_command(app, status);
  // Without a subcommand: the interactive shell (--sname, --name, --cookie, --eval, ...).
  otpp::shell::shell_options shell;
  otpp::shell::add_shell_options(app, shell);

  CLI11_PARSE(app, argc, argv);
  if (term_cmd->parsed()) return status;
  return otpp::shell::run_shell(shell);
} catch (const std::exception& e) {
  // Only what cannot be handled where it happens ends up here (out of memory, say).
  std::cerr << "otpp: " << e.what() << "\n";
  return 1;
}
