// The `erlang` BIFs interpreted code calls beyond the evaluator's core (operators, type tests,
// send, apply, error/exit/throw) and beyond otp::add_builtins: conversions, tuples, lists,
// binaries, processes (spawn of funs and MFAs, links, monitors, names), timers and time.
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include "code/modules/support.hpp"
#include "otpp/code/fun_call.hpp"
#include "otpp/otp/io_format.hpp"
#include "otpp/otp/rpc.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"

namespace otpp::code::lib {

namespace {

// One item of erlang:fun_info/2. A closure's name is not kept here; its index stands for it.
term fun_info_item(const fun_value& v, atom item) {
  std::string_view k = item.name();
  if (k == "arity") return integer(static_cast<std::int64_t>(v.arity));
  if (k == "module") return v.module;
  if (k == "type") return atom(v.is_export ? "external" : "local");
  if (k == "name") return v.is_export ? v.function : atom("-fun-" + std::to_string(v.index) + "-");
  if (k == "env") return v.is_export ? term() : term::list(v.free_vars);
  if (k == "index" || k == "new_index") return v.is_export ? term(atoms::undefined) : integer(static_cast<std::int64_t>(v.index));
  if (k == "pid") return v.is_export ? term(atoms::undefined) : term(v.creator);
  if (k == "refs" || k == "uniq" || k == "new_uniq") return atoms::undefined;
  badarg();
}

std::mt19937_64& random_engine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

const atom a_apply("apply");
const atom a_trap_exit("trap_exit");
const atom a_flush("flush");
const atom a_info("info");
const atom a_compressed("compressed");
const atom a_decimals("decimals");
const atom a_scientific("scientific");
const atom a_compact("compact");
const atom a_short("short");
const atom a_utf8("utf8");

// ---- conversions ---------------------------------------------------------------------------

// A string (list of code points) as UTF-8; badarg when it is not one.
std::string string_arg(const term& l) {
  std::u32string cps;
  for (const term& c : proper_or(l, atoms::badarg)) {
    auto v = c.to_int64();
    if (!v || *v < 0 || *v > 0x10FFFF) badarg();
    cps.push_back(static_cast<char32_t>(*v));
  }
  return utf8(cps);
}

term make_atom(const std::string& text) {
  if (io::from_utf8(text).value_or(U"").size() > 255) fail(atoms::system_limit);
  return atom(text);
}

int base_arg(const term& b) {
  auto v = small(b);
  if (v < 2 || v > 36) badarg();
  return static_cast<int>(v);
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

term parse_integer(const std::string& text, int base) {
  if (text.empty()) badarg();
  std::string_view digits = text;
  if (digits[0] == '+' || digits[0] == '-') digits.remove_prefix(1);
  if (digits.empty()) badarg();
  auto v = term::integer_from_string(text[0] == '+' ? std::string_view(text).substr(1) : text, base);
  if (!v) badarg();
  return *v;
}

term parse_float(const std::string& text) {
  // Erlang wants digits '.' digits, an optional exponent, an optional sign in front.
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t s = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > s;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  if (!digits() || i >= text.size() || text[i] != '.') badarg();
  ++i;
  if (!digits()) badarg();
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) badarg();
  }
  if (i != text.size()) badarg();
  double d = std::strtod(text.c_str(), nullptr);
  if (!std::isfinite(d)) badarg();
  return term(d);
}

std::string float_text(const term& f, const term& opts) {
  if (!f.is_float()) badarg();
  double d = f.float_value();
  char buf[512];
  int decimals = -1, scientific = 20;
  bool compact = false, shortest = false;
  for (const term& o : proper_or(opts, atoms::badarg)) {
    if (o.is_tagged_tuple(a_decimals, 2)) {
      auto n = small(o[1]);
      if (n < 0 || n > 253) badarg();
      decimals = static_cast<int>(n);
    } else if (o.is_tagged_tuple(a_scientific, 2)) {
      auto n = small(o[1]);
      if (n < 0 || n > 249) badarg();
      scientific = static_cast<int>(n);
      decimals = -1;
    } else if (o.is_atom(a_compact)) {
      compact = true;
    } else if (o.is_atom(a_short)) {
      shortest = true;
    } else {
      badarg();
    }
  }
  if (shortest) return format_float(d);
  if (decimals >= 0) {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
    std::string s = buf;
    if (compact && s.find('.') != std::string::npos) {
      while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
    }
    return s;
  }
  std::snprintf(buf, sizeof buf, "%.*e", scientific, d);
  return buf;
}

// ---- binaries and iolists ------------------------------------------------------------------

void iolist_into(const term& t, std::string& out, int depth) {
  if (depth > 100000) badarg();
  if (t.is_binary()) {
    out.append(t.bytes_as_string());
    return;
  }
  if (!t.is_list()) badarg();
  for (const term& e : t.list_elements()) {
    if (e.is_small_integer()) {
      auto b = e.small_integer();
      if (b < 0 || b > 255) badarg();
      out.push_back(static_cast<char>(b));
    } else {
      iolist_into(e, out, depth + 1);
    }
  }
  const term& tail = t.list_tail();
  if (!tail.is_nil()) {
    if (!tail.is_binary()) badarg();
    out.append(tail.bytes_as_string());
  }
}

std::string iolist(const term& t) {
  std::string out;
  iolist_into(t, out, 0);
  return out;
}

term bytes_list(std::string_view bytes) {
  std::vector<term> out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) out.emplace_back(static_cast<int>(c));
  return term::list(std::move(out));
}

