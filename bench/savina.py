"""pyperf script: the Savina actor benchmarks (Imam & Sarkar, 2014), airsrt and the baseline.

Each workload runs exactly the same algorithm on airsrt actors and on the asyncio baseline
(one Queue + one Task per actor); one pyperf value is one whole run of the workload.

- PingPong: two actors send a message back and forth, N round trips, strictly one at a time.
- Counting: the producer sends N increments to a counter actor, then asks it for the total.
- ThreadRing: R hops of a token with a counter around a ring of A actors.
- Fork-Join creation: create N actors, each handles one message (a sin^2 computation) and
  reports to a collector.
- Fork-Join throughput: A actors each handle N such messages.

Counting and Fork-Join throughput send in bursts of ``common.BURST`` messages per actor, each burst
followed by an ask to every receiver (answered once the burst is handled), and Fork-Join creation
creates its workers in bursts of as many, waiting for the collector to have their reports, so no
mailbox of the bench reaches airsrt's 10,000-message warning; the baseline and the Erlang version
(``bench/erlang``) do the same.
- Big: W actors each send N pings to random peers, who answer pong; a worker sends its next
  ping when its pong arrives.
- Chameneos: C creatures meet in pairs through a mall actor, M meetings in all.

Sizes default to the suite's own (Savina's defaults); ``--scale`` divides the message counts
(not the number of actors, so each workload keeps its shape; the runner passes 10 for --fast).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from typing import Any

import common
import sizes
from baseline import QueueActor

import airsrt

SIZES = sizes.SAVINA
MESSAGES = sizes.SAVINA_MESSAGES


def sized(workload: str, scale: int) -> dict[str, int]:
    return sizes.savina_size(workload, scale)


def bursts(n: int) -> list[range]:
    """0 .. n-1 in slices of at most `common.BURST`."""
    return [range(i, min(i + common.BURST, n)) for i in range(0, n, common.BURST)]


def work(x: float) -> float:
    """The tiny computation of the Fork-Join workloads."""
    s = math.sin(x)
    return s * s


# -- messages (shared by both implementations) --------------------------------------------------


class Ping:
    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


class Pong:
    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


class Token:
    __slots__ = ("hops",)

    def __init__(self, hops: int) -> None:
        self.hops = hops


class Compute:
    __slots__ = ("x",)

    def __init__(self, x: float) -> None:
        self.x = x


class BigPing:
    __slots__ = ("sender",)

    def __init__(self, sender: Any) -> None:
        self.sender = sender


class BigPong:
    __slots__ = ()


class Meet:
    __slots__ = ("creature", "color")

    def __init__(self, creature: Any, color: int) -> None:
        self.creature = creature
        self.color = color


class Partner:
    __slots__ = ("color",)

    def __init__(self, color: int) -> None:
        self.color = color


class Go:
    __slots__ = ()


class Milestone:
    """Fork-Join creation: resolve `reached` once `at` reports have arrived (ends a burst)."""

    __slots__ = ("at", "reached")

    def __init__(self, at: int, reached: asyncio.Future[None]) -> None:
        self.at = at
        self.reached = reached


BIG_PONG = BigPong()
GO = Go()


def complement(a: int, b: int) -> int:
    return a if a == b else 3 - a - b


# -- airsrt implementations ---------------------------------------------------------------------


class APonger(airsrt.Actor):
    def __init__(self) -> None:
        self.pinger: Any = None

    @airsrt.handler
    def ping(self, msg: Ping) -> None:
        self.pinger.tell(Pong(msg.left))


class APinger(airsrt.Actor):
    def __init__(self, ponger: airsrt.ActorRef, done: asyncio.Future[None]) -> None:
        self.ponger = ponger
        self.done = done

    @airsrt.handler
    def pong(self, msg: Pong) -> None:
        if msg.left == 0:
            self.done.set_result(None)
        else:
            self.ponger.tell(Ping(msg.left - 1))


class ARingNode(airsrt.Actor):
    def __init__(self, done: asyncio.Future[None]) -> None:
        self.next: Any = None
        self.done = done

    @airsrt.handler
    def link(self, msg: airsrt.ActorRef) -> None:
        self.next = msg

    @airsrt.handler
    def token(self, msg: Token) -> None:
        if msg.hops == 0:
            self.done.set_result(None)
        else:
            self.next.tell(Token(msg.hops - 1))


class ASink(airsrt.Actor):
    """Counts reports; resolves `done` after `expected` of them, and a milestone's future once
    that many have arrived."""

    def __init__(self, expected: int, done: asyncio.Future[None]) -> None:
        self.left = expected
        self.done = done
        self.received = 0
        self.milestone: Milestone | None = None

    @airsrt.handler
    def report(self, msg: float) -> None:
        self.received += 1
        if self.milestone is not None and self.received == self.milestone.at:
            self.milestone.reached.set_result(None)
            self.milestone = None
        self.left -= 1
        if self.left == 0:
            self.done.set_result(None)

    @airsrt.handler
    def mark(self, msg: Milestone) -> None:
        self.milestone = msg


class AWorker(airsrt.Actor):
    """Fork-Join: computes, and reports every `per` messages."""

    def __init__(self, sink: airsrt.ActorRef, per: int) -> None:
        self.sink = sink
        self.per = per
        self.seen = 0

    @airsrt.handler
    def compute(self, msg: Compute) -> None:
        result = work(msg.x)
        self.seen += 1
        if self.seen == self.per:
            self.sink.tell(result)

    @airsrt.handler
    def get(self, msg: common.Get) -> int:
        return self.seen


class ABig(airsrt.Actor):
    def __init__(self, n: int, sink: airsrt.ActorRef, seed: int) -> None:
        self.left = n
        self.sink = sink
        self.rng = random.Random(seed)
        self.peers: list[Any] = []
        self.me = self.context.ref

    @airsrt.handler
    def peers_(self, msg: list) -> None:
        self.peers = msg

    @airsrt.handler
    def go(self, msg: Go) -> None:
        self.peers[self.rng.randrange(len(self.peers))].tell(BigPing(self.me))

    @airsrt.handler
    def ping(self, msg: BigPing) -> None:
        msg.sender.tell(BIG_PONG)

    @airsrt.handler
    def pong(self, msg: BigPong) -> None:
        self.left -= 1
        if self.left == 0:
            self.sink.tell(0.0)
        else:
            self.peers[self.rng.randrange(len(self.peers))].tell(BigPing(self.me))


class AMall(airsrt.Actor):
    def __init__(self, meetings: int, done: asyncio.Future[None]) -> None:
        self.left = meetings
        self.waiting: Meet | None = None
        self.done = done

    @airsrt.handler
    def meet(self, msg: Meet) -> None:
        if self.left == 0:
            return
        if self.waiting is None:
            self.waiting = msg
            return
        first, self.waiting = self.waiting, None
        first.creature.tell(Partner(msg.color))
        msg.creature.tell(Partner(first.color))
        self.left -= 1
        if self.left == 0:
            self.done.set_result(None)


class ACreature(airsrt.Actor):
    def __init__(self, mall: airsrt.ActorRef, color: int) -> None:
        self.mall = mall
        self.color = color
        self.me = self.context.ref

    @airsrt.handler
    def go(self, msg: Go) -> None:
        self.mall.tell(Meet(self.me, self.color))

    @airsrt.handler
    def partner(self, msg: Partner) -> None:
        self.color = complement(self.color, msg.color)
        self.mall.tell(Meet(self.me, self.color))


async def airsrt_run(workload: str, size: dict[str, int]) -> float:
    async with common.system() as system:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        if workload == "pingpong":
            ponger = system.spawn(APonger)
            pinger = system.spawn(APinger, ponger, done)
            ponger._actor.pinger = pinger
            t0 = common.now()
            ponger.tell(Ping(size["n"]))
            await done
        elif workload == "counting":
            counter = system.spawn(common.Counter)
            inc, get, tell = common.Inc(), common.Get(), counter.tell
            t0 = common.now()
            for burst in bursts(size["n"]):
                for _ in burst:
                    tell(inc)
                if burst.stop < size["n"]:
                    await counter.ask(get)
            assert await counter.ask(get) == size["n"]
        elif workload == "threadring":
            nodes = [system.spawn(ARingNode, done) for _ in range(size["actors"])]
            for i, node in enumerate(nodes):
                node.tell(nodes[(i + 1) % len(nodes)])  # each node gets its link before the token
            t0 = common.now()
            nodes[0].tell(Token(size["hops"]))
            await done
        elif workload == "fj_create":
            t0 = common.now()
            sink = system.spawn(ASink, size["n"], done)
            for burst in bursts(size["n"]):
                last = burst.stop == size["n"]
                if not last:
                    reached = loop.create_future()
                    sink.tell(Milestone(burst.stop, reached))
                for i in burst:
                    system.spawn(AWorker, sink, 1).tell(Compute(float(i)))
                if not last:
                    await reached
            await done
        elif workload == "fj_throughput":
            sink = system.spawn(ASink, size["actors"], done)
            workers = [system.spawn(AWorker, sink, size["n"]) for _ in range(size["actors"])]
            get = common.Get()
            t0 = common.now()
            for burst in bursts(size["n"]):
                for i in burst:
                    msg = Compute(float(i))
                    for worker in workers:
                        worker.tell(msg)
                if burst.stop < size["n"]:
                    for worker in workers:
                        await worker.ask(get)
            await done
        elif workload == "big":
            sink = system.spawn(ASink, size["workers"], done)
            workers = [system.spawn(ABig, size["n"], sink, seed) for seed in range(size["workers"])]
            for worker in workers:
                worker.tell(workers)
            t0 = common.now()
            for worker in workers:
                worker.tell(GO)
            await done
        elif workload == "chameneos":
            mall = system.spawn(AMall, size["meetings"], done)
            creatures = [system.spawn(ACreature, mall, i % 3) for i in range(size["creatures"])]
            t0 = common.now()
            for creature in creatures:
                creature.tell(GO)
            await done
        else:  # pragma: no cover
            raise ValueError(workload)
        return common.now() - t0


# -- baseline implementations (same algorithms, one Queue + one Task per actor) ------------------


async def baseline_run(workload: str, size: dict[str, int]) -> float:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    actors: list[QueueActor] = []

    def spawn(handler: Callable[[Any], Any]) -> QueueActor:
        actor = QueueActor(handler)
        actors.append(actor)
        return actor

    try:
        if workload == "pingpong":
            box: dict[str, QueueActor] = {}

            def ponger(msg: Ping) -> None:
                box["pinger"].tell(Pong(msg.left))

            def pinger(msg: Pong) -> None:
                if msg.left == 0:
                    done.set_result(None)
                else:
                    box["ponger"].tell(Ping(msg.left - 1))

            box["ponger"], box["pinger"] = spawn(ponger), spawn(pinger)
            t0 = common.now()
            box["ponger"].tell(Ping(size["n"]))
            await done
        elif workload == "counting":
            count = [0]

            def counter(msg: Any) -> int | None:
                if type(msg) is common.Inc:
                    count[0] += 1
                    return None
                return count[0]

            actor = spawn(counter)
            inc, get, tell = common.Inc(), common.Get(), actor.tell
            t0 = common.now()
            for burst in bursts(size["n"]):
                for _ in burst:
                    tell(inc)
                if burst.stop < size["n"]:
                    await actor.ask(get)
            assert await actor.ask(get) == size["n"]
        elif workload == "threadring":
            ring: list[QueueActor] = []

            def node(index: int) -> Callable[[Token], None]:
                def handle(msg: Token) -> None:
                    if msg.hops == 0:
                        done.set_result(None)
                    else:
                        ring[(index + 1) % len(ring)].tell(Token(msg.hops - 1))

                return handle

            ring.extend(spawn(node(i)) for i in range(size["actors"]))
            t0 = common.now()
            ring[0].tell(Token(size["hops"]))
            await done
        elif workload in ("fj_create", "fj_throughput"):
            per = 1 if workload == "fj_create" else size["n"]
            expected = size["n"] if workload == "fj_create" else size["actors"]
            left = [expected]
            received = [0]
            milestone: list[Milestone] = []

            def sink(msg: Any) -> None:
                if type(msg) is Milestone:
                    milestone.append(msg)
                    return
                received[0] += 1
                if milestone and received[0] == milestone[0].at:
                    milestone.pop().reached.set_result(None)
                left[0] -= 1
                if left[0] == 0:
                    done.set_result(None)

            def worker(sink_actor: QueueActor) -> Callable[[Any], Any]:
                seen = [0]

                def handle(msg: Any) -> Any:
                    if type(msg) is common.Get:
                        return seen[0]
                    result = work(msg.x)
                    seen[0] += 1
                    if seen[0] == per:
                        sink_actor.tell(result)
                    return None

                return handle

            if workload == "fj_create":
                t0 = common.now()
                sink_actor = spawn(sink)
                for burst in bursts(size["n"]):
                    last = burst.stop == size["n"]
                    if not last:
                        reached = loop.create_future()
                        sink_actor.tell(Milestone(burst.stop, reached))
                    for i in burst:
                        spawn(worker(sink_actor)).tell(Compute(float(i)))
                    if not last:
                        await reached
            else:
                sink_actor = spawn(sink)
                workers = [spawn(worker(sink_actor)) for _ in range(size["actors"])]
                get = common.Get()
                t0 = common.now()
                for burst in bursts(size["n"]):
                    for i in burst:
                        msg = Compute(float(i))
                        for w in workers:
                            w.tell(msg)
                    if burst.stop < size["n"]:
                        for w in workers:
                            await w.ask(get)
            await done
        elif workload == "big":
            finished = [size["workers"]]
            peers: list[QueueActor] = []

            def sink_big(msg: float) -> None:
                finished[0] -= 1
                if finished[0] == 0:
                    done.set_result(None)

            sink_actor = spawn(sink_big)

            def big(seed: int) -> Callable[[Any], None]:
                rng = random.Random(seed)
                left = [size["n"]]
                me: list[QueueActor] = []

                def handle(msg: Any) -> None:
                    kind = type(msg)
                    if kind is BigPing:
                        msg.sender.tell(BIG_PONG)
                    elif kind is BigPong:
                        left[0] -= 1
                        if left[0] == 0:
                            sink_actor.tell(0.0)
                        else:
                            peers[rng.randrange(len(peers))].tell(BigPing(me[0]))
                    else:  # Go
                        peers[rng.randrange(len(peers))].tell(BigPing(me[0]))

                handle.me = me  # type: ignore[attr-defined]
                return handle

            for seed in range(size["workers"]):
                handler = big(seed)
                actor = spawn(handler)
                handler.me.append(actor)  # type: ignore[attr-defined]
                peers.append(actor)
            t0 = common.now()
            for actor in peers:
                actor.tell(GO)
            await done
        elif workload == "chameneos":
            state: dict[str, Any] = {"left": size["meetings"], "waiting": None}

            def mall(msg: Meet) -> None:
                if state["left"] == 0:
                    return
                if state["waiting"] is None:
                    state["waiting"] = msg
                    return
                first, state["waiting"] = state["waiting"], None
                first.creature.tell(Partner(msg.color))
                msg.creature.tell(Partner(first.color))
                state["left"] -= 1
                if state["left"] == 0:
                    done.set_result(None)

            mall_actor = spawn(mall)

            def creature(color: int) -> Callable[[Any], None]:
                me: list[QueueActor] = []
                current = [color]

                def handle(msg: Any) -> None:
                    if type(msg) is Partner:
                        current[0] = complement(current[0], msg.color)
                    mall_actor.tell(Meet(me[0], current[0]))

                handle.me = me  # type: ignore[attr-defined]
                return handle

            creatures = []
            for i in range(size["creatures"]):
                handler = creature(i % 3)
                actor = spawn(handler)
                handler.me.append(actor)  # type: ignore[attr-defined]
                creatures.append(actor)
            t0 = common.now()
            for actor in creatures:
                actor.tell(GO)
            await done
        else:  # pragma: no cover
            raise ValueError(workload)
        return common.now() - t0
    finally:
        await common.cancel_all(actors)


def run_workload(loops: int, kind: str, impl: str, workload: str, scale: int) -> float:
    size = sized(workload, scale)
    total = 0.0
    for _ in range(loops):
        fn = airsrt_run if impl == "airsrt" else baseline_run
        total += common.run(kind, lambda: fn(workload, size))
    return total


def main() -> None:
    runner, args = common.make_runner(processes=3, values=1, extra={"scale": 1})
    for workload in SIZES:
        size = sized(workload, args.scale)
        metadata = {
            "savina_size": sizes.describe_savina(size),
            "savina_messages": MESSAGES[workload](size),
        }
        for impl in ("airsrt", "asyncio"):
            runner.bench_time_func(
                f"savina.{workload}[{impl}]", run_workload, args.loop, impl, workload, args.scale,
                metadata=metadata,
            )


if __name__ == "__main__":
    main()
