"""Shared plumbing for the bench scripts: loop selection, the selected-benchmark filter, the
airsrt actors the rows use, and the burst size that keeps the bench's own mailboxes quiet."""

from __future__ import annotations

import asyncio
import fnmatch
import gc
import json
import resource
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pyperf

import airsrt

# The clock every timed function reads. Wall time (pyperf's norm) unless the runner passes
# ``--clock cpu`` (the regression check): the process's CPU time, which does not advance while
# other processes on a shared machine have the CPU. Read as ``common.now()`` so the switch,
# made once the options are parsed, reaches every script.
now = time.perf_counter

# airsrt logs a warning when a mailbox first holds 10,000 messages (it receives faster than it
# handles). The bench's producers send at most BURST messages to one actor before waiting for
# them to be handled, so the bench's own actors never trip it; every row that sends more than a
# burst says so in its label ("in bursts of 5,000").
BURST = 5_000


def matches(name: str, pattern: str) -> bool:
    """Shell-style wildcards (``*``, ``?``); brackets match themselves, as in ``tell[airsrt]``."""
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]"))


class Runner(pyperf.Runner):
    """pyperf's Runner, skipping the benchmarks ``--only`` leaves out.

    The parent and its worker processes apply the same filter (``--only`` is passed on), so
    pyperf's numbering of worker tasks stays consistent.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only: list[str] = []

    def selected(self, name: str) -> bool:
        return not self.only or any(matches(name, p) for p in self.only)

    def bench_time_func(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.selected(name):
            return None
        return super().bench_time_func(name, *args, **kwargs)

    def bench_func(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.selected(name):
            return None
        return super().bench_func(name, *args, **kwargs)


def make_runner(
    *, processes: int = 10, values: int = 3, min_time: float = 0.1,
    extra: dict[str, Any] | None = None,
) -> tuple[Runner, Any]:
    """A pyperf Runner for one bench script.

    10 processes x 3 values unless a script asks otherwise (half pyperf's default; the runner
    passes fewer for its shorter runs). Besides pyperf's own options it takes ``--loop
    asyncio|uvloop``, ``--only PATTERN[,PATTERN...]`` (benchmark names, shell-style wildcards) and
    the `extra` integer options (name -> default), and passes them on to its worker processes.
    """
    extra = extra or {}

    def forward(cmd: list[str], args: Any) -> None:
        cmd.extend(["--loop", args.loop, "--clock", args.clock])
        if args.only:
            cmd.extend(["--only", args.only])
        for name in extra:
            cmd.extend([f"--{name}", str(getattr(args, name))])

    runner = Runner(
        processes=processes, values=values, min_time=min_time, add_cmdline_args=forward
    )
    runner.argparser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    runner.argparser.add_argument("--only", default="", help="benchmarks to run (comma-separated)")
    runner.argparser.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall",
        help="wall: time.perf_counter; cpu: time.process_time (not counting other processes)")
    for name, default in extra.items():
        runner.argparser.add_argument(f"--{name}", type=int, default=default)
    args = runner.parse_args()
    runner.only = [p for p in args.only.split(",") if p]
    runner.metadata["event_loop"] = args.loop
    runner.metadata["bench_clock"] = args.clock
    if args.clock == "cpu":
        global now
        now = time.process_time
    return runner, args


def emit(values: dict[str, float | list[float]], **meta: Any) -> None:
    """What a JSON bench script prints: its values (a number, or the samples of one) and the
    sizes it ran with. The runner reads one such line from each run of a script."""
    print(json.dumps({"values": values, "meta": meta}))


def rss_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def cpu() -> tuple[float, float, int]:
    """User and system CPU seconds of this process so far, and its minor page faults."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime, usage.ru_minflt


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


# The loop-blocking watchdog stays on (its per-message bookkeeping is what production pays), but
# with a limit no bench handler reaches: they are all trivial, and on a shared machine a process
# that is merely descheduled for a moment made them look "slow" (0.1 s, the default limit).
WATCHDOG_LIMIT = 60.0


def system() -> airsrt.ActorSystem:
    # Failure logging off, as DESIGN §5 requires of every measured row.
    return airsrt.ActorSystem(
        log_failures=False, event_history=0, slow_handler_limit=WATCHDOG_LIMIT)


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
