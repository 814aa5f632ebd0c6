"""AskFuture in every asyncio function that takes futures or awaitables (issue 11).

Each case runs one stdlib function over asks that are finished (answered before they are passed
on: eager asks, when the dispatcher's budget allows), queued (answered on the loop's next turn),
running (the handler started and waits for a gate) or waiting (queued behind a running handler,
not started), and asserts the exact outcome: values, exception types
and messages, ``cancelled()``, which handlers ran, and the ledger. After every case the system is
shut down and the harness checks that every ask the case made is done, that none was failed by
the shutdown (``returned`` stays 0: nothing was left pending), and the withdrawn and late-reply
counts the case declares.

No case may hang: each runs in a Task given `BOUND` seconds, and one that is not done by then
fails with its name (a plain ``asyncio.timeout`` could not bound it, since the hangs this module
guards against leave a future pending that cancellation cannot reach).

The loop comes from airsrt's pytest plugin: the stdlib loop, or uvloop with
``AIRSRT_TEST_LOOP=uvloop``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

import airsrt
from airsrt import Actor, ErrorAction, handler
from airsrt.testing import check_ledger
from airsrt.testing.plugin import new_test_loop

BOUND = 5.0  # seconds a case may take before it counts as hung (a hang guard, not a timing)


# -- messages and actors ------------------------------------------------------------------------


@dataclass(frozen=True)
class Double(airsrt.Message[int]):
    n: int


@dataclass(frozen=True)
class Fail(airsrt.Message[int]):
    n: int


@dataclass(frozen=True)
class Hold(airsrt.Message[int]):
    n: int


class Echo(Actor):
    """A synchronous handler: an ask to it while it is idle is eager (finished at once)."""

    @handler
    def double(self, msg: Double) -> int:
        return msg.n * 2


class Faulty(Actor):
    """Fails every ask with ValueError and keeps going."""

    error_action = ErrorAction.RESUME

    @handler
    def fail(self, msg: Fail) -> int:
        raise ValueError(f"boom {msg.n}")


class Gated(Actor):
    """An async handler that records that it started, then waits for the test's gate."""

    def __init__(self, gate: asyncio.Event, started: list[int]) -> None:
        self.gate = gate
        self.started = started

    @handler
    async def hold(self, msg: Hold) -> int:
        self.started.append(msg.n)
        await self.gate.wait()
        return msg.n * 10


# -- the kit every case gets --------------------------------------------------------------------


class Kit:
    """One system with the three actors, and asks made in each of the four states."""

    def __init__(self, system: airsrt.ActorSystem) -> None:
        self.system = system
        self.loop = asyncio.get_running_loop()
        self.gate = asyncio.Event()
        self._started: list[int] = []
        self.echo = system.spawn(Echo)
        self.faulty = system.spawn(Faulty)
        self.gated = system.spawn(Gated, self.gate, self._started)
        self.asks: list[airsrt.AskFuture[Any]] = []
        self.base = system.stats()

    @property
    def started(self) -> list[int]:
        """The Holds whose handler ran (the harness's own drain marker left out)."""
        return [n for n in self._started if n >= 0]

    def ask(self, ref: airsrt.ActorRef, msg: Any) -> airsrt.AskFuture[Any]:
        fut = ref.ask(msg)
        self.asks.append(fut)
        return fut

    async def finished(self, n: int) -> airsrt.AskFuture[int]:
        """An ask already answered (``n * 2``): eager when the dispatcher's budget allows."""
        return await self._finished(self.ask(self.echo, Double(n)))

    def queued(self, n: int) -> airsrt.AskFuture[int]:
        """An ask through the mailbox: answered (``n * 2``) on the loop's next turn."""
        return self._queued(self.echo, Double(n))

    async def failing(self, n: int) -> airsrt.AskFuture[int]:
        """An ask already failed with ``ValueError("boom n")``."""
        return await self._finished(self.ask(self.faulty, Fail(n)))

    def failing_queued(self, n: int) -> airsrt.AskFuture[int]:
        """An ask through the mailbox that fails with ``ValueError("boom n")``."""
        return self._queued(self.faulty, Fail(n))

    @staticmethod
    async def _finished(fut: airsrt.AskFuture[int]) -> airsrt.AskFuture[int]:
        # An ask made long after the dispatcher last ran goes through the mailbox (the eager
        # path shares the dispatcher's time budget): then let the loop answer it.
        while not fut.done():
            await asyncio.sleep(0)
        return fut

    def _queued(self, ref: airsrt.ActorRef, msg: Any) -> airsrt.AskFuture[int]:
        self.system.eager_asks = False
        try:
            fut = self.ask(ref, msg)
        finally:
            self.system.eager_asks = True
        assert not fut.done()
        return fut

    async def running(self, n: int) -> airsrt.AskFuture[int]:
        """An ask whose handler has started and waits for the gate (answers ``n * 10``)."""
        fut = self.ask(self.gated, Hold(n))
        while n not in self._started:
            await asyncio.sleep(0)
        return fut

    def waiting(self, n: int) -> airsrt.AskFuture[int]:
        """An ask queued behind the gated actor's running handler: not started."""
        assert self._started and not self.gate.is_set(), "start a running() ask first"
        fut = self.ask(self.gated, Hold(n))
        assert n not in self._started
        return fut

    async def release(self) -> None:
        """Opens the gate and returns once the gated actor has handled everything queued."""
        self.gate.set()
        assert await self.gated.ask(Hold(-1)) == -10

    def delta(self, key: str) -> int:
        return int(getattr(self.system.stats(), key)) - int(getattr(self.base, key))

    def late_replies(self) -> list[Any]:
        return [d.message for d in self.system.dead_letters.recent() if d.reason == "late_reply"]


