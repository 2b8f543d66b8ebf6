// TLS distribution settings, as erl's `-proto_dist inet_tls -ssl_dist_optfile FILE` takes them:
// the options of the server side (accepted connections) and of the client side (connections
// this node opens), read from the same Erlang-term file erl reads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/dist/result.hpp"

namespace otpp::dist {

/// The ssl options of one side, named as in OTP's ssl application.
struct tls_side_options {
  std::string certfile;    ///< PEM certificate chain of this node
  std::string keyfile;     ///< PEM private key; empty: the key is in certfile
  std::string password;    ///< passphrase of an encrypted keyfile
  std::string cacertfile;  ///< PEM certificates of the authorities trusted to sign the peer's
  /// verify_peer: the peer's certificate must chain to cacertfile; verify_none: it is not checked.
  bool verify_peer = false;
  /// Server side: a client that presents no certificate is refused (with verify_peer).
  bool fail_if_no_peer_cert = false;
  /// Client side: the host name sent in SNI and checked against the server's certificate
  /// (with verify_peer); empty: none sent, no host name check (`disable` in the file).
  std::string server_name_indication;
  std::vector<std::string> versions;  ///< "tlsv1.2", "tlsv1.3"; empty: both
  /// OpenSSL cipher names ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"); empty:
  /// OpenSSL's defaults.
  std::vector<std::string> ciphers;
  int depth = -1;  ///< longest certificate chain accepted; -1: OpenSSL's default
};

/// TLS distribution: the server and client sides.
struct tls_options {
  tls_side_options server;
  tls_side_options client;
};

/// Reads an ssl_dist_optfile's text: `[{server, Opts}, {client, Opts}].` (a missing side gets
/// no options). Options otpp does not need (secure_renegotiate, reuse_sessions, ...) are
/// accepted and ignored; a malformed file or a bad value of a known option is an error naming it.
[[nodiscard]] result<tls_options> parse_ssl_dist_options(std::string_view text);

/// Reads the file at `path` with parse_ssl_dist_options.
[[nodiscard]] result<tls_options> read_ssl_dist_optfile(const std::string& path);

/// Checks erl's `-proto_dist` value: "inet_tcp" gives nullopt (plain TCP), "inet_tls" the
/// options read from `optfile` (which it then requires); anything else is an error.
[[nodiscard]] result<std::optional<tls_options>> proto_dist_options(std::string_view proto_dist,
                                                                    const std::string& optfile);

}  // namespace otpp::dist
