"""Reliability matrix, shutdown: H1, H2 and H5 (H3 is in test_system.py, H4 in test_run.py)."""

from __future__ import annotations

import asyncio

import pytest

import airsrt
from airsrt import Actor, handler
from reliability_kit import Item, Sink, settle


class Gate:
    def __init__(self) -> None:
        self.open = asyncio.Event()


class Worker(Sink):
    @handler
    async def gate(self, msg: Gate) -> None:
        await msg.open.wait()


# -- H1: stop with work in flight ------------------------------------------------------------------


@pytest.mark.parametrize("drain", [True, False], ids=["drain", "discard"])
async def test_h1_stop_with_ten_thousand_tells_and_a_thousand_asks_queued(
    actor_system, ledger, drain
):
    ref = actor_system.spawn(Worker)
    gate = Gate()
    ref.tell(gate)
    await settle()
    for seq in range(10_000):
        ledger.tell(ref, Item(0, seq))
    asks = [asyncio.ensure_future(ledger.ask(ref, Item(1, seq))) for seq in range(1_000)]
    await settle()
    stopping = asyncio.ensure_future(ref.stop(drain=drain))
    await settle()
    gate.open.set()
    await stopping
    assert [f for f in actor_system._pending_asks() if not f.done()] == []
    await settle()
    assert all(a.done() for a in asks)
    counts = ledger.counts()
    if drain:
        assert counts == {"handled": 11_000}
        assert [a.result() for a in asks] == [(1, seq) for seq in range(1_000)]
    else:
        assert counts == {"dead_letter": 10_000, "returned": 1_000}
        letters = actor_system.dead_letters.recent()
        assert {d.reason for d in letters} == {"stopped"}
        assert all(isinstance(a.exception(), airsrt.ActorStoppedError) for a in asks)
    # After the stop: a tell is a dead letter, an ask fails at once.
    ledger.tell(ref, Item(2, 0))
    with pytest.raises(airsrt.ActorStoppedError):
        await ledger.ask(ref, Item(2, 1))


# -- H2: tree stop order -----------------------------------------------------------------------------


class Node(Actor):
    """Spawns `fanout` children down to `depth`; records every on_stop in `journal`."""

    def __init__(self, path: str, depth: int, fanout: int, journal: list[str]) -> None:
        self.path, self.journal = path, journal
        for i in range(fanout if depth else 0):
            self.context.spawn(Node, f"{path}.{i}", depth - 1, fanout, journal)

    def on_stop(self) -> None:
        self.journal.append(self.path)

    @handler
    def ping(self, msg: Item) -> str:
        return self.path


async def test_h2_tree_stops_leaves_first_siblings_in_reverse_order(actor_system):
    journal: list[str] = []
    root = actor_system.spawn(Node, "r", 3, 3, journal)
    await root.ask(Item(0, 0))
    await root.stop()
    assert len(journal) == 1 + 3 + 9 + 27 and len(set(journal)) == len(journal)  # once each
    position = {path: i for i, path in enumerate(journal)}
    for path in journal:
        children = [p for p in journal if p.rsplit(".", 1)[0] == path and p != path]
        assert all(position[c] < position[path] for c in children), f"{path} before a child"
        # Siblings in reverse start order: .2 before .1 before .0
        ordered = sorted(children, key=lambda p: int(p.rsplit(".", 1)[1]), reverse=True)
        assert [position[c] for c in ordered] == sorted(position[c] for c in children)


# -- H5: idempotent stop -------------------------------------------------------------------------------


async def test_h5_a_hundred_concurrent_stops_and_shutdowns():
    stops = []
    system = airsrt.ActorSystem(log_failures=False)
    system.events.subscribe(
        lambda e: stops.append(e.actor) if e.kind == "actor.stopped" else None
    )
    async with system:
        refs = [system.spawn(Worker) for _ in range(10)]
        calls = [refs[i % 10].stop() for i in range(100)] + [system.shutdown() for _ in range(100)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert results == [None] * 200
        assert not system.is_running
    assert sorted(stops) == sorted(ref.name for ref in refs)  # each stopped exactly once
    assert [e.kind for e in system.events.recent()].count("system.stopped") == 1
