"""Testing a supervised actor: a price feed that crashes on bad input and is restarted
with backoff, checked with the pytest plugin's fixtures, a TestProbe and a manual clock.

Run it with `python examples/testing_supervised.py` (it runs pytest on itself) or with
`pytest examples/testing_supervised.py`.
"""

import subprocess
import sys

import pytest

import airsrt
from airsrt import Backoff, ChildSpec, OneForOne
from airsrt.testing import TestProbe


class Quote(airsrt.Message[float]):
    def __init__(self, symbol: str, price: float) -> None:
        self.symbol, self.price = symbol, price


class PriceFeed(airsrt.Actor):
    """Passes valid quotes to its subscriber; a negative price is a bug: crash."""

    def __init__(self, subscriber: airsrt.ActorRef) -> None:
        self.subscriber = subscriber

    @airsrt.handler
    def quote(self, msg: Quote) -> float:
        if msg.price < 0:
            raise ValueError(f"negative price for {msg.symbol}")
        self.subscriber.tell(msg)
        return msg.price


async def start_feed(
    system: airsrt.ActorSystem, probe: TestProbe
) -> airsrt.SupervisorRef:
    backoff = Backoff(initial=1.0, maximum=8.0)
    strategy = OneForOne(max_restarts=3, within=60, backoff=backoff)
    children = [ChildSpec("feed", PriceFeed, probe.ref)]
    return await system.spawn_supervisor(strategy, children)


# The plugin provides `actor_system` (a fresh system per test, shut down and checked
# after it: a message left unaccounted for or a pending ask fails the test) and `clock`.


async def test_quotes_reach_the_subscriber(actor_system):
    probe = TestProbe(actor_system)
    sup = await start_feed(actor_system, probe)
    assert await sup.child("feed").ask(Quote("AIR", 101.5)) == 101.5
    got = await probe.expect(Quote)
    assert (got.symbol, got.price) == ("AIR", 101.5)


async def test_a_crash_restarts_after_the_backoff(clock, actor_system):
    probe = TestProbe(actor_system)
    sup = await start_feed(actor_system, probe)
    feed = sup.child("feed")
    with pytest.raises(ValueError, match="negative price"):
        # The handler's own exception reaches the asker.
        await feed.ask(Quote("AIR", -1.0))
    await clock.advance(0.5)
    assert feed.incarnation == 1  # still waiting out its one-second backoff
    await clock.advance(0.5)
    assert feed.incarnation == 2  # restarted, same ref
    assert await feed.ask(Quote("SAF", 160.25)) == 160.25
    await probe.expect(lambda q: q.symbol == "SAF")


async def test_repeated_crashes_stop_the_supervisor(clock, actor_system):
    probe = TestProbe(actor_system)
    sup = await start_feed(actor_system, probe)
    probe.watch(sup)
    for _ in range(4):  # one more crash than max_restarts allows
        sup.child("feed").tell(Quote("AIR", -1.0))
        await clock.advance(10)
    stopped = await probe.fish(airsrt.Terminated)
    assert stopped.ref is sup and not sup.is_alive


if __name__ == "__main__":
    # Run as a script: pytest in a fresh interpreter, as `pytest` would run this file.
    # (In this process airsrt is already imported: too late for pytest to rewrite the
    # asserts of its plugin, which it would warn about. -P: the current directory does
    # not go on sys.path, as it would with -m, so airsrt is the installed one.)
    command = [sys.executable, "-P", "-m", "pytest", __file__, "-v", "--no-header",
               "-p", "no:cacheprovider"]
    sys.exit(subprocess.call(command))
