"""Machine loss on a two-raylet Ray cluster (ray.cluster_utils.Cluster), run in a process of its
own (that Cluster keeps global state). Exits 0 when every check held; prints what it saw."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile

from raykit import ray_env

for key, value in ray_env().items():
    os.environ.setdefault(key, value)

import ray  # noqa: E402
from ray.cluster_utils import Cluster as RayCluster  # noqa: E402

import airsrt  # noqa: E402
from actors import Add, Counter, Relay, Seen, Sleep, Watch  # noqa: E402
from airsrt.ray import Cluster, NodeLostError  # noqa: E402


async def main() -> None:
    # n0 lives on the head's raylet, n1 on a second "machine" that is then removed.
    async with await Cluster.start(
        {"n0": {"resources": {"head": 1}}, "n1": {"resources": {"machine": 1}}},
        node_options={"num_cpus": 0.5},
        namespace="machines",
        placement="pack",
    ) as cluster:
        victim = await cluster.spawn(Counter, node="n1")
        assert await victim.ask(Add(1), timeout=20) == 1
        watcher = await cluster.spawn(Relay, node="n0")
        await watcher.ask(Watch(victim), timeout=20)
        pending = victim.ask(Sleep(600), timeout=600)
        await asyncio.sleep(0.3)
        RAY.remove_node(MACHINE)
        try:
            await asyncio.wait_for(pending, 15)
        except NodeLostError:
            print("pending ask: NodeLostError")
        else:
            sys.exit("the pending ask did not fail")
        for _ in range(300):
            seen = await watcher.ask(Seen(), timeout=20)
            if (victim, "node_lost") in seen:
                print("watcher in n0: Terminated node_lost")
                break
            await asyncio.sleep(0.05)
        else:
            sys.exit("the watcher did not hear of the lost machine")
        survivor = await cluster.spawn(Counter, node="n0")
        assert await survivor.ask(Add(2), timeout=20) == 2
        print("n0 goes on")


temp = tempfile.mkdtemp(prefix="airsrt-raylets-")
RAY = RayCluster(
    initialize_head=True,
    head_node_args={"num_cpus": 1, "resources": {"head": 1}, "include_dashboard": False, "temp_dir": temp},
)
MACHINE = RAY.add_node(num_cpus=1, resources={"machine": 1})
RAY.wait_for_nodes()
here = os.path.dirname(os.path.abspath(__file__))
ray.init(address=RAY.address, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": here}})
try:
    airsrt.run(main())
finally:
    ray.shutdown()
    RAY.shutdown()
print("ok")
