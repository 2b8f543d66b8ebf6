// Elixir's System module as iex users call it: the environment, the clocks, the versions of
// Elixir and OTP this node stands in for, the OS process id and the schedulers.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "code/modules/support.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in unistd.h everywhere

namespace otpp::code::lib {

namespace {

std::string env_name(const term& t) {
  if (!t.is_binary()) function_clause();
  return std::string(t.bytes_as_string());
}

term env_value(const term& name) {
  const char* v = std::getenv(env_name(name).c_str());
  return v ? bin(v) : term(atoms::nil);
}

term cores() { return integer(static_cast<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()))); }

}  // namespace

void add_system(export_table& x) {
  const std::string_view S = "System";
  x.add_elixir(S, "get_env", [] {
    std::vector<std::pair<term, term>> vars;
    for (char** e = environ; e && *e; ++e) {
      const std::string_view kv(*e);
      const auto eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      vars.emplace_back(bin(kv.substr(0, eq)), bin(kv.substr(eq + 1)));
    }
    return term::map(std::move(vars));
  });
  x.add_elixir(S, "get_env", [](term name) { return env_value(name); });
  x.add_elixir(S, "get_env", [](term name, term dflt) {
    term v = env_value(name);
    return v.is_atom(atoms::nil) ? dflt : v;
  });
  x.add_elixir(S, "fetch_env", [](term name) {
    term v = env_value(name);
    return v.is_atom(atoms::nil) ? term(atoms::error) : tuple_of(atoms::ok, v);
  });
  x.add_elixir(S, "system_time", [] { return integer(since_epoch().count()); });
  x.add_elixir(S, "system_time", [](term unit) { return integer(time_in(since_epoch(), unit)); });
  x.add_elixir(S, "os_time", [] { return integer(since_epoch().count()); });
  x.add_elixir(S, "os_time", [](term unit) { return integer(time_in(since_epoch(), unit)); });
  x.add_elixir(S, "monotonic_time", [](process& self) -> task<term> { co_return integer(monotonic(self).count()); });
  x.add_elixir(S, "monotonic_time", [](process& self, term unit) -> task<term> {
    co_return integer(time_in(monotonic(self), unit));
  });
  x.add_elixir(S, "convert_time_unit", [](term t, term from, term to) {
    // Through nanoseconds, as exact as the units allow.
    const std::int64_t per_second_from = time_in(std::chrono::seconds(1), from);
    const std::int64_t n = small(t);
    const auto ns = static_cast<std::int64_t>(static_cast<long double>(n) * 1e9L / static_cast<long double>(per_second_from));
    return integer(time_in(std::chrono::nanoseconds(ns), to));
  });
  x.add_elixir(S, "version", [] { return bin("1.14.0"); });
  x.add_elixir(S, "otp_release", [] { return bin("25"); });
  x.add_elixir(S, "pid", [] { return bin(std::to_string(::getpid())); });
  x.add_elixir(S, "schedulers", [] { return cores(); });
  x.add_elixir(S, "schedulers_online", [] { return cores(); });
  x.add_elixir(S, "argv", [] { return term(); });
  x.add_elixir(S, "user_home", [] {
    const char* h = std::getenv("HOME");
    return h ? bin(h) : term(atoms::nil);
  });
  x.add_elixir(S, "tmp_dir", [] {
    for (const char* v : {"TMPDIR", "TEMP", "TMP"}) {
      if (const char* d = std::getenv(v); d && ::access(d, W_OK) == 0) return bin(d);
    }
    return ::access("/tmp", W_OK) == 0 ? bin("/tmp") : term(atoms::nil);
  });
  x.add_elixir(S, "unique_integer", [] {
    static std::atomic<std::int64_t> next{-576460752303423487};
    return integer(next.fetch_add(1));
  });
}

}  // namespace otpp::code::lib
