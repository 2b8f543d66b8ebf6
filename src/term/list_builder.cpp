// The list builder: elements are moved straight into a list object's cells, which only become
// a term (with their count and tail) at finish().
#include "otpp/term/list_builder.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>

#include "term/heap.hpp"

namespace otpp {

using detail::list_object;

namespace {

list_object* new_list_object(std::size_t capacity) {
  if (capacity > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("list too long");
  // Size 0 until finish(): the cells hold nothing a destroyer would have to know about.
  return detail::alloc_object<list_object>(capacity * sizeof(term), 0u, term());
}

void free_list_object(list_object* l) noexcept {
  l->~list_object();
  ::operator delete(static_cast<void*>(l));
}

}  // namespace

list_builder::~list_builder() {
  if (object_ == nullptr) return;
  std::destroy_n(cells_, size_);
  free_list_object(static_cast<list_object*>(object_));
}

void list_builder::reserve(std::size_t n) {
  if (n <= capacity_) return;
  list_object* fresh = new_list_object(n);
  if (object_ != nullptr) {
    std::uninitialized_move_n(cells_, size_, fresh->data());
    std::destroy_n(cells_, size_);
    free_list_object(static_cast<list_object*>(object_));
  }
  object_ = fresh;
  cells_ = fresh->data();
  capacity_ = n;
}

void list_builder::grow() { reserve(std::max<std::size_t>(8, capacity_ * 2)); }

term list_builder::finish(term tail) {
  if (tail.type() == term::kind::list) {
    // [a, b | [c | d]] is [a, b, c | d].
    auto rest = tail.list_elements();
    reserve(size_ + rest.size());
    for (const term& x : rest) push_back(x);
    term inner = tail.list_tail();
    tail = std::move(inner);
  }
  if (size_ == 0) {
    if (object_ != nullptr) free_list_object(static_cast<list_object*>(object_));
    object_ = nullptr;
    cells_ = nullptr;
    capacity_ = 0;
    return tail;
  }
  auto* l = static_cast<list_object*>(object_);
  l->size = static_cast<std::uint32_t>(size_);
  l->tail = std::move(tail);
  object_ = nullptr;
  cells_ = nullptr;
  size_ = 0;
  capacity_ = 0;
  return detail::heap_object::adopt(term::kind::list, l);
}

}  // namespace otpp
