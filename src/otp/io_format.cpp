// io_lib:format/2, io_lib:write/2 and io_lib_pretty:print/2 as OTP 25 implements them
// (lib/stdlib/src/io_lib_format.erl, io_lib.erl, io_lib_pretty.erl), so that `~p` output of an
// otpp io server is byte for byte what an Erlang node prints.
#include "otpp/otp/io_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

namespace otpp::io {

namespace {

// Formatting fails deep inside recursive writers; one exception type carries the reason out to
// the public functions, which turn it into a failure value.
struct format_failure {
  std::string why;
};
[[noreturn]] void fail(std::string why) { throw format_failure{std::move(why)}; }

// ---- node numbering ---------------------------------------------------------------------------

// The numbering the call running on this thread brought (pids print as its node sees them);
// without one every node prints as 0. Set for the length of one public call only, so that
// the recursive writers need not pass it along.
thread_local const otpp::node_numbering* call_numbering = nullptr;

std::uint32_t node_number(atom node, std::uint32_t creation) {
  return call_numbering && *call_numbering ? (*call_numbering)(node, creation) : 0;
}

class scoped_numbering {
 public:
  // A call nested in another (a `~p` printing through print()) without a numbering of its
  // own keeps the outer one.
  explicit scoped_numbering(const otpp::node_numbering* n) : saved_(call_numbering) {
    if (n) call_numbering = n;
  }
  scoped_numbering(const scoped_numbering&) = delete;
  scoped_numbering& operator=(const scoped_numbering&) = delete;
  ~scoped_numbering() { call_numbering = saved_; }

 private:
  const otpp::node_numbering* saved_;
};

// ---- small character helpers ------------------------------------------------------------------

chars ascii(std::string_view s) { return chars(s.begin(), s.end()); }

chars repeat(char32_t c, int n) { return n > 0 ? chars(static_cast<std::size_t>(n), c) : chars(); }

int length(const chars& s) { return static_cast<int>(s.size()); }

chars decimal(std::uint64_t v) { return ascii(std::to_string(v)); }

// ---- atoms, strings, numbers (io_lib.erl) ---------------------------------------------------

// io_lib's string modes: how characters beyond printable ASCII are written (print.hpp).
using string_mode = char_escaping;

chars write_string(const chars& s, string_mode mode, char32_t quote = '"') {
  chars out;
  out.push_back(quote);
  for (char32_t c : s) append_quoted_char(out, c, quote, mode);
  out.push_back(quote);
  return out;
}

chars write_atom(atom a, encoding enc) {
  return erlang_atom_chars(a, enc == encoding::latin1 ? string_mode::unicode_as_latin1
                                                      : string_mode::unicode_as_unicode);
}

// float_to_list(F, [short]): the shortest digits that read back as F, in fixed notation when
// OTP's modified MS STL rule (erts/emulator/ryu/to_chars.h) says so, else scientific.
chars write_float(double d) {
  bool negative = std::signbit(d);
  double a = std::fabs(d);
  chars out = negative ? ascii("-") : chars();
  if (a == 0.0) return out + ascii("0.0");
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, a, std::chars_format::scientific);
  std::string text(buf, r.ptr);
  auto epos = text.find('e');
  std::string digits;
  for (std::size_t i = 0; i < epos; ++i)
    if (text[i] != '.') digits.push_back(text[i]);
  int sci_exp = std::stoi(text.substr(epos + 1));
  int olength = static_cast<int>(digits.size());
  int exp = sci_exp - (olength - 1);  // value = digits * 10^exp
  std::uint64_t mantissa = std::stoull(digits);
  int lower = -(olength + 2), upper = 1;
  if (olength == 1) {
    lower = -4;
    upper = 2;
  } else if (sci_exp >= 10) {
    upper = 2;
  }
  bool fixed =
      lower <= exp && exp <= upper &&
      !((mantissa >= (1ULL << 53) && exp == 0) || (mantissa > (1ULL << 52) / 5 && exp == 1) ||
        (mantissa > (1ULL << 51) / 25 && exp == 2));
  std::string s;
  if (fixed) {
    int whole = olength + exp;
    if (exp >= 0) {
      s = digits + std::string(static_cast<std::size_t>(exp), '0') + ".0";
    } else if (whole > 0) {
      s = digits.substr(0, static_cast<std::size_t>(whole)) + "." +
          digits.substr(static_cast<std::size_t>(whole));
    } else {
      s = "0." + std::string(static_cast<std::size_t>(-whole), '0') + digits;
    }
  } else {
    s = digits.substr(0, 1) + "." + (olength > 1 ? digits.substr(1) : "0") + "e" +
        std::to_string(sci_exp);
  }
  return out + ascii(s);
}

chars write_pid(const pid& p) {
  return ascii("<") + decimal(node_number(p.node, p.creation)) + ascii(".") + decimal(p.id) +
         ascii(".") + decimal(p.serial) + ascii(">");
}

chars write_port(const port_id& p) {
  return ascii("#Port<") + decimal(node_number(p.node, p.creation)) + ascii(".") + decimal(p.id) +
         ascii(">");
}

// ref_to_list/1 prints the words most significant first.
chars write_ref(const reference& r) {
  chars out = ascii("#Ref<") + decimal(node_number(r.node, r.creation));
  for (int i = static_cast<int>(r.length) - 1; i >= 0; --i)
    out += ascii(".") + decimal(r.words[static_cast<std::size_t>(i)]);
  return out + ascii(">");
}

chars write_fun(const fun_value& f, encoding enc) {
  if (f.is_export)
    return ascii("fun ") + write_atom(f.module, enc) + ascii(":") + write_atom(f.function, enc) +
           ascii("/") + decimal(f.arity);
  // fun_to_list/1 of a closure: #Fun<Module.OldIndex.OldUniq>.
  return ascii("#Fun<") + from_utf8(f.module.name()).value_or(chars()) + ascii(".") +
         ascii(std::to_string(f.old_index)) + ascii(".") + ascii(std::to_string(f.old_uniq)) +
         ascii(">");
}

chars write_integer(const term& t) { return ascii(t.integer_to_string(10)); }

// Terms that print the same in ~w and ~p: everything but lists, tuples, maps and bitstrings.
chars write_simple(const term& t, encoding enc) {
  switch (t.type()) {
    case term::kind::integer:
      return write_integer(t);
    case term::kind::float_:
      return write_float(t.float_value());
    case term::kind::atom:
      return write_atom(t.atom_value(), enc);
    case term::kind::reference:
      return write_ref(t.reference_value());
    case term::kind::fun:
      return write_fun(t.fun_content(), enc);
    case term::kind::port:
      return write_port(t.port_value());
    case term::kind::pid:
      return write_pid(t.pid_value());
    case term::kind::nil:
      return ascii("[]");
    default:
      return {};
  }
}

bool printable_latin1(char32_t c) {
  return (c >= ' ' && c <= '~') || (c >= 160 && c <= 255) || c == '\n' || c == '\r' || c == '\t' ||
         c == '\v' || c == '\b' || c == '\f' || c == 27;
}

// io_lib:printable_latin1_list/1 (io:printable_range() is latin1 unless +pc unicode).
std::optional<chars> printable_list(const term& t) {
  if (!t.is_list() || t.is_nil() || !t.list_tail().is_nil()) return std::nullopt;
  chars out;
  for (const term& e : t.list_elements()) {
    auto v = e.to_int64();
    if (!e.is_small_integer() || !v || *v < 0 || *v > 255 ||
        !printable_latin1(static_cast<char32_t>(*v)))
      return std::nullopt;
    out.push_back(static_cast<char32_t>(*v));
  }
  return out;
}

// <<1,2,3:5>> pieces; "..." replaces the rest when the depth runs out (io_lib:write_binary/3).
std::vector<chars> binary_pieces(const term& b, int depth) {
  std::vector<chars> pieces;
  auto bytes = b.bytes();
  std::size_t whole = b.bit_size() / 8;
  unsigned rest_bits = static_cast<unsigned>(b.bit_size() % 8);
  int d = depth;
  for (std::size_t i = 0; i < whole; ++i) {
    if (d == 1) {
      pieces.push_back(ascii("..."));
      return pieces;
    }
    pieces.push_back(decimal(bytes[i]));
    --d;
  }
  if (rest_bits != 0) {
    if (d == 1) {
      pieces.push_back(ascii("..."));
      return pieces;
    }
    unsigned value = bytes[whole] >> (8 - rest_bits);
    pieces.push_back(decimal(value) + ascii(":") + decimal(rest_bits));
  }
  return pieces;
}

chars join_binary(const std::vector<chars>& pieces) {
  chars out = ascii("<<");
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i) out.push_back(',');
    out += pieces[i];
  }
  return out + ascii(">>");
}

