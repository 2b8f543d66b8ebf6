// io_lib_pretty:print/2 (`~p`) as OTP 25 lays terms out (lib/stdlib/src/io_lib_pretty.erl).
#include <algorithm>

#include "otp/io_lib.hpp"
#include "otpp/term/map_order.hpp"

namespace otpp::io::detail {
namespace {

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
      if (t.map_entries().empty()) return leaf(ascii("#{}"));
      if (d == 1) return leaf(ascii("#{...}"));
      pnode n;
      n.kind = pnode::shape::map;
      int d0 = d - 1;
      int dd = d;
      // In the order maps:iterator/1 walks it, as io_lib_pretty does.
      for (const auto* kv : map_fold_order(t)) {
        const auto& [k, v] = *kv;
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

}  // namespace

chars pretty(const term& t, const print_options& o) {
  if (o.depth == 0) return ascii("...");
  int col = o.column <= 0 ? 1 : o.column;
  pretty_ctx c{o.enc, o.strings};
  if (t.is_atom()) return write_atom(t.atom_value(), o.enc);
  if (!(t.is_tuple() || t.is_list() || t.is_map() || t.is_bitstring()))
    return write_simple(t, o.enc);
  pnode n = print_length(t, o.depth, c);
  int m = o.line_max_chars < 0 ? n.len : o.line_max_chars;
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

}  // namespace otpp::io::detail
