"""pyperf script, lifecycle area: spawn (alone and in batches) and stop (awaited from outside, and
an actor stopping itself), airsrt and the baseline.

Run through ``python -m bench`` (which prints the comparison table), or directly:
``python bench/lifecycle.py --loop uvloop -o lifecycle.json``. Every row is per actor.
"""

from __future__ import annotations

import asyncio

import common
from baseline import QueueActor

import airsrt

SPAWN_N = 10_000
STOP_N = 1_000
CLEANUP_EVERY = 10_000  # live actors before the (untimed) stops


# -- spawn ----------------------------------------------------------------------------------------


def spawn(loops: int, kind: str, impl: str, batch: int) -> float:
    """`batch` actors spawned together; pyperf divides by the batch: cost per actor.

    Only the spawn calls are timed. Actors are stopped outside the timing, many at a time
    (stopping each one between samples would make the run mostly teardown).
    """

    async def main() -> float:
        total = 0.0
        live: list = []
        if impl == "airsrt":
            async with common.system() as system:
                spawn, idle = system.spawn, common.Idle
                for _ in range(loops):
                    t0 = common.now()
                    refs = [spawn(idle) for _ in range(batch)]
                    total += common.now() - t0
                    live += refs
                    if len(live) >= CLEANUP_EVERY:
                        for ref in live:
                            await ref.stop()
                        live.clear()
            return total  # leaving the system stops the rest
        handler = common.counter_handler()
        for _ in range(loops):
            t0 = common.now()
            actors = [QueueActor(handler) for _ in range(batch)]
            total += common.now() - t0
            live += actors
            if len(live) >= CLEANUP_EVERY:
                await common.cancel_all(live)
                live.clear()
        await common.cancel_all(live)
        return total

    return common.run(kind, main)


def stop(loops: int, kind: str, impl: str) -> float:
    """Stopping idle actors one after another (each stop awaited): cost per actor."""

    async def main() -> float:
        total = 0.0
        if impl == "airsrt":
            async with common.system() as system:
                for _ in range(loops):
                    refs = [system.spawn(common.Idle) for _ in range(STOP_N)]
                    t0 = common.now()
                    for ref in refs:
                        await ref.stop()
                    total += common.now() - t0
            return total
        handler = common.counter_handler()
        for _ in range(loops):
            actors = [QueueActor(handler) for _ in range(STOP_N)]
            await asyncio.sleep(0)  # started: each Task waits in queue.get()
            t0 = common.now()
            for actor in actors:
                await actor.stop()
            total += common.now() - t0
        return total

    return common.run(kind, main)


class Quit:
    __slots__ = ()


class Countdown:
    """Resolves `done` once `tick` has been called `left` times."""

    def __init__(self, left: int) -> None:
        self.left = left
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def tick(self) -> None:
        self.left -= 1
        if not self.left:
            self.done.set_result(None)


class SelfStopper(airsrt.Actor):
    """Stops itself when told to; its on_stop counts it out."""

    def __init__(self, countdown: Countdown) -> None:
        self.countdown = countdown

    @airsrt.handler
    def quit(self, msg: Quit) -> None:
        self.context.stop()

    def on_stop(self) -> None:
        self.countdown.tick()


def self_stop(loops: int, kind: str, impl: str) -> float:
    """STOP_N idle actors each told to stop themselves, until every one has stopped (airsrt:
    its on_stop has run; baseline: its Task has ended): cost per actor."""

    async def main() -> float:
        total = 0.0
        quit_msg = Quit()
        if impl == "airsrt":
            async with common.system() as system:
                for _ in range(loops):
                    countdown = Countdown(STOP_N)
                    refs = [system.spawn(SelfStopper, countdown) for _ in range(STOP_N)]
                    await asyncio.sleep(0)  # started
                    t0 = common.now()
                    for ref in refs:
                        ref.tell(quit_msg)
                    await countdown.done
                    total += common.now() - t0
            return total
        handler = common.counter_handler()
        for _ in range(loops):
            actors = [QueueActor(handler) for _ in range(STOP_N)]
            await asyncio.sleep(0)
            t0 = common.now()
            for actor in actors:
                actor.tell_stop()
            await asyncio.gather(*(a.task for a in actors))
            total += common.now() - t0
        return total

    return common.run(kind, main)


def main() -> None:
    # Stopping what was spawned costs more than spawning it: a short minimum time per value keeps
    # the untimed teardown from dominating the run (10k spawns still take milliseconds).
    runner, args = common.make_runner(min_time=0.01)
    kind = args.loop
    for impl in ("airsrt", "asyncio"):
        runner.bench_time_func(f"spawn[{impl}]", spawn, kind, impl, SPAWN_N, inner_loops=SPAWN_N)
    for batch in (1, 10, 100, 1000):
        for impl in ("airsrt", "asyncio"):
            runner.bench_time_func(
                f"spawn_batch{batch}[{impl}]", spawn, kind, impl, batch, inner_loops=batch
            )
    for impl in ("airsrt", "asyncio"):
        runner.bench_time_func(f"stop[{impl}]", stop, kind, impl, inner_loops=STOP_N)
    for impl in ("airsrt", "asyncio"):
        runner.bench_time_func(f"self_stop[{impl}]", self_stop, kind, impl, inner_loops=STOP_N)


if __name__ == "__main__":
    main()
