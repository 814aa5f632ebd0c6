"""ChildSpec validation, SupervisorRef's operations, error actions under a supervisor, named
children, the guardian with a strategy, nested trees and health checks."""

import asyncio

import pytest

import airsrt
from airsrt import ChildSpec, ErrorAction, OneForAll, OneForOne, RestartPolicy, handler
from supervision_kit import Crash, Hang, Incarnation, Journal, Record, Worker, settled, specs


# -- validation ---------------------------------------------------------------------------------------


def test_child_spec_validation_names_the_child():
    journal = Journal()
    with pytest.raises(airsrt.ConfigurationError, match=r"child 'db': invalid restart policy 'prmanent'"):
        ChildSpec("db", Worker, journal, "db", restart="prmanent")
    with pytest.raises(airsrt.ConfigurationError, match=r"child 'db': invalid shutdown -1"):
        ChildSpec("db", Worker, journal, "db", shutdown=-1)
    with pytest.raises(airsrt.ConfigurationError, match=r"child 'db': factory must be"):
        ChildSpec("db", None)
    with pytest.raises(airsrt.ConfigurationError, match="not an airsrt.Actor"):
        ChildSpec("db", dict)
    with pytest.raises(airsrt.ConfigurationError, match="needs an id"):
        ChildSpec(None, Worker)
    assert ChildSpec("db", Worker, restart="transient").restart is RestartPolicy.TRANSIENT
    assert ChildSpec("db", Worker).shutdown == 5.0
    assert ChildSpec("s", airsrt.supervisor(OneForOne(), [])).shutdown is None


def test_supervisor_factory_validation():
    journal = Journal()
    with pytest.raises(airsrt.ConfigurationError, match="duplicate child id 'a'"):
        airsrt.supervisor(OneForOne(), specs(journal, "a", "a"))
    with pytest.raises(airsrt.ConfigurationError, match="needs a strategy"):
        airsrt.supervisor("one_for_one", [])  # type: ignore[arg-type]
    with pytest.raises(airsrt.ConfigurationError, match="max_restarts"):
        OneForOne(max_restarts=-1)
    with pytest.raises(airsrt.ConfigurationError, match="within"):
        OneForOne(within=0)


# -- SupervisorRef operations -------------------------------------------------------------------------


