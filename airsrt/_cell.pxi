# ActorRef is the actor's cell: one compiled object per actor holding its mailbox ring, its
# scheduling state, counters, and the links of the supervision tree. The same object is the ref
# users hold, so refs compare equal across restarts (a restart swaps the instance inside) and an
# idle actor costs this object plus the user's instance. It is kept out of the cyclic GC: the
# cycles it takes part in (actor <-> cell, cell -> queued messages) are broken explicitly when the
# actor stops (airsrt/_lifecycle.py), and a live cell is owned by its system's tree.

# Scheduling state: where the cell is with respect to the dispatcher.
cdef enum:
    S_IDLE = 0          # nothing to do, or waiting for a lifecycle step
    S_SCHEDULED = 1     # on the run queue
    S_RUNNING = 2       # a dispatcher visit (or an eager ask) is executing its code
    S_BUSY = 3          # an async handler or hook Task is in flight: no other message runs

# Lifecycle phase.
cdef enum:
    P_STARTING = 0
    P_ALIVE = 1
    P_RESTARTING = 2
    P_STOPPING = 3
    P_STOPPED = 4

cdef enum:
    CF_ON_STACK = 1     # a synchronous handler of this actor is on the current call stack
    CF_CLOSING = 2      # stop(drain=True) in progress: new user messages are refused
    CF_START_FAILED = 4
    CF_SHUTDOWN = 8     # stopped by system shutdown: late messages are dead-lettered as such
    CF_STARTED = 16     # on_start of the current incarnation succeeded and on_stop has not run
    CF_READY = 32       # the actor has started at least once (ready() returns at once)
    CF_IDLE_HOOK = 64   # call the runtime's _on_idle when the actor runs out of work

# Backpressure codes (airsrt.Backpressure uses the same values).
cdef enum:
    BP_BLOCK = 0
    BP_DROP_NEWEST = 1
    BP_DROP_OLDEST = 2
    BP_FAIL = 3

cdef enum:
    PUSH_OK = 0
    PUSH_FULL = 1       # FAIL or BLOCK: refused
    PUSH_DROPPED = 2    # DROP_NEWEST: the incoming message is dropped
    PUSH_EVICTED = 3    # DROP_OLDEST: queued; the oldest message was evicted into *evicted

_BACKPRESSURE_NAMES = ("BLOCK", "DROP_NEWEST", "DROP_OLDEST", "FAIL")
_PHASE_NAMES = ("STARTING", "ALIVE", "RESTARTING", "STOPPING", "STOPPED")
_SCHED_NAMES = ("IDLE", "SCHEDULED", "RUNNING", "BUSY")

PHASE_STARTING = P_STARTING
PHASE_ALIVE = P_ALIVE
PHASE_RESTARTING = P_RESTARTING
PHASE_STOPPING = P_STOPPING
PHASE_STOPPED = P_STOPPED
SCHED_IDLE = S_IDLE
SCHED_SCHEDULED = S_SCHEDULED
SCHED_RUNNING = S_RUNNING
SCHED_BUSY = S_BUSY
FLAG_CLOSING = CF_CLOSING
FLAG_START_FAILED = CF_START_FAILED
FLAG_SHUTDOWN = CF_SHUTDOWN
FLAG_STARTED = CF_STARTED
FLAG_READY = CF_READY
FLAG_IDLE_HOOK = CF_IDLE_HOOK

# The cell whose actor is being constructed: lets `self.context` work inside __init__, whatever
# the factory is (the class itself or any callable returning an instance).
cdef ActorRef _spawning = None

# Python-side halves of ActorRef's awaitable methods (airsrt/_ref.py) and of SupervisorRef's
# (airsrt/_supervisor.py), installed at import.
cdef object _ref_ops = None
cdef object _supervisor_ops = None

# The Actor and Context classes (airsrt/_actor.py), installed at import. Actor is a plain Python
# class (so its instances get CPython's inline attribute values, which a compiled base class
# would prevent); its two __slots__ -- the cell and the Context -- are read and written here
# through their offsets, taken from the slots' member descriptors.
cdef object _actor_class = None
cdef object _context_class = None
cdef Py_ssize_t _cell_slot = 0
cdef Py_ssize_t _context_slot = 0

cdef extern from "Python.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member

# HandlerTable for each Actor class, filled by airsrt/_actor.py when the class is created (or
# lazily, via _table_builder, when its annotations could not be resolved then).
cdef dict _tables = {}
cdef object _table_builder = None


def _install(ref_ops, supervisor_ops, actor_class, context_class, table_builder):
    """Connects the compiled core to its Python halves (called once by ``airsrt/__init__``)."""
    global _ref_ops, _supervisor_ops, _actor_class, _context_class, _table_builder
    global _cell_slot, _context_slot
    _ref_ops = ref_ops
    _supervisor_ops = supervisor_ops
    _actor_class = actor_class
    _context_class = context_class
    _table_builder = table_builder
    _cell_slot = slot_offset(actor_class, "_airsrt_cell")
    _context_slot = slot_offset(actor_class, "_airsrt_context")


cdef Py_ssize_t slot_offset(type cls, str name) except -1:
    descr = cls.__dict__[name]
    if type(descr).__name__ != "member_descriptor":
        raise TypeError(f"{cls.__name__}.{name} must be a __slots__ entry")
    return (<PyMemberDescrObject*>descr).d_member.offset


cdef extern from "Python.h":
    int PyObject_GC_IsTracked(object)
    void PyObject_GC_Track(object)
    void PyObject_GC_UnTrack(object)


cdef inline void gc_own(object obj) noexcept:
    """A live cell owns `obj` (its actor instance, its contextvars Context): nothing can make it
    garbage while the actor runs, so the cyclic GC need not traverse it -- a million actors are
    then not walked by every full collection. The GC stays correct (references from an
    untracked object count as external), and gc_release hands the object back at the end."""
    if PyObject_GC_IsTracked(obj):
        PyObject_GC_UnTrack(obj)


cdef inline void gc_release(object obj) noexcept:
    """The cell lets go of `obj`: the GC tracks it again, so any cycle it is part of is found."""
    if obj is not None and not PyObject_GC_IsTracked(obj):
        PyObject_GC_Track(obj)


