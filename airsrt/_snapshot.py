"""``system.snapshot()``: every actor, the supervision tree, the counters and the dead letters,
as typed, JSON-ready records.

The compiled walk (``_snapshot.pxi``) visits each live cell once and reads its counters where
they live; this module adds what only Python knows -- supervisors' strategies, restart intensity
and child ids, pools, dead letters by reason -- and wraps it all in frozen records. A snapshot
costs one visit per actor when it is taken and nothing on the message path.

A snapshot describes one node (one `ActorSystem`); records carry the node's label, so the
snapshots of several nodes can be combined with `merge_snapshots` into one view.
"""

from __future__ import annotations

import json
import time
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from airsrt import _core
from airsrt._core import PHASE_RESTARTING, PHASE_STARTING, PHASE_STOPPED
from airsrt._errors import ConfigurationError
from airsrt._pools import PoolSupervisor
from airsrt._strategies import Backoff
from airsrt._supervisor import DynamicSupervisorActor, Supervisor, SupervisorFactory

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = [
    "ActorSnapshot",
    "ChildSnapshot",
    "ClusterSnapshot",
    "CountersSnapshot",
    "DeadLetterSnapshot",
    "DeadLettersSnapshot",
    "SupervisorSnapshot",
    "SystemSnapshot",
    "merge_snapshots",
    "take",
]

# How many of the most recent dead letters a snapshot lists.
RECENT_DEAD_LETTERS = 20


def _actor_id(node: str, uid: int) -> str:
    return f"{node}:{uid}"


