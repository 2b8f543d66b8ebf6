// Receive patterns: what one clause of `receive` matches, which parts of the message it binds,
// and the handler that runs with those parts, in the spirit of Erlang's `receive ... end`.
//
//   co_await self.receive(
//       on(atoms::stop) >> [] { return false; },                       // the atom stop
//       on(any_pid, _) >> [&](pid from, term x) { ...; return true; }, // {Pid, X}
//       on(ref, _).when([](const term& r) { return r.is_integer(); })  // {Ref, R} when is_integer(R)
//           >> [](term r) { ...; return true; },
//       after(500ms, [] { return false; }));
//
// An element of a pattern is either a literal (anything convertible to a term: an atom, a
// pid, a reference, an integer, a term), compared with `=:=`, or a wildcard. Wildcards that
// bind (`_`, `any_pid`, `any_atom`, `any_int`, `any_ref`, `any_tuple`, `any_list`, `any_binary`,
// `any_map`) hand their value to the handler, in order; `ignore` matches without binding.
// A handler takes every bound value, or nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include "otpp/term/term.hpp"

namespace otpp {

// ---- wildcards ----------------------------------------------------------------------------

/// Any term, bound (the handler gets a `term`).
struct any_term_t {};
inline constexpr any_term_t _{};
/// Any term, not bound.
struct ignore_t {};
inline constexpr ignore_t ignore{};
/// Any pid, bound as `pid`.
struct any_pid_t {};
inline constexpr any_pid_t any_pid{};
/// Any atom, bound as `atom`.
struct any_atom_t {};
inline constexpr any_atom_t any_atom{};
/// Any integer that fits in 64 bits, bound as `std::int64_t`.
struct any_int_t {};
inline constexpr any_int_t any_int{};
/// Any reference, bound as `reference`.
struct any_ref_t {};
inline constexpr any_ref_t any_ref{};
/// Any tuple / list ([] included) / binary / map, bound as `term`.
struct any_tuple_t {};
inline constexpr any_tuple_t any_tuple{};
struct any_list_t {};
inline constexpr any_list_t any_list{};
struct any_binary_t {};
inline constexpr any_binary_t any_binary{};
struct any_map_t {};
inline constexpr any_map_t any_map{};

namespace detail {

template <class... Ts>
struct tuple_cat_type {
  using type = decltype(std::tuple_cat(std::declval<Ts>()...));
};
template <class... Ts>
using tuple_cat_t = typename tuple_cat_type<Ts...>::type;

template <class P>
struct pattern_base;

template <class T>
inline constexpr bool is_pattern_v = std::is_base_of_v<pattern_base<T>, T>;

/// Whether `f` can be called with elements [Off, Off + N) of `out`.
template <class F, class Out, std::size_t Off, class Seq>
struct slice_invocable;
template <class F, class Out, std::size_t Off, std::size_t... I>
struct slice_invocable<F, Out, Off, std::index_sequence<I...>>
    : std::is_invocable<F&, std::tuple_element_t<Off + I, Out>&...> {};

/// Calls `f` with elements [Off, Off + N) of `out`, or with nothing if it takes nothing.
template <std::size_t Off, std::size_t N, class F, class Out>
bool call_guard(F& f, Out& out) {
  using seq = std::make_index_sequence<N>;
  if constexpr (slice_invocable<F, Out, Off, seq>::value) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return static_cast<bool>(std::invoke(f, std::get<Off + I>(out)...));
    }(seq{});
  } else {
    static_assert(std::is_invocable_v<F&>, "a guard takes every value its pattern binds, in order, or nothing");
    return static_cast<bool>(std::invoke(f));
  }
}

template <class P, class G>
struct guarded_pattern;

/// CRTP base of every pattern: gives it `.when(guard)`.
template <class P>
struct pattern_base {
  /// Adds a guard: a predicate called with the pattern's bound values (or nothing).
  template <class G>
  [[nodiscard]] guarded_pattern<P, std::decay_t<G>> when(G&& g) const& {
    return {static_cast<const P&>(*this), std::forward<G>(g)};
  }
};

/// A pattern restricted by a guard that sees the pattern's bound values.
template <class P, class G>
struct guarded_pattern : pattern_base<guarded_pattern<P, G>> {
  using captures = typename P::captures;
  P inner;
  G guard;
  guarded_pattern(P p, G g) : inner(std::move(p)), guard(std::move(g)) {}
  template <std::size_t Off, class Out>
  bool match(const term& t, Out& out) const {
    if (!inner.template match<Off>(t, out)) return false;
    return call_guard<Off, std::tuple_size_v<captures>>(guard, out);
  }
};

struct literal_pattern : pattern_base<literal_pattern> {
  using captures = std::tuple<>;
  term value;
  explicit literal_pattern(term v) : value(std::move(v)) {}
  template <std::size_t, class Out>
  bool match(const term& t, Out&) const noexcept {
    return exact_equal(t, value);
  }
};

