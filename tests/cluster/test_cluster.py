"""One cluster of two nodes plus the driver: messaging, refs, names, spawn and supervision."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import pytest

import airsrt
from actors import (
    Add, AskTo, Burst, Collector, Counter, Crash, Echo, Get, RaiseUnpicklable, RaiseValue, Relay,
    Report, Resilient, Seen, SpawnChild, TellTo, Watch,
)

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray,test]')")

from airsrt.ray import Cluster, RemoteError, RemoteRef  # noqa: E402
from raykit import eventually  # noqa: E402


@pytest.fixture(scope="module")
def cluster(driver: Any) -> Any:
    c = driver.run(Cluster.start(nodes=2, node_options={"num_cpus": 0.5}))
    yield c
    driver.run(c.shutdown())
    # Nothing of the cluster is left in Ray.
    left = [a for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith("airsrt:")]
    assert left == []


def test_tell_ask_send_from_the_driver(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        ref = await cluster.spawn(Counter, node="n1")
        assert isinstance(ref, airsrt.ActorRef) and isinstance(ref, RemoteRef)
        assert cluster.node_of(ref) == "n1"
        ref.tell(Add(2))
        await ref.send(Add(3))
        assert await ref.ask(Get(), timeout=10) == 5
        assert await ref.ask(Add(1), timeout=10) == 6

    driver.run(body())


def test_node_to_node_tell_and_ask(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        relay = await cluster.spawn(Relay, node="n0")
        counter = await cluster.spawn(Counter, node="n1")
        await relay.ask(TellTo(counter, Add(4)), timeout=10)
        assert await relay.ask(AskTo(counter, Get()), timeout=10) == 4

    driver.run(body())


def test_fifo_per_sender_over_100k_messages(driver: Any, cluster: Any) -> None:
    senders, per_sender = 10, 10_000

    async def body() -> None:
        collector = await cluster.spawn(Collector, node="n1")
        relays = [await cluster.spawn(Relay, node="n0") for _ in range(senders // 2)]
        local = [cluster.system.spawn(Relay) for _ in range(senders - len(relays))]
        replies = [r.ask(Burst(collector, i, per_sender), timeout=90) for i, r in enumerate(relays + local)]
        for reply in replies:
            assert await reply == per_sender
        async def done() -> bool:
            return (await collector.ask(Report(), timeout=10))[0] == senders * per_sender
        end = driver.loop.time() + 60
        while not await done():
            assert driver.loop.time() < end, "not every message arrived"
            await asyncio.sleep(0.05)
        total, errors, last = await collector.ask(Report(), timeout=10)
        assert total == senders * per_sender
        assert errors == 0
        assert last == {i: per_sender for i in range(senders)}

    driver.run(body(), timeout=180)


def test_refs_travel_inside_messages_and_come_back_equal(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        local = cluster.system.spawn(Counter)
        remote = await cluster.spawn(Counter, node="n1")
        # A local ref goes out and comes back: it is the local ref itself again.
        back = await remote.ask(Echo(local), timeout=10)
        assert back is local
        # A remote ref comes back as the same object: equal, same hash.
        again = await remote.ask(Echo(remote), timeout=10)
        assert again == remote and hash(again) == hash(remote) and again is remote
        # A node uses a ref it received in a message: n1 tells the driver's actor.
        relay = await cluster.spawn(Relay, node="n1")
        await relay.ask(TellTo(local, Add(7)), timeout=10)
        await eventually(lambda: local._actor.n == 7)

    driver.run(body())


def test_cluster_wide_names(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        named = await cluster.spawn(Counter, node="n0", name="counter")
        assert await cluster.lookup("counter") == named
        assert await cluster.lookup("nobody") is None
        with pytest.raises(airsrt.NameTakenError):
            await cluster.spawn(Counter, node="n1", name="counter")
        watcher = await cluster.spawn(Relay, node="n1")
        await watcher.ask(Watch(named), timeout=10)
        await named.stop()
        await eventually(lambda: not named.is_alive)
        # A watcher in another node hears of the normal stop too.
        end = driver.loop.time() + 20
        while (named, "normal") not in await watcher.ask(Seen(), timeout=10):
            assert driver.loop.time() < end
            await asyncio.sleep(0.05)
        assert await cluster.lookup("counter") is None

    driver.run(body())


def test_context_spawn_in_another_node(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        parent = cluster.system.spawn(Relay)
        child = await parent.ask(SpawnChild("n1"), timeout=10)
        assert isinstance(child, RemoteRef) and cluster.node_of(child) == "n1"
        assert await child.ask(Add(5), timeout=10) == 5
        watcher = cluster.system.spawn(Relay)
        await watcher.ask(Watch(child), timeout=10)
        await parent.stop()  # the child in n1 stops with its parent
        async def stopped() -> bool:
            return any(ref == child for ref, _ in await watcher.ask(Seen(), timeout=10))
        end = driver.loop.time() + 20
        while not await stopped():
            assert driver.loop.time() < end
            await asyncio.sleep(0.05)
        assert not child.is_alive

    driver.run(body())


def test_remote_child_crash_is_restarted_by_its_supervisor(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        sup = await cluster.system.spawn_supervisor(
            airsrt.OneForOne(max_restarts=5, within=10),
            [airsrt.ChildSpec("worker", Counter, 10, node="n1")],
        )
        child = sup.child("worker")
        assert isinstance(child, RemoteRef)
        assert await child.ask(Add(1), timeout=10) == 11
        child.tell(Crash())
        # Restarted in n1 from its spec: the same ref, a fresh state.
        async def restarted() -> bool:
            return child.incarnation == 2 and await child.ask(Get(), timeout=10) == 10
        end = driver.loop.time() + 20
        while not await restarted():
            assert driver.loop.time() < end
            await asyncio.sleep(0.05)
        assert sup.child("worker") is child
        infos = await sup.which_children()
        assert infos[0].restarts == 1 and infos[0].state == "running"
        await sup.stop()
        await eventually(lambda: not child.is_alive)

    driver.run(body())


def test_errors_keep_their_type_or_arrive_as_remote_error(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        ref = await cluster.spawn(Resilient, node="n0")
        with pytest.raises(ValueError, match="plain and picklable"):
            await ref.ask(RaiseValue(), timeout=10)
        with pytest.raises(RemoteError) as info:
            await ref.ask(RaiseUnpicklable(), timeout=10)
        assert info.value.type_name == "actors.LockError"
        assert "holds a lock" in info.value.message
        assert "LockError" in info.value.traceback_text
        with pytest.raises(airsrt.UnhandledMessageError):
            await ref.ask(3.5, timeout=10)

    driver.run(body())


def test_unhandled_tell_is_a_dead_letter_on_the_sending_node(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        ref = await cluster.spawn(Counter, node="n0")
        ref.tell(3.5)
        await eventually(lambda: any(d.reason == "unhandled" for d in cluster.system.dead_letters.recent()))

    driver.run(body())


def test_large_payloads_travel_beside_the_batch(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        ref = await cluster.spawn(Counter, node="n1")
        before = cluster._node.links["n1"].bytes_sent
        assert await ref.ask(b"x" * 2_000_000, timeout=30) == 2_000_000
        assert cluster._node.links["n1"].bytes_sent - before < 10_000

    driver.run(body())


def test_ask_timeout_across_nodes(driver: Any, cluster: Any) -> None:
    from actors import Sleep

    async def body() -> None:
        ref = await cluster.spawn(Counter, node="n0")
        with pytest.raises(airsrt.AskTimeoutError):
            await ref.ask(Sleep(5), timeout=0.2)

    driver.run(body())


def test_stats_per_node(driver: Any, cluster: Any) -> None:
    stats = driver.run(cluster.stats())
    assert set(stats) == {"driver", "n0", "n1"}
    assert stats["n1"]["system"]["handled"] > 0
    assert stats["driver"]["links"]["n1"]["delivered"] > 0


def test_refs_do_not_pickle_outside_a_cluster() -> None:
    async def body() -> None:
        async with airsrt.ActorSystem() as system:
            ref = system.spawn(Counter)
            with pytest.raises(TypeError, match="airsrt.ray cluster|cluster node"):
                pickle.dumps(ref)

    asyncio.run(body())


def test_main_module_messages_warn() -> None:
    from airsrt.ray import _wire

    Local = type("Local", (), {"__module__": "__main__"})
    with pytest.warns(RuntimeWarning, match="defined in __main__"):
        wrapped = _wire.wrap_message(Local(), 100)
    assert isinstance(wrapped, _wire.ByValue)


def test_batches_stay_under_their_byte_bound(driver: Any, cluster: Any) -> None:
    async def body() -> None:
        ref = await cluster.spawn(Counter, node="n1")
        link = cluster._node.links["n1"]
        blobs_before, bytes_before = link.batches, link.bytes_sent
        for i in range(4000):
            # 8 MB in all (distinct objects: pickle would send one repeated object once), each
            # message under the out-of-band threshold.
            ref.tell(i.to_bytes(4, "little") * 500)
        assert await ref.ask(b"end", timeout=60) == 3
        batches = link.batches - blobs_before
        assert link.batch_size < link.batch_limit
        assert (link.bytes_sent - bytes_before) / batches < 2 * link.batch_bytes

    driver.run(body())
