// Shared helpers of the library modules: errors, argument checks, arithmetic (through
// otpp::arith), time units, text and Elixir's exceptions and enumerables.
#include "code/modules/support.hpp"

#include <chrono>
#include <cmath>

#include "otpp/code/fun_call.hpp"
#include "otpp/otp/io_format.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/term/arith.hpp"
#include "otpp/term/print.hpp"
#include "otpp/term/map_order.hpp"

namespace otpp::code::lib {

void fail(term reason) { throw error_exception(std::move(reason)); }
void badarg() { fail(atoms::badarg); }
void function_clause() { fail(a::function_clause); }
void badarith() { fail(a::badarith); }

std::span<const term> proper(const term& l) { return proper_or(l, a::function_clause); }

std::span<const term> proper_or(const term& l, const term& reason) {
  if (!l.is_list() || !l.list_tail().is_nil()) fail(reason);
  return l.list_elements();
}

std::int64_t small(const term& t) { return small_or(t, atoms::badarg); }

std::int64_t small_or(const term& t, const term& reason) {
  auto v = t.to_int64();
  if (!v) fail(reason);
  return *v;
}

bool is_fun(const term& t, std::uint32_t arity) {
  return t.is_fun() && t.fun_content().arity == arity;
}

// ---- numbers (otpp::arith, raising badarith where it answers nullopt) -------------------------

namespace {
term or_badarith(std::optional<term> r) {
  if (!r) badarith();
  return std::move(*r);
}
}  // namespace

double to_double(const term& x) {
  auto d = arith::to_double(x);
  if (!d) badarith();
  return *d;
}

term add(const term& x, const term& y) { return or_badarith(arith::add(x, y)); }
term sub(const term& x, const term& y) { return or_badarith(arith::subtract(x, y)); }
term mul(const term& x, const term& y) { return or_badarith(arith::multiply(x, y)); }
term int_div(const term& x, const term& y) { return or_badarith(arith::int_div(x, y)); }
term int_rem(const term& x, const term& y) { return or_badarith(arith::rem(x, y)); }
term negate(const term& x) { return or_badarith(arith::negate(x)); }
term integer_from_double(double d) { return arith::integer_from_double(d); }

term int_pow(const term& base, std::uint64_t exponent) {
  term result(1), b = base;
  for (; exponent; exponent >>= 1) {
    if (exponent & 1) result = mul(result, b);
    if (exponent > 1) b = mul(b, b);
  }
  return result;
}

// ---- text ----------------------------------------------------------------------------------

std::u32string binary_chars(const term& b, const term& reason) {
  if (!b.is_binary()) fail(reason);
  auto cps = io::from_utf8(b.bytes_as_string());
  if (!cps) fail(reason);
  return std::move(*cps);
}

std::u32string chardata(const term& t, const term& reason) {
  auto cps = io::characters_to_list(t, io::encoding::unicode);
  if (!cps) fail(reason);
  return std::move(*cps);
}

std::string utf8(std::u32string_view cps) { return io::to_utf8(cps); }

term char_list(std::u32string_view cps) {
  std::vector<term> out;
  out.reserve(cps.size());
  for (char32_t c : cps) out.emplace_back(static_cast<long long>(c));
  return term::list(std::move(out));
}

// ---- Elixir ----------------------------------------------------------------------------------

term elixir_exception(std::string_view module, std::string_view message,
                      std::vector<std::pair<term, term>> extra) {
  extra.emplace_back(a::struct_, atom(export_table::elixir_module(module)));
  extra.emplace_back(a::exception, atoms::true_);
  extra.emplace_back(a::message, bin(message));
  return term::map(std::move(extra));
}

void raise_elixir(std::string_view module, std::string_view message,
                  std::vector<std::pair<term, term>> extra) {
  fail(elixir_exception(module, message, std::move(extra)));
}

std::string inspect(const term& t) { return to_string(t, {syntax::elixir}); }

std::string elixir_to_string(const term& t) {
  if (t.is_atom()) return t.is_atom(atoms::nil) ? std::string() : std::string(t.atom_value().name());
  if (t.is_integer()) return t.integer_to_string();
  if (t.is_float()) return format_float(t.float_value(), syntax::elixir);
  if (t.is_binary()) return std::string(t.bytes_as_string());
  if (auto s = io::characters_to_utf8(t, io::encoding::unicode)) return *s;
  std::vector<std::pair<term, term>> fields{
      {a::struct_, atom("Elixir.Protocol.UndefinedError")},
      {a::exception, atoms::true_},
      {atom("protocol"), atom("Elixir.String.Chars")},
      {atom("value"), t},
      {atom("description"), bin("")}};
  fail(term::map(std::move(fields)));
}

const term* field(const term& map, atom key) {
  if (!map.is_map()) return nullptr;
  return map.map_find(key);
}

bool is_range(const term& t) {
  const term* s = field(t, a::struct_);
  return s && s->is_atom(a::range);
}

term make_range(std::int64_t first, std::int64_t last, std::int64_t step) {
  return term::map({{a::struct_, a::range},
                    {a::first, integer(first)},
                    {a::last, integer(last)},
                    {a::step, integer(step)}});
}

enumerable::enumerable(const term& t, map_walk walk) {
  if (t.is_list() && t.list_tail().is_nil()) {
    items_ = t.list_elements();
    return;
  }
  if (is_range(t)) {
    const term* f = field(t, a::first);
    const term* l = field(t, a::last);
    const term* s = field(t, a::step);
    if (f && l && s && f->is_small_integer() && l->is_small_integer() && s->is_small_integer() &&
        s->small_integer() != 0) {
      std::int64_t first = f->small_integer(), last = l->small_integer(), step = s->small_integer();
      if ((step > 0 && first <= last) || (step < 0 && first >= last)) {
        std::uint64_t n =
            (step > 0 ? static_cast<std::uint64_t>(last - first) / static_cast<std::uint64_t>(step)
                      : static_cast<std::uint64_t>(first - last) / static_cast<std::uint64_t>(-step)) +
            1;
        if (n > (std::uint64_t{1} << 28)) fail(atom("system_limit"));
        owned_.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i)
          owned_.emplace_back(static_cast<long long>(first + static_cast<std::int64_t>(i) * step));
      }
      items_ = owned_;
      return;
    }
  }
  // A MapSet (src/code/lib/MapSet.ex) enumerates its members, the keys of its map.
  if (const term* s = t.is_map() ? field(t, a::struct_) : nullptr; s && s->is_atom(atom("Elixir.MapSet"))) {
    if (const term* m = field(t, atom("map")); m && m->is_map()) {
      owned_.reserve(m->map_entries().size());
      for (const auto* kv : map_to_list_order(*m)) owned_.push_back(kv->first);
      items_ = owned_;
      return;
    }
  }
  if (t.is_map() && !field(t, a::struct_)) {
    owned_.reserve(t.map_entries().size());
    for (const auto* kv : walk == map_walk::fold ? map_fold_order(t) : map_to_list_order(t))
      owned_.push_back(term::tuple({kv->first, kv->second}));
    items_ = owned_;
    return;
  }
  std::vector<std::pair<term, term>> fields{
      {a::struct_, atom("Elixir.Protocol.UndefinedError")},
      {a::exception, atoms::true_},
      {atom("protocol"), atom("Elixir.Enumerable")},
      {atom("value"), t},
      {atom("description"), bin("")}};
  fail(term::map(std::move(fields)));
}

