"""The thread rules, walked over the whole public API from a foreign thread.

Every public method of every public class (and every public function) is classified in `API`:
``LOOP`` calls must raise `airsrt.WrongThreadError` from another thread -- naming the call and
both threads -- and leave the system as it was; ``ANY`` calls must work there; ``HOOK`` names
are called by the runtime, not by users. A public method missing from the table fails
`test_every_public_callable_is_classified`, so a new one has to be given a rule.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

import airsrt
from airsrt import Actor, ChildSpec, OneForOne, handler

# One extra thread takes turns with the loop for the GIL; the watchdog (a wall clock) would see
# a handler waiting for the GIL as one that blocks the loop. This module measures other things.
pytestmark = pytest.mark.actor_system(slow_handler_limit=None)

WALKER = "walker"


class Ping(airsrt.Message[int]):
    pass


class Hold(airsrt.Message[None]):
    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate


class Tick:
    pass


class GetContext(airsrt.Message[airsrt.Context]):
    pass


class StartTimer(airsrt.Message[airsrt.Timer]):
    pass


class Worker(Actor):
    def __init__(self) -> None:
        self.pings = 0

    @handler
    def ping(self, msg: Ping) -> int:
        self.pings += 1
        return self.pings

    @handler
    async def hold(self, msg: Hold) -> None:
        await msg.gate.wait()

    @handler
    def tick(self, msg: Tick) -> None: ...

    @handler
    def get_context(self, msg: GetContext) -> airsrt.Context:
        return self.context

    @handler
    def start_timer(self, msg: StartTimer) -> airsrt.Timer:
        return self.context.schedule_repeat(3600, Tick(), key="t")

    @handler
    def terminated(self, msg: airsrt.Terminated) -> None: ...

    @handler
    def event(self, msg: airsrt.Event) -> None: ...


class NotAwaited:
    """An awaitable that is never awaited (a coroutine would warn when dropped)."""

    def __await__(self):  # pragma: no cover - never awaited
        yield


@dataclass
class Env:
    """Everything the table's calls act on, built on the loop."""

    system: airsrt.ActorSystem
    ref: airsrt.ActorRef          # an idle worker
    busy: airsrt.ActorRef         # a worker inside an async handler
    gate: asyncio.Event           # lets `busy` finish
    other: airsrt.ActorRef        # watched, unwatched...
    sup: airsrt.SupervisorRef
    pool: airsrt.PoolRef
    context: airsrt.Context
    timer: airsrt.Timer
    subscription: airsrt.Subscription
    pending: airsrt.AskFuture     # an ask queued behind `busy`'s handler
    finished: airsrt.AskFuture
    values: dict[str, Any]        # an instance of each plain value class


@dataclass(frozen=True)
class Case:
    kind: str                                   # LOOP, ANY, HOOK or REFUSED
    call: Callable[[Env], Any] | None = None
    check: Callable[[Any, Env], bool] | None = None  # ANY: what (result, env) must satisfy
    named: str | None = None                    # LOOP: the call's name in the error


LOOP, ANY, HOOK, REFUSED = "loop-only", "any thread", "hook", "refused on every thread"


def loop(call: Callable[[Env], Any], named: str) -> Case:
    return Case(LOOP, call, named=named)


def any_thread(call: Callable[[Env], Any], check: Callable[[Any, Env], bool]) -> Case:
    return Case(ANY, call, check)


HOOK_CASE = Case(HOOK)


def refused(call: Callable[[Env], Any]) -> Case:
    """Part of a protocol the class must offer, refused whoever calls it."""
    return Case(REFUSED, call)

