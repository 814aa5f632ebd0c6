"""Lifecycle: start, failure actions, restart, stop protocol, children, watch."""

import asyncio
import weakref
from dataclasses import dataclass, field

import pytest

import airsrt
from airsrt import Actor, ErrorAction, handler
from airsrt.testing import TestProbe


@dataclass
class Note:
    text: str


@dataclass
class Crash:
    error: BaseException = field(default_factory=lambda: RuntimeError("crash"))


class Count(airsrt.Message[int]):
    pass


@dataclass
class Hold:
    seconds: float


class Journal:
    """Records lifecycle calls across incarnations."""

    def __init__(self) -> None:
        self.lines: list[str] = []


class Lively(Actor):
    def __init__(self, journal: Journal, tag: str = "x", async_hooks: bool = False) -> None:
        self.journal = journal
        self.tag = tag
        self.count = 0
        journal.lines.append(f"init {tag}")

    def on_start(self) -> None:
        self.journal.lines.append(f"start {self.tag}")

    def on_stop(self) -> None:
        self.journal.lines.append(f"stop {self.tag}")

    @handler
    def note(self, msg: Note) -> int:
        self.count += 1
        return self.count

    @handler
    def crash(self, msg: Crash) -> None:
        raise msg.error

    @handler
    def get(self, msg: Count) -> int:
        return self.count

    @handler
    async def hold(self, msg: Hold) -> str:
        await asyncio.sleep(msg.seconds)
        return "held"


class AsyncHooks(Lively):
    async def on_start(self) -> None:
        await asyncio.sleep(0.01)
        self.journal.lines.append(f"start {self.tag}")

    async def on_stop(self) -> None:
        await asyncio.sleep(0.01)
        self.journal.lines.append(f"stop {self.tag}")


@pytest.mark.parametrize("cls", [Lively, AsyncHooks], ids=["sync", "async"])
async def test_on_start_before_first_message_and_on_stop_once(actor_system, cls):
    journal = Journal()
    ref = actor_system.spawn(cls, journal)
    ref.tell(Note("a"))
    assert await ref.ask(Count()) == 1
    await ref.ready()
    assert journal.lines == ["init x", "start x"]
    await ref.stop()
    await ref.stop()  # idempotent
    assert journal.lines == ["init x", "start x", "stop x"]
    assert not ref.is_alive


@pytest.mark.parametrize("async_start", [False, True])
async def test_start_failure(actor_system, async_start):
    class Broken(Actor):
        if async_start:

            async def on_start(self) -> None:
                await asyncio.sleep(0)
                raise KeyError("cfg")
        else:

            def on_start(self) -> None:
                raise KeyError("cfg")

        def on_stop(self) -> None:  # pragma: no cover - must not run
            raise AssertionError("on_stop ran for an actor that never started")

        @handler
        def note(self, msg: Note) -> str:
            return "handled"

    ref = actor_system.spawn(Broken, name="broken")
    ref.tell(Note("queued tell"))
    ask = ref.ask(Note("queued ask"))
    with pytest.raises(airsrt.ActorStartError, match="broken.on_start raised KeyError") as info:
        await ref.ready()
    assert isinstance(info.value.__cause__, KeyError)
    with pytest.raises(airsrt.ActorStartError):
        await ask
    await asyncio.sleep(0)
    assert not ref.is_alive
    letters = [d for d in actor_system.dead_letters.recent() if d.reason == "start_failed"]
    assert [d.message for d in letters] == [Note("queued tell")]


async def test_resume_keeps_state(actor_system):
    class Resilient(Lively):
        error_action = ErrorAction.RESUME

    journal = Journal()
    ref = actor_system.spawn(Resilient, journal)
    ref.tell(Note("1"))
    ref.tell(Crash())
    ref.tell(Note("2"))
    assert await ref.ask(Count()) == 2
    assert ref.stats().failed == 1 and ref.is_alive


