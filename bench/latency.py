"""Per-call ask latency: p50 and p99 of individual round trips, airsrt and the baseline.

pyperf values are means over many calls; these rows need the distribution, so every call is
timed on its own (perf_counter_ns around one ``await``). Prints JSON with nanoseconds.
Usage: ``python bench/latency.py --loop uvloop --calls 100000``.
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import common
from baseline import QueueActor


def percentiles(samples: list[int]) -> dict[str, float]:
    samples.sort()
    n = len(samples)
    return {"p50": samples[n // 2], "p99": samples[min(int(n * 0.99), n - 1)]}


async def measure(calls: int) -> dict[str, dict[str, float]]:
    clock = time.perf_counter_ns
    get = common.Get()
    out: dict[str, dict[str, float]] = {}
    async with common.system() as system:
        ref = system.spawn(common.Counter)
        for mode in ("eager", "queued"):
            system.eager_asks = mode == "eager"
            samples = []
            for i in range(calls + calls // 10):  # the first tenth warms up
                t0 = clock()
                await ref.ask(get)
                if i >= calls // 10:
                    samples.append(clock() - t0)
            out[f"airsrt_{mode}"] = percentiles(samples)
    actor = QueueActor(common.counter_handler())
    samples = []
    for i in range(calls + calls // 10):
        t0 = clock()
        await actor.ask(get)
        if i >= calls // 10:
            samples.append(clock() - t0)
    await actor.stop()
    out["asyncio"] = percentiles(samples)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    gc.collect()
    loop = common.new_loop(args.loop)
    try:
        print(json.dumps(loop.run_until_complete(measure(args.calls))))
    finally:
        loop.close()
