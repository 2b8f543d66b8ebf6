// The supervisor behaviour as a gen_server, following supervisor.erl: starting children in
// order, restarting by strategy within the restart intensity, shutting children down, and the
// calls Erlang's `supervisor` module makes.
#include "otpp/otp/supervisor.hpp"

#include <algorithm>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "otpp/otp/crash_report.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/otp/services.hpp"
#include "receive_timeout.hpp"

namespace otpp::supervisor {

namespace {

const atom a_which_children("which_children");
const atom a_count_children("count_children");
const atom a_start_child("start_child");
const atom a_terminate_child("terminate_child");
const atom a_restart_child("restart_child");
const atom a_delete_child("delete_child");
const atom a_get_childspec("get_childspec");
const atom a_get_callback_module("get_callback_module");
const atom a_specs("specs");
const atom a_active("active");
const atom a_supervisors("supervisors");
const atom a_workers("workers");
const atom a_worker("worker");
const atom a_supervisor("supervisor");
const atom a_not_found("not_found");
const atom a_running("running");
const atom a_already_present("already_present");
const atom a_already_started("already_started");
const atom a_simple_one_for_one("simple_one_for_one");
const atom a_id("id");
const atom a_start("start");
const atom a_restart("restart");
const atom a_shutdown("shutdown");
const atom a_type("type");
const atom a_modules("modules");
const atom a_permanent("permanent");
const atom a_transient("transient");
const atom a_temporary("temporary");
const atom a_brutal_kill("brutal_kill");
const atom a_local("local");
const atom a_pid("pid");
const atom a_mfargs("mfargs");
const atom a_restart_type("restart_type");
const atom a_child_type("child_type");
const atom a_failed_to_start_child("failed_to_start_child");
const atom a_child_terminated("child_terminated");
const atom a_start_error("start_error");
const atom a_reached_max("reached_max_restart_intensity");
const atom a_bad_return_value("bad_return_value");
const atom a_state("state");
const atom a_ignore("ignore");
const atom a_invalid_child_spec("invalid_child_spec");
const atom a_significant("significant");
const atom a_max_children("max_children");
const atom a_otpp_supervisor("otpp_supervisor");
const atom a_otpp_dynamic_supervisor("otpp_dynamic_supervisor");
const atom a_otpp_start_child("$otpp_start_child");
const atom a_not_local("not_local");

// C++ child specs on their way to a running supervisor of this process's node: a spec holds
// C++ functions, so the call carries only a key (a reference) and the supervisor takes the
// spec from here. A key a remote node makes up finds nothing.
class pending_specs {
 public:
  void put(const reference& key, child_spec spec) {
    std::lock_guard lk(m_);
    specs_.emplace_back(key, std::move(spec));
  }
  std::optional<child_spec> take(const reference& key) {
    std::lock_guard lk(m_);
    for (auto it = specs_.begin(); it != specs_.end(); ++it) {
      if (it->first == key) {
        child_spec s = std::move(it->second);
        specs_.erase(it);
        return s;
      }
    }
    return std::nullopt;
  }

