"""With pytest-asyncio installed: the tests it runs still get a working actor_system."""

import asyncio

import pytest

pytest.importorskip("pytest_asyncio")

from airsrt.testing import TestProbe  # noqa: E402
from shop import Reserve, Restock, Stock  # noqa: E402


@pytest.mark.asyncio
async def test_actor_system_runs_on_pytest_asyncios_loop(actor_system, ledger):
    assert actor_system.loop is asyncio.get_running_loop()
    audit = TestProbe(actor_system)
    stock = actor_system.spawn(Stock, audit.ref)
    assert await ledger.ask(stock, Restock("pen", 2)) == 2
    assert await ledger.ask(stock, Reserve("pen", 1)) == 1
    assert await audit.expect(tuple) == ("restocked", "pen", 2)


async def test_unmarked_tests_are_still_airsrts(clock, actor_system):
    stock = actor_system.spawn(Stock, TestProbe(actor_system).ref)
    done = stock.ask(Restock("cup", 1, delay=5.0))
    await clock.advance(5)
    assert await done == 1
