// OpenSSL contexts and sessions for TLS distribution (see tls_session.hpp).
#include "tls_session.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace otpp::dist::detail {

namespace {

/// OpenSSL's words for the errors queued on this thread, oldest first ("certificate verify failed").
std::string openssl_errors() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    if (!text.empty()) text += "; ";
    const char* reason = ERR_reason_error_string(e);
    if (reason) {
      text += reason;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      text += buf;
    }
  }
  return text;
}

int password_callback(char* buf, int size, int /*rwflag*/, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (!password || password->size() > static_cast<std::size_t>(size)) return 0;
  std::memcpy(buf, password->data(), password->size());
  return static_cast<int>(password->size());
}

int version_number(const std::string& v) { return v == "tlsv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION; }

result<SSL_CTX*> make_side(const tls_side_options& o, bool server) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!ctx) return failure{"OpenSSL cannot make a context: " + openssl_errors()};
  auto fail = [&](const std::string& what) -> result<SSL_CTX*> {
    std::string why = openssl_errors();
    SSL_CTX_free(ctx);
    return failure{std::string(server ? "server" : "client") + " options: " + what + (why.empty() ? "" : ": " + why)};
  };
  int lowest = TLS1_2_VERSION, highest = TLS1_3_VERSION;
  if (!o.versions.empty()) {
    lowest = TLS1_3_VERSION;
    highest = TLS1_2_VERSION;
    for (const auto& v : o.versions) {
      lowest = std::min(lowest, version_number(v));
      highest = std::max(highest, version_number(v));
    }
  }
  SSL_CTX_set_min_proto_version(ctx, lowest);
  SSL_CTX_set_max_proto_version(ctx, highest);
  // Without a choice in the file, AES-128-GCM first: as safe as AES-256 for a distribution
  // link, and a third cheaper per byte (the cipher is what bounds TLS bandwidth here).
  SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  if (!o.ciphers.empty()) {
    std::string suites, list;  // TLS 1.3 suites and TLS 1.2 ciphers are set apart in OpenSSL
    for (const auto& c : o.ciphers) {
      std::string& into = c.rfind("TLS_", 0) == 0 ? suites : list;
      if (!into.empty()) into += ':';
      into += c;
    }
    if (!suites.empty() && SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1)
      return fail("no usable cipher in " + suites);
    if (!list.empty() && SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) return fail("no usable cipher in " + list);
  }
  if (!o.password.empty()) {
    SSL_CTX_set_default_passwd_cb(ctx, password_callback);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&o.password));
  }
  if (!o.certfile.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, o.certfile.c_str()) != 1)
      return fail("cannot use certfile " + o.certfile);
    const std::string& key = o.keyfile.empty() ? o.certfile : o.keyfile;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) return fail("cannot use keyfile " + key);
    if (SSL_CTX_check_private_key(ctx) != 1) return fail("keyfile " + key + " does not match certfile " + o.certfile);
  } else if (server) {
    return fail("a TLS node needs a certfile to accept connections");
  }
  if (!o.cacertfile.empty() && SSL_CTX_load_verify_locations(ctx, o.cacertfile.c_str(), nullptr) != 1)
    return fail("cannot use cacertfile " + o.cacertfile);
  int mode = SSL_VERIFY_NONE;
  if (o.verify_peer) {
    mode = SSL_VERIFY_PEER;
    if (server && o.fail_if_no_peer_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  if (o.depth >= 0) SSL_CTX_set_verify_depth(ctx, o.depth);
  // One recv takes in many records; a closed socket reads as a closed connection; no session
  // tickets or renegotiation, which a distribution connection (one per pair of nodes, kept for
  // long) has no use for.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, 128 * 1024);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  if (server) SSL_CTX_set_num_tickets(ctx, 0);
  return ctx;
}

}  // namespace

result<std::shared_ptr<tls_context>> tls_context::make(const tls_options& options) {
  std::shared_ptr<tls_context> c(new tls_context());
  c->options_ = options;  // the password callbacks point into this copy
  auto s = make_side(c->options_.server, true);
  if (!s) return failure{s.error()};
  c->server_ = *s;
  auto k = make_side(c->options_.client, false);
  if (!k) return failure{k.error()};
  c->client_ = *k;
  return c;
}

tls_context::~tls_context() {
  SSL_CTX_free(server_);
  SSL_CTX_free(client_);
}

// The session's transport as OpenSSL sees it: records are read from the session's input (which
// its owner fills) and appended to its output buffer, which the connection's writer sends with
// one system call for many of them.
struct tls_bio {
  static BIO_METHOD* method() {
    static BIO_METHOD* m = [] {
      BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "otpp distribution transport");
      BIO_meth_set_read(made, read);
      BIO_meth_set_write(made, write);
      BIO_meth_set_ctrl(made, ctrl);
      BIO_meth_set_create(made, create);
      return made;
    }();
    return m;
  }
  static int create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }
  static int read(BIO* b, char* into, int len) {
    auto* s = static_cast<tls_session*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    std::size_t have = s->in_end_ - s->in_begin_;
    if (have == 0) {
      if (s->in_closed_) return 0;
      BIO_set_retry_read(b);
      return -1;
    }
    std::size_t n = std::min(have, static_cast<std::size_t>(len));
    std::memcpy(into, s->in_.data() + s->in_begin_, n);
    s->in_begin_ += n;
    return static_cast<int>(n);
  }
  static int write(BIO* b, const char* data, int len) {
    auto* s = static_cast<tls_session*>(BIO_get_data(b));
    s->out_.insert(s->out_.end(), data, data + len);
    return len;
  }
  static long ctrl(BIO* b, int cmd, long, void*) {
    auto* s = static_cast<tls_session*>(BIO_get_data(b));
    switch (cmd) {
      case BIO_CTRL_FLUSH: return 1;
      case BIO_CTRL_PENDING: return static_cast<long>(s->in_end_ - s->in_begin_);
      // OpenSSL tells a peer's close from a read that would block by this.
      case BIO_CTRL_EOF: return s->in_closed_ && s->in_begin_ == s->in_end_;
      default: return 0;
    }
  }
};

