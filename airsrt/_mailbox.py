"""Mailbox configuration: unbounded, or bounded with a backpressure strategy."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from airsrt._errors import ConfigurationError

__all__ = ["Backpressure", "Mailbox", "Priority"]


class Backpressure(enum.IntEnum):
    """What a bounded mailbox does with a message when it is full.

    Attributes:
        BLOCK: `send` and `ask` wait for room; `tell` raises
            [`MailboxFullError`][airsrt.MailboxFullError].
        DROP_NEWEST: The incoming message becomes a dead letter (reason ``mailbox_full``).
        DROP_OLDEST: The oldest queued message becomes a dead letter and the new one is queued.
        FAIL: The sender gets [`MailboxFullError`][airsrt.MailboxFullError].

    A dropped or evicted ask fails at once with [`MailboxFullError`][airsrt.MailboxFullError].
    """

    # The values are the compiled core's codes.
    BLOCK = 0
    DROP_NEWEST = 1
    DROP_OLDEST = 2
    FAIL = 3


class Priority(enum.IntEnum):
    """The priority of a message to an actor with a
    [`Mailbox.priority()`][airsrt.Mailbox.priority] mailbox (`tell(msg, priority=...)`).

    Higher priorities are handled first; within one priority, first in, first out. Control
    steps (stop, supervision) still come before all of them.
    """

    LOW = 0
    NORMAL = 1
    HIGH = 2
    CRITICAL = 3


@dataclass(frozen=True, slots=True)
class Mailbox:
    """How an actor's mailbox is sized; build one with `unbounded` or `bounded`.

    Attributes:
        capacity: Maximum queued user messages, or ``None`` for unbounded.
        backpressure: What happens when a bounded mailbox is full.
        levels: Priority levels (0: an ordinary FIFO mailbox); see `priority`.
    """

    capacity: int | None = None
    backpressure: Backpressure = Backpressure.BLOCK
    levels: int = 0

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
        if isinstance(self.levels, bool) or not isinstance(self.levels, int) or not (
            self.levels == 0 or 2 <= self.levels <= 16
        ):
            raise ConfigurationError(
                f"priority levels must be an int from 2 to 16 (or 0 for none), got {self.levels!r}"
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

    @classmethod
    def priority(
        cls,
        levels: int = 4,
        capacity: int | None = None,
        backpressure: Backpressure = Backpressure.BLOCK,
    ) -> Mailbox:
        """A mailbox that hands out higher-priority messages first (FIFO within a priority).

        Send with ``ref.tell(msg, priority=airsrt.Priority.HIGH)``; messages sent without one are
        ``NORMAL``. With `capacity`, DROP_OLDEST evicts the oldest message of the lowest
        priority present.
        """
        return cls(capacity, backpressure, levels)

    def _core_config(self) -> tuple[int, int, int]:
        return (-1 if self.capacity is None else self.capacity, int(self.backpressure), self.levels)
