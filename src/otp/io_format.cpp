// io_lib:format/2 as OTP 25 implements it (lib/stdlib/src/io_lib_format.erl): the control
// sequences and their fields, so that an otpp io server prints byte for byte what an Erlang
// node prints. The writers it calls are io_lib_write.cpp and io_lib_pretty.cpp.
#include "otpp/otp/io_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "otp/io_lib.hpp"

namespace otpp::io {

namespace {

using namespace detail;

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
