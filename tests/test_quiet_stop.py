"""The quiet stop: an actor with nothing attached is stopped by the compiled core alone.

Most stops have nothing for the stop protocol (airsrt/_lifecycle.py) to decide or wait for: no
children, watchers, timers, name, stash, queued message or in-flight task, and a parent that is
not a supervisor. The core then runs ``on_stop`` and ends the actor itself. These tests hold
that it is the same stop -- the same hook, counters, event, errors and exit reason -- and that
everything else still takes the protocol, including an ``on_stop`` that attaches something.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import pytest
from reliability_kit import until

import airsrt
from airsrt import Actor, handler
from airsrt import _lifecycle as lifecycle

whose = contextvars.ContextVar("whose", default="nobody")


class Quit:
    __slots__ = ()


class Ping:
    __slots__ = ()


class Hooked(Actor):
    """Records its on_stop (and what its context holds then)."""

    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def on_start(self) -> None:
        whose.set(self.context.name)

    @handler
    def quit(self, msg: Quit) -> None:
        self.context.stop()

    @handler
    def ping(self, msg: Ping) -> str:
        return "pong"

    def on_stop(self) -> None:
        self.log.append(("on_stop", whose.get()))


class Watcher(Actor):
    def __init__(self, seen: list[Any]) -> None:
        self.seen = seen

    @handler
    def watch(self, msg: airsrt.ActorRef) -> None:
        self.context.watch(msg)

    @handler
    def terminated(self, msg: airsrt.Terminated) -> None:
        self.seen.append(msg.reason)

    @handler
    def report(self, msg: int) -> list[Any]:
        return self.seen


@pytest.fixture
def protocol_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts entries into the Python stop protocol."""
    calls: list[str] = []
    for name in ("begin_stop", "finalize"):
        original = getattr(lifecycle, name)

        def counted(*args: Any, _original: Any = original, _name: str = name) -> Any:
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(lifecycle, name, counted)
    return calls


async def _check_stopped(system: airsrt.ActorSystem, ref: airsrt.ActorRef, log: list[Any]) -> None:
    """What the stop protocol would have left: the hook run once, in the actor's own context;
    asks refused naming the reason; a late watcher told the reason."""
    assert log == [("on_stop", ref.name)]
    assert not ref.is_alive
    with pytest.raises(airsrt.ActorStoppedError, match=r"has stopped \(reason: normal\)"):
        await ref.ask(Ping())
    seen: list[Any] = []
    watcher = system.spawn(Watcher, seen)
    await watcher.ask(ref)  # watching an actor that has stopped: Terminated comes at once
    assert await watcher.ask(0) == ["normal"]


async def test_an_idle_actor_is_stopped_by_the_core_alone(protocol_calls: list[str]) -> None:
    log: list[Any] = []
    events: list[airsrt.Event] = []
    async with airsrt.ActorSystem() as system:
        system.events.subscribe(events.append, min_severity=airsrt.Severity.TRACE)
        ref = system.spawn(Hooked, log)
        assert await ref.ask(Ping()) == "pong"
        before = system.stats()
        await ref.stop()
        assert protocol_calls == []
        after = system.stats()
        assert (after.stopped, after.actors) == (before.stopped + 1, before.actors - 1)
        assert [e.details for e in events if e.kind == "actor.stopped" and e.actor == ref.name] == [
            {"reason": "normal"}
        ]
        await _check_stopped(system, ref, log)


async def test_context_stop_is_finished_by_the_core_after_the_handler(protocol_calls: list[str]) -> None:
    log: list[Any] = []
    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Hooked, log)
        await ref.ready()
        ref.tell(Quit())
        await until(lambda: not ref.is_alive)
        assert protocol_calls == []
        await _check_stopped(system, ref, log)


