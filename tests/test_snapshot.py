"""system.snapshot(): the records of a known tree, after a restart and a stop, busy actors,
mailboxes, dead letters by reason, the ledger, JSON and pickling, merging nodes."""

from __future__ import annotations

import asyncio
import gc
import json
import pickle
import threading

import pytest

import airsrt
from airsrt import (
    ActorSnapshot,
    ChildSpec,
    ClusterSnapshot,
    ConfigurationError,
    OneForAll,
    OneForOne,
    RestForOne,
    SystemSnapshot,
    WrongThreadError,
    merge_snapshots,
    supervisor,
)


class Ping:
    pass


class Boom:
    pass


class Hold:
    pass


class Worker(airsrt.Actor):
    error_action = airsrt.ErrorAction.ESCALATE

    @airsrt.handler
    def ping(self, msg: Ping) -> int:
        return 1

    @airsrt.handler
    def boom(self, msg: Boom) -> None:
        raise RuntimeError("boom")


class Parent(airsrt.Actor):
    """Spawns one child of its own (a plain context.spawn child)."""

    async def on_start(self) -> None:
        self.kid = self.context.spawn(Worker, name="kid")

    @airsrt.handler
    def ping(self, msg: Ping) -> int:
        return 2


class Holder(airsrt.Actor):
    """An async handler that waits until the test lets it go."""

    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate

    @airsrt.handler
    async def hold(self, msg: Hold) -> None:
        await self.gate.wait()

    @airsrt.handler
    def ping(self, msg: Ping) -> None:
        pass


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def known_tree(system: airsrt.ActorSystem) -> dict[str, airsrt.ActorRef]:
    app = await system.spawn_supervisor(
        OneForAll(max_restarts=4, within=7.0, backoff=None),
        [
            ChildSpec("a", Worker, name="a"),
            ChildSpec("db", supervisor(RestForOne(max_restarts=2, within=3.0), [
                ChildSpec(("conn", 1), Worker, restart="transient"),
            ]), name="db"),
        ],
        name="app",
    )
    pool = system.spawn_pool(Worker, size=3, name="pool")
    await pool.ready()
    parent = system.spawn(Parent, name="parent")
    await parent.ready()
    return {"app": app, "a": app.child("a"), "db": app.child("db"), "pool": pool.supervisor, "parent": parent}


def by_name(snap: SystemSnapshot) -> dict[str, ActorSnapshot]:
    return {a.name: a for a in snap.actors}


async def test_snapshot_of_a_known_tree(actor_system):
    refs = await known_tree(actor_system)
    for _ in range(3):
        refs["a"].tell(Ping())
    await refs["a"].ask(Ping())
    snap = actor_system.snapshot()
    actors = by_name(snap)
    node = actor_system.name

    # Parents before children, in start order, the guardian first.
    names = [a.name for a in snap.actors]
    assert names[0] == "guardian"
    conn = refs["db"].child(("conn", 1))
    workers = [w.name for w in refs["pool"]._actor._slots]
    assert names == [
        "guardian", "app", "a", "db", conn.name, "pool", *workers, "parent", "kid",
    ]
    guardian = actors["guardian"]
    assert (guardian.kind, guardian.uid, guardian.parent_uid, guardian.path, guardian.depth) == (
        "guardian", 0, None, "/", 0
    )
    assert guardian.children == 3
    assert actors["app"].kind == "supervisor" and actors["app"].class_name == "Supervisor"
    assert actors["pool"].kind == "pool"
    assert actors["parent"].kind == "actor" and actors["parent"].children == 1
    assert actors["kid"].path == "/parent/kid" and actors["kid"].child_id is None
    assert actors[conn.name].path == f"/app/db/{conn.name}"
    assert actors[conn.name].depth == 3
    assert actors[conn.name].parent == actors["db"].id
    assert actors[conn.name].child_id == "('conn', 1)"  # a non-JSON id is shown as its repr
    assert [actors[w].child_id for w in workers] == [0, 1, 2]
    a = actors["a"]
    assert a.id == f"{node}:{refs['a']._uid}" and a.node == node and a.uid == refs["a"]._uid
    assert a.registered_name == "a" and a.child_id == "a" and a.class_name == "Worker"
    assert (a.processed, a.failed, a.restarts, a.incarnation, a.mailbox) == (4, 0, 0, 1, 0)
    assert a.state == "IDLE" and a.busy_since is None and a.handling is None
    stats = refs["a"].stats()
    assert a.processed == stats.processed and a.max_mailbox == stats.max_mailbox_size

    sups = {s.actor: s for s in snap.supervisors}
    assert snap.supervisors[0].kind == "guardian"
    assert snap.supervisors[0].strategy is None  # the default guardian stops failed actors
    app = sups[actors["app"].id]
    assert (app.kind, app.strategy, app.max_restarts, app.within, app.restarts_in_window) == (
        "supervisor", "OneForAll", 4, 7.0, 0
    )
    assert [(c.id, c.actor, c.state, c.restart, c.is_supervisor) for c in app.children] == [
        ("a", actors["a"].id, "running", "permanent", False),
        ("db", actors["db"].id, "running", "permanent", True),
    ]
    db = sups[actors["db"].id]
    assert db.strategy == "RestForOne" and db.children[0].restart == "transient"
    assert sups[actors["pool"].id].kind == "pool"
    assert len(sups[actors["pool"].id].children) == 3

    c = snap.counters
    assert c.actors == len(snap.actors) - 1
    assert c.sent == c.handled + c.rejected + c.dead_letters + c.returned + c.withdrawn + c.in_flight
    assert c.in_flight == 0 and c.mailbox_total == 0 and c.busy == 0
    assert snap.events["actor.spawned"] == c.spawned
    assert snap.find("a") == a and snap.find("nobody") is None
    assert snap.state == "running" and snap.system == node and snap.duration >= 0


