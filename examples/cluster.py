"""Two airsrt nodes on one machine, on Ray: spawn, tell, ask, then lose a node.

    pip install "airsrt[ray]"
    python examples/cluster.py

Starts a local Ray (loopback only, no dashboard) unless RAY_ADDRESS names a cluster.
"""

from __future__ import annotations

import asyncio
import os
import sys

# This process imports cluster_actors from beside this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import ray  # noqa: E402

import airsrt  # noqa: E402
from airsrt.ray import Cluster, NodeLostError  # noqa: E402
from cluster_actors import Add, Counter, Nap, Total, Watcher  # noqa: E402


async def main() -> None:
    if not ray.is_initialized() and not os.environ.get("RAY_ADDRESS"):
        # The node processes import cluster_actors too: put it on their path.
        here = os.path.dirname(os.path.abspath(__file__))
        ray.init(
            include_dashboard=False,
            log_to_driver=False,
            _node_ip_address="127.0.0.1",
            runtime_env={"env_vars": {"PYTHONPATH": here}},
        )
    async with await Cluster.start(nodes=2, node_options={"num_cpus": 0.5}) as cluster:
        print("nodes:", cluster.nodes, "driver:", cluster.driver)
        counter = await cluster.spawn(Counter, node="n1", name="counter")
        for i in range(1, 101):
            counter.tell(Add(i))  # batched: a few Ray calls for all 100
        print("total:", await counter.ask(Total(), timeout=10))
        print("counter lives in", cluster.node_of(counter))
        assert await cluster.lookup("counter") == counter

        # In the driver, watching n1's actor:
        watcher = cluster.system.spawn(Watcher, counter)
        pending = counter.ask(Nap(60), timeout=120)  # in flight when n1 dies
        await asyncio.sleep(0.2)
        print("killing n1 ...")
        await cluster.kill_node("n1")
        try:
            await pending
        except NodeLostError as error:
            print("pending ask failed at once:", type(error).__name__)
        await asyncio.sleep(0.1)                          # the watcher's turn
        counter.tell(Add(1))
        letter = cluster.system.dead_letters.recent()[-1]
        print("a later tell is a dead letter:", letter.reason)
        survivor = await cluster.spawn(Counter, node="n0")
        survivor.tell(Add(42))
        print("n0 still works:", await survivor.ask(Total(), timeout=10))
        await watcher.stop()
    print("cluster shut down")


if __name__ == "__main__":
    airsrt.run(main())
