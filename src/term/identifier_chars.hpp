// Unicode identifier characters (UAX #31 ID_Start / ID_Continue, Unicode 14.0, the version
// Elixir 1.14 uses) for deciding which atoms Elixir prints without quotes and which bare words
// the Elixir lexer accepts.
#pragma once

namespace otpp::detail {

/// A character that may start an identifier (letters, letter numbers). ASCII included.
[[nodiscard]] bool is_id_start(char32_t c) noexcept;
/// A character that may continue an identifier (adds marks, digits, connectors).
[[nodiscard]] bool is_id_continue(char32_t c) noexcept;

}  // namespace otpp::detail
