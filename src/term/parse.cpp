// The literal parser for Erlang and Elixir term syntax (see parse.hpp), on top of the lexer
// (lexer.cpp).
#include "otpp/term/parse.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "otpp/term/arith.hpp"
#include "otpp/term/unicode.hpp"
#include "term/identifier_chars.hpp"

namespace otpp {
namespace {

using unicode::append_utf8;

std::string quote_for_message(const token& t) {
  switch (t.kind) {
    case token_kind::end:
      return "end of text";
    case token_kind::error:
      return t.text;
    case token_kind::integer:
      return "integer";
    case token_kind::float_:
      return "float";
    case token_kind::atom:
      return "atom";
    case token_kind::alias:
      return "alias";
    case token_kind::string:
      return "string";
    case token_kind::charlist:
      return "charlist";
    case token_kind::keyword_key:
      return "keyword key";
    case token_kind::variable:
      return "variable '" + t.text + "'";
    case token_kind::keyword:
    case token_kind::punct:
      return "'" + t.text + "'";
    case token_kind::process:
      return t.text + " literal";
  }
  return "token";
}

}  // namespace

std::string parse_error::describe(std::string_view text) const {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

// ---- parser --------------------------------------------------------------------------------

namespace {

/// Builds a bitstring MSB first, as binary construction does.
class bit_writer {
 public:
  void push(std::uint64_t value, std::size_t bits) {
    for (std::size_t i = bits; i-- > 0;) push_bit((value >> i) & 1);
  }
  void push_bit(unsigned b) {
    if (bits_ % 8 == 0) bytes_.push_back(0);
    if (b) bytes_.back() |= static_cast<std::uint8_t>(0x80 >> (bits_ % 8));
    ++bits_;
  }
  void push_bytes(std::span<const std::uint8_t> bytes, std::size_t bits) {
    for (std::size_t i = 0; i < bits; ++i) push_bit((bytes[i / 8] >> (7 - i % 8)) & 1);
  }
  [[nodiscard]] term result() const {
    if (bits_ % 8 == 0) return term::binary(std::span<const std::uint8_t>(bytes_));
    return term::bitstring(bytes_, static_cast<unsigned>(bits_ % 8));
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t bits_ = 0;
};

std::u32string code_points(std::string_view utf8) { return unicode::from_utf8(utf8).value_or(U""); }

term negate(const term& t) { return *arith::negate(t); }  // t is a number literal

/// One `Value:Size/Type` segment of a binary, with its specifiers resolved.
enum class segment_type : std::uint8_t { integer, float_, binary, utf8, utf16, utf32 };
struct segment_spec {
  segment_type type = segment_type::integer;
  bool type_given = false;
  std::optional<std::uint64_t> size;
  std::uint64_t unit = 0;  // 0: the type's default
  bool little = false;
};

class parser {
 public:
  parser(std::string_view text, const parse_options& o, std::size_t pos)
      : lx_(text, o.syntax, pos), o_(o), last_end_(pos) {}

  std::optional<term> value(std::size_t depth) {
    if (depth > o_.max_depth)
      return fail(lx_.peek().offset, "nesting deeper than " + std::to_string(o_.max_depth));
    token t = take();
    if (t.kind == token_kind::error) return fail(t.offset, t.text);
    if (t.kind == token_kind::punct && (t.text == "-" || t.text == "+")) {
      token n = take();
      if (n.kind != token_kind::integer && n.kind != token_kind::float_) {
        return fail(n.offset, "expected a number after '" + t.text + "'");
      }
      return t.text == "-" ? negate(n.value) : n.value;
    }
    return o_.syntax == syntax::erlang ? erlang_value(std::move(t), depth)
                                       : elixir_value(std::move(t), depth);
  }

  [[nodiscard]] std::size_t last_end() const noexcept { return last_end_; }
  lexer& lex() noexcept { return lx_; }
  parse_error& error() noexcept { return error_; }

  std::optional<term> fail(std::size_t offset, std::string message) {
    if (!failed_) {
      error_.offset = offset;
      error_.message = std::move(message);
      failed_ = true;
    }
    return std::nullopt;
  }

  token take() {
    token t = lx_.next();
    if (t.kind != token_kind::end && t.kind != token_kind::error) last_end_ = t.offset + t.length;
    return t;
  }

 private:
  bool peek_punct(std::string_view p) {
    const token& t = lx_.peek();
    return t.kind == token_kind::punct && t.text == p;
  }

  bool expect(std::string_view p, std::string_view context) {
    const token& t = lx_.peek();
    if (t.kind == token_kind::punct && t.text == p) {
      (void)take();
      return true;
    }
    if (t.kind == token_kind::error) {
      fail(t.offset, t.text);
    } else {
      fail(t.offset, "expected '" + std::string(p) + "' " + std::string(context) + ", found " +
                         quote_for_message(t));
    }
    return false;
  }

  std::optional<term> unexpected(const token& t) {
    if (t.kind == token_kind::error) return fail(t.offset, t.text);
    if (t.kind == token_kind::variable) {
      return fail(t.offset, o_.syntax == syntax::erlang
                                ? "variable '" + t.text + "' is not a literal"
                                : "'" + t.text + "' is not a literal (a variable or a call)");
    }
    return fail(t.offset, "unexpected " + quote_for_message(t));
  }

  // ---- Erlang ------------------------------------------------------------------------------
  std::optional<term> erlang_value(token t, std::size_t depth) {
    switch (t.kind) {
      case token_kind::integer:
      case token_kind::float_:
      case token_kind::atom:
        return t.value;
      case token_kind::string: {
        // Adjacent strings concatenate ("ab" "c" is "abc").
        std::string text = std::move(t.text);
        while (lx_.peek().kind == token_kind::string) text += take().text;
        std::vector<term> chars;
        for (char32_t c : code_points(text)) chars.emplace_back(static_cast<long long>(c));
        return term::list(std::move(chars));
      }
      case token_kind::process:
        return process(t);
      case token_kind::keyword:
        if (t.text == "fun") return erlang_export_fun(t);
        return unexpected(t);
      case token_kind::punct:
        if (t.text == "{") return sequence("}", depth, true);
        if (t.text == "[") return sequence("]", depth, false);
        if (t.text == "<<") return bitstring(depth);
        if (t.text == "#") {
          if (!peek_punct("{"))
            return fail(t.offset, "expected '{' after '#' (records are not literals)");
          (void)take();
          return map_body(depth);
        }
        return unexpected(t);
      default:
        return unexpected(t);
    }
  }

  std::optional<term> erlang_export_fun(const token& fun_token) {
    token m = take();
    if (m.kind != token_kind::atom)
      return fail(m.offset, "expected a module after 'fun' (fun M:F/A)");
    if (!expect(":", "after the module of fun M:F/A")) return std::nullopt;
    token f = take();
    if (f.kind != token_kind::atom) return fail(f.offset, "expected a function name in fun M:F/A");
    if (!expect("/", "after the function of fun M:F/A")) return std::nullopt;
    return export_fun_arity(m.value.atom_value(), f.value.atom_value(), fun_token.offset);
  }

  std::optional<term> export_fun_arity(atom module, atom function, std::size_t) {
    token a = take();
    const auto arity = a.kind == token_kind::integer ? a.value.to_int64() : std::nullopt;
    if (!arity || *arity < 0 || *arity > 255) return fail(a.offset, "expected an arity 0..255");
    return term::export_fun(module, function, static_cast<std::uint32_t>(*arity));
  }

  // ---- Elixir ------------------------------------------------------------------------------
  std::optional<term> elixir_value(token t, std::size_t depth) {
    switch (t.kind) {
      case token_kind::integer:
      case token_kind::float_:
      case token_kind::atom:
      case token_kind::alias:
        return t.value;
      case token_kind::string:
        return term::binary(std::string_view(t.text));
      case token_kind::charlist: {
        std::vector<term> chars;
        for (char32_t c : code_points(t.text)) chars.emplace_back(static_cast<long long>(c));
        return term::list(std::move(chars));
      }
      case token_kind::process:
        return process(t);
      case token_kind::keyword_key:
        return fail(t.offset, "a keyword pair belongs at the end of a list, tuple or map");
      case token_kind::punct:
        if (t.text == "{") return sequence("}", depth, true);
        if (t.text == "[") return sequence("]", depth, false);
        if (t.text == "%{") return map_body(depth);
        if (t.text == "<<") return bitstring(depth);
        if (t.text == "&") return elixir_capture(t);
        if (t.text == "%")
          return fail(t.offset, "structs are not supported as literals; write a map");
        return unexpected(t);
      default:
        return unexpected(t);
    }
  }

  /// `&Mod.fun/arity` or `&:mod.fun/arity`.
  std::optional<term> elixir_capture(const token& amp) {
    token m = take();
    if (m.kind != token_kind::atom && m.kind != token_kind::alias) {
      return fail(m.offset, "only &Module.function/arity captures are literals");
    }
    if (!expect(".", "after the module of &Module.function/arity")) return std::nullopt;
    token f = take();
    std::optional<atom> name;
    if (f.kind == token_kind::variable || f.kind == token_kind::punct ||
        f.kind == token_kind::string) {
      name = atom::try_make(f.text);
    } else if (f.kind == token_kind::atom) {  // nil, true, false
      name = f.value.atom_value();
    }
    if (!name) return fail(f.offset, "expected a function name in &Module.function/arity");
    if (!expect("/", "after the function of &Module.function/arity")) return std::nullopt;
    return export_fun_arity(m.value.atom_value(), *name, amp.offset);
  }

  // ---- shared ------------------------------------------------------------------------------

  /// Elements up to `close`: a tuple or a list. Elixir keyword pairs may end either (`[1, a: 2]`,
  /// `{1, a: 2}` is `{1, [a: 2]}`); a list may end with `| Tail`.
  std::optional<term> sequence(std::string_view close, std::size_t depth, bool tuple) {
    const bool elixir = o_.syntax == syntax::elixir;
    std::vector<term> items;
    std::vector<term> keywords;
    term tail;
    const char* what = tuple ? "tuple" : "list";
    if (peek_punct(close)) {
      (void)take();
      return tuple ? term::tuple(std::move(items)) : term::list(std::move(items));
    }
    while (true) {
      const token& t = lx_.peek();
      if (elixir && t.kind == token_kind::keyword_key) {
        token key = take();
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        keywords.push_back(term::tuple({key.value, std::move(*v)}));
      } else {
        if (!keywords.empty()) return fail(t.offset, "keyword pairs must come last");
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        items.push_back(std::move(*v));
      }
      if (peek_punct(",")) {
        (void)take();
        if (elixir && peek_punct(close)) break;  // Elixir allows a trailing comma
        continue;
      }
      if (!tuple && keywords.empty() && peek_punct("|")) {
        (void)take();
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        tail = std::move(*v);
      }
      break;
    }
    if (!expect(close, std::string("to close the ") + what)) return std::nullopt;
    if (tuple) {
      if (!keywords.empty()) items.push_back(term::list(std::move(keywords)));
      return term::tuple(std::move(items));
    }
    for (auto& k : keywords) items.push_back(std::move(k));
    return term::list(std::move(items), std::move(tail));
  }

  /// After `#{` / `%{`: `K => V` pairs (Elixir: then `key: V` pairs) and `}`.
  std::optional<term> map_body(std::size_t depth) {
    const bool elixir = o_.syntax == syntax::elixir;
    std::vector<std::pair<term, term>> entries;
    bool keywords = false;
    if (peek_punct("}")) {
      (void)take();
      return term::map({});
    }
    while (true) {
      const token& t = lx_.peek();
      if (elixir && t.kind == token_kind::keyword_key) {
        token key = take();
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        entries.emplace_back(key.value, std::move(*v));
        keywords = true;
      } else {
        if (keywords) return fail(t.offset, "keyword pairs must come last");
        auto k = value(depth + 1);
        if (!k) return std::nullopt;
        if (peek_punct("|")) return fail(lx_.peek().offset, "map update syntax is not a literal");
        if (!expect("=>", "between a map key and its value")) return std::nullopt;
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        entries.emplace_back(std::move(*k), std::move(*v));
      }
      if (peek_punct(",")) {
        (void)take();
        if (elixir && peek_punct("}")) break;
        continue;
      }
      break;
    }
    if (!expect("}", "to close the map")) return std::nullopt;
    return term::map(std::move(entries));
  }

  std::optional<term> process(const token& t) {
    const auto& n = t.numbers;
    if (!o_.resolve_node) {
      return fail(t.offset, "a " + t.text +
                                " literal names a node by number; no node is there to resolve it");
    }
    auto fits32 = [](std::uint64_t v) { return v <= std::numeric_limits<std::uint32_t>::max(); };
    const bool shape_ok = (t.text == "pid" && n.size() == 3 && fits32(n[1]) && fits32(n[2])) ||
                          (t.text == "port" && n.size() == 2) ||
                          (t.text == "reference" && n.size() >= 2 && n.size() <= 6 &&
                           std::all_of(n.begin() + 1, n.end(), fits32));
    if (!shape_ok || !fits32(n[0])) return fail(t.offset, "malformed " + t.text + " literal");
    auto node = o_.resolve_node(static_cast<std::uint32_t>(n[0]));
    if (!node) return fail(t.offset, "no node is numbered " + std::to_string(n[0]));
    if (t.text == "pid") {
      return term(pid{node->node, static_cast<std::uint32_t>(n[1]),
                      static_cast<std::uint32_t>(n[2]), node->creation});
    }
    if (t.text == "port") return term(port_id{node->node, n[1], node->creation});
    reference r;
    r.node = node->node;
    r.creation = node->creation;
    r.length = static_cast<std::uint8_t>(n.size() - 1);
    // Printed most significant word first; stored in wire order.
    for (std::size_t i = 0; i < r.length; ++i)
      r.words[i] = static_cast<std::uint32_t>(n[n.size() - 1 - i]);
    return term(r);
  }

  // ---- binaries ----------------------------------------------------------------------------
  std::optional<term> bitstring(std::size_t depth) {
    bit_writer w;
    if (peek_punct(">>")) {
      (void)take();
      return w.result();
    }
    while (true) {
      if (!segment(w, depth)) return std::nullopt;
      if (peek_punct(",")) {
        (void)take();
        continue;
      }
      break;
    }
    if (!expect(">>", "to close the binary")) return std::nullopt;
    return w.result();
  }

  bool segment(bit_writer& w, std::size_t depth) {
    const bool elixir = o_.syntax == syntax::elixir;
    const std::size_t at = lx_.peek().offset;
    // The value: a number, a string, or (Erlang) a parenthesized / (Elixir) nested literal.
    std::optional<term> v;
    std::optional<std::string> text;
    if (lx_.peek().kind == token_kind::string) {
      text = take().text;
      if (!elixir) {
        while (lx_.peek().kind == token_kind::string) *text += take().text;
      }
    } else if (!elixir && peek_punct("(")) {
      (void)take();
      v = value(depth + 1);
      if (!v || !expect(")", "after a binary segment's value")) return false;
    } else {
      v = value(depth + 1);
      if (!v) return false;
    }
    segment_spec spec;
    if (!specifiers(spec, elixir)) return false;
    if (!spec.type_given) {
      if (v && v->is_float()) spec.type = segment_type::float_;
      if (v && v->is_bitstring()) spec.type = segment_type::binary;
      if (text && elixir) spec.type = segment_type::binary;
    }
    if (text) {
      if (elixir) {
        if (spec.type == segment_type::binary || spec.type == segment_type::utf8) {
          if (spec.size) return static_cast<bool>(fail(at, "a string segment takes no size"));
          w.push_bytes(std::span(reinterpret_cast<const std::uint8_t*>(text->data()), text->size()),
                       text->size() * 8);
          return true;
        }
        if (spec.type != segment_type::utf16 && spec.type != segment_type::utf32) {
          return static_cast<bool>(
              fail(at, "a string segment must be binary, utf8, utf16 or utf32"));
        }
      }
      // Erlang: each character is one segment with the given specifiers.
      for (char32_t c : code_points(*text)) {
        if (!put(w, term(static_cast<long long>(c)), spec, at)) return false;
      }
      return true;
    }
    return put(w, *v, spec, at);
  }

  /// `:Size/type-type` (Erlang) or `::type-size(N)-N` (Elixir).
  bool specifiers(segment_spec& spec, bool elixir) {
    auto set_type = [&](std::string_view name) {
      using T = segment_type;
      if (name == "integer")
        spec.type = T::integer;
      else if (name == "float")
        spec.type = T::float_;
      else if (name == "binary" || name == "bytes" || name == "bitstring" || name == "bits") {
        spec.type = T::binary;
        if (name == "binary" || name == "bytes") spec.unit = spec.unit ? spec.unit : 8;
      } else if (name == "utf8")
        spec.type = T::utf8;
      else if (name == "utf16")
        spec.type = T::utf16;
      else if (name == "utf32")
        spec.type = T::utf32;
      else if (name == "little")
        spec.little = true;
      else if (name == "big" || name == "signed" || name == "unsigned")
        return true;
      else
        return false;
      if (name != "little") spec.type_given = true;
      return true;
    };
    auto small_number = [&](const token& t) -> std::optional<std::uint64_t> {
      if (t.kind != token_kind::integer) return std::nullopt;
      auto v = t.value.to_int64();
      if (!v || *v < 0 || *v > (1 << 24)) return std::nullopt;
      return static_cast<std::uint64_t>(*v);
    };
    if (!elixir) {
      if (peek_punct(":")) {
        (void)take();
        token s = take();
        auto n = small_number(s);
        if (!n) return static_cast<bool>(fail(s.offset, "expected a segment size"));
        spec.size = n;
      }
      if (!peek_punct("/")) return true;
      (void)take();
      while (true) {
        token t = take();
        if (t.kind == token_kind::atom && t.text == "unit" && peek_punct(":")) {
          (void)take();
          token u = take();
          auto n = small_number(u);
          if (!n || *n < 1 || *n > 256)
            return static_cast<bool>(fail(u.offset, "expected a unit 1..256"));
          spec.unit = *n;
        } else if (t.kind != token_kind::atom || !set_type(t.text)) {
          return static_cast<bool>(fail(t.offset, "unknown binary type specifier"));
        }
        if (!peek_punct("-")) return true;
        (void)take();
      }
    }
    if (!peek_punct("::")) return true;
    (void)take();
    while (true) {
      token t = take();
      if (auto n = small_number(t)) {
        spec.size = n;
      } else if (t.kind == token_kind::variable && (t.text == "size" || t.text == "unit") &&
                 peek_punct("(")) {
        (void)take();
        token u = take();
        auto n2 = small_number(u);
        if (!n2)
          return static_cast<bool>(fail(u.offset, "expected a number in " + t.text + "(...)"));
        if (!expect(")", "after the number")) return false;
        if (t.text == "size") {
          spec.size = n2;
        } else {
          spec.unit = *n2;
        }
      } else if (t.kind != token_kind::variable || !set_type(t.text)) {
        return static_cast<bool>(fail(t.offset, "unknown bitstring modifier"));
      }
      if (!peek_punct("-")) return true;
      (void)take();
    }
  }

  bool put(bit_writer& w, const term& v, const segment_spec& spec, std::size_t at) {
    using T = segment_type;
    switch (spec.type) {
      case T::integer: {
        if (!v.is_integer())
          return static_cast<bool>(fail(at, "an integer segment needs an integer"));
        const std::uint64_t bits = spec.size.value_or(8) * (spec.unit ? spec.unit : 1);
        if (bits > (1u << 20)) return static_cast<bool>(fail(at, "segment too large"));
        if (spec.little && bits % 8 != 0) {
          return static_cast<bool>(fail(at, "a little-endian segment must be whole bytes"));
        }
        // Two's complement of the value, truncated to `bits`, least significant byte first.
        auto mag = v.integer_magnitude();
        std::vector<std::uint8_t> le((bits + 7) / 8 + 1, 0);
        for (std::size_t i = 0; i < le.size() && i < mag.size(); ++i) le[i] = mag[i];
        if (v.integer_is_negative()) {
          unsigned carry = 1;
          for (auto& b : le) {
            const unsigned x = static_cast<std::uint8_t>(~b) + carry;
            b = static_cast<std::uint8_t>(x);
            carry = x >> 8;
          }
        }
        if (spec.little) {
          for (std::size_t i = 0; i < bits / 8; ++i) w.push(le[i], 8);
        } else {
          for (std::size_t i = bits; i-- > 0;) w.push_bit((le[i / 8] >> (i % 8)) & 1);
        }
        return true;
      }
      case T::float_: {
        if (!v.is_number()) return static_cast<bool>(fail(at, "a float segment needs a number"));
        const double d =
            v.is_float() ? v.float_value() : static_cast<double>(v.to_int64().value_or(0));
        const std::uint64_t bits = spec.size.value_or(64) * (spec.unit ? spec.unit : 1);
        std::uint64_t raw = 0;
        std::size_t n = 0;
        if (bits == 64) {
          std::memcpy(&raw, &d, 8);
          n = 8;
        } else if (bits == 32) {
          const float f = static_cast<float>(d);
          std::uint32_t r32 = 0;
          std::memcpy(&r32, &f, 4);
          raw = r32;
          n = 4;
        } else {
          return static_cast<bool>(fail(at, "a float segment is 32 or 64 bits"));
        }
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t shift = spec.little ? 8 * i : 8 * (n - 1 - i);
          w.push((raw >> shift) & 0xFF, 8);
        }
        return true;
      }
      case T::binary: {
        if (!v.is_bitstring())
          return static_cast<bool>(fail(at, "a binary segment needs a binary"));
        std::size_t bits = v.bit_size();
        if (spec.size) {
          const std::uint64_t want = *spec.size * (spec.unit ? spec.unit : 8);
          if (want > bits)
            return static_cast<bool>(fail(at, "the segment is shorter than its size"));
          bits = want;
        } else if (spec.unit == 8 && bits % 8 != 0) {
          return static_cast<bool>(fail(at, "a binary segment needs whole bytes (use bitstring)"));
        }
        w.push_bytes(v.bytes(), bits);
        return true;
      }
      case T::utf8:
      case T::utf16:
      case T::utf32: {
        const auto c = v.to_int64();
        if (!c || *c < 0 || *c > 0x10FFFF || (*c >= 0xD800 && *c <= 0xDFFF)) {
          return static_cast<bool>(fail(at, "not a Unicode code point"));
        }
        const auto cp = static_cast<char32_t>(*c);
        if (spec.type == T::utf8) {
          std::string s;
          append_utf8(s, cp);
          for (char b : s) w.push(static_cast<std::uint8_t>(b), 8);
        } else if (spec.type == T::utf32) {
          put_unit(w, cp, 4, spec.little);
        } else if (cp < 0x10000) {
          put_unit(w, cp, 2, spec.little);
        } else {
          const char32_t u = cp - 0x10000;
          put_unit(w, 0xD800 + (u >> 10), 2, spec.little);
          put_unit(w, 0xDC00 + (u & 0x3FF), 2, spec.little);
        }
        return true;
      }
    }
    return false;
  }

  static void put_unit(bit_writer& w, std::uint32_t v, std::size_t bytes, bool little) {
    for (std::size_t i = 0; i < bytes; ++i) {
      const std::size_t shift = little ? 8 * i : 8 * (bytes - 1 - i);
      w.push((v >> shift) & 0xFF, 8);
    }
  }

  lexer lx_;
  const parse_options& o_;
  std::size_t last_end_;
  parse_error error_;
  bool failed_ = false;
};

}  // namespace

parse_result parse_term(std::string_view text, const parse_options& options, std::size_t& pos) {
  parser p(text, options, pos);
  parse_result r;
  auto v = p.value(0);
  if (!v) {
    r.error = std::move(p.error());
    return r;
  }
  r.value = std::move(v);
  pos = p.last_end();
  return r;
}

parse_result parse_term(std::string_view text, const parse_options& options) {
  std::size_t pos = 0;
  parse_result r = parse_term(text, options, pos);
  if (!r) return r;
  lexer rest(text, options.syntax, pos);
  token t = rest.next();
  bool dot = false;
  if (options.syntax == syntax::erlang && t.kind == token_kind::punct && t.text == ".") {
    dot = true;
    t = rest.next();
  }
  auto fail = [&](std::size_t offset, std::string message) {
    r.value.reset();
    r.error = parse_error{offset, std::move(message)};
    return r;
  };
  if (t.kind == token_kind::error) return fail(t.offset, t.text);
  if (t.kind != token_kind::end) {
    return fail(t.offset, "unexpected " + quote_for_message(t) + " after the term");
  }
  if (options.syntax == syntax::erlang && options.require_dot && !dot) {
    return fail(t.offset, "expected '.' after the term");
  }
  return r;
}

}  // namespace otpp
