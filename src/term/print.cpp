// The Erlang and Elixir term printers: io_lib's `~tw`/`~tp` and Elixir 1.14's `inspect/1`,
// rule for rule (checked against both in tests/term/print_test.cpp).
#include "otpp/term/print.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include "otpp/term/map_order.hpp"
#include "otpp/term/struct_fields.hpp"
#include "otpp/term/unicode.hpp"
#include "term/identifier_chars.hpp"
#include "term/inspect_algebra.hpp"
#include "term/print_text.hpp"

namespace otpp {

using namespace detail;

namespace {

using unicode::append_utf8;

// ---- the printer ---------------------------------------------------------------------------

class printer {
  friend class elixir_layout;

 public:
  printer(std::string& out, const print_options& o) : out_(out), o_(o) {}

  // Iterative, so a term prints however deep it is nested: containers push what is left of
  // them (subterms, separators, closing brackets) on `jobs_`, last part first.
  void print(const term& t) {
    const bool elixir_syntax = o_.syntax == syntax::elixir;
    jobs_.push_back({job::op::term, &t, {}});
    while (!jobs_.empty()) {
      const job j = jobs_.back();
      jobs_.pop_back();
      switch (j.what) {
        case job::op::text:
          out_ += j.text;
          break;
        case job::op::key:
          elixir_key_of(j.t->atom_value());
          break;
        case job::op::term:
          if (elixir_syntax) {
            elixir(*j.t);
          } else {
            erlang(*j.t);
          }
          break;
      }
    }
  }

 private:
  std::uint32_t node_number(atom node, std::uint32_t creation) const {
    return o_.node_number ? o_.node_number(node, creation) : 0;
  }

  void number(std::uint64_t v) { out_ += std::to_string(v); }

  void pid_fields(const pid& p) {
    out_ += '<';
    number(node_number(p.node, p.creation));
    out_ += '.';
    number(p.id);
    out_ += '.';
    number(p.serial);
    out_ += '>';
  }
  void port_fields(const port_id& p) {
    out_ += '<';
    number(node_number(p.node, p.creation));
    out_ += '.';
    number(p.id);
    out_ += '>';
  }
  void reference_fields(const reference& r) {
    out_ += '<';
    number(node_number(r.node, r.creation));
    // The wire carries the least significant word first; Erlang prints it last.
    for (std::size_t i = r.length; i-- > 0;) {
      out_ += '.';
      number(r.words[i]);
    }
    out_ += '>';
  }

  /// Value of the partial last byte of a bitstring: its significant high bits.
  static unsigned tail_bits_value(const term& t) {
    const auto bytes = t.bytes();
    return bytes.back() >> (8 - t.bits_in_last_byte());
  }

  // One step of print(): a subterm to print, literal text, or an Elixir keyword key.
  struct job {
    enum class op : std::uint8_t { term, text, key };
    op what;
    const term* t;
    std::string_view text;
  };
  void later(const term& t) { jobs_.push_back({job::op::term, &t, {}}); }
  void later_text(std::string_view text) { jobs_.push_back({job::op::text, nullptr, text}); }
  void later_key(const term& key) { jobs_.push_back({job::op::key, &key, {}}); }

  // ---- Erlang --------------------------------------------------------------------------------
  void erlang(const term& t) {
    switch (t.type()) {
      case term::kind::tuple: {
        out_ += '{';
        later_text("}");
        const auto e = t.elements();
        for (std::size_t i = e.size(); i-- > 0;) {
          later(e[i]);
          if (i > 0) later_text(",");
        }
        break;
      }
      case term::kind::map: {
        out_ += "#{";
        later_text("}");
        // In the order maps:iterator/1 walks it, as io_lib prints maps.
        const auto e = map_fold_order(t);
        for (std::size_t i = e.size(); i-- > 0;) {
          later(e[i]->second);
          later_text(" => ");
          later(e[i]->first);
          if (i > 0) later_text(",");
        }
        break;
      }
      case term::kind::list:
        erlang_list(t);
        break;
      default:
        erlang_scalar(t);
        break;
    }
  }

