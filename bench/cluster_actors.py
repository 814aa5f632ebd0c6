"""Actors of bench/cluster.py (importable in every node: the bench puts bench/'s parent on the
nodes' PYTHONPATH)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import ray

import airsrt


class Tick:
    __slots__ = ()


@dataclass
class Count:
    pass


@dataclass
class Ping:
    pass


@dataclass
class Tells:
    target: Any
    n: int


@dataclass
class Asks:
    target: Any
    n: int


@dataclass
class Lone:
    target: Any
    n: int


@dataclass
class Slice:
    start: int
    stop: int


class Sink(airsrt.Actor):
    def __init__(self) -> None:
        self.n = 0

    @airsrt.handler
    def tick(self, msg: Tick) -> None:
        self.n += 1

    @airsrt.handler
    def count(self, msg: Count) -> int:
        return self.n

    @airsrt.handler
    def ping(self, msg: Ping) -> int:
        return 1


class Pump(airsrt.Actor):
    """Drives one link from its own node and times it there."""

    @airsrt.handler
    async def tells(self, msg: Tells) -> float:
        target, tick = msg.target, Tick()
        before = await target.ask(Count(), timeout=60)
        started = time.perf_counter()
        for _ in range(msg.n):
            try:
                target.tell(tick)
            except airsrt.MailboxFullError:
                await target.send(tick)
        assert await target.ask(Count(), timeout=120) == before + msg.n
        return time.perf_counter() - started

    @airsrt.handler
    async def asks(self, msg: Asks) -> float:
        target, ping = msg.target, Ping()
        started = time.perf_counter()
        futures = [target.ask(ping, timeout=120) for _ in range(msg.n)]
        for future in futures:
            await future
        return time.perf_counter() - started

    @airsrt.handler
    async def lone(self, msg: Lone) -> list[float]:
        out = []
        for _ in range(msg.n):
            started = time.perf_counter()
            await msg.target.ask(Ping(), timeout=60)
            out.append(time.perf_counter() - started)
        return out


def work(start: int, stop: int) -> float:
    """Trapezoid rule for 4/(1+x^2) on [0, 1] over steps start..stop of 4,000,000 (pi)."""
    h = 1.0 / 4_000_000
    total = 0.0
    for i in range(start, stop):
        x = (i + 0.5) * h
        total += 4.0 / (1.0 + x * x)
    return total * h


class Trapezoid(airsrt.Actor):
    @airsrt.handler
    def slice(self, msg: Slice) -> float:
        return work(msg.start, msg.stop)


@ray.remote
class NaiveReceiver:
    """The naive design: every message is one Ray call."""

    def __init__(self) -> None:
        self.n = 0

    async def receive(self, msg: Any) -> None:
        self.n += 1

    async def count(self) -> int:
        return self.n

    async def ping(self) -> int:
        return 1


@ray.remote
class NaiveSender:
    async def tells(self, receiver: Any, n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            receiver.receive.options(num_returns=0).remote(None)
        await receiver.count.remote()
        return time.perf_counter() - started

    async def asks(self, receiver: Any, n: int) -> float:
        started = time.perf_counter()
        await asyncio.gather(*(receiver.ping.remote() for _ in range(n)))
        return time.perf_counter() - started

    async def lone(self, receiver: Any, n: int) -> list[float]:
        out = []
        for _ in range(n):
            started = time.perf_counter()
            await receiver.ping.remote()
            out.append(time.perf_counter() - started)
        return out
