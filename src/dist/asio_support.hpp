// The Asio pieces the dist layer uses, in one place: coroutine completion tokens that return
// error codes as values instead of throwing.
#pragma once

// Asio 1.22 recognises C++20 coroutines on GCC only; clang (the fuzz build) has them too.
#if defined(__clang__) && defined(__cpp_impl_coroutine) && !defined(ASIO_HAS_CO_AWAIT)
#define ASIO_HAS_CO_AWAIT 1
#define ASIO_HAS_STD_COROUTINE 1
#endif
#include <coroutine>

#include <asio.hpp>

// GCC 12 misreads asio's awaitable frame allocator (operator new/delete of the frame base)
// as a mismatched pair in large coroutines; the pair is correct.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <asio/experimental/as_tuple.hpp>

namespace otpp::dist::detail {

/// `auto [ec, n] = co_await op(..., nothrow_awaitable);`
inline constexpr auto nothrow_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace otpp::dist::detail
