"""An ask to an actor already on the run queue waits behind the dispatcher, not for a wake-up.

Its Task's next step is queued right after the dispatcher's turn (a bare yield), so a queued ask
costs one turn of the event loop, not two. Cancelling the Task meanwhile must still withdraw the
ask before its handler starts, and a reply that nobody reads any more -- the Task was cancelled
after the answer came but before it stepped again, on this path or the blocked one -- is a
``late_reply``.
"""

from __future__ import annotations

import asyncio
import random

import pytest

import airsrt
from airsrt import Actor, handler
from reliability_kit import Item, settle


class Note:
    """Asks the actor to note its handling and to schedule a callback from inside it."""

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen


class CancelMe:
    """Asks the actor to cancel the Task that awaits this very ask, from inside the handler."""

    def __init__(self, task: asyncio.Task[object]) -> None:
        self.task = task


class Scribe(Actor):
    def __init__(self) -> None:
        self.handled = 0

    @handler
    def note(self, msg: Note) -> str:
        self.handled += 1
        msg.seen.append("handled")
        asyncio.get_running_loop().call_soon(msg.seen.append, "next turn")
        return "noted"

    @handler
    def cancel_me(self, msg: CancelMe) -> str:
        msg.task.cancel()
        return "too late"

    @handler
    def count(self, msg: int) -> int:
        return self.handled


@pytest.mark.parametrize("queued_by", ["eager asks off", "a message ahead"])
async def test_a_queued_ask_is_answered_in_the_dispatchers_own_turn(actor_system, ledger, queued_by):
    """The asker resumes in the turn its handler ran, before a callback the handler scheduled
    with call_soon (with a wake-up, the asker would resume one turn later, after it)."""
    ref = actor_system.spawn(Scribe)
    seen: list[str] = []
    if queued_by == "eager asks off":
        actor_system.eager_asks = False
    else:
        ref.tell(0)  # the actor is on the run queue: the ask cannot run eagerly
    assert await ledger.ask(ref, Note(seen)) == "noted"
    seen.append("answered")
    await settle()
    assert seen == ["handled", "answered", "next turn"]


async def test_cancelling_the_waiting_task_before_the_handler_withdraws_the_ask(actor_system, ledger):
    ref = actor_system.spawn(Scribe)
    actor_system.eager_asks = False
    seen: list[str] = []

    async def asker() -> object:
        return await ledger.ask(ref, Note(seen))

    task = asyncio.ensure_future(asker())
    await asyncio.sleep(0)  # the Task's first step: the ask is sent, the Task waits behind it
    assert not task.done()
    task.cancel("changed my mind")
    with pytest.raises(asyncio.CancelledError, match="changed my mind"):
        await task
    assert seen == []  # the handler never ran
    assert await ref.ask(0) == 0
    assert ledger.counts()["withdrawn"] == 1
    assert actor_system.dead_letters.counts().get("late_reply", 0) == 0


async def test_a_timeout_that_expires_before_the_handler_withdraws_the_ask(actor_system, ledger):
    ref = actor_system.spawn(Scribe)
    actor_system.eager_asks = False
    seen: list[str] = []
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):
            await ledger.ask(ref, Note(seen))
    assert seen == []
    assert ledger.counts()["withdrawn"] == 1


async def test_a_reply_given_before_the_task_was_cancelled_is_a_late_reply(actor_system, ledger):
    """The handler cancels its own asker: the ask was handled, its answer became a dead letter."""
    ref = actor_system.spawn(Scribe)
    actor_system.eager_asks = False
    holder: dict[str, CancelMe] = {}

    async def asker() -> object:
        return await ledger.ask(ref, holder["msg"])

    task = asyncio.ensure_future(asker())
    holder["msg"] = CancelMe(task)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ledger.counts()["handled"] == 1
    letters = actor_system.dead_letters.recent()
    assert [(letter.reason, letter.message) for letter in letters] == [("late_reply", "too late")]
    assert [f for f in actor_system._pending_asks() if not f.done()] == []


class Slow(Actor):
    error_action = airsrt.ErrorAction.RESUME

    @handler
    async def work(self, msg: float) -> float:
        await asyncio.sleep(msg)
        if msg < 0:
            raise ValueError("negative")
        return msg


async def test_an_answer_that_takes_longer_than_the_turn_still_arrives(actor_system, ledger):
    """An async handler answers after the dispatcher's turn: the Task then waits on the ask
    itself, as on any future."""
    ref = actor_system.spawn(Slow)
    ref.tell(0.0)
    assert await ledger.ask(ref, 0.01) == 0.01
    results = await asyncio.gather(*(ref.ask(0.001 * i) for i in range(3)))
    assert results == [0.0, 0.001, 0.002]


