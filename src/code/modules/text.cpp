// The `io`, `io_lib`, `string`, `math` and `timer` modules: output through the caller's group
// leader (so remote callers print at home), formatting through otp/io_format, Unicode strings
// as code points, and a timer:tc that measures without blocking the scheduler.
#include <chrono>
#include <cmath>
#include <numbers>

#include "code/modules/support.hpp"
#include "otpp/code/fun_call.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/io_format.hpp"

namespace otpp::code::lib {

namespace {

const atom a_standard_io("standard_io");
const atom a_standard_error("standard_error");
const atom a_leading("leading");
const atom a_trailing("trailing");
const atom a_both("both");
const atom a_all("all");
const atom a_nomatch("nomatch");

// ---- io ------------------------------------------------------------------------------------

pid device(process& self, const term& d) {
  if (d.is_pid()) return d.pid_value();
  if (d.is_atom(a_standard_io)) return self.group_leader();
  atom name = d.is_atom(a_standard_error) ? atoms::user : (d.is_atom() ? d.atom_value() : atoms::badarg);
  auto p = self.rt().whereis(name);
  if (!p) badarg();
  return *p;
}

task<term> io_request(process& self, pid dev, term request) {
  term reply = co_await io::request(self, dev, std::move(request));
  if (!reply.is_atom(atoms::ok)) badarg();  // io:format/put_chars raise badarg on an error reply
  co_return atoms::ok;
}

term format_request(const term& fmt, const term& args) {
  return term::tuple(
      {atoms::put_chars, atoms::unicode, atom("io_lib"), atom("format"), list_of(fmt, args)});
}

// ---- string --------------------------------------------------------------------------------

// A string argument: its code points and whether the results are binaries.
struct text {
  std::u32string cps;
  bool binary;
};

text text_arg(const term& t) {
  if (t.is_binary()) return {binary_chars(t, atoms::badarg), true};
  return {chardata(t, atoms::badarg), false};
}

term same_kind(const text& like, std::u32string_view cps) {
  return like.binary ? bin(utf8(cps)) : char_list(cps);
}

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85 ||
         c == 0x200E || c == 0x200F || c == 0x2028 || c == 0x2029;
}

atom where_arg(const term& w) {
  if (!w.is_atom(a_leading) && !w.is_atom(a_trailing) && !w.is_atom(a_both) && !w.is_atom(a_all))
    badarg();
  return w.atom_value();
}

std::u32string trim(std::u32string s, atom dir, const std::u32string* chars) {
  auto strip = [&](char32_t c) {
    return chars ? chars->find(c) != std::u32string::npos : is_space(c);
  };
  if (dir == a_leading || dir == a_both) {
    std::size_t i = 0;
    while (i < s.size() && strip(s[i])) ++i;
    s.erase(0, i);
  }
  if (dir == a_trailing || dir == a_both) {
    while (!s.empty() && strip(s.back())) s.pop_back();
  }
  return s;
}

std::vector<std::u32string> split(const std::u32string& s, const std::u32string& sep, atom where) {
  std::vector<std::u32string> parts;
  if (sep.empty()) return {s};
  if (where == a_trailing) {
    auto at = s.rfind(sep);
    if (at == std::u32string::npos) return {s};
    return {s.substr(0, at), s.substr(at + sep.size())};
  }
  std::size_t from = 0;
  for (;;) {
    auto at = s.find(sep, from);
    if (at == std::u32string::npos) break;
    parts.push_back(s.substr(from, at - from));
    from = at + sep.size();
    if (where == a_leading) break;
  }
  parts.push_back(s.substr(from));
  return parts;
}

std::u32string map_case(std::u32string s, bool up) {
  for (char32_t& c : s) {
    if (up && ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))) c -= 32;
    else if (!up && ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))) c += 32;
  }
  return s;
}

term parts_term(const text& like, const std::vector<std::u32string>& parts) {
  std::vector<term> out;
  out.reserve(parts.size());
  for (const auto& p : parts) out.push_back(same_kind(like, p));
  return term::list(std::move(out));
}

