%% The workloads of airsrt's benchmark rows, written for Erlang/OTP, so the report can put BEAM
%% beside airsrt on the same machine. bench/beam.py compiles this file into bench/results/ and
%% runs one workload per VM:
%%
%%   erl -noshell +S 1:1 +P 4000000 -pa DIR -run airsrt_bench main Workload key=value ...
%%
%% Every workload prints one JSON object per repetition on stdout: wall time (monotonic clock,
%% ns), the VM's user and system CPU time and its minor page faults over the same interval (read
%% from /proc/self/stat), and whatever the workload adds (per-call latency percentiles, memory).
%% The shapes follow bench/savina.py, bench/lifecycle.py, bench/broker.py and bench/skynet.py:
%% same sizes, same messages, same "wait until everything is handled" rule.
-module(airsrt_bench).
-export([main/1, idle/0]).

-define(CLOCK, erlang:monotonic_time(nanosecond)).

main([Workload | Args]) ->
    Opts = maps:from_list([parse_opt(A) || A <- Args]),
    Reps = maps:get(reps, Opts, 1),
    try
        [emit(Workload, Opts, run(Workload, Opts)) || _ <- lists:seq(1, Reps)],
        halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "~s failed: ~p:~p~n~p~n", [Workload, Class, Reason, Stack]),
            halt(1)
    end.

parse_opt(Arg) ->
    [Key, Value] = string:split(Arg, "="),
    {list_to_atom(Key), list_to_integer(Value)}.

%% -- measuring ---------------------------------------------------------------------------------

%% {UserTicks, SystemTicks, MinorFaults} of this OS process so far.
cpu() ->
    {ok, Stat} = file:read_file("/proc/self/stat"),
    %% Fields after the command name (which may hold spaces): state is the first, then ppid ...
    [_, After] = string:split(Stat, ") ", trailing),
    Fields = string:lexemes(After, " "),
    Int = fun(N) -> binary_to_integer(lists:nth(N, Fields)) end,
    {Int(12), Int(13), Int(8)}.

rss_bytes(Opts) ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_, Resident | _] = string:lexemes(Statm, " "),
    binary_to_integer(Resident) * maps:get(page_size, Opts, 4096).

%% Times Fun(), returning its result with the wall time and the CPU spent meanwhile.
timed(Fun, Opts) ->
    {U0, S0, F0} = cpu(),
    T0 = ?CLOCK,
    Extra = Fun(),
    T1 = ?CLOCK,
    {U1, S1, F1} = cpu(),
    TickNs = 1000000000 div maps:get(clk_tck, Opts, 100),
    Extra#{wall_ns => T1 - T0, user_ns => (U1 - U0) * TickNs, sys_ns => (S1 - S0) * TickNs,
           minflt => F1 - F0}.

emit(Workload, Opts, Result) ->
    Sized = maps:without([reps, clk_tck, page_size], Opts),
    Fields = [{<<"workload">>, list_to_binary(Workload)},
              {<<"schedulers">>, erlang:system_info(schedulers_online)}
              | [{atom_to_binary(K), V} || {K, V} <- maps:to_list(maps:merge(Sized, Result))]],
    Pairs = [io_lib:format("\"~s\": ~s", [K, json_value(V)]) || {K, V} <- Fields],
    io:format("{~s}~n", [lists:join(", ", Pairs)]).

json_value(V) when is_integer(V) -> integer_to_list(V);
json_value(V) when is_float(V) -> float_to_list(V, [{decimals, 3}]);
json_value(V) when is_binary(V) -> [$", V, $"].

%% Waits until every scheduler's run queue is empty: everything spawned has run.
settle() ->
    case erlang:statistics(total_run_queue_lengths_all) of
        0 -> ok;
        _ -> erlang:yield(), timer:sleep(1), settle()
    end.

stop_all(Pids) ->
    [exit(P, kill) || P <- Pids],
    settle().

%% -- the workloads -----------------------------------------------------------------------------

