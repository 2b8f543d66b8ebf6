// IEx.Helpers on otpp nodes: flush/0, v/0,1, h/0,1, i/1, c/1,2, clear/0 and pid/1,3 as export-table
// entries run by the shell process that calls them, printing where the session prints.
#include "helpers.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "otpp/code/eval.hpp"
#include "otpp/runtime/pattern.hpp"

namespace otpp::shell::detail {
namespace {

const atom a_helpers(helpers_module);

std::mutex registry_mu;
// Few shells run on a node at once: a list is enough.
std::vector<std::pair<pid, std::shared_ptr<session::state>>>& registry() {
  static std::vector<std::pair<pid, std::shared_ptr<session::state>>> shells;
  return shells;
}

// The session of the shell process `self`; a helper called from any other process (over rpc)
// raises as iex's helpers do outside a shell.
std::shared_ptr<session::state> state_of(const process& self) {
  std::lock_guard lock(registry_mu);
  const pid me = self.self();
  auto it = std::find_if(registry().begin(), registry().end(), [&](const auto& e) { return e.first == me; });
  if (it == registry().end()) throw error_exception(elixir_exception("RuntimeError", "IEx.Helpers are available only in a shell process"));
  return it->second;
}

[[noreturn]] void argument_error(std::string message) {
  throw error_exception(elixir_exception("ArgumentError", message));
}

std::string text_of(const term& t) {
  if (t.is_binary()) return std::string(t.bytes_as_string());
  if (t.is_list()) {
    if (auto s = t.to_text()) return *s;
  }
  return {};
}

// "0.106.0", "<0.106.0>", "#PID<0.106.0>" -> {0, 106, 0}.
std::optional<std::vector<std::uint32_t>> dotted_numbers(const term& t) {
  if (!t.is_binary() && !t.is_list()) return std::nullopt;
  std::string text = text_of(t);
  std::string_view s = text;
  if (s.starts_with("#PID<") && s.ends_with(">")) s = s.substr(5, s.size() - 6);
  if (s.starts_with("<") && s.ends_with(">")) s = s.substr(1, s.size() - 2);
  std::vector<std::uint32_t> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::uint32_t v = 0;
    auto r = std::from_chars(s.data() + i, s.data() + s.size(), v);
    if (r.ec != std::errc()) return std::nullopt;
    out.push_back(v);
    i = static_cast<std::size_t>(r.ptr - s.data());
    if (i == s.size()) break;
    if (s[i] != '.') return std::nullopt;
    ++i;
  }
  return out;
}

term make_pid(const session::state& st, const term& shown, std::uint32_t n, std::uint32_t id, std::uint32_t serial) {
  runtime& rt = st.node->rt();
  if (n == 0) return term(pid{rt.node(), id, serial, rt.creation()});
  auto who = st.numbers->resolve(n);
  if (!who) argument_error("no node is known by the number " + std::to_string(n) + " in " + inspect(shown, st.format));
  return term(pid{who->node, id, serial, who->creation});
}

// ---- h/0, h/1 ----

struct helper_doc {
  const char* signature;
  const char* text;
};

// The helpers' own documentation, in iex's words (shortened where iex's is long).
const std::map<std::string, helper_doc>& helper_docs() {
  static const std::map<std::string, helper_doc> docs = {
      {"c/1", {"def c(files, path \\\\ :in_memory)",
               "Compiles the given files.\n\nIt expects a list of files to compile and an optional path to write the\n"
               "compiled code to. On otpp nodes the modules are defined in memory, on the node.\n\n"
               "It returns the names of the compiled modules."}},
      {"clear/0", {"def clear()", "Clears the console screen."}},
      {"flush/0", {"def flush()", "Flushes all messages sent to the shell and prints them out."}},
      {"h/0", {"def h()", "Prints the documentation for IEx.Helpers."}},
      {"h/1", {"defmacro h(term)", "Prints the documentation for the given module or for the given function/arity\npair."}},
      {"i/1", {"def i(term \\\\ v(-1))", "Prints information about the data type of any given term.\n\nIf no argument is "
                                        "given, the value of the previous expression is used."}},
      {"pid/1", {"def pid(string)", "Creates a PID from string or atom."}},
      {"pid/3", {"def pid(x, y, z)", "Creates a PID with 3 non-negative integers passed as arguments to the function."}},
      {"v/1", {"def v(n \\\\ -1)",
               "Returns the value of the `n`th expression in the history.\n\n`n` can be a negative value: if it is, "
               "the corresponding expression value\nrelative to the current one is returned. For example, `v(-2)` "
               "returns the value\nof the expression evaluated before the last evaluated expression. In\nparticular, "
               "`v(-1)` returns the result of the last evaluated expression and\n`v()` does the same."}},
  };
  return docs;
}

std::string header(std::string_view signature) {
  // iex centres the heading in an 80-column line, in the documentation's colours off a terminal.
  std::string pad(signature.size() < 80 ? (80 - signature.size()) / 2 : 0, ' ');
  return "\n" + pad + std::string(signature) + "\n\n";
}

std::string helpers_overview() {
  std::string out = header("IEx.Helpers");
  out +=
      "Welcome to Interactive Elixir on an otpp node. You are currently seeing the\n"
      "documentation for the module IEx.Helpers which provides many helpers to make\n"
      "the shell more joyful to work with.\n\n"
      "There are many other helpers available, here are some examples:\n\n";
  for (const auto& [name, doc] : helper_docs()) {
    std::string first(doc.text);
    first = first.substr(0, first.find('\n'));
    out += "  • " + name + std::string(name.size() < 9 ? 9 - name.size() : 1, ' ') + "- " + first + "\n";
  }
  out += "\nHelp for all of those functions can be consulted directly from the command line\n"
         "using the h/1 helper itself. Try:\n\n    h(v/0)\n\n";
  return out;
}

// What `h text` prints: a helper's documentation, or what the node knows of a module or
// function (no documentation is stored on otpp nodes).
std::string help(const session::state& st, std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
  std::string module;
  std::string fun = text;
  std::optional<std::size_t> arity;
  if (auto slash = fun.rfind('/'); slash != std::string::npos) {
    std::size_t n = 0;
    auto r = std::from_chars(fun.data() + slash + 1, fun.data() + fun.size(), n);
    if (r.ec != std::errc() || r.ptr != fun.data() + fun.size()) return "Invalid arguments for h helper: " + text + "\n";
    arity = n;
    fun.resize(slash);
  }
  if (auto dot = fun.rfind('.'); dot != std::string::npos) {
    module = fun.substr(0, dot);
    fun = fun.substr(dot + 1);
  } else if (!fun.empty() && (std::isupper(static_cast<unsigned char>(fun[0])) || fun[0] == ':')) {
    module = fun;
    fun.clear();
  }
  if (module.empty() || module == "IEx.Helpers") {
    if (fun.empty() && module.empty()) return helpers_overview();
    if (fun.empty()) return helpers_overview();
    std::string out;
    for (const auto& [name, doc] : helper_docs()) {
      const auto slash = name.find('/');
      if (name.substr(0, slash) != fun) continue;
      if (arity && std::to_string(*arity) != name.substr(slash + 1) && !(fun == "v" && *arity == 0) &&
          !(fun == "i" && *arity == 0))
        continue;
      out += header(doc.signature) + doc.text + "\n\n";
    }
    if (!out.empty()) return out;
    if (module.empty()) return "No documentation for Kernel." + text + " was found\n";
  }
  const atom m(module.starts_with(":") ? module.substr(1) : "Elixir." + module);
  std::vector<std::pair<std::string, std::size_t>> fns;
  for (const auto& e : st.node->exports().entries()) {
    if (e.module != m || e.arity < 0) continue;
    if (!fun.empty() && e.function.name() != fun) continue;
    if (arity && static_cast<std::size_t>(e.arity) != *arity) continue;
    fns.emplace_back(std::string(e.function.name()), static_cast<std::size_t>(e.arity));
  }
  std::sort(fns.begin(), fns.end());
  fns.erase(std::unique(fns.begin(), fns.end()), fns.end());
  if (fns.empty()) {
    if (fun.empty()) return "Could not load module " + module + ", got: nofile\n";
    return "No documentation for " + text + " was found\n";
  }
  std::string out;
  if (fun.empty()) {
    out = header(module) + "Functions of " + module + " on this node:\n\n";
    for (const auto& [f, n] : fns) out += "  • " + f + "/" + std::to_string(n) + "\n";
    return out + "\n";
  }
  for (const auto& [f, n] : fns) {
    out += header("def " + f + "/" + std::to_string(n)) + "Built into this node; no documentation is stored on otpp nodes.\n\n";
  }
  return out;
}

// ---- i/1 ----

std::string info(const term& t, const format_context& ctx, const std::optional<process_info>& proc = std::nullopt) {
  std::string type;
  std::vector<std::pair<std::string, std::string>> extra;
  std::string modules;
  std::string protocols = "IEx.Info, Inspect";
  if (t.is_atom()) {
    type = "Atom";
    modules = "Atom";
    protocols = "IEx.Info, Inspect, List.Chars, String.Chars";
    const std::string_view n = t.atom_value().name();
    if (n.starts_with("Elixir.")) {
      type = "Atom";
      extra.emplace_back("Raw representation", ":\"" + std::string(n) + "\"");
    }
  } else if (t.is_integer()) {
    type = "Integer";
    modules = "Integer";
    protocols = "IEx.Info, Inspect, List.Chars, String.Chars";
  } else if (t.is_float()) {
    type = "Float";
    modules = "Float";
    protocols = "IEx.Info, Inspect, List.Chars, String.Chars";
  } else if (t.is_binary()) {
    type = "BitString";
    extra.emplace_back("Byte size", std::to_string(t.bytes().size()));
    const bool printable = inspect(t, ctx).starts_with("\"");
    if (printable) {
      extra.emplace_back("Description", "This is a string: a UTF-8 encoded binary. It's printed surrounded by\n  \"double quotes\" because all UTF-8 encoded code points in it are printable.");
      std::string raw = "<<";
      for (std::uint8_t b : t.bytes()) raw += (raw.size() > 2 ? ", " : "") + std::to_string(b);
      extra.emplace_back("Raw representation", raw + ">>");
    }
    modules = printable ? "String, :binary" : ":binary";
    protocols = "Collectable, IEx.Info, Inspect, List.Chars, String.Chars";
  } else if (t.is_list()) {
    type = "List";
    modules = "List";
    protocols = "Collectable, Enumerable, IEx.Info, Inspect, List.Chars, String.Chars";
  } else if (t.is_tuple()) {
    type = "Tuple";
    modules = "Tuple";
  } else if (t.is_map()) {
    type = "Map";
    modules = "Map";
    protocols = "Collectable, Enumerable, IEx.Info, Inspect";
  } else if (t.is_pid()) {
    type = "PID";
    modules = "Process, Node";
    extra.emplace_back("Alive", proc ? "true" : "false");
    if (proc) {
      extra.emplace_back("Name", proc->registered_name ? inspect(term(*proc->registered_name), ctx) : "not registered");
      std::string links;
      for (const pid& l : proc->links) links += (links.empty() ? "" : ", ") + inspect(term(l), ctx);
      extra.emplace_back("Links", links.empty() ? "none" : links);
      extra.emplace_back("Message queue length", std::to_string(proc->message_queue_len));
      extra.emplace_back("Description", "Use Process.info/1 to get more info about this process");
    }
  } else if (t.is_fun()) {
    type = "Function";
    modules = "Function";
    protocols = "IEx.Info, Inspect";
  } else if (t.is_reference()) {
    type = "Reference";
  } else if (t.is_port()) {
    type = "Port";
    modules = "Port";
  } else {
    type = "BitString";
    modules = ":binary";
  }
  std::string out = "Term\n  " + inspect(t, ctx) + "\nData type\n  " + type + "\n";
  for (const auto& [k, v] : extra) out += k + "\n  " + v + "\n";
  if (!modules.empty()) out += "Reference modules\n  " + modules + "\n";
  out += "Implemented protocols\n  " + protocols + "\n";
  return out;
}

term value_at(const session::state& st, long long n) {
  std::lock_guard lock(const_cast<std::mutex&>(st.mu));
  const long long size = static_cast<long long>(st.results.size());
  const long long at = n < 0 ? size + n : n - 1;
  // iex keeps the last 20 results (its default history_size).
  if (at < 0 || at >= size || at < size - 20) {
    throw error_exception(elixir_exception("RuntimeError", "v(" + std::to_string(n) + ") is out of bounds"));
  }
  return st.results[static_cast<std::size_t>(at)];
}

task<term> write(process& self, std::string text) {
  auto st = state_of(self);
  if (st->out) st->out(text);
  co_return atoms::ok;
}

// c/1: the file's expressions, lowered as the shell lowers its input and run in this
// process; the modules its `defmodule`s defined.
task<term> compile_file(process& self, term file) {
  auto st = state_of(self);
  const std::string path = text_of(file);
  std::ifstream in(path, std::ios::binary);
  if (path.empty() || !in) {
    throw error_exception(elixir_exception("CompileError", "could not load " + path + ": no such file or directory"));
  }
  std::stringstream text;
  text << in.rdbuf();
  code::elixir_options opts = st->options ? st->options() : code::elixir_options{};
  code::elixir_scope scope;
  scope.imports.push_back({a_helpers, {}, {}});
  auto lowered = code::lower_elixir(text.str(), scope, opts);
  if (std::holds_alternative<code::elixir_incomplete>(lowered)) {
    throw error_exception(elixir_exception("TokenMissingError", path + ": incomplete expression at the end of file"));
  }
  if (auto* e = std::get_if<code::elixir_error>(&lowered)) throw error_exception(elixir_exception(e->kind, path + ":" + std::to_string(e->line) + ": " + e->message));
  std::vector<term> modules;
  code::bindings bs;
  for (const term& expr : std::get<code::elixir_lowered>(lowered).exprs.list_elements()) {
    term v = co_await code::eval_exprs(self, list_of(resolve_helper_calls(expr)), bs);
    if (v.is_tuple() && v.tuple_size() == 4 && v[0].is_atom(atom("module"))) modules.push_back(v[1]);
  }
  co_return term::list(std::move(modules));
}

}  // namespace

