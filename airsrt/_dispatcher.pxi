# Runtime: the compiled half of an ActorSystem. It owns the dispatcher (one run queue of cells,
# drained by a single loop callback), the heap of ask deadlines (one loop timer for all asks),
# the ledger counters and the event counters. Everything here runs per message; every decision
# (what a failure means, how an actor stops) is a call through the seam (see _install_seam).

from cpython.mem cimport PyMem_Realloc, PyMem_Free
from libc.stdlib cimport strtoll
from libc.stdio cimport snprintf
from posix.fcntl cimport open as posix_open, O_RDONLY
from posix.unistd cimport read as posix_read, close as posix_close
from cpython.exc cimport PyErr_Fetch, PyErr_Restore

# Event kinds: the index is the id counted in C; the severity (logging levels, TRACE = 5)
# decides whether an event object is built at all (only if someone listens at that level).
EVENT_KINDS = (
    ("actor.spawned", 10),
    ("actor.started", 10),
    ("actor.stopped", 20),
    ("actor.failed", 40),
    ("actor.restarted", 30),
    ("actor.abandoned", 40),
    ("supervisor.child_failed", 40),
    ("supervisor.strategy_applied", 20),
    ("supervisor.restart_limit_exceeded", 50),
    ("supervisor.escalated", 40),
    ("mailbox.overflow", 30),
    ("message.dead_letter", 20),
    ("broker.subscribed", 10),
    ("broker.unsubscribed", 10),
    ("system.started", 20),
    ("system.stopped", 20),
    ("message.received", 5),
    ("message.processed", 5),
    ("supervisor.health_check_failed", 30),
    ("broker.subscriber_failed", 40),
    ("message.expired", 20),
    ("actor.slow_handler", 30),
    ("mailbox.high_watermark", 30),
)

cdef enum:
    EV_ACTOR_SPAWNED = 0
    EV_ACTOR_STARTED = 1
    EV_ACTOR_STOPPED = 2
    EV_ACTOR_FAILED = 3
    EV_ACTOR_RESTARTED = 4
    EV_ACTOR_ABANDONED = 5
    EV_SUPERVISOR_CHILD_FAILED = 6
    EV_SUPERVISOR_STRATEGY_APPLIED = 7
    EV_SUPERVISOR_LIMIT = 8
    EV_SUPERVISOR_ESCALATED = 9
    EV_MAILBOX_OVERFLOW = 10
    EV_DEAD_LETTER = 11
    EV_BROKER_SUBSCRIBED = 12
    EV_BROKER_UNSUBSCRIBED = 13
    EV_SYSTEM_STARTED = 14
    EV_SYSTEM_STOPPED = 15
    EV_MESSAGE_RECEIVED = 16
    EV_MESSAGE_PROCESSED = 17
    EV_SLOW_HANDLER = 21
    EV_HIGH_WATERMARK = 22
    N_EVENT_KINDS = 23

cdef int[N_EVENT_KINDS] _severity
for _i, (_kind, _sev) in enumerate(EVENT_KINDS):
    _severity[_i] = _sev

# A root-level cell owns the top-level actors; it is never scheduled and has no instance.
cdef HandlerTable _ROOT_TABLE = HandlerTable("guardian", {})


cdef inline long long monotonic_ns() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1000000000LL + ts.tv_nsec


cdef extern from "<time.h>" nogil:
    int CLOCK_THREAD_CPUTIME_ID


cdef inline long long thread_cpu_ns() noexcept nogil:
    """CPU time the calling thread has used."""
    cdef timespec ts
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return ts.tv_sec * 1000000000LL + ts.tv_nsec


cdef inline int renew_budget(Runtime rt, long long now) noexcept:
    """A fresh budget of messages and time, shared by the dispatcher and eager asks."""
    cdef long long span = <long long>(rt.batch_seconds * 1e9)
    rt.budget = rt.batch_limit
    rt.budget_deadline_ns = now + span
    # The window eager_budget's idle test measures from. Reading the thread's CPU clock is a
    # system call (there is no vDSO for it), and the dispatcher renews the budget on every
    # turn (one per queued ask): a window younger than one budget span is kept as it is.
    if now - rt.window_ns >= span:
        rt.window_ns = now
        rt.window_cpu_ns = thread_cpu_ns()
    return 0


