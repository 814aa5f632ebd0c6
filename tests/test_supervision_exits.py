"""How actors end, OTP's way: on_start returning IGNORE, exit reasons with a payload, a
supervisor that gives up (it exits with reason "shutdown"), and the failed child's cleanup first."""

import asyncio
import logging
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import ChildSpec, OneForAll, OneForOne, RestForOne
from supervision_kit import Crash, Incarnation, Journal, Quit, Worker, settled, specs


class Maybe(Worker):
    """A worker whose on_start declines while its tag is in `journal.fail_start`... or rather
    in `Maybe.declining` (IGNORE is not a failure)."""

    declining: set[str] = set()

    def on_start(self):
        self.journal.starts[self.tag] = self.journal.starts.get(self.tag, 0) + 1
        if self.tag in Maybe.declining:
            return airsrt.IGNORE
        self.journal.lines.append(f"start {self.tag}")
        return None


class AsyncMaybe(Maybe):
    async def on_start(self):
        await asyncio.sleep(0)
        return Maybe.on_start(self)


@pytest.fixture(autouse=True)
def _clear_declining():
    Maybe.declining.clear()
    yield
    Maybe.declining.clear()


class Watcher(airsrt.Actor):
    def __init__(self, seen: list) -> None:
        self.seen = seen

    @airsrt.handler
    def watch(self, msg: airsrt.ActorRef) -> None:
        self.context.watch(msg)

    @airsrt.handler
    def terminated(self, msg: airsrt.Terminated) -> None:
        self.seen.append(msg)


async def _watched(system: airsrt.ActorSystem, ref: airsrt.ActorRef) -> list:
    seen: list = []
    watcher = system.spawn(Watcher, seen)
    await watcher.ask(ref)
    return seen


# -- IGNORE ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Maybe, AsyncMaybe], ids=["sync", "async"])
async def test_ignore_in_a_static_supervisor_keeps_the_spec(actor_system, cls):
    journal = Journal()
    Maybe.declining.add("b")
    children = [ChildSpec(tag, cls, journal, tag) for tag in ("a", "b", "c")]
    sup = await actor_system.spawn_supervisor(OneForOne(), children)  # not an error
    infos = await settled(sup)
    assert [(i.id, i.state) for i in infos] == [("a", "running"), ("b", "terminated"), ("c", "running")]
    assert journal.lines == ["start a", "start c"]  # and b's on_stop never ran
    assert await sup.count_children() == airsrt.ChildCount(specs=3, active=2, supervisors=0, workers=3)
    assert await sup.restart_child("b") is None  # still declines: OTP's {ok, undefined}
    Maybe.declining.clear()
    b = await sup.restart_child("b")
    assert b is not None and b.is_alive and sup.child("b") is b
    assert journal.starts["b"] == 3


async def test_ignore_from_start_child_and_temporary_children(actor_system):
    journal = Journal()
    Maybe.declining.update({"p", "t"})
    sup = await actor_system.spawn_supervisor(OneForOne(), [])
    assert await sup.start_child(ChildSpec("p", Maybe, journal, "p")) is None
    assert await sup.start_child(ChildSpec("t", Maybe, journal, "t", restart="temporary")) is None
    infos = await settled(sup)
    assert [(i.id, i.state) for i in infos] == [("p", "terminated")]  # a temporary spec is not kept


async def test_ignore_on_restart_leaves_the_child_down_and_counts_once(actor_system):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(OneForOne(max_restarts=1), [ChildSpec("a", Maybe, journal, "a")])
    a = sup.child("a")
    Maybe.declining.add("a")
    a.tell(Crash())
    infos = await settled(sup)
    assert [(i.id, i.state, i.restarts) for i in infos] == [("a", "terminated", 1)]
    assert sup.is_alive and not a.is_alive and journal.only("stop") == ["stop a"]


