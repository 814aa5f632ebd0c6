"""pytest plugin: airsrt's test kit in any project, with no flags and no configuration.

Installed with airsrt as the ``pytest11`` entry point ``airsrt`` (``pip install
"airsrt[testing]"`` brings pytest too); it needs no other plugin.

* Each ``async def`` test gets a fresh event loop: the stdlib loop, or uvloop when
  ``AIRSRT_TEST_LOOP=uvloop``. A test that takes the ``clock`` fixture runs on a loop whose time
  moves only on ``await clock.advance(seconds)``; a test marked ``@pytest.mark.virtual_time``
  runs on one whose clock jumps to the next timer whenever the loop has nothing ready, so
  timeouts and timers cost no real time (both are airsrt's own stdlib loop,
  `airsrt.testing.clock`).
* ``actor_system``: an `airsrt.ActorSystem` in strict mode, started as the test begins, shut
  down and checked as it ends (see the fixture). ``ledger``: a `airsrt.testing.MessageLedger`
  on it, checked after the shutdown. ``clock``: the test's `airsrt.testing.ManualClock`.
* After a test airsrt ran, a task still pending or an error reported to the loop's exception
  handler (e.g. "Task exception was never retrieved") fails the test.
* Coroutine tests that another plugin runs are left to it: pytest-asyncio's (marked
  ``asyncio``, which its auto mode does to every coroutine test) and anyio's (marked ``anyio``).
  ``actor_system`` and ``ledger`` work there too: the system starts on whatever loop runs the
  test, as the test's coroutine begins, and is shut down and checked as it ends, in the same
  task. ``clock`` and ``virtual_time`` need airsrt's loop, so there they are a setup error
  that says what to change.
* looptime's pytest plugin works only with pytest-asyncio (without it, it breaks every
  fixture); when pytest-asyncio is not loaded, this plugin blocks it, as ``-p
  no:looptime_plugin`` would.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any

import pytest

from airsrt._errors import SlowHandlerError
from airsrt._lifecycle import abandoned_tasks
from airsrt._monitoring import Event, Severity
from airsrt._system import ActorSystem
from airsrt.testing import MessageLedger, check_ledger
from airsrt.testing.clock import ManualClock, new_manual_loop

# Fixtures whose objects the plugin starts, stops and checks around a test.
_MANAGED = ("actor_system", "ledger")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "virtual_time: run on airsrt's loop whose clock jumps to the next timer while the loop "
        "is idle",
    )
    config.addinivalue_line(
        "markers",
        "actor_system(**options): ActorSystem keyword arguments for the actor_system fixture",
    )
    config.addinivalue_line(
        "markers",
        "expect_slow_handlers: handlers that block the loop do not fail this test",
    )
    plugins = config.pluginmanager
    if plugins.has_plugin("looptime_plugin") and not plugins.has_plugin("asyncio"):
        # looptime 0.9's fixture hook reads pytest-asyncio's module unconditionally and fails
        # every fixture's setup without it; it has nothing to do without pytest-asyncio anyway.
        plugins.set_blocked("looptime_plugin")


def new_test_loop(virtual_time: bool = False) -> asyncio.AbstractEventLoop:
    """The event loop a test runs on (see the module docstring)."""
    if virtual_time:
        return new_manual_loop(ManualClock(auto_advance=True))
    if os.environ.get("AIRSRT_TEST_LOOP", "asyncio") == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


@pytest.fixture
def actor_system(request: pytest.FixtureRequest) -> ActorSystem:
    """An ActorSystem for the test, started on the test's loop and checked afterwards.

    The system starts as the test's coroutine begins, on the loop that runs it (airsrt's, or
    pytest-asyncio's or anyio's for tests they run), and is shut down when it ends, in the same
    task. Actors still busy then get their stop grace as in any shutdown; under the ``clock``
    fixture the clock turns to virtual time for the teardown, so the grace passes at once. Then
    the test fails if a message is unaccounted for (`airsrt.testing.check_ledger`) or an ask is
    still pending.

    It runs in strict mode: a handler that blocks the loop longer than the watchdog's limit
    fails its message with SlowHandlerError. Such a report is expected when that error reached
    the test function itself (``with pytest.raises(SlowHandlerError): await ref.ask(...)``);
    any other (a tell, an ask nobody awaited, an error caught elsewhere, a handler that blocked
    and then raised its own error) fails the test. Mark a test ``@pytest.mark.expect_slow_handlers``
    when it means to block the loop without seeing the error (say, to check that a supervisor
    restarts a slow child).

    Mark a test ``@pytest.mark.actor_system(**options)`` to pass other ActorSystem arguments
    (for example ``slow_handler_limit=None`` where busy threads hold the GIL: a handler waiting
    for the GIL holds up the loop too, and the watchdog, measuring wall time, cannot tell the
    difference). In a sync test the system is never started.
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

    With ``@pytest.mark.virtual_time`` too, it also jumps to the next timer whenever the loop
    is idle. For the teardown it always does, so the shutdown's grace periods pass by
    themselves instead of stalling.
    """
    return ManualClock()


@pytest.fixture
def ledger(actor_system: ActorSystem) -> MessageLedger:
    """A [`MessageLedger`][airsrt.testing.MessageLedger] on `actor_system`, checked after the
    test's shutdown: every message sent through it must reach exactly one outcome."""
    return MessageLedger(actor_system)


