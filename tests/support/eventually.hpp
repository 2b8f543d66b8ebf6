// Bounded polling for tests: wait until a condition holds, never longer than a timeout.
#pragma once

#include <chrono>
#include <thread>

#include "support/slowdown.hpp"

namespace otpp::test {

/// Polls `pred` every 10 ms until it holds or `timeout` passed; whether it held at the end.
/// The default wait stretches under a sanitizer (support/slowdown.hpp).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = scaled(std::chrono::seconds(10))) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace otpp::test
