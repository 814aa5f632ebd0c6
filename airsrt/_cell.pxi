# ActorRef is the actor's cell: one compiled object per actor holding its mailbox ring, its
# scheduling state, counters, and the links of the supervision tree. The same object is the ref
# users hold, so refs compare equal across restarts (a restart swaps the instance inside) and an
# idle actor costs this object plus the user's instance. It is kept out of the cyclic GC: the
# cycles it takes part in (actor <-> cell, cell -> queued messages) are broken explicitly when the
# actor stops (airsrt/_lifecycle.py), and a live cell is owned by its system's tree.

from airsrt._stats import ActorStats as _ActorStats

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
    CF_PARKED = 128     # it told a full BLOCK mailbox: no user message runs until that is queued
    CF_SUBSCRIBED = 256 # it has had a broker subscription (its stop must tell the broker)
    CF_OWN_STOP = 512   # context.stop() with an empty control lane: stopping is its next step
    CF_START_DUE = 1024 # spawned with an on_start, not yet run: its first control step

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

# Who sends a message: what a closed actor, a missing handler or a full mailbox means for the
# sender (DESIGN §3) depends on it, and nothing else in the send sequence does.
cdef enum:
    VIA_TELL = 0        # ref.tell on the loop's thread
    VIA_FOREIGN = 1     # ref.tell from another thread: outcomes are settled on the loop's thread
    VIA_ASK = 2         # ref.ask: the token is its AskFuture, which carries every outcome
    VIA_SEND = 3        # await ref.send: a full BLOCK mailbox parks the sender on a future
    VIA_RUNTIME = 4     # timer ticks, piped results: never an exception, refusals dead-letter
    VIA_PUBLISH = 5     # a broker's fan-out: likewise, and publishing goes on

# What became of a message sent (`post`).
cdef enum:
    NOT_QUEUED = 0      # dead-lettered, or its ask failed
    QUEUED = 1
    PARKED = 2          # accepted; its sender waits for room (a full BLOCK mailbox)

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

# The seam: the functions of the Python layer the core calls back, each implemented by the
# module that owns its concern (airsrt/_seam.py declares them; airsrt/__init__.py installs them
# with _install_seam). Every one takes the system (the Runtime) first.
cdef object _run_control = None         # _lifecycle: run a control-lane step (start, stop, ...)
cdef object _fenced_task_done = None    # _lifecycle: an abandoned handler Task ended
cdef object _handle_failure = None      # _guardian: a handler raised; True to resume
cdef object _on_idle = None             # _patterns: an actor with a receive timeout went idle
cdef object _dead_letter = None         # _monitoring
cdef object _late_reply = None
cdef object _publish_event = None
cdef object _expired = None
cdef object _slow_handler = None
cdef object _high_watermark = None
cdef object _received = None
cdef object _processed = None
cdef object _not_running = None         # _system: spawning on a system that is not running
cdef object _finish_stop = None         # _lifecycle: finish a quiet stop that on_stop disturbed
cdef object _start_returned = None      # _lifecycle: on_start raised, or returned something
cdef object _hook_failed = None         # _lifecycle: a synchronous hook raised (log it)


def _install_seam(lifecycle, failures, patterns, monitoring, system):
    """Connects the core to the Python modules it calls back (once, by ``airsrt/__init__``)."""
    global _run_control, _fenced_task_done, _handle_failure, _on_idle, _dead_letter
    global _late_reply, _publish_event, _expired, _slow_handler, _high_watermark, _received
    global _processed, _not_running, _finish_stop, _hook_failed, _start_returned
    _run_control = lifecycle.run_control
    _finish_stop = lifecycle.finish_stop
    _start_returned = lifecycle.start_returned
    _hook_failed = lifecycle.hook_failed
    _fenced_task_done = lifecycle.fenced_task_done
    _handle_failure = failures.handle_failure
    _on_idle = patterns.on_idle
    _dead_letter = monitoring.dead_letter
    _late_reply = monitoring.late_reply
    _publish_event = monitoring.publish_event
    _expired = monitoring.expired
    _slow_handler = monitoring.slow_handler
    _high_watermark = monitoring.high_watermark
    _received = monitoring.received
    _processed = monitoring.processed
    _not_running = system.not_running

# The Actor and Context classes (airsrt/_actor.py), installed at import. Actor is a plain Python
# class (so its instances get CPython's inline attribute values, which a compiled base class
# would prevent); its two __slots__ -- the cell and the Context -- are read and written here
# through their offsets, taken from the slots' member descriptors.
cdef object _actor_class = None
cdef object _supervisor_class = None    # airsrt.Supervisor: its children's exits are its policy
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


