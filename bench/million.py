"""One million actors: spawn them, send each one message, wait until all are handled.

Runs in a fresh process per implementation and prints JSON: seconds to spawn, seconds for the
whole run (spawn + one message each + all handled), and the RSS growth in MB. The cyclic GC is
on, as in production. Usage: ``python bench/million.py --impl airsrt --n 1000000``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import time

import common
from baseline import QueueActor


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


async def run_airsrt(n: int) -> dict[str, float]:
    async with common.system() as system:
        msg, get = common.Inc(), common.Get()
        before = rss_mb()
        t0 = time.perf_counter()
        refs = [system.spawn(common.Counter) for _ in range(n)]
        spawned = time.perf_counter()
        for ref in refs:
            ref.tell(msg)
        while sum(1 for r in refs[-1:] if r.mailbox_size()):  # the run queue is FIFO
            await asyncio.sleep(0)
        await refs[-1].ask(get)
        done = time.perf_counter()
        grown = rss_mb() - before
        handled = system.stats().handled
    assert handled >= n, handled
    return {"spawn_s": spawned - t0, "total_s": done - t0, "rss_mb": grown}


async def run_asyncio(n: int) -> dict[str, float]:
    handler = common.counter_handler()
    msg, get = common.Inc(), common.Get()
    before = rss_mb()
    t0 = time.perf_counter()
    actors = [QueueActor(handler) for _ in range(n)]
    spawned = time.perf_counter()
    for actor in actors:
        actor.tell(msg)
    await actors[-1].ask(get)
    done = time.perf_counter()
    grown = rss_mb() - before
    await common.cancel_all(actors)
    return {"spawn_s": spawned - t0, "total_s": done - t0, "rss_mb": grown}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--impl", choices=("airsrt", "asyncio"), default="airsrt")
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    gc.enable()
    loop = common.new_loop(args.loop)
    try:
        run = run_airsrt if args.impl == "airsrt" else run_asyncio
        print(json.dumps({"n": args.n, **loop.run_until_complete(run(args.n))}))
    finally:
        loop.close()
