"""Async handlers run in real Tasks: asyncio.timeout, TaskGroup, current_task, one at a time."""

import asyncio
from dataclasses import dataclass

import pytest

from airsrt import Actor, handler


@dataclass(frozen=True)
class Work:
    label: str
    seconds: float = 0.0


class Probe(Actor):
    def __init__(self) -> None:
        self.log: list[str] = []
        self.tasks: set[asyncio.Task] = set()

    @handler
    async def work(self, msg: Work) -> str:
        self.log.append(f"start {msg.label}")
        self.tasks.add(asyncio.current_task())
        await asyncio.sleep(msg.seconds)
        self.log.append(f"end {msg.label}")
        return msg.label

    @handler
    async def timeout_inside(self, msg: float) -> str:
        try:
            async with asyncio.timeout(msg):
                await asyncio.sleep(10)
        except TimeoutError:
            return "timed out inside the handler"
        return "no timeout"

    @handler
    async def group(self, msg: int) -> list[int]:
        async def square(i: int) -> int:
            await asyncio.sleep(0)
            return i * i

        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(square(i)) for i in range(msg)]
        return [t.result() for t in tasks]

    @handler
    def log_of(self, msg: list) -> list[str]:
        return list(self.log)


async def test_one_message_at_a_time_even_across_awaits(actor_system):
    ref = actor_system.spawn(Probe)
    results = await asyncio.gather(ref.ask(Work("a", 0.01)), ref.ask(Work("b")), ref.ask(Work("c")))
    assert results == ["a", "b", "c"]
    assert await ref.ask([]) == ["start a", "end a", "start b", "end b", "start c", "end c"]


async def test_each_async_message_runs_in_its_own_task(actor_system):
    ref = actor_system.spawn(Probe)
    await ref.ask(Work("a"))
    await ref.ask(Work("b"))
    actor = ref._actor
    assert len(actor.tasks) == 2 and all(isinstance(t, asyncio.Task) for t in actor.tasks)


@pytest.mark.virtual_time
async def test_asyncio_timeout_inside_a_handler(actor_system):
    ref = actor_system.spawn(Probe)
    assert await ref.ask(0.5) == "timed out inside the handler"


async def test_task_group_inside_a_handler(actor_system):
    ref = actor_system.spawn(Probe)
    assert await ref.ask(5) == [0, 1, 4, 9, 16]


async def test_tells_to_a_busy_actor_wait_their_turn(actor_system):
    ref = actor_system.spawn(Probe)
    ref.tell(Work("slow", 0.01))
    await asyncio.sleep(0)
    assert ref.stats().state == "BUSY"
    ref.tell(Work("next"))
    assert ref.mailbox_size() == 1
    assert await ref.ask([]) == ["start slow", "end slow", "start next", "end next"]
