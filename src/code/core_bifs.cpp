// The core BIFs of interpreted code: operators with Erlang's semantics (otpp::arith for
// numbers, term order for comparisons), type tests and the guard BIFs.
#include "code/core_bifs.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "otpp/code/eval.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/runtime/runtime.hpp"
#include "otpp/term/arith.hpp"

namespace otpp::code::detail {

namespace {

const atom a_erl_eval("erl_eval");
const atom a_expr("expr");
const atom a_badarith("badarith");

using args_t = std::span<const term>;

term boolean(bool b) { return term::boolean(b); }

[[noreturn]] void badarg(atom name, args_t a) { bif_error(atoms::badarg, name, a); }

// ---- arithmetic ----------------------------------------------------------------------------

template <std::optional<term> (*F)(const term&, const term&)>
term arith2(atom name, args_t a) {
  auto r = F(a[0], a[1]);
  if (!r) bif_error(a_badarith, name, a);
  return std::move(*r);
}

bool is_bool(const term& t) { return t.is_atom(atoms::true_) || t.is_atom(atoms::false_); }

std::optional<std::int64_t> small(const term& t) { return t.is_small_integer() ? std::optional(t.small_integer()) : std::nullopt; }

// Fast paths for small integers; otpp::arith does the rest (bignums, floats, badarith).
term add(process*, args_t a) {
  if (a[0].is_small_integer() && a[1].is_small_integer()) {
    std::int64_t r;
    if (!__builtin_add_overflow(a[0].small_integer(), a[1].small_integer(), &r)) return term(static_cast<long long>(r));
  }
  return arith2<arith::add>(atom("+"), a);
}
term sub(process*, args_t a) {
  if (a[0].is_small_integer() && a[1].is_small_integer()) {
    std::int64_t r;
    if (!__builtin_sub_overflow(a[0].small_integer(), a[1].small_integer(), &r)) return term(static_cast<long long>(r));
  }
  return arith2<arith::subtract>(atom("-"), a);
}
term mul(process*, args_t a) {
  if (a[0].is_small_integer() && a[1].is_small_integer()) {
    std::int64_t r;
    if (!__builtin_mul_overflow(a[0].small_integer(), a[1].small_integer(), &r)) return term(static_cast<long long>(r));
  }
  return arith2<arith::multiply>(atom("*"), a);
}
term fdiv(process*, args_t a) { return arith2<arith::float_divide>(atom("/"), a); }
// Both small, and the quotient fits (INT64_MIN / -1 does not).
bool small_divisible(args_t a) {
  return a[0].is_small_integer() && a[1].is_small_integer() && a[1].small_integer() != 0 &&
         !(a[1].small_integer() == -1 && a[0].small_integer() == std::numeric_limits<std::int64_t>::min());
}
term idiv(process*, args_t a) {
  // C++ division truncates toward zero, as `div` does.
  if (small_divisible(a)) return term(static_cast<long long>(a[0].small_integer() / a[1].small_integer()));
  return arith2<arith::int_div>(atom("div"), a);
}
term rem(process*, args_t a) {
  // The remainder takes the dividend's sign in both languages.
  if (small_divisible(a)) return term(static_cast<long long>(a[0].small_integer() % a[1].small_integer()));
  return arith2<arith::rem>(atom("rem"), a);
}
bool both_small(args_t a) { return a[0].is_small_integer() && a[1].is_small_integer(); }
term band(process*, args_t a) {
  if (both_small(a)) return term(static_cast<long long>(a[0].small_integer() & a[1].small_integer()));
  return arith2<arith::band>(atom("band"), a);
}
term bor(process*, args_t a) {
  if (both_small(a)) return term(static_cast<long long>(a[0].small_integer() | a[1].small_integer()));
  return arith2<arith::bor>(atom("bor"), a);
}
term bxor(process*, args_t a) {
  if (both_small(a)) return term(static_cast<long long>(a[0].small_integer() ^ a[1].small_integer()));
  return arith2<arith::bxor>(atom("bxor"), a);
}
term bsl(process*, args_t a) { return arith2<arith::bsl>(atom("bsl"), a); }
term bsr(process*, args_t a) { return arith2<arith::bsr>(atom("bsr"), a); }
term neg(process*, args_t a) {
  auto r = arith::negate(a[0]);
  if (!r) bif_error(a_badarith, atom("-"), a);
  return std::move(*r);
}
term plus1(process*, args_t a) {
  if (!a[0].is_number()) bif_error(a_badarith, atom("+"), a);
  return a[0];
}
term bnot(process*, args_t a) {
  auto r = arith::bnot(a[0]);
  if (!r) bif_error(a_badarith, atom("bnot"), a);
  return std::move(*r);
}
term abs_(process*, args_t a) {
  auto r = arith::abs(a[0]);
  if (!r) badarg(atom("abs"), a);
  return std::move(*r);
}

// ---- comparison and logic -------------------------------------------------------------------

// Two small integers compare as int64 (the commonest case: loop counters, guards).
int cmp(args_t a) {
  if (both_small(a)) return (a[0].small_integer() > a[1].small_integer()) - (a[0].small_integer() < a[1].small_integer());
  return compare(a[0], a[1]);
}
bool same(args_t a) {
  if (both_small(a)) return a[0].small_integer() == a[1].small_integer();
  return exact_equal(a[0], a[1]);
}
term eq(process*, args_t a) { return boolean(cmp(a) == 0); }
term ne(process*, args_t a) { return boolean(cmp(a) != 0); }
term eeq(process*, args_t a) { return boolean(same(a)); }
term ene(process*, args_t a) { return boolean(!same(a)); }
term lt(process*, args_t a) { return boolean(cmp(a) < 0); }
term gt(process*, args_t a) { return boolean(cmp(a) > 0); }
term le(process*, args_t a) { return boolean(cmp(a) <= 0); }
term ge(process*, args_t a) { return boolean(cmp(a) >= 0); }
term not_(process*, args_t a) {
  if (!is_bool(a[0])) badarg(atom("not"), a);
  return boolean(a[0].is_atom(atoms::false_));
}
term and_(process*, args_t a) {
  if (!is_bool(a[0]) || !is_bool(a[1])) badarg(atom("and"), a);
  return boolean(a[0].is_atom(atoms::true_) && a[1].is_atom(atoms::true_));
}
term or_(process*, args_t a) {
  if (!is_bool(a[0]) || !is_bool(a[1])) badarg(atom("or"), a);
  return boolean(a[0].is_atom(atoms::true_) || a[1].is_atom(atoms::true_));
}
term xor_(process*, args_t a) {
  if (!is_bool(a[0]) || !is_bool(a[1])) badarg(atom("xor"), a);
  return boolean(a[0].is_atom(atoms::true_) != a[1].is_atom(atoms::true_));
}
term max_(process*, args_t a) { return compare(a[0], a[1]) < 0 ? a[1] : a[0]; }
term min_(process*, args_t a) { return compare(a[0], a[1]) > 0 ? a[1] : a[0]; }

// ---- lists ------------------------------------------------------------------------------------

term append(process*, args_t a) {
  if (!a[0].is_proper_list()) badarg(atom("++"), a);
  if (a[0].is_nil()) return a[1];
  auto xs = a[0].list_elements();
  return term::list(std::vector<term>(xs.begin(), xs.end()), a[1]);
}
term subtract(process*, args_t a) {
  if (!a[0].is_proper_list() || !a[1].is_proper_list()) badarg(atom("--"), a);
  std::vector<term> out(a[0].list_elements().begin(), a[0].list_elements().end());
  for (const term& x : a[1].list_elements()) {
    for (auto it = out.begin(); it != out.end(); ++it) {
      if (exact_equal(*it, x)) {
        out.erase(it);
        break;
      }
    }
  }
  return term::list(std::move(out));
}
term hd(process*, args_t a) {
  if (a[0].type() != term::kind::list) badarg(atom("hd"), a);
  return a[0].list_elements()[0];
}
term tl(process*, args_t a) {
  if (a[0].type() != term::kind::list) badarg(atom("tl"), a);
  return a[0].list_nthtail(1);
}
term length(process*, args_t a) {
  if (!a[0].is_proper_list()) badarg(atom("length"), a);
  return term(static_cast<long long>(a[0].list_elements().size()));
}

// ---- tuples, maps, binaries --------------------------------------------------------------------

term element(process*, args_t a) {
  auto i = small(a[0]);
  if (!i || !a[1].is_tuple() || *i < 1 || static_cast<std::size_t>(*i) > a[1].tuple_size()) badarg(atom("element"), a);
  return a[1][static_cast<std::size_t>(*i - 1)];
}
term setelement(process*, args_t a) {
  auto i = small(a[0]);
  if (!i || !a[1].is_tuple() || *i < 1 || static_cast<std::size_t>(*i) > a[1].tuple_size()) badarg(atom("setelement"), a);
  std::vector<term> es(a[1].elements().begin(), a[1].elements().end());
  es[static_cast<std::size_t>(*i - 1)] = a[2];
  return term::tuple(std::move(es));
}
term tuple_size(process*, args_t a) {
  if (!a[0].is_tuple()) badarg(atom("tuple_size"), a);
  return term(static_cast<long long>(a[0].tuple_size()));
}
term map_size(process*, args_t a) {
  if (!a[0].is_map()) bif_error(tuple_of(atom("badmap"), a[0]), atom("map_size"), a);
  return term(static_cast<long long>(a[0].map_entries().size()));
}
term map_get(process*, args_t a) {
  if (!a[1].is_map()) bif_error(tuple_of(atom("badmap"), a[1]), atom("map_get"), a);
  const term* v = a[1].map_find(a[0]);
  if (!v) bif_error(tuple_of(atom("badkey"), a[0]), atom("map_get"), a);
  return *v;
}
term is_map_key(process*, args_t a) {
  if (!a[1].is_map()) bif_error(tuple_of(atom("badmap"), a[1]), atom("is_map_key"), a);
  return boolean(a[1].map_find(a[0]) != nullptr);
}
term byte_size(process*, args_t a) {
  if (!a[0].is_bitstring()) badarg(atom("byte_size"), a);
  return term(static_cast<long long>((a[0].bit_size() + 7) / 8));
}
term bit_size(process*, args_t a) {
  if (!a[0].is_bitstring()) badarg(atom("bit_size"), a);
  return term(static_cast<long long>(a[0].bit_size()));
}
term size(process*, args_t a) {
  if (a[0].is_tuple()) return term(static_cast<long long>(a[0].tuple_size()));
  if (a[0].is_binary()) return term(static_cast<long long>(a[0].bytes().size()));
  badarg(atom("size"), a);
}

// ---- numbers ------------------------------------------------------------------------------------

term float_(process*, args_t a) {
  auto d = arith::to_double(a[0]);
  if (!d) badarg(atom("float"), a);
  return term(*d);
}
template <double (*F)(double)>
term rounding(atom name, args_t a) {
  if (a[0].is_integer()) return a[0];
  if (!a[0].is_float()) badarg(name, a);
  return arith::integer_from_double(F(a[0].float_value()));
}
double trunc_d(double d) { return std::trunc(d); }
double round_d(double d) { return std::round(d); }
double ceil_d(double d) { return std::ceil(d); }
double floor_d(double d) { return std::floor(d); }
term trunc_(process*, args_t a) { return rounding<trunc_d>(atom("trunc"), a); }
term round_(process*, args_t a) { return rounding<round_d>(atom("round"), a); }
term ceil_(process*, args_t a) { return rounding<ceil_d>(atom("ceil"), a); }
term floor_(process*, args_t a) { return rounding<floor_d>(atom("floor"), a); }

// ---- type tests ----------------------------------------------------------------------------------

#define OTPP_TYPE_TEST(name, expr)                            \
  term name(process*, args_t a) {                              \
    const term& t = a[0];                                      \
    return boolean(expr);                                      \
  }
OTPP_TYPE_TEST(is_atom, t.is_atom())
OTPP_TYPE_TEST(is_binary, t.is_binary())
OTPP_TYPE_TEST(is_bitstring, t.is_bitstring())
OTPP_TYPE_TEST(is_boolean, is_bool(t))
OTPP_TYPE_TEST(is_float, t.is_float())
OTPP_TYPE_TEST(is_function, t.is_fun())
OTPP_TYPE_TEST(is_integer, t.is_integer())
OTPP_TYPE_TEST(is_list, t.is_list())
OTPP_TYPE_TEST(is_map, t.is_map())
OTPP_TYPE_TEST(is_number, t.is_number())
OTPP_TYPE_TEST(is_pid, t.is_pid())
OTPP_TYPE_TEST(is_port, t.is_port())
OTPP_TYPE_TEST(is_reference, t.is_reference())
OTPP_TYPE_TEST(is_tuple, t.is_tuple())
#undef OTPP_TYPE_TEST

term is_function2(process*, args_t a) {
  auto n = small(a[1]);
  if (!n || *n < 0) badarg(atom("is_function"), a);
  return boolean(a[0].is_fun() && a[0].fun_content().arity == static_cast<std::uint64_t>(*n));
}
term is_record2(process*, args_t a) {
  if (!a[1].is_atom()) badarg(atom("is_record"), a);
  return boolean(a[0].is_tuple() && a[0].tuple_size() >= 1 && exact_equal(a[0][0], a[1]));
}
term is_record3(process*, args_t a) {
  auto n = small(a[2]);
  if (!a[1].is_atom() || !n) badarg(atom("is_record"), a);
  return boolean(a[0].is_tuple() && static_cast<std::int64_t>(a[0].tuple_size()) == *n && *n >= 1 &&
                 exact_equal(a[0][0], a[1]));
}

// ---- processes and exceptions ------------------------------------------------------------------------

term self_(process* self, args_t) { return self->self(); }
term node0(process* self, args_t) { return self->rt().node(); }
term node1(process*, args_t a) {
  if (a[0].is_pid()) return a[0].pid_value().node;
  if (a[0].is_reference()) return a[0].reference_value().node;
  if (a[0].is_port()) return a[0].port_value().node;
  badarg(atom("node"), a);
}
term send(process* self, args_t a) {
  send_to(*self, a[0], a[1]);
  return a[1];
}
term error1(process*, args_t a) { throw raised_error(a[0], list_of(term::tuple({a_erl_eval, a_expr, term(6), term()}))); }
term error2(process*, args_t a) {
  throw raised_error(a[0], list_of(term::tuple({a_erl_eval, a_expr, term(6), term()})));
}
term exit1(process*, args_t a) { throw exit_exception(a[0]); }
term exit2(process* self, args_t a) {
  if (!a[0].is_pid()) badarg(atom("exit"), a);
  self->exit(a[0].pid_value(), a[1]);
  return atoms::true_;
}
term throw1(process*, args_t a) { throw throw_exception(a[0]); }
term raise3(process*, args_t a) {
  if (a[0].is_atom(atoms::error)) throw raised_error(a[1], a[2].is_list() ? a[2] : term());
  if (a[0].is_atom(atoms::exit)) throw exit_exception(a[1]);
  if (a[0].is_atom(atoms::throw_)) throw throw_exception(a[1]);
  badarg(atom("raise"), a);
}
term make_ref(process* self, args_t) { return self->make_ref(); }

struct key_hash {
  std::size_t operator()(const std::pair<std::uint32_t, std::size_t>& k) const noexcept {
    return (static_cast<std::size_t>(k.first) << 8) ^ k.second;
  }
};

using table_t = std::unordered_map<std::pair<std::uint32_t, std::size_t>, bif_info, key_hash>;

table_t make_table() {
  table_t t;
  auto put = [&](std::string_view name, std::size_t arity, bif_fn fn, bool guard) {
    t[{atom(name).index(), arity}] = bif_info{fn, guard};
  };
  put("+", 2, add, true);
  put("-", 2, sub, true);
  put("*", 2, mul, true);
  put("/", 2, fdiv, true);
  put("div", 2, idiv, true);
  put("rem", 2, rem, true);
  put("band", 2, band, true);
  put("bor", 2, bor, true);
  put("bxor", 2, bxor, true);
  put("bsl", 2, bsl, true);
  put("bsr", 2, bsr, true);
  put("-", 1, neg, true);
  put("+", 1, plus1, true);
  put("bnot", 1, bnot, true);
  put("abs", 1, abs_, true);
  put("==", 2, eq, true);
  put("/=", 2, ne, true);
  put("=:=", 2, eeq, true);
  put("=/=", 2, ene, true);
  put("<", 2, lt, true);
  put(">", 2, gt, true);
  put("=<", 2, le, true);
  put(">=", 2, ge, true);
  put("not", 1, not_, true);
  put("and", 2, and_, true);
  put("or", 2, or_, true);
  put("xor", 2, xor_, true);
  put("max", 2, max_, true);
  put("min", 2, min_, true);
  put("++", 2, append, false);
  put("--", 2, subtract, false);
  put("hd", 1, hd, true);
  put("tl", 1, tl, true);
  put("length", 1, length, true);
  put("element", 2, element, true);
  put("setelement", 3, setelement, false);
  put("tuple_size", 1, tuple_size, true);
  put("map_size", 1, map_size, true);
  put("map_get", 2, map_get, true);
  put("is_map_key", 2, is_map_key, true);
  put("byte_size", 1, byte_size, true);
  put("bit_size", 1, bit_size, true);
  put("size", 1, size, true);
  put("float", 1, float_, true);
  put("trunc", 1, trunc_, true);
  put("round", 1, round_, true);
  put("ceil", 1, ceil_, true);
  put("floor", 1, floor_, true);
  put("is_atom", 1, is_atom, true);
  put("is_binary", 1, is_binary, true);
  put("is_bitstring", 1, is_bitstring, true);
  put("is_boolean", 1, is_boolean, true);
  put("is_float", 1, is_float, true);
  put("is_function", 1, is_function, true);
  put("is_function", 2, is_function2, true);
  put("is_integer", 1, is_integer, true);
  put("is_list", 1, is_list, true);
  put("is_map", 1, is_map, true);
  put("is_number", 1, is_number, true);
  put("is_pid", 1, is_pid, true);
  put("is_port", 1, is_port, true);
  put("is_reference", 1, is_reference, true);
  put("is_tuple", 1, is_tuple, true);
  put("is_record", 2, is_record2, true);
  put("is_record", 3, is_record3, true);
  put("self", 0, self_, true);
  put("node", 0, node0, true);
  put("node", 1, node1, true);
  put("!", 2, send, false);
  put("send", 2, send, false);
  put("error", 1, error1, false);
  put("error", 2, error2, false);
  put("exit", 1, exit1, false);
  put("exit", 2, exit2, false);
  put("throw", 1, throw1, false);
  put("raise", 3, raise3, false);
  put("make_ref", 0, make_ref, false);
  return t;
}

}  // namespace

bif_info find_bif(atom name, std::size_t arity) {
  static const table_t table = make_table();
  auto it = table.find({name.index(), arity});
  return it == table.end() ? bif_info{} : it->second;
}

void bif_error(term reason, atom name, std::span<const term> args) {
  term frame = term::tuple({atoms::erlang, name, term::list(std::vector<term>(args.begin(), args.end())), term()});
  throw raised_error(std::move(reason), list_of(frame));
}

void eval_error(term reason) {
  throw raised_error(std::move(reason), list_of(term::tuple({a_erl_eval, a_expr, term(6), term()})));
}

void send_to(process& self, const term& dest, term msg) {
  if (dest.is_pid()) {
    self.send(dest.pid_value(), std::move(msg));
  } else if (dest.is_atom()) {
    term d = dest;
    if (!self.send(dest.atom_value(), msg)) bif_error(atoms::badarg, atom("!"), std::vector<term>{d, msg});
  } else if (dest.is_reference()) {
    self.send(dest.reference_value(), std::move(msg));
  } else if (dest.is_tuple() && dest.tuple_size() == 2 && dest[0].is_atom() && dest[1].is_atom()) {
    self.send(dest[0].atom_value(), dest[1].atom_value(), std::move(msg));
  } else {
    bif_error(atoms::badarg, atom("!"), std::vector<term>{dest, msg});
  }
}

}  // namespace otpp::code::detail
