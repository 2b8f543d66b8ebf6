// Reading erl's ssl_dist_optfile (`[{server, Opts}, {client, Opts}].`) into tls_options with
// the project's term parser.
#include <fstream>
#include <sstream>

#include "otpp/dist/tls.hpp"
#include "otpp/term/parse.hpp"
#include "otpp/term/print.hpp"

namespace otpp::dist {

namespace {

result<std::string> text_of(const term& value, std::string_view option) {
  if (auto t = value.to_text()) return *t;
  return failure{"option " + std::string(option) + " must be a string, not " + to_string(value)};
}

result<success> read_side(const term& opts, tls_side_options& side, std::string_view side_name) {
  if (!opts.is_list() || !opts.list_tail().is_nil())
    return failure{"the " + std::string(side_name) + " options must be a list, not " + to_string(opts)};
  for (const term& o : opts.list_elements()) {
    if (!o.is_tuple() || o.tuple_size() != 2 || !o[0].is_atom())
      return failure{"malformed " + std::string(side_name) + " option " + to_string(o) +
                     " (expected {Name, Value})"};
    std::string_view key = o[0].atom_value().name();
    const term& v = o[1];
    auto set_text = [&](std::string& into) -> result<success> {
      auto t = text_of(v, key);
      if (!t) return failure{t.error()};
      into = *t;
      return success{};
    };
    result<success> r = success{};
    if (key == "certfile") {
      r = set_text(side.certfile);
    } else if (key == "keyfile") {
      r = set_text(side.keyfile);
    } else if (key == "password") {
      r = set_text(side.password);
    } else if (key == "cacertfile") {
      r = set_text(side.cacertfile);
    } else if (key == "verify") {
      if (v.is_atom(atom("verify_peer"))) side.verify_peer = true;
      else if (v.is_atom(atom("verify_none"))) side.verify_peer = false;
      else r = failure{"option verify must be verify_peer or verify_none, not " + to_string(v)};
    } else if (key == "fail_if_no_peer_cert") {
      if (v.is_atom(atoms::true_)) side.fail_if_no_peer_cert = true;
      else if (v.is_atom(atoms::false_)) side.fail_if_no_peer_cert = false;
      else r = failure{"option fail_if_no_peer_cert must be true or false, not " + to_string(v)};
    } else if (key == "server_name_indication") {
      if (v.is_atom(atom("disable"))) side.server_name_indication.clear();
      else r = set_text(side.server_name_indication);
    } else if (key == "versions") {
      if (!v.is_list() || !v.list_tail().is_nil()) {
        r = failure{"option versions must be a list of atoms, not " + to_string(v)};
      } else {
        side.versions.clear();
        for (const term& ver : v.list_elements()) {
          if (!ver.is_atom(atom("tlsv1.2")) && !ver.is_atom(atom("tlsv1.3"))) {
            r = failure{"TLS version " + to_string(ver) + " is not supported (tlsv1.2 and tlsv1.3 are)"};
            break;
          }
          side.versions.emplace_back(ver.atom_value().name());
        }
      }
    } else if (key == "ciphers") {
      // A list of OpenSSL names, or one "A:B:C" string, as ssl:connect accepts them.
      side.ciphers.clear();
      if (auto whole = v.to_text(); whole && !whole->empty()) {
        std::stringstream ss(*whole);
        for (std::string name; std::getline(ss, name, ':');)
          if (!name.empty()) side.ciphers.push_back(name);
      } else if (v.is_list() && v.list_tail().is_nil()) {
        for (const term& c : v.list_elements()) {
          auto name = c.to_text();
          if (!name) {
            r = failure{"cipher " + to_string(c) + " is not an OpenSSL cipher name (a string)"};
            break;
          }
          side.ciphers.push_back(*name);
        }
      } else {
        r = failure{"option ciphers must be a list of cipher names, not " + to_string(v)};
      }
    } else if (key == "depth") {
      auto d = v.to_int64();
      if (d && *d >= 0 && *d <= 100) side.depth = static_cast<int>(*d);
      else r = failure{"option depth must be an integer from 0 to 100, not " + to_string(v)};
    }
    // Everything else (secure_renegotiate, reuse_sessions, log_level, ...) changes nothing
    // that matters to otpp's use of OpenSSL.
    if (!r) return failure{"in the " + std::string(side_name) + " options: " + r.error()};
  }
  return success{};
}

}  // namespace

result<tls_options> parse_ssl_dist_options(std::string_view text) {
  parse_options po;
  po.require_dot = true;
  auto parsed = parse_term(text, po);
  if (!parsed) return failure{"cannot read the ssl_dist_optfile: " + parsed.error.describe(text)};
  const term& all = *parsed.value;
  if (!all.is_list() || !all.list_tail().is_nil())
    return failure{"the ssl_dist_optfile must hold [{server, Opts}, {client, Opts}], not " + to_string(all)};
  tls_options out;
  for (const term& entry : all.list_elements()) {
    if (entry.is_tuple() && entry.tuple_size() == 2 && entry[0].is_atom(atom("server"))) {
      if (auto r = read_side(entry[1], out.server, "server"); !r) return failure{r.error()};
    } else if (entry.is_tuple() && entry.tuple_size() == 2 && entry[0].is_atom(atom("client"))) {
      if (auto r = read_side(entry[1], out.client, "client"); !r) return failure{r.error()};
    } else {
      return failure{"unexpected entry " + to_string(entry) + " in the ssl_dist_optfile (expected {server, Opts} or {client, Opts})"};
    }
  }
  return out;
}

result<tls_options> read_ssl_dist_optfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure{"cannot open the ssl_dist_optfile " + path};
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = parse_ssl_dist_options(ss.str());
  if (!r) return failure{path + ": " + r.error()};
  return r;
}

result<std::optional<tls_options>> proto_dist_options(std::string_view proto_dist, const std::string& optfile) {
  if (proto_dist.empty() || proto_dist == "inet_tcp") {
    if (!optfile.empty()) return failure{"--ssl-dist-optfile needs --proto-dist inet_tls"};
    return std::optional<tls_options>{};
  }
  if (proto_dist != "inet_tls")
    return failure{"unsupported --proto-dist " + std::string(proto_dist) + " (inet_tcp and inet_tls are)"};
  if (optfile.empty()) return failure{"--proto-dist inet_tls needs --ssl-dist-optfile FILE"};
  auto r = read_ssl_dist_optfile(optfile);
  if (!r) return failure{r.error()};
  return std::optional<tls_options>{std::move(r.value())};
}

}  // namespace otpp::dist