async def test_restart_gives_fresh_state_keeps_mailbox_and_ref(actor_system):
    class Restarting(Lively):
        error_action = ErrorAction.RESTART

    journal = Journal()
    ref = actor_system.spawn(Restarting, journal, "r")
    ref.tell(Note("1"))
    ref.tell(Crash())
    ref.tell(Note("2"))  # queued behind the crash: survives the restart
    assert await ref.ask(Count()) == 1
    assert ref.incarnation == 2
    assert ref.stats().restarts == 1
    assert journal.lines == ["init r", "start r", "stop r", "init r", "start r"]
    assert actor_system.lookup("x") is None


async def test_restart_during_ask_fails_that_ask_only(actor_system):
    class Restarting(Lively):
        error_action = ErrorAction.RESTART

    ref = actor_system.spawn(Restarting, Journal())
    with pytest.raises(RuntimeError, match="crash"):
        await ref.ask(Crash())
    assert await ref.ask(Note("after")) == 1


async def test_stop_action_is_normal_exit(actor_system):
    class Quitter(Lively):
        error_action = ErrorAction.STOP

    probe = TestProbe(actor_system)
    ref = actor_system.spawn(Quitter, Journal())
    probe.ref.tell(ref)  # not a watch: just keep the probe busy-free
    await probe.expect(airsrt.ActorRef)

    class Watcher(Actor):
        def __init__(self) -> None:
            self.context.watch(ref)

        @handler
        def terminated(self, msg: airsrt.Terminated) -> None:
            probe.ref.tell(msg)

    actor_system.spawn(Watcher)
    ref.tell(Crash())
    notice = await probe.expect(airsrt.Terminated)
    assert notice.ref is ref and notice.reason == "normal"
    assert isinstance(notice.error, RuntimeError)


async def test_escalate_under_default_guardian_stops_and_emits_failed(actor_system):
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.ERROR)
    ref = actor_system.spawn(Lively, Journal(), name="esc")
    ref.tell(Crash(ValueError("boom")))
    await asyncio.sleep(0)
    assert not ref.is_alive
    assert [e.kind for e in events] == ["actor.failed"]
    assert events[0].actor == "esc" and "boom" in events[0].details["error"]


async def test_on_error_decides_per_failure_and_raising_on_error_escalates(actor_system):
    class Choosy(Lively):
        def on_error(self, error, msg):
            if isinstance(error, KeyError):
                return ErrorAction.RESUME
            if isinstance(error, ValueError):
                raise RuntimeError("on_error itself broke")
            return ErrorAction.RESTART

    ref = actor_system.spawn(Choosy, Journal())
    ref.tell(Note("1"))
    ref.tell(Crash(KeyError("k")))
    assert await ref.ask(Count()) == 1  # resumed
    ref.tell(Crash(TypeError("t")))
    assert await ref.ask(Count()) == 0  # restarted
    assert ref.incarnation == 2
    ref.tell(Crash(ValueError("v")))
    await asyncio.sleep(0)
    assert not ref.is_alive  # escalated to the guardian, which stops it


async def test_guardian_restart_intensity_gives_up(actor_system):
    class Restarting(Lively):
        error_action = ErrorAction.RESTART

    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.CRITICAL)
    ref = actor_system.spawn(Restarting, Journal())
    for _ in range(4):
        ref.tell(Crash())
    await asyncio.sleep(0)
    assert not ref.is_alive
    assert ref.incarnation == 4  # 3 restarts allowed in 5 s; the 4th failure stops it
    assert [e.kind for e in events] == ["supervisor.restart_limit_exceeded"]


async def test_failure_in_async_handler_goes_through_policy(actor_system):
    class AsyncFail(Actor):
        error_action = ErrorAction.RESTART

        def __init__(self) -> None:
            self.n = 0

        @handler
        async def boom(self, msg: Crash) -> None:
            await asyncio.sleep(0)
            raise msg.error

        @handler
        def count(self, msg: Count) -> int:
            self.n += 1
            return self.n

    ref = actor_system.spawn(AsyncFail)
    await ref.ask(Count())
    with pytest.raises(RuntimeError):
        await ref.ask(Crash())
    assert await ref.ask(Count()) == 1
    assert ref.incarnation == 2


