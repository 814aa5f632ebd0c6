"""Mailboxes: the four backpressure strategies with exact outcomes, BLOCK senders, growth."""

import asyncio
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import Actor, Backpressure, Mailbox, handler


@dataclass(frozen=True)
class Item:
    n: int


class Gate:
    pass


class Snapshot(airsrt.Message[list]):
    pass


class Consumer(Actor):
    """Handles Items; blocked while a Gate message holds it (an async handler awaiting)."""

    def __init__(self, release: asyncio.Event) -> None:
        self.release = release
        self.seen: list[int] = []

    @handler
    async def gate(self, msg: Gate) -> None:
        await self.release.wait()

    @handler
    def item(self, msg: Item) -> int:
        self.seen.append(msg.n)
        return msg.n

    @handler
    def snapshot(self, msg: Snapshot) -> list:
        return list(self.seen)


async def _blocked(system, mailbox):
    release = asyncio.Event()
    ref = system.spawn(Consumer, release, mailbox=mailbox)
    ref.tell(Gate())
    await asyncio.sleep(0)  # the gate handler is now running: the mailbox only queues
    return ref, release


async def _drained(ref):
    """Lets the loop run until `ref`'s mailbox is empty (no clock involved)."""
    while ref.mailbox_size():
        await asyncio.sleep(0)


def test_mailbox_validation():
    with pytest.raises(airsrt.ConfigurationError, match="capacity must be >= 1"):
        Mailbox.bounded(0)
    with pytest.raises(airsrt.ConfigurationError, match="capacity"):
        Mailbox.bounded(2.5)  # type: ignore[arg-type]
    with pytest.raises(airsrt.ConfigurationError, match="Backpressure"):
        Mailbox(4, "block")  # type: ignore[arg-type]
    assert Mailbox.unbounded().capacity is None


async def test_fail_refuses_at_once(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(100, Backpressure.FAIL))
    accepted, refused = [], []
    for i in range(1000):
        try:
            ref.tell(Item(i))
            accepted.append(i)
        except airsrt.MailboxFullError as error:
            refused.append(error.message.n)
    assert accepted == list(range(100))
    assert refused == list(range(100, 1000))
    release.set()
    await _drained(ref)
    assert await ref.ask(Snapshot()) == list(range(100))
    assert actor_system.stats().rejected == 900


async def test_drop_newest_dead_letters_the_incoming(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(100, Backpressure.DROP_NEWEST))
    for i in range(1000):
        ref.tell(Item(i))
    release.set()
    await _drained(ref)
    assert await ref.ask(Snapshot()) == list(range(100))
    letters = actor_system.dead_letters.recent()
    assert [d.message.n for d in letters] == list(range(100, 1000))
    assert {d.reason for d in letters} == {"mailbox_full"}


async def test_drop_oldest_dead_letters_the_oldest(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(100, Backpressure.DROP_OLDEST))
    for i in range(1000):
        ref.tell(Item(i))
    release.set()
    await _drained(ref)
    assert await ref.ask(Snapshot()) == list(range(900, 1000))
    assert [d.message.n for d in actor_system.dead_letters.recent()] == list(range(900))


async def test_block_tell_raises_when_full(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(2, Backpressure.BLOCK))
    ref.tell(Item(0))
    ref.tell(Item(1))
    with pytest.raises(airsrt.MailboxFullError, match="send"):
        ref.tell(Item(2))
    release.set()
    await _drained(ref)
    assert await ref.ask(Snapshot()) == [0, 1]


async def test_block_send_waits_for_room_in_order(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(4, Backpressure.BLOCK))
    senders = [asyncio.ensure_future(ref.send(Item(i))) for i in range(20)]
    await asyncio.sleep(0)
    assert sum(s.done() for s in senders) == 4
    assert ref.mailbox_size() == 20
    with pytest.raises(airsrt.MailboxFullError):
        ref.tell(Item(99))  # later tells do not overtake the waiting senders
    release.set()
    await asyncio.gather(*senders)
    assert await ref.ask(Snapshot()) == list(range(20))