def _install(ref_ops, supervisor_ops, actor_class, context_class, table_builder, supervisor_class):
    """Connects the compiled core to its Python halves (called once by ``airsrt/__init__``)."""
    global _ref_ops, _supervisor_ops, _actor_class, _context_class, _table_builder
    global _supervisor_class, _cell_slot, _context_slot
    _ref_ops = ref_ops
    _supervisor_ops = supervisor_ops
    _actor_class = actor_class
    _context_class = context_class
    _table_builder = table_builder
    _supervisor_class = supervisor_class
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

    Threads: `tell`, `ask_blocking`, `mailbox_size`, `stats` and the properties (`is_alive`,
    `name`, `incarnation`, `system`) work from any thread. `ask`, `send`, `stop` and `ready`
    belong to the loop's thread and raise `airsrt.WrongThreadError` elsewhere.
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
        cdef int level = 0
        cdef double deadline = 0.0
        if rt is None:
            raise _not_a_ref()
        if ttl is not None or priority is not None:
            level = self.check_level(priority)
            if ttl is not None:
                deadline = ttl_deadline(rt, ttl)
        if PyThread_get_thread_ident() != rt.thread_id:
            post(self, msg, None, deadline, level, VIA_FOREIGN)
        else:
            post(self, msg, None, deadline, level, VIA_TELL)

    def ask(self, msg, timeout=_DEFAULT, ttl=None, priority=None):
        """Sends `msg` and returns an awaitable for the handler's return value (loop thread
        only; other threads use `ask_blocking`).

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
            ``SystemNotRunningError``, ``WrongThreadError`` (called from another thread), and
            ``ValueError``/``TypeError`` for a bad timeout.
        """
        cdef Runtime rt = self.rt
        cdef HandlerEntry entry
        cdef AskFuture fut
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
        # The send sequence of `post`, opened up: the handler entry decides whether the ask
        # can run eagerly, and deadlocks are refused before anything is queued.
        rt.n_sent += 1
        if self.phase >= P_STOPPING or self.flags & CF_CLOSING:
            fut = new_ask(rt, self, msg)
            undeliverable(self, msg, fut, VIA_ASK)
            return fut
        entry = self.table.lookup(type(msg))
        if entry is None:
            return unhandled(self, msg, None, VIA_ASK)
        if self.flags & CF_ON_STACK:
            rt.n_rejected += 1
            raise self.deadlock_error(msg)
        if rt._busy and rt.current is None and rt._busy.get(_current_task(rt.loop)) is self:
            rt.n_rejected += 1
            raise self.deadlock_error(msg)
        if (self.sched == S_IDLE and self.phase == P_ALIVE and mb_count(self) == 0
                and self.n_control == 0 and self.n_putters == 0 and not entry.is_async
                and not self.flags & CF_PARKED
                and rt.eager_asks and rt.eager_depth < rt.eager_depth_limit and eager_budget(rt)):
            return self.ask_eager(entry, msg, seconds)
        fut = new_ask(rt, self, msg)
        if seconds >= 0.0:
            fut.timeout = seconds
            fut.deadline = rt.now() + seconds
            rt.heap_push(fut)
        enqueue(self, msg, fut, deadline, level, VIA_ASK)
        return fut

    def send(self, msg, timeout=None):
        """Like `tell`, but on a full ``BLOCK`` mailbox waits for room (a coroutine; await it on
        the loop).

        Raises:
            MailboxFullError: `timeout` seconds passed before there was room.
            WrongThreadError: Run on a thread other than the loop's (use `tell` there).
        """
        return _ref_ops.send(self, msg, timeout)

    def ask_blocking(self, msg, timeout=_DEFAULT):
        """Asks from a thread other than the loop's and blocks for the answer: the thread-safe
        way to ask.

        Raises:
            DeadlockError: Called on the event loop's own thread (it would block the loop).
        """
        return _ref_ops.ask_blocking(self, msg, timeout)

    def _send_nowait(self, msg):
        """tell() for ``send``: on a full BLOCK mailbox, parks the message and returns a future
        that resolves once it is queued (None when it was queued at once)."""
        cdef Runtime rt = self.rt
        if rt is None:
            raise _not_a_ref()
        if PyThread_get_thread_ident() != rt.thread_id:
            raise wrong_thread("send", rt, self, msg, "use ref.tell(msg) from other threads")
        if post(self, msg, None, 0.0, self.check_level(None), VIA_SEND) == PARKED:
            # The waiter of the entry just parked (no negative indexes: wraparound is off).
            return self.extra.putters[len(self.extra.putters) - 1][2]
        return None

    def _deliver(self, msg, token=None):
        """Queues a message sent by the runtime itself (a timer tick, a notice): a message that
        does not fit becomes a dead letter instead of an exception. With a `ControlToken` it is
        control traffic (see `ControlToken`), outside the user's ledger."""
        if self.rt is None:
            raise _not_a_ref()
        post(self, msg, token, 0.0, self.check_level(None), VIA_RUNTIME)

    def stop(self, drain=False, timeout=5.0):
        """Stops the actor (a coroutine; await it on the loop): after the current message, or
        after the queued ones.

        Args:
            drain: ``False`` stops after the current message and dead-letters the rest;
                ``True`` refuses new messages and stops once the queued ones are handled.
            timeout: Seconds the current handler gets to finish before it is cancelled.

        A supervised child stopped this way is not restarted (like ``terminate_child``).

        Raises:
            WrongThreadError: Run on a thread other than the loop's; nothing was changed (from
                another thread: ``asyncio.run_coroutine_threadsafe(ref.stop(), system.loop)``).
        """
        return _ref_ops.stop(self, drain, timeout)

    def ready(self):
        """Waits until ``on_start`` has finished (a coroutine; await it on the loop).

        Raises:
            ActorStartError: ``on_start`` failed.
            WrongThreadError: Run on a thread other than the loop's.
        """
        return _ref_ops.ready(self)

    # -- looking ---------------------------------------------------------------------------

    @property
    def is_alive(self):
        """True until the actor has stopped for good (a restart does not count). A property;
        any thread."""
        return self.phase != P_STOPPED

    @property
    def name(self):
        """The name given at spawn, or a generated display name such as ``"Worker#12"``; any
        thread."""
        return self.display_name()

    @property
    def incarnation(self):
        """1 for the first instance, incremented by each restart; any thread."""
        return self.incarnation_

    @property
    def system(self):
        """The ActorSystem this actor runs in; any thread."""
        return self.rt

    def mailbox_size(self):
        """Messages waiting for this actor: those in its mailbox, plus those of senders parked
        on a full BLOCK mailbox (``stats()`` counts the two apart); not the one being handled.
        Any thread."""
        return mb_count(self) + self.n_putters

    def stats(self):
        """This actor's counters as an `airsrt.ActorStats` record; callable from any thread.

        Processed and failed handlers, restarts, mailbox sizes, state, and handler latency
        percentiles while the system traces messages.
        """
        latency = None
        if self.extra is not None and self.extra.latency is not None:
            latency = self.extra.latency.summary()
        return _ActorStats(
            self.processed, self.failed, self.restarts, mb_count(self) + self.n_putters,
            mb_count(self), self.n_putters, self.max_mailbox, self.incarnation_,
            self.state_name(), latency,
        )

    def __repr__(self):
        return f"<ActorRef {self.display_name()} {self.state_name()}>"

    def __reduce__(self):
        # Refs pickle only inside a distributed system (airsrt.ray): see airsrt/_remote.py.
        return _ref_ops.reduce(self)

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
        """Something the dispatcher may run now: a control step, or a user message unless the
        actor is parked behind a full mailbox it sent to."""
        return self.n_control > 0 or self.flags & (CF_OWN_STOP | CF_START_DUE) or (
            self.phase == P_ALIVE and mb_count(self) > 0 and not self.flags & CF_PARKED)

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
            _received(rt, self, msg)
            started_ns = monotonic_ns()
        try:
            raw = call_handler(rt, entry, self, msg)
            result = <object>raw
            _decref(raw)    # `result` holds its own reference now
        except BaseException as exc:
            if rt.trace:
                _processed(rt, self, msg, monotonic_ns() - started_ns, exc)
            fut.fstate = F_FINISHED
            fut._exception = wrap_for_asker(self, exc, msg)
            self.failed += 1
            rt.n_failures += 1
            # The failure is decided on the loop (on_error, supervision), never in the caller's
            # call: the control lane makes it the next thing this actor does.
            self.push_control(("failed", exc, msg))
        else:
            if rt.trace:
                _processed(rt, self, msg, monotonic_ns() - started_ns, None)
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
                        _on_idle(rt, self)
        return fut

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
        """Queues a message past the capacity check (a notice, an unstashed message)."""
        force_push(self, msg, token, front)

    def _take_parked(self):
        """Removes every parked sender, unparking the actors among them: a list of
        (message, token, waiter) for the caller to settle (the actor is stopping)."""
        cdef ActorRef sender
        out = []
        putters = self.extra.putters if self.extra is not None else None
        if putters:
            for msg, token, waiter, sender in putters:
                out.append((msg, token, waiter))
                if sender is not None:
                    unpark_sender(sender, self)
            putters.clear()
        self.n_putters = 0
        return out

    def _unpark(self, waiter):
        """Withdraws the parked `send()` waiting on `waiter`; False if it is no longer parked."""
        putters = self.extra.putters if self.extra is not None else None
        if not putters:
            return False
        for entry in putters:
            if entry[2] is waiter:
                putters.remove(entry)
                self.n_putters -= 1
                return True
        return False

    def _queued(self, bint control=False):
        """The user's messages waiting (rings and parked senders), not counting control
        markers; with `control`, the runtime's own messages waiting instead."""
        cdef Py_ssize_t n = 0 if control else self.n_putters
        cdef int i
        if self.levels == NULL:
            return n + count_messages(&self.ring, control)
        for i in range(self.nlevels):
            n += count_messages(&self.levels[i], control)
        return n

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
        unlink(self)

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
        release(self)

    def _on_task_done(self, task):
        """Done-callback of an async handler's Task (never of a hook's)."""
        cdef Runtime rt = self.rt
        cdef CellExtra extra = self.extra
        rt._busy.pop(task, None)
        if extra is None or extra.task is not task:
            # Fenced: the actor moved on (abandoned at stop, or restarted); only its reply,
            # if any, still has somewhere to go.
            _fenced_task_done(rt, self, task)
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
            _processed(rt, self, msg, monotonic_ns() - extra.traced_since, exc)
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
                _on_idle(rt, self)

    # The lifecycle state the Python layer reads. It never writes it: every change goes through
    # one of the transitions below, each of which checks where the actor is first.
    @property
    def _phase(self):
        return self.phase

    @property
    def _sched(self):
        return self.sched

    @property
    def _actor(self):
        return self.actor

    @property
    def _table(self):
        return self.table

    @property
    def _ctx(self):
        if self.ctx is None:
            self.ctx = new_context(self.rt)
        return self.ctx

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
    def _ring_slots(self):
        """Slots allocated for the mailbox ring(s) (0 when none): shows growth and release."""
        cdef unsigned int total = self.ring.size
        cdef int i
        if self.levels != NULL:
            for i in range(self.nlevels):
                total += self.levels[i].size
        return total

    @property
    def _flags(self):
        return self.flags

    # -- the state machine ------------------------------------------------------------------
    #
    # phase:  STARTING -> ALIVE -> (RESTARTING -> STARTING | ALIVE)* -> STOPPING -> STOPPED
    #         (a stop may overtake any phase before STOPPED; a start failure stops or restarts)
    # sched:  IDLE <-> SCHEDULED <-> RUNNING (the dispatcher's own moves), and IDLE <-> BUSY
    #         while a hook, a lifecycle step or a supervisor's operation runs in a Task.
    # The Python layer (airsrt/_lifecycle.py, _patterns.py) decides when; these methods are
    # the only writers outside the dispatcher, and each refuses a move from the wrong state
    # (an internal invariant: a RuntimeError here is a bug in airsrt).

    cdef int _bad_move(self, str move) except -1:
        raise RuntimeError(
            f"{self.display_name()}: lifecycle move {move!r} from phase "
            f"{_PHASE_NAMES[self.phase]}, sched {_SCHED_NAMES[self.sched]} (a bug in airsrt)")

    def _create_task(self, coro):
        """``loop.create_task(coro)`` in this actor's context, from anywhere, its own turn
        included (a hook's, a busy operation's or a pipe's Task).

        A task factory that starts Tasks eagerly (``asyncio.eager_task_factory``) runs the
        first step inside this call and enters the context for it, which fails while the
        actor's turn has it entered; so the turn leaves it while the Task is made (as the
        dispatcher does for an async handler's Task).
        """
        cdef Runtime rt = self.rt
        cdef object ctx = self.ctx
        cdef bint entered
        if ctx is None:
            ctx = new_context(rt)
            self.ctx = ctx
        entered = rt.current is self
        if entered:
            PyContext_Exit(ctx)
        try:
            return rt.loop.create_task(coro, context=ctx)
        finally:
            if entered:
                PyContext_Enter(ctx)

    def _task_began(self):
        """A hook, a stop or a busy operation of the actor runs in a Task: no message runs
        until `_task_ended`."""
        if self.phase == P_STOPPED:
            self._bad_move("task began")
        self.sched = S_BUSY

    def _task_ended(self):
        """The Task of `_task_began` ended (or was abandoned). Returns False if the cell was
        not busy (a stop or restart took it over in the meantime)."""
        if self.sched != S_BUSY:
            return False
        self.sched = S_IDLE
        return True

    def _mark_started(self):
        """``on_start`` of the current incarnation succeeded: messages may flow (if a stop
        overtook the start, it only records that ``on_stop`` is due)."""
        mark_started(self)

    def _run_start(self):
        """Runs the start step: ``on_start`` of the current incarnation (see `run_start`)."""
        run_start(self)

    def _started(self):
        """``on_start`` succeeded: started, announced, ``ready()`` released, rescheduled."""
        start_succeeded(self)

    def _mark_start_failed(self):
        """``on_start`` (or the factory, on a restart) raised: the supervisor decides."""
        self.flags |= CF_START_FAILED

    def _mark_settled(self):
        """The start has settled without starting (``IGNORE``): ``ready()`` returns."""
        self.flags |= CF_READY

    def _close(self):
        """``stop(drain=True)``: refuse new user messages. False if already closed."""
        if self.phase != P_ALIVE:
            self._bad_move("close")
        if self.flags & CF_CLOSING:
            return False
        self.flags |= CF_CLOSING
        return True

    def _begin_stopping(self):
        """A stop has begun: what follows runs the stop protocol (no restart, no message)."""
        if self.phase >= P_STOPPING:
            self._bad_move("stopping")
        self.phase = P_STOPPING

    def _end_started(self):
        """The current incarnation ends. Returns whether it had started (so ``on_stop`` is
        due): it is due once, whoever ends the incarnation first."""
        cdef bint was = (self.flags & CF_STARTED) != 0
        self.flags &= ~CF_STARTED
        return was

    def _mark_stopped(self, bint shutdown):
        """The actor has stopped for good (``shutdown``: by the system's shutdown, so late
        messages are dead-lettered as such)."""
        if self.phase != P_STOPPING:
            self._bad_move("stopped")
        self.phase = P_STOPPED
        self.sched = S_IDLE
        self.flags &= ~(CF_OWN_STOP | CF_START_DUE)
        if shutdown:
            self.flags |= CF_SHUTDOWN

    def _suspend(self):
        """Holds the actor between a failure and its supervisor's decision. False if a stop
        has begun (it takes precedence)."""
        if self.phase >= P_STOPPING:
            return False
        self.phase = P_RESTARTING
        return True

    def _reincarnate(self, actor, HandlerTable table not None):
        """Installs the next instance of a suspended actor. It starts at once when it has no
        ``on_start`` (returns True: messages may flow), else it waits in STARTING for its
        start step (returns False)."""
        if self.phase != P_RESTARTING:
            self._bad_move("reincarnate")
        gc_release(self.actor)
        gc_release(self.ctx)
        gc_own(actor)
        self.actor = actor
        self.table = table
        self.ctx = None
        self.incarnation_ += 1
        self.restarts += 1
        self.rt.n_restarts += 1
        if self.sched == S_BUSY:
            self.sched = S_IDLE  # the old incarnation's task has ended (or was abandoned)
        # (a first start still due is the old incarnation's: the caller queues the new one's)
        self.flags &= ~(CF_STARTED | CF_START_FAILED | CF_START_DUE)
        if table.has_on_start:
            self.phase = P_STARTING
            return False
        self.phase = P_ALIVE
        self.flags |= CF_STARTED | CF_READY
        return True

    def _want_idle_hook(self, bint on):
        """Whether the dispatcher calls the runtime's ``on_idle`` when the actor runs out of
        work (a receive timeout)."""
        if on:
            self.flags |= CF_IDLE_HOOK
        else:
            self.flags &= ~CF_IDLE_HOOK

    def _stop_at_once(self):
        """``ref.stop()`` of an idle actor with nothing attached: stops it here, in the core,
        and returns True; False (nothing changed) when the stop protocol has work to do."""
        if self.sched != S_IDLE or not stays_quiet(self, P_ALIVE):
            return False
        stop_quietly(self, True)
        return True

    def _stop_after_handler(self):
        """``context.stop()`` from the actor's own synchronous handler (or ``on_start``):
        queues the stop as its next control step, which the dispatcher serves by ending the
        actor in the core if nothing is attached to it by then. Returns False (nothing queued)
        when called from anywhere else."""
        if self.sched != S_RUNNING or self.rt.current is not self or not (
                self.phase == P_ALIVE or self.phase == P_STARTING):
            return False
        if self.n_control or self.flags & CF_OWN_STOP:
            self.push_control(_OWN_STOP)  # behind the control steps already queued
        else:
            self.flags |= CF_OWN_STOP     # the same step, without a control lane to allocate
            # (no need to schedule: the dispatcher looks for it before its next message)
        return True

    def _run_on_stop(self):
        """Calls a synchronous ``on_stop`` in the actor's context (what it raises is logged)."""
        run_sync_hook(self, "on_stop")

    @property
    def _stop_reason(self):
        """Why the actor stopped (None while it has not): a quiet stop records nothing, and
        it is always a normal exit."""
        if self.extra is not None and self.extra.stop_reason is not None:
            return self.extra.stop_reason
        return "normal" if self.phase == P_STOPPED else None

    def _mark_subscribed(self):
        """The broker holds a subscription of this actor: its stop must end it."""
        self.flags |= CF_SUBSCRIBED

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
        if self.phase == P_STOPPED:
            reason = self._stop_reason
        elif self.extra is not None and self.extra.stopping is not None:
            # stopping now: the request knows why
            reason = "killed" if self.extra.stopping.killed else self.extra.stopping.reason
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
        """The current ref of child `child_id` (a SupervisorRef for a nested supervisor); any
        thread (it reads the supervisor's current children).

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
        """The children in start order, as ChildInfo records (a coroutine; await it on the
        loop)."""
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


# -- the send path -------------------------------------------------------------------------------
# One sequence for every way a message arrives -- tell (from any thread), ask, send, the
# runtime's own deliveries and the broker's fan-out: count it, refuse it if the actor is closed
# or has no handler for it, offer it to the mailbox under its backpressure rule, wake the actor.
# What a refusal means depends only on who sends (the VIA_* codes); that policy lives in
# `undeliverable`, `unhandled`, `refused` and `evict`.

# -- the start step -------------------------------------------------------------------------
#
# An actor with an on_start begins in STARTING, its start as its first control step. A
# synchronous on_start that returns None -- nearly all of them -- is finished here; one that
# raises, or returns an awaitable or IGNORE, goes to the Python layer (`_start_returned`), which
# decides what that means.

cdef int run_start(ActorRef cell) except -1:
    try:
        result = cell.actor.on_start()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        _start_returned(cell.rt, cell, None, exc)
        return 0
    if result is None:
        start_succeeded(cell)
    else:
        _start_returned(cell.rt, cell, result, None)
    return 0


cdef int mark_started(ActorRef cell) except -1:
    if cell.phase == P_STOPPED:
        cell._bad_move("started")
    cell.flags |= CF_STARTED | CF_READY
    if cell.phase == P_STARTING:
        cell.phase = P_ALIVE
    return 0


cdef int start_succeeded(ActorRef cell) except -1:
    cdef Runtime rt = cell.rt
    cdef list waiters
    mark_started(cell)
    if rt.count_event(EV_ACTOR_STARTED):
        _publish_event(rt, EV_ACTOR_STARTED, cell, {"incarnation": cell.incarnation_})
    if cell.extra is not None and cell.extra.ready_waiters:
        waiters = cell.extra.ready_waiters
        cell.extra.ready_waiters = None
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
    if cell.sched == S_IDLE and cell.has_work():
        rt.schedule(cell)
    return 0


# -- the quiet stop -------------------------------------------------------------------------
#
# Most actors stop with nothing attached: no children, watchers, timers, name, stash, queued
# messages or in-flight task, under the guardian or a plain actor rather than a supervisor.
# For them the stop protocol (airsrt/_lifecycle.py) has nothing to decide or wait for, so the
# core does it alone: on_stop (if synchronous), then STOPPED, unlinked, counted, announced and
# released, with no Python frame of its own. Anything else takes the protocol.

# The control step `context.stop()` queues (the dispatcher runs it after the handler).
cdef tuple _OWN_STOP = ("stop-self",)


cdef inline bint extra_quiet(CellExtra e):
    return e is None or (
        e.task is None and e.first_child is None and e.stopping is None and e.name is None
        and e.receive_timeout is None and not e.watchers and not e.watching and not e.timers
        and not e.stash and not e.pipes and not e.waiting_for)


cdef bint stays_quiet(ActorRef cell, unsigned char phase) except -1:
    """True if stopping `cell` (now in `phase`) leaves the stop protocol nothing to do."""
    cdef Runtime rt = cell.rt
    cdef ActorRef parent = cell.parent
    if type(cell) is not ActorRef or not rt._quiet_stops or rt._closing:
        return False    # a supervisor's or a remote actor's cell; a node's system; shutdown
    if cell.phase != phase or cell.flags & (CF_CLOSING | CF_PARKED | CF_IDLE_HOOK | CF_SUBSCRIBED):
        return False
    if cell.n_control or cell.n_putters or mb_count(cell) or not extra_quiet(cell.extra):
        return False
    if cell.flags & CF_STARTED and cell.table.on_stop_async:
        return False
    # A supervisor decides what its child's exit means (restart it, update its records).
    return parent is None or parent is rt._root or not isinstance(parent.actor, _supervisor_class)


cdef int stop_quietly(ActorRef cell, bint final) except -1:
    """Stops `cell`, for which `stays_quiet` held (`final`: not a restartable exit)."""
    cdef Runtime rt = cell.rt
    cell.phase = P_STOPPING
    if cell.flags & CF_STARTED:
        cell.flags &= ~CF_STARTED
        if cell.table.has_on_stop:
            run_sync_hook(cell, "on_stop")
            if not stays_quiet(cell, P_STOPPING):
                _finish_stop(rt, cell, final)   # on_stop left something: the protocol ends it
                return 0
    cell.phase = P_STOPPED
    cell.sched = S_IDLE
    cell.flags &= ~CF_OWN_STOP
    unlink(cell)
    rt.n_stopped += 1
    if rt.count_event(EV_ACTOR_STOPPED):
        _publish_event(rt, EV_ACTOR_STOPPED, cell, {"reason": "normal"})
    release(cell)
    return 0


cdef int run_sync_hook(ActorRef cell, str name) except -1:
    """Calls a synchronous hook in the actor's context; what it raises is logged (it ends no
    stop), except KeyboardInterrupt and SystemExit."""
    cdef object ctx = cell.ctx
    hook = getattr(cell.actor, name)
    try:
        if cell.rt.current is cell:
            hook()     # its context is entered already
        else:
            if ctx is None:
                ctx = new_context(cell.rt)
                cell.ctx = ctx
            PyContext_Enter(ctx)
            try:
                hook()
            finally:
                PyContext_Exit(ctx)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        _hook_failed(cell.rt, cell, name, exc)
    return 0


cdef int unlink(ActorRef cell) except -1:
    """Removes `cell` from its parent's children."""
    cdef ActorRef parent = cell.parent
    cdef CellExtra pe
    if parent is None:
        return 0
    pe = parent.extra
    if cell.prev_sibling is None:
        pe.first_child = cell.next_sibling
    else:
        cell.prev_sibling.next_sibling = cell.next_sibling
    if cell.next_sibling is None:
        pe.last_child = cell.prev_sibling
    else:
        cell.next_sibling.prev_sibling = cell.prev_sibling
    cell.prev_sibling = None
    cell.next_sibling = None
    cell.parent = None
    return 0


