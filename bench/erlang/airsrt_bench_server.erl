%% The gen_server of the request-reply row: answers `get` with its count, as bench/common.py's
%% Counter answers Get.
-module(airsrt_bench_server).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).

init([]) -> {ok, 0}.

handle_call(get, _From, Count) -> {reply, Count, Count}.

handle_cast(inc, Count) -> {noreply, Count + 1}.