REF_METHODS: dict[str, Case] = {
    "tell": any_thread(lambda e: e.ref.tell(Ping()), lambda r, e: r is None),
    "ask_blocking": any_thread(lambda e: e.ref.ask_blocking(Ping(), timeout=10), lambda r, e: r >= 1),
    "mailbox_size": any_thread(lambda e: e.busy.mailbox_size(), lambda r, e: r == 1),
    "stats": any_thread(lambda e: e.busy.stats(), lambda r, e: r.state == "BUSY"),
    "state_name": any_thread(lambda e: e.ref.state_name(), lambda r, e: isinstance(r, str)),
    "display_name_for": any_thread(lambda e: e.busy.display_name_for(Worker), lambda r, e: "Worker#" in r),
    "unhandled_error": any_thread(
        lambda e: e.ref.unhandled_error(1), lambda r, e: isinstance(r, airsrt.UnhandledMessageError)),
    "unhandled_type_error": any_thread(
        lambda e: e.ref.unhandled_type_error(int), lambda r, e: isinstance(r, airsrt.UnhandledMessageError)),
    "deadlock_error": any_thread(
        lambda e: e.ref.deadlock_error(Ping()), lambda r, e: isinstance(r, airsrt.DeadlockError)),
    "stopped_error": any_thread(
        lambda e: e.ref.stopped_error(Ping()), lambda r, e: isinstance(r, airsrt.ActorStoppedError)),
    "mailbox_full_error": any_thread(
        lambda e: e.ref.mailbox_full_error(Ping(), False), lambda r, e: isinstance(r, airsrt.MailboxFullError)),
    "ask": loop(lambda e: e.ref.ask(Ping()), "ask(Ping)"),
    "send": loop(lambda e: e.ref.send(Ping()), "send(Ping)"),
    # The case from issue 11: stopping a busy actor from another thread used to leave it
    # STOPPING ("Future attached to a different loop").
    "stop": loop(lambda e: e.busy.stop(), "stop()"),
    "ready": loop(lambda e: e.ref.ready(), "ready()"),
}