async def test_children_stop_first_in_reverse_start_order(actor_system):
    journal = Journal()

    class Parent(Lively):
        def on_start(self) -> None:
            super().on_start()
            for tag in ("c1", "c2", "c3"):
                self.context.spawn(Lively, self.journal, tag)

    parent = actor_system.spawn(Parent, journal, "p")
    await parent.ready()
    await asyncio.sleep(0)
    assert len(actor_system.actors()) == 4
    await parent.stop()
    stops = [line for line in journal.lines if line.startswith("stop")]
    assert stops == ["stop c3", "stop c2", "stop c1", "stop p"]
    assert actor_system.actors() == []


async def test_restart_stops_children_of_the_old_incarnation(actor_system):
    journal = Journal()

    class Parent(Lively):
        error_action = ErrorAction.RESTART

        def on_start(self) -> None:
            super().on_start()
            self.context.spawn(Lively, self.journal, f"child-of-{self.context.ref.incarnation}")

    parent = actor_system.spawn(Parent, journal, "p")
    await asyncio.sleep(0)
    parent.tell(Crash())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert "stop child-of-1" in journal.lines
    names = [a.name for a in actor_system.actors()]
    assert len(names) == 2 and parent.incarnation == 2


async def test_context_stop_after_current_message(actor_system):
    class Once(Actor):
        def __init__(self) -> None:
            self.seen = []

        @handler
        def note(self, msg: Note) -> list:
            self.seen.append(msg.text)
            self.context.stop()
            return list(self.seen)

    ref = actor_system.spawn(Once)
    ref.tell(Note("a"))
    ref.tell(Note("b"))
    await asyncio.sleep(0)
    assert not ref.is_alive
    assert [d.message.text for d in actor_system.dead_letters.recent()] == ["b"]


async def test_stop_drain_handles_queued_then_refuses_new(actor_system):
    ref = actor_system.spawn(Lively, Journal())
    ref.tell(Hold(0.01))
    for i in range(5):
        ref.tell(Note(str(i)))
    stopping = asyncio.ensure_future(ref.stop(drain=True))
    await asyncio.sleep(0)
    ref.tell(Note("late"))
    await stopping
    assert ref.stats().processed == 6
    assert [d.message.text for d in actor_system.dead_letters.recent()] == ["late"]


async def test_stop_without_drain_dead_letters_and_fails_queued(actor_system):
    ref = actor_system.spawn(Lively, Journal())
    ref.tell(Hold(0.01))
    await asyncio.sleep(0)  # Hold is running: the stop waits for it, not for what is queued
    ref.tell(Note("queued"))
    ask = ref.ask(Count())
    await ref.stop()
    assert [d.message for d in actor_system.dead_letters.recent()] == [Note("queued")]
    with pytest.raises(airsrt.ActorStoppedError):
        await ask


@pytest.mark.virtual_time
async def test_stop_grace_then_cancel_kills_without_on_stop(actor_system):
    journal = Journal()
    ref = actor_system.spawn(Lively, journal)
    ask = ref.ask(Hold(10.0))
    await asyncio.sleep(0)  # the async handler starts on the next loop iteration
    loop = asyncio.get_running_loop()
    start = loop.time()
    await ref.stop(timeout=0.5)
    assert loop.time() - start == pytest.approx(0.5, abs=1e-3)
    assert "stop x" not in journal.lines  # killed: on_stop skipped
    with pytest.raises(airsrt.ActorStoppedError, match="killed"):
        await ask


@pytest.mark.virtual_time
async def test_handler_finishing_within_grace_gets_on_stop(actor_system):
    journal = Journal()
    ref = actor_system.spawn(Lively, journal)
    ask = ref.ask(Hold(0.2))
    await asyncio.sleep(0)
    await ref.stop(timeout=1.0)
    assert await ask == "held"
    assert journal.lines[-1] == "stop x"


