// UTF-8 text and Erlang character data, converted both ways.
#include "otpp/term/unicode.hpp"

namespace otpp::unicode {
namespace {

// Nested lists deeper than this are refused rather than risk the stack.
constexpr int max_chardata_depth = 10000;

bool collect(const term& t, encoding in, std::u32string& out, int depth) {
  if (depth > max_chardata_depth) return false;
  if (t.is_binary()) {
    if (in == encoding::latin1) {
      for (auto b : t.bytes()) out.push_back(b);
      return true;
    }
    const std::string_view text = t.bytes_as_string();
    std::size_t pos = 0;
    char32_t c;
    while (pos < text.size()) {
      if (!next_utf8(text, pos, c)) return false;
      out.push_back(c);
    }
    return true;
  }
  if (!t.is_list()) return false;
  for (const term& e : t.list_elements()) {
    if (e.is_small_integer()) {
      const auto v = e.small_integer();
      if (!is_scalar_value(v) || (in == encoding::latin1 && v > 255)) return false;
      out.push_back(static_cast<char32_t>(v));
    } else if (!collect(e, in, out, depth + 1)) {
      return false;
    }
  }
  const term& tail = t.list_tail();
  return tail.is_nil() || (tail.is_binary() && collect(tail, in, out, depth + 1));
}

}  // namespace

std::optional<std::u32string> from_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  char32_t c;
  while (pos < text.size()) {
    if (!next_utf8(text, pos, c)) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::string to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, is_scalar_value(c) ? c : U'\uFFFD');
  return out;
}

std::optional<std::u32string> characters_to_list(const term& data, encoding in) {
  std::u32string out;
  if (!collect(data, in, out, 0)) return std::nullopt;
  return out;
}

std::optional<std::string> characters_to_utf8(const term& data, encoding in) {
  // The common case, a UTF-8 binary (IO.puts), needs no decoding round trip.
  if (data.is_binary() && in == encoding::unicode) {
    const std::string_view text = data.bytes_as_string();
    std::size_t pos = 0;
    char32_t c;
    while (pos < text.size()) {
      if (!next_utf8(text, pos, c)) return std::nullopt;
    }
    return std::string(text);
  }
  auto l = characters_to_list(data, in);
  if (!l) return std::nullopt;
  return to_utf8(*l);
}

}  // namespace otpp::unicode