 private:
  std::mutex m_;
  std::vector<std::pair<reference, child_spec>> specs_;
};

pending_specs& pending() {
  static pending_specs p;
  return p;
}

atom restart_atom(restart r) {
  switch (r) {
    case restart::permanent: return a_permanent;
    case restart::transient: return a_transient;
    case restart::temporary: return a_temporary;
  }
  return a_permanent;
}

term shutdown_term(const child_spec& s) {
  if (s.brutal_kill) return a_brutal_kill;
  if (s.shutdown.count() < 0) return atoms::infinity;
  return static_cast<std::int64_t>(s.shutdown.count());
}

bool is_normal_exit(const term& reason) {
  return reason.is_atom(atoms::normal) || reason.is_atom(atoms::shutdown) ||
         reason.is_tagged_tuple(atoms::shutdown, 2);
}

// M:F(A ++ Extra) from the node's export table, read as a child's start result.
task<gen_server::start_result> start_mfa(process& self, atom m, atom f, std::vector<term> args) {
  otp::node_services* services = otp::services_of(self.rt());
  std::optional<export_table::entry> e;
  if (services) e = services->exports().find(m, f, args.size());
  if (!e) {
    co_return gen_server::start_result{
        std::nullopt,
        tuple_of(atoms::error, export_table::undef_reason(m, f, term::list(args)))};
  }
  call_outcome o = co_await export_table::call(self, *e, std::move(args));
  if (o.how != call_outcome::kind::return_) {
    term reason = o.how == call_outcome::kind::error ? tuple_of(o.value, o.stack) : o.value;
    co_return gen_server::start_result{std::nullopt, tuple_of(atoms::error, reason)};
  }
  const term& v = o.value;
  if ((v.is_tagged_tuple(atoms::ok, 2) || v.is_tagged_tuple(atoms::ok, 3)) && v[1].is_pid())
    co_return gen_server::start_result{v[1].pid_value(), tuple_of(atoms::ok, v[1])};
  if (v.is_atom(a_ignore) || v.is_tagged_tuple(atoms::error, 2))
    co_return gen_server::start_result{std::nullopt, v};
  co_return gen_server::start_result{std::nullopt,
                                     tuple_of(atoms::error, tuple_of(a_bad_return_value, v))};
}

struct child {
  child_spec spec;
  std::optional<otpp::pid> pid;
  std::vector<term> extra;  // a simple_one_for_one child's start_child arguments
};

// What a DynamicSupervisor child spec (`{{M, F, A}, Restart, Shutdown, Type, Modules}`, as
// DynamicSupervisor.start_child/2 validates it before its call) says, started as
// M:F(Extra ++ A), or nullopt.
std::optional<child_spec> from_dynamic_term(const term& t, const std::vector<term>& extra) {
  if (!t.is_tuple() || t.tuple_size() != 5) return std::nullopt;
  const term& mfa = t[0];
  if (!mfa.is_tuple() || mfa.tuple_size() != 3 || !mfa[2].is_proper_list()) return std::nullopt;
  std::vector<term> args = extra;
  auto given = mfa[2].list_elements();
  args.insert(args.end(), given.begin(), given.end());
  // The 6-tuple form from_term reads, with the id DynamicSupervisor does without.
  return from_term(term::tuple({atoms::undefined, tuple_of(mfa[0], mfa[1], term::list(std::move(args))),
                                t[1], t[2], t[3], t[4]}));
}

class supervisor_server final : public gen_server::server {
 public:
  supervisor_server(flags f, std::vector<child_spec> specs, std::optional<atom> name)
      : flags_(f), specs_(std::move(specs)), name_(name) {}
  supervisor_server(const dynamic_flags& f, std::optional<atom> name)
      : flags_{strategy::one_for_one, f.intensity, f.period},
        name_(name),
        dynamic_(true),
        max_children_(f.max_children),
        extra_arguments_(f.extra_arguments) {}

  task<init_result> init(process& self) override {
    self.trap_exit(true);
    self_pid_ = self.self();
    if (flags_.strategy == strategy::simple_one_for_one) {
      if (specs_.size() != 1) co_return init_stop(tuple_of(atom("bad_start_spec"), term::list({})));
      template_ = specs_[0];
      co_return init_ok();
    }
    for (child_spec& spec : specs_) {
      child c{std::move(spec), std::nullopt, {}};
      gen_server::start_result r = co_await start_one(self, c);
      if (!r.ok() && !r.value.is_atom(a_ignore)) {
        term reason = r.value.is_tagged_tuple(atoms::error, 2) ? r.value[1] : r.value;
        report(self, a_start_error, reason, c);
        co_await shutdown_all(self);
        co_return init_stop(
            tuple_of(atoms::shutdown, tuple_of(a_failed_to_start_child, c.spec.id, reason)));
      }
      children_.push_back(std::move(c));
    }
    specs_.clear();
    co_return init_ok();
  }