cdef object new_context(Runtime rt):
    """The contextvars Context an actor's handlers run in: a copy of the system's."""
    ctx = PyContext_Copy(rt.sys_ctx)
    gc_own(ctx)
    return ctx


cdef inline PyObject* slot_get(object obj, Py_ssize_t offset) noexcept:
    return (<PyObject**>((<char*><PyObject*>obj) + offset))[0]


cdef inline void slot_set(object obj, Py_ssize_t offset, object value) noexcept:
    cdef PyObject** where = <PyObject**>((<char*><PyObject*>obj) + offset)
    cdef PyObject* old = where[0]
    _incref(<PyObject*>value)
    where[0] = <PyObject*>value
    _xdecref(old)   # the old value is an ActorRef or a Context: no user code runs


def _register_table(type cls not None, HandlerTable table not None):
    _tables[cls] = table


cdef HandlerTable table_for(type cls):
    cdef PyObject* hit = PyDict_GetItem(_tables, cls)
    if hit != NULL:
        return <HandlerTable>hit
    return <HandlerTable>_table_builder(cls)


def _context_of(actor):
    """``Actor.context``: the actor's Context, made on first use (from ``__init__`` on)."""
    cdef PyObject* found
    if not isinstance(actor, _actor_class):
        raise TypeError(f"context belongs to airsrt.Actor instances, not {type(actor).__name__}")
    found = slot_get(actor, _context_slot)
    if found != NULL:
        return <object>found
    found = slot_get(actor, _cell_slot)
    if found == NULL:
        if _spawning is None:
            raise RuntimeError(
                f"{type(actor).__name__} was not created by ActorSystem.spawn(); "
                "self.context exists only for actors the system started "
                "(spawn the class instead of instantiating it)"
            )
        slot_set(actor, _cell_slot, _spawning)
        found = <PyObject*>_spawning
    context = _context_class(<object>found)
    slot_set(actor, _context_slot, context)
    return context


@cython.final
cdef class CellExtra:
    """The rarely used part of a cell, allocated on first need (control lane, children, ...)."""

    def __cinit__(self):
        self.control = None
        self.putters = None


cdef object construct_actor(ActorRef cell, object factory, tuple args):
    """Builds the actor instance through `factory` with `cell` visible to ``self.context``."""
    global _spawning
    cdef ActorRef previous = _spawning
    cdef PyObject* owner
    _spawning = cell
    try:
        actor = factory(*args)
    except Exception as exc:
        what = getattr(factory, "__qualname__", None) or repr(factory)
        raise ActorStartError(
            f"{what}(...) raised {type(exc).__name__} while building actor "
            f"{cell.display_name_for(factory)}: {exc}",
            actor=cell.display_name_for(factory),
        ) from exc
    finally:
        _spawning = previous
    if not isinstance(actor, _actor_class):
        raise TypeError(
            f"spawn() factory {factory!r} returned {type(actor).__name__}, not an airsrt.Actor; "
            "pass an Actor subclass or a callable that returns an instance of one"
        )
    owner = slot_get(actor, _cell_slot)
    if owner == NULL:
        slot_set(actor, _cell_slot, cell)
    elif owner != <PyObject*>cell:
        raise TypeError(
            f"spawn() factory {factory!r} returned an actor that already belongs to "
            f"{(<ActorRef>owner).display_name()}; a factory must build a new instance each call"
        )
    return actor