struct atom_pattern : pattern_base<atom_pattern> {
  using captures = std::tuple<>;
  atom value;
  explicit atom_pattern(atom a) noexcept : value(a) {}
  template <std::size_t, class Out>
  bool match(const term& t, Out&) const noexcept {
    return t.is_atom(value);
  }
};

struct pid_literal_pattern : pattern_base<pid_literal_pattern> {
  using captures = std::tuple<>;
  pid value;
  explicit pid_literal_pattern(const pid& p) noexcept : value(p) {}
  template <std::size_t, class Out>
  bool match(const term& t, Out&) const noexcept {
    return t.is_pid() && t.pid_value() == value;
  }
};

struct ref_literal_pattern : pattern_base<ref_literal_pattern> {
  using captures = std::tuple<>;
  reference value;
  explicit ref_literal_pattern(const reference& r) noexcept : value(r) {}
  template <std::size_t, class Out>
  bool match(const term& t, Out&) const noexcept {
    return t.is_reference() && t.reference_value() == value;
  }
};

struct ignore_pattern : pattern_base<ignore_pattern> {
  using captures = std::tuple<>;
  template <std::size_t, class Out>
  bool match(const term&, Out&) const noexcept {
    return true;
  }
};

/// Binds any term that satisfies `Test`.
template <bool (*Test)(const term&)>
struct term_kind_pattern : pattern_base<term_kind_pattern<Test>> {
  using captures = std::tuple<term>;
  template <std::size_t Off, class Out>
  bool match(const term& t, Out& out) const {
    if (!Test(t)) return false;
    std::get<Off>(out) = t;
    return true;
  }
};
inline bool is_any(const term&) noexcept { return true; }
inline bool is_tuple_term(const term& t) noexcept { return t.is_tuple(); }
inline bool is_list_term(const term& t) noexcept { return t.is_list(); }
inline bool is_binary_term(const term& t) noexcept { return t.is_binary(); }
inline bool is_map_term(const term& t) noexcept { return t.is_map(); }

struct pid_pattern : pattern_base<pid_pattern> {
  using captures = std::tuple<pid>;
  template <std::size_t Off, class Out>
  bool match(const term& t, Out& out) const noexcept {
    if (!t.is_pid()) return false;
    std::get<Off>(out) = t.pid_value();
    return true;
  }
};

struct atom_any_pattern : pattern_base<atom_any_pattern> {
  using captures = std::tuple<atom>;
  template <std::size_t Off, class Out>
  bool match(const term& t, Out& out) const noexcept {
    if (!t.is_atom()) return false;
    std::get<Off>(out) = t.atom_value();
    return true;
  }
};

struct int_pattern : pattern_base<int_pattern> {
  using captures = std::tuple<std::int64_t>;
  template <std::size_t Off, class Out>
  bool match(const term& t, Out& out) const noexcept {
    auto v = t.to_int64();
    if (!v) return false;
    std::get<Off>(out) = *v;
    return true;
  }
};

struct ref_pattern : pattern_base<ref_pattern> {
  using captures = std::tuple<reference>;
  template <std::size_t Off, class Out>
  bool match(const term& t, Out& out) const noexcept {
    if (!t.is_reference()) return false;
    std::get<Off>(out) = t.reference_value();
    return true;
  }
};

/// Binds the whole term when `pred(term)` holds.
template <class F>
struct predicate_pattern : pattern_base<predicate_pattern<F>> {
  using captures = std::tuple<term>;
  F pred;
  explicit predicate_pattern(F f) : pred(std::move(f)) {}
  template <std::size_t Off, class Out>
  bool match(const term& t, Out& out) const {
    if (!static_cast<bool>(std::invoke(pred, t))) return false;
    std::get<Off>(out) = t;
    return true;
  }
};

/// Turns one element of `on(...)` into a pattern.
template <class T>
auto to_pattern(T&& x) {
  using D = std::remove_cvref_t<T>;
  if constexpr (is_pattern_v<D>) {
    return D(std::forward<T>(x));
  } else if constexpr (std::is_same_v<D, any_term_t>) {
    return term_kind_pattern<&is_any>{};
  } else if constexpr (std::is_same_v<D, ignore_t>) {
    return ignore_pattern{};
  } else if constexpr (std::is_same_v<D, any_pid_t>) {
    return pid_pattern{};
  } else if constexpr (std::is_same_v<D, any_atom_t>) {
    return atom_any_pattern{};
  } else if constexpr (std::is_same_v<D, any_int_t>) {
    return int_pattern{};
  } else if constexpr (std::is_same_v<D, any_ref_t>) {
    return ref_pattern{};
  } else if constexpr (std::is_same_v<D, any_tuple_t>) {
    return term_kind_pattern<&is_tuple_term>{};
  } else if constexpr (std::is_same_v<D, any_list_t>) {
    return term_kind_pattern<&is_list_term>{};
  } else if constexpr (std::is_same_v<D, any_binary_t>) {
    return term_kind_pattern<&is_binary_term>{};
  } else if constexpr (std::is_same_v<D, any_map_t>) {
    return term_kind_pattern<&is_map_term>{};
  } else if constexpr (std::is_same_v<D, atom>) {
    return atom_pattern{x};
  } else if constexpr (std::is_same_v<D, pid>) {
    return pid_literal_pattern{x};
  } else if constexpr (std::is_same_v<D, reference>) {
    return ref_literal_pattern{x};
  } else {
    static_assert(std::is_constructible_v<term, T>,
                  "a pattern element is a literal convertible to term, a wildcard, or a pattern");
    return literal_pattern{term(std::forward<T>(x))};
  }
}

