"""Shared plumbing for the pyperf scripts: loop selection and the airsrt actors used by rows."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from typing import Any

import pyperf

import airsrt


def make_runner(
    *, processes: int = 10, values: int = 3, min_time: float = 0.1,
    extra: dict[str, Any] | None = None,
) -> tuple[pyperf.Runner, Any]:
    """A pyperf Runner (10 processes x 3 values unless a script asks otherwise: half pyperf's
    default, which keeps the full suite near half an hour) that also takes ``--loop asyncio|uvloop`` (and the `extra` integer
    options, name -> default) and passes them on to its worker processes."""
    extra = extra or {}

    def forward(cmd: list[str], args: Any) -> None:
        cmd.extend(["--loop", args.loop])
        for name in extra:
            cmd.extend([f"--{name}", str(getattr(args, name))])

    runner = pyperf.Runner(
        processes=processes, values=values, min_time=min_time, add_cmdline_args=forward
    )
    runner.argparser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    for name, default in extra.items():
        runner.argparser.add_argument(f"--{name}", type=int, default=default)
    args = runner.parse_args()
    runner.metadata["event_loop"] = args.loop
    return runner, args


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(kind: str, coro_fn: Callable[[], Coroutine[Any, Any, float]]) -> float:
    """Runs one timed coroutine on a fresh loop, GC on (as in production), returns its timing."""
    loop = new_loop(kind)
    try:
        gc.collect()
        return loop.run_until_complete(coro_fn())
    finally:
        loop.close()


async def cancel_all(actors: list[Any]) -> None:
    """Ends baseline actors (cancels their Tasks and waits for them)."""
    for actor in actors:
        actor.task.cancel()
    await asyncio.gather(*(a.task for a in actors), return_exceptions=True)


def system() -> airsrt.ActorSystem:
    # Failure logging off, as DESIGN §5 requires of every measured row.
    return airsrt.ActorSystem(log_failures=False, event_history=0)


class Inc:
    __slots__ = ()


class Get(airsrt.Message[int]):
    __slots__ = ()


class Counter(airsrt.Actor):
    """The workhorse of the messaging rows: a sync handler doing the least work possible."""

    def __init__(self) -> None:
        self.n = 0

    @airsrt.handler
    def inc(self, msg: Inc) -> None:
        self.n += 1

    @airsrt.handler
    def get(self, msg: Get) -> int:
        return self.n


class Idle(airsrt.Actor):
    """An actor with one handler and no state: what spawn and memory rows create."""

    @airsrt.handler
    def get(self, msg: Get) -> int:
        return 0


def counter_handler() -> Callable[[Any], Any]:
    """The same workload for the baseline: count Incs, answer Gets."""
    state = [0]

    def handle(msg: Any) -> Any:
        if type(msg) is Inc:
            state[0] += 1
            return None
        return state[0]

    return handle
