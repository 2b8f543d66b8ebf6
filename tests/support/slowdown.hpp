// Timeouts that hold under a sanitizer: a wait sized for an uninstrumented build, stretched by
// how much slower the instrumented build (and every node it starts) runs.
#pragma once

#include <chrono>

namespace otpp::test {

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OTPP_TEST_TSAN 1
#elif __has_feature(address_sanitizer)
#define OTPP_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define OTPP_TEST_TSAN 1
#elif defined(__SANITIZE_ADDRESS__)
#define OTPP_TEST_ASAN 1
#endif

/// How many times slower this build runs than an uninstrumented one: ThreadSanitizer costs 5-15
/// times, AddressSanitizer 2-3 (both trees are Debug builds, which adds its own share).
inline constexpr int sanitizer_slowdown =
#if defined(OTPP_TEST_TSAN)
    10;
#elif defined(OTPP_TEST_ASAN)
    4;
#else
    1;
#endif

/// `timeout` stretched by this build's slowdown; a wait for something that should happen.
template <class Rep, class Period>
constexpr std::chrono::milliseconds scaled(std::chrono::duration<Rep, Period> timeout) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(timeout) * sanitizer_slowdown;
}

}  // namespace otpp::test
