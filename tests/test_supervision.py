"""Supervision, the S-rows of the reliability matrix: policies, strategies, intensity, escalation,
failing restarts, start rollback, shutdown modes, backoff and messages across restarts."""

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import airsrt
from airsrt import ChildSpec, OneForAll, OneForOne, RestartPolicy, RestForOne
from supervision_kit import (
    Crash,
    Hang,
    Incarnation,
    Journal,
    Quit,
    Record,
    Worker,
    incarnations,
    settled,
    specs,
)

STRATEGIES = {"one_for_one": OneForOne, "one_for_all": OneForAll, "rest_for_one": RestForOne}
EXITS = ["normal", "shutdown", "exception", "kill"]


async def _exit(ref: airsrt.ActorRef, how: str) -> None:
    if how == "normal":
        ref.tell(Quit("normal"))
    elif how == "shutdown":
        ref.tell(Quit("shutdown"))
    elif how == "exception":
        ref.tell(Crash())
    else:  # killed from outside: its running handler's Task is cancelled
        ref.tell(Hang())
        while not ref._has_extra or ref._extra.task is None:
            await asyncio.sleep(0)
        ref._extra.task.cancel()


# -- S1: policy x exit kind x strategy ------------------------------------------------------------


@pytest.mark.parametrize("strategy", list(STRATEGIES))
@pytest.mark.parametrize("exit_kind", EXITS)
@pytest.mark.parametrize("policy", list(RestartPolicy), ids=lambda p: p.name)
async def test_s1_policy_exit_strategy_grid(actor_system, strategy, exit_kind, policy):
    journal = Journal()
    children = [
        ChildSpec("c1", Worker, journal, "c1"),
        ChildSpec("c2", Worker, journal, "c2", restart=policy),
        ChildSpec("c3", Worker, journal, "c3"),
    ]
    sup = await actor_system.spawn_supervisor(STRATEGIES[strategy](), children)
    c2 = sup.child("c2")
    await _exit(c2, exit_kind)
    infos = await settled(sup)
    abnormal = exit_kind in ("exception", "kill")
    restarted = policy is RestartPolicy.PERMANENT or (policy is RestartPolicy.TRANSIENT and abnormal)
    got = incarnations(infos)
    if not restarted:
        assert not c2.is_alive
        if policy is RestartPolicy.TEMPORARY:
            assert "c2" not in got  # its spec is forgotten
        else:
            assert got["c2"] is None and [i.state for i in infos if i.id == "c2"] == ["terminated"]
        assert got["c1"] == got["c3"] == 1
        return
    assert c2.is_alive and sup.child("c2") is c2 and got["c2"] == 2  # same ref, new incarnation
    expected_siblings = {
        "one_for_one": {"c1": 1, "c3": 1},
        "one_for_all": {"c1": 2, "c3": 2},
        "rest_for_one": {"c1": 1, "c3": 2},
    }[strategy]
    assert {k: got[k] for k in ("c1", "c3")} == expected_siblings
    assert await c2.ask(Incarnation()) == 2  # fresh state, handling messages


# -- S2, S3: exact order ----------------------------------------------------------------------------


