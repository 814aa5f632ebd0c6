"""Scaling curves: how airsrt's costs change with size, beside the asyncio baseline.

- spawn: nanoseconds per actor when N actors are spawned together, N = 1 ... 1,000,000;
- broadcast: nanoseconds per subscriber for one publish to S subscribers, S = 1 ... 10,000;
- throughput: messages per second when M messages are spread round-robin over A active actors,
  A = 1 ... 100,000 (every message handled before the clock stops).

Each point is the median of several repeats, each on a fresh event loop with the cyclic GC on.
These are curves, not pyperf rows: the runner plots them (``python -m bench --plot``) and quotes
their shape in docs/performance.md. The baseline stops at N = 100,000: a million Queue+Task actors
need about 4.5 GB. Usage: ``python bench/scaling.py --loop uvloop [--fast] > scaling.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any

import common
from baseline import QueueActor

import airsrt

BASELINE_MAX_ACTORS = 100_000
MESSAGES = 200_000  # per throughput point (at least two per actor); a tenth with --fast


def repeats_for(size: int, fast: bool) -> int:
    """More repeats for small, quick points; at least three (one when --fast) for large ones."""
    budget = 5_000 if fast else 400_000
    return max(1 if fast else 3, min(50, budget // max(size, 1)))


def median_of(repeats: int, kind: str, once: Callable[[], Coroutine[Any, Any, float]]) -> float:
    return statistics.median(common.run(kind, once) for _ in range(repeats))


# -- spawn vs N -------------------------------------------------------------------------------------


async def spawn_airsrt(n: int, fast: bool = False) -> float:
    async with common.system() as system:
        t0 = time.perf_counter()
        refs = [system.spawn(common.Idle) for _ in range(n)]
        elapsed = time.perf_counter() - t0
        del refs
    return elapsed / n * 1e9


async def spawn_asyncio(n: int, fast: bool = False) -> float:
    handler = common.counter_handler()
    t0 = time.perf_counter()
    actors = [QueueActor(handler) for _ in range(n)]
    elapsed = time.perf_counter() - t0
    await common.cancel_all(actors)
    return elapsed / n * 1e9


# -- broadcast vs S ---------------------------------------------------------------------------------


async def broadcast_airsrt(subscribers: int, fast: bool = False, samples: int = 20) -> float:
    async with common.system() as system:
        refs = [system.spawn(common.Counter) for _ in range(subscribers)]
        for ref in refs:
            system.broker.subscribe("fanout", ref)
        publish, inc, get = system.broker.publish, common.Inc(), common.Get()
        times = []
        for _ in range(samples):
            t0 = time.perf_counter()
            publish("fanout", inc)
            times.append(time.perf_counter() - t0)
            await refs[-1].ask(get)
    return statistics.median(times) / subscribers * 1e9


async def broadcast_asyncio(subscribers: int, fast: bool = False, samples: int = 20) -> float:
    handler = common.counter_handler()
    actors = [QueueActor(handler) for _ in range(subscribers)]
    inc, get = common.Inc(), common.Get()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for actor in actors:
            actor.tell(inc)
        times.append(time.perf_counter() - t0)
        await actors[-1].ask(get)
    await common.cancel_all(actors)
    return statistics.median(times) / subscribers * 1e9


# -- throughput vs active actors --------------------------------------------------------------------


class Countdown:
    """Resolves `done` when `left` messages have been handled, across all actors."""

    __slots__ = ("done", "left")

    def __init__(self, left: int) -> None:
        self.left = left
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def tick(self, msg: object = None) -> None:
        self.left -= 1
        if not self.left:
            self.done.set_result(None)


class Ticker(airsrt.Actor):
    def __init__(self, countdown: Countdown) -> None:
        self.countdown = countdown

    @airsrt.handler
    def inc(self, msg: common.Inc) -> None:
        self.countdown.tick()


def messages_for(actors: int, fast: bool) -> int:
    return max(MESSAGES // 10 if fast else MESSAGES, 2 * actors)


async def throughput_airsrt(actors: int, fast: bool = False) -> float:
    m = messages_for(actors, fast)
    async with common.system() as system:
        countdown = Countdown(m)
        refs = [system.spawn(Ticker, countdown) for _ in range(actors)]
        tells = [ref.tell for ref in refs] * (m // actors) + [ref.tell for ref in refs[: m % actors]]
        inc = common.Inc()
        t0 = time.perf_counter()
        for tell in tells:
            tell(inc)
        await countdown.done
        return m / (time.perf_counter() - t0)


async def throughput_asyncio(actors: int, fast: bool = False) -> float:
    m = messages_for(actors, fast)
    countdown = Countdown(m)
    members = [QueueActor(countdown.tick) for _ in range(actors)]
    tells = [a.tell for a in members] * (m // actors) + [a.tell for a in members[: m % actors]]
    inc = common.Inc()
    t0 = time.perf_counter()
    for tell in tells:
        tell(inc)
    await countdown.done
    rate = m / (time.perf_counter() - t0)
    await common.cancel_all(members)
    return rate


CURVES: dict[str, tuple[tuple[int, ...], Callable[..., Any], Callable[..., Any], str]] = {
    "spawn": ((1, 10, 100, 1_000, 10_000, 100_000, 1_000_000), spawn_airsrt, spawn_asyncio,
              "ns per actor"),
    "broadcast": ((1, 10, 100, 1_000, 10_000), broadcast_airsrt, broadcast_asyncio,
                  "ns per subscriber"),
    "throughput": ((1, 10, 100, 1_000, 10_000, 100_000), throughput_airsrt, throughput_asyncio,
                   "messages per second"),
}


def measure(kind: str, fast: bool, progress: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {"loop": kind, "fast": fast, "curves": {}}
    for curve, (sizes, ours, theirs, unit) in CURVES.items():
        if fast:
            sizes = tuple(s for s in sizes if s <= 10_000)
        points: dict[str, list[list[float]]] = {"airsrt": [], "asyncio": []}
        for size in sizes:
            progress(f"{curve} {size:,}")
            reps = repeats_for(size, fast)
            points["airsrt"].append([size, median_of(reps, kind, lambda: ours(size, fast))])
            if size <= BASELINE_MAX_ACTORS:
                points["asyncio"].append([size, median_of(reps, kind, lambda: theirs(size, fast))])
            gc.collect()
        out["curves"][curve] = {"unit": unit, "points": points}
    return out


if __name__ == "__main__":
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--fast", action="store_true")
    args = parser.parse_args()
    result = measure(args.loop, args.fast, lambda what: print(f"    {what}", file=sys.stderr))
    print(json.dumps(result))
