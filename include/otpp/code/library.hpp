// The library functions written in Elixir (src/code/lib/*.ex, embedded in the library): a
// node loads a module's source the first time a call to that module misses the export table,
// as BEAM's code server loads a module on an undefined call, so node start stays fast.
//
//   otpp::code::install_library(node.services());
//   // Map.new(1..3, &{&1, &1}) now loads Map's source part once, then runs it.
#pragma once

#include <cstddef>

#include "otpp/otp/services.hpp"

namespace otpp::code {

/// Makes the node's export table load a library module's source on its first missed call.
/// code::install(node) does this.
void install_library(otp::node_services& services);

/// How many library sources the node has loaded so far (each at most once).
[[nodiscard]] std::size_t library_loads(otp::node_services& services);

}  // namespace otpp::code
