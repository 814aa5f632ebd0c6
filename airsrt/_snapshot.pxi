# The compiled half of system.snapshot() (airsrt/_snapshot.py): walks the cell tree from the
# runtime's root and reads each cell's counters where they live. Nothing here runs per message;
# a snapshot costs one visit per live actor and the message path pays nothing for it.
#
# Per-actor records are airsrt._snapshot.ActorSnapshot, a frozen slotted dataclass defined in
# Python. Running its generated __init__ costs microseconds per record (a frozen dataclass sets
# each field through object.__setattr__), which at a million actors would be seconds, so the walk
# writes the slots directly through their offsets, as the cell does for an Actor's two slots.
# The records hold only str, int, float and None, so they cannot take part in a reference cycle:
# they are untracked from the cyclic GC, which keeps a million-record snapshot from slowing every
# later collection.

# The fields the walk fills, in this order (ActorSnapshot declares each of them).
SNAPSHOT_FIELDS = (
    "node", "uid", "parent_uid", "depth", "name", "registered_name", "path", "kind", "class_name",
    "state", "incarnation", "mailbox", "waiting_senders", "max_mailbox", "processed", "failed",
    "restarts", "children", "child_id", "busy_since", "handling",
)
cdef enum:
    _N_SNAPSHOT_FIELDS = 21

cdef object _snapshot_record = None
cdef object _object_new = object.__new__
cdef Py_ssize_t _snapshot_offsets[_N_SNAPSHOT_FIELDS]
cdef str _KIND_ACTOR = "actor"

cdef extern from "Python.h":
    PyObject* PyTuple_GET_ITEM(object, Py_ssize_t)
cdef str _KIND_GUARDIAN = "guardian"


def _install_snapshot(type record not None):
    """Tells the walk which class its records are (``airsrt._snapshot`` calls this once)."""
    global _snapshot_record
    if len(SNAPSHOT_FIELDS) != _N_SNAPSHOT_FIELDS:
        raise AssertionError("SNAPSHOT_FIELDS and _N_SNAPSHOT_FIELDS disagree")
    for i, name in enumerate(SNAPSHOT_FIELDS):
        _snapshot_offsets[i] = slot_offset(record, name)
    _snapshot_record = record


cdef inline void fill(object rec, int field, object value) noexcept:
    # Each slot of a new record is NULL: slot_set takes a reference and releases nothing.
    slot_set(rec, _snapshot_offsets[field], value)


cdef str cell_state(ActorRef cell):
    if cell.phase == P_ALIVE:
        return <str>_SCHED_NAMES[cell.sched]
    return <str>_PHASE_NAMES[cell.phase]


@cython.final
cdef class RecordMaker:
    """Builds instances of a frozen slotted dataclass from positional values, writing the slots
    directly (see the top of this file): ``RecordMaker(cls, fields)(*values)``.

    With ``plain=True`` the caller promises the values are only str, int, float, bool or None,
    and the record is untracked from the cyclic GC as the walk's records are.
    """

    cdef object cls
    cdef Py_ssize_t* offsets
    cdef Py_ssize_t n
    cdef bint plain

    def __init__(self, type cls not None, tuple fields not None, bint plain=False):
        cdef Py_ssize_t i
        cdef Py_ssize_t* offsets = <Py_ssize_t*>PyMem_Malloc(max(len(fields), 1) * sizeof(Py_ssize_t))
        if offsets == NULL:
            raise MemoryError()
        try:
            for i, name in enumerate(fields):
                offsets[i] = slot_offset(cls, name)
        except BaseException:
            PyMem_Free(offsets)
            raise
        PyMem_Free(self.offsets)
        self.offsets = offsets
        self.cls = cls
        self.n = len(fields)
        self.plain = plain

    def __dealloc__(self):
        PyMem_Free(self.offsets)

    def __call__(self, *values):
        cdef Py_ssize_t i
        if len(values) != self.n or self.offsets == NULL:
            raise TypeError(f"{self.cls!r} takes {self.n} values, got {len(values)}")
        rec = _object_new(self.cls)
        for i in range(self.n):
            slot_set(rec, self.offsets[i], <object>PyTuple_GET_ITEM(values, i))
        if self.plain and PyObject_GC_IsTracked(rec):
            PyObject_GC_UnTrack(rec)
        return rec


