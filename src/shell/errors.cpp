// iex's wording for exceptions and exit reasons (Exception.normalize/format_banner/format_exit
// of Elixir 1.14), so an error in the otpp shell reads as it does in iex.
#include "otpp/shell/errors.hpp"

#include <algorithm>

#include "otpp/otp/io_format.hpp"

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

// UndefinedFunctionError's hint for a module that exists (Elixir 1.14's did_you_mean/3): the
// functions of the same name, else those whose names are close (Jaro distance >= 0.77), at
// most five, by name.
std::string did_you_mean(atom function, std::vector<std::pair<atom, std::size_t>> exports) {
  struct candidate {
    double distance;
    std::string name;
    std::size_t arity;
  };
  std::sort(exports.begin(), exports.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.name(), a.second) < std::pair(b.first.name(), b.second);
  });
  std::vector<candidate> found;
  for (const auto& [name, arity] : exports) {
    if (name == function) found.push_back({1.0, std::string(name.name()), arity});
  }
  if (found.empty()) {
    for (const auto& [name, arity] : exports) {
      const double d = jaro_distance(function.name(), name.name());
      if (d >= 0.77) found.push_back({d, std::string(name.name()), arity});
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const candidate& a, const candidate& b) { return a.distance > b.distance; });
  if (found.size() > 5) found.resize(5);
  std::stable_sort(found.begin(), found.end(),
                   [](const candidate& a, const candidate& b) { return a.name < b.name; });
  if (found.empty()) return {};
  std::string out = ". Did you mean:\n\n";
  for (const candidate& c : found) {
    out += "      * " + format_atom(atom(c.name), syntax::elixir).substr(1) + "/" +
           std::to_string(c.arity) + "\n";
  }
  return out;
}

// The type Protocol.UndefinedError names for a value.
std::string elixir_type_name(const term& t) {
  if (t.is_atom()) return "Atom";
  if (t.is_integer()) return "Integer";
  if (t.is_float()) return "Float";
  if (t.is_binary() || t.is_bitstring()) return "BitString";
  if (t.is_list()) return "List";
  if (t.is_tuple()) return "Tuple";
  if (t.is_pid()) return "PID";
  if (t.is_port()) return "Port";
  if (t.is_reference()) return "Reference";
  if (t.is_fun()) return "Function";
  if (t.is_map()) {
    if (const term* st = map_get(t, "__struct__"); st && st->is_atom())
      return format_atom(st->atom_value(), syntax::elixir) + " (a struct)";
    return "Map";
  }
  return "Term";
}

