"""Supervision: what a failure means, and who decides.

A handler's exception is first offered to the actor (``on_error`` -> `ErrorAction`). A
``RESUME`` keeps going; ``STOP`` is the actor's own normal exit (its supervisor's restart policy
still applies); ``RESTART`` and ``ESCALATE`` go to the actor's supervisor: a
`Supervisor` for its children, the system's `Guardian` for
top-level actors and for children spawned with ``context.spawn``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airsrt import _lifecycle as lifecycle
from airsrt._actor import ErrorAction
from airsrt._errors import ConfigurationError
from airsrt._lifecycle import StopRequest
from airsrt._monitoring import KIND_IDS
from airsrt._strategies import DynamicSupervisor, RestartIntensity, Strategy

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

log = logging.getLogger("airsrt")

EV_FAILED = KIND_IDS["actor.failed"]
EV_STRATEGY = KIND_IDS["supervisor.strategy_applied"]
EV_LIMIT = KIND_IDS["supervisor.restart_limit_exceeded"]

__all__ = ["Guardian", "decide", "handle_failure"]


def decide(system: ActorSystem, cell: ActorRef, exc: BaseException, msg: Any) -> ErrorAction:
    """Asks the actor what its failure means; ``on_error`` raising counts as ESCALATE."""
    actor = cell._actor
    if not cell._table.custom_on_error:
        default: ErrorAction = cell._table.default_error_action
        return default  # on_error is Actor's: it returns error_action
    try:
        action = lifecycle._run_in_context(system, cell, lambda: actor.on_error(exc, msg))
    except Exception:
        log.exception("%s.on_error raised; escalating", cell.name)
        return ErrorAction.ESCALATE
    if not isinstance(action, ErrorAction):
        log.error("%s.on_error returned %r, not an airsrt.ErrorAction; escalating", cell.name, action)
        return ErrorAction.ESCALATE
    return action


def handle_failure(system: ActorSystem, cell: ActorRef, exc: BaseException, msg: Any) -> bool:
    """A handler of `cell` raised while handling `msg`; returns True if the actor resumes."""
    if system._log_failures:
        what = f" while handling {type(msg).__name__}" if msg is not None else ""
        log.error(
            "%s raised %s%s",
            cell.name,
            type(exc).__name__,
            what,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
    action = decide(system, cell, exc, msg)
    if system.tally(EV_FAILED):  # a resumed failure is still a failure worth seeing
        details = {"error": repr(exc), "message_type": type(msg).__name__, "action": action.name}
        system.events._publish(EV_FAILED, cell, details)
    if action is ErrorAction.RESUME:
        return True
    if action is ErrorAction.STOP:
        # The actor's own exit: its supervisor's restart policy decides whether it returns.
        lifecycle.begin_stop(
            system, cell, StopRequest("normal", system._child_grace(cell), final=False, error=exc)
        )
        return False
    system._supervisor_of(cell).child_failed(system, cell, exc, action)
    return False


class Guardian:
    """Supervises the top-level actors of a system (and ``context.spawn`` children).

    Without a strategy it stops an actor whose failure escalates (event ``actor.failed``; the
    log says so once per actor) and restarts one whose ``on_error`` says ``RESTART``, within 3
    restarts in 5 s (the 4th failure in that window stops it). With a strategy
    (``ActorSystem(guardian=airsrt.OneForOne(...))``) it restarts failed top-level actors as
    that strategy says, within its intensity. Past the intensity, the actors it would have
    restarted stop, `supervisor.restart_limit_exceeded` is emitted and the give-up is logged
    at CRITICAL with the last error's traceback. Top-level actors count as transient children:
    an actor that stops by itself (a supervisor that gave up, too) is not restarted, and one
    whose `on_start` returns [`airsrt.IGNORE`][airsrt.IGNORE] stops with reason `"ignored"`.

    Args:
        strategy: A supervision strategy, or None for "stop on failure".
    """

    def __init__(self, strategy: Strategy | None = None) -> None:
        if strategy is not None and (not isinstance(strategy, Strategy) or isinstance(strategy, DynamicSupervisor)):
            raise ConfigurationError(
                f"guardian must be an airsrt strategy (OneForOne, OneForAll, RestForOne), got {strategy!r}"
            )
        self.strategy = strategy
        self._intensity = strategy.intensity() if strategy else RestartIntensity(3, 5.0)

    def child_failed(
        self, system: ActorSystem, cell: ActorRef, exc: BaseException, action: ErrorAction
    ) -> None:
        """Carries out the guardian's decision about a failed actor it supervises."""
        if action is ErrorAction.ESCALATE and self.strategy is None:
            if system._log_failures:
                log.error(
                    "%s stops for good: a top-level actor stops when a handler raises (keep it with "
                    "error_action = airsrt.ErrorAction.RESUME or RESTART, or on_error(); or give "
                    "ActorSystem(guardian=airsrt.OneForOne(...)) to restart top-level actors)",
                    cell.name,
                )
            self._stop(system, [cell], "failed", exc)
            return
        if action is ErrorAction.RESTART or self.strategy is None or cell._parent is not system._root:
            group = [cell]  # RESTART means this actor; a strategy only chooses for ESCALATE
        else:
            peers = [c for c in system._root._children() if c.is_alive]
            group = self.strategy.affected(peers, cell)
        if not self._intensity.add(system._time()):
            system.emit(
                EV_LIMIT,
                cell,
                {
                    "supervisor": "guardian",
                    "max_restarts": self._intensity.max_restarts,
                    "within": self._intensity.within,
                    "error": repr(exc),
                },
            )
            log.critical(
                "the guardian gave up on %s: more than %d restarts within %gs (last error: %s: %s); "
                "it stops for good",
                ", ".join(c.name for c in group),
                self._intensity.max_restarts,
                self._intensity.within,
                type(exc).__name__,
                exc,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            self._stop(system, group, "failed", exc)
            return
        if self.strategy is not None:
            system.emit(
                EV_STRATEGY,
                cell,
                {"strategy": type(self.strategy).__name__, "restart": [c.name for c in group]},
            )
        if len(group) == 1:
            pending = lifecycle.restart_group(system, group, exc)
        else:
            # This runs inside the failed actor's own turn; a group restarts after it, so the
            # new incarnations start in start order (the failed one is held meanwhile).
            for each in group:
                lifecycle.suspend(system, each)
            pending = _restart_later(system, group, exc, cell)
        if pending is not None:
            system._start_lifecycle(pending, lambda: lifecycle.restart_cancelled(system, group, exc))

    def start_failed(self, system: ActorSystem, cell: ActorRef, error: BaseException) -> None:
        """An actor's ``on_start`` failed: it stops (reason ``start_failed``)."""
        self._stop(system, [cell], "start_failed", error)

    def start_ignored(self, system: ActorSystem, cell: ActorRef) -> None:
        """An actor's ``on_start`` returned IGNORE: it stops (reason ``"ignored"``)."""
        lifecycle.stop_ignored(system, cell)

    def child_exiting(self, system: ActorSystem, cell: ActorRef, req: StopRequest) -> bool:
        """Top-level actors are transient: a normal exit is not turned into a restart."""
        return False

    def child_stopped(self, system: ActorSystem, cell: ActorRef, reason: str, req: StopRequest) -> None:
        """The guardian keeps no specs, so there is nothing to update."""

    def child_grace(self, system: ActorSystem, cell: ActorRef) -> float | None:
        return system._stop_timeout

    @staticmethod
    def _stop(system: ActorSystem, cells: list[ActorRef], reason: str, error: BaseException) -> None:
        for cell in reversed(cells):
            lifecycle.begin_stop(
                system, cell, StopRequest(reason, system._stop_timeout, final=True, error=error)
            )


async def _restart_later(system: ActorSystem, group: list[ActorRef], exc: BaseException, failed: ActorRef) -> None:
    pending = lifecycle.restart_group(system, group, exc, first=failed)
    if pending is not None:
        await pending
