// A shell session on a node: each input lowered from Elixir to abstract format (the scope of
// variables kept across inputs) and run by the code layer's evaluator in the shell process, as
// iex's evaluator process runs it; prompts, counters and results as iex keeps them; the
// restart of a shell process that a link killed.
#include "otpp/shell/session.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "helpers.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/code/module_loader.hpp"
#include "otpp/runtime/pattern.hpp"
#include "otpp/term/print.hpp"

namespace otpp::shell {

namespace {

// The driver's requests and the shell process's answers.
const atom a_eval("$otpp_shell_eval");
const atom a_value("$otpp_shell_value");
const atom a_raised("$otpp_shell_raised");

// The shell process: evaluates each input it is sent with the bindings earlier inputs made
// (a failed input leaves them as they were) and answers the driver. Everything else in its
// mailbox is the user's (flush/0, receive).
process_task shell_process(process& self, pid driver) {
  code::bindings bs;
  for (;;) {
    term req = co_await self.receive(
        match_if([](const term& t) { return t.is_tuple() && t.tuple_size() == 3 && t[0].is_atom(a_eval); }) >>
        [](term t) { return t; });
    term reply;
    try {
      term v = co_await code::eval_exprs(self, req[2], bs);
      reply = tuple_of(a_value, req[1], std::move(v));
    } catch (const error_exception& e) {
      reply = term::tuple({a_raised, req[1], atoms::error, e.reason(), e.stack()});
    } catch (const exit_exception& e) {
      reply = term::tuple({a_raised, req[1], atoms::exit, e.reason(), term::list({})});
    } catch (const throw_exception& e) {
      reply = term::tuple({a_raised, req[1], atoms::throw_, e.value(), term::list({})});
    } catch (const std::exception& e) {
      reply = term::tuple({a_raised, req[1], atoms::error,
                           elixir_exception("RuntimeError", e.what()), term::list({})});
    }
    // An exit signal the input sent this process (`Process.exit(self(), :kill)`) takes
    // effect before the answer, as it does before iex prints a result.
    co_await self.receive(match_if([](const term&) { return false; }) >> [] {},
                          after(std::chrono::milliseconds(0), [] {}));
    self.send(driver, std::move(reply));
  }
}

// Modules of Elixir's and Erlang/OTP's standard applications, which iex names in a stack
// frame (`(elixir 1.14.0) String.nosuch(1)`) and whose functions otpp has only in part (so
// "Did you mean" lists none). `:erlang` belongs to erts, which iex names none for.
std::string application_of(atom m) {
  const std::string_view n = m.name();
  if (n.starts_with("Elixir.IEx")) return "iex 1.14.0";
  if (n.starts_with("Elixir.Logger")) return "logger 1.14.0";
  if (n.starts_with("Elixir.")) {
    static const std::set<std::string_view> elixir = {
        "Access",  "Agent",    "Application", "Atom",       "Base",      "Bitwise",   "Calendar",
        "Code",    "Date",     "DateTime",    "Enum",       "Enumerable", "Exception", "File",
        "Float",   "Function", "GenServer",   "Integer",    "IO",        "Inspect",   "Kernel",
        "Keyword", "List",     "Map",         "MapSet",     "Module",    "NaiveDateTime", "Node",
        "Path",    "Port",     "Process",     "Protocol",   "Range",     "Regex",     "Registry",
        "Stream",  "String",   "StringIO",    "Supervisor", "System",    "Task",      "Time",
        "Tuple",   "URI",      "Version",     "Collectable", "DynamicSupervisor", "Record"};
    std::string_view rest = n.substr(7);
    rest = rest.substr(0, rest.find('.'));
    return elixir.count(rest) ? "elixir 1.14.0" : "";
  }
  static const std::set<std::string_view> stdlib = {
      "lists", "io",       "io_lib", "string",     "maps",     "proplists", "timer", "unicode",
      "binary", "math",    "sets",   "dict",       "orddict",  "ordsets",   "queue", "gen_server",
      "gen",   "proc_lib", "sys",    "supervisor", "erl_eval", "calendar",  "ets",   "filename"};
  static const std::set<std::string_view> kernel = {"rpc",  "erpc", "net_kernel", "net_adm", "global",
                                                    "code", "os",   "file",       "application",
                                                    "logger", "inet", "gen_tcp"};
  if (stdlib.count(n)) return "stdlib 4.2";
  if (kernel.count(n)) return "kernel 8.5.3";
  return {};
}

bool has_module(otp::node& node, atom m) {
  for (const auto& e : node.exports().entries()) {
    if (e.module == m) return true;
  }
  return false;
}

// The modules an input defines (`otpp_module:define(Name, ...)` calls, nested ones too), with the
// line of each `defmodule`.
void defined_modules(const term& t, std::vector<std::pair<atom, term>>& out) {
  if (t.is_tuple()) {
    if (t.tuple_size() == 4 && t[0].is_atom(atom("call")) && t[2].is_tuple() && t[2].tuple_size() == 4 &&
        t[2][0].is_atom(atom("remote")) && t[2][2].is_tuple() && t[2][2].tuple_size() == 3 &&
        t[2][2][2].is_atom(atom("otpp_module")) && t[2][3].is_tuple() && t[2][3].tuple_size() == 3 &&
        t[2][3][2].is_atom(atom("define")) && t[3].is_proper_list() && !t[3].is_nil()) {
      const term& name = *t[3].list_elements().begin();
      if (name.is_tuple() && name.tuple_size() == 3 && name[2].is_atom()) out.emplace_back(name[2].atom_value(), t[1]);
    }
    for (std::size_t i = 0; i < t.tuple_size(); ++i) defined_modules(t[i], out);
  } else if (t.is_list() && !t.is_nil() && t.is_proper_list()) {
    for (const term& x : t.list_elements()) defined_modules(x, out);
  }
}

// Variables a clause binds and nothing reads (Elixir's "variable "x" is unused"), found in the
// lowered forms: each binding of an Elixir variable is an Erlang variable of its own
// (`_x@3`), so one bound inside a clause (fn, case, receive, ...) and seen only once is unused.
// Variables the prompt itself binds are the shell's, never unused; the lowering's own
// temporaries have no Elixir name (`_@4`) or one it may leave unread (`_stacktrace@5`).
class unused_variables {
 public:
  explicit unused_variables(const term& forms) {
    count(forms, false);
  }
  /// `{Elixir name, line}` of each unused variable, in the order they appear.
  [[nodiscard]] std::vector<std::pair<std::string, term>> found() const {
    std::vector<std::pair<std::string, term>> out;
    for (const auto& [name, line] : in_clauses_) {
      auto it = uses_.find(name);
      if (it == uses_.end() || it->second != 1) continue;
      std::string base = elixir_name(name);
      if (base.empty() || base.starts_with("_") || base == "stacktrace" || base == "reason") continue;
      if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.first == base && o.second == line; })) continue;
      out.emplace_back(std::move(base), line);
    }
    return out;
  }

 private:
  // `_x@3` -> `x`; anything else (a name the user could not write) -> "".
  static std::string elixir_name(std::string_view erlang) {
    const auto at = erlang.rfind('@');
    if (!erlang.starts_with("_") || at == std::string_view::npos || at < 1) return {};
    return std::string(erlang.substr(1, at - 1));
  }
  void count(const term& t, bool in_clause) {
    if (t.is_tuple()) {
      if (t.tuple_size() == 3 && t[0].is_atom(atom("var")) && t[2].is_atom()) {
        const std::string name(t[2].atom_value().name());
        if (++uses_[name] == 1 && in_clause) in_clauses_.emplace_back(name, t[1]);
        return;
      }
      const bool clause = t.tuple_size() == 5 && t[0].is_atom(atom("clause"));
      for (std::size_t i = 0; i < t.tuple_size(); ++i) count(t[i], in_clause || clause);
    } else if (t.is_list() && !t.is_nil() && t.is_proper_list()) {
      for (const term& x : t.list_elements()) count(x, in_clause);
    }
  }
  std::map<std::string, int> uses_;
  std::vector<std::pair<std::string, term>> in_clauses_;
};

