// Enum's functions over enumerables only Enumerable.reduce/3 can read (a %Stream{}, a
// two-argument fun): each C++ entry of Enum hands such an argument to Enum.Lazy
// (src/code/lib/Enum.Lazy.ex), which reads it only as far as the function needs; where Enum.Lazy
// has no such function, the stream is read whole into a list and the C++ function runs on that.
#include "code/modules/support.hpp"
#include "otpp/code/fun_call.hpp"

namespace otpp::code::lib {

namespace {

const atom a_stream("Elixir.Stream");
const atom a_enum("Elixir.Enum");
const atom a_lazy("Elixir.Enum.Lazy");
const atom a_to_list("to_list");

// The functions whose second argument is an enumerable too.
bool second_is_enumerable(atom function, std::size_t arity) {
  return arity == 2 && (function.name() == "zip" || function.name() == "concat");
}

task<term> run_lazily(process& self, export_table::function_fn eager, atom function, std::vector<term> args) {
  if (exports_of(self).find(a_lazy, function, args.size())) co_return co_await call_export(self, a_lazy, function, std::move(args));
  for (std::size_t i = 0; i < args.size() && i < 2; ++i)
    if ((i == 0 || second_is_enumerable(function, args.size())) && is_lazy(args[i]))
      args[i] = co_await lazy_to_list(self, std::move(args[i]));
  co_return co_await eager(self, std::move(args));
}

// Enum.concat/1 of a list holding streams: each stream read into a list first.
task<term> concat_lazily(process& self, export_table::function_fn eager, std::vector<term> args) {
  std::vector<term> parts;
  enumerable given(args[0]);
  for (const term& part : given.items()) {
    if (!is_lazy(part)) {
      parts.push_back(part);
      continue;
    }
    term read = co_await lazy_to_list(self, part);
    parts.push_back(std::move(read));
  }
  args[0] = term::list(std::move(parts));
  co_return co_await eager(self, std::move(args));
}

}  // namespace

bool is_lazy(const term& t) {
  if (t.is_fun()) return t.fun_content().arity == 2;
  if (!t.is_map()) return false;
  const term* s = field(t, a::struct_);
  return s && s->is_atom(a_stream);
}

task<term> lazy_to_list(process& self, term enumerable) {
  std::vector<term> args;
  args.push_back(std::move(enumerable));
  co_return co_await call_export(self, a_lazy, a_to_list, std::move(args));
}

void read_streams_lazily(export_table& x) {
  for (auto& e : x.entries()) {
    if (e.module != a_enum) continue;
    auto* eager = std::get_if<export_table::function_fn>(&e.fn);
    if (!eager || e.arity < 1) continue;
    const bool concat = e.function.name() == "concat" && e.arity == 1;
    // Not a coroutine: a list or range goes straight to the C++ function's own task.
    e.fn = export_table::function_fn(
        [eager = *eager, function = e.function, concat](process& self, std::vector<term> args) -> task<term> {
          if (concat) {
            if (args[0].is_list())
              for (const term& part : args[0].list_elements())
                if (is_lazy(part)) return concat_lazily(self, eager, std::move(args));
            return eager(self, std::move(args));
          }
          if (is_lazy(args[0]) || (second_is_enumerable(function, args.size()) && is_lazy(args[1])))
            return run_lazily(self, eager, function, std::move(args));
          return eager(self, std::move(args));
        });
    x.add_entries({std::move(e)});
  }
}

}  // namespace otpp::code::lib