async def test_ignore_for_a_top_level_actor(actor_system):
    journal = Journal()
    Maybe.declining.add("top")
    ref = actor_system.spawn(Maybe, journal, "top")
    seen = await _watched(actor_system, ref)
    await ref.ready()  # returns: declining is not an error
    assert not ref.is_alive
    await asyncio.sleep(0)
    assert [(t.ref, t.reason, t.error) for t in seen] == [(ref, "ignored", None)]
    before = actor_system.dead_letters.count
    ref.tell(Incarnation())  # a dead letter, as for any stopped actor
    assert actor_system.dead_letters.count == before + 1
    with pytest.raises(airsrt.ActorStoppedError, match="reason: ignored"):
        await ref.ask(Incarnation())
    assert "stop top" not in journal.lines


# -- exit reasons ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason", ["normal", "shutdown", ("shutdown", {"drained": 3})], ids=["normal", "shutdown", "payload"]
)
@pytest.mark.parametrize("policy", ["transient", "permanent"])
async def test_exit_reasons_reach_watchers_and_are_normal_for_transient(actor_system, reason, policy):
    journal = Journal()
    sup = await actor_system.spawn_supervisor(
        OneForOne(), [ChildSpec("w", Worker, journal, "w", restart=policy)]
    )
    w = sup.child("w")
    seen = await _watched(actor_system, w)
    w.tell(Quit(reason))  # type: ignore[arg-type]
    infos = await settled(sup)
    if policy == "transient":
        assert not w.is_alive and infos[0].state == "terminated" and infos[0].restarts == 0
        assert [(t.reason, t.error) for t in seen] == [(reason, None)]
        late: list = await _watched(actor_system, w)  # watching a dead actor: at once, same reason
        await asyncio.sleep(0)
        assert [t.reason for t in late] == [reason]
    else:
        assert w.is_alive and infos[0].restarts == 1 and seen == []  # a permanent child returns


@dataclass(frozen=True)
class BadQuit:
    reason: object


class Quitter(airsrt.Actor):
    @airsrt.handler
    def quit(self, msg: BadQuit) -> str:
        try:
            self.context.stop(msg.reason)  # type: ignore[arg-type]
        except ValueError as error:
            return str(error)
        return "stopped"


@pytest.mark.parametrize("reason", ["failed", "killed", ("normal", 1), ("shutdown",), 42, None])
async def test_other_exit_reasons_are_a_clear_error(actor_system, reason):
    ref = actor_system.spawn(Quitter, name="quitter")
    text = await ref.ask(BadQuit(reason))
    assert text.startswith("quitter: context.stop() takes 'normal', 'shutdown' or ('shutdown', payload)")
    assert "raise an exception" in text and ref.is_alive


# -- a supervisor that gives up ----------------------------------------------------------------------


def _tree(journal: Journal, policy: str) -> list[ChildSpec]:
    leaf = airsrt.supervisor(OneForOne(max_restarts=1, within=60), specs(journal, "x"))
    return [ChildSpec("leaf", leaf, restart=policy), *specs(journal, "y")]


async def test_a_transient_supervisor_that_gives_up_stays_down(actor_system, caplog):
    journal = Journal()
    root = await actor_system.spawn_supervisor(OneForOne(max_restarts=5, within=60), _tree(journal, "transient"))
    leaf = root.child("leaf")
    seen = await _watched(actor_system, leaf)
    with caplog.at_level(logging.CRITICAL, logger="airsrt"):
        leaf.child("x").tell(Crash())
        await settled(leaf)
        leaf.child("x").tell(Crash())  # past the leaf's intensity (1)
        while leaf.is_alive:
            await asyncio.sleep(0)
    infos = await settled(root)
    assert [(i.id, i.state, i.restarts) for i in infos] == [("leaf", "terminated", 0), ("y", "running", 0)]
    assert root._actor._intensity.count(actor_system.loop.time()) == 0  # no restart counted above
    # Watchers see OTP's reason, and why as the error.
    [notice] = seen
    assert notice.reason == "shutdown" and isinstance(notice.error, airsrt.RestartLimitError)
    assert isinstance(notice.error.__cause__, RuntimeError) and "x crashed" in str(notice.error.__cause__)
    # Logged once, at CRITICAL, with the last error's traceback.
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert len(gave_up) == 1 and gave_up[0].levelno == logging.CRITICAL
    assert gave_up[0].exc_info and gave_up[0].exc_info[1] is notice.error.__cause__
    assert "child 'x': RuntimeError: x crashed" in gave_up[0].getMessage()


