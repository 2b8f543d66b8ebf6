#!/usr/bin/env escript
%% Writes the fun_eval fuzz target's seeds: for each fun in the text file given (one Erlang fun
%% expression per line), the fun as erl_eval makes it, as the target reads it: one byte of
%% arity, then the external format of the closure's environment (its one free variable).
%% Usage: fun_eval_seeds.escript FUNS_FILE OUT_DIR
main([FunsFile, OutDir]) ->
    {ok, Text} = file:read_file(FunsFile),
    Lines = [binary_to_list(L) || L <- binary:split(Text, <<"\n">>, [global]), L =/= <<>>],
    lists:foldl(fun(Src, N) -> write_seed(Src, filename:join(OutDir, "fun" ++ integer_to_list(N))), N + 1 end,
                0, Lines),
    ok.

write_seed(Src, Path) ->
    {ok, Tokens, _} = erl_scan:string(Src),
    {ok, [Expr]} = erl_parse:parse_exprs(Tokens),
    {value, Fun, _} = erl_eval:expr(Expr, []),
    {arity, Arity} = erlang:fun_info(Fun, arity),
    {env, [Env | _]} = erlang:fun_info(Fun, env),
    ok = file:write_file(Path, <<Arity, (term_to_binary(Env))/binary>>).