// ---- io_lib:write/2 -------------------------------------------------------------------------

void write1(chars& out, const term& t, int d, encoding enc) {
  if (d == 0) {
    out += ascii("...");
    return;
  }
  switch (t.type()) {
    case term::kind::bitstring:
      out += join_binary(binary_pieces(t, d));
      return;
    case term::kind::list: {
      if (d == 1) {
        out += ascii("[...]");
        return;
      }
      out.push_back('[');
      auto elems = t.list_elements();
      int dd = d - 1;
      write1(out, elems[0], dd, enc);
      for (std::size_t i = 1; i < elems.size(); ++i) {
        if (dd == 1) {
          out += ascii("|...");
          out.push_back(']');
          return;
        }
        out.push_back(',');
        write1(out, elems[i], dd - 1, enc);
        --dd;
      }
      if (!t.list_tail().is_nil()) {
        if (dd == 1) {
          out += ascii("|...");
        } else {
          out.push_back('|');
          write1(out, t.list_tail(), dd - 1, enc);
        }
      }
      out.push_back(']');
      return;
    }
    case term::kind::tuple: {
      auto elems = t.elements();
      if (elems.empty()) {
        out += ascii("{}");
        return;
      }
      if (d == 1) {
        out += ascii("{...}");
        return;
      }
      out.push_back('{');
      int dd = d - 1;
      write1(out, elems[0], dd, enc);
      for (std::size_t i = 1; i < elems.size(); ++i) {
        if (dd == 1) {
          out += ascii(",...");
          break;
        }
        out.push_back(',');
        write1(out, elems[i], dd - 1, enc);
        --dd;
      }
      out.push_back('}');
      return;
    }
    case term::kind::map: {
      auto entries = t.map_entries();
      if (d == 1 || entries.empty()) {
        out += ascii("#{}");
        return;
      }
      int d0 = d - 1;
      out += ascii("#{");
      write1(out, entries[0].first, d0, enc);
      out += ascii(" => ");
      write1(out, entries[0].second, d0, enc);
      // write_map_body/4 tests the depth before it looks for more entries, so a one-entry map
      // at the depth limit still ends in ",...".
      int dd = d0;
      for (std::size_t i = 1;; ++i) {
        if (dd == 1) {
          out += ascii(",...");
          break;
        }
        if (i >= entries.size()) break;
        out.push_back(',');
        write1(out, entries[i].first, d0, enc);
        out += ascii(" => ");
        write1(out, entries[i].second, d0, enc);
        --dd;
      }
      out.push_back('}');
      return;
    }
    default:
      out += write_simple(t, enc);
  }
}

// ---- io_lib_pretty:print/2 ------------------------------------------------------------------
// The intermediate format: every node knows its flat length; lists, tuples and maps keep their
// children so lines can be broken between them.

struct pnode {
  enum class shape : std::uint8_t { leaf, list, tuple, map, pair, bin };
  shape kind = shape::leaf;
  bool tagged = false;            // a tuple whose first element is an atom (and has more)
  chars text;                     // leaf text
  std::vector<chars> bin_pieces;  // bin
  std::vector<pnode> items;       // list/tuple/map elements; pair: key, value
  enum class end_kind : std::uint8_t { proper, dots, tail } end = end_kind::proper;
  std::vector<pnode> tail;  // the improper tail (end == tail)
  int len = 0;

  [[nodiscard]] bool is_leaf() const { return kind == shape::leaf; }
};

pnode leaf(chars text) {
  pnode n;
  n.len = length(text);
  n.text = std::move(text);
  return n;
}

struct pretty_ctx {
  encoding enc;
  bool strings;
};

// list_length/3.
int children_length(const pnode& n, int acc) {
  bool first = true;
  for (const pnode& e : n.items) {
    acc += e.len + (first ? 0 : 1);
    first = false;
  }
  if (n.end == pnode::end_kind::dots) acc += 3 + (first ? 0 : 1);
  if (n.end == pnode::end_kind::tail) acc += n.tail[0].len + 1;
  return acc;
}

pnode print_length(const term& t, int d, const pretty_ctx& c);

