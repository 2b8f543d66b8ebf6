// The examples' command line, read with CLI11: --help prints `usage: ...` and what the example
// shows; the node examples add --sname NAME and --cookie COOKIE.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "otpp/otp/node.hpp"

namespace otpp::examples {

/// Help for an example that shows `what`: a `usage:` line first, the options, then `what`.
inline void describe(CLI::App& app, const std::string& what) {
  app.footer(what);
  app.get_formatter()->label("Usage", "usage");
}

/// --sname NAME and --cookie COOKIE for `options`; a NAME without a host gets `@localhost`.
inline void add_node_flags(CLI::App& app, otp::node_options& options) {
  app.add_option_function<std::string>(
      "--sname",
      [&options](const std::string& name) {
        options.dist.name = name.find('@') == std::string::npos ? name + "@localhost" : name;
      },
      "the node's name (default " + options.dist.name + ")");
  app.add_option("--cookie", options.dist.cookie, "the distribution cookie");
}

}  // namespace otpp::examples
