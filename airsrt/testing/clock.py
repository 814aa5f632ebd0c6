"""A controllable clock for deterministic tests: time moves only when the test says so.

`new_manual_loop` makes an asyncio event loop whose ``time()`` is a counter the test
moves with `ManualClock.advance`. Everything in airsrt that waits takes its time from the
loop (timers, ask timeouts, message TTLs, receive timeouts, supervision windows, backoff,
health checks, stop grace periods), so all of it stands still until the test advances the
clock, and then fires in order, with no real sleeping:

```python
async def test_backoff(clock, actor_system):       # the pytest plugin provides both
    ...
    await clock.advance(0.1)                       # the first restart happens now
    assert ...
```

With ``auto_advance=True`` the clock is virtual time instead: whenever the loop has nothing
ready to run, it jumps straight to the next timer, so a test that sleeps or times out waits
no real time at all (the plugin's ``@pytest.mark.virtual_time``). The plugin also switches a
test's clock to virtual time for the teardown, so shutdown grace periods pass by themselves.

The loop still runs ready callbacks and I/O at full speed. While a thread it started
(``run_in_executor``, ``asyncio.to_thread``, ``context.run_blocking``) is working, it waits
for that thread in real time: a virtual clock moves on by the real time waited, a manual
clock stays put. If the loop has nothing to do but wait for its clock (or, under virtual time,
for something that has no timer at all), it fails the waiting tasks with `ClockStalledError`
after ``stall_after`` seconds of real time, instead of hanging.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar, TypeVarTuple

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

__all__ = ["ClockStalledError", "ManualClock", "new_manual_loop"]

_POLL = 0.005  # real seconds the idle loop sleeps between looks at its I/O


class ClockStalledError(asyncio.TimeoutError):
    """The loop had nothing to do but wait: for its manual clock, which the test did not move,
    or (under virtual time) for something no timer, thread or I/O would ever bring."""


class ManualClock:
    """The clock of a loop made by [`new_manual_loop`][airsrt.testing.new_manual_loop].

    Args:
        start: The initial reading (seconds).
        stall_after: Real seconds an idle loop waits for I/O or other threads before it fails
            the tasks waiting on it (see the module docstring).
        auto_advance: Virtual time: the clock jumps to the next timer whenever the loop has
            nothing ready to run. Can be switched at any time.
    """

    def __init__(self, start: float = 0.0, stall_after: float = 2.0, *,
                 auto_advance: bool = False) -> None:
        self._now = float(start)
        self.stall_after = stall_after
        self.auto_advance = auto_advance
        self._loop: asyncio.BaseEventLoop | None = None

    @property
    def now(self) -> float:
        """The current reading: what ``loop.time()`` returns."""
        return self._now

    async def advance(self, seconds: float) -> None:
        """Moves the clock forward by `seconds`, running everything that falls due on the way.

        Timers fire in time order, each with the clock set to its own due time, and whatever
        they schedule (at once or for a time before the end) runs too, before this returns.

        Raises:
            ValueError: `seconds` is negative.
        """
        if not seconds >= 0:
            raise ValueError(f"clock.advance() needs seconds >= 0, got {seconds!r}")
        loop = self._bound()
        target = self._now + seconds
        await _settle(loop)
        while True:
            due = _next_timer(loop)
            if due is None or due > target:
                break
            self._now = max(self._now, due)
            await _settle(loop)
        self._now = max(self._now, target)
        await _settle(loop)

    def _bound(self) -> asyncio.BaseEventLoop:
        if self._loop is None:
            raise RuntimeError("this ManualClock drives no loop; make one with new_manual_loop()")
        return self._loop

    def __repr__(self) -> str:
        mode = "virtual" if self.auto_advance else "manual"
        return f"<ManualClock {mode} now={self._now:g}>"


def new_manual_loop(clock: ManualClock | None = None) -> asyncio.AbstractEventLoop:
    """A new event loop (the stdlib selector loop) whose time is `clock` (a new one if None).

    The clock is ``loop.clock``.
    """
    return _ManualLoop(clock or ManualClock())


class _ManualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self.clock = clock
        clock._loop = self
        selector: selectors.BaseSelector = self._selector  # type: ignore[attr-defined]
        self._real_select: Callable[[float | None], list[tuple[selectors.SelectorKey, int]]] = selector.select
        self._idle_since: float | None = None
        self._thread_jobs: set[asyncio.Future[Any]] = set()
        selector.select = self._select  # type: ignore[method-assign]

    def time(self) -> float:
        return self.clock._now

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*_Ts], _T], *args: *_Ts
    ) -> asyncio.Future[_T]:
        # Remembered so that the idle loop waits for the thread instead of moving time past it.
        future = super().run_in_executor(executor, func, *args)
        self._thread_jobs.add(future)
        future.add_done_callback(self._thread_jobs.discard)
        return future

    def _select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        # asyncio asks to sleep until the next timer (`timeout`, in clock seconds) or forever.
        if timeout == 0:
            return self._real_select(0)
        clock = self.clock
        if self._thread_jobs:
            # A thread the loop started is working: wait for it in real time, in short steps;
            # virtual time moves by the real time waited (never past the next timer).
            began = time.monotonic()
            ready = self._real_select(_POLL if timeout is None else min(timeout, _POLL))
            if clock.auto_advance:
                waited = time.monotonic() - began
                clock._now += waited if timeout is None else min(waited, timeout)
            self._idle_since = None
            return ready
        ready = self._real_select(0)
        if ready:
            self._idle_since = None
            return ready
        if clock.auto_advance and timeout is not None:
            due = _next_timer(self)
            clock._now = max(clock._now, due if due is not None else clock._now + timeout)
            self._idle_since = None
            return ready
        # Sleep in short real steps instead, so I/O and other threads are still served, and
        # give up when nothing has happened for `stall_after` real seconds.
        ready = self._real_select(_POLL)
        if ready or self._ready:  # type: ignore[attr-defined]
            self._idle_since = None
            return ready
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        elif now - self._idle_since > clock.stall_after:
            self._idle_since = None
            self._stall()
        return ready

    def _stall(self) -> None:
        due = _next_timer(self)
        if due is not None:
            advice = f"the next timer is due at {due:g}; call `await clock.advance(...)`"
        else:
            advice = (
                "no timer is pending, so no amount of clock time would help: the test awaits "
                "something nothing is going to do (an event never set, a reply never sent)"
            )
        for task in asyncio.all_tasks(self):
            waiter: Any = getattr(task, "_fut_waiter", None)
            if waiter is not None and not waiter.done():
                waiter.set_exception(ClockStalledError(
                    f"the loop waited {self.clock.stall_after:g}s of real time with nothing to do "
                    f"at clock time {self.clock.now:g} ({advice})"
                ))


def _next_timer(loop: Any) -> float | None:
    """When the earliest live timer of `loop` is due, or None."""
    scheduled = loop._scheduled  # asyncio's heap of TimerHandles (stdlib loops)
    if scheduled and not scheduled[0].cancelled():
        return float(scheduled[0].when())
    # Cancelled handles stay in the heap until the loop drops them; look past them.
    return min((h.when() for h in scheduled if not h.cancelled()), default=None)


async def _settle(loop: Any) -> None:
    """Yields until the loop has run everything ready now (and what that made ready)."""
    quiet = 0
    for _ in range(10_000):
        await asyncio.sleep(0)
        # When this task resumes, everything queued before it has run; stop after three
        # turns in a row find nothing else queued.
        quiet = quiet + 1 if not loop._ready else 0
        if quiet >= 3:
            return
