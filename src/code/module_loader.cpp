// Loading modules from abstract format into the node's export table: the checks erl_lint makes
// that matter to a loader, one compilation per function, module_info/__info__, and the
// BEAM-shaped binary `defmodule` answers with.
#include "otpp/code/module_loader.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "code/compiled.hpp"
#include "otpp/code/elixir.hpp"
#include "otpp/code/erl_parse.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/services.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/struct_fields.hpp"

namespace otpp::code {

using namespace detail;

namespace {

const atom a_attribute("attribute"), a_module("module"), a_export("export"), a_function("function"),
    a_eof("eof"), a_erl_lint("erl_lint"), a_otpp_module("otpp_module"), a_undefined_module("undefined_module"),
    a_undefined_function("undefined_function"), a_redefine_function("redefine_function"), a_call("call"),
    a_atom("atom"), a_remote("remote"), a_fun("fun"), a_apply("apply"), a_erl_parse("erl_parse"),
    a_module_info("module_info"), a_info("__info__"), a_exports("exports"), a_attributes("attributes"),
    a_compile("compile"), a_md5("md5"), a_functions("functions"), a_nifs("nifs"), a_native("native"),
    a_macros("macros"), a_deprecated("deprecated"), a_struct("struct"), a_nil("nil"), a_vsn("vsn"),
    a_function_clause("function_clause"), a_version("version"), a_options("options"), a_source("source"),
    a_unsupported_form("unsupported_form");

// ---- the modules each export table has ---------------------------------------------------------

// The current version of a module is weak here: it lives as long as its export-table entries
// (or a running call) hold it. The version before it is kept, as BEAM keeps a module's old
// code until the next load purges it, so funs made by the old code still run.
struct loaded {
  std::weak_ptr<const module_code> current;
  std::shared_ptr<const module_code> old;
};

// The modules of one node (a node_services extension), by name.
struct module_registry {
  std::mutex mu;
  std::map<std::uint32_t, loaded> modules;
};

std::atomic<std::uint64_t> next_version{1};

// ---- reading forms -----------------------------------------------------------------------------

bool is_form(const term& t, atom tag, std::size_t size) {
  return t.is_tuple() && t.tuple_size() == size && t[0].is_atom(tag);
}

term line_of(const term& form) { return form.is_tuple() && form.tuple_size() > 1 ? form[1] : term(0); }

term lint_error(const term& line, term descriptor) { return term::tuple({line, a_erl_lint, std::move(descriptor)}); }

term fa(atom f, std::size_t a) { return tuple_of(f, term(static_cast<std::int64_t>(a))); }

struct module_source {
  atom name;
  std::vector<std::pair<atom, std::size_t>> exports;  ///< in the order given, without repeats
  std::vector<term> attributes;                       ///< `{Name, [Value]}` for module_info
  term file;                                          ///< `-file(File, Line).`: File; [] when none
  struct function {
    atom name;
    std::size_t arity;
    term clauses;
    term line;
  };
  std::vector<function> functions;
  /// `-import(Mod, [F/A]).`: local calls of these functions are calls of Mod's.
  std::vector<std::pair<std::pair<atom, std::size_t>, atom>> imports;
  bool export_all = false;  ///< `-compile(export_all).`
};

// Attributes module_info(attributes) leaves out, as BEAM's compiler does.
bool hidden_attribute(atom name) {
  static const std::set<std::string, std::less<>> hidden = {
      "module", "export", "import", "compile", "file", "record", "spec", "type", "opaque", "export_type",
      "callback", "optional_callbacks", "moduledoc", "doc"};
  return hidden.count(name.name()) > 0;
}

expected<module_source, term> read_forms(const term& forms) {
  if (!forms.is_proper_list()) return lint_error(term(0), tuple_of(a_unsupported_form, forms));
  module_source m;
  bool named = false;
  std::set<std::pair<std::uint32_t, std::size_t>> seen;
  std::vector<std::pair<std::pair<atom, std::size_t>, term>> export_lines;
  for (const term& f : forms.list_elements()) {
    if (is_form(f, a_attribute, 4) && f[2].is_atom()) {
      atom what = f[2].atom_value();
      if (what == a_module) {
        if (!f[3].is_atom()) return lint_error(line_of(f), tuple_of(a_unsupported_form, f));
        m.name = f[3].atom_value();
        named = true;
      } else if (what == a_export) {
        if (!f[3].is_proper_list()) return lint_error(line_of(f), tuple_of(a_unsupported_form, f));
        for (const term& e : f[3].list_elements()) {
          if (!e.is_tuple() || e.tuple_size() != 2 || !e[0].is_atom() || !e[1].is_small_integer() ||
              e[1].small_integer() < 0 || e[1].small_integer() > 255)
            return lint_error(line_of(f), tuple_of(a_unsupported_form, f));
          std::pair<atom, std::size_t> key{e[0].atom_value(), static_cast<std::size_t>(e[1].small_integer())};
          if (std::find(m.exports.begin(), m.exports.end(), key) == m.exports.end()) m.exports.push_back(key);
          export_lines.emplace_back(key, line_of(f));
        }
      } else if (what == atom("import")) {
        const term& v = f[3];
        if (!v.is_tuple() || v.tuple_size() != 2 || !v[0].is_atom() || !v[1].is_proper_list())
          return lint_error(line_of(f), tuple_of(a_unsupported_form, f));
        for (const term& e : v[1].list_elements()) {
          if (!e.is_tuple() || e.tuple_size() != 2 || !e[0].is_atom() || !e[1].is_small_integer() || e[1].small_integer() < 0)
            return lint_error(line_of(f), tuple_of(a_unsupported_form, f));
          m.imports.push_back({{e[0].atom_value(), static_cast<std::size_t>(e[1].small_integer())}, v[0].atom_value()});
        }
      } else if (what == atom("file")) {
        if (f[3].is_tuple() && f[3].tuple_size() == 2 && f[3][0].is_proper_list() && m.file.is_nil()) m.file = f[3][0];
      } else if (what == a_compile) {
        const term& v = f[3];
        auto options = v.is_proper_list() ? std::vector<term>(v.list_elements().begin(), v.list_elements().end())
                                          : std::vector<term>{v};
        for (const term& o : options) m.export_all = m.export_all || o.is_atom(atom("export_all"));
      } else if (!hidden_attribute(what)) {
        m.attributes.push_back(tuple_of(what, f[3].is_proper_list() ? f[3] : list_of(f[3])));
      }
      continue;
    }
    if (is_form(f, a_function, 5) && f[2].is_atom() && f[3].is_small_integer() && f[3].small_integer() >= 0 &&
        f[3].small_integer() <= 255) {
      atom name = f[2].atom_value();
      auto arity = static_cast<std::size_t>(f[3].small_integer());
      if (!seen.insert({name.index(), arity}).second) return lint_error(line_of(f), tuple_of(a_redefine_function, fa(name, arity)));
      m.functions.push_back({name, arity, f[4], line_of(f)});
      continue;
    }
    if (f.is_tuple() && f.tuple_size() == 2 && f[0].is_atom(a_eof)) continue;
    return lint_error(line_of(f), tuple_of(a_unsupported_form, f));
  }
  if (!named) return lint_error(term(1), a_undefined_module);
  for (const auto& [key, line] : export_lines) {
    if (!seen.count({key.first.index(), key.second})) return lint_error(line, tuple_of(a_undefined_function, fa(key.first, key.second)));
  }
  return m;
}

// Local calls: to the module's functions, to the core BIFs (the evaluator's own), else to an
// auto-imported `erlang` function of the export table (rewritten as a remote call); any other
// is erl_lint's undefined_function. Returns `t` itself when nothing changed.
class local_calls {
 public:
  local_calls(const module_source& m, const export_table& exports) : m_(m), exports_(exports) {}
  std::optional<term> error;

