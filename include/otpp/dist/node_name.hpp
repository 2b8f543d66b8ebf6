// Node names (`kate@localhost`, `kate@host.example`) and the magic cookie, chosen the way
// `erl -sname`/`-name` and `~/.erlang.cookie` choose them.
#pragma once

#include <string>
#include <string_view>

#include "otpp/dist/result.hpp"

namespace otpp::dist {

/// Short names (`--sname`, host without dots) or long names (`--name`, fully qualified host).
enum class name_kind { short_names, long_names };

/// A node name split at its `@`.
struct node_name {
  std::string alive;  ///< the part before `@`, registered with EPMD
  std::string host;   ///< the part after `@`, used to reach the node
  [[nodiscard]] std::string full() const { return alive + "@" + host; }
  friend bool operator==(const node_name&, const node_name&) = default;
};

/// Parses `name` or `name@host`. A bare name takes this machine's host name, short or fully
/// qualified as `kind` says; a long name whose host has no dot is refused unless the host
/// is `localhost` or an address, as erl refuses it. The alive part may hold letters,
/// digits, `_` and `-`.
[[nodiscard]] result<node_name> make_node_name(std::string_view text, name_kind kind);

/// Splits a full node name (`alive@host`) as it appears on the wire; fails without an `@`.
[[nodiscard]] result<node_name> split_node_name(std::string_view full);

/// This machine's host name: up to the first dot for short names, the fully qualified name
/// for long names (empty when none is known).
[[nodiscard]] std::string local_host_name(name_kind kind);

/// The cookie erl would use without `-setcookie`: the first line of `$HOME/.erlang.cookie`,
/// creating that file with 20 random upper-case letters and mode 0400 when it is missing.
[[nodiscard]] result<std::string> default_cookie();

/// Same, with an explicit file path (for tests).
[[nodiscard]] result<std::string> read_or_create_cookie(const std::string& path);

}  // namespace otpp::dist
