"""Actor timers: ``context.schedule_once`` and ``context.schedule_repeat``.

Every tick is a normal message that carries the timer's token through the mailbox; cancelling the
timer marks the token, so a tick already queued when the timer is cancelled is dropped (and
counted as withdrawn) instead of handled. All time comes from ``loop.time()`` / ``loop.call_at``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from airsrt import _core
from airsrt._errors import ActorStoppedError

if TYPE_CHECKING:
    import asyncio

    from airsrt._core import ActorRef

__all__ = ["Timer"]


class Timer:
    """A message scheduled for an actor; returned by ``schedule_once``/``schedule_repeat``.

    Cancelled by `cancel`, by scheduling another timer with the same key, or when the actor
    stops or restarts. `cancel` belongs to the loop's thread; `active` and `key` can be read
    from any thread.
    """

    __slots__ = ("_cell", "_handle", "_interval", "_key", "_msg", "_next", "_token")

    def __init__(self, cell: ActorRef, msg: Any, key: Any, interval: float | None) -> None:
        self._cell = cell
        self._msg = msg
        self._key = key
        self._interval = interval
        self._token = _core.TimerToken()
        self._handle: asyncio.TimerHandle | None = None
        self._next = 0.0

    @property
    def active(self) -> bool:
        """True until the timer is cancelled or, for a one-shot timer, has fired."""
        return not self._token.cancelled and (self._handle is not None or self._token.queued)

    @property
    def key(self) -> Any:
        """The key given when scheduling, or None."""
        return self._key

    def cancel(self) -> None:
        """Cancels the timer; a tick already in the mailbox is dropped, not handled.

        Raises:
            WrongThreadError: Called from a thread other than the loop's.
        """
        _core._check_thread(self._cell.system, "timer.cancel", self._cell)
        if self._token.cancelled:
            return
        self._token.cancelled = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        timers = self._cell._extra.timers if self._cell._has_extra else None
        if timers is not None:
            slot = self._key if self._key is not None else self
            if timers.get(slot) is self:
                del timers[slot]

    def _fire(self) -> None:
        self._handle = None
        if self._token.cancelled:
            return
        cell = self._cell
        if not cell.is_alive:
            self.cancel()
            return
        if self._interval is not None:
            loop = cell.system.loop
            now = loop.time()
            # Fixed rate: the next tick keeps to the schedule, skipping any that were missed.
            self._next += self._interval
            if self._next <= now:
                self._next += math.ceil((now - self._next) / self._interval) * self._interval
                if self._next <= now:
                    self._next += self._interval
            self._handle = loop.call_at(self._next, self._fire)
            if self._token.queued:
                return  # the previous tick is still waiting: ticks do not pile up
        else:
            timers = cell._extra.timers
            slot = self._key if self._key is not None else self
            if timers is not None and timers.get(slot) is self:
                del timers[slot]
        self._token.queued = True
        cell._deliver(self._msg, self._token)

    def __repr__(self) -> str:
        kind = "repeat" if self._interval is not None else "once"
        state = "active" if self.active else "done"
        return f"<Timer {kind} {type(self._msg).__name__} for {self._cell.name} {state}>"


def schedule(cell: ActorRef, delay: float, msg: Any, key: Any, *, repeat: bool) -> Timer:
    """Creates and arms a timer for `cell` (``Context.schedule_once``/``schedule_repeat``)."""
    what = "schedule_repeat interval" if repeat else "schedule_once delay"
    if isinstance(delay, bool) or not isinstance(delay, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, got {type(delay).__name__}")
    if not math.isfinite(delay) or delay < 0 or (repeat and delay == 0):
        raise ValueError(f"{what} must be finite and {'> 0' if repeat else '>= 0'}, got {delay!r}")
    if cell._table.find(type(msg)) is None:
        raise cell.unhandled_error(msg)
    if not cell.is_alive:
        raise ActorStoppedError(
            f"{cell.name} has stopped; it cannot schedule {type(msg).__name__}", actor=cell.name
        )
    extra = cell._extra
    if extra.timers is None:
        extra.timers = {}
    if key is not None:
        previous = extra.timers.get(key)
        if previous is not None:
            previous.cancel()
    timer = Timer(cell, msg, key, float(delay) if repeat else None)
    extra.timers[key if key is not None else timer] = timer
    loop = cell.system.loop
    timer._next = loop.time() + delay
    timer._handle = loop.call_at(timer._next, timer._fire)
    return timer


def cancel_all(cell: ActorRef) -> None:
    """Cancels every timer of `cell` (on stop and on restart)."""
    if not cell._has_extra or not cell._extra.timers:
        return
    for timer in list(cell._extra.timers.values()):
        timer.cancel()
    cell._extra.timers = None
