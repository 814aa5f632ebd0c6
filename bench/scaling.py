"""Scaling curves: how airsrt's costs change with size, beside the asyncio baseline.

- spawn: nanoseconds per actor when N actors are spawned together (N up to 100,000 here; the
  million-actor run gives the 1M point);
- broadcast: nanoseconds per subscriber for one publish to S subscribers (the publish call);
- counting: nanoseconds per message when M messages go to one actor (in bursts of
  ``common.BURST``, each answered by an ask), until all are handled -- plotted as messages per
  second against M;
- actors: nanoseconds per message when 200,000 messages are spread round-robin over A active
  actors (``--full`` only).

Each point is measured several times, each on a fresh event loop with the cyclic GC on; the
runner takes the median. The baseline stops at 100,000 actors here (a million Queue+Task actors
need about 4.5 GB: the million-actor run measures that once). Prints the runner's JSON.
Usage: ``python bench/scaling.py --loop uvloop --spawn 100,1000 --broadcast 1,10 --counting 1000``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any

import common
from baseline import QueueActor

import airsrt

BASELINE_MAX_ACTORS = 100_000
ACTORS_MESSAGES = 200_000  # per point of the active-actors curve (at least two per actor)


def repeats_for(size: int, most: int = 20) -> int:
    """More repeats for small, quick points (up to `most`); at least three for large ones."""
    return max(3, min(most, 100_000 // max(size, 1)))


def samples_of(repeats: int, kind: str, once: Callable[[], Coroutine[Any, Any, float]]) -> list[float]:
    return [common.run(kind, once) for _ in range(repeats)]


# -- spawn vs N -------------------------------------------------------------------------------------


async def spawn_airsrt(n: int) -> float:
    async with common.system() as system:
        t0 = time.perf_counter()
        refs = [system.spawn(common.Idle) for _ in range(n)]
        elapsed = time.perf_counter() - t0
        del refs
    return elapsed / n * 1e9


async def spawn_asyncio(n: int) -> float:
    handler = common.counter_handler()
    t0 = time.perf_counter()
    actors = [QueueActor(handler) for _ in range(n)]
    elapsed = time.perf_counter() - t0
    await common.cancel_all(actors)
    return elapsed / n * 1e9


# -- broadcast vs S ---------------------------------------------------------------------------------


async def broadcast_airsrt(subscribers: int, samples: int = 20) -> float:
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


async def broadcast_asyncio(subscribers: int, samples: int = 20) -> float:
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


# -- counting: throughput vs message count ---------------------------------------------------------


async def counting_airsrt(messages: int) -> float:
    async with common.system() as system:
        ref = system.spawn(common.Counter)
        inc, get, tell, ask = common.Inc(), common.Get(), ref.tell, ref.ask
        t0 = time.perf_counter()
        for start in range(0, messages, common.BURST):
            for _ in range(min(common.BURST, messages - start)):
                tell(inc)
            await ask(get)
        return (time.perf_counter() - t0) / messages * 1e9


async def counting_asyncio(messages: int) -> float:
    actor = QueueActor(common.counter_handler())
    inc, get, tell, ask = common.Inc(), common.Get(), actor.tell, actor.ask
    t0 = time.perf_counter()
    for start in range(0, messages, common.BURST):
        for _ in range(min(common.BURST, messages - start)):
            tell(inc)
        await ask(get)
    elapsed = time.perf_counter() - t0
    await actor.stop()
    return elapsed / messages * 1e9


# -- throughput vs active actors --------------------------------------------------------------------


class Countdown:
    """Resolves `done` when `left` messages have been handled, across all actors; `reset` arms
    it for the next burst."""

    __slots__ = ("done", "left")

    def __init__(self) -> None:
        self.left = 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def reset(self, left: int) -> asyncio.Future[None]:
        self.left = left
        self.done = asyncio.get_running_loop().create_future()
        return self.done

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


def bursts_over(tells: list[Any], messages: int) -> list[list[Any]]:
    """`messages` tells round-robin over `tells`, cut so no actor gets more than BURST per cut."""
    order = tells * (messages // len(tells)) + tells[: messages % len(tells)]
    step = common.BURST * len(tells)
    return [order[i:i + step] for i in range(0, len(order), step)]


async def drive(countdown: Countdown, bursts: list[list[Any]], messages: int) -> float:
    inc = common.Inc()
    t0 = time.perf_counter()
    for burst in bursts:
        done = countdown.reset(len(burst))
        for tell in burst:
            tell(inc)
        await done
    return (time.perf_counter() - t0) / messages * 1e9


async def actors_airsrt(actors: int) -> float:
    m = max(ACTORS_MESSAGES, 2 * actors)
    async with common.system() as system:
        countdown = Countdown()
        refs = [system.spawn(Ticker, countdown) for _ in range(actors)]
        return await drive(countdown, bursts_over([ref.tell for ref in refs], m), m)


async def actors_asyncio(actors: int) -> float:
    m = max(ACTORS_MESSAGES, 2 * actors)
    countdown = Countdown()
    members = [QueueActor(countdown.tick) for _ in range(actors)]
    try:
        return await drive(countdown, bursts_over([a.tell for a in members], m), m)
    finally:
        await common.cancel_all(members)


# name -> (airsrt, baseline, what the value is)
CURVES: dict[str, tuple[Callable[[int], Coroutine[Any, Any, float]],
                        Callable[[int], Coroutine[Any, Any, float]], str]] = {
    "spawn": (spawn_airsrt, spawn_asyncio, "ns per actor"),
    "broadcast": (broadcast_airsrt, broadcast_asyncio, "ns per subscriber"),
    "counting": (counting_airsrt, counting_asyncio, "ns per message"),
    "actors": (actors_airsrt, actors_asyncio, "ns per message"),
}
ACTOR_CURVES = {"spawn", "actors"}  # sizes are actors: the baseline stops at BASELINE_MAX_ACTORS


def measure(kind: str, sizes: dict[str, list[int]], progress: Callable[[str], None],
            most: int = 20) -> dict[str, Any]:
    values: dict[str, list[float]] = {}
    for curve, points in sizes.items():
        ours, theirs, _ = CURVES[curve]
        for size in points:
            progress(f"{curve} {size:,}")
            reps = repeats_for(size, most)
            values[f"{curve}[airsrt]@{size}"] = samples_of(reps, kind, lambda: ours(size))
            if curve not in ACTOR_CURVES or size <= BASELINE_MAX_ACTORS:
                values[f"{curve}[asyncio]@{size}"] = samples_of(reps, kind, lambda: theirs(size))
            gc.collect()
    return values


if __name__ == "__main__":
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    for curve, (_, _, unit) in CURVES.items():
        parser.add_argument(f"--{curve}", default="", help=f"sizes, comma-separated ({unit})")
    parser.add_argument("--repeats", type=int, default=20, help="most repeats of a point")
    args = parser.parse_args()
    wanted = {c: [int(x) for x in getattr(args, c).split(",") if x] for c in CURVES}
    wanted = {c: sizes for c, sizes in wanted.items() if sizes}
    values = measure(args.loop, wanted, lambda what: print(f"    {what}", file=sys.stderr),
                     args.repeats)
    common.emit(values, units={c: CURVES[c][2] for c in wanted})
