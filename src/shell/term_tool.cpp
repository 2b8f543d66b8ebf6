// The `otpp term` tool: external term format on one side, Erlang or Elixir text on the other.
#include "otpp/shell/term_tool.hpp"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"
#include "otpp/term/node_numbers.hpp"
#include "otpp/term/parse.hpp"

namespace otpp::shell {
namespace {

/// Error text kept to one line, so a script reading stderr sees one line per failure.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

int decode_term(std::istream& in, std::ostream& out, std::ostream& err, syntax s) {
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  if (bytes.empty()) {
    err << "otpp term decode: no input (expected the external term format, starting with byte "
           "131)\n";
    return 1;
  }
  if (bytes[0] != 131) {
    err << "otpp term decode: offset 0: expected version byte 131, found "
        << static_cast<int>(bytes[0]) << "\n";
    return 1;
  }
  auto decoded = etf::decode(bytes);
  if (!decoded) {
    err << "otpp term decode: " << one_line(decoded.error().to_string()) << "\n";
    return 1;
  }
  print_options options(s);
  // Remote nodes numbered 1, 2, ... in order of appearance.
  options.node_number =
      node_numbers::numbering(std::make_shared<node_numbers>(atoms::nonode_nohost, 1));
  out << to_string(*decoded, options) << "\n";
  return out.good() ? 0 : 1;
}

int encode_term(std::istream& in, std::ostream& out, std::ostream& err, syntax s) {
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  parse_options options(s);
  options.require_dot = true;
  options.resolve_node = [](std::uint32_t number) -> std::optional<node_identity> {
    if (number == 0) return node_identity{atoms::nonode_nohost, 0};
    return std::nullopt;
  };
  auto parsed = parse_term(text, options);
  if (!parsed) {
    err << "otpp term encode: " << one_line(parsed.error.describe(text)) << "\n";
    return 1;
  }
  const auto bytes = etf::encode(*parsed.value);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.flush();
  return out.good() ? 0 : 1;
}

CLI::App* add_term_command(CLI::App& app, int& exit_status) {
  auto* term_cmd =
      app.add_subcommand("term", "Convert a term between the external term format and text");
  term_cmd->require_subcommand(1);

  auto add = [&](const char* name, const char* help, auto run) {
    auto* cmd = term_cmd->add_subcommand(name, help);
    auto elixir = std::make_shared<bool>(false);
    cmd->add_flag("--elixir", *elixir, "Elixir syntax instead of Erlang");
    cmd->callback([elixir, run, &exit_status] {
      exit_status = run(std::cin, std::cout, std::cerr, *elixir ? syntax::elixir : syntax::erlang);
    });
  };
  add("decode", "Read one external-format term (byte 131 first) on stdin, print it as text",
      decode_term);
  add("encode", "Read a term literal on stdin (Erlang: ending with '.'), write its external format",
      encode_term);
  return term_cmd;
}

}  // namespace otpp::shell
