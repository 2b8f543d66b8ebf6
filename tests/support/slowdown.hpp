// Bounds for waits on work: scaled by how much slower this build does the same work than the
// optimised build the tests' bounds were set on (a sanitizer's instrumentation, no optimiser).
#pragma once

#include <chrono>

// The build's factor, from tests/CMakeLists.txt (1 unless built under a sanitizer).
#ifndef OTPP_TEST_SLOWDOWN
#define OTPP_TEST_SLOWDOWN 1
#endif

namespace otpp::test {

/// How many times longer this build takes for the same work than the optimised build.
inline constexpr int slowdown = OTPP_TEST_SLOWDOWN;

/// `bound`, set for the optimised build on a loaded machine, for a wait whose length is the
/// work it waits for (moving 50 MB, decoding a deep term), not an event that might never come:
/// a sanitized build gets proportionally longer, so the bound keeps its margin there.
constexpr std::chrono::milliseconds scaled(std::chrono::milliseconds bound) { return bound * slowdown; }

}  // namespace otpp::test
