// What BEAM tools call on a node over rpc to look inside it: erlang:processes/0, registered/0,
// process_info/1,2, system_info/1, memory/0,1, statistics/1 and nodes/1, answered from the
// runtime's and the distribution's own figures (nearest measures where a BEAM figure has no
// otpp counterpart, e.g. heap sizes from a process's bytes).
#include "otpp/otp/introspection.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include "otpp/otp/services.hpp"

namespace otpp::otp {

namespace {

const atom a_badarg("badarg");
const atom a_registered_name("registered_name");
const atom a_messages("messages");
const atom a_current_function("current_function");
const atom a_initial_call("initial_call");
const atom a_dictionary("dictionary");
const atom a_priority("priority");
const atom a_heap_size("heap_size");
const atom a_total_heap_size("total_heap_size");
const atom a_stack_size("stack_size");
const atom a_garbage_collection("garbage_collection");
const atom a_error_handler("error_handler");
const atom a_memory("memory");

[[noreturn]] void badarg() { throw error_exception(a_badarg); }

std::int64_t i64(std::size_t v) { return static_cast<std::int64_t>(v); }

// One process_info item from the process's proplist (and the items otpp answers alike for
// every process).
term info_item(const term& proplist, atom item) {
  for (const term& kv : proplist.list_elements())
    if (kv[0].is_atom(item)) return kv[1];
  if (item == a_registered_name) return term();  // [] when it has no name
  if (item == a_messages) return term();
  if (item == a_current_function) {
    // Where the process never said: the function it was spawned in, the nearest known.
    for (const term& kv : proplist.list_elements())
      if (kv[0].is_atom(a_initial_call)) return kv[1];
    return atoms::undefined;
  }
  if (item == a_initial_call) return tuple_of(atoms::erlang, atom("apply"), term(2));
  if (item == a_garbage_collection) return term();
  if (item == a_priority) return atom("normal");
  if (item == a_error_handler) return atom("error_handler");
  if (item == a_heap_size || item == a_total_heap_size || item == a_stack_size) {
    for (const term& kv : proplist.list_elements())
      if (kv[0].is_atom(a_memory)) return term(*kv[1].to_int64() / 8);  // words
  }
  badarg();
}

const std::vector<atom>& info_items() {
  static const std::vector<atom> items = {
      a_registered_name, atom("status"),   atom("message_queue_len"), a_messages,
      atom("links"),     atom("monitors"), atom("monitored_by"),      atoms::group_leader,
      atom("trap_exit"), a_memory,         atom("reductions"),        a_current_function,
      a_initial_call,    a_dictionary,     a_priority,                a_heap_size,
      a_total_heap_size, a_stack_size,     a_garbage_collection,      a_error_handler};
  return items;
}

bool known_item(const term& t) {
  if (!t.is_atom()) return false;
  auto& items = info_items();
  return std::find(items.begin(), items.end(), t.atom_value()) != items.end();
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Bytes of every process: each answers an info request (as process_info would).
task<std::size_t> processes_bytes(process& self) {
  auto all = self.rt().processes();
  reference tag = self.make_ref();
  for (const pid& p : all) detail::request_info(self.rt().impl(), p, self.self(), tag);
  std::size_t total = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto answer = co_await self.receive(on(tag, _) >> [](term t) { return std::optional<term>(t); },
                                        after(std::chrono::seconds(5), [] { return std::optional<term>(); }));
    if (!answer) break;
    if (auto info = process_info::from_term(*answer)) total += info->memory;
  }
  co_return total;
}

// The #etop_info{} record observer_backend:etop_collect/1 sends (observer_backend.hrl):
// {etop_info, Now, NProcs, WallClock, Runtime, RunQueue, AllocAreas, Memi, ProcInfo}, each
// process an #etop_proc_info{}: {etop_proc_info, Pid, Memory, Reductions, Name, Runtime,
// CurrentFunction, MessageQueueLen}, Name being the registered name or the initial call.
// Runtime stays undefined (the CPU share shows 0), as in BEAM's first sample.
task<term> etop_info(process& self) {
  static const atom a_etop_info("etop_info"), a_etop_proc_info("etop_proc_info");
  std::vector<term> procs;
  std::size_t procs_bytes = 0;
  for (const pid& p : self.rt().processes()) {
    if (p == self.self()) continue;
    auto info = co_await self.info(p);
    if (!info) continue;
    procs_bytes += info->memory;
    term initial = info->initial_call.value_or(tuple_of(atoms::erlang, atom("apply"), term(2)));
    term name = info->registered_name ? term(*info->registered_name) : initial;
    term current = info->current_function.value_or(initial);
    procs.push_back(term::tuple({a_etop_proc_info, p, term(i64(info->memory)),
                                 term(static_cast<std::int64_t>(info->reductions)), name, term(0),
                                 current, term(i64(info->message_queue_len))}));
  }
  std::size_t total = std::max(resident_bytes(), procs_bytes);
  term memi = list_of(
      tuple_of(atom("total"), term(i64(total))),
      tuple_of(atom("processes"), term(i64(procs_bytes))), tuple_of(atom("ets"), term(0)),
      tuple_of(atom("atom"), term(i64(atom::table_bytes()))), tuple_of(atom("code"), term(0)),
      tuple_of(atom("binary"), term(i64(term::binary_memory()))));
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  term now = tuple_of(term(us / 1'000'000'000'000), term(us / 1'000'000 % 1'000'000),
                      term(us % 1'000'000));
  std::int64_t n = i64(procs.size());
  co_return term::tuple({a_etop_info, now, term(n), atoms::undefined, atoms::undefined, term(0),
                         term(), memi, term::list(std::move(procs))});
}

std::chrono::milliseconds cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::milliseconds(std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000);
}

// statistics(runtime | wall_clock) keep "since the last call" per node, as the emulator does.
struct statistics_state {
  std::atomic<std::int64_t> last_runtime{0};
  std::atomic<std::int64_t> last_wall{0};
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

}  // namespace

term nodes(runtime& rt, const term& which) {
  auto* s = services_of(rt);
  dist::engine* e = s ? s->engine() : nullptr;
  std::vector<atom> visible = e ? e->nodes(false) : std::vector<atom>{};
  std::vector<atom> all = e ? e->nodes(true) : std::vector<atom>{};
  std::vector<term> out;
  auto add = [&](atom kind) {
    if (kind == atom("visible")) {
      out.insert(out.end(), visible.begin(), visible.end());
    } else if (kind == atom("hidden")) {
      for (atom n : all)
        if (std::find(visible.begin(), visible.end(), n) == visible.end()) out.emplace_back(n);
    } else if (kind == atom("connected")) {
      out.insert(out.end(), all.begin(), all.end());
    } else if (kind == atom("this")) {
      out.emplace_back(rt.node());
    } else if (kind == atom("known")) {
      out.emplace_back(rt.node());
      out.insert(out.end(), all.begin(), all.end());
    } else {
      badarg();
    }
  };
  if (which.is_atom()) {
    add(which.atom_value());
  } else if (which.is_proper_list()) {
    for (const term& k : which.list_elements()) {
      if (!k.is_atom()) badarg();
      add(k.atom_value());
    }
  } else {
    badarg();
  }
  // Each node once (known lists this node and the connected ones).
  std::vector<term> unique;
  for (auto& t : out)
    if (std::none_of(unique.begin(), unique.end(), [&](const term& u) { return exact_equal(u, t); }))
      unique.push_back(t);
  return term::list(std::move(unique));
}

namespace {

term system_info(process& self, const term& key) {
  if (!key.is_atom()) badarg();
  const std::string_view k = key.atom_value().name();
  runtime& rt = self.rt();
  const auto cores = static_cast<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  if (k == "otp_release") return term::string("25");
  if (k == "version") return term::string("13.1.5");
  if (k == "system_version")
    return term::string("Erlang/OTP 25 [erts-13.1.5] [otpp] [64-bit] [smp:" + std::to_string(cores) + "]\n");
  if (k == "system_architecture") return term::string("x86_64-pc-linux-gnu");
  if (k == "machine") return term::string("OTPP");
  if (k == "process_count") return term(i64(rt.process_count()));
  if (k == "process_limit") return term(i64(std::size_t{1} << 24));
  if (k == "port_count") return term(0);
  if (k == "port_limit") return term(65536);
  if (k == "atom_count") return term(i64(atom::table_size()));
  if (k == "atom_limit") return term(1048576);
  if (k == "schedulers" || k == "schedulers_online" || k == "logical_processors" ||
      k == "logical_processors_online" || k == "logical_processors_available")
    return term(cores);
  if (k == "dirty_cpu_schedulers" || k == "dirty_io_schedulers" || k == "thread_pool_size") return term(0);
  if (k == "wordsize") return term(8);
  if (k == "smp_support" || k == "threads" || k == "kernel_poll") return atoms::true_;
  if (k == "creation") return term(i64(rt.creation()));
  if (k == "heap_type") return atom("private");
  if (k == "build_type") return atom("opt");
  if (k == "emu_type") return atom("opt");
  if (k == "emu_flavor") return atom("jit");
  if (k == "debug_compiled") return atoms::false_;
  if (k == "driver_version") return term::string("3.3");
  if (k == "nif_version") return term::string("2.16");
  if (k == "os_monotonic_time_source" || k == "os_system_time_source") return term();
  badarg();
}

}  // namespace

void add_introspection(export_table& x) {
  auto add_if_missing = [&](std::string_view m, std::string_view f, std::size_t arity, auto fn) {
    if (!x.find(atom(m), atom(f), arity)) x.add(m, f, std::move(fn));
  };
  add_if_missing("erlang", "processes", 0, [](process& self) -> task<term> {
    auto all = self.rt().processes();
    co_return term::list(std::vector<term>(all.begin(), all.end()));
  });
  add_if_missing("erlang", "registered", 0, [](process& self) -> task<term> {
    auto names = self.rt().registered();
    co_return term::list(std::vector<term>(names.begin(), names.end()));
  });
  add_if_missing("erlang", "is_process_alive", 1, [](process& self, term p) -> task<term> {
    if (!p.is_pid() || !self.rt().is_local(p.pid_value())) badarg();
    co_return term::boolean(self.rt().is_alive(p.pid_value()));
  });
  add_if_missing("erlang", "process_info", 1, [](process& self, term p) -> task<term> {
    if (!p.is_pid() || !self.rt().is_local(p.pid_value())) badarg();
    auto info = co_await self.info(p.pid_value());
    if (!info) co_return atoms::undefined;
    // BEAM's list opens with current_function and initial_call, known or not.
    term proplist = info->to_term();
    std::vector<term> out{tuple_of(a_current_function, info_item(proplist, a_current_function)),
                          tuple_of(a_initial_call, info_item(proplist, a_initial_call))};
    for (const term& kv : proplist.list_elements())
      if (!kv[0].is_atom(a_current_function) && !kv[0].is_atom(a_initial_call)) out.push_back(kv);
    co_return term::list(std::move(out));
  });
  add_if_missing("erlang", "process_info", 2, [](process& self, term p, term items) -> task<term> {
    if (!p.is_pid() || !self.rt().is_local(p.pid_value())) badarg();
    bool many = items.is_list();
    if (many) {
      if (!items.is_proper_list()) badarg();
      for (const term& i : items.list_elements())
        if (!known_item(i)) badarg();
    } else if (!known_item(items)) {
      badarg();
    }
    bool want_messages = many ? std::any_of(items.list_elements().begin(), items.list_elements().end(),
                                            [](const term& i) { return i.is_atom(a_messages); })
                              : items.is_atom(a_messages);
    auto info = co_await self.info(p.pid_value(), want_messages);
    if (!info) co_return atoms::undefined;
    term proplist = info->to_term();
    if (!many) {
      term v = info_item(proplist, items.atom_value());
      if (items.is_atom(a_registered_name) && v.is_nil()) co_return term();
      co_return tuple_of(items, v);
    }
    std::vector<term> out;
    for (const term& i : items.list_elements()) out.push_back(tuple_of(i, info_item(proplist, i.atom_value())));
    co_return term::list(std::move(out));
  });
  add_if_missing("erlang", "system_info", 1,
                 [](process& self, term key) -> task<term> { co_return system_info(self, key); });
  add_if_missing("erlang", "nodes", 1, [](process& self, term which) -> task<term> {
    co_return nodes(self.rt(), which);
  });
  // Node monitoring as net_kernel offers it, for the calling process.
  add_if_missing("net_kernel", "monitor_nodes", 1, [](process& self, term flag) -> task<term> {
    auto* s = services_of(self.rt());
    if (!flag.is_atom(atoms::true_) && !flag.is_atom(atoms::false_)) co_return atoms::error;
    if (s && s->engine()) s->engine()->monitor_nodes(self.self(), flag.is_atom(atoms::true_));
    co_return atoms::ok;
  });
  add_if_missing("net_kernel", "monitor_nodes", 2, [](process& self, term flag, term opts) -> task<term> {
    auto* s = services_of(self.rt());
    auto o = dist::engine::parse_monitor_nodes_options(opts);
    if (!o || (!flag.is_atom(atoms::true_) && !flag.is_atom(atoms::false_))) co_return atoms::error;
    if (s && s->engine()) s->engine()->monitor_nodes(self.self(), flag.is_atom(atoms::true_), *o);
    co_return atoms::ok;
  });
  auto disconnect = [](process& self, term node) -> task<term> {
    if (!node.is_atom()) badarg();
    auto* s = services_of(self.rt());
    if (!s || !s->engine()) co_return atom("ignored");  // not a distributed node
    co_return term::boolean(s->engine()->disconnect(node.atom_value()));
  };
  add_if_missing("erlang", "disconnect_node", 1, disconnect);
  add_if_missing("net_kernel", "disconnect", 1, disconnect);
  add_if_missing("erlang", "memory", 0, [](process& self) -> task<term> {
    std::size_t procs = co_await processes_bytes(self);
    std::size_t total = std::max(resident_bytes(), procs);
    std::vector<term> items{tuple_of(atom("total"), term(i64(total))),
                            tuple_of(atom("processes"), term(i64(procs))),
                            tuple_of(atom("processes_used"), term(i64(procs))),
                            tuple_of(atom("system"), term(i64(total - procs))),
                            tuple_of(atom("atom"), term(i64(atom::table_bytes()))),
                            tuple_of(atom("atom_used"), term(i64(atom::table_bytes()))),
                            tuple_of(atom("binary"), term(i64(term::binary_memory()))),
                            tuple_of(atom("code"), term(0)),
                            tuple_of(atom("ets"), term(0))};
    co_return term::list(std::move(items));
  });
  add_if_missing("erlang", "memory", 1, [](process& self, term what) -> task<term> {
    if (!what.is_atom()) badarg();
    std::string_view k = what.atom_value().name();
    if (k == "total") co_return term(i64(resident_bytes()));
    if (k == "processes" || k == "processes_used") co_return term(i64(co_await processes_bytes(self)));
    if (k == "system") {
      std::size_t procs = co_await processes_bytes(self);
      std::size_t total = resident_bytes();
      co_return term(i64(total > procs ? total - procs : 0));
    }
    if (k == "atom" || k == "atom_used") co_return term(i64(atom::table_bytes()));
    if (k == "binary") co_return term(i64(term::binary_memory()));
    if (k == "code" || k == "ets") co_return term(0);
    badarg();
  });
  // What etop runs on the node it watches: observer_backend:vsn/0 (its version check), then
  // spawn_link(Node, observer_backend, etop_collect, [Collector]) each interval.
  add_if_missing("observer_backend", "vsn", 0, [](process&) -> task<term> {
    co_return tuple_of(atoms::ok, term::string("1.19"));
  });
  add_if_missing("observer_backend", "etop_collect", 1,
                 [](process& self, term collector) -> task<term> {
                   if (!collector.is_pid()) badarg();
                   term info = co_await etop_info(self);
                   self.send(collector.pid_value(), tuple_of(self.self(), std::move(info)));
                   co_return atoms::ok;
                 });
  add_if_missing("erlang", "statistics", 1, [](process& self, term what) -> task<term> {
    if (!what.is_atom()) badarg();
    std::string_view k = what.atom_value().name();
    auto* s = services_of(self.rt());
    auto st = s ? s->use_extension<statistics_state>() : std::make_shared<statistics_state>();
    if (k == "runtime") {
      std::int64_t now = cpu_time().count();
      std::int64_t last = st->last_runtime.exchange(now);
      co_return tuple_of(term(now), term(now - last));
    }
    if (k == "wall_clock") {
      std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - st->start)
                             .count();
      std::int64_t last = st->last_wall.exchange(now);
      co_return tuple_of(term(now), term(now - last));
    }
    if (k == "run_queue" || k == "total_run_queue_lengths" || k == "total_active_tasks") co_return term(0);
    if (k == "reductions" || k == "exact_reductions" || k == "context_switches")
      co_return tuple_of(term(0), term(0));
    if (k == "garbage_collection") co_return tuple_of(term(0), term(0), term(0));
    if (k == "io") co_return tuple_of(tuple_of(atom("input"), term(0)), tuple_of(atom("output"), term(0)));
    badarg();
  });
}

}  // namespace otpp::otp