@pytest.mark.virtual_time
async def test_handler_swallowing_cancellation_is_abandoned_and_named():
    async with airsrt.ActorSystem(log_failures=False, kill_timeout=0.2) as system:

        class Stubborn(Actor):
            @handler
            async def hold(self, msg: Hold) -> str:
                while True:
                    try:
                        await asyncio.sleep(msg.seconds)
                    except asyncio.CancelledError:
                        pass

        events = []
        system.events.subscribe(events.append, min_severity=airsrt.Severity.ERROR)
        ref = system.spawn(Stubborn, name="stubborn")
        ask = ref.ask(Hold(1.0), timeout=None)
        await asyncio.sleep(0)
        await ref.stop(timeout=0.1)
        assert not ref.is_alive
        with pytest.raises(airsrt.ActorStoppedError):
            await ask
        assert [e.kind for e in events] == ["actor.abandoned"]
        with pytest.raises(airsrt.ShutdownTimeoutError) as info:
            await system.shutdown()
        assert info.value.abandoned == ["stubborn"]


async def test_stopped_instance_is_released_while_ref_lives(actor_system):
    ref = actor_system.spawn(Lively, Journal())
    instance = weakref.ref(ref._actor)
    await ref.stop()
    assert instance() is None
    assert ref.name.startswith("Lively#") and not ref.is_alive


async def test_watch_delivers_terminated_and_watching_dead_actor_at_once(actor_system):
    probe = TestProbe(actor_system)
    target = actor_system.spawn(Lively, Journal(), name="target")

    class Watcher(Actor):
        @handler
        def watch(self, msg: airsrt.ActorRef) -> None:
            self.context.watch(msg)

        @handler
        def terminated(self, msg: airsrt.Terminated) -> None:
            probe.ref.tell(msg)

    watcher = actor_system.spawn(Watcher)
    await watcher.ask(target)
    await target.stop()
    notice = await probe.expect(airsrt.Terminated)
    assert notice.ref is target and notice.reason == "normal"
    await watcher.ask(target)  # already dead: delivered at once
    notice = await probe.expect(airsrt.Terminated)
    assert notice.ref is target


async def test_unwatch_prevents_terminated(actor_system):
    probe = TestProbe(actor_system)
    target = actor_system.spawn(Lively, Journal())

    class Watcher(Actor):
        def __init__(self) -> None:
            self.context.watch(target)
            self.context.unwatch(target)

        @handler
        def terminated(self, msg: airsrt.Terminated) -> None:
            probe.ref.tell(msg)

    actor_system.spawn(Watcher)
    await target.stop()
    await probe.expect_no_message(0.01)


async def test_watch_without_terminated_handler_is_an_error(actor_system):
    target = actor_system.spawn(Lively, Journal())

    class Careless(Actor):
        @handler
        def watch(self, msg: airsrt.ActorRef) -> None:
            self.context.watch(msg)

    careless = actor_system.spawn(Careless, name="careless")
    with pytest.raises(airsrt.HandlerError) as info:
        await careless.ask(target)
    assert isinstance(info.value.__cause__, airsrt.UnhandledMessageError)
    assert "careless watches Lively#1 but has no handler for airsrt.Terminated" in str(
        info.value.__cause__
    )


async def test_name_is_free_again_after_stop(actor_system):
    ref = actor_system.spawn(Lively, Journal(), name="solo")
    with pytest.raises(airsrt.NameTakenError, match="solo"):
        actor_system.spawn(Lively, Journal(), name="solo")
    assert actor_system.lookup("solo") is ref
    await ref.stop()
    assert actor_system.lookup("solo") is None
    again = actor_system.spawn(Lively, Journal(), name="solo")
    assert again is not ref and actor_system.lookup("solo") is again


async def test_ready_waits_for_async_on_start(actor_system):
    journal = Journal()
    ref = actor_system.spawn(AsyncHooks, journal)
    assert journal.lines == ["init x"]
    await ref.ready()
    assert journal.lines == ["init x", "start x"]
