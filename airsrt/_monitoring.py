"""Monitoring: the event stream, dead letters, and their records.

Events are counted in the compiled core whatever happens; an `Event` object is built only
when a subscriber (or the ``recent()`` history) listens at that event's severity, so per-message
events cost nothing while nobody asks for them.
"""

from __future__ import annotations

import enum
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airsrt import _core
from airsrt._errors import AskTimeoutError, ConfigurationError, SlowHandlerError, SlowHandlerWarning
from airsrt._stats import HandlerLatency

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = [
    "DeadLetter",
    "DeadLetters",
    "Event",
    "EventStream",
    "LatencyLog",
    "Severity",
    "Subscription",
    "dead_letter",
    "expired",
    "high_watermark",
    "late_reply",
    "processed",
    "publish_event",
    "received",
    "slow_handler",
]

log = logging.getLogger("airsrt")


class Severity(enum.IntEnum):
    """How much an event matters; the values match `logging` levels (TRACE is 5)."""

    TRACE = 5
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


KIND_NAMES: tuple[str, ...] = tuple(name for name, _ in _core.EVENT_KINDS)
KIND_SEVERITY: tuple[Severity, ...] = tuple(Severity(sev) for _, sev in _core.EVENT_KINDS)
KIND_IDS: dict[str, int] = {name: i for i, name in enumerate(KIND_NAMES)}


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened in the actor system.

    Attributes:
        kind: A dotted name such as ``"actor.restarted"``.
        severity: The event's [`Severity`][airsrt.Severity].
        timestamp: Wall-clock time (``time.time()``) when it was emitted.
        actor: Display name of the actor concerned, or ``None``.
        details: Kind-specific facts (reason, child id, message type, ...).
    """

    kind: str
    severity: Severity
    timestamp: float
    actor: str | None
    details: Mapping[str, Any] = field(default_factory=dict)


class Subscription:
    """A registration that can be cancelled; ``cancel()`` is idempotent.

    `cancel` belongs to the loop's thread; `active` can be read from any thread.
    """

    __slots__ = ("_cancel", "_system", "active")

    def __init__(self, cancel: Callable[[], None], system: ActorSystem | None = None) -> None:
        self._cancel = cancel
        self._system = system
        self.active = True

    def cancel(self) -> None:
        """Stops the deliveries.

        Raises:
            WrongThreadError: Called from a thread other than the loop's.
        """
        if self._system is not None:
            _core._check_thread(self._system, "subscription.cancel")
        if self.active:
            self.active = False
            self._cancel()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


class EventStream:
    """``system.events``: subscribe to events, read recent ones, count them.

    `subscribe` belongs to the loop's thread; `recent` and `snapshot` work from any thread.

    Args:
        system: The owning system.
        history: How many recent events ``recent()`` keeps.
        history_severity: The lowest severity kept in the history.
    """

    def __init__(self, system: ActorSystem, history: int, history_severity: Severity) -> None:
        if history < 0:
            raise ConfigurationError(f"event_history must be >= 0, got {history}")
        self._system = system
        # (kind, severity, timestamp, actor, details): the fields of an Event, built by `recent`.
        self._history: deque[tuple[str, Severity, float, str | None, Mapping[str, Any]]] = deque(
            maxlen=history or None
        )
        self._history_on = history > 0
        self._history_severity = Severity(history_severity)
        self._subscribers: list[tuple[Callable[[Event], Any], Severity]] = []
        self._update_threshold()

    def subscribe(
        self,
        callback_or_ref: Callable[[Event], Any] | ActorRef,
        *,
        min_severity: Severity = Severity.INFO,
    ) -> Subscription:
        """Delivers every event of at least `min_severity` to a callable or an actor.

        A callable is called synchronously as the event happens (keep it short; an exception in
        it is logged and ignored). An actor is sent the [`Event`][airsrt.Event] as a message;
        it needs a handler for `Event`. Events are the runtime's messages, so they are counted
        as control traffic (`system.stats().control`), not in the user's ledger; one the
        actor's mailbox cannot take is dropped.

        Args:
            callback_or_ref: A function of one [`Event`][airsrt.Event], or an actor's ref.
            min_severity: The lowest [`Severity`][airsrt.Severity] delivered (INFO by default;
                DEBUG and TRACE events cost more to build).

        Returns:
            A [`Subscription`][airsrt.Subscription]; `cancel()` ends it.

        Raises:
            UnhandledMessageError: The actor has no handler for `Event`.
            WrongThreadError: Called from a thread other than the loop's.
        """
        _core._check_thread(self._system, "events.subscribe")
        severity = Severity(min_severity)
        if isinstance(callback_or_ref, _core.ActorRef):
            ref = callback_or_ref
            if ref._table.find(Event) is None:
                raise ref.unhandled_type_error(Event)

            def deliver(event: Event) -> None:
                if ref.is_alive:
                    ref._deliver(event, _core.NOTICE)

            fn: Callable[[Event], Any] = deliver
        elif callable(callback_or_ref):
            fn = callback_or_ref
        else:
            raise TypeError(
                f"events.subscribe() takes a callable or an ActorRef, got {type(callback_or_ref).__name__}"
            )
        entry = (fn, severity)
        self._subscribers.append(entry)
        self._update_threshold()

        def cancel() -> None:
            try:
                self._subscribers.remove(entry)
            except ValueError:
                pass
            self._update_threshold()

        return Subscription(cancel, self._system)

    def recent(self) -> list[Event]:
        """The most recent events at or above the history severity, newest last; any thread."""
        return [Event(*fields) for fields in list(self._history)]

    def snapshot(self) -> dict[str, int]:
        """Counts of every event emitted so far: one key per kind name and per severity name;
        any thread."""
        counts = self._system._event_counts()
        out: dict[str, int] = {}
        by_severity = dict.fromkeys((s.name for s in Severity), 0)
        for kind, severity, n in zip(KIND_NAMES, KIND_SEVERITY, counts):
            out[kind] = n
            by_severity[severity.name] += n
        out.update(by_severity)
        return out

    def _update_threshold(self) -> None:
        levels = [sev for _, sev in self._subscribers]
        if self._history_on:
            levels.append(self._history_severity)
        # Nothing listens below this level, so the core only counts those events.
        self._system.event_threshold = int(min(levels)) if levels else 1000

    def _publish(self, kind: int, cell: ActorRef | None, details: Mapping[str, Any] | None) -> None:
        self._deliver(
            KIND_NAMES[kind], KIND_SEVERITY[kind], cell.name if cell is not None else None, details or {}
        )

    def _deliver(self, kind: str, severity: Severity, actor: str | None, details: Mapping[str, Any]) -> None:
        """Keeps an event in the history and hands it to the subscribers listening at its
        severity. The history holds the event's fields and `recent` builds the records: a frozen
        dataclass per event was a sizeable share of a stop or a restart (each emits several),
        and most are never read."""
        now = time.time()
        if self._history_on and severity >= self._history_severity:
            self._history.append((kind, severity, now, actor, details))
        if not self._subscribers:
            return
        event = Event(kind, severity, now, actor, details)
        for fn, min_severity in tuple(self._subscribers):
            if severity >= min_severity:
                try:
                    fn(event)
                except Exception:
                    log.exception("event subscriber %r failed on %s", fn, event.kind)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that could not be delivered or answered.

    Attributes:
        message: The undelivered message (for ``late_reply``, the reply that came too late).
        recipient: The actor it was meant for, or ``None``.
        reason: Why: ``mailbox_full``, ``stopped``, ``shutdown``, ``start_failed``,
            ``expired``, ``late_reply``, ``no_subscriber``, ...
    """

    message: Any
    recipient: ActorRef | None
    reason: str


