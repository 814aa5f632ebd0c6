# AskFuture: what ref.ask() returns. It is, at the same time, the ask's entry in the runtime's
# deadline heap and its token in the target's mailbox: one object per ask instead of a loop future
# plus bookkeeping, and an eager ask returns one that is already finished.
#
# It is not an asyncio.Future (docs/explanation/architecture.md, "Why AskFuture is not an
# asyncio.Future", has the measurements); it implements the future protocol that asyncio itself
# applies to any object `asyncio.isfuture()` accepts. Read from the stdlib sources of 3.11-3.13 and
# the 3.14 branch, and from the C Task (_asynciomodule.c), that protocol is:
#
# - public, documented: done(), cancelled(), result(), exception(), add_done_callback(fn, *,
#   context=) (Tasks always pass context=), remove_done_callback(fn), cancel(msg=None) (the C Task
#   passes msg positionally, _GatheringFuture.cancel by keyword), get_loop() (futures._get_loop:
#   every Task step, ensure_future, gather, shield, _chain_future), __await__/__iter__, hashing
#   (gather, wait and as_completed put futures in dicts and sets);
# - private hooks asyncio calls on foreign futures:
#   * `_asyncio_future_blocking`: the duck-typing marker (isfuture checks it on the class and
#     that it is not None); __await__ sets it before yielding, Task.__step (Python and C) reads
#     it and resets it to False;
#   * `_cancel_message`: gather(return_exceptions=True) reads it to build the CancelledError it
#     puts in the results for a cancelled child (all of 3.11-3.14);
#   * `_make_cancelled_error()`: gather calls it for a cancelled child without
#     return_exceptions, and on the last child when the gather itself was cancelled (so it must
#     work on a future that finished normally, too). Missing, both hooks raised inside gather's
#     done-callback and left the gather pending forever.
# - not called on foreign futures by asyncio (so not implemented): `_log_traceback`, `_loop`,
#   `_state`, `_callbacks`, `_cancelled_exc`, `set_result`/`set_exception`. 3.14's call-graph
#   bookkeeping (futures.future_add_to_awaited_by, called by Task.__step on what it awaits) skips
#   objects that are not asyncio.Future instances, and capture_call_graph() only accepts those.

from cpython.contextvars cimport PyContext_CopyCurrent
from reprlib import repr as _short_repr


cdef enum:
    F_PENDING = 0
    F_FINISHED = 1
    F_CANCELLED = 2