tls_session::tls_session(const tls_context& ctx, int fd, bool server) : fd_(fd), in_(input_size) {
  ssl_ = SSL_new(server ? ctx.server() : ctx.client());
  BIO* transport = BIO_new(tls_bio::method());
  BIO_set_data(transport, this);
  SSL_set_bio(ssl_, transport, transport);  // one BIO both ways: one reference, which ssl_ takes
  if (server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    const auto& sni = ctx.options().client.server_name_indication;
    if (!sni.empty()) {
      SSL_set_tlsext_host_name(ssl_, sni.c_str());
      if (ctx.options().client.verify_peer) SSL_set1_host(ssl_, sni.c_str());
    }
  }
}

tls_session::~tls_session() { SSL_free(ssl_); }

tls_session::status tls_session::fail(int ret) {
  int err = SSL_get_error(ssl_, ret);
  if (err == SSL_ERROR_ZERO_RETURN) {
    error_ = "the peer closed the connection";
    return status::closed;
  }
  int saved_errno = errno;
  std::string text = openssl_errors();
  // An alert is the peer's verdict (on this node's certificate, most often), not this node's.
  if (text.find(" alert ") != std::string::npos) text = "the peer sent an alert: " + text;
  long verified = SSL_get_verify_result(ssl_);
  if (verified != X509_V_OK) text += std::string(" (") + X509_verify_cert_error_string(verified) + ")";
  if (text.empty()) {
    if (err == SSL_ERROR_SYSCALL && saved_errno != 0) text = std::strerror(saved_errno);
    else text = "the peer closed the connection";
  }
  error_ = text;
  return status::failed;
}

asio::awaitable<result<success>> tls_session::handshake(asio::ip::tcp::socket& sock) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(ssl_);
    int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
    std::string why;
    if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      fail(r);
      why = error_;
    }
    // What the handshake wrote goes out first, an alert telling the peer why included.
    if (pending_output() > 0) {
      auto [ec, n] = co_await asio::async_write(
          sock, asio::buffer(out_.data() + out_sent_, pending_output()), nothrow_awaitable);
      out_.clear();
      out_sent_ = 0;
      if (ec && why.empty()) why = "the connection failed: " + ec.message();
    }
    if (!why.empty()) co_return failure{why};
    if (err == SSL_ERROR_NONE) co_return success{};
    // Output never waits (it all went out above), so OpenSSL wants input.
    auto received = co_await receive(sock);
    if (!received) co_return failure{received.error()};
  }
}

asio::awaitable<bool> tls_session::write_all(asio::ip::tcp::socket& sock, std::span<const std::uint8_t> data) {
  encrypt(data);
  auto [ec, n] = co_await asio::async_write(sock, asio::buffer(out_.data() + out_sent_, pending_output()),
                                            nothrow_awaitable);
  out_.clear();
  out_sent_ = 0;
  if (ec) error_ = "the connection failed: " + ec.message();
  co_return !ec;
}

asio::awaitable<bool> tls_session::read_exact(asio::ip::tcp::socket& sock, std::span<std::uint8_t> into) {
  std::size_t have = 0;
  while (have < into.size()) {
    std::size_t got = 0;
    auto st = read(into.data() + have, into.size() - have, got);
    have += got;
    if (st == status::closed || st == status::failed) co_return false;
    if (st == status::want_read) {
      auto received = co_await receive(sock);
      if (!received) {
        error_ = received.error();
        co_return false;
      }
    }
  }
  co_return true;
}

asio::awaitable<result<success>> tls_session::receive(asio::ip::tcp::socket& sock) {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
  } else if (in_.size() - in_end_ < max_record) {
    // Too little room left for a whole record: move the partial one to the front.
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  auto [ec, n] = co_await sock.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                                               nothrow_awaitable);
  in_end_ += n;
  if (ec == asio::error::eof) in_closed_ = true;
  else if (ec) co_return failure{"the connection failed: " + ec.message()};
  co_return success{};
}

tls_session::status tls_session::read(std::uint8_t* into, std::size_t size, std::size_t& got) {
  got = 0;
  while (got < size) {
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    int r = SSL_read_ex(ssl_, into + got, size - got, &n);
    if (r == 1) {
      got += n;
      if (in_begin_ == in_end_ && !SSL_has_pending(ssl_)) break;  // nothing more at hand
      continue;
    }
    int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return got > 0 ? status::ok : status::want_read;
    if (got > 0) return status::ok;  // the error again on the next call, after these bytes
    return fail(r);
  }
  return status::ok;
}

void tls_session::encrypt(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    ERR_clear_error();
    std::size_t n = 0;
    if (SSL_write_ex(ssl_, data.data(), data.size(), &n) != 1) {
      fail(0);
      return;
    }
    data = data.subspan(n);
  }
}

bool tls_session::send_pending() {
  while (out_sent_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return false;
    }
    out_sent_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
  return true;
}

void tls_session::shutdown() {
  ERR_clear_error();
  SSL_shutdown(ssl_);
  (void)send_pending();
  ERR_clear_error();
}

}  // namespace otpp::dist::detail