  task<action> handle_call(process& self, term req, gen::from) override {
    if (req.is_atom(a_which_children)) co_return reply(which_children());
    if (req.is_atom(a_count_children)) co_return reply(count_children());
    if (req.is_tagged_tuple(a_start_child, 2)) {
      term r = co_await start_child(self, req[1]);
      co_return reply(std::move(r));
    }
    if (req.is_tagged_tuple(a_terminate_child, 2)) {
      term r = co_await terminate_child(self, req[1]);
      co_return reply(std::move(r));
    }
    if (req.is_tagged_tuple(a_restart_child, 2)) {
      term r = co_await restart_child(self, req[1]);
      co_return reply(std::move(r));
    }
    if (req.is_tagged_tuple(a_delete_child, 2)) co_return reply(delete_child(req[1]));
    if (req.is_tagged_tuple(a_get_childspec, 2)) co_return reply(get_childspec(req[1]));
    if (req.is_tagged_tuple(a_otpp_start_child, 2) && req[1].is_reference()) {
      auto spec = pending().take(req[1].reference_value());
      if (!spec) co_return reply(tuple_of(atoms::error, atoms::badarg));
      term r = co_await start_cpp_child(self, std::move(*spec));
      co_return reply(std::move(r));
    }
    if (req.is_atom(a_get_callback_module)) co_return reply(module_name());
    co_return reply(tuple_of(atoms::error, atom("badcall")));
  }

  task<action> handle_info(process& self, term msg) override {
    if (!msg.is_tagged_tuple(atoms::EXIT, 3) || !msg[1].is_pid()) co_return noreply();
    auto it = find_pid(msg[1].pid_value());
    if (it == children_.end()) co_return noreply();
    bool alive = co_await child_exited(self, static_cast<std::size_t>(it - children_.begin()), msg[2]);
    if (!alive) co_return stop(atoms::shutdown);
    co_return noreply();
  }

  task<> terminate(process& self, term) override { co_await shutdown_all(self); }

  [[nodiscard]] term state() const override {
    std::vector<term> kids;
    for (const child& c : children_)
      kids.push_back(tuple_of(c.spec.id, c.pid ? term(*c.pid) : term(atoms::undefined)));
    return tuple_of(a_state, report_name(), strategy_atom(), term::list(std::move(kids)));
  }

 private:
  flags flags_;
  std::vector<child_spec> specs_;
  std::optional<atom> name_;
  std::optional<child_spec> template_;
  std::vector<child> children_;  // in start order
  std::deque<std::chrono::steady_clock::time_point> restarts_;
  pid self_pid_;
  // Elixir's DynamicSupervisor: children by pid only, started with extra arguments.
  bool dynamic_ = false;
  std::optional<std::size_t> max_children_;
  std::vector<term> extra_arguments_;

  [[nodiscard]] atom module_name() const { return dynamic_ ? a_otpp_dynamic_supervisor : a_otpp_supervisor; }

  [[nodiscard]] atom strategy_atom() const {
    switch (flags_.strategy) {
      case strategy::one_for_one: return atom("one_for_one");
      case strategy::one_for_all: return atom("one_for_all");
      case strategy::rest_for_one: return atom("rest_for_one");
      case strategy::simple_one_for_one: return a_simple_one_for_one;
    }
    return atom("one_for_one");
  }
  // As supervisor.erl's supname/2: `{local, Name}`, or `{Pid, Module}` when unnamed.
  [[nodiscard]] term report_name() const {
    if (name_) return tuple_of(a_local, *name_);
    return tuple_of(self_pid_, module_name());
  }
  [[nodiscard]] bool simple() const { return flags_.strategy == strategy::simple_one_for_one; }

