// The public face of the runtime (a thin layer over runtime_impl) and process_info's
// conversion to and from Erlang's proplist.
#include "otpp/runtime/runtime.hpp"

#include <stdexcept>

#include "runtime/runtime_impl.hpp"

namespace otpp {

runtime::runtime(runtime_options options) : impl_(std::make_unique<detail::runtime_impl>(*this, options)) {}
runtime::~runtime() {
  // Shut down while the runtime is whole: processes that end now may still use it.
  impl_->shutdown(std::chrono::seconds(5));
}

atom runtime::node() const noexcept { return impl_->node(); }
std::uint32_t runtime::creation() const noexcept { return impl_->creation(); }
void runtime::set_node(atom node, std::uint32_t creation) { impl_->set_node(node, creation); }
bool runtime::is_local(const pid& p) const noexcept {
  return impl_->classify(p) != detail::runtime_impl::where::remote;
}
reference runtime::make_ref() { return impl_->make_ref(); }
pid runtime::default_group_leader() const { return impl_->default_group_leader(); }
void runtime::set_default_group_leader(const pid& leader) { impl_->set_default_group_leader(leader); }

void runtime::send(const pid& to, term msg) { impl_->send_message(nullptr, to, std::move(msg)); }
bool runtime::send(atom name, term msg) { return impl_->send_named(nullptr, name, std::move(msg)); }
void runtime::send(atom name, atom node, term msg) { impl_->send_named_remote(nullptr, name, node, std::move(msg)); }
void runtime::send(const reference& alias, term msg) { impl_->send_alias(nullptr, alias, std::move(msg)); }
void runtime::exit(const pid& to, term reason) {
  impl_->send_exit(pid{impl_->node(), 0, 0, impl_->creation()}, to, std::move(reason), false);
}

bool runtime::register_name(atom name, const pid& p) { return impl_->register_name(name, p); }
bool runtime::unregister_name(atom name) { return impl_->unregister_name(name); }
std::optional<pid> runtime::whereis(atom name) const { return impl_->whereis(name); }
std::vector<atom> runtime::registered() const { return impl_->registered(); }

reference runtime::send_after(std::chrono::milliseconds delay, const pid& to, term msg) {
  return impl_->start_send_timer(delay, to, std::move(msg), false);
}
std::optional<std::chrono::milliseconds> runtime::cancel_timer(const reference& timer) {
  return impl_->cancel_timer(timer);
}

bool runtime::is_alive(const pid& p) const { return impl_->is_alive(p); }
std::size_t runtime::process_count() const noexcept { return impl_->live(); }
std::vector<pid> runtime::processes() const { return impl_->live_pids(); }

void runtime::set_distribution(distribution* dist) { impl_->set_dist(dist); }
distribution* runtime::get_distribution() const noexcept { return impl_->dist(); }
remote_signals& runtime::remote() noexcept { return *impl_; }
void runtime::set_spawn_hook(spawn_hook hook) { impl_->set_spawn_hook(std::move(hook)); }
void runtime::set_crash_reporter(crash_reporter reporter) { impl_->set_crash_reporter(std::move(reporter)); }
void runtime::set_upper_layer(void* p) noexcept { impl_->upper_layer.store(p, std::memory_order_release); }
void* runtime::upper_layer() const noexcept { return impl_->upper_layer.load(std::memory_order_acquire); }
void runtime::set_io_poller(io_poller* poller) { impl_->sched().set_poller(poller); }

bool runtime::run_once() {
  if (!impl_->options.deterministic) throw std::logic_error("otpp: run_once needs a deterministic runtime");
  return impl_->sched().run_once();
}
std::size_t runtime::run(std::size_t max_turns) {
  std::size_t n = 0;
  while (n < max_turns && run_once()) ++n;
  return n;
}
void runtime::advance_time(std::chrono::nanoseconds by) { impl_->advance_time(by); }
std::chrono::steady_clock::time_point runtime::now() const { return impl_->now(); }

void runtime::shutdown(std::chrono::milliseconds grace) { impl_->shutdown(grace); }

// ---- process_info --------------------------------------------------------------------------

namespace {
const atom& a_status() {
  static const atom a("status");
  return a;
}
const atom& a_mql() {
  static const atom a("message_queue_len");
  return a;
}
const atom& a_links() {
  static const atom a("links");
  return a;
}
const atom& a_monitors() {
  static const atom a("monitors");
  return a;
}
const atom& a_monitored_by() {
  static const atom a("monitored_by");
  return a;
}
const atom& a_trap_exit() {
  static const atom a("trap_exit");
  return a;
}
const atom& a_memory() {
  static const atom a("memory");
  return a;
}
const atom& a_reductions() {
  static const atom a("reductions");
  return a;
}
const atom& a_messages() {
  static const atom a("messages");
  return a;
}
const atom& a_registered_name() {
  static const atom a("registered_name");
  return a;
}
const atom& a_dictionary() {
  static const atom a("dictionary");
  return a;
}
const atom& a_current_function() {
  static const atom a("current_function");
  return a;
}
const atom& a_initial_call() {
  static const atom a("initial_call");
  return a;
}
}  // namespace

term process_info::to_term() const {
  std::vector<term> items;
  if (current_function) items.push_back(tuple_of(a_current_function(), *current_function));
  if (initial_call) items.push_back(tuple_of(a_initial_call(), *initial_call));
  if (registered_name) items.push_back(tuple_of(a_registered_name(), *registered_name));
  items.push_back(tuple_of(a_status(), status));
  items.push_back(tuple_of(a_mql(), static_cast<long long>(message_queue_len)));
  std::vector<term> ls(links.begin(), links.end());
  items.push_back(tuple_of(a_links(), term::list(std::move(ls))));
  std::vector<term> ms;
  for (const term& m : monitors) ms.push_back(tuple_of(atoms::process, m));
  items.push_back(tuple_of(a_monitors(), term::list(std::move(ms))));
  std::vector<term> mb(monitored_by.begin(), monitored_by.end());
  items.push_back(tuple_of(a_monitored_by(), term::list(std::move(mb))));
  items.push_back(tuple_of(a_trap_exit(), term::boolean(trap_exit)));
  items.push_back(tuple_of(atoms::group_leader, group_leader));
  items.push_back(tuple_of(a_memory(), static_cast<long long>(memory)));
  items.push_back(tuple_of(a_reductions(), static_cast<long long>(reductions)));
  items.push_back(tuple_of(a_dictionary(), dictionary));
  if (messages) items.push_back(tuple_of(a_messages(), term::list(*messages)));
  return term::list(std::move(items));
}

std::optional<process_info> process_info::from_term(const term& t) {
  if (!t.is_list()) return std::nullopt;
  process_info info;
  bool saw_status = false;
  for (const term& item : t.list_elements()) {
    if (!item.is_tuple() || item.tuple_size() != 2 || !item[0].is_atom()) continue;
    atom key = item[0].atom_value();
    const term& v = item[1];
    if (key == a_status() && v.is_atom()) {
      info.status = v.atom_value();
      saw_status = true;
    } else if (key == a_mql() && v.to_int64()) {
      info.message_queue_len = std::size_t(*v.to_int64());
    } else if (key == a_links() && v.is_list()) {
      for (const term& l : v.list_elements())
        if (l.is_pid()) info.links.push_back(l.pid_value());
    } else if (key == a_monitors() && v.is_list()) {
      for (const term& m : v.list_elements())
        if (m.is_tuple() && m.tuple_size() == 2) info.monitors.push_back(m[1]);
    } else if (key == a_monitored_by() && v.is_list()) {
      for (const term& m : v.list_elements())
        if (m.is_pid()) info.monitored_by.push_back(m.pid_value());
    } else if (key == a_trap_exit()) {
      info.trap_exit = v.is_atom(atoms::true_);
    } else if (key == atoms::group_leader && v.is_pid()) {
      info.group_leader = v.pid_value();
    } else if (key == a_memory() && v.to_int64()) {
      info.memory = std::size_t(*v.to_int64());
    } else if (key == a_reductions() && v.to_int64()) {
      info.reductions = std::uint64_t(*v.to_int64());
    } else if (key == a_current_function()) {
      info.current_function = v;
    } else if (key == a_initial_call()) {
      info.initial_call = v;
    } else if (key == a_registered_name() && v.is_atom()) {
      info.registered_name = v.atom_value();
    } else if (key == a_dictionary() && v.is_proper_list()) {
      info.dictionary = v;
    } else if (key == a_messages() && v.is_proper_list()) {
      info.messages.emplace(v.list_elements().begin(), v.list_elements().end());
    }
  }
  if (!saw_status) return std::nullopt;
  return info;
}

}  // namespace otpp
