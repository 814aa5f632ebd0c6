"""pyperf script: broker publish against a direct tell, and broadcast cost per subscriber.

``broadcast_S*`` rows time the publish call: putting one message into S mailboxes (the fan-out).
The baseline does the same into S Queue+Task actors (``put_nowait`` in a loop); every copy is then
handled before the next sample, outside the timing. Below S = 100 a sample is a burst of
publishes (100 copies in all), so the clock's own cost does not swamp a handful of pushes.
``delivery_S*`` rows time the whole delivery instead: the publish and every copy handled (the
dispatcher's run queue is first in, first out, so an ask to the last subscriber answers last).
"""

from __future__ import annotations


import common
from baseline import QueueActor

TELLS = 20_000  # per value, in bursts of common.BURST, each followed by an ask
SUBSCRIBERS = (1, 10, 100, 1000)
DELIVERY_SUBSCRIBERS = (1000,)


def burst(subscribers: int) -> int:
    """Publishes per sample: enough for 100 copies."""
    return max(1, 100 // subscribers)


def publish_vs_tell(loops: int, kind: str, how: str) -> float:
    async def main() -> float:
        async with common.system() as system:
            ref = system.spawn(common.Counter)
            broker = system.broker
            broker.subscribe("counter", ref)
            inc, get, tell, publish = common.Inc(), common.Get(), ref.tell, broker.publish
            burst = range(common.BURST)
            t0 = common.now()
            for _ in range(loops):
                for _ in range(TELLS // common.BURST):
                    if how == "tell":
                        for _ in burst:
                            tell(inc)
                    else:
                        for _ in burst:
                            publish("counter", inc)
                    await ref.ask(get)
            return common.now() - t0

    return common.run(kind, main)


def broadcast_airsrt(loops: int, kind: str, subscribers: int, delivery: bool = False) -> float:
    async def main() -> float:
        async with common.system() as system:
            refs = [system.spawn(common.Counter) for _ in range(subscribers)]
            for ref in refs:
                system.broker.subscribe("fanout", ref)
            publish, inc, get = system.broker.publish, common.Inc(), common.Get()
            total = 0.0
            repeat = range(burst(subscribers))
            last = refs[-1]
            for _ in range(loops):
                t0 = common.now()
                for _ in repeat:
                    publish("fanout", inc)
                if not delivery:
                    total += common.now() - t0
                await last.ask(get)  # all copies handled before the next sample
                if delivery:
                    total += common.now() - t0
            return total

    return common.run(kind, main)


def broadcast_asyncio(loops: int, kind: str, subscribers: int, delivery: bool = False) -> float:
    async def main() -> float:
        handler = common.counter_handler()
        actors = [QueueActor(handler) for _ in range(subscribers)]
        inc, get = common.Inc(), common.Get()
        total = 0.0
        repeat = range(burst(subscribers))
        for _ in range(loops):
            t0 = common.now()
            for _ in repeat:
                for actor in actors:
                    actor.tell(inc)
            if not delivery:
                total += common.now() - t0
            await actors[-1].ask(get)
            if delivery:
                total += common.now() - t0
        for actor in actors:
            await actor.stop()
        return total

    return common.run(kind, main)


def main() -> None:
    runner, args = common.make_runner()
    kind = args.loop
    runner.bench_time_func("direct_tell[airsrt]", publish_vs_tell, kind, "tell", inner_loops=TELLS)
    runner.bench_time_func("publish_1sub[airsrt]", publish_vs_tell, kind, "publish", inner_loops=TELLS)
    for s in SUBSCRIBERS:
        copies = s * burst(s)
        runner.bench_time_func(f"broadcast_S{s}[airsrt]", broadcast_airsrt, kind, s, inner_loops=copies)
        runner.bench_time_func(f"broadcast_S{s}[asyncio]", broadcast_asyncio, kind, s, inner_loops=copies)
    for s in DELIVERY_SUBSCRIBERS:
        copies = s * burst(s)
        runner.bench_time_func(
            f"delivery_S{s}[airsrt]", broadcast_airsrt, kind, s, True, inner_loops=copies)
        runner.bench_time_func(
            f"delivery_S{s}[asyncio]", broadcast_asyncio, kind, s, True, inner_loops=copies)


if __name__ == "__main__":
    main()
