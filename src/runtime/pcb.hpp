// The process control block: one slot of the process table, with the lock-free mailbox that
// senders push signals into and the state only the owner touches.
#pragma once

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "otpp/runtime/process.hpp"
#include "otpp/term/term.hpp"
#include "runtime/memory.hpp"

namespace otpp::detail {

class runtime_impl;
struct timer_entry;

struct pid_hash {
  std::size_t operator()(const pid& p) const noexcept {
    std::uint64_t h = (std::uint64_t(p.id) << 32) ^ p.serial ^ (std::uint64_t(p.node.index()) << 17) ^ p.creation;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return std::size_t(h ^ (h >> 32));
  }
};
struct ref_hash {
  std::size_t operator()(const reference& r) const noexcept {
    std::uint64_t h = r.node.index() * 0x9e3779b97f4a7c15ULL ^ r.creation;
    for (std::uint8_t i = 0; i < r.length && i < 5; ++i) h = (h ^ r.words[i]) * 0x100000001b3ULL;
    return std::size_t(h ^ (h >> 31));
  }
};

// ---- signals --------------------------------------------------------------------------------

/// Everything that travels through a mailbox. Messages and the other signals share one queue,
/// so signals between a pair of processes keep the order they were sent in.
enum class signal_kind : std::uint8_t {
  message,       ///< a message
  exit,          ///< an exit signal: a broken link or exit/2
  link,          ///< `from` linked to this process
  unlink,        ///< `from` removed its link
  monitor,       ///< `watcher` monitors this process
  demonitor,     ///< `watcher` dropped its monitor
  down,          ///< a process this one monitors went down
  group_leader,  ///< set this process's group leader
  info_request,  ///< answer `{Tag, Info}` to `reply_to`
  timeout,       ///< the receive timer `seq` fired
  node_down,     ///< the connection to `node` is gone
  spawn_reply,   ///< the answer to this process's spawn request `req_id`
  alias_message, ///< a message sent to the alias `alias` (taken only while it is active)
};

struct mail_node {
  explicit mail_node(signal_kind k) noexcept : kind(k) {}
  mail_node* next = nullptr;
  signal_kind kind;
  // Nodes come from the runtime's pools (deleted through their exact type: sizes match).
  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;
};

struct message_node : mail_node {
  explicit message_node(term m) noexcept : mail_node(signal_kind::message), msg(std::move(m)) {}
  term msg;
};

/// A message to an alias of the owner. The owner checks, when it takes it, that the alias is
/// still active (as erts does), so a reply that comes after unalias is dropped.
struct alias_message_node : mail_node {
  alias_message_node(const reference& a, term m) noexcept
      : mail_node(signal_kind::alias_message), alias(a), msg(std::move(m)) {}
  reference alias;
  term msg;
};

struct exit_node : mail_node {
  exit_node(const pid& f, term r, bool link) noexcept
      : mail_node(signal_kind::exit), from(f), reason(std::move(r)), from_link(link) {}
  pid from;
  term reason;
  bool from_link;  ///< a link broke (vs exit/2)
  /// Sent through this alias of the target: taken only while the alias is active, as a
  /// message to it is.
  std::optional<reference> via_alias;
};

struct link_node : mail_node {
  link_node(signal_kind k, const pid& f, std::uint64_t id = 0) noexcept : mail_node(k), from(f), unlink_id(id) {}
  pid from;
  std::uint64_t unlink_id;  ///< remote UNLINK_ID's id (0 for local)
};

struct monitor_node : mail_node {
  monitor_node(signal_kind k, const pid& w, const reference& r, term t) noexcept
      : mail_node(k), watcher(w), ref(r), target(std::move(t)) {}
  pid watcher;
  reference ref;
  term target;  ///< the pid, or the name the watcher used
};

struct down_node : mail_node {
  down_node(const reference& r, term why, term who) noexcept
      : mail_node(signal_kind::down), ref(r), reason(std::move(why)), target(std::move(who)) {}
  reference ref;
  term reason;
  term target;  ///< as the DOWN message shows it (pid or {Name, Node}); [] = use the monitor's
};

struct group_leader_node : mail_node {
  explicit group_leader_node(const pid& l) noexcept : mail_node(signal_kind::group_leader), leader(l) {}
  pid leader;
};

struct info_node : mail_node {
  info_node(const pid& to, const reference& t, bool m) noexcept
      : mail_node(signal_kind::info_request), reply_to(to), tag(t), messages(m) {}
  pid reply_to;
  reference tag;
  bool messages;  ///< include the queued messages
};

struct timeout_node : mail_node {
  explicit timeout_node(std::uint32_t s) noexcept : mail_node(signal_kind::timeout), seq(s) {}
  std::uint32_t seq;
};

struct node_down_node : mail_node {
  explicit node_down_node(atom n) noexcept : mail_node(signal_kind::node_down), node(n) {}
  atom node;
};

struct spawn_reply_node : mail_node {
  spawn_reply_node(const reference& r, term res, bool l, bool m) noexcept
      : mail_node(signal_kind::spawn_reply), req_id(r), result(std::move(res)), link(l), monitor(m) {}
  reference req_id;
  term result;  ///< the new pid, or an error atom
  bool link;    ///< the new process is linked to this one
  bool monitor; ///< this process monitors it with `req_id`
};

void free_node(mail_node* n) noexcept;
/// Frees a whole chain.
void free_chain(mail_node* n) noexcept;

// ---- mailbox ---------------------------------------------------------------------------------

/// Multi-producer, single-consumer signal queue: a lock-free stack that the owner takes whole
/// and reverses. The head also says whether the owner is parked (so exactly one pusher wakes
/// it) or gone (pushes fail and the sender keeps the signal).
class inbox {
 public:
  enum class push_result { ok, woke_owner, closed };