@cython.no_gc
cdef class ActorRef:
    """A handle to an actor: ``tell``, ``send`` and ``ask`` deliver messages to it.

    Refs are created by `ActorSystem.spawn` (never directly), are hashable, and stay equal
    across the restarts of a supervised actor: a restart replaces the actor instance behind the
    ref and keeps its mailbox.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError("ActorRef objects are created by ActorSystem.spawn(), not directly")

    def __dealloc__(self):
        # Only reached for a cell that was never stopped (its system was dropped without a
        # shutdown): release what the ring still owns, like any container would.
        cdef Slot s
        while mb_count(self):
            mb_pop(self, &s)
            _decref(s.msg)
            _xdecref(s.token)
        mb_free(self)

    # -- sending ---------------------------------------------------------------------------

    def tell(self, msg, ttl=None, priority=None):
        """Delivers `msg` without waiting; callable from any thread.

        Args:
            msg: The message; its class selects the handler.
            ttl: Seconds it may wait in the mailbox; after that it is dead-lettered (reason
                ``expired``) instead of handled.
            priority: An `airsrt.Priority`, for actors with a ``Mailbox.priority()``.

        Raises:
            UnhandledMessageError: The actor has no handler for ``type(msg)``.
            MailboxFullError: The mailbox is bounded (``FAIL`` or ``BLOCK``) and full.
            SystemNotRunningError: The actor system has shut down.

        A tell to a stopped actor is not an error: the message becomes a dead letter.
        """
        cdef Runtime rt = self.rt
        cdef Slot evicted
        cdef int status
        cdef int level = 0
        cdef double deadline = 0.0
        if rt is None:
            raise _not_a_ref()
        if ttl is not None or priority is not None:
            level = self.check_level(priority)
            if ttl is not None:
                deadline = ttl_deadline(rt, ttl)
        if PyThread_get_thread_ident() != rt.thread_id:
            return self.tell_foreign(msg, deadline, level)
        rt.n_sent += 1
        if self.phase >= P_STOPPING or self.flags & CF_CLOSING:
            return self.undeliverable(msg, None)
        if self.table.lookup(type(msg)) is None:
            rt.n_rejected += 1
            raise self.unhandled_error(msg)
        status = self.offer(msg, None, deadline, level, &evicted)
        if status != PUSH_OK:
            self.overflow(status, msg, None, &evicted)
            if status != PUSH_EVICTED:
                return None
        if self.sched == S_IDLE:
            rt.schedule(self)
        return None

    def ask(self, msg, timeout=_DEFAULT, ttl=None, priority=None):
        """Sends `msg` and returns an awaitable for the handler's return value.

        The message is sent at call time, whether or not the result is awaited.

        Args:
            msg: The request; its class selects the handler.
            timeout: Seconds to wait for the answer, ``None`` to wait forever; defaults to the
                system's ``ask_timeout``. Enforced on the caller's side.
            ttl: Seconds the request may wait in the mailbox before it expires (the ask then
                fails with ``AskTimeoutError``; the handler never runs).
            priority: An `airsrt.Priority`, for actors with a ``Mailbox.priority()``.

        Returns:
            An `AskFuture`; awaiting it gives the handler's result.

        Raises (when awaited unless noted):
            The handler's own exception, unchanged (``AirsrtError``, ``CancelledError``,
            ``StopIteration``, ``KeyboardInterrupt`` and ``SystemExit`` arrive wrapped in
            ``HandlerError``); ``AskTimeoutError``; ``ActorStoppedError``; ``MailboxFullError``.
            At the call site: ``UnhandledMessageError``, ``DeadlockError``,
            ``SystemNotRunningError``, and ``ValueError``/``TypeError`` for a bad timeout.
        """
        cdef Runtime rt = self.rt
        cdef HandlerEntry entry
        cdef AskFuture fut
        cdef Slot evicted
        cdef int status
        cdef int level = 0
        cdef double deadline = 0.0
        cdef double seconds = -1.0
        if rt is None:
            raise _not_a_ref()
        if PyThread_get_thread_ident() != rt.thread_id:
            raise wrong_thread("ask", rt, self, msg, "use ref.ask_blocking(msg) from other threads")
        if timeout is _DEFAULT:
            timeout = rt._default_timeout
            if timeout is not None:
                seconds = timeout
        elif timeout is not None:
            seconds = check_timeout(timeout, "ask", self, msg)
        if ttl is not None or priority is not None:
            level = self.check_level(priority)
            if ttl is not None:
                deadline = ttl_deadline(rt, ttl)
        rt.n_sent += 1
        if self.phase >= P_STOPPING or self.flags & CF_CLOSING:
            fut = new_ask(rt, self, msg)
            self.undeliverable(msg, fut)
            return fut
        entry = self.table.lookup(type(msg))
        if entry is None:
            rt.n_rejected += 1
            raise self.unhandled_error(msg)
        if self.flags & CF_ON_STACK:
            rt.n_rejected += 1
            raise self.deadlock_error(msg)
        if rt._busy and rt.current is None and rt._busy.get(_current_task(rt.loop)) is self:
            rt.n_rejected += 1
            raise self.deadlock_error(msg)
        if (self.sched == S_IDLE and self.phase == P_ALIVE and mb_count(self) == 0
                and self.n_control == 0 and self.n_putters == 0 and not entry.is_async
                and rt.eager_asks and rt.budget > 0 and rt.eager_depth < rt.eager_depth_limit
                and monotonic_ns() < rt.budget_deadline_ns):
            return self.ask_eager(entry, msg, seconds)
        fut = new_ask(rt, self, msg)
        if seconds >= 0.0:
            fut.timeout = seconds
            fut.deadline = rt.now() + seconds
            rt.heap_push(fut)
        status = self.offer(msg, fut, deadline, level, &evicted)
        if status != PUSH_OK:
            if status == PUSH_FULL and self.bp == BP_BLOCK:
                rt._on_putter(self, msg, fut)
                return fut
            self.overflow(status, msg, fut, &evicted)
            if status != PUSH_EVICTED:
                return fut
        if self.sched == S_IDLE:
            rt.schedule(self)
        return fut

    def send(self, msg, timeout=None):
        """Like `tell`, but on a full ``BLOCK`` mailbox waits for room (a coroutine).

        Raises:
            MailboxFullError: `timeout` seconds passed before there was room.
        """
        return _ref_ops.send(self, msg, timeout)

    def ask_blocking(self, msg, timeout=_DEFAULT):
        """Asks from a thread other than the loop's and blocks for the answer.

        Raises:
            DeadlockError: Called on the event loop's own thread (it would block the loop).
        """
        return _ref_ops.ask_blocking(self, msg, timeout)

    def _send_nowait(self, msg):
        """tell() for ``send``: on a full BLOCK mailbox, parks the message and returns a future
        that resolves once it is queued (None when it was queued at once)."""
        cdef Runtime rt = self.rt
        cdef Slot evicted
        cdef int status
        if rt is None:
            raise _not_a_ref()
        if PyThread_get_thread_ident() != rt.thread_id:
            raise wrong_thread("send", rt, self, msg, "use ref.tell(msg) from other threads")
        rt.n_sent += 1
        if self.phase >= P_STOPPING or self.flags & CF_CLOSING:
            return self.undeliverable(msg, None)
        if self.table.lookup(type(msg)) is None:
            rt.n_rejected += 1
            raise self.unhandled_error(msg)
        status = self.offer(msg, None, 0.0, self.check_level(None), &evicted)
        if status == PUSH_FULL and self.bp == BP_BLOCK:
            return rt._on_putter(self, msg, None)
        if status != PUSH_OK:
            self.overflow(status, msg, None, &evicted)
            if status != PUSH_EVICTED:
                return None
        if self.sched == S_IDLE:
            rt.schedule(self)
        return None

    def _deliver(self, msg, token=None):
        """Queues a message sent by the runtime itself (a timer tick, a notice): a message that
        does not fit becomes a dead letter instead of an exception."""
        cdef Runtime rt = self.rt
        cdef Slot evicted
        cdef int status
        if rt is None:
            raise _not_a_ref()
        rt.n_sent += 1
        if self.phase >= P_STOPPING or self.flags & CF_CLOSING:
            return self.undeliverable(msg, token)
        if self.table.lookup(type(msg)) is None:
            return drop_message(self, msg, token, "unhandled", self.unhandled_error(msg))
        status = self.offer(msg, token, 0.0, self.check_level(None), &evicted)
        if status == PUSH_FULL:
            status = PUSH_DROPPED
        if status != PUSH_OK:
            self.overflow(status, msg, token, &evicted)
            if status != PUSH_EVICTED:
                return None
        if self.sched == S_IDLE:
            rt.schedule(self)
        return None

    def stop(self, drain=False, timeout=5.0):
        """Stops the actor (a coroutine): after the current message, or after the queued ones.

        Args:
            drain: ``False`` stops after the current message and dead-letters the rest;
                ``True`` refuses new messages and stops once the queued ones are handled.
            timeout: Seconds the current handler gets to finish before it is cancelled.

        A supervised child stopped this way is not restarted (like ``terminate_child``).
        """
        return _ref_ops.stop(self, drain, timeout)

    def ready(self):
        """Waits until ``on_start`` has finished (a coroutine).

        Raises:
            ActorStartError: ``on_start`` failed.
        """
        return _ref_ops.ready(self)

    # -- looking ---------------------------------------------------------------------------

    @property
    def is_alive(self):
        """True until the actor has stopped for good (a restart does not count)."""
        return self.phase != P_STOPPED

    @property
    def name(self):
        """The name given at spawn, or a generated display name such as ``"Worker#12"``."""
        return self.display_name()

    @property
    def incarnation(self):
        """1 for the first instance, incremented by each restart."""
        return self.incarnation_

    @property
    def system(self):
        """The ActorSystem this actor runs in."""
        return self.rt

    def mailbox_size(self):
        """Messages waiting for this actor: those in its mailbox, plus those of senders parked
        on a full BLOCK mailbox (``stats()`` counts the two apart); not the one being handled."""
        return mb_count(self) + self.n_putters

    def stats(self):
        """Counters for this actor: processed, failed, restarts, mailbox sizes, state, and
        handler latency percentiles while the system traces messages."""
        if self.extra is not None and self.extra.latency is not None:
            return dict(self.basic_stats(), latency=self.extra.latency.summary())
        return self.basic_stats()

    def basic_stats(self):
        return {
            "processed": self.processed,
            "failed": self.failed,
            "restarts": self.restarts,
            "mailbox_size": mb_count(self) + self.n_putters,
            "queued": mb_count(self),
            "waiting_senders": self.n_putters,
            "max_mailbox_size": self.max_mailbox,
            "incarnation": self.incarnation_,
            "state": self.state_name(),
        }

    def __repr__(self):
        return f"<ActorRef {self.display_name()} {self.state_name()}>"

    # -- compiled internals ----------------------------------------------------------------

    cdef str display_name(self):
        if self.extra is not None and self.extra.name is not None:
            return <str>self.extra.name
        if self.table is None:
            return f"actor#{self.uid}"
        return f"{self.table.class_name}#{self.uid}"

    def display_name_for(self, factory):
        if self.extra is not None and self.extra.name is not None:
            return self.extra.name
        cls_name = getattr(factory, "__name__", None) or type(factory).__name__
        return f"{cls_name}#{self.uid}"

    def state_name(self):
        if self.phase == P_ALIVE:
            return _SCHED_NAMES[self.sched]
        return _PHASE_NAMES[self.phase]

    cdef CellExtra get_extra(self):
        if self.extra is None:
            self.extra = CellExtra.__new__(CellExtra)
        return self.extra

    cdef bint has_work(self):
        return self.n_control > 0 or (self.phase == P_ALIVE and mb_count(self) > 0)

    cdef int check_level(self, object priority) except -2:
        """The mailbox level for `priority` (None: NORMAL); 0 for an ordinary mailbox."""
        cdef long level
        if self.levels == NULL:
            if priority is None:
                return 0
            raise ConfigurationError(
                f"{self.display_name()} has no priority mailbox, so priority={priority!r} cannot "
                "be honoured; spawn it with mailbox=airsrt.Mailbox.priority()",
                actor=self.display_name(),
            )
        if priority is None:
            return 1 if self.nlevels > 1 else 0
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise TypeError(f"priority must be an airsrt.Priority, got {priority!r}")
        level = priority
        if not 0 <= level < self.nlevels:
            raise ValueError(
                f"priority {priority!r} is outside {self.display_name()}'s {self.nlevels} levels"
            )
        return <int>level

    cdef int offer(self, object msg, object token, double deadline, int level, Slot* evicted) except -1:
        """Queues one message under the mailbox's backpressure rule; returns a PUSH_* status."""
        cdef PyObject* tok = <PyObject*>token if token is not None else NULL
        cdef unsigned int count = mb_count(self)
        if self.capacity < 0 or (count < <unsigned int>self.capacity and self.n_putters == 0):
            if mb_push(self, <PyObject*>msg, tok, deadline, level) < 0:
                raise MemoryError()
            if count + 1 > self.max_mailbox:
                self.max_mailbox = count + 1
                if count + 1 >= 10000 and is_watermark(count + 1):
                    # Reported from the loop, later: this may be a foreign thread's tell.
                    self.rt.loop.call_soon_threadsafe(
                        self.rt._on_high_watermark, self, count + 1, context=self.rt.sys_ctx)
            return PUSH_OK
        if self.bp == BP_DROP_NEWEST:
            return PUSH_DROPPED
        if self.bp == BP_DROP_OLDEST and count > 0:
            mb_pop_oldest(self, evicted)
            if mb_push(self, <PyObject*>msg, tok, deadline, level) < 0:
                raise MemoryError()
            return PUSH_EVICTED
        return PUSH_FULL

    cdef object overflow(self, int status, object msg, object token, Slot* evicted):
        """Applies the outcome of a refused, dropped or evicting push (loop thread)."""
        cdef Runtime rt = self.rt
        cdef object old_msg, old_token
        if status == PUSH_EVICTED:
            old_msg = <object>evicted.msg
            _decref(evicted.msg)
            old_token = None
            if evicted.token != NULL:
                old_token = <object>evicted.token
                _xdecref(evicted.token)
            rt.emit(EV_MAILBOX_OVERFLOW, self, {"policy": "DROP_OLDEST", "message_type": type(old_msg).__name__})
            return drop_message(self, old_msg, old_token, "mailbox_full",
                                self.mailbox_full_error(old_msg, True))
        rt.emit(EV_MAILBOX_OVERFLOW, self,
                {"policy": _BACKPRESSURE_NAMES[self.bp], "message_type": type(msg).__name__})
        if token is None and status == PUSH_FULL:
            rt.n_rejected += 1
            raise self.mailbox_full_error(msg, False)
        return drop_message(self, msg, token, "mailbox_full", self.mailbox_full_error(msg, False))

    cdef object undeliverable(self, object msg, object token):
        """A message for a stopped (or stopping) actor: a dead letter, or a failed ask."""
        cdef Runtime rt = self.rt
        if not rt._running:
            if token is not None:
                (<AskFuture>token).booked = True
            rt.n_rejected += 1
            raise SystemNotRunningError(
                f"the actor system has shut down; {type(msg).__name__} for {self.display_name()} "
                "was not sent (start a new ActorSystem to keep working)",
                actor=self.display_name(), message=msg,
            )
        if self.flags & CF_START_FAILED:
            reason = "start_failed"
            error = ActorStartError(
                f"{self.display_name()} failed to start; {type(msg).__name__} was not delivered "
                "(see the cause, or await ref.ready() before sending)",
                actor=self.display_name(), message=msg,
            )
            if self.extra is not None and self.extra.start_error is not None:
                error.__cause__ = self.extra.start_error
        else:
            reason = "shutdown" if self.flags & CF_SHUTDOWN else "stopped"
            error = self.stopped_error(msg)
        return drop_message(self, msg, token, reason, error)

    cdef AskFuture ask_eager(self, HandlerEntry entry, object msg, double seconds):
        """Runs a synchronous handler for an ask at once, in the caller's call (DESIGN §2)."""
        cdef Runtime rt = self.rt
        cdef AskFuture fut = new_ask(rt, self, None)
        cdef ActorRef previous = rt.current
        cdef PyObject* previous_msg = rt.cur_msg
        cdef PyObject* previous_token = rt.cur_token
        cdef object ctx = self.ctx
        if ctx is None:
            ctx = new_context(rt)
            self.ctx = ctx
        PyContext_Enter(ctx)
        self.sched = S_RUNNING
        self.flags |= CF_ON_STACK
        rt.current = self
        rt.cur_msg = <PyObject*>msg
        rt.cur_token = <PyObject*>fut
        rt.eager_depth += 1
        rt.budget -= 1
        fut.started = True
        fut.booked = True
        self.processed += 1
        rt.n_handled += 1
        cdef long long started_ns = 0
        cdef PyObject* raw
        if rt.trace:
            rt._on_received(self, msg)
            started_ns = monotonic_ns()
        try:
            raw = call_handler(rt, entry, self, msg)
            result = <object>raw
            _decref(raw)    # `result` holds its own reference now
        except BaseException as exc:
            if rt.trace:
                rt._on_processed(self, msg, monotonic_ns() - started_ns, exc)
            fut.fstate = F_FINISHED
            fut._exception = wrap_for_asker(self, exc, msg)
            self.failed += 1
            rt.n_failures += 1
            # The failure is decided on the loop (on_error, supervision), never in the caller's
            # call: the control lane makes it the next thing this actor does.
            self.push_control(("failed", exc, msg))
        else:
            if rt.trace:
                rt._on_processed(self, msg, monotonic_ns() - started_ns, None)
            if rt.stashed_current:
                # context.stash() kept the request for later: the answer comes when it is
                # handled again, so the ask stays pending (with its deadline) until then.
                rt.stashed_current = False
                fut.msg = msg
                if seconds >= 0.0:
                    fut.timeout = seconds
                    fut.deadline = rt.now() + seconds
                    rt.heap_push(fut)
            else:
                fut.fstate = F_FINISHED
                fut._result = result
        finally:
            rt.current = previous
            rt.cur_msg = previous_msg
            rt.cur_token = previous_token
            rt.eager_depth -= 1
            self.flags &= ~CF_ON_STACK
            PyContext_Exit(ctx)
            if self.sched == S_RUNNING:
                if self.has_work():
                    rt.schedule(self)
                else:
                    self.sched = S_IDLE
                    mb_trim(self)
                    if self.flags & CF_IDLE_HOOK:
                        rt._on_idle(self)
        return fut

    cdef object tell_foreign(self, object msg, double deadline, int level):
        """tell() from a thread that is not the loop's: push here, wake the loop once per burst."""
        cdef Runtime rt = self.rt
        cdef Slot evicted
        cdef int status
        if not rt._running:
            rt.n_rejected += 1
            raise SystemNotRunningError(
                f"the actor system is not running; {type(msg).__name__} for "
                f"{self.display_name()} was not sent",
                actor=self.display_name(), message=msg,
            )
        rt.n_sent += 1
        if self.phase >= P_STOPPING or self.flags & CF_CLOSING:
            rt.n_dead_letters += 1
            reason = "shutdown" if self.flags & CF_SHUTDOWN else "stopped"
            rt.loop.call_soon_threadsafe(rt._on_dead_letter, msg, self, reason, None)
            return None
        if self.table.lookup(type(msg)) is None:
            rt.n_rejected += 1
            raise self.unhandled_error(msg)
        status = self.offer(msg, None, deadline, level, &evicted)
        if status == PUSH_FULL:
            rt.n_rejected += 1
            rt.loop.call_soon_threadsafe(
                rt.emit, EV_MAILBOX_OVERFLOW, self,
                {"policy": _BACKPRESSURE_NAMES[self.bp], "message_type": type(msg).__name__})
            raise self.mailbox_full_error(msg, False)
        if status == PUSH_DROPPED:
            rt.n_dead_letters += 1
            rt.loop.call_soon_threadsafe(rt._on_dead_letter, msg, self, "mailbox_full", None)
            return None
        if status == PUSH_EVICTED:
            old_msg = <object>evicted.msg
            _decref(evicted.msg)
            old_token = None
            if evicted.token != NULL:
                old_token = <object>evicted.token
                _xdecref(evicted.token)
            # Futures and dead letters belong to the loop thread: settle the evicted one there.
            rt.loop.call_soon_threadsafe(rt._settle_evicted, self, old_msg, old_token)
        if self.sched == S_IDLE:
            rt.schedule_threadsafe(self)
        return None

    # -- used by the Python lifecycle code (loop thread only) ------------------------------

    cdef int push_control(self, object item) except -1:
        cdef CellExtra extra = self.get_extra()
        if extra.control is None:
            extra.control = _deque()
        extra.control.append(item)
        self.n_control += 1
        if self.sched == S_IDLE:
            self.rt.schedule(self)
        return 0

    def _push_control(self, item):
        """Queues a control step (served before user messages) and schedules the actor."""
        self.push_control(item)

    def _take_control(self):
        """Removes and returns every queued control step."""
        items = []
        if self.extra is not None and self.extra.control:
            items = list(self.extra.control)
            self.extra.control.clear()
        self.n_control = 0
        return items

    def _push_marker(self, item):
        """Queues a control step behind the user messages already queued, ignoring capacity."""
        marker = Marker(item)
        # Lowest level of a priority mailbox: a drain-stop waits for everything queued.
        if mb_push(self, <PyObject*>_MARKER_MSG, <PyObject*>marker, 0.0, 0) < 0:
            raise MemoryError()
        if self.sched == S_IDLE:
            self.rt.schedule(self)

    def _take_all(self):
        """Removes every queued message: a list of (message, token) pairs, oldest first."""
        cdef Slot s
        out = []
        while mb_count(self):
            mb_pop(self, &s)
            msg = <object>s.msg
            _decref(s.msg)
            token = None
            if s.token != NULL:
                token = <object>s.token
                _xdecref(s.token)
            out.append((msg, token))
        mb_free(self)
        return out

    def _force_push(self, msg, token, front=False):
        """Queues a message past the capacity check (admitting a waiting sender, unstashing)."""
        cdef PyObject* tok = <PyObject*>token if token is not None else NULL
        cdef int rc
        if front:
            rc = mb_push_front(self, <PyObject*>msg, tok, 0.0)
        else:
            rc = mb_push(self, <PyObject*>msg, tok, 0.0, self.check_level(None))
        if rc < 0:
            raise MemoryError()
        if mb_count(self) > self.max_mailbox:
            self.max_mailbox = mb_count(self)

    def _queued(self):
        """User messages waiting (rings and parked senders), not counting control markers."""
        cdef Py_ssize_t n = self.n_putters
        cdef int i
        if self.levels == NULL:
            return n + count_messages(&self.ring)
        for i in range(self.nlevels):
            n += count_messages(&self.levels[i])
        return n

    def _has_room(self):
        """True if a bounded mailbox could take one more message now."""
        return self.capacity < 0 or mb_count(self) < <unsigned int>self.capacity

    def _reschedule(self):
        """Puts an idle actor that has work back on the run queue."""
        if self.sched == S_IDLE and self.has_work():
            self.rt.schedule(self)

    def _link(self, ActorRef parent not None):
        """Appends this cell to `parent`'s children (start order)."""
        cdef CellExtra pe = parent.get_extra()
        self.parent = parent
        self.prev_sibling = pe.last_child
        self.next_sibling = None
        if pe.last_child is None:
            pe.first_child = self
        else:
            pe.last_child.next_sibling = self
        pe.last_child = self

    def _unlink(self):
        """Removes this cell from its parent's children."""
        cdef ActorRef parent = self.parent
        cdef CellExtra pe
        if parent is None:
            return
        pe = parent.extra
        if self.prev_sibling is None:
            pe.first_child = self.next_sibling
        else:
            self.prev_sibling.next_sibling = self.next_sibling
        if self.next_sibling is None:
            pe.last_child = self.prev_sibling
        else:
            self.next_sibling.prev_sibling = self.prev_sibling
        self.prev_sibling = None
        self.next_sibling = None
        self.parent = None

    def _children(self):
        """This cell's children, in start order."""
        cdef ActorRef child
        out = []
        if self.extra is not None:
            child = self.extra.first_child
            while child is not None:
                out.append(child)
                child = child.next_sibling
        return out

    def _release(self):
        """Breaks the cell's cycles once it has stopped for good."""
        gc_release(self.actor)
        gc_release(self.ctx)
        self.actor = None
        self.ctx = None
        self.factory = None
        self.args = ()
        mb_free(self)

    def _on_task_done(self, task):
        """Done-callback of an async handler's Task (never of a hook's)."""
        cdef Runtime rt = self.rt
        cdef CellExtra extra = self.extra
        rt._busy.pop(task, None)
        if extra is None or extra.task is not task:
            # Fenced: the actor moved on (abandoned at stop, or restarted); only its reply,
            # if any, still has somewhere to go.
            rt._on_fenced_task(self, task)
            return
        token = extra.task_token
        msg = extra.task_msg
        extra.task = None
        extra.task_token = None
        extra.task_msg = None
        if task.cancelled():
            exc = _CancelledError()
        else:
            exc = task.exception()
        if rt.trace and extra.traced_since is not None:
            rt._on_processed(self, msg, monotonic_ns() - extra.traced_since, exc)
            extra.traced_since = None
        if token is _STASHED:
            token = None    # context.stash() kept this message: no answer, not handled yet
        if exc is None:
            if token is not None:
                settle_result(self, token, task.result())
        elif self.phase >= P_RESTARTING and isinstance(exc, _CancelledError):
            # Cancelled by the stop protocol (of a stop or a restart): the asker learns that
            # the incarnation it asked stopped.
            if token is not None:
                settle_error(self, token, self.stopped_error(msg))
        else:
            if token is not None:
                settle_error(self, token, wrap_for_asker(self, exc, msg))
            # A failure while the actor is already restarting or stopping changes nothing.
            if self.phase == P_ALIVE:
                self.failed += 1
                rt.n_failures += 1
                self.push_control(("failed", exc, msg))
        # During a stop or restart the lifecycle code owns the cell; it reschedules it itself.
        if self.sched == S_BUSY and self.phase == P_ALIVE:
            self.sched = S_IDLE
            if self.has_work():
                rt.schedule(self)
            elif self.flags & CF_IDLE_HOOK:
                rt._on_idle(self)

    # Lifecycle fields the Python layer reads and writes.
    @property
    def _phase(self):
        return self.phase

    @_phase.setter
    def _phase(self, int value):
        self.phase = value

    @property
    def _sched(self):
        return self.sched

    @_sched.setter
    def _sched(self, int value):
        self.sched = value

    @property
    def _actor(self):
        return self.actor

    @_actor.setter
    def _actor(self, value):
        self.actor = value

    @property
    def _table(self):
        return self.table

    @_table.setter
    def _table(self, HandlerTable value not None):
        self.table = value

    @property
    def _ctx(self):
        if self.ctx is None:
            self.ctx = new_context(self.rt)
        return self.ctx

    @_ctx.setter
    def _ctx(self, value):
        self.ctx = value

    @property
    def _extra(self):
        return self.get_extra()

    @property
    def _has_extra(self):
        return self.extra is not None

    @property
    def _factory(self):
        return self.factory

    @property
    def _args(self):
        return self.args

    @property
    def _parent(self):
        return self.parent

    @property
    def _registered_name(self):
        return self.extra.name if self.extra is not None else None

    @property
    def _uid(self):
        return self.uid

    @property
    def _n_putters(self):
        return self.n_putters

    @_n_putters.setter
    def _n_putters(self, int value):
        self.n_putters = value

    @property
    def _ring_slots(self):
        """Slots allocated for the mailbox ring(s) (0 when none): shows growth and release."""
        cdef unsigned int total = self.ring.size
        cdef int i
        if self.levels != NULL:
            for i in range(self.nlevels):
                total += self.levels[i].size
        return total

    @property
    def _priority_levels(self):
        """Number of priority levels (0 for an ordinary mailbox)."""
        return self.nlevels

    @property
    def _capacity(self):
        return self.capacity

    @property
    def _backpressure(self):
        return self.bp

    @property
    def _flags(self):
        return self.flags

    @_flags.setter
    def _flags(self, int value):
        self.flags = value

    def _new_incarnation(self, actor, HandlerTable table not None):
        """Installs a freshly built instance after a restart."""
        gc_release(self.actor)
        gc_release(self.ctx)
        gc_own(actor)
        self.actor = actor
        self.table = table
        self.ctx = None
        self.incarnation_ += 1
        self.restarts += 1
        self.rt.n_restarts += 1

    def _build(self, factory, args):
        """Builds an instance with the factory, `self.context` usable from __init__."""
        actor = construct_actor(self, factory, args)
        return actor, table_for(type(actor))

    # -- error texts -----------------------------------------------------------------------

    def unhandled_error(self, msg):
        return self.unhandled_type_error(type(msg), msg)

    def unhandled_type_error(self, type msg_type, msg=None):
        handled = ", ".join(t.__name__ for t in self.table.declared) or "nothing"
        t = msg_type.__name__
        return UnhandledMessageError(
            f"{self.display_name()} has no handler for {t} (it handles: {handled}); "
            f"add a @handler method for {t} to {self.table.class_name}, or send one of those types",
            actor=self.display_name(), message=msg,
        )

    def deadlock_error(self, msg):
        return DeadlockError(
            f"{self.display_name()} would wait for itself: ask({type(msg).__name__}) targets an "
            "actor whose handler is running on this call stack, so the answer could never come; "
            "use tell() (send the reply to a ref in the message) or restructure the call",
            actor=self.display_name(), message=msg,
        )

    def stopped_error(self, msg):
        reason = "restarting" if self.phase == P_RESTARTING else "stopped"
        if self.extra is not None:
            if self.extra.stopping is not None:  # stopping now: the request knows why
                reason = "killed" if self.extra.stopping.killed else self.extra.stopping.reason
            elif self.extra.stop_reason is not None:
                reason = self.extra.stop_reason
        return ActorStoppedError(
            f"{self.display_name()} has stopped (reason: {reason}); {type(msg).__name__} was not "
            "answered (look the actor up again, or watch it to learn when it stops)",
            actor=self.display_name(), message=msg,
        )

    def mailbox_full_error(self, msg, bint evicted):
        t = type(msg).__name__
        policy = _BACKPRESSURE_NAMES[self.bp]
        if evicted:
            what = f"{t} was evicted to make room for a newer message (DROP_OLDEST)"
        else:
            what = f"{t} was not delivered ({policy})"
        return MailboxFullError(
            f"{self.display_name()}'s mailbox is full ({self.capacity} messages); {what}; "
            "use await ref.send() to wait for room, a larger capacity, or another backpressure",
            actor=self.display_name(), message=msg,
        )


