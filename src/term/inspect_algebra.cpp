// Inspect.Algebra's renderer, rule for rule as Elixir 1.14's format/3 and fits?/4 decide
// where lines break (lib/elixir/lib/inspect/algebra.ex).
#include "term/inspect_algebra.hpp"

#include <variant>

namespace otpp::algebra {

documents::documents() { nodes_.push_back(node{kind::nil, 0, 0, 0, {}}); }

doc documents::add(node n) {
  nodes_.push_back(std::move(n));
  return static_cast<doc>(nodes_.size() - 1);
}

doc documents::text(std::string s) { return add(node{kind::text, 0, 0, 0, std::move(s)}); }

doc documents::concat(doc a, doc b) { return add(node{kind::cons, a, b, 0, {}}); }

doc documents::concat(std::initializer_list<doc> docs) {
  // Folded from the right, as Elixir's concat/1 (fold_doc) builds it.
  doc out = empty();
  bool first = true;
  for (auto it = docs.end(); it != docs.begin();) {
    --it;
    out = first ? *it : concat(*it, out);
    first = false;
  }
  return out;
}

doc documents::nest(doc d, std::size_t indent) {
  if (indent == 0) return d;
  return add(node{kind::nest, d, 0, indent, {}});
}

doc documents::strict_break(std::string s) { return add(node{kind::strict_break, 0, 0, 0, std::move(s)}); }

doc documents::flex_break(std::string s) { return add(node{kind::flex_break, 0, 0, 0, std::move(s)}); }

doc documents::group(doc d) { return add(node{kind::group, d, 0, 0, {}}); }

bool documents::simple(doc d) const {
  const node& n = nodes_[d];
  switch (n.k) {
    case kind::nil:
    case kind::text:
      return true;
    case kind::cons:
      return simple(n.left) && simple(n.right);
    default:
      return false;
  }
}

bool documents::fits(std::size_t width, std::size_t column, bool seen_break, entry first,
                     const std::vector<entry>* rest) const {
  // fits?/4: walks `first` then, when given, the rest of the renderer's stack from its top
  // without copying it. A tail marker restores the outer `seen_break` when a group ends: text
  // past the width only fails once a break has been seen, as in Elixir.
  struct tail {
    bool seen_break;
  };
  std::vector<std::variant<entry, tail>> local{first};
  std::size_t next_rest = rest ? rest->size() : 0;
  std::size_t k = column;
  bool b = seen_break;
  for (;;) {
    if (width != infinity && k > width && b) return false;
    entry e{};
    if (!local.empty()) {
      auto item = local.back();
      local.pop_back();
      if (auto* t = std::get_if<tail>(&item)) {
        b = t->seen_break;
        continue;
      }
      e = std::get<entry>(item);
    } else if (next_rest > 0) {
      e = (*rest)[--next_rest];
    } else {
      return true;
    }
    const node& n = nodes_[e.d];
    switch (n.k) {
      case kind::nil:
        break;
      case kind::text:
        k += n.text.size();
        break;
      case kind::cons:
        local.emplace_back(entry{e.indent, e.m, n.right});
        local.emplace_back(entry{e.indent, e.m, n.left});
        break;
      case kind::nest:
        local.emplace_back(entry{e.indent + n.indent, e.m, n.left});
        break;
      case kind::strict_break:
      case kind::flex_break:
        if (e.m == mode::broken) return true;
        k += n.text.size();
        b = true;
        break;
      case kind::group:
        local.emplace_back(tail{b});
        local.emplace_back(entry{e.indent, mode::flat, n.left});
        break;
    }
  }
}

void documents::format(std::string& out, doc d, std::size_t width) const {
  std::vector<entry> stack{{0, mode::flat, d}};
  std::size_t k = 0;
  auto newline = [&](std::size_t indent) {
    out += '\n';
    out.append(indent, ' ');
    k = indent;
  };
  while (!stack.empty()) {
    const entry e = stack.back();
    stack.pop_back();
    const node& n = nodes_[e.d];
    switch (n.k) {
      case kind::nil:
        break;
      case kind::text:
        out += n.text;
        k += n.text.size();
        break;
      case kind::cons:
        stack.push_back({e.indent, e.m, n.right});
        stack.push_back({e.indent, e.m, n.left});
        break;
      case kind::nest:
        stack.push_back({e.indent + n.indent, e.m, n.left});
        break;
      case kind::flex_break:
        k += n.text.size();
        if (width == infinity || e.m == mode::flat || fits(width, k, true, entry{0, mode::flat, 0}, &stack)) {
          out += n.text;
        } else {
          newline(e.indent);
        }
        break;
      case kind::strict_break:
        if (e.m == mode::broken) {
          newline(e.indent);
        } else {
          out += n.text;
          k += n.text.size();
        }
        break;
      case kind::group: {
        const bool flat = width == infinity || fits(width, k, false, entry{e.indent, mode::flat, n.left}, nullptr);
        stack.push_back({e.indent, flat ? mode::flat : mode::broken, n.left});
        break;
      }
    }
  }
}

}  // namespace otpp::algebra
