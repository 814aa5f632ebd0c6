"""An ask to an actor already on the run queue waits behind the dispatcher, not for a wake-up.

Its Task's next step is queued right after the dispatcher's turn (a bare yield), so a queued ask
costs one turn of the event loop, not two. Cancelling the Task meanwhile must still withdraw the
ask before its handler starts, and a reply that nobody reads any more is a ``late_reply``.
"""

from __future__ import annotations

import asyncio

import pytest

import airsrt
from airsrt import Actor, handler
from reliability_kit import settle


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
    @handler
    async def work(self, msg: float) -> float:
        await asyncio.sleep(msg)
        return msg


async def test_an_answer_that_takes_longer_than_the_turn_still_arrives(actor_system, ledger):
    """An async handler answers after the dispatcher's turn: the Task then waits on the ask
    itself, as on any future."""
    ref = actor_system.spawn(Slow)
    ref.tell(0.0)
    assert await ledger.ask(ref, 0.01) == 0.01
    results = await asyncio.gather(*(ref.ask(0.001 * i) for i in range(3)))
    assert results == [0.0, 0.001, 0.002]


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