async def test_an_error_answer_is_delivered_not_dead_lettered(actor_system):
    """A Task wakes on a failed ask by having the ask's error thrown into it: that error is the
    answer, delivered; nothing becomes a dead letter. (An ask that times out, its reply a late
    one, is test_messaging.py's test_late_reply_becomes_dead_letter_and_actor_goes_on.)"""
    ref = actor_system.spawn(Slow)
    with pytest.raises(ValueError, match="negative"):
        await ref.ask(-0.01)  # answered after the turn: the Task blocks on the ask
    actor_system.eager_asks = False
    ref2 = actor_system.spawn(Scribe)
    with pytest.raises(airsrt.UnhandledMessageError):
        await ref2.ask(b"no handler")
    assert actor_system.stats().late_replies == 0
    assert actor_system.dead_letters.counts().get("late_reply", 0) == 0


async def test_a_reply_that_arrived_before_a_blocked_task_woke_is_a_late_reply(actor_system):
    """The same on the blocked path: the ask is answered, its Task is cancelled before it wakes
    (here by a callback that runs first), and the answer is a dead letter, not dropped."""
    ref = actor_system.spawn(Slow)
    fut = ref.ask(0.0)
    waiting: list[asyncio.Future[object]] = []
    fut.add_done_callback(lambda _: waiting[0].cancel())

    async def waiter() -> object:
        return await fut

    waiting.append(asyncio.ensure_future(waiter()))
    with pytest.raises(asyncio.CancelledError):
        await waiting[0]
    assert fut.result() == 0.0
    assert actor_system.stats().late_replies == 1
    assert [(d.reason, d.message) for d in actor_system.dead_letters.recent()] == [("late_reply", 0.0)]


async def test_asks_from_many_tasks_are_answered_in_order(actor_system, ledger):
    """Waiting behind the dispatcher changes when an asker resumes, never the order in which
    the actor handles its mailbox."""
    ref = actor_system.spawn(Scribe)
    actor_system.eager_asks = False
    seen: list[str] = []

    async def asker(i: int) -> int:
        await ledger.ask(ref, Note(seen))
        return i

    assert await asyncio.gather(*(asker(i) for i in range(50))) == list(range(50))
    assert await ref.ask(0) == 50


class Tally(Actor):
    """A synchronous handler that remembers every message it handled."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    @handler
    def item(self, msg: Item) -> int:
        self.seen.append(msg.seq)
        return msg.seq

    @handler
    def report(self, msg: str) -> list[int]:
        return self.seen


@pytest.mark.parametrize("eager", [False, True])
async def test_five_thousand_queued_asks_cancelled_at_random_points(actor_system, ledger, eager):
    """Tasks asking actors that have messages queued, cancelled after 0-3 turns of the loop:
    each ask is withdrawn before its handler starts (which then never sees it) or handled
    (its answer read, or dropped as a late reply); nothing stays pending."""
    rng = random.Random(13)
    actor_system.eager_asks = eager
    refs = [actor_system.spawn(Tally) for _ in range(5)]
    answered: set[int] = set()
    cancelled: set[int] = set()

    async def ask(seq: int) -> object:
        ref = refs[seq % 5]
        ref.tell(Item(0, -1))  # something queued ahead: the ask waits for the dispatcher
        return await ledger.ask(ref, Item(0, seq))

    async def one(seq: int) -> None:
        task = asyncio.ensure_future(ask(seq))
        for _ in range(rng.randrange(4)):
            await asyncio.sleep(0)
        if rng.random() < 0.5:
            task.cancel()
        try:
            assert await task == seq
            answered.add(seq)
        except asyncio.CancelledError:
            cancelled.add(seq)

    for start in range(0, 5000, 250):
        await asyncio.gather(*(one(seq) for seq in range(start, start + 250)))
    handled = set()
    for ref in refs:
        handled.update(seq for seq in await ref.ask("report") if seq >= 0)
    counts = ledger.counts()
    assert len(answered) + len(cancelled) == 5000  # every asking Task ended
    # (A Task cancelled before its first step never sent its ask.)
    assert set(counts) == {"withdrawn", "handled"}, counts
    assert counts["withdrawn"] > 0 and len(cancelled) > counts["withdrawn"]  # some after the answer
    assert len(handled) == counts["handled"]  # a withdrawn ask's handler never ran
    assert answered <= handled and not answered & cancelled
    assert actor_system.dead_letters.counts().get("late_reply", 0) == len(cancelled & handled)
    assert [f for f in actor_system._pending_asks() if not f.done()] == []


def test_the_core_keeps_no_reference_to_a_finished_waiter() -> None:
    """A Task waiting behind the dispatcher is referenced by its ask only while it waits."""

    async def main() -> None:
        async with airsrt.ActorSystem() as system:
            system.eager_asks = False
            ref = system.spawn(Scribe)
            fut = ref.ask(0)
            assert await fut == 0
            assert fut.done()
            assert asyncio.current_task() not in _referents(fut)

    asyncio.run(main())


def _referents(obj: object) -> list[object]:
    import gc

    return gc.get_referents(obj)