term slice(const term& s, const term& start, const term& len) {
  text t = text_arg(s);
  auto from = small(start);
  if (from < 0) badarg();
  std::size_t f = std::min(t.cps.size(), static_cast<std::size_t>(from));
  std::size_t n = t.cps.size() - f;
  if (!len.is_atom(atom("infinity"))) {
    auto l = small(len);
    if (l < 0) badarg();
    n = std::min(n, static_cast<std::size_t>(l));
  }
  return same_kind(t, std::u32string_view(t.cps).substr(f, n));
}

term find(const term& s, const term& pat, atom dir) {
  text t = text_arg(s);
  std::u32string p = text_arg(pat).cps;
  auto at = dir == a_trailing ? t.cps.rfind(p) : t.cps.find(p);
  if (at == std::u32string::npos) return a_nomatch;
  return same_kind(t, std::u32string_view(t.cps).substr(at));
}

term replace(const term& s, const term& pat, const term& rep, atom where) {
  text t = text_arg(s);
  auto parts = split(t.cps, text_arg(pat).cps, where);
  std::vector<term> out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back(rep);
    out.push_back(same_kind(t, parts[i]));
  }
  return term::list(std::move(out));
}

term pad(const term& s, const term& len, atom dir, char32_t fill) {
  text t = text_arg(s);
  auto want = small(len);
  std::size_t have = t.cps.size();
  if (want < 0) badarg();
  std::size_t n = static_cast<std::size_t>(want) > have ? static_cast<std::size_t>(want) - have : 0;
  std::u32string before, after;
  if (dir == a_leading) before.assign(n, fill);
  else if (dir == a_both) {
    before.assign(n / 2, fill);
    after.assign(n - n / 2, fill);
  } else after.assign(n, fill);
  return char_list(before + t.cps + after);
}

// ---- math ----------------------------------------------------------------------------------

double num(const term& x) {
  if (!x.is_number()) badarg();
  return to_double(x);
}

term math_result(double r) {
  if (!std::isfinite(r)) badarith();
  return term(r);
}

template <double (*F)(double)>
void add_math1(export_table& x, std::string_view name) {
  x.add("math", name, [](term a) { return math_result(F(num(a))); });
}

double d_sqrt(double v) { return v < 0 ? NAN : std::sqrt(v); }
double d_log(double v) { return v <= 0 ? NAN : std::log(v); }
double d_log2(double v) { return v <= 0 ? NAN : std::log2(v); }
double d_log10(double v) { return v <= 0 ? NAN : std::log10(v); }
double d_exp(double v) { return std::exp(v); }
double d_sin(double v) { return std::sin(v); }
double d_cos(double v) { return std::cos(v); }
double d_tan(double v) { return std::tan(v); }
double d_asin(double v) { return std::asin(v); }
double d_acos(double v) { return std::acos(v); }
double d_atan(double v) { return std::atan(v); }
double d_sinh(double v) { return std::sinh(v); }
double d_cosh(double v) { return std::cosh(v); }
double d_tanh(double v) { return std::tanh(v); }
double d_floor(double v) { return std::floor(v); }
double d_ceil(double v) { return std::ceil(v); }

// ---- timer ---------------------------------------------------------------------------------

task<term> timed(process& self, term fun, std::vector<term> args) {
  auto start = std::chrono::steady_clock::now();
  term v = co_await call_fun(self, std::move(fun), std::move(args));
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  co_return tuple_of(integer(static_cast<std::int64_t>(us.count())), v);
}

}  // namespace