  // The rewritten term, or nullopt when `t` needs no change (shared subterms stay shared).
  std::optional<term> resolve(const term& t) {
    if (error) return std::nullopt;
    if (t.is_tuple()) {
      if (is_form(t, a_call, 4) && is_form(t[2], a_atom, 3) && t[2][2].is_atom() && t[3].is_proper_list()) {
        atom f = t[2][2].atom_value();
        std::size_t arity = t[3].list_elements().size();
        auto args = resolve(t[3]);
        if (defined(f, arity) || find_bif(f, arity).fn || (f == a_apply && (arity == 2 || arity == 3))) {
          if (!args) return std::nullopt;
          return term::tuple({t[0], t[1], t[2], *args});
        }
        if (auto it = std::find_if(m_.imports.begin(), m_.imports.end(),
                                   [&](const auto& i) { return i.first.first == f && i.first.second == arity; });
            it != m_.imports.end()) {
          term remote = term::tuple({a_remote, t[1], term::tuple({a_atom, t[1], it->second}), t[2]});
          return term::tuple({t[0], t[1], remote, args ? *args : t[3]});
        }
        if (exports_.find(atoms::erlang, f, arity)) {
          term remote = term::tuple({a_remote, t[1], term::tuple({a_atom, t[1], atoms::erlang}), t[2]});
          return term::tuple({t[0], t[1], remote, args ? *args : t[3]});
        }
        error = lint_error(t[1], tuple_of(a_undefined_function, fa(f, arity)));
        return std::nullopt;
      }
      if (is_form(t, a_fun, 3) && is_form(t[2], a_function, 3) && t[2][1].is_atom() && t[2][2].is_small_integer()) {
        atom f = t[2][1].atom_value();
        auto arity = static_cast<std::size_t>(t[2][2].small_integer());
        if (!defined(f, arity)) error = lint_error(t[1], tuple_of(a_undefined_function, fa(f, arity)));
        return std::nullopt;
      }
      std::vector<std::optional<term>> es;
      bool changed = false;
      for (std::size_t i = 0; i < t.tuple_size(); ++i) {
        es.push_back(resolve(t[i]));
        changed = changed || es.back();
      }
      if (!changed) return std::nullopt;
      std::vector<term> out;
      for (std::size_t i = 0; i < es.size(); ++i) out.push_back(es[i] ? *es[i] : t[i]);
      return term::tuple(std::move(out));
    }
    if (t.is_list() && !t.is_nil()) {
      auto xs = t.list_elements();
      std::vector<std::optional<term>> es;
      bool changed = false;
      for (const term& x : xs) {
        es.push_back(resolve(x));
        changed = changed || es.back();
      }
      auto tail = resolve(t.list_tail());
      if (!changed && !tail) return std::nullopt;
      std::vector<term> out;
      for (std::size_t i = 0; i < es.size(); ++i) out.push_back(es[i] ? *es[i] : xs[i]);
      return term::list(std::move(out), tail ? *tail : t.list_tail());
    }
    return std::nullopt;
  }

