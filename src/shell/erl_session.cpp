// The erl-style shell session: each form read by the code layer's Erlang parser and evaluated,
// one top-level expression at a time as erl's shell does, in the shell process with the bindings
// the session keeps; erl's shell commands handled here, its results and exceptions printed as
// erl prints them.
#include "otpp/shell/erl_session.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "erl_errors.hpp"
#include "helpers.hpp"
#include "otpp/code/erl_parse.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/io_format.hpp"
#include "otpp/otp/services.hpp"
#include "otpp/runtime/pattern.hpp"
#include "otpp/term/print.hpp"

namespace otpp::shell {

namespace {

const atom a_eval("$otpp_erl_eval");
const atom a_value("$otpp_erl_value");
const atom a_raised("$otpp_erl_raised");
const atom a_call("call"), a_atom("atom"), a_remote("remote"), a_var("var"), a_integer("integer"), a_op("op");
const atom a_c("c"), a_flush("flush"), a_exit_tag("EXIT"), a_unbound_var("unbound_var");

// Results and commands erl's shell keeps (shell_history_length, shell_saved_results).
constexpr std::size_t kept_commands = 20;

// The shell process: evaluates each expression it is sent with the bindings that come with it
// and answers the value and the new bindings, or the exception. Everything else in its mailbox
// is the user's (flush/0, receive).
process_task erl_shell_process(process& self, pid driver) {
  for (;;) {
    term req = co_await self.receive(
        match_if([](const term& t) { return t.is_tuple() && t.tuple_size() == 4 && t[0].is_atom(a_eval); }) >>
        [](term t) { return t; });
    term reply;
    code::bindings bs = code::bindings::from_term(req[3]).value_or(code::bindings{});
    try {
      term v = co_await code::eval_exprs(self, req[2], bs);
      reply = term::tuple({a_value, req[1], std::move(v), bs.to_term()});
    } catch (const error_exception& e) {
      reply = term::tuple({a_raised, req[1], atoms::error, e.reason(), e.stack()});
    } catch (const exit_exception& e) {
      reply = term::tuple({a_raised, req[1], atoms::exit, e.reason(), term::list({})});
    } catch (const throw_exception& e) {
      reply = term::tuple({a_raised, req[1], atoms::throw_, e.value(), term::list({})});
    } catch (const std::exception& e) {
      reply = term::tuple({a_raised, req[1], atoms::error, term::binary(e.what()), term::list({})});
    }
    // An exit signal the input sent this process takes effect before the answer.
    co_await self.receive(match_if([](const term&) { return false; }) >> [] {},
                          after(std::chrono::milliseconds(0), [] {}));
    self.send(driver, std::move(reply));
  }
}

bool is_call(const term& e) { return e.is_tuple() && e.tuple_size() == 4 && e[0].is_atom(a_call) && e[3].is_proper_list(); }

// `{call, L, {atom, L, Name}, Args}` with `arity` arguments.
bool is_local_call(const term& e, std::string_view name, std::size_t arity) {
  return is_call(e) && e[2].is_tuple() && e[2].tuple_size() == 3 && e[2][0].is_atom(a_atom) &&
         e[2][2].is_atom(atom(name)) && e[3].list_elements().size() == arity;
}

bool is_remote_call(const term& e, std::string_view m, std::string_view f, std::size_t arity) {
  if (!is_call(e) || !e[2].is_tuple() || e[2].tuple_size() != 4 || !e[2][0].is_atom(a_remote)) return false;
  const term& mod = e[2][2];
  const term& fn = e[2][3];
  return mod.is_tuple() && mod.tuple_size() == 3 && mod[2].is_atom(atom(m)) && fn.is_tuple() && fn.tuple_size() == 3 &&
         fn[2].is_atom(atom(f)) && e[3].list_elements().size() == arity;
}

struct no_command {
  std::string shown;
};

// Rewrites what the shell expands before evaluating (shell:expand_hist/2 and its local
// functions): `v(N)` becomes a variable bound to result N, and `flush()` the shell_default
// function it stands for, `c:flush()`.
class expander {
 public:
  expander(const std::map<std::size_t, std::string>& sources, const std::map<std::size_t, term>& values,
           std::size_t current)
      : sources_(sources), values_(values), current_(current) {}

