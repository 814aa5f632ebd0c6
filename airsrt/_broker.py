"""The message broker (``system.broker``): topic pub-sub, broadcast, request-reply.

Topics are dot-separated words. In a subscription pattern ``*`` matches exactly one word and
``#`` any number of words, none included (so ``a.#`` matches ``a``). Each publish finds its
subscribers through a per-topic cache (exact topics are indexed; patterns are matched once per
topic and the cache is cleared when subscriptions change) and pushes the message into every
subscribed actor's mailbox with one compiled call. A full, stopping or non-handling subscriber's
copy becomes a dead letter and publishing goes on: publish never waits and never raises for a
subscriber. One publisher's messages reach each subscriber in publish order.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airsrt import _core, _remote
from airsrt._errors import ConfigurationError, NoSubscriberError
from airsrt._messages import Published
from airsrt._monitoring import KIND_IDS, Subscription

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem

__all__ = ["Broker", "BrokerReply"]

log = logging.getLogger("airsrt")

EV_SUBSCRIBED = KIND_IDS["broker.subscribed"]
EV_UNSUBSCRIBED = KIND_IDS["broker.unsubscribed"]
EV_SUBSCRIBER_FAILED = KIND_IDS["broker.subscriber_failed"]


@dataclass(frozen=True, slots=True)
class BrokerReply:
    """One subscriber's answer in [`Broker.gather`][airsrt.Broker.gather].

    Attributes:
        subscriber: The actor ref or callable that answered (or failed to).
        result: Its reply, if it answered.
        error: The exception it raised or the ask's error, if it did not.
    """

    subscriber: Any
    result: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True if the subscriber answered."""
        return self.error is None


class _Sub:
    """One subscription."""

    __slots__ = ("is_async", "pattern", "target", "topic", "with_topic")

    def __init__(self, topic: str, target: Any, with_topic: bool) -> None:
        self.topic = topic
        self.target = target
        self.with_topic = with_topic
        self.pattern = _split(topic) if ("*" in topic or "#" in topic) else None
        self.is_async = not isinstance(target, _core.ActorRef) and _is_async_callable(target)


def _route(subs: list[_Sub]) -> _core.Route:
    actors = [s for s in subs if isinstance(s.target, _core.ActorRef)]
    calls = [s for s in subs if not isinstance(s.target, _core.ActorRef)]
    return _core.Route(
        tuple(subs),
        tuple(s.target for s in actors if not s.with_topic),
        tuple(s.target for s in actors if s.with_topic),
        tuple(s for s in calls if not s.with_topic),
        tuple(s for s in calls if s.with_topic),
    )


