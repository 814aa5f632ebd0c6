"""The broker: wildcards, fan-out counts and order, backpressure, stopping subscribers,
callables, request/gather."""

import asyncio
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import Actor, Backpressure, Mailbox, handler
from airsrt._broker import _matches


@dataclass(frozen=True)
class Tick:
    n: int


class Query(airsrt.Message[str]):
    def __init__(self, text: str) -> None:
        self.text = text


class Collector(Actor):
    def __init__(self, tag: str = "") -> None:
        self.tag = tag
        self.got: list = []

    @handler
    def tick(self, msg: Tick) -> None:
        self.got.append(msg.n)

    @handler
    def published(self, msg: airsrt.Published) -> None:
        self.got.append((msg.topic, msg.message.n))

    @handler
    def query(self, msg: Query) -> str:
        return f"{self.tag}:{msg.text}"

    @handler
    def snapshot(self, msg: list) -> list:
        return list(self.got)


@pytest.mark.parametrize(
    "pattern,topic,expected",
    [
        ("a.b.c", "a.b.c", True),
        ("a.b.c", "a.b", False),
        ("a.*.c", "a.b.c", True),
        ("a.*.c", "a.b.x.c", False),
        ("a.*", "a", False),
        ("a.#", "a", True),
        ("a.#", "a.b.c.d", True),
        ("#", "anything.at.all", True),
        ("#.c", "c", True),
        ("#.c", "a.b.c", True),
        ("#.c", "a.b.c.d", False),
        ("a.#.d", "a.d", True),
        ("a.#.d", "a.b.c.d", True),
        ("a.#.d", "a.b.c", False),
        ("*.#", "x", True),
        ("*.*.#.z", "a.b.z", True),
        ("*.*.#.z", "a.z", False),
    ],
)
def test_pattern_matching(pattern, topic, expected):
    assert _matches(tuple(pattern.split(".")), topic.split(".")) is expected


async def test_invalid_topics_are_configuration_errors(actor_system):
    broker = actor_system.broker
    for bad in ["", "a..b", ".a", "a.b*", "a#"]:
        with pytest.raises(airsrt.ConfigurationError):
            broker.subscribe(bad, lambda m: None)
    with pytest.raises(airsrt.ConfigurationError, match="not a pattern"):
        broker.publish("a.*", 1)


@pytest.mark.parametrize("subscribers", [1, 10, 1000])
async def test_fan_out_exact_counts_and_order(actor_system, subscribers):
    refs = [actor_system.spawn(Collector) for _ in range(subscribers)]
    for ref in refs:
        actor_system.broker.subscribe("metrics.cpu", ref)
    delivered = [actor_system.broker.publish("metrics.cpu", Tick(i)) for i in range(20)]
    assert delivered == [subscribers] * 20
    for ref in refs:
        assert await ref.ask([]) == list(range(20))


async def test_each_subscription_delivers_once_and_wildcards_overlap(actor_system):
    ref = actor_system.spawn(Collector)
    other = actor_system.spawn(Collector)
    actor_system.broker.subscribe("a.b", ref)
    actor_system.broker.subscribe("a.*", ref)
    actor_system.broker.subscribe("a.#", other, with_topic=True)
    assert actor_system.broker.publish("a.b", Tick(1)) == 3
    assert actor_system.broker.publish("a", Tick(2)) == 1
    assert await ref.ask([]) == [1, 1]
    assert await other.ask([]) == [("a.b", 1), ("a", 2)]
    assert actor_system.broker.subscribers("a.b") == [ref, ref, other]


async def test_cancel_and_unsubscribe_during_publish(actor_system):
    received = []
    later = None

    def first(msg):
        received.append(("first", msg.n))
        later.cancel()  # cancels another subscription while this publish is under way

    actor_system.broker.subscribe("t", first)
    later = actor_system.broker.subscribe("t", lambda msg: received.append(("later", msg.n)))
    actor_system.broker.publish("t", Tick(1))  # this publish's route was already taken
    actor_system.broker.publish("t", Tick(2))
    assert received == [("first", 1), ("later", 1), ("first", 2)]


async def test_slow_drop_oldest_subscriber_loses_only_its_own_share(actor_system):
    release = asyncio.Event()

    class Slow(Collector):
        @handler
        async def hold(self, msg: asyncio.Event) -> None:
            await msg.wait()

    slow = actor_system.spawn(Slow, mailbox=Mailbox.bounded(10, Backpressure.DROP_OLDEST))
    fast = [actor_system.spawn(Collector) for _ in range(5)]
    slow.tell(release)
    await asyncio.sleep(0)
    for ref in [slow, *fast]:
        actor_system.broker.subscribe("feed", ref)
    for i in range(1000):
        actor_system.broker.publish("feed", Tick(i))
    release.set()
    for ref in fast:
        assert await ref.ask([]) == list(range(1000))
    while slow.mailbox_size():
        await asyncio.sleep(0)
    kept = await slow.ask([])
    assert kept == list(range(990, 1000))
    drops = [d for d in actor_system.dead_letters.recent() if d.recipient is slow]
    assert len(drops) == 990 == 1000 - len(kept)
    assert {d.reason for d in drops} == {"mailbox_full"}


