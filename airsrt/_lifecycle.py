"""The actor lifecycle: start, stop, restart and watch -- the mechanics, not the policy.

What a failure *means* is decided in `airsrt._guardian`; this module carries decisions
out. Each operation has a synchronous fast path (an idle actor with synchronous hooks and no
children stops or restarts inside the caller's call, with no Task) and, when something must be
waited for (an async handler in flight, an async hook, a child that is still stopping), the same
steps run in a lifecycle Task. While such a Task runs, the cell is marked busy so the dispatcher
leaves it alone.

The stop protocol (DESIGN §2): the current handler gets the grace period; then its Task is
cancelled; if it still does not finish it is abandoned -- kept referenced, fenced (a late reply
becomes a dead letter) and reported by name. Children stop first (reverse start order), then
``on_stop`` runs, unless the actor was killed.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import weakref
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from airsrt import _core, _patterns as patterns, _remote, _timers as timers
from airsrt._core import (
    FLAG_READY,
    FLAG_START_FAILED,
    FLAG_STARTED,
    PHASE_ALIVE,
    PHASE_RESTARTING,
    PHASE_STARTING,
    PHASE_STOPPED,
    PHASE_STOPPING,
    SCHED_RUNNING,
)
from airsrt import _actor
from airsrt._errors import ActorStartError, ActorStoppedError, UnhandledMessageError
from airsrt._messages import Terminated
from airsrt._monitoring import KIND_IDS

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._messages import ExitReason
    from airsrt._system import ActorSystem

log = logging.getLogger("airsrt")

EV_STARTED = KIND_IDS["actor.started"]
EV_STOPPED = KIND_IDS["actor.stopped"]
EV_FAILED = KIND_IDS["actor.failed"]
EV_RESTARTED = KIND_IDS["actor.restarted"]
EV_ABANDONED = KIND_IDS["actor.abandoned"]

#: Every task airsrt abandoned (it ignored cancellation), for teardown code and test tooling.
abandoned_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


class StopRequest:
    """One request to stop an actor, and the waiters of its outcome.

    Attributes:
        reason: The exit reason reported to watchers and supervisors (a name, or
            ``("shutdown", payload)``).
        grace: Seconds for the current handler plus ``on_stop``; ``None`` waits forever,
            ``0`` cancels at once.
        cap: An absolute loop time no wait may pass (a system shutdown's deadline), or None.
        drain: Handle the queued messages first.
        shutdown: Part of a system shutdown (dead letters get reason ``shutdown``).
        final: Decided from outside (``ref.stop()``, a parent, a supervisor, shutdown): the
            actor stops for good. False for the actor's own exit, which its supervisor's
            restart policy may turn into a restart.
        error: The exception behind the stop, if any.
    """

    __slots__ = ("cap", "drain", "error", "final", "future", "grace", "killed", "reason", "shutdown")

    def __init__(
        self,
        reason: ExitReason,
        grace: float | None,
        cap: float | None = None,
        *,
        drain: bool = False,
        shutdown: bool = False,
        final: bool = True,
        error: BaseException | None = None,
    ) -> None:
        self.reason = reason
        self.grace = grace
        self.cap = cap
        self.drain = drain
        self.shutdown = shutdown
        self.final = final
        self.error = error
        self.killed = False
        self.future: asyncio.Future[None] | None = None

    def waiter(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        if self.future is None:
            self.future = loop.create_future()
        return self.future

    def resolve(self) -> None:
        if self.future is not None and not self.future.done():
            self.future.set_result(None)


# -- control lane ----------------------------------------------------------------------------


def run_control(system: ActorSystem, cell: ActorRef, item: tuple[Any, ...]) -> None:
    """Executes one control step the dispatcher took from `cell`'s control lane."""
    kind = item[0]
    if kind == "start":
        start_actor(system, cell)
    elif kind == "failed":
        exc = item[1]
        guardian.handle_failure(system, cell, exc, item[2])
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise exc
    elif kind == "stop":
        begin_stop(system, cell, item[1])
    elif kind == "stop-self":  # context.stop() with the normal reason (see stop_self)
        begin_stop(system, cell, StopRequest("normal", system._child_grace(cell), final=False))
    elif kind == "terminated":
        _deliver_terminated_now(system, cell, item[1])
    elif kind == "call":
        item[1](cell)
    else:  # pragma: no cover - internal invariant
        raise RuntimeError(f"unknown control step {kind!r} for {cell.name}")


# -- start -------------------------------------------------------------------------------------


def start_actor(system: ActorSystem, cell: ActorRef) -> None:
    """Runs ``on_start`` of the current incarnation: the core calls it, finishes a synchronous
    start itself and hands anything else to `start_returned`."""
    cell._run_start()


def start_returned(system: ActorSystem, cell: ActorRef, result: Any, exc: BaseException | None) -> None:
    """``on_start`` raised `exc`, or returned `result` (not None): an awaitable runs in a hook
    Task, ``IGNORE`` declines to start, anything else counts as started."""
    if exc is not None:
        start_failed(system, cell, exc)
    elif inspect.isawaitable(result):
        task = _hook_task(system, cell, result)
        cell._task_began()
        task.add_done_callback(functools.partial(_start_done, system, cell))
    elif result is _actor.IGNORE:
        start_ignored(system, cell)
    else:
        started(system, cell)


def _start_done(system: ActorSystem, cell: ActorRef, task: asyncio.Task[Any]) -> None:
    extra = cell._extra
    if extra.task is task:
        extra.task = None
    exc = _task_error(task)
    ignored = exc is None and task.result() is _actor.IGNORE
    if cell._phase != PHASE_STARTING:
        # A stop overtook the start; it is waiting on this task and decides what comes next.
        if exc is None and not ignored and cell._phase != PHASE_STOPPED:
            cell._mark_started()  # its on_stop is due
        return
    cell._task_ended()
    if ignored:
        start_ignored(system, cell)
    elif exc is None:
        started(system, cell)
    else:
        start_failed(system, cell, exc)


def started(system: ActorSystem, cell: ActorRef) -> None:
    """Marks the current incarnation started and lets messages flow."""
    cell._started()


def start_failed(system: ActorSystem, cell: ActorRef, exc: BaseException) -> None:
    """``on_start`` raised (or the factory did, on a restart): the supervisor decides."""
    if isinstance(exc, ActorStartError):
        error = exc
    else:
        error = ActorStartError(
            f"{cell.name}.on_start raised {type(exc).__name__}: {exc}",
            actor=cell.name,
        )
        error.__cause__ = exc
    cell._mark_start_failed()
    cell._extra.start_error = error
    if system._log_failures:
        log.error("%s failed to start", cell.name, exc_info=(type(exc), exc, exc.__traceback__))
    if system.tally(EV_FAILED):
        system.events._publish(EV_FAILED, cell, {"during": "start", "error": repr(exc)})
    _settle_ready_waiters(cell, error)
    system._start_failed(cell, error)


def start_ignored(system: ActorSystem, cell: ActorRef) -> None:
    """``on_start`` returned ``airsrt.IGNORE``: the actor declines to start, which is not an error.

    Whoever waits in ``ready()`` is released (it has settled: no error), and the actor's
    supervisor decides what remains of it (it stops with reason ``"ignored"``; ``on_stop``
    does not run, since it never started)."""
    cell._mark_settled()
    _settle_ready_waiters(cell, None)
    system._start_ignored(cell)


def stop_ignored(system: ActorSystem, cell: ActorRef) -> None:
    """Stops an actor whose ``on_start`` returned IGNORE (for good, reason ``"ignored"``)."""
    begin_stop(system, cell, StopRequest("ignored", system._child_grace(cell), final=True))


def was_ignored(cell: ActorRef) -> bool:
    """True if the actor's last start returned IGNORE (it is stopping or has stopped)."""
    if cell._phase < PHASE_STOPPING or not cell._has_extra:
        return False
    extra = cell._extra
    if extra.stopping is not None:
        return bool(extra.stopping.reason == "ignored")
    return bool(extra.stop_reason == "ignored")


def _settle_ready_waiters(cell: ActorRef, error: BaseException | None) -> None:
    if not cell._has_extra or not cell._extra.ready_waiters:
        return
    waiters = cell._extra.ready_waiters
    cell._extra.ready_waiters = None
    for waiter in waiters:
        if not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)


