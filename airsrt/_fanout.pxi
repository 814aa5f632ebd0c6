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
        if route.cells:
            delivered += fan_out(route.cells, msg)
        if route.topic_cells or route.topic_calls:
            wrapped = Published(topic, msg)
            if route.topic_cells:
                delivered += fan_out(route.topic_cells, wrapped)
            if route.topic_calls:
                delivered += self._call_all(route.topic_calls, wrapped)
        if route.calls:
            delivered += self._call_all(route.calls, msg)
        if not route.subs and self.dead_letter_unrouted:
            self._unrouted(topic, msg)
        return delivered


cdef Py_ssize_t fan_out(tuple cells, object msg) except -1:
    """Sends `msg` to every cell in `cells` through the send path (a refused copy becomes a
    dead letter there); returns how many copies were queued."""
    cdef Py_ssize_t i, n = len(cells)
    cdef Py_ssize_t delivered = 0
    cdef ActorRef cell
    for i in range(n):
        cell = <ActorRef>cells[i]
        if i == 0 and PyThread_get_thread_ident() != cell.rt.thread_id:
            raise wrong_thread(
                "publish", cell.rt, cell, msg,
                "publish from an actor or from code on the loop (tell an actor from other threads)",
            )
        if post(cell, msg, None, 0.0, 1 if cell.nlevels > 1 else 0, VIA_PUBLISH) == QUEUED:
            delivered += 1
    return delivered
