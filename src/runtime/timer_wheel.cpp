// The timing wheel: entries sit at the level of the highest digit (base 64) in which their
// expiry differs from the current tick, and drop a level each time time reaches their slot.
#include "runtime/timer_wheel.hpp"

#include <bit>

#include "runtime/memory.hpp"

namespace otpp::detail {

void* timer_entry::operator new(std::size_t size) { return memory::allocate(size); }
void timer_entry::operator delete(void* p, std::size_t size) noexcept { memory::deallocate(p, size); }

namespace {
unsigned digit(std::uint64_t t, unsigned level) noexcept {
  return unsigned(t >> (level * timer_wheel::bits)) & (timer_wheel::slots - 1);
}
}  // namespace

void timer_wheel::place(timer_entry* e) noexcept {
  std::uint64_t diff = e->expiry ^ current_;
  unsigned level = diff == 0 ? 0 : unsigned(63 - std::countl_zero(diff)) / bits;
  if (level >= levels) level = levels - 1;
  unsigned s = digit(e->expiry, level);
  timer_entry*& head = wheel_[level][s];
  e->prev = nullptr;
  e->next = head;
  if (head) head->prev = e;
  head = e;
  occupied_[level] |= std::uint64_t{1} << s;
}

void timer_wheel::insert(timer_entry* e) noexcept {
  if (e->expiry <= current_) e->expiry = current_ + 1;
  e->armed = true;
  e->fired = false;
  place(e);
  ++size_;
}

void timer_wheel::remove(timer_entry* e) noexcept {
  if (!e->armed) return;
  std::uint64_t diff = e->expiry ^ current_;
  unsigned level = diff == 0 ? 0 : unsigned(63 - std::countl_zero(diff)) / bits;
  if (level >= levels) level = levels - 1;
  unsigned s = digit(e->expiry, level);
  if (e->prev) {
    e->prev->next = e->next;
  } else {
    wheel_[level][s] = e->next;
  }
  if (e->next) e->next->prev = e->prev;
  if (!wheel_[level][s]) occupied_[level] &= ~(std::uint64_t{1} << s);
  e->prev = e->next = nullptr;
  e->armed = false;
  --size_;
}

void timer_wheel::cascade(unsigned level, unsigned s, std::vector<timer_entry*>& expired) {
  timer_entry* e = wheel_[level][s];
  wheel_[level][s] = nullptr;
  occupied_[level] &= ~(std::uint64_t{1} << s);
  while (e) {
    timer_entry* next = e->next;
    if (e->expiry <= current_) {
      e->armed = false;
      e->prev = e->next = nullptr;
      --size_;
      expired.push_back(e);
    } else {
      place(e);
    }
    e = next;
  }
}

void timer_wheel::advance(std::uint64_t to, std::vector<timer_entry*>& expired) {
  while (current_ < to) {
    if (size_ == 0) {
      current_ = to;
      return;
    }
    // Skip ticks where nothing can happen: with level 0 empty, nothing fires before the next
    // multiple of 64, where level 1 cascades.
    if (occupied_[0] == 0) {
      std::uint64_t boundary = (current_ | (slots - 1)) + 1;
      if (boundary > to) {
        current_ = to;
        return;
      }
      current_ = boundary - 1;
    }
    ++current_;
    // Cascade every level whose lower digits just wrapped, highest first.
    unsigned top = 0;
    for (unsigned l = 1; l < levels; ++l) {
      if (digit(current_, l - 1) != 0) break;
      top = l;
    }
    for (unsigned l = top; l >= 1; --l) cascade(l, digit(current_, l), expired);
    cascade(0, digit(current_, 0), expired);
  }
}

std::optional<std::uint64_t> timer_wheel::next_event() const noexcept {
  if (size_ == 0) return std::nullopt;
  for (unsigned l = 0; l < levels; ++l) {
    if (occupied_[l] == 0) continue;
    // Slots at this level hold digits above the current one; the lowest set bit comes first.
    unsigned s = unsigned(std::countr_zero(occupied_[l]));
    unsigned shift = l * bits;
    std::uint64_t above = shift + bits >= 64 ? 0 : (current_ >> (shift + bits)) << (shift + bits);
    std::uint64_t at = above | (std::uint64_t(s) << shift);
    if (at <= current_) at = current_ + 1;
    return at;
  }
  return std::nullopt;
}

void timer_wheel::drain(std::vector<timer_entry*>& out) {
  for (unsigned l = 0; l < levels; ++l) {
    for (unsigned s = 0; s < slots; ++s) {
      timer_entry* e = wheel_[l][s];
      while (e) {
        timer_entry* next = e->next;
        e->armed = false;
        e->prev = e->next = nullptr;
        out.push_back(e);
        e = next;
      }
      wheel_[l][s] = nullptr;
    }
    occupied_[l] = 0;
  }
  size_ = 0;
}

}  // namespace otpp::detail
