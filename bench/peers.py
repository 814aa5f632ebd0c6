"""pyperf script: the messaging rows for the other Python actor libraries a user might pick.

- pykka (one thread per actor; ``tell``, blocking ``ask``),
- thespian with ``simpleSystemBase`` (actors run in the caller's thread during ``tell``/``ask``),
- xoscar (asyncio; an in-process actor pool, ``await ref.method()`` as ask, ``.tell()`` as tell).

Each library runs the same three workloads as airsrt's rows: spawn (per actor), tell -> handled
(N tells, then one ask that returns after all of them), and one ask round trip. Libraries that are
not installed are left out; ``python -m bench`` says so beside the table. Install them with
``pip install -e ".[peers]"``. The sizes are smaller than airsrt's (spawning a thread per pykka
actor costs hundreds of microseconds), and every row is still per operation.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from typing import Any

import common

SPAWN_N = 200
TELL_N = 10_000
PEERS = ("pykka", "thespian", "xoscar")


def installed() -> list[str]:
    """The peers importable in this environment."""
    return [name for name in PEERS if importlib.util.find_spec(name) is not None]


def is_inc(msg: Any) -> bool:
    return type(msg) is common.Inc


# -- pykka ---------------------------------------------------------------------------------------


def pykka_actor() -> Any:
    import pykka

    class Counter(pykka.ThreadingActor):
        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        def on_receive(self, message: Any) -> Any:
            if is_inc(message):
                self.n += 1
                return None
            return self.n

    return Counter


def pykka_bench(loops: int, workload: str) -> float:
    counter = pykka_actor()
    inc, get = common.Inc(), common.Get()
    if workload == "spawn":
        total = 0.0
        for _ in range(loops):
            t0 = time.perf_counter()
            refs = [counter.start() for _ in range(SPAWN_N)]
            total += time.perf_counter() - t0
            for ref in refs:
                ref.stop()
        return total
    ref = counter.start()
    try:
        t0 = time.perf_counter()
        for _ in range(loops):
            if workload == "tell":
                for _ in range(TELL_N):
                    ref.tell(inc)
            ref.ask(get)
        return time.perf_counter() - t0
    finally:
        ref.stop()


# -- thespian --------------------------------------------------------------------------------------


def thespian_bench(loops: int, workload: str) -> float:
    from thespian.actors import Actor, ActorSystem

    class Counter(Actor):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        def receiveMessage(self, message: Any, sender: Any) -> None:  # noqa: N802 (their API)
            if is_inc(message):
                self.n += 1
            elif type(message) is common.Get:
                self.send(sender, self.n)

    system = ActorSystem("simpleSystemBase")
    inc, get = common.Inc(), common.Get()
    try:
        if workload == "spawn":
            total = 0.0
            for _ in range(loops):
                t0 = time.perf_counter()
                addrs = [system.createActor(Counter) for _ in range(SPAWN_N)]
                total += time.perf_counter() - t0
                for addr in addrs:
                    system.tell(addr, _exit_request())
            return total
        addr = system.createActor(Counter)
        t0 = time.perf_counter()
        for _ in range(loops):
            if workload == "tell":
                for _ in range(TELL_N):
                    system.tell(addr, inc)
            system.ask(addr, get, 10)
        return time.perf_counter() - t0
    finally:
        system.shutdown()


def _exit_request() -> Any:
    from thespian.actors import ActorExitRequest

    return ActorExitRequest()


# -- xoscar ----------------------------------------------------------------------------------------


def xoscar_bench(loops: int, workload: str) -> float:
    import xoscar as xo

    class Counter(xo.Actor):  # type: ignore[misc]
        def __init__(self) -> None:
            self.n = 0

        def inc(self) -> None:
            self.n += 1

        def get(self) -> int:
            return self.n

    async def main() -> float:
        pool = await xo.create_actor_pool("127.0.0.1:0", n_process=0)
        async with pool:
            address = pool.external_address
            if workload == "spawn":
                total = 0.0
                for i in range(loops):
                    t0 = time.perf_counter()
                    refs = [
                        await xo.create_actor(Counter, address=address, uid=f"c{i}.{j}")
                        for j in range(SPAWN_N)
                    ]
                    total += time.perf_counter() - t0
                    for ref in refs:
                        await xo.destroy_actor(ref)
                return total
            ref = await xo.create_actor(Counter, address=address, uid="counter")
            t0 = time.perf_counter()
            for _ in range(loops):
                if workload == "tell":
                    for _ in range(TELL_N):
                        await ref.inc.tell()
                await ref.get()
            return time.perf_counter() - t0

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


BENCHES = {"pykka": pykka_bench, "thespian": thespian_bench, "xoscar": xoscar_bench}
INNER = {"spawn": SPAWN_N, "tell": TELL_N, "ask": 1}


def main() -> None:
    # Peers are slow and noisy (threads, sockets): fewer processes keep the run short.
    runner, _ = common.make_runner(processes=4, values=3)
    for name in installed():
        for workload, inner in INNER.items():
            runner.bench_time_func(f"{workload}[{name}]", BENCHES[name], workload, inner_loops=inner)


if __name__ == "__main__":
    main()
