"""Backpressure that flows through actors: an actor that tells a full BLOCK mailbox is parked.

The message is accepted (the tell returns), and the sending actor takes no further message until
it has been queued; so a pipeline of bounded actors slows its source without an exception and
without losing anything. A cycle of actors parked on each other is a deadlock, refused at once.
Senders that are not actors keep the plain rules: ``send`` waits, ``tell`` raises.
"""

from __future__ import annotations

import asyncio

import pytest

import airsrt
from airsrt import Backpressure, Mailbox


def bounded(n: int) -> Mailbox:
    return Mailbox.bounded(n, Backpressure.BLOCK)


class Item:
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


class Forward(airsrt.Actor):
    """A synchronous stage: passes each item on to every target."""

    def __init__(self, *targets: airsrt.ActorRef) -> None:
        self.targets = targets
        self.seen = 0

    @airsrt.handler
    def item(self, msg: Item) -> None:
        self.seen += 1
        for target in self.targets:
            target.tell(msg)


class AsyncForward(Forward):
    """An async stage: tells after an await, from its handler's own Task."""

    @airsrt.handler
    async def item(self, msg: Item) -> None:
        await asyncio.sleep(0)
        self.seen += 1
        for target in self.targets:
            target.tell(msg)


class Sink(airsrt.Actor):
    """The slow end: an async handler that takes a loop turn or two per item."""

    def __init__(self, turns: int = 1) -> None:
        self.got: list[int] = []
        self.turns = turns

    @airsrt.handler
    async def item(self, msg: Item) -> None:
        for _ in range(self.turns):
            await asyncio.sleep(0)
        self.got.append(msg.n)

    @airsrt.handler
    def report(self, msg: str) -> list[int]:
        return self.got


async def wait_for_count(sink: airsrt.ActorRef, n: int) -> list[int]:
    async with asyncio.timeout(30):
        while True:
            got: list[int] = await sink.ask("report")
            if len(got) >= n:
                return got
            await asyncio.sleep(0.001)


async def test_a_three_stage_pipeline_slows_its_source_and_loses_nothing(actor_system):
    sink = actor_system.spawn(Sink, mailbox=bounded(4))
    second = actor_system.spawn(AsyncForward, sink, mailbox=bounded(4))
    first = actor_system.spawn(Forward, second, mailbox=bounded(4))
    n = 2000
    for i in range(n):
        await first.send(Item(i))  # the source is not an actor: it waits for room
    assert await wait_for_count(sink, n) == list(range(n))
    # Every mailbox stayed within its bound: the stages waited instead of piling up.
    for ref in (first, second, sink):
        assert ref.stats().max_mailbox_size <= 4
    assert actor_system.dead_letters.count == 0


async def test_a_fan_out_waits_for_its_slowest_subscriber(actor_system):
    fast = actor_system.spawn(Sink, 1, mailbox=bounded(2))
    slow = actor_system.spawn(Sink, 5, mailbox=bounded(2))
    hub = actor_system.spawn(Forward, fast, slow, mailbox=bounded(2))
    n = 500
    for i in range(n):
        await hub.send(Item(i))
    assert await wait_for_count(slow, n) == list(range(n))
    assert await wait_for_count(fast, n) == list(range(n))
    assert slow.stats().max_mailbox_size <= 2
    assert fast.stats().max_mailbox_size <= 2


class Ping(airsrt.Actor):
    """Tells its peer twice per message, so two of them fill each other's mailboxes."""

    def __init__(self) -> None:
        self.peer: airsrt.ActorRef | None = None
        self.errors: list[BaseException] = []

    @airsrt.handler
    def set_peer(self, msg: airsrt.ActorRef) -> None:
        self.peer = msg

    @airsrt.handler
    def item(self, msg: Item) -> None:
        assert self.peer is not None
        try:
            self.peer.tell(Item(msg.n + 1))
            self.peer.tell(Item(msg.n + 1))
        except airsrt.DeadlockError as error:
            self.errors.append(error)

    @airsrt.handler
    def errors_seen(self, msg: str) -> list[BaseException]:
        return self.errors


async def test_a_cycle_of_parked_actors_is_refused_with_a_deadlock_error(actor_system):
    a = actor_system.spawn(Ping, name="ping-a", mailbox=bounded(1))
    b = actor_system.spawn(Ping, name="ping-b", mailbox=bounded(1))
    await a.send(b)
    await b.send(a)
    await a.send(Item(0))
    async with asyncio.timeout(10):
        while True:
            errors = await a.ask("errors_seen") + await b.ask("errors_seen")
            if errors:
                break
            await asyncio.sleep(0.001)
    error = errors[0]
    assert isinstance(error, airsrt.DeadlockError)
    text = str(error)
    assert "ping-a" in text and "ping-b" in text and "Item" in text
    assert "would never end" in text


