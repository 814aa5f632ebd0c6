"""The controllable clock (airsrt.testing.clock): time moves only on clock.advance(), or, as
virtual time, jumps to the next timer whenever the loop is idle."""

import asyncio
import time

import pytest

import airsrt
from airsrt import Actor, Backoff, ChildSpec, OneForOne, handler
from airsrt.testing import ClockStalledError, ManualClock, new_manual_loop


class Sleepy(Actor):
    @handler
    async def nap(self, msg: float) -> str:
        await asyncio.sleep(msg)
        return "woke"


class Crash:
    pass


class Worker(Actor):
    starts = 0

    def __init__(self) -> None:
        Worker.starts += 1

    @handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crash")

    @handler
    def ping(self, msg: int) -> int:
        return msg


async def test_timers_and_ask_timeouts_wait_for_advance(clock, actor_system):
    ref = actor_system.spawn(Sleepy)
    reply = ref.ask(5.0, timeout=10)
    await clock.advance(4.9)
    assert not reply.done()
    await clock.advance(0.1)
    assert reply.done() and await reply == "woke"
    late = ref.ask(20.0, timeout=1)
    await clock.advance(1)
    assert late.done()
    with pytest.raises(airsrt.AskTimeoutError):
        await late
    await clock.advance(20)  # the slow handler finishes; its reply is a dead letter
    assert [d.reason for d in actor_system.dead_letters.recent()] == ["late_reply"]


async def test_schedule_repeat_fires_once_per_interval_advanced(clock, actor_system):
    ticks = []

    class Ticker(Actor):
        def on_start(self) -> None:
            self.context.schedule_repeat(1.0, "tick")

        @handler
        def tick(self, msg: str) -> None:
            ticks.append(clock.now)

    ref = actor_system.spawn(Ticker)
    await ref.ready()
    await clock.advance(3.5)
    assert ticks == [1.0, 2.0, 3.0]  # each fired at its own due time


async def test_backoff_restarts_happen_only_when_the_clock_reaches_them(clock, actor_system):
    Worker.starts = 0
    backoff = Backoff(initial=0.5, maximum=4.0)
    sup = await actor_system.spawn_supervisor(
        OneForOne(max_restarts=10, within=60, backoff=backoff), [ChildSpec("w", Worker)]
    )
    child = sup.child("w")
    child.tell(Crash())
    await clock.advance(0.49)
    assert Worker.starts == 1  # still waiting out its backoff
    await clock.advance(0.01)
    assert Worker.starts == 2
    assert await child.ask(7) == 7


async def test_supervision_window_counts_restarts_in_manual_time(clock, actor_system):
    sup = await actor_system.spawn_supervisor(
        OneForOne(max_restarts=1, within=10), [ChildSpec("w", Worker)]
    )
    child = sup.child("w")
    child.tell(Crash())
    await clock.advance(10.5)  # the first restart has left the window
    child.tell(Crash())
    await clock.advance(0)
    assert sup.is_alive and await child.ask(1) == 1


async def test_a_loop_waiting_on_its_clock_fails_instead_of_hanging(clock):
    clock.stall_after = 0.2
    with pytest.raises(ClockStalledError, match=r"clock.advance"):
        await asyncio.sleep(5)


def test_advance_validation_and_binding():
    clock = ManualClock(start=100.0)
    with pytest.raises(RuntimeError, match="new_manual_loop"):
        asyncio.run(clock.advance(1))
    loop = new_manual_loop(clock)
    try:
        assert loop.time() == 100.0
        with pytest.raises(ValueError, match=">= 0"):
            loop.run_until_complete(clock.advance(-1))
        loop.run_until_complete(clock.advance(2.5))
        assert loop.time() == 102.5
    finally:
        loop.close()


def test_virtual_time_jumps_to_the_next_timer_when_the_loop_is_idle():
    clock = ManualClock(auto_advance=True)
    loop = new_manual_loop(clock)

    async def main() -> None:
        await asyncio.sleep(3600)
        async with asyncio.timeout(5):
            await asyncio.Event().wait()

    try:
        with pytest.raises(TimeoutError):
            loop.run_until_complete(main())
        assert clock.now == 3605
    finally:
        loop.close()


@pytest.mark.virtual_time
async def test_the_clock_fixture_under_virtual_time(clock):
    assert clock.auto_advance and asyncio.get_running_loop().clock is clock
    await asyncio.sleep(10)
    assert clock.now == 10
    await clock.advance(5)
    assert clock.now == 15


@pytest.mark.virtual_time
async def test_virtual_time_waits_for_executor_threads_in_real_time():
    loop = asyncio.get_running_loop()
    timer = loop.call_later(3600, lambda: None)
    assert await asyncio.to_thread(lambda: time.sleep(0.05) or "slept") == "slept"
    # It moved on by the real time waited for the thread, not to the timer.
    assert 0 < loop.time() < 3600
    timer.cancel()


async def test_a_manual_clock_waits_for_executor_threads_without_stalling(clock):
    clock.stall_after = 0.05
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, lambda: time.sleep(0.2) or "slept") == "slept"
    assert clock.now == 0


@pytest.mark.virtual_time
async def test_virtual_time_with_nothing_left_to_wait_for_stalls_clearly():
    asyncio.get_running_loop().clock.stall_after = 0.1
    with pytest.raises(ClockStalledError, match="no timer is pending"):
        await asyncio.Event().wait()
