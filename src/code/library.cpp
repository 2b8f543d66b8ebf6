// Loading the Elixir-source part of a library module on its first missed call, once per node.
#include "otpp/code/library.hpp"

#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "code/library_sources.hpp"
#include "otpp/code/module_loader.hpp"
#include "otpp/term/print.hpp"

namespace otpp::code {

namespace {

// One node's loads. The mutex is recursive: loading a module may look up (and so miss) the
// same module on the same thread, which must answer "nothing more", not wait for itself.
struct library_state {
  std::recursive_mutex mu;
  std::set<std::uint32_t> tried;  // modules whose source was loaded, or failed to load
  std::size_t loads = 0;
};

}  // namespace

void install_library(otp::node_services& services) {
  auto state = services.use_extension<library_state>();
  otp::node_services* node = &services;
  services.exports().set_autoload([state, node](atom module) {
    // Most misses are of modules with no source (a probe for erlang:f/n): answer without locking.
    std::string_view source;
    for (const auto& [name, text] : detail::library_sources())
      if (module.name() == name) source = text;
    if (source.empty()) return false;
    std::lock_guard lock(state->mu);
    if (!state->tried.insert(module.index()).second) return false;
    auto loaded = extend_module_from_elixir(*node, source);
    if (!loaded) {
      // An embedded source that does not load is a fault of this build: say which and why.
      std::fprintf(stderr, "otpp: library module %s did not load: %s\n", std::string(module.name()).c_str(),
                   to_string(loaded.error()).c_str());
      return false;
    }
    ++state->loads;
    return true;
  });
}

std::size_t library_loads(otp::node_services& services) {
  auto state = services.find_extension<library_state>();
  if (!state) return 0;
  std::lock_guard lock(state->mu);
  return state->loads;
}

}  // namespace otpp::code