  [[gnu::noinline]] void erlang_scalar(const term& t) {
    switch (t.type()) {
      case term::kind::integer:
        out_ += t.integer_to_string();
        break;
      case term::kind::float_:
        out_ += erlang_float(t.float_value());
        break;
      case term::kind::atom:
        erlang_atom(out_, t.atom_value());
        break;
      case term::kind::reference:
        out_ += "#Ref";
        reference_fields(t.reference_value());
        break;
      case term::kind::fun:
        erlang_fun(t.fun_content());
        break;
      case term::kind::port:
        out_ += "#Port";
        port_fields(t.port_value());
        break;
      case term::kind::pid:
        pid_fields(t.pid_value());
        break;
      case term::kind::nil:
        out_ += "[]";
        break;
      case term::kind::bitstring:
        erlang_bits(t);
        break;
      case term::kind::tuple:
      case term::kind::map:
      case term::kind::list:
        break;
    }
  }

  void erlang_fun(const fun_value& f) {
    if (f.is_export) {
      out_ += "fun ";
      erlang_atom(out_, f.module);
      out_ += ':';
      erlang_atom(out_, f.function);
      out_ += '/';
      number(f.arity);
    } else {
      out_ += "#Fun<";
      erlang_atom(out_, f.module);
      out_ += '.';
      number(f.index);
      out_ += '.';
      out_ += std::to_string(f.old_uniq);
      out_ += '>';
    }
  }

  /// Prints a proper list of printable characters as a string; false if it is not one.
  [[gnu::noinline]] bool erlang_string(std::span<const term> elements) {
    std::u32string chars;
    chars.reserve(elements.size());
    for (const term& e : elements) {
      const auto v = e.to_int64();
      if (!v || *v < 0 || !erlang_printable(static_cast<char32_t>(*v))) return false;
      chars.push_back(static_cast<char32_t>(*v));
    }
    erlang_quoted(out_, chars, '"');
    return true;
  }

  void erlang_list(const term& t) {
    const auto elements = t.list_elements();
    if (o_.strings && t.list_tail().is_nil() && erlang_string(elements)) return;
    out_ += '[';
    later_text("]");
    if (!t.list_tail().is_nil()) {
      later(t.list_tail());
      later_text("|");
    }
    for (std::size_t i = elements.size(); i-- > 0;) {
      later(elements[i]);
      if (i > 0) later_text(",");
    }
  }

  void erlang_bits(const term& t) {
    const auto bytes = t.bytes();
    if (o_.strings && t.is_binary() && !bytes.empty() && erlang_text_binary(t)) return;
    out_ += "<<";
    const std::size_t whole = t.is_binary() ? bytes.size() : bytes.size() - 1;
    for (std::size_t i = 0; i < whole; ++i) {
      if (i > 0) out_ += ',';
      number(bytes[i]);
    }
    if (!t.is_binary()) {
      if (whole > 0) out_ += ',';
      number(tail_bits_value(t));
      out_ += ':';
      number(t.bits_in_last_byte());
    }
    out_ += ">>";
  }

  /// io_lib_pretty's printable_bin: UTF-8 text prints as <<"text"/utf8>> (or <<"text">> when
  /// it is all ASCII); anything else that is printable byte by byte as Latin-1 <<"text">>.
  bool erlang_text_binary(const term& t) {
    const std::string_view bytes = t.bytes_as_string();
    if (auto decoded = unicode::from_utf8(bytes)) {
      const std::u32string& chars = *decoded;
      for (char32_t c : chars) {
        if (!erlang_printable(c)) return false;
      }
      out_ += "<<";
      erlang_quoted(out_, chars, '"');
      out_ += chars.size() == bytes.size() ? ">>" : "/utf8>>";
      return true;
    }
    std::u32string chars;
    for (char b : bytes) {
      const auto c = static_cast<char32_t>(static_cast<unsigned char>(b));
      if (!erlang_printable(c)) return false;
      chars.push_back(c);
    }
    out_ += "<<";
    erlang_quoted(out_, chars, '"');
    out_ += ">>";
    return true;
  }

