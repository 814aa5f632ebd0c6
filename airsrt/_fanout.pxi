# The broker's publish path: the per-topic route cache and the fan-out into subscriber mailboxes.
# Subscribing, pattern matching, callables and dead-lettering are Python (airsrt/_broker.py).


@cython.final
cdef class Route:
    """Everyone a publish to one topic reaches, split for the fan-out."""

    cdef readonly tuple subs           # every subscription, in subscription order
    cdef readonly tuple cells          # actor subscribers given the bare message
    cdef readonly tuple topic_cells    # actor subscribers given Published(topic, message)
    cdef readonly tuple calls          # callable subscriptions given the bare message
    cdef readonly tuple topic_calls    # callable subscriptions given Published(...)

    def __init__(self, tuple subs, tuple cells, tuple topic_cells, tuple calls, tuple topic_calls):
        self.subs = subs
        self.cells = cells
        self.topic_cells = topic_cells
        self.calls = calls
        self.topic_calls = topic_calls


cdef class BrokerCore:
    """Compiled base of `airsrt.Broker`: publish."""

    cdef public dict _cache
    cdef public bint dead_letter_unrouted
    cdef Runtime rt

    def __cinit__(self, *args, **kwargs):
        self._cache = {}
        self.dead_letter_unrouted = True
        # The broker's system (its first argument): publish checks the thread against it.
        if args and isinstance(args[0], Runtime):
            self.rt = <Runtime>args[0]

    def publish(self, topic, msg):
        """Delivers `msg` to every subscription matching `topic`; returns the deliveries made.

        Never waits and never raises for a subscriber: a copy that cannot be queued (a full
        mailbox, a stopping actor, one without a handler for the message) becomes a dead letter.

        Raises:
            WrongThreadError: Called from a thread other than the loop's (subscribers are
                called and queued here); tell an actor to publish instead.
        """
        cdef Runtime rt = self.rt
        if rt is not None and rt.thread_id != 0 and PyThread_get_thread_ident() != rt.thread_id:
            raise wrong_thread(
                "publish", rt, None, msg,
                "publish from an actor or from code on the loop (tell an actor from other threads)",
            )
        cdef PyObject* hit = PyDict_GetItem(self._cache, topic) if type(topic) is str else NULL
        cdef Route route = <Route>hit if hit != NULL else self._route_for_publish(topic)
        cdef Py_ssize_t delivered = 0
        cdef list problems
        if route.cells:
            problems = fan_out_c(route.cells, msg, &delivered)
            if problems is not None:
                self._dead_letter(problems, msg)
        if route.topic_cells or route.topic_calls:
            wrapped = Published(topic, msg)
            if route.topic_cells:
                problems = fan_out_c(route.topic_cells, wrapped, &delivered)
                if problems is not None:
                    self._dead_letter(problems, wrapped)
            if route.topic_calls:
                delivered += self._call_all(route.topic_calls, wrapped)
        if route.calls:
            delivered += self._call_all(route.calls, msg)
        if not route.subs and self.dead_letter_unrouted:
            self._unrouted(topic, msg)
        return delivered


cdef list fan_out_c(tuple cells, object msg, Py_ssize_t* delivered):
    """Pushes `msg` into every cell's mailbox, adding the copies queued to *delivered; returns
    None, or the list of copies that were not queued (see fan_out)."""
    cdef Py_ssize_t i, n = len(cells)
    cdef list problems = None
    cdef ActorRef cell
    cdef Runtime rt
    cdef Slot evicted
    cdef int status
    cdef object msg_type = type(msg)
    for i in range(n):
        cell = <ActorRef>cells[i]
        rt = cell.rt
        if i == 0 and PyThread_get_thread_ident() != rt.thread_id:
            raise wrong_thread(
                "publish", rt, cell, msg,
                "publish from an actor or from code on the loop (tell an actor from other threads)",
            )
        rt.n_sent += 1
        if cell.phase >= P_STOPPING or cell.flags & CF_CLOSING:
            status = -1
        elif cell.table.lookup(msg_type) is None:
            status = -2
        else:
            status = cell.offer(msg, None, 0.0, 1 if cell.nlevels > 1 else 0, &evicted)
        if status == PUSH_OK or status == PUSH_EVICTED:
            delivered[0] += 1
            if cell.sched == S_IDLE:
                rt.schedule(cell)
            if status == PUSH_OK:
                continue
        if problems is None:
            problems = []
        if status == PUSH_EVICTED:
            old_msg = <object>evicted.msg
            _decref(evicted.msg)
            old_token = None
            if evicted.token != NULL:
                old_token = <object>evicted.token
                _xdecref(evicted.token)
            problems.append((cell, "evicted", old_msg, old_token))
        elif status == -1:
            problems.append((cell, "stopped", None, None))
        elif status == -2:
            problems.append((cell, "unhandled", None, None))
        else:
            problems.append((cell, "mailbox_full", None, None))
    return problems


def fan_out(tuple cells not None, object msg):
    """Pushes `msg` into the mailbox of every cell in `cells` (one publish of the broker).

    Returns ``(delivered, problems)``: the copies queued, and None or a list of
    ``(cell, reason, evicted_message, evicted_token)`` for the copies that were not queued
    (reason ``"stopped"``, ``"unhandled"`` or ``"mailbox_full"``) or that pushed out an older
    message (reason ``"evicted"``), for the caller to dead-letter.
    """
    cdef Py_ssize_t delivered = 0
    problems = fan_out_c(cells, msg, &delivered)
    return delivered, problems