async def test_s2_one_for_all_order(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(OneForAll(), specs(journal, "c1", "c2", "c3"))
    journal.lines.clear()
    sup.child("c1").tell(Crash())
    await settled(sup)
    # The crashed child's own cleanup runs first (in OTP that process is already gone), then
    # the siblings' in reverse start order, then every new incarnation starts in start order.
    assert journal.lines == ["stop c1", "stop c3", "stop c2", "start c1", "start c2", "start c3"]


async def test_s3_rest_for_one_order(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(RestForOne(), specs(journal, "c1", "c2", "c3", "c4", "c5"))
    journal.lines.clear()
    sup.child("c3").tell(Crash())
    infos = await settled(sup)
    assert journal.lines == ["stop c3", "stop c5", "stop c4", "start c3", "start c4", "start c5"]
    assert incarnations(infos) == {"c1": 1, "c2": 1, "c3": 2, "c4": 2, "c5": 2}


# -- S4: temporary bystanders -----------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [OneForAll, RestForOne])
async def test_s4_temporary_bystander_is_stopped_not_restarted(actor_system, strategy):
    journal = Journal()
    children = [
        ChildSpec("crasher", Worker, journal, "crasher"),
        ChildSpec("temp", Worker, journal, "temp", restart=RestartPolicy.TEMPORARY),
        ChildSpec("perm", Worker, journal, "perm"),
    ]
    sup = await actor_system.spawn_supervisor(strategy(), children)
    temp = sup.child("temp")
    sup.child("crasher").tell(Crash())
    infos = await settled(sup)
    assert [i.id for i in infos] == ["crasher", "perm"]  # the temporary spec is gone
    assert not temp.is_alive
    assert {i.id: i.restarts for i in infos} == {"crasher": 1, "perm": 1}
    assert sup._actor._intensity.count(actor_system.loop.time()) == 1  # one restart counted


# -- S5, S6: restart intensity ----------------------------------------------------------------------


@pytest.mark.virtual_time
@pytest.mark.parametrize("max_restarts", [0, 1, 3])
async def test_s5_intensity_boundary(actor_system, max_restarts):
    journal = Journal()
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.INFO)
    sup = await actor_system.spawn_supervisor(
        OneForOne(max_restarts=max_restarts, within=10.0), specs(journal, "a", "b", "c")
    )
    for _ in range(max_restarts):
        sup.child("a").tell(Crash())
        await settled(sup)
        await asyncio.sleep(1.0)
    assert sup.is_alive and sup.child("a").incarnation == max_restarts + 1
    journal.lines.clear()
    sup.child("a").tell(Crash())
    while sup.is_alive:
        await asyncio.sleep(0.01)
    # Every child stopped in reverse start order; then the supervisor exited with reason
    # "shutdown" (OTP's rule: its parent's restart policy decides; the guardian leaves it down).
    assert journal.lines == ["stop c", "stop b", "stop a"]
    kinds = [e.kind for e in events]
    assert "supervisor.restart_limit_exceeded" in kinds and "supervisor.escalated" in kinds
    assert not [e for e in events if e.kind == "actor.failed" and e.actor == sup.name]
    stopped = [e for e in events if e.kind == "actor.stopped" and e.actor == sup.name]
    assert [e.details["reason"] for e in stopped] == ["shutdown"]


@pytest.mark.virtual_time
async def test_s5_spaced_crashes_never_escalate(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(OneForOne(max_restarts=1, within=1.0), specs(journal, "a"))
    for _ in range(20):
        sup.child("a").tell(Crash())
        await settled(sup)
        await asyncio.sleep(1.01)
    assert sup.is_alive and sup.child("a").incarnation == 21


def _oracle(times: list[float], max_restarts: int, within: float) -> list[bool]:
    decisions, kept = [], []
    for now in times:
        kept = [t for t in kept + [now] if now - t <= within]
        decisions.append(len(kept) <= max_restarts)
    return decisions


@settings(max_examples=500, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0, max_value=3, allow_nan=False), max_size=50),
    max_restarts=st.integers(min_value=0, max_value=5),
    within=st.floats(min_value=0.1, max_value=5, allow_nan=False),
)
def test_s6_intensity_window_matches_oracle(gaps, max_restarts, within):
    times, now = [], 0.0
    for gap in gaps:
        now += gap
        times.append(now)
    window = airsrt._strategies.RestartIntensity(max_restarts, within)
    assert [window.add(t) for t in times] == _oracle(times, max_restarts, within)


@pytest.mark.virtual_time
async def test_s6_supervisor_gives_up_exactly_when_the_oracle_does(actor_system):
    journal = Journal()
    gaps = [0.1, 0.1, 2.5, 0.2, 0.2, 3.0, 0.05, 0.05, 0.05]
    sup = await actor_system.spawn_supervisor(OneForOne(max_restarts=2, within=1.0), specs(journal, "a"))
    loop = asyncio.get_running_loop()
    times = []
    for gap in gaps:
        await asyncio.sleep(gap)
        times.append(loop.time())
        expected_alive = all(_oracle(times, 2, 1.0))
        sup.child("a").tell(Crash())
        await asyncio.sleep(0.001)  # virtual time: everything due runs first
        assert sup.is_alive == expected_alive, f"after crashes at {times}"
        if not expected_alive:
            break