class DeadLetters:
    """``system.dead_letters``: how many messages ended as dead letters, and the latest ones.

    `recent` keeps only the newest ``ActorSystem(dead_letter_history=1000)`` of them (0 keeps
    none); `count` and `counts` count every one. All of it can be read from any thread.
    """

    def __init__(self, system: ActorSystem, history: int) -> None:
        if isinstance(history, bool) or not isinstance(history, int) or history < 0:
            raise ConfigurationError(f"dead_letter_history must be an int >= 0, got {history!r}")
        self._system = system
        self._recent: deque[DeadLetter] = deque(maxlen=history or None)
        self._keep = history > 0
        self._history = history
        self._by_reason: dict[str, int] = {}

    @property
    def count(self) -> int:
        """Total dead letters so far (undelivered messages plus late replies)."""
        return int(self._system.n_dead_letters + self._system.n_late_replies)

    @property
    def history(self) -> int:
        """How many dead letters `recent` keeps (``ActorSystem(dead_letter_history=...)``)."""
        return self._history

    def recent(self) -> list[DeadLetter]:
        """The most recent dead letters, newest last: at most `history` of them; any thread."""
        return list(self._recent)

    def counts(self) -> dict[str, int]:
        """Every dead letter so far by reason, e.g. ``{"stopped": 3, "mailbox_full": 120}``.

        Kept in full, however many `recent` keeps; any thread. A tell from another thread to a
        stopped actor is counted in `count` at once and here once the loop has recorded it.
        """
        return dict(self._by_reason)

    def _record(self, message: Any, recipient: ActorRef | None, reason: str) -> None:
        letter = DeadLetter(message, recipient, reason)
        by_reason = self._by_reason
        by_reason[reason] = by_reason.get(reason, 0) + 1
        if self._keep:
            self._recent.append(letter)
        system = self._system
        if reason != "late_reply":  # a late reply is an answer, not a message anyone sent
            for tap in system._message_taps:
                tap("dead_letter", message, reason)
        if system.event_threshold <= Severity.INFO:
            system.emit(
                EV_DEAD_LETTER,
                recipient,
                {"reason": reason, "message_type": type(message).__name__},
            )
        else:
            system.emit(EV_DEAD_LETTER, recipient, None)