class SelfTeller(airsrt.Actor):
    @airsrt.handler
    def item(self, msg: Item) -> None:
        self.context.ref.tell(Item(msg.n + 1))

    @airsrt.handler
    def fill(self, msg: str) -> None:
        self.context.ref.tell(Item(0))
        self.context.ref.tell(Item(0))


async def test_telling_your_own_full_mailbox_is_a_deadlock(actor_system):
    ref = actor_system.spawn(SelfTeller, mailbox=bounded(1))
    with pytest.raises(airsrt.HandlerError) as caught:  # an AirsrtError from a handler is wrapped
        await ref.ask("fill")
    assert isinstance(caught.value.__cause__, airsrt.DeadlockError)
    assert "its own mailbox" in str(caught.value.__cause__)


class Gate(airsrt.Actor):
    """Holds its mailbox full until the test opens `gate`."""

    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate
        self.got: list[int] = []

    @airsrt.handler
    async def item(self, msg: Item) -> None:
        await self.gate.wait()
        self.got.append(msg.n)

    @airsrt.handler
    def report(self, msg: bytes) -> list[int]:
        return self.got


class Counter(airsrt.Actor):
    def __init__(self, target: airsrt.ActorRef) -> None:
        self.target = target
        self.handled = 0

    @airsrt.handler
    def item(self, msg: Item) -> None:
        self.handled += 1
        self.target.tell(msg)

    @airsrt.handler
    def count(self, msg: str) -> int:
        return self.handled


async def test_a_parked_actor_takes_no_next_message_until_its_message_is_queued(actor_system):
    opened = asyncio.Event()
    gate = actor_system.spawn(Gate, opened, mailbox=bounded(1))
    gate.tell(Item(-1))       # in hand, waiting on the gate
    await asyncio.sleep(0)
    gate.tell(Item(-2))       # fills the mailbox
    sender = actor_system.spawn(Counter, gate, mailbox=bounded(10))
    for i in range(3):
        sender.tell(Item(i))
    await asyncio.sleep(0.01)
    # The first item was accepted and parked its sender; the other two wait in its mailbox.
    assert sender.mailbox_size() == 2
    assert gate.mailbox_size() == 2  # one queued, one parked sender
    opened.set()
    got = await asyncio.wait_for(_until(gate, 5), 10)
    assert got == [-1, -2, 0, 1, 2]


async def _until(gate: airsrt.ActorRef, n: int) -> list[int]:
    while True:
        got: list[int] = await gate.ask(b"report")
        if len(got) >= n:
            return got
        await asyncio.sleep(0.001)


async def test_a_parked_actor_can_still_be_stopped(actor_system):
    opened = asyncio.Event()
    gate = actor_system.spawn(Gate, opened, mailbox=bounded(1))
    gate.tell(Item(-1))
    await asyncio.sleep(0)
    gate.tell(Item(-2))
    sender = actor_system.spawn(Counter, gate)
    sender.tell(Item(0))
    sender.tell(Item(1))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(sender.stop(), 5)
    assert not sender.is_alive
    # Its queued message became a dead letter; the parked one is still the gate's to handle.
    assert [d.reason for d in actor_system.dead_letters.recent()] == ["stopped"]
    opened.set()
    assert await asyncio.wait_for(_until(gate, 3), 10) == [-1, -2, 0]


async def test_when_the_target_stops_its_parked_senders_go_on(actor_system):
    opened = asyncio.Event()
    gate = actor_system.spawn(Gate, opened, mailbox=bounded(1))
    gate.tell(Item(-1))
    await asyncio.sleep(0)
    gate.tell(Item(-2))
    sender = actor_system.spawn(Counter, gate)
    sender.tell(Item(0))
    sender.tell(Item(1))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(gate.stop(timeout=0), 5)
    # The gate's parked and queued messages are dead letters; the sender runs again.
    assert await asyncio.wait_for(sender.ask("count"), 5) == 2
    reasons = sorted(d.reason for d in actor_system.dead_letters.recent())
    assert reasons == ["stopped", "stopped", "stopped"]


async def test_code_outside_actors_keeps_the_plain_rules(actor_system):
    opened = asyncio.Event()
    gate = actor_system.spawn(Gate, opened, mailbox=bounded(1))
    gate.tell(Item(-1))
    await asyncio.sleep(0)
    gate.tell(Item(-2))
    with pytest.raises(airsrt.MailboxFullError):
        gate.tell(Item(0))
    with pytest.raises(airsrt.MailboxFullError):
        await gate.send(Item(0), timeout=0.01)
    opened.set()
    assert await asyncio.wait_for(_until(gate, 2), 10) == [-1, -2]
