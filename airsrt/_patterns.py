"""Actor patterns from the Akka/OTP vocabulary: pipe to self, stash, receive timeout.

All three belong to one incarnation of an actor: a restart or a stop cancels piped awaits and
the receive timeout; stashed messages go back to the front of the mailbox on a restart (like
any queued message) and become dead letters on a stop.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TYPE_CHECKING

from airsrt import _core
from airsrt._core import PHASE_ALIVE, PHASE_STOPPED, SCHED_IDLE
from airsrt._errors import StashOverflowError
from airsrt._messages import ReceiveTimeout

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = ["on_idle"]

log = logging.getLogger("airsrt")


# -- pipe_to_self ----------------------------------------------------------------------------


def pipe_to_self(cell: ActorRef, awaitable: Awaitable[Any], to_msg: Callable[[Any], Any]) -> asyncio.Task[Any]:
    """``context.pipe_to_self``: await `awaitable` in a Task of its own (the actor keeps handling
    messages), then deliver ``to_msg(result_or_exception)`` to the actor as a normal message."""
    if not callable(to_msg):
        raise TypeError(f"pipe_to_self() needs a callable to_msg, got {to_msg!r}")
    if not asyncio.iscoroutine(awaitable) and not asyncio.isfuture(awaitable) and not hasattr(awaitable, "__await__"):
        raise TypeError(f"pipe_to_self() needs an awaitable, got {type(awaitable).__name__}")
    system = cell.system
    coro = awaitable if asyncio.iscoroutine(awaitable) else _await(awaitable)
    task = cell._create_task(coro)
    extra = cell._extra
    if extra.pipes is None:
        extra.pipes = set()
    extra.pipes.add(task)
    incarnation = cell.incarnation
    task.add_done_callback(lambda t: _piped(system, cell, t, incarnation, to_msg))
    return task


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _piped(system: ActorSystem, cell: ActorRef, task: asyncio.Task[Any], incarnation: int, to_msg: Callable[[Any], Any]) -> None:
    if cell._has_extra and cell._extra.pipes is not None:
        cell._extra.pipes.discard(task)
    if task.cancelled() or cell.incarnation != incarnation or cell._phase == PHASE_STOPPED:
        return  # cancelled with the incarnation that asked for it
    outcome = task.exception() or task.result()
    try:
        msg = to_msg(outcome)
    except Exception:
        log.exception("%s: the to_msg of pipe_to_self raised; nothing was delivered", cell.name)
        return
    cell._deliver(msg)


# -- stash ------------------------------------------------------------------------------------


def stash(cell: ActorRef, msg: Any) -> None:
    """``context.stash(msg)``: keep the message being handled for later (with its ask, if any)."""
    system = cell.system
    in_sync_handler = system._current_message(cell) is msg
    if not in_sync_handler and not (cell._has_extra and cell._extra.task_msg is msg):
        raise ValueError(
            f"{cell.name}: context.stash() keeps the message being handled; "
            f"{type(msg).__name__} is not it (stash from inside its handler)"
        )
    actor = cell._actor
    capacity = getattr(actor, "stash_capacity", 1000)
    extra = cell._extra
    if extra.stash is None:
        extra.stash = deque()
    if len(extra.stash) >= capacity:
        raise StashOverflowError(
            f"{cell.name}'s stash is full ({capacity} messages); call context.unstash_all() "
            f"before stashing more, or raise {type(actor).__name__}.stash_capacity",
            actor=cell.name,
            message=msg,
        )
    taken = system._stash_current(cell) if in_sync_handler else _core._stash_task_message(cell, msg)
    if taken is None:
        raise ValueError(f"{cell.name}: {type(msg).__name__} was already stashed")
    extra.stash.append(taken)


def unstash_all(cell: ActorRef) -> int:
    """``context.unstash_all()``: put every stashed message back, ahead of the newer ones, in
    the order they were stashed. Returns how many."""
    if not cell._has_extra or not cell._extra.stash:
        return 0
    stashed = cell._extra.stash
    cell._extra.stash = None
    for msg, token in reversed(stashed):
        cell._force_push(msg, token, front=True)
    cell._reschedule()
    return len(stashed)


# -- receive timeout --------------------------------------------------------------------------


class _ReceiveTimeout:
    __slots__ = ("handle", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.handle: asyncio.TimerHandle | None = None


def set_receive_timeout(cell: ActorRef, seconds: float | None) -> None:
    """``context.set_receive_timeout``: send ``ReceiveTimeout()`` after `seconds` idle."""
    extra = cell._extra
    previous = extra.receive_timeout
    if previous is not None and previous.handle is not None:
        previous.handle.cancel()
    if seconds is None:
        extra.receive_timeout = None
        cell._want_idle_hook(False)
        return
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"receive timeout must be finite seconds > 0 (or None to turn it off), got {seconds!r}")
    if cell._table.find(ReceiveTimeout) is None:
        raise cell.unhandled_type_error(ReceiveTimeout)
    extra.receive_timeout = _ReceiveTimeout(float(seconds))
    cell._want_idle_hook(True)
    if cell._sched == SCHED_IDLE and cell.mailbox_size() == 0:
        on_idle(cell.system, cell)  # set from outside a handler: the idle period starts now


def on_idle(system: ActorSystem, cell: ActorRef) -> None:
    """The actor ran out of work: (re)start its receive-timeout clock."""
    timeout = cell._extra.receive_timeout if cell._has_extra else None
    if timeout is None:
        return
    if timeout.handle is not None:
        timeout.handle.cancel()
    loop = system.loop
    timeout.handle = loop.call_at(loop.time() + timeout.seconds, _expire, cell, timeout)


def _expire(cell: ActorRef, timeout: _ReceiveTimeout) -> None:
    timeout.handle = None
    extra = cell._extra
    if extra.receive_timeout is not timeout or cell._phase != PHASE_ALIVE:
        return
    if cell._sched != SCHED_IDLE or cell.mailbox_size():
        return  # busy again; its next idle moment restarts the clock
    cell._deliver(ReceiveTimeout(), _core.NOTICE)  # the runtime's own message: control traffic


# -- the end of an incarnation ----------------------------------------------------------------


def end_incarnation(cell: ActorRef, stopping: bool) -> list[tuple[Any, Any]]:
    """Cancels piped awaits and the receive timeout. Returns the stashed messages when the actor
    stops (for the caller to dead-letter); on a restart they go back to the front of the
    mailbox instead."""
    if not cell._has_extra:
        return []
    extra = cell._extra
    if extra.pipes:
        for task in list(extra.pipes):
            task.cancel()
        extra.pipes = None
    if extra.receive_timeout is not None:
        set_receive_timeout(cell, None)
    stashed = list(extra.stash or ())
    extra.stash = None
    if stopping:
        return stashed
    for msg, token in reversed(stashed):
        cell._force_push(msg, token, front=True)
    return []