// Name and message of an error reason (Exception.normalize/3; with `blame`, as
// Exception.blame/2 completes it for an error raised at the prompt).
std::pair<std::string, std::string> normalize(
    const term& reason, const std::vector<stack_frame>& stack,
    const std::vector<std::pair<int, std::string>>& arg_errors, const format_context& ctx,
    bool blame) {
  if (reason.is_map()) {
    const term* ex = map_get(reason, "__exception__");
    const term* st = map_get(reason, "__struct__");
    if (ex && ex->is_atom(atoms::true_) && st && st->is_atom()) {
      std::string name = format_atom(st->atom_value(), syntax::elixir);
      std::string message;
      if (const term* m = map_get(reason, "message"); m && m->is_binary()) {
        message = std::string(m->bytes_as_string());
      } else if (name == "Protocol.UndefinedError") {
        // Protocol.UndefinedError.message/1
        const term* protocol = map_get(reason, "protocol");
        const term* value = map_get(reason, "value");
        const term* description = map_get(reason, "description");
        if (protocol && value) {
          message = "protocol " + inspect(*protocol, ctx) + " not implemented for " + inspect(*value, ctx) +
                    " of type " + elixir_type_name(*value);
          if (description && description->is_binary() && !description->bytes().empty())
            message += ", " + std::string(description->bytes_as_string());
        }
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
  if (reason.is_tuple() && reason.tuple_size() == 3 && reason[0].is_atom(atom("badbool")) && reason[1].is_atom()) {
    return {"BadBooleanError", "expected a boolean on left-side of \"" + std::string(reason[1].atom_value().name()) +
                                   "\", got: " + inspect(reason[2], ctx)};
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
    if (blame && exists && ctx.module_functions) {
      msg += did_you_mean(f.function, ctx.module_functions(f.module));
    }
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

namespace {

// `Mod.fun(args)` or `Mod.fun/arity` (Exception.format_mfa/3).
std::string format_mfa(const stack_frame& f, const format_context& ctx) {
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

}  // namespace

std::string format_frame(const stack_frame& f, const format_context& ctx) {
  std::string out;
  if (ctx.application) {
    if (std::string app = ctx.application(f.module); !app.empty()) out += "(" + app + ") ";
  }
  if (!f.file.empty()) {
    out += f.file + ":";
    if (f.line != 0) out += std::to_string(f.line) + ":";
    out += " ";
  }
  return out + format_mfa(f, ctx);
}

namespace {

std::string banner(error_class cls, const term& reason, const std::vector<stack_frame>& stack,
                   const std::vector<std::pair<int, std::string>>& arg_errors,
                   const format_context& ctx, bool blame) {
  switch (cls) {
    case error_class::error: {
      auto [name, message] = normalize(reason, stack, arg_errors, ctx, blame);
      return "** (" + name + ") " + message;
    }
    case error_class::exit:
      return "** (exit) " + format_exit(reason, ctx);
    case error_class::throw_:
      return "** (throw) " + inspect(reason, ctx);
  }
  return {};
}

}  // namespace

std::string format_banner(error_class cls, const term& reason,
                          const std::vector<stack_frame>& stack,
                          const std::vector<std::pair<int, std::string>>& arg_errors,
                          const format_context& ctx) {
  return banner(cls, reason, stack, arg_errors, ctx, false);
}

std::string format_exception(error_class cls, const term& reason,
                             const std::vector<stack_frame>& stack,
                             const std::vector<std::pair<int, std::string>>& arg_errors,
                             const format_context& ctx) {
  std::string out = banner(cls, reason, stack, arg_errors, ctx, true) + "\n";
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
    if (f.tuple_size() == 4 && f[3].is_list() && f[3].is_proper_list()) {
      for (const term& kv : f[3].list_elements()) {
        if (!kv.is_tuple() || kv.tuple_size() != 2) continue;
        if (kv[0].is_atom(atom("file"))) {
          if (auto text = kv[1].to_text()) frame.file = *text;
        } else if (kv[0].is_atom(atom("line"))) {
          if (auto n = kv[1].to_int64(); n && *n > 0) frame.line = static_cast<std::uint32_t>(*n);
        }
      }
    }
    out.push_back(std::move(frame));
  }
  return out;
}

namespace {

// Exception.format_exit/2's reasons without a stack trace or a call.
std::string format_exit_reason(const term& reason, const format_context& ctx) {
  if (reason.is_atom()) {
    const std::string_view r = reason.atom_value().name();
    if (r == "normal" || r == "shutdown" || r == "killed") return std::string(r);
    if (r == "noconnection") return "no connection";
    if (r == "timeout") return "time out";
    if (r == "calling_self") return "process attempted to call itself";
    if (r == "noproc") {
      return "no process: the process is not alive or there's no process currently associated with "
             "the given name, possibly because its application isn't started";
    }
  }
  if (reason.is_tuple() && reason.tuple_size() == 2 && reason[0].is_atom()) {
    const std::string_view tag = reason[0].atom_value().name();
    if (tag == "shutdown") return "shutdown: " + inspect(reason[1], ctx);
    if (tag == "nodedown" && reason[1].is_atom()) {
      return "no connection to " + std::string(reason[1].atom_value().name());
    }
    if (tag == "already_started" && reason[1].is_pid())
      return "already started: " + inspect(reason[1], ctx);
    if (tag == "bad_return_value") return "bad return value: " + inspect(reason[1], ctx);
    if (tag == "bad_call") return "bad call: " + inspect(reason[1], ctx);
    if (tag == "bad_cast") return "bad cast: " + inspect(reason[1], ctx);
  }
  return inspect(reason, ctx);
}

// Exception.format_exit/2: nested reasons go one level deeper with each `joiner`.
std::string format_exit_with(const term& reason, const std::string& joiner,
                             const format_context& ctx) {
  if (reason.is_tuple() && reason.tuple_size() == 2) {
    // {Reason, Stacktrace}: a process that crashed with an exception.
    if (!reason[1].is_nil()) {
      if (auto stack = stack_from_term(reason[1])) {
        std::string out = "an exception was raised:" + joiner +
                          banner(error_class::error, reason[0], *stack, {}, ctx, false);
        for (const stack_frame& f : *stack) out += joiner + "    " + format_frame(f, ctx);
        return out;
      }
    }
    // {Reason, {M, F, Args}}: an exit raised by a call (GenServer.call, Task.await).
    const term& call = reason[1];
    if (call.is_tuple() && call.tuple_size() == 3 && call[0].is_atom() && call[1].is_atom() &&
        ((call[2].is_list() && call[2].is_proper_list()) || call[2].to_int64())) {
      stack_frame f;
      f.module = call[0].atom_value();
      f.function = call[1].atom_value();
      if (call[2].is_list()) {
        f.args = std::vector<term>(call[2].list_elements().begin(), call[2].list_elements().end());
      } else {
        f.arity = static_cast<std::size_t>(*call[2].to_int64());
      }
      return "exited in: " + format_mfa(f, ctx) + joiner + "** (EXIT) " +
             format_exit_with(reason[0], joiner + "    ", ctx);
    }
  }
  return format_exit_reason(reason, ctx);
}

}  // namespace

std::string format_exit(const term& reason, const format_context& ctx) {
  return format_exit_with(reason, "\n    ", ctx);
}

std::string format_shell_exit(const pid& shell, const term& reason, const format_context& ctx) {
  return "** (EXIT from " + inspect(term(shell), ctx) +
         ") shell process exited with reason: " + format_exit(reason, ctx);
}

double jaro_distance(std::string_view a, std::string_view b) {
  if (a == b) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  // Characters (code points; bytes when the text is not UTF-8).
  auto chars = [](std::string_view s) {
    if (auto cps = io::from_utf8(s)) return std::vector<char32_t>(cps->begin(), cps->end());
    return std::vector<char32_t>(s.begin(), s.end());
  };
  const std::vector<char32_t> first = chars(a);
  const std::vector<char32_t> second = chars(b);
  // Elixir walks the shorter string (the second on a tie) over a window of the other that
  // slides once it reaches its full width; a match found left of the previous one counts as
  // a transposition.
  const bool first_shorter = first.size() < second.size();
  const std::vector<char32_t>& outer = first_shorter ? first : second;
  const std::vector<char32_t>& inner = first_shorter ? second : first;
  const long lim = static_cast<long>(inner.size() / 2) - 1;
  std::vector<bool> used(inner.size(), false);
  std::size_t start = 0;
  long pre = 0;
  long common = 0;
  long transpositions = 0;
  long former = -1;
  for (std::size_t idx = 0; idx < outer.size(); ++idx) {
    const long width = pre + 1 + lim;
    for (long k = 0; k < width && start + static_cast<std::size_t>(k) < inner.size(); ++k) {
      const std::size_t at = start + static_cast<std::size_t>(k);
      if (used[at] || inner[at] != outer[idx]) continue;
      used[at] = true;
      const long current = static_cast<long>(at);
      if (current < former) ++transpositions;
      ++common;
      former = current;
      break;
    }
    if (pre == lim) {
      ++start;
    } else {
      ++pre;
    }
  }
  if (common == 0) return 0.0;
  const double c = static_cast<double>(common);
  return (c / static_cast<double>(first.size()) + c / static_cast<double>(second.size()) +
          (c - static_cast<double>(transpositions)) / c) /
         3;
}

std::vector<std::pair<int, std::string>> bif_argument_errors(const term& reason, const term& stack) {
  std::vector<std::pair<int, std::string>> out;
  if (!reason.is_atom(atoms::badarg) || !stack.is_list() || stack.is_nil()) return out;
  const term& top = *stack.list_elements().begin();
  if (!top.is_tuple() || top.tuple_size() != 4 || !top[0].is_atom(atoms::erlang) || !top[1].is_atom() ||
      !top[2].is_proper_list())
    return out;
  const std::vector<term> a(top[2].list_elements().begin(), top[2].list_elements().end());
  const std::string_view f = top[1].atom_value().name();
  auto is_list = [](const term& t) { return t.is_list() && t.is_proper_list(); };
  if ((f == "hd" || f == "tl") && a.size() == 1) {
    out.emplace_back(1, "not a nonempty list");
  } else if (f == "length" && a.size() == 1) {
    out.emplace_back(1, "not a list");
  } else if ((f == "element" && a.size() == 2) || (f == "setelement" && a.size() == 3)) {
    if (!a[0].is_integer())
      out.emplace_back(1, "not an integer");
    else if (a[1].is_tuple())
      out.emplace_back(1, "out of range");
    if (!a[1].is_tuple()) out.emplace_back(2, "not a tuple");
  } else if (f == "tuple_size" && a.size() == 1) {
    out.emplace_back(1, "not a tuple");
  } else if (f == "map_size" && a.size() == 1) {
    out.emplace_back(1, "not a map");
  } else if ((f == "atom_to_binary" || f == "atom_to_list") && !a.empty() && !a[0].is_atom()) {
    out.emplace_back(1, "not an atom");
  } else if ((f == "list_to_atom" || f == "list_to_existing_atom" || f == "list_to_tuple") && a.size() == 1 &&
             !is_list(a[0])) {
    out.emplace_back(1, "not a list");
  } else if ((f == "binary_to_atom" || f == "binary_to_existing_atom" || f == "byte_size") && !a.empty() &&
             !a[0].is_binary()) {
    out.emplace_back(1, "not a binary");
  } else if ((f == "integer_to_binary" || f == "integer_to_list") && !a.empty() && !a[0].is_integer()) {
    out.emplace_back(1, "not an integer");
  }
  return out;
}

}  // namespace otpp::shell
