"""The live feed behind ``/api/events``: per-second rates, snapshots, and the system's events.

Nothing runs while no client is connected: the first client starts a sampler task (one tick
per interval) and subscribes to ``system.events``; when the last one leaves the sampler stops at
once, and the event subscription stays for a short linger so a client that reconnects (an
``EventSource`` does so by itself) gets what it missed through ``Last-Event-ID``.

Every message has an id (``"<epoch>-<seq>"``; the epoch tells a restarted observer apart), and
the last `buffer` messages are kept for replay. Events are forwarded as they happen, at most
`max_events_per_second`; past that they are counted per kind and the next tick reports them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airsrt._monitoring import Event, Severity, Subscription
from airsrt import _core, _snapshot
from airsrt._snapshot import SystemSnapshot

if TYPE_CHECKING:
    from airsrt._system import ActorSystem

log = logging.getLogger("airsrt.observe")


@dataclass(frozen=True, slots=True)
class Message:
    """One Server-Sent Event: its sequence number, event name and JSON data."""

    seq: int
    event: str
    data: str


def jsonable(value: Any) -> Any:
    """`value` made of what JSON carries; anything else becomes its repr."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return repr(value)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=repr)


def event_payload(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "severity": event.severity.name,
        "level": int(event.severity),
        "time": event.timestamp,
        "actor": event.actor,
        "details": jsonable(dict(event.details)),
    }