template <class T>
using pattern_of_t = decltype(to_pattern(std::declval<T>()));

/// A tuple of exactly sizeof...(Ps) elements, each matching its pattern.
template <class... Ps>
struct tuple_pattern : pattern_base<tuple_pattern<Ps...>> {
  using captures = tuple_cat_t<typename Ps::captures...>;
  std::tuple<Ps...> elements;
  explicit tuple_pattern(Ps... ps) : elements(std::move(ps)...) {}

  template <std::size_t Off, class Out>
  bool match(const term& t, Out& out) const {
    if (!t.is_tuple()) return false;
    auto elems = t.elements();
    if (elems.size() != sizeof...(Ps)) return false;
    return match_elements<Off, 0>(elems.data(), out);
  }

 private:
  template <std::size_t Off, std::size_t I, class Out>
  bool match_elements(const term* elems, Out& out) const {
    if constexpr (I == sizeof...(Ps)) {
      return true;
    } else {
      using P = std::tuple_element_t<I, std::tuple<Ps...>>;
      if (!std::get<I>(elements).template match<Off>(elems[I], out)) return false;
      return match_elements<Off + std::tuple_size_v<typename P::captures>, I + 1>(elems, out);
    }
  }
};

template <class H, class Tuple>
struct invocable_with_tuple;
template <class H, class... Ts>
struct invocable_with_tuple<H, std::tuple<Ts...>> : std::is_invocable<H&, Ts&&...> {};

/// A clause: a pattern and the handler run with its bound values.
template <class P, class H>
struct clause {
  using captures = typename P::captures;
  P pattern;
  H handler;
  captures bound{};

  bool try_match(const term& t) { return pattern.template match<0>(t, bound); }

  decltype(auto) invoke() {
    if constexpr (invocable_with_tuple<H, captures>::value) {
      return std::apply(handler, std::move(bound));
    } else {
      static_assert(std::is_invocable_v<H&>,
                    "a receive handler takes every value its pattern binds, in order, or nothing");
      return std::invoke(handler);
    }
  }
};

/// `after(timeout, handler)`: the last clause of a receive.
template <class H>
struct after_clause {
  std::chrono::nanoseconds timeout;
  H handler;
  decltype(auto) invoke() { return std::invoke(handler); }
};

/// `pattern >> handler` makes a receive clause (found by argument-dependent lookup).
template <class P, class H>
  requires is_pattern_v<std::remove_cvref_t<P>>
[[nodiscard]] auto operator>>(P&& pattern, H&& handler) {
  return clause<std::remove_cvref_t<P>, std::decay_t<H>>{std::forward<P>(pattern), std::forward<H>(handler), {}};
}

template <class T>
struct is_after_clause : std::false_type {};
template <class H>
struct is_after_clause<after_clause<H>> : std::true_type {};

template <class T>
struct is_clause : std::false_type {};
template <class P, class H>
struct is_clause<clause<P, H>> : std::true_type {};

}  // namespace detail

/// The pattern for a message: `on(x)` matches x itself (an atom, a literal, a wildcard, a
/// pattern); `on(x, y, ...)` matches the tuple {X, Y, ...}.
template <class... Ts>
[[nodiscard]] auto on(Ts&&... xs) {
  static_assert(sizeof...(Ts) > 0, "on() needs at least one element; use tup() for {}");
  if constexpr (sizeof...(Ts) == 1) {
    return detail::to_pattern(std::forward<Ts>(xs)...);
  } else {
    return detail::tuple_pattern<detail::pattern_of_t<Ts>...>(detail::to_pattern(std::forward<Ts>(xs))...);
  }
}

/// A tuple pattern of any arity (for nesting, and for `{}` and `{X}`).
template <class... Ts>
[[nodiscard]] auto tup(Ts&&... xs) {
  return detail::tuple_pattern<detail::pattern_of_t<Ts>...>(detail::to_pattern(std::forward<Ts>(xs))...);
}

