"""Idle memory per actor, airsrt and the asyncio baseline, in a fresh process.

Prints bytes per idle actor -- N actors spawned and sent nothing -- for one implementation and one
method: tracemalloc (Python allocations) or RSS growth (everything, allocator overhead included).
The RSS run also times the spawns (``spawn_fresh``: a fresh process, so the first touch of the
memory is included, as in the Erlang row it is compared with).
Each (implementation, method, N) runs in a fresh process, so one measurement cannot free memory
into the next. ``--curve`` names the value by its N (a point of the memory-vs-N plot) rather than
as the table's row. Usage: ``python bench/memory.py --impl airsrt --method rss --n 100000``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc

import common
from baseline import QueueActor


async def measure(make: object, n: int, traced: bool) -> tuple[float, float]:
    gc.collect()
    if traced:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = common.rss_bytes()
    t0 = time.perf_counter()
    keep = [make() for _ in range(n)]  # type: ignore[operator]
    spawn_ns = (time.perf_counter() - t0) / n * 1e9
    await asyncio.sleep(0)  # let baseline Tasks start (they then sit in queue.get())
    gc.collect()
    if traced:
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    else:
        after = common.rss_bytes()
    per_actor = (after - before) / n
    del keep
    return per_actor, spawn_ns


async def main(impl: str, method: str, n: int) -> tuple[float, float]:
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
    parser.add_argument("--curve", action="store_true", help="name the value by its N")
    args = parser.parse_args()
    loop = common.new_loop(args.loop)
    try:
        per_actor, spawn_ns = loop.run_until_complete(main(args.impl, args.method, args.n))
    finally:
        loop.close()
    at = f"@{args.n}" if args.curve else ""
    values = {f"memory.{args.method}[{args.impl}]{at}": per_actor}
    if args.method == "rss":
        values[f"spawn_fresh[{args.impl}]{at}"] = spawn_ns
    common.emit(values, n=args.n)
