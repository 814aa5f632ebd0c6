"""Restart policies, supervision strategies, restart intensity and backoff (OTP semantics).

A strategy names which children restart when one fails, and how often a supervisor may restart
before it gives up: more than ``max_restarts`` restarts within ``within`` seconds, counted over a
sliding window per supervisor (across all its children), as Erlang/OTP does.
"""

from __future__ import annotations

import abc
import enum
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from airsrt._errors import ConfigurationError

__all__ = [
    "Backoff",
    "DynamicSupervisor",
    "OneForAll",
    "OneForOne",
    "RestForOne",
    "RestartIntensity",
    "RestartPolicy",
    "Strategy",
    "is_normal_exit",
]

T = TypeVar("T")


class RestartPolicy(enum.Enum):
    """When a supervisor restarts a child.

    Attributes:
        PERMANENT: Always, whatever ended it (the default).
        TRANSIENT: Only after a failure; not after a normal exit, nor one with reason
            ``"shutdown"`` or ``("shutdown", payload)``.
        TEMPORARY: Never, not even as the bystander of a one-for-all or rest-for-one restart;
            its spec is forgotten once it ends.
    """

    PERMANENT = "permanent"
    TRANSIENT = "transient"
    TEMPORARY = "temporary"

    @classmethod
    def parse(cls, value: object, child: object) -> RestartPolicy:
        """Accepts a RestartPolicy or its name; anything else is a ConfigurationError."""
        if isinstance(value, RestartPolicy):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        raise ConfigurationError(
            f"child {child!r}: invalid restart policy {value!r} "
            "(expected permanent/transient/temporary, e.g. airsrt.RestartPolicy.PERMANENT)"
        )


def is_normal_exit(reason: object) -> bool:
    """True for the exit reasons OTP counts as normal: ``"normal"``, ``"shutdown"`` and
    ``("shutdown", payload)``. A TRANSIENT child that exits with one of them is not restarted."""
    if reason == "normal" or reason == "shutdown":
        return True
    return type(reason) is tuple and len(reason) == 2 and reason[0] == "shutdown"


class RestartIntensity:
    """OTP's restart intensity: more than `max_restarts` restarts within `within` seconds means
    give up. ``max_restarts=0`` gives up at the first failure.

    Args:
        max_restarts: Restarts allowed inside the window (>= 0).
        within: Window length in seconds (> 0).
    """

    __slots__ = ("_times", "max_restarts", "within")

    def __init__(self, max_restarts: int, within: float) -> None:
        _check_limits(max_restarts, within)
        self.max_restarts = max_restarts
        self.within = float(within)
        self._times: deque[float] = deque()

    def add(self, now: float) -> bool:
        """Records a restart at `now`; returns False once the limit is exceeded."""
        times = self._times
        times.append(now)
        while times and now - times[0] > self.within:
            times.popleft()
        return len(times) <= self.max_restarts

    def count(self, now: float) -> int:
        """Restarts still inside the window at `now`."""
        return sum(1 for t in self._times if now - t <= self.within)

    def clear(self) -> None:
        """Forgets the restarts counted so far (a pool does, once a worker has served again)."""
        self._times.clear()


def _check_limits(max_restarts: object, within: object) -> None:
    if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 0:
        raise ConfigurationError(f"max_restarts must be an int >= 0, got {max_restarts!r}")
    if (
        isinstance(within, bool)
        or not isinstance(within, (int, float))
        or not math.isfinite(within)
        or not within > 0
    ):
        raise ConfigurationError(f"within must be a finite number of seconds > 0, got {within!r}")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential delay before restarts: ``initial * factor ** (n - 1)``, capped at `maximum`,
    spread by ``± jitter`` (a fraction). The count starts again after a quiet period of
    ``(initial + maximum) / 2`` seconds without a restart."""

    initial: float
    maximum: float
    factor: float = 2.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        for name in ("initial", "maximum", "factor", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigurationError(f"Backoff {name} must be a finite number, got {value!r}")
        if self.initial < 0 or self.maximum < self.initial:
            raise ConfigurationError(
                f"Backoff needs 0 <= initial <= maximum, got initial={self.initial}, "
                f"maximum={self.maximum}"
            )
        if self.factor < 1:
            raise ConfigurationError(f"Backoff factor must be >= 1, got {self.factor}")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"Backoff jitter must be within [0, 1], got {self.jitter}")

    @property
    def reset_after(self) -> float:
        """Seconds without a restart after which the delays start from `initial` again."""
        return (self.initial + self.maximum) / 2

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The delay before restart number `attempt` (1-based) of a child."""
        base = min(self.initial * self.factor ** max(attempt - 1, 0), self.maximum)
        if self.jitter:
            spread = (rng or random).uniform(-self.jitter, self.jitter)
            base = min(max(base * (1 + spread), 0.0), self.maximum)
        return base


