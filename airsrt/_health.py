"""Health checks of supervised children (``ChildSpec(health=HealthCheck(...))``).

Every ``every`` seconds the supervisor asks the child how it is: the check runs through the
child's control lane, between messages, calling its ``health_check()``. A check that gets no
answer within ``timeout`` -- because a handler has been running longer than that -- counts as
failed: a hung actor is unhealthy. ``threshold`` failed checks in a row restart the child through
the same path as a crash, so the supervisor's restart intensity applies.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airsrt._core import PHASE_ALIVE, PHASE_STOPPED
from airsrt._errors import ConfigurationError, HealthCheckError
from airsrt._monitoring import KIND_IDS

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = ["Health", "HealthCheck"]

log = logging.getLogger("airsrt")
EV_HEALTH_FAILED = KIND_IDS["supervisor.health_check_failed"]


class Health(enum.Enum):
    """What [`Actor.health_check()`][airsrt.Actor.health_check] reports.

    Attributes:
        HEALTHY: All is well.
        DEGRADED: Working, but not at its best; reported as an event, not counted as a failure.
        FAILED: Not working; counts toward the failure threshold.
    """

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """How a supervisor checks a child.

    Attributes:
        every: Seconds between checks.
        timeout: Seconds a check may wait for the child's answer (and a handler may run)
            before the check counts as failed.
        threshold: Failed checks in a row that restart the child.
    """

    every: float
    timeout: float = 1.0
    threshold: int = 3

    def __post_init__(self) -> None:
        for name in ("every", "timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ConfigurationError(f"HealthCheck {name} must be seconds > 0, got {value!r}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 1:
            raise ConfigurationError(f"HealthCheck threshold must be an int >= 1, got {self.threshold!r}")


class HealthMonitor:
    """Runs one child's checks for its supervisor."""

    __slots__ = (
        "_busy_since",
        "_busy_task",
        "_cell",
        "_check",
        "_failures",
        "_handle",
        "_on_unhealthy",
        "_pending_since",
        "_system",
    )

    def __init__(
        self,
        system: ActorSystem,
        cell: ActorRef,
        check: HealthCheck,
        on_unhealthy: Callable[[ActorRef, BaseException], None],
    ) -> None:
        self._system = system
        self._cell = cell
        self._check = check
        self._on_unhealthy = on_unhealthy
        self._failures = 0
        self._pending_since: float | None = None
        self._busy_task: Any = None
        self._busy_since = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._handle = self._system.loop.call_later(self._check.every, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        cell = self._cell
        if cell._phase == PHASE_STOPPED:
            self._handle = None
            return
        self._handle = self._system.loop.call_later(self._check.every, self._tick)
        if cell._phase != PHASE_ALIVE:
            self._reset()  # starting or being restarted: nothing to judge yet
            return
        now = self._system._time()
        timeout = self._check.timeout
        if self._pending_since is not None:
            if now - self._pending_since >= timeout:
                self._pending_since = None
                self._failed(f"no answer to a health check within {timeout:g}s")
            return
        task = cell._extra.task if cell._has_extra else None
        if task is not None and not task.done():
            if task is not self._busy_task:
                self._busy_task, self._busy_since = task, now
            elif now - self._busy_since >= timeout:
                self._busy_task = None
                self._failed(f"a handler has been running for more than {timeout:g}s")
                return
        self._pending_since = now
        cell._push_control(("call", self._run_check))

    def _run_check(self, cell: ActorRef) -> None:
        """Runs in the child's own turn (its control lane), in its context."""
        self._pending_since = None
        try:
            result = cell._actor.health_check()
        except Exception as exc:
            self._failed(f"health_check() raised {type(exc).__name__}: {exc}")
            return
        if result is Health.FAILED:
            self._failed("health_check() reported FAILED")
        elif result is Health.DEGRADED:
            self._system.emit(EV_HEALTH_FAILED, cell, {"health": "DEGRADED", "failures": self._failures})
        elif result is Health.HEALTHY:
            self._failures = 0
        else:
            self._failed(f"health_check() returned {result!r}, not an airsrt.Health")

    def _failed(self, why: str) -> None:
        self._failures += 1
        cell = self._cell
        self._system.emit(
            EV_HEALTH_FAILED,
            cell,
            {"health": "FAILED", "reason": why, "failures": self._failures, "threshold": self._check.threshold},
        )
        if self._failures >= self._check.threshold:
            self._reset()
            error = HealthCheckError(
                f"{cell.name} failed {self._check.threshold} health checks in a row ({why})",
                actor=cell.name,
            )
            self._on_unhealthy(cell, error)

    def _reset(self) -> None:
        self._failures = 0
        self._pending_since = None
        self._busy_task = None