cdef int release(ActorRef cell) except -1:
    """Breaks the cell's cycles once it has stopped for good."""
    gc_release(cell.actor)
    gc_release(cell.ctx)
    cell.actor = None
    cell.ctx = None
    cell.factory = None
    cell.args = ()
    mb_free(cell)
    return 0


cdef inline int post(ActorRef cell, object msg, object token, double deadline, int level,
                     int via) except -1:
    """Sends one message; returns QUEUED, PARKED or NOT_QUEUED."""
    if token is not None and type(token) is ControlToken:
        cell.rt.n_control_sent += 1     # the runtime's own message: outside the user's ledger
    else:
        cell.rt.n_sent += 1
    if cell.phase >= P_STOPPING or cell.flags & CF_CLOSING:
        return undeliverable(cell, msg, token, via)
    if cell.table.lookup(type(msg)) is None:
        return unhandled(cell, msg, token, via)
    return enqueue(cell, msg, token, deadline, level, via)


cdef inline int enqueue(ActorRef cell, object msg, object token, double deadline, int level,
                        int via) except -1:
    """The second half of `post`, for a message already admitted: backpressure, then wake-up."""
    cdef Slot evicted
    cdef int status = offer(cell, msg, token, deadline, level, &evicted)
    if status != PUSH_OK:
        if status != PUSH_EVICTED:
            return refused(cell, status, msg, token, via)
        evict(cell, &evicted, via)
    if cell.sched == S_IDLE:
        if via == VIA_FOREIGN:
            cell.rt.schedule_threadsafe(cell)
        else:
            cell.rt.schedule(cell)
    return QUEUED


