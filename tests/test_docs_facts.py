"""Claims the guides make, each checked as stated (the guide names the test).

Spawning before start: tests/test_system.py::test_spawn_before_start_raises_and_says_how_to_start;
the ledger formula: examples/monitoring.py (run by tests/test_examples.py) and the test below;
typed replies: tests/test_typing.py::test_the_typed_replies_example_is_what_the_guide_says.
"""

import asyncio

import pytest

import airsrt
from airsrt import Actor, handler
from airsrt.testing import check_ledger


class Boom(airsrt.Message[None]):
    pass


class Ping(airsrt.Message[int]):
    pass


class Fragile(Actor):
    """No error_action, no on_error: the defaults."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    @handler
    def boom(self, msg: Boom) -> None:
        raise ValueError("bad input")

    @handler
    def ping(self, msg: Ping) -> int:
        return 1

    def on_stop(self) -> None:
        self.log.append("on_stop")


class Watcher(Actor):
    def __init__(self, target: airsrt.ActorRef, log: list[str]) -> None:
        self.log = log
        self.context.watch(target)

    @handler
    def stopped(self, msg: airsrt.Terminated) -> None:
        self.log.append(f"Terminated {msg.reason} {msg.error!r}")


async def test_a_failing_top_level_actor_is_stopped_by_default(actor_system):
    """docs/guides/actors.md, "When a handler raises": by default (ESCALATE to the system's
    guardian) a top-level actor that fails is stopped, with reason "failed"."""
    log: list[str] = []
    events = []
    actor_system.events.subscribe(events.append)
    ref = actor_system.spawn(Fragile, log, name="fragile")
    actor_system.spawn(Watcher, ref, log)
    failing = ref.ask(Boom())
    ref.tell(Ping())                  # queued behind the failure
    queued_ask = ref.ask(Ping())
    with pytest.raises(ValueError, match="bad input"):
        await failing                 # the asker gets the handler's own exception
    with pytest.raises(airsrt.ActorStoppedError, match="reason: failed"):
        await queued_ask              # at once, not by timeout
    assert not ref.is_alive and ref.incarnation == 1 and ref.stats().state == "STOPPED"
    while len(log) < 2:
        await asyncio.sleep(0)
    assert log == ["on_stop", "Terminated failed ValueError('bad input')"]
    assert [letter.reason for letter in actor_system.dead_letters.recent()] == ["stopped"]
    kinds = [e.kind for e in events]
    assert kinds.index("actor.failed") < kinds.index("actor.stopped")
    assert next(e for e in events if e.kind == "actor.stopped").details["reason"] == "failed"
    assert actor_system.lookup("fragile") is None


async def test_a_guardian_strategy_restarts_top_level_actors_instead():
    """docs/guides/actors.md: ``ActorSystem(guardian=airsrt.OneForOne(...))`` restarts them."""
    async with airsrt.ActorSystem(guardian=airsrt.OneForOne(max_restarts=3, within=5.0),
                                  log_failures=False) as system:
        ref = system.spawn(Fragile, [])
        with pytest.raises(ValueError):
            await ref.ask(Boom())
        assert await ref.ask(Ping()) == 1
        assert ref.is_alive and ref.incarnation == 2


async def test_dead_letters_keep_the_newest_and_count_every_reason():
    """docs/guides/monitoring.md: recent() keeps the newest `dead_letter_history` (1,000 by
    default), count and counts() count every one, per reason."""
    async with airsrt.ActorSystem(dead_letter_history=5) as system:
        full = system.spawn(Fragile, [], mailbox=airsrt.Mailbox.bounded(1, airsrt.Backpressure.DROP_NEWEST))
        gone = system.spawn(Fragile, [])
        await gone.stop()
        messages = [Ping() for _ in range(12)]
        for msg in messages:
            gone.tell(msg)                           # reason "stopped"
        for _ in range(4):
            full.tell(Ping())                        # one queued, then "mailbox_full"
        assert system.dead_letters.history == 5
        assert system.dead_letters.count == 15
        assert system.dead_letters.counts() == {"stopped": 12, "mailbox_full": 3}
        recent = system.dead_letters.recent()
        assert len(recent) == 5 and [d.reason for d in recent] == ["stopped"] * 2 + ["mailbox_full"] * 3
        assert [d.message for d in recent[:2]] == messages[-2:]
        assert system.stats().dead_letters == 15

    async with airsrt.ActorSystem() as system:
        assert system.dead_letters.history == 1000
        gone = system.spawn(Fragile, [])
        await gone.stop()
        for _ in range(1005):
            gone.tell(Ping())
        assert len(system.dead_letters.recent()) == 1000
        assert system.dead_letters.counts() == {"stopped": 1005} and system.dead_letters.count == 1005

    async with airsrt.ActorSystem(dead_letter_history=0) as system:
        gone = system.spawn(Fragile, [])
        await gone.stop()
        gone.tell(Ping())
        assert system.dead_letters.recent() == [] and system.dead_letters.counts() == {"stopped": 1}

    with pytest.raises(airsrt.ConfigurationError, match="dead_letter_history"):
        airsrt.ActorSystem(dead_letter_history=-1)


async def test_the_ledger_formula_holds_and_queued_comes_from_check_ledger(actor_system):
    """docs/guides/monitoring.md: system.stats() has no `queued`; check_ledger adds it."""
    release = asyncio.Event()

    class Gate(Actor):
        @handler
        async def wait(self, msg: asyncio.Event) -> None:
            await msg.wait()

        @handler
        def ping(self, msg: Ping) -> int:
            return 1

    ref = actor_system.spawn(Gate)
    ref.tell(release)
    while ref.stats().state != "BUSY":
        await asyncio.sleep(0)
    ref.tell(Ping())
    ref.tell(Ping())
    stats = actor_system.stats()
    assert not hasattr(stats, "queued")
    balance = check_ledger(actor_system)   # raises LedgerError if the formula does not hold
    assert balance.queued == 2
    outcomes = stats.handled + stats.rejected + stats.dead_letters + stats.returned + stats.withdrawn
    assert stats.sent == outcomes + balance.queued
    release.set()
    assert await ref.ask(Ping()) == 1
    stats = actor_system.stats()
    assert stats.sent == stats.handled + stats.rejected + stats.dead_letters + stats.returned + stats.withdrawn


async def test_is_alive_is_a_property_not_a_method(actor_system):
    """docs/index.md and docs/guides/actors.md: `ref.is_alive` (no call) is a bool."""
    ref = actor_system.spawn(Fragile, [])
    assert ref.is_alive is True and not callable(ref.is_alive)
    assert isinstance(ref.name, str) and ref.incarnation == 1
    await ref.stop()
    assert ref.is_alive is False
