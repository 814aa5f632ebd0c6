# AskFuture: what ref.ask() returns. It speaks asyncio's future protocol (so Tasks, gather,
# wait_for, shield and timeout() treat it as a future) and is, at the same time, the ask's entry
# in the runtime's deadline heap and its token in the target's mailbox. One object per ask
# instead of a loop future plus bookkeeping; an eager ask returns one that is already finished.

cdef enum:
    F_PENDING = 0
    F_FINISHED = 1
    F_CANCELLED = 2


@cython.freelist(256)
cdef class AskFuture:
    """The pending or finished answer to ``ref.ask(msg)``; await it for the handler's return value.

    It behaves like an `asyncio.Future` (``done``, ``result``, ``exception``, ``cancel``,
    ``add_done_callback``...), so it can be passed to ``asyncio.gather``, ``asyncio.wait_for`` or
    ``asyncio.shield``. Cancelling it before the handler starts withdraws the ask: the handler is
    not run.

    Like an asyncio future it belongs to the loop's thread: ``cancel()``,
    ``add_done_callback()`` and ``remove_done_callback()`` raise `airsrt.WrongThreadError`
    elsewhere, while ``done()``, ``cancelled()``, ``result()``, ``exception()`` and
    ``get_loop()`` only read it and work from any thread.
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
        """The handler's return value; raises the ask's error, or ``InvalidStateError`` if pending."""
        return self._get_result()

    def exception(self):
        """The ask's error or None; raises ``CancelledError`` if it was cancelled."""
        if self.fstate == F_FINISHED:
            return self._exception
        if self.fstate == F_CANCELLED:
            raise self._cancelled_error()
        raise _InvalidStateError("Exception is not set.")

    def add_done_callback(self, fn, *, context=None):
        """Calls ``fn(self)`` through the loop once the ask is done (at once if it is); loop
        thread only."""
        if self.rt is None:
            raise _not_an_ask()
        if PyThread_get_thread_ident() != self.rt.thread_id:
            raise ask_wrong_thread(self, "add_done_callback")
        if self.fstate != F_PENDING:
            self.rt.loop.call_soon(fn, self, context=context)
        elif self._cb0 is None:
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

        If the handler has not started, it never will; the ask counts as withdrawn. Loop
        thread only (from another thread, ``system.loop.call_soon_threadsafe(fut.cancel)``).
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

    def __await__(self):
        # A Cython generator: its return value travels through am_send, so awaiting a finished
        # ask builds no StopIteration (about twice asyncio's own done-future cost, a third of
        # raising it from a __next__).
        if self.fstate == F_PENDING:
            self._asyncio_future_blocking = True
            yield self
            if self.fstate == F_PENDING:
                raise RuntimeError("await wasn't used with future")
        return self._get_result()

    __iter__ = __await__

    def __class_getitem__(cls, item):
        return cls

    def __repr__(self):
        state = ("pending", "finished", "cancelled")[self.fstate]
        what = type(self.msg).__name__ if self.msg is not None else "message"
        target = self.target.display_name() if self.target is not None else "?"
        return f"<AskFuture {state} {what} to {target}>"

    # -- settling (compiled callers only) --------------------------------------------------

    cdef object _get_result(self):
        if self.fstate == F_FINISHED:
            if self._exception is not None:
                raise self._exception
            return self._result
        if self.fstate == F_CANCELLED:
            raise self._cancelled_error()
        raise _InvalidStateError("Result is not ready.")

    def _cancelled_error(self):
        if self._cancel_message is None:
            return _CancelledError()
        return _CancelledError(self._cancel_message)

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
