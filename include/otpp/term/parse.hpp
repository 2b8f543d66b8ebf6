// Reads term literals written in Erlang or Elixir syntax (everything the printer in print.hpp
// writes), and the lexer beneath it, which the shell reuses for its expressions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpp/term/print.hpp"
#include "otpp/term/term.hpp"

namespace otpp {

/// Where and why reading failed.
struct parse_error {
  std::size_t offset = 0;  ///< byte offset into the text
  std::string message;     ///< "expected ',' or '}' after a tuple element"
  /// "line 1, column 7: expected ..." with the line and column of `offset` in `text`.
  [[nodiscard]] std::string describe(std::string_view text) const;
};

/// A term, or the error that prevented reading one.
struct parse_result {
  std::optional<term> value;  ///< engaged on success
  parse_error error;          ///< meaningful when `value` is empty
  [[nodiscard]] bool ok() const noexcept { return value.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
};

/// The node and creation a node number in `<N.I.S>` stands for (the inverse of
/// `node_numbering`); nullopt when the number is unknown.
struct node_identity {
  atom node;
  std::uint32_t creation = 0;
};
using node_resolver = std::function<std::optional<node_identity>(std::uint32_t number)>;

struct parse_options {
  parse_options() = default;
  parse_options(otpp::syntax s) : syntax(s) {}  // NOLINT(google-explicit-constructor)

  otpp::syntax syntax = otpp::syntax::erlang;
  /// Turns the node number of `<0.1.2>`, `#PID<0.1.2>`, `#Ref<...>`, `#Port<...>` into a
  /// node. Without one, such literals are rejected (they name a process only relative to a
  /// running node).
  node_resolver resolve_node;
  /// Erlang only, whole-text parse_term: the term must end with `.` (as `erl_parse` wants).
  /// Without this the dot is optional.
  bool require_dot = false;
  /// Deepest nesting of tuples, lists, maps and binaries accepted.
  std::size_t max_depth = 1000;
};

/// Reads exactly one term that fills `text` (white space and comments around it allowed; in
/// Erlang syntax a final `.` too).
[[nodiscard]] parse_result parse_term(std::string_view text, const parse_options& options = {});

/// Reads one term starting at `pos` (after white space and comments). On success `pos` is
/// just past the term and nothing after it is looked at; on failure `pos` is unchanged.
/// This is the entry point for code that embeds literals in a larger text.
[[nodiscard]] parse_result parse_term(std::string_view text, const parse_options& options,
                                      std::size_t& pos);

// ---- the lexer ---------------------------------------------------------------------------

enum class token_kind : std::uint8_t {
  end,          ///< end of the text
  error,        ///< `text` says what is wrong
  integer,      ///< `value`: `42`, `16#ff`, `$a`, `0x1F`, `?a` (a sign is a separate `punct`)
  float_,       ///< `value`: 2.5, 1.0e-3
  atom,         ///< `value`: ok, 'quoted' (Erlang); :ok, :"quoted", nil, true, false (Elixir)
  alias,        ///< Elixir `Foo.Bar`; `value` is the atom 'Elixir.Foo.Bar'
  string,       ///< "text": `text` holds the characters as UTF-8
  charlist,     ///< Elixir 'text' or ~c"text": `text` holds the characters as UTF-8
  keyword_key,  ///< Elixir `key: ` or `"key": `; `value` is the atom
  variable,     ///< Erlang `Var`/`_`; Elixir `name` (a variable or a local call)
  keyword,      ///< Erlang reserved word (`fun`, `end`, ...); `text` holds it
  punct,        ///< an operator or delimiter; `text` holds it: `{`, `=>`, `<<`, `%{`, `#{`, ...
  process,      ///< `<0.1.2>`, `#PID<0.1.2>`, `#Ref<...>`, `#Reference<...>`, `#Port<...>`:
                ///< `text` is "pid", "reference" or "port", `numbers` the fields in order
};

struct token {
  token_kind kind = token_kind::end;
  std::size_t offset = 0;  ///< where the token starts
  std::size_t length = 0;  ///< bytes it spans
  std::string text;
  term value;
  std::vector<std::uint64_t> numbers;
};

/// Splits Erlang or Elixir source into tokens, skipping white space and comments. Strings
/// and atoms come out with their escapes decoded. Errors are tokens, never exceptions.
class lexer {
 public:
  lexer(std::string_view text, otpp::syntax s, std::size_t pos = 0) noexcept
      : text_(text), syntax_(s), pos_(pos) {}

  /// The next token, consuming it.
  [[nodiscard]] token next();
  /// The next token without consuming it.
  [[nodiscard]] const token& peek();
  /// Where the next token (or the white space before it) starts.
  [[nodiscard]] std::size_t position() const noexcept { return peeked_ ? peeked_->offset : pos_; }
  [[nodiscard]] std::string_view text() const noexcept { return text_; }
  [[nodiscard]] otpp::syntax syntax() const noexcept { return syntax_; }

 private:
  token lex();
  void skip_space();
  token make(token_kind k, std::size_t start);
  token fail(std::size_t at, std::string message);
  token lex_number(std::size_t start);
  token lex_erlang_char(std::size_t start);
  token lex_quoted(std::size_t start, char quote, token_kind kind);
  token lex_process(std::size_t start, std::size_t fields_at, std::string_view what);
  token lex_erlang_word(std::size_t start);
  token lex_elixir_word(std::size_t start);
  token lex_elixir_colon(std::size_t start);
  token lex_elixir_sigil(std::size_t start);
  token lex_punct(std::size_t start);
  bool read_escape(std::string& out, std::string& error);
  bool keyword_colon_follows(std::size_t at) const noexcept;

  std::string_view text_;
  otpp::syntax syntax_;
  std::size_t pos_;
  std::optional<token> peeked_;
};

}  // namespace otpp
