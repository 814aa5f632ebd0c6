"""Typed records (``ref.stats()``, ``system.stats()``, ``pool.stats()``) and the split between the
user's messages (the ledger) and the runtime's own control traffic."""

import asyncio
import dataclasses

import pytest

import airsrt
from airsrt import Actor, ChildSpec, OneForOne, handler
from airsrt.testing import check_ledger


class Work(airsrt.Message[int]):
    def __init__(self, n: int) -> None:
        self.n = n


class Crash:
    pass


class Seen(airsrt.Message[list]):
    pass


class Worker(Actor):
    error_action = airsrt.ErrorAction.ESCALATE

    @handler
    def work(self, msg: Work) -> int:
        return msg.n * 2

    @handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crash on purpose")


class Watcher(Actor):
    """Receives only the runtime's messages (Terminated, ReceiveTimeout, events), and one ask."""

    def __init__(self, target: airsrt.ActorRef) -> None:
        self.seen: list[str] = []
        self.context.watch(target)

    def on_start(self) -> None:
        self.context.set_receive_timeout(0.01)

    @handler
    def terminated(self, msg: airsrt.Terminated) -> None:
        self.seen.append("Terminated")

    @handler
    def idle(self, msg: airsrt.ReceiveTimeout) -> None:
        if "ReceiveTimeout" not in self.seen:
            self.seen.append("ReceiveTimeout")
        self.context.set_receive_timeout(None)

    @handler
    def event(self, msg: airsrt.Event) -> None:
        self.seen.append(msg.kind)

    @handler
    def report(self, msg: Seen) -> list:
        return list(self.seen)


