// Elixir's Kernel functions that stay remote calls after lowering, and the IO, String.Chars,
// String, Map, Integer, Process and Node modules, as Elixir 1.14 behaves.
#include <chrono>

#include "code/modules/support.hpp"
#include "otpp/code/fun_call.hpp"
#include "otpp/dist/engine.hpp"
#include "otpp/otp/io.hpp"
#include "otpp/otp/io_format.hpp"
#include "otpp/otp/services.hpp"
#include "otpp/term/map_order.hpp"

namespace otpp::code::lib {

namespace {

const atom a_trap_exit("trap_exit");
const atom a_stdio("stdio");
const atom a_stderr("stderr");
const atom a_global("global");
const atom a_trim("trim");
const atom a_parts("parts");
const atom a_ping_done("$otpp_ping_done");

std::string binary_arg(const term& t) {
  if (!t.is_binary()) badarg();
  return std::string(t.bytes_as_string());
}

std::u32string chars_of(const term& t) { return binary_chars(t, atoms::badarg); }

term keyword_get(const term& opts, atom key) {
  if (!opts.is_list()) return atoms::nil;
  for (const term& o : opts.list_elements())
    if (o.is_tuple() && o.tuple_size() == 2 && o[0].is_atom(key)) return o[1];
  return atoms::nil;
}

// Inspect.Opts.new(opts): Elixir's defaults (limit 50, printable_limit 4096, width 80) and the
// layout options given. IO.inspect lays out to the width whether `pretty` is given or not.
print_options inspect_options(const term& opts, bool io_inspect) {
  print_options o(syntax::elixir);
  o.limit = 50;
  o.printable_limit = 4096;
  o.pretty = io_inspect;
  auto count = [&](const char* key, std::size_t& field) {
    const term v = keyword_get(opts, atom(key));
    if (v.is_atom(atom("infinity"))) {
      field = print_options::infinity;
    } else if (auto n = v.to_int64(); v.is_integer() && n && *n >= 0) {
      field = static_cast<std::size_t>(*n);
    }
  };
  count("limit", o.limit);
  count("printable_limit", o.printable_limit);
  count("width", o.width);
  if (!io_inspect && keyword_get(opts, atom("pretty")).is_atom(atoms::true_)) o.pretty = true;
  return o;
}

// IO.inspect's line: `label: value` when the options carry a label.
std::string labelled(const term& t, const term& opts) {
  term label = keyword_get(opts, atom("label"));
  std::string prefix = label.is_atom(atoms::nil) ? std::string() : elixir_to_string(label) + ": ";
  return prefix + to_string(t, inspect_options(opts, true)) + "\n";
}

pid io_device(process& self, const term& d) {
  if (d.is_pid()) return d.pid_value();
  if (d.is_atom(a_stdio)) return self.group_leader();
  auto p = self.rt().whereis(d.is_atom(a_stderr) ? atoms::user : (d.is_atom() ? d.atom_value() : atoms::badarg));
  if (!p) badarg();
  return *p;
}

task<term> put(process& self, pid dev, std::string text) {
  term reply = co_await io::request(self, dev, io::put_chars_request(text));
  if (!reply.is_atom(atoms::ok)) badarg();
  co_return atoms::ok;
}

bool space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85 ||
         c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

std::u32string trim(std::u32string s, bool lead, bool trail) {
  if (lead) {
    std::size_t i = 0;
    while (i < s.size() && space(s[i])) ++i;
    s.erase(0, i);
  }
  if (trail)
    while (!s.empty() && space(s.back())) s.pop_back();
  return s;
}

// Simple case mapping for ASCII and Latin-1 letters (the rest unchanged).
std::u32string map_case(std::u32string s, bool up) {
  for (char32_t& c : s) {
    if (up && ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))) c -= 32;
    else if (!up && ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))) c += 32;
  }
  return s;
}

// The patterns of String.split/replace/contains?: one binary or a list of binaries.
std::vector<std::string> patterns(const term& p) {
  if (p.is_binary()) return {std::string(p.bytes_as_string())};
  std::vector<std::string> out;
  for (const term& t : proper_or(p, atoms::badarg)) out.push_back(binary_arg(t));
  return out;
}