# -- stop --------------------------------------------------------------------------------------


def request_stop(system: ActorSystem, cell: ActorRef, req: StopRequest) -> asyncio.Future[None] | None:
    """Asks `cell` to stop; returns a future for the outcome, or None if it already stopped.

    A stop asked for while the actor's own handler is on the call stack waits for that handler
    (the control lane serves it next); ``drain`` waits for the messages already queued.
    """
    if (
        (_remote.hooks is not None and _remote.is_remote(cell))
        or cell._phase == PHASE_STOPPED
        or cell._extra.stopping is not None
    ):
        return begin_stop(system, cell, req)  # remote, stopped, or sharing a stop in progress
    if req.drain and cell._phase == PHASE_ALIVE:
        if cell._close():
            cell._push_marker(("stop", req))
        return req.waiter(system.loop)
    if cell._sched == SCHED_RUNNING:
        cell._push_control(("stop", req))
        return req.waiter(system.loop)
    return begin_stop(system, cell, req)


def stop_self(cell: ActorRef, reason: ExitReason = "normal", error: BaseException | None = None) -> None:
    """``context.stop()``: stop after the current message.

    It is the actor's own exit, so its supervisor applies the restart policy: a permanent
    child is restarted, a transient or temporary one stops for good.
    """
    if not (
        (type(reason) is str and reason in ("normal", "shutdown"))
        or (type(reason) is tuple and len(reason) == 2 and reason[0] == "shutdown")
    ):
        raise ValueError(
            f"{cell.name}: context.stop() takes 'normal', 'shutdown' or ('shutdown', payload), "
            f"got {reason!r}; to end the actor abnormally (so a transient child is restarted), "
            "raise an exception from the handler instead"
        )
    if reason == "normal" and error is None and cell._stop_after_handler():
        return  # queued for after the handler; the core ends the actor if nothing is attached
    system = cell.system
    request_stop(system, cell, StopRequest(reason, system._child_grace(cell), final=False, error=error))


