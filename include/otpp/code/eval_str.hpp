// erl_eval:eval_str/1 on an otpp node: what `erl_call -e` calls (over rex) with the text it
// read, answering `{ok, Value}` or `{error, Text}` exactly as a BEAM node does.
#pragma once

#include <string_view>

#include "otpp/runtime/process.hpp"
#include "otpp/term/term.hpp"

namespace otpp::otp {
class node;
}

namespace otpp::code {

/// Reads one form of Erlang expressions from `text` (a binary or a string) and evaluates it
/// with no bindings: `{ok, Value}`, or `{error, Text}` with erl_eval's own wording
/// ("*** syntax error before: '.'", "Incomplete form (missing .<cr>)??", "Non-white space
/// found after end-of-form :...", "*** eval: {'EXIT',Reason}").
[[nodiscard]] task<term> eval_str(process& self, term text);

/// Registers erl_eval:eval_str/1 in `n`'s export table.
void install_eval_str(otp::node& n);

}  // namespace otpp::code