void remember_shell(const pid& shell, std::shared_ptr<session::state> st) {
  std::lock_guard lock(registry_mu);
  registry().emplace_back(shell, std::move(st));
}

void forget_shell(const pid& shell) {
  std::lock_guard lock(registry_mu);
  std::erase_if(registry(), [&](const auto& e) { return e.first == shell; });
}

bool helper_takes_source(std::string_view name, std::size_t arity) { return name == "h" && arity <= 1; }

atom no_result() { return atom("do not show this result in output"); }

term resolve_helper_calls(const term& t) {
  if (t.is_tuple()) {
    if (t.tuple_size() == 4 && t[0].is_atom(atom("call")) && t[2].is_tuple() && t[2].tuple_size() == 3 &&
        t[2][0].is_atom(atom("atom")) && t[2][2].is_atom() && t[3].is_list() &&
        helper_takes_source(t[2][2].atom_value().name(), t[3].list_elements().size())) {
      const term& l = t[1];
      term fn = term::tuple({atom("remote"), l, term::tuple({atom("atom"), l, a_helpers}), t[2]});
      return term::tuple({t[0], l, fn, resolve_helper_calls(t[3])});
    }
    std::vector<term> items;
    for (std::size_t i = 0; i < t.tuple_size(); ++i) items.push_back(resolve_helper_calls(t[i]));
    return term::tuple(std::move(items));
  }
  if (t.is_list() && !t.is_nil() && t.is_proper_list()) {
    std::vector<term> items;
    for (const term& x : t.list_elements()) items.push_back(resolve_helper_calls(x));
    return term::list(std::move(items));
  }
  return t;
}

