// `otpp term decode|encode [--elixir]`: converts one term between the external term format
// and Erlang or Elixir text, for scripts and for checking what a node sends.
#pragma once

#include <iosfwd>

#include "otpp/term/print.hpp"

namespace CLI {
class App;
}

namespace otpp::shell {

/// Reads one external-format term (starting with byte 131) from `in` and writes it as text
/// and a newline to `out`. Pids, ports and references of `nonode@nohost` print as node 0,
/// other nodes 1, 2, ... in order of appearance. On bad input writes one line to `err` and
/// returns non-zero.
[[nodiscard]] int decode_term(std::istream& in, std::ostream& out, std::ostream& err, syntax s);

/// Reads one term literal from `in` (Erlang: ending with `.`; Elixir: no dot) and writes
/// `term_to_binary` of it to `out`. Node 0 in pid, port and reference literals is
/// `nonode@nohost`. On bad input writes one line to `err` and returns non-zero.
[[nodiscard]] int encode_term(std::istream& in, std::ostream& out, std::ostream& err, syntax s);

/// Adds the `term` subcommand (with `decode` and `encode`) to `app`. When the command line
/// selects it, parsing runs the tool on standard input/output and stores its exit status in
/// `exit_status`. Returns the subcommand so `main` can ask whether it was chosen.
CLI::App* add_term_command(CLI::App& app, int& exit_status);

}  // namespace otpp::shell
