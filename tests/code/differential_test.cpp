// The evaluator against real erl: each expression is parsed by erl_parse and evaluated by
// erl_eval on a real node, then the same abstract format is evaluated here; values, and the
// class and reason of failures, must be the same.
#include "code_fixture.hpp"

namespace {

using namespace otpp;
using otpp::test::code_test;

const std::vector<std::string>& cases() {
  static const std::vector<std::string> c = {
      // literals, strings, arithmetic with bignums and floats
      "42.", "-7.", "3.5e3.", "$a.", "\"hello\".", "'an atom'.", "[].",
      "1 + 2 * 3 - 4.", "7 div 2.", "-7 rem 3.", "7 / 2.", "1 / 0.", "a + 1.",
      "12345678901234567890 * 98765432109876543210.", "(1 bsl 100) - 1.", "-(1 bsl 64) bsr 3.",
      "2.5 * 4.", "1 + 1.5.", "5 band 3.", "5 bor 3.", "5 bxor 3.", "bnot 5.", "abs(-3).",
      "1 == 1.0.", "1 =:= 1.0.", "1 /= 1.0.", "1 =/= 1.0.", "a < b.", "1 < a.", "{a} > [a].",
      "true and false.", "true or false.", "true xor true.", "not true.", "1 and true.",
      "false andalso 1.", "true andalso 7.", "true orelse 1.", "1 andalso true.",
      "[1,2] ++ [3].", "[1,2,3,2] -- [2].", "[1|2] ++ [3].",
      // matching and bindings
      "X = 1, Y = X + 1, {X, Y}.", "{A, B} = {1, 2}, A + B.", "{A, A} = {1, 2}.",
      "[H | T] = [1, 2, 3], {H, T}.", "[A, B | C] = [1, 2, 3, 4], {A, B, C}.",
      "{_, _} = {1, 2}.", "X = {Y = 1, 2}, {X, Y}.", "A = B = 3, A + B.", "1 = 2.",
      "\"ab\" ++ R = \"abcd\", R.", "X = 1, X = 1.", "X = 1, X = 2.", "Y.",
      "#{a := V} = #{a => 1, b => 2}, V.", "#{a := _} = #{b => 1}.",
      // tuples, lists, maps
      "{1, {2, [3, 4]}, \"s\"}.", "[1, 2 | [3]].", "element(2, {a, b, c}).", "element(4, {a}).",
      "hd([1, 2]).", "tl([1, 2]).", "hd([]).", "length([1, 2, 3]).", "length(a).",
      "tuple_size({a, b}).", "setelement(1, {a, b}, c).",
      "M = #{a => 1}, M#{b => 2}.", "M = #{a => 1}, M#{a := 2}.", "M = #{a => 1}, M#{b := 2}.",
      "(1)#{a => 1}.", "map_size(#{a => 1, b => 2}).", "#{1 => a, 1.0 => b}.",
      "maps_key = element(1, {maps_key}), #{k => v}.",
      // binaries and bit syntax
      "<<1, 2, 3>>.", "<<\"abc\">>.", "<<1:4, 2:4>>.", "<<300:16>>.", "<<300:16/little>>.",
      "<<-1:8/signed>>.", "<<1.5/float>>.", "<<1.5:32/float>>.", "<<\"é\"/utf8>>.",
      "<<16#1F600/utf8>>.", "<<16#1F600/utf16>>.", "<<65/utf32-little>>.", "<<1:1, 0:1, 1:1>>.",
      "B = <<1, 2>>, <<B/binary, 3>>.", "<<X:8, Rest/binary>> = <<1, 2, 3>>, {X, Rest}.",
      "<<A:4, B:4>> = <<16#AB>>, {A, B}.", "<<A:16/little>> = <<1, 2>>, A.",
      "<<A:8/signed>> = <<255>>, A.", "<<F/float>> = <<1.5/float>>, F.",
      "<<Size:8, Data:Size/binary, Rest/binary>> = <<2, 7, 8, 9>>, {Size, Data, Rest}.",
      "<<C/utf8, R/binary>> = <<\"é!\"/utf8>>, {C, R}.", "<<A:3, B/bits>> = <<255>>, {A, B}.",
      "<<1:8>> = <<2>>.", "<<X:200>> = <<1:200>>, X.", "<<(1 bsl 70):80>>.", "<<-5:70/signed>>.",
      "<<X:70/signed>> = <<-5:70/signed>>, X.", "<<a>>.", "<<1:8/unit:2>>.",
      "bit_size(<<1:3>>).", "byte_size(<<1, 2, 3>>).",
      // case, if, begin, guards
      "case {1, 2} of {A, B} when A > B -> gt; {A, B} when A < B -> lt end.",
      "case 3 of 1 -> one; _ -> other end.", "case 3 of 1 -> one end.",
      "if 1 > 2 -> a; true -> b end.", "if 1 > 2 -> a end.",
      "begin X = 1, X + 1 end.",
      "case 5 of N when is_integer(N), N > 3 -> big; _ -> small end.",
      "case a of X when X + 1 > 0 -> y; _ -> guard_failed_is_false end.",
      "case 7 of X when X > 10; X < 8 -> either end.",
      "case {a, 1} of T when element(1, T) =:= a, is_tuple(T) -> yes end.",
      "case 1 of X when is_atom(X) orelse X > 0 -> ok end.",
      "case [1] of L when length(L) == 1, hd(L) == 1 -> ok end.",
      "case #{a => 1} of M when map_size(M) > 0, is_map_key(a, M) -> ok end.",
      "case 2 of X when X band 1 == 0 -> even end.", "case x of Y when not is_atom(Y) -> a; _ -> b end.",
      "case {a, b} of {X, Y} = Z -> {Z, X, Y} end.", "X = 1, case 1 of X -> same; _ -> diff end.",
      "X = 2, case 1 of X -> same; _ -> diff end.",
      "case 1 of 1 -> Z = 5; _ -> Z = 6 end, Z.",
      // try, catch, throw, error, exit
      "try throw(x) catch throw:V -> {caught, V} end.", "try error(e) catch error:R -> R end.",
      "try exit(bye) catch exit:R -> R end.", "try 1 of 1 -> one after ok end.",
      "try 2 of 1 -> one catch error:E -> E end.", "try 2 of 1 -> one after ok end.",
      "catch throw(x).", "catch exit(y).", "element(1, catch error(z)).",
      "try 1 + a catch error:badarith -> arith end.", "try throw(a) catch error:_ -> no end.",
      "try error(a) catch C:R -> {C, R} end.", "try erlang:error(q) catch _:Q -> Q end.",
      "try throw(a) catch _ -> bare_is_throw end.",
      "try error(x) catch error:x:S -> is_list(S) end.",
      "throw(up).", "exit(down).", "error(broken).", "erlang:raise(throw, r, []).",
      "try 1 of X -> X + 1 catch _:_ -> no after 3 end.",
      "try a catch _:_ -> no after erlang:error(in_after) end.",
      // funs
      "F = fun(X) -> X * 2 end, F(21).", "F = fun(0) -> zero; (N) when N > 0 -> pos end, {F(0), F(5)}.",
      "F = fun(X) -> X end, F(1, 2).", "F = fun(a) -> a end, F(b).",
      "Y = 10, F = fun(X) -> X + Y end, F(1).", "F = fun Fact(0) -> 1; Fact(N) -> N * Fact(N - 1) end, F(20).",
      "F = fun erlang:abs/1, F(-4).", "F = fun lists:nosuchfun/1, F(1).",
      "X = 5, F = fun(X) -> X end, {F(1), X}.", "F = fun() -> ok end, F().",
      "G = fun(F, X) -> F(F, X) end, G(fun(_, Y) -> Y + 1 end, 1).",
      "F = fun(X) -> fun(Y) -> X + Y end end, (F(1))(2).", "Z = 3, (fun() -> Z end)().",
      "F = 1, F(2).", "apply(fun(A, B) -> A - B end, [5, 3]).", "erlang:apply(erlang, '+', [1, 2]).",
      "apply(erlang, element, [1, {a}]).", "nosuchlocal(1).", "erlang:nosuchbif(1).",
      "nosuchmod:f(1).", "fun(X) -> X end(7).",
      "F = fun(0, Acc) -> Acc; (N, Acc) -> F2 = N, {F2, Acc} end, F(0, done).",
      // funs called from library code (each a plain C++ call when its body cannot suspend)
      "lists:foldl(fun(X, {S, C}) -> {S + X, C + 1} end, {0, 0}, lists:seq(1, 1000)).",
      "lists:map(fun(X) when X > 1 -> X * 2 end, [1, 2]).", "lists:map(fun({A}) -> A end, [{1}, 2]).",
      "lists:foldl(fun(X, A) -> {ok, Y} = X, Y + A end, 0, [{ok, 1}, {error, 2}]).",
      "Y = 3, lists:map(fun(X) -> X + Y end, [1, 2]).", "lists:foreach(fun(X) -> self() ! X end, [a, b]), "
      "receive a -> receive b -> got end end.",
      "lists:map(fun(X) -> throw(X) end, [t]).", "lists:filter(fun(X) -> X end, [true, 1]).",
      // walking lists as [H | T] (the tail shares the list's cells)
      "F = fun S([], A) -> A; S([H | T], A) -> S(T, A + H) end, F(lists:seq(1, 100000), 0).",
      "[_, _ | T] = lists:seq(1, 10), {T, tl(T), lists:nthtail(3, T), T ++ [x], lists:reverse(T)}.",
      "[_ | T] = [1, 2, 3, 4, 5, 6, 7 | improper], {T, tl(tl(T))}.",
      "[_ | T] = lists:seq(1, 9), [_ | U] = T, {T < U, T == lists:seq(2, 9), length(U)}.",
      // auto-imported functions of module erlang called without their module
      "P = spawn(fun() -> ok end), is_pid(P).",
      "is_process_alive(self()).", "R = make_ref(), is_reference(R).", "whereis(nosuch_name).",
      "{P, M} = spawn_monitor(fun() -> exit(bye) end), receive {'DOWN', M, process, P, W} -> W end.",
      // comprehensions
      "[X * 2 || X <- [1, 2, 3]].", "[X || X <- [1, 2, 3, 4], X rem 2 == 0].",
      "[{X, Y} || X <- [1, 2], Y <- [a, b]].", "[X || {X, 1} <- [{a, 1}, {b, 2}, {c, 1}]].",
      "X = 9, [X || X <- [1, 2]].", "X = 9, [X || X <- [1, 2]], X.", "[X || X <- a].",
      "[X || X <- [1], X].", "<< <<(X * 2)>> || X <- [1, 2, 3] >>.",
      "[X || <<X:8>> <= <<1, 2, 3>>].", "<< <<X:4>> || <<X:4>> <= <<16#AB>> >>.",
      "[Y || X <- [1, 2, 3], Y <- [X, X * 10], Y > 5].", "[begin Z = X * 3, Z end || X <- [1, 2]].",
      "[{X, Y} || X <- [1, 2, 3], X > 1, Y <- [X]].", "[ok || true].", "[ok || false].",
      // receive
      "self() ! hello, receive hello -> got end.",
      "self() ! {a, 1}, self() ! {b, 2}, receive {b, X} -> receive {a, Y} -> {X, Y} end end.",
      "receive nothing -> no after 0 -> timeout end.",
      "receive {a, V} -> V after 10 -> late end.", "self() ! {a, 1}, receive {a, V} -> V after 10 -> late end.",
      "self() ! 5, receive N when N > 3 -> big; N -> small end.",
      "receive after 1 -> slept end.",
      // send and misc BIFs
      "self() ! x, receive x -> ok end, is_pid(self()).", "is_atom(node()).",
      "is_reference(make_ref()).", "nosuch_registered_name ! x.", "a ! x.",
      "max(1, 2.0).", "min(a, 1).", "trunc(2.7).", "round(2.5).", "float(3).", "is_function(fun(A) -> A end, 1).",
      "size({a, b}).", "round(-2.5).", "ceil(1.2).", "floor(-1.2).",
  };
  return c;
}

// Funs compare by what they are, not by their creator (erl's and otpp's processes differ).
term without_funs(const term& t) {
  switch (t.type()) {
    case term::kind::fun: return tuple_of(atom("fun"), t.fun_content().module, static_cast<long long>(t.fun_content().arity));
    case term::kind::tuple: {
      std::vector<term> es;
      for (const term& e : t.elements()) es.push_back(without_funs(e));
      return term::tuple(std::move(es));
    }
    case term::kind::list: {
      std::vector<term> es;
      for (const term& e : t.list_elements()) es.push_back(without_funs(e));
      return term::list(std::move(es), without_funs(t.list_tail()));
    }
    default: return t;
  }
}

TEST_F(code_test, every_construct_evaluates_as_erl_eval_evaluates_it) {
  auto ref = test::erl_reference(cases());
  ASSERT_EQ(ref.size(), cases().size()) << "erl did not answer every case";
  // The last case's mailbox may hold leftovers on the erl side; cases consume what they send.
  int failures = 0;
  for (const auto& c : ref) {
    if (std::getenv("OTPP_TRACE_CASES")) std::fprintf(stderr, "case %s\n", c.text.c_str());
    term got = run_exprs(c.exprs);
    term want = c.outcome;
    bool same = exact_equal(without_funs(got), without_funs(want));
    if (!same) {
      ++failures;
      ADD_FAILURE() << c.text << "\n  erl:  " << to_string(want) << "\n  otpp: " << to_string(got);
    }
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
