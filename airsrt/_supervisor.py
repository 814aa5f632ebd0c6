"""Supervisors: child specs, the supervisor actor, and the operations of ``SupervisorRef``.

A supervisor is an actor. It starts its children in order and returns (from
``spawn_supervisor``) once all have started. When a child fails, the child is held (no further
message runs, its mailbox is kept) and a report goes to the front of the supervisor's mailbox;
the supervisor, in its own turn, applies its strategy: restart the child (one-for-one), every
child (one-for-all) or the child and those started after it (rest-for-one) -- old incarnations
end in reverse start order, new ones start in start order -- within its restart intensity. Past
the intensity it stops all its children in reverse start order and fails to its own supervisor.

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
from airsrt._core import PHASE_RESTARTING, PHASE_STARTING, PHASE_STOPPED
from airsrt._actor import Actor, ErrorAction, handler
from airsrt._errors import (
    ActorStartError,
    AirsrtError,
    ChildNotFoundError,
    ConfigurationError,
    RestartLimitError,
)
from airsrt._health import HealthCheck, HealthMonitor
from airsrt._lifecycle import StopRequest
from airsrt._mailbox import Mailbox
from airsrt._monitoring import KIND_IDS
from airsrt._strategies import RestartPolicy, Strategy

if TYPE_CHECKING:
    from airsrt._core import ActorRef, SupervisorRef
    from airsrt._system import ActorSystem

__all__ = ["ChildInfo", "ChildSpec", "Supervisor", "supervisor"]

log = logging.getLogger("airsrt")

EV_CHILD_FAILED = KIND_IDS["supervisor.child_failed"]
EV_STRATEGY = KIND_IDS["supervisor.strategy_applied"]
EV_LIMIT = KIND_IDS["supervisor.restart_limit_exceeded"]
EV_ESCALATED = KIND_IDS["supervisor.escalated"]

# Without a backoff, a restart that failed is retried after this long: each retry counts toward
# the intensity anyway, and this keeps a child that cannot start from spinning the CPU.
RETRY_DELAY = 0.05

_WORKER_SHUTDOWN = 5.0


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

    def __repr__(self) -> str:
        what = getattr(self.factory, "__qualname__", None) or repr(self.factory)
        return f"ChildSpec({self.id!r}, {what}, restart={self.restart.name}, shutdown={self.shutdown!r})"


@dataclass(frozen=True, slots=True)
class ChildInfo:
    """One line of ``which_children()``.

    Attributes:
        id: The child's id.
        ref: Its current ref (None if it never started).
        state: ``"running"``, ``"starting"``, ``"restarting"`` or ``"terminated"``.
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


class SupervisorFactory:
    """What `supervisor` returns: builds the supervisor actor; usable as a ChildSpec
    factory for nested trees."""

    __slots__ = ("children", "strategy")

    def __init__(self, strategy: Strategy, children: Iterable[ChildSpec]) -> None:
        if not isinstance(strategy, Strategy):
            raise ConfigurationError(
                f"a supervisor needs a strategy (airsrt.OneForOne, OneForAll or RestForOne), got {strategy!r}"
            )
        specs = list(children)
        seen: set[Any] = set()
        for spec in specs:
            if not isinstance(spec, ChildSpec):
                raise ConfigurationError(f"supervisor children must be airsrt.ChildSpec, got {spec!r}")
            if spec.id in seen:
                raise ConfigurationError(f"duplicate child id {spec.id!r} in one supervisor")
            seen.add(spec.id)
        self.strategy = strategy
        self.children = tuple(specs)

    # How a supervisor being built is named (before its instance exists): "Supervisor#7".
    __name__ = "Supervisor"

    def __call__(self) -> Supervisor:
        return Supervisor(self.strategy, self.children)

    def __repr__(self) -> str:
        return f"supervisor({self.strategy!r}, [{', '.join(repr(s.id) for s in self.children)}])"