// The unused variables of the functions a `defmodule` defines, as Elixir's compiler reports
// them: each clause (a def's, or an fn's, case's, ... inside it) when it ends, so an inner
// clause's before its outer one's, each in the order its variables appear; with the function.
// Functions the lowering generates (`__struct__`, `__info__`) have no variables of the user's.
class unused_in_module {
 public:
  struct warning {
    std::string variable;
    term line;
    std::string function;  ///< `Kate.name/1`
  };

  explicit unused_in_module(const term& define_call) {
    const term& args = define_call[3];
    const term& name = args.list_elements()[0];
    auto forms = code::normalise(args.list_elements()[1]);
    if (!forms || !forms->is_proper_list() || !name.is_tuple() || name.tuple_size() != 3 || !name[2].is_atom()) return;
    const std::string module = to_string(name[2], print_options(syntax::elixir));
    for (const term& f : forms->list_elements()) {
      if (!f.is_tuple() || f.tuple_size() != 5 || !f[0].is_atom(atom("function")) || !f[2].is_atom() ||
          f[2].atom_value().name().starts_with("__") || !f[4].is_proper_list())
        continue;
      uses_.clear();
      count(f[4]);
      function_ = module + "." + std::string(f[2].atom_value().name()) + "/" + f[3].integer_to_string();
      for (const term& clause : f[4].list_elements()) report(clause);
    }
  }
  [[nodiscard]] const std::vector<warning>& found() const { return found_; }