%% spawn: N idle processes spawned one after another (only the spawn calls timed), then the memory
%% they hold once all of them wait in receive: BEAM's own count and the growth of the RSS.
run("spawn", #{n := N} = Opts) ->
    erlang:garbage_collect(),
    Beam0 = erlang:memory(processes),
    Rss0 = rss_bytes(Opts),
    Result = timed(fun() -> #{pids => spawn_idle(N, [])} end, Opts),
    Pids = maps:get(pids, Result),
    settle(),
    Beam1 = erlang:memory(processes),
    Rss1 = rss_bytes(Opts),
    stop_all(Pids),
    (maps:without([pids], Result))#{beam_bytes => (Beam1 - Beam0) div N,
                                    rss_bytes => (Rss1 - Rss0) div N};

%% million: N processes spawned, each sent one message, until all of them have handled it.
run("million", #{n := N} = Opts) ->
    Rss0 = rss_bytes(Opts),
    Parent = self(),
    Counter = atomics:new(1, []),
    Result = timed(fun() ->
        T0 = ?CLOCK,
        Pids = [spawn(fun() -> one_message(Counter, N, Parent) end) || _ <- lists:seq(1, N)],
        Spawned = ?CLOCK - T0,
        [P ! inc || P <- Pids],
        receive all_handled -> ok end,
        #{spawn_ns => Spawned, pids => Pids}
    end, Opts),
    Rss1 = rss_bytes(Opts),
    stop_all(maps:get(pids, Result)),
    (maps:without([pids], Result))#{rss_mb => (Rss1 - Rss0) div (1024 * 1024)};

%% pingpong: N strictly sequential round trips between two processes.
run("pingpong", #{n := N} = Opts) ->
    Parent = self(),
    Ponger = spawn(fun ponger/0),
    Pinger = spawn(fun() -> pinger(Ponger, Parent) end),
    Result = timed(fun() ->
        Ponger ! {ping, N, Pinger},
        receive pingpong_done -> #{} end
    end, Opts),
    stop_all([Ponger, Pinger]),
    Result;

%% call: gen_server:call round trips to an idle server, each timed on its own (p50, p99).
run("call", #{n := N} = Opts) ->
    {ok, Server} = gen_server:start(airsrt_bench_server, [], []),
    Warm = N div 10,
    [gen_server:call(Server, get) || _ <- lists:seq(1, Warm)],
    Result = timed(fun() -> #{samples => timed_calls(Server, N, [])} end, Opts),
    gen_server:stop(Server),
    Sorted = lists:sort(maps:get(samples, Result)),
    (maps:without([samples], Result))#{
        p50_ns => lists:nth(N div 2 + 1, Sorted),
        p99_ns => lists:nth(min(N, N * 99 div 100 + 1), Sorted)};

%% threadring: a token with a hop counter passed round a ring of A processes until it is zero.
run("threadring", #{actors := A, hops := H} = Opts) ->
    Parent = self(),
    Nodes = [spawn(fun() -> ring_node(Parent) end) || _ <- lists:seq(1, A)],
    [Node ! {link, Next} || {Node, Next} <- lists:zip(Nodes, tl(Nodes) ++ [hd(Nodes)])],
    settle(),
    Result = timed(fun() ->
        hd(Nodes) ! {token, H},
        receive ring_done -> #{} end
    end, Opts),
    stop_all(Nodes),
    Result;

%% counting: N increments sent to a counter in bursts (each burst answered by a sync call, so
%% the mailbox never holds more than a burst), then the total asked for.
run("counting", #{n := N, burst := Burst} = Opts) ->
    Counter = spawn(fun() -> counter(0) end),
    Result = timed(fun() ->
        send_counting(Counter, N, Burst),
        N = call(Counter, get),
        #{}
    end, Opts),
    stop_all([Counter]),
    Result;

%% fj_create: N workers spawned, each sent one message (sin^2 of a number), each reporting to a
%% sink; done when the sink has all N reports. Workers are created in bursts, each waiting for
%% the sink to have the burst's reports (as airsrt's, whose mailboxes stay under its warning);
%% workers stay alive, as airsrt's do.
run("fj_create", #{n := N, burst := Burst} = Opts) ->
    Parent = self(),
    Result = timed(fun() ->
        Sink = spawn(fun() -> sink_counting(N, 0, none, Parent) end),
        Workers = create_bursts(Sink, 0, N, Burst, []),
        receive sink_done -> #{pids => [Sink | Workers]} end
    end, Opts),
    stop_all(maps:get(pids, Result)),
    maps:without([pids], Result);

%% fj_throughput: A workers each sent N messages (round robin, in bursts answered by a sync call
%% to every worker), each worker reporting once it has handled all N.
run("fj_throughput", #{actors := A, n := N, burst := Burst} = Opts) ->
    Parent = self(),
    Sink = spawn(fun() -> sink(A, Parent) end),
    Workers = [spawn(fun() -> worker(Sink, N) end) || _ <- lists:seq(1, A)],
    settle(),
    Result = timed(fun() ->
        send_fj(Workers, 0, N, Burst),
        receive sink_done -> #{} end
    end, Opts),
    stop_all([Sink | Workers]),
    Result;

%% fanout: one message sent to each of S subscribers, until every copy is handled, per sample
%% (the whole delivery); publish_ns times the sends alone.
run("fanout", #{s := S, samples := Samples} = Opts) ->
    Parent = self(),
    Subs = [spawn(fun() -> subscriber(Parent) end) || _ <- lists:seq(1, S)],
    settle(),
    Result = timed(fun() ->
        Pairs = [fanout_once(Subs, S) || _ <- lists:seq(1, Samples)],
        {Sends, Deliveries} = lists:unzip(Pairs),
        #{publish_ns => median(Sends), delivery_ns => median(Deliveries)}
    end, Opts),
    stop_all(Subs),
    Result;

%% big: W workers each send N pings to random peers, who answer pong; a worker sends its next
%% ping when its pong arrives; done when every worker has had N pongs.
run("big", #{workers := W, n := N} = Opts) ->
    Parent = self(),
    Sink = spawn(fun() -> sink(W, Parent) end),
    Workers = [spawn(fun() -> big_init(N, Sink, Seed) end) || Seed <- lists:seq(1, W)],
    Peers = list_to_tuple(Workers),
    [P ! {peers, Peers} || P <- Workers],
    settle(),
    Result = timed(fun() ->
        [P ! go || P <- Workers],
        receive sink_done -> #{} end
    end, Opts),
    stop_all([Sink | Workers]),
    Result;

%% chameneos: C creatures meet in pairs through a mall process, M meetings in all.
run("chameneos", #{creatures := C, meetings := M} = Opts) ->
    Parent = self(),
    Mall = spawn(fun() -> mall(M, none, Parent) end),
    Creatures = [spawn(fun() -> creature(Mall, I rem 3) end) || I <- lists:seq(0, C - 1)],
    settle(),
    Result = timed(fun() ->
        [P ! go || P <- Creatures],
        receive mall_done -> #{} end
    end, Opts),
    stop_all([Mall | Creatures]),
    Result;

%% skynet: a tree in which every node spawns 10 children and sums their answers; leaves answer
%% their number; every process ends after answering. `leaves` leaves (1M: 1,111,111 processes).
run("skynet", #{leaves := Leaves} = Opts) ->
    Self = self(),
    timed(fun() ->
        spawn(fun() -> skynet(Self, 0, Leaves) end),
        receive {sum, Sum} -> Sum = Leaves * (Leaves - 1) div 2, #{} end
    end, Opts).

%% -- the processes -----------------------------------------------------------------------------

idle() ->
    receive stop -> ok end.

spawn_idle(0, Acc) -> Acc;
spawn_idle(N, Acc) -> spawn_idle(N - 1, [spawn(fun idle/0) | Acc]).

one_message(Counter, N, Parent) ->
    receive inc ->
        case atomics:add_get(Counter, 1, 1) of
            N -> Parent ! all_handled;
            _ -> ok
        end
    end,
    idle().

ponger() ->
    receive {ping, Left, Pinger} -> Pinger ! {pong, Left}, ponger() end.

pinger(Ponger, Parent) ->
    receive
        {pong, 0} -> Parent ! pingpong_done, pinger(Ponger, Parent);
        {pong, Left} -> Ponger ! {ping, Left - 1, self()}, pinger(Ponger, Parent)
    end.

timed_calls(_, 0, Acc) -> Acc;
timed_calls(Server, N, Acc) ->
    T0 = ?CLOCK,
    gen_server:call(Server, get),
    timed_calls(Server, N - 1, [?CLOCK - T0 | Acc]).

ring_node(Parent) ->
    receive {link, Next} -> ring_node(Parent, Next) end.

ring_node(Parent, Next) ->
    receive
        {token, 0} -> Parent ! ring_done, ring_node(Parent, Next);
        {token, Hops} -> Next ! {token, Hops - 1}, ring_node(Parent, Next)
    end.

counter(Count) ->
    receive
        inc -> counter(Count + 1);
        {get, From, Ref} -> From ! {Ref, Count}, counter(Count)
    end.

call(Pid, Request) ->
    Ref = make_ref(),
    Pid ! {Request, self(), Ref},
    receive {Ref, Reply} -> Reply end.

send_counting(Counter, Left, Burst) when Left > Burst ->
    send_n(Counter, inc, Burst),
    call(Counter, get),
    send_counting(Counter, Left - Burst, Burst);
send_counting(Counter, Left, _) ->
    send_n(Counter, inc, Left).

send_n(_, _, 0) -> ok;
send_n(Pid, Msg, N) -> Pid ! Msg, send_n(Pid, Msg, N - 1).

create_bursts(_, Made, N, _, Acc) when Made >= N -> Acc;
create_bursts(Sink, Made, N, Burst, Acc) ->
    Stop = min(Made + Burst, N),
    Stop < N andalso (Sink ! {milestone, Stop, self()}),
    Workers = [begin W = spawn(fun() -> worker(Sink, 1) end), W ! {compute, float(I)}, W end
               || I <- lists:seq(Made, Stop - 1)],
    Stop < N andalso receive {reached, Stop} -> true end,
    create_bursts(Sink, Stop, N, Burst, Workers ++ Acc).

%% The Fork-Join creation sink: counts reports, tells `From` when a milestone is reached.
sink_counting(0, _, _, Parent) -> Parent ! sink_done, idle();
sink_counting(Left, Received, Milestone, Parent) ->
    receive
        {milestone, At, From} -> sink_counting(Left, Received, {At, From}, Parent);
        {report, _} ->
            Now = Received + 1,
            case Milestone of
                {Now, From} -> From ! {reached, Now}, sink_counting(Left - 1, Now, none, Parent);
                _ -> sink_counting(Left - 1, Now, Milestone, Parent)
            end
    end.

sink(0, Parent) -> Parent ! sink_done, idle();
sink(Left, Parent) -> receive {report, _} -> sink(Left - 1, Parent) end.

work(X) -> S = math:sin(X), S * S.

%% Handles `{compute, X}`; reports the last result after `Per` of them; answers sync calls.
worker(Sink, Per) -> worker(Sink, Per, 0).
worker(Sink, Per, Seen) ->
    receive
        {compute, X} ->
            Result = work(X),
            case Seen + 1 of
                Per -> Sink ! {report, Result}, worker(Sink, Per, Per);
                Next -> worker(Sink, Per, Next)
            end;
        {get, From, Ref} -> From ! {Ref, Seen}, worker(Sink, Per, Seen)
    end.

send_fj(_, Sent, N, _) when Sent >= N -> ok;
send_fj(Workers, Sent, N, Burst) ->
    Count = min(Burst, N - Sent),
    send_rounds(Workers, Sent, Count),
    Sent + Count < N andalso lists:foreach(fun(W) -> call(W, get) end, Workers),
    send_fj(Workers, Sent + Count, N, Burst).

send_rounds(_, _, 0) -> ok;
send_rounds(Workers, I, Left) ->
    Msg = {compute, float(I)},
    [W ! Msg || W <- Workers],
    send_rounds(Workers, I + 1, Left - 1).

subscriber(Parent) ->
    receive
        {publish, Counter, S} ->
            case atomics:add_get(Counter, 1, 1) of
                S -> Parent ! delivered;
                _ -> ok
            end,
            subscriber(Parent)
    end.

fanout_once(Subs, S) ->
    Counter = atomics:new(1, []),
    Msg = {publish, Counter, S},
    T0 = ?CLOCK,
    [P ! Msg || P <- Subs],
    T1 = ?CLOCK,
    receive delivered -> ok end,
    T2 = ?CLOCK,
    {T1 - T0, T2 - T0}.

median(Values) -> lists:nth(length(Values) div 2 + 1, lists:sort(Values)).

big_init(N, Sink, Seed) ->
    rand:seed(exsss, {Seed, Seed, Seed}),
    receive {peers, Peers} -> big(N, Sink, Peers) end.

big(Left, Sink, Peers) ->
    receive
        go -> big_ping(Peers), big(Left, Sink, Peers);
        {ping, From} -> From ! pong, big(Left, Sink, Peers);
        pong when Left =:= 1 -> Sink ! {report, 0.0}, big(0, Sink, Peers);
        pong -> big_ping(Peers), big(Left - 1, Sink, Peers)
    end.

big_ping(Peers) ->
    element(rand:uniform(tuple_size(Peers)), Peers) ! {ping, self()}.

mall(0, _, Parent) -> Parent ! mall_done, mall_closed();
mall(Left, none, Parent) ->
    receive {meet, _, _} = First -> mall(Left, First, Parent) end;
mall(Left, {meet, FirstPid, FirstColor}, Parent) ->
    receive
        {meet, Pid, Color} ->
            FirstPid ! {partner, Color},
            Pid ! {partner, FirstColor},
            mall(Left - 1, none, Parent)
    end.

%% Meetings asked for after the last one are dropped, as in bench/savina.py.
mall_closed() ->
    receive _ -> mall_closed() end.

creature(Mall, Color) ->
    receive
        go -> Mall ! {meet, self(), Color}, creature(Mall, Color);
        {partner, Other} ->
            Next = complement(Color, Other),
            Mall ! {meet, self(), Next},
            creature(Mall, Next)
    end.

complement(A, A) -> A;
complement(A, B) -> 3 - A - B.

skynet(Parent, Num, 1) ->
    Parent ! {sum, Num};
skynet(Parent, Num, Size) ->
    Sub = Size div 10,
    Self = self(),
    [spawn(fun() -> skynet(Self, Num + I * Sub, Sub) end) || I <- lists:seq(0, 9)],
    Parent ! {sum, skynet_collect(10, 0)}.

skynet_collect(0, Sum) -> Sum;
skynet_collect(Left, Sum) -> receive {sum, N} -> skynet_collect(Left - 1, Sum + N) end.