@pytest.mark.virtual_time
async def test_block_send_timeout_delivers_nothing_later(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(4, Backpressure.BLOCK))
    results = await asyncio.gather(
        *(ref.send(Item(i), timeout=0.05) for i in range(10)), return_exceptions=True
    )
    assert results[:4] == [None] * 4
    assert all(isinstance(r, airsrt.MailboxFullError) for r in results[4:])
    assert [r.message.n for r in results[4:]] == list(range(4, 10))
    release.set()
    await _drained(ref)
    assert await ref.ask(Snapshot()) == [0, 1, 2, 3]  # no ghost deliveries
    assert ref.mailbox_size() == 0


@pytest.mark.parametrize("policy", [Backpressure.FAIL, Backpressure.DROP_NEWEST])
async def test_ask_into_full_mailbox_fails_at_once(actor_system, policy):
    ref, release = await _blocked(actor_system, Mailbox.bounded(1, policy))
    ref.tell(Item(0))
    fut = ref.ask(Item(1), timeout=100)
    assert fut.done()
    with pytest.raises(airsrt.MailboxFullError):
        await fut
    release.set()


async def test_evicted_ask_fails_at_once(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(1, Backpressure.DROP_OLDEST))
    first = ref.ask(Item(0), timeout=100)
    ref.tell(Item(1))
    assert first.done()
    with pytest.raises(airsrt.MailboxFullError, match="evicted"):
        await first
    release.set()
    await _drained(ref)
    assert await ref.ask(Snapshot()) == [1]


async def test_block_ask_waits_for_room_and_answers(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(1, Backpressure.BLOCK))
    ref.tell(Item(0))
    fut = ref.ask(Item(1))
    assert not fut.done()
    release.set()
    assert await fut == 1


async def test_unbounded_mailbox_grows_and_shrinks(actor_system):
    ref, release = await _blocked(actor_system, None)
    for i in range(10_000):
        ref.tell(Item(i))
    assert ref.mailbox_size() == 10_000
    assert ref._ring_slots == 16384
    release.set()
    assert len(await ref.ask(Snapshot())) == 10_000
    stats = ref.stats()
    assert stats.mailbox_size == 0 and stats.max_mailbox_size == 10_001  # + the ask
    await asyncio.sleep(0)
    assert ref._ring_slots == 16384  # a burst-sized ring is kept for the next burst
    release.clear()
    ref.tell(Gate())
    await asyncio.sleep(0)
    for i in range(40_000):
        ref.tell(Item(i))
    assert ref._ring_slots == 65536
    release.set()
    while ref.mailbox_size():
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert ref._ring_slots == 65536  # bursts this size keep their buffer while they recur...
    await ref.ask(Snapshot())
    await asyncio.sleep(0)
    assert ref._ring_slots == 0  # ...and a quiet period gives it back
    # A real backlog (past 6 MiB of slots) is released as soon as it has drained.
    ref.tell(Gate())
    await asyncio.sleep(0)
    for i in range(300_000):
        ref.tell(Item(i))
    release.set()
    while ref.mailbox_size():
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert ref._ring_slots == 0


async def test_default_mailbox_applies_to_spawns():
    async with airsrt.ActorSystem(
        default_mailbox=Mailbox.bounded(1, Backpressure.FAIL), log_failures=False
    ) as system:
        ref, release = await _blocked(system, None)
        ref.tell(Item(0))
        with pytest.raises(airsrt.MailboxFullError):
            ref.tell(Item(1))
        release.set()


async def test_stop_reaches_a_full_mailbox_first(actor_system):
    ref, release = await _blocked(actor_system, Mailbox.bounded(3, Backpressure.FAIL))
    for i in range(3):
        ref.tell(Item(i))
    stopping = asyncio.ensure_future(ref.stop(timeout=1.0))
    await asyncio.sleep(0)
    release.set()
    await stopping
    assert not ref.is_alive
    assert [d.message.n for d in actor_system.dead_letters.recent()] == [0, 1, 2]


async def test_overflow_event_is_emitted(actor_system):
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.WARNING)
    ref, release = await _blocked(actor_system, Mailbox.bounded(1, Backpressure.DROP_NEWEST))
    ref.tell(Item(0))
    ref.tell(Item(1))
    release.set()
    assert [e.kind for e in events] == ["mailbox.overflow"]
    assert events[0].details["policy"] == "DROP_NEWEST"