void add_text(export_table& x) {
  // ---- io ------------------------------------------------------------------------------------
  x.add("io", "format", [](process& self, term dev, term fmt, term args) -> task<term> {
    pid d = device(self, dev);
    term req = format_request(fmt, args);
    co_return co_await io_request(self, d, std::move(req));
  });
  x.add("io", "fwrite", [](process& self, term fmt) -> task<term> {
    term req = format_request(fmt, term());
    co_return co_await io_request(self, self.group_leader(), std::move(req));
  });
  x.add("io", "fwrite", [](process& self, term fmt, term args) -> task<term> {
    term req = format_request(fmt, args);
    co_return co_await io_request(self, self.group_leader(), std::move(req));
  });
  x.add("io", "put_chars", [](process& self, term dev, term chars) -> task<term> {
    pid d = device(self, dev);
    term req = tuple_of(atoms::put_chars, atoms::unicode, chars);
    co_return co_await io_request(self, d, std::move(req));
  });
  x.add("io", "write", [](process& self, term t) -> task<term> {
    // Formatted by the io server, so pids print with its node's numbering.
    term req = format_request(term::string("~tw"), list_of(t));
    co_return co_await io_request(self, self.group_leader(), std::move(req));
  });
  x.add("io_lib", "format", [](term fmt, term args) {
    auto r = io::format_chars(fmt, args);
    if (!r) badarg();
    return char_list(r.value());
  });
  x.add("io_lib", "write", [](term t) { return char_list(io::write(t, -1, io::encoding::unicode)); });

  // ---- string --------------------------------------------------------------------------------
  x.add("string", "length", [](term s) { return integer(text_arg(s).cps.size()); });
  x.add("string", "is_empty", [](term s) { return boolean(text_arg(s).cps.empty()); });
  x.add("string", "reverse", [](term s) {
    text t = text_arg(s);
    return char_list(std::u32string(t.cps.rbegin(), t.cps.rend()));
  });
  x.add("string", "uppercase", [](term s) { text t = text_arg(s); return same_kind(t, map_case(t.cps, true)); });
  x.add("string", "lowercase", [](term s) { text t = text_arg(s); return same_kind(t, map_case(t.cps, false)); });
  x.add("string", "to_upper", [](term s) {
    if (s.is_integer()) return term(static_cast<long long>(map_case(std::u32string(1, static_cast<char32_t>(small(s))), true)[0]));
    if (!s.is_list()) function_clause();  // the old string functions take chars and strings only
    text t = text_arg(s);
    return same_kind(t, map_case(t.cps, true));
  });
  x.add("string", "to_lower", [](term s) {
    if (s.is_integer()) return term(static_cast<long long>(map_case(std::u32string(1, static_cast<char32_t>(small(s))), false)[0]));
    if (!s.is_list()) function_clause();
    text t = text_arg(s);
    return same_kind(t, map_case(t.cps, false));
  });
  x.add("string", "trim", [](term s) { text t = text_arg(s); return same_kind(t, trim(t.cps, a_both, nullptr)); });
  x.add("string", "trim", [](term s, term dir) {
    text t = text_arg(s);
    return same_kind(t, trim(t.cps, where_arg(dir), nullptr));
  });
  x.add("string", "trim", [](term s, term dir, term chars) {
    text t = text_arg(s);
    std::u32string cs = chardata(chars, atoms::badarg);
    return same_kind(t, trim(t.cps, where_arg(dir), &cs));
  });
  x.add("string", "split", [](term s, term pat) {
    text t = text_arg(s);
    return parts_term(t, split(t.cps, text_arg(pat).cps, a_leading));
  });
  x.add("string", "split", [](term s, term pat, term where) {
    text t = text_arg(s);
    return parts_term(t, split(t.cps, text_arg(pat).cps, where_arg(where)));
  });
  x.add("string", "lexemes", [](term s, term seps) {
    text t = text_arg(s);
    std::u32string sep = chardata(seps, atoms::badarg);
    std::vector<std::u32string> parts;
    std::u32string cur;
    for (char32_t c : t.cps) {
      if (sep.find(c) != std::u32string::npos) {
        if (!cur.empty()) parts.push_back(std::move(cur));
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) parts.push_back(std::move(cur));
    return parts_term(t, parts);
  });
  x.add("string", "tokens", [](term s, term seps) {
    text t = text_arg(s);
    std::u32string sep = chardata(seps, atoms::badarg);
    std::vector<std::u32string> parts;
    std::u32string cur;
    for (char32_t c : t.cps) {
      if (sep.find(c) != std::u32string::npos) {
        if (!cur.empty()) parts.push_back(std::move(cur));
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) parts.push_back(std::move(cur));
    return parts_term(text{{}, false}, parts);
  });
  x.add("string", "find", [](term s, term p) { return find(s, p, a_leading); });
  x.add("string", "find", [](term s, term p, term dir) { return find(s, p, where_arg(dir)); });
  x.add("string", "replace", [](term s, term p, term r) { return replace(s, p, r, a_leading); });
  x.add("string", "replace", [](term s, term p, term r, term w) { return replace(s, p, r, where_arg(w)); });
  x.add("string", "slice", [](term s, term start) { return slice(s, start, atom("infinity")); });
  x.add("string", "slice", [](term s, term start, term len) { return slice(s, start, len); });
  x.add("string", "pad", [](term s, term n) { return pad(s, n, a_trailing, U' '); });
  x.add("string", "pad", [](term s, term n, term dir) { return pad(s, n, where_arg(dir), U' '); });
  x.add("string", "pad", [](term s, term n, term dir, term c) {
    return pad(s, n, where_arg(dir), static_cast<char32_t>(small(c)));
  });
  x.add("string", "join", [](term l, term sep) {
    std::vector<term> out;
    auto xs = proper(l);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (i) {
        auto ss = proper(sep);
        out.insert(out.end(), ss.begin(), ss.end());
      }
      auto es = proper(xs[i]);
      out.insert(out.end(), es.begin(), es.end());
    }
    return term::list(std::move(out));
  });
  x.add("string", "equal", [](term p, term q) { return boolean(text_arg(p).cps == text_arg(q).cps); });
  x.add("string", "to_integer", [](term s) {
    text t = text_arg(s);
    std::size_t i = 0;
    if (i < t.cps.size() && (t.cps[i] == '-' || t.cps[i] == '+')) ++i;
    std::size_t d = i;
    while (d < t.cps.size() && t.cps[d] >= '0' && t.cps[d] <= '9') ++d;
    if (d == i) return tuple_of(atoms::error, atom("no_integer"));
    std::string digits = utf8(std::u32string_view(t.cps).substr(t.cps[0] == '+' ? 1 : 0, d - (t.cps[0] == '+' ? 1 : 0)));
    return tuple_of(*term::integer_from_string(digits), same_kind(t, std::u32string_view(t.cps).substr(d)));
  });

  // ---- math ----------------------------------------------------------------------------------
  x.add("math", "pi", [] { return term(std::numbers::pi); });
  add_math1<d_sqrt>(x, "sqrt");
  add_math1<d_exp>(x, "exp");
  add_math1<d_log>(x, "log");
  add_math1<d_log2>(x, "log2");
  add_math1<d_log10>(x, "log10");
  add_math1<d_sin>(x, "sin");
  add_math1<d_cos>(x, "cos");
  add_math1<d_tan>(x, "tan");
  add_math1<d_asin>(x, "asin");
  add_math1<d_acos>(x, "acos");
  add_math1<d_atan>(x, "atan");
  add_math1<d_sinh>(x, "sinh");
  add_math1<d_cosh>(x, "cosh");
  add_math1<d_tanh>(x, "tanh");
  add_math1<d_floor>(x, "floor");
  add_math1<d_ceil>(x, "ceil");
  x.add("math", "pow", [](term b, term e) { return math_result(std::pow(num(b), num(e))); });
  x.add("math", "atan2", [](term y, term xx) { return math_result(std::atan2(num(y), num(xx))); });
  x.add("math", "fmod", [](term p, term q) { return math_result(std::fmod(num(p), num(q))); });

  // ---- timer ---------------------------------------------------------------------------------
  x.add("timer", "tc", [](process& self, term f) -> task<term> {
    co_return co_await timed(self, std::move(f), std::vector<term>());
  });
  x.add("timer", "tc", [](process& self, term f, term args) -> task<term> {
    auto xs = proper_or(args, atoms::badarg);
    co_return co_await timed(self, std::move(f), std::vector<term>(xs.begin(), xs.end()));
  });
  x.add("timer", "tc", [](process& self, term m, term f, term args) -> task<term> {
    auto xs = proper_or(args, atoms::badarg);
    if (!m.is_atom() || !f.is_atom()) badarg();
    term fun = term::export_fun(m.atom_value(), f.atom_value(), static_cast<std::uint32_t>(xs.size()));
    co_return co_await timed(self, std::move(fun), std::vector<term>(xs.begin(), xs.end()));
  });
  x.add("timer", "seconds", [](term n) { return mul(n, term(1000)); });
  x.add("timer", "minutes", [](term n) { return mul(n, term(60000)); });
  x.add("timer", "hours", [](term n) { return mul(n, term(3600000)); });
}

}  // namespace otpp::code::lib
