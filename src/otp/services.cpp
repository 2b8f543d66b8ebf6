// A node's kernel services: the io server as default group leader, the default logger,
// SPAWN_REQUEST from the export table (erpc included), the `rex` server, built-in functions,
// task supervisors.
#include "otpp/otp/services.hpp"

#include <algorithm>
#include <unordered_map>

#include "otpp/otp/crash_report.hpp"
#include "otpp/otp/gen.hpp"
#include "otpp/otp/global.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/introspection.hpp"
#include "otpp/otp/io_format.hpp"
#include "otpp/otp/logger.hpp"
#include "otpp/otp/pg.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/otp/task_supervisor.hpp"
#include "otpp/term/node_numbers.hpp"
#include "otpp/term/print.hpp"

namespace otpp::otp {

namespace {

const atom a_execute_call("execute_call");
const atom a_execute_cast("execute_cast");
const atom a_features_request("features_request");
const atom a_features_reply("features_reply");
const atom a_block_call("block_call");
const atom a_send("send");
const atom a_badarg("badarg");

// ---- running exported functions for other nodes
// --------------------------------------------------

std::vector<term> to_vector(const term& list) {
  auto e = list.list_elements();
  return {e.begin(), e.end()};
}

// erpc:execute_call(Ref, M, F, A): the result travels as the exit reason.
process_task execute_call(process& self, term ref, atom m, atom f, term args,
                        std::optional<export_table::entry> e) {
  if (!e) {
    self.exit(
        term::tuple({ref, atoms::error, atoms::undef, list_of(term::tuple({m, f, args, term()}))}));
  }
  call_outcome outcome = co_await export_table::call(self, *e, to_vector(args));
  self.exit_on_return(rpc::execute_call_reason(ref, outcome));
}

process_task execute_cast(process& self, atom m, atom f, term args,
                        std::optional<export_table::entry> e) {
  if (!e) self.exit(export_table::undef_reason(m, f, args));
  call_outcome outcome = co_await export_table::call(self, *e, to_vector(args));
  if (outcome.how == call_outcome::kind::error) self.error(outcome.value);
  if (outcome.how == call_outcome::kind::exit) self.exit(outcome.value);
}

// rex's answer for one call, as rpc:execute_call/3 folds the outcome.
term rex_result(const call_outcome& o) {
  switch (o.how) {
    case call_outcome::kind::return_:
    case call_outcome::kind::throw_:
      return o.value;
    case call_outcome::kind::exit:
      return tuple_of(atoms::badrpc, tuple_of(atoms::EXIT, o.value));
    case call_outcome::kind::error:
      return tuple_of(atoms::badrpc, tuple_of(atoms::EXIT, tuple_of(o.value, o.stack)));
  }
  return atoms::ok;
}

process_task rex_worker(process& self, std::optional<export_table::entry> e, atom m, atom f,
                        term args, std::function<void(process&, term)> answer) {
  term result;
  if (!e) {
    result = tuple_of(atoms::badrpc, tuple_of(atoms::EXIT, export_table::undef_reason(m, f, args)));
  } else {
    result = rex_result(co_await export_table::call(self, *e, to_vector(args)));
  }
  if (answer) answer(self, result);
}

// The legacy rpc server (rpc.erl's gen_server), for peers that call {rex, Node} directly.
process_task rex_server(process& self, export_table* exports, pid io_server) {
  auto group_leader_for = [&](const term& gl) { return gl.is_pid() ? gl.pid_value() : io_server; };
  auto start = [&](const term& mfa_gl, std::function<void(process&, term)> answer) {
    // {call|block_call|cast, M, F, A, GL}
    if (mfa_gl.tuple_size() != 5 || !mfa_gl[1].is_atom() || !mfa_gl[2].is_atom() ||
        !mfa_gl[3].is_proper_list())
      return false;
    atom m = mfa_gl[1].atom_value(), f = mfa_gl[2].atom_value();
    auto e = exports->find(m, f, mfa_gl[3].list_elements().size());
    spawn_options o;
    o.group_leader = group_leader_for(mfa_gl[4]);
    self.spawn_opt(o, rex_worker, std::move(e), m, f, mfa_gl[3], std::move(answer));
    return true;
  };
  for (;;) {
    term msg = co_await self.receive();
    if (auto c = gen::parse_call(msg)) {
      const term& req = c->request;
      if (req.is_tuple() && req.tuple_size() == 5 &&
          (req[0].is_atom(atoms::call) || req[0].is_atom(a_block_call))) {
        gen::from to = c->from;
        start(req,
              [to](process& worker, term result) { gen::reply(worker, to, std::move(result)); });
      }
      continue;  // rex ignores calls it does not know
    }
    if (auto cast = gen::parse_cast(msg)) {
      if (cast->is_tuple() && cast->tuple_size() == 5 && (*cast)[0].is_atom(atoms::cast))
        start(*cast, {});
      continue;
    }
    if (msg.is_tuple() && msg.tuple_size() == 2 && msg[0].is_pid()) {
      pid from = msg[0].pid_value();
      const term& what = msg[1];
      if (what.is_atom(a_features_request)) {
        self.send(from, tuple_of(a_features_reply, self.rt().node(), list_of(atoms::erpc)));
      } else if (what.is_tuple() && what.tuple_size() == 5 && what[0].is_atom(atoms::call)) {
        start(what, [from](process& worker, term result) {
          worker.send(from, tuple_of(atoms::rex, std::move(result)));
        });
      } else if (what.is_tuple() && what.tuple_size() == 3 && what[0].is_atom(a_send) &&
                 what[1].is_atom()) {
        (void)self.send(what[1].atom_value(), tuple_of(from, what[2]));
      }
    }
  }
}

// ---- built-in functions
// --------------------------------------------------------------------------

term format_request_term(const term& fmt, const term& args) {
  return term::tuple(
      {atoms::put_chars, atoms::unicode, atom("io_lib"), atom("format"), list_of(fmt, args)});
}

term io_result(const term& reply) {
  if (reply.is_atom(atoms::ok)) return atoms::ok;
  throw error_exception(a_badarg);  // io:format/2 raises badarg when the device says error
}

// String.Chars for IO.puts: chardata, atoms (nil is ""), numbers.
std::string elixir_chars(const term& t) {
  if (t.is_atom())
    return t.is_atom(atoms::nil) ? std::string() : std::string(t.atom_value().name());
  if (t.is_integer()) return t.integer_to_string();
  if (t.is_float()) return format_float(t.float_value(), syntax::elixir);
  if (auto s = io::characters_to_utf8(t, io::encoding::unicode)) return *s;
  // %Protocol.UndefinedError{protocol: String.Chars, value: t}, as Elixir raises it.
  throw error_exception(term::map({{term(atom("__struct__")), term(atom("Elixir.Protocol.UndefinedError"))},
                                   {term(atom("__exception__")), term(atoms::true_)},
                                   {term(atom("protocol")), term(atom("Elixir.String.Chars"))},
                                   {term(atom("value")), t},
                                   {term(atom("description")), term::binary("")}}));
}

}  // namespace

void add_builtins(export_table& x) {
  auto add_if_missing = [&](std::string_view m, std::string_view f, std::size_t arity, auto fn) {
    if (!x.find(atom(m), atom(f), arity)) x.add(m, f, std::move(fn));
  };
  add_introspection(x);
  add_if_missing("erlang", "node", 0,
                 [](process& self) -> task<term> { co_return self.rt().node(); });
  add_if_missing("erlang", "self", 0, [](process& self) -> task<term> { co_return self.self(); });
  add_if_missing("erlang", "nodes", 0, [](process& self) -> task<term> {
    std::vector<term> out;
    if (auto* s = services_of(self.rt()); s && s->engine())
      for (atom n : s->engine()->nodes()) out.emplace_back(n);
    co_return term::list(std::move(out));
  });
  add_if_missing("erlang", "whereis", 1, [](process& self, term name) -> task<term> {
    if (!name.is_atom()) throw error_exception(a_badarg);
    auto p = self.rt().whereis(name.atom_value());
    term found = atoms::undefined;  // (no conditional temporaries in co_return: g++ 12)
    if (p) found = *p;
    co_return found;
  });
  add_if_missing("erlang", "apply", 3, [](process& self, term m, term f, term a) -> task<term> {
    if (!m.is_atom() || !f.is_atom() || !a.is_proper_list()) throw error_exception(a_badarg);
    auto* s = services_of(self.rt());
    auto e = s ? s->exports().find(m.atom_value(), f.atom_value(), a.list_elements().size())
               : std::nullopt;
    if (!e) throw error_exception(atoms::undef);
    call_outcome o = co_await export_table::call(self, *e, to_vector(a));
    switch (o.how) {
      case call_outcome::kind::return_:
        co_return o.value;
      case call_outcome::kind::throw_:
        throw throw_exception(o.value);
      case call_outcome::kind::exit:
        throw exit_exception(o.value);
      case call_outcome::kind::error:
        throw error_exception(o.value);
    }
    co_return atoms::ok;
  });
  // The process dictionary of the calling process (erlang:put/2, get/0,1, get_keys/0,1, erase/0,1).
  add_if_missing("erlang", "put", 2, [](process& self, term k, term v) -> task<term> {
    co_return self.put(std::move(k), std::move(v));
  });
  add_if_missing("erlang", "get", 0, [](process& self) -> task<term> { co_return self.dictionary(); });
  add_if_missing("erlang", "get", 1, [](process& self, term k) -> task<term> { co_return self.get(k); });
  add_if_missing("erlang", "get_keys", 0, [](process& self) -> task<term> { co_return self.get_keys(); });
  add_if_missing("erlang", "get_keys", 1, [](process& self, term v) -> task<term> { co_return self.get_keys(v); });
  add_if_missing("erlang", "erase", 0, [](process& self) -> task<term> { co_return self.erase_dictionary(); });
  add_if_missing("erlang", "erase", 1, [](process& self, term k) -> task<term> { co_return self.erase(k); });
  add_if_missing("erlang", "length", 1, [](term l) -> term {
    if (!l.is_proper_list()) throw error_exception(a_badarg);
    return term(static_cast<std::int64_t>(l.list_elements().size()));
  });
  add_if_missing("lists", "reverse", 1, [](term l) -> term {
    if (!l.is_proper_list()) throw error_exception(atom("function_clause"));
    auto e = l.list_elements();
    return term::list(std::vector<term>(e.rbegin(), e.rend()));
  });
  add_if_missing("timer", "sleep", 1, [](process& self, term ms) -> task<term> {
    if (!ms.is_small_integer() || ms.small_integer() < 0)
      throw error_exception(atom("function_clause"));
    co_await self.receive(
        on(tup(atom("$otpp_never"))) >> [] {},
        after(std::chrono::milliseconds(ms.small_integer()), [] {}));
    co_return atoms::ok;
  });
  // (Requests are built before co_await: g++ 12 miscompiles braced lists inside co_await.)
  add_if_missing("io", "format", 1, [](process& self, term fmt) -> task<term> {
    term req = format_request_term(fmt, term());
    co_return io_result(co_await io::request(self, self.group_leader(), std::move(req)));
  });
  add_if_missing("io", "format", 2, [](process& self, term fmt, term args) -> task<term> {
    term req = format_request_term(fmt, args);
    co_return io_result(co_await io::request(self, self.group_leader(), std::move(req)));
  });
  add_if_missing("io", "put_chars", 1, [](process& self, term chars) -> task<term> {
    term req = tuple_of(atoms::put_chars, atoms::unicode, chars);
    co_return io_result(co_await io::request(self, self.group_leader(), std::move(req)));
  });
  add_if_missing("io", "nl", 0, [](process& self) -> task<term> {
    co_return io_result(co_await io::put_chars(self, "\n"));
  });
  add_if_missing("Elixir.IO", "puts", 1, [](process& self, term item) -> task<term> {
    co_return io_result(co_await io::put_chars(self, elixir_chars(item) + "\n"));
  });
  add_if_missing("Elixir.IO", "puts", 2, [](process& self, term device, term item) -> task<term> {
    pid dev = self.group_leader();
    if (device.is_pid()) {
      dev = device.pid_value();
    } else if (device.is_atom() && !device.is_atom(atom("stdio"))) {
      auto p =
          self.rt().whereis(device.is_atom(atom("stderr")) ? atoms::user : device.atom_value());
      if (!p) throw error_exception(a_badarg);
      dev = *p;
    }
    co_return io_result(
        co_await io::request(self, dev, io::put_chars_request(elixir_chars(item) + "\n")));
  });
  add_if_missing("Elixir.IO", "inspect", 1, [](process& self, term item) -> task<term> {
    // IO.inspect/1 lays out as inspect/2's defaults do: 80 columns, 50 items.
    (void)io_result(co_await io::put_chars(self, to_string(item, print_options::iex()) + "\n"));
    co_return item;
  });
}

// ---- node_services
// ---------------------------------------------------------------------------------

node_services::node_services(runtime& rt, dist::engine* engine, export_table& exports,
                             services_options options)
    : rt_(rt), engine_(engine), exports_(exports) {
  // Self-contained (no pointer to the runtime): printers may hold it after this node is gone.
  numbering_ = node_numbers::numbering(std::make_shared<node_numbers>(rt.node()));

  auto out = options.output ? options.output : std::make_shared<io::fd_output_sink>(1);
  auto dev = std::make_shared<io::io_device>(std::move(out), options.input);
  dev->set_numbering(numbering_);
  std::optional<atom> user_name;
  if (!rt.whereis(atoms::user)) user_name = atoms::user;
  io_server_ = io::start_server(rt, dev, user_name);
  rt.set_default_group_leader(io_server_);

  if (options.logger && !rt.whereis(atom("logger_proxy"))) logger_ = start_logger(rt, io_server_);
  if (options.builtins) add_builtins(exports);
  if (options.rex && !rt.whereis(atoms::rex)) {
    rex_ = rt.spawn(rex_server, &exports_, io_server_);
    rt.register_name(atoms::rex, *rex_);
  }
  rt.set_upper_layer(this);
  if (options.global && engine_ && !rt.whereis(atom("global_name_server"))) global_ = global::start(*this);
  if (options.pg && engine_) pg_ = pg::start_scope(*this, pg::default_scope);
  rt.set_crash_reporter(report_crash);
  rt.set_spawn_hook([this](const remote_spawn_request& r) { return spawn_body_for(r); });
  for (const auto& name : options.task_supervisors) start_task_supervisor(atom(name));
}

node_services::~node_services() {
  rt_.set_spawn_hook({});
  if (rt_.upper_layer() == this) rt_.set_upper_layer(nullptr);
  // rex and the task supervisors look functions up in the export table, which may go next.
  if (rex_) rt_.exit(*rex_, atoms::kill);
  if (global_) rt_.exit(*global_, atoms::kill);
  if (pg_) rt_.exit(*pg_, atoms::kill);
  if (logger_) rt_.exit(*logger_, atoms::kill);
  std::lock_guard lock(mu_);
  for (const pid& p : supervisors_) rt_.exit(p, atoms::kill);
}

pid node_services::start_task_supervisor(atom name) {
  pid p = task_supervisor::start(rt_, exports_, name);
  std::lock_guard lock(mu_);
  supervisors_.push_back(p);
  return p;
}

spawn_body node_services::spawn_body_for(const remote_spawn_request& r) const {
  std::vector<term> args = to_vector(r.args);
  if (r.module == atoms::erpc && r.function == a_execute_call && args.size() == 4 &&
      args[1].is_atom() && args[2].is_atom() && args[3].is_proper_list()) {
    atom m = args[1].atom_value(), f = args[2].atom_value();
    auto e = exports_.find(m, f, args[3].list_elements().size());
    return [ref = args[0], m, f, a = args[3], e](process& self) {
      return execute_call(self, ref, m, f, a, e);
    };
  }
  if (r.module == atoms::erpc && r.function == a_execute_cast && args.size() == 3 &&
      args[0].is_atom() && args[1].is_atom() && args[2].is_proper_list()) {
    atom m = args[0].atom_value(), f = args[1].atom_value();
    auto e = exports_.find(m, f, args[2].list_elements().size());
    return [m, f, a = args[2], e](process& self) {
      return execute_cast(self, m, f, a, e);
    };
  }
  // An undefined function spawns a process that fails with undef, as in Erlang.
  return exports_.spawn_body(r.module, r.function, std::move(args));
}

node_services* services_of(const runtime& rt) { return static_cast<node_services*>(rt.upper_layer()); }

}  // namespace otpp::otp