class Broker(_core.BrokerCore):
    """Topic pub-sub, broadcast and request-reply between actors (and plain callables).

    ``publish`` is compiled (``_core.BrokerCore``); the rest is here. `subscribe`, `publish`,
    `request` and `gather` belong to the loop's thread (`airsrt.WrongThreadError` elsewhere);
    `subscribers` works from any thread.

    Attributes:
        dead_letter_unrouted: Record a dead letter (reason ``no_subscriber``) when a publish
            reaches nobody. On by default.
    """

    def __init__(self, system: ActorSystem) -> None:
        self._system = system
        self._exact: dict[str, list[_Sub]] = {}
        self._patterns: list[_Sub] = []
        self._by_cell: dict[ActorRef, list[_Sub]] = {}
        self._turns: dict[str, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- subscriptions --------------------------------------------------------------------------

    def subscribe(
        self, topic: str, ref_or_callable: ActorRef | Callable[[Any], Any], *, with_topic: bool = False
    ) -> Subscription:
        """Delivers every message published to a matching topic.

        Args:
            topic: A topic, or a pattern with ``*`` (one word) and ``#`` (any number of words).
            ref_or_callable: An actor (sent each message with ``tell``), or a function called
                with it -- synchronously during ``publish``, or scheduled if it is ``async``.
            with_topic: Deliver [`airsrt.Published`][airsrt.Published] `(topic, message)`
                instead of the bare message.

        Returns:
            A [`Subscription`][airsrt.Subscription]; `cancel()` ends it. An actor's
                subscriptions also end when it stops.

        Raises:
            ConfigurationError: An invalid topic pattern.
            TypeError: Neither an ActorRef nor a callable.
            WrongThreadError: Called from a thread other than the loop's.
        """
        _core._check_thread(self._system, "broker.subscribe")
        _check_topic(topic, pattern=True)
        target = ref_or_callable
        if isinstance(target, _core.ActorRef):
            if _remote.is_remote(target):
                raise ConfigurationError(
                    f"{target.name} lives in another node; a broker delivers to its own node's "
                    f"actors. Subscribe its tell instead: subscribe({topic!r}, ref.tell)"
                )
            if not target.is_alive:
                raise ConfigurationError(f"{target.name} has stopped; it cannot subscribe to {topic!r}")
        elif not callable(target):
            raise TypeError(
                f"broker.subscribe() takes an ActorRef or a callable, got {type(target).__name__}"
            )
        sub = _Sub(topic, target, bool(with_topic))
        if sub.pattern is None:
            self._exact.setdefault(topic, []).append(sub)
        else:
            self._patterns.append(sub)
        if isinstance(target, _core.ActorRef):
            self._by_cell.setdefault(target, []).append(sub)
            target._mark_subscribed()  # so that its stop goes through `_forget`
        self._cache.clear()
        self._system.emit(EV_SUBSCRIBED, target if isinstance(target, _core.ActorRef) else None, {"topic": topic})
        return Subscription(lambda: self._remove(sub), self._system)

    def subscribers(self, topic: str) -> list[Any]:
        """The refs and callables a publish to `topic` would reach, in subscription order; any
        thread."""
        _check_topic(topic, pattern=False)
        return [s.target for s in self._route(topic).subs]

    def _remove(self, sub: _Sub) -> None:
        holder = self._exact.get(sub.topic) if sub.pattern is None else self._patterns
        if holder is not None and sub in holder:
            holder.remove(sub)
            if sub.pattern is None and not holder:
                del self._exact[sub.topic]
        if isinstance(sub.target, _core.ActorRef):
            subs = self._by_cell.get(sub.target)
            if subs is not None and sub in subs:
                subs.remove(sub)
                if not subs:
                    del self._by_cell[sub.target]
        self._cache.clear()
        self._system.emit(
            EV_UNSUBSCRIBED, sub.target if isinstance(sub.target, _core.ActorRef) else None, {"topic": sub.topic}
        )

    def _forget(self, cell: ActorRef) -> None:
        """An actor stopped: its subscriptions end with it."""
        subs = self._by_cell.get(cell)
        if subs:
            for sub in list(subs):
                self._remove(sub)

    def _route(self, topic: str) -> _core.Route:
        route = self._cache.get(topic)
        if route is None:
            words = topic.split(".")
            subs = list(self._exact.get(topic, ()))
            subs += [s for s in self._patterns if _matches(s.pattern, words)]
            route = self._cache[topic] = _route(subs)
        return route

    # -- publishing (the compiled publish calls these for what is not the plain fan-out) ------

    def _route_for_publish(self, topic: str) -> _core.Route:
        _check_topic(topic, pattern=False)
        return self._route(topic)

    def _call_all(self, subs: tuple[_Sub, ...], msg: Any) -> int:
        return sum(self._call(sub, msg) for sub in subs)

    def _unrouted(self, topic: str, msg: Any) -> None:
        system = self._system
        system.n_sent += 1
        system.n_dead_letters += 1
        system.dead_letters._record(Published(topic, msg), None, "no_subscriber")

    def _call(self, sub: _Sub, msg: Any) -> int:
        try:
            result = sub.target(msg)
            if sub.is_async or inspect.isawaitable(result):
                task = self._system.loop.create_task(_await(result))
                self._tasks.add(task)
                task.add_done_callback(lambda t: self._call_done(sub, t))
        except Exception as exc:
            self._subscriber_failed(sub, exc)
            return 0
        return 1

    def _call_done(self, sub: _Sub, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self._subscriber_failed(sub, error)

    def _subscriber_failed(self, sub: _Sub, exc: BaseException) -> None:
        log.error("broker subscriber %r of %r failed", sub.target, sub.topic, exc_info=exc)
        self._system.emit(
            EV_SUBSCRIBER_FAILED, None, lambda: {"topic": sub.topic, "subscriber": repr(sub.target), "error": repr(exc)}
        )

    # -- request-reply --------------------------------------------------------------------------

    async def request(self, topic: str, msg: Any, timeout: Any = _core.DEFAULT) -> Any:
        """Asks one subscriber of `topic` (round-robin among them) and returns its reply.

        Raises:
            NoSubscriberError: Nobody is subscribed (at once).
            WrongThreadError: Run on a thread other than the loop's.
            Exception: Whatever the chosen subscriber's ask raises: its handler's own
                exception, [`AskTimeoutError`][airsrt.AskTimeoutError],
                [`ActorStoppedError`][airsrt.ActorStoppedError]...
        """
        _core._check_thread(self._system, "broker.request", None, True)
        _check_topic(topic, pattern=False)
        subs = self._route(topic).subs
        if not subs:
            raise NoSubscriberError(
                f"no subscriber for topic {topic!r}: nobody can answer {type(msg).__name__} "
                "(subscribe an actor to it first, or check the topic's spelling)"
            )
        turn = self._turns.get(topic, 0)
        self._turns[topic] = turn + 1
        sub = subs[turn % len(subs)]
        return await self._ask(sub, topic, msg, timeout)

    async def gather(self, topic: str, msg: Any, timeout: Any = _core.DEFAULT) -> list[BrokerReply]:
        """Asks every subscriber of `topic` and returns all their answers (scatter-gather).

        A subscriber that fails or times out is reported in its
        [`BrokerReply`][airsrt.BrokerReply]; the others' answers are still returned. No
        subscribers gives an empty list.

        Raises:
            WrongThreadError: Run on a thread other than the loop's.
        """
        _core._check_thread(self._system, "broker.gather", None, True)
        _check_topic(topic, pattern=False)
        subs = self._route(topic).subs
        outcomes = await asyncio.gather(
            *(self._ask(sub, topic, msg, timeout) for sub in subs), return_exceptions=True
        )
        return [
            BrokerReply(sub.target, error=outcome) if isinstance(outcome, BaseException)
            else BrokerReply(sub.target, result=outcome)
            for sub, outcome in zip(subs, outcomes)
        ]

    async def _ask(self, sub: _Sub, topic: str, msg: Any, timeout: Any) -> Any:
        payload = Published(topic, msg) if sub.with_topic else msg
        if isinstance(sub.target, _core.ActorRef):
            return await sub.target.ask(payload, timeout)
        result = sub.target(payload)
        if inspect.isawaitable(result):
            seconds = self._system._default_timeout if timeout is _core.DEFAULT else timeout
            async with asyncio.timeout(seconds):
                result = await result
        return result

    def _close(self) -> None:
        for task in list(self._tasks):
            task.cancel()


async def _await(result: Any) -> Any:
    return await result


def _is_async_callable(fn: Any) -> bool:
    while hasattr(fn, "func") and not inspect.isfunction(fn):  # functools.partial
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def _split(pattern: str) -> tuple[str, ...]:
    return tuple(pattern.split("."))


def _check_topic(topic: Any, *, pattern: bool) -> None:
    if not isinstance(topic, str) or not topic:
        raise ConfigurationError(f"a topic must be a non-empty str, got {topic!r}")
    for word in topic.split("."):
        if not word:
            raise ConfigurationError(f"topic {topic!r} has an empty word (two dots, or a dot at an end)")
        if ("*" in word or "#" in word) and (word not in ("*", "#") or not pattern):
            where = "a wildcard must be a whole word" if pattern else "publish to a topic, not a pattern"
            raise ConfigurationError(f"invalid topic {topic!r}: {where} ('*' is one word, '#' any number)")


def _matches(pattern: tuple[str, ...] | None, words: list[str]) -> bool:
    """Whether the words of a topic match a pattern's words ('*' one, '#' zero or more)."""
    assert pattern is not None
    # Positions in `words` the pattern can have reached so far (an NFA walk: no backtracking).
    positions = {0}
    for part in pattern:
        if part == "#":
            low = min(positions)
            positions = set(range(low, len(words) + 1))
        else:
            positions = {p + 1 for p in positions if p < len(words) and (part == "*" or words[p] == part)}
        if not positions:
            return False
    return len(words) in positions
