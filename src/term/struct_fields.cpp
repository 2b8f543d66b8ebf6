// The table of Elixir struct field orders: Elixir 1.14's own exceptions and structs, and those
// defined on this node.
#include "otpp/term/struct_fields.hpp"

#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace otpp {

namespace {

struct table {
  std::shared_mutex mu;
  std::unordered_map<atom, std::vector<atom>> fields;

  table() {
    // Elixir 1.14's `Module.__info__(:struct)` field order of its own exceptions and structs.
    const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> known = {
        {"ArgumentError", {"__exception__", "message"}},
        {"ArithmeticError", {"__exception__", "message"}},
        {"BadArityError", {"__exception__", "function", "args"}},
        {"BadBooleanError", {"__exception__", "term", "operator"}},
        {"BadFunctionError", {"__exception__", "term"}},
        {"BadMapError", {"__exception__", "term"}},
        {"BadStructError", {"__exception__", "struct", "term"}},
        {"CaseClauseError", {"__exception__", "term"}},
        {"CondClauseError", {"__exception__"}},
        {"Enum.EmptyError", {"__exception__", "message"}},
        {"Enum.OutOfBoundsError", {"__exception__", "message"}},
        {"ErlangError", {"__exception__", "original", "reason"}},
        {"FunctionClauseError", {"__exception__", "module", "function", "arity", "kind", "args", "clauses"}},
        {"KeyError", {"__exception__", "key", "term", "message"}},
        {"MatchError", {"__exception__", "term"}},
        {"Protocol.UndefinedError", {"__exception__", "protocol", "value", "description"}},
        {"RuntimeError", {"__exception__", "message"}},
        {"SystemLimitError", {"__exception__", "message"}},
        {"TryClauseError", {"__exception__", "term"}},
        {"UndefinedFunctionError", {"__exception__", "module", "function", "arity", "reason", "message"}},
        {"WithClauseError", {"__exception__", "term"}},
        {"UnicodeConversionError", {"__exception__", "encoded", "message"}},
        {"File.Error", {"__exception__", "reason", "path", "action"}},
        {"Range", {"first", "last", "step"}},
        {"MapSet", {"map", "version"}},
        {"Date", {"year", "month", "day", "calendar"}},
        {"Time", {"hour", "minute", "second", "microsecond", "calendar"}},
        {"NaiveDateTime", {"year", "month", "day", "hour", "minute", "second", "microsecond", "calendar"}},
        {"URI", {"scheme", "authority", "userinfo", "host", "port", "path", "query", "fragment"}},
        {"Version", {"major", "minor", "patch", "pre", "build"}},
        {"Task", {"mfa", "owner", "pid", "ref"}},
    };
    for (const auto& [name, names] : known) {
      std::vector<atom> v;
      for (auto n : names) v.emplace_back(n);
      fields.emplace(atom("Elixir." + std::string(name)), std::move(v));
    }
  }
};

table& the_table() {
  static table t;
  return t;
}

}  // namespace

void set_struct_fields(atom module, std::vector<atom> fields) {
  auto& t = the_table();
  std::unique_lock lock(t.mu);
  t.fields[module] = std::move(fields);
}

std::optional<std::vector<atom>> struct_fields(atom module) {
  auto& t = the_table();
  std::shared_lock lock(t.mu);
  auto it = t.fields.find(module);
  if (it == t.fields.end()) return std::nullopt;
  return it->second;
}

}  // namespace otpp
