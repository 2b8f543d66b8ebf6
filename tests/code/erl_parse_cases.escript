#!/usr/bin/env escript
%% -*- erlang -*-
%% Reads the cases of erl_parse_cases.txt (separated by lines holding only %%%) and writes what
%% real erl_scan:string/1 + erl_parse:parse_exprs/1 give for each, as
%% term_to_binary([{Text, {ok, Exprs} | {error, Line, Module, Message}}]), so erl_parse_test
%% can compare otpp's parser with OTP's. Usage: erl_parse_cases.escript CASES OUTFILE
-mode(compile).

main([In, Out]) ->
    {ok, Bin} = file:read_file(In),
    Text = unicode:characters_to_list(Bin),
    Cases = [C || C <- string:split(Text, "\n%%%\n", all), C =/= ""],
    Results = [{unicode:characters_to_binary(C), run(C)} || C <- Cases],
    ok = file:write_file(Out, term_to_binary(Results)).

run(Text) ->
    case erl_scan:string(Text) of
        {ok, Tokens, _} ->
            case erl_parse:parse_exprs(Tokens) of
                {ok, Exprs} -> {ok, Exprs};
                {error, {Line, Mod, Desc}} -> failed(Line, Mod, Desc)
            end;
        {error, {Line, Mod, Desc}, _} ->
            failed(Line, Mod, Desc)
    end.

failed(Line, Mod, Desc) ->
    {error, Line, Mod, unicode:characters_to_binary(Mod:format_error(Desc))}.