cdef long long runqueue_wait_ns(const char* path) noexcept nogil:
    """Nanoseconds the thread whose schedstat file is `path` has spent ready to run but waiting
    for a CPU (Linux's /proc/<pid>/task/<tid>/schedstat, second field); -1 where unknown."""
    cdef char buf[96]
    cdef int fd
    cdef ssize_t n
    cdef char* p
    if path[0] == 0:
        return -1
    fd = posix_open(path, O_RDONLY)
    if fd < 0:
        return -1
    n = posix_read(fd, buf, sizeof(buf) - 1)
    posix_close(fd)
    if n <= 0:
        return -1
    buf[n] = 0
    p = buf
    while p[0] != 0 and p[0] != 32:     # skip the first field (time on the CPU)
        p += 1
    return strtoll(p, NULL, 10)


# -- calling a sync handler, with the loop-blocking watchdog's bookkeeping -----------------------

cdef inline PyObject* call_handler(Runtime rt, HandlerEntry entry, ActorRef cell, object msg) except NULL:
    """``entry.func(actor, msg)``: a new reference to the result, or NULL with the exception set.

    Around the call, two counters tell the watchdog thread (Runtime._watchdog) which handler
    runs; no clock is read here. Raw vectorcall keeps the path free of exception-state saving.
    """
    cdef PyObject* args[3]
    cdef PyObject* res
    cdef unsigned long long seq
    rt.wd_depth += 1
    rt.wd_seq += 1
    seq = rt.wd_seq
    args[0] = NULL
    args[1] = <PyObject*>cell.actor
    args[2] = <PyObject*>msg
    res = vectorcall_raw(entry.func, args + 1, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL)
    rt.wd_depth -= 1
    rt.wd_seq += 1
    # The watchdog flags whatever handler was running at its tick: this one, if the flag was
    # raised after it started (an eager ask nested inside it has already returned).
    if rt.wd_stuck != 0 and rt.wd_stuck >= seq:
        rt.wd_stuck = 0
        if report_slow(rt, cell, msg, res) < 0:
            return NULL
    return res


cdef int report_slow(Runtime rt, ActorRef cell, object msg, PyObject* res) except -1:
    """Reports a handler the watchdog flagged; in strict mode a success becomes the error."""
    cdef long long ran_ns = monotonic_ns() - rt.wd_since_ns
    cdef long long wait_ns = runqueue_wait_ns(rt.wd_schedstat)
    cdef double lag
    if wait_ns >= 0 and rt.wd_since_wait >= 0:
        ran_ns -= wait_ns - rt.wd_since_wait    # the time it could have run (see _watchdog)
    lag = ran_ns * 1e-9
    cdef PyObject* etype
    cdef PyObject* evalue
    cdef PyObject* etb
    if res == NULL:
        # The handler raised: report, but its own exception is the one that propagates.
        PyErr_Fetch(&etype, &evalue, &etb)
        try:
            _slow_handler(rt, cell, msg, lag, True)
        except BaseException:
            pass
        PyErr_Restore(etype, evalue, etb)
        return 0
    try:
        _slow_handler(rt, cell, msg, lag, False)
    except BaseException:
        _decref(res)
        raise
    return 0


