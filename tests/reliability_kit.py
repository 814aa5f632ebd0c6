"""Shared pieces of the reliability suite (tests/test_reliability_*.py)."""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import airsrt
from airsrt import Actor, handler
from airsrt.testing.plugin import new_test_loop


@dataclass(eq=False)
class Item:
    """A message with a sender and a sequence number; `fail` makes its handler raise."""

    sender: int
    seq: int
    fail: bool = False


class Snapshot(airsrt.Message[list]):
    """Asks a Sink for what it has handled, in order."""


class Sink(Actor):
    """Records every Item it handles; optionally spins for `work` seconds per item."""

    def __init__(self, work: float = 0.0) -> None:
        self.work = work
        self.seen: list[tuple[int, int]] = []

    @handler
    def item(self, msg: Item) -> tuple[int, int]:
        if self.work:
            spin(self.work)
        if msg.fail:
            raise RuntimeError(f"injected failure {msg.sender}/{msg.seq}")
        self.seen.append((msg.sender, msg.seq))
        return (msg.sender, msg.seq)

    @handler
    def snapshot(self, msg: Snapshot) -> list:
        return list(self.seen)


def spin(seconds: float) -> None:
    """Busy-waits (a handler that does CPU work, without sleeping)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def run(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Runs `main()` on a fresh test loop (honours AIRSRT_TEST_LOOP) for Hypothesis tests,
    which cannot be coroutines themselves."""
    loop = new_test_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def settle(rounds: int = 5) -> None:
    """Lets the loop run what is ready now, and what that makes ready, a few times over."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def drained(ref: airsrt.ActorRef) -> None:
    """Waits (without a clock) until `ref` has handled everything queued."""
    while ref.mailbox_size():
        await asyncio.sleep(0)
    await settle()


async def until(condition: Callable[[], object], seconds: float = 10.0) -> None:
    """Waits for `condition()` to hold: a failure after `seconds`, never a hang."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.001)


def per_sender(seen: list[tuple[int, int]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for sender, seq in seen:
        out.setdefault(sender, []).append(seq)
    return out
