"""A supervised actor and an expected SlowHandlerError."""

import pytest

import airsrt
from airsrt.testing import TestProbe
from shop import Quote, Report, Reporter, supervised_feed


async def test_a_crashed_feed_is_restarted_after_its_backoff(clock, actor_system):
    sup = await supervised_feed(actor_system)
    feed = sup.child("feed")
    with pytest.raises(ValueError, match="negative price"):
        await feed.ask(Quote(-1.0))
    await clock.advance(0.5)
    assert feed.incarnation == 1  # still waiting out its one-second backoff
    await clock.advance(0.5)
    assert feed.incarnation == 2
    assert await feed.ask(Quote(2.5)) == 2.5


async def test_a_feed_that_keeps_crashing_takes_its_supervisor_down(clock, actor_system):
    sup = await supervised_feed(actor_system)
    watcher = TestProbe(actor_system)
    watcher.watch(sup)
    for _ in range(4):  # one crash more than max_restarts allows
        sup.child("feed").tell(Quote(-1.0))
        await clock.advance(10)
    stopped = await watcher.fish(airsrt.Terminated)
    assert stopped.ref is sup and not sup.is_alive


async def test_a_handler_that_blocks_the_loop_is_an_error_the_test_can_expect(actor_system):
    reporter = actor_system.spawn(Reporter)
    with pytest.raises(airsrt.SlowHandlerError, match="blocked the event loop"):
        await reporter.ask(Report())
