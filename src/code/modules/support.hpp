// What the library modules share: Erlang's error reasons, argument checks, arithmetic that
// raises badarith (over otpp::arith), UTF-8 text in and out of terms, Elixir exceptions and enumerables.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otpp/otp/exports.hpp"
#include "otpp/term/term.hpp"

namespace otpp::code::lib {

namespace a {
inline const atom function_clause("function_clause");
inline const atom badarith("badarith");
inline const atom badkey("badkey");
inline const atom badmap("badmap");
inline const atom case_clause("case_clause");
inline const atom if_clause("if_clause");
inline const atom struct_("__struct__");
inline const atom exception("__exception__");
inline const atom message("message");
inline const atom range("Elixir.Range");
inline const atom first("first");
inline const atom last("last");
inline const atom step("step");
}  // namespace a

[[noreturn]] void fail(term reason);
[[noreturn]] void badarg();
[[noreturn]] void function_clause();
[[noreturn]] void badarith();

/// The elements of a proper list; `function_clause` (or `reason`) otherwise.
[[nodiscard]] std::span<const term> proper(const term& l);
[[nodiscard]] std::span<const term> proper_or(const term& l, const term& reason);
/// A small integer; `reason` (badarg by default) otherwise.
[[nodiscard]] std::int64_t small(const term& t);
[[nodiscard]] std::int64_t small_or(const term& t, const term& reason);
/// A fun of this arity.
[[nodiscard]] bool is_fun(const term& t, std::uint32_t arity);
[[nodiscard]] inline term boolean(bool b) { return term::boolean(b); }
[[nodiscard]] inline term integer(std::int64_t v) { return term(static_cast<long long>(v)); }
[[nodiscard]] inline term integer(std::size_t v) { return term(static_cast<long long>(v)); }

// ---- numbers (Erlang's semantics; badarith for non-numbers) ---------------------------------
[[nodiscard]] term add(const term& x, const term& y);
[[nodiscard]] term sub(const term& x, const term& y);
[[nodiscard]] term mul(const term& x, const term& y);
/// `div` and `rem` (integers only, badarith on zero).
[[nodiscard]] term int_div(const term& x, const term& y);
[[nodiscard]] term int_rem(const term& x, const term& y);
[[nodiscard]] term negate(const term& x);
/// A number as a double; badarith when it is not one (or a bignum out of range).
[[nodiscard]] double to_double(const term& x);
/// Integer from a double already rounded to an integral value.
[[nodiscard]] term integer_from_double(double d);
/// Integer power (exponent >= 0).
[[nodiscard]] term int_pow(const term& base, std::uint64_t exponent);

// ---- text --------------------------------------------------------------------------------------
/// A binary of UTF-8 text.
[[nodiscard]] inline term bin(std::string_view utf8) { return term::binary(utf8); }
/// Code points of a UTF-8 binary; `reason` when it is not one.
[[nodiscard]] std::u32string binary_chars(const term& b, const term& reason);
/// Code points of chardata (strings, binaries, nested lists); `reason` when it is not chardata.
[[nodiscard]] std::u32string chardata(const term& t, const term& reason);
/// UTF-8 of code points.
[[nodiscard]] std::string utf8(std::u32string_view cps);
/// A list of code points.
[[nodiscard]] term char_list(std::u32string_view cps);

// ---- time --------------------------------------------------------------------------------------
/// `ns` in a time unit (second, millisecond, microsecond, nanosecond, native, perf_counter, their
/// old plural forms, or parts per second); badarg for anything else.
[[nodiscard]] std::int64_t time_in(std::chrono::nanoseconds ns, const term& unit);
/// Time since the Unix epoch (erlang:system_time/0's clock).
[[nodiscard]] std::chrono::nanoseconds since_epoch();
/// The node's monotonic time (erlang:monotonic_time/0's clock).
[[nodiscard]] std::chrono::nanoseconds monotonic(const process& self);

// ---- Elixir ------------------------------------------------------------------------------------
/// An Elixir exception as raised: `%Module{message: Message}` (plus `extra` fields).
[[nodiscard]] term elixir_exception(std::string_view module, std::string_view message,
                                    std::vector<std::pair<term, term>> extra = {});
[[noreturn]] void raise_elixir(std::string_view module, std::string_view message,
                               std::vector<std::pair<term, term>> extra = {});
/// Elixir's inspect/1 text.
[[nodiscard]] std::string inspect(const term& t);
/// String.Chars.to_string/1: binaries, charlists, atoms (nil is ""), numbers.
[[nodiscard]] std::string elixir_to_string(const term& t);

/// In which order a map (not a struct) yields its pairs: Enumerable.reduce/3's (maps:to_list/1's),
/// or maps:fold/3's, which Elixir's Enum.reduce/3 and the Enum functions built on it use.
/// The two differ for maps of over 32 keys.
enum class map_walk : std::uint8_t { to_list, fold };

/// The elements an Elixir Enumerable yields: a list's own elements (no copy), a map's
/// `{K, V}` pairs, a range's integers. Anything else raises Protocol.UndefinedError.
class enumerable {
 public:
  explicit enumerable(const term& t, map_walk walk = map_walk::to_list);
  [[nodiscard]] std::span<const term> items() const& noexcept { return items_; }
  /// Not on a temporary: a range or map's items die with it (`for (x : enumerable(e).items())`).
  std::span<const term> items() const&& = delete;
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }

