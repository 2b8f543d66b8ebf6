// erl_eval:eval_str/1: one form read with erl_parse, evaluated, answered as erl_call expects.
#include "otpp/code/eval_str.hpp"

#include <string>
#include <vector>

#include "otpp/code/erl_parse.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/exports.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/term/print.hpp"

namespace otpp::code {

namespace {


term error_text(std::string text) { return tuple_of(atoms::error, term::string(text)); }

// erl_eval's all_white/1: only spaces, newlines and tabs.
bool all_white(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\n' && c != '\t') return false;
  return true;
}



}  // namespace

task<term> eval_str(process& self, term text) {
  std::string source;
  if (text.is_binary()) {
    // binary_to_list/1: each byte is one character.
    for (std::uint8_t b : text.bytes()) {
      if (b < 0x80) {
        source += static_cast<char>(b);
      } else {
        source += static_cast<char>(0xC0 | (b >> 6));
        source += static_cast<char>(0x80 | (b & 0x3F));
      }
    }
  } else if (auto t = text.is_list() ? text.to_text() : std::nullopt) {
    source = *t;
  } else {
    throw error_exception(tuple_of(atom("function_clause"), term()));
  }
  first_form form = find_first_form(source);
  if (form.error) co_return error_text("*** " + form.error->message);
  if (!form.complete) co_return error_text("Incomplete form (missing .<cr>)??");
  std::string_view rest = std::string_view(source).substr(form.end);
  if (!all_white(rest)) co_return error_text("Non-white space found after end-of-form :" + std::string(rest));
  auto parsed = parse_exprs(std::string_view(source).substr(0, form.end));
  if (!parsed) co_return error_text("*** " + parsed.error.message);
  term reason;
  try {
    bindings bs;
    term v = co_await eval_exprs(self, *parsed.value, bs);
    co_return tuple_of(atoms::ok, std::move(v));
  } catch (const error_exception& e) {
    // erl_eval:eval_str/1 catches with 'catch', so an error shows as {'EXIT', {Reason, Stack}}.
    reason = e.exit_reason();
  } catch (const exit_exception& e) {
    reason = e.reason();
  } catch (const throw_exception& e) {
    reason = tuple_of(atom("nocatch"), e.value());
  }
  co_return error_text("*** eval: " + to_string(tuple_of(atoms::EXIT, reason)));
}

void install_eval_str(otp::node& n) {
  n.exports().add("erl_eval", "eval_str",
                  [](process& self, term text) -> task<term> { co_return co_await eval_str(self, std::move(text)); });
}

}  // namespace otpp::code