# -- who runs a coroutine test ----------------------------------------------------------------


def _foreign_runner(item: pytest.Item) -> str | None:
    """The plugin that runs this coroutine test instead of airsrt, if any."""
    plugins = item.config.pluginmanager
    if item.get_closest_marker("asyncio") is not None and plugins.has_plugin("asyncio"):
        return "pytest-asyncio"
    if "anyio_backend" in getattr(item, "fixturenames", ()) and plugins.has_plugin("anyio"):
        return "anyio"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    runner = _foreign_runner(item)
    if runner is None:
        return
    wanted = []
    if "clock" in getattr(item, "fixturenames", ()):
        wanted.append("the clock fixture")
    if item.get_closest_marker("virtual_time") is not None:
        wanted.append("@pytest.mark.virtual_time")
    if not wanted:
        return
    if runner == "anyio":
        fix = "drop its anyio marker (and anyio_backend) so that airsrt runs it"
    elif _asyncio_mode(item.config) == "auto":
        fix = (
            "pytest-asyncio's auto mode claims every coroutine test: set asyncio_mode = strict "
            "(its default) and mark only the tests it should run"
        )
    else:
        fix = "drop its asyncio marker so that airsrt runs it (strict mode leaves unmarked tests to airsrt)"
    pytest.fail(
        f"{item.name} uses {' and '.join(wanted)}, which need{'s' if len(wanted) == 1 else ''} "
        f"the event loop airsrt makes for a test, but {runner} runs this test on its own loop; {fix}",
        pytrace=False,
    )


def _asyncio_mode(config: pytest.Config) -> str:
    mode = config.getoption("asyncio_mode", None)
    if mode is None:
        try:
            mode = config.getini("asyncio_mode")
        except ValueError:
            mode = "strict"
    return str(mode)


# -- tests airsrt runs -------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    test = pyfuncitem.obj
    if not inspect.iscoroutinefunction(test) or _foreign_runner(pyfuncitem) is not None:
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    loop = _new_loop(pyfuncitem)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_run_test(pyfuncitem, lambda: test(**kwargs), _code_of(test)))
        _check_loop(loop, errors)
    finally:
        _close(loop)
    return True


def _new_loop(item: pytest.Function) -> asyncio.AbstractEventLoop:
    virtual = item.get_closest_marker("virtual_time") is not None
    clock = item.funcargs.get("clock")
    if isinstance(clock, ManualClock):
        clock.auto_advance = clock.auto_advance or virtual
        return new_manual_loop(clock)
    return new_test_loop(virtual)


