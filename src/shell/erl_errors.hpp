// Exceptions as the erl shell reports them (erl_error:format_exception/7 with the shell's
// settings): `** exception error: bad argument` and the stack below it (private to the shell
// layer).
#pragma once

#include <string>

#include "otpp/shell/errors.hpp"
#include "otpp/term/term.hpp"

namespace otpp::shell::detail {

/// How the erl shell prints terms: io_lib_pretty with depth 30 and 60 characters a line, at
/// `line_length` columns, numbering nodes as the node's io server does.
struct erl_printer {
  int line_length = 80;
  const node_numbering* numbering = nullptr;
  /// `t` starting at `column` (1-based), as the shell's pp/3.
  [[nodiscard]] std::string pp(const term& t, int column = 1) const;
};

/// The report after the `** ` tag, without the final newline: "exception error: bad argument\n
/// in function  hd/1\n..." for class `cls`, `reason` and `stack` (the evaluator's frames at the
/// end already trimmed, as the shell's stack filter trims erl_eval's).
[[nodiscard]] std::string format_erl_exception(error_class cls, const term& reason, const term& stack,
                                               const erl_printer& printer);

}  // namespace otpp::shell::detail
