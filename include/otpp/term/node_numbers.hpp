// The numbers one node gives the nodes it meets, for printing pids, ports and references
// (`<101.88.0>`) and reading them back: a node's own table, never a process-wide one, so
// several nodes in one process each print as their own Erlang node would.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "otpp/term/atom.hpp"
#include "otpp/term/parse.hpp"
#include "otpp/term/print.hpp"

namespace otpp {

/// Numbers nodes in the order this node meets them: the local node is 0, peers get
/// `first_peer`, `first_peer + 1`, ... (Erlang's shell shows 100 and up for `#PID<100.88.0>`).
/// A peer seen again with a new creation keeps its number. Thread-safe.
class node_numbers {
 public:
  explicit node_numbers(atom local, std::uint32_t first_peer = 100)
      : local_(local), first_peer_(first_peer) {}

  /// The number of `node`, giving it the next one at first sight.
  [[nodiscard]] std::uint32_t number(atom node, std::uint32_t creation = 0);
  /// The node a number stands for; nullopt when no node has it yet.
  [[nodiscard]] std::optional<node_identity> resolve(std::uint32_t number) const;
  /// Renames the local node (a node that went distributed after it started).
  void set_local(atom local);

  /// A numbering for print_options / io_lib formatting that keeps `numbers` alive.
  [[nodiscard]] static node_numbering numbering(std::shared_ptr<node_numbers> numbers);

 private:
  struct entry {
    atom node;
    std::uint32_t creation;
  };
  mutable std::mutex mu_;
  atom local_;
  std::uint32_t first_peer_;
  std::vector<entry> peers_;
};

}  // namespace otpp
