"""With looptime (and pytest-asyncio, which it needs) installed: both kinds of fast time."""

import asyncio

import pytest

pytest.importorskip("looptime")
pytest.importorskip("pytest_asyncio")

from airsrt.testing import TestProbe  # noqa: E402
from shop import Restock, Stock  # noqa: E402


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_an_actor_under_looptime(actor_system):
    stock = actor_system.spawn(Stock, TestProbe(actor_system).ref)
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await stock.ask(Restock("tea", 3, delay=600.0), timeout=900) == 3
    assert loop.time() - began == pytest.approx(600, abs=1)


@pytest.mark.virtual_time
async def test_airsrts_virtual_time_beside_it(actor_system):
    stock = actor_system.spawn(Stock, TestProbe(actor_system).ref)
    assert await stock.ask(Restock("tea", 3, delay=600.0), timeout=900) == 3
