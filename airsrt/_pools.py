"""Worker pools: ``system.spawn_pool(...)``.

A pool is a set of identical workers supervised one-for-one, and a `PoolRef` that picks a
worker for each message right at the call site -- there is no router actor in between, so a
message through a pool costs one routing decision more than a message to a worker. A worker that
crashes is restarted in place (same ref); one stopped for good is replaced, and its slot in the
routing is kept, so consistent hashing keeps sending a key to the same slot.

A pool keeps serving through occasional bad input: its restart intensity (by default more than
10 x size restarts within 5 s) counts only failures that follow one another with no message
handled successfully in between, so it gives up only when its workers stop getting anything
done. Once it has given up (or was stopped), every ``tell``, ``send`` and ``ask`` to it raises
``ActorStoppedError`` at the call site, naming the pool and why; the message is still recorded
as a dead letter.
"""

from __future__ import annotations

import asyncio
import bisect
import enum
import random
import zlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from airsrt import _core, _monitoring
from airsrt._core import PHASE_STOPPING
from airsrt._errors import ActorStartError, ActorStoppedError, ConfigurationError
from airsrt._mailbox import Mailbox
from airsrt._messages import Message
from airsrt._stats import PoolStats
from airsrt._strategies import DynamicSupervisor, OneForOne, Strategy
from airsrt._supervisor import ChildSpec, Supervisor, _Child, _ChildExited

if TYPE_CHECKING:
    from airsrt._core import ActorRef, AskFuture, SupervisorRef, _Default

__all__ = ["PoolRef", "Routing"]

R = TypeVar("R")

_VNODES = 64  # points per worker on the consistent-hash ring


class Routing(enum.Enum):
    """How a pool picks the worker for a message.

    Attributes:
        ROUND_ROBIN: Each worker in turn.
        RANDOM: A worker at random.
        SMALLEST_MAILBOX: The worker with the fewest queued messages (an idle one first).
        BROADCAST: Every worker gets a copy of a tell or send; ask with ``pool.ask_all``,
            which gathers every reply into a list (``pool.ask`` refuses, since one reply
            would not be the answer of a broadcast).
        CONSISTENT_HASH: ``key(msg)`` decides: equal keys always reach the same worker slot.
    """

    ROUND_ROBIN = "round_robin"
    RANDOM = "random"
    SMALLEST_MAILBOX = "smallest_mailbox"
    BROADCAST = "broadcast"
    CONSISTENT_HASH = "consistent_hash"


class PoolSupervisor(Supervisor):
    """The one-for-one supervisor of a pool's workers; keeps the pool's slots up to date.

    Its restart intensity forgets the restarts counted so far whenever a worker has handled a
    message successfully since the previous failure: an occasional bad message costs a restart,
    never the pool."""

    def __init__(
        self,
        strategy: Strategy,
        factory: Callable[..., Any],
        args: tuple[Any, ...],
        mailbox: Mailbox | None,
        size: int,
        slots: list[ActorRef],
    ) -> None:
        super().__init__(strategy, [ChildSpec(i, factory, *args, mailbox=mailbox) for i in range(size)])
        self._slots = slots
        # Workers are spawned now, so the pool routes from the first message on; each starts in
        # its own turn and handles what it was sent once its on_start is done.
        slots.clear()
        for child in self._children.values():
            child.starting = True
            slots.append(self._spawn_child(child))

    async def on_start(self) -> None:
        for child in self._children.values():
            assert child.ref is not None
            try:
                await child.ref.ready()
            except ActorStartError as error:
                await self._stop_all_for_good()
                raise self._start_error(child.spec, error) from error
            finally:
                child.starting = False

    def _count_restart(self, child: _Child, now: float) -> bool:
        progressed = False
        for each in self._children.values():
            served = _served(each.ref)
            if served > each.served:
                progressed = True
            each.served = served
        if progressed:
            self._intensity.clear()  # the pool got work done since the last failure
        return self._intensity.add(now)

    def _on_child_exited(self, msg: _ChildExited) -> None:
        child = self._by_cell.get(msg.cell)
        super()._on_child_exited(msg)
        if child is None or child.ref is not msg.cell or self._giving_up or not self._knows(child):
            return
        # Stopped for good (ref.stop()): replace it in the same slot (ids are slot numbers).
        self._slots[child.spec.id] = self._spawn_child(child)