pnode print_length_binary(const term& t, int d, const pretty_ctx& c) {
  if (t.bit_size() == 0) return leaf(ascii("<<>>"));
  if (d == 1) return leaf(ascii("<<...>>"));
  int d1 = d - 1;
  auto bytes = t.bytes();
  if (c.strings && t.bit_size() % 8 == 0) {
    std::size_t size = bytes.size();
    std::size_t len =
        d1 >= 0 ? std::min<std::size_t>(4 * static_cast<std::size_t>(d1), size) : size;
    auto latin1_prefix = [&](std::size_t n) {
      chars s;
      for (std::size_t i = 0; i < n; ++i) s.push_back(bytes[i]);
      return s;
    };
    // The number of leading printable bytes among the first n.
    auto printable_count = [&](std::size_t from, std::size_t n) {
      std::size_t i = 0;
      while (i < n && printable_latin1(bytes[from + i])) ++i;
      return i;
    };
    std::optional<chars> whole, prefix;
    bool utf8_form = false;
    bool decided = false;
    if (len > 0 && c.enc == encoding::unicode) {
      // valid_utf8(Bin, Len) then printable_unicode with the latin1 printable range.
      std::string_view sv(reinterpret_cast<const char*>(bytes.data()), size);
      std::size_t pos = 0, count = 0;
      bool valid = true;
      chars decoded;
      std::vector<std::size_t> offsets;
      while (pos < size && count < len) {
        unsigned char b0 = bytes[pos];
        std::size_t n = b0 < 0x80         ? 1
                        : (b0 >> 5) == 6  ? 2
                        : (b0 >> 4) == 14 ? 3
                        : (b0 >> 3) == 30 ? 4
                                          : 0;
        if (n == 0 || pos + n > size) {
          valid = false;
          break;
        }
        auto cp = from_utf8(sv.substr(pos, n));
        if (!cp || cp->size() != 1) {
          valid = false;
          break;
        }
        offsets.push_back(pos);
        decoded.push_back((*cp)[0]);
        pos += n;
        ++count;
      }
      if (valid) {
        decided = true;
        std::size_t i = 0;
        while (i < decoded.size() && printable_latin1(decoded[i])) ++i;
        chars l(decoded.begin(), decoded.begin() + static_cast<std::ptrdiff_t>(i));
        std::size_t consumed = i < offsets.size() ? offsets[i] : pos;
        if (i == decoded.size() && consumed == size) {
          whole = l;
          utf8_form = size != l.size();
        } else if (d1 > 0 && static_cast<int>(len) - static_cast<int>(len - i) >= d1) {
          // {NC, Bin1, L} when D > 0, Len - NC >= D: a printable prefix, then dots.
          prefix = l;
          utf8_form = consumed != l.size();
        }
      }
    }
    if (!decided && len > 0) {
      std::size_t n = std::min<std::size_t>(20, len);
      std::size_t ok = printable_count(0, n);
      if (ok == n) {
        if (n == size) {
          whole = latin1_prefix(n);
        } else if (n == len) {
          prefix = latin1_prefix(n);
        } else {
          std::size_t ok2 = printable_count(n, len - n);
          std::size_t nc = (len - n) - ok2;  // characters left unexamined when it stopped
          if (nc == 0 && size == len) {
            whole = latin1_prefix(size);
          } else if (d1 > 0 && static_cast<int>(len - nc) >= d1) {
            prefix = latin1_prefix(len - nc);
          }
        }
      } else {
        std::size_t nc = n - ok;
        if (d1 > 0 && static_cast<int>(n - nc) >= d1) prefix = latin1_prefix(n - nc);
      }
    }
    if (whole) {
      chars s = write_string(*whole, string_mode::unicode_as_unicode);
      return leaf(ascii("<<") + s + (utf8_form ? ascii("/utf8>>") : ascii(">>")));
    }
    if (prefix) {
      chars s = write_string(*prefix, string_mode::unicode_as_unicode);
      pnode n = leaf(ascii("<<") + s + (utf8_form ? ascii("/utf8...>>") : ascii("...>>")));
      return n;
    }
  }
  pnode n;
  n.kind = pnode::shape::bin;
  n.bin_pieces = binary_pieces(t, d);
  n.len = length(join_binary(n.bin_pieces));
  return n;
}

pnode print_length(const term& t, int d, const pretty_ctx& c) {
  switch (t.type()) {
    case term::kind::list: {
      if (c.strings && d != 1) {
        if (auto s = printable_list(t)) return leaf(write_string(*s, string_mode::latin1));
      }
      pnode n;
      n.kind = pnode::shape::list;
      auto elems = t.list_elements();
      int dd = d;
      for (const term& e : elems) {
        if (dd == 1) {
          n.end = pnode::end_kind::dots;
          break;
        }
        n.items.push_back(print_length(e, dd - 1, c));
        --dd;
      }
      if (n.end != pnode::end_kind::dots && !t.list_tail().is_nil()) {
        if (dd == 1) {
          n.end = pnode::end_kind::dots;
        } else {
          n.end = pnode::end_kind::tail;
          n.tail.push_back(print_length(t.list_tail(), dd - 1, c));
        }
      }
      n.len = children_length(n, 2);
      return n;
    }
    case term::kind::tuple: {
      auto elems = t.elements();
      if (elems.empty()) return leaf(ascii("{}"));
      if (d == 1) return leaf(ascii("{...}"));
      pnode n;
      n.kind = pnode::shape::tuple;
      n.tagged = elems[0].is_atom() && elems.size() > 1;
      int dd = d;
      for (const term& e : elems) {
        if (dd == 1) {
          n.end = pnode::end_kind::dots;
          break;
        }
        n.items.push_back(print_length(e, dd - 1, c));
        --dd;
      }
      n.len = children_length(n, 2);
      return n;
    }
    case term::kind::map: {
      auto entries = t.map_entries();
      if (entries.empty()) return leaf(ascii("#{}"));
      if (d == 1) return leaf(ascii("#{...}"));
      pnode n;
      n.kind = pnode::shape::map;
      int d0 = d - 1;
      int dd = d;
      for (const auto& [k, v] : entries) {
        if (dd == 1) {
          n.end = pnode::end_kind::dots;
          break;
        }
        pnode p;
        p.kind = pnode::shape::pair;
        p.items.push_back(print_length(k, d0, c));
        p.items.push_back(print_length(v, d0, c));
        p.len = p.items[0].len + 4 + p.items[1].len;
        n.items.push_back(std::move(p));
        --dd;
      }
      n.len = children_length(n, 3);
      return n;
    }
    case term::kind::bitstring:
      return print_length_binary(t, d, c);
    default:
      return leaf(write_simple(t, c.enc));
  }
}