def supervisor(strategy: Strategy, children: Iterable[ChildSpec]) -> SupervisorFactory:
    """A factory for a supervisor with `strategy` over `children`, for nested trees:

    ```python
    ChildSpec("db", airsrt.supervisor(airsrt.OneForAll(), [...]))
    ```

    Raises:
        ConfigurationError: No strategy, a child that is not a ChildSpec, a duplicate id.
    """
    return SupervisorFactory(strategy, children)


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
        reason: str,
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

    def __init__(self, cell: ActorRef, reason: str) -> None:
        self.cell = cell
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _StartChild:
    spec: ChildSpec


@dataclass(frozen=True, slots=True)
class _ChildOp:
    op: str  # "terminate", "restart", "delete", "which"
    id: Any = None


class _Child:
    """A supervisor's record of one child."""

    __slots__ = ("attempt", "last_restart", "monitor", "ref", "restarts", "spec", "starting")

    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.ref: ActorRef | None = None
        self.restarts = 0
        self.attempt = 0  # consecutive restarts, for the backoff
        self.last_restart = -math.inf
        self.starting = False
        self.monitor: HealthMonitor | None = None

    @property
    def running(self) -> bool:
        return self.ref is not None and self.ref._phase != PHASE_STOPPED

    def info(self) -> ChildInfo:
        ref = self.ref
        if ref is None or ref._phase == PHASE_STOPPED:
            state = "terminated"
        elif self.starting:
            state = "starting"
        elif ref._phase in (PHASE_RESTARTING, PHASE_STARTING):
            state = "restarting"  # a new incarnation whose on_start has not finished yet
        else:
            state = "running"
        return ChildInfo(self.spec.id, ref, state, self.restarts, self.spec.restart, self.spec.is_supervisor)