  // ---- Elixir --------------------------------------------------------------------------------
  void elixir(const term& t) {
    switch (t.type()) {
      case term::kind::tuple: {
        out_ += '{';
        later_text("}");
        const auto e = t.elements();
        for (std::size_t i = e.size(); i-- > 0;) {
          later(e[i]);
          if (i > 0) later_text(", ");
        }
        break;
      }
      case term::kind::map:
        elixir_map(t);
        break;
      case term::kind::list:
        elixir_list(t);
        break;
      default:
        elixir_scalar(t);
        break;
    }
  }

  [[gnu::noinline]] void elixir_scalar(const term& t) {
    switch (t.type()) {
      case term::kind::integer:
        out_ += t.integer_to_string();
        break;
      case term::kind::float_:
        out_ += elixir_float(t.float_value());
        break;
      case term::kind::atom:
        elixir_atom(out_, t.atom_value());
        break;
      case term::kind::reference:
        out_ += "#Reference";
        reference_fields(t.reference_value());
        break;
      case term::kind::fun:
        elixir_fun(t.fun_content());
        break;
      case term::kind::port:
        out_ += "#Port";
        port_fields(t.port_value());
        break;
      case term::kind::pid:
        out_ += "#PID";
        pid_fields(t.pid_value());
        break;
      case term::kind::nil:
        out_ += "[]";
        break;
      case term::kind::bitstring:
        elixir_bits(t);
        break;
      case term::kind::tuple:
      case term::kind::map:
      case term::kind::list:
        break;
    }
  }

  void elixir_fun(const fun_value& f) {
    if (f.is_export) {
      out_ += '&';
      elixir_atom(out_, f.module);
      out_ += '.';
      elixir_remote_name(out_, f.function);
      out_ += '/';
      number(f.arity);
    } else {
      // Elixir adds the name of the function the closure was defined in, which only the
      // loaded module knows; the wire does not carry it.
      out_ += "#Function<";
      number(f.index);
      out_ += '.';
      out_ += std::to_string(f.old_uniq);
      out_ += '/';
      number(f.arity);
      out_ += " in ";
      elixir_atom(out_, f.module);
      // Every closure erl_eval makes is defined in erl_eval:expr/6, which Elixir names.
      if (f.module.name() == "erl_eval") out_ += ".expr/6";
      out_ += '>';
    }
  }

  /// Prints a proper list of characters as a charlist ('abc'); false if it is not one.
  [[gnu::noinline]] bool elixir_charlist(std::span<const term> elements) {
    for (const term& e : elements) {
      const auto v = e.to_int64();
      if (!v || !elixir_charlist_char(*v)) return false;
    }
    std::u32string chars;
    chars.reserve(elements.size());
    for (const term& e : elements) chars.push_back(static_cast<char32_t>(e.small_integer()));
    out_ += '\'';
    elixir_escaped(out_, chars, '\'');
    out_ += '\'';
    return true;
  }

  [[gnu::noinline]] static bool elixir_keyword_list(std::span<const term> elements) {
    for (const term& e : elements)
      if (!elixir_keyword_pair(e)) return false;
    return true;
  }

  [[gnu::noinline]] void elixir_key_of(atom key) { elixir_key(out_, key); }

  void elixir_list(const term& t) {
    const auto elements = t.list_elements();
    const bool proper = t.list_tail().is_nil();
    if (proper && elixir_charlist(elements)) return;
    const bool keyword = proper && elixir_keyword_list(elements);
    out_ += '[';
    later_text("]");
    if (!proper) {
      later(t.list_tail());
      later_text(" | ");
    }
    for (std::size_t i = elements.size(); i-- > 0;) {
      if (keyword) {
        later(elements[i][1]);
        later_key(elements[i][0]);
      } else {
        later(elements[i]);
      }
      if (i > 0) later_text(", ");
    }
  }

  /// A map whose keys are all atoms (a struct's keys are).
  [[gnu::noinline]] static bool elixir_keyword_map_or_struct(const term& t) {
    for (const auto& [k, v] : t.map_entries()) {
      if (!k.is_atom()) return false;
    }
    return true;
  }

  /// A map whose keys are all atoms (none an Elixir alias) prints as `%{a: 1}`.
  [[gnu::noinline]] static bool elixir_keyword_map(const term& t) {
    for (const auto& [k, v] : t.map_entries()) {
      if (!k.is_atom() || k.atom_value().name().substr(0, 7) == "Elixir.") return false;
    }
    return true;
  }

