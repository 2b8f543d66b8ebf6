// Throwaway certificates for TLS distribution tests, made with the openssl command in a
// temporary directory: a trusted authority and a node certificate for localhost signed by
// it, a second (untrusted) authority with a node certificate of its own, and ssl_dist_optfiles
// with mutual verification as erl's -ssl_dist_optfile reads them.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace otpp::test {

class tls_certs {
 public:
  tls_certs() {
    char tmpl[] = "/tmp/otpp-tls-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    make_authority("ca");
    make_node("node", "ca");
    make_authority("rogue_ca");
    make_node("rogue", "rogue_ca");
    write_optfile("trusted.conf", "node", "ca");
    write_optfile("untrusted.conf", "rogue", "rogue_ca");
  }
  ~tls_certs() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  tls_certs(const tls_certs&) = delete;
  tls_certs& operator=(const tls_certs&) = delete;

  [[nodiscard]] const std::string& dir() const { return dir_; }
  /// Signed by the authority the trusted optfile trusts.
  [[nodiscard]] std::string trusted_optfile() const { return dir_ + "/trusted.conf"; }
  /// Signed by another authority (and trusting only that one).
  [[nodiscard]] std::string untrusted_optfile() const { return dir_ + "/untrusted.conf"; }
  /// erl's flags for TLS distribution with `optfile`.
  [[nodiscard]] static std::vector<std::string> erl_flags(const std::string& optfile) {
    return {"-proto_dist", "inet_tls", "-ssl_dist_optfile", optfile};
  }

 private:
  void run(std::vector<std::string> argv) {
    child_process p(child_process::options{std::move(argv), {}, true});
    int status = p.wait();
    if (status != 0) throw std::runtime_error("openssl failed: " + p.output());
  }
  void make_authority(const std::string& name) {
    run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
         "-keyout", dir_ + "/" + name + ".key", "-out", dir_ + "/" + name + ".pem"});
  }
  void make_node(const std::string& name, const std::string& ca) {
    std::string base = dir_ + "/" + name;
    run({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", base + ".key",
         "-out", base + ".csr"});
    std::ofstream(base + ".ext") << "subjectAltName=DNS:localhost\n";
    run({"openssl", "x509", "-req", "-in", base + ".csr", "-CA", dir_ + "/" + ca + ".pem", "-CAkey",
         dir_ + "/" + ca + ".key", "-CAcreateserial", "-days", "2", "-extfile", base + ".ext", "-out",
         base + ".pem"});
  }
  void write_optfile(const std::string& file, const std::string& node, const std::string& ca) {
    std::string cert = dir_ + "/" + node + ".pem", key = dir_ + "/" + node + ".key", cacert = dir_ + "/" + ca + ".pem";
    std::ofstream(dir_ + "/" + file)
        << "[{server, [{certfile, \"" << cert << "\"}, {keyfile, \"" << key << "\"}, {cacertfile, \"" << cacert
        << "\"},\n           {verify, verify_peer}, {fail_if_no_peer_cert, true}, {secure_renegotiate, true}]},\n"
        << " {client, [{certfile, \"" << cert << "\"}, {keyfile, \"" << key << "\"}, {cacertfile, \"" << cacert
        << "\"},\n           {verify, verify_peer}, {secure_renegotiate, true}]}].\n";
  }

  std::string dir_;
};

}  // namespace otpp::test
