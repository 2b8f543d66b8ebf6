// Receive timeouts in the otp layer: a negative timeout is Erlang's `infinity`, which after()
// spells as a duration longer than a century.
#pragma once

#include <chrono>

namespace otpp::otp::detail {

/// `t`, or a wait longer than a century (after() treats that as forever) when `t` is negative.
[[nodiscard]] inline std::chrono::milliseconds receive_timeout(std::chrono::milliseconds t) {
  if (t.count() >= 0) return t;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24 * 365 * 200));
}

}  // namespace otpp::otp::detail