@cython.freelist(256)
cdef class AskFuture:
    """The pending or finished answer to ``ref.ask(msg)``; await it for the handler's return value.

    It speaks asyncio's future protocol (`done`, `result`, `exception`, `cancel(msg)`,
    `add_done_callback`, `get_loop`...), and `asyncio.isfuture` accepts it, so every asyncio
    function that takes futures or awaitables takes it as it is: `gather`, `shield`, `wait`,
    `wait_for`, `as_completed`, `timeout()`, `TaskGroup` tasks, `ensure_future` and
    `wrap_future` (both return it unchanged). It is not an `asyncio.Future` subclass, so
    `isinstance(fut, asyncio.Future)` is False; use `asyncio.isfuture`.

    Cancelling it before the handler starts withdraws the ask: the handler never runs and the
    ask counts as withdrawn. Cancelled later, the handler's reply becomes a `late_reply` dead
    letter.

    Like an asyncio future it belongs to the loop's thread: `cancel()`,
    `add_done_callback()` and `remove_done_callback()` raise `airsrt.WrongThreadError`
    elsewhere, while `done()`, `cancelled()`, `result()`, `exception()` and `get_loop()` only
    read it and work from any thread.
    """

    def __cinit__(self):
        self.hindex = -1

    def __init__(self, *args, **kwargs):
        raise TypeError("AskFuture objects are created by ActorRef.ask()")

    # -- the asyncio future protocol -------------------------------------------------------

    def done(self):
        """True once the ask has a result, an error, or was cancelled."""
        return self.fstate != F_PENDING

    def cancelled(self):
        """True if the ask was cancelled (withdrawn) by its caller."""
        return self.fstate == F_CANCELLED

    def result(self):
        """The handler's return value.

        Raises:
            The ask's error; ``CancelledError`` (with the cancel message) if it was cancelled;
            ``InvalidStateError`` if it is still pending.
        """
        return self._get_result()

    def exception(self):
        """The ask's error or None.

        Raises:
            CancelledError: It was cancelled.
            InvalidStateError: It is still pending.
        """
        if self.fstate == F_FINISHED:
            return self._exception
        if self.fstate == F_CANCELLED:
            raise self._make_cancelled_error()
        raise _InvalidStateError("Exception is not set.")

    def add_done_callback(self, fn, *, context=None):
        """Schedules `fn(self)` on the loop once the ask is done (at once if it is); loop
        thread only.

        Like asyncio's futures, `fn` runs in `context`, or else in a copy of the context
        current at this call.
        """
        if self.rt is None:
            raise _not_an_ask()
        if PyThread_get_thread_ident() != self.rt.thread_id:
            raise ask_wrong_thread(self, "add_done_callback")
        if self.fstate != F_PENDING:
            self.rt.loop.call_soon(fn, self, context=context)
            return
        if context is None:
            # The future settles inside some other actor's turn or the dispatcher: without a
            # copy taken now, the callback would run in whatever context that is.
            context = PyContext_CopyCurrent()
        if self._cb0 is None:
            self._cb0 = fn
            self._ctx0 = context
        else:
            if self._callbacks is None:
                self._callbacks = []
            self._callbacks.append((fn, context))

    def remove_done_callback(self, fn):
        """Removes every registration of ``fn``; returns how many there were (loop thread)."""
        cdef int removed = 0
        if self.rt is not None and PyThread_get_thread_ident() != self.rt.thread_id:
            raise ask_wrong_thread(self, "remove_done_callback")
        if self._cb0 is not None and self._cb0 == fn:
            self._cb0 = None
            self._ctx0 = None
            removed += 1
        if self._callbacks:
            kept = [pair for pair in self._callbacks if pair[0] != fn]
            removed += len(self._callbacks) - len(kept)
            self._callbacks = kept or None
        return removed

    def cancel(self, msg=None):
        """Withdraws the ask. Returns False if it was already done.

        If the handler has not started, it never will; the ask counts as withdrawn. `msg`
        becomes the argument of the `CancelledError` that awaiting the ask raises. Loop thread
        only (from another thread, `system.loop.call_soon_threadsafe(fut.cancel)`).
        """
        if self.rt is None:
            raise _not_an_ask()
        if PyThread_get_thread_ident() != self.rt.thread_id:
            raise ask_wrong_thread(self, "cancel")
        if self.fstate != F_PENDING:
            return False
        self.fstate = F_CANCELLED
        self._cancel_message = msg
        if not self.booked:
            self.booked = True
            self.rt.n_withdrawn += 1
        if self.hindex >= 0:
            self.rt.heap_remove(self)
        self._schedule_callbacks()
        return True

    def get_loop(self):
        """The event loop the ask belongs to."""
        if self.rt is None:
            raise _not_an_ask()
        return self.rt.loop

    def set_result(self, result):
        """Refused, as asyncio's Task refuses it: the actor's handler answers the ask.

        Raises:
            RuntimeError: Always.
        """
        raise self._not_settable("set_result")

    def set_exception(self, exception):
        """Refused, as asyncio's Task refuses it: the actor's handler answers the ask.

        Raises:
            RuntimeError: Always.
        """
        raise self._not_settable("set_exception")

    def __await__(self):
        # A Cython generator: its return value travels through am_send, so awaiting a finished
        # ask builds no StopIteration (about twice asyncio's own done-future cost, a third of
        # raising it from a __next__).
        if self.fstate == F_PENDING:
            if self._step_behind_dispatcher():
                # A bare yield: the Task's next step is queued behind the dispatcher, which
                # is already due in this loop iteration and will usually answer the ask first;
                # then the ask costs one turn of the loop instead of two (no wake-up callback,
                # no second select). A cancel of the Task meanwhile is seen by the dispatcher
                # before it runs the handler (withdrawn_by_waiter), as cancel() would be.
                try:
                    yield None
                except BaseException as exc:
                    self._left_behind(exc)
                    raise
                self.waiter = None
        if self.fstate == F_PENDING:
            self._asyncio_future_blocking = True
            try:
                yield self
            except BaseException as exc:
                self._left_behind(exc)
                raise
            if self.fstate == F_PENDING:
                raise RuntimeError("await wasn't used with future")
        return self._get_result()

    __iter__ = __await__

    def __class_getitem__(cls, item):
        return cls

    def __repr__(self):
        state = ("pending", "finished", "cancelled")[self.fstate]
        target = self.target.display_name() if self.target is not None else "?"
        if self.fstate == F_FINISHED:
            # What asyncio's futures show; the message itself is released once answered.
            if self._exception is not None:
                what = f"exception={self._exception!r}"
            else:
                what = f"result={_short_repr(self._result)}"
        else:
            what = type(self.msg).__name__ if self.msg is not None else "message"
        return f"<AskFuture {state} {what} to {target}>"

    # -- private hooks that asyncio calls on any future (see the top of this file) -----------

    def _make_cancelled_error(self):
        """The ``CancelledError`` a cancelled ask raises, carrying the cancel message."""
        if self._cancel_message is None:
            return _CancelledError()
        return _CancelledError(self._cancel_message)

    cdef object _not_settable(self, str what):
        target = self.target.display_name() if self.target is not None else "its actor"
        return RuntimeError(
            f"AskFuture does not support {what}(): the answer comes from {target}'s handler "
            "(cancel() withdraws the ask; to answer for an actor, use a TestProbe or an asyncio.Future)"
        )

    # -- awaiting behind the dispatcher ----------------------------------------------------

    cdef bint _step_behind_dispatcher(self) except -1:
        """True, with the awaiting Task kept as this ask's waiter, if the Task's next step can
        wait for the dispatcher's turn instead of a wake-up: the target is on the run queue and
        the dispatcher is due (or running) on this loop. False otherwise (the ask then blocks
        the Task on itself, as any future does)."""
        cdef Runtime rt = self.rt
        cdef ActorRef target = self.target
        if rt is None or target is None or not rt.armed or target.sched != S_SCHEDULED:
            return False
        if PyThread_get_thread_ident() != rt.thread_id:
            return False
        task = _current_task(rt.loop)
        if task is None:
            return False    # driven by something other than an asyncio Task
        try:
            self.waiter_cancels = task.cancelling()
        except AttributeError:
            return False    # a task factory's own Task-like without cancel accounting
        self.waiter = task
        return True

    cdef int _left_behind(self, BaseException exc) except -1:
        """The awaiting Task stopped waiting (cancelled, or its coroutine closed): a pending ask
        is withdrawn, and an answer its handler already gave -- in the turn before the Task
        stepped again -- goes where a reply after a cancel always goes, to the dead letters as
        a ``late_reply``."""
        self.waiter = None
        if self.rt is None or PyThread_get_thread_ident() != self.rt.thread_id:
            return 0    # a coroutine closed by the garbage collector elsewhere: the deadline ends it
        if self.fstate == F_PENDING:
            self.cancel(exc.args[0] if isinstance(exc, _CancelledError) and exc.args else None)
        elif self.fstate == F_FINISHED and self.started and exc is not self._exception:
            # (A Task wakes on a failed future by throwing the future's own error in: that is
            # the answer being delivered, not the Task leaving.)
            _late_reply(self.rt, self.target, self._exception if self._exception is not None else self._result)
        return 0

    # -- settling (compiled callers only) --------------------------------------------------

    cdef object _get_result(self):
        cdef object exc
        if self.fstate == F_FINISHED:
            exc = self._exception
            if exc is not None:
                # As asyncio's futures do, raise with the traceback the error had when it was
                # first raised from here, so awaiting a failed ask twice does not grow it.
                if not self._tb_kept:
                    self._tb_kept = True
                    self._exception_tb = exc.__traceback__
                raise exc.with_traceback(self._exception_tb)
            return self._result
        if self.fstate == F_CANCELLED:
            raise self._make_cancelled_error()
        raise _InvalidStateError("Result is not ready.")

    cdef bint _settle(self, object result, object exception) except -1:
        """Finishes a pending ask; returns False (and changes nothing) if it was already done.

        Ledger booking is the caller's: it knows whether the handler ran.
        """
        if self.fstate != F_PENDING:
            return False
        self.fstate = F_FINISHED
        if exception is not None:
            self._exception = exception
        else:
            self._result = result
        if self.hindex >= 0:
            self.rt.heap_remove(self)
        self._schedule_callbacks()
        # The message has reached its outcome; do not keep it alive through the caller's future.
        self.msg = None
        return True

    cdef int _schedule_callbacks(self) except -1:
        cdef object call_soon
        if self._cb0 is None and not self._callbacks:
            return 0
        call_soon = self.rt.call_soon_fn
        if self._cb0 is not None:
            fn = self._cb0
            ctx = self._ctx0
            self._cb0 = None
            self._ctx0 = None
            call_with_context(call_soon, fn, self, ctx)
        if self._callbacks:
            pending = self._callbacks
            self._callbacks = None
            for fn, ctx in pending:
                call_with_context(call_soon, fn, self, ctx)
        return 0