def begin_stop(system: ActorSystem, cell: ActorRef, req: StopRequest) -> asyncio.Future[None] | None:
    """Stops `cell` now (no handler of it is running): synchronously if nothing must be waited
    for, else in a lifecycle Task. Returns a future for the outcome, or None when done."""
    if _remote.hooks is not None and _remote.is_remote(cell):
        return _remote.hooks.request_stop(system, cell, req)
    if cell._phase == PHASE_STOPPED:
        req.resolve()
        return None
    extra = cell._extra
    current: StopRequest | None = extra.stopping
    if current is None and cell._phase == PHASE_STOPPING:
        req.resolve()  # the core is stopping it alone (its on_stop asked again): nothing to add
        return None
    if current is not None:
        if req.future is not None and req.future is not current.future:
            current.waiter(system.loop).add_done_callback(lambda _: req.resolve())
        return current.waiter(system.loop)
    if not req.final and system._child_exiting(cell, req):
        req.resolve()  # its supervisor restarts it instead (a permanent child's normal exit)
        return None
    extra.stopping = req
    cell._begin_stopping()
    timers.cancel_all(cell)
    patterns.end_incarnation(cell, stopping=False)  # stashed messages rejoin the queue to be settled
    # A restart in progress is not cancelled: its remaining steps see the stop and skip.
    if _terminate_now(system, cell, req):
        finalize(system, cell, req)
        return None
    cell._task_began()
    system._start_lifecycle(_stop_async(system, cell, req), lambda: _stop_cancelled(system, cell, req))
    return req.waiter(system.loop)


async def _stop_async(system: ActorSystem, cell: ActorRef, req: StopRequest) -> None:
    await _terminate(system, cell, req)
    finalize(system, cell, req)


def _stop_cancelled(system: ActorSystem, cell: ActorRef, req: StopRequest) -> None:
    """The stop's task was cancelled (by shutdown's deadline, or by code that cancels every
    task), perhaps before it ever ran: the stop still completes, as a kill, so no actor is
    left half-stopped."""
    if cell._phase != PHASE_STOPPED:
        req.killed = True
        _abandon_in_flight(system, cell)
        finalize(system, cell, req)


def _abandon_in_flight(system: ActorSystem, cell: ActorRef) -> None:
    """Cancels the task `cell` has in flight (a handler or hook) and stops waiting for it
    (there is no one left to wait: the stop or restart that would have was cancelled)."""
    task = cell._extra.task if cell._has_extra else None
    if task is not None:
        task.cancel()
        _fence(system, cell, task)


