"""Skynet: a tree of actors in which every node spawns 10 children and sums their answers.

Leaves answer their own number; every node stops itself once it has answered its parent, so the
run creates and stops ``leaves * 10 / 9`` actors (1,111,111 for a million leaves) and passes one
message per actor. It measures what the other rows do not: actors that are short-lived, spawning
and stopping as fast as they work. The same tree runs on airsrt (children spawned with
``context.spawn``, stopped with ``context.stop()``), on the asyncio baseline (one Queue + one
Task per node, the Task ending after its answer) and on Erlang/OTP (``bench/erlang``).

Runs once in a fresh process and prints the runner's JSON: wall seconds, user and system CPU
seconds, minor page faults, the peak RSS growth.
Usage: ``python bench/skynet.py --impl airsrt --leaves 1000000``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import time
from typing import Any

import common

import airsrt


class Node(airsrt.Actor):
    """One node of the tree; `parent` is the parent's ref, or a future for the root."""

    def __init__(self, parent: Any, num: int, size: int) -> None:
        self.parent = parent
        self.num = num
        self.size = size
        self.total = 0
        self.left = 10

    def on_start(self) -> None:
        if self.size == 1:
            self.answer(self.num)
            return
        sub = self.size // 10
        spawn, me = self.context.spawn, self.context.ref
        for i in range(10):
            spawn(Node, me, self.num + i * sub, sub)

    @airsrt.handler
    def add(self, msg: int) -> None:
        self.total += msg
        self.left -= 1
        if not self.left:
            self.answer(self.total)

    def answer(self, value: int) -> None:
        if isinstance(self.parent, asyncio.Future):
            self.parent.set_result(value)
        else:
            self.parent.tell(value)
        self.context.stop()


async def run_airsrt(leaves: int) -> int:
    async with common.system() as system:
        done = asyncio.get_running_loop().create_future()
        system.spawn(Node, done, 0, leaves)
        return await done


async def run_asyncio(leaves: int) -> int:
    loop = asyncio.get_running_loop()

    async def node(parent: asyncio.Queue[int] | asyncio.Future[int], num: int, size: int) -> None:
        inbox: asyncio.Queue[int] = asyncio.Queue()  # one Queue + one Task per node
        if size == 1:
            value = num
        else:
            sub = size // 10
            for i in range(10):
                loop.create_task(node(inbox, num + i * sub, sub))
            value = 0
            for _ in range(10):
                value += await inbox.get()
        if isinstance(parent, asyncio.Future):
            parent.set_result(value)
        else:
            parent.put_nowait(value)

    done: asyncio.Future[int] = loop.create_future()
    root = loop.create_task(node(done, 0, leaves))
    value = await done
    await root
    return value


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, impl: str, leaves: int) -> dict[str, float]:
    gc.collect()
    before_rss = peak_rss_mb()
    user0, sys0, faults0 = common.cpu()
    t0 = time.perf_counter()
    total = common.run(kind, lambda: (run_airsrt if impl == "airsrt" else run_asyncio)(leaves))
    wall = time.perf_counter() - t0
    user1, sys1, faults1 = common.cpu()
    if total != leaves * (leaves - 1) // 2:
        raise AssertionError(f"skynet summed {total}, expected {leaves * (leaves - 1) // 2}")
    return {
        f"skynet.wall_s[{impl}]": wall,
        f"skynet.user_s[{impl}]": user1 - user0,
        f"skynet.sys_s[{impl}]": sys1 - sys0,
        f"skynet.minflt[{impl}]": faults1 - faults0,
        f"skynet.peak_rss_mb[{impl}]": peak_rss_mb() - before_rss,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--impl", choices=("airsrt", "asyncio"), default="airsrt")
    parser.add_argument("--leaves", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.leaves < 10 or 10 ** (len(str(args.leaves)) - 1) != args.leaves:
        parser.error("--leaves must be a power of ten, at least 10")
    common.emit(measure(args.loop, args.impl, args.leaves), n=args.leaves,
                actors=args.leaves * 10 // 9)
