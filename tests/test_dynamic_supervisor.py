"""DynamicSupervisor (OTP's simple_one_for_one): children started on demand from a template,
max_children, per-template restart policies, intensity, parallel shutdown, and scale."""

import asyncio
import os

import pytest

import airsrt
from airsrt import ChildSpec, DynamicSupervisor, RestartPolicy
from supervision_kit import Crash, Hang, Incarnation, Journal, Quit, Worker

SOAK = os.environ.get("AIRSRT_SOAK") == "full"


class Session(airsrt.Actor):
    """One actor per user: the template's args, then start_child's."""

    def __init__(self, journal: Journal, region: str, user: str, mode: str = "") -> None:
        self.journal, self.region, self.user, self.mode = journal, region, user, mode

    def on_start(self):
        self.journal.starts[self.user] = self.journal.starts.get(self.user, 0) + 1
        if self.mode == "ignore":
            return airsrt.IGNORE
        if self.mode == "fail" or self.user in self.journal.fail_start:
            raise RuntimeError(f"{self.user} cannot start")
        self.journal.lines.append(f"start {self.user}")
        return None

    def on_stop(self) -> None:
        self.journal.lines.append(f"stop {self.user}")

    @airsrt.handler
    def who(self, msg: Incarnation) -> str:
        return f"{self.region}/{self.user}#{self.context.ref.incarnation}"

    @airsrt.handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError(f"{self.user} crashed")

    @airsrt.handler
    def quit(self, msg: Quit) -> None:
        self.context.stop(msg.reason)

    @airsrt.handler
    async def hang(self, msg: Hang) -> str:
        await asyncio.sleep(msg.seconds)
        return "done"


async def settled(sup: airsrt.SupervisorRef) -> airsrt.ChildCount:
    for _ in range(3):
        await asyncio.sleep(0)
    return await sup.count_children()


def template(journal: Journal, **options) -> ChildSpec:
    return ChildSpec("session", Session, journal, "eu", **options)


async def test_start_child_appends_args_to_the_template(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(DynamicSupervisor(), template=template(journal))
    assert isinstance(sup, airsrt.SupervisorRef)
    ann = await sup.start_child("ann")
    bob = await sup.start_child("bob")
    assert await ann.ask(Incarnation()) == "eu/ann#1" and await bob.ask(Incarnation()) == "eu/bob#1"
    infos = await sup.which_children()
    assert [(i.id, i.ref, i.state, i.restart) for i in infos] == [
        ("session", ann, "running", RestartPolicy.PERMANENT),
        ("session", bob, "running", RestartPolicy.PERMANENT),
    ]
    count = await sup.count_children()
    assert count == airsrt.ChildCount(specs=2, active=2, supervisors=0, workers=2)
    assert count.as_dict() == {"specs": 2, "active": 2, "supervisors": 0, "workers": 2}
    with pytest.raises(AttributeError):
        count.active = 3  # type: ignore[misc]
    spec = await sup.get_childspec(bob)
    assert (spec.id, spec.factory, spec.args) == ("session", Session, (journal, "eu", "bob"))


async def test_max_children_is_refused_with_a_clear_error(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        DynamicSupervisor(max_children=2), template=template(journal), name="sessions"
    )
    first = await sup.start_child("ann")
    await sup.start_child("bob")
    with pytest.raises(airsrt.MaxChildrenError, match=r"sessions already has 2 children \(max_children=2\); Session\('cid'\)") as info:
        await sup.start_child("cid")
    assert info.value.max_children == 2 and isinstance(info.value, airsrt.AirsrtError)
    assert journal.starts.get("cid") is None  # refused before anything was built
    await sup.terminate_child(first)
    assert not first.is_alive
    assert (await sup.start_child("cid")).is_alive  # room again


@pytest.mark.parametrize(
    "policy,exit_kind,restarted",
    [
        ("permanent", "crash", True),
        ("permanent", "normal", True),
        ("transient", "crash", True),
        ("transient", "normal", False),
        ("transient", "shutdown", False),
        ("transient", "shutdown_payload", False),
        ("temporary", "crash", False),
        ("temporary", "normal", False),
    ],
)
async def test_template_restart_policy(actor_system, policy, exit_kind, restarted):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        DynamicSupervisor(), template=template(journal, restart=policy)
    )
    ref = await sup.start_child("ann")
    other = await sup.start_child("bob")
    if exit_kind == "crash":
        ref.tell(Crash())
    elif exit_kind == "shutdown_payload":
        ref.tell(Quit(("shutdown", {"why": "idle"})))  # type: ignore[arg-type]
    else:
        ref.tell(Quit(exit_kind))
    count = await settled(sup)
    infos = await sup.which_children()
    assert other.is_alive and await other.ask(Incarnation()) == "eu/bob#1"
    if restarted:
        assert ref.is_alive and await ref.ask(Incarnation()) == "eu/ann#2"  # same ref, fresh state
        assert [i.ref for i in infos] == [ref, other] and infos[0].restarts == 1
        assert count.specs == count.active == 2
    else:
        assert not ref.is_alive
        assert [i.ref for i in infos] == [other]  # a dynamic supervisor keeps nothing of it
        assert count.specs == count.active == 1