def _nothing_to_end(cell: ActorRef) -> bool:
    """True when ending the incarnation is only bookkeeping: no task in flight, no children,
    no on_stop to run (the common restart, which then needs no StopRequest)."""
    if cell._has_extra:
        extra = cell._extra
        if extra.task is not None or extra.first_child is not None:
            return False
    return not (cell._flags & FLAG_STARTED and cell._table.has_on_stop)


def _terminate_now(system: ActorSystem, cell: ActorRef, req: StopRequest) -> bool:
    """Ends the current incarnation without waiting; False if something must be awaited
    (what was done stays done; `_terminate` finishes the rest)."""
    if req.grace == 0:
        req.killed = True
    task = cell._extra.task
    if task is not None and (not task.done() or task in system._busy):
        return False  # running, or ended with its outcome (a reply, perhaps) not yet booked
    if cell._extra.first_child is not None:
        if _stops_children_together(cell):
            # Every child is asked now; those that cannot stop at once are awaited together.
            if [w for w in _stop_children(system, cell, req) if w is not None]:
                return False
        else:
            for child in reversed(cell._children()):
                if stop_child(system, child, req) is not None:
                    return False
    table = cell._table
    if cell._flags & FLAG_STARTED and table.has_on_stop and not req.killed:
        if table.on_stop_async:
            return False
        cell._end_started()
        cell._run_on_stop()
    else:
        cell._end_started()
    return True


async def _terminate(system: ActorSystem, cell: ActorRef, req: StopRequest) -> None:
    """The waiting version of `_terminate_now`: grace, cancel, abandon; children first;
    then ``on_stop`` with what is left of the grace period."""
    loop = system.loop
    extra = cell._extra
    began = loop.time()
    task = extra.task
    if req.grace == 0:
        req.killed = True  # shutdown=0: kill at once, no on_stop (OTP's brutal_kill)
    if task is not None and not task.done():
        grace_end = None if req.grace is None else began + req.grace
        await _wait_or_kill(system, cell, task, req, grace_end)
    while task is not None and task in system._busy:
        # The handler has ended but its done-callback, which answers its asker, has not run
        # yet: let it run before on_stop takes the cell's task slot.
        await asyncio.sleep(0)
    spent = loop.time() - began
    if _stops_children_together(cell):
        waiters = [w for w in _stop_children(system, cell, req) if w is not None]
        if waiters:
            await asyncio.gather(*waiters)  # each child's grace runs at the same time
    else:
        for child in reversed(cell._children()):
            waiter = stop_child(system, child, req)
            if waiter is not None:
                await waiter
    table = cell._table
    if not (cell._end_started() and table.has_on_stop and not req.killed):
        return
    if not table.on_stop_async:
        cell._run_on_stop()
        return
    try:
        result = _run_in_context(system, cell, cell._actor.on_stop)
    except Exception:
        log.exception("%s.on_stop raised", cell.name)
        return
    hook = _hook_task(system, cell, result)
    grace_end = None if req.grace is None else loop.time() + max(req.grace - spent, 0.0)
    await _wait_or_kill(system, cell, hook, req, grace_end)
    if extra.task is hook:
        extra.task = None
    if hook.done() and not hook.cancelled() and hook.exception() is not None:
        log.error("%s.on_stop raised", cell.name, exc_info=hook.exception())


async def _wait_or_kill(
    system: ActorSystem, cell: ActorRef, task: asyncio.Task[Any], req: StopRequest, grace_end: float | None
) -> None:
    """Waits for `task` until its grace ends; then cancels it, and abandons it if it will not end."""
    if not req.killed and await _wait(task, _until(system, grace_end, req.cap)):
        return
    req.killed = True
    task.cancel()
    kill_end = system.loop.time() + system._kill_timeout
    if not await _wait(task, _until(system, kill_end, req.cap)):
        abandon(system, cell, task)


def _until(system: ActorSystem, end: float | None, cap: float | None) -> float | None:
    if cap is not None and (end is None or cap < end):
        end = cap
    if end is None:
        return None
    return end - system.loop.time()


async def _wait(task: asyncio.Future[Any], timeout: float | None) -> bool:
    if task.done():
        return True
    if timeout is not None and timeout <= 0:
        # No time left, but a task that honours cancellation needs a step or two to unwind.
        for _ in range(3):
            await asyncio.sleep(0)
            if task.done():
                return True
        return False
    done, _ = await asyncio.wait((task,), timeout=timeout)
    return bool(done)


