# Handler tables: message class -> handler, one table per Actor class, built when the class is
# created (airsrt/_actor.py collects the @handler methods; this is the compiled lookup).


@cython.final
cdef class HandlerEntry:
    """One handler: the function to call with (actor, message) and whether it is a coroutine."""

    def __init__(self, func, bint is_async, str method_name, type message_type):
        self.func = func
        self.is_async = is_async
        self.method_name = method_name
        self.message_type = message_type

    def __repr__(self):
        kind = "async " if self.is_async else ""
        return f"<HandlerEntry {kind}{self.method_name}({self.message_type.__name__})>"


@cython.final
cdef class HandlerTable:
    """Maps message classes to handlers for one Actor class.

    An exact class hit is one dict lookup (after a one-entry cache for the last class seen);
    otherwise the message class's MRO is walked once and the answer, including "no handler",
    is cached for that class.
    """

    def __init__(self, str class_name, dict declared):
        self.class_name = class_name
        self.declared = dict(declared)
        self.cache = dict(declared)
        self.last_type = None
        self.last_entry = None
        self.default_error_action = None

    cdef HandlerEntry lookup(self, object msg_type):
        cdef PyObject* hit
        cdef HandlerEntry entry
        if msg_type is self.last_type:
            return self.last_entry
        hit = PyDict_GetItem(self.cache, msg_type)
        if hit != NULL:
            entry = <HandlerEntry>hit if <object>hit is not None else None
        else:
            entry = None
            for base in (<type>msg_type).__mro__:
                hit = PyDict_GetItem(self.declared, base)
                if hit != NULL:
                    entry = <HandlerEntry>hit
                    break
            self.cache[msg_type] = entry
        self.last_type = msg_type
        self.last_entry = entry
        return entry

    def find(self, msg_type):
        """Returns the HandlerEntry for `msg_type` (walking its MRO), or None."""
        return self.lookup(msg_type)

    def handled_types(self):
        """The message classes declared in the actor class, in declaration order."""
        return list(self.declared)

    def __repr__(self):
        names = ", ".join(t.__name__ for t in self.declared)
        return f"<HandlerTable {self.class_name}: {names}>"
