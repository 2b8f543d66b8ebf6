#!/usr/bin/env escript
%% -*- erlang -*-
%% The BEAM side of bench/rpc_bench.cpp: from a fresh distributed escript node, sequential
%% rpc:call/4 of erlang:self/0 and sequential spawn/4 of erlang:self/0 against a server node
%% that is already up. Prints beam.rpc.calls_per_s and beam.remote.spawn_per_s.
%% Usage: rpc_bench.escript CLIENT_NAME SERVER_NODE COOKIE SECONDS_PER_METRIC
-mode(compile).

main([Client, Server, Cookie, Seconds]) ->
    {ok, _} = net_kernel:start([list_to_atom(Client), shortnames]),
    erlang:set_cookie(node(), list_to_atom(Cookie)),
    Node = list_to_atom(Server),
    pong = net_adm:ping(Node),
    Ms = round(list_to_float(Seconds) * 1000),
    Calls = rate(fun() -> rpc:call(Node, erlang, self, []) end, Ms),
    io:format("beam.rpc.calls_per_s=~.1f~n", [Calls]),
    Spawns = rate(fun() -> spawn(Node, erlang, self, []) end, Ms),
    io:format("beam.remote.spawn_per_s=~.1f~n", [Spawns]),
    halt().

%% Operations per second of F, run back to back for about Ms milliseconds after a warm-up.
rate(F, Ms) ->
    [F() || _ <- lists:seq(1, 200)],
    T0 = erlang:monotonic_time(microsecond),
    N = loop(F, T0, Ms * 1000, 0),
    Elapsed = erlang:monotonic_time(microsecond) - T0,
    N * 1.0e6 / Elapsed.

loop(F, T0, Limit, N) ->
    [F() || _ <- lists:seq(1, 100)],
    case erlang:monotonic_time(microsecond) - T0 >= Limit of
        true -> N + 100;
        false -> loop(F, T0, Limit, N + 100)
    end.
