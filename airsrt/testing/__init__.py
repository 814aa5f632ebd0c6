"""Test helpers shipped with airsrt: `TestProbe` and the ledger check.

The pytest plugin (``airsrt.testing.plugin``, registered as an entry point) runs ``async def``
tests on a fresh event loop and provides the ``actor_system`` fixture.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airsrt import _lifecycle as lifecycle
from airsrt._actor import Actor, handler
from airsrt._stats import SystemStats

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = [
    "ClockStalledError",
    "LedgerBalance",
    "LedgerError",
    "ManualClock",
    "MessageLedger",
    "Outcome",
    "TestProbe",
    "check_ledger",
    "new_manual_loop",
]

_NO_REPLY = object()


class LedgerError(AssertionError):
    """The outcome ledger of a system does not balance, or something is still pending."""


@dataclass(frozen=True, slots=True)
class LedgerBalance:
    """What `check_ledger` found: the system's stats and the messages still in mailboxes.

    Attributes:
        stats: ``system.stats()`` at the check.
        queued: The user's messages still waiting (in mailboxes, or parked senders).
        control_queued: The runtime's own messages still waiting.
    """

    stats: SystemStats
    queued: int
    control_queued: int


def check_ledger(system: ActorSystem) -> LedgerBalance:
    """Asserts that every message sent through `system` is accounted for.

    Each of the user's messages is queued or has reached exactly one outcome:
    ``sent == handled + rejected + dead_letters + returned + withdrawn + queued``; the runtime's
    own messages balance apart (``control.sent == control.handled + control.dropped +
    control_queued``). After a shutdown nothing is queued, and no ask may still be pending.
    Call it on the loop's thread (or after shutdown).

    Returns:
        The `LedgerBalance`: the stats, and the messages still queued.

    Raises:
        LedgerError: An ask is still pending after shutdown, or an identity does not hold.
    """
    stats = system.stats()
    pending = [f for f in system._pending_asks() if not f.done()]
    if pending and not system.is_running:
        raise LedgerError(
            f"{len(pending)} asks of {system.name!r} are still pending after shutdown: {pending[:5]}"
        )
    actors = system.actors()
    queued = sum(ref._queued() for ref in actors)
    control_queued = sum(ref._queued(True) for ref in actors)
    accounted = (
        stats.handled + stats.rejected + stats.dead_letters + stats.returned + stats.withdrawn
        + queued
    )
    if stats.sent != accounted:
        raise LedgerError(
            f"ledger of {system.name!r} does not balance: sent={stats.sent} but handled "
            f"{stats.handled} + rejected {stats.rejected} + dead_letters "
            f"{stats.dead_letters} + returned {stats.returned} + withdrawn "
            f"{stats.withdrawn} + queued {queued} = {accounted}"
        )
    control = stats.control
    if control.sent != control.handled + control.dropped + control_queued:
        raise LedgerError(
            f"control traffic of {system.name!r} does not balance: sent={control.sent} but "
            f"handled {control.handled} + dropped {control.dropped} + queued {control_queued} "
            f"= {control.handled + control.dropped + control_queued}"
        )
    return LedgerBalance(stats, queued, control_queued)


class _ProbeActor(Actor):
    def __init__(self, probe: TestProbe) -> None:
        self._probe = probe

    @handler(object)
    def receive(self, msg: Any) -> Any:
        return self._probe._record(msg)


class TestProbe:
    """An actor that records every message it receives, for assertions in tests.

    Its ``ref`` accepts any message. ``await probe.expect(...)`` takes the next message; ask
    replies come from `reply` (``None`` by default).

    Args:
        system: The system to spawn the probe in.
        name: Optional registered name.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, system: ActorSystem, name: str | None = None) -> None:
        self.messages: list[Any] = []
        self._queue: deque[Any] = deque()
        self._arrived: asyncio.Event | None = None
        self._reply: Any = None
        self._reply_fn: Callable[[Any], Any] | None = None
        self.ref: ActorRef = system.spawn(functools.partial(_ProbeActor, self), name=name)

    def watch(self, ref: ActorRef) -> None:
        """Receive [`airsrt.Terminated`][airsrt.Terminated] when `ref` stops for good
        (`expect(Terminated)`)."""
        lifecycle.watch(self.ref, ref)

    def reply(self, value: Any = None, *, using: Callable[[Any], Any] | None = None) -> None:
        """Answers later asks with `value`, or with ``using(msg)`` when given."""
        self._reply = value
        self._reply_fn = using

    async def expect(
        self, what: type | Callable[[Any], bool] = object, timeout: float = 1.0
    ) -> Any:
        """Returns the next message, asserting it is an instance of `what` (or satisfies it).

        Raises:
            AssertionError: No message within `timeout` seconds (loop time), or the next one
                does not match.
        """
        msg = await self._next(timeout, what)
        if not _matches(what, msg):
            raise AssertionError(f"probe expected {_describe(what)}, got {msg!r}")
        return msg

    async def fish(self, what: type | Callable[[Any], bool], timeout: float = 1.0) -> Any:
        """Skips messages until one matches `what`; returns it."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            msg = await self._next(max(end - loop.time(), 0.0), what)
            if _matches(what, msg):
                return msg

    async def expect_no_message(self, within: float = 0.1) -> None:
        """Asserts that nothing arrives for `within` seconds (loop time)."""
        if self._queue:
            raise AssertionError(f"probe expected no message, got {self._queue[0]!r}")
        await asyncio.sleep(within)
        if self._queue:
            raise AssertionError(f"probe expected no message, got {self._queue[0]!r}")

    def _record(self, msg: Any) -> Any:
        self.messages.append(msg)
        self._queue.append(msg)
        if self._arrived is not None:
            self._arrived.set()
        if self._reply_fn is not None:
            return self._reply_fn(msg)
        return self._reply

    async def _next(self, timeout: float, what: Any) -> Any:
        if not self._queue:
            if self._arrived is None:
                self._arrived = asyncio.Event()
            self._arrived.clear()
            try:
                async with asyncio.timeout(timeout):
                    while not self._queue:
                        await self._arrived.wait()
                        self._arrived.clear()
            except TimeoutError:
                raise AssertionError(
                    f"probe expected {_describe(what)} within {timeout:g}s; nothing arrived"
                ) from None
        return self._queue.popleft()


def _matches(what: Any, msg: Any) -> bool:
    if isinstance(what, type):
        return isinstance(msg, what)
    return bool(what(msg))


def _describe(what: Any) -> str:
    return what.__name__ if isinstance(what, type) else f"a message matching {what!r}"


from airsrt.testing.clock import ClockStalledError, ManualClock, new_manual_loop  # noqa: E402
from airsrt.testing.ledger import MessageLedger, Outcome  # noqa: E402 (needs LedgerError above)