  term expand(const term& t) {
    if (t.is_tuple()) {
      if (is_local_call(t, "v", 1)) return history_value(t);
      if (is_local_call(t, "flush", 0)) {
        const term& l = t[1];
        term fn = term::tuple({a_remote, l, term::tuple({a_atom, l, a_c}), term::tuple({a_atom, l, a_flush})});
        return term::tuple({a_call, l, fn, term()});
      }
      std::vector<term> items;
      items.reserve(t.tuple_size());
      for (std::size_t i = 0; i < t.tuple_size(); ++i) items.push_back(expand(t[i]));
      return term::tuple(std::move(items));
    }
    if (t.is_list() && !t.is_nil() && t.is_proper_list()) {
      std::vector<term> items;
      for (const term& x : t.list_elements()) items.push_back(expand(x));
      return term::list(std::move(items));
    }
    return t;
  }
  /// The variables the expansion bound, with their values.
  [[nodiscard]] const std::vector<std::pair<atom, term>>& hidden() const noexcept { return hidden_; }

 private:
  term history_value(const term& call) {
    const term& arg = *call[3].list_elements().begin();
    std::optional<std::int64_t> n;
    std::string shown;
    if (arg.is_tuple() && arg.tuple_size() == 3 && arg[0].is_atom(a_integer) && arg[2].to_int64()) {
      n = *arg[2].to_int64();
      shown = std::to_string(*n);
    } else if (arg.is_tuple() && arg.tuple_size() == 4 && arg[0].is_atom(a_op) && arg[2].is_atom(atom("-")) &&
               arg[3].is_tuple() && arg[3].tuple_size() == 3 && arg[3][0].is_atom(a_integer) && arg[3][2].to_int64()) {
      n = -*arg[3][2].to_int64();
      shown = "-" + std::to_string(-*n);
    } else {
      return call;  // not a command number: v/1 is then an undefined shell command
    }
    const std::int64_t which = *n < 0 ? static_cast<std::int64_t>(current_) + *n : *n;
    auto it = which > 0 ? values_.find(static_cast<std::size_t>(which)) : values_.end();
    if (it == values_.end() || !sources_.count(it->first)) throw no_command{shown};
    const atom name("$otpp_v" + std::to_string(it->first));
    hidden_.emplace_back(name, it->second);
    return term::tuple({a_var, call[1], name});
  }

  const std::map<std::size_t, std::string>& sources_;
  const std::map<std::size_t, term>& values_;
  std::size_t current_;
  std::vector<std::pair<atom, term>> hidden_;
};

// Where variable `name` first appears in `text` (line:column, 1-based, as erl_scan counts with
// its {1, 1} start), outside strings, quoted atoms, characters and comments.
std::string position_of(std::string_view text, std::string_view name) {
  std::size_t line = 1, column = 1;
  auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@'; };
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      const char q = c;
      ++i;
      ++column;
      while (i < text.size() && text[i] != q) {
        if (text[i] == '\\') {
          ++i;
          ++column;
        }
        if (i < text.size() && text[i] == '\n') {
          ++line;
          column = 0;
        }
        ++i;
        ++column;
      }
      ++i;
      ++column;
      continue;
    }
    if (c == '%') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '$') {
      i += 2;
      column += 2;
      continue;
    }
    if (c == '\n') {
      ++line;
      column = 1;
      ++i;
      continue;
    }
    if (is_name_char(c)) {
      std::size_t j = i;
      while (j < text.size() && is_name_char(text[j])) ++j;
      if (text.substr(i, j - i) == name) return std::to_string(line) + ":" + std::to_string(column);
      column += j - i;
      i = j;
      continue;
    }
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++column;
    ++i;
  }
  return "1";
}