@cython.no_gc
cdef class SupervisorRef(ActorRef):
    """The ref of a supervisor: an `ActorRef` that also manages its children.

    Refs from `child` stay valid across that child's restarts by this supervisor; when a
    supervisor above rebuilds this whole subtree, look them up again.
    """

    def child(self, child_id):
        """The current ref of child `child_id` (a SupervisorRef for a nested supervisor).

        Raises:
            ChildNotFoundError: No child has that id.
        """
        return _supervisor_ops.child(self, child_id)

    def start_child(self, *args):
        """Starts a child (a coroutine returning its ref, or None if its ``on_start`` returned
        ``airsrt.IGNORE``).

        A static supervisor takes one ChildSpec, which it adds. A DynamicSupervisor takes the
        arguments to append to its template's: ``await sup.start_child(user_id)``.

        Raises:
            ActorStartError: The child failed to start (nothing is kept of it).
            MaxChildrenError: A DynamicSupervisor already has ``max_children`` children.
            ConfigurationError: A duplicate id, or arguments of the wrong kind.
            ActorStoppedError: The supervisor has stopped (or gave up).
        """
        return _supervisor_ops.start_child(self, *args)

    def terminate_child(self, child_id):
        """Stops a child for good (a coroutine), given its id or its ref (a DynamicSupervisor's
        children: their ref). A static supervisor keeps the spec; a dynamic one forgets it."""
        return _supervisor_ops.terminate_child(self, child_id)

    def restart_child(self, child_id):
        """Starts a terminated child again from its spec (a coroutine returning its ref, or
        None if it declined with IGNORE). Static supervisors only."""
        return _supervisor_ops.restart_child(self, child_id)

    def delete_child(self, child_id):
        """Forgets the spec of a child that is not running (a coroutine). Static supervisors
        only."""
        return _supervisor_ops.delete_child(self, child_id)

    def which_children(self):
        """The children in start order, as ChildInfo records (a coroutine)."""
        return _supervisor_ops.which_children(self)

    def count_children(self):
        """A ChildCount record: ``specs``, ``active``, ``supervisors``, ``workers`` (a
        coroutine)."""
        return _supervisor_ops.count_children(self)

    def get_childspec(self, child_id):
        """The ChildSpec of a child, by id or ref (a coroutine); a DynamicSupervisor's child
        gets the template with its own arguments."""
        return _supervisor_ops.get_childspec(self, child_id)

    def __repr__(self):
        return f"<SupervisorRef {self.display_name()} {self.state_name()}>"


