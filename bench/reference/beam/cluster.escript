#!/usr/bin/env escript
%% -*- erlang -*-
%% The BEAM side of bench/cluster_bench.cpp: from a fresh distributed escript node connected to
%% a server node that is already up (and runs pg), global:register_name/2 + unregister_name/1
%% of one name back to back, and pg:join/2 + pg:leave/2 of self() back to back. Each metric
%% runs three times; prints the medians as beam.global.register_per_s and
%% beam.pg.join_leave_per_s.
%% Usage: cluster.escript CLIENT_NAME SERVER_NODE COOKIE SECONDS_PER_RUN
-mode(compile).

main([Client, Server, Cookie, Seconds]) ->
    {ok, _} = net_kernel:start([list_to_atom(Client), shortnames]),
    erlang:set_cookie(node(), list_to_atom(Cookie)),
    Node = list_to_atom(Server),
    pong = net_adm:ping(Node),
    ok = global:sync(),
    {ok, _} = pg:start(pg),
    Ms = round(list_to_float(Seconds) * 1000),
    Me = self(),
    Register = fun() -> yes = global:register_name(bench_name, Me),
                        _ = global:unregister_name(bench_name) end,
    io:format("beam.global.register_per_s=~.1f~n", [median(Register, Ms)]),
    JoinLeave = fun() -> ok = pg:join(bench_group, Me), ok = pg:leave(bench_group, Me) end,
    io:format("beam.pg.join_leave_per_s=~.1f~n", [median(JoinLeave, Ms)]),
    rpc:cast(Node, erlang, halt, []),
    timer:sleep(100),
    halt().

median(F, Ms) ->
    [_, M, _] = lists:sort([rate(F, Ms) || _ <- [1, 2, 3]]),
    M.

%% Operations per second of F, run back to back for about Ms milliseconds after a warm-up.
rate(F, Ms) ->
    [F() || _ <- lists:seq(1, 20)],
    T0 = erlang:monotonic_time(microsecond),
    N = loop(F, T0, Ms * 1000, 0),
    Elapsed = erlang:monotonic_time(microsecond) - T0,
    N * 1.0e6 / Elapsed.

loop(F, T0, Limit, N) ->
    [F() || _ <- lists:seq(1, 10)],
    case erlang:monotonic_time(microsecond) - T0 >= Limit of
        true -> N + 10;
        false -> loop(F, T0, Limit, N + 10)
    end.
