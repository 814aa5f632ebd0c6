"""pytest plugin: run ``async def`` tests on a fresh loop, with an ``actor_system`` fixture.

* Each coroutine test gets a new event loop: the stdlib loop, or uvloop when
  ``AIRSRT_TEST_LOOP=uvloop``; a test marked ``@pytest.mark.virtual_time`` runs on a looptime
  loop whose clock jumps to the next timer whenever the loop is idle (stdlib loop only, since
  uvloop's clock cannot be replaced), so timeouts and timers cost no real time.
* The ``actor_system`` fixture gives an `airsrt.ActorSystem` (strict mode) started on
  that loop; after the test it is shut down and the ledger is checked
  (`airsrt.testing.check_ledger`); a handler that blocked the loop fails the test.
* The ``clock`` fixture runs the test on a loop whose time moves only when the test calls
  ``await clock.advance(seconds)`` (`airsrt.testing.clock`).
* The ``ledger`` fixture follows every message sent through it to exactly one outcome
  (`airsrt.testing.MessageLedger`), checked after the shutdown.
* After a test, a task still pending or an error reported to the loop's exception handler
  (e.g. "Task exception was never retrieved") fails the test.

Coroutine tests that pytest-asyncio owns (marked ``asyncio``) are left to it.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
from typing import Any

import pytest

from airsrt._lifecycle import abandoned_tasks
from airsrt._monitoring import Severity
from airsrt._system import ActorSystem
from airsrt.testing import MessageLedger, check_ledger
from airsrt.testing.clock import ManualClock, new_manual_loop


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "virtual_time: run on a looptime loop whose clock jumps ahead while the loop is idle",
    )
    config.addinivalue_line(
        "markers",
        "actor_system(**options): ActorSystem keyword arguments for the actor_system fixture",
    )


def new_test_loop(virtual_time: bool = False) -> asyncio.AbstractEventLoop:
    """The event loop a test runs on (see the module docstring)."""
    if virtual_time:
        import looptime

        return looptime.new_event_loop()
    if os.environ.get("AIRSRT_TEST_LOOP", "asyncio") == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


@pytest.fixture
def actor_system(request: pytest.FixtureRequest) -> ActorSystem:
    """An ActorSystem for the test, started on the test's loop and checked afterwards.

    It runs in strict mode: a handler that blocks the loop longer than the watchdog's limit
    fails its message with SlowHandlerError, and any such report fails the test. Mark a test
    ``@pytest.mark.actor_system(**options)`` to pass other ActorSystem arguments (for example
    ``slow_handler_limit=None`` where busy threads hold the GIL: a handler waiting for the GIL
    holds up the loop too, and the watchdog, measuring wall time, cannot tell the difference).
    """
    options: dict[str, Any] = {"name": request.node.name, "log_failures": False, "strict": True}
    marker = request.node.get_closest_marker("actor_system")
    if marker is not None:
        options.update(marker.kwargs)
    return ActorSystem(**options)


@pytest.fixture
def clock() -> ManualClock:
    """A [`ManualClock`][airsrt.testing.ManualClock]: the test runs on a loop whose time moves
    only on `await clock.advance(seconds)` (timers, timeouts, supervision windows, backoff).

    A test that awaits a time it never advances to fails with
    [`ClockStalledError`][airsrt.testing.ClockStalledError] instead of hanging."""
    return ManualClock()


@pytest.fixture
def ledger(actor_system: ActorSystem) -> MessageLedger:
    """A [`MessageLedger`][airsrt.testing.MessageLedger] on `actor_system`, checked after the
    test's shutdown: every message sent through it must reach exactly one outcome."""
    return MessageLedger(actor_system)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    if pyfuncitem.get_closest_marker("asyncio") is not None and pyfuncitem.config.pluginmanager.has_plugin("asyncio"):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    clocks = [v for v in pyfuncitem.funcargs.values() if isinstance(v, ManualClock)]
    if clocks:
        loop = new_manual_loop(clocks[0])
    else:
        loop = new_test_loop(pyfuncitem.get_closest_marker("virtual_time") is not None)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_run_test(pyfuncitem.obj, kwargs))
        _check_loop(loop, errors)
    finally:
        _close(loop)
    return True


async def _run_test(fn: Any, kwargs: dict[str, Any]) -> None:
    systems = [v for v in kwargs.values() if isinstance(v, ActorSystem)]
    ledgers = [v for v in kwargs.values() if isinstance(v, MessageLedger)]
    systems += [lg.system for lg in ledgers if lg.system not in systems]
    slow: list[Any] = []
    for system in systems:
        system.start()
        system.events.subscribe(
            lambda event: slow.append(event) if event.kind == "actor.slow_handler" else None,
            min_severity=Severity.WARNING,
        )
    try:
        await fn(**kwargs)
    finally:
        for system in systems:
            await system.shutdown()
    for system in systems:
        check_ledger(system)
    for ledger in ledgers:
        ledger.check()
    if slow:
        raise AssertionError(
            "handlers blocked the event loop during the test: "
            + "; ".join(f"{e.actor} handling {e.details['message_type']} for "
                        f"{e.details['lag']:.2f}s" for e in slow)
        )


def _check_loop(loop: asyncio.AbstractEventLoop, errors: list[dict[str, Any]]) -> None:
    # A task airsrt abandoned was reported by its shutdown (ShutdownTimeoutError); it is
    # expected to outlive the test.
    leftover = [t for t in asyncio.all_tasks(loop) if not t.done() and t not in abandoned_tasks]
    if leftover:
        for task in leftover:
            task.cancel()
        loop.run_until_complete(asyncio.wait(leftover, timeout=1.0))
        raise AssertionError(f"the test left tasks running: {[t.get_name() for t in leftover]}")
    gc.collect()
    loop.run_until_complete(asyncio.sleep(0))
    if errors:
        messages = "; ".join(str(e.get("message")) + f" ({e.get('exception')!r})" for e in errors)
        raise AssertionError(f"the loop reported errors during the test: {messages}")


def _close(loop: asyncio.AbstractEventLoop) -> None:
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task._log_destroy_pending = False  # type: ignore[attr-defined]
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
