// Small-object memory for the runtime's hot paths (mailbox nodes, coroutine frames, process
// table chunks): per-thread free lists refilled in batches, over arenas committed in bulk.
// Committing pages one fault at a time costs ~26 us per 4 KiB page on this kind of VM, and a
// million processes touch a hundred thousand pages; committing a megabyte per system call is
// twenty times cheaper. Under AddressSanitizer everything goes to operator new so ASan and
// LSan see every object (ThreadSanitizer keeps the pools: it checks them too).
#pragma once

#include <cstddef>

namespace otpp::detail::memory {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool pooled = false;
#else
inline constexpr bool pooled = true;
#endif

/// Objects up to this size come from the pools. Coroutine frames of a few KiB are common (a
/// gen_server call's is over 1 KiB), and malloc frees chunks of that size on its slow path.
inline constexpr std::size_t max_small = 4096;

/// Any thread. `size` must be passed back to `deallocate`.
[[nodiscard]] void* allocate(std::size_t size);
/// Any thread (not necessarily the allocating one).
void deallocate(void* p, std::size_t size) noexcept;

/// Zeroed, committed, page-aligned memory for long-lived tables (never reused by the pools).
[[nodiscard]] void* allocate_pages(std::size_t bytes);
void free_pages(void* p, std::size_t bytes) noexcept;

}  // namespace otpp::detail::memory