async def test_a_permanent_supervisor_that_gives_up_is_restarted(actor_system):
    journal = Journal()
    root = await actor_system.spawn_supervisor(OneForOne(max_restarts=5, within=60), _tree(journal, "permanent"))
    leaf = root.child("leaf")
    x = leaf.child("x")
    x.tell(Crash())
    await settled(leaf)
    x.tell(Crash())
    while leaf.incarnation == 1:
        await asyncio.sleep(0)
    infos = await settled(root)
    assert [(i.id, i.state, i.restarts) for i in infos] == [("leaf", "running", 1), ("y", "running", 0)]
    assert leaf.is_alive and leaf.child("x") is not x and leaf.child("x").is_alive  # a fresh subtree
    assert await leaf.which_children()  # answers again: the new incarnation has not given up


# -- the failed child's cleanup first ----------------------------------------------------------------


class SlowStop(Worker):
    async def on_stop(self) -> None:
        await asyncio.sleep(0.01)
        self.journal.lines.append(f"stop {self.tag}")


@pytest.mark.parametrize("strategy", [OneForAll, RestForOne])
async def test_failed_child_cleans_up_first_even_when_it_is_slow(actor_system, strategy):
    journal = Journal()
    children = [ChildSpec(tag, SlowStop, journal, tag) for tag in ("c1", "c2", "c3")]
    sup = await actor_system.spawn_supervisor(strategy(), children)
    journal.lines.clear()
    sup.child("c2").tell(Crash())
    for _ in range(200):  # a hang guard: the restart takes a few ticks of 10 ms
        if journal.lines[-1:] == ["start c3"]:
            break
        await asyncio.sleep(0.005)
    expected = {
        OneForAll: ["stop c2", "stop c3", "stop c1", "start c1", "start c2", "start c3"],
        RestForOne: ["stop c2", "stop c3", "start c2", "start c3"],
    }[strategy]
    assert journal.lines == expected


async def test_failed_child_first_then_bystanders_and_siblings_in_reverse_order(actor_system):
    journal = Journal()
    children = [
        ChildSpec("a", Worker, journal, "a"),
        ChildSpec("crasher", Worker, journal, "crasher"),
        ChildSpec("temp", Worker, journal, "temp", restart="temporary"),
        ChildSpec("z", Worker, journal, "z"),
    ]
    sup = await actor_system.spawn_supervisor(OneForAll(), children)
    journal.lines.clear()
    sup.child("crasher").tell(Crash())
    infos = await settled(sup)
    assert journal.lines == [
        "stop crasher", "stop z", "stop temp", "stop a", "start a", "start crasher", "start z",
    ]
    assert [i.id for i in infos] == ["a", "crasher", "z"]


async def test_guardian_with_one_for_all_cleans_up_the_failed_actor_first():
    journal = Journal()
    async with airsrt.ActorSystem(guardian=OneForAll(), log_failures=False) as system:
        refs = [system.spawn(Worker, journal, tag) for tag in ("t1", "t2", "t3")]
        await asyncio.gather(*(r.ready() for r in refs))
        journal.lines.clear()
        refs[1].tell(Crash())
        for _ in range(100):
            if len(journal.lines) == 6:
                break
            await asyncio.sleep(0)
        assert journal.lines == ["stop t2", "stop t3", "stop t1", "start t1", "start t2", "start t3"]