def _served(ref: ActorRef | None) -> int:
    """Messages `ref` has handled successfully (a handler still running is not counted)."""
    if ref is None:
        return 0
    stats = ref.stats()
    served: int = stats.processed - stats.failed
    if ref._has_extra:
        extra = ref._extra
        if extra.task is not None and extra.task in ref.system._busy:
            served -= 1  # an async handler whose outcome is not booked yet: not a success (yet)
    return served


class PoolRef:
    """A ref to a pool: ``tell``, ``ask`` and ``send`` go to one worker, chosen per message;
    ``ask_all`` asks every worker.

    Threads: `tell`, `mailbox_size`, `stats` and the properties work from any thread; `ask`,
    `ask_all`, `send`, `ready` and `stop` belong to the loop's thread and raise
    `airsrt.WrongThreadError` elsewhere.

    Attributes:
        routing: The pool's [`Routing`][airsrt.Routing].
    """

    __slots__ = ("_key", "_next", "_ring", "_rng", "_slots", "_supervisor", "routing")

    def __init__(
        self,
        supervisor: SupervisorRef,
        slots: list[ActorRef],
        routing: Routing,
        key: Callable[[Any], Any] | None,
    ) -> None:
        self._supervisor = supervisor
        self._slots = slots
        self.routing = routing
        self._key = key
        self._next = 0
        self._rng = random.Random()
        self._ring: tuple[list[int], list[int]] | None = None
        if routing is Routing.CONSISTENT_HASH:
            points = sorted((_hash(f"{slot}:{v}"), slot) for slot in range(len(slots)) for v in range(_VNODES))
            self._ring = ([h for h, _ in points], [slot for _, slot in points])

    # -- routing ----------------------------------------------------------------------------------

    def _pick(self, msg: Any) -> ActorRef:
        slots = self._slots
        routing = self.routing
        if routing is Routing.ROUND_ROBIN:
            index = self._next
            self._next = (index + 1) % len(slots)
            return slots[index]
        if routing is Routing.RANDOM:
            return slots[self._rng.randrange(len(slots))]
        if routing is Routing.SMALLEST_MAILBOX:
            return min(slots, key=_load)
        assert self._ring is not None and self._key is not None
        hashes, owners = self._ring
        at = bisect.bisect(hashes, _hash(str(self._key(msg)))) % len(hashes)
        return slots[owners[at]]

    def tell(self, msg: object, ttl: float | None = None, priority: int | None = None) -> None:
        """Sends `msg` to one worker (every worker for BROADCAST); like
        [`ActorRef.tell`][airsrt.ActorRef.tell], it works from any thread.

        Raises:
            ActorStoppedError: The pool gave up (or was stopped); `msg` became a dead letter.
        """
        sup = self._supervisor
        if sup._phase >= PHASE_STOPPING or sup._extra.gave_up is not None:
            self._refuse(msg)
        if self.routing is Routing.BROADCAST:
            for worker in tuple(self._slots):
                worker.tell(msg, ttl, priority)
            return
        self._pick(msg).tell(msg, ttl, priority)

    @overload
    def ask(
        self,
        msg: Message[R],
        timeout: float | None | _Default = ...,
        ttl: float | None = None,
        priority: int | None = None,
    ) -> AskFuture[R]: ...
    @overload
    def ask(
        self,
        msg: object,
        timeout: float | None | _Default = ...,
        ttl: float | None = None,
        priority: int | None = None,
    ) -> AskFuture[Any]: ...
    def ask(
        self,
        msg: object,
        timeout: float | None | _Default = _core.DEFAULT,
        ttl: float | None = None,
        priority: int | None = None,
    ) -> AskFuture[Any]:
        """Asks the worker the routing picks; like [`ActorRef.ask`][airsrt.ActorRef.ask] (typed
        by the message's `Message[R]`, loop thread only).

        Raises:
            ActorStoppedError: At the call: the pool gave up (or was stopped); `msg` became a
                dead letter.
            ConfigurationError: The pool routes BROADCAST: use `ask_all` for every reply.
            WrongThreadError: Called from a thread other than the loop's.
        """
        sup = self._supervisor
        if sup._phase >= PHASE_STOPPING or sup._extra.gave_up is not None:
            self._refuse(msg)
        if self.routing is Routing.BROADCAST:
            raise ConfigurationError(
                f"pool {self.name} routes BROADCAST, so an ask would have one reply per worker; "
                f"use 'await pool.ask_all({type(msg).__name__}(...))' for the list of replies"
            )
        # The worker's ask refuses other threads itself (at no cost to this path).
        return self._pick(msg).ask(msg, timeout, ttl, priority)

    @overload
    def ask_all(
        self, msg: Message[R], timeout: float | None | _Default = ..., ttl: float | None = None
    ) -> asyncio.Future[list[R]]: ...
    @overload
    def ask_all(
        self, msg: object, timeout: float | None | _Default = ..., ttl: float | None = None
    ) -> asyncio.Future[list[Any]]: ...
    def ask_all(
        self, msg: object, timeout: float | None | _Default = _core.DEFAULT, ttl: float | None = None
    ) -> asyncio.Future[list[Any]]:
        """Asks every worker, whatever the routing; awaiting gives their replies in slot order.

        Each worker gets `msg` at call time. Like `asyncio.gather`, the first worker error
        is raised (the other asks still run to their outcome).

        Raises:
            ActorStoppedError: At the call: the pool gave up (or was stopped); `msg` became a
                dead letter.
            WrongThreadError: Called from a thread other than the loop's.
        """
        _core._check_thread(self._supervisor.system, "pool.ask_all", self._supervisor)
        sup = self._supervisor
        if sup._phase >= PHASE_STOPPING or sup._extra.gave_up is not None:
            self._refuse(msg)
        return asyncio.gather(*[w.ask(msg, timeout, ttl) for w in tuple(self._slots)])

    async def send(self, msg: object, timeout: float | None = None) -> None:
        """Like [`ActorRef.send`][airsrt.ActorRef.send]: waits for room in the chosen worker's
        BLOCK mailbox (every worker's for BROADCAST); await it on the loop.

        Raises:
            ActorStoppedError: The pool gave up (or was stopped); `msg` became a dead letter.
        """
        _core._check_thread(self._supervisor.system, "pool.send", self._supervisor, True)
        sup = self._supervisor
        if sup._phase >= PHASE_STOPPING or sup._extra.gave_up is not None:
            self._refuse(msg)
        if self.routing is Routing.BROADCAST:
            await asyncio.gather(*(w.send(msg, timeout) for w in tuple(self._slots)))
            return
        await self._pick(msg).send(msg, timeout)

    def _gave_up(self) -> Any:
        sup = self._supervisor
        return sup._extra.gave_up if sup._has_extra else None

    def _refuse(self, msg: Any) -> None:
        """The pool is not serving: record `msg` as a dead letter and raise at the call site.
        During and after a system shutdown the usual outcomes stand instead (a dead letter with
        reason ``shutdown``, or ``SystemNotRunningError``)."""
        sup = self._supervisor
        system = sup.system
        if system._closing:
            return
        gave_up = self._gave_up()
        if gave_up is not None:
            why = f"pool {self.name} is not serving: {gave_up}"
        else:
            reason = sup._stop_reason
            why = f"pool {self.name} is not serving: it was stopped (reason: {reason or 'stopped'!r})"
        system.n_sent += 1
        if system._on_thread():
            _core._drop(sup, msg, None, "stopped", None)
        else:  # a tell from another thread: the dead letter is recorded on the loop's thread
            system.n_dead_letters += 1
            system.loop.call_soon_threadsafe(_monitoring.dead_letter, system, msg, sup, "stopped")
        error = ActorStoppedError(
            f"{why}; {type(msg).__name__} was not delivered (it is a dead letter). A pool does not "
            "come back: spawn a new one (and see its workers' failures in the log)",
            actor=self.name,
            message=msg,
        )
        error.__cause__ = gave_up
        raise error

    # -- the pool as a whole ------------------------------------------------------------------

    @property
    def workers(self) -> tuple[ActorRef, ...]:
        """The current worker refs, by slot; any thread."""
        return tuple(self._slots)

    @property
    def supervisor(self) -> SupervisorRef:
        """The supervisor of the workers; any thread."""
        return self._supervisor

    @property
    def name(self) -> str:
        """The name of the pool's supervisor (the pool's `name=`, or a generated one); any
        thread."""
        return self._supervisor.name

    @property
    def is_alive(self) -> bool:
        """True until the pool's supervisor has stopped; any thread."""
        return self._supervisor.is_alive

    def mailbox_size(self) -> int:
        """Messages queued across all workers; any thread."""
        return sum(w.mailbox_size() for w in tuple(self._slots))

    def stats(self) -> PoolStats:
        """Per-worker stats and the workers' total of processed messages, as an
        `airsrt.PoolStats` record; any thread."""
        workers = tuple(w.stats() for w in tuple(self._slots))
        return PoolStats(sum(w.processed for w in workers), workers)

    async def ready(self) -> None:
        """Waits until every worker has started (await it on the loop)."""
        await self._supervisor.ready()

    async def stop(self, drain: bool = False, timeout: float | None = 5.0) -> None:
        """Stops the workers (children first) and the pool (await it on the loop)."""
        await self._supervisor.stop(drain, timeout)

    def __len__(self) -> int:
        return len(self._slots)

    def __repr__(self) -> str:
        return f"<PoolRef {self.name} {self.routing.name} x{len(self._slots)}>"


