// Modules defined on a node from Erlang abstract format (what `defmodule` typed in a shell lowers
// to, or Erlang source text): each exported function becomes an entry of the node's export table
// that runs the module's compiled clauses, so the shell, C++ callers and other nodes call it alike.
//
//   auto m = otpp::code::load_erlang_source(node,
//                                           "-module(m). -export([f/1]). f(X) -> g(X) + 1. g(X) -> X * 2.");
//   // m.value() == atom("m"); m:f(3) is 7 from anywhere, m:g/1 is undef (not exported).
//
// Loading a module of a name already defined replaces the whole module, as BEAM's code loading
// does for a redefinition in iex: later calls run the new code, functions it no longer has are
// undef. Every module also answers `module_info/0,1` and, named `Elixir.*`, `__info__/1`.
#pragma once

#include <optional>
#include <string_view>

#include "otpp/otp/node.hpp"
#include "otpp/otp/services.hpp"
#include "otpp/term/expected.hpp"
#include "otpp/term/term.hpp"

namespace otpp::code {

/// Loads the module `forms` define — a list starting with `{attribute, L, module, Name}`, then
/// `{attribute, L, export, [{F, A}]}` and other attributes, and `{function, L, F, A, Clauses}`
/// forms — into the node's export table. The module's name, or the error erl_lint would report, as a term
/// `{Line, erl_lint, Descriptor}`: `undefined_module` (no module attribute),
/// `{undefined_function, {F, A}}` (exported or called but not defined),
/// `{redefine_function, {F, A}}`, or `{Line, otpp_module, Reason}` for a form the evaluator
/// cannot compile. Nothing is loaded on error. Thread-safe.
[[nodiscard]] expected<atom, term> load_forms(otp::node_services& services, const term& forms);
[[nodiscard]] expected<atom, term> load_forms(otp::node& node, const term& forms);

/// Reads Erlang source (`-module(m).`, `-export([f/1]).`, `-import(lists, [map/2]).`,
/// `-compile(export_all).`, other `-Name(Value).` attributes, and function definitions, each
/// ending with a dot; records and macros are not read) and loads it as load_forms does. A text that
/// does not parse gives `{Line, erl_parse, Message}` (or erl_scan), Message a string.
[[nodiscard]] expected<atom, term> load_erlang_source(otp::node_services& services, std::string_view text);
[[nodiscard]] expected<atom, term> load_erlang_source(otp::node& node, std::string_view text);
/// The same for the text of the file named `file`: the module's stack frames name it and the
/// line, `{m, f, 1, [{file, "m.erl"}, {line, 4}]}`, as a module compiled from that file has them
/// on BEAM (a `-file` attribute in the text has the last word).
[[nodiscard]] expected<atom, term> load_erlang_source(otp::node_services& services, std::string_view text,
                                                      std::string_view file);
[[nodiscard]] expected<atom, term> load_erlang_source(otp::node& node, std::string_view text, std::string_view file);

/// Loads the one `defmodule` of Elixir source `text` as an extension of the module of its name:
/// its public functions join the export table's entries of that module (replacing those of the
/// same name and arity), the others stay, so a module can be part C++ and part source. The
/// module's name, or why not (lowering or load_forms's error). Thread-safe.
[[nodiscard]] expected<atom, term> extend_module_from_elixir(otp::node_services& services, std::string_view text);

/// What `defmodule` answers, `{module, Name, Binary, Last}`, for the module loaded from `forms`:
/// Binary is a BEAM-shaped container (`FOR1`...`BEAM`, an atom chunk and the abstract code),
/// so it prints as iex prints a compiled module. Raises error:Reason (load_forms's error).
[[nodiscard]] term define_module(otp::node_services& services, const term& forms, const term& last);

/// Registers `otpp_module:define(Name, Forms, Last)`, what lowered `defmodule` calls (it
/// answers define_module's tuple on the node of the calling process). code::install does this.
/// The value of a literal expression form, as erl_parse:normalise/1 reads it (`F/A` read as
/// `{F, A}`): the forms an `otpp_module:define(Name, Forms, Last)` call carries, for one.
/// nullopt for a form that is not a literal.
[[nodiscard]] std::optional<term> normalise(const term& literal);

void install_module_loader(export_table& exports);

}  // namespace otpp::code