 private:
  bool defined(atom f, std::size_t arity) const {
    return std::any_of(m_.functions.begin(), m_.functions.end(),
                       [&](const auto& fn) { return fn.name == f && fn.arity == arity; });
  }
  const module_source& m_;
  const export_table& exports_;
};

// ---- what a module tells about itself --------------------------------------------------------------

std::vector<std::uint8_t> md5_of(const std::vector<std::uint8_t>& bytes) {
  std::vector<std::uint8_t> out(16);
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_md5(), nullptr);
  return out;
}

bool is_elixir_module(atom name) { return name.name().rfind("Elixir.", 0) == 0; }

struct module_facts {
  atom name;
  term exports;     ///< module_info(exports)
  term functions;   ///< module_info(functions)
  term attributes;
  term compile;
  term md5;
  term elixir_functions;  ///< __info__(functions)
};

term module_info(const module_facts& f, const term& key) {
  if (key.is_atom(a_module)) return f.name;
  if (key.is_atom(a_exports)) return f.exports;
  if (key.is_atom(a_functions)) return f.functions;
  if (key.is_atom(a_attributes)) return f.attributes;
  if (key.is_atom(a_compile)) return f.compile;
  if (key.is_atom(a_md5)) return f.md5;
  if (key.is_atom(a_nifs)) return term();
  if (key.is_atom(a_native)) return atoms::false_;
  throw raised_error(atoms::badarg, list_of(term::tuple({atoms::erlang, atom("get_module_info"), list_of(f.name, key), term()})));
}

term elixir_info(const module_facts& f, const term& key) {
  if (key.is_atom(a_functions)) return f.elixir_functions;
  if (key.is_atom(a_macros) || key.is_atom(a_deprecated)) return term();
  if (key.is_atom(a_module)) return f.name;
  if (key.is_atom(a_attributes)) return f.attributes;
  if (key.is_atom(a_compile)) return f.compile;
  if (key.is_atom(a_md5)) return f.md5;
  if (key.is_atom(a_struct)) return a_nil;
  throw raised_error(a_function_clause, list_of(term::tuple({f.name, a_info, list_of(key), term()})));
}

void put_u32(std::vector<std::uint8_t>& out, std::size_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

void put_chunk(std::vector<std::uint8_t>& out, std::string_view id, const std::vector<std::uint8_t>& data) {
  out.insert(out.end(), id.begin(), id.end());
  put_u32(out, data.size());
  out.insert(out.end(), data.begin(), data.end());
  while (out.size() % 4 != 0) out.push_back(0);
}

// A container shaped as a BEAM file (IFF `FOR1` ... `BEAM`): the atom table, as a compiled
// module's starts, and the abstract code (the `Abst` chunk, {raw_abstract_v1, Forms}). BEAM
// cannot load it; it is what the module was made from, and prints as iex prints a module.
term beam_like_binary(const module_source& m, const term& forms) {
  std::vector<atom> atoms{m.name};
  for (const auto& f : m.functions)
    if (std::find(atoms.begin(), atoms.end(), f.name) == atoms.end()) atoms.push_back(f.name);
  atoms.push_back(a_module_info);
  std::vector<std::uint8_t> atom_chunk;
  put_u32(atom_chunk, atoms.size());
  for (atom a : atoms) {
    std::string_view n = a.name();
    atom_chunk.push_back(static_cast<std::uint8_t>(std::min<std::size_t>(n.size(), 255)));
    atom_chunk.insert(atom_chunk.end(), n.begin(), n.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(n.size(), 255)));
  }
  std::vector<std::uint8_t> body{'B', 'E', 'A', 'M'};
  put_chunk(body, "AtU8", atom_chunk);
  put_chunk(body, "Abst", etf::encode(tuple_of(atom("raw_abstract_v1"), forms)));
  std::vector<std::uint8_t> out{'F', 'O', 'R', '1'};
  put_u32(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return term::binary(std::span<const std::uint8_t>(out));
}

// `extend`: the module's functions join those the table already has of its name (a library
// module part C++, part source) instead of replacing the module; module_info and __info__
// are then left to the C++ part.
// A `defstruct` lowers to `__struct__() -> #{'__struct__' => M, Field => Default, ...}`: its
// fields, in that order, are the order Elixir's inspect prints the struct's fields in.
void register_struct(const module_source& src) {
  for (const auto& f : src.functions) {
    if (f.name != atom("__struct__") || f.arity != 0 || !f.clauses.is_proper_list() || f.clauses.list_elements().size() != 1)
      continue;
    const term& clause = f.clauses.list_elements()[0];
    if (!is_form(clause, atom("clause"), 5) || !clause[4].is_proper_list() || clause[4].list_elements().size() != 1) return;
    const term& body = clause[4].list_elements()[0];
    if (!is_form(body, atom("map"), 3) || !body[2].is_proper_list()) return;
    std::vector<atom> fields;
    for (const term& assoc : body[2].list_elements()) {
      if (!is_form(assoc, atom("map_field_assoc"), 4) || !is_form(assoc[2], atom("atom"), 3) || !assoc[2][2].is_atom()) return;
      if (assoc[2][2].atom_value() != atom("__struct__")) fields.push_back(assoc[2][2].atom_value());
    }
    set_struct_fields(src.name, std::move(fields));
  }
}

expected<atom, term> load(otp::node_services& services, const term& forms, term* binary, bool extend = false,
                          const term& default_file = term()) {
  export_table& exports = services.exports();
  auto read = read_forms(forms);
  if (!read) return read.error();
  module_source& src = *read;
  if (src.file.is_nil()) src.file = default_file;
  local_calls calls(src, exports);
  for (auto& f : src.functions) {
    if (auto resolved = calls.resolve(f.clauses)) f.clauses = *resolved;
    if (calls.error) return *calls.error;
  }

  auto m = std::make_shared<module_code>();
  m->name = src.name;
  m->version = next_version.fetch_add(1);
  m->local_handler = term::tuple({a_otpp_module, src.name, term(static_cast<std::int64_t>(m->version))});
  m->file = src.file;
  for (const auto& f : src.functions) {
    bool exported = src.export_all ||
                    std::find(src.exports.begin(), src.exports.end(), std::pair{f.name, f.arity}) != src.exports.end();
    m->functions.push_back({f.name, static_cast<std::uint32_t>(f.arity), exported, nullptr, anno_line(f.line)});
  }
  for (std::size_t i = 0; i < src.functions.size(); ++i) {
    try {
      m->functions[i].code = compile_fun(src.functions[i].clauses, {}, std::nullopt, m);
    } catch (const error_exception& x) {
      return term::tuple({src.functions[i].line, a_otpp_module, x.reason()});
    }
    if (m->functions[i].code->arity != src.functions[i].arity) {
      return term::tuple({src.functions[i].line, a_otpp_module, tuple_of(a_unsupported_form, src.functions[i].clauses)});
    }
  }

  auto facts = std::make_shared<module_facts>();
  facts->name = src.name;
  bool elixir = is_elixir_module(src.name);
  std::vector<std::pair<atom, std::size_t>> exported = src.exports;
  if (src.export_all) {
    exported.clear();
    for (const auto& f : src.functions) exported.emplace_back(f.name, f.arity);
  }
  std::vector<std::pair<atom, std::size_t>> elixir_functions;
  for (const auto& e : exported)
    if (!(e.first == a_module_info && e.second <= 1) && !(e.first == a_info && e.second == 1)) elixir_functions.push_back(e);
  auto by_name = [](const auto& x, const auto& y) {
    int c = compare(x.first, y.first);
    return c != 0 ? c < 0 : x.second < y.second;
  };
  std::sort(elixir_functions.begin(), elixir_functions.end(), by_name);
  std::vector<term> export_terms;
  if (elixir) {
    // Elixir's compiler lists the exports sorted, __info__/1 among them, module_info last.
    export_terms.push_back(fa(a_info, 1));
    for (const auto& e : elixir_functions) export_terms.push_back(fa(e.first, e.second));
    std::sort(export_terms.begin(), export_terms.end(), [](const term& x, const term& y) { return compare(x, y) < 0; });
  } else {
    for (const auto& e : exported) export_terms.push_back(fa(e.first, e.second));
  }
  export_terms.push_back(fa(a_module_info, 0));
  export_terms.push_back(fa(a_module_info, 1));
  facts->exports = term::list(export_terms);
  std::vector<term> all;
  if (elixir) all.push_back(fa(a_info, 1));
  for (const auto& f : src.functions) all.push_back(fa(f.name, f.arity));
  all.push_back(fa(a_module_info, 0));
  all.push_back(fa(a_module_info, 1));
  facts->functions = term::list(std::move(all));
  std::vector<term> ef;
  for (const auto& e : elixir_functions) ef.push_back(fa(e.first, e.second));
  facts->elixir_functions = term::list(std::move(ef));
  auto digest = md5_of(etf::encode(forms));
  facts->md5 = term::binary(std::span<const std::uint8_t>(digest));
  std::vector<std::uint8_t> le(digest.rbegin(), digest.rend());
  std::vector<term> attributes{tuple_of(a_vsn, list_of(term::integer_from_magnitude(false, le)))};
  attributes.insert(attributes.end(), src.attributes.begin(), src.attributes.end());
  facts->attributes = term::list(std::move(attributes));
  facts->compile = list_of(tuple_of(a_version, term::string("otpp")), tuple_of(a_options, term()),
                           tuple_of(a_source, term::string("nofile")));

  if (elixir) register_struct(src);

  std::vector<export_table::entry> entries;
  std::shared_ptr<const module_code> code = m;
  for (std::uint32_t i = 0; i < m->functions.size(); ++i) {
    const auto& f = m->functions[i];
    if (!f.exported) continue;
    // module_info/0,1 and __info__/1 of the module's own win over those generated.
    entries.push_back({m->name, f.name, static_cast<int>(f.arity),
                       export_table::function_fn([code, i](process& self, std::vector<term> args) {
                         return call_module_function(self, code, i, std::move(args));
                       })});
  }
  auto has = [&](atom f, int arity) {
    return std::any_of(entries.begin(), entries.end(), [&](const auto& e) { return e.function == f && e.arity == arity; });
  };
  auto plain = [](std::function<term(std::vector<term>&)> fn) {
    return export_table::function_fn([fn](process& self, std::vector<term> args) {
      return otpp::detail::run_plain(self, fn, std::move(args));
    });
  };
  if (!extend && !has(a_module_info, 0)) {
    entries.push_back({m->name, a_module_info, 0, plain([facts](std::vector<term>&) {
                         std::vector<term> info;
                         for (atom k : {a_module, a_exports, a_attributes, a_compile, a_md5})
                           info.push_back(tuple_of(k, module_info(*facts, k)));
                         return term::list(std::move(info));
                       })});
  }
  if (!extend && !has(a_module_info, 1)) {
    entries.push_back({m->name, a_module_info, 1,
                       plain([facts](std::vector<term>& a) { return module_info(*facts, a[0]); })});
  }
  if (!extend && elixir && !has(a_info, 1)) {
    entries.push_back({m->name, a_info, 1, plain([facts](std::vector<term>& a) { return elixir_info(*facts, a[0]); })});
  }

  {
    auto r = services.use_extension<module_registry>();
    std::lock_guard lock(r->mu);
    auto& slot = r->modules[m->name.index()];
    // Held before its entries go, or the old code would be freed with them.
    slot.old = slot.current.lock();
    slot.current = code;
    if (extend) {
      exports.add_entries(std::move(entries));
    } else {
      exports.replace_module(m->name, std::move(entries));
    }
  }
  if (binary) *binary = beam_like_binary(src, forms);
  return m->name;
}

// ---- Erlang source -------------------------------------------------------------------------------

// The text with comments and white space gone is empty: nothing is left to read.
bool only_blank(std::string_view text) {
  bool comment = false;
  for (char ch : text) {
    if (comment) {
      if (ch == '\n') comment = false;
    } else if (ch == '%') {
      comment = true;
    } else if (!std::isspace(static_cast<unsigned char>(ch))) {
      return false;
    }
  }
  return true;
}

term parse_error_term(const erl_parse_error& e) {
  return term::tuple({term(static_cast<std::int64_t>(e.line)), atom(e.module), term::string(e.message)});
}

// A reason for not loading a text, apart from the forms it gave (both are terms).
struct failure {
  term reason;
};

}  // namespace

// An attribute's value as erl_parse:normalise/1 reads it (with `F/A` read as {F, A}).
std::optional<term> normalise(const term& e) {
  if (!e.is_tuple() || e.tuple_size() < 2 || !e[0].is_atom()) return std::nullopt;
  std::string_view tag = e[0].atom_value().name();
  if ((tag == "integer" || tag == "float" || tag == "atom" || tag == "char" || tag == "string") && e.tuple_size() == 3) return e[2];
  if (tag == "nil") return term();
  if (tag == "bin" && e.tuple_size() == 3 && e[2].is_proper_list()) {
    std::string bytes;
    for (const term& el : e[2].list_elements()) {
      if (!el.is_tuple() || el.tuple_size() != 5 || !el[2].is_tuple() || el[2].tuple_size() != 3 ||
          !el[2][0].is_atom(atom("string")) || !el[2][2].is_proper_list())
        return std::nullopt;
      for (const term& ch : el[2][2].list_elements()) {
        if (!ch.is_small_integer()) return std::nullopt;
        bytes.push_back(static_cast<char>(ch.small_integer()));
      }
    }
    return term::binary(bytes);
  }
  if (tag == "cons" && e.tuple_size() == 4) {
    auto h = normalise(e[2]);
    auto t = normalise(e[3]);
    if (!h || !t) return std::nullopt;
    return term::list({*h}, *t);
  }
  if (tag == "tuple" && e.tuple_size() == 3 && e[2].is_proper_list()) {
    std::vector<term> es;
    for (const term& x : e[2].list_elements()) {
      auto v = normalise(x);
      if (!v) return std::nullopt;
      es.push_back(*v);
    }
    return term::tuple(std::move(es));
  }
  if (tag == "op" && e.tuple_size() == 5 && e[2].is_atom(atom("/"))) {
    auto f = normalise(e[3]);
    auto a = normalise(e[4]);
    if (!f || !a) return std::nullopt;
    return tuple_of(*f, *a);
  }
  if (tag == "op" && e.tuple_size() == 4 && e[2].is_atom(atom("-"))) {
    auto v = normalise(e[3]);
    if (v && v->is_small_integer()) return term(-v->small_integer());
  }
  return std::nullopt;
}

namespace {

// `-name(Value).` (the text of one form, `line` its first line) as an attribute form.
expected<term, failure> read_attribute(std::string_view text, std::size_t line) {
  std::size_t i = text.find('-') + 1;
  std::size_t start = i;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '@')) ++i;
  std::string name(text.substr(start, i - start));
  std::size_t open = text.find('(', i);
  std::size_t close = text.rfind(')');
  failure bad{term::tuple({term(static_cast<std::int64_t>(line)), a_erl_parse, term::string("bad attribute")})};
  if (name.empty() || open == std::string_view::npos || close == std::string_view::npos || close < open) return bad;
  // Leading newlines keep erl_parse's line numbers those of the whole text.
  std::string args(line - 1, '\n');
  args.append(text.substr(open + 1, close - open - 1));
  args += ".";
  auto parsed = parse_exprs(args);
  if (!parsed) return failure{parse_error_term(parsed.error)};
  // `-import(Mod, Fs).` and other attributes of several arguments hold them as a tuple.
  std::vector<term> values;
  for (const term& e : parsed.value->list_elements()) {
    auto v = normalise(e);
    if (!v) return bad;
    values.push_back(*v);
  }
  if (values.empty()) return bad;
  term v = values.size() == 1 ? values[0] : term::tuple(std::move(values));
  return term::tuple({a_attribute, term(static_cast<std::int64_t>(line)), atom(name), v});
}

