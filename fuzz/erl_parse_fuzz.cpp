// libFuzzer target for the Erlang source parser (code/erl_parse): any text must give abstract
// format or an error, never a crash or a sanitizer report; what it gives must encode and
// decode back to an equal term (it is what travels inside funs).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "otpp/code/erl_parse.hpp"
#include "otpp/term/etf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto r : {otpp::code::parse_exprs(text), otpp::code::parse_form(text)}) {
    if (!r.ok()) {
      if (r.error.message.empty()) std::abort();
      continue;
    }
    if (!r.value->is_proper_list() && !r.value->is_tuple()) std::abort();
    auto again = otpp::etf::decode(otpp::etf::encode(*r.value));
    if (!again.ok() || !otpp::exact_equal(*again, *r.value)) std::abort();
  }
  // Where the first form ends (erl_call -e's text) lies inside the text.
  auto form = otpp::code::find_first_form(text);
  if (form.complete && form.end > size) std::abort();
  return 0;
}