async def test_subscribers_stopping_mid_stream_are_removed(actor_system):
    refs = [actor_system.spawn(Collector) for _ in range(4)]
    for ref in refs:
        actor_system.broker.subscribe("s", ref)
    counts = []
    for i in range(10):
        if i == 5:
            await refs[0].stop()
            await refs[1].stop()
        counts.append(actor_system.broker.publish("s", Tick(i)))
    assert counts == [4] * 5 + [2] * 5
    assert actor_system.broker.subscribers("s") == refs[2:]
    assert await refs[3].ask([]) == list(range(10))


async def test_non_handling_subscriber_gets_a_dead_letter(actor_system):
    class Other(Actor):
        @handler
        def only(self, msg: str) -> None: ...

    ref = actor_system.spawn(Other)
    actor_system.broker.subscribe("x", ref)
    assert actor_system.broker.publish("x", Tick(1)) == 0
    assert actor_system.dead_letters.recent()[-1].reason == "unhandled"


async def test_callables_sync_async_and_failing(actor_system, caplog):
    got = []
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.ERROR)

    async def later(msg):
        await asyncio.sleep(0)
        got.append(("async", msg.n))

    def broken(msg):
        raise RuntimeError("subscriber bug")

    actor_system.broker.subscribe("c", lambda msg: got.append(("sync", msg.n)))
    actor_system.broker.subscribe("c", broken)
    actor_system.broker.subscribe("c", later)
    assert actor_system.broker.publish("c", Tick(1)) == 2  # the broken one did not count
    assert got == [("sync", 1)]
    await asyncio.sleep(0.01)
    assert got == [("sync", 1), ("async", 1)]
    assert [e.kind for e in events] == ["broker.subscriber_failed"]
    assert "subscriber bug" in caplog.text


async def test_publish_to_nobody(actor_system):
    assert actor_system.broker.publish("nobody.home", Tick(1)) == 0
    letter = actor_system.dead_letters.recent()[-1]
    assert letter.reason == "no_subscriber" and letter.message == airsrt.Published("nobody.home", Tick(1))
    actor_system.broker.dead_letter_unrouted = False
    actor_system.broker.publish("nobody.home", Tick(2))
    assert actor_system.dead_letters.count == 1


async def test_request_round_robin_and_errors(actor_system):
    refs = [actor_system.spawn(Collector, tag) for tag in "abc"]
    for ref in refs:
        actor_system.broker.subscribe("svc", ref)
    answers = [await actor_system.broker.request("svc", Query(str(i))) for i in range(6)]
    assert answers == ["a:0", "b:1", "c:2", "a:3", "b:4", "c:5"]
    with pytest.raises(airsrt.NoSubscriberError, match="no subscriber for topic 'nope'"):
        await actor_system.broker.request("nope", Query("x"))


@pytest.mark.virtual_time
async def test_request_and_gather_timeouts(actor_system):
    class Mute(Collector):
        @handler
        async def query(self, msg: Query) -> str:
            await asyncio.sleep(10)
            return "too late"

    fine = actor_system.spawn(Collector, "fine")
    mute = actor_system.spawn(Mute, "mute")
    actor_system.broker.subscribe("svc", fine)
    actor_system.broker.subscribe("svc", mute)
    actor_system.broker.subscribe("svc", lambda q: f"fn:{q.text}")
    replies = await actor_system.broker.gather("svc", Query("q"), timeout=0.5)
    assert [r.result for r in replies if r.ok] == ["fine:q", "fn:q"]
    assert [type(r.error) for r in replies if not r.ok] == [airsrt.AskTimeoutError]
    assert replies[1].subscriber is mute
    assert await actor_system.broker.request("svc", Query("1"), timeout=0.5) == "fine:1"
    with pytest.raises(airsrt.AskTimeoutError):
        await actor_system.broker.request("svc", Query("2"), timeout=0.5)
    assert await actor_system.broker.gather("empty", Query("q")) == []
    await asyncio.sleep(20)  # let the mute handlers finish: their replies are late


async def test_broker_events(actor_system):
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.DEBUG)
    ref = actor_system.spawn(Collector)
    subscription = actor_system.broker.subscribe("e", ref)
    subscription.cancel()
    subscription.cancel()
    kinds = [e.kind for e in events if e.kind.startswith("broker.")]
    assert kinds == ["broker.subscribed", "broker.unsubscribed"]
