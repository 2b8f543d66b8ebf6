// A value or the reason it could not be produced: how the dist layer reports protocol and
// network failures (a refused peer, an unreachable port mapper) without exceptions.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace otpp::dist {

/// Why an operation failed, in words fit for a log line.
struct failure {
  std::string reason;
};

/// Either a `T` or a `failure` (a small stand-in for C++23's std::expected).
template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(failure f) : v_(std::move(f)) {}    // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// Precondition: ok().
  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  /// Precondition: !ok().
  [[nodiscard]] const std::string& error() const { return std::get<1>(v_).reason; }

 private:
  std::variant<T, failure> v_;
};

/// Success without a value.
struct success {};

}  // namespace otpp::dist
