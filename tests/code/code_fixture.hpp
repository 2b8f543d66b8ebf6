// Shared set-up for the evaluator's tests: a node that is not distributed with the evaluator
// installed, a way to run code in a process of it and see how it ended, and the reference:
// real `erl` parsing expressions with erl_parse and evaluating them with erl_eval.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "otpp/code/eval.hpp"
#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"
#include "support/slowdown.hpp"

namespace otpp::test {

using namespace std::chrono_literals;

/// How evaluation ended: `{value, V}` or `{Class, Reason}`.
inline std::string describe(const term& outcome) { return to_string(outcome); }

/// What real erl says about each expression text: its abstract format and erl_eval's outcome.
struct reference_case {
  std::string text;
  term exprs;
  term outcome;  ///< {value, V} | {Class, Reason}
};

/// Runs one `erl -noshell` over every text (each a sequence of expressions ending in '.',
/// evaluated in one process in order) and reads back erl_parse's and erl_eval's answers.
/// With `evaluate` false erl only parses (for code that would not end there).
inline std::vector<reference_case> erl_reference(const std::vector<std::string>& texts, bool evaluate = true) {
  char path[] = "/tmp/otpp_eval_casesXXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return {};
  close(fd);
  {
    std::ofstream out(path);
    for (const auto& t : texts) out << t << "\n";
  }
  std::string program =
      "{ok, Bin} = file:read_file(\"" + std::string(path) + "\"),"
      "Lines = [L || L <- binary:split(Bin, <<\"\\n\">>, [global]), L =/= <<>>],"
      "lists:foreach(fun(L) ->"
      "  {ok, Toks, _} = erl_scan:string(unicode:characters_to_list(L)),"
      "  {ok, Exprs} = erl_parse:parse_exprs(Toks),"
      "  R = case " + std::string(evaluate ? "true" : "false") + " of false -> not_evaluated; true ->"
      "    try erl_eval:exprs(Exprs, []) of {value, V, _} -> {value, V} catch C:E -> {C, E} end end,"
      "  io:format(\"~s~n\", [binary:encode_hex(term_to_binary({Exprs, R}))])"
      "end, Lines), halt().";
  std::string cmd = "timeout 120 erl -noshell -eval '" + program + "' 2>&1";
  std::vector<reference_case> cases;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  std::string line;
  char buf[65536];
  std::size_t i = 0;
  while (fgets(buf, sizeof buf, p)) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    line.pop_back();
    std::vector<std::uint8_t> bytes;
    for (std::size_t k = 0; k + 1 < line.size(); k += 2) bytes.push_back(static_cast<std::uint8_t>(std::stoi(line.substr(k, 2), nullptr, 16)));
    auto t = etf::decode(bytes);
    if (t && t->is_tuple() && t->tuple_size() == 2 && i < texts.size()) {
      cases.push_back({texts[i], (*t)[0], (*t)[1]});
    } else {
      ADD_FAILURE() << "erl said: " << line;
    }
    ++i;
    line.clear();
  }
  pclose(p);
  std::remove(path);
  return cases;
}

/// A node that is not distributed, with the evaluator installed.
class code_test : public ::testing::Test {
 protected:
  std::unique_ptr<otp::node> node_;

  void SetUp() override {
    otp::node_options o;
    o.runtime.workers = 2;
    auto n = otp::node::start(std::move(o));
    ASSERT_TRUE(n) << n.error();
    node_ = std::move(n.value());
    code::install(*node_);
  }

  /// Evaluates `exprs` in a new process: `{value, V}` or `{Class, Reason}` (and the stack in
  /// `stack` when given).
  term run_exprs(const term& exprs, term* stack = nullptr, std::chrono::milliseconds timeout = scaled(60s)) {
    scoped_process me(node_->rt());
    pid to = me.self();
    node_->rt().spawn([exprs, to](process& self) -> process_task {
      term result;
      try {
        code::bindings bs;
        term v = co_await code::eval_exprs(self, exprs, bs);
        result = tuple_of(atom("value"), v, term());
      } catch (const throw_exception& t) {
        result = tuple_of(atoms::throw_, t.value(), term());
      } catch (const exit_exception& x) {
        result = tuple_of(atoms::exit, x.reason(), term());
      } catch (const error_exception& x) {
        result = tuple_of(atoms::error, x.reason(), x.stack());
      } catch (const std::exception& x) {
        result = tuple_of(atom("cxx"), term::binary(std::string_view(x.what())), term());
      }
      self.send(to, result);
    });
    auto r = me.receive_for(timeout);
    if (!r) return atom("timeout");
    if (stack) *stack = (*r)[2];
    return tuple_of((*r)[0], (*r)[1]);
  }
};

}  // namespace otpp::test