cdef object _not_a_ref():
    return TypeError("this ActorRef was not created by ActorSystem.spawn() and cannot be used")


# Replaces the token of an async handler whose message was stashed (context.stash()).
cdef object _STASHED = object()


def _stash_task_message(ActorRef cell not None, object msg):
    """For context.stash() in an async handler: takes (message, token) from the running Task
    if `msg` is the message it handles, so the Task's end neither answers nor counts it."""
    cdef CellExtra extra = cell.extra
    cdef Runtime rt = cell.rt
    if extra is None or extra.task_msg is not msg or extra.task_token is _STASHED:
        return None
    token = extra.task_token
    extra.task_token = _STASHED
    cell.processed -= 1
    rt.n_handled -= 1
    if token is not None and type(token) is AskFuture:
        (<AskFuture>token).started = False
        (<AskFuture>token).booked = False
    return msg, token


# The message slot of a Marker: never handled, so any object will do.
cdef object _MARKER_MSG = object()


cdef object wrap_for_asker(ActorRef cell, object exc, object msg):
    """What an asker receives when the handler raised `exc` (DESIGN §3: ask)."""
    if isinstance(exc, Exception) and not isinstance(exc, (AirsrtError, StopIteration)):
        return exc
    if type(exc) is SlowHandlerError:
        return exc  # the runtime's own verdict on this handling (strict mode): nothing to confuse
    err = HandlerError(
        f"{cell.display_name()} raised {type(exc).__name__} while handling "
        f"{type(msg).__name__}: {exc!s}; it is wrapped so it cannot be mistaken for an error "
        "about the ask itself (the original is __cause__)",
        actor=cell.display_name(), message=msg,
    )
    err.__cause__ = exc
    return err


