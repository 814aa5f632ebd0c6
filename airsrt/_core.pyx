# cython: language_level=3
"""airsrt's compiled core: everything that runs per message.

Mailbox ring buffers, handler tables, the actor cell (which is also the ActorRef), the dispatcher
and the ask deadline heap. Nothing here awaits, logs, or decides policy: the core returns a status
or raises, and the Python modules (lifecycle, system, supervision) decide. See DESIGN.md §2.
"""

cimport cython
from cpython.object cimport PyObject
from cpython.dict cimport PyDict_GetItem
from cpython.pythread cimport PyThread_get_thread_ident
from cpython.contextvars cimport PyContext_Copy, PyContext_Enter, PyContext_Exit
from posix.time cimport clock_gettime, nanosleep, timespec, CLOCK_MONOTONIC

import sys
from asyncio import BaseEventLoop as _BaseEventLoop
from asyncio import CancelledError as _CancelledError
from asyncio import InvalidStateError as _InvalidStateError
from asyncio import Task as _Task
from asyncio import current_task as _current_task
from collections import deque as _deque
from contextvars import copy_context as _copy_context
from threading import get_native_id as _native_thread_id

from airsrt._messages import Published
from airsrt._errors import (
    ActorStartError,
    ActorStoppedError,
    AirsrtError,
    AskTimeoutError,
    ConfigurationError,
    DeadlockError,
    HandlerError,
    MailboxFullError,
    NameTakenError,
    SlowHandlerError,
    SystemNotRunningError,
    UnhandledMessageError,
    WrongThreadError,
)

# Since 3.12, asyncio.Task(..., eager_start=True) runs a Task's first step in its constructor:
# async handlers start at once instead of one loop turn later. (loop.create_task() only takes
# eager_start from 3.14 on, so the Task constructor is what 3.12 and 3.13 document.)
cdef bint _EAGER_TASKS = sys.version_info >= (3, 12)


cdef extern from "Python.h":
    object PyObject_Vectorcall(object callable, PyObject** args, size_t nargsf, object kwnames)
    # The same call, returning the raw result: NULL with the exception set if it raised.
    PyObject* vectorcall_raw "PyObject_Vectorcall" (
        object callable, PyObject** args, size_t nargsf, PyObject* kwnames)
    size_t PY_VECTORCALL_ARGUMENTS_OFFSET

cdef tuple _CONTEXT_KW = ("context",)


cdef inline object call_with_context(object fn, object a, object b, object ctx):
    """``fn(a, b, context=ctx)`` (or ``fn(a, context=ctx)`` when `b` is NULL-like None marker):
    a vectorcall with a constant keyword-names tuple, so no kwargs dict is built per call."""
    cdef PyObject* args[3]
    args[0] = <PyObject*>a
    args[1] = <PyObject*>b
    args[2] = <PyObject*>ctx
    return PyObject_Vectorcall(fn, args, 2, _CONTEXT_KW)


cdef inline object call1_with_context(object fn, object a, object ctx):
    """``fn(a, context=ctx)`` as a vectorcall (see call_with_context)."""
    cdef PyObject* args[2]
    args[0] = <PyObject*>a
    args[1] = <PyObject*>ctx
    return PyObject_Vectorcall(fn, args, 1, _CONTEXT_KW)


@cython.final
cdef class _Default:
    """The "use the system's default" marker for optional arguments."""

    def __repr__(self):
        return "<default>"


DEFAULT = _Default()
cdef object _DEFAULT = DEFAULT

include "_ring.pxi"
include "_handlers.pxi"
include "_ask.pxi"
include "_cell.pxi"
include "_dispatcher.pxi"
include "_fanout.pxi"
include "_snapshot.pxi"
