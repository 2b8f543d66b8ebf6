// The field order of Elixir structs, which Elixir's inspect prints a struct's fields in (the
// order of its `defstruct`), kept where the printer finds it.
#pragma once

#include <optional>
#include <vector>

#include "otpp/term/atom.hpp"

namespace otpp {

/// Records that `module` (e.g. 'Elixir.User') defines a struct whose fields, in `defstruct`
/// order, are `fields` (without `__struct__`; an exception's `__exception__` first, as Elixir
/// lists it). A later call replaces an earlier one. Elixir's own exceptions and structs are
/// known from the start. Thread-safe.
void set_struct_fields(atom module, std::vector<atom> fields);

/// The fields of `module`'s struct in `defstruct` order, or nullopt when no struct of that
/// name is known (Elixir then prints such a map as a plain map). Thread-safe.
[[nodiscard]] std::optional<std::vector<atom>> struct_fields(atom module);

}  // namespace otpp