expected<term, failure> read_erlang_forms(std::string_view text) {
  std::vector<term> forms;
  std::size_t pos = 0;
  std::size_t line = 1;
  while (!only_blank(text.substr(pos))) {
    std::string_view rest = text.substr(pos);
    first_form ff = find_first_form(rest);
    if (ff.error) {
      erl_parse_error e = *ff.error;
      e.line += line - 1;
      return failure{parse_error_term(e)};
    }
    // A last form may end at the end of the text, right after its dot.
    std::size_t end = ff.complete ? ff.end : rest.size();
    std::string_view form = rest.substr(0, end);
    std::size_t lead = 0;
    while (lead < form.size() && (std::isspace(static_cast<unsigned char>(form[lead])) || form[lead] == '%')) {
      if (form[lead] == '%') {
        while (lead < form.size() && form[lead] != '\n') ++lead;
      } else {
        ++lead;
      }
    }
    std::size_t form_line = line + static_cast<std::size_t>(std::count(form.begin(), form.begin() + static_cast<std::ptrdiff_t>(lead), '\n'));
    if (lead < form.size() && form[lead] == '-') {
      auto a = read_attribute(form.substr(lead), form_line);
      if (!a) return a.error();
      forms.push_back(*a);
    } else {
      std::string padded(form_line - 1, '\n');
      padded.append(form.substr(lead));
      auto f = parse_form(padded);
      if (!f) return failure{parse_error_term(f.error)};
      forms.push_back(*f.value);
    }
    line += static_cast<std::size_t>(std::count(form.begin(), form.end(), '\n'));
    pos += end;
  }
  return term::list(std::move(forms));
}

}  // namespace

