"""The Python half of `airsrt.ActorRef`: the methods that wait.

``tell`` and ``ask`` are compiled (``_core.ActorRef``); ``send``, ``stop``, ``ready`` and
``ask_blocking`` are coroutines or blocking calls and live here. (Senders parked on a full
``BLOCK`` mailbox are the compiled core's: see ``park`` in ``_cell.pxi``.)
"""

from __future__ import annotations

import asyncio
import warnings
from typing import TYPE_CHECKING, Any

from airsrt import _core, _lifecycle as lifecycle, _remote
from airsrt._core import FLAG_READY, FLAG_START_FAILED, PHASE_STOPPED
from airsrt._errors import (
    ActorStartError,
    ConfigWarning,
    ConfigurationError,
    DeadlockError,
    MailboxFullError,
    SystemNotRunningError,
)

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = ["ask_blocking", "ready", "reduce", "send", "stop"]


def reduce(ref: ActorRef) -> tuple[Any, ...]:
    """``ref.__reduce__()``: a ref pickles as its wire address, inside an airsrt.ray cluster."""
    hooks = _remote.hooks
    if hooks is None:
        raise TypeError(
            f"cannot pickle {ref!r}: actor refs travel between processes only inside an "
            "airsrt.ray cluster (import airsrt.ray and start or join a Cluster)"
        )
    return hooks.reduce(ref)


async def send(ref: ActorRef, msg: Any, timeout: float | None = None) -> None:
    """``ref.send(msg, timeout)``: tell, but wait for room on a full BLOCK mailbox."""
    if timeout is not None:
        _core._check_timeout(timeout, "send", ref, msg)
    waiter = ref._send_nowait(msg)
    if waiter is None:
        return
    system = ref.system
    loop = system.loop
    handle = None
    if timeout is not None:
        handle = loop.call_at(loop.time() + timeout, _putter_timed_out, ref, waiter, msg, timeout)
    else:
        # The actor whose async handler waits here: running its eager first step (3.12+), or
        # resumed in its handler Task.
        sender = system._current_actor() or system._busy.get(asyncio.current_task())
        if sender is not None:
            warnings.warn(
                ConfigWarning(
                    f"{sender.name} waits without a timeout for room in {ref.name}'s full BLOCK "
                    f"mailbox (send({type(msg).__name__})); two actors that do this to each other "
                    "wait forever. Pass send(..., timeout=seconds), or use tell() and handle "
                    "MailboxFullError"
                ),
                stacklevel=2,
            )
    try:
        await waiter
    except asyncio.CancelledError:
        if ref._unpark(waiter):
            system.n_withdrawn += 1
        raise
    finally:
        if handle is not None:
            handle.cancel()


def _putter_timed_out(ref: ActorRef, waiter: asyncio.Future[None], msg: Any, timeout: float) -> None:
    if waiter.done() or not ref._unpark(waiter):
        return
    ref.system.n_rejected += 1
    waiter.set_exception(
        MailboxFullError(
            f"{ref.name}'s mailbox stayed full for {timeout:g}s; {type(msg).__name__} was not "
            "sent (the actor is slow: raise its capacity, wait longer, or shed load)",
            actor=ref.name,
            message=msg,
        )
    )


async def stop(ref: ActorRef, drain: bool = False, timeout: float | None = 5.0) -> None:
    """``ref.stop()``: stop for good after the current (or, with `drain`, the queued) messages."""
    # Before anything changes: a stop begun from another thread would leave the actor STOPPING.
    _core._check_thread(ref.system, "stop", ref, True)
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0
    ):
        raise ConfigurationError(
            f"stop timeout must be seconds >= 0 (0 cancels at once) or None, got {timeout!r}"
        )
    if ref._phase == PHASE_STOPPED or ref._stop_at_once():
        return
    system = ref.system
    request = lifecycle.StopRequest("normal", timeout, drain=bool(drain), final=True)
    waiter = lifecycle.request_stop(system, ref, request)
    if waiter is not None:
        await asyncio.shield(waiter)


async def ready(ref: ActorRef) -> None:
    """``ref.ready()``: wait for ``on_start``; raise ``ActorStartError`` if it failed."""
    _core._check_thread(ref.system, "ready", ref, True)
    flags = ref._flags
    if flags & FLAG_START_FAILED:
        raise ref._extra.start_error
    if flags & FLAG_READY:
        return
    if ref._phase == PHASE_STOPPED:
        raise ActorStartError(f"{ref.name} stopped before it started", actor=ref.name)
    extra = ref._extra
    if extra.ready_waiters is None:
        extra.ready_waiters = []
    waiter = ref.system.loop.create_future()
    extra.ready_waiters.append(waiter)
    await waiter


def ask_blocking(ref: ActorRef, msg: Any, timeout: Any = _core.DEFAULT) -> Any:
    """``ref.ask_blocking()``: ask from another thread and block until the answer."""
    system = ref.system
    if system._on_thread():
        raise DeadlockError(
            f"ask_blocking({type(msg).__name__}) to {ref.name} was called on the event loop's "
            "own thread, where blocking would stop the loop that must answer it; use "
            "'await ref.ask(...)' there",
            actor=ref.name,
            message=msg,
        )
    if not system._running:
        raise SystemNotRunningError(
            f"the actor system is not running; {type(msg).__name__} for {ref.name} was not sent",
            actor=ref.name,
            message=msg,
        )

    async def _ask() -> Any:
        return await ref.ask(msg, timeout)

    return asyncio.run_coroutine_threadsafe(_ask(), system.loop).result()
