"""Reliability matrix B1: the broker under load, with subscribers dying and one falling behind."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from airsrt import Actor, Backpressure, Mailbox, handler

EVENTS = 100_000
KILL_AT = EVENTS // 2
BATCH = 1_000


class Tick:
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


class Subscriber(Actor):
    def __init__(self, got: list[int] | None = None) -> None:
        self.got = got if got is not None else []

    @handler
    def tick(self, msg: Tick) -> None:
        self.got.append(msg.n)

    @handler
    async def hold(self, msg: asyncio.Event) -> None:
        await msg.wait()

    @handler
    def snapshot(self, msg: list) -> list[int]:
        return self.got


@pytest.mark.actor_system(dead_letter_history=EVENTS * 2)
async def test_b1_live_subscribers_get_everything_in_order_and_the_rest_is_accounted_for(actor_system):
    broker = actor_system.broker
    fast = [actor_system.spawn(Subscriber, name=f"fast{i}") for i in range(16)]
    doomed_got: list[list[int]] = [[] for _ in range(3)]
    doomed = [actor_system.spawn(Subscriber, got, name=f"doomed{i}") for i, got in enumerate(doomed_got)]
    slow = actor_system.spawn(Subscriber, name="slow", mailbox=Mailbox.bounded(100, Backpressure.DROP_OLDEST))
    gate = asyncio.Event()
    slow.tell(gate)  # the slow subscriber handles nothing until the end
    await asyncio.sleep(0)
    for ref in [*fast, *doomed, slow]:
        broker.subscribe("ticks", ref)

    reached = []
    for n in range(EVENTS):
        if n == KILL_AT:
            # Killed (elsewhere) with their share still queued; the publisher carries on.
            await asyncio.gather(*(ref.stop(timeout=0) for ref in doomed))
        reached.append(broker.publish("ticks", Tick(n)))
        if n % BATCH == BATCH - 1:
            await asyncio.sleep(0)

    # Dead subscribers were dropped from the topic as soon as they stopped.
    assert Counter(reached) == {20: KILL_AT, 17: EVENTS - KILL_AT}
    assert broker.subscribers("ticks") == [*fast, slow]

    gate.set()
    for ref in fast:
        assert await ref.ask([]) == list(range(EVENTS))

    letters = [d for d in actor_system.dead_letters.recent() if isinstance(d.message, Tick)]
    by_recipient: dict[str, list] = {}
    for letter in letters:
        by_recipient.setdefault(letter.recipient.name, []).append(letter)
    for ref, handled in zip(doomed, doomed_got):
        assert not ref.is_alive
        lost = by_recipient.get(ref.name, [])
        assert {d.reason for d in lost} <= {"stopped"}
        # Its share before the kill was handled in order or dead-lettered; nothing after it.
        ids = [d.message.n for d in lost]
        assert handled + ids == list(range(KILL_AT))
    assert any(by_recipient.get(ref.name) for ref in doomed)  # they did die with work queued

    while slow.mailbox_size():
        await asyncio.sleep(0)
    kept = await slow.ask([])
    drops = by_recipient["slow"]
    assert {d.reason for d in drops} == {"mailbox_full"}
    assert kept == list(range(EVENTS - 100, EVENTS))
    assert sorted(d.message.n for d in drops) == list(range(EVENTS - 100))
    assert set(by_recipient) <= {"slow", *(ref.name for ref in doomed)}
