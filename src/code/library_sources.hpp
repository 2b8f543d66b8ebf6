// The embedded Elixir sources of the library modules (generated from src/code/lib/*.ex).
#pragma once

#include <span>
#include <string_view>
#include <utility>

namespace otpp::code::detail {

/// `{"Elixir.Map", "defmodule Map do ... end"}`, one per file of src/code/lib.
[[nodiscard]] std::span<const std::pair<std::string_view, std::string_view>> library_sources();

}  // namespace otpp::code::detail