cdef inline int offer(ActorRef cell, object msg, object token, double deadline, int level,
                      Slot* evicted) except -1:
    """Queues one message under the mailbox's backpressure rule; returns a PUSH_* status."""
    cdef PyObject* tok = <PyObject*>token if token is not None else NULL
    cdef unsigned int count = mb_count(cell)
    if cell.capacity < 0 or (count < <unsigned int>cell.capacity and cell.n_putters == 0):
        if mb_push(cell, <PyObject*>msg, tok, deadline, level) < 0:
            raise MemoryError()
        if count + 1 > cell.max_mailbox:
            cell.max_mailbox = count + 1
            if count + 1 >= 10000 and is_watermark(count + 1):
                # Reported from the loop, later: this may be a foreign thread's tell.
                cell.rt.loop.call_soon_threadsafe(
                    _high_watermark, cell.rt, cell, count + 1, context=cell.rt.sys_ctx)
        return PUSH_OK
    if cell.bp == BP_DROP_NEWEST:
        return PUSH_DROPPED
    if cell.bp == BP_DROP_OLDEST and count > 0:
        mb_pop_oldest(cell, evicted)
        if mb_push(cell, <PyObject*>msg, tok, deadline, level) < 0:
            raise MemoryError()
        return PUSH_EVICTED
    return PUSH_FULL