 private:
  static bool is_var(const term& t) { return t.is_tuple() && t.tuple_size() == 3 && t[0].is_atom(atom("var")) && t[2].is_atom(); }
  static bool is_clause(const term& t) { return t.is_tuple() && t.tuple_size() == 5 && t[0].is_atom(atom("clause")); }

  void count(const term& t) {
    if (is_var(t)) {
      ++uses_[std::string(t[2].atom_value().name())];
    } else if (t.is_tuple()) {
      for (std::size_t i = 0; i < t.tuple_size(); ++i) count(t[i]);
    } else if (t.is_list() && !t.is_nil() && t.is_proper_list()) {
      for (const term& x : t.list_elements()) count(x);
    }
  }

  // The variables first seen in `t` outside its nested clauses, each nested clause reported
  // as it ends.
  void own_variables(const term& t, std::vector<std::pair<std::string, term>>& own) {
    if (is_clause(t)) {
      report(t);
    } else if (is_var(t)) {
      own.emplace_back(std::string(t[2].atom_value().name()), t[1]);
    } else if (t.is_tuple()) {
      for (std::size_t i = 0; i < t.tuple_size(); ++i) own_variables(t[i], own);
    } else if (t.is_list() && !t.is_nil() && t.is_proper_list()) {
      for (const term& x : t.list_elements()) own_variables(x, own);
    }
  }

  void report(const term& clause) {
    std::vector<std::pair<std::string, term>> own;
    for (std::size_t i = 2; i < clause.tuple_size(); ++i) own_variables(clause[i], own);
    for (const auto& [erlang_name, line] : own) {
      auto it = uses_.find(erlang_name);
      if (it == uses_.end() || it->second != 1) continue;
      const auto at = erlang_name.rfind('@');
      if (!erlang_name.starts_with("_") || at == std::string::npos || at < 1) continue;
      std::string base = erlang_name.substr(1, at - 1);
      if (base.empty() || base.starts_with("_")) continue;
      found_.push_back({std::move(base), line, function_});
    }
  }

  std::map<std::string, int> uses_;
  std::string function_;
  std::vector<warning> found_;
};

// The `otpp_module:define(...)` calls of an input, nested ones too.
void define_calls(const term& t, std::vector<term>& out) {
  if (t.is_tuple()) {
    if (t.tuple_size() == 4 && t[0].is_atom(atom("call")) && t[2].is_tuple() && t[2].tuple_size() == 4 &&
        t[2][0].is_atom(atom("remote")) && t[2][2].is_tuple() && t[2][2].tuple_size() == 3 &&
        t[2][2][2].is_atom(atom("otpp_module")) && t[2][3].is_tuple() && t[2][3].tuple_size() == 3 &&
        t[2][3][2].is_atom(atom("define")) && t[3].is_proper_list() && t[3].list_elements().size() == 3)
      out.push_back(t);
    for (std::size_t i = 0; i < t.tuple_size(); ++i) define_calls(t[i], out);
  } else if (t.is_list() && !t.is_nil() && t.is_proper_list()) {
    for (const term& x : t.list_elements()) define_calls(x, out);
  }
}