def _json_value(value: Any) -> Any:
    """A child id as JSON can carry it (ids may be any hashable value)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


@dataclass(frozen=True, slots=True)
class ActorSnapshot:
    """One actor at the moment of the snapshot.

    Attributes:
        node: The label of the node (system) the actor lives on.
        uid: Its number on that node (0 is the guardian, the root of the tree).
        parent_uid: Its parent's uid, None for the guardian.
        depth: Its depth in the tree (the guardian is 0, top-level actors 1).
        name: Its display name: the registered name, or ``"Class#uid"``.
        registered_name: The name it was spawned with (for ``system.lookup``), or None.
        path: The names from the guardian down, as ``"/app/db/Worker#12"``.
        kind: ``"actor"``, ``"supervisor"``, ``"pool"`` (a pool's supervisor) or
            ``"guardian"``.
        class_name: Its Actor class.
        state: ``IDLE``, ``SCHEDULED``, ``RUNNING`` or ``BUSY`` while alive; else
            ``STARTING``, ``RESTARTING``, ``STOPPING`` or ``STOPPED``.
        incarnation: 1 for the first instance, +1 per restart.
        mailbox: Messages waiting: queued, plus senders parked on a full BLOCK mailbox.
        waiting_senders: Of those, the parked senders.
        max_mailbox: The mailbox's high-watermark since the actor was spawned.
        processed: Handlers run (failed or not).
        failed: Handlers that raised.
        restarts: Times this actor was restarted.
        children: How many children it has.
        child_id: Its id in its supervisor's child specs, None if it has no supervisor spec.
        busy_since: For an actor running an async handler, the loop time it started: exact
            while the system traces messages, otherwise when a snapshot first saw it running
            (so at most the time between two snapshots late). None when not busy.
        handling: The message type that async handler is handling.
    """

    node: str
    uid: int
    parent_uid: int | None
    depth: int
    name: str
    registered_name: str | None
    path: str
    kind: str
    class_name: str | None
    state: str
    incarnation: int
    mailbox: int
    waiting_senders: int
    max_mailbox: int
    processed: int
    failed: int
    restarts: int
    children: int
    child_id: str | int | float | bool | None
    busy_since: float | None
    handling: str | None

    @property
    def id(self) -> str:
        """``"node:uid"``: unique across the nodes of a merged snapshot."""
        return _actor_id(self.node, self.uid)

    @property
    def parent(self) -> str | None:
        """The parent's `id`, None for the guardian."""
        return None if self.parent_uid is None else _actor_id(self.node, self.parent_uid)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict, with ``id`` and ``parent`` added."""
        out = {name: getattr(self, name) for name in _core.SNAPSHOT_FIELDS}
        out["id"] = self.id
        out["parent"] = self.parent
        return out


_core._install_snapshot(ActorSnapshot)


@dataclass(frozen=True, slots=True)
class ChildSnapshot:
    """One child spec of a supervisor.

    Attributes:
        id: The child's id (its repr if it is not a str, int, float or bool).
        actor: The `ActorSnapshot.id` of its current actor, None while it is not running.
        state: ``"running"``, ``"starting"``, ``"restarting"`` or ``"terminated"``.
        restart: Its restart policy: ``"permanent"``, ``"transient"`` or ``"temporary"``.
        restarts: How many times this supervisor restarted it.
        is_supervisor: True for a nested supervisor.
    """

    id: str | int | float | bool | None
    actor: str | None
    state: str
    restart: str
    restarts: int
    is_supervisor: bool

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return {
            "id": self.id, "actor": self.actor, "state": self.state, "restart": self.restart,
            "restarts": self.restarts, "is_supervisor": self.is_supervisor,
        }


_make_child = _core.RecordMaker(ChildSnapshot, tuple(f.name for f in fields(ChildSnapshot)), True)


@dataclass(frozen=True, slots=True)
class SupervisorSnapshot:
    """A supervisor (or a pool, or the guardian) and the restart intensity it has used.

    Attributes:
        actor: Its `ActorSnapshot.id`.
        kind: ``"supervisor"``, ``"pool"`` or ``"guardian"``.
        strategy: ``"OneForOne"``, ``"OneForAll"`` or ``"RestForOne"``; None for a guardian
            without a strategy (it stops a failed top-level actor).
        max_restarts: Restarts allowed within `within` seconds.
        within: The intensity's sliding window, in seconds.
        restarts_in_window: Restarts counted in the window now: the intensity used.
        backoff: The strategy's `Backoff` as a dict, or None.
        children: Its child specs in start order (empty for the guardian, which keeps none).
    """

    actor: str
    kind: str
    strategy: str | None
    max_restarts: int
    within: float
    restarts_in_window: int
    backoff: Mapping[str, float] | None
    children: tuple[ChildSnapshot, ...]

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return {
            "actor": self.actor, "kind": self.kind, "strategy": self.strategy,
            "max_restarts": self.max_restarts, "within": self.within,
            "restarts_in_window": self.restarts_in_window,
            "backoff": dict(self.backoff) if self.backoff is not None else None,
            "children": [c.as_dict() for c in self.children],
        }


@dataclass(frozen=True, slots=True)
class CountersSnapshot:
    """System counters, the ledger of message outcomes, and mailbox totals.

    ``sent == handled + rejected + dead_letters + returned + withdrawn + in_flight``: messages
    not yet at an outcome (queued, or waiting for room) are `in_flight`; a message counts as
    handled once its handler has started.

    Attributes:
        actors: Live actors (the guardian not counted).
        spawned: Actors spawned so far.
        stopped: Actors stopped so far.
        restarts: Restarts so far.
        failures: Handler failures so far.
        sent: Messages sent (tell, ask, publish copies, runtime notices).
        handled: Messages whose handler ran.
        rejected: Refused at the call site (the sender got an exception).
        dead_letters: Messages that became dead letters.
        returned: Asks answered with an error without being handled.
        withdrawn: Messages withdrawn by their sender before they were handled.
        late_replies: Answers that came after their ask gave up (dead letters too, but
            answers rather than messages: not part of the ledger).
        in_flight: Sent, not yet at an outcome.
        mailbox_total: Messages waiting across all mailboxes.
        mailbox_max: The deepest mailbox.
        busy: Actors running an async handler.
    """

    actors: int
    spawned: int
    stopped: int
    restarts: int
    failures: int
    sent: int
    handled: int
    rejected: int
    dead_letters: int
    returned: int
    withdrawn: int
    late_replies: int
    in_flight: int
    mailbox_total: int
    mailbox_max: int
    busy: int

    def as_dict(self) -> dict[str, int]:
        """The fields as a JSON-ready dict."""
        return {name: getattr(self, name) for name in _COUNTER_FIELDS}


_COUNTER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CountersSnapshot))


@dataclass(frozen=True, slots=True)
class DeadLetterSnapshot:
    """One recent dead letter.

    Attributes:
        reason: Why it was not delivered (``stopped``, ``mailbox_full``, ``expired``, ...).
        message_type: The message's class name.
        recipient: The recipient's display name, or None.
        recipient_id: The recipient's `ActorSnapshot.id`, or None.
    """

    reason: str
    message_type: str
    recipient: str | None
    recipient_id: str | None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return {
            "reason": self.reason, "message_type": self.message_type,
            "recipient": self.recipient, "recipient_id": self.recipient_id,
        }


@dataclass(frozen=True, slots=True)
class DeadLettersSnapshot:
    """Dead letters so far, by reason.

    Attributes:
        total: Every dead letter so far (late replies included).
        by_reason: Counts per reason.
        exact: True if `by_reason` covers every dead letter; False if it counts only the
            system's recent history (``dead_letter_history``), which older ones have left.
        recent: The most recent ones, newest last.
    """

    total: int
    by_reason: Mapping[str, int]
    exact: bool
    recent: tuple[DeadLetterSnapshot, ...]

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return {
            "total": self.total, "by_reason": dict(self.by_reason), "exact": self.exact,
            "recent": [d.as_dict() for d in self.recent],
        }


@dataclass(frozen=True, slots=True)
class SystemSnapshot:
    """One node's actor system at one moment (``system.snapshot()``).

    Attributes:
        node: The node's label (the system's name unless ``snapshot(node=...)`` gave one).
        system: The system's name.
        state: ``"running"``, ``"stopping"`` or ``"stopped"``.
        taken_at: Wall-clock time of the snapshot (``time.time()``).
        loop_time: The system's loop time at the snapshot (what `busy_since` is measured in).
        duration: Seconds the snapshot took.
        actors: Every live actor, parents before children, in start order; the guardian first.
        supervisors: The guardian, every supervisor and every pool, with their strategies.
        counters: System counters and the ledger.
        dead_letters: Dead letters by reason.
        events: Events emitted so far, per kind (counted whether or not anyone listened).
    """

    node: str
    system: str
    state: str
    taken_at: float
    loop_time: float
    duration: float
    actors: tuple[ActorSnapshot, ...]
    supervisors: tuple[SupervisorSnapshot, ...]
    counters: CountersSnapshot
    dead_letters: DeadLettersSnapshot
    events: Mapping[str, int] = field(default_factory=dict)

    @property
    def nodes(self) -> tuple[SystemSnapshot, ...]:
        """This snapshot alone (a `ClusterSnapshot` has one per node)."""
        return (self,)

    def find(self, name: str) -> ActorSnapshot | None:
        """The first actor whose display name is `name`, or None."""
        for actor in self.actors:
            if actor.name == name:
                return actor
        return None

    def as_dict(self) -> dict[str, Any]:
        """The whole snapshot as a JSON-ready dict."""
        return {
            "node": self.node,
            "system": self.system,
            "state": self.state,
            "taken_at": self.taken_at,
            "loop_time": self.loop_time,
            "duration": self.duration,
            "actors": [a.as_dict() for a in self.actors],
            "supervisors": [s.as_dict() for s in self.supervisors],
            "counters": self.counters.as_dict(),
            "dead_letters": self.dead_letters.as_dict(),
            "events": dict(self.events),
        }

    def to_json(self) -> str:
        """`as_dict` as a JSON text."""
        return json.dumps(self.as_dict(), separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class ClusterSnapshot:
    """The snapshots of several nodes seen as one (`merge_snapshots`).

    Actor ids stay unique (they start with the node's label); each node's guardian is a root.

    Attributes:
        nodes: The nodes' snapshots, in the order given.
    """

    nodes: tuple[SystemSnapshot, ...]

    @property
    def taken_at(self) -> float:
        """When the oldest of the node snapshots was taken."""
        return min(n.taken_at for n in self.nodes)

    @property
    def actors(self) -> tuple[ActorSnapshot, ...]:
        """Every node's actors, node by node."""
        return tuple(a for n in self.nodes for a in n.actors)

    @property
    def supervisors(self) -> tuple[SupervisorSnapshot, ...]:
        """Every node's supervisors."""
        return tuple(s for n in self.nodes for s in n.supervisors)

    @property
    def counters(self) -> CountersSnapshot:
        """The nodes' counters added up (the deepest mailbox is the deepest of all)."""
        sums = dict.fromkeys(_COUNTER_FIELDS, 0)
        for node in self.nodes:
            for name in sums:
                value = getattr(node.counters, name)
                sums[name] = max(sums[name], value) if name == "mailbox_max" else sums[name] + value
        return CountersSnapshot(**sums)

    @property
    def dead_letters(self) -> DeadLettersSnapshot:
        """The nodes' dead letters added up by reason."""
        by_reason: Counter[str] = Counter()
        for node in self.nodes:
            by_reason.update(node.dead_letters.by_reason)
        return DeadLettersSnapshot(
            total=sum(n.dead_letters.total for n in self.nodes),
            by_reason=dict(by_reason),
            exact=all(n.dead_letters.exact for n in self.nodes),
            recent=tuple(d for n in self.nodes for d in n.dead_letters.recent),
        )

    @property
    def events(self) -> Mapping[str, int]:
        """The nodes' event counts added up per kind."""
        total: Counter[str] = Counter()
        for node in self.nodes:
            total.update(node.events)
        return dict(total)

    def find(self, name: str) -> ActorSnapshot | None:
        """The first actor, on any node, whose display name is `name`, or None."""
        for node in self.nodes:
            found = node.find(name)
            if found is not None:
                return found
        return None

    def as_dict(self) -> dict[str, Any]:
        """Every node's snapshot as a JSON-ready dict, under ``"nodes"``."""
        return {"nodes": [n.as_dict() for n in self.nodes]}

    def to_json(self) -> str:
        """`as_dict` as a JSON text."""
        return json.dumps(self.as_dict(), separators=(",", ":"))


def merge_snapshots(snapshots: Iterable[SystemSnapshot]) -> ClusterSnapshot:
    """Combines the snapshots of several nodes into one view.

    Raises:
        ConfigurationError: Two snapshots have the same node label (their actor ids would
            collide): take them with ``system.snapshot(node="...")`` and distinct labels.
    """
    nodes: list[SystemSnapshot] = []
    seen: set[str] = set()
    for snap in snapshots:
        for part in snap.nodes:
            if part.node in seen:
                raise ConfigurationError(
                    f"two snapshots are labelled node {part.node!r}; their actor ids would collide "
                    "(take them with system.snapshot(node='...') and a distinct label per node)"
                )
            seen.add(part.node)
            nodes.append(part)
    return ClusterSnapshot(tuple(nodes))


# -- taking a snapshot -----------------------------------------------------------------------------

# When a snapshot first saw each running async handler's Task (loop time): what `busy_since`
# reports while the system is not tracing messages (the core stamps no start time then).
_first_seen: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


def take(system: ActorSystem, node: str | None = None) -> SystemSnapshot:
    """``system.snapshot()``: see `ActorSystem.snapshot`."""
    # The tree can change under a walk from another thread.
    _core._check_thread(system, "snapshot")
    label = system.name if node is None else node
    if not isinstance(label, str) or not label:
        raise ConfigurationError(f"snapshot node label must be a non-empty str, got {node!r}")
    started = time.perf_counter()
    taken_at = time.time()
    now = system._time() if system._state != "new" else 0.0
    supervisors: list[SupervisorSnapshot] = []

    def describe_parent(cell: ActorRef) -> tuple[str, dict[ActorRef, Any] | None]:
        actor = cell._actor
        if not isinstance(actor, Supervisor):
            return "supervisor", None  # between incarnations: no instance to ask
        kind = "pool" if isinstance(actor, PoolSupervisor) else "supervisor"
        ids: dict[ActorRef, Any] = {}
        children = []
        make = _make_child
        prefix = label + ":"
        # The states of _Child.info(), decided here without building a ChildInfo each, and
        # the rest read as plainly as can be: a pool of a million workers is a million children.
        if isinstance(actor, DynamicSupervisorActor):
            # Children by ref; one never restarted has no record: its template tells all.
            template = actor._template
            entries: Any = ((kid, ref) for ref, kid in actor._kids.items())
        else:
            template = None
            entries = ((kid, kid.ref) for kid in actor._children.values())
        for child, ref in entries:
            if child is None:
                assert template is not None  # only a dynamic supervisor's children lack records
                spec, starting, restarts = template, False, 0
            else:
                spec, starting, restarts = child.spec, child.starting, child.restarts
            child_id = spec.id
            if type(child_id) is not str and type(child_id) is not int:
                child_id = _json_value(child_id)
            if ref is None or ref._phase == PHASE_STOPPED:
                state, actor_id = "terminated", None
            else:
                phase = ref._phase
                if starting:
                    state = "starting"
                elif phase == PHASE_RESTARTING or phase == PHASE_STARTING:
                    state = "restarting"
                else:
                    state = "running"
                ids[ref] = child_id
                actor_id = prefix + str(ref._uid)
            children.append(make(
                child_id, actor_id, state, spec.restart._value_, restarts,
                type(spec.factory) is SupervisorFactory,
            ))
        strategy = actor._strategy
        supervisors.append(SupervisorSnapshot(
            _actor_id(label, cell._uid),
            kind,
            type(strategy).__name__,
            strategy.max_restarts,
            strategy.within,
            actor._intensity.count(now),
            _backoff(strategy.backoff),
            tuple(children),
        ))
        return kind, ids

    def describe_busy(cell: ActorRef) -> tuple[float, str | None]:
        extra = cell._extra
        task = extra.task
        if extra.traced_since is not None:
            # Stamped by the core on the monotonic clock, in nanoseconds.
            since = now - (time.monotonic_ns() - extra.traced_since) * 1e-9
        else:
            since = _first_seen.setdefault(task, now)
        msg = extra.task_msg
        return since, (type(msg).__name__ if msg is not None else None)

    if system._state == "new":
        records: list[ActorSnapshot] = []
        mailbox_total = mailbox_max = busy = 0
    else:
        records, mailbox_total, mailbox_max, busy = _core._snapshot_walk(
            system, label, describe_parent, describe_busy
        )
    guardian = system.guardian
    strategy = guardian.strategy
    intensity = guardian._intensity
    if records:  # the guardian's record, when the tree (and so the guardian's cell) exists
        supervisors.insert(0, SupervisorSnapshot(
            _actor_id(label, 0),
            "guardian",
            type(strategy).__name__ if strategy is not None else None,
            intensity.max_restarts,
            intensity.within,
            intensity.count(now),
            _backoff(strategy.backoff) if strategy is not None else None,
            (),
        ))
    counters = _counters(system, mailbox_total, mailbox_max, busy)
    return SystemSnapshot(
        node=label,
        system=system.name,
        state=system._state,
        taken_at=taken_at,
        loop_time=now,
        duration=time.perf_counter() - started,
        actors=tuple(records),
        supervisors=tuple(supervisors),
        counters=counters,
        dead_letters=dead_letters(system, label),
        events=system.events.snapshot(),
    )


def _backoff(backoff: Backoff | None) -> dict[str, float] | None:
    if backoff is None:
        return None
    return {
        "initial": backoff.initial, "maximum": backoff.maximum, "factor": backoff.factor,
        "jitter": backoff.jitter,
    }


def _counters(system: ActorSystem, mailbox_total: int, mailbox_max: int, busy: int) -> CountersSnapshot:
    # The ledger's counters are system.stats()'s, under the same names; the rest is the walk's.
    stats = system.stats()
    shared = {f.name: getattr(stats, f.name) for f in fields(CountersSnapshot) if hasattr(stats, f.name)}
    outcomes = stats.handled + stats.rejected + stats.dead_letters + stats.returned + stats.withdrawn
    return CountersSnapshot(
        **shared,
        in_flight=stats.sent - outcomes,
        mailbox_total=mailbox_total,
        mailbox_max=mailbox_max,
        busy=busy,
    )


def dead_letters(system: ActorSystem, node: str) -> DeadLettersSnapshot:
    """Dead letters by reason (counted in full by `DeadLetters.counts`), and the latest ones."""
    letters = system.dead_letters
    recent = letters.recent()
    total = letters.count
    by_reason = letters.counts()
    tail = []
    for letter in recent[-RECENT_DEAD_LETTERS:]:
        recipient = letter.recipient
        tail.append(DeadLetterSnapshot(
            letter.reason,
            type(letter.message).__name__,
            recipient.name if recipient is not None else None,
            _actor_id(node, recipient._uid) if recipient is not None else None,
        ))
    return DeadLettersSnapshot(
        total=total,
        by_reason=dict(by_reason),
        exact=sum(by_reason.values()) == total,
        recent=tuple(tail),
    )

