"""Monitoring: every event kind emitted by a real scenario, per-message tracing and latency,
severity filters, and the Prometheus export."""

import asyncio
import time
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import Actor, Backpressure, ChildSpec, Mailbox, OneForOne, handler
from airsrt._monitoring import KIND_NAMES


@dataclass(frozen=True)
class Boom:
    pass


class Stubborn:
    pass


class Nap:
    pass


class Busy(Actor):
    @handler
    def ping(self, msg: int) -> int:
        return msg

    @handler
    def boom(self, msg: Boom) -> None:
        raise RuntimeError("boom")

    @handler
    def nap(self, msg: Nap) -> None:
        time.sleep(0.05)  # blocks the loop: the watchdog reports it

    @handler
    async def hold(self, msg: asyncio.Event) -> None:
        await msg.wait()

    @handler
    async def stubborn(self, msg: Stubborn) -> None:
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                pass  # swallows cancellation: it will be abandoned


@pytest.mark.virtual_time
async def test_every_event_kind_is_emitted_by_a_real_scenario():
    seen: set[str] = set()
    system = airsrt.ActorSystem(
        log_failures=False, kill_timeout=0.1, trace_messages=True, slow_handler_limit=0.02
    )
    system.events.subscribe(lambda e: seen.add(e.kind), min_severity=airsrt.Severity.TRACE)
    system.start()
    if True:
        # actor.spawned/started/stopped, message.received/processed
        ref = system.spawn(Busy)
        await ref.ask(1)
        await ref.stop()
        # actor.failed, supervisor.*, actor.restarted
        sup = await system.spawn_supervisor(OneForOne(max_restarts=1, within=60), [ChildSpec("c", Busy)])
        sup.child("c").tell(Boom())
        await asyncio.sleep(0.01)
        sup.child("c").tell(Boom())  # exceeds the intensity: limit, escalated
        await asyncio.sleep(0.01)
        # supervisor.health_check_failed
        class Sick(Busy):
            def health_check(self) -> airsrt.Health:
                return airsrt.Health.FAILED

        check = airsrt.HealthCheck(every=1.0, timeout=0.5, threshold=5)
        await system.spawn_supervisor(OneForOne(), [ChildSpec("s", Sick, health=check)])
        await asyncio.sleep(1.5)
        # mailbox.overflow, message.dead_letter, message.expired
        full = system.spawn(Busy, mailbox=Mailbox.bounded(1, Backpressure.DROP_NEWEST))
        full.tell(Stubborn())
        await asyncio.sleep(0)
        full.tell(1, ttl=0.1)
        full.tell(2)
        # broker.*
        subscription = system.broker.subscribe("t", lambda m: 1 / 0)
        system.broker.publish("t", 1)
        subscription.cancel()
        # actor.abandoned (stopping the stuck actor), message.expired (its queued tell)
        await asyncio.sleep(0.2)
        await full.stop(timeout=0.1)
        # actor.slow_handler (the watchdog), mailbox.high_watermark (a 10,000-message backlog)
        with pytest.warns(airsrt.SlowHandlerWarning, match="Busy#.*'s handler for Nap blocked"):
            await system.spawn(Busy).ask(Nap())
        backlog = system.spawn(Busy)
        release = asyncio.Event()
        backlog.tell(release)
        for i in range(10_000):
            backlog.tell(i)
        await asyncio.sleep(0)
        release.set()
    with pytest.raises(airsrt.ShutdownTimeoutError):
        await system.shutdown()  # it reports the actor it had to abandon
    missing = set(KIND_NAMES) - seen - {"message.expired"}  # see test_expired_event
    assert missing == set(), f"never emitted: {sorted(missing)}"


@pytest.mark.virtual_time
async def test_expired_event(actor_system):
    seen = []
    actor_system.events.subscribe(seen.append)
    release = asyncio.Event()

    class Gate(Actor):
        @handler
        async def wait(self, msg: asyncio.Event) -> None:
            await msg.wait()

        @handler
        def item(self, msg: int) -> None:
            pass

    ref = actor_system.spawn(Gate)
    ref.tell(release)
    await asyncio.sleep(0)
    ref.tell(1, ttl=0.1)
    await asyncio.sleep(0.2)
    release.set()
    while ref.mailbox_size():
        await asyncio.sleep(0)
    assert "message.expired" in [e.kind for e in seen]


async def test_tracing_gives_latency_percentiles_and_trace_events():
    async with airsrt.ActorSystem(trace_messages=True) as system:
        trace = []
        system.events.subscribe(trace.append, min_severity=airsrt.Severity.TRACE)
        ref = system.spawn(Busy)
        for i in range(100):
            await ref.ask(i)
        latency = ref.stats().latency
        assert latency is not None
        assert latency.count == 100 and 0 < latency.p50_us <= latency.p90_us <= latency.p99_us <= latency.max_us
        kinds = [e.kind for e in trace]
        assert kinds.count("message.received") == 100 and kinds.count("message.processed") == 100
        processed = next(e for e in trace if e.kind == "message.processed")
        assert processed.details["message_type"] == "int" and processed.details["duration_us"] >= 0
        system.trace = False
        await ref.ask(1)
        assert ref.stats().latency.count == 100


async def test_tracing_is_off_by_default_and_builds_nothing(actor_system):
    seen = []
    actor_system.events.subscribe(seen.append, min_severity=airsrt.Severity.TRACE)
    ref = actor_system.spawn(Busy)
    await ref.ask(1)
    assert ref.stats().latency is None
    assert not any(e.kind.startswith("message.") for e in seen)


async def test_severity_filter_and_threshold(actor_system):
    errors = []
    subscription = actor_system.events.subscribe(errors.append, min_severity=airsrt.Severity.ERROR)
    ref = actor_system.spawn(Busy)
    ref.tell(Boom())
    await asyncio.sleep(0)
    assert [e.kind for e in errors] == ["actor.failed"]
    assert all(e.severity >= airsrt.Severity.ERROR for e in errors)
    subscription.cancel()
    assert actor_system.events.snapshot()["actor.failed"] == 1


def test_prometheus_scrape():
    prometheus_client = pytest.importorskip("prometheus_client")
    from airsrt.prometheus import register

    async def main() -> bytes:
        async with airsrt.ActorSystem(name="shop") as system:
            registry = prometheus_client.CollectorRegistry()
            register(system, registry)
            ref = system.spawn(Busy, name="cashier")
            await ref.ask(1)
            release = asyncio.Event()
            ref.tell(release)
            await asyncio.sleep(0)
            ref.tell(2)
            stopping = asyncio.ensure_future(ref.stop())  # 2 becomes a dead letter
            await asyncio.sleep(0)
            release.set()
            await stopping
            system.spawn(Busy, name="idle")
            return prometheus_client.generate_latest(registry)

    text = asyncio.run(main()).decode()
    assert 'airsrt_actors{system="shop"} 1.0' in text
    assert 'airsrt_messages_handled_total{system="shop"} 2.0' in text
    assert 'airsrt_dead_letters_total{system="shop"} 1.0' in text
    assert 'airsrt_mailbox_depth{actor="idle",system="shop"} 0.0' in text