namespace detail {

std::shared_ptr<const module_code> loaded_module(otp::node_services& services, atom name, std::uint64_t version) {
  auto r = services.find_extension<module_registry>();
  if (!r) return nullptr;
  std::lock_guard lock(r->mu);
  auto it = r->modules.find(name.index());
  if (it == r->modules.end()) return nullptr;
  if (auto current = it->second.current.lock(); current && current->version == version) return current;
  if (it->second.old && it->second.old->version == version) return it->second.old;
  return nullptr;
}

}  // namespace detail

expected<atom, term> load_forms(otp::node_services& services, const term& forms) {
  return load(services, forms, nullptr);
}
expected<atom, term> load_forms(otp::node& node, const term& forms) { return load_forms(node.services(), forms); }

expected<atom, term> load_erlang_source(otp::node_services& services, std::string_view text) {
  auto forms = read_erlang_forms(text);
  if (!forms) return forms.error().reason;
  return load_forms(services, *forms);
}
expected<atom, term> load_erlang_source(otp::node& node, std::string_view text) {
  return load_erlang_source(node.services(), text);
}

expected<atom, term> load_erlang_source(otp::node_services& services, std::string_view text, std::string_view file) {
  auto forms = read_erlang_forms(text);
  if (!forms) return forms.error().reason;
  return load(services, *forms, nullptr, false, term::string(file));
}
expected<atom, term> load_erlang_source(otp::node& node, std::string_view text, std::string_view file) {
  return load_erlang_source(node.services(), text, file);
}

