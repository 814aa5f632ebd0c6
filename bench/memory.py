"""Idle memory per actor, airsrt and the asyncio baseline, in a fresh process.

Prints bytes per idle actor -- N actors spawned and sent nothing -- for one implementation and one
method: tracemalloc (Python allocations) or RSS growth (everything, allocator overhead included).
Each (implementation, method) pair runs in a fresh process, so one measurement cannot free memory
into the next. Usage: ``python bench/memory.py --impl airsrt --method rss --n 100000``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import tracemalloc

import common
from baseline import QueueActor


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


async def measure(make: object, n: int, traced: bool) -> float:
    gc.collect()
    if traced:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = rss_bytes()
    keep = [make() for _ in range(n)]  # type: ignore[operator]
    await asyncio.sleep(0)  # let baseline Tasks start (they then sit in queue.get())
    gc.collect()
    if traced:
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    else:
        after = rss_bytes()
    per_actor = (after - before) / n
    del keep
    return per_actor


async def main(impl: str, method: str, n: int) -> float:
    traced = method == "tracemalloc"
    if impl == "airsrt":
        async with common.system() as system:
            return await measure(lambda: system.spawn(common.Idle), n, traced)
    handler = common.counter_handler()
    actors: list[QueueActor] = []

    def make_baseline() -> QueueActor:
        actor = QueueActor(handler)
        actors.append(actor)
        return actor

    try:
        return await measure(make_baseline, n, traced)
    finally:
        await common.cancel_all(actors)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--impl", choices=("airsrt", "asyncio"), default="airsrt")
    parser.add_argument("--method", choices=("tracemalloc", "rss"), default="tracemalloc")
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    loop = common.new_loop(args.loop)
    try:
        print(json.dumps(loop.run_until_complete(main(args.impl, args.method, args.n))))
    finally:
        loop.close()