def abandon(system: ActorSystem, cell: ActorRef, task: asyncio.Task[Any]) -> None:
    """Gives up on a task that ignored cancellation: fence it and report it by name."""
    if task in system._abandoned_tasks:
        return  # two waiters (a stop and a restart) gave up on the same task
    extra = cell._extra
    system._abandoned.append(cell.name)
    system._abandoned_tasks.add(task)
    abandoned_tasks.add(task)
    task.add_done_callback(system._abandoned_tasks.discard)
    try:
        task._log_destroy_pending = False  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - non-stdlib Task
        pass
    _fence(system, cell, task)
    system.emit(EV_ABANDONED, cell, {"task": task.get_name()})
    log.error(
        "%s did not finish after cancellation; abandoned it (its handler swallows "
        "CancelledError); a late reply will become a dead letter",
        cell.name,
    )


def _fence(system: ActorSystem, cell: ActorRef, task: asyncio.Task[Any]) -> None:
    """Stops waiting for `task`: its asker learns the actor stopped, and whatever the task
    does later is a late reply (see `fenced_task_done`)."""
    extra = cell._extra
    system._busy.pop(task, None)
    if extra.task is task:
        token, msg = extra.task_token, extra.task_msg
        extra.task = extra.task_token = extra.task_msg = None
        if token is not None:
            _core._settle(cell, token, error=cell.stopped_error(msg))


def _stops_children_together(cell: ActorRef) -> bool:
    """True for an actor whose children stop all at once rather than in reverse start order
    (a dynamic supervisor's: its children are independent, and OTP stops them in parallel)."""
    return bool(getattr(cell._actor, "_airsrt_stop_children_together", False))


def _stop_children(
    system: ActorSystem, cell: ActorRef, req: StopRequest
) -> list[asyncio.Future[None] | None]:
    """Asks every child of `cell` to stop (newest first), without waiting."""
    return [stop_child(system, child, req) for child in reversed(cell._children())]


def stop_child(system: ActorSystem, child: ActorRef, parent_req: StopRequest) -> asyncio.Future[None] | None:
    """Stops a child because its parent stops or restarts (exit reason ``shutdown``)."""
    req = StopRequest(
        "shutdown",
        system._child_grace(child),
        parent_req.cap,
        shutdown=parent_req.shutdown,
    )
    return request_stop(system, child, req)


def finish_stop(system: ActorSystem, cell: ActorRef, final: bool) -> None:
    """The core began a quiet stop and ran ``on_stop``, which attached something to the actor
    (a message, a timer, a watch...): the protocol settles it (see ``_core.stop_quietly``)."""
    finalize(system, cell, StopRequest("normal", system._child_grace(cell), final=final))


def finalize(system: ActorSystem, cell: ActorRef, req: StopRequest) -> None:
    """The actor has stopped: settle every message and waiter, notify, break cycles."""
    extra = cell._extra
    reason = "killed" if req.killed else req.reason
    flags = cell._flags
    shutdown = req.shutdown or system._closing
    cell._mark_stopped(shutdown)
    timers.cancel_all(cell)
    stashed = patterns.end_incarnation(cell, stopping=True)
    extra.stop_reason = reason
    extra.stopping = None
    start_failed_ = bool(flags & FLAG_START_FAILED)
    letter_reason = "start_failed" if start_failed_ else ("shutdown" if shutdown else "stopped")
    requests = [req]
    for msg, token in stashed + cell._take_all():
        if type(token) is _core.Marker:
            if token.item[0] == "stop":
                requests.append(token.item[1])
            continue
        _core._drop(cell, msg, token, letter_reason, _undelivered_error(cell, msg, start_failed_))
    for msg, token, waiter in cell._take_parked():
        if waiter is not None:
            if waiter.done():
                continue
            waiter.set_result(None)
        _core._drop(cell, msg, token, letter_reason, _undelivered_error(cell, msg, start_failed_))
    for item in cell._take_control():
        if item[0] == "stop":
            requests.append(item[1])
    system._child_stopped(cell, reason, req)  # while it is still linked to its parent
    cell._unlink()
    name = cell._registered_name
    if name is not None and system._names.get(name) is cell:
        del system._names[name]
    for target in list(extra.watching or ()):
        if target._has_extra and target._extra.watchers:
            target._extra.watchers.pop(cell, None)
    extra.watching = None
    if extra.watchers:
        notice = Terminated(cell, reason, req.error)
        for watcher in list(extra.watchers):
            if watcher._phase < PHASE_STOPPING:
                watcher._push_control(("terminated", notice))
    extra.watchers = None
    if not flags & FLAG_READY:
        _settle_ready_waiters(
            cell,
            extra.start_error
            or ActorStartError(f"{cell.name} stopped before it started (reason: {reason!r})", actor=cell.name),
        )
    system.n_stopped += 1
    system.emit(EV_STOPPED, cell, {"reason": reason})
    cell._release()
    for request in requests:
        request.resolve()


