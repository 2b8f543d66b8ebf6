// Registers the library modules interpreted code calls (src/code/modules/) in an export table.
#include "otpp/code/stdlib.hpp"

#include "code/modules/support.hpp"

namespace otpp::code {

void add_stdlib(export_table& exports) {
  lib::add_erlang(exports);
  lib::add_lists(exports);
  lib::add_maps(exports);
  lib::add_text(exports);
  lib::add_enum(exports);
  lib::add_elixir(exports);
  lib::add_elixir_data(exports);
  lib::add_distribution(exports);
  lib::add_system(exports);
}

}  // namespace otpp::code
