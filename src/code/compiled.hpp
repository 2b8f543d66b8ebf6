// The evaluator's internal form of abstract format: variables resolved to frame slots,
// literals and atoms built once, core BIF calls resolved to function pointers, each node
// marked with whether it can suspend the process (calls, receive) so everything else runs
// synchronously without a coroutine frame.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "code/bit_syntax.hpp"
#include "code/core_bifs.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/term/term.hpp"

namespace otpp::otp {
class node_services;
}

namespace otpp::code::detail {

struct node;
struct pat;
struct compiled_fun;
struct module_code;

/// One clause: patterns, a guard (a disjunction of conjunctions) and a body.
struct clause_c {
  std::vector<pat*> pats;
  std::vector<std::vector<node*>> guards;  ///< empty: no guard
  node* body = nullptr;
};

enum class nk : std::uint8_t {
  lit, var, match, tuple, cons, map_new, map_upd, bin, bif, andalso, orelse,
  call_remote, call_dyn, call_fun, call_local, apply2, apply3, case_, if_, receive_, try_,
  catch_, block, make_fun, lc, bc
};

struct bin_seg {
  node* value = nullptr;
  node* size = nullptr;  ///< null: default size
  segment_spec spec;
};

struct map_assoc {
  node* key = nullptr;
  node* value = nullptr;
  bool exact = false;  ///< `:=`
};

struct qualifier {
  enum class kind : std::uint8_t { list_gen, bin_gen, filter } what = kind::filter;
  pat* p = nullptr;
  node* e = nullptr;
};

struct node {
  nk kind = nk::lit;
  bool suspends = false;  ///< may call out or receive: evaluated as a coroutine
  bool tail = false;      ///< a call in tail position (the caller's frame is reused)
  /// A named fun calling itself (`F(...)` inside `fun F(...) -> ... end`).
  bool self_call = false;
  /// Evaluable by eval_sync when self-calls run synchronously (compiled_fun::sync_calls): it
  /// suspends only through such calls.
  bool sync = false;
  term lit;               ///< literals; the clauses term of a fun; the line
  std::uint32_t slot = 0;
  std::uint32_t line = 0;  ///< the source line of the expression (0: not known)
  atom name;              ///< variable name (for errors); function name
  atom mod;               ///< call_remote
  /// call_local inside a module: the module whose function `slot` is called (null: no local
  /// function here, the call raises undef). The module outlives every run of its code.
  const module_code* local_module = nullptr;
  bif_fn fn = nullptr;
  std::vector<node*> kids;
  node* a = nullptr;
  node* b = nullptr;
  pat* p = nullptr;
  std::vector<clause_c> clauses;
  std::vector<clause_c> catches;
  std::vector<bin_seg> segs;
  std::vector<map_assoc> assocs;
  std::vector<qualifier> quals;
  std::shared_ptr<compiled_fun> fun;                     ///< make_fun
  std::vector<std::pair<atom, std::uint32_t>> captures;  ///< make_fun: name, outer slot
};

enum class pk : std::uint8_t { lit, wild, bind, check, tuple, cons, map, bin, alias };

struct bin_pseg {
  pat* p = nullptr;
  node* size = nullptr;
  segment_spec spec;
};

struct pat {
  pk kind = pk::lit;
  term lit;
  std::uint32_t slot = 0;
  std::vector<pat*> kids;  ///< tuple elements; cons heads (then `tail`); alias: both sides
  pat* tail = nullptr;
  std::vector<std::pair<node*, pat*>> map;
  std::vector<bin_pseg> segs;
};

/// A fun's clauses compiled for one set of captured variable names.
struct compiled_fun {
  std::vector<clause_c> clauses;
  std::uint32_t arity = 0;
  std::uint32_t nslots = 0;
  /// Captured names and their slots, sorted by atom index, filled from the closure's bindings.
  std::vector<std::pair<atom, std::uint32_t>> captured;
  std::optional<std::uint32_t> self_slot;  ///< named funs: the fun itself
  std::optional<atom> fun_name;
  /// Whether the code reads its own name other than to call itself (a synchronous run binds
  /// it only then).
  bool self_read = false;
  /// A named fun whose bodies suspend only through calls of itself, and that sends nothing:
  /// a call of it may run as one plain C++ recursion (eval_sync), started again as coroutines
  /// when that recursion grows too deep or too long (being pure, running it again is safe).
  bool sync_calls = false;
  term clauses_term;
  std::vector<std::unique_ptr<node>> nodes;
  std::vector<std::unique_ptr<pat>> pats;
  /// Code of a module (its functions and the funs they make): local calls are resolved into
  /// `module`, which a closure of this code must find alive to run (weak: the module owns its
  /// code; funs of a purged module fail with badfun, as on BEAM).
  bool in_module = false;
  std::weak_ptr<const module_code> module;
  /// The closure's local function handler: `none`, or the module's (funs made by its code).
  term local_handler = atom("none");
};

/// A module defined on the node (`defmodule`, Erlang forms): its functions, compiled once.
struct module_code {
  struct function {
    atom name;
    std::uint32_t arity = 0;
    bool exported = false;
    std::shared_ptr<compiled_fun> code;
    std::uint32_t line = 0;  ///< where it is defined (its function_clause frame names it)
  };
  atom name;
  std::uint64_t version = 0;  ///< unique per definition on this process
  /// `{otpp_module, Name, Version}`: what the funs its code makes carry as erl_eval's local
  /// function handler, so they are compiled again with this module's functions in scope.
  term local_handler;
  /// The source file its stack frames name (a string, as `-file` gives it; [] when none).
  term file;
  std::vector<function> functions;

