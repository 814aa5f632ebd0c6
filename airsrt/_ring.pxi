# The mailbox ring buffer: a power-of-two array of (message, token, deadline) slots.
#
# Every function here is plain C on the caller's thread, under the GIL, and runs no Python code:
# only INCREFs (which cannot run code) and PyMem allocations (pymalloc for small rings, visible
# to tracemalloc like any Python memory). That is what lets a foreign thread push
# while the loop thread drains, and what keeps "ring empty?" -> "mark idle" free of interleaving.
# Popping transfers the slot's references to the caller, who releases them after use.

from cpython.mem cimport PyMem_Malloc, PyMem_Free, PyMem_Calloc
from libc.string cimport memcpy

cdef extern from "Python.h":
    void _incref "Py_INCREF"(PyObject*)
    void _xincref "Py_XINCREF"(PyObject*)
    void _decref "Py_DECREF"(PyObject*)
    void _xdecref "Py_XDECREF"(PyObject*)

cdef enum:
    # An actor sent one message owns a one-slot ring (24 bytes from pymalloc): a million
    # actors that each got a message do not pay for room they never use.
    RING_MIN_SIZE = 1
    # A drained ring up to this size is always kept for the next burst (384 KiB at most).
    RING_KEEP_SIZE = 16384
    # A drained ring larger than this (6 MiB) held a real backlog: it is released at once.
    RING_RELEASE_SIZE = 262144


cdef inline int ring_reserve(Ring* r, unsigned int need) noexcept:
    """Grows `r` so that `need` slots fit, keeping the order; returns -1 when out of memory."""
    cdef unsigned int new_size
    cdef unsigned int first
    cdef Slot* slots
    if need <= r.size:
        return 0
    new_size = r.size if r.size else RING_MIN_SIZE
    while new_size < need:
        new_size <<= 1
    slots = <Slot*>PyMem_Malloc(new_size * sizeof(Slot))
    if slots == NULL:
        return -1
    if r.count:
        first = r.size - r.head
        if first >= r.count:
            memcpy(slots, r.slots + r.head, r.count * sizeof(Slot))
        else:
            memcpy(slots, r.slots + r.head, first * sizeof(Slot))
            memcpy(slots + first, r.slots, (r.count - first) * sizeof(Slot))
    PyMem_Free(r.slots)
    r.slots = slots
    r.size = new_size
    r.head = 0
    return 0


cdef inline int ring_push(Ring* r, PyObject* msg, PyObject* token, double deadline) noexcept:
    """Appends a slot, taking new references; returns -1 when out of memory."""
    cdef Slot* s
    if r.count == r.size and ring_reserve(r, r.count + 1) < 0:
        return -1
    s = &r.slots[(r.head + r.count) & (r.size - 1)]
    _incref(msg)
    _xincref(token)
    s.msg = msg
    s.token = token
    s.deadline = deadline
    r.count += 1
    if r.count > r.peak:
        r.peak = r.count
    return 0


cdef inline int ring_push_front(Ring* r, PyObject* msg, PyObject* token, double deadline) noexcept:
    """Puts a slot before the oldest one (unstash); returns -1 when out of memory."""
    cdef Slot* s
    if r.count == r.size and ring_reserve(r, r.count + 1) < 0:
        return -1
    r.head = (r.head + r.size - 1) & (r.size - 1)
    s = &r.slots[r.head]
    _incref(msg)
    _xincref(token)
    s.msg = msg
    s.token = token
    s.deadline = deadline
    r.count += 1
    if r.count > r.peak:
        r.peak = r.count
    return 0


cdef inline void ring_pop(Ring* r, Slot* out) noexcept:
    """Removes the oldest slot into `out`; the caller owns its references. Needs count > 0."""
    out[0] = r.slots[r.head]
    r.head = (r.head + 1) & (r.size - 1)
    r.count -= 1


cdef inline void ring_trim(Ring* r) noexcept:
    """At the end of a busy period: releases the buffer of an empty ring that grew past the keep
    size, unless the period just ended used more than a quarter of it (an actor that keeps
    receiving bursts keeps its buffer instead of regrowing it every time)."""
    if r.count == 0 and r.size > RING_KEEP_SIZE and (
        r.size > RING_RELEASE_SIZE or r.peak * 4 <= r.size
    ):
        PyMem_Free(r.slots)
        r.slots = NULL
        r.size = 0
        r.head = 0
    r.peak = r.count


cdef inline void ring_free(Ring* r) noexcept:
    """Releases the buffer of an empty ring (a stopped actor keeps no storage)."""
    if r.count == 0 and r.slots != NULL:
        PyMem_Free(r.slots)
        r.slots = NULL
        r.size = 0
        r.head = 0


# -- a cell's mailbox: one ring, or one ring per priority level ---------------------------------
# Ordinary mailboxes use `ring` and keep `levels` NULL, so the only cost of priority support on
# the plain path is one pointer test. A priority mailbox stores nothing in `ring`: its
# `ring.count` is the total across the levels (so counting is the same for both kinds), and a
# pop takes the oldest message of the highest non-empty level.

cdef inline unsigned int mb_count(ActorRef c) noexcept:
    return c.ring.count


cdef inline int mb_push(ActorRef c, PyObject* msg, PyObject* token, double deadline, int level) noexcept:
    if c.levels == NULL:
        return ring_push(&c.ring, msg, token, deadline)
    if ring_push(&c.levels[level], msg, token, deadline) < 0:
        return -1
    c.ring.count += 1
    return 0


cdef inline int mb_push_front(ActorRef c, PyObject* msg, PyObject* token, double deadline) noexcept:
    """Ahead of every queued user message (of the highest level, for a priority mailbox)."""
    if c.levels == NULL:
        return ring_push_front(&c.ring, msg, token, deadline)
    if ring_push_front(&c.levels[c.nlevels - 1], msg, token, deadline) < 0:
        return -1
    c.ring.count += 1
    return 0


cdef inline void mb_pop(ActorRef c, Slot* out) noexcept:
    """The next message to handle; needs mb_count(c) > 0."""
    cdef int i
    if c.levels == NULL:
        ring_pop(&c.ring, out)
        return
    i = c.nlevels - 1
    while c.levels[i].count == 0:
        i -= 1
    ring_pop(&c.levels[i], out)
    c.ring.count -= 1


cdef inline void mb_pop_oldest(ActorRef c, Slot* out) noexcept:
    """The message DROP_OLDEST evicts: the oldest of the lowest non-empty level."""
    cdef int i = 0
    if c.levels == NULL:
        ring_pop(&c.ring, out)
        return
    while c.levels[i].count == 0:
        i += 1
    ring_pop(&c.levels[i], out)
    c.ring.count -= 1


cdef inline void mb_trim(ActorRef c) noexcept:
    cdef int i
    if c.levels == NULL:
        ring_trim(&c.ring)
    else:
        for i in range(c.nlevels):
            ring_trim(&c.levels[i])


cdef inline void mb_free(ActorRef c) noexcept:
    """Releases every buffer of an empty mailbox."""
    cdef int i
    if c.levels == NULL:
        ring_free(&c.ring)
    elif c.ring.count == 0:
        for i in range(c.nlevels):
            ring_free(&c.levels[i])
        PyMem_Free(c.levels)
        c.levels = NULL
        c.nlevels = 0