  /// Any thread. `woke_owner`: the owner was parked and the caller must wake it.
  push_result push(mail_node* n) noexcept {
    mail_node* e = head_.load(std::memory_order_relaxed);
    for (;;) {
      if (e == closed_tag()) return push_result::closed;
      n->next = e == blocked_tag() ? nullptr : e;
      if (head_.compare_exchange_weak(e, n, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        return e == blocked_tag() ? push_result::woke_owner : push_result::ok;
      }
    }
  }

  /// Any thread: pushes a chain already linked newest-first (`first` newest, `last` oldest)
  /// with one atomic operation.
  push_result push_chain(mail_node* first, mail_node* last) noexcept {
    mail_node* e = head_.load(std::memory_order_relaxed);
    for (;;) {
      if (e == closed_tag()) return push_result::closed;
      last->next = e == blocked_tag() ? nullptr : e;
      if (head_.compare_exchange_weak(e, first, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        return e == blocked_tag() ? push_result::woke_owner : push_result::ok;
      }
    }
  }

  /// Owner only. Everything pushed so far, oldest first (null if nothing).
  mail_node* take_all() noexcept {
    mail_node* e = head_.load(std::memory_order_relaxed);
    if (e == nullptr || e == blocked_tag() || e == closed_tag()) return nullptr;
    e = head_.exchange(nullptr, std::memory_order_acq_rel);
    return reverse(e);
  }

  /// Owner only: parks if nothing arrived; false (not parked) when something did.
  bool try_block() noexcept {
    mail_node* e = nullptr;
    return head_.compare_exchange_strong(e, blocked_tag(), std::memory_order_acq_rel, std::memory_order_relaxed);
  }
  /// Owner only: stops waiting without a wake-up; false if a pusher already woke it.
  bool try_unblock() noexcept {
    mail_node* e = blocked_tag();
    return head_.compare_exchange_strong(e, nullptr, std::memory_order_acq_rel, std::memory_order_relaxed);
  }
  [[nodiscard]] bool blocked() const noexcept { return head_.load(std::memory_order_acquire) == blocked_tag(); }
  [[nodiscard]] bool has_signals() const noexcept {
    mail_node* e = head_.load(std::memory_order_acquire);
    return e != nullptr && e != blocked_tag() && e != closed_tag();
  }

  /// Owner only: no more pushes succeed; returns what was queued, oldest first.
  mail_node* close() noexcept {
    mail_node* e = head_.exchange(closed_tag(), std::memory_order_acq_rel);
    if (e == nullptr || e == blocked_tag() || e == closed_tag()) return nullptr;
    return reverse(e);
  }
  /// Before the slot is reused (nobody else can see it).
  void reopen() noexcept { head_.store(nullptr, std::memory_order_release); }

 private:
  static mail_node* blocked_tag() noexcept { return reinterpret_cast<mail_node*>(std::uintptr_t{1}); }
  static mail_node* closed_tag() noexcept { return reinterpret_cast<mail_node*>(std::uintptr_t{2}); }
  static mail_node* reverse(mail_node* n) noexcept {
    mail_node* out = nullptr;
    while (n) {
      mail_node* next = n->next;
      n->next = out;
      out = n;
      n = next;
    }
    return out;
  }
  std::atomic<mail_node*> head_{nullptr};
};

// ---- process state ---------------------------------------------------------------------------

enum class run_state : std::uint8_t {
  free,       ///< slot unused
  embryo,     ///< spawned, never run
  running,    ///< a worker is running it
  receiving,  ///< suspended in receive (parked, or about to be)
  ready,      ///< a receive matched but the turn's budget was spent: resume next turn
  yielding,   ///< yielded
  exiting,    ///< on its way out
  blocking,   ///< a scoped_process (driven by its own thread)
};

struct monitor_entry {
  pid target;         ///< resolved local pid, or the remote pid (empty for a remote name)
  term shown;         ///< what DOWN shows: the pid or {Name, Node}; [] for the target pid
  /// What DOWN shows (a monitor of a local pid leaves `shown` empty: no term to make per call).
  [[nodiscard]] term shown_term() const { return shown.is_nil() ? term(target) : shown; }
  term remote_target; ///< for a remote monitor: the pid or name as sent in MONITOR_P
  atom node;          ///< node of the target
};

/// A spawn request waiting for its reply.
struct pending_spawn {
  atom node;
  spawn_reply_mode reply;
};

struct watcher_entry {
  pid watcher;
  term target;  ///< how the watcher named this process (pid, or atom name)
};

/// The runtime's small-object pools for the node-based containers of a process (a monitor
/// made and dropped per gen_server call allocates a node each time).
template <class T>
struct pool_allocator {
  using value_type = T;
  pool_allocator() noexcept = default;
  template <class U>
  pool_allocator(const pool_allocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) { return static_cast<T*>(memory::allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { memory::deallocate(p, n * sizeof(T)); }
  friend bool operator==(const pool_allocator&, const pool_allocator&) noexcept { return true; }
};

template <class K, class V, class H>
using pooled_map = std::unordered_map<K, V, H, std::equal_to<K>, pool_allocator<std::pair<const K, V>>>;

/// An active alias of a process.
struct alias_entry {
  reference ref;
  bool once;  ///< deactivated by the first message it takes
};

/// What most processes never need, allocated on first use. Owner only.
struct process_ext {
  std::unordered_set<pid, pid_hash> links;
  pooled_map<reference, monitor_entry, ref_hash> monitors;      ///< this process watches
  pooled_map<reference, watcher_entry, ref_hash> monitored_by;  ///< watchers of this one
  std::vector<alias_entry> aliases;  ///< few at a time: a call has one, briefly
  std::unordered_map<reference, pending_spawn, ref_hash> spawn_requests;  ///< awaiting a reply
  std::vector<atom> remote_nodes;  ///< nodes this process is listed under (node_down index)
  mail_node* deferred = nullptr;   ///< signals left unprocessed when a kill came in
  term exit_reason;                ///< the reason once a kill is pending / it has exited
  std::optional<term> return_reason;  ///< process::exit_on_return
  bool report_crash = false;
  /// The process dictionary (put/2, get/1, erase/1); hash order, as BEAM's is.
  std::unordered_map<term, term> dictionary;
  std::optional<term> initial_call;      ///< {M, F, A} when spawned from one (process_info)
  std::optional<term> current_function;  ///< {M, F, A} the process says it runs now
  term self_term;  ///< the pid as a term, once asked for (basic_process::self_term)
};

/// A scoped_process's parking place.
struct blocking_waiter {
  std::mutex m;
  std::condition_variable cv;
  bool signaled = false;
};

/// One slot of the process table. Never freed while its runtime lives (pids index slots
/// directly; a sender may hold a slot while its process dies), so reading a slot is always
/// safe; `gen_ref` says whose it is now.
struct alignas(64) pcb {
  // -- read by every sender (first cache line) --
  /// Generation (high 32 bits, the pid's serial), `alive_bit`, and a reference count (low 31
  /// bits). The process holds one reference until it has exited; senders hold one while
  /// pushing (or while caching the slot as their last destination).
  std::atomic<std::uint64_t> gen_ref{0};
  static constexpr std::uint64_t alive_bit = std::uint64_t{1} << 31;
  static constexpr std::uint64_t refs_mask = alive_bit - 1;
  detail::inbox mailbox;
  runtime_impl* rt = nullptr;
  std::uint32_t id = 0;
  bool blocking = false;  ///< a scoped_process: woken by notify, not by the scheduler
  std::atomic<bool> registered{false};  ///< has (or is getting) a registered name
  process facade{this};
  std::coroutine_handle<process_task::promise_type> root;
  union {
    closure_base* closure;     ///< coroutine processes: the stateful process function
    blocking_waiter* waiter;   ///< scoped processes
  };
  process_ext* ext = nullptr;

  // -- owner only --
  run_state state = run_state::free;
  bool trap_exit = false;
  bool kill_pending = false;
  std::uint32_t recv_seq = 0;  ///< numbers receive timers so a stale timeout is ignored
  mail_node* queue_head = nullptr;
  mail_node** queue_tail = &queue_head;
  mail_node** save = &queue_head;  ///< receive's save point: first message not yet offered
  std::uint32_t queue_len = 0;
  std::uint32_t frame_bytes = 0;
  receive_matcher_base* matcher = nullptr;
  timer_entry* recv_timer = nullptr;
  std::coroutine_handle<> resume_point;
  pid group_leader;
  pcb* send_cache = nullptr;  ///< the last local destination, held with a reference
  std::uint32_t send_cache_serial = 0;
  std::uint32_t reductions = 0;
  /// Messages to `send_cache` not pushed yet, newest first: a process streaming messages to
  /// one destination pushes them in batches (at the latest when it suspends or exits).
  mail_node* outbox = nullptr;
  mail_node* outbox_last = nullptr;
  std::uint16_t outbox_len = 0;
  std::uint16_t stream = 0;  ///< messages sent to `send_cache` in a row

  pcb() noexcept : closure(nullptr) {}

  [[nodiscard]] std::uint32_t serial() const noexcept {
    return std::uint32_t(gen_ref.load(std::memory_order_relaxed) >> 32);
  }
  process_ext& extension() {
    if (!ext) ext = new process_ext();
    return *ext;
  }
  void append(mail_node* n) noexcept {
    n->next = nullptr;
    *queue_tail = n;
    queue_tail = &n->next;
    ++queue_len;
  }
};

static_assert(sizeof(pcb) <= 192, "a process control block stays within three cache lines");
static_assert(std::is_trivially_destructible_v<pcb>, "process table chunks are freed without destructors");

}  // namespace otpp::detail
