// Interned Erlang atoms: an atom is a 32-bit index into a process-wide table, so comparing
// two atoms for equality is comparing two integers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otpp {

/// An interned atom. Equality is index equality; term order is by name (see `compare`).
/// Thread-safe: any thread may create, copy and read atoms at any time. Reading a name
/// never takes a lock; interning a new name takes the table's lock.
class atom {
 public:
  /// The empty atom `''`.
  constexpr atom() noexcept = default;

  /// Interns `utf8`. Throws std::invalid_argument when the text is not valid UTF-8 or is
  /// longer than 255 characters (Erlang's limit), or std::length_error if the table is full.
  explicit atom(std::string_view utf8);

  /// Interns `utf8`, or returns nullopt when it is not a valid atom text.
  [[nodiscard]] static std::optional<atom> try_make(std::string_view utf8);

  /// Returns the atom if `utf8` was interned already, without interning it
  /// (`list_to_existing_atom`).
  [[nodiscard]] static std::optional<atom> existing(std::string_view utf8);

  /// Whether `utf8` could be an atom's text (valid UTF-8, at most 255 characters), without
  /// interning it: for names a peer claims before it has proved who it is.
  [[nodiscard]] static bool is_valid_text(std::string_view utf8) noexcept;

  /// Interns text given in Latin-1 (each byte one character), as old ATOM_EXT carries it.
  [[nodiscard]] static atom from_latin1(std::string_view latin1);

  /// The atom's text, UTF-8 encoded. The view lives as long as the program.
  [[nodiscard]] std::string_view name() const noexcept;

  /// Number of characters (code points) in the name.
  [[nodiscard]] std::size_t length() const noexcept;

  [[nodiscard]] constexpr std::uint32_t index() const noexcept { return index_; }

  /// Builds an atom from a table index. Only for indices obtained from `index()` or the
  /// predefined constants below.
  [[nodiscard]] static constexpr atom from_index(std::uint32_t index) noexcept {
    atom a;
    a.index_ = index;
    return a;
  }

  friend constexpr bool operator==(atom a, atom b) noexcept = default;

  /// Term order between atoms: by name, character by character.
  friend int compare(atom a, atom b) noexcept;

  /// How many atoms are interned (for diagnostics and memory figures).
  [[nodiscard]] static std::size_t table_size() noexcept;
  /// Bytes the atom table holds: its entries, the names added at run time and its index
  /// (erlang:memory(atom)).
  [[nodiscard]] static std::size_t table_bytes() noexcept;

 private:
  std::uint32_t index_ = 0;
};

/// A bound on the atoms one untrusted source (a peer's connection) may add to the
/// process-wide table, so that names others choose can never fill it: the node keeps room for
/// its own atoms and for new peers. Budgets nest: a connection's share draws on a node-wide
/// ceiling too, so one peer that overflows its share is cut while others go on, and all peers
/// together stay below the ceiling. Names interned already cost nothing. Thread-safe.
class atom_budget {
 public:
  /// A budget of `limit` new atoms; with a `ceiling`, each new atom also takes one from it
  /// (not owned; it must outlive this budget).
  explicit atom_budget(std::size_t limit, atom_budget* ceiling = nullptr) noexcept
      : limit_(limit), ceiling_(ceiling) {}
  atom_budget(const atom_budget&) = delete;
  atom_budget& operator=(const atom_budget&) = delete;

  /// The atom for UTF-8 text when it exists already or the budget has room for one more;
  /// nullopt when the text is no atom's (invalid, too long) or the budget is spent.
  [[nodiscard]] std::optional<atom> intern(std::string_view utf8) noexcept;
  /// The same for Latin-1 text (each byte one character), as old ATOM_EXT carries it.
  [[nodiscard]] std::optional<atom> intern_latin1(std::string_view latin1) noexcept;

  /// Whether a new atom was refused for want of budget (this one's or its ceiling's).
  [[nodiscard]] bool spent() const noexcept { return spent_.load(std::memory_order_relaxed); }
  /// Whether that refusal came from the ceiling while this budget still had room.
  [[nodiscard]] bool ceiling_reached() const noexcept { return ceiling_spent_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
  [[nodiscard]] const atom_budget* ceiling() const noexcept { return ceiling_; }
  /// New atoms interned through this budget so far.
  [[nodiscard]] std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }

 private:
  bool take() noexcept;
  bool take_own() noexcept;
  std::size_t limit_;
  atom_budget* ceiling_;
  std::atomic<std::size_t> used_{0};
  std::atomic<bool> spent_{false};
  std::atomic<bool> ceiling_spent_{false};
};

/// Term order between atoms: by name, character by character (code point order).
/// Returns <0, 0 or >0.
[[nodiscard]] int compare(atom a, atom b) noexcept;

/// Atoms every layer uses, interned at start-up in this order (index = position).
namespace atoms {
#define OTPP_PREDEFINED_ATOMS(X)                                                  \
  X(empty, "") X(ok, "ok") X(error, "error") X(true_, "true") X(false_, "false")  \
  X(undefined, "undefined") X(normal, "normal") X(kill, "kill")                   \
  X(killed, "killed") X(noproc, "noproc") X(noconnection, "noconnection")         \
  X(nonode_nohost, "nonode@nohost") X(EXIT, "EXIT") X(DOWN, "DOWN")              \
  X(process, "process") X(port, "port") X(timeout, "timeout") X(badarg, "badarg") \
  X(undef, "undef") X(nil, "nil") X(badrpc, "badrpc") X(infinity, "infinity")     \
  X(nodeup, "nodeup") X(nodedown, "nodedown") X(yes, "yes") X(no, "no")           \
  X(pong, "pong") X(pang, "pang") X(gen_call, "$gen_call")                       \
  X(gen_cast, "$gen_cast") X(io_request, "io_request") X(io_reply, "io_reply")   \
  X(put_chars, "put_chars") X(unicode, "unicode") X(latin1, "latin1")            \
  X(exit, "exit") X(throw_, "throw") X(return_, "return") X(is_auth, "is_auth")  \
  X(net_kernel, "net_kernel") X(rex, "rex") X(erlang, "erlang") X(erpc, "erpc")  \
  X(call, "call") X(cast, "cast") X(alias, "alias") X(monitor, "monitor")         \
  X(link, "link") X(system_limit, "system_limit") X(shutdown, "shutdown")        \
  X(reply, "reply") X(error_only, "error_only")    \
  X(group_leader, "group_leader") X(user, "user") X(init, "init")

#define OTPP_DECLARE_ATOM(id, text) id##_index_placeholder,
enum : std::uint32_t { OTPP_PREDEFINED_ATOMS(OTPP_DECLARE_ATOM) predefined_count };
#undef OTPP_DECLARE_ATOM

#define OTPP_DEFINE_ATOM(id, text) \
  inline constexpr atom id = atom::from_index(id##_index_placeholder);
OTPP_PREDEFINED_ATOMS(OTPP_DEFINE_ATOM)
#undef OTPP_DEFINE_ATOM
}  // namespace atoms

}  // namespace otpp

template <>
struct std::hash<otpp::atom> {
  std::size_t operator()(otpp::atom a) const noexcept { return a.index(); }
};
