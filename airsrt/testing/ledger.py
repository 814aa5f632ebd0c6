"""A per-message ledger for tests: every message gets an id and must end in exactly one outcome.

`airsrt.testing.check_ledger` balances a system's counters; `MessageLedger` goes
further and follows each message a test sends, by identity, to its outcome:

- **handled**: its handler started (whether it then returned or raised);
- **rejected**: the send itself raised (``tell``, ``send``, ``publish``);
- **dead-lettered**: it reached ``system.dead_letters`` (with the reason);
- **returned**: an ask ended with an error and its handler never started;
- **withdrawn**: the caller cancelled an ask before its handler started.

`MessageLedger.check` fails if a message reached no outcome, or more than one (say,
handled twice, or handled and dead-lettered). The ledger switches the system's message tracing
on to see handlers start, so it costs about a microsecond per message.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airsrt._messages import Published
from airsrt.testing import LedgerError, check_ledger

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = ["MessageLedger", "Outcome"]

OUTCOMES = ("handled", "rejected", "dead_letter", "returned", "withdrawn")


@dataclass
class Outcome:
    """What happened to one message the ledger follows.

    Attributes:
        id: The ledger's sequence number for the message (in send order).
        message: The message itself.
        events: Every outcome recorded for it, in order (exactly one when all is well).
        detail: The exception or dead-letter reason behind the last outcome, if any.
    """

    id: int
    message: Any
    events: list[str] = field(default_factory=list)
    detail: Any = None


class MessageLedger:
    """Follows messages sent through `system` to their outcomes (see the module docstring).

    Send through the ledger (``ledger.tell(ref, msg)``, ``await ledger.ask(ref, msg)``,
    ``await ledger.send(ref, msg)``, ``ledger.publish(topic, msg)``) so that each message is
    registered, then call `check` once the system has shut down (the pytest plugin's
    ``ledger`` fixture does that after every test). Each message object must be sent once;
    distinct objects are told apart by identity, so equal values are fine.
    """

    def __init__(self, system: ActorSystem) -> None:
        self.system = system
        self._by_identity: dict[int, Outcome] = {}
        self._ids = itertools.count()
        system.trace = True
        system._message_taps.append(self._tap)

    # -- sending ---------------------------------------------------------------------------------

    def register(self, msg: Any) -> Outcome:
        """Starts following `msg`; returns its record. Sending through the ledger does this."""
        key = id(msg)
        if key in self._by_identity:
            raise LedgerError(
                f"{type(msg).__name__} object {msg!r} was already sent through the ledger; "
                "send a new object each time so each send has its own outcome"
            )
        outcome = Outcome(next(self._ids), msg)
        self._by_identity[key] = outcome
        return outcome

    def tell(self, ref: ActorRef, msg: Any, **options: Any) -> None:
        """``ref.tell(msg, **options)``, recording a refusal at the call site as "rejected"."""
        outcome = self.register(msg)
        try:
            ref.tell(msg, **options)
        except Exception as exc:
            self._add(outcome, "rejected", exc)
            raise

    async def send(self, ref: ActorRef, msg: Any, timeout: float | None = None) -> None:
        """``await ref.send(msg)``, recording a refusal or a cancellation."""
        outcome = self.register(msg)
        try:
            await ref.send(msg, timeout=timeout)
        except asyncio.CancelledError:
            self._add(outcome, "withdrawn", None)
            raise
        except Exception as exc:
            self._add(outcome, "rejected", exc)
            raise

    async def ask(self, ref: ActorRef, msg: Any, **options: Any) -> Any:
        """``await ref.ask(msg, **options)``; an error whose handler never ran is "returned"."""
        outcome = self.register(msg)
        try:
            future = ref.ask(msg, **options)
        except Exception as exc:
            self._add(outcome, "rejected", exc)
            raise
        try:
            return await future
        except asyncio.CancelledError:
            if "handled" not in outcome.events:
                self._add(outcome, "withdrawn", None)
            raise
        except Exception as exc:
            if "handled" not in outcome.events:
                self._add(outcome, "returned", exc)
            else:
                outcome.detail = exc  # the handler ran: raised, or answered too late
            raise

    def publish(self, topic: str, msg: Any) -> int:
        """``system.broker.publish(topic, msg)`` for a topic with at most one subscriber."""
        outcome = self.register(msg)
        try:
            return self.system.broker.publish(topic, msg)
        except Exception as exc:
            self._add(outcome, "rejected", exc)
            raise

    # -- what the system reports ------------------------------------------------------------------

    def _tap(self, what: str, msg: Any, detail: Any) -> None:
        if what == "dead_letter" and type(msg) is Published:
            msg = msg.message  # a publish nobody received
        outcome = self._by_identity.get(id(msg))
        if outcome is not None and outcome.message is msg:
            self._add(outcome, what, detail)

    @staticmethod
    def _add(outcome: Outcome, what: str, detail: Any) -> None:
        if what == "rejected" and outcome.events == ["dead_letter"]:
            # Dead-lettered, and the call said so (a pool that gave up): one outcome.
            outcome.detail = detail
            return
        outcome.events.append(what)
        outcome.detail = detail

    # -- checking ---------------------------------------------------------------------------------

    @property
    def outcomes(self) -> list[Outcome]:
        """Every followed message, in send order."""
        return sorted(self._by_identity.values(), key=lambda o: o.id)

    def counts(self) -> Counter[str]:
        """How many followed messages reached each outcome (``lost``: none; ``multiple``)."""
        counts: Counter[str] = Counter()
        for outcome in self._by_identity.values():
            if not outcome.events:
                counts["lost"] += 1
            elif len(outcome.events) > 1:
                counts["multiple"] += 1
            else:
                counts[outcome.events[0]] += 1
        return counts

    def with_outcome(self, what: str) -> list[Any]:
        """The messages whose one outcome is `what`, in send order."""
        return [o.message for o in self.outcomes if o.events == [what]]

    def check(self, *, allow_queued: bool = False) -> Counter[str]:
        """Asserts that every followed message reached exactly one outcome.

        Also balances the system's own counters
        ([`check_ledger`][airsrt.testing.check_ledger]). Call it after shutdown, or with
        `allow_queued` while messages may still wait in mailboxes.

        Raises:
            LedgerError: Naming up to five offending messages and what happened to them.
        """
        if self._tap in self.system._message_taps and not self.system.is_running:
            self.system._message_taps.remove(self._tap)
        balance = check_ledger(self.system)
        bad = [
            o for o in self.outcomes
            if len(o.events) > 1 or (not o.events and not (allow_queued and balance.queued))
        ]
        if bad:
            shown = "; ".join(
                f"#{o.id} {type(o.message).__name__}: {o.events or ['no outcome']}" for o in bad[:5]
            )
            raise LedgerError(
                f"{len(bad)} of {len(self._by_identity)} messages did not reach exactly one "
                f"outcome ({shown})"
            )
        return self.counts()