void write_node(chars& out, const pnode& n);

void write_children(chars& out, const pnode& n, char32_t tail_sep) {
  bool first = true;
  for (const pnode& e : n.items) {
    if (!first) out.push_back(',');
    write_node(out, e);
    first = false;
  }
  if (n.end == pnode::end_kind::dots) {
    if (!first) out.push_back(tail_sep);
    out += ascii("...");
  } else if (n.end == pnode::end_kind::tail) {
    out.push_back(tail_sep);
    write_node(out, n.tail[0]);
  }
}

void write_node(chars& out, const pnode& n) {
  switch (n.kind) {
    case pnode::shape::leaf:
      out += n.text;
      return;
    case pnode::shape::bin:
      out += join_binary(n.bin_pieces);
      return;
    case pnode::shape::list:
      out.push_back('[');
      write_children(out, n, '|');
      out.push_back(']');
      return;
    case pnode::shape::tuple:
      out.push_back('{');
      write_children(out, n, ',');
      out.push_back('}');
      return;
    case pnode::shape::map:
      out += ascii("#{");
      write_children(out, n, ',');
      out.push_back('}');
      return;
    case pnode::shape::pair:
      write_node(out, n.items[0]);
      out += ascii(" => ");
      write_node(out, n.items[1]);
      return;
  }
}

chars written(const pnode& n) {
  chars out;
  write_node(out, n);
  return out;
}

// The layout pass (pp/8 and friends). `ind` is the indentation string's width.
struct layout {
  int ll;  // line length
  int m;   // line_max_chars (the term's own length when not limited)
  int tind;
  chars out;

  void newline(int ind) {
    out.push_back('\n');
    out.append(static_cast<std::size_t>(ind), ' ');
  }

  [[nodiscard]] bool fits(const pnode& e, int col, int ld, int w) const {
    return e.len < ll - col - ld && e.len + w + ld <= m;
  }

  void pp(const pnode& n, int col, int ind, int ld, int w) {
    if (fits(n, col, ld, w)) {
      write_node(out, n);
      return;
    }
    switch (n.kind) {
      case pnode::shape::list:
        out.push_back('[');
        pp_list(n, col + 1, ind + 1, ld, '|', w + 1);
        out.push_back(']');
        return;
      case pnode::shape::tuple:
        out.push_back('{');
        if (n.tagged)
          pp_tag_tuple(n, col, ind, ld, w + 1);
        else
          pp_list(n, col + 1, ind + 1, ld, ',', w + 1);
        out.push_back('}');
        return;
      case pnode::shape::map:
        out += ascii("#{");
        pp_map(n, col + 2, ind + 2, ld, w + 1);
        out.push_back('}');
        return;
      case pnode::shape::bin:
        pp_binary(n, col + 2, ind + 2, ld, w);
        return;
      default:
        write_node(out, n);
    }
  }

  void pp_tag_tuple(const pnode& n, int col, int ind, int ld, int w) {
    const pnode& tag = n.items[0];
    int tag_ind = tag.len + 2;
    int tcol = col + tag_ind;
    if (tind > 0 && tag_ind > tind) {
      write_node(out, tag);
      pp_tail(n, 1, col + tind, tcol, ind + tind, ld, ',', w + tag.len);
    } else {
      write_node(out, tag);
      out.push_back(',');
      pp_list_from(n, 1, tcol, ind + tag_ind, ld, ',', w + tag.len + 1);
    }
  }

  // last_depth/2: the element is followed by more elements (0) or is the last (LD + 1).
  // An element followed by dots or by an improper tail counts as last, as in Erlang.
  [[nodiscard]] static int last_depth(const pnode& n, std::size_t next, int ld) {
    return next < n.items.size() ? 0 : ld + 1;
  }

  void pp_list(const pnode& n, int col0, int ind, int ld, char32_t sep, int w) {
    pp_list_from(n, 0, col0, ind, ld, sep, w);
  }

  void pp_list_from(const pnode& n, std::size_t first, int col0, int ind, int ld, char32_t sep,
                    int w) {
    if (first >= n.items.size()) {
      // pp_list({dots, ...}) or a list that is only dots.
      if (n.end == pnode::end_kind::dots) out += ascii("...");
      return;
    }
    int we = pp_element(n.items[first], col0, ind, last_depth(n, first + 1, ld), w);
    pp_tail(n, first + 1, col0, col0 + we, ind, ld, sep, w + we);
  }

  int pp_element(const pnode& e, int col, int ind, int ld, int w) {
    if (fits(e, col, ld, w) && e.is_leaf()) {
      write_node(out, e);
      return e.len;
    }
    pp(e, col, ind, ld, w);
    return ll;
  }

  void pp_tail(const pnode& n, std::size_t i, int col0, int col, int ind, int ld, char32_t sep,
               int w) {
    for (; i < n.items.size(); ++i) {
      const pnode& e = n.items[i];
      int ld1 = last_depth(n, i + 1, ld);
      int elen = 1 + e.len;
      bool inline_ok = (ld1 == 0 && elen + 1 < ll - col && w + elen + 1 <= m && e.is_leaf()) ||
                       (ld1 > 0 && elen < ll - col - ld1 && w + elen + ld1 <= m && e.is_leaf());
      out.push_back(',');
      if (inline_ok) {
        write_node(out, e);
        col += elen;
        w += elen;
      } else {
        newline(ind);
        int we = pp_element(e, col0, ind, ld1, 0);
        col = col0 + we;
        w = we;
      }
    }
    if (n.end == pnode::end_kind::dots) {
      out.push_back(sep);
      out += ascii("...");
    } else if (n.end == pnode::end_kind::tail) {
      const pnode& e = n.tail[0];
      out.push_back(sep);
      if (e.len + 1 < ll - col - (ld + 1) && e.len + 1 + w + (ld + 1) <= m && e.is_leaf()) {
        write_node(out, e);
      } else {
        newline(ind);
        pp(e, col0, ind, ld + 1, 0);
      }
    }
  }

  [[nodiscard]] static bool pair_is_flat(const pnode& p) {
    return p.items[0].is_leaf() && p.items[1].is_leaf();
  }

  int pp_pair(const pnode& p, int col, int ind, int ld, int w) {
    if (fits(p, col, ld, w)) {
      write_node(out, p);
      return pair_is_flat(p) ? p.len : ll;
    }
    int i = tind > 0 ? tind : 4;
    pp(p.items[0], col, ind, ld, w);
    out += ascii(" =>");
    newline(ind + i);
    pp(p.items[1], col + i, ind + i, ld, 0);
    return ll;
  }

