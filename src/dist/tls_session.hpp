// OpenSSL under the distribution's connections (inet_tls_dist): the server and client
// contexts made from tls_options, and one TLS session per connection. A session decrypts
// from a buffer its owner fills with Asio's reads of the socket, and encrypts into a buffer
// of its own, which its owner sends with one system call for many records. One thread at a
// time uses a session; its owner sees to that (connection::tls_mu).
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "asio_support.hpp"
#include "otpp/dist/result.hpp"
#include "otpp/dist/tls.hpp"

namespace otpp::dist::detail {

/// The SSL_CTX of each side, built once when the engine starts.
class tls_context {
 public:
  /// Fails with the file or option OpenSSL refused.
  [[nodiscard]] static result<std::shared_ptr<tls_context>> make(const tls_options& options);
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  [[nodiscard]] SSL_CTX* server() const noexcept { return server_; }
  [[nodiscard]] SSL_CTX* client() const noexcept { return client_; }
  [[nodiscard]] const tls_options& options() const noexcept { return options_; }

 private:
  tls_context() = default;
  tls_options options_;
  SSL_CTX* server_ = nullptr;
  SSL_CTX* client_ = nullptr;
};

/// One connection's TLS. One thread at a time: the setup coroutine, then whoever holds the
/// connection's tls_mu (the I/O thread's reads, a sender's or the I/O thread's writes).
class tls_session {
 public:
  /// `fd` is the connection's socket, which the session writes to; it stays owned by its socket.
  tls_session(const tls_context& ctx, int fd, bool server);
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  /// The TLS handshake over `sock`; the failure says why in words for a log line (a
  /// certificate not trusted, a peer speaking plain distribution, ...).
  asio::awaitable<result<success>> handshake(asio::ip::tcp::socket& sock);

  // ---- the distribution handshake over TLS (coroutines, setup only) ----
  /// Encrypts and sends all of `data`; false when the connection failed.
  asio::awaitable<bool> write_all(asio::ip::tcp::socket& sock, std::span<const std::uint8_t> data);
  /// Reads exactly `into.size()` bytes; false when the connection failed or closed.
  asio::awaitable<bool> read_exact(asio::ip::tcp::socket& sock, std::span<std::uint8_t> into);

  /// Reads what the socket has (waiting until it has something) into the session's input,
  /// for `read` to decrypt; fails with why when the connection failed (a peer's close is
  /// seen by `read`). The session's reader only, and never at the same time as `read`.
  asio::awaitable<result<success>> receive(asio::ip::tcp::socket& sock);

  // ---- the established connection (non-blocking) ----
  enum class status : std::uint8_t { ok, want_read, closed, failed };
  /// Decrypts up to `size` bytes into `into` (as many records as are at hand); `got` says how
  /// many. want_read: no whole record is at hand, `receive` more.
  status read(std::uint8_t* into, std::size_t size, std::size_t& got);
  /// Encrypts `data` into the output buffer (never blocks, never fails short of memory).
  void encrypt(std::span<const std::uint8_t> data);
  /// Bytes encrypted but not sent yet.
  [[nodiscard]] std::size_t pending_output() const noexcept { return out_.size() - out_sent_; }
  /// Sends what it can of the output buffer; false on a socket error.
  bool send_pending();
  /// A close_notify alert, sent if the socket takes it at once.
  void shutdown();

  /// Why the last operation failed, from OpenSSL's error queue and the certificate check.
  [[nodiscard]] std::string error_text() const { return error_; }

 private:
  friend struct tls_bio;
  // The input holds many records (a bulk transfer's reads are large) and always room for one.
  static constexpr std::size_t input_size = 256 * 1024, max_record = 16 * 1024 + 512;
  status fail(int ret);
  SSL* ssl_ = nullptr;
  int fd_;
  // Ciphertext read and not yet taken by OpenSSL (the reader's only). Asio reads the socket
  // rather than OpenSSL: its reads skip the system call that would find the socket empty
  // after a short read, which OpenSSL's own reads make on every message.
  std::vector<std::uint8_t> in_;
  std::size_t in_begin_ = 0, in_end_ = 0;
  bool in_closed_ = false;  // the peer closed its side: OpenSSL reads end of file after in_
  std::vector<std::uint8_t> out_;
  std::size_t out_sent_ = 0;
  std::string error_;
};

}  // namespace otpp::dist::detail
