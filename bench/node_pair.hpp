// The setup the two-node benchmarks (rpc_bench, cluster_bench) share: a port mapper of their own
// on loopback, the otpp server node in a second process (the same program run with --serve),
// the otpp client node in this process, an erl sink node for BEAM's reference run, and the
// ratio lines that compare the two.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../tests/support/child_process.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/node.hpp"

namespace otpp::bench {

/// The nodes of one benchmark program (`program` names it in messages) that share `cookie`.
class node_pair {
 public:
  node_pair(std::string program, std::string cookie) : program_(std::move(program)), cookie_(std::move(cookie)) {}

  /// A tag unique to this run, for node names (this process's id).
  [[nodiscard]] static std::string tag() { return std::to_string(::getpid()); }

  [[nodiscard]] const std::string& cookie() const { return cookie_; }

  /// `--serve NAME PORT` on the command line: serves as the server node until standard input
  /// closes and gives the exit status; nullopt without it.
  [[nodiscard]] std::optional<int> serve_if_asked(int argc, char** argv) const {
    for (int i = 1; i + 2 < argc; ++i) {
      if (std::string(argv[i]) != "--serve") continue;
      auto n = start_node(argv[i + 1], static_cast<std::uint16_t>(std::stoi(argv[i + 2])));
      std::printf("ready\n");
      std::fflush(stdout);
      for (std::string line; std::getline(std::cin, line);) {
      }
      return 0;
    }
    return std::nullopt;
  }

  /// Starts the port mapper both pairs register with; false (said on stderr) when it cannot.
  [[nodiscard]] bool start_port_mapper() {
    auto epmd = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
    if (!epmd) {
      std::fprintf(stderr, "%s: no port mapper: %s\n", program_.c_str(), epmd.error().c_str());
      return false;
    }
    epmd_ = std::move(*epmd);
    env_ = {{"ERL_EPMD_PORT", std::to_string(epmd_->port())}};
    char path[4096];
    ssize_t len = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (len <= 0) return false;
    path[len] = 0;
    self_path_ = path;
    return true;
  }

  /// This program's executable.
  [[nodiscard]] const std::string& self_path() const { return self_path_; }
  /// The environment that points erl and escript at the port mapper.
  [[nodiscard]] const std::map<std::string, std::string>& env() const { return env_; }

  /// An otpp node of this process; exits the program when it cannot start.
  [[nodiscard]] std::unique_ptr<otp::node> start_node(const std::string& name) const {
    return start_node(name, epmd_->port());
  }

  /// The otpp server node (this program with --serve) once it is ready; null (said on stderr)
  /// when it did not start.
  [[nodiscard]] std::unique_ptr<test::child_process> start_otpp_server(const std::string& name) const {
    auto server = std::make_unique<test::child_process>(
        test::child_process::options{{self_path_, "--serve", name, std::to_string(epmd_->port())}, env_, true});
    if (!server->wait_for("ready", std::chrono::seconds(30))) {
      std::fprintf(stderr, "%s: the otpp server did not start: %s\n", program_.c_str(), server->output().c_str());
      return nullptr;
    }
    return server;
  }

  /// An erl node named `sname` (with `extra` arguments) once it is ready; null (said on stderr)
  /// when it did not start.
  [[nodiscard]] std::unique_ptr<test::child_process> start_erl_sink(const std::string& sname,
                                                                  std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv{"erl", "-sname", sname, "-setcookie", cookie_, "-noshell", "-start_epmd", "false"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"-eval", "io:format(\"ready~n\")."});
    auto sink = std::make_unique<test::child_process>(test::child_process::options{argv, env_, true});
    if (!sink->wait_for("ready", std::chrono::seconds(30))) {
      std::fprintf(stderr, "%s: erl did not start: %s\n", program_.c_str(), sink->output().c_str());
      return nullptr;
    }
    return sink;
  }

  /// Prints ratio.<key>=otpp/beam for each of `keys` whose beam.<key> line `beam_output` has.
  static void print_ratios(const std::string& beam_output, std::map<std::string, double>& figures,
                           std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
      auto at = beam_output.find(std::string("beam.") + key + "=");
      if (at == std::string::npos) continue;
      double b = std::atof(beam_output.c_str() + at + std::strlen(key) + 6);
      if (b > 0) std::printf("ratio.%s=%.2f\n", key, figures[std::string("otpp.") + key] / b);
    }
  }

 private:
  std::unique_ptr<otp::node> start_node(const std::string& name, std::uint16_t epmd_port) const {
    otp::node_options o;
    o.dist.name = name;
    o.dist.cookie = cookie_;
    o.dist.epmd_port = epmd_port;
    o.dist.embedded_epmd = false;
    o.dist.listen_address = "127.0.0.1";
    o.dist.log = [](std::string_view) {};
    o.runtime.workers = 1;  // two nodes and their I/O threads share this machine's cores
    auto n = otp::node::start(std::move(o));
    if (!n) {
      std::fprintf(stderr, "%s: cannot start %s: %s\n", program_.c_str(), name.c_str(), n.error().c_str());
      std::exit(1);
    }
    return std::move(n.value());
  }

  std::string program_;
  std::string cookie_;
  std::unique_ptr<dist::epmd_server> epmd_;
  std::map<std::string, std::string> env_;
  std::string self_path_;
};

}  // namespace otpp::bench
