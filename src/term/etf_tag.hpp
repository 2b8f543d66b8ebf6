// Pieces of the External Term Format codec shared by the encoder and the decoder (private to
// the term layer).
#pragma once

#include <cstdint>

#include "otpp/term/etf.hpp"

namespace otpp::etf {

constexpr std::uint8_t tag_byte(tag t) noexcept { return static_cast<std::uint8_t>(t); }

}  // namespace otpp::etf