def _undelivered_error(cell: ActorRef, msg: Any, start_failed_: bool) -> BaseException:
    if start_failed_:
        error = ActorStartError(
            f"{cell.name} failed to start; {type(msg).__name__} was not delivered "
            "(await ref.ready() before sending to learn of it)",
            actor=cell.name,
            message=msg,
        )
        error.__cause__ = cell._extra.start_error
        return error
    return cell.stopped_error(msg)


# -- restart -----------------------------------------------------------------------------------


def suspend(system: ActorSystem, cell: ActorRef) -> bool:
    """Holds an actor between a failure and its supervisor's decision: no user message runs,
    its timers are cancelled, its mailbox is kept. False if it is already stopping."""
    if _remote.hooks is not None and _remote.is_remote(cell):
        return _remote.hooks.suspend(system, cell)
    if not cell._suspend():
        return False
    timers.cancel_all(cell)
    patterns.end_incarnation(cell, stopping=False)
    return True


def restart(system: ActorSystem, cell: ActorRef, cause: BaseException | None = None) -> None:
    """Replaces the actor's instance with a fresh one from its factory, keeping the mailbox.

    The old incarnation ends as in a stop (handler grace, children, ``on_stop``); the message
    that was being handled is not retried; queued messages go to the new incarnation.
    """
    pending = restart_group(system, [cell], cause)
    if pending is not None:
        system._start_lifecycle(pending, lambda: restart_cancelled(system, [cell], cause))


def restart_group(
    system: ActorSystem,
    cells: list[ActorRef],
    cause: BaseException | None,
    first: ActorRef | None = None,
) -> Coroutine[Any, Any, None] | None:
    """Restarts `cells` (given in start order) as one group, the OTP way: every old incarnation
    ends, in reverse start order, then every new one starts, in start order. The incarnation of
    `first` (the child that failed) ends before the others: in OTP it is already gone.

    Returns None when it all happened now, else a coroutine the caller must run to finish it
    (as a lifecycle task, or as its own busy operation if the caller is a supervisor).
    """
    if _remote.hooks is not None and any(_remote.is_remote(cell) for cell in cells):
        # Children in other nodes restart there (their node orders the steps); the local ones
        # go on below as a group of their own.
        for cell in cells:
            if _remote.hooks is not None and _remote.is_remote(cell):
                _remote.hooks.restart(system, cell, cause)
        cells = [cell for cell in cells if not _remote.is_remote(cell)]
        if not cells:
            return None
    if len(cells) == 1:
        # One actor (every one-for-one restart): the same steps, in a straight line.
        cell = cells[0]
        if not suspend(system, cell):
            return None
        if _nothing_to_end(cell):
            cell._end_started()
        else:
            req = StopRequest("restart", system._child_grace(cell), error=cause)
            if not _terminate_now(system, cell, req):
                return _restart_group_async(system, [cell], {cell: req}, cause)
        reincarnate(system, cell, cause)
        return None
    group = [cell for cell in cells if suspend(system, cell)]
    requests = {cell: StopRequest("restart", system._child_grace(cell), error=cause) for cell in group}
    for cell in _ending_order(group, first):
        if not _terminate_now(system, cell, requests[cell]):
            return _restart_group_async(system, group, requests, cause, first)
    if any(cell._table.on_start_async for cell in group[:-1]):
        # A later sibling must not start before an earlier one's async on_start finished.
        return _restart_group_async(system, group, requests, cause)
    for cell in group:
        reincarnate(system, cell, cause)
    return None


def _ending_order(group: list[ActorRef], first: ActorRef | None) -> list[ActorRef]:
    order = group[::-1]
    if first is not None and first in order:
        order.remove(first)
        order.insert(0, first)
    return order


