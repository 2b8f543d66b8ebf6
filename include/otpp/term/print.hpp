// Prints terms the way Erlang (`io_lib:format("~tw")` and `"~tp"`) and Elixir (`inspect/1`)
// print them, so what otpp shows matches what a user of either language expects to read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include "otpp/term/term.hpp"

namespace otpp {

/// Which language's literal syntax is written or read.
enum class syntax : std::uint8_t {
  erlang,  ///< `{ok,[1,2.5,<<"a">>,#{a => 1}]}`
  elixir,  ///< `{:ok, [1, 2.5, "a", %{a: 1}]}`
};

/// The number a node gets as the first field of `<N.Id.Serial>`: Erlang prints 0 for the
/// local node and an index into its node table for every other node. A printer is given this
/// mapping; the parser is given its inverse (`node_resolver` in parse.hpp).
using node_numbering = std::function<std::uint32_t(atom node, std::uint32_t creation)>;

struct print_options {
  print_options() = default;
  print_options(otpp::syntax s) : syntax(s) {}  // NOLINT(google-explicit-constructor)

  otpp::syntax syntax = otpp::syntax::erlang;
  /// Erlang only. true: as `~tp` prints on one line, with printable lists as "strings" and
  /// printable binaries as <<"text">> (printable: Latin-1, the shell's default range).
  /// false: exactly as `~tw` (lists and binaries as numbers). Elixir always infers, as
  /// `inspect/1` does.
  bool strings = true;
  /// Numbers the node of pids, ports and references. Empty: every node is 0.
  node_numbering node_number;

  /// Elixir only: `inspect/2`'s layout options. With their defaults the term prints on one
  /// line in full; otherwise it is laid out by Inspect.Algebra's rules, as
  /// `inspect(t, pretty: true, width: 80, limit: 50)` (what iex prints) does.
  static constexpr std::size_t infinity = static_cast<std::size_t>(-1);
  /// `pretty: true`: lines are broken to fit `width` columns (else one line).
  bool pretty = false;
  std::size_t width = 80;
  /// Items shown of each list, tuple, map and bitstring before `...`.
  std::size_t limit = infinity;
  /// Characters shown of a printable string or charlist before `<> ...` / `++ ...`.
  std::size_t printable_limit = infinity;

  /// The layout iex uses for results, and IO.inspect/1 by default: `pretty: true, width: 80,
  /// limit: 50`.
  [[nodiscard]] static print_options iex() {
    print_options o(otpp::syntax::elixir);
    o.pretty = true;
    o.limit = 50;
    o.printable_limit = 4096;
    return o;
  }
};

/// `t` as text. Maps with more than 32 keys print in key order, where Erlang and Elixir use
/// their hash order; everything else matches them character for character.
[[nodiscard]] std::string to_string(const term& t, const print_options& options = {});

/// Appends the text of `t` to `out`.
void print_to(std::string& out, const term& t, const print_options& options = {});

/// A float as Erlang prints it (`io_lib_format:fwrite_g/1`: shortest round-trip digits,
/// `2.5`, `1.0e3`, `1.0e-5`) or as Elixir does (integral values below 1.0e16 in full:
/// `1000.0`).
[[nodiscard]] std::string format_float(double value, otpp::syntax s = otpp::syntax::erlang);

/// An atom as a literal: `ok`, `'hello world'` (Erlang); `:ok`, `:"hello world"`, `Kate`,
/// `nil` (Elixir).
[[nodiscard]] std::string format_atom(atom a, otpp::syntax s = otpp::syntax::erlang);

/// How io_lib writes characters beyond printable ASCII between quotes (io_lib:string_char/4):
/// `latin1` writes Latin-1 as is, `unicode_as_unicode` every printable character as is (`~tp`),
/// `unicode_as_latin1` characters above 255 as `\x{...}` (`~p` of a Unicode atom).
enum class char_escaping : std::uint8_t { latin1, unicode_as_unicode, unicode_as_latin1 };

/// io_lib:string_char/4: appends `c` as Erlang writes it between two `quote` characters.
void append_quoted_char(std::u32string& out, char32_t c, char32_t quote, char_escaping mode);

/// io_lib:quote_atom/2: whether `a` must be written between single quotes in Erlang syntax.
[[nodiscard]] bool erlang_atom_needs_quotes(atom a);

/// io_lib:write_atom/1: `a` in Erlang syntax as code points, quoted when it must be, quoted
/// characters escaped as `mode` says. The printer above writes atoms with this same rule.
[[nodiscard]] std::u32string erlang_atom_chars(atom a, char_escaping mode);

/// `text` made safe for one log line: what a peer sends (a claimed node name, a reason) could
/// otherwise forge lines or drive the terminal. Control characters and backslashes are written
/// as Erlang writes them in a string (`\n`, `\e`, `\\`, `\205`), invisible
/// formatting characters (bidirectional overrides, zero widths) as `\x{202E}`, bytes that are
/// not UTF-8 as `\x{FF}`; printable text is kept as it is.
[[nodiscard]] std::string escape_log_text(std::string_view text);

/// Writes `t` in Erlang syntax, `~tp` style.
std::ostream& operator<<(std::ostream& os, const term& t);

}  // namespace otpp