  std::vector<child>::iterator find_pid(const pid& p) {
    return std::find_if(children_.begin(), children_.end(),
                        [&](const child& c) { return c.pid && *c.pid == p; });
  }
  std::vector<child>::iterator find_id(const term& id) {
    return std::find_if(children_.begin(), children_.end(),
                        [&](const child& c) { return c.spec.id == id; });
  }

  // The start MFA a report shows: a simple_one_for_one child's with its start_child arguments.
  [[nodiscard]] term report_mfargs(const child& c) const {
    const term& mfa = c.spec.start_mfa;
    if (!mfa.is_tuple() || mfa.tuple_size() != 3 || !mfa[2].is_proper_list()) return mfa;
    auto given = mfa[2].list_elements();
    std::vector<term> args(given.begin(), given.end());
    if (simple()) args.insert(args.end(), c.extra.begin(), c.extra.end());
    return tuple_of(mfa[0], mfa[1], term::list(std::move(args)));
  }

  // A supervisor report, as supervisor:report_error/4 makes it (DynamicSupervisor's has no
  // `significant`): printed under "=SUPERVISOR REPORT====", as OTP's default handler does.
  void report(process& self, atom context, const term& reason, const child& c) {
    self_pid_ = self.self();
    std::vector<term> offender{tuple_of(a_pid, c.pid ? term(*c.pid) : term(atoms::undefined)),
                               tuple_of(a_id, dynamic_ ? term(atoms::undefined) : c.spec.id),
                               tuple_of(a_mfargs, report_mfargs(c)),
                               tuple_of(a_restart_type, restart_atom(c.spec.restart))};
    if (!dynamic_) offender.push_back(tuple_of(a_significant, atoms::false_));
    offender.push_back(tuple_of(a_shutdown, shutdown_term(c.spec)));
    offender.push_back(tuple_of(a_child_type, c.spec.type == child_type::worker ? a_worker : a_supervisor));
    otp::log_error(self,
                   "    supervisor: ~tp~n    errorContext: ~tp~n    reason: ~tp~n    offender: ~tp~n",
                   list_of(report_name(), context, reason, term::list(std::move(offender))),
                   "SUPERVISOR REPORT");
  }

  task<gen_server::start_result> start_one(process& self, child& c) {
    gen_server::start_result r;
    std::exception_ptr failed;
    try {
      r = co_await c.spec.start(self, c.extra);
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed) {
      term reason = tuple_of(atoms::error, term::binary("start function failed"));
      try {
        std::rethrow_exception(failed);
      } catch (const exit_exception& e) {
        reason = e.reason();
      } catch (const error_exception& e) {
        reason = e.exit_reason();
      } catch (...) {
      }
      r = {std::nullopt, tuple_of(atoms::error, reason)};
    }
    if (r.ok()) c.pid = r.pid;
    co_return r;
  }

  // Ends one child as supervisor:shutdown/2 does: unlinked and monitored, `shutdown` then
  // `kill` after its shutdown time (at once for brutal_kill).
  task<> shutdown_child(process& self, child& c) {
    if (!c.pid) co_return;
    pid p = *c.pid;
    c.pid.reset();
    reference m = self.monitor(p);
    self.unlink(p);
    term down_ref = m;
    auto wait = otp::detail::receive_timeout(c.spec.shutdown);
    self.exit(p, c.spec.brutal_kill ? term(atoms::kill) : term(atoms::shutdown));
    bool gone = false;
    if (!c.spec.brutal_kill) {
      gone = co_await self.receive(
          on(atoms::DOWN, down_ref, ignore, ignore, ignore) >> [] { return true; },
          after(wait, [] { return false; }));
    }
    if (!gone) {
      self.exit(p, atoms::kill);
      co_await self.receive(on(atoms::DOWN, down_ref, ignore, ignore, ignore) >> [] {});
    }
    // The EXIT that may have come before the unlink took effect.
    co_await self.receive(on(atoms::EXIT, p, ignore) >> [] {},
                          after(std::chrono::milliseconds(0), [] {}));
  }

