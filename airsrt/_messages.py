"""Message types: the typed base class and the messages the runtime itself delivers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

if TYPE_CHECKING:
    from airsrt._core import ActorRef

__all__ = ["ExitReason", "Message", "Published", "ReceiveTimeout", "Terminated"]

#: Why an actor stopped: a name (``"normal"``, ``"shutdown"``, ``"failed"``, ``"killed"``,
#: ``"start_failed"``, ``"ignored"``) or ``("shutdown", payload)`` from ``context.stop``.
ExitReason: TypeAlias = "str | tuple[str, Any]"

R = TypeVar("R", covariant=True)


class Message(Generic[R]):
    """Optional base class that declares a message's reply type.

    ``class Deposit(Message[int])`` makes ``await ref.ask(Deposit(5))`` an ``int`` for mypy and
    pyright. It has no fields and no run-time cost (empty ``__slots__``); any object can be a
    message whether or not it derives from this class.
    """

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Terminated:
    """Delivered to a watcher when an actor it watches has stopped for good.

    Attributes:
        ref: The actor that stopped.
        reason: Why it stopped: ``"normal"`` (it returned from ``context.stop()``, was stopped
            with ``ref.stop()``, or its ``on_error`` said STOP), ``"shutdown"`` (stopped by its
            parent, its supervisor or the system's shutdown; also a supervisor that gave up),
            ``("shutdown", payload)`` (``context.stop(("shutdown", payload))``), ``"failed"``
            (a handler raised and its supervisor stopped it), ``"killed"`` (it did not finish
            within its grace period), ``"start_failed"`` (``on_start`` raised) or ``"ignored"``
            (``on_start`` returned ``airsrt.IGNORE``).
        error: The exception that ended it, if one did (a `RestartLimitError` for a
            supervisor that gave up).
    """

    ref: ActorRef
    reason: str | tuple[str, Any]
    error: BaseException | None = None

    def __repr__(self) -> str:
        return f"Terminated({self.ref.name!r}, {self.reason!r})"


@dataclass(frozen=True, slots=True)
class ReceiveTimeout:
    """Delivered to an actor that has had no message for the time given to
    ``context.set_receive_timeout()``; repeats while it stays idle."""


@dataclass(frozen=True, slots=True)
class Published:
    """What a broker subscription made with ``with_topic=True`` receives.

    Attributes:
        topic: The topic the message was published to.
        message: The published message.
    """

    topic: str
    message: Any
