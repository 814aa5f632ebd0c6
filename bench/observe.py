"""pyperf script, observer area: what ``system.snapshot()`` costs, and what an open page costs
the tell benchmark.

Rows (every value is a cost; lower is better):

- ``observe.snapshot_N10k[airsrt]``, ``observe.snapshot_N1M[airsrt]``: one ``system.snapshot()``
  of 10,000 / 1,000,000 idle actors in pools of 1,000 / 10,000 workers (each worker is also a
  child spec of its pool's supervisor, so the supervisors' records are built too).
- ``observe.totals_N1M[airsrt]``: the walk behind the page's once-a-second totals (actors,
  messages waiting, busy actors) over the same million, no records built.
- ``observe.tell_no_observer[airsrt]``, ``observe.tell_page_closed[airsrt]``,
  ``observe.tell_page_open[airsrt]``: the messaging tell row (100k tells to one actor in bursts
  of 5,000, each answered by an ask; per message) with no observer, with an observer serving but no page open, and with a
  page open -- a client in another process holding the event stream and fetching the tree and
  an actor's details every second, as the page does. Same workload, same run: compare their
  ratios.
- the same three with a ``_cpu`` suffix: timed by the loop thread's CPU time rather than the
  wall clock, which other processes on a shared machine cannot inflate (what the observer
  makes the loop do is all counted; the page's own process is not).

Run through the bench runner, or directly: ``python bench/observe.py -o observe.json``.
``python bench/observe.py --loop-share`` measures instead what share of the loop the observer
takes while the system is idle, with no page and with a page open (printed as JSON).
"""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import time
from typing import Any

import common

import airsrt

TELL_N = 100_000

# A page, in another process: the event stream, plus the tree and the selected actor's
# details once a second (stdlib only, so the bench needs nothing more than the observe extra).
PAGE_CLIENT = r"""
import http.client, sys, threading, time, urllib.parse
host, port, actor = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def stream():
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", "/api/events")
    response = conn.getresponse()
    while response.readline():
        pass

threading.Thread(target=stream, daemon=True).start()
conn = http.client.HTTPConnection(host, port)
while True:
    for path in ("/api/tree?expand=" + urllib.parse.quote(actor.split(":")[0] + ":0"),
                 "/api/actor?id=" + urllib.parse.quote(actor)):
        conn.request("GET", path)
        conn.getresponse().read()
    time.sleep(1.0)
"""

# Systems of many actors are built once per worker process and reused by every value.
_large: dict[int, tuple[asyncio.AbstractEventLoop, airsrt.ActorSystem]] = {}


