// Shared pieces of the runtime tests: a deterministic runtime with a test process, and small
// process functions the tests combine.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "otpp/runtime/runtime.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/print.hpp"

namespace otpp::test {

using namespace std::chrono_literals;

inline runtime_options deterministic() {
  runtime_options o;
  o.deterministic = true;
  return o;
}

inline runtime_options threaded(unsigned workers = 2) {
  runtime_options o;
  o.workers = workers;
  return o;
}

inline const atom stop{"stop"};
inline const atom ping{"ping"};
inline const atom pong{"pong"};
inline const atom hello{"hello"};
inline const atom go{"go"};

/// A deterministic runtime and a scoped process `me` (destroyed first).
struct det {
  runtime rt{deterministic()};
  scoped_process me{rt};
};

/// Waits in receive until told `stop` (or exits with any `{exit, Reason}` it is sent).
inline process_task idle(process& self) {
  for (;;) {
    bool more = co_await self.receive(on(stop) >> [] { return false; },
                                      on(atoms::exit, _) >> [&](term reason) {
                                        self.exit(reason);
                                        return false;
                                      });
    if (!more) co_return;
  }
}

/// Sends everything it receives to `to`, wrapped as {relayed, Msg}.
inline const atom relayed{"relayed"};
inline process_task relay(process& self, pid to) {
  for (;;) {
    term m = co_await self.receive();
    self.send(to, tuple_of(relayed, m));
  }
}

/// Ends at once with `reason`.
inline process_task exit_with(process& self, term reason) {
  self.exit(reason);
  co_return;
}

/// The text of a term, for readable assertions.
inline std::string str(const term& t) { return to_string(t); }
inline std::string str(const std::optional<term>& t) { return t ? to_string(*t) : std::string("timeout"); }

}  // namespace otpp::test