API: dict[str, dict[str, Case]] = {
    "ActorSystem": {
        "spawn": loop(lambda e: e.system.spawn(Worker), "spawn"),
        "spawn_pool": loop(lambda e: e.system.spawn_pool(Worker, size=1), "spawn_pool"),
        "spawn_supervisor": loop(
            lambda e: e.system.spawn_supervisor(OneForOne(), [ChildSpec("w", Worker)]), "spawn_supervisor"),
        "shutdown": loop(lambda e: e.system.shutdown(), "shutdown"),
        "start": loop(lambda e: e.system.start(), "start"),
        "emit": loop(lambda e: e.system.emit(0, None), "emit"),
        "lookup": any_thread(lambda e: e.system.lookup("idle"), lambda r, e: r is not None and r.name == "idle"),
        "actors": any_thread(lambda e: e.system.actors(), lambda r, e: len(r) >= 6),
        "stats": any_thread(lambda e: e.system.stats(), lambda r, e: isinstance(r, airsrt.SystemStats)),
        "tally": any_thread(lambda e: e.system.tally(0), lambda r, e: isinstance(r, bool)),
        "snapshot": loop(lambda e: e.system.snapshot(), "snapshot"),
    },
    "ActorRef": REF_METHODS,
    "SupervisorRef": {
        # Its ActorRef methods are walked on ActorRef; these are its own.
        "child": any_thread(lambda e: e.sup.child("w"), lambda r, e: isinstance(r, airsrt.ActorRef)),
        "start_child": loop(lambda e: e.sup.start_child(ChildSpec("x", Worker)), "start_child()"),
        "terminate_child": loop(lambda e: e.sup.terminate_child("w"), "terminate_child()"),
        "restart_child": loop(lambda e: e.sup.restart_child("w"), "restart_child()"),
        "delete_child": loop(lambda e: e.sup.delete_child("w"), "delete_child()"),
        "which_children": loop(lambda e: e.sup.which_children(), "which_children()"),
        "count_children": loop(lambda e: e.sup.count_children(), "count_children()"),
        "get_childspec": loop(lambda e: e.sup.get_childspec("w"), "get_childspec()"),
    },
    "PoolRef": {
        "tell": any_thread(lambda e: e.pool.tell(Ping()), lambda r, e: r is None),
        "mailbox_size": any_thread(lambda e: e.pool.mailbox_size(), lambda r, e: isinstance(r, int)),
        "stats": any_thread(lambda e: e.pool.stats(), lambda r, e: len(r.workers) == 2),
        "ask": loop(lambda e: e.pool.ask(Ping()), "ask(Ping)"),
        "ask_all": loop(lambda e: e.pool.ask_all(Ping()), "pool.ask_all()"),
        "send": loop(lambda e: e.pool.send(Ping()), "pool.send()"),
        "ready": loop(lambda e: e.pool.ready(), "ready()"),
        "stop": loop(lambda e: e.pool.stop(), "stop()"),
    },
    "Context": {
        "mailbox_size": any_thread(lambda e: e.context.mailbox_size(), lambda r, e: isinstance(r, int)),
        "spawn": loop(lambda e: e.context.spawn(Worker), "context.spawn()"),
        "stop": loop(lambda e: e.context.stop(), "context.stop()"),
        "watch": loop(lambda e: e.context.watch(e.other), "context.watch()"),
        "unwatch": loop(lambda e: e.context.unwatch(e.other), "context.unwatch()"),
        "schedule_once": loop(lambda e: e.context.schedule_once(1, Tick()), "context.schedule_once()"),
        "schedule_repeat": loop(lambda e: e.context.schedule_repeat(1, Tick()), "context.schedule_repeat()"),
        "pipe_to_self": loop(lambda e: e.context.pipe_to_self(NotAwaited(), lambda x: x), "context.pipe_to_self()"),
        "stash": loop(lambda e: e.context.stash(Ping()), "context.stash()"),
        "unstash_all": loop(lambda e: e.context.unstash_all(), "context.unstash_all()"),
        "set_receive_timeout": loop(lambda e: e.context.set_receive_timeout(None), "context.set_receive_timeout()"),
        "run_blocking": loop(lambda e: e.context.run_blocking(print), "context.run_blocking()"),
    },
    "Broker": {
        "subscribers": any_thread(lambda e: e.system.broker.subscribers("t"), lambda r, e: r == [e.ref]),
        "subscribe": loop(lambda e: e.system.broker.subscribe("t", e.ref), "broker.subscribe"),
        "publish": loop(lambda e: e.system.broker.publish("t", Ping()), "publish"),
        "request": loop(lambda e: e.system.broker.request("t", Ping()), "broker.request"),
        "gather": loop(lambda e: e.system.broker.gather("t", Ping()), "broker.gather"),
    },
    "EventStream": {
        "recent": any_thread(lambda e: e.system.events.recent(), lambda r, e: isinstance(r, list)),
        "snapshot": any_thread(lambda e: e.system.events.snapshot(), lambda r, e: r["actor.spawned"] >= 6),
        "subscribe": loop(lambda e: e.system.events.subscribe(print), "events.subscribe"),
    },
    "DeadLetters": {
        "recent": any_thread(lambda e: e.system.dead_letters.recent(), lambda r, e: isinstance(r, list)),
        "counts": any_thread(lambda e: e.system.dead_letters.counts(), lambda r, e: isinstance(r, dict)),
    },
    "Timer": {"cancel": loop(lambda e: e.timer.cancel(), "timer.cancel")},
    "Subscription": {"cancel": loop(lambda e: e.subscription.cancel(), "subscription.cancel")},
    "AskFuture": {
        "done": any_thread(lambda e: e.pending.done(), lambda r, e: r is False),
        "cancelled": any_thread(lambda e: e.pending.cancelled(), lambda r, e: r is False),
        "result": any_thread(lambda e: e.finished.result(), lambda r, e: r >= 1),
        "exception": any_thread(lambda e: e.finished.exception(), lambda r, e: r is None),
        "get_loop": any_thread(lambda e: e.pending.get_loop(), lambda r, e: r is e.system.loop),
        "cancel": loop(lambda e: e.pending.cancel(), "AskFuture.cancel"),
        "add_done_callback": loop(lambda e: e.pending.add_done_callback(print), "AskFuture.add_done_callback"),
        "remove_done_callback": loop(
            lambda e: e.pending.remove_done_callback(print), "AskFuture.remove_done_callback"),
        # asyncio.Future's, refused as Task refuses them: only the actor answers an ask.
        "set_result": refused(lambda e: e.pending.set_result(1)),
        "set_exception": refused(lambda e: e.pending.set_exception(ValueError())),
    },
    # Called by the runtime (on the loop), overridden by users: not calls users make.
    "Actor": {"on_start": HOOK_CASE, "on_stop": HOOK_CASE, "on_error": HOOK_CASE, "health_check": HOOK_CASE},
    "Guardian": {
        "child_failed": HOOK_CASE, "start_failed": HOOK_CASE, "child_exiting": HOOK_CASE,
        "child_stopped": HOOK_CASE, "child_grace": HOOK_CASE, "start_ignored": HOOK_CASE,
    },
    # Plain values: no system state, so any thread.
    "Mailbox": {
        "bounded": any_thread(lambda e: airsrt.Mailbox.bounded(2), lambda r, e: r.capacity == 2),
        "unbounded": any_thread(lambda e: airsrt.Mailbox.unbounded(), lambda r, e: r.capacity is None),
        "priority": any_thread(lambda e: airsrt.Mailbox.priority(), lambda r, e: r.levels > 1),
    },
    "Backoff": {"delay": any_thread(lambda e: e.values["Backoff"].delay(1), lambda r, e: r > 0)},
    **{
        name: {
            "affected": any_thread(lambda e: e.values["OneForOne"].affected([1, 2], 1), lambda r, e: r == [1]),
            "intensity": any_thread(lambda e: e.values["OneForOne"].intensity(), lambda r, e: r is not None),
        }
        for name in ("Strategy", "OneForOne", "OneForAll", "RestForOne", "DynamicSupervisor")
    },
    **{
        name: {"as_dict": any_thread(lambda e, n=name: e.values[n].as_dict(), lambda r, e: isinstance(r, dict))}
        for name in ("ActorStats", "SystemStats", "PoolStats", "ControlTraffic", "HandlerLatency",
                     "ChildCount",
                     "ActorSnapshot", "ChildSnapshot", "CountersSnapshot", "DeadLetterSnapshot",
                     "DeadLettersSnapshot", "SupervisorSnapshot")
    },
    # Snapshots are plain values once taken: read them anywhere.
    **{
        name: {
            "as_dict": any_thread(lambda e, n=name: e.values[n].as_dict(), lambda r, e: isinstance(r, dict)),
            "to_json": any_thread(lambda e, n=name: e.values[n].to_json(), lambda r, e: isinstance(r, str)),
            "find": any_thread(lambda e, n=name: e.values[n].find("idle"), lambda r, e: r is not None),
        }
        for name in ("SystemSnapshot", "ClusterSnapshot")
    },
}

