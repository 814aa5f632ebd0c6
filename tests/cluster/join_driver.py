"""A second driver (run by test_join.py): joins a running cluster by namespace, finds an actor by
name, talks to it both ways, and leaves the nodes running."""

from __future__ import annotations

import asyncio
import sys

import airsrt
from actors import Add, Counter, Get, TellTo
from airsrt.ray import Cluster


async def main(namespace: str) -> None:
    cluster = await Cluster.join(namespace)
    print("joined as", cluster.driver, "nodes", cluster.nodes)
    shared = await cluster.lookup("shared")
    assert shared is not None
    print("shared answers", await shared.ask(Add(10), timeout=20))
    mine = cluster.system.spawn(Counter)
    relay = await cluster.lookup("relay")
    await relay.ask(TellTo(mine, Add(5)), timeout=20)  # a node tells this driver's actor
    for _ in range(200):
        if await mine.ask(Get(), timeout=5) == 5:
            print("reached from a node")
            break
        await asyncio.sleep(0.05)
    await cluster.shutdown()
    print("left")


airsrt.run(main(sys.argv[1]))