async def _until(condition, what: str, limit: float = 5.0) -> None:
    """Waits (bounded) until `condition()` holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not condition():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.005)


async def test_actor_stats_is_a_frozen_typed_record(actor_system):
    ref = actor_system.spawn(Worker)
    assert await ref.ask(Work(2)) == 4
    stats = ref.stats()
    assert type(stats) is airsrt.ActorStats
    assert (stats.processed, stats.failed, stats.restarts, stats.incarnation) == (1, 0, 0, 1)
    assert (stats.mailbox_size, stats.queued, stats.waiting_senders) == (0, 0, 0)
    assert stats.state == "IDLE" and stats.latency is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.processed = 5  # type: ignore[misc]
    assert not hasattr(stats, "__dict__")  # slotted: a few words per record
    # Not a mapping: indexing it like the old dict is an error, with mypy and at run time.
    with pytest.raises(TypeError, match="not subscriptable"):
        stats["processed"]  # type: ignore[index]
    exported = stats.as_dict()
    assert exported == {
        "processed": 1, "failed": 0, "restarts": 0, "mailbox_size": 0, "queued": 0,
        "waiting_senders": 0, "max_mailbox_size": stats.max_mailbox_size, "incarnation": 1,
        "state": "IDLE", "latency": None,
    }


async def test_system_stats_as_dict_nests_the_control_record(actor_system):
    stats = actor_system.stats()
    assert type(stats) is airsrt.SystemStats and type(stats.control) is airsrt.ControlTraffic
    exported = stats.as_dict()
    assert exported["control"] == {"sent": 0, "handled": 0, "dropped": 0}
    assert set(exported) == {f.name for f in dataclasses.fields(airsrt.SystemStats)}
    assert stats.messages == stats.handled


async def test_the_ledger_counts_the_users_messages_and_control_traffic_apart(actor_system):
    system = actor_system
    events_before = system.events.snapshot()
    sup = await system.spawn_supervisor(OneForOne(), [ChildSpec("w", Worker)])
    worker = sup.child("w")
    watcher = system.spawn(Watcher, worker)
    system.events.subscribe(watcher, min_severity=airsrt.Severity.WARNING)

    # The user's messages: 3 tells, 2 asks, and a tell that crashes the worker (so its
    # supervisor gets a child report and restarts it).
    for n in range(3):
        worker.tell(Work(n))
    assert [await worker.ask(Work(n)) for n in (10, 20)] == [20, 40]
    worker.tell(Crash())
    await _until(lambda: worker.incarnation == 2, "the worker was restarted")
    await _until(lambda: "ReceiveTimeout" in watcher._actor.seen, "the watcher was idle")
    await _until(lambda: system.stats().control.handled >= 3, "the notices were handled")
    assert len(await sup.which_children()) == 1           # a supervisor request: control
    await sup.terminate_child("w")                          # so is this; Terminated follows
    await _until(lambda: "Terminated" in watcher._actor.seen, "the watcher got Terminated")
    assert await watcher.ask(Seen()) == watcher._actor.seen  # one of the user's messages
    seen = await watcher.ask(Seen())                         # and another
    assert {"Terminated", "ReceiveTimeout", "actor.restarted"} <= set(seen)

    stats = system.stats()
    # Exactly what user code sent: 3 + 2 + 1 to the worker, 2 asks to the watcher.
    assert (stats.sent, stats.handled) == (8, 8)
    assert (stats.rejected, stats.dead_letters, stats.returned, stats.withdrawn) == (0, 0, 0, 0)
    assert stats.failures == 1 and stats.restarts == 1
    # The runtime's own messages (child reports, Terminated, ReceiveTimeout, events, the two
    # supervisor requests) are counted apart, and balance on their own (some may still wait).
    control = stats.control
    balance = check_ledger(system)
    assert balance.queued == 0 and balance.stats.sent == 8
    assert control.handled >= 6
    assert control.sent == control.handled + control.dropped + balance.control_queued
    # Per actor, too: the watcher handled two of the user's messages, whatever else it got;
    # the supervisor handled none of the user's.
    assert watcher.stats().processed == 2
    assert sup.stats().processed == 0
    assert system.events.snapshot()["actor.restarted"] == events_before["actor.restarted"] + 1


async def test_a_supervisor_request_its_caller_abandons_is_dropped_not_lost(actor_system):
    gate = asyncio.Event()

    class SlowStart(Actor):
        async def on_start(self) -> None:
            await gate.wait()

        @handler
        def work(self, msg: Work) -> int:
            return msg.n

    sup = await actor_system.spawn_supervisor(OneForOne(), [])
    starting = asyncio.ensure_future(sup.start_child(ChildSpec("slow", SlowStart)))
    await _until(lambda: sup.stats().state == "BUSY", "the supervisor is starting the child")
    before = actor_system.stats().control
    which = asyncio.ensure_future(sup.which_children())
    await asyncio.sleep(0)
    assert sup.mailbox_size() == 1            # queued behind the start
    which.cancel()
    gate.set()
    child = await starting
    assert await child.ask(Work(7)) == 7
    assert [info.id for info in await sup.which_children()] == ["slow"]
    after = actor_system.stats().control
    # start_child's and the two which_children requests were sent; the cancelled one was
    # dropped when its turn came (never handled), the others handled.
    assert after.sent - before.sent == 2 and after.dropped - before.dropped == 1
    assert after.handled - before.handled == 1
    assert which.cancelled()


async def test_a_request_to_a_stopped_supervisor_fails_like_an_ask(actor_system):
    sup = await actor_system.spawn_supervisor(OneForOne(), [ChildSpec("w", Worker)])
    await sup.stop()
    with pytest.raises(airsrt.ActorStoppedError, match="has stopped"):
        await sup.which_children()
    await actor_system.shutdown()
    with pytest.raises(airsrt.SystemNotRunningError, match="which_children"):
        await sup.which_children()
    control = actor_system.stats().control
    assert control.sent == control.handled + control.dropped


async def test_notices_queued_when_an_actor_stops_are_dropped_as_control(actor_system):
    class Busy(Actor):
        @handler
        async def hold(self, msg: asyncio.Event) -> None:
            await msg.wait()

        @handler
        def event(self, msg: airsrt.Event) -> None: ...

    busy = actor_system.spawn(Busy)
    actor_system.events.subscribe(busy)       # events at INFO and above reach it as notices
    busy.tell(asyncio.Event())                # never set: busy until stopped
    await _until(lambda: busy.stats().state == "BUSY", "busy is in its handler")
    await actor_system.spawn(Worker).stop()   # an actor.stopped event, queued for busy
    assert check_ledger(actor_system).control_queued == 1
    before = actor_system.stats()
    await busy.stop(timeout=0)
    stats = actor_system.stats()
    # The queued event was the runtime's message: dropped as control, not a dead letter.
    assert stats.dead_letters == before.dead_letters == 0
    assert actor_system.dead_letters.counts() == {}
    assert stats.control.dropped - before.control.dropped >= 1
    assert stats.control.sent == stats.control.handled + stats.control.dropped


async def test_pool_stats_and_latency_records():
    async with airsrt.ActorSystem(trace_messages=True) as system:
        pool = system.spawn_pool(Worker, size=2)
        for n in range(6):
            await pool.ask(Work(n))
        stats = pool.stats()
        assert stats.processed == 6 and [w.processed for w in stats.workers] == [3, 3]
        latency = stats.workers[0].latency
        assert type(latency) is airsrt.HandlerLatency and latency.count == 3
        exported = stats.as_dict()
        assert exported["workers"][0]["latency"]["count"] == 3
        assert exported["processed"] == 6


class Later(airsrt.Message[None]):
    pass


class Stasher(Actor):
    """Stashes the Terminated notice it gets until told Later."""

    def __init__(self, target: airsrt.ActorRef) -> None:
        self.holding = True
        self.got: list[str] = []
        self.context.watch(target)

    @handler
    def terminated(self, msg: airsrt.Terminated) -> None:
        if self.holding:
            self.context.stash(msg)
        else:
            self.got.append("Terminated")

    @handler
    def later(self, msg: Later) -> None:
        self.holding = False
        self.context.unstash_all()


async def test_a_stashed_notice_is_counted_once_when_it_is_finally_handled(actor_system):
    target = actor_system.spawn(Worker)
    stasher = actor_system.spawn(Stasher, target)
    await target.stop()
    await _until(lambda: actor_system.stats().control.sent == 1 and stasher.mailbox_size() == 0
                 and stasher.stats().state == "IDLE", "the notice arrived and was stashed")
    assert actor_system.stats().control.handled == 0      # stashed: not handled yet
    await stasher.ask(Later())
    await _until(lambda: stasher._actor.got == ["Terminated"], "the notice was handled")
    stats = actor_system.stats()
    assert (stats.control.sent, stats.control.handled, stats.control.dropped) == (1, 1, 0)
    assert (stats.sent, stats.handled) == (1, 1) and stasher.stats().processed == 1