def _load(worker: ActorRef) -> int:
    return worker.mailbox_size() * 2 + (worker._sched != _core.SCHED_IDLE)


def _hash(text: str) -> int:
    return zlib.crc32(text.encode())


def make_pool(
    system: Any,
    factory: Callable[..., Any],
    args: Sequence[Any],
    *,
    size: int,
    routing: Routing,
    name: str | None,
    key: Callable[[Any], Any] | None,
    mailbox: Mailbox | None,
    strategy: Strategy | None,
) -> PoolRef:
    """``system.spawn_pool``: validates, spawns the pool supervisor and its workers."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError(f"pool size must be an int >= 1, got {size!r}")
    if not isinstance(routing, Routing):
        raise ConfigurationError(f"routing must be an airsrt.Routing, got {routing!r}")
    if routing is Routing.CONSISTENT_HASH and not callable(key):
        raise ConfigurationError("Routing.CONSISTENT_HASH needs key=, a function from a message to its key")
    if key is not None and routing is not Routing.CONSISTENT_HASH:
        raise ConfigurationError("key= is only used by Routing.CONSISTENT_HASH")
    ChildSpec("worker", factory, *args, mailbox=mailbox)  # validates the factory and mailbox
    if strategy is not None and (not isinstance(strategy, Strategy) or isinstance(strategy, DynamicSupervisor)):
        raise ConfigurationError(
            f"a pool's strategy sets its workers' restart limits: airsrt.OneForOne(max_restarts=..., "
            f"within=...) (or OneForAll, RestForOne), got {strategy!r}"
        )
    strategy = strategy if strategy is not None else OneForOne(max_restarts=10 * size, within=5.0)
    slots: list[ActorRef] = []

    def build() -> PoolSupervisor:
        return PoolSupervisor(strategy, factory, tuple(args), mailbox, size, slots)

    build.__name__ = "Pool"
    supervisor = system._spawn(system._root, build, (), name, None, _core.SupervisorRef)
    return PoolRef(supervisor, slots, routing, key)
