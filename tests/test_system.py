"""The actor system: start, shutdown (order, deadline, idempotence), directory, stats, events."""

import asyncio
import logging
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import Actor, handler
from airsrt.testing import check_ledger


@dataclass(frozen=True)
class Hold:
    seconds: float


class Get(airsrt.Message[int]):
    pass


class Node(Actor):
    def __init__(self, log: list, name: str, children: tuple = ()) -> None:
        self.log = log
        self.label = name
        for child in children:
            self.context.spawn(Node, log, child[0], child[1])

    def on_stop(self) -> None:
        self.log.append(self.label)

    @handler
    async def hold(self, msg: Hold) -> str:
        await asyncio.sleep(msg.seconds)
        return "done"

    @handler
    def get(self, msg: Get) -> int:
        return 1


async def test_shutdown_stops_children_first_in_reverse_start_order():
    log: list[str] = []
    async with airsrt.ActorSystem() as system:
        system.spawn(Node, log, "a", (("a1", ()), ("a2", (("a2x", ()),))))
        system.spawn(Node, log, "b", (("b1", ()),))
    assert log == ["b1", "b", "a2x", "a2", "a1", "a"]


async def test_shutdown_fails_pending_asks_and_dead_letters_tells():
    async with airsrt.ActorSystem(log_failures=False) as system:
        ref = system.spawn(Node, [], "n")
        running = ref.ask(Hold(0.05))
        await asyncio.sleep(0)
        queued_ask = ref.ask(Get(), timeout=None)
        ref.tell(Get())
    assert await running == "done"  # the handler in flight got its grace
    with pytest.raises(airsrt.ActorStoppedError, match="reason: shutdown"):
        await queued_ask
    assert [(d.message, d.reason) for d in system.dead_letters.recent()] == [(Get(), "shutdown")] or [
        d.reason for d in system.dead_letters.recent()
    ] == ["shutdown"]
    check_ledger(system)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_after_shutdown_everything_says_not_running():
    system = airsrt.ActorSystem()
    async with system:
        ref = system.spawn(Node, [], "n")
    with pytest.raises(airsrt.SystemNotRunningError, match="shut down"):
        system.spawn(Node, [], "m")
    with pytest.raises(airsrt.SystemNotRunningError):
        ref.tell(Get())
    with pytest.raises(airsrt.SystemNotRunningError):
        ref.ask(Get())
    with pytest.raises(airsrt.SystemNotRunningError):
        system.start()


async def test_shutdown_is_idempotent_and_concurrent_calls_share_it():
    system = airsrt.ActorSystem()
    system.start()
    ref = system.spawn(Node, [], "n")
    ref.tell(Hold(0.02))
    results = await asyncio.gather(*(system.shutdown() for _ in range(20)))
    assert results == [None] * 20
    await system.shutdown()
    assert not system.is_running and not ref.is_alive


@pytest.mark.virtual_time
async def test_shutdown_deadline_names_abandoned_actor():
    class Stubborn(Actor):
        @handler
        async def hold(self, msg: Hold) -> None:
            while True:
                try:
                    await asyncio.sleep(msg.seconds)
                except asyncio.CancelledError:
                    pass

    system = airsrt.ActorSystem(log_failures=False)
    system.start()
    system.spawn(Node, [], "fine")
    system.spawn(Stubborn, name="stubborn").tell(Hold(10))
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(airsrt.ShutdownTimeoutError) as info:
        await system.shutdown(timeout=1.0)
    assert loop.time() - start <= 1.0 + 1e-3
    assert info.value.abandoned == ["stubborn"]
    assert "stubborn" in str(info.value) and "CancelledError" in str(info.value)