# -- tests another plugin runs -----------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    if not (isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj)):
        return (yield)
    if _foreign_runner(item) is None:
        # airsrt runs it (pytest_pyfunc_call). Until then no loop is current, so a plugin that
        # asks for one first (looptime's wrapper does) gets an error, not a stray new loop.
        asyncio.set_event_loop(None)
        return (yield)
    if not any(name in item.fixturenames for name in _MANAGED):
        return (yield)
    # The other plugin awaits item.obj on its loop; the system starts and stops around the
    # test inside that same coroutine.
    test = item.obj

    @functools.wraps(test)
    async def run_with_airsrt(*args: Any, **kwargs: Any) -> None:
        await _run_test(item, lambda: test(*args, **kwargs), _code_of(test))

    item.obj = run_with_airsrt
    try:
        return (yield)
    finally:
        item.obj = test


# -- around every coroutine test -------------------------------------------------------------


@dataclass
class _SlowReport:
    actor: str
    message_type: str
    lag: float
    error: SlowHandlerError | None = None

    def reached(self, code: set[CodeType]) -> bool:
        """Whether the SlowHandlerError passed through the test function's own frame."""
        tb = self.error.__traceback__ if self.error is not None else None
        while tb is not None:
            if tb.tb_frame.f_code in code:
                return True
            tb = tb.tb_next
        return False


async def _run_test(
    item: pytest.Function, call: Callable[[], Awaitable[Any]], code: set[CodeType]
) -> None:
    system = item.funcargs.get("actor_system")
    ledger = item.funcargs.get("ledger")
    if not isinstance(system, ActorSystem):
        system = None
    if not isinstance(ledger, MessageLedger):
        ledger = None
    slow: list[_SlowReport] = []
    if system is not None:
        system.start()
        _record_slow_handlers(system, slow)
    try:
        await call()
    except BaseException as failure:
        await _shut_down(system, failure)
        raise
    await _shut_down(system, None)
    if system is not None:
        check_ledger(system)
    if ledger is not None:
        ledger.check()
    unexpected = [r for r in slow if not r.reached(code)]
    if unexpected and item.get_closest_marker("expect_slow_handlers") is None:
        raise AssertionError(
            "handlers blocked the event loop during the test: "
            + "; ".join(f"{r.actor} handling {r.message_type} for {r.lag:.2f}s" for r in unexpected)
            + " (a SlowHandlerError the test function catches itself is expected; mark the "
            "test @pytest.mark.expect_slow_handlers if it blocks the loop on purpose)"
        )


async def _shut_down(system: ActorSystem | None, failure: BaseException | None) -> None:
    clock = getattr(asyncio.get_running_loop(), "clock", None)
    if isinstance(clock, ManualClock):
        # Nobody can advance a manual clock during teardown: let the shutdown's grace periods
        # pass by themselves, as they would in real time.
        clock.auto_advance = True
    if system is None:
        return
    try:
        await system.shutdown()
    except Exception as error:
        if failure is None:
            raise
        # The test's own failure stays the one reported.
        failure.add_note(f"then the teardown's shutdown failed too: {type(error).__name__}: {error}")


def _record_slow_handlers(system: ActorSystem, reports: list[_SlowReport]) -> None:
    """Keeps every watchdog finding of `system` (its ``actor.slow_handler`` events), with the
    SlowHandlerError it raised in strict mode, if any."""

    def on_event(event: Event) -> None:
        if event.kind == "actor.slow_handler":
            details = event.details
            report = _SlowReport(str(event.actor), details["message_type"], details["lag"])
            report.error = details.get("error")
            reports.append(report)

    system.events.subscribe(on_event, min_severity=Severity.WARNING)


def _code_of(test: Any) -> set[CodeType]:
    """The code objects of a test function and of whatever its decorators wrapped."""
    code: set[CodeType] = set()
    seen: set[int] = set()
    while test is not None and id(test) not in seen:
        seen.add(id(test))
        func = getattr(test, "__func__", test)
        if isinstance(getattr(func, "__code__", None), CodeType):
            code.add(func.__code__)
        test = getattr(test, "__wrapped__", None)
    return code


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
