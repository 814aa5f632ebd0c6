"""airsrt.testing: TestProbe and the ledger check."""

import asyncio

import pytest

import airsrt
from airsrt.testing import LedgerError, TestProbe, check_ledger


async def test_probe_records_expects_and_replies(actor_system):
    probe = TestProbe(actor_system, name="probe")
    probe.ref.tell("hello")
    probe.ref.tell(3)
    assert await probe.expect(str) == "hello"
    assert await probe.expect(lambda m: m == 3) == 3
    probe.reply(using=lambda msg: msg * 2)
    assert await probe.ref.ask(21) == 42
    assert probe.messages == ["hello", 3, 21]


async def test_probe_expect_failures_are_assertions(actor_system):
    probe = TestProbe(actor_system)
    with pytest.raises(AssertionError, match="expected int within 0.01s; nothing arrived"):
        await probe.expect(int, timeout=0.01)
    probe.ref.tell("text")
    with pytest.raises(AssertionError, match="expected int, got 'text'"):
        await probe.expect(int)


async def test_probe_fish_and_expect_no_message(actor_system):
    probe = TestProbe(actor_system)
    for item in ("a", 1, "b", 2.5):
        probe.ref.tell(item)
    assert await probe.fish(float) == 2.5
    await probe.expect_no_message(0.01)
    probe.ref.tell("late")
    with pytest.raises(AssertionError, match="no message"):
        await probe.expect_no_message(0.01)


async def test_check_ledger_catches_imbalance(actor_system):
    actor_system.start()
    check_ledger(actor_system)
    actor_system.n_sent += 1
    with pytest.raises(LedgerError, match="does not balance"):
        check_ledger(actor_system)
    actor_system.n_withdrawn += 1  # put it back so the fixture's own check passes


async def test_check_ledger_counts_queued_messages_and_pending_asks():
    system = airsrt.ActorSystem()
    system.start()
    release = asyncio.Event()

    class Stall(airsrt.Actor):
        @airsrt.handler
        async def wait(self, msg: asyncio.Event) -> None:
            await msg.wait()

        @airsrt.handler
        def item(self, msg: int) -> int:
            return msg

    ref = system.spawn(Stall)
    ref.tell(release)
    await asyncio.sleep(0)
    fut = ref.ask(1, timeout=10)
    ref.tell(2)
    assert check_ledger(system).queued == 2  # mid-flight, the identity holds too
    release.set()
    assert await fut == 1
    await system.shutdown()
    assert check_ledger(system).queued == 0