expected<atom, term> extend_module_from_elixir(otp::node_services& services, std::string_view text) {
  auto outcome = lower_elixir(text);
  if (auto* e = std::get_if<elixir_error>(&outcome)) return term::string(e->describe("nofile"));
  auto* lowered = std::get_if<elixir_lowered>(&outcome);
  if (!lowered) return term::string("incomplete source");
  // The text is one `defmodule`, lowered to otpp_module:define(Name, Forms, Last).
  const term& exprs = lowered->exprs;
  if (!exprs.is_proper_list() || exprs.list_elements().size() != 1) return term::string("not one defmodule");
  const term& call = exprs.list_elements()[0];
  if (!is_form(call, a_call, 4) || !call[3].is_proper_list() || call[3].list_elements().size() != 3)
    return term::string("not one defmodule");
  auto forms = normalise(call[3].list_elements()[1]);
  if (!forms) return term::string("forms that are not a literal");
  return load(services, *forms, nullptr, true);
}

term define_module(otp::node_services& services, const term& forms, const term& last) {
  term binary;
  // A defmodule the shell evaluates: its frames name the file "iex", as iex's do.
  static const term shell_file = term::string("iex");
  auto r = load(services, forms, &binary, false, shell_file);
  if (!r) throw raised_error(r.error(), list_of(term::tuple({a_otpp_module, atom("define"), term(3), term()})));
  return term::tuple({a_module, *r, binary, last});
}