class Feed:
    """Rates, snapshots and events for the connected clients of one observer.

    Args:
        system: The observed system.
        interval: Seconds between ticks (rates and series points).
        min_severity: The lowest event severity forwarded.
        max_events_per_second: Events forwarded per second (a quarter of them at most of any
            one kind); the rest are counted.
        history: Series points kept (a new page draws them at once).
        buffer: Messages kept for ``Last-Event-ID`` replay.
        linger: Seconds the event subscription outlives the last client.
        snapshot_share: The share of the loop's time tree snapshots may take: a snapshot that
            took `d` seconds is retaken after ``max(interval, d / snapshot_share)``.
    """

    def __init__(
        self,
        system: ActorSystem,
        *,
        interval: float = 1.0,
        min_severity: Severity = Severity.INFO,
        max_events_per_second: int = 20,
        history: int = 300,
        buffer: int = 1000,
        linger: float = 15.0,
        snapshot_share: float = 0.02,
    ) -> None:
        self.system = system
        self.interval = interval
        self.min_severity = Severity(min_severity)
        self.max_events_per_second = max_events_per_second
        self.linger = linger
        self.snapshot_share = snapshot_share
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self.clients = 0
        self.closed = False
        self.series: deque[dict[str, Any]] = deque(maxlen=history)
        self.snapshot: SystemSnapshot | None = None
        self.snapshot_seq = 0
        self.rates: dict[int, float] = {}
        self._messages: deque[Message] = deque(maxlen=buffer)
        self._changed: asyncio.Future[None] | None = None
        self._subscription: Subscription | None = None
        self._sampler: asyncio.Task[None] | None = None
        self._linger: asyncio.TimerHandle | None = None
        self._window = -1
        self._window_count = 0
        self._kind_counts: dict[str, int] = {}
        self._per_kind = max(1, max_events_per_second // 4)
        self._dropped: dict[str, int] = {}
        self._last_point: tuple[float, Any] | None = None
        self._next_snapshot = 0.0

    # -- clients ---------------------------------------------------------------------------------

    def attach(self) -> None:
        """A client connected: start sampling and listening if nobody was."""
        self.clients += 1
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        if self._subscription is None:
            self._subscription = self.system.events.subscribe(self._on_event, min_severity=self.min_severity)
        if self._sampler is None:
            self._last_point = None
            self._next_snapshot = 0.0
            self._sampler = self.system.loop.create_task(self._sample(), name="airsrt observer sampler")

    def detach(self) -> None:
        """A client left: with none left, stop sampling now and stop listening after the linger."""
        self.clients -= 1
        if self.clients > 0:
            return
        self._stop_sampler()
        if self._subscription is not None and not self.closed:
            self._linger = self.system.loop.call_later(self.linger, self._unsubscribe)

    @property
    def active(self) -> bool:
        """True while the feed costs anything: a sampler, a subscription or a linger timer."""
        return self._sampler is not None or self._subscription is not None or self._linger is not None

    def close(self) -> None:
        """Stops everything and wakes the clients so they return."""
        self.closed = True
        self._stop_sampler()
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        self._unsubscribe()
        self._wake()

    def _stop_sampler(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            self._sampler = None

    def _unsubscribe(self) -> None:
        self._linger = None
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None

    # -- messages ------------------------------------------------------------------------------

    def message_id(self, message: Message) -> str:
        return f"{self.epoch}-{message.seq}"

    def parse_id(self, text: str | None) -> int | None:
        """The sequence number in a ``Last-Event-ID`` of this feed; None if it is not one of
        ours (another observer, a restarted one) or there is none."""
        if not text:
            return None
        epoch, _, seq = text.strip().partition("-")
        if epoch != self.epoch or not seq.isdigit():
            return None
        return int(seq)

    def publish(self, event: str, data: Any) -> Message:
        self.seq += 1
        message = Message(self.seq, event, dumps(data))
        self._messages.append(message)
        self._wake()
        return message

    def after(self, seq: int) -> tuple[int, list[Message]]:
        """The kept messages after `seq`, and how many after it are no longer kept."""
        messages = self._messages
        if not messages or seq >= self.seq:
            return 0, []
        first = messages[0].seq
        missed = max(0, first - seq - 1)
        start = max(seq + 1 - first, 0)
        return missed, [messages[i] for i in range(start, len(messages))]

    async def wait(self, seq: int) -> None:
        """Returns once there is a message after `seq`, or the feed closes."""
        if self.seq > seq or self.closed:
            return
        if self._changed is None or self._changed.done():
            self._changed = self.system.loop.create_future()
        await asyncio.shield(self._changed)

    def _wake(self) -> None:
        changed = self._changed
        if changed is not None:
            self._changed = None
            if not changed.done():
                changed.set_result(None)

    # -- events ----------------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """Called by the event stream as each event happens: keep it short."""
        second = int(time.monotonic())
        if second != self._window:
            self._window = second
            self._window_count = 0
            self._kind_counts.clear()
        kind = event.kind
        seen = self._kind_counts.get(kind, 0)
        # A per-kind share as well as the total, so that a flood of one kind (dead letters,
        # say) cannot crowd a restart out of the feed.
        if self._window_count >= self.max_events_per_second or seen >= self._per_kind:
            self._dropped[kind] = self._dropped.get(kind, 0) + 1
            return
        self._window_count += 1
        self._kind_counts[kind] = seen + 1
        self.publish("event", event_payload(event))

    # -- sampling --------------------------------------------------------------------------------

    async def _sample(self) -> None:
        try:
            while True:
                self.tick()
                await asyncio.sleep(self.interval)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not pass silently, nor repeat every second
            log.exception("airsrt observer: sampling failed; the page gets no more updates")

    def refresh_snapshot(self) -> SystemSnapshot:
        """Takes a new tree snapshot and the per-actor rates since the previous one."""
        previous = self.snapshot
        snap = self.system.snapshot()
        rates: dict[int, float] = {}
        if previous is not None:
            dt = snap.loop_time - previous.loop_time
            if dt > 0:
                before = {a.uid: a.processed for a in previous.actors}
                for actor in snap.actors:
                    old = before.get(actor.uid)
                    if old is not None and actor.processed >= old:
                        rates[actor.uid] = (actor.processed - old) / dt
        self.snapshot = snap
        self.snapshot_seq += 1
        self.rates = rates
        now = self.system.loop.time()
        self._next_snapshot = now + max(self.interval * 0.95, snap.duration / self.snapshot_share)
        return snap

    def tick(self) -> None:
        """One sample: counters and totals now, the rates since the last tick, and a new tree
        snapshot when its share of the loop allows."""
        system = self.system
        if not system.is_running:
            return
        loop_now = system.loop.time()
        if loop_now >= self._next_snapshot:
            self.refresh_snapshot()
        actors, mailbox_total, mailbox_max, busy = _core._snapshot_totals(system)
        counts = (
            system.n_handled, system.n_sent, system.n_dead_letters + system.n_late_replies,
            system.n_restarts, system.n_failures,
        )
        point: dict[str, Any] = {
            "t": time.time(),
            "actors": actors,
            "mailbox": mailbox_total,
            "mailbox_max": mailbox_max,
            "busy": busy,
            "rate": None, "sent_rate": None, "dead_rate": None, "restart_rate": None,
            "failure_rate": None,
        }
        if self._last_point is not None:
            then, old = self._last_point
            dt = loop_now - then
            if dt > 0:
                for key, new, before in zip(
                    ("rate", "sent_rate", "dead_rate", "restart_rate", "failure_rate"), counts, old
                ):
                    point[key] = max(new - before, 0) / dt
        self._last_point = (loop_now, counts)
        self.series.append(point)
        snap = self.snapshot
        dropped, self._dropped = self._dropped, {}
        self.publish("tick", {
            "point": point,
            "ledger": ledger(system),
            "dead_letters": dead_letter_summary(system),
            "snapshot": {
                "seq": self.snapshot_seq,
                "duration": snap.duration if snap is not None else None,
                "every": max(self.interval, (snap.duration / self.snapshot_share) if snap else 0.0),
                "actors": len(snap.actors) - 1 if snap is not None else None,
            },
            "dropped": dropped,
            "clients": self.clients,
        })


def ledger(system: ActorSystem) -> dict[str, int]:
    """The ledger of message outcomes, read now (O(1))."""
    sent = system.n_sent
    out = {
        "sent": sent,
        "handled": system.n_handled,
        "rejected": system.n_rejected,
        "dead_letters": system.n_dead_letters,
        "returned": system.n_returned,
        "withdrawn": system.n_withdrawn,
    }
    out["in_flight"] = sent - sum(v for k, v in out.items() if k != "sent")
    out["late_replies"] = system.n_late_replies
    out["restarts"] = system.n_restarts
    out["failures"] = system.n_failures
    return out


def dead_letter_summary(system: ActorSystem) -> dict[str, Any]:
    """Dead letters by reason, read now (from the system's recent history)."""
    letters = _snapshot.dead_letters(system, system.name)
    return {
        "total": letters.total,
        "by_reason": dict(letters.by_reason),
        "exact": letters.exact,
        "recent": [d.as_dict() for d in letters.recent[-10:]],
    }
