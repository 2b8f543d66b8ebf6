// libFuzzer target for the External Term Format decoder: any input must give a term or an
// error, never a crash, a sanitizer report or a runaway allocation; a decoded term must
// re-encode to bytes that decode to an exactly equal term.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "otpp/term/etf.hpp"
#include "otpp/term/term.hpp"

namespace {

void check_round_trip(const otpp::term& t) {
  if (otpp::compare(t, t) != 0 || !otpp::exact_equal(t, t)) std::abort();
  (void)t.hash();
  std::vector<std::uint8_t> bytes = otpp::etf::encode(t);
  if (bytes.size() != otpp::etf::encoded_size(t)) std::abort();
  auto again = otpp::etf::decode(bytes);
  if (!again.ok() || !otpp::exact_equal(*again, t) || again->hash() != t.hash()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  otpp::etf::decode_options options;
  options.max_uncompressed_size = std::size_t{16} << 20;  // keep the fuzzer's RSS bounded
  if (auto r = otpp::etf::decode(input, options); r.ok()) check_round_trip(*r);

  // The dist layer's entry: no version byte, atom cache references allowed.
  static const otpp::atom cache[] = {otpp::atom("cached_a"), otpp::atom("cached_b"), otpp::atom("cached_c")};
  options.atom_cache = cache;
  if (auto r = otpp::etf::decode_body(input, options); r.ok()) {
    if (r->consumed == 0 || r->consumed > size) std::abort();
    check_round_trip(r->value);
  }
  return 0;
}
