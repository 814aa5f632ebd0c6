"""Other threads: tell from any thread, ask_blocking, and the loop-only operations' errors."""

import asyncio
import threading
from dataclasses import dataclass

import pytest

import airsrt
from airsrt import Actor, Backpressure, Mailbox, handler

THREADS = 8
PER_THREAD = 20_000

# Eight busy threads take turns with the loop for the GIL; a handler waiting for it looks, to
# the wall-clock watchdog, like a handler blocking the loop. Tests here measure other things.
pytestmark = pytest.mark.actor_system(slow_handler_limit=None)


@dataclass(frozen=True)
class Item:
    thread: int
    seq: int


class Total(airsrt.Message[int]):
    pass


@dataclass(frozen=True)
class Double(airsrt.Message[int]):
    n: int


class Collector(Actor):
    def __init__(self) -> None:
        self.by_thread: dict[int, list[int]] = {}
        self.count = 0

    @handler
    def item(self, msg: Item) -> None:
        self.by_thread.setdefault(msg.thread, []).append(msg.seq)
        self.count += 1

    @handler
    def total(self, msg: Total) -> int:
        return self.count

    @handler
    def double(self, msg: Double) -> int:
        return msg.n * 2

    @handler
    def snapshot(self, msg: dict) -> dict:
        return self.by_thread


async def test_tells_from_eight_threads_arrive_once_in_per_thread_order(actor_system):
    ref = actor_system.spawn(Collector)
    start = threading.Barrier(THREADS)

    def produce(thread: int) -> None:
        start.wait()
        for seq in range(PER_THREAD):
            ref.tell(Item(thread, seq))

    # Real threads (the default executor may have fewer workers than the barrier has parties);
    # meanwhile the loop carries traffic of its own.
    threads = [threading.Thread(target=produce, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    await _local_traffic(ref)
    while any(thread.is_alive() for thread in threads):
        await asyncio.sleep(0.001)
    while await ref.ask(Total()) < THREADS * PER_THREAD:
        await asyncio.sleep(0.001)
    by_thread = await ref.ask({})
    for thread in range(THREADS):
        assert by_thread[thread] == list(range(PER_THREAD)), f"thread {thread} out of order"
    assert await ref.ask(Total()) == THREADS * PER_THREAD


async def _local_traffic(ref) -> None:
    for _ in range(200):
        assert await ref.ask(Double(21)) == 42
        await asyncio.sleep(0)


async def test_mailbox_full_is_raised_on_the_sending_thread(actor_system):
    errors: list[BaseException] = []

    def produce(ref: airsrt.ActorRef) -> None:
        for seq in range(50):
            try:
                ref.tell(Item(0, seq))
            except airsrt.MailboxFullError as error:
                errors.append(error)

    class Stuck(Actor):
        @handler
        def block(self, msg: str) -> None:
            # Blocks the loop on purpose while another thread fills the (now empty) mailbox.
            thread = threading.Thread(target=produce, args=(self.context.ref,))
            thread.start()
            thread.join(5)

        @handler
        def item(self, msg: Item) -> None:
            pass

    ref = actor_system.spawn(Stuck, mailbox=Mailbox.bounded(10, Backpressure.FAIL))
    await ref.ask("go")
    assert [e.message.seq for e in errors] == list(range(10, 50))
    assert all(isinstance(e, airsrt.MailboxFullError) for e in errors)


async def test_ask_blocking_from_threads(actor_system):
    ref = actor_system.spawn(Collector)

    def work(n: int) -> list[int]:
        return [ref.ask_blocking(Double(n * 100 + i), timeout=5) for i in range(50)]

    results = await asyncio.gather(*(asyncio.to_thread(work, n) for n in range(4)))
    for n, got in enumerate(results):
        assert got == [2 * (n * 100 + i) for i in range(50)]


async def test_ask_blocking_raises_the_handler_error_in_the_thread(actor_system):
    class Fails(Actor):
        @handler
        def boom(self, msg: Double) -> int:
            raise ValueError(f"no {msg.n}")

    ref = actor_system.spawn(Fails)

    def call() -> BaseException | None:
        try:
            ref.ask_blocking(Double(3), timeout=5)
        except ValueError as error:
            return error
        return None

    error = await asyncio.to_thread(call)
    assert str(error) == "no 3"


async def test_loop_only_operations_refuse_other_threads(actor_system):
    ref = actor_system.spawn(Collector)

    def attempt():
        errors = []
        for op in (lambda: ref.ask(Total()), lambda: actor_system.spawn(Collector)):
            try:
                op()
            except airsrt.WrongThreadError as error:
                errors.append(str(error))
        return errors

    errors = await asyncio.to_thread(attempt)
    assert len(errors) == 2
    assert "ask_blocking" in errors[0]


async def test_tell_from_thread_after_shutdown_raises():
    system = airsrt.ActorSystem()
    system.start()
    ref = system.spawn(Collector)
    await system.shutdown()

    def late() -> BaseException | None:
        try:
            ref.tell(Item(0, 0))
        except airsrt.SystemNotRunningError as error:
            return error
        return None

    assert isinstance(await asyncio.to_thread(late), airsrt.SystemNotRunningError)


async def test_tell_from_thread_to_stopped_actor_is_dead_letter(actor_system):
    ref = actor_system.spawn(Collector)
    await ref.stop()
    await asyncio.to_thread(ref.tell, Item(1, 1))
    await asyncio.sleep(0)
    assert actor_system.dead_letters.recent()[-1].reason == "stopped"
