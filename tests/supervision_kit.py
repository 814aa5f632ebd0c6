"""Shared actors and helpers for the supervision tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import airsrt
from airsrt import Actor, handler


@dataclass
class Journal:
    """Lifecycle lines from every incarnation of every child, in order."""

    lines: list[str] = field(default_factory=list)
    fail_start: set[str] = field(default_factory=set)
    starts: dict[str, int] = field(default_factory=dict)

    def only(self, prefix: str) -> list[str]:
        return [line for line in self.lines if line.startswith(prefix)]


@dataclass(frozen=True)
class Crash:
    pass


@dataclass(frozen=True)
class Quit:
    reason: str = "normal"


@dataclass(frozen=True)
class Hang:
    seconds: float = 3600.0


class Incarnation(airsrt.Message[int]):
    pass


@dataclass(frozen=True)
class Record:
    text: str


class Worker(Actor):
    """A child that logs its lifecycle and can crash, quit or hang on request."""

    def __init__(self, journal: Journal, tag: str) -> None:
        self.journal = journal
        self.tag = tag

    def on_start(self) -> None:
        self.journal.starts[self.tag] = self.journal.starts.get(self.tag, 0) + 1
        if self.tag in self.journal.fail_start:
            raise RuntimeError(f"{self.tag} cannot start")
        self.journal.lines.append(f"start {self.tag}")

    def on_stop(self) -> None:
        self.journal.lines.append(f"stop {self.tag}")

    @handler
    def crash(self, msg: Crash) -> None:
        raise RuntimeError(f"{self.tag} crashed")

    @handler
    def quit(self, msg: Quit) -> None:
        self.context.stop(msg.reason)

    @handler
    async def hang(self, msg: Hang) -> str:
        await asyncio.sleep(msg.seconds)
        return "done"

    @handler
    def incarnation(self, msg: Incarnation) -> int:
        return self.context.ref.incarnation

    @handler
    def record(self, msg: Record) -> None:
        self.journal.lines.append(f"{self.tag} got {msg.text}")


def specs(journal: Journal, *tags: str, **options) -> list[airsrt.ChildSpec]:
    return [airsrt.ChildSpec(tag, Worker, journal, tag, **options) for tag in tags]


async def settled(sup: airsrt.SupervisorRef) -> list[airsrt.ChildInfo]:
    """Waits until the supervisor has acted on everything reported so far."""
    for _ in range(3):
        await asyncio.sleep(0)
    return await sup.which_children()


def incarnations(infos: list[airsrt.ChildInfo]) -> dict[str, int | None]:
    return {i.id: (i.ref.incarnation if i.ref is not None and i.ref.is_alive else None) for i in infos}
