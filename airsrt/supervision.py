"""Supervision: what a failure means, and who decides.

A handler's exception is first offered to the actor (``on_error`` -> :class:`ErrorAction`). A
``RESUME`` keeps going; ``STOP`` is a normal exit; ``RESTART`` and ``ESCALATE`` go to the actor's
supervisor. Top-level actors (and children spawned with ``context.spawn``) are supervised by the
system's guardian, which stops a failed actor by default.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from airsrt import lifecycle
from airsrt.actor import ErrorAction
from airsrt.errors import ConfigurationError
from airsrt.lifecycle import StopRequest
from airsrt.monitoring import KIND_IDS

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt.system import ActorSystem

log = logging.getLogger("airsrt")

EV_FAILED = KIND_IDS["actor.failed"]
EV_LIMIT = KIND_IDS["supervisor.restart_limit_exceeded"]

__all__ = ["Guardian", "RestartIntensity"]


class RestartIntensity:
    """OTP's restart intensity: more than `max_restarts` restarts within `within` seconds
    (a sliding window over restart times) means give up.

    Args:
        max_restarts: Restarts allowed inside the window (0: the first failure gives up).
        within: Window length in seconds (> 0).
    """

    __slots__ = ("_times", "max_restarts", "within")

    def __init__(self, max_restarts: int, within: float) -> None:
        if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 0:
            raise ConfigurationError(f"max_restarts must be an int >= 0, got {max_restarts!r}")
        if isinstance(within, bool) or not isinstance(within, (int, float)) or not within > 0:
            raise ConfigurationError(f"within must be a number of seconds > 0, got {within!r}")
        self.max_restarts = max_restarts
        self.within = float(within)
        self._times: deque[float] = deque()

    def add(self, now: float) -> bool:
        """Records a restart at `now`; returns False once the limit is exceeded."""
        times = self._times
        times.append(now)
        while times and now - times[0] > self.within:
            times.popleft()
        return len(times) <= self.max_restarts

    def count(self, now: float) -> int:
        """Restarts still inside the window at `now`."""
        return sum(1 for t in self._times if now - t <= self.within)


def decide(system: ActorSystem, cell: ActorRef, exc: BaseException, msg: Any) -> ErrorAction:
    """Asks the actor what its failure means; ``on_error`` raising counts as ESCALATE."""
    actor = cell._actor
    try:
        action = lifecycle._run_in_context(system, cell, lambda: actor.on_error(exc, msg))
    except Exception:
        log.exception("%s.on_error raised; escalating", cell.name)
        return ErrorAction.ESCALATE
    if not isinstance(action, ErrorAction):
        log.error(
            "%s.on_error returned %r, not an airsrt.ErrorAction; escalating", cell.name, action
        )
        return ErrorAction.ESCALATE
    return action


def handle_failure(system: ActorSystem, cell: ActorRef, exc: BaseException, msg: Any) -> bool:
    """A handler of `cell` raised while handling `msg`; returns True if the actor resumes."""
    if system._log_failures:
        log.error(
            "%s raised %s while handling %s",
            cell.name,
            type(exc).__name__,
            type(msg).__name__,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
    action = decide(system, cell, exc, msg)
    if action is ErrorAction.RESUME:
        return True
    system.emit(
        EV_FAILED,
        cell,
        {"error": repr(exc), "message_type": type(msg).__name__, "action": action.name},
    )
    if action is ErrorAction.STOP:
        lifecycle.begin_stop(system, cell, StopRequest("normal", system._child_grace(cell), error=exc))
        return False
    system._supervisor_of(cell).child_failed(system, cell, exc, action)
    return False


class Guardian:
    """Supervises the top-level actors of a system.

    Without a strategy it stops an actor whose failure escalates (event ``actor.failed``), and
    restarts one whose ``on_error`` says ``RESTART`` within a restart intensity of 3 in 5 s.
    """

    def __init__(self, intensity: RestartIntensity | None = None) -> None:
        self._intensity = intensity or RestartIntensity(3, 5.0)

    def child_failed(
        self, system: ActorSystem, cell: ActorRef, exc: BaseException, action: ErrorAction
    ) -> None:
        """Carries out the guardian's decision about a failed top-level actor."""
        if action is ErrorAction.RESTART:
            if self._intensity.add(system.loop.time()):
                lifecycle.restart(system, cell, exc)
                return
            system.emit(
                EV_LIMIT,
                cell,
                {
                    "max_restarts": self._intensity.max_restarts,
                    "within": self._intensity.within,
                },
            )
        lifecycle.begin_stop(
            system, cell, StopRequest("failed", system._child_grace(cell), error=exc)
        )

    def start_failed(self, system: ActorSystem, cell: ActorRef, error: BaseException) -> None:
        """A top-level actor's ``on_start`` failed: it stops (reason ``start_failed``)."""
        lifecycle.begin_stop(
            system, cell, StopRequest("start_failed", system._child_grace(cell), error=error)
        )

    def child_stopped(
        self, system: ActorSystem, cell: ActorRef, reason: str, req: StopRequest
    ) -> None:
        """A top-level actor stopped; the guardian keeps no spec, so there is nothing to do."""
