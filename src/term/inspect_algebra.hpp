// Elixir's Inspect.Algebra (Lindig's "Strictly Pretty" with flex breaks), the part the
// Elixir printer lays terms out with: texts, concatenation, nesting, breaks and groups.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace otpp::algebra {

/// A document: an index into its `documents` arena.
using doc = std::uint32_t;

/// Builds documents and renders them. Documents are immutable once built and may be shared.
class documents {
 public:
  static constexpr std::size_t infinity = static_cast<std::size_t>(-1);

  documents();

  /// `:doc_nil`.
  [[nodiscard]] doc empty() const { return 0; }
  /// A binary: measured by its byte size, as Elixir measures binaries.
  [[nodiscard]] doc text(std::string s);
  [[nodiscard]] doc concat(doc a, doc b);
  [[nodiscard]] doc concat(std::initializer_list<doc> docs);
  /// `nest(d, indent)` (`:always`).
  [[nodiscard]] doc nest(doc d, std::size_t indent);
  /// `break(s)`: a newline in a broken group, else `s`.
  [[nodiscard]] doc strict_break(std::string s);
  /// `flex_break(s)`: a newline only when what follows up to the next break does not fit.
  [[nodiscard]] doc flex_break(std::string s);
  [[nodiscard]] doc glue(doc a, std::string s, doc b) { return concat({a, strict_break(std::move(s)), b}); }
  [[nodiscard]] doc flex_glue(doc a, std::string s, doc b) { return concat({a, flex_break(std::move(s)), b}); }
  /// `group(d)` (`:self`): flat if it fits, else its strict breaks become newlines.
  [[nodiscard]] doc group(doc d);

  /// Whether `d` is texts only (container_doc's `simple?`).
  [[nodiscard]] bool simple(doc d) const;

  /// Inspect.Algebra.format/2 of `d`, appended to `out`.
  void format(std::string& out, doc d, std::size_t width) const;

 private:
  enum class kind : std::uint8_t { nil, text, cons, nest, strict_break, flex_break, group };
  struct node {
    kind k;
    doc left = 0;
    doc right = 0;
    std::size_t indent = 0;
    std::string text;
  };
  enum class mode : std::uint8_t { flat, broken };
  struct entry {
    std::size_t indent;
    mode m;
    doc d;
  };

  [[nodiscard]] doc add(node n);
  [[nodiscard]] bool fits(std::size_t width, std::size_t column, bool seen_break, entry first,
                          const std::vector<entry>* rest) const;

  std::vector<node> nodes_;
};

}  // namespace otpp::algebra