async def test_snapshot_after_a_restart(actor_system):
    refs = await known_tree(actor_system)
    before = by_name(actor_system.snapshot())
    refs["a"].tell(Boom())
    for _ in range(100):
        await asyncio.sleep(0.005)
        if refs["a"].incarnation == 2 and refs["a"].state_name() == "IDLE":
            break
    snap = actor_system.snapshot()
    after = by_name(snap)
    a = after["a"]
    assert a.uid == before["a"].uid  # the same actor (same ref), a new instance
    assert (a.incarnation, a.restarts, a.failed, a.processed) == (2, 1, 1, 1)
    db = after["db"]
    assert db.incarnation == 2  # one-for-all: the sibling subtree restarted too
    app = {s.actor: s for s in snap.supervisors}[after["app"].id]
    assert app.restarts_in_window == 1
    assert [c.restarts for c in app.children] == [1, 1]
    assert snap.counters.restarts == actor_system.n_restarts >= 2
    assert snap.counters.failures == 1


async def test_snapshot_after_a_stop(actor_system):
    refs = await known_tree(actor_system)
    kid = by_name(actor_system.snapshot())["kid"]
    stopped_before = actor_system.snapshot().counters.stopped
    await refs["parent"].stop()
    await refs["a"].stop()
    snap = actor_system.snapshot()
    names = {a.name for a in snap.actors}
    assert "parent" not in names and "kid" not in names and "a" not in names
    assert all(a.uid != kid.uid for a in snap.actors)
    assert snap.counters.stopped == stopped_before + 3
    app = {s.actor: s for s in snap.supervisors}[by_name(snap)["app"].id]
    # ref.stop() on a supervised child is terminate_child: the spec stays, not running.
    assert [(c.id, c.state, c.actor) for c in app.children][0] == ("a", "terminated", None)


async def test_busy_actor_mailbox_and_busy_since(actor_system):
    gate = asyncio.Event()
    ref = actor_system.spawn(Holder, gate, name="holder")
    ref.tell(Hold())
    await settle()
    for _ in range(5):
        ref.tell(Ping())
    first = by_name(actor_system.snapshot())["holder"]
    assert first.state == "BUSY" and first.handling == "Hold"
    assert first.mailbox == 5 and first.max_mailbox >= 5
    assert first.busy_since is not None and first.busy_since <= actor_system.loop.time()
    await asyncio.sleep(0.01)
    again = actor_system.snapshot()
    # Not tracing: busy_since is when a snapshot first saw the handler running, kept after.
    assert by_name(again)["holder"].busy_since == first.busy_since
    assert again.counters.busy == 1 and again.counters.mailbox_total == 5
    assert again.counters.mailbox_max == 5
    assert again.counters.in_flight == 5  # queued; the one being handled counts as handled
    gate.set()
    await ref.ask(Ping())
    done = by_name(actor_system.snapshot())["holder"]
    assert done.state == "IDLE" and done.busy_since is None and done.processed == 7


@pytest.mark.actor_system(trace_messages=True)
async def test_busy_since_is_exact_while_tracing(actor_system):
    gate = asyncio.Event()
    ref = actor_system.spawn(Holder, gate)
    started = actor_system.loop.time()
    ref.tell(Hold())
    await asyncio.sleep(0.02)
    holder = actor_system.snapshot().actors[-1]
    assert holder.busy_since is not None
    assert started - 0.005 <= holder.busy_since <= started + 0.015
    gate.set()
    await ref.ask(Ping())