  // Every child, last started first; temporary ones are forgotten.
  task<> shutdown_all(process& self) {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) co_await shutdown_child(self, *it);
  }

  // False when the restart intensity is exceeded.
  bool add_restart() {
    auto now = std::chrono::steady_clock::now();
    restarts_.push_back(now);
    while (!restarts_.empty() && now - restarts_.front() > flags_.period) restarts_.pop_front();
    return static_cast<int>(restarts_.size()) <= flags_.intensity;
  }

  // A child's EXIT; false when the supervisor gives up.
  task<bool> child_exited(process& self, std::size_t i, term reason) {
    child& c = children_[i];
    self_pid_ = self.self();
    bool restart_it = c.spec.restart == restart::permanent ||
                      (c.spec.restart == restart::transient && !is_normal_exit(reason));
    if (restart_it || !is_normal_exit(reason)) report(self, a_child_terminated, reason, c);
    const otpp::pid dead = *c.pid;
    c.pid.reset();
    if (!restart_it) {
      if (simple() || dynamic_ || c.spec.restart == restart::temporary)
        children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
      co_return true;
    }
    for (;;) {
      if (!add_restart()) {
        // The offender is the child as it ended (supervisor.erl reports it with its old pid).
        child gone = children_[i];
        gone.pid = dead;
        report(self, a_shutdown, a_reached_max, gone);
        co_return false;
      }
      bool ok = co_await restart_from(self, i);
      if (ok) co_return true;
    }
  }

  // Restarts child i (and, by strategy, its siblings); false if a start failed.
  task<bool> restart_from(process& self, std::size_t& i) {
    std::size_t first = i, last = i + 1;
    if (flags_.strategy == strategy::one_for_all) {
      first = 0;
      last = children_.size();
    } else if (flags_.strategy == strategy::rest_for_one) {
      last = children_.size();
    }
    for (std::size_t k = last; k-- > first;) {
      if (k != i) co_await shutdown_child(self, children_[k]);
    }
    // Temporary siblings ended by the restart are not started again.
    for (std::size_t k = last; k-- > first;) {
      if (k != i && children_[k].spec.restart == restart::temporary) {
        children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(k));
        if (k < i) --i;
        --last;
      }
    }
    for (std::size_t k = first; k < last; ++k) {
      if (children_[k].pid) continue;
      gen_server::start_result r = co_await start_one(self, children_[k]);
      if (!r.ok() && !r.value.is_atom(a_ignore)) {
        report(self, a_start_error, r.value.is_tagged_tuple(atoms::error, 2) ? r.value[1] : r.value,
               children_[k]);
        co_return false;
      }
    }
    co_return true;
  }

