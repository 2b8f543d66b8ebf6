// The Kernel functions Elixir's compiler inlines as BIFs (node/0, self/0, elem/2, ...), as
// functions of Kernel too, as BEAM has them: `apply(Kernel, :node, [])` and
// `:rpc.call(kate, Kernel, :self, [])` find them.
#include "code/core_bifs.hpp"
#include "code/modules/support.hpp"
#include "otpp/code/fun_call.hpp"

namespace otpp::code::lib {

namespace {

// Kernel's name, the erlang function it is, and its arity.
struct inlined {
  const char* name;
  const char* erlang;
  int arity;
};

constexpr inlined inlined_functions[] = {
    {"abs", "abs", 1},           {"apply", "apply", 2},          {"apply", "apply", 3},
    {"binary_part", "binary_part", 3}, {"bit_size", "bit_size", 1}, {"byte_size", "byte_size", 1},
    {"ceil", "ceil", 1},         {"div", "div", 2},              {"elem", "element", 2},
    {"exit", "exit", 1},         {"floor", "floor", 1},          {"hd", "hd", 1},
    {"is_atom", "is_atom", 1},   {"is_binary", "is_binary", 1},  {"is_bitstring", "is_bitstring", 1},
    {"is_boolean", "is_boolean", 1}, {"is_float", "is_float", 1}, {"is_function", "is_function", 1},
    {"is_function", "is_function", 2}, {"is_integer", "is_integer", 1}, {"is_list", "is_list", 1},
    {"is_map", "is_map", 1},     {"is_map_key", "is_map_key", 2}, {"is_number", "is_number", 1},
    {"is_pid", "is_pid", 1},     {"is_port", "is_port", 1},      {"is_reference", "is_reference", 1},
    {"is_tuple", "is_tuple", 1}, {"length", "length", 1},        {"make_ref", "make_ref", 0},
    {"map_size", "map_size", 1}, {"max", "max", 2},              {"min", "min", 2},
    {"node", "node", 0},         {"node", "node", 1},            {"put_elem", "setelement", 3},
    {"rem", "rem", 2},           {"round", "round", 1},          {"self", "self", 0},
    {"send", "send", 2},         {"spawn", "spawn", 1},          {"spawn", "spawn", 3},
    {"spawn_link", "spawn_link", 1}, {"spawn_link", "spawn_link", 3}, {"spawn_monitor", "spawn_monitor", 1},
    {"spawn_monitor", "spawn_monitor", 3}, {"throw", "throw", 1}, {"tl", "tl", 1},
    {"trunc", "trunc", 1},       {"tuple_size", "tuple_size", 1},
};

// Kernel's arguments in erlang's order: elem/2 and put_elem/3 count from 0 and take the tuple
// first; is_map_key/2 takes the map first.
std::vector<term> erlang_arguments(std::string_view name, std::vector<term> a) {
  if (name == "elem" || name == "put_elem") {
    std::swap(a[0], a[1]);
    if (a[0].is_integer()) a[0] = add(a[0], term(1));
  } else if (name == "is_map_key") {
    std::swap(a[0], a[1]);
  }
  return a;
}

}  // namespace

void add_kernel_bifs(export_table& x) {
  std::vector<export_table::entry> entries;
  for (const auto& f : inlined_functions) {
    const std::string_view name = f.name;
    const atom erlang_name(f.erlang);
    const auto arity = static_cast<std::size_t>(f.arity);
    const detail::bif_fn bif = detail::find_bif(erlang_name, arity).fn;
    const term target = term::export_fun(atoms::erlang, erlang_name, static_cast<std::uint32_t>(arity));
    entries.push_back({atom(export_table::elixir_module("Kernel")), atom(name), f.arity,
                       export_table::function_fn([name, bif, target](process& self, std::vector<term> a) -> task<term> {
                         std::vector<term> args = erlang_arguments(name, std::move(a));
                         if (bif) co_return bif(&self, args);
                         co_return co_await call_fun(self, target, std::move(args));
                       })});
  }
  x.add_entries(std::move(entries));
}

}  // namespace otpp::code::lib
