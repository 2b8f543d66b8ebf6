%% The echo side of scripts/soak on a real erl node: announces itself to the driver with
%% {soak_hello, erl, Pid}, then answers each {soak, From, Seq} with {soak_echo, erl, Seq}, in
%% the order the messages arrive.
-module(soak_echo).
-export([start/1]).

start([Driver]) ->
    Pid = spawn(fun loop/0),
    {soak_driver, list_to_atom(Driver)} ! {soak_hello, erl, Pid}.

loop() ->
    receive
        {soak, From, Seq} ->
            From ! {soak_echo, erl, Seq},
            loop()
    end.
