"""tell and ask: delivery, ordering, errors, eager vs queued asks, timeouts, withdrawal."""

import asyncio
import contextvars
import math
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import Actor, handler


@dataclass
class Add:
    n: int


class Get(airsrt.Message[list]):
    pass


@dataclass
class Fail:
    error: BaseException


@dataclass
class Sleep:
    seconds: float


class Recorder(Actor):
    error_action = airsrt.ErrorAction.RESUME

    def __init__(self) -> None:
        self.seen: list[int] = []

    @handler
    def add(self, msg: Add) -> int:
        self.seen.append(msg.n)
        return sum(self.seen)

    @handler
    def get(self, msg: Get) -> list:
        return list(self.seen)

    @handler
    def fail(self, msg: Fail) -> None:
        raise msg.error

    @handler
    async def sleep(self, msg: Sleep) -> str:
        await asyncio.sleep(msg.seconds)
        return "slept"


async def test_tells_are_handled_in_order(actor_system):
    ref = actor_system.spawn(Recorder)
    for i in range(1000):
        ref.tell(Add(i))
    assert await ref.ask(Get()) == list(range(1000))


async def test_tell_unhandled_names_actor_type_and_fix(actor_system):
    ref = actor_system.spawn(Recorder, name="rec")
    with pytest.raises(airsrt.UnhandledMessageError) as info:
        ref.tell("hello")
    text = str(info.value)
    assert "rec" in text and "str" in text and "Add" in text and "@handler" in text
    assert isinstance(info.value, TypeError)
    assert actor_system.stats().rejected == 1


async def test_ask_unhandled_raises_at_call_site(actor_system):
    ref = actor_system.spawn(Recorder)
    with pytest.raises(airsrt.UnhandledMessageError):
        ref.ask(3.5)


async def test_tell_to_stopped_actor_is_dead_letter(actor_system):
    ref = actor_system.spawn(Recorder)
    await ref.stop()
    ref.tell(Add(1))
    letter = actor_system.dead_letters.recent()[-1]
    assert letter.message == Add(1) and letter.recipient is ref and letter.reason == "stopped"


async def test_ask_to_stopped_actor_fails_at_once(actor_system):
    ref = actor_system.spawn(Recorder, name="gone")
    await ref.stop()
    with pytest.raises(airsrt.ActorStoppedError, match="gone has stopped"):
        await ref.ask(Get(), timeout=100)


@pytest.mark.parametrize("eager", [True, False])
async def test_eager_and_queued_asks_agree(eager):
    async with airsrt.ActorSystem(eager_asks=eager, log_failures=False) as system:
        ref = system.spawn(Recorder)
        results = [await ref.ask(Add(i)) for i in range(5)]
        ref.tell(Add(10))
        behind = ref.ask(Add(20))
        assert not behind.done()  # queued behind the tell, whatever the mode
        assert await behind == 0 + 1 + 2 + 3 + 4 + 10 + 20
        assert results == [0, 1, 3, 6, 10]
        with pytest.raises(KeyError):
            await ref.ask(Fail(KeyError("k")))
        assert await ref.ask(Get()) == [0, 1, 2, 3, 4, 10, 20]
        airsrt.testing.check_ledger(system)


async def test_eager_ask_is_finished_when_returned(actor_system):
    ref = actor_system.spawn(Recorder)
    fut = ref.ask(Add(4))
    assert fut.done() and fut.result() == 4


async def test_handler_exceptions_reach_the_asker_unchanged(actor_system):
    ref = actor_system.spawn(Recorder)
    error = ValueError("bad")
    with pytest.raises(ValueError) as info:
        await ref.ask(Fail(error))
    assert info.value is error


@pytest.mark.parametrize(
    "error",
    [airsrt.ActorStoppedError("inner"), StopIteration(), asyncio.CancelledError()],
    ids=lambda e: type(e).__name__,
)
async def test_special_exceptions_arrive_wrapped(actor_system, error):
    ref = actor_system.spawn(Recorder)
    with pytest.raises(airsrt.HandlerError) as info:
        await ref.ask(Fail(error))
    assert info.value.__cause__ is error
    assert "Recorder" in str(info.value) and "Fail" in str(info.value)


