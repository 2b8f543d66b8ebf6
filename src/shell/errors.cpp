// iex's wording for exceptions and exit reasons (Exception.normalize/format_banner/format_exit
// of Elixir 1.14), so an error in the otpp shell reads as it does in iex.
#include "otpp/shell/errors.hpp"

namespace otpp::shell {
namespace {

const term* map_get(const term& m, std::string_view key) {
  if (!m.is_map()) return nullptr;
  return m.map_find(term(atom(key)));
}

std::string ordinal(int n) {
  const int mod100 = n % 100;
  const char* suffix = "th";
  if (mod100 < 11 || mod100 > 13) {
    switch (n % 10) {
      case 1:
        suffix = "st";
        break;
      case 2:
        suffix = "nd";
        break;
      case 3:
        suffix = "rd";
        break;
      default:
        break;
    }
  }
  return std::to_string(n) + suffix;
}

std::string module_text(atom m, const format_context& ctx) {
  return format_atom(m, ctx.print.syntax);
}

bool is_operator_name(std::string_view f) {
  return f == "+" || f == "-" || f == "*" || f == "/" || f == "div" || f == "rem" || f == "band" ||
         f == "bor" || f == "bxor" || f == "bsl" || f == "bsr";
}

// Name and message of an error reason (Exception.normalize/3).
std::pair<std::string, std::string> normalize(
    const term& reason, const std::vector<stack_frame>& stack,
    const std::vector<std::pair<int, std::string>>& arg_errors, const format_context& ctx) {
  if (reason.is_map()) {
    const term* ex = map_get(reason, "__exception__");
    const term* st = map_get(reason, "__struct__");
    if (ex && ex->is_atom(atoms::true_) && st && st->is_atom()) {
      std::string name = format_atom(st->atom_value(), syntax::elixir);
      std::string message;
      if (const term* m = map_get(reason, "message"); m && m->is_binary()) {
        message = std::string(m->bytes_as_string());
      }
      return {name, message};
    }
  }
  if (reason.is_atom(atoms::badarg)) {
    if (arg_errors.empty()) return {"ArgumentError", "argument error"};
    std::string msg = "errors were found at the given arguments:\n\n";
    for (const auto& [n, why] : arg_errors) msg += "  * " + ordinal(n) + " argument: " + why + "\n";
    return {"ArgumentError", msg};
  }
  if (reason.is_atom(atom("badarith"))) {
    std::string msg = "bad argument in arithmetic expression";
    if (!stack.empty() && stack[0].args && stack[0].args->size() == 2 &&
        is_operator_name(stack[0].function.name())) {
      const auto& a = *stack[0].args;
      msg += ": " + inspect(a[0], ctx) + " " + std::string(stack[0].function.name()) + " " +
             inspect(a[1], ctx);
    } else if (!stack.empty() && stack[0].args && stack[0].args->size() == 1 &&
               (stack[0].function.name() == "-" || stack[0].function.name() == "+")) {
      msg += ": " + std::string(stack[0].function.name()) + inspect((*stack[0].args)[0], ctx);
    }
    return {"ArithmeticError", msg};
  }
  if (reason.is_atom(atoms::system_limit))
    return {"SystemLimitError", "a system limit has been reached"};
  if (reason.is_atom(atom("cond_clause")))
    return {"CondClauseError", "no cond clause evaluated to a truthy value"};
  if (reason.is_atom(atom("function_clause")) && !stack.empty()) {
    const stack_frame& f = stack[0];
    const std::size_t arity = f.args ? f.args->size() : f.arity;
    return {"FunctionClauseError", "no function clause matching in " + module_text(f.module, ctx) +
                                       "." + std::string(f.function.name()) + "/" +
                                       std::to_string(arity)};
  }
  if (reason.is_atom(atoms::undef) && !stack.empty()) {
    const stack_frame& f = stack[0];
    const std::size_t arity = f.args ? f.args->size() : f.arity;
    std::string msg = "function " + module_text(f.module, ctx) + "." +
                      format_atom(f.function, syntax::elixir).substr(1) + "/" +
                      std::to_string(arity) + " is undefined";
    const bool exists = ctx.module_exists && ctx.module_exists(f.module);
    msg += exists ? " or private" : " (module " + module_text(f.module, ctx) + " is not available)";
    return {"UndefinedFunctionError", msg};
  }
  if (reason.is_tuple() && reason.tuple_size() == 2 && reason[0].is_atom()) {
    const std::string_view tag = reason[0].atom_value().name();
    if (tag == "badmatch")
      return {"MatchError", "no match of right hand side value: " + inspect(reason[1], ctx)};
    if (tag == "case_clause")
      return {"CaseClauseError", "no case clause matching: " + inspect(reason[1], ctx)};
    if (tag == "try_clause")
      return {"TryClauseError", "no try clause matching: " + inspect(reason[1], ctx)};
    if (tag == "badmap") return {"BadMapError", "expected a map, got: " + inspect(reason[1], ctx)};
    if (tag == "badfun")
      return {"BadFunctionError", "expected a function, got: " + inspect(reason[1], ctx)};
    if (tag == "badkey") return {"KeyError", "key " + inspect(reason[1], ctx) + " not found"};
  }
  if (reason.is_tuple() && reason.tuple_size() == 3 && reason[0].is_atom(atom("badkey"))) {
    return {"KeyError",
            "key " + inspect(reason[1], ctx) + " not found in: " + inspect(reason[2], ctx)};
  }
  return {"ErlangError", "Erlang error: " + inspect(reason, ctx)};
}

std::string indent(std::string_view text, std::string_view by) {
  std::string out;
  bool at_line_start = true;
  for (char c : text) {
    if (at_line_start && c != '\n') out += by;
    out += c;
    at_line_start = c == '\n';
  }
  return out;
}

}  // namespace

term elixir_exception(std::string_view name, std::string_view message) {
  return term::map({{term(atom("__struct__")), term(atom("Elixir." + std::string(name)))},
                    {term(atom("__exception__")), term(atoms::true_)},
                    {term(atom("message")), term::binary(message)}});
}

shell_exception raise(std::string_view name, std::string_view message,
                      std::vector<stack_frame> stack) {
  return shell_exception(error_class::error, elixir_exception(name, message), std::move(stack));
}

shell_exception badarg(atom module, atom function, std::vector<term> args, int which,
                       std::string why) {
  const std::size_t arity = args.size();
  shell_exception e(error_class::error, term(atoms::badarg),
                    {stack_frame{module, function, std::move(args), arity}});
  e.with_argument_error(which, std::move(why));
  return e;
}

std::string inspect(const term& t, const format_context& ctx) {
  // Elixir prints exception structs as %Name{...}; the printer knows maps only, so show the
  // exception the way users meet it most: by its message.
  return to_string(t, ctx.print);
}

std::string format_frame(const stack_frame& f, const format_context& ctx) {
  std::string out = module_text(f.module, ctx) + ".";
  std::string fun = format_atom(f.function, syntax::elixir).substr(1);  // drop ':'
  out += fun;
  if (f.args) {
    out += "(";
    for (std::size_t i = 0; i < f.args->size(); ++i) {
      if (i) out += ", ";
      out += inspect((*f.args)[i], ctx);
    }
    out += ")";
  } else {
    out += "/" + std::to_string(f.arity);
  }
  return out;
}

std::string format_banner(error_class cls, const term& reason,
                          const std::vector<stack_frame>& stack,
                          const std::vector<std::pair<int, std::string>>& arg_errors,
                          const format_context& ctx) {
  switch (cls) {
    case error_class::error: {
      auto [name, message] = normalize(reason, stack, arg_errors, ctx);
      return "** (" + name + ") " + message;
    }
    case error_class::exit:
      return "** (exit) " + format_exit(reason, ctx);
    case error_class::throw_:
      return "** (throw) " + inspect(reason, ctx);
  }
  return {};
}

std::string format_exception(error_class cls, const term& reason,
                             const std::vector<stack_frame>& stack,
                             const std::vector<std::pair<int, std::string>>& arg_errors,
                             const format_context& ctx) {
  std::string out = format_banner(cls, reason, stack, arg_errors, ctx) + "\n";
  if (stack.empty()) return out + "\n";
  for (const stack_frame& f : stack) out += "    " + format_frame(f, ctx) + "\n";
  return out;
}

std::string format_exception(const shell_exception& e, const format_context& ctx) {
  return format_exception(e.cls(), e.reason(), e.stack(), e.argument_errors(), ctx);
}

std::optional<std::vector<stack_frame>> stack_from_term(const term& t) {
  if (!t.is_list() || !t.is_proper_list()) return std::nullopt;
  std::vector<stack_frame> out;
  for (const term& f : t.list_elements()) {
    if (!f.is_tuple() || (f.tuple_size() != 4 && f.tuple_size() != 3)) return std::nullopt;
    if (!f[0].is_atom() || !f[1].is_atom()) return std::nullopt;
    stack_frame frame;
    frame.module = f[0].atom_value();
    frame.function = f[1].atom_value();
    if (f[2].is_list() && f[2].is_proper_list()) {
      frame.args = std::vector<term>(f[2].list_elements().begin(), f[2].list_elements().end());
      frame.arity = frame.args->size();
    } else if (auto a = f[2].to_int64(); a && *a >= 0) {
      frame.arity = static_cast<std::size_t>(*a);
    } else {
      return std::nullopt;
    }
    out.push_back(std::move(frame));
  }
  return out;
}

std::string format_exit(const term& reason, const format_context& ctx) {
  if (reason.is_atom()) {
    const std::string_view r = reason.atom_value().name();
    if (r == "normal" || r == "shutdown" || r == "killed") return std::string(r);
    if (r == "noconnection") return "no connection";
    if (r == "timeout") return "time out";
    if (r == "calling_self") return "process attempted to call itself";
    if (r == "noproc") {
      return "no process: the process is not alive or there's no process currently associated with "
             "the "
             "given name, possibly because its application isn't started";
    }
  }
  if (reason.is_tuple() && reason.tuple_size() == 2) {
    if (reason[0].is_atom(atoms::shutdown)) return "shutdown: " + inspect(reason[1], ctx);
    if (reason[0].is_atom(atoms::nodedown) && reason[1].is_atom()) {
      return "no connection to " + std::string(reason[1].atom_value().name());
    }
    // {Reason, Stacktrace}: a process that crashed with an exception.
    if (auto stack = stack_from_term(reason[1]); stack && !reason[1].is_nil()) {
      std::string banner = format_banner(error_class::error, reason[0], *stack, {}, ctx);
      std::string out = "an exception was raised:\n" + indent(banner, "    ");
      for (const stack_frame& f : *stack) out += "\n        " + format_frame(f, ctx);
      return out;
    }
  }
  return inspect(reason, ctx);
}

std::string format_shell_exit(const pid& shell, const term& reason, const format_context& ctx) {
  return "** (EXIT from " + inspect(term(shell), ctx) +
         ") shell process exited with reason: " + format_exit(reason, ctx);
}

}  // namespace otpp::shell
