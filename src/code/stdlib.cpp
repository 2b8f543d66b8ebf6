// Registers the library modules interpreted code calls (src/code/modules/) in an export table.
#include "otpp/code/stdlib.hpp"

#include "code/modules/support.hpp"
#include "otpp/otp/introspection.hpp"

namespace otpp::code {

void add_stdlib(export_table& exports) {
  // The BIFs BEAM tools call over rpc (nodes/1, process_info/1,2, registered/0, ...) are the
  // otp layer's; the library builds on them (Node.list/1 is erlang:nodes/1).
  otp::add_introspection(exports);
  lib::add_erlang(exports);
  lib::add_lists(exports);
  lib::add_maps(exports);
  lib::add_text(exports);
  lib::add_enum(exports);
  lib::read_streams_lazily(exports);
  lib::add_elixir(exports);
  lib::add_kernel_bifs(exports);
  lib::add_elixir_data(exports);
  lib::add_distribution(exports);
  lib::add_system(exports);
  lib::add_re(exports);
  lib::route_regex_patterns(exports);
}

}  // namespace otpp::code
