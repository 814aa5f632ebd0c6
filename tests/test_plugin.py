"""The pytest plugin (airsrt.testing.plugin) as a user's project meets it, run with pytester.

Each test writes a small test module into a scratch directory with no pytest configuration and
runs pytest on it in-process, with whatever plugins are installed (setuptools entry points);
``-p no:...`` stands in for a plugin being absent. Combinations that need a plugin this
environment lacks are skipped.
"""

from __future__ import annotations

import importlib.util

import pytest

HAS_LOOPTIME = importlib.util.find_spec("looptime") is not None
HAS_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None
HAS_ANYIO = importlib.util.find_spec("anyio") is not None

WITHOUT_LOOPTIME = ["-p", "no:looptime_plugin", "-p", "no:looptime_chronometers",
                    "-p", "no:looptime_timeproxies"]
WITHOUT_PYTEST_ASYNCIO = ["-p", "no:asyncio"]

needs_pytest_asyncio = pytest.mark.skipif(not HAS_PYTEST_ASYNCIO, reason="pytest-asyncio is not installed")


def plugins(looptime: bool, pytest_asyncio: bool) -> list[str]:
    """pytest arguments that leave exactly these optional plugins loaded (skip if one is missing)."""
    if looptime and not HAS_LOOPTIME:
        pytest.skip("looptime is not installed")
    if pytest_asyncio and not HAS_PYTEST_ASYNCIO:
        pytest.skip("pytest-asyncio is not installed")
    return ([] if looptime else WITHOUT_LOOPTIME) + ([] if pytest_asyncio else WITHOUT_PYTEST_ASYNCIO)


COMBINATIONS = pytest.mark.parametrize(
    "looptime, pytest_asyncio",
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["airsrt-only", "with-looptime", "with-pytest-asyncio", "with-both"],
)

# A user's test module: every fixture, TestProbe, supervision, both kinds of fast time.
KIT_MODULE = """
import asyncio

import pytest

import airsrt
from airsrt.testing import ManualClock, MessageLedger, TestProbe


class Crash:
    pass


class Echo(airsrt.Actor):
    @airsrt.handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crash")

    @airsrt.handler
    async def echo(self, msg: str) -> str:
        await asyncio.sleep(1.0)
        return msg

    @airsrt.handler
    def ping(self, msg: int) -> int:
        return msg


def test_a_plain_fixture_still_works(tmp_path):
    assert tmp_path.exists()


async def test_system_and_probe(actor_system):
    probe = TestProbe(actor_system)
    probe.reply(using=str.upper)
    assert await probe.ref.ask("hi") == "HI"
    assert await probe.expect(str) == "hi"


async def test_ledger(ledger, actor_system):
    assert isinstance(ledger, MessageLedger) and ledger.system is actor_system
    ref = actor_system.spawn(Echo)
    ledger.tell(ref, 1)
    assert await ledger.ask(ref, 2) == 2
    assert ledger.counts()["handled"] == 2


async def test_clock_and_supervision(clock, actor_system):
    assert isinstance(clock, ManualClock)
    sup = await actor_system.spawn_supervisor(
        airsrt.OneForOne(backoff=airsrt.Backoff(initial=2.0, maximum=2.0)),
        [airsrt.ChildSpec("echo", Echo)],
    )
    child = sup.child("echo")
    child.tell(Crash())
    await clock.advance(1.9)
    assert child.incarnation == 1
    await clock.advance(0.1)
    assert child.incarnation == 2
    reply = child.ask("x")
    await clock.advance(1.0)
    assert await reply == "x"


@pytest.mark.virtual_time
async def test_virtual_time(actor_system):
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await actor_system.spawn(Echo).ask("y") == "y"
    await asyncio.sleep(3600)
    assert loop.time() - began == pytest.approx(3601)
"""


@COMBINATIONS
def test_the_kit_needs_no_flags_and_no_configuration(pytester, looptime, pytest_asyncio):
    pytester.makepyfile(test_kit=KIT_MODULE)
    result = pytester.runpytest(*plugins(looptime, pytest_asyncio))
    result.assert_outcomes(passed=5)


def test_looptime_without_pytest_asyncio_is_blocked_not_fatal(pytester):
    if not HAS_LOOPTIME:
        pytest.skip("looptime is not installed")
    pytester.makepyfile(
        """
        def test_blocked(request):
            assert request.config.pluginmanager.is_blocked("looptime_plugin")
        """
    )
    pytester.runpytest(*WITHOUT_PYTEST_ASYNCIO).assert_outcomes(passed=1)


