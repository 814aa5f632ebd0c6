"""Node loss, node restart, backpressure and shutdown: each test starts the cluster it breaks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import airsrt
from actors import Add, Burst, Counter, Get, Relay, Report, Seen, Seq, Sleep, Slow, Watch

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray,test]')")

from airsrt.ray import Cluster, LinkConfig, NodeLostError  # noqa: E402
from raykit import eventually  # noqa: E402


def _named_nodes() -> list[str]:
    return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith("airsrt:")]


def test_node_loss_fails_pending_asks_and_tells_watchers(driver: Any) -> None:
    async def body() -> None:
        async with await Cluster.start(nodes=2, node_options={"num_cpus": 0.5}, namespace="loss") as cluster:
            victim = await cluster.spawn(Counter, node="n1")
            watcher = cluster.system.spawn(Relay)
            await watcher.ask(Watch(victim), timeout=10)
            remote_watcher = await cluster.spawn(Relay, node="n0")
            await remote_watcher.ask(Watch(victim), timeout=10)
            pending = victim.ask(Sleep(600), timeout=600)
            await asyncio.sleep(0.2)  # the ask is in n1, its handler sleeping
            await cluster.kill_node("n1")
            # Fails at once with NodeLostError (an ActorStoppedError), not at its timeout.
            with pytest.raises(NodeLostError):
                await asyncio.wait_for(pending, 5)
            assert issubclass(NodeLostError, airsrt.ActorStoppedError)
            async def seen(relay: Any) -> list[Any]:
                return await relay.ask(Seen(), timeout=10)
            end = driver.loop.time() + 10
            while (victim, "node_lost") not in await seen(watcher) or (victim, "node_lost") not in await seen(remote_watcher):
                assert driver.loop.time() < end, "watchers did not hear of the lost node"
                await asyncio.sleep(0.05)
            assert not victim.is_alive
            # Later messages to the lost node are dead letters (tells) or fail at once (asks).
            victim.tell(Add())
            assert cluster.system.dead_letters.recent()[-1].reason == "node_lost"
            with pytest.raises(NodeLostError):
                await victim.ask(Get(), timeout=30)
            # The rest of the cluster goes on.
            survivor = await cluster.spawn(Counter, node="n0")
            assert await survivor.ask(Add(2), timeout=10) == 2
        assert "airsrt:n0" not in _named_nodes()

    driver.run(body(), timeout=120)


def test_supervisor_restarts_a_child_whose_node_was_lost(driver: Any) -> None:
    async def body() -> None:
        async with await Cluster.start(nodes=2, node_options={"num_cpus": 0.5}, namespace="suploss") as cluster:
            sup = await cluster.system.spawn_supervisor(
                airsrt.OneForOne(max_restarts=3, within=30),
                [airsrt.ChildSpec("worker", Counter, 5, node="n1")],
            )
            child = sup.child("worker")
            assert await child.ask(Add(1), timeout=10) == 6
            await cluster.kill_node("n1")
            # The loss counts as the child's failure: its supervisor re-spawns it elsewhere.
            async def moved() -> bool:
                return child.is_alive and cluster.node_of(child) == "n0"
            end = driver.loop.time() + 30
            while not await moved():
                assert driver.loop.time() < end, "the child was not re-spawned"
                await asyncio.sleep(0.05)
            assert sup.child("worker") is child
            assert await child.ask(Get(), timeout=10) == 5
            assert (await sup.which_children())[0].restarts == 1

    driver.run(body(), timeout=120)


def test_restarted_node_rejects_envelopes_for_its_old_incarnation(driver: Any) -> None:
    async def body() -> None:
        async with await Cluster.start(nodes=1, node_options={"num_cpus": 0.5}, namespace="restart") as cluster:
            old = await cluster.spawn(Counter, node="n0")
            assert await old.ask(Add(1), timeout=10) == 1
            old_incarnation = cluster._node.links["n0"].incarnation
            await cluster.restart_node("n0")
            new_incarnation = cluster._node.links["n0"].incarnation
            assert new_incarnation != old_incarnation
            # Through the API: the old ref is dead, its messages dead letters.
            old.tell(Add(1))
            assert cluster.system.dead_letters.recent()[-1].reason in ("node_lost", "stale_incarnation")
            with pytest.raises(airsrt.ActorStoppedError):
                await old.ask(Get(), timeout=10)
            # On the wire: a batch addressed to the old incarnation is refused by the new one.
            handle = ray.get_actor("airsrt:n0", namespace="restart")
            from airsrt.ray._wire import TELL, encode
            blob, payloads, n = encode([(TELL, old._aid, Add(1))], ray.put, 100_000)
            header = ("driver", cluster._node.incarnation, old_incarnation, 1, n)
            status = await asyncio.wrap_future(handle.deliver.remote(header, blob).future())
            assert status == ("stale", new_incarnation)
            # The new incarnation is empty and works.
            fresh = await cluster.spawn(Counter, node="n0")
            assert await fresh.ask(Add(3), timeout=10) == 3

    driver.run(body(), timeout=120)


def test_slow_remote_consumer_bounds_what_the_sender_buffers(driver: Any) -> None:
    link = LinkConfig(batch_size=64, window=2, link_buffer=256)
    bound = link.link_buffer + link.window * link.batch_size
    count = 4000

    async def body() -> None:
        async with await Cluster.start(nodes=1, node_options={"num_cpus": 0.5}, namespace="bp", link=link) as cluster:
            consumer = await cluster.spawn(Slow, node="n0", mailbox=airsrt.Mailbox.bounded(32))
            highest = 0
            sender = asyncio.ensure_future(_produce(consumer, count))
            while not sender.done():
                highest = max(highest, cluster._node.buffered())
                await asyncio.sleep(0.002)
            await sender
            assert 0 < highest <= bound
            # A tell into the full link is refused, like a tell into a full BLOCK mailbox.
            with pytest.raises(airsrt.MailboxFullError):
                for i in range(count, count + 10 * bound):
                    consumer.tell(Seq(0, i))
            async def done() -> bool:
                return (await consumer.ask(Report(), timeout=30))[0] >= count
            end = driver.loop.time() + 60
            while not await done():
                assert driver.loop.time() < end
                await asyncio.sleep(0.1)
            received, out_of_order = await consumer.ask(Report(), timeout=30)
            assert out_of_order == 0

    driver.run(body(), timeout=180)


async def _produce(ref: Any, count: int) -> None:
    for i in range(count):
        await ref.send(Seq(0, i))


def test_shutdown_leaves_no_ray_actor_behind(driver: Any) -> None:
    async def body() -> None:
        cluster = await Cluster.start(nodes=2, node_options={"num_cpus": 0.5}, namespace="bye")
        ref = await cluster.spawn(Counter, node="n1")
        await ref.ask(Add(), timeout=10)
        assert {"airsrt:n0", "airsrt:n1"} <= set(_named_nodes())
        await cluster.shutdown()
        await cluster.shutdown()  # idempotent
        await eventually(lambda: not _named_nodes(), timeout=20)

    driver.run(body(), timeout=120)
