# Declarations of airsrt's compiled core. The implementation is _core.pyx and the .pxi files it
# includes; the user-facing types are described for type checkers in _core.pyi.

from cpython.object cimport PyObject


cdef struct Slot:
    PyObject* msg        # owned reference
    PyObject* token      # owned reference or NULL: NULL for a tell, else an AskFuture, TimerToken, Marker
    double deadline      # loop time after which the message is expired, 0.0 for "never"


cdef struct Ring:
    Slot* slots          # NULL until the first message (idle actors own no buffer)
    unsigned int head    # index of the oldest message
    unsigned int count
    unsigned int size    # a power of two, 0 while unallocated
    unsigned int peak    # the most messages held since the ring was last trimmed


cdef class HandlerEntry:
    cdef readonly object func
    cdef readonly bint is_async
    cdef readonly str method_name
    cdef readonly type message_type


cdef class HandlerTable:
    cdef dict declared            # message class -> HandlerEntry, as written in the class body
    cdef dict cache               # any message class -> HandlerEntry or None (MRO walk, cached)
    cdef object last_type
    cdef HandlerEntry last_entry
    cdef readonly str class_name
    cdef public bint has_on_start, on_start_async, has_on_stop, on_stop_async, custom_on_error
    cdef public object default_error_action

    cdef HandlerEntry lookup(self, object msg_type)


cdef class AskFuture:
    cdef Runtime rt
    cdef unsigned char fstate
    cdef bint started             # its handler has begun: its ledger outcome is "handled"
    cdef bint booked              # its ledger outcome has been recorded
    cdef public bint _asyncio_future_blocking    # asyncio's duck-typing marker (isfuture, Task)
    cdef bint _tb_kept            # _exception_tb holds the error's original traceback
    cdef object _result
    cdef object _exception
    cdef object _exception_tb
    cdef object _cb0
    cdef object _ctx0
    cdef list _callbacks
    cdef readonly object _cancel_message    # read by asyncio.gather
    cdef ActorRef target
    cdef object msg
    cdef double deadline
    cdef double timeout
    cdef Py_ssize_t hindex        # position in the runtime's deadline heap, -1 when absent
    cdef object waiter            # the Task awaiting it behind the dispatcher (a bare yield)
    cdef Py_ssize_t waiter_cancels    # that Task's cancelling() when it yielded

    cdef bint _step_behind_dispatcher(self) except -1
    cdef int _left_behind(self, BaseException exc) except -1

    cdef bint _settle(self, object result, object exception) except -1
    cdef int _schedule_callbacks(self) except -1
    cdef object _get_result(self)
    cdef object _not_settable(self, str what)


cdef class TimerToken:
    cdef public bint cancelled
    cdef public bint queued


cdef class Marker:
    cdef public object item


cdef class ControlToken:
    cdef readonly object reply    # a loop future for the handler's answer, or None (a notice)

    cdef int answer(self, object result, object error) except -1
    cdef bint withdrawn(self) except -1


cdef class CellExtra:
    cdef public object control
    cdef public object putters
    cdef public object task
    cdef public object task_token
    cdef public object task_msg
    cdef public ActorRef first_child
    cdef public ActorRef last_child
    cdef public dict watchers
    cdef public dict watching
    cdef public dict timers
    cdef public list ready_waiters
    cdef public object start_error
    cdef public object stop_reason
    cdef public object stopping
    cdef public object receive_timeout
    cdef public object stash
    cdef public object pipes
    cdef public object latency
    cdef public object traced_since
    cdef public object name
    cdef public dict waiting_for     # parked on full mailboxes: target cell -> messages parked
    cdef public object gave_up       # a supervisor past its restart intensity: its RestartLimitError


cdef class ActorRef:
    # Field order is layout: one-byte fields together, then four-byte ones, then pointers, so
    # that an idle actor's cell stays small (it is most of an actor's memory).
    cdef Runtime rt
    cdef unsigned char sched
    cdef unsigned char phase
    cdef unsigned char bp
    cdef unsigned char nlevels          # priority levels (0: an ordinary mailbox)
    cdef unsigned short flags
    cdef int capacity                   # -1: unbounded
    cdef unsigned int n_control
    cdef unsigned int n_putters
    cdef unsigned int uid
    cdef unsigned int incarnation_
    cdef unsigned int failed
    cdef unsigned int restarts
    cdef unsigned int max_mailbox
    cdef unsigned long long processed
    cdef Ring ring                      # the mailbox (a priority mailbox keeps only its count here)
    cdef Ring* levels                   # priority mailboxes only: one ring per level, lowest first
    cdef object actor
    cdef HandlerTable table
    cdef object ctx
    cdef ActorRef next_ready
    cdef ActorRef parent
    cdef ActorRef prev_sibling
    cdef ActorRef next_sibling
    cdef object factory
    cdef tuple args
    cdef CellExtra extra

    cdef CellExtra get_extra(self)
    cdef bint has_work(self)
    cdef int check_level(self, object priority) except -2
    cdef AskFuture ask_eager(self, HandlerEntry entry, object msg, double seconds)
    cdef int push_control(self, object item) except -1
    cdef str display_name(self)
    cdef int _bad_move(self, str move) except -1


