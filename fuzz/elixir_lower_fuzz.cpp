// libFuzzer target for the Elixir front end (the shell reads untrusted text): any input must
// lower, be incomplete or be an error, never crash or trip a sanitizer; lowered forms must
// survive the term codec, and a second input must lower against the scope the first left.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "otpp/code/elixir.hpp"
#include "otpp/term/etf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  otpp::code::elixir_options options;
  options.is_local = [](std::string_view name, std::size_t) { return name == "flush" || name == "h"; };
  options.takes_source = [](std::string_view name, std::size_t) { return name == "h"; };
  auto out = otpp::code::lower_elixir(text, {}, options);
  auto* lowered = std::get_if<otpp::code::elixir_lowered>(&out);
  if (!lowered) return 0;
  if (!lowered->exprs.is_proper_list()) std::abort();
  auto again = otpp::etf::decode(otpp::etf::encode(lowered->exprs));
  if (!again.ok() || !otpp::exact_equal(*again, lowered->exprs)) std::abort();
  // The same text once more, with every variable it bound still in scope.
  (void)otpp::code::lower_elixir(text, lowered->scope, options);
  return 0;
}