cdef int undeliverable(ActorRef cell, object msg, object token, int via) except -1:
    """A message for a stopped or stopping actor: a dead letter, or a failed ask."""
    cdef Runtime rt = cell.rt
    if not rt._running and via != VIA_PUBLISH:
        if token is not None and type(token) is AskFuture:
            (<AskFuture>token).booked = True
        if token is not None and type(token) is ControlToken:
            rt.n_control_dropped += 1
        else:
            rt.n_rejected += 1
        raise SystemNotRunningError(
            f"the actor system has shut down; {type(msg).__name__} for {cell.display_name()} "
            "was not sent (start a new ActorSystem to keep working)",
            actor=cell.display_name(), message=msg,
        )
    if cell.flags & CF_START_FAILED:
        reason = "start_failed"
        error = ActorStartError(
            f"{cell.display_name()} failed to start; {type(msg).__name__} was not delivered "
            "(see the cause, or await ref.ready() before sending)",
            actor=cell.display_name(), message=msg,
        )
        if cell.extra is not None and cell.extra.start_error is not None:
            error.__cause__ = cell.extra.start_error
    else:
        reason = "shutdown" if cell.flags & CF_SHUTDOWN or not rt._running else "stopped"
        error = None if via == VIA_FOREIGN else cell.stopped_error(msg)
    if via == VIA_FOREIGN:
        rt.n_dead_letters += 1
        rt.loop.call_soon_threadsafe(_dead_letter, rt, msg, cell, reason)
        return NOT_QUEUED
    drop_message(cell, msg, token, reason, error)
    return NOT_QUEUED