async def _restart_group_async(
    system: ActorSystem,
    group: list[ActorRef],
    requests: dict[ActorRef, StopRequest],
    cause: BaseException | None,
    first: ActorRef | None = None,
) -> None:
    for cell in _ending_order(group, first):
        if not _terminate_now(system, cell, requests[cell]):
            await _terminate(system, cell, requests[cell])
    for cell in group:
        if reincarnate(system, cell, cause) and cell._phase == PHASE_STARTING:
            await current_start(system, cell)


def end_incarnation(
    system: ActorSystem, cell: ActorRef, cause: BaseException | None
) -> Coroutine[Any, Any, None] | None:
    """Ends the current incarnation of a suspended actor (handler grace, children, ``on_stop``)
    without starting the next: a supervisor runs a failed child's cleanup at once, before it
    stops the siblings that restart with it. Returns None when that is done, else a coroutine to
    run (as the supervisor's busy operation). A later `restart_group` finds nothing left to end."""
    if cell._phase != PHASE_RESTARTING or _nothing_to_end(cell):
        cell._end_started()
        return None
    req = StopRequest("restart", system._child_grace(cell), error=cause)
    if _terminate_now(system, cell, req):
        return None
    return _terminate(system, cell, req)


def restart_cancelled(system: ActorSystem, group: list[ActorRef], cause: BaseException | None) -> None:
    """A restart's task was cancelled, perhaps before it ever ran: end the old incarnations
    still in the way without waiting, and start the new ones all the same (what a restart
    promises), so no actor is left suspended."""
    for cell in group:
        if cell._phase == PHASE_RESTARTING:
            _abandon_in_flight(system, cell)
            cell._end_started()
            reincarnate(system, cell, cause)


def reincarnate(system: ActorSystem, cell: ActorRef, cause: BaseException | None) -> bool:
    """Builds the next instance of a suspended actor and starts it; False if that could not
    happen (the actor is being stopped, or its factory raised: a start failure)."""
    if cell._phase != PHASE_RESTARTING:
        return False  # a stop overtook the restart
    try:
        actor, table = cell._build(cell._factory, cell._args)
    except (ActorStartError, TypeError) as error:
        start_failed(system, cell, error)
        return False
    alive = cell._reincarnate(actor, table)
    if system.tally(EV_RESTARTED):
        details = {"incarnation": cell.incarnation, "cause": repr(cause) if cause is not None else None}
        system.events._publish(EV_RESTARTED, cell, details)
    if not alive:
        cell._push_control(("start",))
    else:
        if system.tally(EV_STARTED):
            system.events._publish(EV_STARTED, cell, {"incarnation": cell.incarnation})
        cell._reschedule()
    return True


async def current_start(system: ActorSystem, cell: ActorRef) -> None:
    """Waits until the current incarnation has started or failed to (never raises)."""
    if cell._phase != PHASE_STARTING:
        return
    extra = cell._extra
    if extra.ready_waiters is None:
        extra.ready_waiters = []
    waiter = system.loop.create_future()
    extra.ready_waiters.append(waiter)
    try:
        await waiter
    except ActorStartError:
        pass  # the supervisor hears of it through start_failed


def notify(system: ActorSystem, cell: ActorRef, notice: Any) -> None:
    """Delivers a runtime notice (Terminated, a supervisor's child report) ahead of the user
    messages already queued, past any capacity limit, through the normal handler path. It is
    control traffic: counted apart from the user's ledger."""
    if cell._phase >= PHASE_STOPPING:
        return
    system.n_control_sent += 1
    cell._force_push(notice, _core.NOTICE, front=True)
    cell._reschedule()