namespace {

// What code:is_loaded/1 answers: `{file, []}` for a module defined on the node (as BEAM for a
// module defined in iex), `{file, preloaded}` for one of C++ functions, else false.
term is_loaded(otp::node_services& services, const term& m) {
  if (!m.is_atom()) throw raised_error(a_function_clause, list_of(term::tuple({atom("code"), atom("is_loaded"), list_of(m), term()})));
  atom name = m.atom_value();
  if (auto r = services.find_extension<module_registry>()) {
    std::lock_guard lock(r->mu);
    auto it = r->modules.find(name.index());
    if (it != r->modules.end() && !it->second.current.expired()) return tuple_of(atom("file"), term());
  }
  for (const auto& e : services.exports().entries())
    if (e.module == name) return tuple_of(atom("file"), atom("preloaded"));
  if (name == atoms::erlang) return tuple_of(atom("file"), atom("preloaded"));
  return atoms::false_;
}

term ensure_loaded(otp::node_services& services, const term& m) {
  if (m.is_atom()) (void)services.exports().autoload(m.atom_value());
  if (is_loaded(services, m).is_atom(atoms::false_)) return tuple_of(atoms::error, atom("nofile"));
  return tuple_of(a_module, m);
}

term function_exported(otp::node_services& services, const term& m, const term& f, const term& a) {
  if (!m.is_atom() || !f.is_atom() || !a.is_small_integer() || a.small_integer() < 0)
    throw raised_error(atoms::badarg, list_of(term::tuple({atoms::erlang, atom("function_exported"), list_of(m, f, a), term()})));
  auto arity = static_cast<std::size_t>(a.small_integer());
  if (m.atom_value() == atoms::erlang && find_bif(f.atom_value(), arity).fn) return atoms::true_;
  auto e = services.exports().find(m.atom_value(), f.atom_value(), arity);
  return term::boolean(e && e->arity == static_cast<int>(arity));
}

// The node of the calling process (only a node's processes reach these entries).
otp::node_services& services_for(process& self) {
  auto* services = otp::services_of(self.rt());
  if (!services) throw raised_error(atoms::undef, term());
  return *services;
}

}  // namespace

void install_module_loader(export_table& exports) {
  exports.add("otpp_module", "define", [](process& self, term, term forms, term last) -> task<term> {
    co_return define_module(services_for(self), forms, last);
  });
  // What code asks about the modules a node has.
  exports.add("code", "is_loaded", [](process& self, term m) -> task<term> { co_return is_loaded(services_for(self), m); });
  exports.add("code", "ensure_loaded",
              [](process& self, term m) -> task<term> { co_return ensure_loaded(services_for(self), m); });
  exports.add("Elixir.Code", "ensure_loaded",
              [](process& self, term m) -> task<term> { co_return ensure_loaded(services_for(self), m); });
  exports.add("Elixir.Code", "ensure_loaded?", [](process& self, term m) -> task<term> {
    co_return term::boolean(!is_loaded(services_for(self), m).is_atom(atoms::false_));
  });
  exports.add("erlang", "function_exported", [](process& self, term m, term f, term a) -> task<term> {
    co_return function_exported(services_for(self), m, f, a);
  });
  exports.add("Elixir.Kernel", "function_exported?", [](process& self, term m, term f, term a) -> task<term> {
    co_return function_exported(services_for(self), m, f, a);
  });
}

}  // namespace otpp::code
