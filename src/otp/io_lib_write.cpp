// io_lib:write/2 (`~w`) as OTP 25 writes terms (lib/stdlib/src/io_lib.erl), and the node
// numbering pids print with during one formatting call.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "otp/io_lib.hpp"
#include "otpp/term/map_order.hpp"

namespace otpp::io::detail {
namespace {

// ---- node numbering ---------------------------------------------------------------------------

// The numbering the call running on this thread brought (pids print as its node sees them);
// without one every node prints as 0. Set for the length of one public call only, so that
// the recursive writers need not pass it along.
thread_local const otpp::node_numbering* call_numbering = nullptr;

std::uint32_t node_number(atom node, std::uint32_t creation) {
  return call_numbering && *call_numbering ? (*call_numbering)(node, creation) : 0;
}

}  // namespace

scoped_numbering::scoped_numbering(const otpp::node_numbering* n) : saved_(call_numbering) {
  if (n) call_numbering = n;
}
scoped_numbering::~scoped_numbering() { call_numbering = saved_; }

// ---- atoms, strings, numbers (io_lib.erl) ---------------------------------------------------

chars write_string(const chars& s, string_mode mode, char32_t quote) {
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
      // In the order maps:iterator/1 walks it, as io_lib:write/2 does.
      const auto entries = map_fold_order(t);
      if (d == 1 || entries.empty()) {
        out += ascii("#{}");
        return;
      }
      int d0 = d - 1;
      out += ascii("#{");
      write1(out, entries[0]->first, d0, enc);
      out += ascii(" => ");
      write1(out, entries[0]->second, d0, enc);
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
        write1(out, entries[i]->first, d0, enc);
        out += ascii(" => ");
        write1(out, entries[i]->second, d0, enc);
        --dd;
      }
      out.push_back('}');
      return;
    }
    default:
      out += write_simple(t, enc);
  }
}

}  // namespace otpp::io::detail
