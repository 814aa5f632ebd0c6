"""Actors on a loop whose task factory starts Tasks eagerly (``asyncio.eager_task_factory``).

The Tasks airsrt makes in an actor's context -- an async ``on_start`` or ``on_stop``, a
supervisor's start and its busy restarts, ``pipe_to_self`` -- run their first step inside
``create_task``, which enters the actor's context; made from inside the actor's own turn (where
the context is entered already) that failed with "cannot enter context".
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

import airsrt
from airsrt import Actor, ChildSpec, handler

pytestmark = pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")


def _eager_start_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
    """asyncio.eager_task_factory for loops that pass ``eager_start=`` to factories (uvloop on
    3.13 does; 3.13's own factory does not take it)."""
    kwargs["eager_start"] = True
    return asyncio.Task(coro, loop=loop, **kwargs)


@contextlib.asynccontextmanager
async def eager_tasks() -> AsyncIterator[None]:
    """Runs the block with the running loop's task factory starting Tasks eagerly."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    loop.set_task_factory(asyncio.eager_task_factory)
    probe = asyncio.sleep(0)
    try:
        await loop.create_task(probe)
    except TypeError:
        probe.close()
        loop.set_task_factory(_eager_start_factory)
    try:
        yield
    finally:
        loop.set_task_factory(previous)


class Starter(Actor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def on_start(self) -> None:
        self.log.append("started")
        await asyncio.sleep(0)
        self.log.append("ready")

    async def on_stop(self) -> None:
        await asyncio.sleep(0)
        self.log.append("stopped")

    @handler
    def ping(self, msg: int) -> int:
        return msg


class Piper(Actor):
    def __init__(self) -> None:
        self.got: list[Any] = []
        self.done = asyncio.Event()

    @handler
    def fetch(self, msg: str) -> None:
        self.context.pipe_to_self(asyncio.sleep(0, result=msg), lambda r: ("piped", r))

    @handler
    def piped(self, msg: tuple) -> None:
        self.got.append(msg)
        self.done.set()

    @handler
    def seen(self, msg: int) -> list[Any]:
        return self.got


class Crash:
    pass


class Worker(Actor):
    @handler
    def work(self, msg: int) -> int:
        return msg

    @handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError("crash")


async def test_async_on_start_and_on_stop(actor_system):
    async with eager_tasks():
        log: list[str] = []
        ref = actor_system.spawn(Starter, log)
        await ref.ready()
        assert await ref.ask(7) == 7
        await ref.stop()
        assert log == ["started", "ready", "stopped"]


async def test_a_supervisor_starts_and_restarts_its_children(actor_system):
    async with eager_tasks():
        log: list[str] = []
        sup = await actor_system.spawn_supervisor(
            airsrt.OneForAll(max_restarts=10, within=1.0),
            [ChildSpec("a", Worker), ChildSpec("b", Starter, log)],
        )
        first_b = sup.child("b")
        assert await sup.child("a").ask(1) == 1
        sup.child("a").tell(Crash())  # one-for-all: b stops and restarts too (a busy restart)
        for _ in range(200):
            if sup.child("b").incarnation == 2 and sup.child("a").incarnation == 2:
                break
            await asyncio.sleep(0.005)
        assert sup.child("b") is first_b and first_b.incarnation == 2
        await sup.child("b").ready()
        assert await sup.child("a").ask(2) == 2
        assert log == ["started", "ready", "stopped", "started", "ready"]


async def test_pipe_to_self(actor_system):
    async with eager_tasks():
        ref = actor_system.spawn(Piper)
        ref.tell("data")
        for _ in range(200):
            if await ref.ask(0):
                break
            await asyncio.sleep(0.005)
        assert await ref.ask(0) == [("piped", "data")]