std::string source_of(const std::string& form) {
  // The command as h() lists it: its text, without the dot that ended it.
  std::string s = form;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

// c:flush/0 as erl's shell_default has it: every queued message printed, "Shell got Msg".
void add_shell_commands(export_table& x) {
  if (x.find(a_c, a_flush, 0)) return;
  x.add("c", "flush", [](process& self) -> task<term> {
    const node_numbering* numbering = nullptr;
    if (auto* s = otp::services_of(self.rt())) numbering = &s->numbering();
    for (;;) {
      auto msg = co_await self.receive(on(_) >> [](term t) { return std::optional<term>(std::move(t)); },
                                       after(std::chrono::milliseconds(0), [] { return std::optional<term>(); }));
      if (!msg) break;
      auto text = io::format(term::string("Shell got ~p~n"), term::list({*msg}), numbering);
      if (text) (void)co_await io::put_chars(self, std::move(*text));
    }
    co_return atoms::ok;
  });
}

}  // namespace

struct erl_session::eval_result {
  enum class kind { value, raised, killed } how = kind::value;
  term value;  ///< the value, the reason, or the exit reason that killed the process
  error_class cls = error_class::error;
  term stack;
};

erl_session::erl_session(otp::node& node, session::sinks io) : node_(node), io_(std::move(io)) {
  if (!node_.exports().find(atoms::erlang, atom("apply"), 2)) code::install(node_);
  add_shell_commands(node_.exports());
  detail::add_halt(node_.exports());
  driver_ = std::make_unique<scoped_process>(node_.rt());
  start_process();
}

erl_session::~erl_session() {
  if (driver_) driver_->exit(shell_.process(), term(atoms::kill));
  driver_.reset();
}

void erl_session::start_process() {
  spawn_options o;
  o.monitor = true;
  spawned s = driver_->spawn_opt(o, erl_shell_process, driver_->self());
  shell_.set(s.pid, *s.monitor);
}

pid erl_session::self() const { return shell_.process(); }

std::string erl_session::greeting() const { return "Eshell otpp " OTPP_VERSION "  (abort with ^C)"; }

std::string erl_session::farewell() const {
  return "*** Terminating erlang (" + format_atom(node_.name(), syntax::erlang) + ")\n";
}

std::string erl_session::prompt() const {
  // erl prompts once for an expression, not for its continuation lines.
  return pending_.empty() ? fresh_prompt() : std::string();
}

std::string erl_session::fresh_prompt() const {
  const std::string n = std::to_string(counter_);
  if (node_.engine()) return "(" + std::string(node_.name().name()) + ")" + n + "> ";
  return n + "> ";
}

void erl_session::interrupt() {
  interrupted_ = true;
  node_.rt().exit(self(), term(atoms::kill));
}

void erl_session::print(const std::string& text) {
  if (io_.out) io_.out(text);
}

int erl_session::columns() const {
  if (io_.columns) {
    if (const auto c = io_.columns(); c && *c > 0) return *c;
  }
  return 80;
}

std::string erl_session::pp(const term& t, int column) const {
  const auto& numbering = node_.services().numbering();
  return detail::erl_printer{columns(), &numbering}.pp(t, column);
}

std::optional<std::string> erl_session::abandon_input() {
  if (pending_.empty()) return std::nullopt;
  const bool had_text = !blank(pending_);
  pending_.clear();
  if (!had_text) return std::nullopt;
  return "* " + std::to_string(counter_) + ": syntax error before: \n";
}

bool erl_session::poll() {
  const reference mref = shell_.get().second;
  auto down = driver_->receive(
      match_if([&](const term& t) {
        return t.is_tuple() && t.tuple_size() == 5 && t[0].is_atom(atoms::DOWN) && t[1].is_reference() &&
               t[1].reference_value() == mref;
      }) >> [](term t) { return std::optional<term>(std::move(t)); },
      after(std::chrono::milliseconds(0), [] { return std::optional<term>(); }));
  if (!down) return false;
  // Between commands erl's shell reports its evaluator's death as an error.
  if (!interrupted_.exchange(false)) {
    const auto& numbering = node_.services().numbering();
    print("** " + detail::format_erl_exception(error_class::error, (*down)[4], term(), {columns(), &numbering}) + "\n");
  }
  start_process();
  return true;
}