  /// The struct name of a map with `__struct__: Elixir.Name`, or empty.
  [[gnu::noinline]] static std::string_view elixir_struct_name(const term& t) {
    for (const auto& [k, v] : t.map_entries()) {
      if (k.is_atom() && k.atom_value().name() == "__struct__") {
        if (v.is_atom() && v.atom_value().name().substr(0, 7) == "Elixir.") return v.atom_value().name().substr(7);
        return {};
      }
    }
    return {};
  }

  [[gnu::noinline]] static const term* elixir_field(const term& t, std::string_view key) {
    for (const auto& [k, v] : t.map_entries()) {
      if (k.is_atom() && k.atom_value().name() == key) return &v;
    }
    return nullptr;
  }

  /// A struct's fields in its `defstruct` order, as Elixir's Inspect.Any prints them (without
  /// `__struct__` and `__exception__`); nullopt when Elixir prints the map as a plain map: no
  /// struct of that name is known, or the map's keys are not the struct's.
  [[gnu::noinline]] static std::optional<std::vector<const std::pair<term, term>*>> struct_fields_in_order(
      const term& t, std::string_view name) {
    auto fields = struct_fields(atom("Elixir." + std::string(name)));
    if (!fields || t.map_entries().size() != fields->size() + 1) return std::nullopt;
    std::vector<const std::pair<term, term>*> out;
    for (atom f : *fields) {
      const auto entries = t.map_entries();
      const auto entry = std::find_if(entries.begin(), entries.end(), [f](const auto& kv) { return kv.first.is_atom(f); });
      if (entry == entries.end()) return std::nullopt;
      if (f.name() == "__exception__") continue;
      out.push_back(&*entry);
    }
    return out;
  }

  /// A %Regex{} as Elixir's Inspect prints it, `~r/source/opts` (a `/` of the source escaped).
  [[gnu::noinline]] static std::optional<std::string> elixir_regex_sigil(const term& t) {
    const term* source = elixir_field(t, "source");
    const term* opts = elixir_field(t, "opts");
    if (!source || !source->is_binary() || !opts || !opts->is_binary()) return std::nullopt;
    std::string out = "~r/";
    const std::string_view text = source->bytes_as_string();
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        out += text.substr(i, 2);
        ++i;
        continue;
      }
      if (text[i] == '/') out += '\\';
      out += text[i];
    }
    out += '/';
    out += opts->bytes_as_string();
    return out;
  }

  /// Structs as Elixir's Inspect implementations print them: ranges as `1..3` (`1..0//1`
  /// when the step is not the natural one), MapSets as `MapSet.new([...])`, others as
  /// `%Name{field: value}`.
  [[gnu::noinline]] bool elixir_struct(const term& t) {
    const std::string_view name = elixir_struct_name(t);
    if (name.empty()) return false;
    if (name == "Range") {
      const term* first = elixir_field(t, "first");
      const term* last = elixir_field(t, "last");
      const term* step = elixir_field(t, "step");
      if (!first || !last || !step || t.map_entries().size() != 4) return false;
      elixir(*first);
      out_ += "..";
      elixir(*last);
      if (!(step->is_integer() && step->to_int64() == 1 && first->is_integer() && last->is_integer() &&
            compare(*last, *first) >= 0)) {
        out_ += "//";
        elixir(*step);
      }
      return true;
    }
    if (name == "Stream") {
      const term* enumerable = elixir_field(t, "enum");
      const term* funs = elixir_field(t, "funs");
      if (!enumerable || !funs) return false;
      out_ += "#Stream<[enum: ";
      elixir(*enumerable);
      out_ += ", funs: ";
      elixir(*funs);
      out_ += "]>";
      return true;
    }
    if (name == "Regex") {
      auto sigil = elixir_regex_sigil(t);
      if (!sigil) return false;
      out_ += *sigil;
      return true;
    }
    if (name == "MapSet") {
      const term* set = elixir_field(t, "map");
      if (!set || !set->is_map()) return false;
      out_ += "MapSet.new([";
      bool first = true;
      for (const auto* kv : map_to_list_order(*set)) {
        if (!first) out_ += ", ";
        first = false;
        elixir(kv->first);
      }
      out_ += "])";
      return true;
    }
    const auto fields = struct_fields_in_order(t, name);
    if (!fields) return false;
    out_ += '%';
    out_ += name;
    out_ += '{';
    bool first = true;
    for (const auto* kv : *fields) {
      if (!first) out_ += ", ";
      first = false;
      elixir_key_of(kv->first.atom_value());
      elixir(kv->second);
    }
    out_ += '}';
    return true;
  }