cdef int settle_result(ActorRef cell, object token, object result) except -1:
    if type(token) is AskFuture and not (<AskFuture>token)._settle(result, None):
        cell.rt._on_late_reply(cell, token, result)
    return 0


cdef int settle_error(ActorRef cell, object token, object error) except -1:
    if type(token) is AskFuture and not (<AskFuture>token)._settle(None, error):
        cell.rt._on_late_reply(cell, token, error)
    return 0


cdef object drop_message(ActorRef cell, object msg, object token, str reason, object error):
    """Ends a message that will not be handled: fail its ask, or dead-letter it."""
    cdef Runtime rt = cell.rt
    cdef AskFuture fut
    if token is not None and type(token) is AskFuture:
        fut = <AskFuture>token
        if fut.fstate == F_PENDING:
            if not fut.booked:
                fut.booked = True
                rt.n_returned += 1
            fut._settle(None, error)
        return None
    if token is not None and type(token) is TimerToken and (<TimerToken>token).cancelled:
        rt.n_withdrawn += 1
        return None
    if type(token) is Marker:
        return None
    rt.n_dead_letters += 1
    rt._on_dead_letter(msg, cell, reason, None)
    return None


def _drop(ActorRef cell not None, msg, token, str reason, error):
    """Python access to drop_message (stop, shutdown, expired and evicted messages)."""
    return drop_message(cell, msg, token, reason, error)


