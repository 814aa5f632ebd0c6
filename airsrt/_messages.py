"""Message types: the typed base class and the messages the runtime itself delivers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from airsrt._core import ActorRef

__all__ = ["Message", "Published", "ReceiveTimeout", "Terminated"]

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
        reason: ``"normal"``, ``"shutdown"``, ``"failed"``, ``"killed"`` or ``"start_failed"``.
        error: The exception that ended it, if one did.
    """

    ref: ActorRef
    reason: str
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