// The earliest match of any pattern at or after `from`: (position, length), or npos.
std::pair<std::size_t, std::size_t> first_match(std::string_view s, const std::vector<std::string>& ps,
                                                std::size_t from) {
  std::pair<std::size_t, std::size_t> best{std::string::npos, 0};
  for (const auto& p : ps) {
    if (p.empty()) continue;
    auto at = s.find(p, from);
    if (at != std::string::npos && (at < best.first || (at == best.first && p.size() > best.second)))
      best = {at, p.size()};
  }
  return best;
}

term split(const std::string& s, const term& pat, const term& opts) {
  auto ps = patterns(pat);
  bool drop_empty = keyword_get(opts, a_trim).is_atom(atoms::true_);
  term parts_opt = keyword_get(opts, a_parts);
  std::int64_t parts = parts_opt.is_small_integer() ? parts_opt.small_integer() : -1;
  std::vector<term> out;
  std::vector<std::string> pieces;
  bool any_empty_pattern = std::any_of(ps.begin(), ps.end(), [](const std::string& p) { return p.empty(); });
  if (any_empty_pattern && ps.size() == 1) {
    // "" splits into code points, with "" at both ends.
    pieces.emplace_back();
    for (char32_t c : io::from_utf8(s).value_or(U"")) pieces.push_back(utf8(std::u32string(1, c)));
    pieces.emplace_back();
  } else {
    std::size_t from = 0;
    for (;;) {
      if (parts > 0 && static_cast<std::int64_t>(pieces.size()) == parts - 1) break;
      auto [at, len] = first_match(s, ps, from);
      if (at == std::string::npos) break;
      pieces.push_back(s.substr(from, at - from));
      from = at + len;
    }
    pieces.push_back(s.substr(from));
  }
  for (auto& p : pieces)
    if (!drop_empty || !p.empty()) out.push_back(bin(p));
  return term::list(std::move(out));
}

std::string replace(const std::string& s, const term& pat, const std::string& rep, bool global) {
  auto ps = patterns(pat);
  std::string out;
  std::size_t from = 0;
  for (;;) {
    auto [at, len] = first_match(s, ps, from);
    if (at == std::string::npos) break;
    out.append(s, from, at - from);
    out += rep;
    from = at + len;
    if (!global) break;
  }
  out.append(s, from, std::string::npos);
  return out;
}

term slice(const term& s, std::int64_t start, std::int64_t len) {
  auto cps = chars_of(s);
  auto n = static_cast<std::int64_t>(cps.size());
  if (start < 0) start += n;
  if (start < 0 || start > n || len < 0) return bin("");
  return bin(utf8(std::u32string_view(cps).substr(static_cast<std::size_t>(start),
                                                  static_cast<std::size_t>(std::min(len, n - start)))));
}

term parse_integer(const term& s, int base) {
  std::string text = binary_arg(s);
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::size_t d = i;
  auto digit = [base](char c) {
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
    return v < base;
  };
  while (d < text.size() && digit(text[d])) ++d;
  if (d == i) return atoms::error;
  auto v = term::integer_from_string(std::string_view(text).substr(text[0] == '+' ? 1 : 0, d - (text[0] == '+' ? 1 : 0)), base);
  return tuple_of(*v, bin(std::string_view(text).substr(d)));
}

std::string integer_text(const term& i, int base) {
  if (!i.is_integer()) badarg();
  std::string s = i.integer_to_string(base);
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

int base_arg(const term& b) {
  auto v = small(b);
  if (v < 2 || v > 36) badarg();
  return static_cast<int>(v);
}

using entries = std::vector<std::pair<term, term>>;

const term& map_arg(const term& m) {
  if (!m.is_map()) fail(tuple_of(a::badmap, m));
  return m;
}

term map_put(const term& m, const term& k, term v) {
  // Checked before either iterator is taken (argument evaluation order is unspecified).
  const auto& all = map_arg(m).map_entries();
  entries e(all.begin(), all.end());
  e.emplace_back(k, std::move(v));
  return term::map(std::move(e));
}

term map_delete(const term& m, const term& k) {
  entries e;
  for (const auto& kv : map_arg(m).map_entries())
    if (!exact_equal(kv.first, k)) e.push_back(kv);
  return term::map(std::move(e));
}

task<term> ping(process& self, atom node) {
  auto* s = otp::services_of(self.rt());
  if (node == self.rt().node()) co_return atoms::pong;
  if (!s || !s->engine()) co_return atoms::pang;
  runtime* rt = &self.rt();
  pid me = self.self();
  reference tag = self.make_ref();
  s->engine()->ping_async(node, std::chrono::seconds(10), [rt, me, tag](atom answer) {
    rt->send(me, tuple_of(a_ping_done, tag, answer));
  });
  co_return co_await self.receive(on(a_ping_done, tag, _) >> [](term r) { return r; });
}

pid pid_arg(const term& p) {
  if (!p.is_pid()) badarg();
  return p.pid_value();
}

}  // namespace