std::string snippet(std::string_view text, std::size_t line, std::size_t column, std::size_t first_line) {
  // The source line with a caret under the column, as Elixir 1.14 prints it.
  const std::size_t rel = line >= first_line ? line - first_line + 1 : 1;
  std::size_t at = 1;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size() && at < rel; ++i) {
    if (text[i] == '\n') {
      ++at;
      start = i + 1;
    }
  }
  std::size_t end = text.find('\n', start);
  if (end == std::string_view::npos) end = text.size();
  std::string number = std::to_string(line);
  while (number.size() < 3) number.insert(number.begin(), ' ');
  std::string out = "    |\n" + number + " | " + std::string(text.substr(start, end - start)) + "\n    | ";
  out += std::string(column > 0 ? column - 1 : 0, ' ') + "^\n";
  return out;
}

}  // namespace

session::session(otp::node& node, sinks io) : node_(node), io_(std::move(io)) {
  numbers_ = std::make_shared<node_numbers>(node_.name());
  if (!node_.exports().find(atoms::erlang, atom("apply"), 2)) code::install(node_);
  detail::add_helpers(node_.exports());
  detail::add_halt(node_.exports());

  format_.print = print_options(syntax::elixir);
  format_.print.node_number = node_numbers::numbering(numbers_);
  otp::node* n = &node_;
  format_.module_exists = [n](atom m) { return !application_of(m).empty() || has_module(*n, m); };
  // Only the node's own modules are known in full; the standard modules are a part of what
  // Elixir and OTP have, so a list of their functions would mislead.
  format_.module_functions = [n](atom m) {
    std::vector<std::pair<atom, std::size_t>> out;
    if (!application_of(m).empty() || m == atoms::erlang) return out;
    for (const auto& e : n->exports().entries()) {
      if (e.module == m && e.arity >= 0) out.emplace_back(e.function, static_cast<std::size_t>(e.arity));
    }
    return out;
  };
  format_.application = [](atom m) { return application_of(m); };

  state_ = std::make_shared<state>();
  state_->node = &node_;
  state_->numbers = numbers_;
  state_->format = format_;
  state_->out = [this](std::string_view s) {
    if (io_.out) io_.out(s);
  };
  state_->options = [this] { return lowering_options(); };

  // Erlang nodes send the log events of processes whose group leader is here to `logger`.
  logger_ = std::make_unique<log_printer>(node_.rt(), format_, [this](std::string_view text) {
    if (io_.out) io_.out(text);
  });
  driver_ = std::make_unique<scoped_process>(node_.rt());
  start_process();
}

session::~session() {
  const pid shell = shell_.process();
  detail::forget_shell(shell);
  if (driver_) driver_->exit(shell, term(atoms::kill));
  logger_.reset();
  driver_.reset();
}

void session::start_process() {
  spawn_options o;
  o.monitor = true;
  spawned s = driver_->spawn_opt(o, shell_process, driver_->self());
  detail::remember_shell(s.pid, state_);
  {
    std::lock_guard lock(state_->mu);
    state_->results.clear();
  }
  scope_ = {};
  scope_.imports.push_back({atom(detail::helpers_module), {}, {}});
  shell_.set(s.pid, *s.monitor);
}

pid session::self() const { return shell_.process(); }

std::string session::inspect_result(const term& t) const {
  print_options o = print_options::iex();
  o.node_number = format_.print.node_number;
  if (io_.columns) {
    if (const auto c = io_.columns(); c && *c > 0) o.width = std::min<std::size_t>(o.width, static_cast<std::size_t>(*c));
  }
  return to_string(t, o);
}

std::string session::banner() { return "Interactive otpp (" OTPP_VERSION ") - press Ctrl+C or Ctrl+D to exit"; }

std::string session::prompt() const {
  // iex's: `iex(2)> ` and `...(2)> `, or with the node's name `...(alex@localhost)2> `.
  const std::string n = std::to_string(counter_);
  const std::string head = pending_.empty() ? "otpp(" : "...(";
  if (node_.engine()) return head + std::string(node_.name().name()) + ")" + n + "> ";
  return head + n + ")> ";
}