class LatencyLog:
    """Handler durations of one actor (the most recent 2048), kept while tracing is on."""

    __slots__ = ("count", "recent")

    def __init__(self) -> None:
        self.recent: deque[int] = deque(maxlen=2048)
        self.count = 0

    def add(self, duration_ns: int) -> None:
        self.recent.append(duration_ns)
        self.count += 1

    def summary(self) -> HandlerLatency | None:
        """Percentiles of the recent durations, in microseconds (None before the first)."""
        values = sorted(self.recent)
        if not values:
            return None

        def at(q: float) -> float:
            return values[min(int(q * len(values)), len(values) - 1)] / 1000

        return HandlerLatency(self.count, at(0.5), at(0.9), at(0.99), values[-1] / 1000)


# -- what the compiled core calls back (see ``_seam.MonitoringSeam``) -----------------------------

EV_DEAD_LETTER = KIND_IDS["message.dead_letter"]
EV_EXPIRED = KIND_IDS["message.expired"]
EV_HIGH_WATERMARK = KIND_IDS["mailbox.high_watermark"]
EV_PROCESSED = KIND_IDS["message.processed"]
EV_RECEIVED = KIND_IDS["message.received"]
EV_SLOW_HANDLER = KIND_IDS["actor.slow_handler"]


def dead_letter(system: ActorSystem, msg: Any, cell: ActorRef | None, reason: str) -> None:
    """A message ended undelivered (the core has counted it)."""
    system.dead_letters._record(msg, cell, reason)


def late_reply(system: ActorSystem, cell: ActorRef, reply: Any) -> None:
    """An answer came after its ask had ended (timed out, withdrawn)."""
    system.n_late_replies += 1
    system.dead_letters._record(reply, cell, "late_reply")


def publish_event(system: ActorSystem, kind: int, cell: ActorRef | None, details: Any) -> None:
    """An event someone listens to (the core counts every event, and builds only these)."""
    system.events._publish(kind, cell, details)


def expired(system: ActorSystem, cell: ActorRef, msg: Any, token: Any) -> None:
    """A message's time-to-live passed while it waited in the mailbox."""
    system.emit(EV_EXPIRED, cell, {"message_type": type(msg).__name__})
    _core._drop(
        cell,
        msg,
        token,
        "expired",
        AskTimeoutError(
            f"{type(msg).__name__} for {cell.name} expired in the mailbox before it was "
            "handled (its time-to-live passed)",
            actor=cell.name,
            message=msg,
        ),
    )


def slow_handler(system: ActorSystem, cell: ActorRef, msg: Any, lag: float, failed: bool) -> None:
    """The watchdog found this handler blocking the loop (it has just returned)."""
    kind = type(msg).__name__
    limit = system.slow_handler_limit or 0.0
    text = (
        f"{cell.name}'s handler for {kind} blocked the event loop for {lag:.2f}s (limit "
        f"{limit:.2f}s); nothing else ran meanwhile. Move blocking work to "
        "`await self.context.run_blocking(fn, ...)` in an async handler, or raise "
        "slow_handler_limit if this much work per message is intended"
    )
    # In strict mode the finding becomes the message's failure; the event carries that error.
    error = None
    if system.strict and not failed:
        error = SlowHandlerError(text, actor=cell.name, message=msg, lag=lag)
    details = {"message_type": kind, "lag": lag, "limit": limit, "error": error}
    system.emit(EV_SLOW_HANDLER, cell, details)
    if error is not None:
        raise error
    warnings.warn(SlowHandlerWarning(text), stacklevel=2)


def high_watermark(system: ActorSystem, cell: ActorRef, depth: int) -> None:
    """`cell`'s mailbox reached `depth` messages for the first time (10k, 100k, 1M, ...)."""
    log.warning(
        "%s's mailbox reached %s messages: it receives faster than it handles; bound it "
        "(Mailbox.bounded(n, Backpressure.BLOCK) makes senders wait) or add workers",
        cell.name, f"{depth:,}",
    )
    system.emit(EV_HIGH_WATERMARK, cell, {"depth": depth})


def received(system: ActorSystem, cell: ActorRef, msg: Any) -> None:
    """Tracing: a handler is about to run."""
    for tap in system._message_taps:
        tap("handled", msg, cell)
    system.emit(EV_RECEIVED, cell, {"message_type": type(msg).__name__})


def processed(system: ActorSystem, cell: ActorRef, msg: Any, duration_ns: int, error: Any) -> None:
    """Tracing: a handler ran for `duration_ns` (and raised `error`, if not None)."""
    extra = cell._extra
    if extra.latency is None:
        extra.latency = LatencyLog()
    extra.latency.add(duration_ns)
    system.emit(
        EV_PROCESSED,
        cell,
        lambda: {
            "message_type": type(msg).__name__,
            "duration_us": duration_ns / 1000,
            "failed": error is not None,
        },
    )
