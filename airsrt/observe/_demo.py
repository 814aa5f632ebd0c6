"""The demo system of ``python -m airsrt.observe --demo``: something alive to look at.

```text
guardian
├── app            supervisor, one-for-one
│   ├── orders     takes orders (a quick synchronous handler)
│   ├── flaky      crashes every few seconds; app restarts it
│   └── payments   supervisor, rest-for-one
│       ├── ledger     books what the gateway confirms
│       └── gateway    an async handler (busy for a few ms per payment)
├── resizers       a pool of 4 workers (async handlers)
├── sensors        supervisor of many Sensor actors (shown grouped by class)
├── watcher-1..3   subscribed to the broker's "prices.*" topics
├── audit          a small DROP_NEWEST mailbox that overflows: dead letters "mailbox_full"
└── traffic        timers that generate all of the above load
```
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

import airsrt


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    item: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Job:
    n: int


@dataclass(frozen=True, slots=True)
class Payment:
    amount: int


@dataclass(frozen=True, slots=True)
class Booking:
    amount: int


@dataclass(frozen=True, slots=True)
class Resize:
    width: int


@dataclass(frozen=True, slots=True)
class Reading:
    value: float


@dataclass(frozen=True, slots=True)
class Price:
    symbol: str
    value: float


@dataclass(frozen=True, slots=True)
class AuditEntry:
    what: str


class Tick:
    """The traffic actor's timer message."""


class OrderBook(airsrt.Actor):
    """Counts orders: the quickest kind of handler."""

    def __init__(self) -> None:
        self.orders = 0

    @airsrt.handler
    def place(self, msg: PlaceOrder) -> int:
        self.orders += msg.quantity
        return self.orders


class FlakyWorker(airsrt.Actor):
    """Does jobs, and crashes every `crash_every` seconds (give or take a quarter)."""

    def __init__(self, crash_every: float) -> None:
        loop = asyncio.get_running_loop()
        self.crash_at = loop.time() + crash_every * random.uniform(0.75, 1.25)
        self.done = 0

    @airsrt.handler
    def work(self, msg: Job) -> None:
        if asyncio.get_running_loop().time() >= self.crash_at:
            raise RuntimeError(f"flaky worker gave up on job {msg.n} (a simulated crash)")
        self.done += 1


class Gateway(airsrt.Actor):
    """Confirms payments after a short await: busy (an async handler) for a few ms each."""

    @airsrt.handler
    async def pay(self, msg: Payment) -> None:
        await asyncio.sleep(0.004)
        # Looked up by name: the ledger's ref changes if the payments subtree is rebuilt.
        ledger = self.context.system.lookup("ledger")
        if ledger is not None:
            ledger.tell(Booking(msg.amount))


class Ledger(airsrt.Actor):
    def __init__(self) -> None:
        self.total = 0

    @airsrt.handler
    def book(self, msg: Booking) -> None:
        self.total += msg.amount


class Resizer(airsrt.Actor):
    @airsrt.handler
    async def resize(self, msg: Resize) -> int:
        await asyncio.sleep(0.02)
        return msg.width // 2


class Sensor(airsrt.Actor):
    def __init__(self) -> None:
        self.last = 0.0

    @airsrt.handler
    def read(self, msg: Reading) -> None:
        self.last = msg.value


class PriceWatcher(airsrt.Actor):
    def __init__(self) -> None:
        self.prices: dict[str, float] = {}

    @airsrt.handler
    def price(self, msg: Price) -> None:
        self.prices[msg.symbol] = msg.value


class Auditor(airsrt.Actor):
    """Slow on purpose, behind a small DROP_NEWEST mailbox: what it cannot keep up with
    becomes dead letters (reason ``mailbox_full``)."""

    @airsrt.handler
    async def audit(self, msg: AuditEntry) -> None:
        await asyncio.sleep(0.05)


class Traffic(airsrt.Actor):
    """Sends the demo's load every 50 ms."""

    def __init__(self, targets: dict[str, Any]) -> None:
        self.targets = targets
        self.n = 0
        self.context.schedule_repeat(0.05, Tick())

    @airsrt.handler
    def tick(self, msg: Tick) -> None:
        t = self.targets
        self.n += 1
        n = self.n
        system = self.context.system
        # Refs from supervisors are looked up each time: a restarted subtree has new ones.
        for ref_name, make, count in (
            ("orders", lambda i: PlaceOrder("widget", 1 + i % 3), 20),
            ("flaky", lambda i: Job(n * 10 + i), 5),
            ("gateway", lambda i: Payment(10 + i), 2),
        ):
            ref = system.lookup(ref_name)
            if ref is not None:
                for i in range(count):
                    ref.tell(make(i))
        t["resizers"].tell(Resize(640 + n % 7))
        sensors = t["sensors"]
        for sensor in random.sample(sensors, min(10, len(sensors))):
            if sensor.is_alive:
                sensor.tell(Reading(random.random()))
        symbol = random.choice(("ABC", "XYZ", "QRS"))
        system.broker.publish(f"prices.{symbol}", Price(symbol, 100 + random.random()))
        audit = t["audit"]
        for i in range(2):
            audit.tell(AuditEntry(f"tick {n}.{i}"))
        if n % 20 == 0:
            gateway = system.lookup("gateway")
            if gateway is not None:
                # Too short a time-to-live behind the gateway's queue: dead letters "expired".
                gateway.tell(Payment(1), ttl=0.0001)


async def start(system: airsrt.ActorSystem, *, sensors: int = 120, crash_every: float = 3.0) -> None:
    """Spawns the demo's actors in `system` (see the module docstring)."""
    await system.spawn_supervisor(
        airsrt.OneForOne(max_restarts=20, within=10.0),
        [
            airsrt.ChildSpec("orders", OrderBook, name="orders"),
            airsrt.ChildSpec("flaky", FlakyWorker, crash_every, name="flaky"),
            airsrt.ChildSpec("payments", airsrt.supervisor(airsrt.RestForOne(), [
                airsrt.ChildSpec("ledger", Ledger, name="ledger"),
                airsrt.ChildSpec("gateway", Gateway, name="gateway"),
            ]), name="payments"),
        ],
        name="app",
    )
    resizers = system.spawn_pool(Resizer, size=4, name="resizers")
    sensor_sup = await system.spawn_supervisor(
        airsrt.OneForOne(),
        [airsrt.ChildSpec(i, Sensor) for i in range(sensors)],
        name="sensors",
    )
    watchers = [system.spawn(PriceWatcher, name=f"watcher-{i}") for i in (1, 2, 3)]
    for watcher in watchers:
        system.broker.subscribe("prices.*", watcher)
    audit = system.spawn(
        Auditor, name="audit", mailbox=airsrt.Mailbox.bounded(20, airsrt.Backpressure.DROP_NEWEST)
    )
    sensor_refs = [sensor_sup.child(i) for i in range(sensors)]
    system.spawn(
        Traffic, {"resizers": resizers, "sensors": sensor_refs, "audit": audit}, name="traffic"
    )