  void pp_map(const pnode& n, int col, int ind, int ld, int w) {
    if (n.items.empty()) {
      if (n.end == pnode::end_kind::dots) out += ascii("...");
      return;
    }
    int pw = pp_pair(n.items[0], col, ind, last_depth(n, 1, ld), w);
    int col0 = col;
    int c = col + pw;
    w = pw;
    for (std::size_t i = 1; i < n.items.size(); ++i) {
      const pnode& p = n.items[i];
      int ld1 = last_depth(n, i + 1, ld);
      int elen = 1 + p.len;
      bool inline_ok = ((ld1 == 0 && elen + 1 < ll - c && w + elen + 1 <= m) ||
                        (ld1 > 0 && elen < ll - c - ld1 && w + elen + ld1 <= m)) &&
                       pair_is_flat(p);
      out.push_back(',');
      if (inline_ok) {
        write_node(out, p);
        c += elen;
        w += elen;
      } else {
        newline(ind);
        int pw2 = pp_pair(p, col0, ind, ld1, 0);
        c = col0 + pw2;
        w = pw2;
      }
    }
    if (n.end == pnode::end_kind::dots) out += ascii(",...");
  }

  void pp_binary(const pnode& n, int col, int ind, int ld, int w) {
    int width = std::max(8, std::min(ll - col, m - 4 - w) - ld);
    out += ascii("<<");
    int left = width;
    const auto& pieces = n.bin_pieces;
    for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
      int len = length(pieces[i]) + 1;
      if (left - len < 0) {
        newline(ind);
        out += pieces[i];
        out.push_back(',');
        left = width - len;
      } else {
        out += pieces[i];
        out.push_back(',');
        left -= len;
      }
    }
    if (!pieces.empty()) {
      const chars& last = pieces.back();
      if (length(last) > left) newline(ind);
      out += last;
    }
    out += ascii(">>");
  }
};

// cind/7 and friends: whether the tag-tuple layout with indentation `ind` stays in bounds.
struct indent_check {
  int ll;
  int m;
  int ind;

  [[nodiscard]] bool fits(const pnode& e, int col, int ld, int w) const {
    return e.len < ll - col - ld && e.len + w + ld <= m;
  }

  void cind(const pnode& n, int col, int ld, int w) const {
    if (fits(n, col, ld, w)) return;
    switch (n.kind) {
      case pnode::shape::list:
        cind_list(n, 0, col + 1, ld, w + 1);
        return;
      case pnode::shape::tuple:
        if (n.tagged)
          cind_tag_tuple(n, col, ld, w + 1);
        else
          cind_list(n, 0, col + 1, ld, w + 1);
        return;
      case pnode::shape::map:
        cind_map(n, col + 2, ld, w + 2);
        return;
      default:
        return;
    }
  }

  void cind_tag_tuple(const pnode& n, int col, int ld, int w) const {
    int tlen = n.items[0].len;
    int tag_ind = tlen + 2;
    int tcol = col + tag_ind;
    if (ind > 0 && tag_ind > ind) {
      int col1 = col + ind;
      if (m + col1 <= ll || col1 <= ll / 2)
        cind_tail(n, 1, col1, tcol, ld, w + tlen);
      else
        throw format_failure{"no_good"};
    } else if (m + tcol < ll || tcol < ll / 2) {
      cind_list(n, 1, tcol, ld, w + tlen + 1);
    } else {
      throw format_failure{"no_good"};
    }
  }

  int cind_element(const pnode& e, int col, int ld, int w) const {
    if (fits(e, col, ld, w) && e.is_leaf()) return e.len;
    cind(e, col, ld, w);
    return ll;
  }

  void cind_list(const pnode& n, std::size_t first, int col0, int ld, int w) const {
    if (first >= n.items.size()) return;
    int we = cind_element(n.items[first], col0, layout::last_depth(n, first + 1, ld), w);
    cind_tail(n, first + 1, col0, col0 + we, ld, w + we);
  }

  void cind_tail(const pnode& n, std::size_t i, int col0, int col, int ld, int w) const {
    for (; i < n.items.size(); ++i) {
      const pnode& e = n.items[i];
      int ld1 = layout::last_depth(n, i + 1, ld);
      int elen = 1 + e.len;
      bool inline_ok = (ld1 == 0 && elen + 1 < ll - col && w + elen + 1 <= m && e.is_leaf()) ||
                       (ld1 > 0 && elen < ll - col - ld1 && w + elen + ld1 <= m && e.is_leaf());
      if (inline_ok) {
        col += elen;
        w += elen;
      } else {
        int we = cind_element(e, col0, ld1, 0);
        col = col0 + we;
        w = we;
      }
    }
    if (n.end == pnode::end_kind::tail) {
      const pnode& e = n.tail[0];
      if (!(e.len + 1 < ll - col - (ld + 1) && e.len + 1 + w + (ld + 1) <= m && e.is_leaf()))
        cind(e, col, ld + 1, 0);
    }
  }

  int cind_pair(const pnode& p, int col, int ld, int w) const {
    if (fits(p, col, ld, w)) return layout::pair_is_flat(p) ? p.len : ll;
    cind(p.items[0], col, ld, w);
    int i = ind > 0 ? ind : 4;
    cind(p.items[1], col + i, ld, 0);
    return ll;
  }

  void cind_map(const pnode& n, int col, int ld, int w) const {
    if (n.items.empty()) return;
    int pw = cind_pair(n.items[0], col, layout::last_depth(n, 1, ld), w);
    int c = col + pw;
    w += pw;
    for (std::size_t i = 1; i < n.items.size(); ++i) {
      const pnode& p = n.items[i];
      int ld1 = layout::last_depth(n, i + 1, ld);
      int elen = 1 + p.len;
      bool inline_ok = ((ld1 == 0 && elen + 1 < ll - c && w + elen + 1 <= m) ||
                        (ld1 > 0 && elen < ll - c - ld1 && w + elen + ld1 <= m)) &&
                       layout::pair_is_flat(p);
      if (inline_ok) {
        c += elen;
        w += elen;
      } else {
        int pw2 = cind_pair(p, col, ld1, 0);
        c = col + pw2;
        w = pw2;
      }
    }
  }
};