async def until(predicate: Callable[[], bool]) -> None:
    """Lets the loop run until `predicate` holds (the case's bound limits the wait)."""
    while not predicate():
        await asyncio.sleep(0)


async def bounded(what: str, awaitable: Awaitable[Any]) -> Any:
    """Runs `awaitable` in a Task and fails with `what` if it has not finished in `BOUND` s."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=BOUND)
    if not done:
        task.cancel()
        raise AssertionError(
            f"{what} did not finish within {BOUND:g}s: an asyncio function is left waiting on an "
            "AskFuture that will never wake it"
        )
    return task.result()


async def run_case(system: airsrt.ActorSystem, what: str, body: Callable[[Kit], Awaitable[None]],
                   *, withdrawn: int = 0, late: int = 0) -> Kit:
    """Runs one case on a fresh kit, then shuts the system down and checks what was left."""
    kit = Kit(system)
    await bounded(what, body(kit))
    await bounded(f"{what}: draining the gated actor", kit.release())
    await bounded(f"{what}: shutdown", system.shutdown())
    pending = [f for f in kit.asks if not f.done()]
    assert not pending, f"{what}: asks still pending after shutdown: {pending}"
    ledger = check_ledger(system)
    assert kit.delta("returned") == 0, f"{what}: the shutdown had to fail asks left pending"
    assert kit.delta("withdrawn") == withdrawn, f"{what}: withdrawn asks"
    assert kit.delta("late_replies") == late, f"{what}: late replies"
    assert ledger.stats.rejected == 0 and ledger.stats.dead_letters == 0
    return kit


# -- the matrix -----------------------------------------------------------------------------------

CASES: dict[str, tuple[Callable[[Kit], Awaitable[None]], int, int]] = {}
SKIPS: dict[str, str] = {}


def case(name: str, *, withdrawn: int = 0, late: int = 0, needs: tuple[int, int] | None = None
         ) -> Callable[[Callable[[Kit], Awaitable[None]]], Callable[[Kit], Awaitable[None]]]:
    """Registers a case with the withdrawn and late-reply counts it must leave in the ledger."""

    def register(fn: Callable[[Kit], Awaitable[None]]) -> Callable[[Kit], Awaitable[None]]:
        CASES[name] = (fn, withdrawn, late)
        if needs is not None and sys.version_info < needs:
            SKIPS[name] = f"needs Python {needs[0]}.{needs[1]}+"
        return fn

    return register


async def use(fut: Awaitable[Any]) -> Any:
    return await fut


# gather


@case("gather")
async def _gather(kit: Kit) -> None:
    slow = await kit.running(3)
    fs = [await kit.finished(1), kit.queued(2), slow]
    kit.loop.call_soon(kit.gate.set)
    assert await asyncio.gather(*fs) == [2, 4, 30]


@case("gather_return_exceptions_child_failed")
async def _gather_rx_failed(kit: Kit) -> None:
    fs = [await kit.finished(1), await kit.failing(2), kit.queued(3), kit.failing_queued(4)]
    got = await asyncio.gather(*fs, return_exceptions=True)
    assert got[0] == 2 and got[2] == 6
    assert [type(got[1]), str(got[1])] == [ValueError, "boom 2"]
    assert [type(got[3]), str(got[3])] == [ValueError, "boom 4"]


@case("gather_child_failed")
async def _gather_failed(kit: Kit) -> None:
    slow = await kit.running(3)
    ok, bad = kit.queued(1), kit.failing_queued(2)
    with pytest.raises(ValueError, match="boom 2"):
        await asyncio.gather(ok, bad, slow)
    assert not slow.done(), "gather does not cancel the other children"
    await kit.release()
    assert (await ok, await slow) == (2, 30)


@case("gather_return_exceptions_child_cancelled", withdrawn=1)
async def _gather_rx_cancelled(kit: Kit) -> None:
    fs = [await kit.running(0), kit.waiting(1), kit.waiting(2)]
    assert fs[1].cancel("not needed")
    kit.loop.call_soon(kit.gate.set)
    got = await asyncio.gather(*fs, return_exceptions=True)
    assert got[0] == 0 and got[2] == 20
    assert type(got[1]) is asyncio.CancelledError and got[1].args == ("not needed",)
    assert kit.started == [0, 2], "a withdrawn ask's handler never runs"


@case("gather_child_cancelled", withdrawn=1)
async def _gather_cancelled_child(kit: Kit) -> None:
    fs = [await kit.running(0), kit.waiting(1), kit.waiting(2)]
    fs[1].cancel("not needed")
    with pytest.raises(asyncio.CancelledError) as info:
        await asyncio.gather(*fs)
    assert info.value.args == ("not needed",)
    assert not fs[0].done() and not fs[2].done(), "gather leaves the other children running"
    await kit.release()
    assert (await fs[0], await fs[2]) == (0, 20)
    assert kit.started == [0, 2]


@case("gather_cancelled", withdrawn=2, late=1)
async def _gather_cancelled(kit: Kit) -> None:
    fs = [await kit.running(0), kit.waiting(1), kit.waiting(2)]
    outer = asyncio.gather(*fs)
    assert outer.cancel("stop")
    with pytest.raises(asyncio.CancelledError) as info:
        await outer
    assert info.value.args == ("stop",)
    assert [f.cancelled() for f in fs] == [True, True, True]
    await kit.release()
    assert kit.started == [0], "the two asks not yet started were withdrawn"
    assert kit.late_replies() == [0], "the running one's answer became a late_reply"


@case("gather_awaiting_task_cancelled", withdrawn=1, late=1)
async def _gather_task_cancelled(kit: Kit) -> None:
    fs = [await kit.finished(1), await kit.running(2), kit.waiting(3)]
    task = kit.loop.create_task(use(asyncio.gather(*fs)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [f.cancelled() for f in fs] == [False, True, True]
    await kit.release()
    assert kit.started == [2] and kit.late_replies() == [20]


# shield


@case("shield_inner_done")
async def _shield_done(kit: Kit) -> None:
    done = await kit.finished(1)
    assert asyncio.shield(done) is done  # shield returns a finished future as it is
    assert await asyncio.shield(done) == 2
    assert await asyncio.shield(kit.queued(2)) == 4
    running = await kit.running(3)
    kit.loop.call_soon(kit.gate.set)
    assert await asyncio.shield(running) == 30


@case("shield_outer_cancelled")
async def _shield_outer_cancelled(kit: Kit) -> None:
    inner = await kit.running(1)
    task = kit.loop.create_task(use(asyncio.shield(inner)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not inner.done(), "the shielded ask is not cancelled"
    await kit.release()
    assert await inner == 10


# wait


@case("wait_all_completed")
async def _wait_all(kit: Kit) -> None:
    slow = await kit.running(4)
    fs = [await kit.finished(1), kit.queued(2), kit.failing_queued(3), slow]
    kit.loop.call_soon(kit.gate.set)
    done, pending = await asyncio.wait(fs)
    assert done == set(fs) and not pending
    assert [fs[0].result(), fs[1].result(), fs[3].result()] == [2, 4, 40]
    assert type(fs[2].exception()) is ValueError


@case("wait_first_completed")
async def _wait_first(kit: Kit) -> None:
    slow, quick = await kit.running(1), kit.queued(2)
    done, pending = await asyncio.wait([slow, quick], return_when=asyncio.FIRST_COMPLETED)
    assert done == {quick} and pending == {slow}
    await kit.release()
    assert await slow == 10


@case("wait_first_exception")
async def _wait_first_exception(kit: Kit) -> None:
    slow, ok, bad = await kit.running(1), kit.queued(2), kit.failing_queued(3)
    done, pending = await asyncio.wait([slow, ok, bad], return_when=asyncio.FIRST_EXCEPTION)
    # ok and bad are answered in the same dispatcher pass, before wait's callbacks run.
    assert done == {ok, bad} and pending == {slow}
    assert str(bad.exception()) == "boom 3" and ok.result() == 4
    await kit.release()
    assert await slow == 10


@case("wait_timeout")
async def _wait_timeout(kit: Kit) -> None:
    slow = await kit.running(1)
    done, pending = await asyncio.wait([slow], timeout=0.01)
    assert not done and pending == {slow} and not slow.cancelled(), "wait never cancels"
    await kit.release()
    assert await slow == 10


# wait_for


@case("wait_for_in_time")
async def _wait_for_ok(kit: Kit) -> None:
    assert await asyncio.wait_for(await kit.finished(1), BOUND) == 2
    assert await asyncio.wait_for(kit.queued(2), BOUND) == 4
    assert await asyncio.wait_for(kit.queued(3), None) == 6
    running = await kit.running(4)
    kit.loop.call_soon(kit.gate.set)
    assert await asyncio.wait_for(running, BOUND) == 40


@case("wait_for_timeout_withdraws", withdrawn=1)
async def _wait_for_withdraws(kit: Kit) -> None:
    await kit.running(0)
    waiting = kit.waiting(1)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(waiting, 0.01)
    assert waiting.cancelled()
    await kit.release()
    assert kit.started == [0]


@case("wait_for_timeout_late_reply", late=1)
async def _wait_for_late(kit: Kit) -> None:
    running = await kit.running(1)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(running, 0.01)
    assert running.cancelled()
    await kit.release()
    assert kit.late_replies() == [10]


# as_completed


@case("as_completed")
async def _as_completed(kit: Kit) -> None:
    slow = await kit.running(3)
    fs = [await kit.finished(1), kit.queued(2), slow]
    kit.loop.call_soon(kit.gate.set)
    got = [await next_done for next_done in asyncio.as_completed(fs)]
    assert sorted(got) == [2, 4, 30]


@case("as_completed_async_for", needs=(3, 13))
async def _as_completed_async(kit: Kit) -> None:
    slow = await kit.running(3)
    fs = [await kit.finished(1), kit.queued(2), slow]
    kit.loop.call_soon(kit.gate.set)
    seen = [f async for f in asyncio.as_completed(fs)]
    assert set(seen) == set(fs), "3.13's async iteration yields the futures themselves"


@case("as_completed_timeout")
async def _as_completed_timeout(kit: Kit) -> None:
    slow = await kit.running(1)
    with pytest.raises(TimeoutError):
        await next(iter(asyncio.as_completed([slow], timeout=0.01)))
    assert not slow.done(), "as_completed does not cancel on timeout"
    await kit.release()
    assert await slow == 10


# asyncio.timeout()


@case("timeout_in_time")
async def _timeout_ok(kit: Kit) -> None:
    async with asyncio.timeout(BOUND):
        assert await kit.queued(1) == 2
        assert await (await kit.finished(2)) == 4


@case("timeout_withdraws", withdrawn=1)
async def _timeout_withdraws(kit: Kit) -> None:
    await kit.running(0)
    waiting = kit.waiting(1)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await waiting
    assert waiting.cancelled()
    await kit.release()
    assert kit.started == [0]


@case("timeout_late_reply", late=1)
async def _timeout_late(kit: Kit) -> None:
    running = await kit.running(1)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await running
    assert running.cancelled()
    await kit.release()
    assert kit.late_replies() == [10]


# TaskGroup


@case("taskgroup_all_succeed")
async def _taskgroup_ok(kit: Kit) -> None:
    slow = await kit.running(3)
    fs = [await kit.finished(1), kit.queued(2), slow]
    kit.loop.call_soon(kit.gate.set)
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(use(f)) for f in fs]
    assert [t.result() for t in tasks] == [2, 4, 30]


@case("taskgroup_one_fails", withdrawn=1, late=1)
async def _taskgroup_fails(kit: Kit) -> None:
    running, waiting, bad = await kit.running(0), kit.waiting(1), kit.failing_queued(2)
    with pytest.raises(ExceptionGroup) as info:
        async with asyncio.TaskGroup() as tg:
            for fut in (running, waiting, bad):
                tg.create_task(use(fut))
    assert [(type(e), str(e)) for e in info.value.exceptions] == [(ValueError, "boom 2")]
    assert running.cancelled() and waiting.cancelled(), "the group cancelled the other asks"
    await kit.release()
    assert kit.started == [0] and kit.late_replies() == [0]


# ensure_future, wrap_future, isfuture, get_loop, repr


@case("ensure_future")
async def _ensure_future(kit: Kit) -> None:
    for fut, want in ((await kit.finished(1), 2), (kit.queued(2), 4)):
        assert asyncio.ensure_future(fut) is fut
        assert asyncio.ensure_future(fut, loop=kit.loop) is fut
        assert await asyncio.ensure_future(fut) == want


@case("wrap_future")
async def _wrap_future(kit: Kit) -> None:
    # wrap_future turns a concurrent.futures.Future into an asyncio one and returns anything
    # isfuture() accepts unchanged, as it does an asyncio.Future.
    for fut, want in ((await kit.finished(1), 2), (kit.queued(2), 4)):
        assert asyncio.wrap_future(fut) is fut
        assert await asyncio.wrap_future(fut) == want


@case("isfuture", withdrawn=1)
async def _isfuture(kit: Kit) -> None:
    await kit.running(0)
    cancelled = kit.waiting(1)
    cancelled.cancel()
    for fut in (await kit.finished(1), await kit.failing(3), kit.queued(2), cancelled):
        assert asyncio.isfuture(fut)


@case("get_loop")
async def _get_loop(kit: Kit) -> None:
    for fut in (await kit.finished(1), kit.queued(2)):
        assert fut.get_loop() is kit.loop
        await fut


@case("repr", withdrawn=1)
async def _repr(kit: Kit) -> None:
    echo, faulty, gated = kit.echo.name, kit.faulty.name, kit.gated.name
    await kit.running(0)
    pending = kit.waiting(1)
    assert repr(pending) == f"<AskFuture pending Hold to {gated}>"
    pending.cancel()
    assert repr(pending) == f"<AskFuture cancelled Hold to {gated}>"
    assert repr(await kit.finished(2)) == f"<AskFuture finished result=4 to {echo}>"
    assert repr(await kit.failing(3)) == f"<AskFuture finished exception=ValueError('boom 3') to {faulty}>"


@case("set_result_refused", withdrawn=1)
async def _set_result(kit: Kit) -> None:
    await kit.running(0)
    for fut in (await kit.finished(1), kit.waiting(1)):
        with pytest.raises(RuntimeError, match=r"does not support set_result\(\): the answer comes from"):
            fut.set_result(5)
        with pytest.raises(RuntimeError, match=r"does not support set_exception\(\)"):
            fut.set_exception(ValueError())
    assert fut.cancel(), "a refused set_result leaves the ask pending"


# cancel messages


@case("cancel_message", withdrawn=2)
async def _cancel_message(kit: Kit) -> None:
    await kit.running(0)
    fut = kit.waiting(1)
    assert fut.cancel("no longer needed") and not fut.cancel("twice")
    for get in (fut.result, fut.exception):
        with pytest.raises(asyncio.CancelledError) as info:
            get()
        assert info.value.args == ("no longer needed",)
    with pytest.raises(asyncio.CancelledError) as info:
        await fut
    assert info.value.args == ("no longer needed",)
    plain = kit.waiting(2)
    plain.cancel()
    with pytest.raises(asyncio.CancelledError) as info:
        await plain
    assert info.value.args == ()


@case("task_cancel_message_reaches_the_ask", withdrawn=1)
async def _task_cancel_message(kit: Kit) -> None:
    await kit.running(0)
    fut = kit.waiting(1)
    caught: list[tuple[Any, ...]] = []

    async def waiter() -> None:
        try:
            await fut
        except asyncio.CancelledError as exc:
            caught.append(exc.args)
            raise

    task = kit.loop.create_task(waiter())
    await asyncio.sleep(0)
    task.cancel("from the task")
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fut.cancelled() and caught == [("from the task",)]


# done callbacks


VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


@case("done_callbacks_and_context")
async def _callbacks(kit: Kit) -> None:
    seen: list[tuple[Any, str]] = []

    def record(fut: Any) -> None:
        seen.append((fut, VAR.get()))

    def never(fut: Any) -> None:
        seen.append((fut, "removed callback ran"))

    fut = kit.queued(1)
    VAR.set("at add")
    fut.add_done_callback(record)  # runs in a copy of the context current here
    explicit = contextvars.copy_context()
    explicit.run(VAR.set, "explicit")
    fut.add_done_callback(record, context=explicit)
    VAR.set("later")
    fut.add_done_callback(never)
    fut.add_done_callback(never)
    assert fut.remove_done_callback(never) == 2
    assert fut.remove_done_callback(never) == 0
    assert await fut == 2
    await asyncio.sleep(0)
    assert seen == [(fut, "at add"), (fut, "explicit")]

    seen.clear()
    done = await kit.finished(2)
    done.add_done_callback(record)
    assert seen == [], "a callback on a finished future is scheduled, not called inline"
    await asyncio.sleep(0)
    assert seen == [(done, "later")]


@case("done_callback_on_cancel", withdrawn=1)
async def _callback_on_cancel(kit: Kit) -> None:
    await kit.running(0)
    fut = kit.waiting(1)
    seen: list[bool] = []
    fut.add_done_callback(lambda f: seen.append(f.cancelled()))
    fut.cancel()
    assert seen == []
    await asyncio.sleep(0)
    assert seen == [True]


# Tasks


@case("await_in_create_task")
async def _create_task(kit: Kit) -> None:
    assert await kit.loop.create_task(use(await kit.finished(1))) == 2
    assert await kit.loop.create_task(use(kit.queued(2))) == 4
    running = await kit.running(3)
    task = kit.loop.create_task(use(running))
    await asyncio.sleep(0)
    assert not task.done()
    kit.gate.set()
    assert await task == 30


def eager_factory(loop: asyncio.AbstractEventLoop, coro: Any, *, name: str | None = None,
                  context: contextvars.Context | None = None, eager_start: bool | None = None) -> Any:
    """asyncio.eager_task_factory for loops that pass ``eager_start=`` to task factories
    (uvloop 0.23 on 3.13 does; 3.13's own factory does not take it)."""
    return asyncio.Task(coro, loop=loop, name=name, context=context, eager_start=True)


@case("eager_task_factory", needs=(3, 12))
async def _eager_tasks(kit: Kit) -> None:
    loop = kit.loop
    previous = loop.get_task_factory()
    loop.set_task_factory(asyncio.eager_task_factory)
    try:
        probe = asyncio.sleep(0)
        try:
            await loop.create_task(probe)
        except TypeError as exc:
            probe.close()
            assert "eager_start" in str(exc)
            loop.set_task_factory(eager_factory)
        task = loop.create_task(use(await kit.finished(1)))
        assert task.done() and task.result() == 2, "an eager task over a finished ask ends at once"
        queued = kit.queued(2)
        task = loop.create_task(use(queued))
        assert not task.done()
        assert await task == 4
        running = await kit.running(3)  # the async handler itself starts under the factory
        task = loop.create_task(use(running))
        assert not task.done()
        kit.gate.set()
        assert await task == 30
    finally:
        loop.set_task_factory(previous)


# threads


@case("run_coroutine_threadsafe")
async def _threadsafe(kit: Kit) -> None:
    loop = kit.loop

    async def eager() -> int:
        return await kit.echo.ask(Double(21))

    async def gated() -> int:
        return await kit.ask(kit.gated, Hold(7))

    def from_thread(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=BOUND)

    assert await asyncio.to_thread(from_thread, eager()) == 42
    loop.call_later(0.01, kit.gate.set)
    assert await asyncio.to_thread(from_thread, gated()) == 70


@case("run_coroutine_threadsafe_cancelled", withdrawn=1)
async def _threadsafe_cancel(kit: Kit) -> None:
    loop = kit.loop
    await kit.running(0)
    asked: list[airsrt.AskFuture[int]] = []
    awaiting = threading.Event()

    async def remote() -> int:
        fut = kit.waiting(1)
        asked.append(fut)
        awaiting.set()
        return await fut

    def from_thread() -> str:
        handle = asyncio.run_coroutine_threadsafe(remote(), loop)
        assert awaiting.wait(BOUND)
        handle.cancel()
        try:
            handle.result(timeout=BOUND)
        except concurrent.futures.CancelledError:
            return "cancelled"
        return "answered"

    assert await asyncio.to_thread(from_thread) == "cancelled"
    await until(lambda: asked[0].done())
    assert asked[0].cancelled(), "cancelling the thread's handle withdraws the ask"
    await kit.release()
    assert kit.started == [0]


MATRIX = [
    pytest.param(name, marks=pytest.mark.skip(reason=SKIPS[name])) if name in SKIPS else name
    for name in CASES
]


@pytest.mark.parametrize("name", MATRIX)
async def test_conformance(name: str, actor_system: airsrt.ActorSystem) -> None:
    body, withdrawn, late = CASES[name]
    await run_case(actor_system, name, body, withdrawn=withdrawn, late=late)


# -- the user scenarios of issue 11, as reported ---------------------------------------------------


class Work(airsrt.Message[int]):
    def __init__(self, n: int) -> None:
        self.n = n


class Worker(Actor):
    """An async handler that yields once, like the actor of the report."""

    @handler
    async def work(self, msg: Work) -> int:
        await asyncio.sleep(0)
        return msg.n


async def test_gather_over_asks_with_one_cancelled_returns(actor_system: airsrt.ActorSystem) -> None:
    ref = actor_system.spawn(Worker)

    async def scenario() -> list[Any]:
        fs = [ref.ask(Work(n)) for n in range(3)]
        fs[1].cancel()
        return await asyncio.gather(*fs, return_exceptions=True)

    got = await bounded("gather(return_exceptions=True) with a cancelled ask", scenario())
    assert got[0] == 0 and got[2] == 2 and type(got[1]) is asyncio.CancelledError
    stats = actor_system.stats()
    assert stats.withdrawn == 1 and stats.late_replies == 0


async def test_cancelling_a_gather_of_asks_returns(actor_system: airsrt.ActorSystem) -> None:
    ref = actor_system.spawn(Worker)
    fs: list[airsrt.AskFuture[int]] = []

    async def scenario() -> None:
        fs.extend(ref.ask(Work(n)) for n in range(3))
        outer = asyncio.gather(*fs)
        outer.cancel()
        await outer

    with pytest.raises(asyncio.CancelledError):
        await bounded("a cancelled gather of asks", scenario())
    assert [f.cancelled() for f in fs] == [True, True, True]
    # Cancelled before the dispatcher's next turn: no handler started, all three are withdrawn.
    stats = actor_system.stats()
    assert stats.withdrawn == 3 and stats.handled == 0


async def test_the_312_probe_shield_wait_as_completed_and_task(actor_system: airsrt.ActorSystem) -> None:
    """The probe that failed on 3.12/3.13: the same calls over asks to an async handler."""
    ref = actor_system.spawn(Worker)

    async def scenario() -> None:
        assert await asyncio.shield(ref.ask(Work(1))) == 1
        done, pending = await asyncio.wait([ref.ask(Work(2)), ref.ask(Work(3))])
        assert sorted(f.result() for f in done) == [2, 3] and not pending
        assert sorted([await f for f in asyncio.as_completed([ref.ask(Work(4)), ref.ask(Work(5))])]) == [4, 5]
        assert await asyncio.get_running_loop().create_task(use(ref.ask(Work(6)))) == 6

    await bounded("shield, wait, as_completed and create_task over asks", scenario())


def test_run_until_complete_takes_an_ask() -> None:
    """``loop.run_until_complete`` accepts a future, so it accepts an ask (finished or not)."""
    loop = new_test_loop()
    try:
        system = airsrt.ActorSystem(name="run_until_complete", log_failures=False)

        async def start() -> airsrt.ActorRef:
            system.start()
            return system.spawn(Echo)

        ref = loop.run_until_complete(start())
        assert loop.run_until_complete(ref.ask(Double(1))) == 2
        system.eager_asks = False
        queued = ref.ask(Double(2))
        assert not queued.done()
        assert loop.run_until_complete(queued) == 4
        loop.run_until_complete(system.shutdown())
        stats = check_ledger(system).stats
        assert stats.handled == 2 and stats.returned == 0
    finally:
        loop.close()