class Supervisor(Actor):
    """The supervisor actor (built by `supervisor`; spawn it with
    ``system.spawn_supervisor``)."""

    error_action = ErrorAction.ESCALATE

    def __init__(self, strategy: Strategy, specs: Iterable[ChildSpec]) -> None:
        self._strategy = strategy
        self._intensity = strategy.intensity()
        self._children = [_Child(spec) for spec in specs]
        self._by_cell: dict[ActorRef, _Child] = {}
        self._giving_up = False
        self._cell = self.context.ref
        self._system = self.context.system

    # -- lifecycle -----------------------------------------------------------------------------

    async def on_start(self) -> None:
        for index, child in enumerate(self._children):
            try:
                await self._start(child)
            except ActorStartError:
                for started in reversed(self._children[:index]):
                    await self._stop_for_good(started, "shutdown")
                raise

    def on_stop(self) -> None:
        for child in self._children:
            if child.monitor is not None:
                child.monitor.stop()

    def on_error(self, error: BaseException, msg: Any) -> ErrorAction:
        return ErrorAction.ESCALATE

    async def _start(self, child: _Child) -> ActorRef:
        """Spawns a child from its spec and waits until it has started."""
        child.starting = True
        try:
            ref = self._spawn_child(child)
            try:
                await ref.ready()
            except ActorStartError as error:
                raise self._start_error(child.spec, error) from error
        finally:
            child.starting = False
        self._watch_health(child)
        return ref

    def _spawn_child(self, child: _Child) -> ActorRef:
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
                self._cell, spec.factory, spec.args, spec.name, spec.mailbox, cls
            )
        except AirsrtError as error:  # the factory raised, or the name is taken
            raise self._start_error(spec, error) from error
        child.ref = ref
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
        ref = child.ref
        if ref is None or ref._phase == PHASE_STOPPED:
            return
        waiter = lifecycle.request_stop(
            self._system, ref, StopRequest(reason, child.spec.shutdown, final=True, error=error)
        )
        if waiter is not None:
            await asyncio.shield(waiter)

    # -- what the runtime tells a supervisor about its children (outside its own turn) ---------

    def child_failed(self, system: ActorSystem, cell: ActorRef, exc: BaseException, action: ErrorAction) -> None:
        """A child's handler raised (ESCALATE or RESTART): hold it and report to our turn."""
        child = self._by_cell.get(cell)
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
        child = self._by_cell.get(cell)
        if child is None or child.starting:
            # A first start: it stops, and whoever awaits it (our on_start, start_child) hears.
            lifecycle.begin_stop(system, cell, StopRequest("start_failed", 0, final=True, error=error))
            return
        lifecycle.suspend(system, cell)
        lifecycle.notify(system, self._cell, _ChildDown(cell, cell.incarnation, "start_failed", error))

    def child_exiting(self, system: ActorSystem, cell: ActorRef, req: StopRequest) -> bool:
        """A child stops by itself: a permanent one is restarted instead."""
        child = self._by_cell.get(cell)
        if child is None or child.spec.restart is not RestartPolicy.PERMANENT or self._giving_up:
            return False
        lifecycle.suspend(system, cell)
        lifecycle.notify(system, self._cell, _ChildDown(cell, cell.incarnation, req.reason, req.error))
        return True

    def child_stopped(self, system: ActorSystem, cell: ActorRef, reason: str, req: StopRequest) -> None:
        lifecycle.notify(system, self._cell, _ChildExited(cell, reason))

    def child_grace(self, system: ActorSystem, cell: ActorRef) -> float | None:
        child = self._by_cell.get(cell)
        return child.spec.shutdown if child is not None else system._stop_timeout

    def _unhealthy(self, cell: ActorRef, error: BaseException) -> None:
        if cell._phase == PHASE_STOPPED or not lifecycle.suspend(self._system, cell):
            return
        lifecycle.notify(self._system, self._cell, _ChildDown(cell, cell.incarnation, "unhealthy", error))

    # -- the supervisor's own turn -----------------------------------------------------------

    @handler
    def _on_child_down(self, msg: _ChildDown) -> None:
        cell = msg.cell
        child = self._by_cell.get(cell)
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
        abnormal = msg.reason not in ("normal", "shutdown")
        if policy is RestartPolicy.TEMPORARY or (policy is RestartPolicy.TRANSIENT and not abnormal):
            lifecycle.begin_stop(
                system, cell, StopRequest(msg.reason, child.spec.shutdown, final=True, error=msg.error)
            )
            return
        now = system._time()
        if not self._intensity.add(now):
            self._give_up(child, msg.error)
            return
        strategy = self._strategy
        group: list[_Child] = [child]
        bystanders: list[_Child] = []
        if not msg.only_this and strategy.restarts_siblings:
            group = []
            for each in strategy.affected([c for c in self._children if c.running], child):
                if each is child or each.spec.restart is not RestartPolicy.TEMPORARY:
                    group.append(each)
                else:
                    bystanders.append(each)  # temporary bystanders stop, they are not restarted
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
        if bystanders:
            lifecycle.run_busy(system, self._cell, self._stop_then_restart(group, bystanders, delay, msg.error))
        elif delay > 0:
            self._restart_after(group, delay, msg.error)
        else:
            pending = self._restart(group, msg.error, now)
            if pending is not None:
                lifecycle.run_busy(system, self._cell, pending)

    def _delay(self, child: _Child, now: float, reason: str) -> float:
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
        group = [c for c in msg.group if c.running and c in self._children]
        if group and not self._giving_up:
            self._restart_after(group, 0.0, msg.cause)

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
        self, group: list[_Child], bystanders: list[_Child], delay: float, cause: BaseException | None
    ) -> None:
        # Temporary bystanders are stopped (reverse start order), not restarted; their specs
        # are forgotten once they have stopped.
        for child in reversed(bystanders):
            await self._stop_for_good(child, "shutdown")
        if delay > 0:
            self._restart_after(group, delay, cause)
            return
        pending = self._restart([c for c in group if c.running], cause)
        if pending is not None:
            await pending

    def _give_up(self, child: _Child, error: BaseException | None) -> None:
        self._giving_up = True
        system = self._system
        system.emit(
            EV_LIMIT,
            self._cell,
            {
                "supervisor": self._cell.name,
                "child": child.spec.id,
                "max_restarts": self._strategy.max_restarts,
                "within": self._strategy.within,
            },
        )
        log.error(
            "%s exceeded its restart intensity (%d restarts within %gs); stopping its children "
            "and escalating",
            self._cell.name,
            self._strategy.max_restarts,
            self._strategy.within,
        )
        lifecycle.run_busy(system, self._cell, self._fail(child, error))

    async def _fail(self, child: _Child, error: BaseException | None) -> None:
        for each in reversed(self._children):
            await self._stop_for_good(each, "shutdown")
        self._system.emit(EV_ESCALATED, self._cell, {"supervisor": self._cell.name, "child": child.spec.id})
        raise RestartLimitError(
            f"{self._cell.name} gave up: more than {self._strategy.max_restarts} restarts within "
            f"{self._strategy.within:g}s (last failure: child {child.spec.id!r}: {error!r})",
            actor=self._cell.name,
        ) from error

    @handler
    def _on_child_exited(self, msg: _ChildExited) -> None:
        child = self._by_cell.pop(msg.cell, None)
        if child is None or child.ref is not msg.cell:
            return
        if child.monitor is not None:
            child.monitor.stop()
            child.monitor = None
        if child.spec.restart is RestartPolicy.TEMPORARY and child in self._children:
            self._children.remove(child)  # a temporary child's spec is forgotten

    # -- requests from SupervisorRef --------------------------------------------------------

    @handler
    async def _on_start_child(self, msg: _StartChild) -> tuple[bool, Any]:
        spec = msg.spec
        if not isinstance(spec, ChildSpec):
            return False, ConfigurationError(f"start_child() needs an airsrt.ChildSpec, got {spec!r}")
        if any(c.spec.id == spec.id for c in self._children):
            return False, ConfigurationError(
                f"{self._cell.name} already has a child with id {spec.id!r} (delete_child it first)"
            )
        child = _Child(spec)
        self._children.append(child)
        try:
            return True, await self._start(child)
        except ActorStartError as error:
            self._children.remove(child)
            return False, error

    @handler
    async def _on_child_op(self, msg: _ChildOp) -> tuple[bool, Any]:
        if msg.op == "which":
            return True, [c.info() for c in self._children]
        child = self._find(msg.id)
        if child is None:
            return False, ChildNotFoundError(
                f"{self._cell.name} has no child {msg.id!r} (its children: "
                f"{[c.spec.id for c in self._children]})",
                actor=self._cell.name,
            )
        if msg.op == "terminate":
            await self._stop_for_good(child, "shutdown")
            if child.spec.restart is RestartPolicy.TEMPORARY and child in self._children:
                self._children.remove(child)
            return True, None
        if child.running:
            return False, ConfigurationError(
                f"child {msg.id!r} of {self._cell.name} is running; terminate_child() it first"
            )
        if msg.op == "delete":
            self._children.remove(child)
            return True, None
        # restart
        try:
            return True, await self._start(child)
        except ActorStartError as error:
            return False, error

    def _find(self, child_id: Any) -> _Child | None:
        for child in self._children:
            if child.spec.id == child_id:
                return child
        return None