# -- teardown ----------------------------------------------------------------------------------

BUSY_AT_TEARDOWN = """
import asyncio

import pytest

import airsrt

journal = []


class Supplier(airsrt.Actor):
    def on_stop(self):
        journal.append("on_stop")

    @airsrt.handler
    async def wait(self, msg: float) -> None:
        await asyncio.sleep(msg)
        journal.append(f"waited {msg:g}")

    @airsrt.handler
    async def forever(self, msg: asyncio.Event) -> None:
        await msg.wait()


async def test_busy_past_the_grace(clock, actor_system):
    actor_system.spawn(Supplier).tell(3600.0)
    await clock.advance(0)


async def test_busy_within_the_grace(clock, actor_system):
    actor_system.spawn(Supplier).tell(3.0)
    await clock.advance(1)


async def test_waiting_for_something_that_never_comes(clock, actor_system):
    ref = actor_system.spawn(Supplier)
    ref.tell(asyncio.Event())
    pending = ref.ask(1.0, timeout=None)
    await clock.advance(100)
    assert not pending.done()


@pytest.mark.virtual_time
async def test_busy_under_virtual_time(actor_system):
    actor_system.spawn(Supplier).tell(3600.0)
    await asyncio.sleep(0)


def test_what_the_teardowns_did():
    # Past the 5 s stop grace: cancelled, on_stop skipped. Within it: finished, then on_stop.
    assert journal == ["waited 3", "on_stop"]
"""


def test_actors_busy_at_teardown_are_stopped_without_a_stall(pytester):
    pytester.makepyfile(test_busy=BUSY_AT_TEARDOWN)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=5)
    result.stdout.no_fnmatch_line("*ClockStalledError*")