/// Matches any message for which `pred(const term&)` holds, binding the whole message.
template <class F>
[[nodiscard]] auto match_if(F&& pred) {
  return detail::predicate_pattern<std::decay_t<F>>(std::forward<F>(pred));
}

/// The timeout clause of a receive: runs `handler` when no message matched within `timeout`
/// (0 means: look at the queue once, never wait; a duration over a century means forever).
template <class Rep, class Period, class H>
[[nodiscard]] auto after(std::chrono::duration<Rep, Period> timeout, H&& handler) {
  // Longer than a century is forever (Erlang's `infinity`); a negative timeout is 0.
  std::chrono::nanoseconds ns{-1};
  double seconds = std::chrono::duration<double>(timeout).count();
  if (seconds < 3.2e9) ns = seconds <= 0 ? std::chrono::nanoseconds(0) : std::chrono::duration_cast<std::chrono::nanoseconds>(timeout);
  return detail::after_clause<std::decay_t<H>>{ns, std::forward<H>(handler)};
}

namespace detail {

/// The non-template face of a receive that the runtime drives: it offers each message to
/// the clauses and knows the timeout.
class receive_matcher_base {
 public:
  /// Offers `msg` to the clauses in order; true when one matched (it remembers which).
  [[nodiscard]] virtual bool match(const term& msg) = 0;
  /// Negative: wait forever.
  std::chrono::nanoseconds timeout{-1};
  bool timed_out = false;

 protected:
  std::uint8_t matched_ = 0xff;  ///< index of the clause that matched (kept small: it lives in
                                 ///< every waiting process's frame)
 public:

 protected:
  receive_matcher_base() = default;
  ~receive_matcher_base() = default;
  receive_matcher_base(const receive_matcher_base&) = default;
  receive_matcher_base& operator=(const receive_matcher_base&) = default;
};

template <class C>
struct clause_result {
  using type = decltype(std::declval<C&>().invoke());
};

template <class... Rs>
struct common_result {
  static constexpr bool all_void = (std::is_void_v<Rs> && ...);
  static constexpr bool any_void = (std::is_void_v<Rs> || ...);
  static_assert(all_void || !any_void, "receive handlers must all return void or all return a value");
  using type = typename std::conditional_t<all_void, std::type_identity<void>, std::common_type<Rs...>>::type;
};

/// The clauses of one receive. The last clause may be `after(...)`.
template <class... Cs>
class receive_matcher final : public receive_matcher_base {
 public:
  using result_type = typename common_result<typename clause_result<Cs>::type...>::type;
  static constexpr std::size_t count = sizeof...(Cs);
  static_assert(count < 0xff, "a receive has fewer than 255 clauses");
  static constexpr bool has_after = (is_after_clause<Cs>::value || ...);
  static_assert(!has_after || is_after_clause<std::tuple_element_t<count - 1, std::tuple<Cs...>>>::value,
                "after(...) must be the last clause of a receive");
  static_assert(((is_clause<Cs>::value || is_after_clause<Cs>::value) && ...),
                "receive takes clauses (`pattern >> handler`) and an optional after(...)");

  explicit receive_matcher(Cs... cs) : clauses_(std::move(cs)...) {
    if constexpr (has_after) timeout = std::get<count - 1>(clauses_).timeout;
  }

  bool match(const term& msg) override { return match_from<0>(msg); }

  /// Runs the handler of the matched clause (or of `after` when the receive timed out).
  result_type invoke() {
    if constexpr (std::is_void_v<result_type>) {
      invoke_at<0>();
    } else {
      return invoke_at<0>();
    }
  }

 private:
  template <std::size_t I>
  bool match_from(const term& msg) {
    if constexpr (I == count) {
      return false;
    } else if constexpr (is_after_clause<std::tuple_element_t<I, std::tuple<Cs...>>>::value) {
      return false;
    } else {
      if (std::get<I>(clauses_).try_match(msg)) {
        this->matched_ = std::uint8_t(I);
        return true;
      }
      return match_from<I + 1>(msg);
    }
  }

  template <std::size_t I>
  result_type invoke_at() {
    if constexpr (I == count) {
      // A receive resumes only after a match or its timeout.
      throw std::logic_error("otpp: receive resumed without a matching clause");
    } else {
      using C = std::tuple_element_t<I, std::tuple<Cs...>>;
      bool mine = is_after_clause<C>::value ? timed_out : (!timed_out && this->matched_ == I);
      if (mine) {
        if constexpr (std::is_void_v<result_type>) {
          std::get<I>(clauses_).invoke();
          return;
        } else {
          return static_cast<result_type>(std::get<I>(clauses_).invoke());
        }
      }
      return invoke_at<I + 1>();
    }
  }

  std::tuple<Cs...> clauses_;
};

}  // namespace detail
}  // namespace otpp