cdef class SupervisorRef(ActorRef):
    pass


cdef class Runtime:
    cdef readonly object loop
    cdef object sys_ctx
    cdef long thread_id
    cdef bint armed
    cdef ActorRef rq_head
    cdef ActorRef rq_tail
    cdef ActorRef current
    cdef int eager_depth
    cdef Py_ssize_t budget
    cdef long long budget_deadline_ns
    cdef long long window_ns      # when the current budget was given (see eager_budget)
    cdef long long window_cpu_ns  # ... and the loop thread's CPU time then
    cdef object run_cb
    cdef object call_soon_fn      # loop.call_soon, bound once
    cdef object call_at_fn        # loop.call_at, bound once
    cdef PyObject** heap
    cdef Py_ssize_t heap_len
    cdef Py_ssize_t heap_cap
    cdef object deadline_handle
    cdef double armed_deadline
    cdef object deadline_cb
    cdef unsigned int next_uid
    cdef bint std_clock           # the loop's time() is time.monotonic(): read the clock here
    cdef PyObject* cur_msg        # the message whose sync handler is running (borrowed)
    cdef PyObject* cur_token      # its token (borrowed): what context.stash() keeps
    cdef bint stashed_current
    # The loop-blocking watchdog: a thread (see _watchdog) reads these without the GIL.
    cdef unsigned long long wd_seq    # bumped as each sync handler starts and ends
    cdef int wd_depth                 # sync handlers on the stack (eager asks nest)
    cdef unsigned long long wd_stuck  # the wd_seq the watchdog found running too long; 0: none
    cdef long long wd_since_ns        # ... which began after this time (the watchdog's tick)
    cdef long long wd_limit_ns        # the limit; 0 turns the watchdog off
    cdef long long wd_since_wait      # ... when the loop's thread had waited this long for a CPU
    cdef char[64] wd_schedstat        # /proc path of the loop thread's scheduler statistics
    cdef bint wd_on                   # the watchdog thread keeps going while this is set
    cdef unsigned long long event_counts[32]

    cdef public bint _running
    cdef public bint _closing
    cdef public bint _quiet_stops     # may stop an actor with nothing attached in the core alone
    cdef public int throughput
    cdef public Py_ssize_t batch_limit
    cdef public double batch_seconds
    cdef public int eager_depth_limit
    cdef public bint eager_asks
    cdef public object _default_timeout
    cdef public int _default_capacity
    cdef public unsigned char _default_bp
    cdef public dict _busy
    cdef public dict _names
    cdef public ActorRef _root
    cdef public int event_threshold
    cdef public bint trace

    cdef public unsigned long long n_sent
    cdef public unsigned long long n_handled
    cdef public unsigned long long n_rejected
    cdef public unsigned long long n_dead_letters
    cdef public unsigned long long n_returned
    cdef public unsigned long long n_withdrawn
    cdef public unsigned long long n_late_replies
    cdef public unsigned long long n_spawned
    cdef public unsigned long long n_stopped
    cdef public unsigned long long n_restarts
    cdef public unsigned long long n_failures
    # The runtime's own messages (notices, supervisor requests): counted apart from the ledger.
    cdef public unsigned long long n_control_sent
    cdef public unsigned long long n_control_handled
    cdef public unsigned long long n_control_dropped

    cdef double now(self) except? -1.0
    cdef int schedule(self, ActorRef cell) except -1
    cdef int schedule_threadsafe(self, ActorRef cell) except -1
    cdef Py_ssize_t drain(self, ActorRef cell) except -1
    cdef int unstash_booking(self, ActorRef cell, object token) except -1
    cdef int start_async(self, ActorRef cell, HandlerEntry entry, object msg, object token) except -1
    cdef int heap_push(self, AskFuture fut) except -1
    cdef int heap_remove(self, AskFuture fut) except -1
    cdef int arm_deadline(self) except -1
    cdef int count_event(self, int kind) except -1
    cdef ActorRef spawn_cell(self, ActorRef parent, object factory, tuple args, object name, object mailbox, type cls)