def large_system(kind: str, n: int) -> tuple[asyncio.AbstractEventLoop, airsrt.ActorSystem]:
    if n not in _large:
        loop = common.new_loop(kind)
        system = common.system()

        async def build() -> None:
            system.start()
            size = 1_000 if n <= 10_000 else 10_000
            for _ in range(n // size):
                pool = system.spawn_pool(common.Idle, size=size)
                await pool.ready()

        loop.run_until_complete(build())
        gc.collect()
        _large[n] = (loop, system)
    return _large[n]


def snapshot(loops: int, kind: str, n: int) -> float:
    loop, system = large_system(kind, n)

    async def main() -> float:
        t0 = time.perf_counter()
        for _ in range(loops):
            snap = system.snapshot()
            assert len(snap.actors) > n
            del snap
        return time.perf_counter() - t0

    return loop.run_until_complete(main())


def totals(loops: int, kind: str, n: int) -> float:
    loop, system = large_system(kind, n)
    walk = airsrt._core._snapshot_totals

    async def main() -> float:
        t0 = time.perf_counter()
        for _ in range(loops):
            walk(system)
        return time.perf_counter() - t0

    return loop.run_until_complete(main())


def tell(loops: int, kind: str, mode: str, clock: str = "wall") -> float:
    """The messaging row's tell workload, with no observer, an idle one, or a page open.

    `clock` "cpu" times the loop thread's CPU time instead of the wall clock: on a shared
    machine other processes' load swamps a 5 % difference in wall time, while the loop
    thread's own CPU time still counts everything the observer makes it do.
    """
    timer = time.thread_time if clock == "cpu" else time.perf_counter

    async def main() -> float:
        async with common.system() as system:
            ref = system.spawn(common.Counter)
            observer: Any = None
            page: subprocess.Popen[bytes] | None = None
            if mode != "none":
                import airsrt.observe

                observer = await airsrt.observe.serve(system)
            try:
                if mode == "open":
                    page = subprocess.Popen(
                        [sys.executable, "-c", PAGE_CLIENT, observer.host, str(observer.port),
                         f"{system.name}:{ref._uid}"],
                    )
                    deadline = time.monotonic() + 30
                    while observer.clients < 1:
                        if time.monotonic() > deadline:
                            raise RuntimeError("the page client did not connect")
                        await asyncio.sleep(0.01)
                    await asyncio.sleep(1.5)  # it has fetched the tree once and holds the stream
                inc, get, send = common.Inc(), common.Get(), ref.tell
                burst = range(common.BURST)
                t0 = timer()
                for _ in range(loops):
                    # As the messaging row: bursts, each answered by an ask (so the mailbox
                    # stays under the warning, and the loop turns: the observer gets its share).
                    for _ in range(TELL_N // common.BURST):
                        for _ in burst:
                            send(inc)
                        await ref.ask(get)
                elapsed = timer() - t0
            finally:
                if page is not None:
                    page.kill()
                    page.wait()
                if observer is not None:
                    await observer.close()
            return elapsed

    return common.run(kind, main)


def loop_share(seconds: float = 10.0) -> dict[str, float]:
    """The loop thread's CPU time per wall second spent while the system is otherwise idle:
    with an observer and no page, then with a page open (the same client as the tell rows),
    for a system of one actor and one of 10,000. Not a pyperf row: it measures the observer's
    own work directly, which other processes' load does not inflate the way it does wall time.
    """
    import airsrt.observe

    async def measure(n: int) -> dict[str, float]:
        async with common.system() as system:
            ref = system.spawn(common.Counter)
            for _ in range(n // 1_000):
                await system.spawn_pool(common.Idle, size=1_000).ready()
            observer = await airsrt.observe.serve(system)
            out: dict[str, float] = {}
            for mode in ("closed", "open"):
                page = None
                if mode == "open":
                    page = subprocess.Popen([sys.executable, "-c", PAGE_CLIENT, observer.host,
                                             str(observer.port), f"{system.name}:{ref._uid}"])
                    while observer.clients < 1:
                        await asyncio.sleep(0.01)
                    await asyncio.sleep(1.5)
                c0, w0 = time.thread_time(), time.perf_counter()
                await asyncio.sleep(seconds)
                out[f"N{n}_page_{mode}_ms_per_s"] = (time.thread_time() - c0) / (time.perf_counter() - w0) * 1e3
                if page is not None:
                    page.kill()
                    page.wait()
            await observer.close()
            return out

    result: dict[str, float] = {}
    for n in (1, 10_000):
        result.update(asyncio.run(measure(n)))
    return result


def main() -> None:
    if "--loop-share" in sys.argv:
        import json

        print(json.dumps(loop_share(), indent=1))
        return
    runner, args = common.make_runner(processes=4, values=3)
    kind = args.loop
    runner.bench_time_func("observe.snapshot_N10k[airsrt]", snapshot, kind, 10_000)
    runner.bench_time_func("observe.snapshot_N1M[airsrt]", snapshot, kind, 1_000_000)
    runner.bench_time_func("observe.totals_N1M[airsrt]", totals, kind, 1_000_000)
    for clock, suffix in (("wall", ""), ("cpu", "_cpu")):
        for mode, name in (("none", "no_observer"), ("closed", "page_closed"), ("open", "page_open")):
            runner.bench_time_func(
                f"observe.tell_{name}{suffix}[airsrt]", tell, kind, mode, clock, inner_loops=TELL_N
            )


if __name__ == "__main__":
    main()