@pytest.mark.parametrize("eager", [True, False])
@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(3)], ids=lambda e: type(e).__name__)
def test_interrupts_reach_the_asker_wrapped_and_stop_the_loop(error, eager):
    loop = asyncio.new_event_loop()
    system = airsrt.ActorSystem(log_failures=False, eager_asks=eager)

    sent = []

    async def send():
        system.start()
        ref = system.spawn(Recorder)
        sent.append(ref.ask(Fail(error)))
        await asyncio.sleep(0.01)

    try:
        with pytest.raises(type(error)):
            loop.run_until_complete(send())
        fut = sent[0]
        assert fut.done()
        assert isinstance(fut.exception(), airsrt.HandlerError)
        assert fut.exception().__cause__ is error
        loop.run_until_complete(system.shutdown())
        airsrt.testing.check_ledger(system)
    finally:
        loop.close()


@pytest.mark.virtual_time
async def test_ask_timeout_fires_on_time_even_if_handler_swallows_cancellation():
    async with airsrt.ActorSystem(log_failures=False, kill_timeout=0.5) as system:

        class Stubborn(Actor):
            @handler
            async def hang(self, msg: Sleep) -> str:
                while True:
                    try:
                        await asyncio.sleep(msg.seconds)
                    except asyncio.CancelledError:
                        continue

        ref = system.spawn(Stubborn, name="stubborn")
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(airsrt.AskTimeoutError, match="stubborn did not answer Sleep within 0.2s"):
            await ref.ask(Sleep(1.0), timeout=0.2)
        assert loop.time() - start == pytest.approx(0.2, abs=1e-3)
        with pytest.raises(airsrt.ShutdownTimeoutError, match="stubborn"):
            await system.shutdown(timeout=1.0)


@pytest.mark.virtual_time
async def test_late_reply_becomes_dead_letter_and_actor_goes_on(actor_system):
    ref = actor_system.spawn(Recorder)
    with pytest.raises(airsrt.AskTimeoutError) as info:
        await ref.ask(Sleep(1.0), timeout=0.1)
    assert info.value.message == Sleep(1.0)
    assert await ref.ask(Add(1), timeout=5) == 1  # handled after the slow one finished
    letters = [d for d in actor_system.dead_letters.recent() if d.reason == "late_reply"]
    assert [d.message for d in letters] == ["slept"]
    assert actor_system.stats().late_replies == 1


@pytest.mark.virtual_time
async def test_queued_ask_that_timed_out_is_not_handled(actor_system):
    ref = actor_system.spawn(Recorder)
    ref.tell(Sleep(1.0))
    with pytest.raises(airsrt.AskTimeoutError):
        await ref.ask(Add(5), timeout=0.1)
    assert await ref.ask(Get(), timeout=5) == []
    assert actor_system.stats().returned == 1


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf])
async def test_invalid_timeouts_are_value_errors(actor_system, bad):
    ref = actor_system.spawn(Recorder)
    with pytest.raises(ValueError, match="timeout"):
        ref.ask(Get(), timeout=bad)
    assert ref.mailbox_size() == 0


@pytest.mark.parametrize("bad", ["1", True])
async def test_non_numeric_timeouts_are_type_errors(actor_system, bad):
    ref = actor_system.spawn(Recorder)
    with pytest.raises(TypeError, match="timeout"):
        ref.ask(Get(), timeout=bad)


async def test_cancelled_ask_is_withdrawn_not_handled(actor_system):
    ref = actor_system.spawn(Recorder)
    ref.tell(Sleep(0.05))
    fut = ref.ask(Add(99))
    fut.cancel()
    assert await ref.ask(Get()) == []
    assert actor_system.stats().withdrawn == 1


