"""A small Server-Sent Events reader for the observer's tests (over aiohttp's client)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass
class SSE:
    event: str
    data: Any
    id: str | None


class SSEReader:
    """Reads events from a streaming response, one at a time, each read bounded in time."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.retry: int | None = None

    async def next(self, timeout: float = 10.0) -> SSE:
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> SSE:
        event, data, ident = "message", [], None
        while True:
            raw = await self.response.content.readline()
            if not raw:
                raise EOFError("the event stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if data:
                    return SSE(event, json.loads("\n".join(data)), ident)
                continue
            field, _, value = line.partition(": ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                ident = value
            elif field == "retry":
                self.retry = int(value)

    async def until(self, predicate: Any, timeout: float = 10.0) -> SSE:
        """The first event for which `predicate(event)` is true (others are skipped)."""
        async def scan() -> SSE:
            while True:
                event = await self._next()
                if predicate(event):
                    return event
        return await asyncio.wait_for(scan(), timeout)