def run_busy(system: ActorSystem, cell: ActorRef, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Makes the running actor busy with `coro` (as if its handler were async): it takes no
    other message until `coro` ends, a stop gives it the grace period, and an exception in it
    is a failure of the actor. Call it from the actor's own synchronous handler."""
    task = cell._create_task(coro)
    extra = cell._extra
    extra.task = task
    extra.task_token = extra.task_msg = None
    cell._task_began()
    task.add_done_callback(functools.partial(_busy_done, system, cell))
    return task


def _busy_done(system: ActorSystem, cell: ActorRef, task: asyncio.Task[Any]) -> None:
    extra = cell._extra
    if extra.task is not task:
        return  # abandoned by a stop
    extra.task = None
    if cell._phase != PHASE_ALIVE:
        return  # a stop or restart owns the cell now
    exc = _task_error(task)
    cell._task_ended()
    if exc is not None:
        cell._push_control(("failed", exc, None))
    cell._reschedule()


# -- watch -------------------------------------------------------------------------------------


def watch(watcher: ActorRef, target: ActorRef) -> None:
    """``context.watch``: `watcher` will receive ``Terminated(target, reason)``."""
    if not isinstance(target, _core.ActorRef):
        raise TypeError(f"watch() takes an ActorRef, got {type(target).__name__}")
    if watcher._table.find(Terminated) is None:
        raise UnhandledMessageError(
            f"{watcher.name} watches {target.name} but has no handler for airsrt.Terminated; "
            f"add a @handler method taking Terminated to {watcher._table.class_name}",
            actor=watcher.name,
        )
    if target is watcher:
        raise ValueError(f"{watcher.name} cannot watch itself")
    if _remote.hooks is not None and _remote.is_remote(target):
        _remote.hooks.watch(watcher, target)
        return
    watcher_extra = watcher._extra
    if watcher_extra.watching is None:
        watcher_extra.watching = {}
    watcher_extra.watching[target] = None
    if target._phase == PHASE_STOPPED:
        watcher._push_control(("terminated", Terminated(target, target._stop_reason)))
        return
    target_extra = target._extra
    if target_extra.watchers is None:
        target_extra.watchers = {}
    target_extra.watchers[watcher] = None


def unwatch(watcher: ActorRef, target: ActorRef) -> None:
    """``context.unwatch``: no ``Terminated`` for `target` reaches `watcher` afterwards."""
    if _remote.hooks is not None and _remote.is_remote(target):
        _remote.hooks.unwatch(watcher, target)
    if watcher._has_extra and watcher._extra.watching:
        watcher._extra.watching.pop(target, None)
    if target._has_extra and target._extra.watchers:
        target._extra.watchers.pop(watcher, None)


def _deliver_terminated_now(system: ActorSystem, cell: ActorRef, notice: Terminated) -> None:
    watching = cell._extra.watching
    if watching is None or notice.ref not in watching:
        return  # unwatched meanwhile, or already stopped when watched (see below)
    del watching[notice.ref]
    notify(system, cell, notice)


# -- helpers -----------------------------------------------------------------------------------


def _run_in_context(system: ActorSystem, cell: ActorRef, fn: Any) -> Any:
    """Calls `fn()` in the actor's contextvars context (already entered if it is running)."""
    if system._current_actor() is cell:
        return fn()
    return cell._ctx.run(fn)


def hook_failed(system: ActorSystem, cell: ActorRef, name: str, exc: BaseException) -> None:
    """A synchronous hook (``on_stop``, run by the core's ``run_sync_hook``) raised: logged;
    the stop goes on."""
    log.error("%s.%s raised", cell.name, name, exc_info=exc)


def _hook_task(system: ActorSystem, cell: ActorRef, awaitable: Any) -> asyncio.Task[Any]:
    """Runs an async hook in a Task of its own, in the actor's context, tracked as the cell's
    in-flight task so a stop can give it its grace period."""
    coro = awaitable if inspect.iscoroutine(awaitable) else _await(awaitable)
    task = cell._create_task(coro)
    cell._extra.task = task
    return task


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _task_error(task: asyncio.Task[Any]) -> BaseException | None:
    if task.cancelled():
        return asyncio.CancelledError()
    return task.exception()


def fenced_task_done(system: ActorSystem, cell: ActorRef, task: asyncio.Task[Any]) -> None:
    """A handler Task the actor had moved on from (abandoned) ended: its reply is late."""
    if task.cancelled():
        return
    error = task.exception()
    if error is None:
        system.n_late_replies += 1
        system.dead_letters._record(task.result(), cell, "late_reply")


__all__ = [
    "StopRequest",
    "abandon",
    "begin_stop",
    "current_start",
    "end_incarnation",
    "fenced_task_done",
    "finalize",
    "finish_stop",
    "hook_failed",
    "notify",
    "reincarnate",
    "request_stop",
    "restart",
    "restart_group",
    "run_busy",
    "run_control",
    "start_actor",
    "start_ignored",
    "start_returned",
    "stop_ignored",
    "stop_self",
    "suspend",
    "unwatch",
    "was_ignored",
    "watch",
]

# The guardian decides what a failure means and carries it out through this module's functions;
# imported last because it imports this module (run_control reaches it at call time).
from airsrt import _guardian as guardian  # noqa: E402
