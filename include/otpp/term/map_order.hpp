// The order in which BEAM (OTP 25) walks a map's entries, so that printing and iterating a map
// on otpp lists its keys as an Erlang or Elixir node lists them.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "otpp/term/term.hpp"

namespace otpp {

/// Maps of at most this many keys are "flatmaps" in BEAM: their entries go in map key order.
/// Larger ones are hash-array mapped tries walked in the order of their keys' hashes.
inline constexpr std::size_t beam_flatmap_limit = 32;

/// erts's internal hash of a map key (OTP 25's `make_internal_hash(Key, Salt)`), whose nibbles,
/// lowest first, pick the key's branch at each level of the trie. Atoms hash their index in
/// this node's atom table, as BEAM hashes its own (so atom keys follow this node's order, not a
/// BEAM node's); pids, ports, references and funs hash otpp's own representation.
[[nodiscard]] std::uint32_t beam_map_key_hash(const term& key, std::uint32_t salt = 0);

/// `map`'s entries (precondition: is_map()) in the order `maps:fold/3`, `maps:iterator/1` and
/// erl's printer visit them: map key order up to 32 keys; above, the trie's depth-first order
/// (each level's branches by ascending hash nibble). The pointers point into `map`'s own
/// entries and live as long as it does.
[[nodiscard]] std::vector<const std::pair<term, term>*> map_fold_order(const term& map);

/// The same entries in `maps:to_list/1`'s order: map key order up to 32 keys, the reverse of
/// `map_fold_order` above.
[[nodiscard]] std::vector<const std::pair<term, term>*> map_to_list_order(const term& map);

}  // namespace otpp
