"""Per-call ask latency: p50 and p99 of individual round trips, airsrt and the baseline.

pyperf values are means over many calls; these rows need the distribution, so every call is
timed on its own (perf_counter_ns around one ``await``). The calls of each row run in five blocks,
each giving its own percentiles, so the report has samples to judge the noise by; the first tenth
of every block warms up. Prints the runner's JSON (nanoseconds).
Usage: ``python bench/latency.py --loop uvloop --calls 100000``.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Awaitable, Callable
from typing import Any

import common
from baseline import QueueActor

BLOCKS = 5


def percentiles(samples: list[int]) -> dict[str, float]:
    samples.sort()
    n = len(samples)
    return {"p50": samples[n // 2], "p99": samples[min(int(n * 0.99), n - 1)]}


async def timed_calls(ask: Callable[[Any], Awaitable[Any]], calls: int) -> dict[str, list[float]]:
    clock = time.perf_counter_ns
    get = common.Get()
    out: dict[str, list[float]] = {"p50": [], "p99": []}
    per_block = calls // BLOCKS
    for _ in range(BLOCKS):
        samples = []
        for i in range(per_block + per_block // 10):
            t0 = clock()
            await ask(get)
            if i >= per_block // 10:
                samples.append(clock() - t0)
        for pct, value in percentiles(samples).items():
            out[pct].append(value)
    return out


async def measure(calls: int) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    async with common.system() as system:
        ref = system.spawn(common.Counter)
        for mode in ("eager", "queued"):
            system.eager_asks = mode == "eager"
            for pct, got in (await timed_calls(ref.ask, calls)).items():
                values[f"latency.ask_{mode}.{pct}[airsrt]"] = got
    actor = QueueActor(common.counter_handler())
    for pct, got in (await timed_calls(actor.ask, calls)).items():
        values[f"latency.ask.{pct}[asyncio]"] = got
    await actor.stop()
    return values


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    gc.collect()
    loop = common.new_loop(args.loop)
    try:
        common.emit(loop.run_until_complete(measure(args.calls)), n=args.calls)
    finally:
        loop.close()