def _snapshot_walk(Runtime rt not None, str node not None, object describe_parent,
                   object describe_busy):
    """Every cell of the live tree, parents before children, in start order.

    Args:
        rt: The runtime (an ActorSystem).
        node: The node label written into every record.
        describe_parent: Called with each SupervisorRef cell; returns ``(kind, ids)``, where
            `ids` maps the cells of its children to their child ids (or is None).
        describe_busy: Called with each cell whose async handler runs; returns
            ``(busy_since, handling)``.

    Returns:
        ``(records, mailbox_total, mailbox_max, busy)``: the records (ActorSnapshot), the
        messages queued across the tree, the deepest mailbox, and the actors running an async
        handler.
    """
    cdef ActorRef root = rt._root
    cdef ActorRef cell, child
    cdef list out = []
    # The path and child-id map of the cell's ancestor at each depth: the walk follows the
    # tree's own links (next_in_tree), so it needs no stack of its own.
    cdef list paths = []
    cdef list idmaps = []
    cdef object ids, parent_ids, parent_uid, child_id, busy_since, handling, kind, rec
    cdef str name, path
    cdef Py_ssize_t depth = 0, kids
    cdef unsigned long long total = 0
    cdef unsigned int deepest = 0, depth_now
    cdef Py_ssize_t busy = 0
    if _snapshot_record is None:
        raise RuntimeError("airsrt._snapshot is not imported (it installs the record class)")
    if root is None:
        return out, 0, 0, 0
    cell = root
    while cell is not None:
        name = cell.display_name()
        if depth == 0:
            path = "/"
            parent_uid = None
            child_id = None
        else:
            path = "/" + name if depth == 1 else <str>paths[depth - 1] + "/" + name
            parent_uid = cell.parent.uid
            parent_ids = idmaps[depth - 1]
            child_id = parent_ids.get(cell) if parent_ids is not None else None
        ids = None
        if cell is root:
            kind = _KIND_GUARDIAN
        elif type(cell) is SupervisorRef:
            kind, ids = describe_parent(cell)
        else:
            kind = _KIND_ACTOR
        kids = 0
        if cell.extra is not None:
            child = cell.extra.first_child
            while child is not None:
                kids += 1
                child = child.next_sibling
        busy_since = None
        handling = None
        if cell.sched == S_BUSY and cell.extra is not None and cell.extra.task is not None:
            busy += 1
            busy_since, handling = describe_busy(cell)
        depth_now = mb_count(cell) + cell.n_putters
        total += depth_now
        if depth_now > deepest:
            deepest = depth_now
        rec = _object_new(_snapshot_record)
        fill(rec, 0, node)
        fill(rec, 1, cell.uid)
        fill(rec, 2, parent_uid)
        fill(rec, 3, depth)
        fill(rec, 4, name)
        fill(rec, 5, cell.extra.name if cell.extra is not None else None)
        fill(rec, 6, path)
        fill(rec, 7, kind)
        fill(rec, 8, cell.table.class_name if cell.table is not None else None)
        fill(rec, 9, cell_state(cell))
        fill(rec, 10, cell.incarnation_)
        fill(rec, 11, depth_now)
        fill(rec, 12, cell.n_putters)
        fill(rec, 13, cell.max_mailbox)
        fill(rec, 14, cell.processed)
        fill(rec, 15, cell.failed)
        fill(rec, 16, cell.restarts)
        fill(rec, 17, kids)
        fill(rec, 18, child_id)
        fill(rec, 19, busy_since)
        fill(rec, 20, handling)
        if PyObject_GC_IsTracked(rec):
            PyObject_GC_UnTrack(rec)
        out.append(rec)
        # Next: the first child, else the next sibling of the nearest ancestor that has one.
        if kids:
            if len(paths) > depth:
                paths[depth] = path
                idmaps[depth] = ids
            else:
                paths.append(path)
                idmaps.append(ids)
            cell = cell.extra.first_child
            depth += 1
            continue
        while cell is not root and cell.next_sibling is None:
            cell = cell.parent
            depth -= 1
        cell = None if cell is root else cell.next_sibling
    return out, total, deepest, busy


cdef inline ActorRef next_in_tree(ActorRef cell, ActorRef root) noexcept:
    """The cell after `cell` in a depth-first walk of `root`'s tree (None at the end): follows
    the tree's own links, so the walk allocates nothing."""
    if cell.extra is not None and cell.extra.first_child is not None:
        return cell.extra.first_child
    while cell is not root:
        if cell.next_sibling is not None:
            return cell.next_sibling
        cell = cell.parent
        if cell is None:
            return None
    return None


def _snapshot_totals(Runtime rt not None):
    """``(actors, mailbox_total, mailbox_max, busy)`` over the live tree, without building
    records: what a once-a-second rate needs (the guardian is not counted as an actor)."""
    cdef ActorRef root = rt._root
    cdef ActorRef cell
    cdef Py_ssize_t actors = 0, busy = 0
    cdef unsigned long long total = 0
    cdef unsigned int deepest = 0, depth
    if root is None:
        return 0, 0, 0, 0
    cell = next_in_tree(root, root)
    while cell is not None:
        actors += 1
        depth = mb_count(cell) + cell.n_putters
        total += depth
        if depth > deepest:
            deepest = depth
        if cell.sched == S_BUSY:
            busy += 1
        cell = next_in_tree(cell, root)
    return actors, total, deepest, busy


def _cell_by_uid(Runtime rt not None, unsigned int uid):
    """The live cell with this uid, or None (a walk of the tree: for rare lookups only)."""
    cdef ActorRef root = rt._root
    cdef ActorRef cell
    if root is None:
        return None
    cell = root
    while cell is not None:
        if cell.uid == uid:
            return cell
        cell = next_in_tree(cell, root)
    return None
