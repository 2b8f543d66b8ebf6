// Explicit-stack traversal of terms, private to the term layer: what the algorithms on terms
// (compare, hash, encode, size) use once a term is nested deeper than a thread's stack allows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "term/heap.hpp"

namespace otpp::detail {

/// Nesting levels the term algorithms handle by plain recursion (fast, and a few hundred
/// frames fit any thread's stack, sanitizers included); deeper subterms continue on an
/// explicit stack on the heap, so depth is bounded by memory alone.
inline constexpr std::size_t recursion_limit = 128;

/// The direct subterms of a term: tuple elements; list elements, then the tail; map keys and
/// values alternately (k1, v1, k2, ...), in map key order or, given `map_order` (a map of over
/// 32 keys: the order BEAM's external format writes them in), in that order; a closure's free
/// variables. Nothing for every other term. Reads the term it was made from, which must
/// outlive it.
class child_cursor {
 public:
  child_cursor() noexcept = default;
  child_cursor(const term& t, std::vector<const std::pair<term, term>*> map_order) noexcept : child_cursor(t) {
    order_ = std::move(map_order);
  }
  explicit child_cursor(const term& t) noexcept {
    if (!heap_object::boxed(t)) return;
    switch (t.type()) {
      case term::kind::tuple: {
        const auto e = t.elements();
        first_ = e.data();
        count_ = e.size();
        break;
      }
      case term::kind::list: {
        const auto e = t.list_elements();
        first_ = e.data();
        count_ = e.size();
        tail_ = &t.list_tail();
        break;
      }
      case term::kind::map: {
        const auto e = t.map_entries();
        entries_ = e.data();
        count_ = 2 * e.size();
        break;
      }
      case term::kind::fun: {
        const auto& f = t.fun_content();
        if (!f.is_export) {
          first_ = f.free_vars.data();
          count_ = f.free_vars.size();
        }
        break;
      }
      default:
        break;
    }
  }

  /// The next subterm, or nullptr when there is none left.
  const term* next() noexcept {
    if (index_ < count_) {
      const std::size_t i = index_++;
      if (!order_.empty()) return (i & 1) ? &order_[i >> 1]->second : &order_[i >> 1]->first;
      if (entries_ != nullptr) return (i & 1) ? &entries_[i >> 1].second : &entries_[i >> 1].first;
      return first_ + i;
    }
    const term* t = tail_;
    tail_ = nullptr;
    return t;
  }

 private:
  const term* first_ = nullptr;
  const std::pair<term, term>* entries_ = nullptr;
  std::vector<const std::pair<term, term>*> order_;
  const term* tail_ = nullptr;
  std::size_t count_ = 0;
  std::size_t index_ = 0;
};

/// A stack that holds its first few entries in place and the rest on the heap, so the common
/// shallow case costs no allocation.
template <class T, std::size_t N = 16>
class work_stack {
 public:
  work_stack() = default;
  work_stack(const work_stack&) = delete;
  work_stack& operator=(const work_stack&) = delete;
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  T& back() noexcept { return base_[size_ - 1]; }
  void pop_back() noexcept { --size_; }
  void push_back(const T& v) {
    if (size_ == capacity_) [[unlikely]] grow();
    base_[size_++] = v;
  }

 private:
  void grow() {
    const std::size_t capacity = 2 * capacity_;
    auto bigger = std::make_unique<T[]>(capacity);
    std::move(base_, base_ + size_, bigger.get());
    heap_ = std::move(bigger);
    base_ = heap_.get();
    capacity_ = capacity;
  }
  T local_[N]{};
  T* base_ = local_;
  std::size_t size_ = 0;
  std::size_t capacity_ = N;
  std::unique_ptr<T[]> heap_;
};

}  // namespace otpp::detail