task<term> call_export(process& self, atom module, atom function, std::vector<term> args) {
  auto e = exports_of(self).find(module, function, args.size());
  if (!e) fail(atoms::undef);
  if (auto* fn = std::get_if<export_table::function_fn>(&e->fn)) co_return co_await (*fn)(self, std::move(args));
  const auto arity = static_cast<std::uint32_t>(args.size());
  co_return co_await call_fun(self, term::export_fun(module, function, arity), std::move(args));
}

std::int64_t time_in(std::chrono::nanoseconds ns, const term& unit) {
  auto n = ns.count();
  if (unit.is_atom()) {
    std::string_view u = unit.atom_value().name();
    if (u == "second" || u == "seconds") return n / 1000000000;
    if (u == "millisecond" || u == "milli_seconds") return n / 1000000;
    if (u == "microsecond" || u == "micro_seconds") return n / 1000;
    if (u == "nanosecond" || u == "nano_seconds" || u == "native" || u == "perf_counter")
      return n;
  } else if (auto per_second = unit.to_int64(); per_second && *per_second > 0) {
    return static_cast<std::int64_t>(static_cast<long double>(n) * *per_second / 1e9L);
  }
  badarg();
}

std::chrono::nanoseconds since_epoch() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch());
}

std::chrono::nanoseconds monotonic(const process& self) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(self.rt().now().time_since_epoch());
}


}  // namespace otpp::code::lib