FUNCTIONS: dict[str, Case] = {
    "merge_snapshots": any_thread(
        lambda e: airsrt.merge_snapshots([e.values["SystemSnapshot"]]), lambda r, e: len(r.nodes) == 1),
    "handler": any_thread(lambda e: handler(Ping)(lambda self, msg: None), lambda r, e: callable(r)),
    "supervisor": any_thread(lambda e: airsrt.supervisor(OneForOne(), []), lambda r, e: callable(r)),
    # airsrt.run runs its own loop: a system started there lives on that thread.
    "run": any_thread(lambda e: airsrt.run(_a_system_of_its_own()), lambda r, e: r == 1),
}

async def _a_system_of_its_own() -> int:
    async with airsrt.ActorSystem("walker's own") as system:
        return await system.spawn(Worker).ask(Ping())


def public_methods(obj: Any) -> set[str]:
    """The public callables of `obj` that are methods (not data attributes or properties)."""
    cls = obj if inspect.isclass(obj) else type(obj)
    out = set()
    for name in dir(obj):
        if name.startswith("_"):
            continue
        static = inspect.getattr_static(cls, name, None)
        if static is None or isinstance(static, property) or inspect.isdatadescriptor(static):
            continue
        if isinstance(static, (classmethod, staticmethod)) or inspect.isfunction(static) or (
            inspect.ismethoddescriptor(static)
        ):
            out.add(name)
    return out


def public_attributes(obj: Any) -> set[str]:
    return {n for n in dir(obj) if not n.startswith("_")} - public_methods(obj)


async def _build(system: airsrt.ActorSystem) -> Env:
    ref = system.spawn(Worker, name="idle")
    busy = system.spawn(Worker)
    other = system.spawn(Worker)
    gate = asyncio.Event()
    busy.tell(Hold(gate))
    sup = await system.spawn_supervisor(OneForOne(), [ChildSpec("w", Worker)])
    pool = system.spawn_pool(Worker, size=2)
    await pool.ready()
    context = await ref.ask(GetContext())
    timer = await ref.ask(StartTimer())
    system.broker.subscribe("t", ref)
    subscription = system.events.subscribe(lambda event: None)
    finished = ref.ask(Ping())
    await finished
    while busy.stats().state != "BUSY":
        await asyncio.sleep(0)
    pending = busy.ask(Ping())
    values = {
        "Backoff": airsrt.Backoff(0.1, 1.0),
        "OneForOne": OneForOne(),
        "DynamicSupervisor": airsrt.DynamicSupervisor(),
        "ChildCount": airsrt.ChildCount(1, 1, 0, 1),
        "ActorStats": ref.stats(),
        "SystemStats": system.stats(),
        "PoolStats": pool.stats(),
        "ControlTraffic": system.stats().control,
        "HandlerLatency": airsrt.HandlerLatency(1, 1.0, 1.0, 1.0, 1.0),
        **_snapshot_values(system.snapshot()),
    }
    return Env(system, ref, busy, gate, other, sup, pool, context, timer, subscription, pending,
               finished, values)


