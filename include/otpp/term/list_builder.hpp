// Builds a list element by element in the list's own storage, without a vector to copy from.
//
//   otpp::list_builder b(n);          // room for n elements (a hint: it grows past it)
//   for (...) b.push_back(term(x));
//   otpp::term l = b.finish();        // [x1, ..., xn]; finish(tail) for [x1, ... | tail]
#pragma once

#include <cstddef>
#include <new>
#include <utility>

#include "otpp/term/term.hpp"

namespace otpp {

/// One list under construction; owner only (not thread-safe), single use until finish().
class list_builder {
 public:
  list_builder() noexcept = default;
  explicit list_builder(std::size_t capacity) { reserve(capacity); }
  list_builder(const list_builder&) = delete;
  list_builder& operator=(const list_builder&) = delete;
  ~list_builder();

  /// Room for `n` elements in all (no effect when there is that much already).
  void reserve(std::size_t n);
  void push_back(term t) {
    if (size_ == capacity_) grow();
    new (cells_ + size_) term(std::move(t));
    ++size_;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// The pushed elements followed by `tail` (a tail that is a non-empty list has its elements
  /// appended, as term::list does); `tail` itself when nothing was pushed. The builder is
  /// empty afterwards.
  [[nodiscard]] term finish(term tail = term());

 private:
  void grow();

  detail::refcounted* object_ = nullptr;  ///< the list object being filled (size 0 until finish)
  term* cells_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace otpp
