// A node's own numbering of the nodes it meets, for printing and reading pids.
#include "otpp/term/node_numbers.hpp"

namespace otpp {

std::uint32_t node_numbers::number(atom node, std::uint32_t creation) {
  std::lock_guard lock(mu_);
  if (node == local_) return 0;
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    if (peers_[i].node == node) {
      peers_[i].creation = creation;
      return first_peer_ + static_cast<std::uint32_t>(i);
    }
  }
  peers_.push_back({node, creation});
  return first_peer_ + static_cast<std::uint32_t>(peers_.size() - 1);
}

std::optional<node_identity> node_numbers::resolve(std::uint32_t number) const {
  std::lock_guard lock(mu_);
  if (number == 0) return node_identity{local_, 0};
  if (number < first_peer_ || number - first_peer_ >= peers_.size()) return std::nullopt;
  const entry& e = peers_[number - first_peer_];
  return node_identity{e.node, e.creation};
}

void node_numbers::set_local(atom local) {
  std::lock_guard lock(mu_);
  local_ = local;
}

node_numbering node_numbers::numbering(std::shared_ptr<node_numbers> numbers) {
  return [numbers = std::move(numbers)](atom node, std::uint32_t creation) {
    return numbers->number(node, creation);
  };
}

}  // namespace otpp
