// A shell session on a node: the shell process, prompts and counters as iex keeps them, the
// built-ins that act on processes and nodes, and the restart of a shell process that a link
// killed.
#include "otpp/shell/session.hpp"

#include <charconv>

#include "otpp/otp/io_format.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/runtime/pattern.hpp"
#include "otpp/shell/syntax.hpp"
#include "otpp/term/print.hpp"

namespace otpp::shell {

// ---- session
// -------------------------------------------------------------------------------------

namespace {

using args_t = std::span<const term>;

const atom kernel("Elixir.Kernel");

std::vector<term> vec(args_t a) { return {a.begin(), a.end()}; }

[[noreturn]] void bad(std::string_view module, std::string_view fun, args_t a, int which,
                      std::string why) {
  throw badarg(atom(module), atom(fun), vec(a), which, std::move(why));
}

atom atom_arg(std::string_view module, std::string_view fun, args_t a, int which) {
  const term& t = a[static_cast<std::size_t>(which - 1)];
  if (!t.is_atom()) bad(module, fun, a, which, "not an atom");
  return t.atom_value();
}

pid pid_arg(std::string_view module, std::string_view fun, args_t a, int which) {
  const term& t = a[static_cast<std::size_t>(which - 1)];
  if (!t.is_pid()) bad(module, fun, a, which, "not a pid");
  return t.pid_value();
}

std::vector<term> list_arg(std::string_view module, std::string_view fun, args_t a, int which) {
  const term& t = a[static_cast<std::size_t>(which - 1)];
  if (!t.is_list() || !t.is_proper_list()) bad(module, fun, a, which, "not a list");
  return {t.list_elements().begin(), t.list_elements().end()};
}

// Runtime exceptions (from rpc, remote spawn) as shell exceptions; process_exited passes.
template <class F>
term guarded(F&& f) {
  try {
    return f();
  } catch (const error_exception& e) {
    throw shell_exception(error_class::error, e.reason());
  } catch (const exit_exception& e) {
    throw shell_exception(error_class::exit, e.reason());
  }
}

std::string snippet(std::string_view text, const syntax_error& e, std::size_t line_base) {
  // The source line with a caret under the column, as Elixir 1.14 prints it.
  std::size_t line = 1;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size() && line < e.at.line; ++i) {
    if (text[i] == '\n') {
      ++line;
      start = i + 1;
    }
  }
  std::size_t end = text.find('\n', start);
  if (end == std::string_view::npos) end = text.size();
  std::string number = std::to_string(line_base + e.at.line - 1);
  while (number.size() < 3) number.insert(number.begin(), ' ');
  std::string out =
      "    |\n" + number + " | " + std::string(text.substr(start, end - start)) + "\n    | ";
  out += std::string(e.at.column > 0 ? e.at.column - 1 : 0, ' ') + "^\n";
  return out;
}

std::optional<std::vector<std::uint32_t>> dotted_numbers(const term& t) {
  auto text = t.is_binary() ? std::optional<std::string>(std::string(t.bytes_as_string()))
                            : (t.is_list() ? t.to_text() : std::nullopt);
  if (!text) return std::nullopt;
  std::string_view s = *text;
  if (s.rfind("#PID<", 0) == 0 && s.back() == '>') s = s.substr(5, s.size() - 6);
  if (!s.empty() && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
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

}  // namespace

session::session(otp::node& node, sinks io) : node_(node), io_(std::move(io)) {
  numbers_ = std::make_shared<node_numbers>(node_.name());

  add_pure_builtins(table_);
  eval_ = std::make_unique<evaluator>(table_);
  eval_->format().print.node_number = node_numbers::numbering(numbers_);
  eval_->warn = [this](std::string_view s) {
    if (io_.err) io_.err(s);
  };
  eval_hooks& h = eval_->hooks();
  h.output = [this](std::string_view s) {
    if (io_.out) io_.out(s);
  };
  h.receive = [this](const std::function<bool(const term&)>& matches,
                     std::optional<std::chrono::milliseconds> timeout) -> std::optional<term> {
    auto on_match = match_if([&matches](const term& t) { return matches(t); }) >>
                    [](term t) { return std::optional<term>(std::move(t)); };
    if (timeout)
      return proc().receive(std::move(on_match),
                            after(*timeout, [] { return std::optional<term>(); }));
    return proc().receive(std::move(on_match));
  };
  h.external_call = [this](atom m, atom f, args_t args) -> std::optional<term> {
    if (!node_.exports().find(m, f, args.size())) return std::nullopt;
    rpc::erpc_result r = rpc::erpc_call(proc(), node_.name(), m, f, vec(args));
    switch (r.how) {
      case rpc::erpc_result::kind::return_:
        return r.value;
      case rpc::erpc_result::kind::throw_:
        throw shell_exception(error_class::throw_, r.value);
      case rpc::erpc_result::kind::exit:
      case rpc::erpc_result::kind::signal:
        throw shell_exception(error_class::exit, r.value);
      case rpc::erpc_result::kind::error:
        throw shell_exception(error_class::error, r.value,
                              stack_from_term(r.stack).value_or(std::vector<stack_frame>{}));
      case rpc::erpc_result::kind::erpc:
        throw shell_exception(error_class::error, tuple_of(atom("erpc"), r.value));
    }
    return std::nullopt;
  };
  h.external_module = [this](atom m) {
    for (const auto& e : node_.exports().entries()) {
      if (e.module == m) return true;
    }
    return false;
  };
  h.external_functions = [this](atom m) {
    std::vector<std::pair<atom, std::size_t>> out;
    for (const auto& e : node_.exports().entries()) {
      if (e.module == m && e.arity >= 0) out.emplace_back(e.function, e.arity);
    }
    return out;
  };
  install_node_builtins();
  // Erlang nodes send the log events of processes whose group leader is here to `logger`.
  logger_ =
      std::make_unique<log_printer>(node_.rt(), eval_->format(), [this](std::string_view text) {
        if (io_.out) io_.out(text);
      });
  start_process();
}

session::~session() {
  logger_.reset();
  proc_.reset();
}

void session::start_process() {
  proc_ = std::make_unique<scoped_process>(node_.rt());
  std::lock_guard lock(pid_mu_);
  current_ = proc_->self();
}

scoped_process& session::proc() { return *proc_; }

pid session::self() const { return proc_->self(); }

std::string session::banner() {
  return "Interactive otpp (0.1.0) - press Ctrl+C or Ctrl+D to exit";
}

std::string session::prompt() const {
  const std::string n = std::to_string(counter_);
  if (!pending_.empty()) return "...(" + n + ")> ";
  if (node_.engine()) return "otpp(" + std::string(node_.name().name()) + ")" + n + "> ";
  return "otpp(" + n + ")> ";
}

void session::interrupt() {
  interrupted_ = true;
  pid p;
  {
    std::lock_guard lock(pid_mu_);
    p = current_;
  }
  node_.rt().exit(p, term(atoms::kill));
}

void session::flush_log() {
  if (pending_log_.empty()) return;
  if (io_.out) io_.out(pending_log_);
  pending_log_.clear();
}

void session::restart(const term& reason, const pid& dead) {
  pending_.clear();
  flush_log();
  if (!interrupted_ && io_.out) {
    io_.out(format_shell_exit(dead, reason, eval_->format()) + "\n\n" + banner() + "\n");
  }
  proc_.reset();
  env_.clear();
  counter_ = 1;
  start_process();
}

bool session::poll() {
  if (take_signals()) return true;
  flush_log();
  return false;
}

bool session::take_signals() {
  const pid me = proc_->self();
  try {
    (void)proc_->receive(
        match_if([](const term&) { return false; }) >> [] {},
        after(std::chrono::milliseconds(0), [] {}));
  } catch (const process_exited& e) {
    restart(e.reason(), me);
    return true;
  }
  return false;
}

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
  parse_outcome parsed = parse(pending_);
  if (std::holds_alternative<incomplete>(parsed)) return outcome::more;
  std::string text = std::move(pending_);
  pending_.clear();
  if (auto* err = std::get_if<syntax_error>(&parsed)) {
    std::string out = "** (SyntaxError) iex:" + std::to_string(counter_ + err->at.line - 1) + ":" +
                      std::to_string(err->at.column) + ": " + err->message + "\n";
    if (err->message.find("missing terminator") == std::string::npos)
      out += snippet(text, *err, counter_);
    io_.out(out + "\n");
    return outcome::error;
  }
  const program& prog = std::get<program>(parsed);
  if (prog.exprs.empty()) return outcome::empty;
  const pid me = proc_->self();
  try {
    term result = eval_->run(prog, env_, counter_);
    // A signal that killed the shell process during the evaluation wins over the result.
    if (take_signals()) return outcome::error;
    if (print_result) io_.out(eval_->inspect(result) + "\n");
    ++counter_;
    return outcome::ok;
  } catch (const shell_exception& e) {
    if (take_signals()) return outcome::error;
    io_.out(eval_->describe(e));
    return outcome::error;
  } catch (const process_exited& e) {
    restart(e.reason(), me);
    return outcome::error;
  } catch (const std::exception& e) {
    io_.out("** (RuntimeError) " + std::string(e.what()) + "\n\n");
    return outcome::error;
  }
}

// ---- built-ins that need the node
// ----------------------------------------------------------------

void session::install_node_builtins() {
  builtin_table& t = table_;
  auto both = [&](std::string_view name, std::size_t arity, builtin_fn fn) {
    t.add("Elixir.Kernel", name, arity, fn);
    t.add("erlang", name, arity, std::move(fn));
  };
  runtime& rt = node_.rt();
  dist::engine* engine = node_.engine();
  const atom local = node_.name();

  // -- identity, messages --
  both("self", 0, [this](call_context&, args_t) { return term(proc().self()); });
  auto send = [this](call_context&, args_t a) {
    const term& dest = a[0];
    if (dest.is_pid()) {
      proc().send(dest.pid_value(), a[1]);
    } else if (dest.is_atom()) {
      if (!proc().send(dest.atom_value(), a[1])) bad("erlang", "send", a, 1, "invalid destination");
    } else if (dest.is_tuple() && dest.tuple_size() == 2 && dest[0].is_atom() &&
               dest[1].is_atom()) {
      proc().send(dest[0].atom_value(), dest[1].atom_value(), a[1]);
    } else if (dest.is_reference()) {
      proc().send(dest.reference_value(), a[1]);
    } else {
      bad("erlang", "send", a, 1, "invalid destination");
    }
    return a[1];
  };
  both("send", 2, send);
  t.add("erlang", "!", 2, send);
  t.add("Elixir.Process", "send", 3, [send](call_context& c, args_t a) {
    (void)send(c, a.subspan(0, 2));
    return term(atoms::ok);
  });
  t.add("Elixir.IEx.Helpers", "flush", 0, [this](call_context& c, args_t) {
    for (const term& m : proc().flush()) c.eval.write(c.eval.inspect(m) + "\n");
    return term(atoms::ok);
  });
  both("node", 0, [&rt](call_context&, args_t) { return term(rt.node()); });
  both("node", 1, [&rt](call_context&, args_t a) {
    if (a[0].is_pid()) return term(a[0].pid_value().node);
    if (a[0].is_reference()) return term(a[0].reference_value().node);
    if (a[0].is_port()) return term(a[0].port_value().node);
    if (a[0].is_atom()) return term(rt.node());
    bad("erlang", "node", a, 1, "not a pid, port or reference");
  });
  both("make_ref", 0, [this](call_context&, args_t) { return term(proc().make_ref()); });
  t.add("erlang", "group_leader", 0,
        [this](call_context&, args_t) { return term(proc().group_leader()); });
  t.add("Elixir.Process", "group_leader", 0,
        [this](call_context&, args_t) { return term(proc().group_leader()); });

  // -- spawning (module, function, args) --
  auto spawn_mfa = [this, local](atom node, atom m, atom f, const std::vector<term>& args,
                                 bool link, bool monitor) -> term {
    if (node == local) {
      spawn_options o;
      o.link = link;
      o.monitor = monitor;
      spawned s = proc().spawn_opt(o, node_.exports().spawn_body(m, f, args));
      if (monitor) return tuple_of(s.pid, *s.monitor);
      return term(s.pid);
    }
    return guarded([&]() -> term {
      spawned s = remote::spawn_opt(proc(), node, m, f, args, link, monitor);
      if (node_.rt().is_local(s.pid)) {
        // Not started there: a local stand-in exits with noconnection, and Erlang's
        // (erts_internal:crasher/6) logs a warning first.
        std::vector<term> opts;
        if (link) opts.emplace_back(atoms::link);
        if (monitor) opts.emplace_back(atoms::monitor);
        if (auto text = format_log_event(
                spawn_failure_event(node, m, f, term::list(args), term::list(std::move(opts))),
                eval_->format())) {
          pending_log_ += *text;
        }
      }
      if (monitor && s.monitor) return tuple_of(s.pid, *s.monitor);
      return term(s.pid);
    });
  };
  struct spawn_kind {
    const char* name;
    bool link;
    bool monitor;
  };
  for (spawn_kind k : {spawn_kind{"spawn", false, false}, spawn_kind{"spawn_link", true, false},
                       spawn_kind{"spawn_monitor", false, true}}) {
    const std::string fun = k.name;
    auto local3 = [spawn_mfa, k, fun, local](call_context&, args_t a) {
      const atom m = atom_arg("erlang", fun, a, 1);
      const atom f = atom_arg("erlang", fun, a, 2);
      return spawn_mfa(local, m, f, list_arg("erlang", fun, a, 3), k.link, k.monitor);
    };
    auto remote4 = [spawn_mfa, k, fun](call_context&, args_t a) {
      const atom n = atom_arg("erlang", fun, a, 1);
      const atom m = atom_arg("erlang", fun, a, 2);
      const atom f = atom_arg("erlang", fun, a, 3);
      return spawn_mfa(n, m, f, list_arg("erlang", fun, a, 4), k.link, k.monitor);
    };
    both(fun, 3, local3);
    t.add("erlang", fun, 4, remote4);
    t.add("Elixir.Node", fun, 4, remote4);
    t.add("Elixir.Node", fun, 2, [fun](call_context&, args_t) -> term {
      throw raise("ArgumentError", "Node." + fun +
                                       "/2 needs an anonymous function, which the otpp shell does "
                                       "not support yet; use Node." +
                                       fun + "(node, Module, :function, args)");
    });
  }

  // -- links, monitors, exits --
  auto exit2 = [this](call_context&, args_t a) {
    if (a[0].is_pid()) {
      proc().exit(a[0].pid_value(), a[1]);
    } else {
      bad("erlang", "exit", a, 1, "not a pid or port");
    }
    return term(atoms::true_);
  };
  t.add("erlang", "exit", 2, exit2);
  t.add("Elixir.Process", "exit", 2, exit2);
  auto link = [this](call_context&, args_t a) {
    proc().link(pid_arg("erlang", "link", a, 1));
    return term(atoms::true_);
  };
  t.add("erlang", "link", 1, link);
  t.add("Elixir.Process", "link", 1, link);
  auto unlink = [this](call_context&, args_t a) {
    proc().unlink(pid_arg("erlang", "unlink", a, 1));
    return term(atoms::true_);
  };
  t.add("erlang", "unlink", 1, unlink);
  t.add("Elixir.Process", "unlink", 1, unlink);
  auto monitor_item = [this](args_t a, const term& item) -> term {
    if (item.is_pid()) return term(proc().monitor(item.pid_value()));
    if (item.is_atom()) return term(proc().monitor(item.atom_value()));
    if (item.is_tuple() && item.tuple_size() == 2 && item[0].is_atom() && item[1].is_atom()) {
      return term(proc().monitor(item[0].atom_value(), item[1].atom_value()));
    }
    bad("erlang", "monitor", a, static_cast<int>(a.size()), "invalid monitor target");
  };
  t.add("Elixir.Process", "monitor", 1,
        [monitor_item](call_context&, args_t a) { return monitor_item(a, a[0]); });
  t.add("erlang", "monitor", 2, [monitor_item](call_context&, args_t a) {
    if (!a[0].is_atom(atoms::process)) bad("erlang", "monitor", a, 1, "invalid monitor type");
    return monitor_item(a, a[1]);
  });
  auto demonitor = [this](call_context&, args_t a) {
    if (!a[0].is_reference()) bad("erlang", "demonitor", a, 1, "not a reference");
    bool flush = false;
    if (a.size() > 1 && a[1].is_list()) {
      for (const term& o : a[1].list_elements()) flush = flush || o.is_atom(atom("flush"));
    }
    (void)proc().demonitor(a[0].reference_value(), flush);
    return term(atoms::true_);
  };
  t.add("erlang", "demonitor", 1, demonitor);
  t.add("erlang", "demonitor", 2, demonitor);
  t.add("Elixir.Process", "demonitor", 1, demonitor);
  t.add("Elixir.Process", "demonitor", 2, demonitor);
  auto flag = [this](call_context&, args_t a) {
    if (a[0].is_atom(atom("trap_exit")) &&
        (a[1].is_atom(atoms::true_) || a[1].is_atom(atoms::false_))) {
      return term::boolean(proc().trap_exit(a[1].is_atom(atoms::true_)));
    }
    bad("erlang", "process_flag", a, 1, "invalid process flag");
  };
  t.add("erlang", "process_flag", 2, flag);
  t.add("Elixir.Process", "flag", 2, flag);
  auto alive = [this, &rt](call_context&, args_t a) {
    const pid p = pid_arg("erlang", "is_process_alive", a, 1);
    if (!rt.is_local(p)) bad("erlang", "is_process_alive", a, 1, "not a local pid");
    return term::boolean(proc().is_alive(p));
  };
  t.add("erlang", "is_process_alive", 1, alive);
  t.add("Elixir.Process", "alive?", 1, alive);
  auto info = [this](call_context&, args_t a) {
    const pid p = pid_arg("erlang", "process_info", a, 1);
    auto i = proc().info(p);
    return i ? i->to_term() : term(atoms::nil);
  };
  t.add("Elixir.Process", "info", 1, info);
  t.add("erlang", "process_info", 1, [info](call_context& c, args_t a) {
    term r = info(c, a);
    return r.is_atom(atoms::nil) ? term(atoms::undefined) : r;
  });
  t.add("Elixir.Process", "list", 0, [&rt](call_context&, args_t) {
    std::vector<term> out;
    for (const pid& p : rt.processes()) out.emplace_back(p);
    return term::list(std::move(out));
  });
  auto send_after = [this](call_context&, args_t a) {
    const term& dest = a[0];
    auto ms = a[2].to_int64();
    if (!dest.is_pid()) bad("erlang", "send_after", a, 1, "not a pid");
    if (!ms || *ms < 0) bad("erlang", "send_after", a, 3, "not a valid time");
    return term(proc().send_after(std::chrono::milliseconds(*ms), dest.pid_value(), a[1]));
  };
  t.add("Elixir.Process", "send_after", 3, send_after);
  t.add("erlang", "send_after", 3, [send_after](call_context& c, args_t a) {
    const std::vector<term> reordered{a[1], a[2], a[0]};
    return send_after(c, reordered);
  });
  auto sleep = [this](call_context&, args_t a) {
    std::optional<std::chrono::milliseconds> d;
    if (auto ms = a[0].to_int64(); ms && *ms >= 0) {
      d = std::chrono::milliseconds(*ms);
    } else if (!a[0].is_atom(atoms::infinity)) {
      bad("timer", "sleep", a, 1, "not a valid time");
    }
    auto never = match_if([](const term&) { return false; }) >> [] {};
    if (d) {
      proc().receive(std::move(never), after(*d, [] {}));
    } else {
      proc().receive(std::move(never));
    }
    return term(atoms::ok);
  };
  t.add("Elixir.Process", "sleep", 1, sleep);
  t.add("timer", "sleep", 1, sleep);

  // -- registry --
  t.add("Elixir.Process", "register", 2, [&rt](call_context& c, args_t a) {
    const pid p = a[0].is_pid() ? a[0].pid_value() : pid{};
    const bool ok = a[0].is_pid() && a[1].is_atom() && !a[1].is_atom(atoms::undefined) &&
                    rt.register_name(a[1].atom_value(), p);
    if (!ok) {
      throw raise("ArgumentError", "could not register " + c.eval.inspect(a[0]) + " with name " +
                                       c.eval.inspect(a[1]) +
                                       " because it is not alive, the name is already "
                                       "taken, or it has already been given another name");
    }
    return term(atoms::true_);
  });
  t.add("erlang", "register", 2, [&rt](call_context&, args_t a) {
    const atom name = atom_arg("erlang", "register", a, 1);
    const pid p = pid_arg("erlang", "register", a, 2);
    if (!rt.register_name(name, p)) bad("erlang", "register", a, 1, "name is in use");
    return term(atoms::true_);
  });
  auto unregister = [&rt](call_context&, args_t a) {
    const atom name = atom_arg("erlang", "unregister", a, 1);
    if (!rt.unregister_name(name)) bad("erlang", "unregister", a, 1, "not a registered name");
    return term(atoms::true_);
  };
  t.add("erlang", "unregister", 1, unregister);
  t.add("Elixir.Process", "unregister", 1, unregister);
  t.add("Elixir.Process", "whereis", 1, [&rt](call_context&, args_t a) {
    const atom name = atom_arg("erlang", "whereis", a, 1);
    auto p = rt.whereis(name);
    return p ? term(*p) : term(atoms::nil);
  });
  t.add("erlang", "whereis", 1, [&rt](call_context&, args_t a) {
    const atom name = atom_arg("erlang", "whereis", a, 1);
    auto p = rt.whereis(name);
    return p ? term(*p) : term(atoms::undefined);
  });
  auto registered = [&rt](call_context&, args_t) {
    std::vector<term> out;
    for (atom n : rt.registered()) out.emplace_back(n);
    return term::list(std::move(out));
  };
  t.add("erlang", "registered", 0, registered);
  t.add("Elixir.Process", "registered", 0, registered);

  // -- nodes --
  auto alive_node = [engine](call_context&, args_t) { return term::boolean(engine != nullptr); };
  t.add("erlang", "is_alive", 0, alive_node);
  t.add("Elixir.Node", "alive?", 0, alive_node);
  t.add("Elixir.Node", "self", 0, [&rt](call_context&, args_t) { return term(rt.node()); });
  auto nodes_of = [engine, local](const term& which) -> term {
    std::vector<term> out;
    auto add_connected = [&](bool hidden) {
      if (!engine) return;
      for (atom n : engine->nodes(hidden)) out.emplace_back(n);
    };
    std::vector<term> kinds;
    if (which.is_list()) {
      kinds.assign(which.list_elements().begin(), which.list_elements().end());
    } else {
      kinds.push_back(which);
    }
    bool visible = false;
    bool hidden = false;
    bool this_node = false;
    for (const term& k : kinds) {
      if (k.is_atom(atom("visible")))
        visible = true;
      else if (k.is_atom(atom("hidden")))
        hidden = true;
      else if (k.is_atom(atom("connected")) || k.is_atom(atom("known")))
        visible = hidden = true;
      else if (k.is_atom(atom("this")))
        this_node = true;
      else
        throw badarg(atoms::erlang, atom("nodes"), {which}, 1, "not a valid node type");
    }
    if (this_node) out.emplace_back(local);
    if (visible && hidden) {
      add_connected(true);
    } else if (visible) {
      add_connected(false);
    } else if (hidden && engine) {
      auto all = engine->nodes(true);
      auto vis = engine->nodes(false);
      for (atom n : all) {
        if (std::find(vis.begin(), vis.end(), n) == vis.end()) out.emplace_back(n);
      }
    }
    return term::list(std::move(out));
  };
  auto list0 = [nodes_of](call_context&, args_t) { return nodes_of(term(atom("visible"))); };
  auto list1 = [nodes_of](call_context&, args_t a) { return nodes_of(a[0]); };
  t.add("Elixir.Node", "list", 0, list0);
  t.add("Elixir.Node", "list", 1, list1);
  t.add("erlang", "nodes", 0, list0);
  t.add("erlang", "nodes", 1, list1);
  auto connect = [engine](call_context&, args_t a) {
    const atom n = atom_arg("net_kernel", "connect_node", a, 1);
    if (!engine) return term(atom("ignored"));
    return term::boolean(engine->connect(n));
  };
  t.add("Elixir.Node", "connect", 1, connect);
  t.add("net_kernel", "connect_node", 1, connect);
  auto disconnect = [engine](call_context&, args_t a) {
    const atom n = atom_arg("erlang", "disconnect_node", a, 1);
    if (!engine) return term(atom("ignored"));
    return term::boolean(engine->disconnect(n));
  };
  t.add("Elixir.Node", "disconnect", 1, disconnect);
  t.add("erlang", "disconnect_node", 1, disconnect);
  auto ping = [engine](call_context&, args_t a) {
    const atom n = atom_arg("net_adm", "ping", a, 1);
    if (!engine) return term(atoms::pang);
    return term(engine->ping(n));
  };
  t.add("Elixir.Node", "ping", 1, ping);
  t.add("net_adm", "ping", 1, ping);
  auto monitor_node = [this, engine](call_context&, args_t a) {
    const atom n = atom_arg("erlang", "monitor_node", a, 1);
    if (!a[1].is_atom(atoms::true_) && !a[1].is_atom(atoms::false_))
      bad("erlang", "monitor_node", a, 2, "not a boolean");
    const bool on = a[1].is_atom(atoms::true_);
    if (engine) {
      engine->monitor_node(proc().self(), n, on);
    } else if (on) {
      proc().send(proc().self(), tuple_of(atoms::nodedown, n));
    }
    return term(atoms::true_);
  };
  t.add("Elixir.Node", "monitor", 2, monitor_node);
  t.add("erlang", "monitor_node", 2, monitor_node);
  auto cookie = [engine](call_context&, args_t) {
    if (!engine) return term(atom("nocookie"));
    return term(atom(engine->cookie()));
  };
  t.add("Elixir.Node", "get_cookie", 0, cookie);
  t.add("erlang", "get_cookie", 0, cookie);

  // -- rpc --
  auto timeout_of = [](const term& t) {
    if (t.is_atom(atoms::infinity)) return rpc::infinity;
    auto ms = t.to_int64();
    return ms && *ms >= 0 ? std::chrono::milliseconds(*ms) : rpc::infinity;
  };
  auto rpc_call = [this, timeout_of](call_context&, args_t a) {
    const atom n = atom_arg("rpc", "call", a, 1);
    const atom m = atom_arg("rpc", "call", a, 2);
    const atom f = atom_arg("rpc", "call", a, 3);
    auto args = list_arg("rpc", "call", a, 4);
    const auto timeout = a.size() > 4 ? timeout_of(a[4]) : rpc::infinity;
    return guarded([&] { return rpc::call(proc(), n, m, f, std::move(args), timeout); });
  };
  t.add("rpc", "call", 4, rpc_call);
  t.add("rpc", "call", 5, rpc_call);
  auto erpc_call = [this, timeout_of](call_context&, args_t a) {
    const atom n = atom_arg("erpc", "call", a, 1);
    const atom m = atom_arg("erpc", "call", a, 2);
    const atom f = atom_arg("erpc", "call", a, 3);
    auto args = list_arg("erpc", "call", a, 4);
    const auto timeout = a.size() > 4 ? timeout_of(a[4]) : rpc::infinity;
    rpc::erpc_result r = rpc::erpc_call(proc(), n, m, f, std::move(args), timeout);
    switch (r.how) {
      case rpc::erpc_result::kind::return_:
        return r.value;
      case rpc::erpc_result::kind::throw_:
        throw shell_exception(error_class::throw_, r.value);
      case rpc::erpc_result::kind::exit:
        throw shell_exception(error_class::exit, tuple_of(atom("exception"), r.value));
      case rpc::erpc_result::kind::signal:
        throw shell_exception(error_class::exit, r.value);
      case rpc::erpc_result::kind::error:
        throw shell_exception(error_class::error, r.value,
                              stack_from_term(r.stack).value_or(std::vector<stack_frame>{}));
      case rpc::erpc_result::kind::erpc:
        throw shell_exception(error_class::error, tuple_of(atom("erpc"), r.value));
    }
    return term(atoms::nil);
  };
  t.add("erpc", "call", 4, erpc_call);
  t.add("erpc", "call", 5, erpc_call);
  t.add("rpc", "cast", 4, [this](call_context&, args_t a) {
    const atom n = atom_arg("rpc", "cast", a, 1);
    const atom m = atom_arg("rpc", "cast", a, 2);
    const atom f = atom_arg("rpc", "cast", a, 3);
    rpc::cast(proc(), n, m, f, list_arg("rpc", "cast", a, 4));
    return term(atoms::true_);
  });

  // -- IEx helpers for pids --
  auto make_pid = [this, &rt](args_t a, std::uint32_t n, std::uint32_t id,
                              std::uint32_t serial) -> term {
    if (n == 0) return term(pid{rt.node(), id, serial, rt.creation()});
    auto who = numbers_->resolve(n);
    if (!who) {
      throw raise("ArgumentError", "no node is known by the number " + std::to_string(n) + " in " +
                                       eval_->inspect(a[0]));
    }
    return term(pid{who->node, id, serial, who->creation});
  };
  t.add("Elixir.IEx.Helpers", "pid", 1, [make_pid](call_context& c, args_t a) {
    auto parts = dotted_numbers(a[0]);
    if (!parts || parts->size() != 3) {
      throw raise("ArgumentError",
                  "expected a string like \"0.106.0\", got: " + c.eval.inspect(a[0]));
    }
    return make_pid(a, (*parts)[0], (*parts)[1], (*parts)[2]);
  });
  t.add("Elixir.IEx.Helpers", "pid", 3, [make_pid](call_context&, args_t a) {
    auto x = a[0].to_int64();
    auto y = a[1].to_int64();
    auto z = a[2].to_int64();
    if (!x || !y || !z || *x < 0 || *y < 0 || *z < 0)
      throw raise("ArgumentError", "pid/3 takes three non-negative integers");
    return make_pid(a, static_cast<std::uint32_t>(*x), static_cast<std::uint32_t>(*y),
                    static_cast<std::uint32_t>(*z));
  });
  (void)kernel;
}

}  // namespace otpp::shell