  void elixir_map(const term& t) {
    if (elixir_keyword_map_or_struct(t) && elixir_struct(t)) return;
    const bool keyword = elixir_keyword_map(t);
    out_ += "%{";
    later_text("}");
    // In maps:to_list/1's order, as Elixir's Inspect.Map prints maps.
    const auto e = map_to_list_order(t);
    for (std::size_t i = e.size(); i-- > 0;) {
      later(e[i]->second);
      if (keyword) {
        later_key(e[i]->first);
      } else {
        later_text(" => ");
        later(e[i]->first);
      }
      if (i > 0) later_text(", ");
    }
  }

  void elixir_bits(const term& t) {
    const auto bytes = t.bytes();
    if (t.is_binary()) {
      auto decoded = unicode::from_utf8(t.bytes_as_string());
      bool text = decoded.has_value();
      const std::u32string chars = std::move(decoded).value_or(U"");
      for (std::size_t i = 0; text && i < chars.size(); ++i) text = elixir_string_char(chars[i]);
      if (text) {
        out_ += '"';
        elixir_escaped(out_, chars, '"');
        out_ += '"';
        return;
      }
    }
    out_ += "<<";
    const std::size_t whole = t.is_binary() ? bytes.size() : bytes.size() - 1;
    for (std::size_t i = 0; i < whole; ++i) {
      if (i > 0) out_ += ", ";
      number(bytes[i]);
    }
    if (!t.is_binary()) {
      if (whole > 0) out_ += ", ";
      number(tail_bits_value(t));
      out_ += "::size(";
      number(t.bits_in_last_byte());
      out_ += ')';
    }
    out_ += ">>";
  }

  std::string& out_;
  const print_options& o_;
  std::vector<job> jobs_;
};


// ---- Elixir's inspect/2 layout ---------------------------------------------------------------

/// Builds the Inspect.Algebra document Elixir 1.14's Inspect implementations build for a term
/// (lib/elixir/lib/inspect.ex), so that `limit`, `width` and `pretty` lay it out as Elixir does.
/// Scalars are texts printed by the one-line printer above.
class elixir_layout {
 public:
  using doc = algebra::doc;
  static constexpr std::size_t infinity = print_options::infinity;

  explicit elixir_layout(const print_options& o) : o_(o), flat_(o) {
    flat_.pretty = false;
    flat_.limit = infinity;
    flat_.printable_limit = infinity;
  }

  void print(std::string& out, const term& t) {
    const doc d = docs_.group(to_doc(t, o_.limit));
    docs_.format(out, d, o_.pretty ? o_.width : infinity);
  }

 private:
  enum class breaks : std::uint8_t { maybe, strict, flex };

  doc text_of(const term& t) {
    std::string s;
    printer(s, flat_).print(t);
    return docs_.text(std::move(s));
  }

  doc to_doc(const term& t, std::size_t limit) {
    switch (t.type()) {
      case term::kind::tuple: {
        std::vector<term> items(t.elements().begin(), t.elements().end());
        return container("{", items, nullptr, "}", limit, breaks::flex,
                         [this](const term& e, std::size_t l) { return to_doc(e, l); });
      }
      case term::kind::list:
        return list(t, limit);
      case term::kind::map:
        return map(t, limit);
      case term::kind::bitstring:
        return bits(t, limit);
      default:
        return text_of(t);
    }
  }