# -- SupervisorRef's methods (the compiled class delegates here) --------------------------------


def child(ref: SupervisorRef, child_id: Any) -> ActorRef:
    sup = ref._actor
    found = sup._find(child_id) if isinstance(sup, Supervisor) else None
    if found is None or found.ref is None:
        names = [c.spec.id for c in sup._children] if isinstance(sup, Supervisor) else []
        raise ChildNotFoundError(
            f"{ref.name} has no child {child_id!r} (its children: {names})", actor=ref.name
        )
    return found.ref


async def _request(ref: SupervisorRef, msg: Any, what: str = "supervisor request") -> Any:
    # Control traffic, not an ask: the user's ledger counts the user's messages only.
    ok, value = await _core._control_request(ref, msg, what)
    if not ok:
        raise value
    return value


async def start_child(ref: SupervisorRef, spec: ChildSpec) -> ActorRef:
    return cast("ActorRef", await _request(ref, _StartChild(spec), "start_child"))


async def terminate_child(ref: SupervisorRef, child_id: Any) -> None:
    await _request(ref, _ChildOp("terminate", child_id), "terminate_child")


async def restart_child(ref: SupervisorRef, child_id: Any) -> ActorRef:
    return cast("ActorRef", await _request(ref, _ChildOp("restart", child_id), "restart_child"))


async def delete_child(ref: SupervisorRef, child_id: Any) -> None:
    await _request(ref, _ChildOp("delete", child_id), "delete_child")


async def which_children(ref: SupervisorRef) -> list[ChildInfo]:
    return cast("list[ChildInfo]", await _request(ref, _ChildOp("which"), "which_children"))
