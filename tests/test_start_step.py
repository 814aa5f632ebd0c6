"""The start step: ``on_start`` is an actor's first control step, run by the compiled core.

A spawned actor with an ``on_start`` waits in STARTING with its start due (a flag on the cell,
not a control lane it would have to allocate); the dispatcher runs it before any message. A
synchronous ``on_start`` that returns None is finished in the core; one that raises, returns an
awaitable or ``IGNORE`` is handed to the Python layer. These tests hold the outcomes users see.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from reliability_kit import until

import airsrt
from airsrt import Actor, handler


class Recorder(Actor):
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def on_start(self) -> None:
        self.log.append("on_start")

    @handler
    def note(self, msg: str) -> str:
        self.log.append(msg)
        return msg

    def on_stop(self) -> None:
        self.log.append("on_stop")


async def test_messages_sent_before_the_start_wait_for_it() -> None:
    log: list[Any] = []
    events: list[airsrt.Event] = []
    async with airsrt.ActorSystem() as system:
        system.events.subscribe(events.append, min_severity=airsrt.Severity.DEBUG)
        ref = system.spawn(Recorder, log)
        ref.tell("first")
        assert await ref.ask("second") == "second"
        assert log == ["on_start", "first", "second"]
        await ref.ready()
        started = [e for e in events if e.kind == "actor.started" and e.actor == ref.name]
        assert [e.details for e in started] == [{"incarnation": 1}]


async def test_a_started_actor_holds_no_control_lane() -> None:
    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Recorder, [])
        assert await ref.ask("started") == "started"
        assert not ref._has_extra  # the start was a flag, not a queued step


async def test_ready_waiters_are_released_by_the_start() -> None:
    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Recorder, [])
        waiters = [asyncio.ensure_future(ref.ready()) for _ in range(3)]
        await asyncio.wait_for(asyncio.gather(*waiters), 5)


async def test_a_stop_before_the_start_ran_skips_on_start_and_on_stop() -> None:
    log: list[Any] = []
    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Recorder, log)
        await ref.stop()  # before the dispatcher's turn
        await asyncio.sleep(0.01)
        assert log == []
        assert not ref.is_alive
        with pytest.raises(airsrt.ActorStartError):
            await ref.ready()


async def test_context_stop_in_on_start_stops_after_the_start() -> None:
    class Leaf(Actor):
        def __init__(self, log: list[str]) -> None:
            self.log = log

        def on_start(self) -> None:
            self.log.append("on_start")
            self.context.stop()

        @handler
        def note(self, msg: str) -> None:
            self.log.append(msg)

        def on_stop(self) -> None:
            self.log.append("on_stop")

    log: list[str] = []
    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Leaf, log)
        ref.tell("never handled")
        await ref.ready()
        await until(lambda: not ref.is_alive)
        assert log == ["on_start", "on_stop"]
        assert system.dead_letters.counts().get("stopped") == 1


@pytest.mark.parametrize("outcome", ["raise", "async", "ignore"])
async def test_what_the_core_hands_over(outcome: str) -> None:
    class Starter(Actor):
        def on_start(self) -> Any:
            if outcome == "raise":
                raise RuntimeError("no start")
            if outcome == "ignore":
                return airsrt.IGNORE

            async def later() -> None:
                await asyncio.sleep(0)

            return later()

        @handler
        def ping(self, msg: int) -> int:
            return msg

    async with airsrt.ActorSystem() as system:
        ref = system.spawn(Starter)
        if outcome == "raise":
            with pytest.raises(airsrt.ActorStartError, match="no start"):
                await ref.ready()
        elif outcome == "ignore":
            await ref.ready()
            await until(lambda: not ref.is_alive)
        else:
            await ref.ready()
            assert await ref.ask(7) == 7