async def test_caller_cancelled_while_awaiting_withdraws(actor_system):
    ref = actor_system.spawn(Recorder)
    ref.tell(Sleep(0.05))
    task = asyncio.ensure_future(_ask(ref, Add(7)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await ref.ask(Get()) == []
    assert actor_system.stats().withdrawn == 1


async def _ask(ref, msg):
    return await ref.ask(msg)


async def test_ask_future_works_with_asyncio_helpers(actor_system):
    ref = actor_system.spawn(Recorder)
    ref.tell(Sleep(0.01))
    got = await asyncio.gather(ref.ask(Add(1)), ref.ask(Add(2)))
    assert got == [1, 3]
    assert await asyncio.wait_for(ref.ask(Add(3)), timeout=5) == 6
    assert await asyncio.shield(ref.ask(Add(4))) == 10
    assert asyncio.isfuture(ref.ask(Get()))
    done, _ = await asyncio.wait([ref.ask(Get())])
    assert done.pop().result() == [1, 2, 3, 4]
    ref.tell(Sleep(0.01))
    fut = ref.ask(Get())
    calls = []
    fut.add_done_callback(calls.append)
    await fut
    await asyncio.sleep(0)
    assert calls == [fut]


async def test_asyncio_timeout_around_ask(actor_system):
    ref = actor_system.spawn(Recorder)
    ref.tell(Sleep(0.2))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await ref.ask(Add(1))
    assert await ref.ask(Get()) == []


async def test_self_ask_is_deadlock_error(actor_system):
    class Selfish(Actor):
        @handler
        def sync(self, msg: Add) -> str:
            try:
                self.context.ref.ask(Get())
            except airsrt.DeadlockError as error:
                return str(error)
            return "no error"

        @handler
        async def get(self, msg: Get) -> str:
            try:
                await self.context.ref.ask(Add(1))
            except airsrt.DeadlockError as error:
                return str(error)
            return "no error"

    ref = actor_system.spawn(Selfish, name="selfish")
    assert "selfish would wait for itself" in await ref.ask(Add(0))
    assert "selfish would wait for itself" in await ref.ask(Get())


async def test_eager_cycle_is_deadlock_error(actor_system):
    class Leg(Actor):
        def __init__(self, other=None) -> None:
            self.other = other

        @handler
        def set_other(self, msg: airsrt.ActorRef) -> None:
            self.other = msg

        @handler
        def forward(self, msg: Add) -> str:
            return self.other.ask(Get()).result()  # b is idle: runs eagerly, right here

        @handler
        def back(self, msg: Get) -> str:
            try:
                self.other.ask(Add(0))  # a's handler is further up this very stack
            except airsrt.DeadlockError as error:
                return f"deadlock: {error}"
            return "no deadlock"

    a = actor_system.spawn(Leg, name="a")
    b = actor_system.spawn(Leg, a, name="b")
    await a.ask(b)  # a.other = b
    assert (await a.ask(Add(0))).startswith("deadlock: a would wait for itself")


async def test_contextvars_of_sender_do_not_leak_into_handlers(actor_system):
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    class Reader(Actor):
        @handler
        def read(self, msg: Get) -> str:
            return var.get()

        @handler
        async def set_and_read(self, msg: Add) -> str:
            seen = var.get()
            var.set("handler")
            return seen

    ref = actor_system.spawn(Reader)
    var.set("sender")
    assert await ref.ask(Get()) == "unset"  # eager: runs in the caller's call, not its context
    ref.tell(Get())
    assert await ref.ask(Get()) == "unset"  # queued behind a tell
    assert await ref.ask(Add(0)) == "unset"  # async handler, in its own Task
    assert var.get() == "sender"  # what the handler set did not leak back to the sender
    assert await ref.ask(Get()) == "handler"  # ...but stays in the actor's own context


async def test_actor_context_persists_between_messages(actor_system):
    var: contextvars.ContextVar[int] = contextvars.ContextVar("count", default=0)

    class Counter(Actor):
        @handler
        def bump(self, msg: Add) -> int:
            var.set(var.get() + msg.n)
            return var.get()

    a = actor_system.spawn(Counter)
    b = actor_system.spawn(Counter)
    assert await a.ask(Add(1)) == 1
    assert await a.ask(Add(1)) == 2
    assert await b.ask(Add(5)) == 5  # each actor has its own context


async def test_ask_blocking_from_the_loop_thread_is_deadlock_error(actor_system):
    ref = actor_system.spawn(Recorder)
    with pytest.raises(airsrt.DeadlockError, match="event loop's own thread"):
        ref.ask_blocking(Get())
