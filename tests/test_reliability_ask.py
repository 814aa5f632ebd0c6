"""Reliability matrix, asks: A3, A4, A5 and A6 (A1, A2 and A7 are in test_messaging.py)."""

from __future__ import annotations

import asyncio
import random

import pytest

import airsrt
from airsrt import Actor, handler
from reliability_kit import Item, settle


class Hang:
    """A message whose handler waits until the test releases it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()


class Crash:
    pass


class Victim(Actor):
    @handler
    async def hang(self, msg: Hang) -> str:
        await msg.release.wait()
        return "released"

    @handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crashed while handling")

    @handler
    def item(self, msg: Item) -> int:
        return msg.seq


# -- A3: death means an immediate error, never a timeout -----------------------------------------


async def test_a3_asks_to_dead_or_dying_actors_fail_at_once(clock, actor_system, ledger):
    """On the manual clock no ask timeout can fire: every error below comes without one."""
    stopped = actor_system.spawn(Victim)
    await stopped.stop()
    with pytest.raises(airsrt.ActorStoppedError, match=r"Victim#\d+ has stopped"):
        await ledger.ask(stopped, Item(0, 0), timeout=30)

    crashing = actor_system.spawn(Victim)
    with pytest.raises(RuntimeError, match="crashed while handling"):
        await ledger.ask(crashing, Crash(), timeout=30)

    killed = actor_system.spawn(Victim)
    hang = Hang()
    killed.tell(hang)
    await settle()
    queued = killed.ask(Item(0, 1), timeout=30)
    stopping = asyncio.ensure_future(killed.stop(timeout=0))  # kill: no grace for the handler
    await settle()
    assert queued.done()
    with pytest.raises(airsrt.ActorStoppedError, match="killed"):
        await queued
    await stopping
    assert clock.now == 0.0
    counts = ledger.counts()
    assert counts["returned"] == 1 and counts["handled"] == 1


# -- A4: a handler's exception reaches the caller ------------------------------------------------


class CustomError(Exception):
    pass


class CustomBase(BaseException):
    """A BaseException subclass other than KeyboardInterrupt/SystemExit."""


EXCEPTIONS = [
    ValueError("bad value"),
    KeyError("missing"),
    TypeError("wrong type"),
    ZeroDivisionError("division"),
    OSError(5, "io"),
    LookupError("lookup"),
    RecursionError("deep"),
    CustomError("custom"),
    CustomBase("base subclass"),
    asyncio.CancelledError("cancelled inside"),
]


class Raiser(Actor):
    error_action = airsrt.ErrorAction.RESUME

    @handler
    def sync(self, msg: BaseException) -> None:
        raise msg

    @handler
    async def later(self, msg: tuple) -> None:
        await asyncio.sleep(0)
        raise msg[0]

    @handler
    def item(self, msg: Item) -> int:
        return msg.seq


@pytest.mark.parametrize("error", EXCEPTIONS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a4_handler_exceptions_reach_the_asker(actor_system, error, kind):
    ref = actor_system.spawn(Raiser)
    with pytest.raises(BaseException) as info:
        await ref.ask(error if kind == "sync" else (error,), timeout=5)
    got = info.value
    # Ordinary exceptions arrive as they are; BaseExceptions (and CancelledError, which would
    # read as the caller's own cancellation) arrive wrapped, the original as __cause__.
    if isinstance(error, Exception):
        assert got is error
    else:
        assert isinstance(got, airsrt.HandlerError) and "Raiser#" in str(got)
        # A Task that ends by raising CancelledError counts as cancelled, and asyncio may
        # hand out a fresh CancelledError for it: the type is what survives.
        assert type(got.__cause__) is type(error)
    assert await ref.ask(Item(0, 7), timeout=5) == 7  # RESUME: the actor goes on


# -- A5: the caller cancels asks at random points ------------------------------------------------


class Yielder(Actor):
    """An async handler that yields to the loop a few times before answering."""

    @handler
    async def item(self, msg: Item) -> int:
        for _ in range(msg.sender):
            await asyncio.sleep(0)
        return msg.seq


async def test_a5_ten_thousand_asks_cancelled_at_random_points(actor_system, ledger):
    rng = random.Random(5)
    refs = [actor_system.spawn(Yielder) for _ in range(10)]
    answered = 0

    async def one(seq: int) -> None:
        nonlocal answered
        task = asyncio.ensure_future(ledger.ask(refs[seq % 10], Item(rng.randrange(4), seq)))
        for _ in range(1 + rng.randrange(6)):  # the first turn starts the task: the ask is sent
            await asyncio.sleep(0)
        if task.done():
            answered += 1
            assert task.result() == seq
            return
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    for start in range(0, 10_000, 500):
        await asyncio.gather(*(one(seq) for seq in range(start, start + 500)))
    for ref in refs:
        await ref.ask(Item(0, -1))
    counts = ledger.counts()
    # Each ask was withdrawn before its handler started, or handled (its reply then dropped).
    assert counts["withdrawn"] + counts["handled"] == 10_000, counts
    assert counts["withdrawn"] > 0 and counts["handled"] > answered > 0
    assert [f for f in actor_system._pending_asks() if not f.done()] == []


# -- A6: reentrancy --------------------------------------------------------------------------------


class Peer(Actor):
    """Asks `other` while handling a Relay: A -> B -> A is a cycle."""

    error_action = airsrt.ErrorAction.RESUME  # a failed request is the asker's business

    def __init__(self) -> None:
        self.other: airsrt.ActorRef | None = None

    @handler
    def link(self, msg: airsrt.ActorRef) -> None:
        self.other = msg

    @handler
    async def relay(self, msg: int) -> int:
        assert self.other is not None
        if msg == 0:
            return 0
        return await self.other.ask(msg - 1, timeout=1.0) + 1

    @handler
    def item(self, msg: Item) -> int:
        return msg.seq


async def test_a6_self_ask_at_once_and_a_cycle_times_out_with_both_alive(clock, actor_system):
    a, b = actor_system.spawn(Peer), actor_system.spawn(Peer)
    a.tell(b)
    b.tell(a)
    cycle = asyncio.ensure_future(a.ask(3, timeout=5.0))  # a -> b -> a: a is busy waiting
    await clock.advance(0.99)
    assert not cycle.done()
    await clock.advance(0.01)  # both inner asks reach their 1 s deadline
    assert cycle.done()
    with pytest.raises(airsrt.HandlerError) as info:
        await cycle  # a's handler raised the timeout of its own ask to b
    assert isinstance(info.value.__cause__, airsrt.AskTimeoutError)
    assert await a.ask(Item(0, 1)) == 1 and await b.ask(Item(0, 2)) == 2  # both alive

    class Selfish(Actor):
        @handler
        def item(self, msg: Item) -> int:
            return self.context.ref.ask(Item(0, 0))  # never awaited: it fails at once

    selfish = actor_system.spawn(Selfish)
    with pytest.raises(airsrt.HandlerError) as info:
        await selfish.ask(Item(0, 0))
    assert isinstance(info.value.__cause__, airsrt.DeadlockError)
    assert "would wait for itself" in str(info.value.__cause__)
    assert clock.now == 1.0  # the deadlock was found at once, not by a timeout