void session::interrupt() {
  interrupted_ = true;
  node_.rt().exit(shell_.process(), term(atoms::kill));
}

code::elixir_options session::lowering_options() const {
  code::elixir_options o;
  o.is_local = [](std::string_view name, std::size_t arity) { return detail::helper_takes_source(name, arity); };
  o.takes_source = o.is_local;
  otp::node* n = &node_;
  o.exports = [n](atom m, std::string_view name, std::size_t arity) {
    return n->exports().find(m, atom(name), arity).has_value();
  };
  o.first_line = counter_;
  return o;
}

void session::restart(const term& reason, const pid& dead) {
  pending_.clear();
  detail::forget_shell(dead);
  logger_->sync(*driver_);
  if (!interrupted_ && io_.out) {
    io_.out(format_shell_exit(dead, reason, format_) + "\n\n" + banner() + "\n");
  }
  interrupted_ = false;
  counter_ = 1;
  start_process();
}

bool session::take_down(std::chrono::milliseconds wait) {
  const reference mref = shell_.get().second;
  auto down = driver_->receive(
      match_if([&](const term& t) {
        return t.is_tuple() && t.tuple_size() == 5 && t[0].is_atom(atoms::DOWN) && t[1].is_reference() &&
               t[1].reference_value() == mref;
      }) >> [](term t) { return std::optional<term>(std::move(t)); },
      after(wait, [] { return std::optional<term>(); }));
  if (!down) return false;
  restart((*down)[4], (*down)[3].pid_value());
  return true;
}

bool session::poll() { return take_down(std::chrono::milliseconds(0)); }

std::optional<std::string> session::abandon_input() {
  if (pending_.empty()) return std::nullopt;
  pending_.clear();
  return "** (TokenMissingError) iex:" + std::to_string(counter_) +
         ": incomplete expression at the end of input\n\n";
}

session::outcome session::feed(std::string_view line, bool print_result) {
  if (pending_.empty()) {
    bool blank = true;
    for (char c : line) {
      if (c != ' ' && c != '\t' && c != '\r') blank = false;
    }
    if (blank) return outcome::empty;
  }
  pending_.append(line);
  pending_ += '\n';
  return evaluate(pending_, print_result);
}