chars pretty(const term& t, const print_options& o) {
  if (o.depth == 0) return ascii("...");
  int col = o.column <= 0 ? 1 : o.column;
  pretty_ctx c{o.enc, o.strings};
  if (t.is_atom()) return write_atom(t.atom_value(), o.enc);
  if (!(t.is_tuple() || t.is_list() || t.is_map() || t.is_bitstring()))
    return write_simple(t, o.enc);
  pnode n = print_length(t, o.depth, c);
  int m = n.len;
  int ll = o.line_length;
  if (ll == 0 || (n.len < ll - col && n.len <= m)) return written(n);
  int tind = 1;
  for (int candidate : {-1, 4}) {
    try {
      indent_check{ll, m, candidate}.cind(n, col, 0, 0);
      tind = candidate;
      break;
    } catch (const format_failure&) {
    }
  }
  layout l{ll, m, tind, {}};
  l.pp(n, col, col - 1, 0, 0);
  return std::move(l.out);
}

// ---- io_lib_format --------------------------------------------------------------------------

enum class adjust { left, right };

struct spec {
  std::optional<int> width;
  adjust adj = adjust::right;
  std::optional<int> precision;
  char32_t pad = ' ';
  encoding enc = encoding::latin1;
  bool strings = true;
  char32_t control = 0;
  std::vector<term> args;
};

chars padded(chars data, int pad_count, char32_t pad, adjust adj) {
  chars p = repeat(pad, pad_count);
  return adj == adjust::left ? data + p : p + data;
}

// term/5: fit already formatted text into a field, or fill it with asterisks.
chars fit_term(const chars& t, std::optional<int> f, adjust adj, std::optional<int> p0,
               char32_t pad) {
  if (!f && !p0) return t;
  if (!f) f = p0;
  int l = length(t);
  int p = std::min(l, p0 ? std::min(*p0, *f) : *f);
  if (l > p) return padded(repeat('*', p), *f - p, pad, adj);
  return padded(t, *f - l, pad, adj);
}

chars truncate(const chars& s, int n) {
  return s.substr(0, static_cast<std::size_t>(std::max(0, n)));
}

chars string_field(const chars& s, int f, adjust adj, char32_t pad) {
  int n = length(s);
  if (n > f) return truncate(s, f);
  if (n < f) return padded(s, f - n, pad, adj);
  return s;
}

chars string(const chars& s, std::optional<int> f, adjust adj, std::optional<int> p, char32_t pad) {
  if (f.has_value() && f.value() < 0) fail("negative field width");
  if (p.has_value() && p.value() < 0) fail("negative precision");
  if (!f && !p) return s;
  if (f && !p) return string_field(s, *f, adj, pad);
  if (!f) return string_field(s, *p, adjust::left, pad);
  if (*f < *p) fail("field width smaller than precision");
  int n = length(s);
  if (*f > *p) {
    if (n > *p) return padded(truncate(s, *p), *f - *p, pad, adj);
    if (n < *p) return padded(s + repeat(pad, *p - n), *f - *p, pad, adj);
    return padded(s, *f - *p, pad, adj);
  }
  return string_field(s, *f, adj, pad);
}

chars char_field(char32_t c, std::optional<int> f, adjust adj, std::optional<int> p, char32_t pad) {
  if (!f && !p) return chars(1, c);
  if (f && !p) return repeat(c, *f);
  if (!f) return repeat(c, *p);
  if (*f < *p) fail("field width smaller than precision");
  return padded(repeat(c, *p), *f - *p, pad, adj);
}

// float_data/1: the 21 significant digits of "%.20e" and the decimal exponent plus one.
std::pair<std::string, int> float_data(double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.20e", std::fabs(a));
  std::string s(buf);
  auto epos = s.find('e');
  std::string digits;
  for (std::size_t i = 0; i < epos; ++i)
    if (s[i] >= '0' && s[i] <= '9') digits.push_back(s[i]);
  return {digits, std::stoi(s.substr(epos + 1)) + 1};
}

// float_man/2: `dc` digits, rounding on the next digit; the bool is the carry out.
std::pair<std::string, bool> round_digits(const std::string& ds, std::size_t from, int dc) {
  std::string out;
  int i = 0;
  std::size_t k = from;
  for (; i < dc; ++i, ++k) out.push_back(k < ds.size() ? ds[k] : '0');
  bool carry = k < ds.size() && ds[k] >= '5';
  for (int j = dc - 1; j >= 0 && carry; --j) {
    auto uj = static_cast<std::size_t>(j);
    if (out[uj] == '9') {
      out[uj] = '0';
    } else {
      ++out[uj];
      carry = false;
    }
  }
  return {out, carry};
}

// float_man/3: `whole` integer digits, a point, `dc` decimals.
std::pair<std::string, bool> float_man(const std::string& ds, int whole, int dc) {
  std::string digits = ds;
  if (static_cast<int>(digits.size()) < whole)
    digits.append(static_cast<std::size_t>(whole) - digits.size(), '0');
  auto [all, carry] = round_digits(digits, 0, whole + dc);
  std::string out = all.substr(0, static_cast<std::size_t>(whole)) + "." +
                    all.substr(static_cast<std::size_t>(whole));
  return {out, carry};
}

std::string sign_of(double d) { return std::signbit(d) ? "-" : ""; }

chars float_e(double fl, int p) {
  auto [ds, e] = float_data(fl);
  auto [fs, carry] = float_man(ds, 1, p - 1);
  std::string out = sign_of(fl);
  int exp = e - 1;
  if (carry) {
    fs[0] = '1';
    exp = e;
  }
  out += fs + "e" + (exp >= 0 ? "+" : "") + std::to_string(exp);
  return ascii(out);
}

chars float_f(double fl, int p) {
  auto [ds, e] = float_data(fl);
  if (e <= 0) {
    ds = std::string(static_cast<std::size_t>(-e + 1), '0') + ds;
    e = 1;
  }
  auto [fs, carry] = float_man(ds, e, p);
  return ascii(sign_of(fl) + (carry ? "1" : "") + fs);
}

chars fwrite_e(double fl, std::optional<int> f, adjust adj, std::optional<int> p, char32_t pad) {
  int prec = p.value_or(6);
  if (prec < 2) fail("precision of ~e below 2");
  chars s = float_e(fl, prec);
  return f ? fit_term(s, f, adj, f, pad) : s;
}

chars fwrite_f(double fl, std::optional<int> f, adjust adj, std::optional<int> p, char32_t pad) {
  int prec = p.value_or(6);
  if (prec < 1) fail("precision of ~f below 1");
  chars s = float_f(fl, prec);
  return f ? fit_term(s, f, adj, f, pad) : s;
}

