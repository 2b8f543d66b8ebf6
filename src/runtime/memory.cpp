// Size-classed pools: a thread takes and returns objects through its own free lists; lists
// that grow too long (a receiver freeing what a sender allocated) move to a shared depot in
// batches, and an empty list refills from the depot or from a fresh, pre-committed arena.
#include "runtime/memory.hpp"

#include <sys/mman.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <utility>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define OTPP_LEAK_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OTPP_LEAK_SANITIZER 1
#endif
#endif
#ifdef OTPP_LEAK_SANITIZER
#include <sanitizer/lsan_interface.h>
#endif

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace otpp::detail::memory {

namespace {

constexpr std::size_t granule = 16;
constexpr std::size_t classes = max_small / granule;
constexpr std::size_t arena_bytes = std::size_t{4} << 20;
constexpr std::size_t carve_bytes = std::size_t{64} << 10;

std::size_t class_of(std::size_t size) noexcept { return (size + granule - 1) / granule - 1; }
std::size_t class_size(std::size_t c) noexcept { return (c + 1) * granule; }
/// Objects moved between a thread and the depot at once.
std::uint32_t batch_of(std::size_t c) noexcept {
  std::size_t n = 8192 / class_size(c);
  return std::uint32_t(n < 16 ? 16 : n);
}

struct free_object {
  free_object* next;
};

/// A chain of `count` objects.
struct batch {
  free_object* head;
  std::uint32_t count;
};

/// Maps and commits `bytes` with one system call per call (system calls and page faults are
/// what is expensive here, so commit in large runs).
void* commit(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef OTPP_LEAK_SANITIZER
  // Pooled objects (a process's coroutine frame) may hold the only pointer to heap memory:
  // LeakSanitizer must scan the pages as it scans the heap, or it reports that memory leaked.
  __lsan_register_root_region(p, bytes);
#endif
  if (::madvise(p, bytes, MADV_POPULATE_WRITE) != 0) {
    // Older kernels: the pages fault in one by one on first use.
  }
  return p;
}

/// Shared by every thread: full batches per class, and the arena new objects are cut from.
class depot {
 public:
  static depot& instance() {
    static depot* d = new depot();  // never destroyed: threads may free during exit
    return *d;
  }

  bool take(std::size_t c, batch& out) {
    std::lock_guard lk(m_[c]);
    if (batches_[c].empty()) return false;
    out = batches_[c].back();
    batches_[c].pop_back();
    return true;
  }
  void give(std::size_t c, batch b) {
    std::lock_guard lk(m_[c]);
    batches_[c].push_back(b);
  }
  /// A fresh run of committed memory, handed out by bumping a pointer.
  char* carve() {
    std::lock_guard lk(arena_mutex_);
    if (arena_left_ < carve_bytes) {
      arena_ = static_cast<char*>(commit(arena_bytes));
      arena_left_ = arena_bytes;
    }
    char* mem = arena_;
    arena_ += carve_bytes;
    arena_left_ -= carve_bytes;
    return mem;
  }

 private:
  std::array<std::mutex, classes> m_;
  std::array<std::vector<batch>, classes> batches_;
  std::mutex arena_mutex_;
  char* arena_ = nullptr;
  std::size_t arena_left_ = 0;
};

/// A thread's free objects per class, as two "magazines" of up to one batch each (so full
/// batches move to and from the depot without walking a list), and a run of fresh memory cut
/// by bumping a pointer (new memory is written once, by its first user). Magazines go back to
/// the depot when the thread ends; the unused rest of a fresh run is simply left.
struct thread_cache {
  std::array<batch, classes> active{};
  std::array<batch, classes> spare{};
  std::array<char*, classes> fresh{};
  std::array<char*, classes> fresh_end{};

  ~thread_cache() {
    for (std::size_t c = 0; c < classes; ++c) {
      if (active[c].count) depot::instance().give(c, active[c]);
      if (spare[c].count) depot::instance().give(c, spare[c]);
      active[c] = spare[c] = batch{nullptr, 0};
    }
  }

  void* pop(std::size_t c) {
    batch& a = active[c];
    if (a.count == 0) {
      if (spare[c].count) {
        a = std::exchange(spare[c], batch{nullptr, 0});
      } else if (!depot::instance().take(c, a)) {
        return bump(c);
      }
    }
    free_object* o = a.head;
    a.head = o->next;
    --a.count;
    return o;
  }

  void* bump(std::size_t c) {
    std::size_t size = class_size(c);
    if (fresh[c] == nullptr || fresh[c] + size > fresh_end[c]) {
      fresh[c] = depot::instance().carve();
      fresh_end[c] = fresh[c] + carve_bytes;
    }
    void* p = fresh[c];
    fresh[c] += size;
    return p;
  }

  void push(std::size_t c, void* p) {
    batch& a = active[c];
    if (a.count == batch_of(c)) {
      // A full magazine: keep it as the spare, handing the older spare to the threads that
      // allocate more than they free.
      if (spare[c].count) depot::instance().give(c, spare[c]);
      spare[c] = a;
      a = batch{nullptr, 0};
    }
    auto* o = static_cast<free_object*>(p);
    o->next = a.head;
    a.head = o;
    ++a.count;
  }
};

thread_local thread_cache cache;

}  // namespace

void* allocate(std::size_t size) {
  if constexpr (!pooled) {
    return ::operator new(size);
  } else {
    if (size == 0 || size > max_small) return ::operator new(size);
    return cache.pop(class_of(size));
  }
}

void deallocate(void* p, std::size_t size) noexcept {
  if constexpr (!pooled) {
    ::operator delete(p);
  } else {
    if (size == 0 || size > max_small) {
      ::operator delete(p);
      return;
    }
    cache.push(class_of(size), p);
  }
}

void* allocate_pages(std::size_t bytes) {
  if constexpr (!pooled) {
    void* p = ::operator new(bytes, std::align_val_t(64));
    std::memset(p, 0, bytes);
    return p;
  } else {
    return commit(bytes);
  }
}

void free_pages(void* p, std::size_t bytes) noexcept {
  if constexpr (!pooled) {
    ::operator delete(p, std::align_val_t(64));
  } else {
#ifdef OTPP_LEAK_SANITIZER
    __lsan_unregister_root_region(p, bytes);
#endif
    ::munmap(p, bytes);
  }
}

}  // namespace otpp::detail::memory
