"""Actor patterns: pipe_to_self, stash/unstash_all, receive timeout; and message options:
time-to-live and priority."""

import asyncio
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import airsrt
from airsrt import Actor, ErrorAction, Mailbox, Priority, handler
from airsrt.testing import TestProbe


@dataclass(frozen=True)
class Fetch:
    value: object
    fail: bool = False


@dataclass(frozen=True)
class Fetched:
    outcome: object


class Log(airsrt.Message[list]):
    pass


# -- pipe_to_self ----------------------------------------------------------------------------


class Piper(Actor):
    def __init__(self) -> None:
        self.log: list = []

    @handler
    def fetch(self, msg: Fetch) -> str:
        async def work():
            await asyncio.sleep(0.01)
            if msg.fail:
                raise LookupError(msg.value)
            return msg.value

        self.context.pipe_to_self(work(), Fetched)
        return "started"

    @handler
    def fetched(self, msg: Fetched) -> None:
        self.log.append(msg.outcome)

    @handler
    def log_of(self, msg: Log) -> list:
        return list(self.log)


async def test_pipe_to_self_delivers_result_or_exception(actor_system):
    ref = actor_system.spawn(Piper)
    assert await ref.ask(Fetch(1)) == "started"
    await ref.ask(Fetch("x", fail=True))
    assert await ref.ask(Log()) == []  # the mailbox was not blocked meanwhile
    await asyncio.sleep(0.05)
    log = await ref.ask(Log())
    assert log[0] == 1 and isinstance(log[1], LookupError)


async def test_pipe_to_self_is_cancelled_with_the_actor(actor_system):
    ref = actor_system.spawn(Piper)
    await ref.ask(Fetch(1))
    task = next(iter(ref._extra.pipes))
    await ref.stop()
    await asyncio.sleep(0)
    assert task.cancelled()


# -- stash -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Open:
    pass


@dataclass(frozen=True)
class Work(airsrt.Message[str]):
    n: int


class Door(Actor):
    """Stashes work until it is opened, then handles it in the original order."""

    stash_capacity = 5

    def __init__(self) -> None:
        self.open = False
        self.done: list[int] = []

    @handler
    def work(self, msg: Work) -> str:
        if not self.open:
            self.context.stash(msg)
            return "stashed (never seen by the asker)"
        self.done.append(msg.n)
        return f"done {msg.n}"

    @handler
    async def slow_work(self, msg: int) -> str:
        if not self.open:
            self.context.stash(msg)
            return "stashed"
        await asyncio.sleep(0)
        self.done.append(msg)
        return f"done {msg}"

    @handler
    def open_(self, msg: Open) -> int:
        self.open = True
        return self.context.unstash_all()

    @handler
    def log(self, msg: Log) -> list:
        return list(self.done)


async def test_stash_and_unstash_keep_order_and_asks(actor_system):
    ref = actor_system.spawn(Door)
    ref.tell(Work(1))
    ask = ref.ask(Work(2))
    ask_async = ref.ask(3)
    ref.tell(Work(4))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not ask.done() and not ask_async.done()  # stashed asks stay pending
    assert await ref.ask(Open()) == 4
    ref.tell(Work(5))
    assert await ask == "done 2" and await ask_async == "done 3"
    assert await ref.ask(Log()) == [1, 2, 3, 4, 5]
    assert actor_system.stats().handled >= 7


async def test_stash_overflow_and_misuse(actor_system):
    class Misuse(Door):
        error_action = ErrorAction.RESUME

        @handler
        def log(self, msg: Log) -> list:
            self.context.stash(Work(99))  # not the message being handled
            return []

    ref = actor_system.spawn(Misuse)
    for i in range(5):
        ref.tell(Work(i))
    with pytest.raises(airsrt.HandlerError) as info:  # an AirsrtError from a handler is wrapped
        await ref.ask(Work(5))
    assert isinstance(info.value.__cause__, airsrt.StashOverflowError)
    assert "stash is full (5 messages)" in str(info.value.__cause__)
    with pytest.raises(ValueError, match="keeps the message being handled"):
        await ref.ask(Log())


async def test_stashed_messages_are_settled_when_the_actor_stops(actor_system):
    ref = actor_system.spawn(Door)
    ref.tell(Work(1))
    ask = ref.ask(Work(2))
    await asyncio.sleep(0)
    await ref.stop()
    with pytest.raises(airsrt.ActorStoppedError):
        await ask
    assert [d.message for d in actor_system.dead_letters.recent()] == [Work(1)]


async def test_stashed_messages_survive_a_restart(actor_system):
    class Restartable(Door):
        error_action = ErrorAction.RESTART

        @handler
        def crash(self, msg: Exception) -> None:
            raise msg

    ref = actor_system.spawn(Restartable)
    ref.tell(Work(1))
    ref.tell(RuntimeError("restart"))
    await asyncio.sleep(0)
    assert ref.incarnation == 2
    assert await ref.ask(Log()) == []
    # The restart put it back in the mailbox, the new incarnation stashed it again.
    assert await ref.ask(Open()) == 1
    assert await ref.ask(Log()) == [1]


# -- receive timeout --------------------------------------------------------------------------


