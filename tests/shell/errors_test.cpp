// Errors and log events as iex prints them: exit reasons, stack frames, the Jaro distance
// iex ranks "Did you mean" with, and log events sent to the node's logger.
#include <gtest/gtest.h>

#include "otpp/shell/errors.hpp"
#include "otpp/shell/logger.hpp"

namespace {

using namespace otpp;
using namespace otpp::shell;

TEST(shell_errors, exit_reasons_read_as_iex_writes_them) {
  format_context ctx;
  EXPECT_EQ(format_exit(term(atom("boom")), ctx), ":boom");
  EXPECT_EQ(format_exit(term(atoms::noconnection), ctx), "no connection");
  EXPECT_EQ(format_exit(term(atoms::killed), ctx), "killed");
  EXPECT_EQ(format_exit(tuple_of(atom("badthing"), 1), ctx), "{:badthing, 1}");
  EXPECT_EQ(format_exit(tuple_of(atoms::shutdown, 1), ctx), "shutdown: 1");
  const term undef_reason = tuple_of(
      atoms::undef, list_of(tuple_of(atom("Elixir.Kate"), atom("say_name"), term(), term())));
  EXPECT_EQ(format_exit(undef_reason, ctx),
            "an exception was raised:\n    ** (UndefinedFunctionError) function Kate.say_name/0 is "
            "undefined "
            "(module Kate is not available)\n        Kate.say_name()");
}

TEST(shell_errors, exits_of_calls_and_frames_with_locations) {
  format_context ctx;
  // Task.await / GenServer.call exits: the call, then the reason one level deeper.
  EXPECT_EQ(format_exit(tuple_of(atom("timeout"), tuple_of(atom("Elixir.GenServer"), atom("call"),
                                                           list_of(atom("srv"), atom("hi"), 5000))),
                        ctx),
            "exited in: GenServer.call(:srv, :hi, 5000)\n    ** (EXIT) time out");
  // A stack trace from a real node carries file and line.
  const term reason =
      tuple_of(atom("function_clause"),
               list_of(tuple_of(atom("lists"), atom("reverse"), list_of(1),
                                list_of(tuple_of(atom("file"), term::string("lists.erl")),
                                        tuple_of(atom("line"), 175)))));
  ctx.application = [](atom m) { return m == atom("lists") ? "stdlib 4.2" : ""; };
  EXPECT_EQ(format_exit(reason, ctx),
            "an exception was raised:\n    ** (FunctionClauseError) no function clause matching in "
            ":lists.reverse/1\n        (stdlib 4.2) lists.erl:175: :lists.reverse(1)");
}

TEST(shell_errors, jaro_distance_is_elixirs) {
  EXPECT_DOUBLE_EQ(jaro_distance("dwayne", "duane"), 0.82222222222222230);
  EXPECT_DOUBLE_EQ(jaro_distance("even", "odd"), 0.0);
  EXPECT_DOUBLE_EQ(jaro_distance("same", "same"), 1.0);
  EXPECT_DOUBLE_EQ(jaro_distance("sayname", "say_name"), 0.95833333333333337);
  EXPECT_DOUBLE_EQ(jaro_distance("nosuch", "say_name"), 0.43055555555555552);
  EXPECT_DOUBLE_EQ(jaro_distance("martha", "marhta"), 0.94444444444444453);
  EXPECT_DOUBLE_EQ(jaro_distance("ab", "ba"), 0.0);
  EXPECT_DOUBLE_EQ(jaro_distance("crate", "trace"), 0.73333333333333339);
  EXPECT_DOUBLE_EQ(jaro_distance("h\u00e9llo", "hello"), 0.86666666666666670);
  EXPECT_DOUBLE_EQ(jaro_distance("", "a"), 0.0);
}

TEST(shell_log, events_print_as_iexs_console_logger_prints_them) {
  format_context ctx;
  // What a remote node's emulator sends when a process alex spawned there crashes.
  const term crash = term::tuple(
      {term(atom("log")), term(atom("error")),
       term::string("Error in process ~p on node ~p with exit value:~n~p~n"),
       list_of(pid{atom("kate@localhost"), 116, 0, 1}, atom("kate@localhost"),
               tuple_of(atoms::undef, list_of(tuple_of(atom("Elixir.Kate"), atom("nosuch"),
                                                       term::list({}), term::list({}))))),
       term::map({})});
  auto text = format_log_event(crash, ctx);
  ASSERT_TRUE(text);
  // "\nHH:MM:SS.mmm [error] ..."
  ASSERT_GE(text->size(), 14u);
  EXPECT_EQ(text->substr(0, 1), "\n");
  EXPECT_EQ((*text)[3], ':');
  EXPECT_EQ((*text)[9], '.');
  EXPECT_EQ(text->substr(13),
            " [error] Process #PID<0.116.0> on node :kate@localhost raised an exception\n"
            "** (UndefinedFunctionError) function Kate.nosuch/0 is undefined (module Kate is not "
            "available)\n    Kate.nosuch()\n");
  // Any other format: ~p and ~w arguments as Elixir terms.
  // (What erts_internal:crasher/6 logs when a spawn_link cannot reach its node.)
  text = format_log_event(
      term::tuple({term(atom("log")), term(atom("warning")), term::string("** Can not start ~w:~w,~w (~w) on ~w **~n"),
                   list_of(atom("Elixir.Kate"), atom("say_name"), term::list({}), list_of(atoms::link),
                           atom("nosuch@localhost")),
                   term::map({{term(atom("time")), term(static_cast<std::int64_t>(1700000000000000))}})}),
      ctx);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->substr(13),
            " [warning] ** Can not start Kate::say_name,[] ([:link]) on :nosuch@localhost **\n\n");
  text = format_log_event(
      term::tuple({term(atom("log")), term(atom("info")),
                   tuple_of(atom("string"), term::binary("plain text")), term::map({})}),
      ctx);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->substr(13), " [info] plain text\n");
  EXPECT_FALSE(format_log_event(term(atom("log")), ctx));
}

}  // namespace