void add_elixir(export_table& x) {
  // ---- Kernel, String.Chars, IO ----------------------------------------------------------------
  x.add_elixir("Kernel", "inspect", [](term t) { return bin(to_string(t, inspect_options(term(), false))); });
  x.add_elixir("Kernel", "inspect", [](term t, term opts) { return bin(to_string(t, inspect_options(opts, false))); });
  x.add_elixir("Kernel", "to_string", [](term t) { return bin(elixir_to_string(t)); });
  x.add_elixir("Kernel", "=~", [](term s, term p) {
    std::string text = binary_arg(s);
    return boolean(text.find(binary_arg(p)) != std::string::npos);
  });
  x.add_elixir("String.Chars", "to_string", [](term t) { return bin(elixir_to_string(t)); });
  x.add_elixir("List.Chars", "to_charlist", [](term t) {
    if (t.is_list()) return t;
    return char_list(io::from_utf8(elixir_to_string(t)).value_or(U""));
  });
  x.add_elixir("IO", "inspect", [](process& self, term t, term opts) -> task<term> {
    (void)co_await put(self, self.group_leader(), labelled(t, opts));
    co_return t;
  });
  x.add_elixir("IO", "inspect", [](process& self, term dev, term t, term opts) -> task<term> {
    pid d = io_device(self, dev);
    (void)co_await put(self, d, labelled(t, opts));
    co_return t;
  });
  x.add_elixir("IO", "write", [](process& self, term t) -> task<term> {
    co_return co_await put(self, self.group_leader(), elixir_to_string(t));
  });
  x.add_elixir("IO", "write", [](process& self, term dev, term t) -> task<term> {
    pid d = io_device(self, dev);
    co_return co_await put(self, d, elixir_to_string(t));
  });

  // ---- String ----------------------------------------------------------------------------------
  const std::string_view S = "String";
  x.add_elixir(S, "upcase", [](term s) { return bin(utf8(map_case(chars_of(s), true))); });
  x.add_elixir(S, "downcase", [](term s) { return bin(utf8(map_case(chars_of(s), false))); });
  x.add_elixir(S, "capitalize", [](term s) {
    auto cps = map_case(chars_of(s), false);
    if (!cps.empty()) cps[0] = map_case(cps.substr(0, 1), true)[0];
    return bin(utf8(cps));
  });
  x.add_elixir(S, "trim", [](term s) { return bin(utf8(trim(chars_of(s), true, true))); });
  x.add_elixir(S, "trim_leading", [](term s) { return bin(utf8(trim(chars_of(s), true, false))); });
  x.add_elixir(S, "trim_trailing", [](term s) { return bin(utf8(trim(chars_of(s), false, true))); });
  x.add_elixir(S, "length", [](term s) { return integer(chars_of(s).size()); });
  x.add_elixir(S, "reverse", [](term s) {
    auto cps = chars_of(s);
    return bin(utf8(std::u32string(cps.rbegin(), cps.rend())));
  });
  x.add_elixir(S, "split", [](term s) {
    std::vector<term> out;
    std::u32string cur;
    for (char32_t c : chars_of(s)) {
      if (space(c)) {
        if (!cur.empty()) out.push_back(bin(utf8(cur)));
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) out.push_back(bin(utf8(cur)));
    return term::list(std::move(out));
  });
  x.add_elixir(S, "split", [](term s, term p) { return split(binary_arg(s), p, term()); });
  x.add_elixir(S, "split", [](term s, term p, term o) { return split(binary_arg(s), p, o); });
  x.add_elixir(S, "contains?", [](term s, term p) {
    std::string text = binary_arg(s);
    for (const auto& pat : patterns(p))
      if (text.find(pat) != std::string::npos) return boolean(true);
    return boolean(false);
  });
  x.add_elixir(S, "starts_with?", [](term s, term p) {
    std::string text = binary_arg(s);
    for (const auto& pat : patterns(p))
      if (text.starts_with(pat)) return boolean(true);
    return boolean(false);
  });
  x.add_elixir(S, "ends_with?", [](term s, term p) {
    std::string text = binary_arg(s);
    for (const auto& pat : patterns(p))
      if (text.ends_with(pat)) return boolean(true);
    return boolean(false);
  });
  x.add_elixir(S, "replace", [](term s, term p, term r) {
    return bin(replace(binary_arg(s), p, binary_arg(r), true));
  });
  x.add_elixir(S, "replace", [](term s, term p, term r, term opts) {
    bool global = !keyword_get(opts, a_global).is_atom(atoms::false_);
    return bin(replace(binary_arg(s), p, binary_arg(r), global));
  });
  x.add_elixir(S, "to_integer", [](term s) {
    std::string text = binary_arg(s);
    auto v = term::integer_from_string(text[0] == '+' ? std::string_view(text).substr(1) : text);
    if (!v || text.empty()) badarg();
    return *v;
  });
  x.add_elixir(S, "to_integer", [](term s, term b) {
    std::string text = binary_arg(s);
    auto v = term::integer_from_string(!text.empty() && text[0] == '+' ? std::string_view(text).substr(1) : text, base_arg(b));
    if (!v || text.empty()) badarg();
    return *v;
  });
  x.add_elixir(S, "to_atom", [](term s) { return term(atom(binary_arg(s))); });
  x.add_elixir(S, "to_existing_atom", [](term s) { return term(atom(binary_arg(s))); });
  x.add_elixir(S, "to_charlist", [](term s) { return char_list(chars_of(s)); });
  x.add_elixir(S, "duplicate", [](term s, term n) {
    std::string text = binary_arg(s), out;
    auto k = small(n);
    if (k < 0) badarg();
    for (std::int64_t i = 0; i < k; ++i) out += text;
    return bin(out);
  });
  x.add_elixir(S, "slice", [](term s, term start, term len) {
    return slice(s, small(start), small(len));
  });
  x.add_elixir(S, "slice", [](term s, term r) {
    if (!is_range(r)) badarg();
    auto n = static_cast<std::int64_t>(chars_of(s).size());
    auto first = small(*field(r, a::first)), last = small(*field(r, a::last));
    if (first < 0) first += n;
    if (last < 0) last += n;
    if (first < 0 || first > last) return bin("");
    return slice(s, first, last - first + 1);
  });
  x.add_elixir(S, "at", [](term s, term i) {
    auto cps = chars_of(s);
    auto k = small(i);
    if (k < 0) k += static_cast<std::int64_t>(cps.size());
    if (k < 0 || static_cast<std::size_t>(k) >= cps.size()) return term(atoms::nil);
    return bin(utf8(std::u32string(1, cps[static_cast<std::size_t>(k)])));
  });
  x.add_elixir(S, "first", [](term s) {
    auto cps = chars_of(s);
    return cps.empty() ? term(atoms::nil) : bin(utf8(cps.substr(0, 1)));
  });
  x.add_elixir(S, "last", [](term s) {
    auto cps = chars_of(s);
    return cps.empty() ? term(atoms::nil) : bin(utf8(cps.substr(cps.size() - 1)));
  });
  auto points = [](term s) {
    std::vector<term> out;
    for (char32_t c : chars_of(s)) out.push_back(bin(utf8(std::u32string(1, c))));
    return term::list(std::move(out));
  };
  x.add_elixir(S, "graphemes", points);
  x.add_elixir(S, "codepoints", points);
  x.add_elixir(S, "pad_leading", [](term s, term n) {
    auto cps = chars_of(s);
    auto want = small(n);
    if (static_cast<std::int64_t>(cps.size()) < want) cps.insert(0, static_cast<std::size_t>(want) - cps.size(), U' ');
    return bin(utf8(cps));
  });
  x.add_elixir(S, "pad_trailing", [](term s, term n) {
    auto cps = chars_of(s);
    auto want = small(n);
    if (static_cast<std::int64_t>(cps.size()) < want) cps.append(static_cast<std::size_t>(want) - cps.size(), U' ');
    return bin(utf8(cps));
  });

  // ---- Map -------------------------------------------------------------------------------------
  const std::string_view M = "Map";
  x.add_elixir(M, "new", [] { return term::map({}); });
  x.add_elixir(M, "new", [](term e) {
    entries out;
    enumerable all(e);
    for (const term& t : all.items()) {
      if (!t.is_tuple() || t.tuple_size() != 2) badarg();
      out.emplace_back(t[0], t[1]);
    }
    return term::map(std::move(out));
  });
  x.add_elixir(M, "get", [](term m, term k) {
    const term* v = map_arg(m).map_find(k);
    return v ? *v : term(atoms::nil);
  });
  x.add_elixir(M, "get", [](term m, term k, term d) {
    const term* v = map_arg(m).map_find(k);
    return v ? *v : d;
  });
  x.add_elixir(M, "fetch", [](term m, term k) {
    const term* v = map_arg(m).map_find(k);
    return v ? tuple_of(atoms::ok, *v) : term(atoms::error);
  });
  x.add_elixir(M, "fetch!", [](term m, term k) {
    const term* v = map_arg(m).map_find(k);
    if (!v) fail(tuple_of(a::badkey, k));  // as :maps.get raises it in Elixir's Map.fetch!
    return *v;
  });
  x.add_elixir(M, "put", [](term m, term k, term v) { return map_put(m, k, std::move(v)); });
  x.add_elixir(M, "delete", [](term m, term k) { return map_delete(m, k); });
  x.add_elixir(M, "has_key?", [](term m, term k) { return boolean(map_arg(m).map_find(k) != nullptr); });
  x.add_elixir(M, "keys", [](term m) {
    std::vector<term> out;
    for (const auto* kv : map_to_list_order(map_arg(m))) out.push_back(kv->first);
    return term::list(std::move(out));
  });
  x.add_elixir(M, "values", [](term m) {
    std::vector<term> out;
    for (const auto* kv : map_to_list_order(map_arg(m))) out.push_back(kv->second);
    return term::list(std::move(out));
  });
  x.add_elixir(M, "to_list", [](term m) {
    std::vector<term> out;
    for (const auto* kv : map_to_list_order(map_arg(m))) out.push_back(term::tuple({kv->first, kv->second}));
    return term::list(std::move(out));
  });
  x.add_elixir(M, "merge", [](term m1, term m2) {
    // Both checked before either's entries are taken (argument evaluation order is unspecified).
    map_arg(m1);
    map_arg(m2);
    entries e(m1.map_entries().begin(), m1.map_entries().end());
    e.insert(e.end(), m2.map_entries().begin(), m2.map_entries().end());
    return term::map(std::move(e));
  });
  x.add_elixir(M, "update", [](process& self, term m, term k, term d, term f) -> task<term> {
    const term* v = map_arg(m).map_find(k);
    if (!v) co_return map_put(m, k, d);
    term old = *v;
    term nv = co_await call_fun(self, f, std::vector<term>(1, old));
    co_return map_put(m, k, std::move(nv));
  });
  x.add_elixir(M, "update!", [](process& self, term m, term k, term f) -> task<term> {
    const term* v = map_arg(m).map_find(k);
    if (!v) fail(tuple_of(a::badkey, k));  // as :maps.update raises it in Map.update!
    term old = *v;
    term nv = co_await call_fun(self, f, std::vector<term>(1, old));
    co_return map_put(m, k, std::move(nv));
  });

  // ---- Integer ---------------------------------------------------------------------------------
  const std::string_view I = "Integer";
  x.add_elixir(I, "to_string", [](term i) { return bin(integer_text(i, 10)); });
  x.add_elixir(I, "to_string", [](term i, term b) { return bin(integer_text(i, base_arg(b))); });
  x.add_elixir(I, "to_charlist", [](term i) { return term::string(integer_text(i, 10)); });
  x.add_elixir(I, "parse", [](term s) { return parse_integer(s, 10); });
  x.add_elixir(I, "parse", [](term s, term b) { return parse_integer(s, base_arg(b)); });
  x.add_elixir(I, "digits", [](term i) {
    if (!i.is_integer()) function_clause();
    std::string s = i.integer_to_string();
    std::vector<term> out;
    for (char c : s)
      if (c != '-') out.emplace_back(c - '0');
    return term::list(std::move(out));
  });
  x.add_elixir(I, "pow", [](term b, term e) {
    if (!b.is_integer() || !e.is_integer()) function_clause();
    auto n = small(e);
    if (n < 0) raise_elixir("ArithmeticError", "bad argument in arithmetic expression");
    return int_pow(b, static_cast<std::uint64_t>(n));
  });

  // ---- Process ---------------------------------------------------------------------------------
  const std::string_view P = "Process";
  x.add_elixir(P, "sleep", [](process& self, term ms) -> task<term> {
    if (ms.is_atom(atoms::infinity)) {
      co_await self.receive(on(tup(atom("$otpp_never"))) >> [] {});
    } else {
      auto n = small(ms);
      if (n < 0) function_clause();
      co_await self.receive(on(tup(atom("$otpp_never"))) >> [] {},
                            after(std::chrono::milliseconds(n), [] {}));
    }
    co_return atoms::ok;
  });
  x.add_elixir(P, "send", [](process& self, term dest, term msg, term) -> task<term> {
    if (dest.is_pid()) self.send(dest.pid_value(), msg);
    else if (dest.is_atom()) { if (!self.send(dest.atom_value(), msg)) badarg(); }
    else if (dest.is_tuple() && dest.tuple_size() == 2 && dest[0].is_atom() && dest[1].is_atom())
      self.send(dest[0].atom_value(), dest[1].atom_value(), msg);
    else badarg();
    co_return atoms::ok;
  });
  x.add_elixir(P, "send_after", [](process& self, term dest, term msg, term t) -> task<term> {
    auto ms = small(t);
    pid to;
    if (dest.is_pid()) to = dest.pid_value();
    else if (auto p = dest.is_atom() ? self.rt().whereis(dest.atom_value()) : std::nullopt) to = *p;
    else badarg();
    co_return self.send_after(std::chrono::milliseconds(ms), to, msg);
  });
  // The process dictionary, as Elixir wraps erlang:put/get/erase (undefined reads as nil).
  auto nillify = [](term t) { return t.is_atom(atoms::undefined) ? term(atoms::nil) : t; };
  x.add_elixir(P, "put", [nillify](process& self, term k, term v) -> task<term> {
    co_return nillify(self.put(std::move(k), std::move(v)));
  });
  x.add_elixir(P, "get", [](process& self) -> task<term> { co_return self.dictionary(); });
  x.add_elixir(P, "get", [nillify](process& self, term k) -> task<term> { co_return nillify(self.get(k)); });
  x.add_elixir(P, "get", [](process& self, term k, term d) -> task<term> {
    term v = self.get(k);
    if (v.is_atom(atoms::undefined)) v = d;
    co_return v;
  });
  x.add_elixir(P, "delete", [nillify](process& self, term k) -> task<term> { co_return nillify(self.erase(k)); });
  x.add_elixir(P, "get_keys", [](process& self) -> task<term> { co_return self.get_keys(); });
  x.add_elixir(P, "get_keys", [](process& self, term v) -> task<term> { co_return self.get_keys(v); });
  x.add_elixir(P, "whereis", [](process& self, term name) -> task<term> {
    if (!name.is_atom()) badarg();
    auto p = self.rt().whereis(name.atom_value());
    term out = atoms::nil;
    if (p) out = *p;
    co_return out;
  });
  x.add_elixir(P, "register", [](process& self, term p, term name) -> task<term> {
    if (!name.is_atom() || name.is_atom(atoms::nil) || name.is_atom(atoms::undefined) ||
        !self.rt().register_name(name.atom_value(), pid_arg(p)))
      raise_elixir("ArgumentError", "could not register " + inspect(p) + " with name " + inspect(name));
    co_return atoms::true_;
  });
  x.add_elixir(P, "unregister", [](process& self, term name) -> task<term> {
    if (!name.is_atom() || !self.rt().unregister_name(name.atom_value())) badarg();
    co_return atoms::true_;
  });
  x.add_elixir(P, "registered", [](process& self) -> task<term> {
    std::vector<term> out;
    for (atom n : self.rt().registered()) out.emplace_back(n);
    co_return term::list(std::move(out));
  });
  x.add_elixir(P, "alive?", [](process& self, term p) -> task<term> {
    co_return boolean(self.is_alive(pid_arg(p)));
  });
  x.add_elixir(P, "flag", [](process& self, term flag, term v) -> task<term> {
    if (!flag.is_atom(a_trap_exit) || (!v.is_atom(atoms::true_) && !v.is_atom(atoms::false_))) badarg();
    co_return boolean(self.trap_exit(v.is_atom(atoms::true_)));
  });
  x.add_elixir(P, "monitor", [](process& self, term p) -> task<term> {
    if (p.is_atom()) co_return self.monitor(p.atom_value());
    co_return self.monitor(pid_arg(p));
  });
  x.add_elixir(P, "demonitor", [](process& self, term r) -> task<term> {
    if (!r.is_reference()) badarg();
    (void)self.demonitor(r.reference_value());
    co_return atoms::true_;
  });
  x.add_elixir(P, "link", [](process& self, term p) -> task<term> {
    self.link(pid_arg(p));
    co_return atoms::true_;
  });
  x.add_elixir(P, "unlink", [](process& self, term p) -> task<term> {
    self.unlink(pid_arg(p));
    co_return atoms::true_;
  });
  x.add_elixir(P, "exit", [](process& self, term p, term reason) -> task<term> {
    self.exit(pid_arg(p), reason);
    co_return atoms::true_;
  });
  x.add_elixir(P, "list", [](process& self) -> task<term> {
    std::vector<term> out;
    for (const pid& p : self.rt().processes()) out.emplace_back(p);
    co_return term::list(std::move(out));
  });
  x.add_elixir(P, "group_leader", [](process& self) -> task<term> { co_return self.group_leader(); });

  // ---- Node ------------------------------------------------------------------------------------
  const std::string_view N = "Node";
  x.add_elixir(N, "self", [](process& self) -> task<term> { co_return self.rt().node(); });
  x.add_elixir(N, "alive?", [](process& self) -> task<term> {
    co_return boolean(self.rt().node() != atoms::nonode_nohost);
  });
  x.add_elixir(N, "list", [](process& self) -> task<term> {
    std::vector<term> out;
    if (auto* s = otp::services_of(self.rt()); s && s->engine())
      for (atom n : s->engine()->nodes()) out.emplace_back(n);
    co_return term::list(std::move(out));
  });
  x.add_elixir(N, "ping", [](process& self, term n) -> task<term> {
    if (!n.is_atom()) badarg();
    co_return co_await ping(self, n.atom_value());
  });
  x.add_elixir(N, "connect", [](process& self, term n) -> task<term> {
    if (!n.is_atom()) badarg();
    // net_kernel:connect_node/1 on a node that is not distributed.
    auto* s = otp::services_of(self.rt());
    if (!s || !s->engine()) co_return atom("ignored");
    term r = co_await ping(self, n.atom_value());
    co_return boolean(r.is_atom(atoms::pong));
  });
  // Node.spawn* are erlang:spawn* with the arguments in Elixir's order.
  auto forward = [&x](std::string_view elixir_name, std::string_view erlang_name, std::size_t arity) {
    auto e = x.find(atoms::erlang, atom(erlang_name), arity);
    if (e) {
      e->module = atom("Elixir.Node");
      e->function = atom(elixir_name);
      auto fn = std::get<export_table::function_fn>(e->fn);
      if (arity == 2)
        x.add_elixir("Node", elixir_name, [fn](process& self, term n, term f) { return fn(self, {n, f}); });
      else
        x.add_elixir("Node", elixir_name, [fn](process& self, term n, term m, term f, term a) {
          return fn(self, {n, m, f, a});
        });
    }
  };
  forward("spawn", "spawn", 2);
  forward("spawn", "spawn", 4);
  forward("spawn_link", "spawn_link", 2);
  forward("spawn_link", "spawn_link", 4);
}

}  // namespace otpp::code::lib
