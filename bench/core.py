"""pyperf script: floors, spawn, tell and ask -- airsrt and the asyncio baseline in one run.

Run through ``python -m bench`` (which prints the comparison table), or directly:
``python bench/core.py --loop uvloop -o core.json``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import common
from baseline import QueueActor

import airsrt

SPAWN_N = 10_000
TELL_N = 100_000
QUEUE_N = 20_000  # messages queued for the enqueue and dequeue rows


# -- floors: what the machine and the loop cost before any actor code runs ---------------------


def floor_call(loops: int) -> float:
    def f(x: object) -> object:
        return x

    t0 = time.perf_counter()
    for i in range(loops):
        f(i)
    return time.perf_counter() - t0


def floor_deque(loops: int) -> float:
    q: deque[int] = deque()
    push, pop = q.append, q.popleft
    t0 = time.perf_counter()
    for i in range(loops):
        push(i)
        pop()
    return time.perf_counter() - t0


def floor_future(loops: int, kind: str) -> float:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        for _ in range(loops):
            fut = loop.create_future()
            loop.call_soon(fut.set_result, None)
            await fut
        return time.perf_counter() - t0

    return common.run(kind, main)


# -- spawn ----------------------------------------------------------------------------------------


def spawn_airsrt(loops: int, kind: str) -> float:
    async def main() -> float:
        total = 0.0
        async with common.system() as system:
            for _ in range(loops):
                t0 = time.perf_counter()
                refs = [system.spawn(common.Idle) for _ in range(SPAWN_N)]
                total += time.perf_counter() - t0
                for ref in refs:
                    await ref.stop()
        return total

    return common.run(kind, main)


def spawn_asyncio(loops: int, kind: str) -> float:
    async def main() -> float:
        total = 0.0
        handler = common.counter_handler()
        for _ in range(loops):
            t0 = time.perf_counter()
            actors = [QueueActor(handler) for _ in range(SPAWN_N)]
            total += time.perf_counter() - t0
            for actor in actors:
                actor.task.cancel()
            await asyncio.gather(*(a.task for a in actors), return_exceptions=True)
        return total

    return common.run(kind, main)


def spawn_batch(loops: int, kind: str, impl: str, batch: int) -> float:
    """`batch` actors spawned together; pyperf divides by the batch: cost per actor."""

    async def main() -> float:
        total = 0.0
        if impl == "airsrt":
            async with common.system() as system:
                for _ in range(loops):
                    t0 = time.perf_counter()
                    refs = [system.spawn(common.Idle) for _ in range(batch)]
                    total += time.perf_counter() - t0
                    for ref in refs:
                        await ref.stop()
            return total
        handler = common.counter_handler()
        for _ in range(loops):
            t0 = time.perf_counter()
            actors = [QueueActor(handler) for _ in range(batch)]
            total += time.perf_counter() - t0
            for actor in actors:
                actor.task.cancel()
            await asyncio.gather(*(a.task for a in actors), return_exceptions=True)
        return total

    return common.run(kind, main)


# -- the mailbox: enqueue (the actor is busy) and dequeue (handling a backlog) -----------------


class Gated(common.Counter):
    """A Counter that can be held busy, so tells only queue."""

    @airsrt.handler
    async def hold(self, msg: asyncio.Event) -> None:
        await msg.wait()


def mailbox(loops: int, kind: str, impl: str, phase: str) -> float:
    async def main() -> float:
        total = 0.0
        inc, get = common.Inc(), common.Get()
        if impl == "airsrt":
            async with common.system() as system:
                ref = system.spawn(Gated)
                for _ in range(loops):
                    gate = asyncio.Event()
                    ref.tell(gate)
                    await asyncio.sleep(0)  # the actor is busy now: tells only queue
                    t0 = time.perf_counter()
                    for _ in range(QUEUE_N):
                        ref.tell(inc)
                    enqueued = time.perf_counter()
                    gate.set()
                    await ref.ask(get)  # the backlog, then this ask
                    finished = time.perf_counter()
                    total += enqueued - t0 if phase == "enqueue" else finished - enqueued
            return total
        queue: asyncio.Queue[object] = asyncio.Queue()
        count = [0]
        drained = asyncio.Event()

        async def consumer() -> None:
            while True:
                msg = await queue.get()
                if msg is None:
                    drained.set()
                else:
                    count[0] += 1

        task = asyncio.get_running_loop().create_task(consumer())
        for _ in range(loops):
            drained.clear()
            t0 = time.perf_counter()
            for _ in range(QUEUE_N):
                queue.put_nowait(inc)
            enqueued = time.perf_counter()
            queue.put_nowait(None)
            await drained.wait()
            finished = time.perf_counter()
            total += enqueued - t0 if phase == "enqueue" else finished - enqueued
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return total

    return common.run(kind, main)


def bare_method_call(loops: int) -> float:
    """The handler of the dispatch row, called directly: what dispatching adds is the difference."""
    actor_cls = common.Counter
    actor = actor_cls.__new__(actor_cls)
    actor.n = 0
    inc, handle = common.Inc(), actor_cls.inc
    t0 = time.perf_counter()
    for _ in range(loops):
        handle(actor, inc)
    return time.perf_counter() - t0


# -- tell -> handled --------------------------------------------------------------------------------


def tell_airsrt(loops: int, kind: str) -> float:
    async def main() -> float:
        async with common.system() as system:
            ref = system.spawn(common.Counter)
            inc, get, tell = common.Inc(), common.Get(), ref.tell
            t0 = time.perf_counter()
            for _ in range(loops):
                for _ in range(TELL_N):
                    tell(inc)
                await ref.ask(get)  # every tell before it has been handled
            return time.perf_counter() - t0

    return common.run(kind, main)


def tell_asyncio(loops: int, kind: str) -> float:
    async def main() -> float:
        actor = QueueActor(common.counter_handler())
        inc, get, tell = common.Inc(), common.Get(), actor.tell
        t0 = time.perf_counter()
        for _ in range(loops):
            for _ in range(TELL_N):
                tell(inc)
            await actor.ask(get)
        elapsed = time.perf_counter() - t0
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
            t0 = time.perf_counter()
            for _ in range(loops):
                await ask(get)
            return time.perf_counter() - t0

    return common.run(kind, main)


def ask_asyncio(loops: int, kind: str) -> float:
    async def main() -> float:
        actor = QueueActor(common.counter_handler())
        get, ask = common.Get(), actor.ask
        t0 = time.perf_counter()
        for _ in range(loops):
            await ask(get)
        elapsed = time.perf_counter() - t0
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
    runner.bench_time_func("spawn[airsrt]", spawn_airsrt, kind, inner_loops=SPAWN_N)
    runner.bench_time_func("spawn[asyncio]", spawn_asyncio, kind, inner_loops=SPAWN_N)
    for batch in (1, 10, 100, 1000):
        for impl in ("airsrt", "asyncio"):
            runner.bench_time_func(
                f"spawn_batch{batch}[{impl}]", spawn_batch, kind, impl, batch, inner_loops=batch
            )
    for phase in ("enqueue", "dequeue"):
        for impl in ("airsrt", "asyncio"):
            runner.bench_time_func(f"mailbox_{phase}[{impl}]", mailbox, kind, impl, phase, inner_loops=QUEUE_N)
    runner.bench_time_func("tell[airsrt]", tell_airsrt, kind, inner_loops=TELL_N)
    runner.bench_time_func("tell[asyncio]", tell_asyncio, kind, inner_loops=TELL_N)
    runner.bench_time_func("ask_eager[airsrt]", ask_airsrt, kind, True)
    runner.bench_time_func("ask_queued[airsrt]", ask_airsrt, kind, False)
    runner.bench_time_func("ask[asyncio]", ask_asyncio, kind)


if __name__ == "__main__":
    main()
