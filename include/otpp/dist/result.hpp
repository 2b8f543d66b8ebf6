// A value or the reason it could not be produced: how the dist layer reports protocol and
// network failures (a refused peer, an unreachable port mapper) without exceptions.
#pragma once

#include <string>

#include "otpp/term/expected.hpp"

namespace otpp::dist {

/// Why an operation failed, in words fit for a log line.
struct failure {
  std::string reason;
};

/// Either a `T` or a `failure`; `error()` gives the reason's words.
template <class T>
class result : public expected<T, failure> {
 public:
  using expected<T, failure>::expected;
  /// Precondition: !ok().
  [[nodiscard]] const std::string& error() const { return expected<T, failure>::error().reason; }
};

/// Success without a value.
struct success {};

}  // namespace otpp::dist