async def test_a_child_of_a_plain_actor_leaves_its_parent(protocol_calls: list[str]) -> None:
    class Parent(Actor):
        @handler
        def spawn(self, msg: Ping) -> airsrt.ActorRef:
            return self.context.spawn(Hooked, [])

        @handler
        def count(self, msg: int) -> int:
            return len(self.context.ref._children())

    async with airsrt.ActorSystem() as system:
        parent = system.spawn(Parent)
        child = await parent.ask(Ping())
        assert await parent.ask(0) == 1
        child.tell(Quit())
        await until(lambda: not child.is_alive)
        assert await parent.ask(0) == 0
        assert protocol_calls == []


async def test_messages_queued_behind_context_stop_are_dead_lettered() -> None:
    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Hooked, [])
        await ref.ready()
        ref.tell(Quit())
        ref.tell(Ping())
        pending = ref.ask(Ping())
        with pytest.raises(airsrt.ActorStoppedError):
            await pending
        assert system.dead_letters.counts().get("stopped") == 1


async def test_an_on_stop_that_attaches_something_hands_over_to_the_protocol(
    protocol_calls: list[str],
) -> None:
    class Clingy(Actor):
        @handler
        def ping(self, msg: Ping) -> None:
            pass

        def on_stop(self) -> None:
            self.context.ref.tell(Ping())  # too late to be handled: a dead letter
            self.context.schedule_once(60.0, Ping())

    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Clingy)
        await ref.ready()
        await ref.stop()
        assert protocol_calls == ["finalize"]
        assert not ref.is_alive
        assert system.dead_letters.counts().get("stopped") == 1


async def test_an_on_stop_that_asks_for_its_own_stop_again_changes_nothing() -> None:
    class Twice(Actor):
        def __init__(self, log: list[str]) -> None:
            self.log = log

        @handler
        def quit(self, msg: Quit) -> None:
            self.context.stop()

        def on_stop(self) -> None:
            self.context.stop()
            self.log.append("on_stop")

    async with airsrt.ActorSystem() as system:
        log: list[str] = []
        outside, itself = system.spawn(Twice, log), system.spawn(Twice, log)
        await outside.ready()
        await outside.stop()
        itself.tell(Quit())
        await until(lambda: not itself.is_alive)
        assert log == ["on_stop", "on_stop"]
        assert not outside.is_alive


async def test_an_on_stop_that_raises_is_logged_and_the_actor_stops(caplog: pytest.LogCaptureFixture) -> None:
    class Faulty(Actor):
        @handler
        def ping(self, msg: Ping) -> None:
            pass

        def on_stop(self) -> None:
            raise RuntimeError("boom in on_stop")

    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Faulty)
        await ref.ready()
        with caplog.at_level(logging.ERROR, logger="airsrt"):
            await ref.stop()
        assert not ref.is_alive
        assert any("on_stop raised" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_what_is_attached_takes_the_protocol(protocol_calls: list[str]) -> None:
    async with airsrt.ActorSystem() as system:
        named = system.spawn(Hooked, [], name="named")
        subscribed = system.spawn(Hooked, [])
        system.broker.subscribe("topic", subscribed)
        watched = system.spawn(Hooked, [])
        await system.spawn(Watcher, []).ask(watched)
        for ref in (named, subscribed, watched):
            await ref.ready()
            protocol_calls.clear()
            await ref.stop()
            assert protocol_calls == ["begin_stop", "finalize"], ref
        assert system.lookup("named") is None
        assert system.broker.subscribers("topic") == []


async def test_a_supervised_child_that_stops_itself_is_its_supervisors_decision() -> None:
    async with airsrt.ActorSystem() as system:
        sup = await system.spawn_supervisor(
            airsrt.OneForOne(), [airsrt.ChildSpec("w", Hooked, [])]
        )
        child = sup.child("w")
        first = child.incarnation
        child.tell(Quit())
        await until(lambda: child.incarnation != first)
        assert await sup.child("w").ask(Ping()) == "pong"  # permanent: restarted
