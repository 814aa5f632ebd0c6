"""The misuse catalogue (../shared/reliability.md section c): each mistake a user can make gets
an error that names the actor and the message type and says what to do instead.

Case 1 (a handler that blocks the loop) lives in test_watchdog.py; case 9 (remote codec and
transport settings) does not apply, as airsrt has no remote transport.
"""

from __future__ import annotations

import asyncio
import math
import threading
import warnings

import pytest

import airsrt
from airsrt import Actor, Backpressure, ChildSpec, Mailbox, OneForOne, handler


class Order:
    pass


class Refund:
    pass


class Hold:
    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate


class Worker(Actor):
    @handler
    def order(self, msg: Order) -> str:
        return "done"

    @handler
    async def hold(self, msg: Hold) -> None:
        await msg.gate.wait()


def raised(call) -> BaseException:
    with pytest.raises(Exception) as info:
        call()
    return info.value


# -- 2: the loop-only API from a foreign thread ---------------------------------------------------


async def test_2_loop_only_calls_from_another_thread_name_both_threads_and_the_fix(actor_system):
    worker = actor_system.spawn(Worker)
    errors: list[BaseException] = []

    def foreign() -> None:
        worker.tell(Order())  # tell is allowed from any thread
        for call in (lambda: worker.ask(Order()), lambda: actor_system.spawn(Worker)):
            try:
                call()
            except airsrt.WrongThreadError as error:
                errors.append(error)
        errors.append(worker.ask_blocking(Order(), timeout=10))  # the bridge that works

    thread = threading.Thread(target=foreign, name="T-3")
    await asyncio.to_thread(lambda: (thread.start(), thread.join()))
    ask_error, spawn_error, answer = errors
    assert "ask(Order) to Worker#" in str(ask_error)
    assert "'T-3'" in str(ask_error) and "'MainThread'" in str(ask_error)
    assert "ask_blocking" in str(ask_error)
    assert "spawn" in str(spawn_error) and "Worker" in str(spawn_error) and "'T-3'" in str(spawn_error)
    assert answer == "done"
    assert worker.stats().processed == 2


# -- 3: a message type with no handler; handler tables that make no sense ------------------------


async def test_3_unhandled_message_names_actor_type_and_the_handled_types(actor_system):
    worker = actor_system.spawn(Worker, name="worker")
    for call in (lambda: worker.tell(Refund()), lambda: worker.ask(Refund())):
        error = raised(call)
        assert isinstance(error, airsrt.UnhandledMessageError)
        assert "worker has no handler for Refund" in str(error)
        assert "Order" in str(error) and "Hold" in str(error)  # what it does handle
        assert "add a @handler method for Refund to Worker" in str(error)
        assert isinstance(error.message, Refund) and error.actor == "worker"


def test_3_two_handlers_for_one_type_fail_when_the_class_is_defined():
    with pytest.raises(TypeError, match=r"Twice has two handlers for Order: a\(\) and b\(\)"):

        class Twice(Actor):
            @handler
            def a(self, msg: Order) -> None: ...

            @handler
            def b(self, msg: Order) -> None: ...


def test_3_a_handler_without_a_message_type_fails_when_the_class_is_defined():
    with pytest.raises(TypeError, match=r"Untyped.handle has no message type: annotate"):

        class Untyped(Actor):
            @handler
            def handle(self, msg): ...  # type: ignore[no-untyped-def]


# -- 4: asking yourself; timeouts that are not timeouts -------------------------------------------


class Selfish(Actor):
    @handler
    async def order(self, msg: Order) -> str:
        return await self.context.ref.ask(Refund())

    @handler
    def refund(self, msg: Refund) -> str:
        return "refunded"