  [[nodiscard]] term which_children() const {
    std::vector<term> out;
    // Newest first, as supervisor:which_children/1 lists them.
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      const child& c = *it;
      out.push_back(term::tuple({simple() || dynamic_ ? term(atoms::undefined) : c.spec.id,
                                 c.pid ? term(*c.pid) : term(atoms::undefined),
                                 c.spec.type == child_type::worker ? a_worker : a_supervisor,
                                 c.spec.modules}));
    }
    return term::list(std::move(out));
  }

  [[nodiscard]] term count_children() const {
    std::int64_t active = 0, sups = 0, workers = 0;
    for (const child& c : children_) {
      if (c.pid) ++active;
      if (c.spec.type == child_type::supervisor)
        ++sups;
      else
        ++workers;
    }
    auto specs = simple() ? std::int64_t{1} : static_cast<std::int64_t>(children_.size());
    return list_of(tuple_of(a_specs, specs), tuple_of(a_active, active),
                   tuple_of(a_supervisors, sups), tuple_of(a_workers, workers));
  }

  // A started child joins the list; `ignore` leaves a static spec behind (as OTP does).
  task<term> start_and_keep(process& self, child c) {
    gen_server::start_result r = co_await start_one(self, c);
    if (r.ok()) {
      term answer = tuple_of(atoms::ok, *r.pid);
      children_.push_back(std::move(c));
      co_return answer;
    }
    if (r.value.is_atom(a_ignore)) {
      if (dynamic_) co_return r.value;  // DynamicSupervisor answers `ignore` as it is
      if (!simple() && c.spec.restart != restart::temporary) children_.push_back(std::move(c));
      co_return tuple_of(atoms::ok, atoms::undefined);
    }
    co_return r.value;
  }

  // DynamicSupervisor's `{start_child, {MFA, Restart, Shutdown, Type, Modules}}`.
  task<term> start_dynamic_child(process& self, term arg) {
    if (max_children_ && children_.size() >= *max_children_) co_return tuple_of(atoms::error, a_max_children);
    auto spec = from_dynamic_term(arg, extra_arguments_);
    if (!spec) co_return tuple_of(atoms::error, tuple_of(a_invalid_child_spec, arg));
    child c{std::move(*spec), std::nullopt, {}};
    co_return co_await start_and_keep(self, std::move(c));
  }

  // supervisor::start_child with a C++ spec: as Erlang's start_child with a spec (a dynamic
  // supervisor gives it its extra arguments); a simple_one_for_one supervisor has its one spec.
  task<term> start_cpp_child(process& self, child_spec spec) {
    if (simple()) co_return tuple_of(atoms::error, a_simple_one_for_one);
    if (dynamic_) {
      if (max_children_ && children_.size() >= *max_children_) co_return tuple_of(atoms::error, a_max_children);
      child c{std::move(spec), std::nullopt, extra_arguments_};
      co_return co_await start_and_keep(self, std::move(c));
    }
    auto it = find_id(spec.id);
    if (it != children_.end()) {
      if (it->pid) co_return tuple_of(atoms::error, tuple_of(a_already_started, *it->pid));
      co_return tuple_of(atoms::error, a_already_present);
    }
    co_return co_await start_and_keep(self, child{std::move(spec), std::nullopt, {}});
  }

  task<term> start_child(process& self, term arg) {
    if (dynamic_) co_return co_await start_dynamic_child(self, std::move(arg));
    child c;
    if (simple()) {
      if (!arg.is_proper_list()) co_return tuple_of(atoms::error, atoms::badarg);
      c.spec = *template_;
      auto extra = arg.list_elements();
      c.extra.assign(extra.begin(), extra.end());
    } else {
      auto spec = from_term(arg);
      if (!spec) co_return tuple_of(atoms::error, tuple_of(a_invalid_child_spec, arg));
      auto it = find_id(spec->id);
      if (it != children_.end()) {
        if (it->pid) co_return tuple_of(atoms::error, tuple_of(a_already_started, *it->pid));
        co_return tuple_of(atoms::error, a_already_present);
      }
      c.spec = std::move(*spec);
    }
    co_return co_await start_and_keep(self, std::move(c));
  }

  task<term> terminate_child(process& self, term id) {
    const bool by_pid = simple() || dynamic_;
    auto it = by_pid ? (id.is_pid() ? find_pid(id.pid_value()) : children_.end()) : find_id(id);
    if (it == children_.end()) co_return tuple_of(atoms::error, a_not_found);
    std::size_t i = static_cast<std::size_t>(it - children_.begin());
    co_await shutdown_child(self, children_[i]);
    if (by_pid || children_[i].spec.restart == restart::temporary)
      children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
    co_return atoms::ok;
  }

  task<term> restart_child(process& self, term id) {
    if (simple() || dynamic_) co_return tuple_of(atoms::error, a_simple_one_for_one);
    auto it = find_id(id);
    if (it == children_.end()) co_return tuple_of(atoms::error, a_not_found);
    if (it->pid) co_return tuple_of(atoms::error, a_running);
    gen_server::start_result r = co_await start_one(self, *it);
    if (r.ok()) co_return tuple_of(atoms::ok, *r.pid);
    if (r.value.is_atom(a_ignore)) co_return tuple_of(atoms::ok, atoms::undefined);
    co_return r.value;
  }

  term delete_child(const term& id) {
    if (simple() || dynamic_) return tuple_of(atoms::error, a_simple_one_for_one);
    auto it = find_id(id);
    if (it == children_.end()) return tuple_of(atoms::error, a_not_found);
    if (it->pid) return tuple_of(atoms::error, a_running);
    children_.erase(it);
    return atoms::ok;
  }

  term get_childspec(const term& id) {
    const child_spec* s = nullptr;
    if (simple()) {
      if (id.is_pid() && find_pid(id.pid_value()) != children_.end()) s = &*template_;
    } else if (dynamic_) {
      if (auto it = id.is_pid() ? find_pid(id.pid_value()) : children_.end(); it != children_.end()) s = &it->spec;
    } else if (auto it = find_id(id); it != children_.end()) {
      s = &it->spec;
    }
    if (!s) return tuple_of(atoms::error, a_not_found);
    return tuple_of(atoms::ok,
                    term::map({{term(a_id), s->id},
                               {term(a_start), s->start_mfa},
                               {term(a_restart), term(restart_atom(s->restart))},
                               {term(a_shutdown), shutdown_term(*s)},
                               {term(a_type), term(s->type == child_type::worker ? a_worker : a_supervisor)},
                               {term(a_modules), s->modules}}));
  }
};

}  // namespace

