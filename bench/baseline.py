"""The asyncio baseline every airsrt row is measured against: one Queue and one Task per actor.

This is what people write by hand when they roll actors on asyncio; each benchmark runs exactly
the same workload on it and on airsrt, in the same process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class QueueActor:
    """An actor as one ``asyncio.Queue`` drained by one ``asyncio.Task``."""

    __slots__ = ("handler", "queue", "task")

    def __init__(self, handler: Callable[[Any], Any]) -> None:
        self.handler = handler
        self.queue: asyncio.Queue[tuple[Any, asyncio.Future[Any] | None]] = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        get = self.queue.get
        handler = self.handler
        while True:
            msg, reply = await get()
            if msg is _STOP:
                return
            try:
                result = handler(msg)
            except Exception as exc:
                if reply is not None and not reply.done():
                    reply.set_exception(exc)
            else:
                if reply is not None and not reply.done():
                    reply.set_result(result)

    def tell(self, msg: Any) -> None:
        self.queue.put_nowait((msg, None))

    def ask(self, msg: Any) -> asyncio.Future[Any]:
        reply = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((msg, reply))
        return reply

    def tell_stop(self) -> None:
        """A message after which the actor ends its own Task (its way of stopping itself)."""
        self.queue.put_nowait((_STOP, None))

    async def stop(self) -> None:
        self.tell_stop()
        await self.task


_STOP = object()