chars fwrite_g(double fl, std::optional<int> f, adjust adj, std::optional<int> p0, char32_t pad) {
  int p = p0.value_or(6);
  if (p < 1) fail("precision of ~g below 1");
  double a = std::fabs(fl);
  std::optional<int> e;
  if (a < 1.0e-1)
    e = -2;
  else if (a < 1.0)
    e = -1;
  else if (a < 1.0e1)
    e = 0;
  else if (a < 1.0e2)
    e = 1;
  else if (a < 1.0e3)
    e = 2;
  else if (a < 1.0e4)
    e = 3;
  // E =:= fwrite_f (an atom) compares greater than any number in the guards below.
  bool e_is_atom = !e.has_value();
  if ((p <= 1 && !e_is_atom && *e == -1) || (!e_is_atom && p - 1 > *e && *e >= -1))
    return fwrite_f(fl, f, adj, p - 1 - *e, pad);
  if (p <= 1) return fwrite_e(fl, f, adj, 2, pad);
  return fwrite_e(fl, f, adj, p, pad);
}

int base_of(std::optional<int> p) {
  int b = p.value_or(10);
  if (b < 2 || b > 36) fail("integer base outside 2..36");
  return b;
}

chars integer_text(const term& i, int base, bool lowercase) {
  std::string s = i.integer_to_string(base);
  if (!s.empty() && s[0] == '-') s.erase(0, 1);
  for (char& ch : s) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (lowercase) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return ascii(s);
}

chars prefixed_integer(const term& i, const spec& s, int base, const chars& prefix, bool lower) {
  chars digits = integer_text(i, base, lower);
  chars t = (i.integer_is_negative() ? ascii("-") : chars()) + prefix + digits;
  return fit_term(t, s.width, s.adj, std::nullopt, s.pad);
}

// iolist_to_chars/1 (latin1 ~s) and cdata_to_chars/1 (unicode ~ts).
chars string_arg(const term& a, encoding enc) {
  if (a.is_atom()) {
    auto name = from_utf8(a.atom_value().name()).value_or(chars());
    if (enc == encoding::latin1 &&
        std::any_of(name.begin(), name.end(), [](char32_t c) { return c > 255; }))
      fail("~s of an atom with characters above 255");
    return name;
  }
  chars out;
  auto walk = [&](auto&& self, const term& t, int depth) -> void {
    if (depth > 10000) fail("~s argument nested too deeply");
    if (t.is_binary()) {
      if (enc == encoding::unicode) {
        if (auto d = from_utf8(t.bytes_as_string())) {
          out += *d;
          return;
        }
      }
      for (auto b : t.bytes()) out.push_back(b);
      return;
    }
    if (!t.is_list()) fail("~s argument is not character data");
    for (const term& e : t.list_elements()) {
      if (e.is_small_integer()) {
        auto v = e.small_integer();
        if (v < 0 || (enc == encoding::latin1 && v > 255) || v > 0x10FFFF)
          fail("~s argument holds a character out of range");
        out.push_back(static_cast<char32_t>(v));
      } else {
        self(self, e, depth + 1);
      }
    }
    if (!t.list_tail().is_nil()) self(self, t.list_tail(), depth + 1);
  };
  walk(walk, a, 0);
  return out;
}

std::optional<int> integer_field(const term& t) {
  auto v = t.to_int64();
  if (!t.is_integer() || !v || *v > 100000000 || *v < -100000000) return std::nullopt;
  return static_cast<int>(*v);
}

// collect/2 of io_lib_format: parse "~F.P.PadModC" consuming arguments.
std::vector<std::variant<char32_t, spec>> scan(const chars& fmt, std::span<const term> args) {
  std::vector<std::variant<char32_t, spec>> out;
  std::size_t ai = 0;
  auto next_arg = [&]() -> const term& {
    if (ai >= args.size()) fail("too few arguments for the format");
    return args[ai++];
  };
  std::size_t i = 0;
  auto peek = [&]() -> char32_t { return i < fmt.size() ? fmt[i] : 0; };
  auto field_value = [&]() -> std::optional<int> {
    if (peek() == '*' && ai < args.size() && args[ai].is_integer()) {
      ++i;
      auto v = integer_field(next_arg());
      if (!v) fail("field value out of range");
      return v;
    }
    if (peek() >= '0' && peek() <= '9') {
      long v = 0;
      while (peek() >= '0' && peek() <= '9') {
        v = v * 10 + static_cast<long>(peek() - '0');
        if (v > 100000000) fail("field value out of range");
        ++i;
      }
      return static_cast<int>(v);
    }
    return std::nullopt;
  };
  while (i < fmt.size()) {
    char32_t c = fmt[i++];
    if (c != '~') {
      out.emplace_back(c);
      continue;
    }
    spec s;
    bool minus = false;
    if (peek() == '-') {
      minus = true;
      ++i;
    }
    s.width = field_value();
    if (s.width) {
      int f = minus ? -*s.width : *s.width;
      s.adj = f < 0 ? adjust::left : adjust::right;
      s.width = f < 0 ? -f : f;
    } else if (minus) {
      // field_width([$-|Fmt]) with no value: -none crashes in Erlang.
      fail("bad field width");
    }
    if (peek() == '.') {
      ++i;
      s.precision = field_value();
      if (peek() == '.') {
        ++i;
        if (peek() == '*') {
          ++i;
          const term& p = next_arg();
          if (!p.is_small_integer() || p.small_integer() < 0 || p.small_integer() > 0x10FFFF)
            fail("pad character is not a character");
          s.pad = static_cast<char32_t>(p.small_integer());
        } else if (i < fmt.size()) {
          s.pad = fmt[i++];
        } else {
          fail("format ends inside a control sequence");
        }
      }
    }
    for (;;) {
      if (peek() == 't') {
        s.enc = encoding::unicode;
        ++i;
      } else if (peek() == 'l') {
        s.strings = false;
        ++i;
      } else {
        break;
      }
    }
    if (i >= fmt.size()) fail("format ends inside a control sequence");
    s.control = fmt[i++];
    switch (s.control) {
      case 'w':
      case 'p':
      case 's':
      case 'e':
      case 'f':
      case 'g':
      case 'b':
      case 'B':
      case '+':
      case '#':
      case 'c':
      case 'i':
        s.args.push_back(next_arg());
        break;
      case 'W':
      case 'P':
      case 'x':
      case 'X':
        s.args.push_back(next_arg());
        s.args.push_back(next_arg());
        break;
      case '~':
      case 'n':
        break;
      default:
        fail("unknown control sequence ~" + to_utf8(chars(1, s.control)));
    }
    out.emplace_back(std::move(s));
  }
  if (ai != args.size()) fail("too many arguments for the format");
  return out;
}

