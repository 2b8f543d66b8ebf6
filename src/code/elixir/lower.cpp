// Lowers the Elixir tree of ast.hpp to Erlang abstract format the way Elixir's own compiler
// does (elixir_expand, elixir_erl_pass, elixir_rewrite): Kernel's operators and inlined
// functions become `erlang` calls, control macros become `case`, variables get versioned
// names, `for` reduces through `Enum`, `rescue` normalizes through `Exception`.
// The parts: lower_expr.cpp (calls), lower_data.cpp, lower_patterns.cpp, lower_special.cpp,
// lower_module.cpp, lower_for.cpp; what they share is in lowerer.hpp.
#include "code/elixir/lowerer.hpp"

namespace otpp::code {

std::string elixir_error::describe(std::string_view file) const {
  if (kind == "ArgumentError") return "** (" + kind + ") " + message;
  std::string out = "** (" + kind + ") " + std::string(file) + ":" + std::to_string(line);
  if (column > 0) out += ":" + std::to_string(column);
  return out + ": " + message;
}

elixir_scope scope_after_failure(const elixir_scope& before, const elixir_scope& attempted) {
  elixir_scope out = before;
  out.counter = std::max(before.counter, attempted.counter);
  return out;
}

elixir_outcome lower_elixir(std::string_view source, const elixir_scope& scope, const elixir_options& options) {
  std::vector<elixir::ex_ptr> items;
  try {
    items = elixir::read(source, options.max_depth);
  } catch (const elixir::read_failure& f) {
    if (f.incomplete || f.offset >= source.size()) return elixir_incomplete{};
    auto at = elixir::locate(source, f.offset);
    at.line += options.first_line - 1;
    if (f.kind == "CompileError") return elixir_error{f.kind, at.line, 0, f.message};
    return elixir_error{f.kind, at.line, at.column, f.message};
  } catch (const std::exception&) {
    // An atom past the system limit (a name from the text longer than 255 characters).
    return elixir_error{"SystemLimitError", options.first_line, 0, "atom length must be less than system limit"};
  }
  try {
    elixir::lowerer l(source, scope, options);
    term exprs = l.program(items);
    return elixir_lowered{std::move(exprs), std::move(l.scope())};
  } catch (const elixir::compile_failure& f) {
    auto at = elixir::locate(source, f.offset);
    at.line += options.first_line - 1;
    return elixir_error{f.kind, at.line, 0, f.message};
  } catch (const std::exception&) {
    // An atom past the system limit (a name from the text longer than 255 characters).
    return elixir_error{"SystemLimitError", options.first_line, 0, "atom length must be less than system limit"};
  }
}

}  // namespace otpp::code
