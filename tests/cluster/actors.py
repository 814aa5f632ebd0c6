"""Actors and messages of the Ray suite (importable in every node: see conftest)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import airsrt


@dataclass
class Add:
    n: int = 1


@dataclass
class Get:
    pass


@dataclass
class Crash:
    pass


@dataclass
class Seq:
    sender: int
    i: int


@dataclass
class Report:
    pass


@dataclass
class Sleep:
    seconds: float


@dataclass
class Echo:
    value: Any


@dataclass
class TellTo:
    target: Any
    msg: Any


@dataclass
class AskTo:
    target: Any
    msg: Any


@dataclass
class SpawnChild:
    node: str


@dataclass
class Watch:
    target: Any


@dataclass
class Seen:
    pass


@dataclass
class Burst:
    target: Any
    sender: int
    count: int


class LockError(Exception):
    """Carries a lock, so it cannot be pickled."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lock = threading.Lock()


@dataclass
class RaiseUnpicklable:
    pass


@dataclass
class RaiseValue:
    pass


class Counter(airsrt.Actor):
    def __init__(self, start: int = 0) -> None:
        self.n = start

    @airsrt.handler
    def add(self, msg: Add) -> int:
        self.n += msg.n
        return self.n

    @airsrt.handler
    def get(self, msg: Get) -> int:
        return self.n

    @airsrt.handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crash on purpose")

    @airsrt.handler
    async def sleep(self, msg: Sleep) -> str:
        await asyncio.sleep(msg.seconds)
        return "slept"

    @airsrt.handler
    def echo(self, msg: Echo) -> Any:
        return msg.value

    @airsrt.handler
    def unpicklable(self, msg: RaiseUnpicklable) -> None:
        raise LockError("holds a lock")

    @airsrt.handler
    def value_error(self, msg: RaiseValue) -> None:
        raise ValueError("plain and picklable")

    @airsrt.handler
    def size(self, msg: bytes) -> int:
        return len(msg)


class Resilient(Counter):
    """Keeps going after a handler raised (for error tests)."""

    error_action = airsrt.ErrorAction.RESUME


class Relay(airsrt.Actor):
    """Talks to other actors on request (tells, asks, spawns, watches)."""

    def __init__(self) -> None:
        self.terminated: list[tuple[Any, str]] = []
        self.child: Any = None

    @airsrt.handler
    def tell_to(self, msg: TellTo) -> None:
        msg.target.tell(msg.msg)

    @airsrt.handler
    async def ask_to(self, msg: AskTo) -> Any:
        return await msg.target.ask(msg.msg, timeout=20)

    @airsrt.handler
    def spawn_child(self, msg: SpawnChild) -> Any:
        self.child = self.context.spawn(Counter, node=msg.node)
        return self.child

    @airsrt.handler
    def watch(self, msg: Watch) -> None:
        self.context.watch(msg.target)

    @airsrt.handler
    def on_terminated(self, msg: airsrt.Terminated) -> None:
        self.terminated.append((msg.ref, msg.reason))

    @airsrt.handler
    def seen(self, msg: Seen) -> list[tuple[Any, str]]:
        return list(self.terminated)

    @airsrt.handler
    async def burst(self, msg: Burst) -> int:
        for i in range(msg.count):
            await msg.target.send(Seq(msg.sender, i))
        return msg.count


class Collector(airsrt.Actor):
    """Checks FIFO per sender."""

    def __init__(self) -> None:
        self.next: dict[int, int] = {}
        self.errors = 0
        self.total = 0

    @airsrt.handler
    def seq(self, msg: Seq) -> None:
        expected = self.next.get(msg.sender, 0)
        if msg.i != expected:
            self.errors += 1
        self.next[msg.sender] = msg.i + 1
        self.total += 1

    @airsrt.handler
    def report(self, msg: Report) -> tuple[int, int, dict[int, int]]:
        return self.total, self.errors, dict(self.next)


class Slow(airsrt.Actor):
    """A consumer that takes its time (about 0.2 ms per message)."""

    def __init__(self) -> None:
        self.count = 0
        self.last = -1
        self.out_of_order = 0

    @airsrt.handler
    def seq(self, msg: Seq) -> None:
        import time

        time.sleep(0.0002)
        if msg.i != self.last + 1:
            self.out_of_order += 1
        self.last = msg.i
        self.count += 1

    @airsrt.handler
    def report(self, msg: Report) -> tuple[int, int]:
        return self.count, self.out_of_order
