// io_lib:format/2 and the writers behind it (io_lib:write for ~w, io_lib_pretty for ~p), with
// OTP 25's exact output, so an io server in C++ prints what an Erlang one prints.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "otpp/dist/result.hpp"
#include "otpp/term/print.hpp"
#include "otpp/term/term.hpp"
#include "otpp/term/unicode.hpp"

namespace otpp::io {

/// Characters as io_lib produces them: one code point per element.
using chars = std::u32string;

/// The encoding of an I/O request or control sequence: `latin1` (bytes are characters,
/// characters above 255 are refused or escaped) or `unicode` (the `t` modifier, UTF-8 binaries).
using unicode::encoding;

// Character data and UTF-8, as the term layer converts them.
using unicode::characters_to_list;
using unicode::characters_to_utf8;
using unicode::from_utf8;
using unicode::to_utf8;

// How pids, ports and references print in `~p`/`~w`: `<0.88.0>` for the local node, the
// peer's number in the printing node's own table otherwise (`<8526.88.0>`). Every function
// here takes that node's numbering (its services' or io server's, see node_numbers.hpp);
// without one every node prints as 0.

/// io_lib:write/2: a term in standard syntax (`~w`); `depth` < 0 means unlimited.
[[nodiscard]] chars write(const term& t, int depth = -1, encoding enc = encoding::latin1,
                          const otpp::node_numbering* numbering = nullptr);

/// Options of io_lib_pretty:print/2 (`~p`).
struct print_options {
  int column = 1;        ///< 1-based column the term starts at
  int line_length = 80;  ///< 0: never break lines
  int depth = -1;        ///< < 0: unlimited
  encoding enc = encoding::latin1;
  bool strings = true;  ///< print printable lists as strings (`~lp` turns this off)
  /// Widest a line's own text may be before its elements go on lines of their own (< 0: no
  /// limit, as `~p`; the erl shell prints results with 60).
  int line_max_chars = -1;
  const otpp::node_numbering* numbering = nullptr;  ///< the printing node's, or every node is 0
};

/// io_lib_pretty:print/2: a term laid out over lines as `~p` does.
[[nodiscard]] chars print(const term& t, const print_options& options = {});

/// io_lib:format/2. `fmt` is a character list, a binary (its bytes are characters) or an atom;
/// `args` a proper list. A bad format, too few or too many arguments, or an argument of the
/// wrong type gives a failure (Erlang raises badarg; an io server replies `{error, format}`).
/// `numbering` numbers the nodes of pids as the printing node does.
[[nodiscard]] dist::result<chars> format_chars(const term& fmt, const term& args,
                                               const otpp::node_numbering* numbering = nullptr);

/// As `format_chars`, as UTF-8.
[[nodiscard]] dist::result<std::string> format(const term& fmt, const term& args,
                                               const otpp::node_numbering* numbering = nullptr);

/// As `format_chars` with a UTF-8 format (as an Erlang source string literal) and C++ args:
/// `io::format("~p~n", {tuple_of(atoms::ok, 1)})`.
[[nodiscard]] dist::result<std::string> format(std::string_view fmt, std::span<const term> args);
[[nodiscard]] inline dist::result<std::string> format(std::string_view fmt,
                                                      std::initializer_list<term> args) {
  return format(fmt, std::span<const term>(args.begin(), args.size()));
}

}  // namespace otpp::io