  /// The index of `name/arity` among `functions`.
  [[nodiscard]] std::optional<std::uint32_t> find(atom fname, std::size_t arity) const {
    for (std::uint32_t i = 0; i < functions.size(); ++i)
      if (functions[i].name == fname && functions[i].arity == arity) return i;
    return std::nullopt;
  }
};

/// Top-level expressions compiled with the names of the given bindings bound.
struct compiled_exprs {
  node* body = nullptr;
  std::uint32_t nslots = 0;
  std::vector<std::pair<atom, std::uint32_t>> names;  ///< every variable and its slot
  std::vector<std::unique_ptr<node>> nodes;
  std::vector<std::unique_ptr<pat>> pats;
};

/// Compiles fun clauses; `bound`: the names the closure's bindings hold; `module`: the module
/// whose functions local calls reach (null outside a module). Raises an Erlang error for a
/// malformed form.
[[nodiscard]] std::shared_ptr<compiled_fun> compile_fun(const term& clauses, const std::vector<atom>& bound,
                                                        std::optional<atom> name,
                                                        const std::shared_ptr<const module_code>& module = nullptr);
/// Runs function `index` of `module` with `args` in `self` (what a module's export-table
/// entries call): its clauses chosen, its local calls made inside the module, errors raised
/// with the module's functions in their stacks.
[[nodiscard]] task<term> call_module_function(process& self, std::shared_ptr<const module_code> module,
                                              std::uint32_t index, std::vector<term> args);

/// Version `version` of the module `name` on the node of `services`, when it is the current or
/// the old (previous) one; else null.
[[nodiscard]] std::shared_ptr<const module_code> loaded_module(otp::node_services& services, atom name,
                                                               std::uint64_t version);

/// The line of an annotation: `L`, `{L, Column}` or a list holding `{location, L | {L, C}}`
/// (erl_anno; a generated line is negative). 0 when there is none.
[[nodiscard]] std::uint32_t anno_line(const term& anno);

[[nodiscard]] std::unique_ptr<compiled_exprs> compile_exprs(const term& exprs, const std::vector<atom>& bound);

}  // namespace otpp::code::detail