cdef class Runtime:
    """Compiled base of `airsrt.ActorSystem` (the dispatcher and the ledger)."""

    def __cinit__(self, *args, **kwargs):
        self.throughput = 64
        self.batch_limit = 8192
        self.batch_seconds = 0.002
        self.eager_depth_limit = 16
        self.eager_asks = True
        self._default_timeout = 30.0
        self._default_capacity = -1
        self._default_bp = BP_BLOCK
        self._busy = {}
        self._names = {}
        self.event_threshold = 20
        self.heap = NULL
        self._quiet_stops = True

    def __dealloc__(self):
        cdef Py_ssize_t i
        for i in range(self.heap_len):
            _decref(self.heap[i])
        PyMem_Free(self.heap)
        self.heap = NULL

    # -- lifecycle of the runtime itself ---------------------------------------------------

    def _bind(self, loop):
        """Binds the runtime to the running loop and this thread; creates the root cell."""
        cdef ActorRef root
        self.loop = loop
        # asyncio's own loops define time() as time.monotonic(), i.e. CLOCK_MONOTONIC: read it
        # directly then (a loop that overrides time(), like a virtual clock, is still asked).
        self.std_clock = getattr(type(loop), "time", None) is _BaseEventLoop.time
        self.sys_ctx = _copy_context()
        self.thread_id = PyThread_get_thread_ident()
        snprintf(self.wd_schedstat, sizeof(self.wd_schedstat), "/proc/self/task/%ld/schedstat",
                 <long>_native_thread_id())
        self.run_cb = self._run
        self.deadline_cb = self._on_deadline
        self.call_soon_fn = loop.call_soon
        self.call_at_fn = loop.call_at
        renew_budget(self, monotonic_ns())
        root = ActorRef.__new__(ActorRef)
        root.rt = self
        root.table = _ROOT_TABLE
        root.get_extra().name = "guardian"
        root.phase = P_ALIVE
        root.incarnation_ = 1
        self._root = root
        self._running = True

    def _unbind(self):
        """Stops accepting work and cancels the deadline timer (end of shutdown).

        Cells are not tracked by the cyclic GC, so the one cycle left between the system and
        its root cell is broken here; stopped refs that users keep still reach the system.
        """
        self._running = False
        self.wd_on = False
        if self._root is not None and self._root.extra is not None:
            self._root.extra.first_child = None
            self._root.extra.last_child = None
        if self._root is not None:
            self._root.rt = None
        if self.deadline_handle is not None:
            self.deadline_handle.cancel()
            self.deadline_handle = None

    def _pending_asks(self):
        """The asks still waiting on a deadline (for shutdown's final sweep)."""
        return [<object>self.heap[i] for i in range(self.heap_len)]

    # -- the loop-blocking watchdog ----------------------------------------------------------

    def _watchdog(self, double limit):
        """The watchdog thread's body: returns once the runtime is unbound.

        It runs without the GIL, so it costs the loop nothing; every quarter of `limit` it
        looks at the handler counters. A handler still running at two ticks `limit` apart is
        flagged, and the loop thread reports it as soon as the handler returns (nothing can
        be reported while the loop is blocked). The lag reported is measured from the tick
        before the handler started, so it errs by at most a quarter of the limit, upwards.

        Only time the loop's thread could have run counts: where Linux tells how long a thread
        waited for a CPU (its schedstat), that wait is left out, so a busy machine -- other
        processes taking the cores -- does not make a quick handler look slow.
        """
        cdef long long limit_ns = <long long>(limit * 1e9)
        cdef long long tick_ns = min(max(limit_ns // 4, 1000000), 50000000)
        cdef long long now_ns, prev_tick, since = 0
        cdef long long wait_ns, prev_wait, since_wait = 0, ran_ns
        cdef unsigned long long seen = 0, seq
        cdef timespec pause
        pause.tv_sec = tick_ns // 1000000000
        pause.tv_nsec = tick_ns % 1000000000
        self.wd_limit_ns = limit_ns
        self.wd_on = True
        with nogil:
            prev_tick = monotonic_ns()
            prev_wait = runqueue_wait_ns(self.wd_schedstat)
            while self.wd_on:
                nanosleep(&pause, NULL)
                now_ns = monotonic_ns()
                wait_ns = runqueue_wait_ns(self.wd_schedstat)
                seq = self.wd_seq
                if seq != seen or self.wd_depth <= 0:
                    seen = seq
                    since = prev_tick   # what runs now began after the previous tick
                    since_wait = prev_wait
                else:
                    ran_ns = now_ns - since
                    if wait_ns >= 0 and since_wait >= 0:
                        ran_ns -= wait_ns - since_wait
                    if ran_ns >= limit_ns and self.wd_stuck != seq:
                        self.wd_since_ns = since
                        self.wd_since_wait = since_wait
                        self.wd_stuck = seq
                prev_tick = now_ns
                prev_wait = wait_ns

    cdef double now(self) except? -1.0:
        """The loop's time (what call_at and asyncio timeouts use)."""
        if self.std_clock:
            return monotonic_ns() * 1e-9
        return self.loop.time()

    # -- spawning --------------------------------------------------------------------------

    def spawn(self, factory, *args, name=None, mailbox=None):
        """Starts an actor and returns its ref (synchronous; the loop's thread only).

        Args:
            factory: An Actor subclass, or a callable returning an Actor instance (use
                ``functools.partial`` for keyword arguments).
            *args: Positional arguments for the factory; kept for restarts.
            name: Registers the actor for `lookup`; must be unique among live actors.
            mailbox: A `Mailbox`; defaults to the system's ``default_mailbox``.

        Returns:
            The new actor's `ActorRef`. ``on_start`` runs before its first message;
            ``await ref.ready()`` waits for it.

        Raises:
            NameTakenError: `name` belongs to a live actor.
            ActorStartError: The factory raised (the cause is attached).
            SystemNotRunningError: The system was never started (``async with ActorSystem()
                as system:`` or ``system.start()`` starts it), or it has shut down.
            WrongThreadError: Called from a thread other than the loop's.
        """
        if not self._running:
            _not_running(self, "spawn")   # raises: never started, or shut down
        return self.spawn_cell(self._root, factory, args, name, mailbox, ActorRef)

    def _spawn(self, ActorRef parent not None, factory, tuple args, name, mailbox,
               type cls not None=ActorRef):
        """Spawns under `parent` with cell class `cls` (context.spawn, supervisors)."""
        return self.spawn_cell(parent, factory, args, name, mailbox, cls)

    cdef ActorRef spawn_cell(self, ActorRef parent, object factory, tuple args, object name,
                             object mailbox, type cls):
        cdef ActorRef cell
        cdef HandlerTable table
        cdef PyObject* hit
        if not self._running:
            _not_running(self, "spawn")
        if parent is None:
            raise SystemNotRunningError("the actor system has not been started")
        if PyThread_get_thread_ident() != self.thread_id:
            raise wrong_thread(
                "spawn", self, None, None,
                f"spawning {getattr(factory, '__name__', factory)!r} must happen on the loop (from "
                "another thread, tell an actor to spawn it for you)",
            )
        if parent.phase >= P_STOPPING:
            raise ActorStoppedError(
                f"{parent.display_name()} is stopping; it cannot spawn children",
                actor=parent.display_name(),
            )
        if name is not None:
            if type(name) is not str or not name:
                raise ConfigurationError(f"actor name must be a non-empty str, got {name!r}")
            if name in self._names:
                raise NameTakenError(
                    f"an actor named {name!r} is already running; pick another name, or stop "
                    "it first (names are free again once the actor has stopped)",
                    actor=name,
                )
        cell = <ActorRef>cls.__new__(cls)
        cell.rt = self
        self.next_uid += 1
        cell.uid = self.next_uid
        cell.incarnation_ = 1
        if name is not None:
            cell.get_extra().name = name
        if mailbox is None:
            cell.capacity = self._default_capacity
            cell.bp = self._default_bp
        else:
            cell.capacity, cell.bp, levels = mailbox._core_config()
            if levels:
                cell.levels = <Ring*>PyMem_Calloc(levels, sizeof(Ring))
                if cell.levels == NULL:
                    raise MemoryError()
                cell.nlevels = levels
        hit = PyDict_GetItem(_tables, factory)
        if hit != NULL:
            cell.table = <HandlerTable>hit     # names the actor while __init__ runs
        actor = construct_actor(cell, factory, args)
        table = table_for(type(actor))
        gc_own(actor)
        cell.actor = actor
        cell.table = table
        cell.factory = factory
        cell.args = args
        cell._link(parent)
        if name is not None:
            self._names[name] = cell
        self.n_spawned += 1
        if self.count_event(EV_ACTOR_SPAWNED):
            _publish_event(self, EV_ACTOR_SPAWNED, cell, None)
        if table.has_on_start:
            cell.phase = P_STARTING
            cell.flags |= CF_START_DUE  # the lane's first step, without a lane to allocate
            self.schedule(cell)
        else:
            cell.phase = P_ALIVE
            cell.flags |= CF_STARTED | CF_READY
            if self.count_event(EV_ACTOR_STARTED):
                _publish_event(self, EV_ACTOR_STARTED, cell, None)
        return cell

    # -- the dispatcher --------------------------------------------------------------------

    cdef int schedule(self, ActorRef cell) except -1:
        cell.sched = S_SCHEDULED
        if self.rq_tail is None:
            self.rq_head = cell
        else:
            self.rq_tail.next_ready = cell
        self.rq_tail = cell
        if not self.armed:
            self.armed = True
            try:
                call1_with_context(self.call_soon_fn, self.run_cb, self.sys_ctx)
            except BaseException:
                self.armed = False
                raise
        return 0

    cdef int schedule_threadsafe(self, ActorRef cell) except -1:
        cell.sched = S_SCHEDULED
        if self.rq_tail is None:
            self.rq_head = cell
        else:
            self.rq_tail.next_ready = cell
        self.rq_tail = cell
        if not self.armed:
            # Only the first tell of a burst pays for a wake-up: until the dispatcher has run,
            # `armed` stays set and later pushes only join the run queue.
            self.armed = True
            try:
                self.loop.call_soon_threadsafe(self.run_cb, context=self.sys_ctx)
            except BaseException:
                self.armed = False
                raise
        return 0

    def _run(self):
        """The dispatcher: drains ready cells until the queue is empty or the budget is spent."""
        cdef ActorRef cell
        cdef long long deadline_ns
        cdef unsigned int visits = 0
        deadline_ns = monotonic_ns() + <long long>(self.batch_seconds * 1e9)
        renew_budget(self, deadline_ns - <long long>(self.batch_seconds * 1e9))
        try:
            while self.rq_head is not None:
                cell = self.rq_head
                self.rq_head = cell.next_ready
                if self.rq_head is None:
                    self.rq_tail = None
                cell.next_ready = None
                if cell.sched != S_SCHEDULED:
                    continue
                self.budget -= self.drain(cell)
                if self.budget <= 0:
                    break
                visits += 1
                if (visits & 15) == 0 and monotonic_ns() > deadline_ns:
                    break
        finally:
            # Re-arm in a finally so that nothing a handler does can strand the run queue.
            if self.rq_head is not None:
                call1_with_context(self.call_soon_fn, self.run_cb, self.sys_ctx)
            else:
                self.armed = False

    cdef Py_ssize_t drain(self, ActorRef cell) except -1:
        """One visit: control steps first, then up to `throughput` user messages."""
        cdef Py_ssize_t n = 0
        cdef Slot slot
        cdef HandlerEntry entry
        cdef AskFuture fut
        cdef ActorRef previous = self.current
        cdef PyObject* previous_msg = self.cur_msg
        cdef PyObject* previous_token = self.cur_token
        cdef object ctx = cell.ctx
        cdef object msg
        cdef object token
        cdef object tt
        cdef bint resume
        cdef long long started_ns = 0
        cdef PyObject* raw
        if ctx is None:
            ctx = new_context(self)
            cell.ctx = ctx
        PyContext_Enter(ctx)
        cell.sched = S_RUNNING
        cell.flags |= CF_ON_STACK
        self.current = cell
        try:
            while n < self.throughput:
                if cell.flags & (CF_OWN_STOP | CF_START_DUE) or cell.n_control:
                    n += 1
                    if cell.flags & CF_START_DUE:
                        cell.flags &= ~CF_START_DUE
                        run_start(cell)
                    else:
                        if cell.flags & CF_OWN_STOP:
                            cell.flags &= ~CF_OWN_STOP
                            item = _OWN_STOP
                        else:
                            item = cell.extra.control.popleft()
                            cell.n_control -= 1
                        if item is _OWN_STOP and stays_quiet(cell, P_ALIVE):
                            stop_quietly(cell, False)
                            break
                        _run_control(self, cell, item)
                    if cell.sched != S_RUNNING or ctx is not cell.ctx:
                        break
                    continue
                if cell.phase != P_ALIVE or mb_count(cell) == 0 or cell.flags & CF_PARKED:
                    break
                mb_pop(cell, &slot)
                msg = <object>slot.msg
                _decref(slot.msg)
                token = None
                if slot.token != NULL:
                    token = <object>slot.token
                    _decref(slot.token)
                if cell.n_putters:
                    admit(cell)
                n += 1
                if token is not None:
                    tt = type(token)
                    if tt is AskFuture:
                        fut = <AskFuture>token
                        if fut.fstate != F_PENDING:
                            continue    # withdrawn or timed out: its outcome is booked
                        if fut.waiter is not None and withdrawn_by_waiter(fut):
                            continue
                    elif tt is TimerToken:
                        if (<TimerToken>token).cancelled:
                            self.n_withdrawn += 1
                            continue
                        (<TimerToken>token).queued = False
                    elif tt is Marker:
                        _run_control(self, cell, (<Marker>token).item)
                        if cell.sched != S_RUNNING or ctx is not cell.ctx:
                            break
                        continue
                    elif tt is ControlToken and (<ControlToken>token).withdrawn():
                        self.n_control_dropped += 1
                        continue
                if slot.deadline != 0.0 and self.now() > slot.deadline:
                    _expired(self, cell, msg, token)
                    continue
                entry = cell.table.lookup(type(msg))
                if entry is None:
                    # Only after a restart built a different class: the message was checked
                    # against the old one when it was sent.
                    drop_message(cell, msg, token, "unhandled", cell.unhandled_error(msg))
                    continue
                # A tell pays no more than before: its token is None.
                if token is None:
                    cell.processed += 1
                    self.n_handled += 1
                elif tt is ControlToken:
                    self.n_control_handled += 1     # the runtime's own message: not the user's
                else:
                    if tt is AskFuture:
                        fut.started = True
                        fut.booked = True
                    cell.processed += 1
                    self.n_handled += 1
                if self.trace:
                    _received(self, cell, msg)
                if entry.is_async:
                    self.start_async(cell, entry, msg, token)
                    break
                self.cur_msg = <PyObject*>msg
                self.cur_token = <PyObject*>token
                if self.trace:
                    started_ns = monotonic_ns()
                try:
                    raw = call_handler(self, entry, cell, msg)
                    result = <object>raw
                    _decref(raw)    # `result` holds its own reference now
                except BaseException as exc:
                    cell.failed += 1
                    self.n_failures += 1
                    if self.trace:
                        _processed(self, cell, msg, monotonic_ns() - started_ns, exc)
                    if self.stashed_current:
                        self.unstash_booking(cell, token)
                    elif token is not None:
                        settle_error(cell, token, wrap_for_asker(cell, exc, msg))
                    resume = _handle_failure(self, cell, exc, msg)
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    if not resume or cell.sched != S_RUNNING or ctx is not cell.ctx:
                        break
                else:
                    if self.trace:
                        _processed(self, cell, msg, monotonic_ns() - started_ns, None)
                    if self.stashed_current:
                        self.unstash_booking(cell, token)
                    elif token is not None:
                        settle_result(cell, token, result)
                    if cell.sched != S_RUNNING:
                        break       # the handler made the actor busy (lifecycle.run_busy)
        finally:
            self.current = previous
            self.cur_msg = previous_msg
            self.cur_token = previous_token
            cell.flags &= ~CF_ON_STACK
            PyContext_Exit(ctx)
            # No Python code runs between the emptiness check and marking the cell idle, so a
            # push from another thread either sees RUNNING (and is drained by the re-queue
            # below) or sees IDLE (and schedules the cell itself).
            if cell.sched == S_RUNNING:
                if cell.has_work():
                    cell.sched = S_SCHEDULED
                    if self.rq_tail is None:
                        self.rq_head = cell
                    else:
                        self.rq_tail.next_ready = cell
                    self.rq_tail = cell
                else:
                    cell.sched = S_IDLE
                    mb_trim(cell)
                    if cell.flags & CF_IDLE_HOOK:
                        _on_idle(self, cell)
        return n

    cdef int unstash_booking(self, ActorRef cell, object token) except -1:
        """The handler stashed its message: it counts as not handled yet (it will be, later)."""
        self.stashed_current = False
        if token is not None and type(token) is ControlToken:
            self.n_control_handled -= 1
            return 0
        cell.processed -= 1
        self.n_handled -= 1
        if token is not None and type(token) is AskFuture:
            (<AskFuture>token).started = False
            (<AskFuture>token).booked = False
        return 0

    cdef int start_async(self, ActorRef cell, HandlerEntry entry, object msg, object token) except -1:
        """Runs an async handler in a Task of its own; the cell is busy until it ends.

        On 3.12+ the Task starts eagerly (``asyncio.Task(..., eager_start=True)``, public API
        since 3.12): its first step runs here, inside the dispatcher's visit, as a synchronous
        handler would -- the cell is still RUNNING and on the stack, so a self-ask is a
        deadlock, ``context.stop()`` waits for the Task, and ``context.stash()`` finds the
        message. A loop with a task factory keeps it; the factory decides when the Task starts
        (asyncio.eager_task_factory starts it here too).
        """
        cdef CellExtra extra = cell.get_extra()
        coro = entry.func(cell.actor, msg)
        extra.task_token = token
        extra.task_msg = msg
        if self.trace:
            extra.traced_since = monotonic_ns()
        # An eager Task enters the actor's context itself for its first step, so leave it
        # while the Task is made: ours, or one from a task factory that starts Tasks eagerly
        # (asyncio.eager_task_factory), which would otherwise fail to enter it.
        PyContext_Exit(cell.ctx)
        try:
            if _EAGER_TASKS and self.loop.get_task_factory() is None:
                task = _Task(coro, loop=self.loop, context=cell.ctx, eager_start=True)
            else:
                task = self.loop.create_task(coro, context=cell.ctx)
        finally:
            PyContext_Enter(cell.ctx)
        cell.sched = S_BUSY
        extra.task = task
        self._busy[task] = cell
        task.add_done_callback(cell._on_task_done, context=self.sys_ctx)
        return 0

    # -- ask deadlines: one heap, one loop timer -------------------------------------------

    cdef int heap_push(self, AskFuture fut) except -1:
        cdef Py_ssize_t i, parent
        cdef PyObject** grown
        cdef AskFuture other
        if self.heap_len == self.heap_cap:
            grown = <PyObject**>PyMem_Realloc(
                self.heap, (self.heap_cap * 2 + 16) * sizeof(PyObject*))
            if grown == NULL:
                raise MemoryError()
            self.heap = grown
            self.heap_cap = self.heap_cap * 2 + 16
        i = self.heap_len
        self.heap_len += 1
        _incref(<PyObject*>fut)
        # Sift up; with one default timeout, deadlines arrive in order and this stops at once.
        while i > 0:
            parent = (i - 1) >> 1
            other = <AskFuture>self.heap[parent]
            if other.deadline <= fut.deadline:
                break
            self.heap[i] = self.heap[parent]
            other.hindex = i
            i = parent
        self.heap[i] = <PyObject*>fut
        fut.hindex = i
        if i == 0:
            self.arm_deadline()
        return 0

    cdef int heap_remove(self, AskFuture fut) except -1:
        cdef Py_ssize_t i = fut.hindex
        cdef Py_ssize_t n, child, parent
        cdef AskFuture last, other
        if i < 0:
            return 0
        self.heap_len -= 1
        n = self.heap_len
        fut.hindex = -1
        if i != n:
            last = <AskFuture>self.heap[n]
            # Sift `last` down from i, then up (it may be smaller than i's parent).
            while True:
                child = 2 * i + 1
                if child >= n:
                    break
                if child + 1 < n and (<AskFuture>self.heap[child + 1]).deadline < (<AskFuture>self.heap[child]).deadline:
                    child += 1
                other = <AskFuture>self.heap[child]
                if other.deadline >= last.deadline:
                    break
                self.heap[i] = self.heap[child]
                other.hindex = i
                i = child
            while i > 0:
                parent = (i - 1) >> 1
                other = <AskFuture>self.heap[parent]
                if other.deadline <= last.deadline:
                    break
                self.heap[i] = self.heap[parent]
                other.hindex = i
                i = parent
            self.heap[i] = <PyObject*>last
            last.hindex = i
        _decref(<PyObject*>fut)   # the caller still holds `fut`, so this frees nothing
        return 0

    cdef int arm_deadline(self) except -1:
        cdef double first
        if self.heap_len == 0:
            return 0
        first = (<AskFuture>self.heap[0]).deadline
        if self.deadline_handle is not None:
            if self.armed_deadline <= first:
                return 0    # fires no later than needed; it re-arms for what is left
            self.deadline_handle.cancel()
        self.armed_deadline = first
        self.deadline_handle = call_with_context(self.call_at_fn, first, self.deadline_cb, self.sys_ctx)
        return 0

    def _on_deadline(self):
        cdef AskFuture fut
        cdef double now
        self.deadline_handle = None
        # asyncio runs a timer up to one clock resolution early; count those as due.
        now = self.now() + 1e-6
        while self.heap_len and (<AskFuture>self.heap[0]).deadline <= now:
            fut = <AskFuture>self.heap[0]
            self.heap_remove(fut)
            if fut.fstate == F_PENDING:
                if not fut.booked:
                    fut.booked = True
                    self.n_returned += 1
                fut._settle(None, timeout_error(fut))
        self.arm_deadline()

    # -- events ----------------------------------------------------------------------------

    cdef int count_event(self, int kind) except -1:
        """Counts an event; returns 1 if someone wants the event object built."""
        self.event_counts[kind] += 1
        return _severity[kind] >= self.event_threshold

    def tally(self, int kind):
        """Counts an event; True if someone listens at its severity (then build and publish it
        with `events._publish`). Lets hot paths skip building details nobody will read. Any thread."""
        self.event_counts[kind] += 1
        return _severity[kind] >= self.event_threshold

    def _time(self):
        """The loop's time, read the cheapest way (see ``now``)."""
        return self.now()

    def emit(self, int kind, cell, details=None):
        """Counts an event and builds it for subscribers listening at its severity (loop thread
        only: subscribers are called here).

        `details` is a dict, or a zero-argument callable returning one, called only when the
        event is built (so costly details cost nothing while nobody listens).
        """
        if self.thread_id != 0 and PyThread_get_thread_ident() != self.thread_id:
            raise wrong_thread("emit", self, None, None, _SYNC_FIX)
        self.event_counts[kind] += 1
        if _severity[kind] >= self.event_threshold:
            if details is not None and type(details) is not dict:
                details = details()
            _publish_event(self, kind, cell, details)

    def _event_counts(self):
        return [self.event_counts[i] for i in range(N_EVENT_KINDS)]

    def _current_message(self, ActorRef cell not None):
        """The message `cell`'s synchronous handler is handling right now, or None."""
        if self.current is not cell or self.cur_msg == NULL:
            return None
        return <object>self.cur_msg

    def _stash_current(self, ActorRef cell not None):
        """For context.stash(): the (message, token) `cell` is handling right now, marked as
        kept for later so the dispatcher does not answer or count it when the handler returns."""
        if self.current is not cell or self.cur_msg == NULL:
            return None
        self.stashed_current = True
        msg = <object>self.cur_msg
        token = <object>self.cur_token if self.cur_token != NULL else None
        return msg, token

    def _on_thread(self):
        """True on the thread the system runs on."""
        return PyThread_get_thread_ident() == self.thread_id

    def _current_actor(self):
        """The ref whose synchronous handler is running right now, if any."""
        return self.current


cdef object timeout_error(AskFuture fut):
    target = fut.target.display_name() if fut.target is not None else "actor"
    what = type(fut.msg).__name__
    return AskTimeoutError(
        f"{target} did not answer {what} within {fut.timeout:g}s; it is busy or its handler is "
        "slow (pass a larger timeout=, or timeout=None to wait); a late reply becomes a dead letter",
        actor=target, message=fut.msg,
    )
