#!/usr/bin/env escript
%% -*- erlang -*-
%% Writes what the real io_lib:format/2 gives for many formats and arguments, as
%% term_to_binary([{Format, Args, Chars | error}]), so io_format_test can compare otpp's output
%% with OTP's character for character. Usage: io_format_cases.escript OUTFILE
-mode(compile).

main([Out]) ->
    rand:seed(exsss, {17, 42, 4711}),
    Cases = fixed_cases() ++ random_cases(1500),
    Results = [{F, A, run(F, A)} || {F, A} <- Cases],
    ok = file:write_file(Out, term_to_binary(Results)).

run(F, A) ->
    try lists:flatten(io_lib:format(F, A)) of
        Chars ->
            %% A result io_lib accepts but no io server could print counts as an error.
            case unicode:characters_to_binary(Chars) of
                B when is_binary(B) -> Chars;
                _ -> error
            end
    catch _:_ -> error
    end.

long_list() -> lists:seq(1, 40).

fixed_cases() ->
    Pid = self(),
    Ref = make_ref(),
    Nested = {state, [{key, <<"value">>}, {other, lists:seq(1, 12)}],
              #{name => "kate", node => 'kate@localhost', pids => [Pid, Pid]}},
    [{"hello~n", []}, {"~~", []}, {"~5~|", []}, {"~i~w", [skipped, shown]},
     {"~w", [[maybe, else, 'cond', 'let', 'Abc', a@b, 'a b', 'é', 'ñx', '', 'hello world', [], ok]]},
     {"~w", ['ĉx']}, {"~tw", ['ĉx']}, {"~p", ['ĉx']}, {"~tp", ['ĉx']},
     {"~w ~w", ["a\n\x01\"\\", <<1, 2, 3:5>>]},
     {"~p ~p ~p", [<<"ab\n">>, <<"é"/utf8>>, <<"é">>]},
     {"~tp ~tp ~tp", [<<"ab\n">>, <<"é"/utf8>>, <<"ĉ"/utf8>>]},
     {"~p|~w|~lp", ["abc", "abc", "abc"]},
     {"~p ~p", [[a | b], [1000, 1]]},
     {"~s|~s|~s", [[<<"ab">>, "c", [$d]], abc, <<"xé"/utf8>>]},
     {"~ts|~ts", [<<"xé"/utf8>>, "ĉ"]}, {"~s", ["ĉ"]}, {"~s", ['ĉ']},
     {"~10s|~-10s|~3s|~.2s|~10.3s|~-10.3s|~10.5.*s", ["abc", "abc", "abcdef", "abcdef", "abcdef", "abcdef", $., "ab"]},
     {"~c~c~5c~.3c~5.2c~-5.2c|~tc", [$a, 256 + $b, $x, $y, $z, $w, 16#109]},
     {"~b ~B ~.16b ~.16B ~.2B ~8B ~-8B| ~.36B", [255, 255, 255, 255, 5, -42, 42, 1295]},
     {"~.16x ~.16X ~.16# ~.16+ ~x", [255, "0x", 255, "0x", 255, 255, 10, abc]},
     {"~3b", [123456]}, {"~b", [123456789012345678901234567890]},
     {"~e ~f ~g", [1.0, 1.0, 1.0]},
     {"~e ~f ~g", [-0.0, 0.0, 0.0]},
     {"~.3e ~.3f ~.3g", [3.14159, 3.14159, 3.14159]},
     {"~.2e ~.1f ~.1g", [2.5, 0.05, 0.05]},
     {"~e ~f ~g", [123456789.123, 123456789.123, 123456789.123]},
     {"~g ~g ~g ~g ~g ~g", [0.1, 0.01, 9999.0, 10000.0, 99999.99, 1.0e-10]},
     {"~10.2f|~-10.2f|~3.2f|~10.3.0f", [3.14159, 3.14159, 1234.5, 2.5]},
     {"~f", [1]}, {"~e", [1]}, {"~.1e", [1.0]}, {"~.0f", [1.0]},
     {"~w", [[1.0, 0.1, 1.0e10, 1.0e15, 123456.789, 1.0e-3, 1.0e-4, 1.0e-5, 1000.0, 100.0,
              5.0e-324, 1.7976931348623157e308, -0.0, 12345678901234567.0, 1234567890123456.0,
              9007199254740992.0, 1.0e22, 0.30000000000000004, 123.456e100]]},
     {"~w", [{Pid, Ref, fun lists:reverse/1, fun erlang:'+'/2}]},
     {"~p", [long_list()]}, {"~p", [[long_list(), long_list()]]},
     {"~p", [Nested]}, {"~p~n", [{Nested, Nested}]}, {"~40p", [Nested]},
     {"~p", [{'DOWN', Ref, process, Pid, {undef, [{nosuch, fn, [1, 2], []}]}}]},
     {"prefix text: ~p", [Nested]}, {"~p and ~p", [Nested, Nested]}, {"\t~p", [Nested]},
     {"~p", [[{expand_fun, Pid}, {echo, true}, {binary, false}, {encoding, unicode}]]},
     {"~p", [#{a => 1, b => [1, 2, 3], c => #{d => lists:seq(1, 30)}}]},
     {"~p", [lists:duplicate(10, #{key => lists:seq(1, 10), other => "a string value"})]},
     {"~p", [list_to_binary(lists:seq(0, 99))]}, {"~p", [list_to_binary(lists:seq(32, 126))]},
     {"~p", [<<1, 2, 3:5>>]}, {"~p", [{a, list_to_binary(lists:seq(0, 99))}]},
     {"~p", [[a | list_to_tuple(lists:seq(1, 30))]]},
     {"~p", [lists:seq(1, 30) ++ b]},
     {"~P", [Nested, 5]}, {"~P", [long_list(), 10]}, {"~P", [<<"abcdefghijklmnop">>, 3]},
     {"~P", [list_to_binary(lists:seq(0, 40)), 5]}, {"~P", [#{a => 1, b => 2, c => 3}, 3]},
     {"~P", [#{a => 1}, 2]}, {"~P", [[a | b], 2]}, {"~P", [{a, b, c}, 0]},
     {"~W", [Nested, 5]}, {"~W", [long_list(), 10]}, {"~W", [#{a => 1}, 2]},
     {"~W", [#{a => 1, b => 2}, 2]}, {"~W", [[a, b | c], 3]}, {"~W", [<<1, 2, 3, 4>>, 3]},
     {"~W", [{a, b, c}, 2]}, {"~W", [{a, {b, {c, d}}}, 3]},
     {"~10w|~-10w|~3w|~.2w|~10.4.-w", [abc, abc, abcdef, abcdef, abcdef]},
     {"~p", [{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, cccccccccccc}]},
     {"~p", [{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, [bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, ccccccccccccccccccccccccc], dddddddddddddddddddddddddddd}]},
     {"~60p|~30p|~0p", [Nested, Nested, Nested]}, {"~.20p", [Nested]},
     %% errors
     {"~d", [a]}, {"~", []}, {"~w", []}, {"~w", [a, b]}, {"~q", [a]}, {"~s", [a, b]},
     {"~s", [{a}]}, {"~s", [[256]]}, {"~e", [a]}, {"~b", [a]}, {"~.1b", [1]}, {"~.37b", [1]},
     {"~-p", [a]}, {"~-5p", [a]}, {"~-5n", []}, {"~3n|", []}, {"~*w", [a, b]},
     {"~*w|~-*w|~.*f", [6, a, -6, b, 2, 1.5]}, {"~.*f", [-1, 1.5]}, {"~2.3c", [$a]},
     {"~2.3s", ["a"]}, {"~.-1s", ["a"]},
     {<<"binary ~p~n">>, [x]}, {'atom ~p', [x]}, {"~tc", [16#110000]}, {"~ts", [[16#110000]]}].

%% Random nested terms printed with ~p, ~w, ~P and ~W at random columns and widths.
random_cases(N) ->
    [random_case() || _ <- lists:seq(1, N)].

random_case() ->
    T = random_term(4),
    case rand:uniform(6) of
        1 -> {"~p", [T]};
        2 -> {"~w", [T]};
        3 -> {"~P", [T, rand:uniform(8)]};
        4 -> {"~W", [T, rand:uniform(8)]};
        5 -> {lists:duplicate(rand:uniform(30), $x) ++ "~" ++ integer_to_list(20 + rand:uniform(80)) ++ "p", [T]};
        6 -> {"~tp", [T]}
    end.

random_term(0) -> random_leaf();
random_term(D) ->
    case rand:uniform(10) of
        1 -> list_to_tuple([random_term(D - 1) || _ <- lists:seq(1, rand:uniform(6))]);
        2 -> [random_term(D - 1) || _ <- lists:seq(1, rand:uniform(8))];
        3 -> {random_atom(), random_term(D - 1), random_term(D - 1)};
        4 -> maps:from_list([{random_leaf(), random_term(D - 1)} || _ <- lists:seq(1, rand:uniform(5))]);
        5 -> [random_term(D - 1) | random_leaf()];
        6 -> lists:seq(1, rand:uniform(30));
        _ -> random_leaf()
    end.

random_leaf() ->
    case rand:uniform(12) of
        1 -> rand:uniform(100000) - 50000;
        2 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(40) - 20);
        3 -> random_atom();
        4 -> lists:sublist("some printable string with spaces", rand:uniform(30));
        5 -> list_to_binary(lists:sublist("binary text here", rand:uniform(15)));
        6 -> list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(30))]);
        7 -> <<"é€"/utf8>>;
        8 -> [];
        9 -> {};
        10 -> rand:uniform(1 bsl 80);
        11 -> "ĉ";
        12 -> <<5:3>>
    end.

random_atom() ->
    lists:nth(rand:uniform(8), [ok, error, 'Elixir.Kate', 'kate@localhost', 'with space', state, a, 'end']).
