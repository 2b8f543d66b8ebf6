// The shell's pure built-in functions: what Kernel, :erlang, :lists, IO, String and friends
// offer that needs no running node, with the errors Elixir raises for bad arguments.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "otpp/otp/io_format.hpp"
#include "otpp/shell/evaluator.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"

namespace otpp::shell {
namespace {

using args_t = std::span<const term>;

const atom erlang_mod = atoms::erlang;

std::vector<term> vec(args_t a) { return {a.begin(), a.end()}; }

[[noreturn]] void bad(std::string_view fun, args_t a, int which, std::string why) {
  throw badarg(erlang_mod, atom(fun), vec(a), which, std::move(why));
}

std::int64_t int_arg(std::string_view fun, args_t a, int which) {
  auto v = a[static_cast<std::size_t>(which - 1)].to_int64();
  if (!v) bad(fun, a, which, "not an integer");
  return *v;
}

const term& tuple_arg(std::string_view fun, args_t a, int which) {
  const term& t = a[static_cast<std::size_t>(which - 1)];
  if (!t.is_tuple()) bad(fun, a, which, "not a tuple");
  return t;
}

const term& list_arg(std::string_view fun, args_t a, int which) {
  const term& t = a[static_cast<std::size_t>(which - 1)];
  if (!t.is_list() || !t.is_proper_list()) bad(fun, a, which, "not a list");
  return t;
}

std::vector<term> elements_of(const term& list) {
  return {list.list_elements().begin(), list.list_elements().end()};
}

term type_test(bool b) { return term::boolean(b); }

// The "text" of an atom, binary or charlist argument for conversions.
std::optional<std::string> text_of(const term& t) {
  if (t.is_binary()) return std::string(t.bytes_as_string());
  if (t.is_list()) return t.to_text();
  return std::nullopt;
}

term element(args_t a) {
  const auto i = int_arg("element", a, 1);
  const term& t = tuple_arg("element", a, 2);
  if (i < 1 || static_cast<std::size_t>(i) > t.tuple_size()) bad("element", a, 1, "out of range");
  return t[static_cast<std::size_t>(i - 1)];
}

term setelement(args_t a) {
  const auto i = int_arg("setelement", a, 1);
  const term& t = tuple_arg("setelement", a, 2);
  if (i < 1 || static_cast<std::size_t>(i) > t.tuple_size())
    bad("setelement", a, 1, "out of range");
  std::vector<term> items(t.elements().begin(), t.elements().end());
  items[static_cast<std::size_t>(i - 1)] = a[2];
  return term::tuple(std::move(items));
}

term hd(args_t a) {
  if (!a[0].is_list() || a[0].is_nil()) bad("hd", a, 1, "not a nonempty list");
  return a[0].list_elements()[0];
}

term tl(args_t a) {
  if (!a[0].is_list() || a[0].is_nil()) bad("tl", a, 1, "not a nonempty list");
  auto elems = a[0].list_elements();
  if (elems.size() == 1) return a[0].list_tail();
  return term::list(std::vector<term>(elems.begin() + 1, elems.end()), a[0].list_tail());
}

term length(args_t a) {
  if (!a[0].is_list() || !a[0].is_proper_list()) bad("length", a, 1, "not a list");
  return term(static_cast<long long>(a[0].list_elements().size()));
}

term make_atom(std::string_view fun, args_t a, const std::string& text) {
  auto at = atom::try_make(text);
  if (!at) bad(fun, a, 1, "not a valid atom");
  return term(*at);
}

term exception_for(call_context& c, const term& what, const std::optional<term>& message_or_opts) {
  // raise "msg" | raise Alias | raise Alias, "msg" | raise Alias, message: "msg"
  if (what.is_binary()) return elixir_exception("RuntimeError", what.bytes_as_string());
  if (what.is_map()) return what;
  if (what.is_atom()) {
    std::string name = format_atom(what.atom_value(), syntax::elixir);
    std::string message;
    if (message_or_opts) {
      if (message_or_opts->is_binary()) {
        message = std::string(message_or_opts->bytes_as_string());
      } else if (message_or_opts->is_list()) {
        for (const term& kv : message_or_opts->list_elements()) {
          if (kv.is_tuple() && kv.tuple_size() == 2 && kv[0].is_atom(atom("message")) &&
              kv[1].is_binary()) {
            message = std::string(kv[1].bytes_as_string());
          }
        }
      }
    } else if (name == "ArgumentError") {
      message = "argument error";
    } else if (name == "RuntimeError") {
      message = "runtime error";
    } else {
      message = name;
    }
    return elixir_exception(name, message);
  }
  throw raise("ArgumentError",
              "raise/1 and raise/2 expect a module name, string or exception as the first "
              "argument, got: " +
                  c.eval.inspect(what));
}

term compare_op(std::string_view op, const term& a, const term& b) {
  if (op == "==") return term::boolean(equal(a, b));
  if (op == "/=" || op == "!=") return term::boolean(!equal(a, b));
  if (op == "=:=" || op == "===") return term::boolean(exact_equal(a, b));
  if (op == "=/=" || op == "!==") return term::boolean(!exact_equal(a, b));
  if (op == "<") return term::boolean(compare(a, b) < 0);
  if (op == ">") return term::boolean(compare(a, b) > 0);
  if (op == "=<" || op == "<=") return term::boolean(compare(a, b) <= 0);
  return term::boolean(compare(a, b) >= 0);
}

std::string io_text(call_context& c, const term& t) {
  // IO.puts/IO.write take chardata or anything String.Chars knows.
  return to_chars(t, c.eval.format());
}

void sleep_ms(const term& t, std::string_view fun, args_t a) {
  if (t.is_atom(atoms::infinity))
    throw raise("ArgumentError", "sleeping forever would hang the shell");
  auto ms = t.to_int64();
  if (!ms || *ms < 0) bad(fun, a, 1, "not a valid timeout");
  std::this_thread::sleep_for(std::chrono::milliseconds(*ms));
}

}  // namespace

void add_pure_builtins(builtin_table& t) {
  auto both = [&](std::string_view name, std::size_t arity, builtin_fn fn) {
    // Kernel functions that Elixir inlines to :erlang ones.
    t.add("Elixir.Kernel", name, arity, fn);
    t.add("erlang", name, arity, std::move(fn));
  };

  // -- tuples, lists --
  t.add("erlang", "element", 2, [](call_context&, args_t a) { return element(a); });
  t.add("Elixir.Kernel", "elem", 2, [](call_context&, args_t a) {
    auto i = a[1].to_int64();
    std::vector<term> shifted{i ? term(static_cast<long long>(*i + 1)) : a[1], a[0]};
    return element(shifted);
  });
  t.add("erlang", "setelement", 3, [](call_context&, args_t a) { return setelement(a); });
  t.add("Elixir.Kernel", "put_elem", 3, [](call_context&, args_t a) {
    auto i = a[1].to_int64();
    std::vector<term> shifted{i ? term(static_cast<long long>(*i + 1)) : a[1], a[0], a[2]};
    return setelement(shifted);
  });
  both("tuple_size", 1, [](call_context&, args_t a) {
    return term(static_cast<long long>(tuple_arg("tuple_size", a, 1).tuple_size()));
  });
  both("hd", 1, [](call_context&, args_t a) { return hd(a); });
  both("tl", 1, [](call_context&, args_t a) { return tl(a); });
  both("length", 1, [](call_context&, args_t a) { return length(a); });
  both("map_size", 1, [](call_context&, args_t a) {
    if (!a[0].is_map()) throw shell_exception(error_class::error, tuple_of(atom("badmap"), a[0]));
    return term(static_cast<long long>(a[0].map_entries().size()));
  });
  both("byte_size", 1, [](call_context&, args_t a) {
    if (!a[0].is_bitstring()) bad("byte_size", a, 1, "not a bitstring");
    return term(static_cast<long long>(a[0].bytes().size()));
  });
  t.add("erlang", "tuple_to_list", 1, [](call_context&, args_t a) {
    const term& x = tuple_arg("tuple_to_list", a, 1);
    return term::list(std::vector<term>(x.elements().begin(), x.elements().end()));
  });
  t.add("erlang", "list_to_tuple", 1, [](call_context&, args_t a) {
    return term::tuple(elements_of(list_arg("list_to_tuple", a, 1)));
  });
  t.add("Elixir.Tuple", "to_list", 1, [](call_context&, args_t a) {
    const term& x = tuple_arg("tuple_to_list", a, 1);
    return term::list(std::vector<term>(x.elements().begin(), x.elements().end()));
  });
  t.add("Elixir.List", "to_tuple", 1, [](call_context&, args_t a) {
    return term::tuple(elements_of(list_arg("list_to_tuple", a, 1)));
  });
  t.add("erlang", "make_tuple", 2, [](call_context&, args_t a) {
    auto n = int_arg("make_tuple", a, 1);
    if (n < 0 || n > 1'000'000) bad("make_tuple", a, 1, "out of range");
    return term::tuple(std::vector<term>(static_cast<std::size_t>(n), a[1]));
  });
  t.add("erlang", "append_element", 2, [](call_context&, args_t a) {
    const term& x = tuple_arg("append_element", a, 1);
    std::vector<term> items(x.elements().begin(), x.elements().end());
    items.push_back(a[1]);
    return term::tuple(std::move(items));
  });
  t.add("Elixir.List", "first", 1, [](call_context&, args_t a) {
    const term& l = list_arg("hd", a, 1);
    return l.is_nil() ? term(atoms::nil) : l.list_elements()[0];
  });
  t.add("Elixir.List", "last", 1, [](call_context&, args_t a) {
    const term& l = list_arg("hd", a, 1);
    return l.is_nil() ? term(atoms::nil) : l.list_elements().back();
  });
  t.add("lists", "reverse", 1, [](call_context&, args_t a) {
    auto items = elements_of(list_arg("reverse", a, 1));
    std::reverse(items.begin(), items.end());
    return term::list(std::move(items));
  });
  t.add("lists", "seq", 2, [](call_context&, args_t a) {
    const auto from = int_arg("seq", a, 1);
    const auto to = int_arg("seq", a, 2);
    if (to < from - 1 || to - from > 10'000'000) bad("seq", a, 2, "out of range");
    std::vector<term> items;
    for (auto i = from; i <= to; ++i) items.emplace_back(static_cast<long long>(i));
    return term::list(std::move(items));
  });
  t.add("lists", "append", 2, [](call_context&, args_t a) {
    auto items = elements_of(list_arg("append", a, 1));
    if (items.empty()) return a[1];
    return term::list(std::move(items), a[1]);
  });
  t.add("lists", "member", 2, [](call_context&, args_t a) {
    for (const term& x : list_arg("member", a, 2).list_elements()) {
      if (exact_equal(x, a[0])) return term(atoms::true_);
    }
    return term(atoms::false_);
  });
  t.add("lists", "nth", 2, [](call_context&, args_t a) {
    auto n = int_arg("nth", a, 1);
    auto items = list_arg("nth", a, 2).list_elements();
    if (n < 1 || static_cast<std::size_t>(n) > items.size()) {
      throw shell_exception(error_class::error, term(atom("function_clause")),
                            {stack_frame{atom("lists"), atom("nth"), vec(a), 2}});
    }
    return items[static_cast<std::size_t>(n - 1)];
  });
  t.add("lists", "last", 1, [](call_context&, args_t a) {
    auto items = list_arg("last", a, 1).list_elements();
    if (items.empty()) {
      throw shell_exception(error_class::error, term(atom("function_clause")),
                            {stack_frame{atom("lists"), atom("last"), vec(a), 1}});
    }
    return items.back();
  });
  t.add("lists", "sort", 1, [](call_context&, args_t a) {
    auto items = elements_of(list_arg("sort", a, 1));
    std::stable_sort(items.begin(), items.end(),
                     [](const term& x, const term& y) { return compare(x, y) < 0; });
    return term::list(std::move(items));
  });
  t.add("lists", "sum", 1, [](call_context&, args_t a) {
    term sum(0);
    for (const term& x : list_arg("sum", a, 1).list_elements()) sum = arith("+", sum, x);
    return sum;
  });
  t.add("lists", "keyfind", 3, [](call_context&, args_t a) {
    auto n = int_arg("keyfind", a, 2);
    for (const term& x : list_arg("keyfind", a, 3).list_elements()) {
      if (x.is_tuple() && n >= 1 && static_cast<std::size_t>(n) <= x.tuple_size() &&
          equal(x[static_cast<std::size_t>(n - 1)], a[0])) {
        return x;
      }
    }
    return term(atoms::false_);
  });
  t.add("lists", "duplicate", 2, [](call_context&, args_t a) {
    auto n = int_arg("duplicate", a, 1);
    if (n < 0 || n > 10'000'000) bad("duplicate", a, 1, "out of range");
    return term::list(std::vector<term>(static_cast<std::size_t>(n), a[1]));
  });
  auto flatten = [](auto& self, const term& l, std::vector<term>& out) -> void {
    for (const term& x : l.list_elements()) {
      if (x.is_list()) {
        self(self, x, out);
      } else {
        out.push_back(x);
      }
    }
  };
  t.add("lists", "flatten", 1, [flatten](call_context&, args_t a) {
    std::vector<term> out;
    flatten(flatten, list_arg("flatten", a, 1), out);
    return term::list(std::move(out));
  });
  t.add("Elixir.List", "flatten", 1, [flatten](call_context&, args_t a) {
    std::vector<term> out;
    flatten(flatten, list_arg("flatten", a, 1), out);
    return term::list(std::move(out));
  });

  // -- Enum on lists and maps --
  auto enum_items = [](const term& x) -> std::vector<term> {
    if (x.is_list() && x.is_proper_list()) return elements_of(x);
    if (x.is_map()) {
      std::vector<term> items;
      for (const auto& [k, v] : x.map_entries()) items.push_back(tuple_of(k, v));
      return items;
    }
    throw raise("Protocol.UndefinedError", "protocol Enumerable not implemented for " +
                                               to_string(x, print_options(syntax::elixir)));
  };
  t.add("Elixir.Enum", "count", 1, [enum_items](call_context&, args_t a) {
    return term(static_cast<long long>(enum_items(a[0]).size()));
  });
  t.add("Elixir.Enum", "reverse", 1, [enum_items](call_context&, args_t a) {
    auto items = enum_items(a[0]);
    std::reverse(items.begin(), items.end());
    return term::list(std::move(items));
  });
  t.add("Elixir.Enum", "sum", 1, [enum_items](call_context&, args_t a) {
    term sum(0);
    for (const term& x : enum_items(a[0])) sum = arith("+", sum, x);
    return sum;
  });
  t.add("Elixir.Enum", "member?", 2, [enum_items](call_context&, args_t a) {
    for (const term& x : enum_items(a[0])) {
      if (exact_equal(x, a[1])) return term(atoms::true_);
    }
    return term(atoms::false_);
  });
  t.add("Elixir.Enum", "at", 2, [enum_items](call_context&, args_t a) {
    auto items = enum_items(a[0]);
    auto i = a[1].to_int64().value_or(-1);
    if (i < 0) i += static_cast<long long>(items.size());
    if (i < 0 || static_cast<std::size_t>(i) >= items.size()) return term(atoms::nil);
    return items[static_cast<std::size_t>(i)];
  });
  t.add("Elixir.Enum", "sort", 1, [enum_items](call_context&, args_t a) {
    auto items = enum_items(a[0]);
    std::stable_sort(items.begin(), items.end(),
                     [](const term& x, const term& y) { return compare(x, y) < 0; });
    return term::list(std::move(items));
  });
  t.add("Elixir.Enum", "to_list", 1,
        [enum_items](call_context&, args_t a) { return term::list(enum_items(a[0])); });

  // -- maps and keywords --
  auto need_map = [](const term& m) {
    if (!m.is_map()) throw shell_exception(error_class::error, tuple_of(atom("badmap"), m));
  };
  t.add("Elixir.Map", "get", 2, [need_map](call_context&, args_t a) {
    need_map(a[0]);
    const term* v = a[0].map_find(a[1]);
    return v ? *v : term(atoms::nil);
  });
  t.add("Elixir.Map", "get", 3, [need_map](call_context&, args_t a) {
    need_map(a[0]);
    const term* v = a[0].map_find(a[1]);
    return v ? *v : a[2];
  });
  t.add("Elixir.Map", "fetch!", 2, [need_map](call_context& c, args_t a) {
    need_map(a[0]);
    const term* v = a[0].map_find(a[1]);
    if (!v)
      throw raise("KeyError",
                  "key " + c.eval.inspect(a[1]) + " not found in: " + c.eval.inspect(a[0]));
    return *v;
  });
  t.add("Elixir.Map", "put", 3, [need_map](call_context&, args_t a) {
    need_map(a[0]);
    std::vector<std::pair<term, term>> entries(a[0].map_entries().begin(),
                                               a[0].map_entries().end());
    entries.emplace_back(a[1], a[2]);
    return term::map(std::move(entries));
  });
  t.add("Elixir.Map", "delete", 2, [need_map](call_context&, args_t a) {
    need_map(a[0]);
    std::vector<std::pair<term, term>> entries;
    for (const auto& kv : a[0].map_entries()) {
      if (!exact_equal(kv.first, a[1])) entries.push_back(kv);
    }
    return term::map(std::move(entries));
  });
  t.add("Elixir.Map", "has_key?", 2, [need_map](call_context&, args_t a) {
    need_map(a[0]);
    return term::boolean(a[0].map_find(a[1]) != nullptr);
  });
  t.add("Elixir.Map", "keys", 1, [need_map](call_context&, args_t a) {
    need_map(a[0]);
    std::vector<term> keys;
    for (const auto& kv : a[0].map_entries()) keys.push_back(kv.first);
    return term::list(std::move(keys));
  });
  t.add("Elixir.Map", "values", 1, [need_map](call_context&, args_t a) {
    need_map(a[0]);
    std::vector<term> values;
    for (const auto& kv : a[0].map_entries()) values.push_back(kv.second);
    return term::list(std::move(values));
  });
  t.add("Elixir.Map", "new", 0, [](call_context&, args_t) { return term::map({}); });
  t.add("Elixir.Map", "to_list", 1, [need_map](call_context&, args_t a) {
    need_map(a[0]);
    std::vector<term> items;
    for (const auto& [k, v] : a[0].map_entries()) items.push_back(tuple_of(k, v));
    return term::list(std::move(items));
  });
  auto access_get = [](call_context& c, args_t a) {
    if (a[0].is_map()) {
      const term* v = a[0].map_find(a[1]);
      return v ? *v : term(atoms::nil);
    }
    if (a[0].is_list()) {
      for (const term& kv : a[0].list_elements()) {
        if (kv.is_tuple() && kv.tuple_size() == 2 && exact_equal(kv[0], a[1])) return kv[1];
      }
      return term(atoms::nil);
    }
    if (a[0].is_atom(atoms::nil)) return term(atoms::nil);
    throw raise("UndefinedFunctionError",
                "function " + c.eval.inspect(a[0]) + " does not implement the Access behaviour");
  };
  t.add("Elixir.Access", "get", 2, access_get);
  t.add("Elixir.Keyword", "get", 2, access_get);
  t.add("Elixir.Keyword", "get", 3, [access_get](call_context& c, args_t a) {
    term v = access_get(c, a.subspan(0, 2));
    return v.is_atom(atoms::nil) ? a[2] : v;
  });

  // -- numbers --
  for (std::string_view op : {"+", "-", "*", "/"}) {
    const std::string name(op);
    both(name, 2, [name](call_context&, args_t a) { return arith(name, a[0], a[1]); });
  }
  both("div", 2, [](call_context&, args_t a) { return arith("div", a[0], a[1]); });
  both("rem", 2, [](call_context&, args_t a) { return arith("rem", a[0], a[1]); });
  for (std::string_view op : {"band", "bor", "bxor", "bsl", "bsr"}) {
    const std::string name(op);
    t.add("erlang", name, 2, [name](call_context&, args_t a) { return arith(name, a[0], a[1]); });
  }
  both("abs", 1, [](call_context&, args_t a) {
    if (!a[0].is_number()) bad("abs", a, 1, "not a number");
    if (a[0].is_float()) return term(std::abs(a[0].float_value()));
    return a[0].integer_is_negative() ? arith("-", term(0), a[0]) : a[0];
  });
  both("max", 2, [](call_context&, args_t a) { return compare(a[0], a[1]) >= 0 ? a[0] : a[1]; });
  both("min", 2, [](call_context&, args_t a) { return compare(a[0], a[1]) <= 0 ? a[0] : a[1]; });
  both("round", 1, [](call_context&, args_t a) {
    if (!a[0].is_number()) bad("round", a, 1, "not a number");
    if (a[0].is_integer()) return a[0];
    return term(static_cast<long long>(std::llround(a[0].float_value())));
  });
  both("trunc", 1, [](call_context&, args_t a) {
    if (!a[0].is_number()) bad("trunc", a, 1, "not a number");
    if (a[0].is_integer()) return a[0];
    return term(static_cast<long long>(a[0].float_value()));
  });
  t.add("erlang", "float", 1, [](call_context&, args_t a) {
    if (!a[0].is_number()) bad("float", a, 1, "not a number");
    if (a[0].is_float()) return a[0];
    return term(static_cast<double>(a[0].to_int64().value_or(0)));
  });
  for (std::string_view op : {"==", "/=", "=:=", "=/=", "<", ">", "=<", ">="}) {
    const std::string name(op);
    t.add("erlang", name, 2,
          [name](call_context&, args_t a) { return compare_op(name, a[0], a[1]); });
  }
  for (std::string_view op : {"==", "!=", "===", "!==", "<", ">", "<=", ">="}) {
    const std::string name(op);
    t.add("Elixir.Kernel", name, 2,
          [name](call_context&, args_t a) { return compare_op(name, a[0], a[1]); });
  }

  // -- type tests --
  both("is_atom", 1, [](call_context&, args_t a) { return type_test(a[0].is_atom()); });
  both("is_integer", 1, [](call_context&, args_t a) { return type_test(a[0].is_integer()); });
  both("is_float", 1, [](call_context&, args_t a) { return type_test(a[0].is_float()); });
  both("is_number", 1, [](call_context&, args_t a) { return type_test(a[0].is_number()); });
  both("is_pid", 1, [](call_context&, args_t a) { return type_test(a[0].is_pid()); });
  both("is_port", 1, [](call_context&, args_t a) { return type_test(a[0].is_port()); });
  both("is_reference", 1, [](call_context&, args_t a) { return type_test(a[0].is_reference()); });
  both("is_tuple", 1, [](call_context&, args_t a) { return type_test(a[0].is_tuple()); });
  both("is_list", 1, [](call_context&, args_t a) { return type_test(a[0].is_list()); });
  both("is_map", 1, [](call_context&, args_t a) { return type_test(a[0].is_map()); });
  both("is_binary", 1, [](call_context&, args_t a) { return type_test(a[0].is_binary()); });
  both("is_bitstring", 1, [](call_context&, args_t a) { return type_test(a[0].is_bitstring()); });
  both("is_function", 1, [](call_context&, args_t a) { return type_test(a[0].is_fun()); });
  both("is_boolean", 1, [](call_context&, args_t a) {
    return type_test(a[0].is_atom(atoms::true_) || a[0].is_atom(atoms::false_));
  });
  t.add("Elixir.Kernel", "is_nil", 1,
        [](call_context&, args_t a) { return type_test(a[0].is_atom(atoms::nil)); });

  // -- conversions --
  t.add("erlang", "atom_to_list", 1, [](call_context&, args_t a) {
    if (!a[0].is_atom()) bad("atom_to_list", a, 1, "not an atom");
    return term::string(a[0].atom_value().name());
  });
  auto atom_to_binary = [](call_context&, args_t a) {
    if (!a[0].is_atom()) bad("atom_to_binary", a, 1, "not an atom");
    return term::binary(a[0].atom_value().name());
  };
  t.add("erlang", "atom_to_binary", 1, atom_to_binary);
  t.add("erlang", "atom_to_binary", 2, atom_to_binary);
  t.add("Elixir.Atom", "to_string", 1, atom_to_binary);
  t.add("erlang", "list_to_atom", 1, [](call_context&, args_t a) {
    auto s = a[0].is_list() ? a[0].to_text() : std::nullopt;
    if (!s) bad("list_to_atom", a, 1, "not a list of characters");
    return make_atom("list_to_atom", a, *s);
  });
  auto binary_to_atom = [](call_context&, args_t a) {
    if (!a[0].is_binary()) bad("binary_to_atom", a, 1, "not a binary");
    return make_atom("binary_to_atom", a, std::string(a[0].bytes_as_string()));
  };
  t.add("erlang", "binary_to_atom", 1, binary_to_atom);
  t.add("erlang", "binary_to_atom", 2, binary_to_atom);
  t.add("Elixir.String", "to_atom", 1, binary_to_atom);
  t.add("erlang", "integer_to_list", 1, [](call_context&, args_t a) {
    if (!a[0].is_integer()) bad("integer_to_list", a, 1, "not an integer");
    return term::string(a[0].integer_to_string());
  });
  auto integer_to_binary = [](call_context&, args_t a) {
    if (!a[0].is_integer()) bad("integer_to_binary", a, 1, "not an integer");
    return term::binary(a[0].integer_to_string());
  };
  t.add("erlang", "integer_to_binary", 1, integer_to_binary);
  t.add("Elixir.Integer", "to_string", 1, integer_to_binary);
  auto to_integer = [](std::string_view fun) {
    return [fun = std::string(fun)](call_context&, args_t a) {
      auto s = text_of(a[0]);
      std::optional<term> v = s ? term::integer_from_string(*s) : std::nullopt;
      if (!v) bad(fun, a, 1, "not a textual representation of an integer");
      return *v;
    };
  };
  t.add("erlang", "list_to_integer", 1, to_integer("list_to_integer"));
  t.add("erlang", "binary_to_integer", 1, to_integer("binary_to_integer"));
  t.add("Elixir.String", "to_integer", 1, to_integer("binary_to_integer"));
  t.add("erlang", "binary_to_list", 1, [](call_context&, args_t a) {
    if (!a[0].is_binary()) bad("binary_to_list", a, 1, "not a binary");
    std::vector<term> bytes;
    for (std::uint8_t b : a[0].bytes()) bytes.emplace_back(static_cast<int>(b));
    return term::list(std::move(bytes));
  });
  auto to_binary = [](std::string_view fun) {
    return [fun = std::string(fun)](call_context&, args_t a) {
      std::string out;
      // iolist: bytes and binaries
      auto walk = [&](auto& self, const term& x) -> bool {
        if (x.is_binary()) {
          out.append(x.bytes_as_string());
          return true;
        }
        if (!x.is_list()) return false;
        for (const term& e : x.list_elements()) {
          if (auto b = e.to_int64()) {
            if (*b < 0 || *b > 255) return false;
            out += static_cast<char>(*b);
          } else if (!self(self, e)) {
            return false;
          }
        }
        return x.list_tail().is_nil() || self(self, x.list_tail());
      };
      if (!walk(walk, a[0])) bad(fun, a, 1, "not an iolist term");
      return term::binary(out);
    };
  };
  t.add("erlang", "list_to_binary", 1, to_binary("list_to_binary"));
  t.add("erlang", "iolist_to_binary", 1, to_binary("iolist_to_binary"));
  t.add("erlang", "term_to_binary", 1, [](call_context&, args_t a) {
    auto bytes = etf::encode(a[0]);
    return term::binary(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  });
  t.add("erlang", "binary_to_term", 1, [](call_context&, args_t a) {
    if (!a[0].is_binary()) bad("binary_to_term", a, 1, "not a binary");
    auto r = etf::decode(a[0].bytes());
    if (!r) bad("binary_to_term", a, 1, "invalid external representation of a term");
    return r.value();
  });

  // -- strings --
  auto need_string = [](std::string_view fun, args_t a) {
    if (!a[0].is_binary()) {
      throw shell_exception(error_class::error, term(atom("function_clause")),
                            {stack_frame{atom("Elixir.String"), atom(fun), vec(a), a.size()}});
    }
    return std::string(a[0].bytes_as_string());
  };
  t.add("Elixir.String", "upcase", 1, [need_string](call_context&, args_t a) {
    std::string s = need_string("upcase", a);
    for (char& ch : s) {
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
    }
    return term::binary(s);
  });
  t.add("Elixir.String", "downcase", 1, [need_string](call_context&, args_t a) {
    std::string s = need_string("downcase", a);
    for (char& ch : s) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
    }
    return term::binary(s);
  });
  t.add("Elixir.String", "length", 1, [need_string](call_context&, args_t a) {
    std::string s = need_string("length", a);
    long long n = 0;
    for (char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    return term(n);
  });
  t.add("Elixir.String", "reverse", 1, [need_string](call_context&, args_t a) {
    std::string s = need_string("reverse", a);
    std::reverse(s.begin(), s.end());
    return term::binary(s);
  });
  t.add("Elixir.String", "trim", 1, [need_string](call_context&, args_t a) {
    std::string s = need_string("trim", a);
    const auto b = s.find_first_not_of(" \t\r\n");
    const auto e = s.find_last_not_of(" \t\r\n");
    return term::binary(b == std::string::npos ? "" : s.substr(b, e - b + 1));
  });
  t.add("Elixir.String", "contains?", 2, [need_string](call_context&, args_t a) {
    std::string s = need_string("contains?", a);
    return term::boolean(a[1].is_binary() && s.find(a[1].bytes_as_string()) != std::string::npos);
  });
  t.add("Elixir.String", "starts_with?", 2, [need_string](call_context&, args_t a) {
    std::string s = need_string("starts_with?", a);
    return term::boolean(a[1].is_binary() && s.rfind(a[1].bytes_as_string(), 0) == 0);
  });
  t.add("Elixir.String", "to_charlist", 1, [need_string](call_context&, args_t a) {
    return term::string(need_string("to_charlist", a));
  });
  t.add("Elixir.String", "split", 1, [need_string](call_context&, args_t a) {
    std::string s = need_string("split", a);
    std::vector<term> parts;
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
      std::size_t j = i;
      while (j < s.size() && !(s[j] == ' ' || s[j] == '\t' || s[j] == '\n')) ++j;
      if (j > i) parts.push_back(term::binary(s.substr(i, j - i)));
      i = j;
    }
    return term::list(std::move(parts));
  });
  t.add("Elixir.String", "split", 2, [need_string](call_context& c, args_t a) {
    std::string s = need_string("split", a);
    if (!a[1].is_binary() || a[1].bytes().empty()) {
      throw raise("ArgumentError",
                  "String.split/2 in the otpp shell takes a non-empty string pattern, got: " +
                      c.eval.inspect(a[1]));
    }
    const std::string sep(a[1].bytes_as_string());
    std::vector<term> parts;
    std::size_t i = 0;
    for (;;) {
      const auto j = s.find(sep, i);
      if (j == std::string::npos) {
        parts.push_back(term::binary(s.substr(i)));
        break;
      }
      parts.push_back(term::binary(s.substr(i, j - i)));
      i = j + sep.size();
    }
    return term::list(std::move(parts));
  });
  t.add("Elixir.String", "duplicate", 2, [need_string](call_context&, args_t a) {
    std::string s = need_string("duplicate", a);
    auto n = a[1].to_int64().value_or(0);
    std::string out;
    for (long long i = 0; i < n && out.size() < 100'000'000; ++i) out += s;
    return term::binary(out);
  });
  t.add("Elixir.Kernel", "to_string", 1,
        [](call_context& c, args_t a) { return term::binary(to_chars(a[0], c.eval.format())); });
  t.add("Elixir.Kernel", "to_charlist", 1,
        [](call_context& c, args_t a) { return term::string(to_chars(a[0], c.eval.format())); });
  t.add("Elixir.Kernel", "inspect", 1,
        [](call_context& c, args_t a) { return term::binary(c.eval.inspect(a[0])); });
  t.add("Elixir.Kernel", "inspect", 2,
        [](call_context& c, args_t a) { return term::binary(c.eval.inspect(a[0])); });

  // -- exceptions --
  both("exit", 1,
       [](call_context&, args_t a) -> term { throw shell_exception(error_class::exit, a[0]); });
  both("throw", 1,
       [](call_context&, args_t a) -> term { throw shell_exception(error_class::throw_, a[0]); });
  t.add("erlang", "error", 1,
        [](call_context&, args_t a) -> term { throw shell_exception(error_class::error, a[0]); });
  t.add("erlang", "error", 2,
        [](call_context&, args_t a) -> term { throw shell_exception(error_class::error, a[0]); });
  t.add("Elixir.Kernel", "raise", 1, [](call_context& c, args_t a) -> term {
    throw shell_exception(error_class::error, exception_for(c, a[0], std::nullopt));
  });
  t.add("Elixir.Kernel", "raise", 2, [](call_context& c, args_t a) -> term {
    throw shell_exception(error_class::error, exception_for(c, a[0], a[1]));
  });

  // -- apply, bindings --
  both("apply", 3, [](call_context& c, args_t a) {
    if (!a[0].is_atom()) bad("apply", a, 1, "not an atom");
    if (!a[1].is_atom()) bad("apply", a, 2, "not an atom");
    const term& l = list_arg("apply", a, 3);
    return c.eval.call(a[0].atom_value(), a[1].atom_value(), l.list_elements(), c.env);
  });
  t.add("Elixir.IEx.Helpers", "binding", 0, [](call_context& c, args_t) {
    std::vector<term> items;
    for (const auto& [name, value] : c.env) items.push_back(tuple_of(atom(name), value));
    return term::list(std::move(items));
  });

  // -- output --
  t.add("Elixir.IO", "puts", 1, [](call_context& c, args_t a) {
    c.eval.write(io_text(c, a[0]) + "\n");
    return term(atoms::ok);
  });
  t.add("Elixir.IO", "puts", 2, [](call_context& c, args_t a) {
    c.eval.write(io_text(c, a[1]) + "\n");
    return term(atoms::ok);
  });
  t.add("Elixir.IO", "write", 1, [](call_context& c, args_t a) {
    c.eval.write(io_text(c, a[0]));
    return term(atoms::ok);
  });
  t.add("Elixir.IO", "inspect", 1, [](call_context& c, args_t a) {
    c.eval.write(c.eval.inspect(a[0]) + "\n");
    return a[0];
  });
  t.add("Elixir.IO", "inspect", 2, [](call_context& c, args_t a) {
    std::string label;
    if (a[1].is_list()) {
      for (const term& kv : a[1].list_elements()) {
        if (kv.is_tuple() && kv.tuple_size() == 2 && kv[0].is_atom(atom("label"))) {
          label = to_chars(kv[1], c.eval.format()) + ": ";
        }
      }
    }
    c.eval.write(label + c.eval.inspect(a[0]) + "\n");
    return a[0];
  });
  auto io_format = [](call_context& c, const term& fmt, const term& args) {
    auto r = io::format(fmt, args, &c.eval.format().print.node_number);
    if (!r) {
      throw badarg(atom("io"), atom("format"), {fmt, args}, 1, "bad format: " + r.error());
    }
    c.eval.write(r.value());
    return term(atoms::ok);
  };
  t.add("io", "format", 1,
        [io_format](call_context& c, args_t a) { return io_format(c, a[0], term()); });
  t.add("io", "format", 2,
        [io_format](call_context& c, args_t a) { return io_format(c, a[0], a[1]); });
  t.add("io", "format", 3,
        [io_format](call_context& c, args_t a) { return io_format(c, a[1], a[2]); });
  t.add("io", "put_chars", 1, [](call_context& c, args_t a) {
    c.eval.write(io_text(c, a[0]));
    return term(atoms::ok);
  });
  t.add("io", "nl", 0, [](call_context& c, args_t) {
    c.eval.write("\n");
    return term(atoms::ok);
  });
  t.add("io_lib", "format", 2, [](call_context& c, args_t a) {
    auto r = io::format(a[0], a[1], &c.eval.format().print.node_number);
    if (!r) throw badarg(atom("io_lib"), atom("format"), vec(a), 1, "bad format: " + r.error());
    return term::string(r.value());
  });

  // -- time --
  t.add("timer", "sleep", 1, [](call_context&, args_t a) {
    sleep_ms(a[0], "sleep", a);
    return term(atoms::ok);
  });
  t.add("Elixir.Process", "sleep", 1, [](call_context&, args_t a) {
    sleep_ms(a[0], "sleep", a);
    return term(atoms::ok);
  });
}

}  // namespace otpp::shell