void add_halt(export_table& x) {
  auto halt = [](term status) -> term {
    // Output was written with write(2); nothing is buffered that the exit would lose.
    if (status.is_atom(atom("abort"))) std::abort();
    int code = 1;
    if (auto n = status.to_int64(); n && *n >= 0) code = static_cast<int>(*n & 0xFF);
    std::_Exit(code);
  };
  x.add("erlang", "halt", [halt] { return halt(term(0)); });
  x.add("erlang", "halt", [halt](term status) { return halt(status); });
  x.add_elixir("System", "halt", [halt] { return halt(term(0)); });
  x.add_elixir("System", "halt", [halt](term status) { return halt(status); });
}

void add_helpers(export_table& x) {
  const std::string m = helpers_module;
  x.add(m, "flush", [](process& self) -> task<term> {
    auto st = state_of(self);
    for (;;) {
      auto msg = co_await self.receive(on(_) >> [](term t) { return std::optional<term>(std::move(t)); },
                                       after(std::chrono::milliseconds(0), [] { return std::optional<term>(); }));
      if (!msg) break;
      if (st->out) st->out(inspect(*msg, st->format) + "\n");
    }
    co_return atoms::ok;
  });
  x.add(m, "pid", [](process& self, term s) -> task<term> {
    auto st = state_of(self);
    if (s.is_atom()) {
      if (auto p = self.rt().whereis(s.atom_value())) co_return term(*p);
      co_return atoms::nil;
    }
    auto parts = dotted_numbers(s);
    if (!parts || parts->size() != 3) argument_error("expected a string like \"0.106.0\", got: " + inspect(s, st->format));
    co_return make_pid(*st, s, (*parts)[0], (*parts)[1], (*parts)[2]);
  });
  x.add(m, "pid", [](process& self, term a, term b, term c) -> task<term> {
    auto st = state_of(self);
    auto x1 = a.to_int64();
    auto y = b.to_int64();
    auto z = c.to_int64();
    if (!x1 || !y || !z || *x1 < 0 || *y < 0 || *z < 0) {
      throw error_exception(atom("function_clause"),
                            list_of(term::tuple({a_helpers, atom("pid"), list_of(a, b, c), term::list({})})));
    }
    co_return make_pid(*st, a, static_cast<std::uint32_t>(*x1), static_cast<std::uint32_t>(*y),
                       static_cast<std::uint32_t>(*z));
  });
  x.add(m, "v", [](process& self) -> task<term> { co_return value_at(*state_of(self), -1); });
  x.add(m, "v", [](process& self, term n) -> task<term> {
    auto i = n.to_int64();
    if (!i) throw error_exception(atom("function_clause"), list_of(term::tuple({a_helpers, atom("v"), list_of(n), term::list({})})));
    co_return value_at(*state_of(self), *i);
  });
  x.add(m, "h", [](process& self) -> task<term> {
    (void)co_await write(self, helpers_overview());
    co_return no_result();
  });
  x.add(m, "h", [](process& self, term text) -> task<term> {
    auto st = state_of(self);
    (void)co_await write(self, help(*st, text_of(text)));
    co_return no_result();
  });
  x.add(m, "i", [](process& self) -> task<term> {
    auto st = state_of(self);
    (void)co_await write(self, info(value_at(*st, -1), st->format));
    co_return no_result();
  });
  x.add(m, "i", [](process& self, term t) -> task<term> {
    auto st = state_of(self);
    std::optional<process_info> proc;
    if (t.is_pid() && self.rt().is_local(t.pid_value())) proc = co_await self.info(t.pid_value());
    (void)co_await write(self, info(t, st->format, proc));
    co_return no_result();
  });
  x.add(m, "c", [](process& self, term file) -> task<term> { co_return co_await compile_file(self, std::move(file)); });
  x.add(m, "c", [](process& self, term file, term) -> task<term> { co_return co_await compile_file(self, std::move(file)); });
  x.add(m, "clear", [](process& self) -> task<term> {
    (void)co_await write(self, "\033[H\033[2J");
    co_return no_result();
  });
}

}  // namespace otpp::shell::detail
