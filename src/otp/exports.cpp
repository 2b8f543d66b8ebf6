// The export table: lookup by module, function and arity, and running an entry the way
// erpc:execute_call/4 and a spawned process run an Erlang function.
#include "otpp/otp/exports.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "otpp/runtime/runtime.hpp"

namespace otpp {

namespace detail {
task<term> run_plain(process& /*self*/, std::function<term(std::vector<term>&)> fn,
                     std::vector<term> args) {
  co_return fn(args);
}
}  // namespace detail

namespace {

process_task run_function(process& self, export_table::function_fn fn, std::vector<term> args) {
  (void)co_await fn(self, std::move(args));
}

process_task run_task(process& self, std::function<task<term>(process&)> work) {
  (void)co_await work(self);
}

}  // namespace

std::string export_table::elixir_module(std::string_view module) {
  if (module.starts_with("Elixir.")) return std::string(module);
  return "Elixir." + std::string(module);
}

void export_table::add_entry(entry e) {
  std::unique_lock lock(mu_);
  insert_locked(std::move(e));
}

void export_table::remove(atom module, atom function) {
  std::unique_lock lock(mu_);
  table_.erase({module.index(), function.index()});
}

void export_table::replace_module(atom module, std::vector<entry> entries) {
  std::unique_lock lock(mu_);
  std::erase_if(table_, [&](const auto& kv) { return kv.first.first == module.index(); });
  for (auto& e : entries) insert_locked(std::move(e));
}

void export_table::add_entries(std::vector<entry> entries) {
  std::unique_lock lock(mu_);
  for (auto& e : entries) insert_locked(std::move(e));
}

void export_table::insert_locked(entry e) {
  auto& v = table_[{e.module.index(), e.function.index()}];
  auto same = std::find_if(v.begin(), v.end(), [&](const entry& x) { return x.arity == e.arity; });
  if (same != v.end()) {
    *same = std::move(e);
  } else {
    v.push_back(std::move(e));
  }
}

void export_table::set_autoload(std::function<bool(atom module)> hook) { autoload_ = std::move(hook); }

bool export_table::autoload(atom module) const { return autoload_ && autoload_(module); }

std::optional<export_table::entry> export_table::find(atom module, atom function,
                                                      std::size_t arity) const {
  if (auto e = find_loaded(module, function, arity)) return e;
  if (!autoload(module)) return std::nullopt;
  return find_loaded(module, function, arity);
}

std::optional<export_table::entry> export_table::find_loaded(atom module, atom function,
                                                             std::size_t arity) const {
  std::shared_lock lock(mu_);
  auto it = table_.find({module.index(), function.index()});
  if (it == table_.end()) return std::nullopt;
  const entry* any = nullptr;
  for (const auto& e : it->second) {
    if (e.arity == static_cast<int>(arity)) return e;
    if (e.arity < 0) any = &e;
  }
  if (any) return *any;
  return std::nullopt;
}

std::vector<export_table::entry> export_table::entries() const {
  std::shared_lock lock(mu_);
  std::vector<entry> out;
  for (const auto& [k, v] : table_) out.insert(out.end(), v.begin(), v.end());
  return out;
}

term export_table::undef_reason(atom module, atom function, const term& args) {
  return tuple_of(atoms::undef, list_of(term::tuple({module, function, args, term()})));
}

task<term> export_table::fail_undef(process& self, term reason) {
  // error_handler:undefined_function/3 raises error:undef, so the process ends with an error
  // and the runtime reports it where the emulator would (see error_exception).
  self.error(std::move(reason));
  co_return atoms::ok;
}

task<call_outcome> export_table::call(process& self, entry e, std::vector<term> args) {
  term stack = list_of(
      term::tuple({e.module, e.function, term(static_cast<std::int64_t>(args.size())), term()}));
  try {
    if (auto* f = std::get_if<function_fn>(&e.fn)) {
      term r = co_await (*f)(self, std::move(args));
      co_return call_outcome{call_outcome::kind::return_, std::move(r), {}};
    }
    // A process body runs as its own process; the call waits for it to end.
    spawn_options o;
    o.monitor = true;
    auto s = self.spawn_opt(o, std::get<body_fn>(e.fn), std::move(args));
    reference mref = *s.monitor;
    term reason =
        co_await self.receive(on(atoms::DOWN, mref, ignore, ignore, _) >> [](term r) { return r; });
    if (reason.is_atom(atoms::normal))
      co_return call_outcome{call_outcome::kind::return_, atoms::ok, {}};
    co_return call_outcome{call_outcome::kind::exit, std::move(reason), {}};
  } catch (const throw_exception& t) {
    co_return call_outcome{call_outcome::kind::throw_, t.value(), {}};
  } catch (const exit_exception& x) {
    co_return call_outcome{call_outcome::kind::exit, x.reason(), {}};
  } catch (const error_exception& x) {
    co_return call_outcome{call_outcome::kind::error, x.reason(),
                           x.stack().is_nil() ? stack : x.stack()};
  } catch (const std::exception& x) {
    co_return call_outcome{call_outcome::kind::error,
                           tuple_of(atoms::error, term::binary(x.what())), stack};
  }
}

std::function<process_task(process&)> export_table::spawn_body(atom module, atom function,
                                                               std::vector<term> args) const {
  auto e = find(module, function, args.size());
  if (!e) {
    term reason = undef_reason(module, function, term::list(args));
    return [reason](process& self) {
      return run_task(self, [reason](process& p) { return fail_undef(p, reason); });
    };
  }
  if (auto* b = std::get_if<body_fn>(&e->fn)) {
    return [b = *b, args = std::move(args)](process& self) mutable {
      return b(self, std::move(args));
    };
  }
  return [f = std::get<function_fn>(e->fn), args = std::move(args)](process& self) mutable {
    return run_function(self, f, std::move(args));
  };
}

}  // namespace otpp
