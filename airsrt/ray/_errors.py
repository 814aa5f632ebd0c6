"""Errors that cross nodes: a lost node, and an exception that could not travel as itself."""

from __future__ import annotations

import pickle
import traceback
from typing import Any

from airsrt._errors import ActorStoppedError, AirsrtError

__all__ = ["NodeLostError", "RemoteError", "portable_error"]


class NodeLostError(ActorStoppedError):
    """The node hosting the actor was lost (its process died, or its machine did).

    Raised by an awaited ``ask`` to an actor in that node as soon as the loss is detected (about
    a second), never at the ask's timeout; also by ``ready``, ``stop`` and by spawning in a node
    that is gone. Watchers receive ``Terminated(ref, "node_lost")`` instead.

    Attributes:
        node: The lost node's name.
    """

    def __init__(self, text: str, *, node: str | None = None, actor: str | None = None, message: Any = None) -> None:
        super().__init__(text, actor=actor, message=message)
        self.node = node


class RemoteError(AirsrtError):
    """An exception raised in another node that could not be pickled as itself.

    Exceptions that pickle reach the caller with their own type; the others arrive as this one,
    keeping what can be kept.

    Attributes:
        type_name: The original exception's qualified class name (``module.Class``).
        message: ``str()`` of the original exception.
        traceback_text: The original traceback, formatted in the node where it was raised.
    """

    def __init__(self, type_name: str, message: str, traceback_text: str = "") -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteError, (self.type_name, self.message, self.traceback_text))


def portable_error(exc: BaseException) -> BaseException:
    """`exc` itself if it survives pickling, else a `RemoteError` carrying its text."""
    try:
        pickle.loads(pickle.dumps(exc, protocol=5))
    except Exception:
        cls = type(exc)
        text = "".join(traceback.format_exception(cls, exc, exc.__traceback__))
        try:
            message = str(exc)
        except Exception:  # a __str__ that raises must not hide the original error
            message = f"<{cls.__name__} whose str() failed>"
        return RemoteError(f"{cls.__module__}.{cls.__qualname__}", message, text)
    return exc
