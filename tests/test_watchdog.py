"""Reliability matrix F4 and misuse case 1: handlers that block the event loop are reported."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import airsrt
from airsrt import Actor, handler


class Nap:
    def __init__(self, seconds: float, then_raise: bool = False) -> None:
        self.seconds, self.then_raise = seconds, then_raise


class Order:
    pass


class Sleeper(Actor):
    error_action = airsrt.ErrorAction.RESUME

    @handler
    def nap(self, msg: Nap) -> str:
        time.sleep(msg.seconds)  # the misuse: a blocking call on the loop
        if msg.then_raise:
            raise ValueError("and then it failed")
        return "rested"

    @handler
    def order(self, msg: Order) -> str:
        return "quick"


def slow_events(system: airsrt.ActorSystem) -> list[airsrt.Event]:
    return [e for e in system.events.recent() if e.kind == "actor.slow_handler"]


async def test_f4_a_blocking_handler_is_reported_with_actor_type_and_lag():
    async with airsrt.ActorSystem(log_failures=False, slow_handler_limit=0.1) as system:
        ref = system.spawn(Sleeper, name="sleeper")
        busy = system.spawn(Sleeper)
        busy.tell(Order())  # not idle: this tell goes through the dispatcher, not an eager ask
        with pytest.warns(airsrt.SlowHandlerWarning) as caught:
            ref.tell(Nap(0.3))
            assert await ref.ask(Order()) == "quick"
        text = str(caught[0].message)
        assert "sleeper's handler for Nap blocked the event loop for 0.3" in text
        assert "limit 0.10s" in text and "run_blocking" in text  # ... and the fix
        [event] = slow_events(system)
        assert event.actor == "sleeper" and event.details["message_type"] == "Nap"
        assert 0.3 <= event.details["lag"] < 0.3 + 0.1  # errs upwards by < a quarter limit


async def test_f4_eager_asks_are_watched_too():
    async with airsrt.ActorSystem(slow_handler_limit=0.05) as system:
        ref = system.spawn(Sleeper)
        with pytest.warns(airsrt.SlowHandlerWarning, match="handler for Nap"):
            assert await ref.ask(Nap(0.15)) == "rested"  # idle target: run in the ask itself


async def test_f4_strict_mode_makes_it_the_message_failure():
    async with airsrt.ActorSystem(log_failures=False, slow_handler_limit=0.1, strict=True) as system:
        ref = system.spawn(Sleeper)
        with pytest.raises(airsrt.SlowHandlerError) as info:
            await ref.ask(Nap(0.3))
        assert info.value.lag >= 0.3 and info.value.actor == ref.name
        assert "handler for Nap blocked the event loop" in str(info.value)
        assert await ref.ask(Order()) == "quick"  # RESUME: it was a failure like any other


async def test_f4_a_handler_that_blocks_and_raises_keeps_its_own_exception():
    async with airsrt.ActorSystem(log_failures=False, slow_handler_limit=0.05, strict=True) as system:
        ref = system.spawn(Sleeper)
        with pytest.warns(airsrt.SlowHandlerWarning, match="handler for Nap"):
            with pytest.raises(ValueError, match="and then it failed"):
                await ref.ask(Nap(0.15, then_raise=True))
        assert len(slow_events(system)) == 1  # still reported, as a warning


async def test_f4_fast_handlers_are_never_reported():
    async with airsrt.ActorSystem(slow_handler_limit=0.05, strict=True) as system:
        refs = [system.spawn(Sleeper) for _ in range(10)]
        for _ in range(2_000):
            for ref in refs:
                ref.tell(Order())
        await asyncio.gather(*(ref.ask(Order()) for ref in refs))
        assert slow_events(system) == []


async def test_f4_the_watchdog_can_be_turned_off():
    before = {t.name for t in threading.enumerate()}
    async with airsrt.ActorSystem(slow_handler_limit=None) as system:
        assert {t.name for t in threading.enumerate()} == before  # no watchdog thread
        assert await system.spawn(Sleeper).ask(Nap(0.12)) == "rested"
        assert slow_events(system) == []
    with pytest.raises(airsrt.ConfigurationError, match="slow_handler_limit"):
        airsrt.ActorSystem(slow_handler_limit=0)


def test_f4_strict_fixture_fails_the_test(pytester):
    pytester.makepyfile(
        """
        import time
        import airsrt

        class Worker(airsrt.Actor):
            @airsrt.handler
            def handle(self, msg: str) -> None:
                time.sleep(0.3)

        async def test_blocks(actor_system):
            actor_system.spawn(Worker).tell("Order")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*handlers blocked the event loop*Worker#1 handling str*"])
