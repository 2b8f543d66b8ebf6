// A minimal blocking TCP client socket with deadlines, for short request/reply exchanges
// (the port mapper client) that run outside any event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "otpp/dist/result.hpp"

namespace otpp::dist::detail {

class blocking_socket {
 public:
  blocking_socket() = default;
  explicit blocking_socket(int fd) : fd_(fd) {}
  blocking_socket(blocking_socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  blocking_socket& operator=(blocking_socket&& o) noexcept;
  blocking_socket(const blocking_socket&) = delete;
  blocking_socket& operator=(const blocking_socket&) = delete;
  ~blocking_socket();

  /// Connects to host:port over IPv4 within `timeout`.
  [[nodiscard]] static result<blocking_socket> connect(const std::string& host, std::uint16_t port,
                                                       std::chrono::milliseconds timeout);
  [[nodiscard]] result<success> write_all(std::span<const std::uint8_t> bytes,
                                          std::chrono::milliseconds timeout);
  /// Reads exactly `n` bytes.
  [[nodiscard]] result<std::vector<std::uint8_t>> read_exactly(std::size_t n,
                                                               std::chrono::milliseconds timeout);
  /// Reads until the peer closes (at most `limit` bytes).
  [[nodiscard]] result<std::vector<std::uint8_t>> read_to_end(std::size_t limit,
                                                              std::chrono::milliseconds timeout);
  [[nodiscard]] int release() noexcept {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace otpp::dist::detail
