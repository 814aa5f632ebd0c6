"""Mailbox configuration: unbounded, or bounded with a backpressure strategy."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from airsrt.errors import ConfigurationError

__all__ = ["Backpressure", "Mailbox"]


class Backpressure(enum.IntEnum):
    """What a bounded mailbox does with a message when it is full.

    Attributes:
        BLOCK: ``send`` and ``ask`` wait for room; ``tell`` raises ``MailboxFullError``.
        DROP_NEWEST: The incoming message becomes a dead letter (reason ``mailbox_full``).
        DROP_OLDEST: The oldest queued message becomes a dead letter and the new one is queued.
        FAIL: The sender gets ``MailboxFullError``.

    A dropped or evicted ask fails at once with ``MailboxFullError``.
    """

    # The values are the compiled core's codes.
    BLOCK = 0
    DROP_NEWEST = 1
    DROP_OLDEST = 2
    FAIL = 3


@dataclass(frozen=True, slots=True)
class Mailbox:
    """How an actor's mailbox is sized; build one with :meth:`unbounded` or :meth:`bounded`.

    Attributes:
        capacity: Maximum queued user messages, or ``None`` for unbounded.
        backpressure: What happens when a bounded mailbox is full.
    """

    capacity: int | None = None
    backpressure: Backpressure = Backpressure.BLOCK

    def __post_init__(self) -> None:
        if self.capacity is not None:
            if isinstance(self.capacity, bool) or not isinstance(self.capacity, int):
                raise ConfigurationError(
                    f"mailbox capacity must be an int >= 1 or None, got {self.capacity!r}"
                )
            if not 1 <= self.capacity < 2**31:
                raise ConfigurationError(
                    f"mailbox capacity must be >= 1 (and < 2**31), got {self.capacity}; "
                    "use Mailbox.unbounded() for no limit"
                )
        if not isinstance(self.backpressure, Backpressure):
            raise ConfigurationError(
                f"backpressure must be an airsrt.Backpressure, got {self.backpressure!r} "
                "(BLOCK, DROP_NEWEST, DROP_OLDEST or FAIL)"
            )

    @classmethod
    def unbounded(cls) -> Mailbox:
        """A mailbox that grows as needed (the default)."""
        return cls(None)

    @classmethod
    def bounded(cls, capacity: int, backpressure: Backpressure = Backpressure.BLOCK) -> Mailbox:
        """A mailbox holding at most `capacity` messages, applying `backpressure` when full."""
        return cls(capacity, backpressure)

    def _core_config(self) -> tuple[int, int]:
        return (-1 if self.capacity is None else self.capacity, int(self.backpressure))
