// The io_lib writers shared by io_lib:format/2 and io_lib_pretty (private to the otp layer):
// standard syntax (`~w`), the pretty printer (`~p`) and the pieces both build on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otpp/otp/io_format.hpp"

namespace otpp::io::detail {

// Formatting fails deep inside recursive writers; one exception type carries the reason out to
// the public functions, which turn it into a failure value.
struct format_failure {
  std::string why;
};
[[noreturn]] inline void fail(std::string why) { throw format_failure{std::move(why)}; }

/// Makes `n` the node numbering pids print with for the length of one public call (on this
/// thread), so the recursive writers need not pass it along. A call nested in another
/// without a numbering of its own keeps the outer one.
class scoped_numbering {
 public:
  explicit scoped_numbering(const otpp::node_numbering* n);
  scoped_numbering(const scoped_numbering&) = delete;
  scoped_numbering& operator=(const scoped_numbering&) = delete;
  ~scoped_numbering();

 private:
  const otpp::node_numbering* saved_;
};

// ---- small character helpers ------------------------------------------------------------------

inline chars ascii(std::string_view s) { return chars(s.begin(), s.end()); }

inline chars repeat(char32_t c, int n) { return n > 0 ? chars(static_cast<std::size_t>(n), c) : chars(); }

inline int length(const chars& s) { return static_cast<int>(s.size()); }

inline chars decimal(std::uint64_t v) { return ascii(std::to_string(v)); }

// io_lib's string modes: how characters beyond printable ASCII are written (print.hpp).
using string_mode = char_escaping;

/// io_lib:write_string/2 between `quote`s.
chars write_string(const chars& s, string_mode mode, char32_t quote = '"');
/// io_lib:write_atom/1.
chars write_atom(atom a, encoding enc);
/// Numbers, pids, ports, references and funs, as `~w` writes them.
chars write_simple(const term& t, encoding enc);
/// io_lib's printable Latin-1 characters (the default printable range).
bool printable_latin1(char32_t c);
/// io_lib:printable_latin1_list/1: the characters of a printable list.
std::optional<chars> printable_list(const term& t);
/// <<1,2,3:5>> pieces; "..." replaces the rest when the depth runs out (io_lib:write_binary/3).
std::vector<chars> binary_pieces(const term& b, int depth);
chars join_binary(const std::vector<chars>& pieces);
/// io_lib:write/2 of `t` to depth `d`, appended to `out`.
void write1(chars& out, const term& t, int d, encoding enc);
/// io_lib_pretty:print/2.
chars pretty(const term& t, const print_options& o);

}  // namespace otpp::io::detail