def _settle(ActorRef cell not None, token, result=None, error=None):
    """Python access to the ask-settling helpers (late replies become dead letters)."""
    if error is not None:
        settle_error(cell, token, error)
    else:
        settle_result(cell, token, result)


def _book_handled(AskFuture fut not None):
    """Marks an ask's handler as started (its outcome is 'handled')."""
    fut.started = True
    fut.booked = True


def _ask_pending(token):
    """True if `token` is an ask still waiting for its answer."""
    return type(token) is AskFuture and (<AskFuture>token).fstate == F_PENDING


cdef double ttl_deadline(Runtime rt, object ttl) except -1.0:
    """The loop time after which a message sent now with `ttl` has expired."""
    return rt.now() + check_timeout(ttl, "ttl")


cdef Py_ssize_t count_messages(Ring* r) noexcept:
    """Messages in `r`, not counting control markers."""
    cdef unsigned int i
    cdef Py_ssize_t n = 0
    cdef PyObject* token
    for i in range(r.count):
        token = r.slots[(r.head + i) & (r.size - 1)].token
        if token == NULL or type(<object>token) is not Marker:
            n += 1
    return n


cdef double check_timeout(object timeout, str what, ActorRef target=None, object msg=None) except -1.0:
    """Validates a timeout in seconds (None is the caller's business); the error names the
    operation, its target and the message when they are given."""
    cdef double seconds
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"{call_site(what, target, msg)} timeout must be a number of seconds or None, "
            f"got {type(timeout).__name__}"
        )
    seconds = timeout
    if not (seconds > 0.0) or seconds == float("inf"):
        raise ValueError(
            f"{call_site(what, target, msg)} timeout must be > 0 seconds and finite, got "
            f"{timeout!r} (use timeout=None to wait forever)"
        )
    return seconds


