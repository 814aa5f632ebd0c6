"""The wire format between nodes: envelopes, and how a batch of them becomes bytes.

An envelope is a plain tuple (cheap to build and to pickle):

    (TELL, actor_id, msg)
    (ASK, actor_id, msg, request_id)
    (REPLY, request_id, ok, value)
    (SYS, op, request_id, args)        node-level operations; request_id 0: no reply wanted
    (DEAD, actor_id, reason, msg)      the receiver could not deliver a message: the sender
                                       records the dead letter

A batch is one ``pickle.dumps(envelopes, protocol=5)``. Refs inside messages pickle as their wire
address (see `airsrt.ray._refs`). Large payloads never go inside the blob: bytes-like messages
and protocol-5 buffers (numpy arrays, ``pickle.PickleBuffer``) above a threshold are handed to
the transport's ``put`` and travel beside it, as a separate list the transport can move
zero-copy (Ray object refs); the blob holds their index. Nothing here depends on Ray.
"""

from __future__ import annotations

import importlib
import pickle
import warnings
from collections.abc import Callable
from typing import Any

__all__ = [
    "ASK",
    "DEAD",
    "REPLY",
    "SYS",
    "TELL",
    "ByValue",
    "OutOfBand",
    "decode",
    "encode",
    "wrap_message",
]

TELL = 0
ASK = 1
REPLY = 2
SYS = 3
DEAD = 4

# What a message class needs on the way out: 0 nothing, 1 defined in __main__ (shipped by
# value), 2 bytes-like (out of band when large). One dict lookup per remote send.
_PLAIN = 0
_MAIN = 1
_BYTES = 2
_kinds: dict[type, int] = {}

# While one batch is encoded or decoded (always on one thread: the node's loop), the payloads
# that travel beside it.
_collecting: list[Any] | None = None
_put: Callable[[Any], Any] | None = None
_arriving: list[Any] = []


class OutOfBand:
    """A large bytes-like message that travels beside the batch instead of inside it."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def __reduce__(self) -> tuple[Any, ...]:
        if _collecting is None or _put is None:
            return (bytes, (bytes(self.data),))
        _collecting.append(_put(bytes(self.data) if type(self.data) is not bytes else self.data))
        return (_payload, (len(_collecting) - 1,))


def _payload(index: int) -> Any:
    return _arriving[index]


class ByValue:
    """A message whose class lives in ``__main__``: pickled by value (cloudpickle), since the
    receiving process's ``__main__`` is not the sender's."""

    __slots__ = ("msg",)

    def __init__(self, msg: Any) -> None:
        self.msg = msg

    def __reduce__(self) -> tuple[Any, ...]:
        return (_by_value, (_cloudpickle().dumps(self.msg, protocol=5),))


def _by_value(blob: bytes) -> Any:
    return _cloudpickle().loads(blob)


def _cloudpickle() -> Any:
    """cloudpickle, standalone if installed, else the copy Ray vendors."""
    try:
        return importlib.import_module("cloudpickle")
    except ImportError:
        return importlib.import_module("ray.cloudpickle")


def wrap_message(msg: Any, threshold: int) -> Any:
    """What goes into an envelope for `msg`: itself, or a wrapper that makes it travel."""
    cls = type(msg)
    kind = _kinds.get(cls)
    if kind is None:
        kind = _classify(cls)
    if kind == _PLAIN:
        return msg
    if kind == _BYTES:
        return OutOfBand(msg) if len(msg) > threshold else msg
    return ByValue(msg)


def _classify(cls: type) -> int:
    if cls in (bytes, bytearray, memoryview):
        kind = _BYTES
    elif cls.__module__ == "__main__":
        warnings.warn(
            f"message class {cls.__qualname__} is defined in __main__; it is shipped by value "
            "(cloudpickle) to other nodes, which is slow and breaks isinstance checks there. "
            "Define message classes in an importable module, installed on every node",
            RuntimeWarning,
            stacklevel=4,
        )
        kind = _MAIN
    else:
        kind = _PLAIN
    _kinds[cls] = kind
    return kind


def encode(envelopes: list[Any], put: Callable[[Any], Any], threshold: int) -> tuple[bytes, list[Any], int]:
    """One pickle for a whole batch.

    Returns:
        ``(blob, payloads, n_buffers)``: the pickled envelopes, the handles `put` returned for
        what travels beside them (first the pickle's out-of-band buffers, then the large
        bytes-like messages), and how many of them are buffers.

    Raises:
        Whatever pickling raises: the caller finds the envelope at fault.
    """
    global _collecting, _put
    buffers: list[Any] = []

    def keep(buf: pickle.PickleBuffer) -> bool:
        view = buf.raw()
        if view.nbytes <= threshold:
            return True
        buffers.append(put(bytes(view)))
        return False

    collected: list[Any] = []
    _collecting, _put = collected, put
    try:
        blob = pickle.dumps(envelopes, protocol=5, buffer_callback=keep)
    finally:
        _collecting = _put = None
    return blob, buffers + collected, len(buffers)


def decode(blob: bytes, payloads: list[Any] | tuple[Any, ...], n_buffers: int) -> list[Any]:
    """The envelopes of a batch (payloads already fetched by the transport)."""
    global _arriving
    _arriving = list(payloads[n_buffers:])
    try:
        envelopes: list[Any] = pickle.loads(blob, buffers=payloads[:n_buffers])
    finally:
        _arriving = []
    return envelopes