async def test_child_lookup_and_unknown_ids(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(OneForOne(), specs(journal, "a", "b"), name="sup")
    assert isinstance(sup, airsrt.SupervisorRef) and isinstance(sup, airsrt.ActorRef)
    assert actor_system.lookup("sup") is sup
    assert sup.child("a").is_alive
    with pytest.raises(airsrt.ChildNotFoundError, match=r"sup has no child 'zz'") as info:
        sup.child("zz")
    assert isinstance(info.value, KeyError)
    with pytest.raises(airsrt.ChildNotFoundError):
        await sup.terminate_child("zz")


async def test_start_terminate_restart_delete(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(OneForOne(), specs(journal, "a"))
    b = await sup.start_child(ChildSpec("b", Worker, journal, "b"))
    assert sup.child("b") is b and await b.ask(Incarnation()) == 1
    with pytest.raises(airsrt.ConfigurationError, match="already has a child with id 'b'"):
        await sup.start_child(ChildSpec("b", Worker, journal, "b"))
    with pytest.raises(airsrt.ConfigurationError, match="'b' .* is running"):
        await sup.delete_child("b")
    await sup.terminate_child("b")
    assert not b.is_alive
    infos = await sup.which_children()
    assert [(i.id, i.state) for i in infos] == [("a", "running"), ("b", "terminated")]
    assert all(isinstance(i, airsrt.ChildInfo) for i in infos)
    b2 = await sup.restart_child("b")
    assert b2 is not b and b2.is_alive and sup.child("b") is b2
    await sup.terminate_child("b")
    await sup.delete_child("b")
    assert [i.id for i in await sup.which_children()] == ["a"]


async def test_ref_stop_on_a_supervised_child_is_for_good(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(OneForOne(), specs(journal, "a", "b"))
    a = sup.child("a")
    await a.stop()
    infos = await settled(sup)
    assert not a.is_alive and [i.state for i in infos] == ["terminated", "running"]


async def test_named_child_follows_restarts(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        OneForOne(), [ChildSpec("db", Worker, journal, "db", name="database")]
    )
    db = actor_system.lookup("database")
    db.tell(Crash())
    await settled(sup)
    assert actor_system.lookup("database") is db and db.incarnation == 2
    await sup.terminate_child("db")
    assert actor_system.lookup("database") is None
    again = await sup.restart_child("db")
    assert actor_system.lookup("database") is again


# -- error actions under a supervisor -----------------------------------------------------------------


class Actions(Worker):
    def __init__(self, journal: Journal, tag: str, action: ErrorAction) -> None:
        super().__init__(journal, tag)
        self.action = action
        self.count = 0

    def on_error(self, error, msg):
        return self.action

    @handler
    def record(self, msg: Record) -> None:
        self.count += 1

    @handler
    def incarnation(self, msg: Incarnation) -> int:
        return self.count


async def test_resume_keeps_state_under_a_supervisor(actor_system):
    sup = await actor_system.spawn_supervisor(
        OneForAll(), [ChildSpec("w", Actions, Journal(), "w", ErrorAction.RESUME)]
    )
    w = sup.child("w")
    w.tell(Record("1"))
    w.tell(Crash())
    w.tell(Record("2"))
    assert await w.ask(Incarnation()) == 2 and w.incarnation == 1


async def test_restart_action_restarts_only_that_child_even_under_one_for_all(actor_system):
    journal = Journal()
    children = [ChildSpec("w", Actions, journal, "w", ErrorAction.RESTART), *specs(journal, "other")]
    sup = await actor_system.spawn_supervisor(OneForAll(), children)
    sup.child("w").tell(Crash())
    await settled(sup)
    assert sup.child("w").incarnation == 2 and sup.child("other").incarnation == 1


@pytest.mark.parametrize("policy,restarted", [(RestartPolicy.PERMANENT, True), (RestartPolicy.TRANSIENT, False)])
async def test_stop_action_is_a_normal_exit(actor_system, policy, restarted):
    sup = await actor_system.spawn_supervisor(
        OneForOne(), [ChildSpec("w", Actions, Journal(), "w", ErrorAction.STOP, restart=policy)]
    )
    w = sup.child("w")
    w.tell(Crash())
    await settled(sup)
    assert w.is_alive is restarted


# -- the guardian with a strategy ----------------------------------------------------------------------


async def test_guardian_strategy_restarts_top_level_actors_within_limits():
    journal = Journal()
    events = []
    async with airsrt.ActorSystem(guardian=OneForOne(max_restarts=2, within=60), log_failures=False) as system:
        system.events.subscribe(events.append, min_severity=airsrt.Severity.WARNING)
        ref = system.spawn(Worker, journal, "top")
        for expected in (2, 3):
            ref.tell(Crash())
            await asyncio.sleep(0)
            assert ref.is_alive and await ref.ask(Incarnation()) == expected
        ref.tell(Crash())
        await asyncio.sleep(0)
        assert not ref.is_alive
    kinds = [e.kind for e in events]
    assert kinds.count("actor.restarted") == 2 and "supervisor.restart_limit_exceeded" in kinds


async def test_guardian_rejects_what_is_not_a_strategy():
    with pytest.raises(airsrt.ConfigurationError, match="guardian"):
        airsrt.ActorSystem(guardian="one_for_one")


# -- nested supervisors -----------------------------------------------------------------------------


async def test_nested_supervisor_children_and_infos(actor_system):
    journal = Journal()
    inner = airsrt.supervisor(OneForOne(), specs(journal, "x", "y"))
    sup = await actor_system.spawn_supervisor(OneForOne(), [ChildSpec("inner", inner), *specs(journal, "z")])
    inner_ref = sup.child("inner")
    assert isinstance(inner_ref, airsrt.SupervisorRef)
    assert inner_ref.child("x").is_alive
    infos = await sup.which_children()
    assert [(i.id, i.is_supervisor, i.restart) for i in infos] == [
        ("inner", True, RestartPolicy.PERMANENT),
        ("z", False, RestartPolicy.PERMANENT),
    ]
    await sup.stop()
    # The tree stops leaves first: inner's children (reverse), then inner, then z... in
    # reverse start order at each level.
    assert journal.only("stop") == ["stop z", "stop y", "stop x"]


async def test_supervisor_stops_children_in_reverse_order_at_shutdown():
    journal = Journal()
    async with airsrt.ActorSystem() as system:
        await system.spawn_supervisor(OneForOne(), specs(journal, "a", "b", "c"))
    assert journal.only("stop") == ["stop c", "stop b", "stop a"]


# -- events ------------------------------------------------------------------------------------------


async def test_supervision_events_name_the_child_and_cause(actor_system):
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.DEBUG)
    sup = await actor_system.spawn_supervisor(OneForAll(), specs(Journal(), "a", "b"), name="sup")
    events.clear()
    sup.child("a").tell(Crash())
    await settled(sup)
    by_kind = {e.kind: e for e in events}
    assert by_kind["supervisor.child_failed"].details["child"] == "a"
    assert "a crashed" in by_kind["supervisor.child_failed"].details["error"]
    applied = by_kind["supervisor.strategy_applied"].details
    assert applied["strategy"] == "OneForAll" and applied["restart"] == ["a", "b"]
    assert [e.kind for e in events].count("actor.restarted") == 2


# -- health checks ------------------------------------------------------------------------------------


class Sick(Worker):
    verdicts: dict[str, airsrt.Health] = {}

    def health_check(self) -> airsrt.Health:
        return self.verdicts.get(self.tag, airsrt.Health.HEALTHY)


@pytest.mark.virtual_time
async def test_failing_health_checks_restart_the_child(actor_system):
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.WARNING)
    check = airsrt.HealthCheck(every=1.0, timeout=0.5, threshold=3)
    sup = await actor_system.spawn_supervisor(
        OneForOne(), [ChildSpec("s", Sick, Journal(), "s", health=check)]
    )
    Sick.verdicts["s"] = airsrt.Health.DEGRADED
    await asyncio.sleep(5.5)
    assert sup.child("s").incarnation == 1  # degraded is reported, not counted
    Sick.verdicts["s"] = airsrt.Health.FAILED
    await asyncio.sleep(3.5)
    Sick.verdicts.clear()
    assert sup.child("s").incarnation == 2
    health = [e.details["health"] for e in events if e.kind == "supervisor.health_check_failed"]
    assert health.count("FAILED") == 3 and health.count("DEGRADED") >= 4


@pytest.mark.virtual_time
async def test_a_hung_actor_fails_its_health_checks(actor_system):
    check = airsrt.HealthCheck(every=1.0, timeout=2.0, threshold=2)
    sup = await actor_system.spawn_supervisor(
        OneForOne(), [ChildSpec("h", Worker, Journal(), "h", health=check, shutdown=0.5)]
    )
    h = sup.child("h")
    hung = h.ask(Hang(3600), timeout=None)
    await asyncio.sleep(10)
    assert h.incarnation == 2  # restarted: its stuck handler was cancelled after the grace
    with pytest.raises(airsrt.ActorStoppedError):
        await hung
    assert await h.ask(Incarnation()) == 2


# -- count_children, get_childspec, terminate by ref --------------------------------------------------


@pytest.mark.virtual_time
async def test_count_children_counts_specs_running_supervisors_and_workers(actor_system):
    journal = Journal()
    inner = airsrt.supervisor(OneForOne(), specs(journal, "x"))
    backoff = airsrt.Backoff(initial=10.0, maximum=10.0)
    sup = await actor_system.spawn_supervisor(
        OneForOne(backoff=backoff), [ChildSpec("inner", inner), *specs(journal, "a", "b", "c")]
    )
    count = await sup.count_children()
    assert count == airsrt.ChildCount(specs=4, active=4, supervisors=1, workers=3)
    await sup.terminate_child("b")  # a terminated child: a spec, not active
    sup.child("c").tell(Crash())  # waiting 10 s for its restart: a spec, not active
    await asyncio.sleep(1.0)
    assert [i.state for i in await sup.which_children()] == ["running", "running", "terminated", "restarting"]
    count = await sup.count_children()
    assert count.as_dict() == {"specs": 4, "active": 2, "supervisors": 1, "workers": 3}
    await asyncio.sleep(10.0)
    assert (await sup.count_children()).active == 3


async def test_get_childspec_and_terminate_by_ref(actor_system):
    journal = Journal()
    children = [ChildSpec("a", Worker, journal, "a", restart="transient", shutdown=1.5), *specs(journal, "b")]
    sup = await actor_system.spawn_supervisor(OneForOne(), children, name="sup")
    spec = await sup.get_childspec("a")
    assert spec is children[0] and spec.restart is RestartPolicy.TRANSIENT and spec.shutdown == 1.5
    with pytest.raises(airsrt.ChildNotFoundError, match="sup has no child 'zz'"):
        await sup.get_childspec("zz")
    b = sup.child("b")
    await sup.terminate_child(b)  # by ref
    assert not b.is_alive
    assert [(i.id, i.state) for i in await sup.which_children()] == [("a", "running"), ("b", "terminated")]
    assert await sup.get_childspec(b) is children[1]  # a past ref still names its child
    b2 = await sup.restart_child("b")
    assert b2 is not None and b2.is_alive


async def test_supervisor_ops_after_it_stopped_say_so(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(OneForOne(), specs(journal, "a"), name="sup")
    await sup.stop()
    with pytest.raises(airsrt.ActorStoppedError, match=r"sup has stopped \(reason: 'normal'\); which_children\(\) was not done"):
        await sup.which_children()
    with pytest.raises(airsrt.ActorStoppedError, match=r"child\('a'\) was not done"):
        sup.child("a")
    with pytest.raises(airsrt.ActorStoppedError, match="start_child"):
        await sup.start_child(ChildSpec("b", Worker, journal, "b"))
