// Shows TLS distribution: two otpp nodes whose connection runs inside TLS with mutual
// certificate verification, configured by the same ssl_dist_optfile erl reads
// (`erl -proto_dist inet_tls -ssl_dist_optfile FILE`). Without arguments it makes a throwaway
// authority and node certificate with the openssl command first. (docs/guide.md, "TLS".)
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <string>
#include <string_view>

#include "../command_line.hpp"
#include "otpp/dist/epmd.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

using namespace otpp;
using namespace std::chrono_literals;

// A CA, a certificate for localhost signed by it, and the option file naming them.
std::string make_certificates(const std::string& d) {
  std::string q = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=guide-ca -keyout " + d +
                  "/ca.key -out " + d + "/ca.pem 2>/dev/null && openssl req -newkey rsa:2048 -nodes -subj "
                  "/CN=localhost -keyout " + d + "/node.key -out " + d + "/node.csr 2>/dev/null && "
                  "printf 'subjectAltName=DNS:localhost\\n' >" + d + "/ext.cnf && openssl x509 -req -in " + d +
                  "/node.csr -CA " + d + "/ca.pem -CAkey " + d + "/ca.key -CAcreateserial -days 1 -extfile " + d +
                  "/ext.cnf -out " + d + "/node.pem 2>/dev/null";
  if (std::system(q.c_str()) != 0) return {};
  std::string files = "{certfile, \"" + d + "/node.pem\"}, {keyfile, \"" + d + "/node.key\"}, {cacertfile, \"" + d + "/ca.pem\"}";
  std::ofstream(d + "/ssl_dist.conf") << "[{server, [" << files << ", {verify, verify_peer}, {fail_if_no_peer_cert, true}]},\n"
                                      << " {client, [" << files << ", {verify, verify_peer}]}].\n";
  return d + "/ssl_dist.conf";
}

int main(int argc, char** argv) {
  std::string optfile;
  CLI::App app;
  examples::describe(app, "Connects kate and alex over TLS distribution.");
  app.add_option("--ssl-dist-optfile", optfile, "the TLS options file (default: certificates made here)");
  CLI11_PARSE(app, argc, argv);
  auto dir = std::filesystem::temp_directory_path() / ("otpp-guide-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  if (optfile.empty() && (optfile = make_certificates(dir.string())).empty()) {
    std::fprintf(stderr, "the openssl command could not make certificates\n");
    return 1;
  }
  // The file erl reads; a bad one is refused here, with the reason.
  auto tls = dist::read_ssl_dist_optfile(optfile);
  auto epmd = dist::epmd_server::start({.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!tls || !epmd) {
    std::fprintf(stderr, "%s\n", (!tls ? tls.error() : epmd.error()).c_str());
    return 1;
  }
  auto options = [&](const char* name) {
    otp::node_options o;
    o.dist.name = name;
    o.dist.cookie = "secret";  // checked inside TLS, as inet_tls_dist does
    o.dist.epmd_port = (*epmd)->port();
    o.dist.listen_address = "127.0.0.1";
    o.dist.tls = *tls;  // every connection of this node, both ways, runs inside TLS
    return o;
  };
  auto kate = otp::node::start(options("kate@localhost"));
  auto alex = otp::node::start(options("alex@localhost"));
  if (!kate || !alex) {
    std::fprintf(stderr, "cannot start: %s\n", (!kate ? kate.error() : alex.error()).c_str());
    return 1;
  }
  bool ok = false;
  {
    scoped_process inbox((*kate)->rt());
    (void)inbox.register_name(atom("inbox"));
    scoped_process me((*alex)->rt());
    // The first send connects: TLS handshake (each side checks the other's certificate),
    // then the distribution handshake inside it.
    me.send(atom("inbox"), atom("kate@localhost"), tuple_of(atom("hello"), me.self()));
    if (auto got = inbox.receive_for(10s); got && got->is_tuple() && got->tuple_size() == 2) {
      std::printf("kate got %s from %s over TLS\n", to_string((*got)[0]).c_str(),
                  std::string((*got)[1].pid_value().node.name()).c_str());
      ok = true;
    }
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
