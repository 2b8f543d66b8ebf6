// The library modules interpreted code calls — erlang's BIFs beyond the evaluator's core,
// lists, maps, io, io_lib, string, math, timer, and Elixir's Kernel, IO, Enum, String, Map,
// List, Integer, Process and Node — as entries of a node's export table, so they answer a
// local call from interpreted code and an `rpc:call` from another node alike.
//
//   auto kate = otpp::otp::node::start({.dist = {.name = "kate@localhost"}});
//   otpp::code::add_stdlib(kate->exports());
#pragma once

#include "otpp/otp/exports.hpp"

namespace otpp::code {

/// Registers every stdlib module function in `exports`. Entries of the same name and arity
/// already there are replaced; the built-ins otp::add_builtins registers are left to it.
void add_stdlib(export_table& exports);

}  // namespace otpp::code