async def test_4_asking_yourself_is_a_deadlock_error_not_a_hang(actor_system):
    selfish = actor_system.spawn(Selfish, name="selfish")
    with pytest.raises(airsrt.HandlerError) as info:
        await selfish.ask(Order(), timeout=None)  # no deadline: only the check can end this
    cause = info.value.__cause__
    assert isinstance(cause, airsrt.DeadlockError)
    assert "selfish would wait for itself: ask(Refund)" in str(cause)
    assert "use tell()" in str(cause)


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf])
async def test_4_non_positive_or_nan_timeouts_are_rejected(actor_system, timeout):
    worker = actor_system.spawn(Worker)
    error = raised(lambda: worker.ask(Order(), timeout=timeout))
    assert isinstance(error, ValueError)
    assert f"ask(Order) to {worker.name}: timeout must be > 0 seconds and finite" in str(error)
    assert "timeout=None" in str(error)  # the way to wait forever
    assert worker.stats().processed == 0


# -- 5: a handler that swallows cancellation -----------------------------------------------------


class Stubborn(Actor):
    @handler
    async def order(self, msg: Order) -> None:
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                pass  # the misuse


async def test_5_a_handler_that_swallows_cancellation_is_abandoned_by_name():
    async with airsrt.ActorSystem(log_failures=False, kill_timeout=0.05) as system:
        stubborn = system.spawn(Stubborn, name="stubborn")
        asked = stubborn.ask(Order(), timeout=None)
        await asyncio.sleep(0)
        with pytest.raises(airsrt.ShutdownTimeoutError) as info:
            await system.shutdown(timeout=0.05)
    assert info.value.abandoned == ["stubborn"]
    assert "had to abandon stubborn" in str(info.value)
    assert "catch CancelledError or BaseException" in str(info.value)
    with pytest.raises(airsrt.ActorStoppedError):
        await asked  # the asker is answered, not left waiting
    [event] = [e for e in system.events.recent() if e.kind == "actor.abandoned"]
    assert event.actor == "stubborn"


# -- 6: a ref used after its actor stopped -------------------------------------------------------


async def test_6_a_stopped_actor_answers_asks_at_once_and_dead_letters_tells(actor_system):
    worker = actor_system.spawn(Worker, name="gone")
    await worker.stop()
    asked = worker.ask(Order(), timeout=3600)  # an error now, never this timeout
    with pytest.raises(airsrt.ActorStoppedError) as info:
        await asyncio.wait_for(asked, 1)
    assert "gone has stopped (reason: normal); Order was not answered" in str(info.value)
    assert isinstance(info.value.message, Order)
    worker.tell(Refund())  # not an exception: a dead letter with a reason
    [letter] = [d for d in actor_system.dead_letters.recent() if isinstance(d.message, Refund)]
    assert letter.reason == "stopped"


# -- 7: invalid supervisor and child specs, rejected before anything starts ---------------------


@pytest.mark.parametrize(
    ("build", "text"),
    [
        (lambda: ChildSpec("db", Worker, restart="prmanent"), "child 'db': invalid restart policy 'prmanent'"),
        (lambda: ChildSpec("db", Worker, shutdown=-1), "child 'db': invalid shutdown -1"),
        (lambda: ChildSpec("db", 42), "child 'db': factory must be an Actor subclass"),
        (lambda: ChildSpec(None, Worker), "ChildSpec needs an id"),
        (lambda: OneForOne(max_restarts=-1, within=1), "max_restarts must be an int >= 0, got -1"),
        (lambda: OneForOne(max_restarts=1, within=0), "within must be a finite number of seconds > 0"),
    ],
)
def test_7_invalid_specs_fail_when_built(build, text):
    error = raised(build)
    assert isinstance(error, airsrt.ConfigurationError) and isinstance(error, ValueError)
    assert text in str(error)


async def test_7_duplicate_child_ids_fail_before_any_child_starts(actor_system):
    started = []

    class Counted(Worker):
        def on_start(self) -> None:
            started.append(self)

    with pytest.raises(airsrt.ConfigurationError, match="duplicate child id 'db'"):
        await actor_system.spawn_supervisor(OneForOne(), [ChildSpec("db", Counted), ChildSpec("db", Counted)])
    assert started == []