child_spec worker(term id, std::function<std::shared_ptr<gen_server::server>()> make,
                  gen_server::start_options options) {
  child_spec s;
  s.id = std::move(id);
  options.link = true;
  s.start = [make = std::move(make), options](process& self,
                                              std::vector<term>) -> task<gen_server::start_result> {
    return gen_server::start(self, make(), options);
  };
  return s;
}

std::optional<child_spec> from_term(const term& spec) {
  term id, start, restart_t = a_permanent, shutdown_t = term(std::int64_t{5000}), type_t = a_worker,
               modules;
  bool has_modules = false;
  if (spec.is_map()) {
    const term* v = spec.map_find(a_id);
    if (!v) return std::nullopt;
    id = *v;
    v = spec.map_find(a_start);
    if (!v) return std::nullopt;
    start = *v;
    if ((v = spec.map_find(a_restart))) restart_t = *v;
    if ((v = spec.map_find(a_type))) {
      type_t = *v;
      if (type_t.is_atom(a_supervisor)) shutdown_t = atoms::infinity;
    }
    if ((v = spec.map_find(a_shutdown))) shutdown_t = *v;
    if ((v = spec.map_find(a_modules))) {
      modules = *v;
      has_modules = true;
    }
  } else if (spec.is_tuple() && spec.tuple_size() == 6) {
    id = spec[0];
    start = spec[1];
    restart_t = spec[2];
    shutdown_t = spec[3];
    type_t = spec[4];
    modules = spec[5];
    has_modules = true;
  } else {
    return std::nullopt;
  }
  if (!start.is_tuple() || start.tuple_size() != 3 || !start[0].is_atom() || !start[1].is_atom() ||
      !start[2].is_proper_list())
    return std::nullopt;
  child_spec s;
  s.id = id;
  s.start_mfa = start;
  atom m = start[0].atom_value(), f = start[1].atom_value();
  auto a = start[2].list_elements();
  std::vector<term> args(a.begin(), a.end());
  s.start = [m, f, args](process& self, std::vector<term> extra) -> task<gen_server::start_result> {
    std::vector<term> all = args;
    all.insert(all.end(), extra.begin(), extra.end());
    return start_mfa(self, m, f, std::move(all));
  };
  if (restart_t.is_atom(a_permanent))
    s.restart = restart::permanent;
  else if (restart_t.is_atom(a_transient))
    s.restart = restart::transient;
  else if (restart_t.is_atom(a_temporary))
    s.restart = restart::temporary;
  else
    return std::nullopt;
  if (shutdown_t.is_atom(a_brutal_kill))
    s.brutal_kill = true;
  else if (shutdown_t.is_atom(atoms::infinity))
    s.shutdown = std::chrono::milliseconds(-1);
  else if (auto ms = shutdown_t.to_int64(); ms && *ms >= 0)
    s.shutdown = std::chrono::milliseconds(*ms);
  else
    return std::nullopt;
  if (type_t.is_atom(a_supervisor))
    s.type = child_type::supervisor;
  else if (!type_t.is_atom(a_worker))
    return std::nullopt;
  if (!has_modules)
    s.modules = list_of(m);
  else if (modules.is_atom() && !modules.is_atom(atom("dynamic")))
    s.modules = list_of(modules);
  else
    s.modules = modules;
  return s;
}