cdef int unhandled(ActorRef cell, object msg, object token, int via) except -1:
    """No handler for the message's type: the sender hears it, or the copy is dead-lettered."""
    if via == VIA_RUNTIME or via == VIA_PUBLISH:
        drop_message(cell, msg, token, "unhandled", cell.unhandled_error(msg))
        return NOT_QUEUED
    cell.rt.n_rejected += 1
    raise cell.unhandled_error(msg)


cdef int refused(ActorRef cell, int status, object msg, object token, int via) except -1:
    """A full mailbox (FAIL or BLOCK) or a dropped newest message: what the sender hears."""
    cdef Runtime rt = cell.rt
    cdef ActorRef sender
    if status == PUSH_FULL and cell.bp == BP_BLOCK:
        if via == VIA_ASK:
            park(cell, msg, token, None, None)   # the ask's own deadline still runs
            return PARKED
        if via == VIA_SEND:
            park(cell, msg, None, rt.loop.create_future(), None)
            return PARKED
        if via == VIA_TELL:
            sender = running_actor(rt)
            if sender is not None:
                # Backpressure through actors: the message is accepted and its sender waits
                # (takes no next message) until it is queued (see park_sender).
                park_sender(cell, sender, msg)
                return PARKED
    details = {"policy": _BACKPRESSURE_NAMES[cell.bp], "message_type": type(msg).__name__}
    if via == VIA_FOREIGN:
        rt.loop.call_soon_threadsafe(rt.emit, EV_MAILBOX_OVERFLOW, cell, details, context=rt.sys_ctx)
    else:
        rt.emit(EV_MAILBOX_OVERFLOW, cell, details)
    if status == PUSH_FULL and (via == VIA_TELL or via == VIA_FOREIGN or via == VIA_SEND):
        rt.n_rejected += 1
        raise cell.mailbox_full_error(msg, False)
    if via == VIA_FOREIGN:
        rt.n_dead_letters += 1
        rt.loop.call_soon_threadsafe(_dead_letter, rt, msg, cell, "mailbox_full")
        return NOT_QUEUED
    drop_message(cell, msg, token, "mailbox_full", cell.mailbox_full_error(msg, False))
    return NOT_QUEUED