class Strategy(abc.ABC):
    """Base of the supervision strategies: [`OneForOne`][airsrt.OneForOne],
    [`OneForAll`][airsrt.OneForAll], [`RestForOne`][airsrt.RestForOne].

    Args:
        max_restarts: Restarts a supervisor may make within `within` seconds (default 3).
        within: The sliding window, in seconds (default 5).
        backoff: Optional [`Backoff`][airsrt.Backoff] delaying restarts; messages sent
            meanwhile wait.
    """

    __slots__ = ("backoff", "max_restarts", "within")

    #: Whether a failure can restart other children than the failed one.
    restarts_siblings = True

    def __init__(self, max_restarts: int = 3, within: float = 5.0, backoff: Backoff | None = None) -> None:
        _check_limits(max_restarts, within)
        if backoff is not None and not isinstance(backoff, Backoff):
            raise ConfigurationError(f"backoff must be an airsrt.Backoff or None, got {backoff!r}")
        self.max_restarts = max_restarts
        self.within = float(within)
        self.backoff = backoff

    @abc.abstractmethod
    def affected(self, children: Sequence[T], failed: T) -> list[T]:
        """The children (in start order) that restart because `failed` did."""

    def intensity(self) -> RestartIntensity:
        """A fresh restart-intensity window with this strategy's limits."""
        return RestartIntensity(self.max_restarts, self.within)

    def __repr__(self) -> str:
        backoff = f", backoff={self.backoff!r}" if self.backoff else ""
        return f"{type(self).__name__}(max_restarts={self.max_restarts}, within={self.within:g}{backoff})"


class OneForOne(Strategy):
    """Restart only the child that failed."""

    __slots__ = ()
    restarts_siblings = False

    def affected(self, children: Sequence[T], failed: T) -> list[T]:
        return [failed]


class OneForAll(Strategy):
    """Restart every child: stop the others in reverse start order, then start all in order."""

    __slots__ = ()

    def affected(self, children: Sequence[T], failed: T) -> list[T]:
        return list(children)


class RestForOne(Strategy):
    """Restart the failed child and the ones started after it: stop those later siblings in
    reverse order, then start the failed child and them in order."""

    __slots__ = ()

    def affected(self, children: Sequence[T], failed: T) -> list[T]:
        index = list(children).index(failed)
        return list(children)[index:]


class DynamicSupervisor(Strategy):
    """A supervisor of children started on demand from one template (OTP's
    ``simple_one_for_one``, Elixir's ``DynamicSupervisor``): one actor per entity.

    ```python
    sup = await system.spawn_supervisor(DynamicSupervisor(), template=ChildSpec("session", Session))
    ref = await sup.start_child(user_id)   # Session(user_id); args follow the template's
    ```

    Only the failed child restarts; its children need no ids (refs name them), and a child that
    ends for good is forgotten. Restart intensity is counted over all children, as for the other
    strategies. A shutdown stops every child at once, each with the template's grace.

    Args:
        max_children: How many children may exist at once (None: no limit); ``start_child``
            past it raises `MaxChildrenError`.
        max_restarts: Restarts the supervisor may make within `within` seconds (default 3).
        within: The sliding window, in seconds (default 5).
        backoff: Optional `Backoff` delaying restarts.
    """

    __slots__ = ("max_children",)
    restarts_siblings = False

    def __init__(
        self,
        max_children: int | None = None,
        max_restarts: int = 3,
        within: float = 5.0,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(max_restarts, within, backoff)
        if max_children is not None and (
            isinstance(max_children, bool) or not isinstance(max_children, int) or max_children < 1
        ):
            raise ConfigurationError(f"max_children must be an int >= 1 or None, got {max_children!r}")
        self.max_children = max_children

    def affected(self, children: Sequence[T], failed: T) -> list[T]:
        return [failed]

    def __repr__(self) -> str:
        limit = f"max_children={self.max_children}, " if self.max_children is not None else ""
        backoff = f", backoff={self.backoff!r}" if self.backoff else ""
        return (
            f"DynamicSupervisor({limit}max_restarts={self.max_restarts}, "
            f"within={self.within:g}{backoff})"
        )