# -- S7: escalation through a tree ------------------------------------------------------------------


@pytest.mark.virtual_time
async def test_s7_escalation_through_a_three_level_tree(actor_system):
    journal = Journal()
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.WARNING)

    def leaf_supervisor(branch: str) -> ChildSpec:
        workers = specs(journal, *(f"{branch}{i}" for i in range(3)))
        return ChildSpec(branch, airsrt.supervisor(OneForOne(max_restarts=1, within=60), workers))

    root = await actor_system.spawn_supervisor(
        OneForOne(max_restarts=2, within=60), [leaf_supervisor(b) for b in "xyz"], name="root"
    )
    x, y = root.child("x"), root.child("y")
    y_workers = [y.child(f"y{i}") for i in range(3)]

    async def crash_leaf_twice() -> None:
        leaf = root.child("x")
        for _ in range(2):  # the second crash exceeds the leaf supervisor's intensity (1)
            worker = leaf.child("x0")
            worker.tell(Crash())
            await asyncio.sleep(0.01)

    await crash_leaf_twice()
    # The leaf supervisor gave up; the root restarted it as a fresh subtree (new refs).
    assert root.is_alive and root.child("x") is x and x.incarnation == 2
    assert x.child("x0").incarnation == 1 and x.child("x0") is not None
    assert [w.incarnation for w in y_workers] == [1, 1, 1] and all(w.is_alive for w in y_workers)
    await crash_leaf_twice()
    assert root.is_alive and root.child("x").incarnation == 3
    await crash_leaf_twice()  # the root's third restart within its window: it gives up
    await asyncio.sleep(0.1)
    assert not root.is_alive and not any(w.is_alive for w in y_workers)
    limits = [
        (e.actor == "root", e.details["child"])
        for e in events
        if e.kind == "supervisor.restart_limit_exceeded"
    ]
    # The leaf supervisor gave up three times (each time over child x0), then the root (over x).
    assert limits == [(False, "x0"), (False, "x0"), (False, "x0"), (True, "x")]


# -- S8: a restart that keeps failing -------------------------------------------------------------


@pytest.mark.virtual_time
async def test_s8_failing_restart_is_retried_counted_and_the_supervisor_answers(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        OneForOne(max_restarts=1000, within=60.0), specs(journal, "flaky", "other")
    )
    loop = asyncio.get_running_loop()
    journal.fail_start.add("flaky")
    began = loop.time()
    sup.child("flaky").tell(Crash())
    await asyncio.sleep(1.0)
    attempts = journal.starts["flaky"] - 1
    assert 2 <= attempts < 100  # retried, each a restart, but the CPU is not spinning
    # Every attempt counted toward the intensity (the last failure too: its retry is due).
    assert sup._actor._intensity.count(loop.time()) == attempts + 1
    # Meanwhile the supervisor answers requests.
    infos = await sup.which_children()
    assert [i.state for i in infos] == ["restarting", "running"]
    await sup.terminate_child("flaky")
    assert [i.state for i in await sup.which_children()] == ["terminated", "running"]
    stopped_at = journal.starts["flaky"]
    await asyncio.sleep(1.0)
    assert journal.starts["flaky"] == stopped_at  # no retries once terminated
    assert sup.is_alive and loop.time() - began >= 2.0