def test_a_test_body_waiting_on_an_unadvanced_clock_still_fails_clearly(pytester):
    pytester.makepyfile(
        """
        import asyncio

        async def test_stalls(clock, actor_system):
            clock.stall_after = 0.1
            await asyncio.sleep(5)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ClockStalledError*next timer is due at 5*clock.advance*"])


# -- slow handlers -----------------------------------------------------------------------------

SLOW_MODULE = """
import asyncio
import time

import pytest

import airsrt


class Blocker(airsrt.Actor):
    error_action = airsrt.ErrorAction.RESUME

    @airsrt.handler
    def block(self, msg: float) -> str:
        time.sleep(msg)
        return "done"

    @airsrt.handler
    def block_then_fail(self, msg: str) -> None:
        time.sleep(0.3)
        raise ValueError(msg)


async def test_expected(actor_system):
    ref = actor_system.spawn(Blocker)
    with pytest.raises(airsrt.SlowHandlerError):
        await ref.ask(0.3)
    assert await ref.ask(0.0) == "done"


async def helper_that_swallows(ref):
    try:
        await ref.ask(0.3)
    except airsrt.SlowHandlerError:
        pass


async def test_expected_through_a_helper(actor_system):
    with pytest.raises(airsrt.SlowHandlerError):
        await asyncio.wait_for(actor_system.spawn(Blocker).ask(0.3), 10)


async def test_unexpected_tell(actor_system):
    actor_system.spawn(Blocker).tell(0.3)
    await asyncio.sleep(0.5)


async def test_unexpected_swallowed_elsewhere(actor_system):
    await helper_that_swallows(actor_system.spawn(Blocker))


async def test_unexpected_gathered(actor_system):
    results = await asyncio.gather(actor_system.spawn(Blocker).ask(0.3), return_exceptions=True)
    assert isinstance(results[0], airsrt.SlowHandlerError)


async def test_unexpected_blocked_then_failed(actor_system):
    with pytest.raises(ValueError):
        await actor_system.spawn(Blocker).ask("own error")


@pytest.mark.expect_slow_handlers
async def test_marked(actor_system):
    actor_system.spawn(Blocker).tell(0.3)
    await asyncio.sleep(0.5)
"""


def test_slow_handlers_fail_the_test_unless_the_test_saw_the_error(pytester):
    pytester.makepyfile(test_slow=SLOW_MODULE)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3, failed=4)
    passed = {r.nodeid.split("::")[-1] for r in result.reprec.getreports("pytest_runtest_logreport")
              if r.when == "call" and r.passed}
    assert passed == {"test_expected", "test_expected_through_a_helper", "test_marked"}
    result.stdout.fnmatch_lines([
        "*handlers blocked the event loop during the test: Blocker#1 handling float*"
        "expect_slow_handlers*",
    ])


# -- other plugins' tests ----------------------------------------------------------------------

ASYNCIO_OWNED = """
import asyncio

import pytest

import airsrt
from airsrt.testing import TestProbe

seen = {}


class Echo(airsrt.Actor):
    @airsrt.handler
    def echo(self, msg: str) -> str:
        return msg


@pytest.mark.asyncio
async def test_system_binds_to_pytest_asyncios_loop(actor_system, ledger):
    assert actor_system.is_running and actor_system.loop is asyncio.get_running_loop()
    assert not hasattr(asyncio.get_running_loop(), "clock")  # not airsrt's loop
    ref = actor_system.spawn(Echo)
    assert await ledger.ask(ref, "a") == "a"
    probe = TestProbe(actor_system)
    probe.ref.tell(1)
    assert await probe.expect(int) == 1
    seen["system"] = actor_system


def test_it_was_shut_down_and_checked_after_the_test():
    assert not seen["system"].is_running


@pytest.mark.asyncio
async def test_the_ledger_is_checked(actor_system):
    actor_system.spawn(Echo)
    actor_system.n_sent += 1


@pytest.mark.asyncio
async def test_clock_is_refused(clock):
    pass


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_virtual_time_is_refused():
    pass


async def test_unmarked_tests_are_airsrts(clock, actor_system):
    assert asyncio.get_running_loop().clock is clock
"""


@needs_pytest_asyncio
@pytest.mark.parametrize("looptime", [False, True], ids=["airsrt-only", "with-looptime"])
def test_pytest_asyncio_runs_its_tests_and_the_fixtures_follow(pytester, looptime):
    pytester.makepyfile(test_owned=ASYNCIO_OWNED)
    result = pytester.runpytest("-p", "no:randomly", *plugins(looptime, True))
    result.assert_outcomes(passed=3, failed=1, errors=2)
    result.stdout.fnmatch_lines([
        "*test_clock_is_refused uses the clock fixture, which needs*pytest-asyncio runs this "
        "test*drop its asyncio marker*",
        "*test_virtual_time_is_refused uses @pytest.mark.virtual_time*",
        "*LedgerError: ledger of 'test_the_ledger_is_checked' does not balance*",
    ])


@needs_pytest_asyncio
def test_pytest_asyncio_auto_mode(pytester):
    pytester.makepyfile(
        """
        import asyncio

        import airsrt

        async def test_owned_by_pytest_asyncio(actor_system):
            assert actor_system.loop is asyncio.get_running_loop()
            assert not hasattr(asyncio.get_running_loop(), "clock")

        async def test_clock_is_refused(clock):
            pass
        """
    )
    result = pytester.runpytest("-o", "asyncio_mode=auto", *plugins(False, True))
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*auto mode claims every coroutine test*asyncio_mode = strict*"])


@needs_pytest_asyncio
def test_looptime_with_pytest_asyncio_drives_an_actor_system(pytester):
    pytester.makepyfile(
        """
        import asyncio

        import pytest

        import airsrt

        class Sleeper(airsrt.Actor):
            @airsrt.handler
            async def nap(self, msg: float) -> str:
                await asyncio.sleep(msg)
                return "rested"

        @pytest.mark.asyncio
        @pytest.mark.looptime
        async def test_looptime(actor_system):
            loop = asyncio.get_running_loop()
            began = loop.time()
            assert await actor_system.spawn(Sleeper).ask(600.0, timeout=900) == "rested"
            assert loop.time() - began == pytest.approx(600, abs=1)
        """
    )
    pytester.runpytest(*plugins(True, True)).assert_outcomes(passed=1)


@pytest.mark.skipif(not HAS_ANYIO, reason="anyio is not installed")
def test_anyio_runs_its_tests_and_the_fixtures_follow(pytester):
    pytester.makepyfile(
        """
        import asyncio

        import pytest

        import airsrt

        class Echo(airsrt.Actor):
            @airsrt.handler
            def echo(self, msg: str) -> str:
                return msg

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_under_anyio(actor_system):
            assert actor_system.loop is asyncio.get_running_loop()
            assert await actor_system.spawn(Echo).ask("a") == "a"

        @pytest.mark.anyio
        async def test_clock_is_refused(clock):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*uses the clock fixture*anyio runs this test*drop its anyio marker*"])