repl_session::outcome erl_session::feed(std::string_view line, bool print_result) {
  if (pending_.empty() && blank(line)) return outcome::empty;
  pending_.append(line);
  pending_ += '\n';
  outcome last = outcome::more;
  for (;;) {
    const code::first_form f = code::find_first_form(pending_);
    if (f.error) {
      pending_.clear();
      print("* " + f.error->describe() + "\n");
      return outcome::error;
    }
    if (!f.complete) return last;
    const std::string text = pending_.substr(0, f.end);
    pending_.erase(0, f.end);
    const outcome r = run_form(text, print_result);
    if (last != outcome::error) last = r;
    if (blank(pending_)) {
      pending_.clear();
      return last;
    }
    // More on the same line: erl prompts for it as for a line of its own.
    if (print_result) print(fresh_prompt());
  }
}

// A local shell command that needs the session's own state (erl's shell:local_func/8): true
// when `expr` was one, with its value.
bool erl_session::shell_command(const term& expr, term& value) {
  value = atoms::ok;
  if (is_local_call(expr, "f", 0)) {
    bindings_ = {};
    return true;
  }
  if (is_local_call(expr, "f", 1)) {
    const term& arg = *expr[3].list_elements().begin();
    if (arg.is_tuple() && arg.tuple_size() == 3 && arg[0].is_atom(a_var) && arg[2].is_atom()) {
      bindings_.erase(arg[2].atom_value());
      return true;
    }
    return false;
  }
  if (is_local_call(expr, "b", 0)) {
    for (const auto& [name, v] : bindings_.entries()) {
      const std::string head = std::string(name.name()) + " = ";
      print(head + pp(v, static_cast<int>(head.size()) + 1) + "\n");
    }
    return true;
  }
  if (is_local_call(expr, "h", 0)) {
    for (const auto& [n, c] : history_) {
      print(std::to_string(n) + ": " + c.source + "\n-> " + pp(c.value, 4) + "\n");
    }
    return true;
  }
  if (is_local_call(expr, "q", 0) || is_remote_call(expr, "c", "q", 0) || is_remote_call(expr, "init", "stop", 0)) {
    quit_ = true;
    return true;
  }
  return false;
}

erl_session::eval_result erl_session::evaluate(const term& expr) {
  const reference ref = driver_->make_ref();
  const auto held = shell_.get();
  const pid shell = held.first;
  const reference mref = held.second;
  driver_->send(shell, term::tuple({a_eval, ref, term::list({expr}), bindings_.to_term()}));
  term reply = driver_->receive(
      match_if([&](const term& t) {
        if (!t.is_tuple() || t.tuple_size() < 4) return false;
        if ((t[0].is_atom(a_value) || t[0].is_atom(a_raised)) && t[1].is_reference() && t[1].reference_value() == ref)
          return true;
        return t.tuple_size() == 5 && t[0].is_atom(atoms::DOWN) && t[1].is_reference() && t[1].reference_value() == mref;
      }) >>
      [](term t) { return t; });
  eval_result r;
  if (reply[0].is_atom(atoms::DOWN)) {
    r.how = eval_result::kind::killed;
    r.value = reply[4];
    r.cls = error_class::exit;
    r.stack = term();
    start_process();
    return r;
  }
  if (reply[0].is_atom(a_value)) {
    r.value = reply[2];
    if (auto bs = code::bindings::from_term(reply[3])) bindings_ = std::move(*bs);
    return r;
  }
  r.how = eval_result::kind::raised;
  r.cls = reply[2].is_atom(atoms::exit) ? error_class::exit : reply[2].is_atom(atoms::throw_) ? error_class::throw_ : error_class::error;
  r.value = reply[3];
  r.stack = reply[4];
  return r;
}

