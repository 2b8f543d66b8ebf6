// Elixir's small data modules shell code reaches through lowering or by hand: Access (what
// `map[:key]` lowers to), Keyword, Tuple, Atom, Range, and `exception/1` of the common
// exception structs (what `raise ArgumentError, "..."` lowers to).
#include "code/modules/support.hpp"

namespace otpp::code::lib {

namespace {

using entries = std::vector<std::pair<term, term>>;

// A keyword list's pairs; badarg-free like Elixir's Keyword functions (they match {k, v} tuples).
std::span<const term> keyword(const term& kw) { return proper(kw); }

const term* keyword_find(const term& kw, const term& key) {
  for (const term& t : keyword(kw))
    if (t.is_tuple() && t.tuple_size() == 2 && exact_equal(t[0], key)) return &t[1];
  return nullptr;
}

term keyword_delete(const term& kw, const term& key) {
  std::vector<term> out;
  for (const term& t : keyword(kw))
    if (!(t.is_tuple() && t.tuple_size() == 2 && exact_equal(t[0], key))) out.push_back(t);
  return term::list(std::move(out));
}

term access_get(const term& c, const term& key, const term& d) {
  if (c.is_map()) {
    const term* v = c.map_find(key);
    return v ? *v : d;
  }
  if (c.is_atom(atoms::nil)) return d;
  if (c.is_list()) {
    if (!key.is_atom())
      raise_elixir("ArgumentError",
                   "the Access calls for keywords expect the key to be an atom, got: " + inspect(key));
    const term* v = keyword_find(c, key);
    return v ? *v : d;
  }
  raise_elixir("ArgumentError", "the Access module does not support accessing " + inspect(c));
}

std::vector<term> tuple_elements(const term& t) {
  if (!t.is_tuple()) badarg();
  return {t.elements().begin(), t.elements().end()};
}

std::size_t tuple_index(const term& i, std::size_t limit) {
  auto k = small(i);
  if (k < 0 || static_cast<std::size_t>(k) > limit) badarg();
  return static_cast<std::size_t>(k);
}

// Fields and defaults of the exception structs `exception/1` builds.
struct exception_kind {
  std::string_view module;
  std::vector<std::pair<std::string_view, term>> fields;  // besides __struct__/__exception__
};

const std::vector<exception_kind>& exception_kinds() {
  static const std::vector<exception_kind> kinds{
      {"RuntimeError", {{"message", bin("runtime error")}}},
      {"ArgumentError", {{"message", bin("argument error")}}},
      {"ArithmeticError", {{"message", bin("bad argument in arithmetic expression")}}},
      {"Enum.EmptyError", {{"message", bin("empty error")}}},
      {"Enum.OutOfBoundsError", {{"message", bin("out of bounds error")}}},
      {"SystemLimitError", {{"message", bin("a system limit has been reached")}}},
      {"KeyError", {{"key", atoms::nil}, {"term", atoms::nil}, {"message", atoms::nil}}},
      {"MatchError", {{"term", atoms::nil}}},
      {"CaseClauseError", {{"term", atoms::nil}}},
  };
  return kinds;
}

term exception_struct(std::string_view module, entries fields) {
  entries e{{a::struct_, atom(export_table::elixir_module(module))}, {a::exception, atoms::true_}};
  for (auto& f : fields) e.push_back(std::move(f));
  return term::map(std::move(e));
}

// ErlangError.normalize/2 of Elixir 1.14: the exception struct for an Erlang error reason.
term normalize_error(const term& reason, const term& stack) {
  if (reason.is_map()) {
    if (const term* ex = field(reason, a::exception); ex && ex->is_atom(atoms::true_)) return reason;
  }
  auto tagged = [&](std::string_view tag, std::size_t size) {
    return reason.is_tuple() && reason.tuple_size() == size && reason[0].is_atom(atom(tag));
  };
  // The failing call's {Module, Function, Arity} from the top of the stack.
  auto top_call = [&]() -> entries {
    term m = atoms::nil, f = atoms::nil, n = atoms::nil;
    if (stack.is_list() && !stack.is_nil()) {
      const term& top = *stack.list_elements().begin();
      if (top.is_tuple() && top.tuple_size() >= 3) {
        m = top[0];
        f = top[1];
        n = top[2].is_list() ? integer(top[2].list_elements().size()) : top[2];
      }
    }
    return {{atom("module"), m}, {atom("function"), f}, {atom("arity"), n}};
  };
  if (reason.is_atom(atoms::badarg)) return exception_struct("ArgumentError", {{a::message, bin("argument error")}});
  if (reason.is_atom(a::badarith))
    return exception_struct("ArithmeticError", {{a::message, bin("bad argument in arithmetic expression")}});
  if (reason.is_atom(atoms::system_limit))
    return exception_struct("SystemLimitError", {{a::message, bin("a system limit has been reached")}});
  if (reason.is_atom(atom("cond_clause")))
    return exception_struct("CondClauseError", {{a::message, bin("no cond clause evaluated to a truthy value")}});
  if (tagged("badmatch", 2)) return exception_struct("MatchError", {{atom("term"), reason[1]}});
  if (tagged("case_clause", 2)) return exception_struct("CaseClauseError", {{atom("term"), reason[1]}});
  if (tagged("try_clause", 2)) return exception_struct("TryClauseError", {{atom("term"), reason[1]}});
  if (tagged("with_clause", 2)) return exception_struct("WithClauseError", {{atom("term"), reason[1]}});
  if (tagged("badmap", 2)) return exception_struct("BadMapError", {{atom("term"), reason[1]}});
  if (tagged("badfun", 2)) return exception_struct("BadFunctionError", {{atom("term"), reason[1]}});
  if (tagged("badbool", 3))
    return exception_struct("BadBooleanError", {{atom("term"), reason[2]}, {atom("operator"), reason[1]}});
  if (tagged("badarity", 2) && reason[1].is_tuple() && reason[1].tuple_size() == 2)
    return exception_struct("BadArityError", {{atom("function"), reason[1][0]}, {atom("args"), reason[1][1]}});
  if (tagged("badkey", 2))
    return exception_struct("KeyError", {{atom("key"), reason[1]}, {atom("term"), atoms::nil}, {a::message, atoms::nil}});
  if (tagged("badkey", 3))
    return exception_struct("KeyError", {{atom("key"), reason[1]}, {atom("term"), reason[2]}, {a::message, atoms::nil}});
  if (reason.is_atom(atoms::undef)) {
    entries e = top_call();
    e.emplace_back(atom("reason"), atoms::nil);
    e.emplace_back(a::message, atoms::nil);
    return exception_struct("UndefinedFunctionError", std::move(e));
  }
  if (reason.is_atom(a::function_clause)) {
    entries e = top_call();
    e.emplace_back(atom("kind"), atoms::nil);
    e.emplace_back(atom("args"), atoms::nil);
    e.emplace_back(atom("clauses"), atoms::nil);
    return exception_struct("FunctionClauseError", std::move(e));
  }
  return exception_struct("ErlangError", {{atom("original"), reason}, {atom("reason"), atoms::nil}});
}

term make_exception(const exception_kind& k, const term& arg) {
  entries e{{a::struct_, atom(export_table::elixir_module(k.module))}, {a::exception, atoms::true_}};
  for (const auto& [name, value] : k.fields) e.emplace_back(atom(name), value);
  if (arg.is_binary()) {
    bool has_message = false;
    for (const auto& f : k.fields) has_message = has_message || f.first == "message";
    if (!has_message) badarg();
    e.emplace_back(a::message, arg);
  } else {
    for (const term& t : proper_or(arg, atoms::badarg)) {
      if (!t.is_tuple() || t.tuple_size() != 2 || !t[0].is_atom()) badarg();
      bool known = false;
      for (const auto& f : k.fields) known = known || f.first == t[0].atom_value().name();
      if (!known) fail(tuple_of(a::badkey, t[0]));
      e.emplace_back(t[0], t[1]);
    }
  }
  return term::map(std::move(e));
}

}  // namespace

void add_elixir_data(export_table& x) {
  // ---- Access --------------------------------------------------------------------------------
  x.add_elixir("Access", "get", [](term c, term k) { return access_get(c, k, atoms::nil); });
  x.add_elixir("Access", "get", [](term c, term k, term d) { return access_get(c, k, d); });

  // ---- Keyword -------------------------------------------------------------------------------
  const std::string_view K = "Keyword";
  x.add_elixir(K, "new", [] { return term(); });
  x.add_elixir(K, "get", [](term kw, term k) {
    const term* v = keyword_find(kw, k);
    return v ? *v : term(atoms::nil);
  });
  x.add_elixir(K, "get", [](term kw, term k, term d) {
    const term* v = keyword_find(kw, k);
    return v ? *v : d;
  });
  x.add_elixir(K, "fetch", [](term kw, term k) {
    const term* v = keyword_find(kw, k);
    return v ? tuple_of(atoms::ok, *v) : term(atoms::error);
  });
  x.add_elixir(K, "has_key?", [](term kw, term k) { return boolean(keyword_find(kw, k) != nullptr); });
  x.add_elixir(K, "put", [](term kw, term k, term v) {
    term rest = keyword_delete(kw, k);
    return term::list(std::vector<term>{term::tuple({k, v})}, rest);
  });
  x.add_elixir(K, "delete", [](term kw, term k) { return keyword_delete(kw, k); });
  x.add_elixir(K, "keys", [](term kw) {
    std::vector<term> out;
    for (const term& t : keyword(kw))
      if (t.is_tuple() && t.tuple_size() == 2) out.push_back(t[0]);
    return term::list(std::move(out));
  });
  x.add_elixir(K, "values", [](term kw) {
    std::vector<term> out;
    for (const term& t : keyword(kw))
      if (t.is_tuple() && t.tuple_size() == 2) out.push_back(t[1]);
    return term::list(std::move(out));
  });

  // ---- Tuple ---------------------------------------------------------------------------------
  const std::string_view T = "Tuple";
  x.add_elixir(T, "to_list", [](term t) { return term::list(tuple_elements(t)); });
  x.add_elixir(T, "append", [](term t, term v) {
    auto e = tuple_elements(t);
    e.push_back(v);
    return term::tuple(std::move(e));
  });
  x.add_elixir(T, "insert_at", [](term t, term i, term v) {
    auto e = tuple_elements(t);
    e.insert(e.begin() + static_cast<std::ptrdiff_t>(tuple_index(i, e.size())), v);
    return term::tuple(std::move(e));
  });
  x.add_elixir(T, "delete_at", [](term t, term i) {
    auto e = tuple_elements(t);
    if (e.empty()) badarg();
    e.erase(e.begin() + static_cast<std::ptrdiff_t>(tuple_index(i, e.size() - 1)));
    return term::tuple(std::move(e));
  });
  x.add_elixir(T, "duplicate", [](term v, term n) {
    auto k = small(n);
    if (k < 0) badarg();
    return term::tuple(std::vector<term>(static_cast<std::size_t>(k), v));
  });

  // ---- Atom ----------------------------------------------------------------------------------
  x.add_elixir("Atom", "to_string", [](term a) {
    if (!a.is_atom()) badarg();
    return bin(a.atom_value().name());
  });
  x.add_elixir("Atom", "to_charlist", [](term a) {
    if (!a.is_atom()) badarg();
    return term::string(a.atom_value().name());
  });

  // ---- Range ---------------------------------------------------------------------------------
  x.add_elixir("Range", "new", [](term f, term l) {
    if (!f.is_small_integer() || !l.is_small_integer())
      raise_elixir("ArgumentError", "ranges (first..last) expect both sides to be integers, got: " +
                                        inspect(f) + ".." + inspect(l));
    std::int64_t first = f.small_integer(), last = l.small_integer();
    return make_range(first, last, first <= last ? 1 : -1);
  });
  x.add_elixir("Range", "new", [](term f, term l, term s) {
    if (!f.is_small_integer() || !l.is_small_integer() || !s.is_small_integer() || s.small_integer() == 0)
      raise_elixir("ArgumentError", "ranges (first..last//step) expect both sides to be integers and "
                                    "the step to be a non-zero integer, got: " +
                                        inspect(f) + ".." + inspect(l) + "//" + inspect(s));
    return make_range(f.small_integer(), l.small_integer(), s.small_integer());
  });

  // ---- exceptions ----------------------------------------------------------------------------
  for (const auto& k : exception_kinds())
    x.add_elixir(k.module, "exception", [&k](term arg) { return make_exception(k, arg); });
  // What `rescue e` lowers to: an Erlang error as the Elixir exception Elixir makes of it.
  x.add_elixir("Exception", "normalize", [](term kind, term reason, term stack) {
    if (!kind.is_atom(atom("error"))) return reason;
    return normalize_error(reason, stack);
  });
}

}  // namespace otpp::code::lib
