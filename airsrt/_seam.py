"""The seam between the compiled core and the Python layer: what the core calls back.

The core (``airsrt._core``) does the per-message work and owns each cell's state. Where it needs
a decision or bookkeeping that belongs to Python -- what a failure means, a control step of the
lifecycle, a dead letter to record, an event to publish -- it calls one of the functions below,
each implemented by the module that owns the concern, with the system (the compiled ``Runtime``)
as the first argument. ``airsrt/__init__.py`` installs the modules with ``_core._install_seam``,
whose signature in ``_core.pyi`` types each parameter with one of these protocols, so mypy checks that every module
provides every function with the right signature (a module can implement a protocol).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import asyncio

    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = ["FailureSeam", "LifecycleSeam", "MonitoringSeam", "PatternSeam", "SystemSeam"]


class LifecycleSeam(Protocol):
    """``airsrt._lifecycle``: the control lane, the Tasks the stop protocol abandoned, and the
    ends of stops the core began alone."""

    def run_control(self, system: ActorSystem, cell: ActorRef, item: tuple[Any, ...]) -> None:
        """Runs one control step (start, stop, a failure to decide, a Terminated notice)."""

    def fenced_task_done(self, system: ActorSystem, cell: ActorRef, task: asyncio.Task[Any]) -> None:
        """A handler Task the actor had moved on from has ended; its reply is late."""

    def start_returned(self, system: ActorSystem, cell: ActorRef, result: Any, exc: BaseException | None) -> None:
        """``on_start`` raised, or returned something other than None (an awaitable, IGNORE)."""

    def finish_stop(self, system: ActorSystem, cell: ActorRef, final: bool) -> None:
        """Ends a stop the core began alone, after ``on_stop`` attached something to the actor."""

    def hook_failed(self, system: ActorSystem, cell: ActorRef, name: str, exc: BaseException) -> None:
        """A synchronous hook raised (it is logged; the stop goes on)."""


class FailureSeam(Protocol):
    """``airsrt._guardian``: what a handler's exception means."""

    def handle_failure(self, system: ActorSystem, cell: ActorRef, exc: BaseException, msg: Any) -> bool:
        """Decides and carries out the failure of `cell` handling `msg`; True if it resumes."""


class PatternSeam(Protocol):
    """``airsrt._patterns``: receive timeouts."""

    def on_idle(self, system: ActorSystem, cell: ActorRef) -> None:
        """`cell` (which has a receive timeout) ran out of work."""


class MonitoringSeam(Protocol):
    """``airsrt._monitoring``: dead letters, events, the watchdog's findings, tracing."""

    def dead_letter(self, system: ActorSystem, msg: Any, cell: ActorRef | None, reason: str) -> None:
        """Records a message that ended undelivered (the core has counted it)."""

    def late_reply(self, system: ActorSystem, cell: ActorRef, reply: Any) -> None:
        """Records an answer that came after its ask had ended."""

    def publish_event(self, system: ActorSystem, kind: int, cell: ActorRef | None, details: Any) -> None:
        """Publishes an event someone listens to (the core counts every event)."""

    def expired(self, system: ActorSystem, cell: ActorRef, msg: Any, token: Any) -> None:
        """Ends a message whose time-to-live passed in the mailbox."""

    def slow_handler(self, system: ActorSystem, cell: ActorRef, msg: Any, lag: float, failed: bool) -> None:
        """Reports a handler that blocked the loop (strict mode: raises its SlowHandlerError)."""

    def high_watermark(self, system: ActorSystem, cell: ActorRef, depth: int) -> None:
        """Reports a mailbox that reached a new order of magnitude (10k, 100k, ...)."""

    def received(self, system: ActorSystem, cell: ActorRef, msg: Any) -> None:
        """Tracing: a handler is about to run."""

    def processed(
        self, system: ActorSystem, cell: ActorRef, msg: Any, duration_ns: int, error: Any
    ) -> None:
        """Tracing: a handler ran for `duration_ns` nanoseconds."""


class SystemSeam(Protocol):
    """``airsrt._system``: the system's own state."""

    def not_running(self, system: ActorSystem, what: str) -> None:
        """`what` (a spawn) found the system not running: start it, or raise."""
