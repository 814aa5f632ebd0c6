"""What the test kit does when a test ends: an actor still busy, a slow handler the
test expects, and virtual time.

Run it with ``python examples/testing_teardown.py`` (it runs pytest on itself) or with
``pytest examples/testing_teardown.py``.
"""

import asyncio
import subprocess
import sys
import time

import pytest

import airsrt


class Restock(airsrt.Message[int]):
    def __init__(self, count: int, delay: float) -> None:
        self.count, self.delay = count, delay


class Supplier(airsrt.Actor):
    @airsrt.handler
    async def restock(self, msg: Restock) -> int:
        await asyncio.sleep(msg.delay)  # the supplier takes its time
        return msg.count


class Report(airsrt.Message[str]):
    pass


class Reporter(airsrt.Actor):
    @airsrt.handler
    def report(self, msg: Report) -> str:
        time.sleep(0.3)  # a bug: blocks the event loop past slow_handler_limit (0.1 s)
        return "done"


async def test_an_actor_still_busy_when_the_test_ends(clock, actor_system):
    supplier = actor_system.spawn(Supplier)
    delivery = supplier.ask(Restock(5, delay=3600.0), timeout=None)
    await clock.advance(60)
    assert not delivery.done()
    # The teardown turns the clock to virtual time, so the shutdown's stop grace
    # passes by itself: the handler is cancelled and the pending ask fails with
    # ActorStoppedError.


async def test_a_slow_handler_the_test_expects(actor_system):
    reporter = actor_system.spawn(Reporter)
    with pytest.raises(airsrt.SlowHandlerError, match="blocked the event loop"):
        await reporter.ask(Report())
    # The error reached the test function: the teardown does not fail the test for it.


@pytest.mark.virtual_time
async def test_timeouts_cost_no_real_time(actor_system):
    supplier = actor_system.spawn(Supplier)
    with pytest.raises(airsrt.AskTimeoutError):
        await supplier.ask(Restock(1, delay=7200.0), timeout=600)
    # After the slow one:
    assert await supplier.ask(Restock(2, delay=1.0), timeout=7200) == 2


if __name__ == "__main__":
    # Run as a script: pytest in a fresh interpreter, as `pytest` would run this file.
    # (In this process airsrt is already imported: too late for pytest to rewrite the
    # asserts of its plugin, which it would warn about. -P: the current directory does
    # not go on sys.path, as it would with -m, so airsrt is the installed one.)
    command = [sys.executable, "-P", "-m", "pytest", __file__, "-q",
               "-p", "no:cacheprovider"]
    sys.exit(subprocess.call(command))