session::outcome session::evaluate(const std::string& source, bool print_result) {
  code::elixir_outcome lowered = code::lower_elixir(source, scope_, lowering_options());
  if (std::holds_alternative<code::elixir_incomplete>(lowered)) return outcome::more;
  const std::string text = std::exchange(pending_, {});
  if (auto* err = std::get_if<code::elixir_error>(&lowered)) {
    std::string out = err->describe("iex") + "\n";
    if (err->kind == "SyntaxError" && err->column > 0) out += snippet(text, err->line, err->column, counter_);
    io_.out(out + "\n");
    return outcome::error;
  }
  auto& ok = std::get<code::elixir_lowered>(lowered);
  if (ok.exprs.is_nil()) return outcome::empty;
  const term exprs = detail::resolve_helper_calls(ok.exprs);
  // As Elixir's compiler warns, on standard error, before the input runs.
  for (const auto& [name, line] : unused_variables(exprs).found()) {
    if (io_.err)
      io_.err("warning: variable \"" + name +
              "\" is unused (if the variable is not meant to be used, prefix it with an underscore)\n  iex:" +
              std::to_string(line.to_int64().value_or(static_cast<std::int64_t>(counter_))) + "\n\n");
  }
  std::vector<term> defines;
  define_calls(exprs, defines);
  for (const term& call : defines) {
    const unused_in_module module(call);
    for (const auto& w : module.found()) {
      if (io_.err)
        io_.err("warning: variable \"" + w.variable +
                "\" is unused (if the variable is not meant to be used, prefix it with an underscore)\n  iex:" +
                std::to_string(w.line.to_int64().value_or(static_cast<std::int64_t>(counter_))) + ": " + w.function +
                "\n\n");
    }
  }
  std::vector<std::pair<atom, term>> modules;
  defined_modules(exprs, modules);
  for (const auto& [m, line] : modules) {
    if (!has_module(node_, m) || !io_.err) continue;
    io_.err("warning: redefining module " + inspect(term(m)) + " (current version defined in memory)\n  iex:" +
            std::to_string(line.to_int64().value_or(static_cast<std::int64_t>(counter_))) + "\n\n");
  }
  const reference ref = driver_->make_ref();
  const auto held = shell_.get();
  const pid shell = held.first;
  const reference mref = held.second;
  driver_->send(shell, tuple_of(a_eval, ref, exprs));
  term reply = driver_->receive(
      match_if([&](const term& t) {
        if (!t.is_tuple() || t.tuple_size() < 3) return false;
        if ((t[0].is_atom(a_value) || t[0].is_atom(a_raised)) && t[1].is_reference() && t[1].reference_value() == ref)
          return true;
        return t.tuple_size() == 5 && t[0].is_atom(atoms::DOWN) && t[1].is_reference() && t[1].reference_value() == mref;
      }) >>
      [](term t) { return t; });
  if (reply[0].is_atom(atoms::DOWN)) {
    restart(reply[4], shell);
    return outcome::error;
  }
  if (reply[0].is_atom(a_value)) {
    scope_ = std::move(ok.scope);
    {
      std::lock_guard lock(state_->mu);
      state_->results.push_back(reply[2]);
    }
    if (print_result && !reply[2].is_atom(detail::no_result())) io_.out(inspect_result(reply[2]) + "\n");
    ++counter_;
    return outcome::ok;
  }
  scope_ = code::scope_after_failure(scope_, ok.scope);
  const error_class cls = reply[2].is_atom(atoms::exit)     ? error_class::exit
                          : reply[2].is_atom(atoms::throw_) ? error_class::throw_
                                                            : error_class::error;
  const term& reason = reply[3];
  const term& stack = reply[4];
  // As IEx prunes its stack traces: the evaluator's own frames are not the user's code.
  std::vector<stack_frame> frames = stack_from_term(stack).value_or(std::vector<stack_frame>{});
  std::erase_if(frames, [](const stack_frame& f) { return f.module.name() == "erl_eval"; });
  io_.out(format_exception(cls, reason, frames, bif_argument_errors(reason, stack), format_));
  return outcome::error;
}

std::vector<std::string> session::complete(std::string_view word) const {
  std::set<std::string> out;
  const auto dot = word.rfind('.');
  if (dot == std::string_view::npos) {
    for (const auto& [name, version] : scope_.variables) {
      if (name.starts_with(word)) out.insert(name);
    }
  }
  std::string prefix_module;
  std::string erlang_module;
  if (dot != std::string_view::npos) {
    std::string_view m = word.substr(0, dot);
    if (m.starts_with(":")) {
      erlang_module = std::string(m.substr(1));
    } else if (auto alias = scope_.aliases.find(m); alias != scope_.aliases.end()) {
      erlang_module = std::string(alias->second.name());
    } else {
      erlang_module = "Elixir." + std::string(m);
    }
    prefix_module = std::string(word.substr(0, dot + 1));
  }
  const std::string_view tail = dot == std::string_view::npos ? word : word.substr(dot + 1);
  for (const auto& e : node_.exports().entries()) {
    const std::string_view m = e.module.name();
    if (dot != std::string_view::npos) {
      if (m == erlang_module) {
        const std::string_view f = e.function.name();
        if (f.starts_with(tail)) out.insert(prefix_module + std::string(f));
      } else if (m.starts_with(erlang_module + ".") && erlang_module.starts_with("Elixir.")) {
        // Nested modules: `String.` -> `String.Chars`.
        std::string_view rest = m.substr(erlang_module.size() + 1);
        rest = rest.substr(0, rest.find('.'));
        if (rest.starts_with(tail)) out.insert(prefix_module + std::string(rest));
      }
      continue;
    }
    if (word.starts_with(":")) {
      if (!m.starts_with("Elixir.") && m.starts_with(word.substr(1))) out.insert(":" + std::string(m));
      continue;
    }
    if (m == detail::helpers_module && e.function.name().starts_with(word)) out.insert(std::string(e.function.name()));
    if (m.starts_with("Elixir.")) {
      std::string_view top = m.substr(7);
      top = top.substr(0, top.find('.'));
      if (top.starts_with(word)) out.insert(std::string(top));
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace otpp::shell
