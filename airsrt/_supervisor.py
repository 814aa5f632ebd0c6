"""Supervisors: child specs, the supervisor actors, and the operations of ``SupervisorRef``.

A supervisor is an actor. It starts its children in order and returns (from
``spawn_supervisor``) once all have started. When a child fails, the child is held (no further
message runs, its mailbox is kept) and a report goes to the front of the supervisor's mailbox;
the supervisor, in its own turn, applies its strategy: restart the child (one-for-one), every
child (one-for-all) or the child and those started after it (rest-for-one) -- the failed
child's incarnation ends first (in OTP it is already gone), then the others in reverse start
order, then the new ones start in start order -- within its restart intensity. Past the
intensity it gives up: it stops all its children in reverse start order and exits with reason
``"shutdown"``, as OTP's supervisor does, so a PERMANENT parent restarts it and a TRANSIENT one
leaves it down.

A dynamic supervisor (`DynamicSupervisor`, OTP's ``simple_one_for_one``) starts children
on demand from one template; it keeps them in a dict by ref, so starting, stopping and
forgetting a child costs the same with a hundred thousand siblings as with ten, and its
children stop all at once.

A restart that fails (the child's factory or ``on_start`` raises) is retried by a message the
supervisor sends itself, so it still answers ``terminate_child`` and stop requests meanwhile;
every retry counts toward the intensity.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TYPE_CHECKING, cast

from airsrt import _core, _lifecycle as lifecycle, _remote
from airsrt._core import FLAG_READY, PHASE_RESTARTING, PHASE_STARTING, PHASE_STOPPED, PHASE_STOPPING
from airsrt._actor import Actor, ErrorAction, handler
from airsrt._errors import (
    ActorStartError,
    ActorStoppedError,
    AirsrtError,
    ChildNotFoundError,
    ConfigurationError,
    MaxChildrenError,
    RestartLimitError,
)
from airsrt._health import HealthCheck, HealthMonitor
from airsrt._lifecycle import StopRequest
from airsrt._mailbox import Mailbox
from airsrt._monitoring import KIND_IDS
from airsrt._strategies import DynamicSupervisor, RestartPolicy, Strategy, is_normal_exit

if TYPE_CHECKING:
    from airsrt._core import ActorRef, SupervisorRef
    from airsrt._system import ActorSystem

__all__ = ["ChildCount", "ChildInfo", "ChildSpec", "DynamicSupervisorActor", "Supervisor", "supervisor"]

log = logging.getLogger("airsrt")

EV_CHILD_FAILED = KIND_IDS["supervisor.child_failed"]
EV_STRATEGY = KIND_IDS["supervisor.strategy_applied"]
EV_LIMIT = KIND_IDS["supervisor.restart_limit_exceeded"]
EV_ESCALATED = KIND_IDS["supervisor.escalated"]

# Without a backoff, a restart that failed is retried after this long: each retry counts toward
# the intensity anyway, and this keeps a child that cannot start from spinning the CPU.
RETRY_DELAY = 0.05

_WORKER_SHUTDOWN = 5.0
_NEVER = -math.inf


class ChildSpec:
    """How a supervisor starts, restarts and stops one child.

    Args:
        id: The child's id, unique within its supervisor.
        factory: An Actor subclass, a callable returning an Actor, or
            [`airsrt.supervisor(...)`][airsrt.supervisor] for a nested supervisor.
        *args: Positional arguments for the factory (kept for restarts).
        restart: A [`RestartPolicy`][airsrt.RestartPolicy] (or its name): PERMANENT (default),
            TRANSIENT, TEMPORARY.
        shutdown: Seconds of grace for the current handler and ``on_stop`` when the child is
            stopped; ``0`` kills it at once; ``None`` waits forever. Default 5 s for workers and
            ``None`` for nested supervisors.
        name: Registers the child for ``system.lookup``; the name follows it across restarts.
        mailbox: The child's [`Mailbox`][airsrt.Mailbox].
        health: A [`HealthCheck`][airsrt.HealthCheck] for periodic health checks.
        node: In an `airsrt.ray` cluster, the node the child runs in (a node name, or
            `"spread"`); None runs it beside its supervisor. Its failures reach this
            supervisor, and the loss of its node counts as its failure.

    Raises:
        ConfigurationError: An invalid id, factory, policy, shutdown, mailbox or health check
            (the message names the child).
    """

    __slots__ = ("args", "factory", "health", "id", "mailbox", "name", "node", "restart", "shutdown")

    def __init__(
        self,
        id: Any,
        factory: Callable[..., Actor],
        *args: Any,
        restart: RestartPolicy | str = RestartPolicy.PERMANENT,
        shutdown: float | None | _core._Default = _core.DEFAULT,
        name: str | None = None,
        mailbox: Mailbox | None = None,
        health: HealthCheck | None = None,
        node: str | None = None,
    ) -> None:
        if id is None:
            raise ConfigurationError("ChildSpec needs an id (a str, or any hashable value)")
        try:
            hash(id)
        except TypeError:
            raise ConfigurationError(f"child id must be hashable, got {id!r}") from None
        if factory is None or not callable(factory):
            raise ConfigurationError(
                f"child {id!r}: factory must be an Actor subclass or a callable returning an "
                f"Actor, got {factory!r}"
            )
        if isinstance(factory, type) and not issubclass(factory, Actor):
            raise ConfigurationError(f"child {id!r}: {factory.__qualname__} is not an airsrt.Actor")
        policy = RestartPolicy.parse(restart, id)
        if shutdown is _core.DEFAULT:
            shutdown = None if isinstance(factory, SupervisorFactory) else _WORKER_SHUTDOWN
        elif shutdown is not None and (
            isinstance(shutdown, bool)
            or not isinstance(shutdown, (int, float))
            or not math.isfinite(shutdown)
            or shutdown < 0
        ):
            raise ConfigurationError(
                f"child {id!r}: invalid shutdown {shutdown!r} (seconds >= 0; 0 kills at once; "
                "None waits forever)"
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigurationError(f"child {id!r}: name must be a non-empty str, got {name!r}")
        if mailbox is not None and not isinstance(mailbox, Mailbox):
            raise ConfigurationError(f"child {id!r}: mailbox must be an airsrt.Mailbox, got {mailbox!r}")
        if health is not None and not isinstance(health, HealthCheck):
            raise ConfigurationError(f"child {id!r}: health must be an airsrt.HealthCheck, got {health!r}")
        if node is not None:
            if not isinstance(node, str) or not node:
                raise ConfigurationError(f"child {id!r}: node must be a node name, got {node!r}")
            if health is not None:
                raise ConfigurationError(
                    f"child {id!r}: health checks run beside the child; a child in another node "
                    "(node=...) cannot have one"
                )
        self.id = id
        self.factory = factory
        self.args = args
        self.restart = policy
        self.shutdown = shutdown
        self.name = name
        self.mailbox = mailbox
        self.health = health
        self.node = node

    @property
    def is_supervisor(self) -> bool:
        """True if the child is a nested supervisor (its factory is ``airsrt.supervisor(...)``)."""
        return isinstance(self.factory, SupervisorFactory)

    def _with_args(self, args: tuple[Any, ...]) -> ChildSpec:
        """This spec with `args` as the factory's arguments (a dynamic child's own spec)."""
        spec = ChildSpec.__new__(ChildSpec)
        for slot in ChildSpec.__slots__:
            setattr(spec, slot, getattr(self, slot))
        spec.args = args
        return spec

    def __repr__(self) -> str:
        what = getattr(self.factory, "__qualname__", None) or repr(self.factory)
        args = "".join(f", {a!r}" for a in self.args[:5]) + (", ..." if len(self.args) > 5 else "")
        return f"ChildSpec({self.id!r}, {what}{args}, restart={self.restart.name}, shutdown={self.shutdown!r})"


@dataclass(frozen=True, slots=True)
class ChildInfo:
    """One line of ``which_children()``.

    Attributes:
        id: The child's id (a dynamic supervisor's children share the template's id; their
            refs tell them apart).
        ref: Its current ref (None if it never started).
        state: ``"running"``, ``"starting"``, ``"restarting"`` or ``"terminated"`` (also a
            child whose ``on_start`` returned ``airsrt.IGNORE``).
        restarts: How many times this supervisor restarted it.
        restart: Its [`RestartPolicy`][airsrt.RestartPolicy].
        is_supervisor: True for a nested supervisor.
    """

    id: Any
    ref: ActorRef | None
    state: str
    restarts: int
    restart: RestartPolicy
    is_supervisor: bool


@dataclass(frozen=True, slots=True)
class ChildCount:
    """What ``count_children()`` returns (OTP's ``count_children``).

    Attributes:
        specs: Children the supervisor knows of, running or not (a dynamic supervisor: its
            children).
        active: Children whose actor is running or starting (not those being restarted, nor
            terminated ones).
        supervisors: Children that are supervisors, running or not.
        workers: Children that are not supervisors, running or not.
    """

    specs: int
    active: int
    supervisors: int
    workers: int

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (for logs, JSON and metrics)."""
        return {"specs": self.specs, "active": self.active, "supervisors": self.supervisors, "workers": self.workers}


class SupervisorFactory:
    """What `supervisor` returns: builds the supervisor actor; usable as a ChildSpec
    factory for nested trees."""

    __slots__ = ("children", "strategy", "template")

    def __init__(
        self, strategy: Strategy, children: Iterable[ChildSpec] | None = (), template: ChildSpec | None = None
    ) -> None:
        if not isinstance(strategy, Strategy):
            raise ConfigurationError(
                "a supervisor needs a strategy (airsrt.OneForOne, OneForAll, RestForOne or "
                f"DynamicSupervisor), got {strategy!r}"
            )
        specs = list(children or ())
        if isinstance(strategy, DynamicSupervisor):
            if template is None:
                raise ConfigurationError(
                    "a DynamicSupervisor needs template=ChildSpec(...): the spec every child is "
                    "started from (sup.start_child(*args) appends args to the template's)"
                )
            if not isinstance(template, ChildSpec):
                raise ConfigurationError(f"template must be an airsrt.ChildSpec, got {template!r}")
            if template.name is not None:
                raise ConfigurationError(
                    f"template {template.id!r} has name={template.name!r}, which every child would "
                    "take; a dynamic supervisor's children are known by their refs (drop name=)"
                )
            if specs:
                raise ConfigurationError(
                    "a DynamicSupervisor starts with no children (it has a template instead); "
                    "start them with await sup.start_child(*args)"
                )
        elif template is not None:
            raise ConfigurationError(
                f"template= is for airsrt.DynamicSupervisor; {type(strategy).__name__} takes a "
                "list of ChildSpecs"
            )
        seen: set[Any] = set()
        for spec in specs:
            if not isinstance(spec, ChildSpec):
                raise ConfigurationError(f"supervisor children must be airsrt.ChildSpec, got {spec!r}")
            if spec.id in seen:
                raise ConfigurationError(f"duplicate child id {spec.id!r} in one supervisor")
            seen.add(spec.id)
        self.strategy = strategy
        self.children = tuple(specs)
        self.template = template

    # How a supervisor being built is named (before its instance exists): "Supervisor#7".
    __name__ = "Supervisor"

    def __call__(self) -> Supervisor:
        if self.template is not None:
            return DynamicSupervisorActor(cast(DynamicSupervisor, self.strategy), self.template)
        return Supervisor(self.strategy, self.children)

    def __repr__(self) -> str:
        if self.template is not None:
            return f"supervisor({self.strategy!r}, template={self.template!r})"
        return f"supervisor({self.strategy!r}, [{', '.join(repr(s.id) for s in self.children)}])"


def supervisor(
    strategy: Strategy, children: Iterable[ChildSpec] | None = (), *, template: ChildSpec | None = None
) -> SupervisorFactory:
    """A factory for a supervisor with `strategy` over `children`, for nested trees:

    ```python
    ChildSpec("db", airsrt.supervisor(airsrt.OneForAll(), [...]))
    ChildSpec("sessions", airsrt.supervisor(airsrt.DynamicSupervisor(), template=ChildSpec(...)))
    ```

    Args:
        strategy: `OneForOne`, `OneForAll`, `RestForOne` or `DynamicSupervisor`.
        children: The child specs of a static supervisor, in start order.
        template: The spec a `DynamicSupervisor` starts every child from.

    Raises:
        ConfigurationError: No strategy, a child that is not a ChildSpec, a duplicate id; a
            DynamicSupervisor without a template, with children or with a named template; a
            template for another strategy.
    """
    return SupervisorFactory(strategy, children, template)


# -- messages a supervisor sends itself, and the requests of SupervisorRef ---------------------


class _Notice:
    """Base of the reports a supervisor receives about its children (plain slotted classes:
    they are built on every failure, and frozen dataclasses cost a setattr call per field)."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{slot}={getattr(self, slot)!r}" for slot in self.__slots__)
        return f"{type(self).__name__}({fields})"


class _ChildDown(_Notice):
    """A child failed, exited by itself wanting a restart, or failed to restart."""

    __slots__ = ("cell", "error", "incarnation", "only_this", "reason")

    def __init__(
        self,
        cell: ActorRef,
        incarnation: int,
        reason: Any,
        error: BaseException | None,
        only_this: bool = False,  # on_error said RESTART: this child, whatever the strategy
    ) -> None:
        self.cell = cell
        self.incarnation = incarnation
        self.reason = reason
        self.error = error
        self.only_this = only_this


class _RestartNow(_Notice):
    """A delayed restart (backoff, or the retry of a restart that failed) is due."""

    __slots__ = ("cause", "group")

    def __init__(self, group: tuple[_Child, ...], cause: BaseException | None) -> None:
        self.group = group
        self.cause = cause


class _ChildExited(_Notice):
    __slots__ = ("cell", "reason")

    def __init__(self, cell: ActorRef, reason: Any) -> None:
        self.cell = cell
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _StartChild:
    spec: ChildSpec


class _StartDynamic(_Notice):
    """``start_child(*args)`` on a dynamic supervisor."""

    __slots__ = ("args",)

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args


@dataclass(frozen=True, slots=True)
class _ChildOp:
    op: str  # "terminate", "restart", "delete": they wait for a child
    id: Any = None


@dataclass(frozen=True, slots=True)
class _ChildQuery:
    op: str  # "which", "count", "spec"
    id: Any = None


def _state_of(ref: ActorRef | None, starting: bool = False) -> str:
    """A child's state in ``which_children()``, from its ref."""
    if ref is None or ref._phase == PHASE_STOPPED:
        return "terminated"
    if starting or (ref._phase == PHASE_STARTING and not ref._flags & FLAG_READY):
        return "starting"  # its first start: on_start has not finished yet
    if ref._phase in (PHASE_RESTARTING, PHASE_STARTING):
        return "restarting"  # a new incarnation whose on_start has not finished yet
    return "running"


class _Child:
    """A supervisor's record of one child."""

    __slots__ = ("attempt", "last_restart", "monitor", "ref", "restarts", "served", "spec", "starting")

    def __init__(self, spec: ChildSpec, ref: ActorRef | None = None) -> None:
        self.spec = spec
        self.ref = ref
        self.restarts = 0
        self.attempt = 0  # consecutive restarts, for the backoff
        self.last_restart = _NEVER
        self.starting = False
        self.monitor: HealthMonitor | None = None
        self.served = 0  # messages its ref had handled successfully when last looked at (pools)

    @property
    def running(self) -> bool:
        return self.ref is not None and self.ref._phase != PHASE_STOPPED

    def state(self) -> str:
        return _state_of(self.ref, self.starting)

    def info(self) -> ChildInfo:
        spec = self.spec
        return ChildInfo(spec.id, self.ref, self.state(), self.restarts, spec.restart, spec.is_supervisor)

    def label(self) -> str:
        """How messages name the child: its id (and its ref, for a dynamic supervisor's)."""
        return repr(self.spec.id)


class _DynamicChild(_Child):
    __slots__ = ()

    def label(self) -> str:
        name = self.ref.name if self.ref is not None else "?"
        return f"{self.spec.id!r} ({name})"


def _running_or_starting(child: _Child) -> bool:
    return child.state() in ("running", "starting")


class Supervisor(Actor):
    """The supervisor actor (built by `supervisor`; spawn it with
    ``system.spawn_supervisor``)."""

    error_action = ErrorAction.ESCALATE

    def __init__(self, strategy: Strategy, specs: Iterable[ChildSpec]) -> None:
        self._strategy = strategy
        self._intensity = strategy.intensity()
        # By id, in start order (a dict: finding and forgetting a child costs the same however
        # many there are).
        self._children: dict[Any, _Child] = {spec.id: _Child(spec) for spec in specs}
        self._by_cell: dict[ActorRef, _Child] = {}
        self._giving_up = False
        self._cell = self.context.ref
        self._system = self.context.system
        if self._cell._has_extra:
            self._cell._extra.gave_up = None  # a new incarnation has not given up (yet)

    # -- lifecycle -----------------------------------------------------------------------------

    async def on_start(self) -> None:
        started: list[_Child] = []
        for child in list(self._children.values()):
            try:
                ref = self._spawn_child(child) if child.spec.node is None else None
                # Most children have no on_start and no health check: ready once spawned.
                if ref is None or not ref._flags & FLAG_READY or child.spec.health is not None:
                    await self._start(child, ref)
            except ActorStartError:
                for each in reversed(started):
                    await self._stop_for_good(each, "shutdown")
                raise
            started.append(child)

    def on_stop(self) -> None:
        for child in self._children.values():
            if child.monitor is not None:
                child.monitor.stop()

    def on_error(self, error: BaseException, msg: Any) -> ErrorAction:
        return ErrorAction.ESCALATE

    async def _start(self, child: _Child, ref: ActorRef | None = None) -> ActorRef | None:
        """Spawns a child from its spec (unless given its fresh `ref`) and waits until it has
        started; None if its ``on_start`` returned IGNORE (it is then not running, and not an
        error)."""
        child.starting = True
        try:
            if ref is None:
                ref = self._spawn_child(child)
            if not ref._flags & FLAG_READY:  # it has an on_start (a child without is ready)
                try:
                    await ref.ready()
                except ActorStartError as error:
                    raise self._start_error(child.spec, error) from error
        finally:
            child.starting = False
        if ref._phase >= PHASE_STOPPING and lifecycle.was_ignored(ref):
            return None
        if child.spec.health is not None:
            self._watch_health(child)
        return ref

    def _spawn_child(self, child: _Child, args: tuple[Any, ...] | None = None) -> ActorRef:
        """Spawns a child from its spec (its on_start runs later, in its own turn)."""
        spec = child.spec
        if spec.node is not None:
            remote = self._spawn_remote_child(child, spec.node)
            child.ref = remote
            self._by_cell[remote] = child
            return remote
        cls = _core.SupervisorRef if spec.is_supervisor else _core.ActorRef
        try:
            ref: ActorRef = self._system._spawn(
                self._cell, spec.factory, spec.args if args is None else args, spec.name, spec.mailbox, cls
            )
        except AirsrtError as error:  # the factory raised, or the name is taken
            raise self._start_error(spec, error) from error
        child.ref = ref
        child.served = 0
        self._by_cell[ref] = child
        return ref

    def _spawn_remote_child(self, child: _Child, node: str) -> ActorRef:
        spec = child.spec
        if _remote.hooks is None:
            raise ConfigurationError(
                f"child {spec.id!r} has node={spec.node!r}, which needs an airsrt.ray cluster "
                "(import airsrt.ray and start one)"
            )
        try:
            return _remote.hooks.spawn(
                self._cell, spec.factory, spec.args, spec.name, spec.mailbox, node, spec
            )
        except AirsrtError as error:
            raise self._start_error(spec, error) from error

    def _watch_health(self, child: _Child) -> None:
        if child.spec.health is not None and child.ref is not None:
            child.monitor = HealthMonitor(self._system, child.ref, child.spec.health, self._unhealthy)
            child.monitor.start()

    def _start_error(self, spec: ChildSpec, error: BaseException) -> ActorStartError:
        cause = error.__cause__ if isinstance(error, ActorStartError) and error.__cause__ else error
        return ActorStartError(
            f"{self._cell.name} could not start child {spec.id!r}: {type(cause).__name__}: {cause}",
            actor=self._cell.name,
        )

    async def _stop_for_good(self, child: _Child, reason: str, error: BaseException | None = None) -> None:
        waiter = self._request_stop(child, reason, error)
        if waiter is not None:
            await asyncio.shield(waiter)

    def _request_stop(
        self, child: _Child, reason: str, error: BaseException | None = None
    ) -> asyncio.Future[None] | None:
        ref = child.ref
        if ref is None or ref._phase == PHASE_STOPPED:
            return None
        return lifecycle.request_stop(
            self._system, ref, StopRequest(reason, child.spec.shutdown, final=True, error=error)
        )

    async def _stop_all_for_good(self) -> None:
        """Stops every child for good, in reverse start order."""
        for each in reversed(list(self._children.values())):
            await self._stop_for_good(each, "shutdown")

    # -- what the runtime tells a supervisor about its children (outside its own turn) ---------

    def _record(self, cell: ActorRef) -> _Child | None:
        """The record of the child whose ref is `cell` (None: not a child of ours now)."""
        return self._by_cell.get(cell)

    def child_failed(self, system: ActorSystem, cell: ActorRef, exc: BaseException, action: ErrorAction) -> None:
        """A child's handler raised (ESCALATE or RESTART): hold it and report to our turn."""
        child = self._record(cell)
        if system.tally(EV_CHILD_FAILED):
            details = {
                "supervisor": self._cell.name,
                "child": child.spec.id if child else None,
                "error": repr(exc),
            }
            system.events._publish(EV_CHILD_FAILED, cell, details)
        lifecycle.suspend(system, cell)
        only_this = action is ErrorAction.RESTART
        lifecycle.notify(system, self._cell, _ChildDown(cell, cell.incarnation, "failed", exc, only_this))

    def start_failed(self, system: ActorSystem, cell: ActorRef, error: BaseException) -> None:
        """A child's on_start (or factory, on a restart) raised."""
        child = self._record(cell)
        if child is None or child.starting or not cell._flags & FLAG_READY:
            # A first start: it stops, and whoever awaits it (our on_start, start_child) hears.
            lifecycle.begin_stop(system, cell, StopRequest("start_failed", 0, final=True, error=error))
            return
        lifecycle.suspend(system, cell)
        lifecycle.notify(system, self._cell, _ChildDown(cell, cell.incarnation, "start_failed", error))

    def start_ignored(self, system: ActorSystem, cell: ActorRef) -> None:
        """A child's on_start returned IGNORE: it is not running, and that is not an error. A
        static supervisor keeps its spec (a temporary child's is forgotten, as ever)."""
        lifecycle.stop_ignored(system, cell)

    def child_exiting(self, system: ActorSystem, cell: ActorRef, req: StopRequest) -> bool:
        """A child stops by itself: a permanent one is restarted instead."""
        child = self._record(cell)
        if child is None or child.spec.restart is not RestartPolicy.PERMANENT or self._giving_up:
            return False
        lifecycle.suspend(system, cell)
        lifecycle.notify(system, self._cell, _ChildDown(cell, cell.incarnation, req.reason, req.error))
        return True

    def child_stopped(self, system: ActorSystem, cell: ActorRef, reason: Any, req: StopRequest) -> None:
        if not self._giving_up:  # one that gives up has nothing left to update
            lifecycle.notify(system, self._cell, _ChildExited(cell, reason))

    def child_grace(self, system: ActorSystem, cell: ActorRef) -> float | None:
        child = self._record(cell)
        return child.spec.shutdown if child is not None else system._stop_timeout

    def _unhealthy(self, cell: ActorRef, error: BaseException) -> None:
        if cell._phase == PHASE_STOPPED or not lifecycle.suspend(self._system, cell):
            return
        lifecycle.notify(self._system, self._cell, _ChildDown(cell, cell.incarnation, "unhealthy", error))

    # -- the supervisor's own turn -----------------------------------------------------------

    @handler
    def _on_child_down(self, msg: _ChildDown) -> None:
        cell = msg.cell
        child = self._record(cell)
        if (
            child is None
            or child.ref is not cell
            or cell.incarnation != msg.incarnation
            or cell._phase != PHASE_RESTARTING
            or self._giving_up
        ):
            return  # stale: already restarted, stopped or forgotten
        system = self._system
        policy = child.spec.restart
        if policy is RestartPolicy.TEMPORARY or (policy is RestartPolicy.TRANSIENT and is_normal_exit(msg.reason)):
            lifecycle.begin_stop(
                system, cell, StopRequest(msg.reason, child.spec.shutdown, final=True, error=msg.error)
            )
            return
        now = system._time()
        if not self._count_restart(child, now):
            self._give_up(child, msg.error)
            return
        strategy = self._strategy
        group: list[_Child] = [child]
        bystanders: list[_Child] = []
        siblings: list[_Child] = []  # the others that stop, in start order
        if not msg.only_this and strategy.restarts_siblings:
            group = []
            for each in strategy.affected([c for c in self._children.values() if c.running], child):
                if each is child or each.spec.restart is not RestartPolicy.TEMPORARY:
                    group.append(each)
                else:
                    bystanders.append(each)  # temporary bystanders stop, they are not restarted
                if each is not child:
                    siblings.append(each)
        if system.tally(EV_STRATEGY):
            details = {
                "strategy": type(strategy).__name__,
                "child": child.spec.id,
                "restart": [c.spec.id for c in group],
                "stop": [c.spec.id for c in bystanders],
                "reason": msg.reason,
            }
            system.events._publish(EV_STRATEGY, self._cell, details)
        delay = self._delay(child, now, msg.reason)
        if siblings:
            # The failed child's cleanup first (its on_stop runs at once: in OTP the process is
            # already gone), then the siblings in reverse start order.
            ending = lifecycle.end_incarnation(system, cell, msg.error)
            if ending is not None or bystanders:
                lifecycle.run_busy(
                    system, self._cell, self._stop_then_restart(ending, group, siblings, bystanders, delay, msg.error)
                )
                return
        if delay > 0:
            self._restart_after(group, delay, msg.error)
        else:
            pending = self._restart(group, msg.error, now)
            if pending is not None:
                lifecycle.run_busy(system, self._cell, pending)

    def _count_restart(self, child: _Child, now: float) -> bool:
        """Records a restart against the intensity; False past it (give up)."""
        return self._intensity.add(now)

    def _delay(self, child: _Child, now: float, reason: Any) -> float:
        backoff = self._strategy.backoff
        if backoff is not None and now - child.last_restart > backoff.reset_after:
            child.attempt = 0
        child.attempt += 1
        if backoff is not None:
            return backoff.delay(child.attempt)
        return RETRY_DELAY if reason == "start_failed" else 0.0

    def _restart_after(self, group: list[_Child], delay: float, cause: BaseException | None) -> None:
        """Restarts `group` now, or after `delay` through a message to ourselves, so that we
        keep answering requests (terminate_child, stop) while we wait."""
        if delay > 0:
            self._system.loop.call_later(
                delay, lifecycle.notify, self._system, self._cell, _RestartNow(tuple(group), cause)
            )
            return
        pending = self._restart(group, cause)
        if pending is not None:
            lifecycle.run_busy(self._system, self._cell, pending)

    @handler
    def _on_restart_now(self, msg: _RestartNow) -> None:
        group = [c for c in msg.group if c.running and self._knows(c)]
        if group and not self._giving_up:
            self._restart_after(group, 0.0, msg.cause)

    def _knows(self, child: _Child) -> bool:
        return self._children.get(child.spec.id) is child

    def _restart(
        self, group: list[_Child], cause: BaseException | None, now: float | None = None
    ) -> Coroutine[Any, Any, None] | None:
        if now is None:
            now = self._system._time()
        for child in group:
            child.restarts += 1
            child.last_restart = now
        return lifecycle.restart_group(self._system, [c.ref for c in group if c.ref is not None], cause)

    async def _stop_then_restart(
        self,
        ending: Coroutine[Any, Any, None] | None,
        group: list[_Child],
        siblings: list[_Child],
        bystanders: list[_Child],
        delay: float,
        cause: BaseException | None,
    ) -> None:
        if ending is not None:
            await ending  # the failed child's own cleanup, first
        # Then the siblings in reverse start order: a temporary bystander stops for good (its
        # spec is forgotten once it has stopped), the others end their incarnation and wait
        # for the group's restart.
        for each in reversed(siblings):
            if each in bystanders:
                await self._stop_for_good(each, "shutdown")
            elif delay <= 0 and each.ref is not None and lifecycle.suspend(self._system, each.ref):
                pending = lifecycle.end_incarnation(self._system, each.ref, cause)
                if pending is not None:
                    await pending
        if delay > 0:
            self._restart_after(group, delay, cause)
            return
        pending = self._restart([c for c in group if c.running], cause)
        if pending is not None:
            await pending

    def _give_up(self, child: _Child, error: BaseException | None) -> None:
        """Past the restart intensity: stop every child, then exit with reason "shutdown"."""
        self._giving_up = True
        system = self._system
        name = self._cell.name
        last = f"{type(error).__name__}: {error}" if error is not None else "a restart"
        text = (
            f"{name} gave up: more than {self._strategy.max_restarts} restarts within "
            f"{self._strategy.within:g}s (last failure: child {child.label()}: {last})"
        )
        system.emit(
            EV_LIMIT,
            self._cell,
            {
                "supervisor": name,
                "child": child.spec.id,
                "max_restarts": self._strategy.max_restarts,
                "within": self._strategy.within,
                "error": repr(error),
            },
        )
        # Kept on the cell (no traceback: nothing to pin in memory) for the errors of later calls.
        self._cell._extra.gave_up = RestartLimitError(text, actor=name)
        limit = RestartLimitError(text, actor=name)
        limit.__cause__ = error
        lifecycle.run_busy(system, self._cell, self._shut_down(child, limit))

    async def _shut_down(self, child: _Child, limit: RestartLimitError) -> None:
        error = limit.__cause__
        log.critical(
            "%s; it stops its children and exits with reason 'shutdown' (a permanent parent "
            "restarts it, a transient one leaves it down)",
            limit,
            exc_info=(type(error), error, error.__traceback__) if error is not None else None,
        )
        await self._stop_all_for_good()
        self._system.emit(
            EV_ESCALATED,
            self._cell,
            {"supervisor": self._cell.name, "child": child.spec.id, "reason": "shutdown", "error": str(limit)},
        )
        # OTP's rule: a supervisor that gave up exits with reason shutdown; its parent's
        # restart policy for it decides (watchers see the RestartLimitError as the error).
        lifecycle.stop_self(self._cell, "shutdown", error=limit)

    @handler
    def _on_child_exited(self, msg: _ChildExited) -> None:
        child = self._by_cell.pop(msg.cell, None)
        if child is None or child.ref is not msg.cell:
            return
        if child.monitor is not None:
            child.monitor.stop()
            child.monitor = None
        if not self._keeps(child):
            self._forget(child)

    def _keeps(self, child: _Child) -> bool:
        """Whether the record of a child that stopped for good is kept (a temporary child's spec
        is forgotten)."""
        return child.spec.restart is not RestartPolicy.TEMPORARY

    def _forget(self, child: _Child) -> None:
        if self._knows(child):
            del self._children[child.spec.id]

    # -- requests from SupervisorRef --------------------------------------------------------

    @handler
    async def _on_start_child(self, msg: _StartChild) -> tuple[bool, Any]:
        spec = msg.spec
        if not isinstance(spec, ChildSpec):
            return False, ConfigurationError(f"start_child() needs an airsrt.ChildSpec, got {spec!r}")
        if spec.id in self._children:
            return False, ConfigurationError(
                f"{self._cell.name} already has a child with id {spec.id!r} (delete_child it first)"
            )
        child = _Child(spec)
        self._children[spec.id] = child
        try:
            return True, await self._start(child)
        except ActorStartError as error:
            self._forget(child)
            return False, error

    @handler
    def _on_start_dynamic(self, msg: _StartDynamic) -> tuple[bool, Any]:
        return False, ConfigurationError(
            f"{self._cell.name} is a {type(self._strategy).__name__} supervisor: start_child() takes "
            "one airsrt.ChildSpec (start_child(*args) is for an airsrt.DynamicSupervisor)"
        )

    @handler
    async def _on_child_query(self, msg: _ChildQuery) -> tuple[bool, Any]:
        # Async on purpose, though it never waits: an ask to an idle supervisor then queues
        # behind the child reports already due, so the answer reflects every failure that
        # happened before the call (callers use it to let a supervisor act).
        op = msg.op
        if op == "which":
            return True, self._infos()
        if op == "count":
            return True, self._count()
        child = self._find(msg.id)
        if child is None:
            return False, self._not_found(msg.id)
        return True, self._spec_of(child)

    @handler
    async def _on_child_op(self, msg: _ChildOp) -> tuple[bool, Any]:
        op = msg.op
        child = self._find(msg.id)
        if child is None:
            return False, self._not_found(msg.id)
        if op == "terminate":
            await self._stop_for_good(child, "shutdown")
            if not self._keeps(child):
                self._forget(child)
            return True, None
        return await self._static_op(op, child)

    async def _static_op(self, op: str, child: _Child) -> tuple[bool, Any]:
        if child.running:
            return False, ConfigurationError(
                f"child {child.spec.id!r} of {self._cell.name} is running; terminate_child() it first"
            )
        if op == "delete":
            self._forget(child)
            return True, None
        # restart
        try:
            return True, await self._start(child)
        except ActorStartError as error:
            return False, error

    def _infos(self) -> list[ChildInfo]:
        return [c.info() for c in self._children.values()]

    def _count(self) -> ChildCount:
        children = self._children.values()
        supervisors = sum(1 for c in children if c.spec.is_supervisor)
        active = sum(1 for c in children if _running_or_starting(c))
        return ChildCount(len(children), active, supervisors, len(children) - supervisors)

    def _spec_of(self, child: _Child) -> ChildSpec:
        return child.spec

    def _find(self, key: Any) -> _Child | None:
        """A child by id, or by its ref (current or past)."""
        if isinstance(key, _core.ActorRef):
            found = self._by_cell.get(key)
            if found is not None:
                return found
            return next((c for c in self._children.values() if c.ref is key), None)
        try:
            return self._children.get(key)
        except TypeError:  # an unhashable id: no child has it
            return None

    def _not_found(self, key: Any) -> ChildNotFoundError:
        what = f"child {key.name} (ref)" if isinstance(key, _core.ActorRef) else f"child {key!r}"
        return ChildNotFoundError(
            f"{self._cell.name} has no {what} (its children: {list(self._children)[:20]})",
            actor=self._cell.name,
        )


class DynamicSupervisorActor(Supervisor):
    """The actor of a `DynamicSupervisor`: children started on demand from one template.

    Its children are kept in a dict by ref, in start order; a child that has never been
    restarted (nor has a health check) has no record of its own -- the template says all there
    is to know -- so a child costs a dict entry, and no object the cyclic GC must walk. Only
    reports on all children (``which_children``, ``count_children``) and the shutdown walk them.
    """

    # Read by the lifecycle: a shutdown stops every child at once (each with its grace).
    _airsrt_stop_children_together = True

    def __init__(self, strategy: DynamicSupervisor, template: ChildSpec) -> None:
        super().__init__(strategy, ())
        self._template = template
        self._max_children = strategy.max_children
        # ref -> its record, or None while it needs none (see the class docstring).
        self._kids: dict[ActorRef, _Child | None] = {}

    async def on_start(self) -> None:
        """Starts with no children."""

    def on_stop(self) -> None:
        for child in self._kids.values():
            if child is not None and child.monitor is not None:
                child.monitor.stop()

    def _record(self, cell: ActorRef) -> _Child | None:
        kids = self._kids
        child = kids.get(cell)
        if child is None and cell in kids:
            child = kids[cell] = _DynamicChild(self._template, cell)
        return child

    def child_grace(self, system: ActorSystem, cell: ActorRef) -> float | None:
        return self._template.shutdown if cell in self._kids else system._stop_timeout

    def start_ignored(self, system: ActorSystem, cell: ActorRef) -> None:
        """A child declined to start: nothing is kept of it."""
        lifecycle.stop_ignored(system, cell)

    def _knows(self, child: _Child) -> bool:
        return child.ref is not None and self._kids.get(child.ref) is child

    def _keeps(self, child: _Child) -> bool:
        return False

    def _forget(self, child: _Child) -> None:
        if child.ref is not None:
            self._kids.pop(child.ref, None)

    @handler
    def _on_child_exited(self, msg: _ChildExited) -> None:
        child = self._kids.pop(msg.cell, None)  # whatever its policy: nothing is kept
        if child is not None and child.monitor is not None:
            child.monitor.stop()
            child.monitor = None

    async def _stop_all_for_good(self) -> None:
        """Stops every child at once; each gets the template's grace, concurrently."""
        system, grace = self._system, self._template.shutdown
        pending = []
        for ref in reversed(list(self._kids)):
            if ref._phase != PHASE_STOPPED:
                waiter = lifecycle.request_stop(system, ref, StopRequest("shutdown", grace, final=True))
                if waiter is not None:
                    pending.append(waiter)
        if pending:
            await asyncio.shield(asyncio.gather(*pending))

    @handler
    def _on_start_dynamic(self, msg: _StartDynamic) -> tuple[bool, Any]:
        """Spawns one child; the caller awaits its start (see `start_child`), so the
        supervisor is never blocked by a child's ``on_start``."""
        if self._giving_up:
            return False, _gone(self._cell, "start_child()")
        template = self._template
        limit = self._max_children
        if limit is not None and len(self._kids) >= limit:
            what = getattr(template.factory, "__qualname__", None) or repr(template.factory)
            return False, MaxChildrenError(
                f"{self._cell.name} already has {limit} children (max_children={limit}); "
                f"{what}{_args_text(msg.args)} was not started (wait for some to stop, terminate "
                "some, or raise max_children)",
                actor=self._cell.name,
                max_children=limit,
            )
        cls = _core.SupervisorRef if template.is_supervisor else _core.ActorRef
        args = template.args + msg.args if msg.args else template.args
        try:
            ref: ActorRef = self._system._spawn(self._cell, template.factory, args, None, template.mailbox, cls)
        except AirsrtError as error:  # the factory raised
            return False, self._start_error(template, error)
        if template.health is None:
            self._kids[ref] = None
        else:
            child = self._kids[ref] = _DynamicChild(template, ref)
            self._watch_health(child)
        return True, ref

    def _start_error(self, spec: ChildSpec, error: BaseException) -> ActorStartError:
        cause = error.__cause__ if isinstance(error, ActorStartError) and error.__cause__ else error
        return ActorStartError(
            f"{self._cell.name} could not start a child from template {spec.id!r}: "
            f"{type(cause).__name__}: {cause}",
            actor=self._cell.name,
        )

    async def _static_op(self, op: str, child: _Child) -> tuple[bool, Any]:
        return False, ConfigurationError(
            f"{self._cell.name} is a dynamic supervisor: it keeps nothing of a child that has "
            f"stopped, so there is no {op}_child(); start a new one with start_child(*args)"
        )

    def _infos(self) -> list[ChildInfo]:
        t = self._template
        return [
            child.info() if child is not None
            else ChildInfo(t.id, ref, _state_of(ref), 0, t.restart, t.is_supervisor)
            for ref, child in self._kids.items()
        ]

    def _count(self) -> ChildCount:
        specs = len(self._kids)
        active = sum(1 for ref in self._kids if _state_of(ref) in ("running", "starting"))
        supervisors = specs if self._template.is_supervisor else 0
        return ChildCount(specs, active, supervisors, specs - supervisors)

    def _spec_of(self, child: _Child) -> ChildSpec:
        ref = child.ref
        args = ref._args if ref is not None and ref._phase != PHASE_STOPPED else child.spec.args
        return child.spec._with_args(tuple(args))

    def _find(self, key: Any) -> _Child | None:
        if isinstance(key, _core.ActorRef):
            return self._record(key)
        return None

    def _not_found(self, key: Any) -> ChildNotFoundError:
        if isinstance(key, _core.ActorRef):
            text = f"{self._cell.name} has no child {key.name} (it stopped, or belongs to another supervisor)"
        else:
            text = (
                f"{self._cell.name} is a dynamic supervisor: its children are known by their refs, "
                f"not by id ({key!r}); pass the ref start_child() returned"
            )
        return ChildNotFoundError(text, actor=self._cell.name)


def _args_text(args: tuple[Any, ...]) -> str:
    text = ", ".join(repr(a) for a in args[:3]) + (", ..." if len(args) > 3 else "")
    return f"({text})"


# -- SupervisorRef's methods (the compiled class delegates here) --------------------------------


def _gone(ref: ActorRef, what: str) -> ActorStoppedError:
    """The error for a call to a supervisor that has stopped (or is giving up): it names the
    supervisor and why it stopped; for one that gave up, the RestartLimitError is the cause."""
    gave_up = ref._extra.gave_up if ref._has_extra else None
    if gave_up is not None:
        why = str(gave_up)
    else:
        reason = ref._stop_reason
        if reason is None and ref._has_extra and ref._extra.stopping is not None:
            reason = ref._extra.stopping.reason
        why = f"{ref.name} has stopped (reason: {reason if reason is not None else 'stopped'!r})"
    error = ActorStoppedError(
        f"{why}; {what} was not done (a supervisor does not come back once stopped: spawn a new "
        "one, or let its parent restart it)",
        actor=ref.name,
    )
    error.__cause__ = gave_up
    return error


def _stopped(ref: ActorRef) -> bool:
    return bool(ref._phase >= PHASE_STOPPING)


def child(ref: SupervisorRef, child_id: Any) -> ActorRef:
    if _stopped(ref):
        raise _gone(ref, f"child({child_id!r})")
    sup = ref._actor
    found = sup._find(child_id) if isinstance(sup, Supervisor) else None
    if found is None or found.ref is None:
        if isinstance(sup, Supervisor):
            raise sup._not_found(child_id)
        raise ChildNotFoundError(f"{ref.name} has no child {child_id!r}", actor=ref.name)
    return found.ref


async def _request(ref: SupervisorRef, msg: Any, what: str) -> Any:
    # After a shutdown the control request itself says so (SystemNotRunningError).
    if _stopped(ref) and ref.system._running:
        raise _gone(ref, what)
    try:
        # Control traffic, not an ask: the user's ledger counts the user's messages only.
        ok, value = await _core._control_request(ref, msg, what.split("(", 1)[0])
    except ActorStoppedError:
        raise _gone(ref, what) from None
    if not ok:
        raise value
    return value


async def start_child(ref: SupervisorRef, *args: Any) -> ActorRef | None:
    if _stopped(ref):
        raise _gone(ref, "start_child()")
    if isinstance(ref._actor, DynamicSupervisorActor):
        child_ref = cast("ActorRef", await _request(ref, _StartDynamic(args), "start_child()"))
        try:
            await child_ref.ready()
        except ActorStartError as error:
            sup = ref._actor
            if isinstance(sup, DynamicSupervisorActor):
                raise sup._start_error(sup._template, error) from error.__cause__ or error
            raise
        if lifecycle.was_ignored(child_ref):
            return None  # it declined to start (on_start returned IGNORE): nothing is kept
        return child_ref
    if len(args) != 1 or not isinstance(args[0], ChildSpec):
        raise ConfigurationError(
            f"start_child() of {ref.name} takes one airsrt.ChildSpec, got {_args_text(args)} "
            "(start_child(*args) is for an airsrt.DynamicSupervisor)",
            actor=ref.name,
        )
    return cast("ActorRef | None", await _request(ref, _StartChild(args[0]), "start_child()"))


async def terminate_child(ref: SupervisorRef, child_id: Any) -> None:
    await _request(ref, _ChildOp("terminate", child_id), f"terminate_child({_key_text(child_id)})")


async def restart_child(ref: SupervisorRef, child_id: Any) -> ActorRef | None:
    what = f"restart_child({_key_text(child_id)})"
    return cast("ActorRef | None", await _request(ref, _ChildOp("restart", child_id), what))


async def delete_child(ref: SupervisorRef, child_id: Any) -> None:
    await _request(ref, _ChildOp("delete", child_id), f"delete_child({_key_text(child_id)})")


async def which_children(ref: SupervisorRef) -> list[ChildInfo]:
    return cast("list[ChildInfo]", await _request(ref, _ChildQuery("which"), "which_children()"))


async def count_children(ref: SupervisorRef) -> ChildCount:
    return cast(ChildCount, await _request(ref, _ChildQuery("count"), "count_children()"))


async def get_childspec(ref: SupervisorRef, child_id: Any) -> ChildSpec:
    what = f"get_childspec({_key_text(child_id)})"
    return cast(ChildSpec, await _request(ref, _ChildQuery("spec", child_id), what))


def _key_text(key: Any) -> str:
    return key.name if isinstance(key, _core.ActorRef) else repr(key)