task<gen_server::start_result> start(process& self, flags f, std::vector<child_spec> children,
                                     gen_server::start_options options) {
  auto s = std::make_shared<supervisor_server>(f, std::move(children), options.name);
  return gen_server::start(self, std::move(s), options);
}

gen_server::start_result start(scoped_process& self, const flags& f,
                               std::vector<child_spec> children,
                               const gen_server::start_options& options) {
  auto s = std::make_shared<supervisor_server>(f, std::move(children), options.name);
  return gen_server::start(self, std::move(s), options);
}

}  // namespace otpp::supervisor

namespace otpp::supervisor {

namespace {

// Whether `to` is a process of this node (a C++ spec cannot travel).
bool is_local(const basic_process& self, const gen::destination& to) {
  if (auto p = std::get_if<pid>(&to.where)) return self.rt().is_local(*p);
  if (std::holds_alternative<atom>(to.where)) return true;
  return std::get<std::pair<atom, atom>>(to.where).second == self.rt().node();
}

term start_child_request(const reference& key) { return tuple_of(a_otpp_start_child, key); }

}  // namespace

task<gen_server::start_result> start_dynamic(process& self, dynamic_flags f, gen_server::start_options options) {
  auto s = std::make_shared<supervisor_server>(f, options.name);
  return gen_server::start(self, std::move(s), options);
}

gen_server::start_result start_dynamic(scoped_process& self, const dynamic_flags& f,
                                       const gen_server::start_options& options) {
  auto s = std::make_shared<supervisor_server>(f, options.name);
  return gen_server::start(self, std::move(s), options);
}

task<term> start_child(process& self, gen::destination sup, child_spec spec) {
  if (!is_local(self, sup)) co_return tuple_of(atoms::error, a_not_local);
  reference key = self.make_ref();
  pending().put(key, std::move(spec));
  gen::call_result r = co_await gen::call(self, sup, start_child_request(key), gen_server::infinity);
  // Not taken when the supervisor was not there (or not a supervisor).
  bool left = pending().take(key).has_value();
  if (r.ok() && !left) co_return std::move(*r.reply);
  if (r.ok()) co_return tuple_of(atoms::error, atoms::badarg);
  self.exit(tuple_of(r.exit_reason, tuple_of(atom("gen_server"), atoms::call,
                                              list_of(sup.to_term(), atom("start_child"), atoms::infinity))));
}

term start_child(scoped_process& self, const gen::destination& sup, child_spec spec) {
  if (!is_local(self, sup)) return tuple_of(atoms::error, a_not_local);
  reference key = self.make_ref();
  pending().put(key, std::move(spec));
  gen::call_result r = gen::call(self, sup, start_child_request(key), gen_server::infinity);
  bool left = pending().take(key).has_value();
  if (r.ok() && !left) return std::move(*r.reply);
  if (r.ok()) return tuple_of(atoms::error, atoms::badarg);
  term reason = tuple_of(r.exit_reason, tuple_of(atom("gen_server"), atoms::call,
                                                 list_of(sup.to_term(), atom("start_child"), atoms::infinity)));
  self.exit(reason);
  throw process_exited(reason);
}

}  // namespace otpp::supervisor