@pytest.mark.virtual_time
async def test_leaving_async_with_never_raises_over_the_body(caplog):
    class Stubborn(Actor):
        @handler
        async def hold(self, msg: Hold) -> None:
            while True:
                try:
                    await asyncio.sleep(msg.seconds)
                except asyncio.CancelledError:
                    pass

    with pytest.raises(KeyError, match="body"):
        async with airsrt.ActorSystem(log_failures=False, stop_timeout=0.1, kill_timeout=0.1) as system:
            system.spawn(Stubborn, name="stubborn").tell(Hold(10))
            await asyncio.sleep(0)
            raise KeyError("body")
    assert any("stubborn" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


async def test_spawn_outside_a_loop_is_a_clear_error():
    system = airsrt.ActorSystem()

    def sync_spawn() -> None:
        system.spawn(Node, [], "n")

    # From a thread with no running loop.
    error = await asyncio.to_thread(_capture, sync_spawn)
    assert isinstance(error, airsrt.SystemNotRunningError)
    assert "async with ActorSystem()" in str(error)


def _capture(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - returned for inspection
        return error
    return None


async def test_spawn_before_start_raises_and_says_how_to_start():
    # docs/reliability.md (misuse 10): a system that was never started is not started behind
    # the user's back; every way to spawn says how to start it.
    system = airsrt.ActorSystem()
    how = r"async with ActorSystem\(\) as system:.*system\.start\(\)"
    with pytest.raises(airsrt.SystemNotRunningError, match=how):
        system.spawn(Node, [], "n")
    with pytest.raises(airsrt.SystemNotRunningError, match=how):
        system.spawn_pool(Node, [], "n", size=2)
    with pytest.raises(airsrt.SystemNotRunningError, match=how):
        await system.spawn_supervisor(airsrt.OneForOne(), [airsrt.ChildSpec("n", Node, [], "n")])
    assert not system.is_running and system.actors() == [] and system.stats().spawned == 0
    system.start()
    ref = system.spawn(Node, [], "n")
    assert system.is_running and await ref.ask(Get()) == 1
    await system.shutdown()
    with pytest.raises(airsrt.SystemNotRunningError, match="shut down"):
        system.spawn(Node, [], "n")


async def test_lookup_actors_and_stats(actor_system):
    a = actor_system.spawn(Node, [], "a", (("child", ()),), name="a")
    b = actor_system.spawn(Node, [], "b", name="b")
    assert actor_system.lookup("a") is a and actor_system.lookup("nope") is None
    names = [r.name for r in actor_system.actors()]
    assert names[0] == "a" and names[2] == "b" and len(names) == 3
    await a.ask(Get())
    b.tell(Get())
    stats = actor_system.stats()
    assert stats.actors == 3 and stats.spawned == 3 and stats.sent == 2
    assert a.stats().processed == 1


async def test_configuration_errors():
    with pytest.raises(airsrt.ConfigurationError, match="throughput"):
        airsrt.ActorSystem(throughput=0)
    with pytest.raises(airsrt.ConfigurationError, match="ask_timeout"):
        airsrt.ActorSystem(ask_timeout=-1)
    with pytest.raises(airsrt.ConfigurationError, match="default_mailbox"):
        airsrt.ActorSystem(default_mailbox=10)
    with pytest.raises(airsrt.ConfigurationError, match="name"):
        airsrt.ActorSystem(name="")


async def test_ask_timeout_default_comes_from_the_system():
    async with airsrt.ActorSystem(ask_timeout=0.01, log_failures=False) as system:
        ref = system.spawn(Node, [], "n")
        with pytest.raises(airsrt.AskTimeoutError, match="within 0.01s"):
            await ref.ask(Hold(1))


async def test_events_are_counted_built_for_subscribers_and_kept(actor_system):
    seen = []
    subscription = actor_system.events.subscribe(seen.append, min_severity=airsrt.Severity.DEBUG)
    ref = actor_system.spawn(Node, [], "n", name="evented")
    await ref.stop()
    subscription.cancel()
    actor_system.spawn(Node, [], "m")
    kinds = [e.kind for e in seen]
    assert kinds == ["actor.spawned", "actor.started", "actor.stopped"]
    assert all(e.actor == "evented" for e in seen)
    snapshot = actor_system.events.snapshot()
    assert snapshot["actor.spawned"] == 2 and snapshot["actor.stopped"] == 1
    assert snapshot["DEBUG"] == 4 and snapshot["INFO"] >= 2
    recent = [e.kind for e in actor_system.events.recent()]
    assert "actor.stopped" in recent and "actor.spawned" not in recent  # history keeps INFO+


async def test_event_subscriber_errors_do_not_break_delivery(actor_system, caplog):
    seen = []

    def broken(event):
        raise RuntimeError("subscriber bug")

    actor_system.events.subscribe(broken)
    actor_system.events.subscribe(seen.append)
    ref = actor_system.spawn(Node, [], "n")
    await ref.stop()
    assert [e.kind for e in seen] == ["actor.stopped"]
    assert "subscriber bug" in caplog.text


async def test_events_to_an_actor(actor_system):
    class Sink(Actor):
        def __init__(self, got: list) -> None:
            self.got = got

        @handler
        def event(self, msg: airsrt.Event) -> None:
            self.got.append(msg.kind)

    got: list[str] = []
    sink = actor_system.spawn(Sink, got)
    actor_system.events.subscribe(sink)
    ref = actor_system.spawn(Node, [], "n")
    await ref.stop()
    await asyncio.sleep(0)
    assert got == ["actor.stopped"]
    with pytest.raises(airsrt.UnhandledMessageError, match="Event"):
        actor_system.events.subscribe(ref)


async def test_dead_letters_count_and_recent(actor_system):
    ref = actor_system.spawn(Node, [], "n")
    await ref.stop()
    for _ in range(3):
        ref.tell(Get())
    assert actor_system.dead_letters.count == 3
    assert [d.reason for d in actor_system.dead_letters.recent()] == ["stopped"] * 3
