"""pyperf script: supervised spawn, and crash -> restart -> next message handled.

There is no asyncio baseline for these rows: a Queue+Task actor has no supervisor to compare.
"""

from __future__ import annotations


import common

import airsrt
from airsrt import ChildSpec, OneForOne

CHILDREN = 1000


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


def main() -> None:
    runner, args = common.make_runner()
    runner.bench_time_func("supervised_spawn[airsrt]", supervised_spawn, args.loop, inner_loops=CHILDREN)
    runner.bench_time_func("crash_restart_next[airsrt]", crash_restart, args.loop)


if __name__ == "__main__":
    main()
