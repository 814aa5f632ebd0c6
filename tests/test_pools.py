"""Worker pools: every routing's distribution, asks through a pool, workers replaced in place."""

import asyncio
import logging
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


# -- failures: a pool keeps serving through bad input; once it gives up, calls say so ------------------


@dataclass(frozen=True)
class Item:
    n: int


class Picky(Actor):
    """Fails on every 37th item (an occasional bad input), or on all with `every=1`."""

    def __init__(self, every: int = 37) -> None:
        self.every = every

    @handler
    def item(self, msg: Item) -> int:
        if msg.n % self.every == 0:
            raise ValueError(f"bad item {msg.n}")
        return msg.n


class AsyncPicky(Picky):
    @handler
    async def item(self, msg: Item) -> int:
        await asyncio.sleep(0)
        return Picky.item(self, msg)


@pytest.mark.actor_system(slow_handler_limit=None)
async def test_one_bad_input_in_37_at_full_speed_never_stops_the_pool(actor_system):
    pool = actor_system.spawn_pool(Picky, size=4, name="picky")
    await pool.ready()
    total = 37 * 400
    for n in range(1, total + 1):
        pool.tell(Item(n))
        if n % 512 == 0:
            await asyncio.sleep(0)
    answers = [await pool.ask(Item(n)) for n in range(1, 37)]  # still serving asks
    with pytest.raises(ValueError, match="bad item 37"):
        await pool.ask(Item(37))  # the asker of a bad input gets its error back
    await _drain(pool)
    assert answers == list(range(1, 37)) and pool.is_alive
    stats = actor_system.stats()
    assert stats.failures == stats.restarts == total // 37 + 1
    assert sum(w.stats().processed for w in pool.workers) == total + 37


@pytest.mark.parametrize("cls", [Picky, AsyncPicky], ids=["sync", "async"])
async def test_a_pool_that_gives_up_refuses_every_later_call(actor_system, caplog, cls):
    pool = actor_system.spawn_pool(cls, 1, size=2, name="hopeless")  # every item fails
    await pool.ready()
    sent = 0
    caplog.set_level(logging.CRITICAL, logger="airsrt")
    with pytest.raises(airsrt.ActorStoppedError) as info:
        for n in range(1, 1000):
            pool.tell(Item(n))
            sent += 1
            await asyncio.sleep(0)
    # More than 10 x size failures with nothing handled in between: the pool gave up, and the
    # call that found it so raised, naming it and why.
    assert 2 * 10 < sent < 1000
    text = str(info.value)
    assert text.startswith("pool hopeless is not serving: hopeless gave up: more than 20 restarts within 5s")
    assert "ValueError: bad item" in text and "Item was not delivered (it is a dead letter)" in text
    assert isinstance(info.value.__cause__, airsrt.RestartLimitError)
    for call in (lambda: pool.tell(Item(1)), lambda: pool.ask(Item(2))):
        with pytest.raises(airsrt.ActorStoppedError, match="pool hopeless is not serving"):
            call()
    with pytest.raises(airsrt.ActorStoppedError, match="pool hopeless is not serving"):
        await pool.send(Item(3))
    letters = [d for d in actor_system.dead_letters.recent() if isinstance(d.message, Item)]
    assert [d.message.n for d in letters[-3:]] == [1, 2, 3] and letters[-1].reason == "stopped"
    for _ in range(100):
        if not pool.is_alive:
            break
        await asyncio.sleep(0)
    assert not pool.is_alive
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert len(gave_up) == 1 and gave_up[0].levelno == logging.CRITICAL
    assert isinstance(gave_up[0].exc_info[1], ValueError)


async def test_a_stopped_pool_refuses_calls(actor_system):
    pool = actor_system.spawn_pool(Worker, Counter(), size=2, name="done")
    await pool.stop()
    with pytest.raises(airsrt.ActorStoppedError, match=r"pool done is not serving: it was stopped \(reason: 'normal'\)"):
        pool.tell(Job("k"))


async def test_resume_workers_never_restart(actor_system):
    class Forgiving(Picky):
        error_action = airsrt.ErrorAction.RESUME

    pool = actor_system.spawn_pool(Forgiving, 2, size=2)
    for n in range(1, 101):
        pool.tell(Item(n))
    await _drain(pool)
    stats = actor_system.stats()
    assert stats.failures == 50 and stats.restarts == 0 and pool.is_alive


async def test_a_refused_pool_call_is_one_outcome_in_the_ledger(actor_system, ledger):
    pool = actor_system.spawn_pool(Worker, Counter(), size=1)
    await pool.stop()
    with pytest.raises(airsrt.ActorStoppedError):
        ledger.tell(pool, Job("k"))
    assert ledger.counts() == Counter({"dead_letter": 1})


async def test_a_stopped_pool_refuses_a_tell_from_another_thread(actor_system):
    pool = actor_system.spawn_pool(Worker, Counter(), size=2, name="gone")
    await pool.stop()
    before = actor_system.dead_letters.count
    outcome = await asyncio.to_thread(_tell_and_catch, pool, Job("k"))
    assert isinstance(outcome, airsrt.ActorStoppedError) and "pool gone is not serving" in str(outcome)
    await asyncio.sleep(0)
    assert actor_system.dead_letters.count == before + 1


def _tell_and_catch(pool, msg):
    try:
        pool.tell(msg)
    except airsrt.ActorStoppedError as error:
        return error
    return None