@pytest.mark.virtual_time
async def test_receive_timeout_fires_when_idle_and_repeats(actor_system):
    probe = TestProbe(actor_system)

    class Sleepy(Actor):
        def __init__(self) -> None:
            self.context.set_receive_timeout(1.0)

        @handler
        def timeout(self, msg: airsrt.ReceiveTimeout) -> None:
            probe.ref.tell(("timeout", round(asyncio.get_running_loop().time(), 3)))

        @handler
        def poke(self, msg: str) -> None:
            if msg == "off":
                self.context.set_receive_timeout(None)

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    ref = actor_system.spawn(Sleepy)
    assert (await probe.expect(tuple, timeout=5))[1] == pytest.approx(t0 + 1.0, abs=1e-3)
    assert (await probe.expect(tuple, timeout=5))[1] == pytest.approx(t0 + 2.0, abs=1e-3)
    await asyncio.sleep(0.5)
    ref.tell("poke")  # activity restarts the clock
    poked = loop.time()
    assert (await probe.expect(tuple, timeout=5))[1] == pytest.approx(poked + 1.0, abs=1e-3)
    ref.tell("off")
    await probe.expect_no_message(5)


async def test_receive_timeout_needs_a_handler(actor_system):
    class NoHandler(Actor):
        error_action = ErrorAction.RESUME

        @handler
        def set(self, msg: float) -> None:
            self.context.set_receive_timeout(msg)

    ref = actor_system.spawn(NoHandler)
    with pytest.raises(airsrt.HandlerError) as info:
        await ref.ask(1.0)
    assert isinstance(info.value.__cause__, airsrt.UnhandledMessageError)
    with pytest.raises(ValueError):
        await ref.ask(-1.0)


# -- time-to-live ----------------------------------------------------------------------------


class Gate(Actor):
    def __init__(self) -> None:
        self.seen: list = []

    @handler
    async def hold(self, msg: asyncio.Event) -> None:
        await msg.wait()

    @handler
    def item(self, msg: int) -> int:
        self.seen.append(msg)
        return msg

    @handler
    def log(self, msg: Log) -> list:
        return list(self.seen)


@pytest.mark.virtual_time
async def test_expired_messages_are_dead_lettered_and_asks_time_out(actor_system):
    release = asyncio.Event()
    ref = actor_system.spawn(Gate)
    ref.tell(release)
    await asyncio.sleep(0)
    ref.tell(1, ttl=0.5)
    ref.tell(2, ttl=5.0)
    ask = ref.ask(3, ttl=0.5)
    await asyncio.sleep(1.0)
    release.set()
    with pytest.raises(airsrt.AskTimeoutError, match="expired"):
        await ask
    assert await ref.ask(Log()) == [2]
    assert [(d.message, d.reason) for d in actor_system.dead_letters.recent()] == [(1, "expired")]
    with pytest.raises(ValueError, match="ttl"):
        ref.tell(4, ttl=0)


# -- priority -----------------------------------------------------------------------------------


async def test_control_lane_comes_before_every_priority(actor_system):
    release = asyncio.Event()
    ref = actor_system.spawn(Gate, mailbox=Mailbox.priority())
    ref.tell(release)
    await asyncio.sleep(0)
    ref.tell(1, priority=Priority.CRITICAL)
    ref.tell(2, priority=Priority.LOW)
    ref.tell(3, priority=Priority.HIGH)
    stopping = asyncio.ensure_future(ref.stop())  # after the current message, before the rest
    await asyncio.sleep(0)
    release.set()
    await stopping
    # None was handled; they were dead-lettered in the order they would have been handled.
    assert [d.message for d in actor_system.dead_letters.recent()] == [1, 3, 2]


async def test_priority_on_an_ordinary_mailbox_is_a_clear_error(actor_system):
    ref = actor_system.spawn(Gate, name="plain")
    with pytest.raises(airsrt.ConfigurationError, match="plain has no priority mailbox"):
        ref.tell(1, priority=Priority.HIGH)
    prio = actor_system.spawn(Gate, mailbox=Mailbox.priority(levels=2))
    with pytest.raises(ValueError, match="outside"):
        prio.tell(1, priority=Priority.HIGH)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=60))
def test_priority_order_matches_a_stable_sort(priorities):
    async def main() -> list:
        async with airsrt.ActorSystem(log_failures=False) as system:
            release = asyncio.Event()
            ref = system.spawn(Gate, mailbox=Mailbox.priority())
            ref.tell(release)
            await asyncio.sleep(0)
            for index, priority in enumerate(priorities):
                ref.tell(index, priority=Priority(priority))
            release.set()
            while ref.mailbox_size():
                await asyncio.sleep(0)
            return await ref.ask(Log())

    seen = asyncio.run(main())
    expected = sorted(range(len(priorities)), key=lambda i: -priorities[i])  # stable: FIFO ties
    assert seen == expected


async def test_drop_oldest_on_priority_evicts_the_lowest_first(actor_system):
    release = asyncio.Event()
    ref = actor_system.spawn(
        Gate, mailbox=Mailbox.priority(capacity=3, backpressure=airsrt.Backpressure.DROP_OLDEST)
    )
    ref.tell(release)
    await asyncio.sleep(0)
    ref.tell(1, priority=Priority.HIGH)
    ref.tell(2, priority=Priority.LOW)
    ref.tell(3)
    ref.tell(4, priority=Priority.HIGH)  # full: the oldest LOW (2) goes
    release.set()
    while ref.mailbox_size():
        await asyncio.sleep(0)
    assert await ref.ask(Log()) == [1, 4, 3]
    assert [d.message for d in actor_system.dead_letters.recent()] == [2]
