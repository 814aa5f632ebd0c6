"""pyperf script: supervised spawn; crash -> restart -> next message handled; a dynamic
supervisor's per-child start and stop at 1k, 10k and 100k children (they must stay flat); a pool
where 1 message in 37 fails, beside the same pool with no failures.

There is no asyncio baseline for these rows: a Queue+Task actor has no supervisor to compare.
"""

from __future__ import annotations


import common

import asyncio

import airsrt
from airsrt import ChildSpec, OneForOne

CHILDREN = 1000
DYNAMIC_SIZES = (1_000, 10_000, 100_000)
POOL_SIZE = 4
POOL_MESSAGES = 37 * 1000


class Crash:
    __slots__ = ()


class Crashy(airsrt.Actor):
    @airsrt.handler
    def get(self, msg: common.Get) -> int:
        return 1

    @airsrt.handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crash")


def supervised_spawn(loops: int, kind: str) -> float:
    """A supervisor started with CHILDREN workers: time per child (spawn + start + its record)."""

    async def main() -> float:
        total = 0.0
        async with common.system() as system:
            for _ in range(loops):
                children = [ChildSpec(i, common.Idle) for i in range(CHILDREN)]
                t0 = common.now()
                sup = await system.spawn_supervisor(OneForOne(), children)
                total += common.now() - t0
                await sup.stop()
        return total

    return common.run(kind, main)


def crash_restart(loops: int, kind: str) -> float:
    """A supervised child crashes; the next message (an ask) is answered by its new incarnation."""

    async def main() -> float:
        async with common.system() as system:
            strategy = OneForOne(max_restarts=10**9, within=1.0)
            sup = await system.spawn_supervisor(strategy, [ChildSpec("w", Crashy)])
            child, crash, get = sup.child("w"), Crash(), common.Get()
            t0 = common.now()
            for _ in range(loops):
                child.tell(crash)
                await child.ask(get)
            return common.now() - t0

    return common.run(kind, main)


def dynamic_start(loops: int, kind: str, n: int) -> float:
    """`n` children started one by one (``await sup.start_child(i)``): time per child."""

    async def main() -> float:
        total = 0.0
        async with common.system() as system:
            for _ in range(loops):
                sup = await system.spawn_supervisor(airsrt.DynamicSupervisor(), template=ChildSpec("e", Entity))
                start = sup.start_child
                t0 = common.now()
                for i in range(n):
                    await start(i)
                total += common.now() - t0
                await sup.stop()
        return total

    return common.run(kind, main)


def dynamic_stop(loops: int, kind: str, n: int) -> float:
    """A dynamic supervisor with `n` idle children stopped (all children at once, each with its
    on_stop): time per child."""

    async def main() -> float:
        total = 0.0
        async with common.system() as system:
            for _ in range(loops):
                sup = await system.spawn_supervisor(airsrt.DynamicSupervisor(), template=ChildSpec("e", Entity))
                for i in range(n):
                    await sup.start_child(i)
                t0 = common.now()
                await sup.stop()
                total += common.now() - t0
        return total

    return common.run(kind, main)


def pool_failing(loops: int, kind: str, every: int) -> float:
    """POOL_MESSAGES tells through a pool of POOL_SIZE workers, all handled; one in `every`
    raises (the worker restarts; the pool must keep serving): time per message."""

    async def main() -> float:
        total = 0.0
        async with common.system() as system:
            pool = system.spawn_pool(Picky, every, size=POOL_SIZE)
            await pool.ready()
            tell, job = pool.tell, Job
            for _ in range(loops):
                t0 = common.now()
                for i in range(1, POOL_MESSAGES + 1):
                    tell(job(i))
                    if not i & 255:
                        await asyncio.sleep(0)  # let the workers run, as a real producer would
                while pool.mailbox_size():
                    await asyncio.sleep(0)
                total += common.now() - t0
            if not pool.is_alive:
                raise RuntimeError("the pool gave up: its failure rule is broken")
        return total

    return common.run(kind, main)


class Entity(airsrt.Actor):
    """A dynamic supervisor's child: an entity with an id and an on_stop (so stopping it runs
    a hook, as a real one would)."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def on_stop(self) -> None:
        self.n = -1

    @airsrt.handler
    def get(self, msg: common.Get) -> int:
        return self.n


class Job:
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


class Picky(airsrt.Actor):
    def __init__(self, every: int) -> None:
        self.every = every

    @airsrt.handler
    def job(self, msg: Job) -> int:
        if msg.n % self.every == 0:
            raise ValueError(f"bad input {msg.n}")
        return msg.n


def main() -> None:
    runner, args = common.make_runner()
    runner.bench_time_func("supervised_spawn[airsrt]", supervised_spawn, args.loop, inner_loops=CHILDREN)
    runner.bench_time_func("crash_restart_next[airsrt]", crash_restart, args.loop)
    for n in DYNAMIC_SIZES:
        runner.bench_time_func(f"dynamic_start_N{n}[airsrt]", dynamic_start, args.loop, n, inner_loops=n)
        runner.bench_time_func(f"dynamic_stop_N{n}[airsrt]", dynamic_stop, args.loop, n, inner_loops=n)
    runner.bench_time_func("pool_1in37[airsrt]", pool_failing, args.loop, 37, inner_loops=POOL_MESSAGES)
    runner.bench_time_func(
        "pool_no_failures[airsrt]", pool_failing, args.loop, POOL_MESSAGES + 1, inner_loops=POOL_MESSAGES
    )


if __name__ == "__main__":
    main()
