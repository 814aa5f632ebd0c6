"""Bench: airsrt across nodes on Ray, beside the naive design (one Ray call per message).

    python -m bench.cluster            # or: python bench/cluster.py [--quick]

Needs the extra ``airsrt[ray]``. Starts a local Ray (loopback, no dashboard), then measures in one
run (medians of 3 repetitions) and prints one JSON object with these keys:

- ``tells_per_s``: cross-node tells on one link, n0 -> n1, timed inside n0 (target >= 400,000)
- ``naive_tells_per_s``: the same with one Ray call per message (``num_returns=0``)
- ``asks_per_s``: concurrent cross-node asks n0 -> n1 (target >= 150,000)
- ``naive_asks_per_s``: the same with one Ray call per ask
- ``lone_ask_p50_ms`` / ``bare_ray_call_p50_ms`` / ``lone_ask_ratio``: one ask at a time vs one
  bare Ray actor call between the same two processes (target ratio <= 1.5)
- ``scaleout_one_process_s`` / ``scaleout_two_nodes_s`` / ``scaleout_ratio``: a CPU-bound
  trapezoid (pi) computation in 16 slices, in one process vs over 2 nodes (target <= 0.6)
- ``node_idle_uss_mib`` / ``node_idle_rss_mib``: memory of an idle node process
- ``node_start_s``: `Cluster.start` of one node with Ray already running; ``node_restart_s``:
  `Cluster.restart_node`
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import ray  # noqa: E402

import airsrt  # noqa: E402
from airsrt.ray import Cluster  # noqa: E402
from bench.cluster_actors import (  # noqa: E402
    Asks, Lone, NaiveReceiver, NaiveSender, Pump, Sink, Slice, Tells, Trapezoid, work,
)

QUICK = "--quick" in sys.argv
REPEAT = 1 if QUICK else 3
TELLS = 50_000 if QUICK else 200_000
ASKS = 20_000 if QUICK else 50_000
NAIVE = 5_000 if QUICK else 20_000
LONE = 100 if QUICK else 300
STEPS = 4_000_000
SLICES = 16


def median(values: list[float]) -> float:
    return statistics.median(values)


async def messaging(cluster: Cluster) -> dict[str, float]:
    pump = await cluster.spawn(Pump, node="n0")
    sink = await cluster.spawn(Sink, node="n1")
    await pump.ask(Tells(sink, 1000), timeout=60)  # warm up the link
    tells = [TELLS / await pump.ask(Tells(sink, TELLS), timeout=300) for _ in range(REPEAT)]
    asks = [ASKS / await pump.ask(Asks(sink, ASKS), timeout=300) for _ in range(REPEAT)]
    lone = await pump.ask(Lone(sink, LONE), timeout=300)
    return {
        "tells_per_s": median(tells),
        "asks_per_s": median(asks),
        "lone_ask_p50_ms": median(lone) * 1e3,
    }


def naive() -> dict[str, float]:
    receiver = NaiveReceiver.options(num_cpus=0.5).remote()
    sender = NaiveSender.options(num_cpus=0.5).remote()
    ray.get(sender.lone.remote(receiver, 10))
    tells = [NAIVE / ray.get(sender.tells.remote(receiver, NAIVE)) for _ in range(REPEAT)]
    asks = [NAIVE / ray.get(sender.asks.remote(receiver, NAIVE)) for _ in range(REPEAT)]
    lone = ray.get(sender.lone.remote(receiver, LONE))
    ray.kill(sender)
    ray.kill(receiver)
    return {
        "naive_tells_per_s": median(tells),
        "naive_asks_per_s": median(asks),
        "bare_ray_call_p50_ms": median(lone) * 1e3,
    }


def slices() -> list[Slice]:
    step = STEPS // SLICES
    return [Slice(i * step, (i + 1) * step) for i in range(SLICES)]


async def scale_out(cluster: Cluster) -> dict[str, float]:
    async def one_process() -> float:
        async with airsrt.ActorSystem(slow_handler_limit=None) as system:
            workers = [system.spawn(Trapezoid) for _ in range(4)]
            started = time.perf_counter()
            parts = [workers[i % 4].ask(s, timeout=None) for i, s in enumerate(slices())]
            total = sum([await p for p in parts])
            assert abs(total - 3.141592653589793) < 1e-6
            return time.perf_counter() - started

    workers = [await cluster.spawn(Trapezoid, node=f"n{i % 2}") for i in range(4)]

    async def two_nodes() -> float:
        started = time.perf_counter()
        parts = [workers[i % 4].ask(s, timeout=None) for i, s in enumerate(slices())]
        total = sum([await p for p in parts])
        assert abs(total - 3.141592653589793) < 1e-6
        return time.perf_counter() - started

    one = [await one_process() for _ in range(REPEAT)]
    two = [await two_nodes() for _ in range(REPEAT)]
    return {
        "scaleout_one_process_s": median(one),
        "scaleout_two_nodes_s": median(two),
        "scaleout_ratio": median(two) / median(one),
    }


async def memory(cluster: Cluster) -> dict[str, float]:
    pid = await cluster._control("n0", "pid")
    await asyncio.sleep(1.0)
    fields = {}
    # Linux: USS is the process's private memory (what it alone costs), RSS all it maps.
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0])  # kB
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {"node_idle_uss_mib": uss / 1024, "node_idle_rss_mib": fields.get("Rss", 0) / 1024}


async def startup() -> dict[str, float]:
    starts, restarts = [], []
    for i in range(REPEAT):
        started = time.perf_counter()
        cluster = await Cluster.start(nodes=1, node_options={"num_cpus": 0.5}, namespace=f"bench-start-{i}")
        starts.append(time.perf_counter() - started)
        started = time.perf_counter()
        await cluster.restart_node("n0")
        restarts.append(time.perf_counter() - started)
        await cluster.shutdown()
    return {"node_start_s": median(starts), "node_restart_s": median(restarts)}


async def main() -> dict[str, Any]:
    ray.init(
        num_cpus=4,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
    )
    out: dict[str, Any] = {"ray": ray.__version__, "python": sys.version.split()[0]}
    try:
        async with await Cluster.start(nodes=2, namespace="bench", node_options={"num_cpus": 1}) as cluster:
            out.update(await memory(cluster))
            out.update(await messaging(cluster))
            out.update(await scale_out(cluster))
        out.update(naive())
        out["lone_ask_ratio"] = out["lone_ask_p50_ms"] / out["bare_ray_call_p50_ms"]
        out.update(await startup())
    finally:
        ray.shutdown()
    return out


if __name__ == "__main__":
    work(0, 10)
    print(json.dumps(airsrt.run(main()), indent=2))