@pytest.mark.virtual_time
async def test_intensity_gives_up_and_later_calls_raise(actor_system):
    journal = Journal()
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.INFO)
    sup = await actor_system.spawn_supervisor(
        DynamicSupervisor(max_restarts=2, within=10.0), template=template(journal), name="sessions"
    )
    refs = [await sup.start_child(user) for user in ("ann", "bob", "cid")]
    for ref in refs:  # three failures across three children: the supervisor counts them all
        ref.tell(Crash())
        await asyncio.sleep(0.01)
    while sup.is_alive:
        await asyncio.sleep(0.01)
    assert not any(r.is_alive for r in refs)
    stopped = [e for e in events if e.kind == "actor.stopped" and e.actor == "sessions"]
    assert [e.details["reason"] for e in stopped] == ["shutdown"]
    with pytest.raises(airsrt.ActorStoppedError, match=r"sessions gave up: more than 2 restarts within 10s .*start_child\(\) was not done") as info:
        await sup.start_child("dan")
    assert isinstance(info.value.__cause__, airsrt.RestartLimitError)
    with pytest.raises(airsrt.ActorStoppedError, match="sessions gave up"):
        await sup.count_children()


@pytest.mark.virtual_time
async def test_shutdown_stops_all_children_in_parallel_with_one_grace(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        DynamicSupervisor(), template=template(journal, shutdown=1.0)
    )
    refs = [await sup.start_child(f"u{i}") for i in range(20)]
    hung = [ref.ask(Hang(3600), timeout=None) for ref in refs]
    # Every child inside its handler before the stop (the dispatcher may take more than one
    # turn to start twenty Tasks: its turn has a time budget, which debug mode uses up).
    while any(ref.stats().state != "BUSY" for ref in refs):
        await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await sup.stop()
    # Twenty children, each stuck in a handler for an hour: one grace period in all, not twenty.
    assert loop.time() - began == pytest.approx(1.0, abs=0.05)
    assert not any(ref.is_alive for ref in refs)
    for pending in hung:
        with pytest.raises(airsrt.ActorStoppedError, match="killed"):
            await pending


