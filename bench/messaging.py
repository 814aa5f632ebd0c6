"""pyperf script, messaging area: the floors, handler dispatch, tell -> handled and ask.

The floors say what the machine and the loop cost before any actor code runs; the report prints
them beside the rows measured in the same run.
"""

from __future__ import annotations

import asyncio
from collections import deque

import common
from baseline import QueueActor

TELL_N = 100_000  # tells per value, in bursts of common.BURST, each burst followed by an ask


# -- floors: what the machine and the loop cost before any actor code runs ---------------------


def floor_call(loops: int) -> float:
    def f(x: object) -> object:
        return x

    t0 = common.now()
    for i in range(loops):
        f(i)
    return common.now() - t0


def floor_deque(loops: int) -> float:
    q: deque[int] = deque()
    push, pop = q.append, q.popleft
    t0 = common.now()
    for i in range(loops):
        push(i)
        pop()
    return common.now() - t0


def floor_future(loops: int, kind: str) -> float:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        t0 = common.now()
        for _ in range(loops):
            fut = loop.create_future()
            loop.call_soon(fut.set_result, None)
            await fut
        return common.now() - t0

    return common.run(kind, main)


def bare_method_call(loops: int) -> float:
    """The handler of the dispatch row, called directly: what dispatching adds is the difference."""
    actor_cls = common.Counter
    actor = actor_cls.__new__(actor_cls)
    actor.n = 0
    inc, handle = common.Inc(), actor_cls.inc
    t0 = common.now()
    for _ in range(loops):
        handle(actor, inc)
    return common.now() - t0




# -- tell -> handled --------------------------------------------------------------------------------


def tell_airsrt(loops: int, kind: str) -> float:
    async def main() -> float:
        async with common.system() as system:
            ref = system.spawn(common.Counter)
            inc, get, tell, ask = common.Inc(), common.Get(), ref.tell, ref.ask
            burst = range(common.BURST)
            t0 = common.now()
            for _ in range(loops):
                for _ in range(TELL_N // common.BURST):
                    for _ in burst:
                        tell(inc)
                    await ask(get)  # answered after every tell before it
            return common.now() - t0

    return common.run(kind, main)


def tell_asyncio(loops: int, kind: str) -> float:
    async def main() -> float:
        actor = QueueActor(common.counter_handler())
        inc, get, tell, ask = common.Inc(), common.Get(), actor.tell, actor.ask
        burst = range(common.BURST)
        t0 = common.now()
        for _ in range(loops):
            for _ in range(TELL_N // common.BURST):
                for _ in burst:
                    tell(inc)
                await ask(get)
        elapsed = common.now() - t0
        await actor.stop()
        return elapsed

    return common.run(kind, main)


# -- ask round trip -----------------------------------------------------------------------------


def ask_airsrt(loops: int, kind: str, eager: bool) -> float:
    async def main() -> float:
        async with common.system() as system:
            system.eager_asks = eager
            ref = system.spawn(common.Counter)
            get, ask = common.Get(), ref.ask
            t0 = common.now()
            for _ in range(loops):
                await ask(get)
            return common.now() - t0

    return common.run(kind, main)


def ask_asyncio(loops: int, kind: str) -> float:
    async def main() -> float:
        actor = QueueActor(common.counter_handler())
        get, ask = common.Get(), actor.ask
        t0 = common.now()
        for _ in range(loops):
            await ask(get)
        elapsed = common.now() - t0
        await actor.stop()
        return elapsed

    return common.run(kind, main)



def main() -> None:
    runner, args = common.make_runner()
    kind = args.loop
    runner.bench_time_func("floor.call", floor_call)
    runner.bench_time_func("floor.deque_push_pop", floor_deque)
    runner.bench_time_func("floor.future_call_soon", floor_future, kind)
    runner.bench_time_func("floor.bare_method_call", bare_method_call)
    runner.bench_time_func("tell[airsrt]", tell_airsrt, kind, inner_loops=TELL_N)
    runner.bench_time_func("tell[asyncio]", tell_asyncio, kind, inner_loops=TELL_N)
    runner.bench_time_func("ask_eager[airsrt]", ask_airsrt, kind, True)
    runner.bench_time_func("ask_queued[airsrt]", ask_airsrt, kind, False)
    runner.bench_time_func("ask[asyncio]", ask_asyncio, kind)


if __name__ == "__main__":
    main()