// ---- tuples --------------------------------------------------------------------------------

std::size_t index_arg(const term& n, std::size_t limit) {
  auto i = n.to_int64();
  if (!i || *i < 1 || static_cast<std::size_t>(*i) > limit) badarg();
  return static_cast<std::size_t>(*i - 1);
}

const term& tuple_arg(const term& t) {
  if (!t.is_tuple()) badarg();
  return t;
}

std::vector<term> elements(const term& t) {
  auto e = tuple_arg(t).elements();
  return {e.begin(), e.end()};
}

// ---- numbers -------------------------------------------------------------------------------

term round_with(const term& x, double (*fn)(double)) {
  if (x.is_integer()) return x;
  if (!x.is_float()) badarg();
  return integer_from_double(fn(x.float_value()));
}

// ---- processes -----------------------------------------------------------------------------

const pid& pid_arg(const term& p) {
  if (!p.is_pid()) badarg();
  return p.pid_value();
}

atom atom_arg(const term& a) {
  if (!a.is_atom()) badarg();
  return a.atom_value();
}

// What a process spawned for `fun` runs: an export fun's function, anything else through
// erlang:apply/2 (the evaluator's, for erl_eval closures).
std::tuple<atom, atom, std::vector<term>> fun_mfa(const term& fun) {
  if (!is_fun(fun, 0)) badarg();
  const fun_value& f = fun.fun_content();
  if (f.is_export) return {f.module, f.function, {}};
  return {atoms::erlang, a_apply, {fun, term()}};
}

task<spawned> spawn_mfa(process& self, atom node, atom m, atom f, std::vector<term> args,
                        bool link, bool monitor) {
  if (node == self.rt().node()) {
    spawn_options o;
    o.link = link;
    o.monitor = monitor;
    co_return self.spawn_opt(o, exports_of(self).spawn_body(m, f, std::move(args)));
  }
  co_return co_await remote::spawn_opt(self, node, m, f, std::move(args), link, monitor);
}

task<term> spawn_fun(process& self, atom node, term fun, bool link, bool monitor) {
  auto [m, f, args] = fun_mfa(fun);
  spawned s = co_await spawn_mfa(self, node, m, f, std::move(args), link, monitor);
  if (monitor) co_return tuple_of(s.pid, *s.monitor);
  co_return term(s.pid);
}