# -- 8: mailbox misconfiguration -----------------------------------------------------------------


@pytest.mark.parametrize("capacity", [0, -5])
def test_8_mailbox_capacity_must_be_positive(capacity):
    with pytest.raises(airsrt.ConfigurationError, match=rf"capacity must be >= 1 .*got {capacity}"):
        Mailbox.bounded(capacity)


async def test_8_a_full_mailbox_hands_the_message_back(actor_system):
    gate = asyncio.Event()
    worker = actor_system.spawn(Worker, name="full", mailbox=Mailbox.bounded(1, Backpressure.FAIL))
    worker.tell(Hold(gate))
    await asyncio.sleep(0)  # Hold is being handled; the mailbox is empty again
    worker.tell(Order())
    extra = Order()
    error = raised(lambda: worker.tell(extra))
    assert isinstance(error, airsrt.MailboxFullError)
    assert error.message is extra and error.actor == "full"
    assert "full's mailbox is full (1 messages); Order was not delivered" in str(error)
    assert "await ref.send()" in str(error)  # one of the ways out
    gate.set()


class Forwarder(Actor):
    def __init__(self, target: airsrt.ActorRef) -> None:
        self.target = target

    @handler
    async def order(self, msg: Order) -> None:
        await self.target.send(Order())  # no timeout, from inside an actor


async def test_8_an_actor_waiting_forever_on_a_block_mailbox_gets_a_config_warning(actor_system):
    gate = asyncio.Event()
    target = actor_system.spawn(Worker, name="target", mailbox=Mailbox.bounded(1, Backpressure.BLOCK))
    target.tell(Hold(gate))
    await asyncio.sleep(0)
    target.tell(Order())  # now full
    forwarder = actor_system.spawn(Forwarder, target, name="forwarder")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forwarder.tell(Order())
        await asyncio.sleep(0.01)
    [warning] = [w for w in caught if issubclass(w.category, airsrt.ConfigWarning)]
    text = str(warning.message)
    assert "forwarder waits without a timeout for room in target's full BLOCK mailbox (send(Order))" in text
    assert "send(..., timeout=seconds)" in text
    gate.set()
    await asyncio.sleep(0.01)
    assert target.stats().processed == 3


async def test_8_an_unbounded_flood_is_reported_at_the_first_watermark(actor_system):
    gate = asyncio.Event()
    worker = actor_system.spawn(Worker, name="flooded")
    worker.tell(Hold(gate))
    await asyncio.sleep(0)
    for _ in range(10_000):
        worker.tell(Order())
    await asyncio.sleep(0)
    [event] = [e for e in actor_system.events.recent() if e.kind == "mailbox.high_watermark"]
    assert event.actor == "flooded" and event.details["depth"] == 10_000
    gate.set()


# -- 10: spawning outside a running system; an on_start that raises ------------------------------


def test_10_spawn_without_a_running_system_says_how_to_start_one():
    with pytest.raises(airsrt.SystemNotRunningError, match="async with ActorSystem\\(\\) as system"):
        airsrt.ActorSystem().spawn(Worker)


class BadStart(Actor):
    def on_start(self) -> None:
        raise KeyError("cfg")

    @handler
    def order(self, msg: Order) -> None: ...


async def test_10_a_failing_on_start_reaches_the_spawner_through_ready(actor_system):
    ref = actor_system.spawn(BadStart, name="bad")
    with pytest.raises(airsrt.ActorStartError) as info:
        await ref.ready()
    assert "bad.on_start raised KeyError: 'cfg'" in str(info.value)
    assert isinstance(info.value.__cause__, KeyError)
    asked = ref.ask(Order())
    with pytest.raises((airsrt.ActorStartError, airsrt.ActorStoppedError)):
        await asked  # never a hang
