"""Worker pools: every routing's distribution, asks through a pool, workers replaced in place."""

import asyncio
from collections import Counter
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import Actor, Routing, handler


@dataclass(frozen=True)
class Job:
    key: str
    n: int = 0


class WhoAreYou(airsrt.Message[int]):
    pass


class Worker(Actor):
    def __init__(self, counts: Counter) -> None:
        self.counts = counts

    @handler
    def job(self, msg: Job) -> int:
        index = self.context.ref._uid
        self.counts[index] += 1
        return index

    @handler
    def who(self, msg: WhoAreYou) -> int:
        return self.context.ref._uid

    @handler
    def crash(self, msg: RuntimeError) -> None:
        raise msg


async def _drain(pool) -> None:
    while pool.mailbox_size():
        await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_round_robin_is_even_and_in_turn(actor_system):
    counts = Counter()
    pool = actor_system.spawn_pool(Worker, counts, size=4, name="rr")
    order = [await pool.ask(Job("k")) for _ in range(8)]
    uids = [w._uid for w in pool.workers]
    assert order == uids + uids
    for i in range(400):
        pool.tell(Job("k", i))
    await _drain(pool)
    assert sorted(counts.values()) == [102, 102, 102, 102]
    assert actor_system.lookup("rr") is pool.supervisor


async def test_random_spreads_over_every_worker(actor_system):
    counts = Counter()
    pool = actor_system.spawn_pool(Worker, counts, size=4, routing=Routing.RANDOM)
    for i in range(2000):
        pool.tell(Job("k", i))
    await _drain(pool)
    assert len(counts) == 4 and sum(counts.values()) == 2000
    assert min(counts.values()) > 350  # 500 expected each


async def test_smallest_mailbox_prefers_an_idle_worker(actor_system):
    counts = Counter()
    release = asyncio.Event()

    class Blockable(Worker):
        @handler
        async def hold(self, msg: asyncio.Event) -> None:
            await msg.wait()

    pool = actor_system.spawn_pool(Blockable, counts, size=3, routing=Routing.SMALLEST_MAILBOX)
    await pool.ready()
    busy = pool.workers[0]
    busy.tell(release)
    await asyncio.sleep(0)
    for i in range(30):
        pool.tell(Job("k", i))
        await asyncio.sleep(0)  # the idle workers keep up: they always have the smaller load
    assert busy.mailbox_size() == 0  # an empty but busy mailbox ranks after an idle one
    release.set()
    await _drain(pool)
    assert busy._uid not in counts and sum(counts.values()) == 30


async def test_broadcast_tells_everyone_and_ask_all_gathers(actor_system):
    counts = Counter()
    pool = actor_system.spawn_pool(Worker, counts, size=3, routing=Routing.BROADCAST)
    pool.tell(Job("k"))
    replies = await pool.ask_all(WhoAreYou())
    assert replies == [w._uid for w in pool.workers]
    # One reply would not be a broadcast's answer: ask refuses and names ask_all.
    with pytest.raises(airsrt.ConfigurationError, match=r"BROADCAST.*pool\.ask_all\(WhoAreYou"):
        pool.ask(WhoAreYou())
    await _drain(pool)
    assert sorted(counts.values()) == [1, 1, 1]


async def test_ask_all_asks_every_worker_whatever_the_routing(actor_system):
    pool = actor_system.spawn_pool(Worker, Counter(), size=3)
    assert await pool.ask_all(WhoAreYou()) == [w._uid for w in pool.workers]
    assert await pool.ask(WhoAreYou()) in [w._uid for w in pool.workers]
    stats = pool.stats()
    assert isinstance(stats, airsrt.PoolStats)
    assert stats.processed == 4 == sum(w.processed for w in stats.workers)
    assert [type(w) for w in stats.workers] == [airsrt.ActorStats] * 3


async def test_consistent_hash_keeps_a_key_on_one_slot(actor_system):
    counts = Counter()
    pool = actor_system.spawn_pool(
        Worker, counts, size=4, routing=Routing.CONSISTENT_HASH, key=lambda job: job.key
    )
    keys = [f"user-{i}" for i in range(200)]
    first = {k: await pool.ask(Job(k)) for k in keys}
    again = {k: await pool.ask(Job(k)) for k in keys}
    assert first == again
    assert len(set(first.values())) == 4  # the keys spread over every worker
    slot_of = {w._uid: i for i, w in enumerate(pool.workers)}
    slots_before = {k: slot_of[uid] for k, uid in first.items()}
    # Replace a worker: its slot, and so every key's slot, stays the same.
    replaced = pool.workers[1]
    await replaced.stop()
    await pool.supervisor.which_children()
    assert pool.workers[1] is not replaced
    await pool.workers[1].ready()
    slot_of = {w._uid: i for i, w in enumerate(pool.workers)}
    assert {k: slot_of[await pool.ask(Job(k))] for k in keys} == slots_before


async def test_crashed_worker_restarts_in_place(actor_system):
    pool = actor_system.spawn_pool(Worker, Counter(), size=2)
    await pool.ready()
    worker = pool.workers[0]
    worker.tell(RuntimeError("boom"))
    await pool.supervisor.which_children()  # the supervisor has acted once it answers
    assert pool.workers[0] is worker and worker.incarnation == 2
    assert [await pool.ask(WhoAreYou()) for _ in range(2)] == [w._uid for w in pool.workers]


async def test_stopped_worker_is_replaced_and_routing_continues(actor_system):
    pool = actor_system.spawn_pool(Worker, Counter(), size=3)
    await pool.ready()
    old = pool.workers[2]
    await old.stop()
    await pool.supervisor.which_children()
    assert pool.workers[2] is not old and pool.workers[2].is_alive and len(pool) == 3
    assert len({await pool.ask(WhoAreYou()) for _ in range(3)}) == 3


async def test_pool_validation_and_stop(actor_system):
    with pytest.raises(airsrt.ConfigurationError, match="size"):
        actor_system.spawn_pool(Worker, Counter(), size=0)
    with pytest.raises(airsrt.ConfigurationError, match="needs key"):
        actor_system.spawn_pool(Worker, Counter(), size=2, routing=Routing.CONSISTENT_HASH)
    with pytest.raises(airsrt.ConfigurationError, match="routing"):
        actor_system.spawn_pool(Worker, Counter(), size=2, routing="random")
    pool = actor_system.spawn_pool(Worker, Counter(), size=2)
    await pool.ready()
    workers = pool.workers
    await pool.stop()
    assert not pool.is_alive and not any(w.is_alive for w in workers)
    assert len(pool.stats().workers) == 2 and repr(pool).startswith("<PoolRef")