@pytest.mark.virtual_time
async def test_s8_failing_restart_exhausts_intensity_and_escalates(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(OneForOne(max_restarts=3, within=60.0), specs(journal, "flaky"))
    journal.fail_start.add("flaky")
    sup.child("flaky").tell(Crash())
    while sup.is_alive:
        await asyncio.sleep(0.01)
    assert journal.starts["flaky"] == 1 + 3  # the first start, then restarts up to the limit


# -- S9: start failure rolls back ---------------------------------------------------------------------


async def test_s9_start_failure_during_supervisor_start(actor_system):
    journal = Journal(fail_start={"c2"})
    with pytest.raises(airsrt.ActorStartError, match="could not start child 'c2'") as info:
        await actor_system.spawn_supervisor(OneForOne(), specs(journal, "c1", "c2", "c3"))
    assert "c2 cannot start" in str(info.value)
    assert journal.lines == ["start c1", "stop c1"]
    assert actor_system.actors() == []


async def test_s9_start_child_failure_is_reported_and_not_kept(actor_system):
    journal = Journal(fail_start={"bad"})
    sup = await actor_system.spawn_supervisor(OneForOne(), specs(journal, "good"))
    with pytest.raises(airsrt.ActorStartError, match="'bad'"):
        await sup.start_child(ChildSpec("bad", Worker, journal, "bad"))
    assert [i.id for i in await sup.which_children()] == ["good"]


# -- S10: child shutdown modes ----------------------------------------------------------------------


@pytest.mark.virtual_time
@pytest.mark.parametrize("shutdown", [0, 0.1, None], ids=["brutal", "timeout", "infinity"])
async def test_s10_child_shutdown_modes(actor_system, shutdown):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        OneForOne(), [ChildSpec("w", Worker, journal, "w", shutdown=shutdown)]
    )
    worker = sup.child("w")
    pending = worker.ask(Hang(10.0), timeout=None)
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await sup.terminate_child("w")
    took = loop.time() - began
    if shutdown is None:
        assert took == pytest.approx(10.0, abs=1e-3) and await pending == "done"
        assert journal.lines[-1] == "stop w"
    else:
        assert took == pytest.approx(shutdown, abs=1e-3)
        assert "stop w" not in journal.lines  # killed: on_stop is not run
        with pytest.raises(airsrt.ActorStoppedError, match="killed"):
            await pending


# -- S12: backoff --------------------------------------------------------------------------------------


@pytest.mark.virtual_time
async def test_s12_backoff_delays_and_reset(actor_system):
    journal = Journal()
    backoff = airsrt.Backoff(initial=0.1, maximum=1.0)
    sup = await actor_system.spawn_supervisor(
        OneForOne(max_restarts=100, within=600, backoff=backoff), specs(journal, "w")
    )
    loop = asyncio.get_running_loop()
    delays = []
    for _ in range(6):
        worker = sup.child("w")
        incarnation = worker.incarnation
        worker.tell(Crash())
        worker.tell(Record("queued during backoff"))
        began = loop.time()
        while worker.incarnation == incarnation or worker._phase != airsrt._core.PHASE_ALIVE:
            await asyncio.sleep(0.001)
        delays.append(round(loop.time() - began, 2))
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert journal.only("w got") == ["w got queued during backoff"] * 6  # waited in the mailbox
    await asyncio.sleep(backoff.reset_after + 0.01)
    worker = sup.child("w")
    incarnation = worker.incarnation
    began = loop.time()
    worker.tell(Crash())
    while worker.incarnation == incarnation:
        await asyncio.sleep(0.001)
    assert round(loop.time() - began, 2) == 0.1  # quiet long enough: back to the initial delay


def test_backoff_validation_and_jitter():
    with pytest.raises(airsrt.ConfigurationError):
        airsrt.Backoff(1.0, 0.5)
    with pytest.raises(airsrt.ConfigurationError):
        airsrt.Backoff(0.1, 1.0, jitter=2)
    b = airsrt.Backoff(1.0, 10.0, jitter=0.5)
    assert all(0.5 <= b.delay(1) <= 1.5 for _ in range(100))


# -- S13: messages across a restart --------------------------------------------------------------------


async def test_s13_queued_messages_survive_a_restart(actor_system):
    journal = Journal()
    events = []
    actor_system.events.subscribe(events.append, min_severity=airsrt.Severity.ERROR)
    sup = await actor_system.spawn_supervisor(OneForOne(), specs(journal, "w"))
    worker = sup.child("w")
    crash_ask = worker.ask(Crash())
    for i in range(100):
        worker.tell(Record(str(i)))
    with pytest.raises(RuntimeError, match="w crashed"):
        await crash_ask  # the crashing message is reported once, to its asker
    await settled(sup)
    assert await worker.ask(Incarnation()) == 2
    assert journal.only("w got") == [f"w got {i}" for i in range(100)]  # all, by the new one
    worker.tell(Crash())
    await settled(sup)
    assert [e.kind for e in events].count("supervisor.child_failed") == 2