  /// Inspect.Algebra.container_doc/6: items joined by `,` and a break, `...` past the limit,
  /// flex breaks when every item is plain text (or `flex`), else one item per line.
  template <class Fun>
  doc container(const std::string& left, const std::vector<term>& items, const term* tail,
                const std::string& right, std::size_t limit, breaks style, Fun&& fun) {
    if (items.empty() && !tail) return docs_.text(left + right);
    std::vector<doc> parts;
    bool simple = style == breaks::maybe;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (limit == 0) {
        parts.push_back(docs_.text("..."));
        break;
      }
      if (limit != infinity) --limit;
      const bool last_before_tail = tail && i + 1 == items.size();
      const doc d = fun(items[i], limit);
      if (!last_before_tail) {
        simple = simple && docs_.simple(d);
        parts.push_back(d);
        continue;
      }
      // [left | right]: the last element and the tail are one item joined by ` |`.
      const doc r = fun(*tail, limit);
      simple = simple && docs_.simple(d) && docs_.simple(r);
      parts.push_back(join(d, r, simple, " |"));
    }
    const bool flex = simple || style == breaks::flex;
    doc joined = parts.back();
    for (std::size_t i = parts.size() - 1; i-- > 0;) joined = join(parts[i], joined, flex, ",");
    const doc l = docs_.text(left);
    const doc r = docs_.text(right);
    if (flex) return docs_.group(docs_.concat({l, docs_.nest(joined, 1), r}));
    return docs_.group(docs_.glue(docs_.nest(docs_.glue(l, "", joined), 2), "", r));
  }

  doc join(doc left, doc right, bool flex, const char* separator) {
    const doc l = docs_.concat(left, docs_.text(separator));
    return flex ? docs_.flex_glue(l, " ", right) : docs_.glue(l, " ", right);
  }

  /// Inspect.List.keyword/2: `key: value`.
  doc keyword(const term& key, const term& value, std::size_t limit) {
    std::string k;
    elixir_key(k, key.atom_value());
    return docs_.concat(docs_.text(std::move(k)), to_doc(value, limit));
  }

  doc list(const term& t, std::size_t limit) {
    const auto elements = t.list_elements();
    const bool proper = t.list_tail().is_nil();
    if (proper) {
      if (auto d = charlist(elements)) return *d;
    }
    std::vector<term> items(elements.begin(), elements.end());
    if (proper && printer::elixir_keyword_list(elements)) {
      return container("[", items, nullptr, "]", limit, breaks::strict,
                       [this](const term& e, std::size_t l) { return keyword(e[0], e[1], l); });
    }
    const term tail = t.list_tail();
    return container("[", items, proper ? nullptr : &tail, "]", limit, breaks::maybe,
                     [this](const term& e, std::size_t l) { return to_doc(e, l); });
  }

  /// A printable charlist, its first `printable_limit` characters and ` ++ ...` past them.
  std::optional<doc> charlist(std::span<const term> elements) {
    const std::size_t shown = std::min(elements.size(), o_.printable_limit);
    std::u32string chars;
    for (std::size_t i = 0; i < shown; ++i) {
      const auto v = elements[i].to_int64();
      if (!v || !elixir_charlist_char(*v)) return std::nullopt;
      chars.push_back(static_cast<char32_t>(*v));
    }
    std::string s = "'";
    elixir_escaped(s, chars, '\'');
    s += '\'';
    if (shown < elements.size()) s += " ++ ...";
    return docs_.text(std::move(s));
  }

  doc map(const term& t, std::size_t limit) {
    std::vector<term> entries;
    std::string_view name = printer::elixir_keyword_map_or_struct(t) ? printer::elixir_struct_name(t) : "";
    if (name == "Range") return text_of(t);
    if (name == "Regex") {
      if (auto sigil = printer::elixir_regex_sigil(t)) return docs_.text(std::move(*sigil));
    }
    if (name == "Stream") {
      const term* enumerable = printer::elixir_field(t, "enum");
      const term* funs = printer::elixir_field(t, "funs");
      if (enumerable && funs) {
        term fields = term::list({term::tuple({atom("enum"), *enumerable}), term::tuple({atom("funs"), *funs})});
        return docs_.concat({docs_.text("#Stream<"), list(fields, limit), docs_.text(">")});
      }
    }
    if (name == "MapSet") {
      const term* set = printer::elixir_field(t, "map");
      if (set && set->is_map()) {
        std::vector<term> keys;
        for (const auto* kv : map_to_list_order(*set)) keys.push_back(kv->first);
        // [] alone would print as a charlist ('').
        if (keys.empty()) return docs_.text("MapSet.new([])");
        return docs_.concat({docs_.text("MapSet.new("), list(term::list(keys), limit), docs_.text(")")});
      }
      name = {};
    }
    std::optional<std::vector<const std::pair<term, term>*>> fields;
    if (!name.empty()) fields = printer::struct_fields_in_order(t, name);
    if (!fields) name = {};
    for (const auto* kv : fields ? *fields : map_to_list_order(t)) entries.push_back(term::tuple({kv->first, kv->second}));
    const bool keyword_map = !name.empty() || printer::elixir_keyword_map(t);
    const std::string open = "%" + std::string(name) + "{";
    if (keyword_map) {
      return container(open, entries, nullptr, "}", limit, breaks::strict,
                       [this](const term& e, std::size_t l) { return keyword(e[0], e[1], l); });
    }
    return container(open, entries, nullptr, "}", limit, breaks::strict, [this](const term& e, std::size_t l) {
      return docs_.concat({to_doc(e[0], l), docs_.text(" => "), to_doc(e[1], l)});
    });
  }

  doc bits(const term& t, std::size_t limit) {
    if (t.is_binary()) {
      if (auto d = string(t)) return *d;
      if (t.bytes().empty()) return docs_.text("<<>>");
    }
    // Inspect.BitString's each_bit/3: bytes joined by flex breaks, `...` past the limit.
    const auto bytes = t.bytes();
    const std::size_t whole = t.is_binary() ? bytes.size() : bytes.size() - 1;
    const std::size_t counter = limit;
    // Built from the right: each byte is `n,` flex-glued to the rest.
    const std::size_t count = whole + (t.is_binary() ? 0 : 1);
    std::size_t shown = count;
    bool ellipsis = false;
    if (counter != infinity && counter < count) {
      shown = counter;
      ellipsis = true;
    }
    auto item = [&](std::size_t i) {
      if (i < whole) return docs_.text(std::to_string(bytes[i]));
      return docs_.text(std::to_string(printer::tail_bits_value(t)) + "::size(" +
                        std::to_string(t.bits_in_last_byte()) + ")");
    };
    doc inner = ellipsis ? docs_.text("...") : item(shown - 1);
    for (std::size_t i = ellipsis ? shown : shown - 1; i-- > 0;) {
      inner = docs_.flex_glue(docs_.concat(item(i), docs_.text(",")), " ", inner);
    }
    return docs_.group(docs_.concat({docs_.text("<<"), docs_.nest(inner, 2), docs_.text(">>")}));
  }

  /// A printable string, its first `printable_limit` characters and ` <> ...` past them.
  std::optional<doc> string(const term& t) {
    auto decoded = unicode::from_utf8(t.bytes_as_string());
    if (!decoded) return std::nullopt;
    const std::u32string& chars = *decoded;
    const std::size_t shown = std::min(chars.size(), o_.printable_limit);
    for (std::size_t i = 0; i < shown; ++i)
      if (!elixir_string_char(chars[i])) return std::nullopt;
    std::string s = "\"";
    elixir_escaped(s, chars.substr(0, shown), '"');
    s += '"';
    if (shown < chars.size()) s += " <> ...";
    return docs_.text(std::move(s));
  }

  const print_options& o_;
  print_options flat_;
  algebra::documents docs_;
};

}  // namespace

void print_to(std::string& out, const term& t, const print_options& options) {
  if (options.syntax == syntax::elixir &&
      (options.pretty || options.limit != print_options::infinity ||
       options.printable_limit != print_options::infinity)) {
    elixir_layout(options).print(out, t);
    return;
  }
  printer(out, options).print(t);
}

std::string to_string(const term& t, const print_options& options) {
  std::string out;
  print_to(out, t, options);
  return out;
}

std::string format_float(double value, otpp::syntax s) {
  return s == syntax::elixir ? elixir_float(value) : erlang_float(value);
}

std::string format_atom(atom a, otpp::syntax s) {
  std::string out;
  if (s == syntax::elixir) {
    elixir_atom(out, a);
  } else {
    erlang_atom(out, a);
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const term& t) { return os << to_string(t); }

}  // namespace otpp