async def test_dead_letters_by_reason(actor_system):
    gone = actor_system.spawn(Worker)
    await gone.stop()
    gone.tell(Ping())
    gone.tell(Ping())
    gate = asyncio.Event()
    small = actor_system.spawn(
        Holder, gate, mailbox=airsrt.Mailbox.bounded(1, airsrt.Backpressure.DROP_NEWEST)
    )
    small.tell(Hold())
    await settle()
    small.tell(Ping())
    small.tell(Ping())  # no room: dropped
    letters = actor_system.snapshot().dead_letters
    assert letters.by_reason == {"stopped": 2, "mailbox_full": 1}
    assert letters.total == 3 and letters.exact
    assert [(d.reason, d.message_type) for d in letters.recent] == [
        ("stopped", "Ping"), ("stopped", "Ping"), ("mailbox_full", "Ping")
    ]
    assert letters.recent[-1].recipient_id == f"{actor_system.name}:{small._uid}"
    gate.set()
    for _ in range(200):
        if small.mailbox_size() == 0 and small.state_name() == "IDLE":
            break
        await asyncio.sleep(0.005)
    assert small.stats().processed == 2


@pytest.mark.actor_system(dead_letter_history=2)
async def test_dead_letter_counts_are_exact_past_the_history(actor_system):
    gone = actor_system.spawn(Worker)
    await gone.stop()
    for _ in range(3):
        gone.tell(Ping())
    letters = actor_system.snapshot().dead_letters
    assert letters.total == 3
    assert letters.by_reason == {"stopped": 3}  # counted in full, though the history keeps 2
    assert letters.exact
    assert len(letters.recent) == 2


async def test_json_pickle_and_plain_values(actor_system):
    await known_tree(actor_system)
    snap = actor_system.snapshot()
    data = json.loads(snap.to_json())
    assert data["node"] == actor_system.name
    assert [a["name"] for a in data["actors"]] == [a.name for a in snap.actors]
    first = data["actors"][1]
    assert first["id"] == snap.actors[1].id and first["parent"] == snap.actors[0].id
    assert set(first) == set(airsrt._core.SNAPSHOT_FIELDS) | {"id", "parent"}
    assert data["counters"]["sent"] == snap.counters.sent
    # Records hold only plain values (so they are safe to keep out of the cyclic GC), and
    # travel between processes.
    for actor in snap.actors:
        for name in airsrt._core.SNAPSHOT_FIELDS:
            assert getattr(actor, name) is None or type(getattr(actor, name)) in (str, int, float, bool)
        assert not gc.is_tracked(actor)
    assert pickle.loads(pickle.dumps(snap)) == snap
    with pytest.raises(AttributeError):
        snap.actors[1].processed = 5  # type: ignore[misc]


async def test_merge_snapshots_of_two_nodes():
    async with airsrt.ActorSystem("one") as one, airsrt.ActorSystem("two") as two:
        one.spawn(Worker, name="w1").tell(Ping())
        two.spawn(Worker, name="w2")
        await settle()
        a, b = one.snapshot(node="n1"), two.snapshot(node="n2")
        merged = merge_snapshots([a, b])
        assert isinstance(merged, ClusterSnapshot)
        assert [n.node for n in merged.nodes] == ["n1", "n2"]
        ids = [x.id for x in merged.actors]
        assert len(ids) == len(set(ids)) == 4
        assert ids[0] == "n1:0" and "n2:0" in ids
        assert merged.counters.actors == 2
        assert merged.counters.handled == a.counters.handled + b.counters.handled
        assert merged.find("w2") is not None and merged.find("w2").node == "n2"
        assert json.loads(merged.to_json())["nodes"][1]["node"] == "n2"
        assert merge_snapshots([merged]).nodes == merged.nodes
        with pytest.raises(ConfigurationError, match="node 'n1'"):
            merge_snapshots([a, one.snapshot(node="n1")])


async def test_snapshot_of_a_new_and_of_a_stopped_system():
    system = airsrt.ActorSystem("fresh")
    snap = system.snapshot()
    assert snap.state == "new" and snap.actors == () and snap.supervisors == ()
    async with system:
        system.spawn(Worker)
        assert len(system.snapshot().actors) == 2
    after = system.snapshot()
    assert after.state == "stopped" and [a.name for a in after.actors] == ["guardian"]


async def test_snapshot_from_another_thread_is_refused(actor_system):
    errors: list[BaseException] = []

    def other() -> None:
        try:
            actor_system.snapshot()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
    assert len(errors) == 1 and isinstance(errors[0], WrongThreadError)
    assert "loop" in str(errors[0])


async def test_a_wide_tree_keeps_start_order(actor_system):
    sup = await actor_system.spawn_supervisor(OneForOne(), [ChildSpec(i, Worker) for i in range(500)])
    for i in range(0, 500, 7):
        sup.child(i).tell(Ping())
    await settle()
    snap = actor_system.snapshot()
    kids = [a for a in snap.actors if a.parent_uid == sup._uid]
    assert [k.child_id for k in kids] == list(range(500))
    assert sum(k.processed for k in kids) == len(range(0, 500, 7))
    assert snap.counters.actors == 501


async def test_a_bad_node_label_is_refused(actor_system):
    with pytest.raises(ConfigurationError, match="node label"):
        actor_system.snapshot(node="")