def _snapshot_values(snap: airsrt.SystemSnapshot) -> dict[str, Any]:
    """One record of each snapshot type, taken from a snapshot of the walk's system."""
    sup = next(s for s in snap.supervisors if s.children)
    return {
        "SystemSnapshot": snap,
        "ClusterSnapshot": airsrt.merge_snapshots([snap]),
        "ActorSnapshot": snap.actors[0],
        "SupervisorSnapshot": sup,
        "ChildSnapshot": sup.children[0],
        "CountersSnapshot": snap.counters,
        "DeadLettersSnapshot": snap.dead_letters,
        "DeadLetterSnapshot": airsrt.DeadLetterSnapshot("stopped", "Ping", None, None),
    }


def _instances(env: Env) -> dict[str, Any]:
    """An instance of each public class, to list its methods from."""
    return {
        "ActorSystem": env.system, "ActorRef": env.ref, "SupervisorRef": env.sup,
        "PoolRef": env.pool, "Context": env.context, "Broker": env.system.broker,
        "EventStream": env.system.events, "DeadLetters": env.system.dead_letters,
        "Timer": env.timer, "Subscription": env.subscription, "AskFuture": env.pending,
        "Actor": env.ref._actor, "Guardian": env.system.guardian,
    }


def _run_on_this_thread(result: Any) -> Any:
    """Drives a coroutine the way a foreign thread would (on a loop of its own), bounded."""
    if inspect.isawaitable(result):

        async def bounded() -> Any:
            return await asyncio.wait_for(result, 10)

        return asyncio.run(bounded())
    return result


def _walk(env: Env, kind: str) -> list[tuple[str, BaseException | None, Any]]:
    """Runs every case of `kind` on the calling thread: (name, what it raised, what it returned)."""
    out = []
    cases = [(f"{cls}.{name}", case) for cls, methods in API.items() for name, case in methods.items()]
    cases += [(f"airsrt.{name}", case) for name, case in FUNCTIONS.items()]
    for label, case in cases:
        if case.kind != kind:
            continue
        try:
            out.append((label, None, _run_on_this_thread(case.call(env))))
        except Exception as error:  # noqa: BLE001 - each outcome is checked by the caller
            out.append((label, error, None))
    return out


async def _on_walker(fn: Callable[[], Any]) -> Any:
    with ThreadPoolExecutor(1, thread_name_prefix=WALKER) as pool:
        return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(pool, fn), 60)


async def test_every_public_callable_is_classified(actor_system):
    env = await _build(actor_system)
    instances = _instances(env)
    missing, stale = [], []
    for name in airsrt.__all__:
        obj = getattr(airsrt, name)
        if not inspect.isclass(obj):
            if not callable(obj):
                continue  # a constant (airsrt.IGNORE): nothing to call
            if name not in FUNCTIONS:
                missing.append(f"airsrt.{name}")
            continue
        if issubclass(obj, (BaseException, Warning, enum.Enum)):
            continue  # errors, warnings and enums carry no runtime state
        # Actor: the base class's methods (an instance adds its own handlers).
        target = obj if name == "Actor" else instances.get(name, env.values.get(name, obj))
        methods = public_methods(target)
        if name == "SupervisorRef":
            methods -= public_methods(env.ref)  # inherited: walked on ActorRef
        table = API.get(name, {})
        missing += [f"{name}.{m}" for m in sorted(methods - set(table))]
        stale += [f"{name}.{m}" for m in sorted(set(table) - methods)]
    assert not missing, f"public callables without a thread rule in API: {missing}"
    assert not stale, f"API names that are not public callables: {stale}"
    env.gate.set()
    await env.pending


async def test_refused_calls_raise_on_the_loop_and_elsewhere(actor_system):
    env = await _build(actor_system)
    here = _walk(env, REFUSED)
    there = await _on_walker(lambda: _walk(env, REFUSED))
    assert len(here) == len(there) == sum(
        1 for m in API.values() for c in m.values() if c.kind == REFUSED) > 0
    for label, raised, returned in here + there:
        assert type(raised) is RuntimeError, f"{label} raised {raised!r}, returned {returned!r}"
    assert not env.pending.done()  # refused: the ask is still the actor's to answer
    env.gate.set()
    assert await env.pending >= 1