cdef inline bint is_watermark(unsigned int depth) noexcept:
    """The mailbox depths reported once per actor as they are first reached."""
    return depth == 10000 or depth == 100000 or depth == 1000000 or depth == 10000000


cdef str call_site(str what, ActorRef target, object msg):
    """``ask(Order) to Worker#3``: how errors name the call they are about."""
    if target is None:
        return what
    arg = type(msg).__name__ if msg is not None else ""
    return f"{what}({arg}) to {target.display_name()}:"


def _check_timeout(timeout, what, target=None, msg=None):
    """Validates a timeout in seconds (None is the caller's business)."""
    return check_timeout(timeout, what, target, msg)


cdef object wrong_thread(str what, Runtime rt, ActorRef target, object msg, str fix):
    """The WrongThreadError for a loop-only call made on another thread."""
    import threading
    here = threading.current_thread().name
    loop_thread = "its loop's thread"
    for thread in threading.enumerate():
        if thread.ident == rt.thread_id:
            loop_thread = repr(thread.name)
    site = call_site(what, target, msg) if target is not None else f"{what}:"
    return WrongThreadError(
        f"{site} called from thread {here!r}, but the actor system runs on {loop_thread}; {fix}",
        actor=target.display_name() if target is not None else None,
        message=msg,
    )
