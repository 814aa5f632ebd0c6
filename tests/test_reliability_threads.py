"""Reliability matrix, threads: T1 and T2 at full size (T3 and T4 are in test_threads.py).

Eight busy threads take turns with the loop for the GIL, so the wall-clock watchdog is off here
(a handler waiting for the GIL looks to it like a handler blocking the loop).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import pytest

import airsrt
from reliability_kit import Item, Sink, Snapshot, per_sender

pytestmark = pytest.mark.actor_system(slow_handler_limit=None)


async def test_t1_a_million_tells_from_eight_threads(actor_system):
    """8 threads x 125,000 tells while the loop carries its own traffic."""
    ref = actor_system.spawn(Sink)
    local = actor_system.spawn(Sink)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def produce(thread: int) -> None:
        try:
            start.wait()
            tell = ref.tell
            for seq in range(125_000):
                tell(Item(thread, seq))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=produce, args=(t,), name=f"T-{t}") for t in range(8)]
    for thread in threads:
        thread.start()
    seq = 0
    while any(thread.is_alive() for thread in threads):
        local.tell(Item(99, seq))  # the loop's own traffic meanwhile
        seq += 1
        await asyncio.sleep(0)
    for thread in threads:
        thread.join()
    assert errors == []
    seen = await ref.ask(Snapshot(), timeout=60)
    while len(seen) < 1_000_000:
        await asyncio.sleep(0.01)
        seen = await ref.ask(Snapshot(), timeout=60)
    assert per_sender(seen) == {t: list(range(125_000)) for t in range(8)}  # once, in order
    assert len(await local.ask(Snapshot())) == seq


async def test_t2_eighty_thousand_blocking_asks_from_eight_threads(actor_system):
    """8 threads x 10,000 ask_blocking(timeout=1); from the loop's thread it is refused.

    In asyncio's debug mode every Task records the stack it was made from, which made the
    80,000 Tasks take most of a minute on a loaded machine and cross pytest-timeout's limit:
    there each thread asks 2,000 times.
    """
    ref = actor_system.spawn(Sink)
    loop = asyncio.get_running_loop()
    per_thread = 2_000 if loop.get_debug() else 10_000

    def work(thread: int) -> list[tuple[int, int]]:
        return [ref.ask_blocking(Item(thread, seq), timeout=1) for seq in range(per_thread)]

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)  # eight at once
    try:
        threads = await asyncio.gather(*(loop.run_in_executor(pool, work, t) for t in range(8)))
    finally:
        # Never wait for the threads on the loop's thread: if one failed, the others are still
        # blocked on asks that only this loop can answer, and joining them would hang the test.
        pool.shutdown(wait=False, cancel_futures=True)
    for thread, replies in enumerate(threads):
        assert replies == [(thread, seq) for seq in range(per_thread)]
    with pytest.raises(airsrt.DeadlockError, match="event loop's own thread"):
        ref.ask_blocking(Item(0, 0), timeout=1)