cdef int evict(ActorRef cell, Slot* evicted, int via) except -1:
    """DROP_OLDEST made room: the evicted message becomes a dead letter (a failed ask)."""
    cdef Runtime rt = cell.rt
    old_msg = <object>evicted.msg
    _decref(evicted.msg)
    old_token = None
    if evicted.token != NULL:
        old_token = <object>evicted.token
        _decref(evicted.token)
    if via == VIA_FOREIGN:
        # Futures and dead letters belong to the loop's thread: settle the evicted one there.
        rt.loop.call_soon_threadsafe(_settle_evicted, cell, old_msg, old_token, context=rt.sys_ctx)
    else:
        _settle_evicted(cell, old_msg, old_token)
    return 0


def _settle_evicted(ActorRef cell not None, msg, token):
    cell.rt.emit(EV_MAILBOX_OVERFLOW, cell, {"policy": "DROP_OLDEST", "message_type": type(msg).__name__})
    drop_message(cell, msg, token, "mailbox_full", cell.mailbox_full_error(msg, True))


# -- parked senders: a full BLOCK mailbox makes its senders wait, in order ----------------------
# A parked entry is (message, token, waiter, sender): an ask parks its own future (its deadline
# still runs); `await send()` parks on a waiter future; a tell from a running actor parks that
# actor. As the actor frees room, `admit` moves the oldest entries into the mailbox, so no later
# message overtakes a parked one.

cdef int park(ActorRef cell, object msg, object token, object waiter, ActorRef sender) except -1:
    cdef CellExtra extra = cell.get_extra()
    if extra.putters is None:
        extra.putters = _deque()
    extra.putters.append((msg, token, waiter, sender))
    cell.n_putters += 1
    return 0


cdef ActorRef running_actor(Runtime rt):
    """The actor whose handler is running now: a synchronous one (or an async handler's eager
    first step), else the async handler whose Task is current; None outside actors."""
    if rt.current is not None:
        return rt.current
    if rt._busy:
        return rt._busy.get(_current_task(rt.loop))
    return None


cdef int park_sender(ActorRef target, ActorRef sender, object msg) except -1:
    """Parks `sender` behind `target`'s full mailbox, unless that closes a cycle of parked
    actors (each waiting for another to take a message): that is a deadlock, refused now."""
    cdef CellExtra extra
    if waits_for(target, sender):
        target.rt.n_rejected += 1
        if target is sender:
            why = "that is its own mailbox, which only it can empty"
        else:
            why = (f"{target.display_name()} itself waits (directly or through others) for room "
                   f"that only {sender.display_name()} can make")
        raise DeadlockError(
            f"{sender.display_name()} told {type(msg).__name__} to {target.display_name()}, whose "
            f"BLOCK mailbox is full, but {why}: waiting would never end. Break the cycle: give "
            "one of them a larger or unbounded mailbox, or let one direction drop messages "
            "(DROP_OLDEST or DROP_NEWEST)",
            actor=sender.display_name(), message=msg,
        )
    park(target, msg, None, None, sender)
    extra = sender.get_extra()
    if extra.waiting_for is None:
        extra.waiting_for = {}
    extra.waiting_for[target] = extra.waiting_for.get(target, 0) + 1
    sender.flags |= CF_PARKED
    return 0


cdef bint waits_for(ActorRef start, ActorRef sender) except -1:
    """True if `start` is `sender`, or is parked waiting (transitively) on `sender`."""
    cdef ActorRef cell
    cdef list stack = [start]
    cdef set seen = set()
    while stack:
        cell = <ActorRef>stack.pop()
        if cell is sender:
            return True
        if cell.flags & CF_PARKED and cell not in seen:
            seen.add(cell)
            stack.extend(cell.extra.waiting_for)
    return False


cdef int unpark_sender(ActorRef sender, ActorRef target) except -1:
    """One of `sender`'s parked messages reached `target` (or was settled): when none is left,
    the sender takes messages again."""
    cdef CellExtra extra = sender.extra
    cdef dict waiting = extra.waiting_for
    left = waiting.get(target, 1) - 1
    if left > 0:
        waiting[target] = left
        return 0
    waiting.pop(target, None)
    if waiting:
        return 0
    extra.waiting_for = None
    sender.flags &= ~CF_PARKED
    if sender.sched == S_IDLE and sender.has_work():
        sender.rt.schedule(sender)
    return 0


cdef int admit(ActorRef cell) except -1:
    """The actor freed room: move the oldest parked senders' messages into the mailbox."""
    cdef object putters = cell.extra.putters
    cdef ActorRef sender
    while putters and (cell.capacity < 0 or mb_count(cell) < <unsigned int>cell.capacity):
        msg, token, waiter, sender = putters.popleft()
        cell.n_putters -= 1
        if waiter is not None:
            if waiter.done():
                continue    # its send() was cancelled or timed out: already accounted
            waiter.set_result(None)
        elif token is not None and (type(token) is not AskFuture or (<AskFuture>token).fstate != F_PENDING):
            continue        # the ask timed out or was withdrawn while it waited: accounted
        force_push(cell, msg, token, False)
        if sender is not None:
            unpark_sender(sender, cell)
    return 0


cdef int force_push(ActorRef cell, object msg, object token, bint front) except -1:
    """Queues a message past the capacity check (an admitted sender, an unstashed message)."""
    cdef PyObject* tok = <PyObject*>token if token is not None else NULL
    cdef int rc
    if front:
        rc = mb_push_front(cell, <PyObject*>msg, tok, 0.0)
    else:
        rc = mb_push(cell, <PyObject*>msg, tok, 0.0, cell.check_level(None))
    if rc < 0:
        raise MemoryError()
    if mb_count(cell) > cell.max_mailbox:
        cell.max_mailbox = mb_count(cell)
    return 0



