"""One million actors: spawn them, send each one message, wait until all are handled.

Runs in a fresh process per implementation and prints the runner's JSON: nanoseconds per actor to
spawn them, seconds for the whole run (spawn + one message each + all handled), the RSS growth in
MB while they are alive, and the CPU time the run took. The same measurement gives the 1M points
of the spawn-vs-N and memory-vs-N plots. The cyclic GC is on, as in production.
Usage: ``python bench/million.py --impl airsrt --n 1000000``.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

import common
from baseline import QueueActor


async def run_airsrt(n: int) -> dict[str, float]:
    async with common.system() as system:
        msg, get = common.Inc(), common.Get()
        before = common.rss_bytes()
        user0, sys0, _ = common.cpu()
        t0 = time.perf_counter()
        refs = [system.spawn(common.Counter) for _ in range(n)]
        spawned = time.perf_counter()
        for ref in refs:
            ref.tell(msg)
        await refs[-1].ask(get)  # the run queue is first in, first out: the last one answers last
        done = time.perf_counter()
        user1, sys1, _ = common.cpu()
        grown = common.rss_bytes() - before
        handled = system.stats().handled
    assert handled >= n, handled
    return {"spawn_s": spawned - t0, "total_s": done - t0, "rss": grown,
            "user_s": user1 - user0, "sys_s": sys1 - sys0}


async def run_asyncio(n: int) -> dict[str, float]:
    handler = common.counter_handler()
    msg, get = common.Inc(), common.Get()
    before = common.rss_bytes()
    user0, sys0, _ = common.cpu()
    t0 = time.perf_counter()
    actors = [QueueActor(handler) for _ in range(n)]
    spawned = time.perf_counter()
    for actor in actors:
        actor.tell(msg)
    await actors[-1].ask(get)
    done = time.perf_counter()
    user1, sys1, _ = common.cpu()
    grown = common.rss_bytes() - before
    await common.cancel_all(actors)
    return {"spawn_s": spawned - t0, "total_s": done - t0, "rss": grown,
            "user_s": user1 - user0, "sys_s": sys1 - sys0}


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
        got: dict[str, Any] = loop.run_until_complete(run(args.n))
    finally:
        loop.close()
    impl, n = args.impl, args.n
    common.emit({
        f"million.spawn_ns[{impl}]": got["spawn_s"] / n * 1e9,
        f"million.total_s[{impl}]": got["total_s"],
        f"million.rss_mb[{impl}]": got["rss"] / 2**20,
        f"million.user_s[{impl}]": got["user_s"],
        f"million.sys_s[{impl}]": got["sys_s"],
        # The same run as points of the spawn-vs-N and memory-vs-N plots.
        f"spawn[{impl}]@{n}": got["spawn_s"] / n * 1e9,
        f"memory.rss[{impl}]@{n}": got["rss"] / n,
    }, n=n)