cdef object ask_wrong_thread(AskFuture fut, str what):
    return wrong_thread(
        f"AskFuture.{what}", fut.rt, fut.target, fut.msg,
        "use the ask's future on the loop's thread (other threads use ref.ask_blocking)",
    )


cdef object _not_an_ask():
    return TypeError("this AskFuture was not created by ActorRef.ask() and cannot be used")


def _fail_stopped(AskFuture fut not None):
    """Fails a pending ask because its target stopped (shutdown's last sweep)."""
    if fut.fstate != F_PENDING:
        return False
    if not fut.booked:
        fut.booked = True
        fut.rt.n_returned += 1
    error = fut.target.stopped_error(fut.msg) if fut.target is not None else ActorStoppedError(
        "the actor system shut down before this ask was answered")
    return fut._settle(None, error)


cdef bint withdrawn_by_waiter(AskFuture fut) except -1:
    """True (and the ask withdrawn) if the Task awaiting `fut` behind the dispatcher was asked
    to cancel since it yielded: the dispatcher checks this before running the handler, so a
    cancel that would have withdrawn a blocked ask still withdraws it."""
    task = fut.waiter
    if task.cancelling() <= fut.waiter_cancels:
        return False
    fut.waiter = None
    fut.cancel()
    return True


cdef AskFuture new_ask(Runtime rt, ActorRef target, object msg):
    cdef AskFuture fut = AskFuture.__new__(AskFuture)
    fut.rt = rt
    fut.target = target
    fut.msg = msg
    return fut


@cython.final
cdef class TimerToken:
    """Rides in the mailbox with a timer's message: a cancelled timer's queued tick is dropped."""


@cython.final
cdef class Marker:
    """A control step that must wait its turn in the user mailbox (``stop(drain=True)``)."""

    def __init__(self, item):
        self.item = item