cdef inline bint eager_budget(Runtime rt) noexcept:
    """Whether an ask may still run eagerly in this stretch of the loop's time.

    Eager asks share the dispatcher's budget (messages and ~2 ms): a tight `await ref.ask()`
    loop, which never yields by itself, gets a queued ask now and then and lets the loop run.
    The dispatcher renews the budget as it starts. Outside it, a spent budget is renewed only
    if the loop's thread has mostly been idle since it was given -- it waited for I/O, so the
    loop has turned -- else the first ask after any idle moment would be queued for want of a
    fresh budget, while code that keeps the thread busy between asks still yields in time.
    """
    cdef long long now = monotonic_ns()
    if rt.budget > 0 and now < rt.budget_deadline_ns:
        return True
    if rt.current is not None:
        return False    # inside the dispatcher's visit: its budget is the one that counts
    if (thread_cpu_ns() - rt.window_cpu_ns) * 2 > now - rt.window_ns:
        return False
    renew_budget(rt, now)
    return True


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
    if token is not None and type(token) is ControlToken:
        rt.n_control_handled -= 1
        return msg, token
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
    if type(token) is AskFuture:
        if not (<AskFuture>token)._settle(result, None):
            _late_reply(cell.rt, cell, result)
    elif type(token) is ControlToken:
        (<ControlToken>token).answer(result, None)
    return 0


cdef int settle_error(ActorRef cell, object token, object error) except -1:
    if type(token) is AskFuture:
        if not (<AskFuture>token)._settle(None, error):
            _late_reply(cell.rt, cell, error)
    elif type(token) is ControlToken:
        (<ControlToken>token).answer(None, error)
    return 0


@cython.final
cdef class ControlToken:
    """Marks a message the runtime sends itself: a notice (`Terminated`, `ReceiveTimeout`, an
    `Event` for a subscribed actor, a supervisor's child report) or a request behind a
    `SupervisorRef` method. Such messages run through the ordinary handler path but are counted
    as control traffic (``Runtime.n_control_*``), so the user's ledger counts the user's
    messages only. A request carries `reply`, a loop future for its handler's answer (or the
    error, if the message is dropped); a notice has none and shares the one `NOTICE` token.
    """

    def __init__(self, reply=None):
        self.reply = reply

    cdef int answer(self, object result, object error) except -1:
        reply = self.reply
        if reply is None or reply.done():
            return 0    # a notice, or the requester stopped waiting
        if error is not None:
            reply.set_exception(error)
        else:
            reply.set_result(result)
        return 0

    cdef bint withdrawn(self) except -1:
        """True for a request whose requester stopped waiting before its handler started."""
        return self.reply is not None and self.reply.done()


NOTICE = ControlToken()


def _control_request(ActorRef cell not None, msg, str what not None):
    """Sends `msg` to `cell` as control traffic and returns a loop future for its handler's
    answer (the requests behind SupervisorRef's methods). Loop thread only."""
    cdef Runtime rt = cell.rt
    if rt is None:
        raise _not_a_ref()
    if PyThread_get_thread_ident() != rt.thread_id:
        raise wrong_thread(what, rt, cell, None, _CORO_FIX)
    if not rt._running:
        raise SystemNotRunningError(
            f"the actor system has shut down; {what}() on {cell.display_name()} cannot run "
            "(start a new ActorSystem to keep working)",
            actor=cell.display_name(),
        )
    reply = rt.loop.create_future()
    cell._deliver(msg, ControlToken(reply))
    return reply


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
    if type(token) is ControlToken:
        # The runtime's own message: nobody sent it, so it is no dead letter. A requester
        # learns why its request was not handled.
        rt.n_control_dropped += 1
        (<ControlToken>token).answer(
            None, error if error is not None else cell.stopped_error(msg))
        return None
    rt.n_dead_letters += 1
    _dead_letter(rt, msg, cell, reason)
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


def _ask_pending(token):
    """True if `token` is an ask still waiting for its answer."""
    return type(token) is AskFuture and (<AskFuture>token).fstate == F_PENDING


cdef double ttl_deadline(Runtime rt, object ttl) except -1.0:
    """The loop time after which a message sent now with `ttl` has expired."""
    return rt.now() + check_timeout(ttl, "ttl")


cdef Py_ssize_t count_messages(Ring* r, bint control) noexcept:
    """The user's messages in `r` (or, with `control`, the runtime's own), not counting
    control markers."""
    cdef unsigned int i
    cdef Py_ssize_t n = 0
    cdef PyObject* token
    for i in range(r.count):
        token = r.slots[(r.head + i) & (r.size - 1)].token
        if token == NULL:
            n += not control
        elif type(<object>token) is ControlToken:
            n += control
        elif type(<object>token) is not Marker:
            n += not control
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
    if msg is None:
        return f"{what}() on {target.display_name()}:"
    return f"{what}({type(msg).__name__}) to {target.display_name()}:"


def _check_timeout(timeout, what, target=None, msg=None):
    """Validates a timeout in seconds (None is the caller's business)."""
    return check_timeout(timeout, what, target, msg)


# The fixes named by the WrongThreadError of loop-only calls.
cdef str _SYNC_FIX = (
    "call it on the loop's thread: from other threads, schedule it with "
    "system.loop.call_soon_threadsafe(...), or tell an actor to do it"
)
cdef str _CORO_FIX = (
    "await it on the loop: from other threads, "
    "asyncio.run_coroutine_threadsafe(coro, system.loop).result()"
)


def _check_thread(Runtime rt not None, str what not None, ActorRef target=None, bint coroutine=False):
    """Raises WrongThreadError unless called on the thread `rt` runs on (for loop-only calls;
    a system that was never started has no thread yet, and passes)."""
    if rt.thread_id != 0 and PyThread_get_thread_ident() != rt.thread_id:
        raise wrong_thread(what, rt, target, None, _CORO_FIX if coroutine else _SYNC_FIX)


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