 private:
  std::vector<term> owned_;
  std::span<const term> items_;
};
/// `module:function(args...)` through the node's export table (a library module's source is
/// loaded on a miss), raising what the call raises; undef when there is no such function.
[[nodiscard]] task<term> call_export(process& self, atom module, atom function, std::vector<term> args);
/// A %Stream{} or a two-argument fun: an enumerable only Enumerable.reduce/3 can read.
[[nodiscard]] bool is_lazy(const term& t);
/// Enum.to_list/1 of a lazy enumerable (through Enum.Lazy, which may run funs).
[[nodiscard]] task<term> lazy_to_list(process& self, term enumerable);
/// A `%Range{}`.
[[nodiscard]] bool is_range(const term& t);
[[nodiscard]] term make_range(std::int64_t first, std::int64_t last, std::int64_t step);

/// A map's value for an atom key of a struct field, or nullptr.
[[nodiscard]] const term* field(const term& map, atom key);

/// lists:sort/2: a stable merge sort calling `le(A, B)` (true when A goes first).
[[nodiscard]] task<term> sort_with(process& self, term le, term list);

// ---- registration ------------------------------------------------------------------------------
void add_erlang(export_table& x);
void add_lists(export_table& x);
void add_maps(export_table& x);
void add_text(export_table& x);    // io, io_lib, string, math, timer
void add_enum(export_table& x);    // Elixir: Enum, List
/// Makes Enum's C++ functions (add_enum's) hand streams to Enum.Lazy; after add_enum.
void read_streams_lazily(export_table& x);
void add_elixir(export_table& x);  // Elixir: Kernel, IO, String, Map, Integer, Process, Node
void add_kernel_bifs(export_table& x);  // Elixir: the Kernel functions inlined as BIFs
void add_elixir_data(export_table& x);  // Elixir: Access, Keyword, Tuple, Atom, Range, exceptions
void add_distribution(export_table& x);  // rpc, erpc, net_kernel, net_adm, node monitoring, Process.info
void add_system(export_table& x);  // Elixir: System
void add_re(export_table& x);      // Erlang's re, over PCRE2 (Elixir's Regex is written on it)
/// Makes `=~`, String.split and String.replace hand a %Regex{} pattern to Regex; after add_elixir.
void route_regex_patterns(export_table& x);

}  // namespace otpp::code::lib