repl_session::outcome erl_session::run_form(const std::string& text, bool print_result) {
  const code::erl_parse_result parsed = code::parse_exprs(text);
  if (!parsed) {
    print("* " + parsed.error.describe() + "\n");
    return outcome::error;
  }
  std::map<std::size_t, std::string> sources;
  std::map<std::size_t, term> values;
  for (const auto& [n, c] : history_) {
    sources.emplace(n, c.source);
    values.emplace(n, c.value);
  }
  expander ex(sources, values, counter_);
  std::vector<term> exprs;
  try {
    for (const term& e : parsed.value->list_elements()) exprs.push_back(ex.expand(e));
  } catch (const no_command& nc) {
    print("* " + nc.shown + ": command not found\n");
    return outcome::error;
  }
  const auto& numbering = node_.services().numbering();
  const detail::erl_printer printer{columns(), &numbering};
  term value = atoms::ok;
  bool failed = false;
  for (const term& e : exprs) {
    if (shell_command(e, value)) continue;
    for (const auto& [name, v] : ex.hidden()) bindings_.set(name, v);
    eval_result r = evaluate(e);
    for (const auto& [name, v] : ex.hidden()) bindings_.erase(name);
    if (r.how == eval_result::kind::value) {
      value = std::move(r.value);
      continue;
    }
    failed = true;
    const term& reason = r.value;
    if (r.how == eval_result::kind::raised && r.cls == error_class::error && reason.is_tuple() &&
        reason.tuple_size() == 2 && reason[0].is_atom(a_unbound_var) && reason[1].is_atom()) {
      // erl's shell finds this with erl_lint before running the expression.
      print("* " + position_of(text, reason[1].atom_value().name()) + ": variable " + to_string(reason[1]) +
            " is unbound\n");
      value = tuple_of(a_exit_tag, reason);
      break;
    }
    term shown_reason = reason;
    term stack = r.stack;
    // A local function that is not a shell command: erl_eval's undef names the evaluator.
    if (reason.is_atom(atoms::undef) && stack.is_list() && !stack.is_nil()) {
      const term& top = *stack.list_elements().begin();
      if (top.is_tuple() && top.tuple_size() == 4 && top[0].is_atom(atom("erl_eval"))) {
        shown_reason = term::tuple({atom("shell_undef"), top[1], top[2], term()});
        stack = term();
      }
    }
    if (!(r.how == eval_result::kind::killed && interrupted_.exchange(false)))
      print("** " + detail::format_erl_exception(r.cls, shown_reason, stack, printer) + "\n");
    value = tuple_of(a_exit_tag, r.cls == error_class::throw_
                                     ? tuple_of(tuple_of(atom("nocatch"), reason), r.stack)
                                     : r.cls == error_class::error ? tuple_of(reason, r.stack) : reason);
    break;
  }
  if (!failed && print_result) print(printer.pp(value) + "\n");
  history_[counter_] = command{source_of(text), value};
  while (history_.size() > kept_commands) history_.erase(history_.begin());
  ++counter_;
  return failed ? outcome::error : outcome::ok;
}

std::vector<std::string> erl_session::complete(std::string_view word) const {
  std::set<std::string> out;
  const auto colon = word.find(':');
  if (colon == std::string_view::npos) {
    for (const auto& [name, v] : bindings_.entries()) {
      if (name.name().starts_with(word) && !name.name().starts_with("$")) out.insert(std::string(name.name()));
    }
  }
  for (const auto& e : node_.exports().entries()) {
    const std::string_view m = e.module.name();
    if (colon == std::string_view::npos) {
      if (!m.starts_with("Elixir.") && m.starts_with(word)) out.insert(std::string(m) + ":");
    } else if (m == word.substr(0, colon) && e.function.name().starts_with(word.substr(colon + 1))) {
      out.insert(std::string(m) + ":" + std::string(e.function.name()) + "(");
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace otpp::shell
