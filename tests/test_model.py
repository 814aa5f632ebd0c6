"""Reliability matrix P1: a supervisor checked against a plain-Python model, step by step.

Hypothesis drives one supervisor (the strategy, its restart limit and its children's policies
are drawn) through random steps: start a child, tell, ask, crash one, terminate one, restart
one, let time pass on a manual clock. After every step the supervisor's children, their order,
their incarnations and what each has handled must equal the model's; every message sent is
accounted for by the ledger at the end. A failure shrinks to a short, replayable list of steps.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import airsrt
from airsrt import Actor, ChildSpec, OneForAll, OneForOne, RestForOne, handler
from airsrt.testing import ManualClock, MessageLedger, new_manual_loop

WITHIN = 1.0
POLICIES = ("permanent", "transient", "temporary")
STRATEGIES = {"one_for_one": OneForOne, "one_for_all": OneForAll, "rest_for_one": RestForOne}


class Count:
    pass


class Crash:
    pass


class Counter(Actor):
    """Counts what this incarnation handled; a restart starts again from zero."""

    def __init__(self) -> None:
        self.n = 0

    @handler
    def count(self, msg: Count) -> int:
        self.n += 1
        return self.n

    @handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crash on demand")


@dataclass
class ModelChild:
    id: str
    policy: str
    running: bool = True
    handled: int = 0
    incarnation: int = 1  # of its current ref


@dataclass
class Model:
    strategy: str
    max_restarts: int
    children: list[ModelChild] = field(default_factory=list)
    restart_times: list[float] = field(default_factory=list)
    alive: bool = True

    def find(self, child_id: str) -> ModelChild:
        return next(c for c in self.children if c.id == child_id)

    def crash(self, child: ModelChild, now: float) -> None:
        """OTP's rules for a child that raised."""
        if child.policy == "temporary":
            self.children.remove(child)  # never restarted; its spec is forgotten
            return
        # One restart of the supervisor's limit, whatever the group's size.
        self.restart_times = [t for t in self.restart_times if now - t <= WITHIN] + [now]
        if len(self.restart_times) > self.max_restarts:
            self.alive = False  # gives up: every child stops, then the supervisor
            for c in self.children:
                c.running = False
            return
        if self.strategy == "one_for_one":
            group = [child]
        else:
            start = 0 if self.strategy == "one_for_all" else self.children.index(child)
            group = [c for c in self.children[start:] if c.running or c is child]
        for c in group:
            if c.policy == "temporary":
                self.children.remove(c)  # a temporary bystander stops for good
            else:
                c.handled = 0
                c.incarnation += 1


class SupervisorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.loop = new_manual_loop(self.clock)
        self.system = airsrt.ActorSystem("model", log_failures=False)
        self.run(self.started())
        self.ledger = MessageLedger(self.system)
        self.next_id = 0
        self.model: Model | None = None
        self.sup: airsrt.SupervisorRef | None = None

    async def started(self) -> None:
        self.system.start()

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)

    async def settled(self) -> None:
        """Waits until no restart or stop is in progress (restarts take a few loop turns)."""
        for _ in range(200):
            await asyncio.sleep(0)
            if not self.system._lifecycle_tasks and (
                not self.sup.is_alive or not self.sup._extra or self.sup._extra.task is None
            ):
                return

    @initialize(
        strategy=st.sampled_from(sorted(STRATEGIES)),
        max_restarts=st.integers(0, 4),
        policies=st.lists(st.sampled_from(POLICIES), min_size=1, max_size=4),
    )
    def start(self, strategy, max_restarts, policies):
        self.model = Model(strategy, max_restarts)
        specs = []
        for policy in policies:
            specs.append(ChildSpec(self.fresh_id(), Counter, restart=policy))
            self.model.children.append(ModelChild(specs[-1].id, policy))
        self.sup = self.run(
            self.system.spawn_supervisor(STRATEGIES[strategy](max_restarts=max_restarts, within=WITHIN), specs)
        )

    def fresh_id(self) -> str:
        self.next_id += 1
        return f"c{self.next_id}"

    def running(self) -> list[ModelChild]:
        return [c for c in self.model.children if c.running]

    def stopped(self) -> list[ModelChild]:
        return [c for c in self.model.children if not c.running]

    # -- steps -------------------------------------------------------------------------------

    @precondition(lambda self: self.model.alive and len(self.model.children) < 6)
    @rule(policy=st.sampled_from(POLICIES))
    def start_child(self, policy):
        child_id = self.fresh_id()
        self.run(self.sup.start_child(ChildSpec(child_id, Counter, restart=policy)))
        self.model.children.append(ModelChild(child_id, policy))

    @precondition(lambda self: self.model.alive and self.running())
    @rule(data=st.data(), n=st.integers(1, 5))
    def tell(self, data, n):
        child = data.draw(st.sampled_from(self.running()))
        ref = self.sup.child(child.id)
        for _ in range(n):
            self.ledger.tell(ref, Count())
        child.handled += n
        self.run(self.settled())

    @precondition(lambda self: self.model.alive and self.running())
    @rule(data=st.data())
    def ask(self, data):
        child = data.draw(st.sampled_from(self.running()))
        child.handled += 1
        assert self.run(self.ledger.ask(self.sup.child(child.id), Count(), timeout=5)) == child.handled

    @precondition(lambda self: self.model.alive and self.running())
    @rule(data=st.data(), as_ask=st.booleans())
    def crash(self, data, as_ask):
        child = data.draw(st.sampled_from(self.running()))
        ref = self.sup.child(child.id)
        if as_ask:
            try:
                self.run(self.ledger.ask(ref, Crash(), timeout=5))
            except RuntimeError as error:
                assert str(error) == "crash on demand"  # the handler's own exception
            else:
                raise AssertionError("a crashing ask must raise")
        else:
            self.ledger.tell(ref, Crash())
        self.model.crash(child, self.clock.now)
        self.run(self.settled())

    @precondition(lambda self: self.model.alive and self.running())
    @rule(data=st.data())
    def terminate(self, data):
        child = data.draw(st.sampled_from(self.running()))
        self.run(self.sup.terminate_child(child.id))
        if child.policy == "temporary":
            self.model.children.remove(child)
        else:
            child.running = False

    @precondition(lambda self: self.model.alive and self.stopped())
    @rule(data=st.data())
    def restart(self, data):
        child = data.draw(st.sampled_from(self.stopped()))
        self.run(self.sup.restart_child(child.id))
        child.running, child.handled = True, 0
        child.incarnation = 1  # a new actor (a restart by the supervisor keeps the ref)

    @rule(seconds=st.sampled_from([0.25, 0.5, 1.5]))
    def advance(self, seconds):
        self.run(self.clock.advance(seconds))

    # -- what must hold after every step -----------------------------------------------------

    @invariant()
    def matches_the_model(self):
        if self.model is None:
            return
        if not self.model.alive:
            assert not self.sup.is_alive
            return
        assert self.sup.is_alive
        infos = self.run(self.sup.which_children())
        assert [i.id for i in infos] == [c.id for c in self.model.children]
        for info, child in zip(infos, self.model.children):
            assert info.state == ("running" if child.running else "terminated"), (info, child)
            if child.running:
                assert info.ref.incarnation == child.incarnation
                assert info.ref._actor.n == child.handled

    def teardown(self):
        try:
            self.run(self.system.shutdown())
            self.ledger.check()
        finally:
            self.loop.close()


SupervisorMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_supervisor_matches_model = SupervisorMachine.TestCase


# -- a dynamic supervisor against its model ---------------------------------------------------------

EXITS = ("normal", "shutdown", ("shutdown", "payload"))


class Quit:
    def __init__(self, reason: object) -> None:
        self.reason = reason


class Entity(Actor):
    """One actor per entity: `arg` comes from start_child; a negative one declines to start."""

    def __init__(self, arg: int) -> None:
        self.arg = arg
        self.n = 0

    def on_start(self) -> object:
        return airsrt.IGNORE if self.arg < 0 else None

    @handler
    def count(self, msg: Count) -> int:
        self.n += 1
        return self.n

    @handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crash on demand")

    @handler
    def quit(self, msg: Quit) -> None:
        self.context.stop(msg.reason)  # type: ignore[arg-type]


@dataclass
class ModelEntity:
    ref: airsrt.ActorRef
    arg: int
    handled: int = 0
    incarnation: int = 1
    restarts: int = 0


@dataclass
class DynamicModel:
    policy: str
    max_restarts: int
    max_children: int | None
    children: list[ModelEntity] = field(default_factory=list)
    restart_times: list[float] = field(default_factory=list)
    alive: bool = True

    def ends(self, child: ModelEntity, now: float, abnormal: bool) -> None:
        """OTP's rules for a child that ended by itself (a crash, or a normal exit)."""
        if self.policy == "temporary" or (self.policy == "transient" and not abnormal):
            self.children.remove(child)  # a dynamic supervisor keeps nothing of it
            return
        self.restart_times = [t for t in self.restart_times if now - t <= WITHIN] + [now]
        if len(self.restart_times) > self.max_restarts:
            self.alive = False
            self.children.clear()
            return
        child.handled = 0
        child.incarnation += 1
        child.restarts += 1


class DynamicSupervisorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.loop = new_manual_loop(self.clock)
        self.system = airsrt.ActorSystem("dynamic-model", log_failures=False)
        self.loop.run_until_complete(self.started())
        self.ledger = MessageLedger(self.system)
        self.model: DynamicModel | None = None
        self.sup: airsrt.SupervisorRef | None = None

    async def started(self) -> None:
        self.system.start()

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)

    async def settled(self) -> None:
        for _ in range(200):
            await asyncio.sleep(0)
            if not self.system._lifecycle_tasks and (
                not self.sup.is_alive or not self.sup._extra or self.sup._extra.task is None
            ):
                return

    @initialize(
        policy=st.sampled_from(POLICIES),
        max_restarts=st.integers(0, 4),
        max_children=st.one_of(st.none(), st.integers(1, 6)),
    )
    def start(self, policy, max_restarts, max_children):
        self.model = DynamicModel(policy, max_restarts, max_children)
        strategy = airsrt.DynamicSupervisor(max_children=max_children, max_restarts=max_restarts, within=WITHIN)
        self.sup = self.run(
            self.system.spawn_supervisor(strategy, template=ChildSpec("entity", Entity, restart=policy))
        )

    def alive(self) -> bool:
        return self.model is not None and self.model.alive

    def has_children(self) -> bool:
        return self.alive() and bool(self.model.children)

    # -- steps -------------------------------------------------------------------------------

    @precondition(lambda self: self.alive())
    @rule(arg=st.integers(-2, 50))
    def start_child(self, arg):
        full = self.model.max_children is not None and len(self.model.children) >= self.model.max_children
        if full:
            try:
                self.run(self.sup.start_child(arg))
            except airsrt.MaxChildrenError:
                return
            raise AssertionError("start_child past max_children must raise MaxChildrenError")
        ref = self.run(self.sup.start_child(arg))
        if arg < 0:
            assert ref is None  # declined (IGNORE): nothing is kept
            return
        assert ref.is_alive and ref._actor.arg == arg
        self.model.children.append(ModelEntity(ref, arg))

    @precondition(lambda self: self.has_children())
    @rule(data=st.data(), n=st.integers(1, 4))
    def tell(self, data, n):
        child = data.draw(st.sampled_from(self.model.children))
        for _ in range(n):
            self.ledger.tell(child.ref, Count())
        child.handled += n
        self.run(self.settled())

    @precondition(lambda self: self.has_children())
    @rule(data=st.data())
    def ask(self, data):
        child = data.draw(st.sampled_from(self.model.children))
        child.handled += 1
        assert self.run(self.ledger.ask(child.ref, Count(), timeout=5)) == child.handled

    @precondition(lambda self: self.has_children())
    @rule(data=st.data(), as_ask=st.booleans())
    def crash(self, data, as_ask):
        child = data.draw(st.sampled_from(self.model.children))
        if as_ask:
            try:
                self.run(self.ledger.ask(child.ref, Crash(), timeout=5))
            except RuntimeError as error:
                assert str(error) == "crash on demand"
            else:
                raise AssertionError("a crashing ask must raise")
        else:
            self.ledger.tell(child.ref, Crash())
        self.model.ends(child, self.clock.now, abnormal=True)
        self.run(self.settled())

    @precondition(lambda self: self.has_children())
    @rule(data=st.data(), reason=st.sampled_from(EXITS))
    def quit(self, data, reason):
        child = data.draw(st.sampled_from(self.model.children))
        self.ledger.tell(child.ref, Quit(reason))
        self.model.ends(child, self.clock.now, abnormal=False)
        self.run(self.settled())

    @precondition(lambda self: self.has_children())
    @rule(data=st.data())
    def terminate(self, data):
        child = data.draw(st.sampled_from(self.model.children))
        self.run(self.sup.terminate_child(child.ref))
        assert not child.ref.is_alive
        self.model.children.remove(child)

    @rule(seconds=st.sampled_from([0.25, 0.5, 1.5]))
    def advance(self, seconds):
        self.run(self.clock.advance(seconds))

    # -- what must hold after every step -----------------------------------------------------

    @invariant()
    def matches_the_model(self):
        if self.model is None:
            return
        if not self.model.alive:
            assert not self.sup.is_alive
            return
        assert self.sup.is_alive
        n = len(self.model.children)
        assert self.run(self.sup.count_children()) == airsrt.ChildCount(specs=n, active=n, supervisors=0, workers=n)
        infos = self.run(self.sup.which_children())
        assert [i.ref for i in infos] == [c.ref for c in self.model.children]
        for info, child in zip(infos, self.model.children):
            assert (info.id, info.state, info.restarts) == ("entity", "running", child.restarts), (info, child)
            assert info.ref.incarnation == child.incarnation
            assert info.ref._actor.n == child.handled and info.ref._actor.arg == child.arg

    def teardown(self):
        try:
            self.run(self.system.shutdown())
            self.ledger.check()
        finally:
            self.loop.close()


DynamicSupervisorMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_dynamic_supervisor_matches_model = DynamicSupervisorMachine.TestCase