// control_small/7 and control_limited/10 (without a chars limit).
chars control(const spec& s, int indentation) {
  const auto& a = s.args;
  auto need_float = [&]() {
    if (!a[0].is_float()) fail(std::string("~") + static_cast<char>(s.control) + " needs a float");
    return a[0].float_value();
  };
  auto need_int = [&]() {
    if (!a[0].is_integer())
      fail(std::string("~") + static_cast<char>(s.control) + " needs an integer");
    return a[0];
  };
  switch (s.control) {
    case 's':
      return string(string_arg(a[0], s.enc), s.width, s.adj, s.precision, s.pad);
    case 'e':
      return fwrite_e(need_float(), s.width, s.adj, s.precision, s.pad);
    case 'f':
      return fwrite_f(need_float(), s.width, s.adj, s.precision, s.pad);
    case 'g':
      return fwrite_g(need_float(), s.width, s.adj, s.precision, s.pad);
    case 'b':
    case 'B': {
      term i = need_int();
      return prefixed_integer(i, s, base_of(s.precision), {}, s.control == 'b');
    }
    case 'x':
    case 'X': {
      term i = need_int();
      chars prefix;
      if (a[1].is_atom()) {
        prefix = from_utf8(a[1].atom_value().name()).value_or(chars());
      } else {
        auto p = characters_to_list(a[1], encoding::unicode);
        if (!p || a[1].is_binary()) fail("~x prefix is not a character list");
        prefix = *p;
      }
      return prefixed_integer(i, s, base_of(s.precision), prefix, s.control == 'x');
    }
    case '+':
    case '#': {
      term i = need_int();
      int base = base_of(s.precision);
      return prefixed_integer(i, s, base, decimal(static_cast<std::uint64_t>(base)) + ascii("#"),
                              s.control == '+');
    }
    case 'c': {
      term i = need_int();
      auto v = i.to_int64();
      if (!v) fail("~c of a big integer");
      std::int64_t ch = s.enc == encoding::unicode ? *v : (*v & 255);
      if (ch < 0 || ch > 0x10FFFF) fail("~c of a non-character");
      return char_field(static_cast<char32_t>(ch), s.width, s.adj, s.precision, s.pad);
    }
    case '~':
      return char_field('~', s.width, s.adj, s.precision, s.pad);
    case 'n':
      if (!s.width) return ascii("\n");
      if (s.adj == adjust::left) fail("~-Nn is not a format");
      return repeat('\n', *s.width);
    case 'i':
      return {};
    case 'w':
    case 'W': {
      int depth = -1;
      if (s.control == 'W') {
        if (!a[1].is_small_integer()) fail("~W depth is not an integer");
        depth = static_cast<int>(std::clamp<std::int64_t>(a[1].small_integer(), -1, 1 << 30));
      }
      return fit_term(write(a[0], depth, s.enc), s.width, s.adj, s.precision, s.pad);
    }
    case 'p':
    case 'P': {
      int depth = -1;
      if (s.control == 'P') {
        if (!a[1].is_small_integer()) fail("~P depth is not an integer");
        depth = static_cast<int>(std::clamp<std::int64_t>(a[1].small_integer(), -1, 1 << 30));
      }
      if (s.adj == adjust::left) fail("~p cannot be left adjusted");
      print_options o;
      o.line_length = s.width.value_or(80);
      o.column = s.precision.value_or(indentation + 1);
      o.depth = depth;
      o.enc = s.enc;
      o.strings = s.strings;
      return print(a[0], o);
    }
    default:
      fail("unknown control sequence");
  }
}

chars format_spans(const chars& fmt, std::span<const term> args) {
  auto parts = scan(fmt, args);
  chars out;
  int indentation = 0;  // io_lib_format:indentation/2 of what is already printed
  auto advance = [&](const chars& s) {
    for (char32_t c : s) {
      if (c == '\n')
        indentation = 0;
      else if (c == '\t')
        indentation = (indentation + 8) / 8 * 8;
      else
        ++indentation;
    }
  };
  // Everything but ~p/~P is formatted before any ~p's column is measured, so order does not
  // matter for the result; one pass suffices.
  for (const auto& part : parts) {
    if (auto c = std::get_if<char32_t>(&part)) {
      chars one(1, *c);
      out += one;
      advance(one);
    } else {
      chars piece = control(std::get<spec>(part), indentation);
      out += piece;
      advance(piece);
    }
  }
  for (char32_t c : out)
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) fail("not a character in the output");
  return out;
}

std::optional<std::vector<term>> proper_list(const term& t) {
  if (!t.is_list() || !t.list_tail().is_nil()) return std::nullopt;
  auto e = t.list_elements();
  return std::vector<term>(e.begin(), e.end());
}

}  // namespace

chars write(const term& t, int depth, encoding enc, const otpp::node_numbering* numbering) {
  scoped_numbering use(numbering);
  chars out;
  write1(out, t, depth, enc);
  return out;
}

chars print(const term& t, const print_options& options) {
  scoped_numbering use(options.numbering);
  return pretty(t, options);
}

dist::result<chars> format_chars(const term& fmt, const term& args,
                                 const otpp::node_numbering* numbering) {
  scoped_numbering use(numbering);
  chars f;
  if (fmt.is_atom()) {
    f = from_utf8(fmt.atom_value().name()).value_or(chars());
  } else if (fmt.is_binary()) {
    for (auto b : fmt.bytes()) f.push_back(b);  // binary_to_list/1: bytes are characters
  } else if (auto l = characters_to_list(fmt, encoding::unicode); l && fmt.is_list()) {
    f = *l;
  } else {
    return dist::failure{"format is not a string"};
  }
  auto a = proper_list(args);
  if (!a) return dist::failure{"arguments are not a proper list"};
  try {
    return format_spans(f, *a);
  } catch (const format_failure& e) {
    return dist::failure{e.why};
  }
}

dist::result<std::string> format(const term& fmt, const term& args,
                                 const otpp::node_numbering* numbering) {
  auto r = format_chars(fmt, args, numbering);
  if (!r) return dist::failure{r.error()};
  return to_utf8(r.value());
}

dist::result<std::string> format(std::string_view fmt, std::span<const term> args) {
  auto f = from_utf8(fmt);
  if (!f) return dist::failure{"format is not UTF-8"};
  try {
    return to_utf8(format_spans(*f, args));
  } catch (const format_failure& e) {
    return dist::failure{e.why};
  }
}

}  // namespace otpp::io
