"""Actors and messages of examples/cluster.py, in a module of their own: every node
imports message and actor classes by name, so they must not live in `__main__`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import airsrt


@dataclass
class Add:
    n: int


@dataclass
class Total(airsrt.Message[int]):
    pass


@dataclass
class Nap(airsrt.Message[str]):
    seconds: float


class Counter(airsrt.Actor):
    def __init__(self) -> None:
        self.total = 0

    @airsrt.handler
    def add(self, msg: Add) -> None:
        self.total += msg.n

    @airsrt.handler
    def get(self, msg: Total) -> int:
        return self.total

    @airsrt.handler
    async def nap(self, msg: Nap) -> str:
        await asyncio.sleep(msg.seconds)
        return "rested"


class Watcher(airsrt.Actor):
    """Prints what it hears about the actors it watches."""

    def __init__(self, target: airsrt.ActorRef) -> None:
        self.context.watch(target)

    @airsrt.handler
    def terminated(self, msg: airsrt.Terminated) -> None:
        print(f"watcher: {msg.ref.name} terminated, reason {msg.reason!r}")
