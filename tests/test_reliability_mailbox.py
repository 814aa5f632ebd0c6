"""Reliability matrix, mailboxes: M1, M8, M9 and M10 (M2-M7 are in test_mailbox.py and
test_patterns.py; docs/reliability.md maps every row to its test)."""

from __future__ import annotations

import asyncio
import logging
import time

from hypothesis import given, settings
from hypothesis import strategies as st

import airsrt
from airsrt import Actor, Backpressure, Mailbox, Priority, handler
from reliability_kit import Item, Sink, Snapshot, drained, per_sender, rss_mb, run, settle


# -- M1: BLOCK applies backpressure --------------------------------------------------------------


async def test_m1_block_backpressure_four_producers(actor_system, ledger):
    """Capacity 8, 4 producers x 10,000 sends, 50 us of work per message."""
    ref = actor_system.spawn(Sink, 50e-6, mailbox=Mailbox.bounded(8, Backpressure.BLOCK))
    depths: list[int] = []
    waited = [0.0]

    async def producer(sender: int) -> None:
        for seq in range(10_000):
            t0 = time.perf_counter()
            await ledger.send(ref, Item(sender, seq))
            waited[0] += time.perf_counter() - t0
            depths.append(ref.stats().queued)  # in the mailbox (parked senders wait outside)

    await asyncio.gather(*(producer(p) for p in range(4)))
    seen = await ref.ask(Snapshot(), timeout=30)
    assert max(depths) <= 8
    assert len(seen) == 40_000
    assert per_sender(seen) == {p: list(range(10_000)) for p in range(4)}  # FIFO per producer
    assert waited[0] > 0
    assert ledger.counts()["handled"] == 40_000


# -- M8: per-sender FIFO, and stable priorities -------------------------------------------------


class Sender(Actor):
    """Tells its own numbered Items to a target, `n` at a time."""

    def __init__(self, me: int, target: airsrt.ActorRef) -> None:
        self.me, self.target, self.next = me, target, 0

    @handler
    def go(self, msg: int) -> None:
        for _ in range(msg):
            self.target.tell(Item(self.me, self.next))
            self.next += 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(1, 5)), min_size=1, max_size=60))
def test_m8_per_sender_fifo_under_any_interleaving(schedule):
    """Up to 8 sender actors, each told to send bursts in a drawn order (<= 300 sends)."""

    async def main() -> dict[int, list[int]]:
        async with airsrt.ActorSystem(log_failures=False) as system:
            sink = system.spawn(Sink)
            senders = [system.spawn(Sender, i, sink) for i in range(8)]
            for who, burst in schedule:
                senders[who].tell(burst)
                if burst % 2:
                    await asyncio.sleep(0)  # some bursts interleave with the sink's work
            for sender in senders:
                await drained(sender)
            await drained(sink)
            return per_sender(await sink.ask(Snapshot()))

    got = run(main)
    sent: dict[int, int] = {}
    for who, burst in schedule:
        sent[who] = sent.get(who, 0) + burst
    assert got == {who: list(range(n)) for who, n in sent.items()}


class Held(Actor):
    """Handles ints after an asyncio.Event it was sent is set (so everything else queues)."""

    def __init__(self) -> None:
        self.order: list[int] = []

    @handler
    async def hold(self, msg: asyncio.Event) -> None:
        await msg.wait()

    @handler
    def take(self, msg: Item) -> None:
        self.order.append(msg.seq)

    @handler
    def snapshot(self, msg: Snapshot) -> list:
        return list(self.order)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(list(Priority))), max_size=200))
def test_m8_priorities_are_stable_and_never_inverted(sends):
    """K <= 8 senders, <= 200 sends with drawn priorities, all queued before any is handled."""

    async def main() -> list[int]:
        async with airsrt.ActorSystem(log_failures=False) as system:
            ref = system.spawn(Held, mailbox=Mailbox.priority())
            release = asyncio.Event()
            ref.tell(release)
            await asyncio.sleep(0)
            for seq, (sender, priority) in enumerate(sends):
                ref.tell(Item(sender, seq), priority=priority)
            release.set()
            await drained(ref)
            return await ref.ask(Snapshot())

    order = run(main)
    # Higher priority first; equal priorities (and so each sender's equal-priority messages)
    # in send order: exactly a stable sort.
    assert order == sorted(range(len(sends)), key=lambda seq: -sends[seq][1])


