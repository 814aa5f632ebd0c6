"""actor_system, TestProbe, ledger and the manual clock, as a user writes them."""

import asyncio

import pytest

import airsrt
from airsrt.testing import TestProbe
from shop import OutOfStock, Reserve, Restock, Stock


async def test_reserving_tells_the_audit(actor_system):
    audit = TestProbe(actor_system)
    stock = actor_system.spawn(Stock, audit.ref)
    assert await stock.ask(Restock("pen", 5)) == 5
    assert await stock.ask(Reserve("pen", 2)) == 3
    assert await audit.expect(tuple) == ("restocked", "pen", 5)
    assert await audit.expect(lambda m: m[0] == "reserved") == ("reserved", "pen", 2)
    with pytest.raises(OutOfStock):
        await stock.ask(Reserve("pen", 10))
    await audit.expect_no_message(0.01)


async def test_every_message_reaches_one_outcome(ledger, actor_system):
    audit = TestProbe(actor_system)
    stock = actor_system.spawn(Stock, audit.ref)
    ledger.tell(stock, Restock("ink", 1))
    assert await ledger.ask(stock, Reserve("ink", 1)) == 0
    with pytest.raises(OutOfStock):
        await ledger.ask(stock, Reserve("ink", 1))
    assert ledger.counts()["handled"] == 3


async def test_restock_waits_for_the_supplier_in_manual_time(clock, actor_system):
    audit = TestProbe(actor_system)
    stock = actor_system.spawn(Stock, audit.ref)
    done = stock.ask(Restock("cup", 4, delay=30.0), timeout=60)
    await clock.advance(29.9)
    assert not done.done()
    await clock.advance(0.1)
    assert await done == 4
    assert clock.now == pytest.approx(30.0)


async def test_ending_while_an_actor_is_still_busy(clock, actor_system):
    audit = TestProbe(actor_system)
    stock = actor_system.spawn(Stock, audit.ref)
    stock.tell(Restock("hat", 1, delay=3600.0))  # still in its handler when the test ends
    pending = stock.ask(Restock("box", 1), timeout=None)  # queued behind it
    await clock.advance(10)
    assert stock.is_alive and not pending.done()
    # The teardown stops the actor (its stop grace passes in virtual time) and fails the ask.


@pytest.mark.virtual_time
async def test_timeouts_cost_no_real_time(actor_system):
    audit = TestProbe(actor_system)
    stock = actor_system.spawn(Stock, audit.ref)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(airsrt.AskTimeoutError):
        await stock.ask(Restock("tea", 1, delay=7200.0), timeout=600)
    assert loop.time() - began == pytest.approx(600)
    await asyncio.sleep(7200)  # the slow restock finishes; its late reply is a dead letter
    assert [d.reason for d in actor_system.dead_letters.recent()] == ["late_reply"]