task<term> spawn_args(process& self, atom node, term m, term f, term args, bool link,
                      bool monitor) {
  auto xs = proper_or(args, atoms::badarg);
  spawned s = co_await spawn_mfa(self, node, atom_arg(m), atom_arg(f),
                                 std::vector<term>(xs.begin(), xs.end()), link, monitor);
  if (monitor) co_return tuple_of(s.pid, *s.monitor);
  co_return term(s.pid);
}

}  // namespace

void add_erlang(export_table& x) {
  // ---- conversions ---------------------------------------------------------------------------
  x.add("erlang", "atom_to_list", [](term a) { return term::string(atom_arg(a).name()); });
  x.add("erlang", "list_to_atom", [](term l) { return make_atom(string_arg(l)); });
  x.add("erlang", "list_to_existing_atom", [](term l) { return make_atom(string_arg(l)); });
  x.add("erlang", "atom_to_binary", [](term a) { return bin(atom_arg(a).name()); });
  x.add("erlang", "atom_to_binary", [](term a, term /*encoding*/) { return bin(atom_arg(a).name()); });
  x.add("erlang", "binary_to_atom", [](term b) {
    if (!b.is_binary() || !io::from_utf8(b.bytes_as_string())) badarg();
    return make_atom(std::string(b.bytes_as_string()));
  });
  x.add("erlang", "binary_to_atom", [](term b, term enc) {
    if (!b.is_binary()) badarg();
    if (enc.is_atom(atoms::latin1)) {
      std::u32string cps;
      for (unsigned char c : b.bytes_as_string()) cps.push_back(c);
      return make_atom(utf8(cps));
    }
    if (!io::from_utf8(b.bytes_as_string())) badarg();
    return make_atom(std::string(b.bytes_as_string()));
  });
  x.add("erlang", "binary_to_existing_atom", [](term b, term) {
    if (!b.is_binary() || !io::from_utf8(b.bytes_as_string())) badarg();
    return make_atom(std::string(b.bytes_as_string()));
  });
  x.add("erlang", "integer_to_list", [](term i) {
    if (!i.is_integer()) badarg();
    return term::string(i.integer_to_string());
  });
  x.add("erlang", "integer_to_list", [](term i, term b) {
    if (!i.is_integer()) badarg();
    return term::string(upper(i.integer_to_string(base_arg(b))));
  });
  x.add("erlang", "integer_to_binary", [](term i) {
    if (!i.is_integer()) badarg();
    return bin(i.integer_to_string());
  });
  x.add("erlang", "integer_to_binary", [](term i, term b) {
    if (!i.is_integer()) badarg();
    return bin(upper(i.integer_to_string(base_arg(b))));
  });
  x.add("erlang", "list_to_integer", [](term l) { return parse_integer(string_arg(l), 10); });
  x.add("erlang", "list_to_integer",
        [](term l, term b) { return parse_integer(string_arg(l), base_arg(b)); });
  x.add("erlang", "binary_to_integer", [](term b) {
    if (!b.is_binary()) badarg();
    return parse_integer(std::string(b.bytes_as_string()), 10);
  });
  x.add("erlang", "binary_to_integer", [](term b, term base) {
    if (!b.is_binary()) badarg();
    return parse_integer(std::string(b.bytes_as_string()), base_arg(base));
  });
  x.add("erlang", "float_to_list", [](term f) { return term::string(float_text(f, term())); });
  x.add("erlang", "float_to_list", [](term f, term o) { return term::string(float_text(f, o)); });
  x.add("erlang", "float_to_binary", [](term f) { return bin(float_text(f, term())); });
  x.add("erlang", "float_to_binary", [](term f, term o) { return bin(float_text(f, o)); });
  x.add("erlang", "list_to_float", [](term l) { return parse_float(string_arg(l)); });
  x.add("erlang", "binary_to_float", [](term b) {
    if (!b.is_binary()) badarg();
    return parse_float(std::string(b.bytes_as_string()));
  });
  x.add("erlang", "float", [](term n) {
    if (!n.is_number()) badarg();
    return term(to_double(n));
  });
  x.add("erlang", "term_to_binary", [](term t) { return term::binary(etf::encode(t)); });
  x.add("erlang", "term_to_binary", [](term t, term opts) {
    etf::encode_options o;
    for (const term& opt : proper_or(opts, atoms::badarg)) {
      if (opt.is_atom(a_compressed)) o.compressed = true;
      else if (opt.is_tagged_tuple(a_compressed, 2)) {
        o.compressed = true;
        o.compression_level = static_cast<int>(small(opt[1]));
      }
    }
    return term::binary(etf::encode(t, o));
  });
  x.add("erlang", "binary_to_term", [](term b) {
    if (!b.is_binary()) badarg();
    auto r = etf::decode(b.bytes());
    if (!r.ok()) badarg();
    return r.value();
  });
  x.add("erlang", "binary_to_term", [](term b, term) {
    if (!b.is_binary()) badarg();
    auto r = etf::decode(b.bytes());
    if (!r.ok()) badarg();
    return r.value();
  });

  // ---- tuples and lists ----------------------------------------------------------------------
  x.add("erlang", "element", [](term n, term t) {
    return tuple_arg(t)[index_arg(n, tuple_arg(t).tuple_size())];
  });
  x.add("erlang", "setelement", [](term n, term t, term v) {
    auto e = elements(t);
    e[index_arg(n, e.size())] = std::move(v);
    return term::tuple(std::move(e));
  });
  x.add("erlang", "tuple_size", [](term t) { return integer(tuple_arg(t).tuple_size()); });
  x.add("erlang", "tuple_to_list", [](term t) { return term::list(elements(t)); });
  x.add("erlang", "list_to_tuple", [](term l) {
    auto xs = proper_or(l, atoms::badarg);
    return term::tuple(std::vector<term>(xs.begin(), xs.end()));
  });
  x.add("erlang", "make_tuple", [](term n, term v) {
    auto k = small(n);
    if (k < 0 || k > (1 << 24)) badarg();
    return term::tuple(std::vector<term>(static_cast<std::size_t>(k), v));
  });
  x.add("erlang", "append_element", [](term t, term v) {
    auto e = elements(t);
    e.push_back(std::move(v));
    return term::tuple(std::move(e));
  });
  x.add("erlang", "insert_element", [](term n, term t, term v) {
    auto e = elements(t);
    std::size_t i = index_arg(n, e.size() + 1);
    e.insert(e.begin() + static_cast<std::ptrdiff_t>(i), std::move(v));
    return term::tuple(std::move(e));
  });
  x.add("erlang", "delete_element", [](term n, term t) {
    auto e = elements(t);
    std::size_t i = index_arg(n, e.size());
    e.erase(e.begin() + static_cast<std::ptrdiff_t>(i));
    return term::tuple(std::move(e));
  });
  x.add("erlang", "hd", [](term l) {
    if (!l.is_list() || l.is_nil()) badarg();
    return l.list_elements()[0];
  });
  x.add("erlang", "tl", [](term l) {
    if (!l.is_list() || l.is_nil()) badarg();
    return l.list_nthtail(1);
  });

  // ---- numbers and order ---------------------------------------------------------------------
  x.add("erlang", "abs", [](term n) {
    if (!n.is_number()) badarg();
    if (n.is_float()) return term(std::fabs(n.float_value()));
    return n.integer_is_negative() ? negate(n) : n;
  });
  x.add("erlang", "trunc", [](term n) { return round_with(n, std::trunc); });
  x.add("erlang", "round", [](term n) { return round_with(n, std::round); });
  x.add("erlang", "floor", [](term n) { return round_with(n, std::floor); });
  x.add("erlang", "ceil", [](term n) { return round_with(n, std::ceil); });
  x.add("erlang", "max", [](term p, term q) { return compare(p, q) < 0 ? q : p; });
  x.add("erlang", "min", [](term p, term q) { return compare(p, q) > 0 ? q : p; });
  x.add("erlang", "phash2", [](term t) { return integer(static_cast<std::int64_t>(t.hash() % (1u << 27))); });
  x.add("erlang", "phash2", [](term t, term range) {
    auto r = small(range);
    if (r < 1) badarg();
    return integer(static_cast<std::int64_t>(t.hash() % static_cast<std::uint64_t>(r)));
  });
  // ---- funs ----------------------------------------------------------------------------------
  x.add("erlang", "make_fun", [](term m, term f, term a) {
    if (!m.is_atom() || !f.is_atom() || !a.is_small_integer() || a.small_integer() < 0 || a.small_integer() > 255) badarg();
    return term::export_fun(m.atom_value(), f.atom_value(), static_cast<std::uint32_t>(a.small_integer()));
  });
  x.add("erlang", "fun_info", [](term f, term item) {
    if (!f.is_fun() || !item.is_atom()) badarg();
    return tuple_of(item, fun_info_item(f.fun_content(), item.atom_value()));
  });
  x.add("erlang", "fun_info", [](term f) {
    if (!f.is_fun()) badarg();
    const fun_value& v = f.fun_content();
    std::vector<term> items;
    for (const char* k : {"module", "name", "arity", "env", "type"})
      items.push_back(tuple_of(atom(k), fun_info_item(v, atom(k))));
    return term::list(std::move(items));
  });

  // rand:uniform/0,1 from a generator per thread, seeded once.
  x.add("rand", "uniform", []() { return term(std::uniform_real_distribution<double>(0.0, 1.0)(random_engine())); });
  x.add("rand", "uniform", [](term n) {
    if (!n.is_small_integer() || n.small_integer() < 1) function_clause();
    std::int64_t high = n.small_integer();
    return integer(std::uniform_int_distribution<std::int64_t>(1, high)(random_engine()));
  });

  // ---- maps ----------------------------------------------------------------------------------
  x.add("erlang", "map_size", [](term m) {
    if (!m.is_map()) fail(tuple_of(a::badmap, m));
    return integer(m.map_entries().size());
  });
  x.add("erlang", "map_get", [](term k, term m) {
    if (!m.is_map()) fail(tuple_of(a::badmap, m));
    const term* v = m.map_find(k);
    if (!v) fail(tuple_of(a::badkey, k));
    return *v;
  });
  x.add("erlang", "is_map_key", [](term k, term m) {
    if (!m.is_map()) fail(tuple_of(a::badmap, m));
    return boolean(m.map_find(k) != nullptr);
  });

  // ---- binaries ------------------------------------------------------------------------------
  x.add("erlang", "iolist_to_binary", [](term t) { return bin(iolist(t)); });
  x.add("erlang", "list_to_binary", [](term t) {
    if (!t.is_list()) badarg();
    return bin(iolist(t));
  });
  x.add("erlang", "iolist_size", [](term t) { return integer(iolist(t).size()); });
  x.add("erlang", "binary_to_list", [](term b) {
    if (!b.is_binary()) badarg();
    return bytes_list(b.bytes_as_string());
  });
  x.add("erlang", "binary_to_list", [](term b, term s, term e) {
    if (!b.is_binary()) badarg();
    auto bytes = b.bytes_as_string();
    auto from = small(s), to = small(e);
    if (from < 1 || to < from || static_cast<std::size_t>(to) > bytes.size()) badarg();
    return bytes_list(bytes.substr(static_cast<std::size_t>(from - 1),
                                   static_cast<std::size_t>(to - from + 1)));
  });
  x.add("erlang", "byte_size", [](term b) {
    if (!b.is_bitstring()) badarg();
    return integer((b.bit_size() + 7) / 8);
  });
  x.add("erlang", "bit_size", [](term b) {
    if (!b.is_bitstring()) badarg();
    return integer(b.bit_size());
  });
  x.add("erlang", "binary_part", [](term b, term pos, term len) {
    if (!b.is_binary()) badarg();
    auto p = small(pos), l = small(len);
    if (l < 0) {
      p += l;
      l = -l;
    }
    if (p < 0 || static_cast<std::size_t>(p + l) > b.bytes().size()) badarg();
    return b.binary_slice(static_cast<std::size_t>(p), static_cast<std::size_t>(l));
  });
  x.add("erlang", "split_binary", [](term b, term pos) {
    if (!b.is_binary()) badarg();
    auto p = small(pos);
    if (p < 0 || static_cast<std::size_t>(p) > b.bytes().size()) badarg();
    auto n = static_cast<std::size_t>(p);
    return tuple_of(b.binary_slice(0, n), b.binary_slice(n, b.bytes().size() - n));
  });

  // ---- processes -----------------------------------------------------------------------------
  x.add("erlang", "node", [](term t) {
    if (t.is_pid()) return term(t.pid_value().node);
    if (t.is_reference()) return term(t.reference_value().node);
    if (t.is_port()) return term(t.port_value().node);
    badarg();
  });
  x.add("erlang", "register", [](process& self, term name, term p) -> task<term> {
    atom n = atom_arg(name);
    if (n == atoms::undefined || !self.rt().register_name(n, pid_arg(p))) badarg();
    co_return atoms::true_;
  });
  x.add("erlang", "unregister", [](process& self, term name) -> task<term> {
    if (!self.rt().unregister_name(atom_arg(name))) badarg();
    co_return atoms::true_;
  });
  x.add("erlang", "group_leader", [](process& self) -> task<term> { co_return self.group_leader(); });
  x.add("erlang", "spawn", [](process& self, term f) -> task<term> {
    co_return co_await spawn_fun(self, self.rt().node(), std::move(f), false, false);
  });
  x.add("erlang", "spawn", [](process& self, term n, term f) -> task<term> {
    co_return co_await spawn_fun(self, atom_arg(n), std::move(f), false, false);
  });
  x.add("erlang", "spawn", [](process& self, term m, term f, term a) -> task<term> {
    co_return co_await spawn_args(self, self.rt().node(), m, f, a, false, false);
  });
  x.add("erlang", "spawn", [](process& self, term n, term m, term f, term a) -> task<term> {
    co_return co_await spawn_args(self, atom_arg(n), m, f, a, false, false);
  });
  x.add("erlang", "spawn_link", [](process& self, term f) -> task<term> {
    co_return co_await spawn_fun(self, self.rt().node(), std::move(f), true, false);
  });
  x.add("erlang", "spawn_link", [](process& self, term n, term f) -> task<term> {
    co_return co_await spawn_fun(self, atom_arg(n), std::move(f), true, false);
  });
  x.add("erlang", "spawn_link", [](process& self, term m, term f, term a) -> task<term> {
    co_return co_await spawn_args(self, self.rt().node(), m, f, a, true, false);
  });
  x.add("erlang", "spawn_link", [](process& self, term n, term m, term f, term a) -> task<term> {
    co_return co_await spawn_args(self, atom_arg(n), m, f, a, true, false);
  });
  x.add("erlang", "spawn_monitor", [](process& self, term f) -> task<term> {
    co_return co_await spawn_fun(self, self.rt().node(), std::move(f), false, true);
  });
  x.add("erlang", "spawn_monitor", [](process& self, term m, term f, term a) -> task<term> {
    co_return co_await spawn_args(self, self.rt().node(), m, f, a, false, true);
  });
  x.add("erlang", "spawn_monitor", [](process& self, term n, term f) -> task<term> {
    co_return co_await spawn_fun(self, atom_arg(n), std::move(f), false, true);
  });
  x.add("erlang", "spawn_monitor", [](process& self, term n, term m, term f, term a) -> task<term> {
    co_return co_await spawn_args(self, atom_arg(n), m, f, a, false, true);
  });
  x.add("erlang", "link", [](process& self, term p) -> task<term> {
    self.link(pid_arg(p));
    co_return atoms::true_;
  });
  x.add("erlang", "unlink", [](process& self, term p) -> task<term> {
    self.unlink(pid_arg(p));
    co_return atoms::true_;
  });
  x.add("erlang", "monitor", [](process& self, term type, term target) -> task<term> {
    if (!type.is_atom(atoms::process)) badarg();
    if (target.is_pid()) co_return self.monitor(target.pid_value());
    if (target.is_atom()) co_return self.monitor(target.atom_value());
    if (target.is_tuple() && target.tuple_size() == 2 && target[0].is_atom() && target[1].is_atom())
      co_return self.monitor(target[0].atom_value(), target[1].atom_value());
    badarg();
  });
  x.add("erlang", "demonitor", [](process& self, term ref) -> task<term> {
    if (!ref.is_reference()) badarg();
    (void)self.demonitor(ref.reference_value());
    co_return atoms::true_;
  });
  x.add("erlang", "demonitor", [](process& self, term ref, term opts) -> task<term> {
    if (!ref.is_reference()) badarg();
    bool flush = false, info = false;
    for (const term& o : proper_or(opts, atoms::badarg)) {
      if (o.is_atom(a_flush)) flush = true;
      else if (o.is_atom(a_info)) info = true;
      else badarg();
    }
    bool was = self.demonitor(ref.reference_value(), flush);
    co_return info ? boolean(was) : term(atoms::true_);
  });
  x.add("erlang", "exit", [](process& self, term p, term reason) -> task<term> {
    self.exit(pid_arg(p), std::move(reason));
    co_return atoms::true_;
  });
  x.add("erlang", "process_flag", [](process& self, term flag, term value) -> task<term> {
    if (!flag.is_atom(a_trap_exit)) badarg();
    if (!value.is_atom(atoms::true_) && !value.is_atom(atoms::false_)) badarg();
    co_return boolean(self.trap_exit(value.is_atom(atoms::true_)));
  });
  x.add("erlang", "make_ref", [](process& self) -> task<term> { co_return self.make_ref(); });
  x.add("erlang", "send_after", [](process& self, term t, term dest, term msg) -> task<term> {
    auto ms = small(t);
    if (ms < 0) badarg();
    pid to;
    if (dest.is_pid()) {
      to = dest.pid_value();
    } else {
      auto p = self.rt().whereis(atom_arg(dest));
      if (!p) badarg();
      to = *p;
    }
    co_return self.send_after(std::chrono::milliseconds(ms), to, std::move(msg));
  });
  x.add("erlang", "start_timer", [](process& self, term t, term dest, term msg) -> task<term> {
    auto ms = small(t);
    if (ms < 0) badarg();
    co_return self.start_timer(std::chrono::milliseconds(ms), pid_arg(dest), std::move(msg));
  });
  x.add("erlang", "cancel_timer", [](process& self, term ref) -> task<term> {
    if (!ref.is_reference()) badarg();
    auto left = self.cancel_timer(ref.reference_value());
    term out = atoms::false_;
    if (left) out = integer(static_cast<std::int64_t>(left->count()));
    co_return out;
  });
  x.add("erlang", "garbage_collect", [] { return term(atoms::true_); });

  // ---- time ----------------------------------------------------------------------------------
  x.add("erlang", "system_time", [] { return integer(since_epoch().count()); });
  x.add("erlang", "system_time", [](term unit) { return integer(time_in(since_epoch(), unit)); });
  x.add("os", "system_time", [] { return integer(since_epoch().count()); });
  x.add("os", "system_time", [](term unit) { return integer(time_in(since_epoch(), unit)); });
  x.add("erlang", "monotonic_time", [](process& self) -> task<term> {
    co_return integer(monotonic(self).count());
  });
  x.add("erlang", "monotonic_time", [](process& self, term unit) -> task<term> {
    co_return integer(time_in(monotonic(self), unit));
  });
  x.add("erlang", "timestamp", [] {
    auto us = since_epoch().count() / 1000;
    return tuple_of(integer(us / 1000000000000), integer(us / 1000000 % 1000000),
                    integer(us % 1000000));
  });
}

}  // namespace otpp::code::lib
