// Shell expressions back to Elixir source text, as compile errors and raised messages quote
// them.
#include "otpp/shell/syntax.hpp"

#include "otpp/term/print.hpp"

namespace otpp::shell {
namespace {

void render_list(std::string& out, const std::vector<expr_ptr>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += items[i] ? to_source(*items[i]) : "nil";
  }
}

std::string render_body(const std::vector<expr_ptr>& body) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (i) out += "; ";
    out += to_source(*body[i]);
  }
  return out;
}

}  // namespace

std::string to_source(const expr& e) {
  std::string out;
  switch (e.kind) {
    case expr_kind::literal:
      return to_string(e.value, print_options(syntax::elixir));
    case expr_kind::variable:
      return e.name;
    case expr_kind::pin:
      return "^" + e.name;
    case expr_kind::tuple:
      out = "{";
      render_list(out, e.items);
      return out + "}";
    case expr_kind::list:
      out = "[";
      render_list(out, e.items);
      if (e.tail) out += " | " + to_source(*e.tail);
      return out + "]";
    case expr_kind::map:
      out = "%{";
      if (e.target) out += to_source(*e.target) + " | ";
      for (std::size_t i = 0; i < e.pairs.size(); ++i) {
        if (i) out += ", ";
        out += to_source(*e.pairs[i].first) + " => " + to_source(*e.pairs[i].second);
      }
      return out + "}";
    case expr_kind::binary:
      out = "<<";
      for (std::size_t i = 0; i < e.pairs.size(); ++i) {
        if (i) out += ", ";
        out += to_source(*e.pairs[i].first);
        if (e.pairs[i].second) out += "::" + to_source(*e.pairs[i].second);
      }
      return out + ">>";
    case expr_kind::interpolation:
      out = "\"";
      for (const auto& part : e.items) {
        if (part->kind == expr_kind::literal) {
          out += std::string(part->value.bytes_as_string());
        } else {
          out += "#{" + to_source(*part) + "}";
        }
      }
      return out + "\"";
    case expr_kind::match:
      return to_source(*e.items[0]) + " = " + to_source(*e.items[1]);
    case expr_kind::unary:
      return e.name + (e.name == "not" ? " " : "") + to_source(*e.items[0]);
    case expr_kind::binary_op:
      return "(" + to_source(*e.items[0]) + " " + e.name + " " + to_source(*e.items[1]) + ")";
    case expr_kind::local_call:
      out = e.name + "(";
      render_list(out, e.items);
      return out + ")";
    case expr_kind::remote_call:
      out = to_source(*e.target) + "." + e.name + "(";
      render_list(out, e.items);
      return out + ")";
    case expr_kind::dot:
      return to_source(*e.target) + "." + e.name;
    case expr_kind::fun_call:
      out = to_source(*e.target) + ".(";
      render_list(out, e.items);
      return out + ")";
    case expr_kind::block:
      return "(" + render_body(e.items) + ")";
    case expr_kind::receive:
    case expr_kind::case_:
    case expr_kind::cond: {
      out = e.kind == expr_kind::receive ? "receive do "
            : e.kind == expr_kind::cond  ? "cond do "
                                         : "case " + to_source(*e.target) + " do ";
      for (const clause& c : e.clauses) {
        out += to_source(*c.pattern);
        if (c.guard) out += " when " + to_source(*c.guard);
        out += " -> " + render_body(c.body) + "; ";
      }
      if (e.after_timeout)
        out += "after " + to_source(*e.after_timeout) + " -> " + render_body(e.after_body) + " ";
      return out + "end";
    }
    case expr_kind::if_:
      out = e.name + " " + to_source(*e.target) + " do " +
            (e.items[0] ? to_source(*e.items[0]) : "nil");
      if (e.items[1]) out += " else " + to_source(*e.items[1]);
      return out + " end";
    case expr_kind::unsupported:
      return e.name + " ...";
  }
  return out;
}

}  // namespace otpp::shell
