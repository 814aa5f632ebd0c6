"""Actor timers: once, repeat, keys, cancellation (including queued ticks), stop and restart."""

import asyncio
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import Actor, ErrorAction, handler


@dataclass(frozen=True)
class Tick:
    name: str


@dataclass(frozen=True)
class Schedule:
    delay: float
    tick: Tick
    key: object = None
    repeat: bool = False


class CancelAll:
    pass


class Crash:
    pass


class Ticks(airsrt.Message[list]):
    pass


class Clock(Actor):
    error_action = ErrorAction.RESTART

    def __init__(self, log: list) -> None:
        self.log = log
        self.timers: list[airsrt.Timer] = []

    @handler
    def schedule(self, msg: Schedule) -> airsrt.Timer:
        loop_time = asyncio.get_running_loop().time
        if msg.repeat:
            timer = self.context.schedule_repeat(msg.delay, msg.tick, key=msg.key)
        else:
            timer = self.context.schedule_once(msg.delay, msg.tick, key=msg.key)
        self.timers.append(timer)
        self.start = loop_time()
        return timer

    @handler
    def tick(self, msg: Tick) -> None:
        self.log.append((msg.name, round(asyncio.get_running_loop().time(), 6)))

    @handler
    def cancel_all(self, msg: CancelAll) -> None:
        for timer in self.timers:
            timer.cancel()

    @handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("restart me")

    @handler
    def ticks(self, msg: Ticks) -> list:
        return list(self.log)


@pytest.mark.virtual_time
async def test_schedule_once_fires_once_at_its_time(actor_system):
    log = []
    ref = actor_system.spawn(Clock, log)
    t0 = asyncio.get_running_loop().time()
    timer = await ref.ask(Schedule(0.5, Tick("a")))
    assert timer.active
    await asyncio.sleep(2)
    assert [name for name, _ in log] == ["a"]
    assert log[0][1] == pytest.approx(t0 + 0.5, abs=1e-3)
    assert not timer.active


@pytest.mark.virtual_time
async def test_schedule_repeat_keeps_a_fixed_rate(actor_system):
    log = []
    ref = actor_system.spawn(Clock, log)
    t0 = asyncio.get_running_loop().time()
    await ref.ask(Schedule(0.25, Tick("r"), repeat=True))
    await asyncio.sleep(1.01)
    times = [t - t0 for _, t in log]
    assert times == pytest.approx([0.25, 0.5, 0.75, 1.0], abs=1e-3)
    await ref.ask(CancelAll())
    await asyncio.sleep(1)
    assert len(log) == 4


@pytest.mark.virtual_time
async def test_key_replaces_the_previous_timer(actor_system):
    log = []
    ref = actor_system.spawn(Clock, log)
    first = await ref.ask(Schedule(1.0, Tick("first"), key="k"))
    await ref.ask(Schedule(0.5, Tick("second"), key="k"))
    await asyncio.sleep(2)
    assert [name for name, _ in log] == ["second"]
    assert not first.active


async def test_cancel_drops_a_tick_already_queued(actor_system):
    log = []
    release = asyncio.Event()

    class Busy(Clock):
        @handler
        async def wait(self, msg: asyncio.Event) -> None:
            await msg.wait()

    ref = actor_system.spawn(Busy, log)
    # The tick is due a little later, so that the actor is busy when it fires even if the ask
    # (and with it the timer) did not run at once (a delay of 0 could fire before the release).
    timer = await ref.ask(Schedule(0.05, Tick("queued")))
    ref.tell(release)  # the actor gets busy; the tick fires and queues behind it
    async with asyncio.timeout(10):  # a failure, not a hang, if it never does
        while not (ref.stats().state == "BUSY" and ref.mailbox_size() == 1):
            await asyncio.sleep(0.001)
    timer.cancel()
    release.set()
    assert await ref.ask(Ticks()) == []  # the tick was dropped, not handled
    assert actor_system.stats().withdrawn == 1


@pytest.mark.virtual_time
async def test_timers_are_cancelled_on_stop_and_restart(actor_system):
    log = []
    ref = actor_system.spawn(Clock, log)
    await ref.ask(Schedule(1.0, Tick("before-restart")))
    ref.tell(Crash())
    await asyncio.sleep(2)
    assert log == [] and ref.incarnation == 2
    await ref.ask(Schedule(1.0, Tick("before-stop")))
    await ref.stop()
    await asyncio.sleep(2)
    assert log == []


async def test_timer_argument_errors(actor_system):
    class Bad(Actor):
        error_action = ErrorAction.RESUME

        @handler
        def go(self, msg: Schedule) -> None:
            if msg.repeat:
                self.context.schedule_repeat(msg.delay, msg.tick)
            else:
                self.context.schedule_once(msg.delay, msg.tick)

    ref = actor_system.spawn(Bad)
    with pytest.raises(ValueError, match="delay must be finite and >= 0"):
        await ref.ask(Schedule(-1, Tick("x")))
    with pytest.raises(ValueError, match="interval must be finite and > 0"):
        await ref.ask(Schedule(0, Tick("x"), repeat=True))
    with pytest.raises(airsrt.HandlerError) as info:
        await ref.ask(Schedule(1, Tick("unhandled")))
    assert isinstance(info.value.__cause__, airsrt.UnhandledMessageError)
