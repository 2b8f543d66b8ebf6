// Reading erl_eval closures in every layout OTP 24-28 makes, and making them in OTP 25's.
#include "otpp/code/erl_eval_fun.hpp"

namespace otpp::code {

namespace {
const atom a_erl_eval("erl_eval");
}

std::optional<erl_eval_closure> decode_erl_eval_fun(const fun_value& f) {
  if (f.is_export || f.module != a_erl_eval || f.free_vars.size() != 1) return std::nullopt;
  const term& env = f.free_vars[0];
  if (!env.is_tuple()) return std::nullopt;
  erl_eval_closure c;
  auto n = env.tuple_size();
  if (n == 6 || n == 7) {
    c.anno = env[0];
    c.bindings = env[1];
    c.local_handler = env[2];
    c.external_handler = env[3];
    c.clauses = env[5];
    if (n == 7) {
      if (!env[6].is_atom()) return std::nullopt;
      c.name = env[6].atom_value();
    }
  } else if (n == 4 || n == 5) {
    c.bindings = env[0];
    c.local_handler = env[1];
    c.external_handler = env[2];
    c.clauses = env[3];
    if (n == 5) {
      if (!env[4].is_atom()) return std::nullopt;
      c.name = env[4].atom_value();
    }
  } else {
    return std::nullopt;
  }
  if (!c.clauses.is_proper_list() || c.clauses.is_nil()) return std::nullopt;
  if (!c.bindings.is_list() && !c.bindings.is_map()) return std::nullopt;
  return c;
}

erl_eval_identity otp25_erl_eval_identity(std::uint32_t arity, bool named) {
  // erlang:fun_info/1 of erl_eval's funs on OTP 25.2: index 43 - Arity (plain) and
  // 20 - Arity (named), one module md5 and one old uniq for all.
  erl_eval_identity id;
  id.uniq = {6, 83, 97, 170, 70, 21, 144, 209, 189, 241, 235, 98, 209, 166, 235, 8};
  id.index = (named ? 20u : 43u) - (arity > 20 ? 20 : arity);
  id.old_index = id.index;
  id.old_uniq = 3316493;
  return id;
}

term make_erl_eval_fun(const pid& creator, std::uint32_t arity, const erl_eval_closure& c) {
  fun_value f;
  f.module = a_erl_eval;
  f.arity = arity;
  erl_eval_identity id = otp25_erl_eval_identity(arity, c.name.has_value());
  f.uniq = id.uniq;
  f.index = id.index;
  f.old_index = id.old_index;
  f.old_uniq = id.old_uniq;
  f.creator = creator;
  std::vector<term> env{c.anno, c.bindings, c.local_handler, c.external_handler, term::map({}), c.clauses};
  if (c.name) env.push_back(*c.name);
  f.free_vars.push_back(term::tuple(std::move(env)));
  return term::fun(std::move(f));
}

}  // namespace otpp::code