async def test_loop_only_calls_refuse_other_threads_and_leave_the_system_working(actor_system):
    system = actor_system
    env = await _build(system)
    states = {ref: ref.stats().state for ref in system.actors()}
    stats_before = system.stats()
    outcomes = await _on_walker(lambda: _walk(env, LOOP))
    named = {f"{cls}.{n}": case.named for cls, methods in API.items() for n, case in methods.items()}
    assert len(outcomes) == sum(1 for m in API.values() for c in m.values() if c.kind == LOOP)
    for label, raised, returned in outcomes:
        assert isinstance(raised, airsrt.WrongThreadError), (
            f"{label} from another thread raised {raised!r}, returned {returned!r}")
        text = str(raised)
        assert named[label] in text, f"{label}: the error does not name the call: {text}"
        assert f"thread '{WALKER}_0'" in text and "'MainThread'" in text, f"{label}: {text}"

    # Nothing changed: no actor left STOPPING, no timer or subscription cancelled, nothing
    # sent or spawned, and every actor still answers.
    assert {ref: ref.stats().state for ref in system.actors()} == states
    assert env.timer.active and env.subscription.active and not env.pending.done()
    after = system.stats()
    assert (after.sent, after.spawned, after.stopped) == (stats_before.sent, stats_before.spawned, 0)
    assert after.control == stats_before.control
    env.gate.set()
    assert await env.pending == 1
    assert await env.busy.ask(Ping()) == 2 and env.busy.stats().state == "IDLE"
    assert await env.ref.ask(Ping()) >= 1
    assert [info.id for info in await env.sup.which_children()] == ["w"]
    assert await env.pool.ask_all(Ping()) == [1, 1]
    await env.busy.stop()
    assert not env.busy.is_alive


async def test_thread_safe_calls_and_attributes_work_from_another_thread(actor_system):
    env = await _build(actor_system)
    instances = _instances(env)

    def walk() -> tuple[list[tuple[str, BaseException | None, Any]], list[str]]:
        outcomes = _walk(env, ANY)
        unreadable = []
        for name, obj in {**instances, **env.values}.items():
            for attr in sorted(public_attributes(obj)):
                try:
                    getattr(obj, attr)
                except Exception as error:  # noqa: BLE001 - reported below
                    unreadable.append(f"{name}.{attr}: {error!r}")
        return outcomes, unreadable

    outcomes, unreadable = await _on_walker(walk)
    checks = {f"{cls}.{n}": c.check for cls, methods in API.items() for n, c in methods.items()}
    checks.update({f"airsrt.{n}": c.check for n, c in FUNCTIONS.items()})
    for label, raised, returned in outcomes:
        assert raised is None, f"{label} failed from another thread: {raised!r}"
        assert checks[label](returned, env), f"{label} from another thread returned {returned!r}"
    assert not unreadable
    # The tells from the walker arrived.
    env.gate.set()
    await env.pending
    pings = await env.ref.ask(Ping())
    assert pings >= 4  # the finished ask, the walker's tell and ask_blocking, this one
    assert sum(w.stats().processed for w in env.pool.workers) >= 1


def test_the_docs_name_the_thread_safe_calls():
    """Each ANY method says so in its docstring ("any thread" or the like)."""
    words = ("any thread", "from any thread", "thread-safe", "other threads", "callable from any")
    undocumented = []
    classes = {
        "ActorRef": airsrt.ActorRef, "SupervisorRef": airsrt.SupervisorRef,
        "ActorSystem": airsrt.ActorSystem, "PoolRef": airsrt.PoolRef, "Context": airsrt.Context,
        "Broker": airsrt.Broker, "EventStream": airsrt.EventStream,
        "DeadLetters": airsrt.DeadLetters,
    }
    internal = {"state_name", "display_name_for", "unhandled_error", "unhandled_type_error",
                "deadlock_error", "stopped_error", "mailbox_full_error"}
    for cls_name, cls in classes.items():
        for name, case in API[cls_name].items():
            if case.kind != ANY or name in internal:
                continue
            doc = (getattr(cls, name).__doc__ or "").replace("\n", " ")
            doc = " ".join(doc.split()).lower()
            if not any(w in doc for w in words):
                undocumented.append(f"{cls_name}.{name}")
    assert not undocumented, f"thread-safe calls whose docstring does not say so: {undocumented}"
    future_doc = " ".join((airsrt.AskFuture.__doc__ or "").split()).lower()
    assert "any thread" in future_doc
    for name, case in API["AskFuture"].items():
        if case.kind == ANY:
            assert f"{name}()" in future_doc, f"AskFuture's docstring does not list {name}()"
