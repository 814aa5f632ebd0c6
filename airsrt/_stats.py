"""Typed records of counters: ``ref.stats()``, ``system.stats()`` and ``pool.stats()``.

Each record is a frozen, slotted dataclass: read a counter as an attribute (``stats.processed``),
export the whole record with ``as_dict()``. Records are not mappings: ``stats["processed"]`` is a
``TypeError`` at run time and an error for mypy, so a misspelt or removed counter is caught where
it is read instead of passing as ``Any``.

Every counter here is read from the runtime without locking, so a record can be taken from any
thread; counters that change together (the ledger) are then consistent only once nothing is in
flight.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["ActorStats", "ControlTraffic", "HandlerLatency", "PoolStats", "SystemStats"]


class _Record:
    """``as_dict`` for the records (nested records become nested dicts, tuples lists)."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict (nested records as dicts), for JSON or metrics export."""
        return dataclasses.asdict(cast("DataclassInstance", self))


@dataclass(frozen=True, slots=True)
class HandlerLatency(_Record):
    """How long an actor's handlers took, over its most recent 2,048 messages.

    Kept only while the system traces messages (``ActorSystem(trace_messages=True)`` or
    ``system.trace = True``).

    Attributes:
        count: Handler runs timed since tracing began (not only the recent ones).
        p50_us: Median duration, in microseconds.
        p90_us: 90th percentile, in microseconds.
        p99_us: 99th percentile, in microseconds.
        max_us: The longest of the recent durations, in microseconds.
    """

    count: int
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float


@dataclass(frozen=True, slots=True)
class ActorStats(_Record):
    """``ref.stats()``: one actor's counters, taken at the moment of the call.

    Counters that span restarts (``processed``, ``failed``, ``restarts``, ``max_mailbox_size``)
    belong to the ref, not to one incarnation.

    Attributes:
        processed: The user's messages whose handler ran (whether it returned or raised).
            Runtime notices such as `Terminated` and `ReceiveTimeout` are control traffic,
            counted in ``system.stats().control`` instead.
        failed: Handlers that raised.
        restarts: Times the actor was restarted.
        mailbox_size: ``queued + waiting_senders``: what `ref.mailbox_size()` returns.
        queued: Messages in the mailbox (not counting the one being handled).
        waiting_senders: Senders parked on a full ``BLOCK`` mailbox.
        max_mailbox_size: The deepest the mailbox has been.
        incarnation: 1 for the first instance, incremented by each restart.
        state: ``IDLE``, ``SCHEDULED``, ``RUNNING`` or ``BUSY`` while alive, else
            ``STARTING``, ``RESTARTING``, ``STOPPING`` or ``STOPPED``.
        latency: Handler durations while the system traces messages, else None.
    """

    processed: int
    failed: int
    restarts: int
    mailbox_size: int
    queued: int
    waiting_senders: int
    max_mailbox_size: int
    incarnation: int
    state: str
    latency: HandlerLatency | None = None


@dataclass(frozen=True, slots=True)
class ControlTraffic(_Record):
    """The messages the runtime sends itself, counted apart from the user's ledger.

    They are the messages airsrt makes rather than the user: `Terminated` notices to watchers,
    `ReceiveTimeout`, `Event` objects for actors subscribed to ``system.events``, a supervisor's
    reports about its children, and the requests behind `SupervisorRef` methods such as
    ``which_children()``. Once nothing is in flight, ``sent == handled + dropped``.

    Attributes:
        sent: Control messages queued for an actor.
        handled: Those whose handler ran.
        dropped: Those that were not handled: the actor stopped first (or could not take them),
            or the caller of a supervisor request gave up waiting. They are not dead letters:
            nobody sent them.
    """

    sent: int
    handled: int
    dropped: int


@dataclass(frozen=True, slots=True)
class SystemStats(_Record):
    """``system.stats()``: the system's counters, and the ledger of the user's messages.

    Every message user code sends (``tell``, ``ask``, ``send``, ``publish`` -- one per copy
    delivered -- ``broker.request``, timer ticks and ``pipe_to_self`` results) ends in exactly
    one outcome, so once nothing is in flight:

    ```text
    sent == handled + rejected + dead_letters + returned + withdrawn
    ```

    While messages still wait in mailboxes, ``airsrt.testing.check_ledger(system)`` adds them
    (its ``queued``). The runtime's own messages are counted in `control`, with a balance of
    their own.

    Attributes:
        actors: Live actors (``spawned - stopped``), supervisors included.
        spawned: Actors spawned.
        stopped: Actors stopped for good.
        messages: The same as `handled` (the name DESIGN uses for it).
        restarts: Actor restarts.
        failures: Handlers (and hooks) that raised.
        sent: The user's messages sent.
        handled: The user's messages whose handler ran (returned or raised).
        rejected: The user's messages refused at the call site (the sender got the exception).
        dead_letters: The user's messages that became dead letters (``system.dead_letters``).
        returned: Asks that ended with an error before their handler ran (timed out, the
            actor stopped, evicted by backpressure).
        withdrawn: Asks the caller cancelled before their handler ran, and timer ticks
            dropped by a cancel.
        late_replies: Answers that came after their ask had ended (they are dead letters too,
            reason ``late_reply``, but not messages anyone sent, so outside the ledger).
        control: The runtime's own messages (`ControlTraffic`).
    """

    actors: int
    spawned: int
    stopped: int
    messages: int
    restarts: int
    failures: int
    sent: int
    handled: int
    rejected: int
    dead_letters: int
    returned: int
    withdrawn: int
    late_replies: int
    control: ControlTraffic


@dataclass(frozen=True, slots=True)
class PoolStats(_Record):
    """``pool.stats()``: a pool's workers and what they handled.

    Attributes:
        processed: The sum of the workers' ``processed``.
        workers: Each worker's `ActorStats`, by slot.
    """

    processed: int
    workers: tuple[ActorStats, ...]