async def test_shutdown_of_idle_children_runs_every_on_stop(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(DynamicSupervisor(), template=template(journal))
    for i in range(5):
        await sup.start_child(f"u{i}")
    await sup.stop()
    assert sorted(journal.only("stop")) == [f"stop u{i}" for i in range(5)]


async def test_a_child_that_cannot_start_is_reported_and_not_kept(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        DynamicSupervisor(), template=template(journal), name="sessions"
    )
    with pytest.raises(airsrt.ActorStartError, match=r"sessions could not start a child from template 'session': RuntimeError: eve cannot start"):
        await sup.start_child("eve", "fail")
    assert await sup.count_children() == airsrt.ChildCount(0, 0, 0, 0)
    assert (await sup.start_child("ann")).is_alive  # the supervisor is fine


class AsyncIgnore(airsrt.Actor):
    async def on_start(self):
        await asyncio.sleep(0)
        return airsrt.IGNORE

    def on_stop(self) -> None:
        raise AssertionError("an actor that declined to start has nothing to clean up")


async def test_ignore_keeps_nothing_and_start_child_returns_none(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(DynamicSupervisor(), template=template(journal))
    assert await sup.start_child("ann", "ignore") is None
    assert journal.starts["ann"] == 1 and await sup.count_children() == airsrt.ChildCount(0, 0, 0, 0)
    lazy = await actor_system.spawn_supervisor(DynamicSupervisor(), template=ChildSpec("x", AsyncIgnore))
    assert await lazy.start_child() is None
    assert await lazy.which_children() == []


async def test_children_are_known_by_ref(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        DynamicSupervisor(), template=template(journal), name="sessions"
    )
    ann = await sup.start_child("ann")
    assert sup.child(ann) is ann
    with pytest.raises(airsrt.ChildNotFoundError, match="known by their refs"):
        await sup.terminate_child("session")
    with pytest.raises(airsrt.ChildNotFoundError, match="known by their refs"):
        sup.child("session")
    stranger = actor_system.spawn(Worker, journal, "stranger")
    with pytest.raises(airsrt.ChildNotFoundError, match="has no child Worker#"):
        await sup.get_childspec(stranger)
    with pytest.raises(airsrt.ConfigurationError, match="no restart_child"):
        await sup.restart_child(ann)
    with pytest.raises(airsrt.ConfigurationError, match="no delete_child"):
        await sup.delete_child(ann)
    await sup.terminate_child(ann)
    assert not ann.is_alive and journal.only("stop") == ["stop ann"]
    with pytest.raises(airsrt.ChildNotFoundError):
        await sup.terminate_child(ann)  # nothing is kept of a stopped child


async def test_dynamic_supervisor_in_a_tree(actor_system):
    journal = Journal()
    sessions = airsrt.supervisor(DynamicSupervisor(max_children=10), template=template(journal))
    root = await actor_system.spawn_supervisor(
        airsrt.OneForOne(), [ChildSpec("sessions", sessions), ChildSpec("w", Worker, journal, "w")]
    )
    sup = root.child("sessions")
    assert isinstance(sup, airsrt.SupervisorRef)
    ann = await sup.start_child("ann")
    assert await ann.ask(Incarnation()) == "eu/ann#1"
    assert await root.count_children() == airsrt.ChildCount(specs=2, active=2, supervisors=1, workers=1)
    await root.stop()
    assert not ann.is_alive and "stop ann" in journal.lines


def test_dynamic_supervisor_validation():
    journal = Journal()
    with pytest.raises(airsrt.ConfigurationError, match="needs template="):
        airsrt.supervisor(DynamicSupervisor())
    with pytest.raises(airsrt.ConfigurationError, match="starts with no children"):
        airsrt.supervisor(DynamicSupervisor(), [ChildSpec("a", Worker)], template=template(journal))
    with pytest.raises(airsrt.ConfigurationError, match="which every child would take"):
        airsrt.supervisor(DynamicSupervisor(), template=template(journal, name="one"))
    with pytest.raises(airsrt.ConfigurationError, match="template= is for airsrt.DynamicSupervisor"):
        airsrt.supervisor(airsrt.OneForOne(), [], template=template(journal))
    with pytest.raises(airsrt.ConfigurationError, match="template must be an airsrt.ChildSpec"):
        airsrt.supervisor(DynamicSupervisor(), template=Session)  # type: ignore[arg-type]
    for bad in (0, -1, 1.5, True):
        with pytest.raises(airsrt.ConfigurationError, match="max_children"):
            DynamicSupervisor(max_children=bad)  # type: ignore[arg-type]
    assert repr(DynamicSupervisor(max_children=5)) == "DynamicSupervisor(max_children=5, max_restarts=3, within=5)"
    with pytest.raises(airsrt.ConfigurationError, match="guardian must be"):
        airsrt.ActorSystem(guardian=DynamicSupervisor())


async def test_a_pool_takes_no_dynamic_strategy(actor_system):
    with pytest.raises(airsrt.ConfigurationError, match="a pool's strategy"):
        actor_system.spawn_pool(Worker, Journal(), "w", size=2, strategy=DynamicSupervisor())


async def test_static_start_child_takes_one_spec(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(airsrt.OneForOne(), [ChildSpec("a", Worker, journal, "a")])
    b = await sup.start_child(ChildSpec("b", Worker, journal, "b"))
    assert b is not None and b.is_alive
    with pytest.raises(airsrt.ConfigurationError, match=r"takes one airsrt.ChildSpec, got \('ann'\)"):
        await sup.start_child("ann")


# -- scale: 100,000 children (10,000 unless AIRSRT_SOAK=full) --------------------------------------


class Entity(airsrt.Actor):
    def __init__(self, n: int) -> None:
        self.n = n

    @airsrt.handler
    def get(self, msg: Incarnation) -> int:
        return self.n

    @airsrt.handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError(f"entity {self.n} crashed")


@pytest.mark.timeout(600)
@pytest.mark.actor_system(slow_handler_limit=None)  # a 100k-child shutdown is one long step
async def test_many_children_start_crash_one_percent_and_shut_down(actor_system):
    n = 100_000 if SOAK else 10_000
    sup = await actor_system.spawn_supervisor(
        DynamicSupervisor(max_restarts=n, within=60.0), template=ChildSpec("entity", Entity)
    )
    refs = [await sup.start_child(i) for i in range(n)]
    assert await sup.count_children() == airsrt.ChildCount(n, n, 0, n)
    crashed = refs[::100]
    for ref in crashed:
        ref.tell(Crash())
    for ref in crashed:  # each answers as its new incarnation (queued behind the crash)
        assert await ref.ask(Incarnation(), timeout=None) == ref._actor.n
    assert all(ref.incarnation == 2 for ref in crashed)
    assert sum(ref.incarnation for ref in refs[1::100]) == len(refs[1::100])
    infos = await sup.which_children()
    assert [i.ref for i in infos] == refs  # start order, restarted children in their place
    assert sum(i.restarts for i in infos) == len(crashed)
    await sup.stop()
    assert not any(ref.is_alive for ref in refs[::997])
    stats = actor_system.stats()
    assert stats.restarts == len(crashed) and stats.failures == len(crashed)
    # The fixture shuts the system down and checks that the ledger balances.


async def test_a_child_costs_no_object_the_cyclic_gc_walks(actor_system):
    """A child that never restarted is a dict entry: nothing per child for a full collection."""
    import gc

    sup = await actor_system.spawn_supervisor(DynamicSupervisor(), template=ChildSpec("entity", Entity))
    gc.collect()
    before = len(gc.get_objects())
    refs = [await sup.start_child(i) for i in range(2000)]
    gc.collect()
    assert len(gc.get_objects()) - before < 100  # the list above, and a dict that grew
    refs[0].tell(Crash())
    assert await refs[0].ask(Incarnation()) == 0
    assert [i.restarts for i in (await sup.which_children())[:2]] == [1, 0]