# -- M9: an unbounded mailbox drains and shrinks -------------------------------------------------


async def test_m9_million_message_backlog_drains_and_gives_memory_back(actor_system, caplog):
    marks = []
    actor_system.events.subscribe(
        lambda e: marks.append(e.details["depth"]) if e.kind == "mailbox.high_watermark" else None,
        min_severity=airsrt.Severity.WARNING,
    )
    ref = actor_system.spawn(Held)
    one = Item(0, 0)  # one shared object: the mailbox's own memory is what is measured
    await ref.ask(Snapshot())  # started, its first ring allocated
    before = rss_mb()
    release = asyncio.Event()
    ref.tell(release)
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="airsrt"):
        for _ in range(1_000_000):
            ref.tell(one)
        await settle()
    assert ref.mailbox_size() == 1_000_000
    release.set()
    await drained(ref)
    assert len(await ref.ask(Snapshot())) == 1_000_000
    after = rss_mb()
    assert after <= before * 1.10 + 20, f"RSS {before:.0f} MB -> {after:.0f} MB after the drain"
    assert marks == [10_000, 100_000, 1_000_000]  # each threshold reported once
    warnings = [r.getMessage() for r in caplog.records if "mailbox reached" in r.getMessage()]
    assert len(warnings) == 3 and "Held#" in warnings[0] and "10,000 messages" in warnings[0]


# -- M10: overflow oracle ------------------------------------------------------------------------


class Permit(Actor):
    """Handles each Item only when the test grants a permit: exactly one at a time, on demand."""

    def __init__(self, permits: asyncio.Semaphore, handled: list[int]) -> None:
        self.permits, self.handled = permits, handled

    @handler
    async def item(self, msg: Item) -> None:
        await self.permits.acquire()
        self.handled.append(msg.seq)




@settings(max_examples=150, deadline=None)
@given(
    policy=st.sampled_from(list(Backpressure)),
    capacity=st.integers(1, 5),
    ops=st.lists(st.sampled_from(["tell", "tell", "handle"]), max_size=40),
)
def test_m10_overflow_matches_a_list_model(policy, capacity, ops):
    async def main() -> tuple[list[int], list[int], list[int]]:
        async with airsrt.ActorSystem(log_failures=False) as system:
            permits, handled = asyncio.Semaphore(0), []
            ref = system.spawn(Permit, permits, handled, mailbox=Mailbox.bounded(capacity, policy))
            rejected = []
            for seq, op in enumerate(ops):
                if op == "tell":
                    try:
                        ref.tell(Item(0, seq))
                    except airsrt.MailboxFullError:
                        rejected.append(seq)
                elif any(t.get_coro().__qualname__ == "Permit.item" for t in asyncio.all_tasks()):
                    permits.release()  # the handler in flight finishes; the next one starts
                await settle()
            for _ in ops:
                permits.release()
            await drained(ref)
            letters = [d.message.seq for d in system.dead_letters.recent()]
            return handled, letters, rejected

    handled, letters, rejected = run(main)
    # The model: one message in the handler at a time, `capacity` more queued behind it.
    m_handled, m_letters, m_rejected, queue, running = [], [], [], [], None
    for seq, op in enumerate(ops):
        if op == "tell":
            if running is None:
                running = seq
            elif len(queue) < capacity:
                queue.append(seq)
            elif policy in (Backpressure.FAIL, Backpressure.BLOCK):
                m_rejected.append(seq)
            elif policy is Backpressure.DROP_NEWEST:
                m_letters.append(seq)
            else:
                m_letters.append(queue.pop(0))
                queue.append(seq)
        elif running is not None:
            m_handled.append(running)
            running = queue.pop(0) if queue else None
    m_handled += ([running] if running is not None else []) + queue
    assert (handled, letters, rejected) == (m_handled, m_letters, m_rejected)
