// A hierarchical timing wheel with 1 ms ticks: O(1) insert and cancel, which receive timeouts,
// send_after and start_timer need by the thousand. Not synchronized; the owner locks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp::detail {

struct timer_entry {
  enum class kind : std::uint8_t {
    receive_timeout,  ///< owned by the waiting process, which deletes it
    send,             ///< send_after / start_timer, owned by the wheel
  };
  timer_entry* prev = nullptr;
  timer_entry* next = nullptr;
  std::uint64_t expiry = 0;  ///< tick
  kind k = kind::send;
  bool armed = false;  ///< in the wheel
  bool fired = false;
  std::uint32_t seq = 0;  ///< receive_timeout: the receive it belongs to
  pid target;
  atom target_name;       ///< send to a registered name when `by_name`
  bool by_name = false;
  term msg;
  reference ref;          ///< send: the timer reference
  // From the runtime's pools, as mailbox nodes are (a receive with a timeout arms one).
  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;
};

class timer_wheel {
 public:
  static constexpr unsigned bits = 6;
  static constexpr unsigned slots = 1u << bits;
  static constexpr unsigned levels = 10;  // 60 bits of milliseconds

  explicit timer_wheel(std::uint64_t now) noexcept : current_(now) {}
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  [[nodiscard]] std::uint64_t current() const noexcept { return current_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Inserts `e` (expiry already set; a past expiry fires on the next tick).
  void insert(timer_entry* e) noexcept;
  /// Removes an armed entry.
  void remove(timer_entry* e) noexcept;
  /// Moves time to `to`, appending every entry that came due (removed, `armed` cleared).
  void advance(std::uint64_t to, std::vector<timer_entry*>& expired);
  /// The next tick at which `advance` has work (an expiry or a cascade); nullopt when empty.
  [[nodiscard]] std::optional<std::uint64_t> next_event() const noexcept;
  /// Every armed entry, removed (for teardown).
  void drain(std::vector<timer_entry*>& out);

 private:
  void place(timer_entry* e) noexcept;
  void cascade(unsigned level, unsigned slot, std::vector<timer_entry*>& expired);

  std::array<std::array<timer_entry*, slots>, levels> wheel_{};
  std::array<std::uint64_t, levels> occupied_{};  ///< bit s: slot s non-empty
  std::uint64_t current_;
  std::size_t size_ = 0;
};

}  // namespace otpp::detail
