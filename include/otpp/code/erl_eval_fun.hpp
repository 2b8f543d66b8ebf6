// erl_eval closures: the funs BEAM's erl_eval makes (typed in erl or iex) and those this
// evaluator makes, as NEW_FUN_EXT of module `erl_eval` whose one free variable holds the
// bindings, the local/external function handlers and the clauses in abstract format.
//
// Layouts of that free variable:
//   OTP 25-28: {Anno, Bindings, Lf, Ef, FunUsedVars, Clauses} and, for `fun Name(...) -> end`,
//              {Anno, Bindings, Lf, Ef, FunUsedVars, Clauses, Name}; Bindings is an orddict
//              (erl) or a map (OTP 26+, and Elixir's funs on OTP 25).
//   OTP 24 and older: {Bindings, Lf, Ef, Clauses} and {Bindings, Lf, Ef, Clauses, Name}.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "otpp/term/term.hpp"

namespace otpp::code {

/// What an erl_eval closure carries.
struct erl_eval_closure {
  term anno = term(0);
  term bindings;           ///< orddict or map
  term local_handler = atom("none");
  term external_handler = atom("none");
  term clauses;            ///< [{clause, Anno, Patterns, Guards, Body}]
  std::optional<atom> name;  ///< named funs
};

/// The closure inside `f`, or nullopt when `f` is not an erl_eval fun of a known layout.
[[nodiscard]] std::optional<erl_eval_closure> decode_erl_eval_fun(const fun_value& f);

/// Which erl_eval fun a closure of `arity` is on a node (NEW_FUN_EXT's uniq, index, old_uniq):
/// erl_eval has one fun per arity 0..20, plain and named.
struct erl_eval_identity {
  std::array<std::uint8_t, 16> uniq{};
  std::uint32_t index = 0;
  std::int64_t old_index = 0;
  std::int64_t old_uniq = 0;
};
/// erl_eval's identity in OTP 25.2 (Debian's erl here); other releases differ, so a fun sent
/// to a peer is given that peer's identity (learned from one of its own erl_eval funs).
[[nodiscard]] erl_eval_identity otp25_erl_eval_identity(std::uint32_t arity, bool named);

/// An erl_eval closure of `arity` in OTP 25's layout with OTP 25's identity, made by `creator`.
[[nodiscard]] term make_erl_eval_fun(const pid& creator, std::uint32_t arity, const erl_eval_closure& c);

/// erl_eval has funs for arities 0..20 only (`argument_limit` beyond).
inline constexpr std::uint32_t max_erl_eval_arity = 20;

}  // namespace otpp::code
