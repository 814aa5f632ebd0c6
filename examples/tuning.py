"""Performance knobs, each shown beside the slower way of doing the same thing.

The numbers are in docs/guides/performance-tuning.md (from the benchmark suite); this
file shows the code and checks what each knob changes.
"""

import asyncio

import airsrt


class Inc:
    pass


class Get(airsrt.Message[int]):
    pass


# --8<-- [start:handlers]
class Counter(airsrt.Actor):
    def __init__(self) -> None:
        self.n = 0

    @airsrt.handler
    def inc(self, msg: Inc) -> None:  # sync: called straight from the dispatcher
        self.n += 1

    @airsrt.handler
    def get(self, msg: Get) -> int:
        return self.n


class SlowerCounter(Counter):
    @airsrt.handler
    async def inc(self, msg: Inc) -> None:  # async: one asyncio Task per message
        self.n += 1
# --8<-- [end:handlers]


async def main() -> None:
    # --8<-- [start:tell]
    async with airsrt.ActorSystem() as system:
        counter = system.spawn(Counter)
        for _ in range(5_000):
            counter.tell(Inc())  # no reply wanted: tell, not ask
        print("tells, then one ask:", await counter.ask(Get()))

        slower = system.spawn(SlowerCounter)
        for _ in range(5_000):
            slower.tell(Inc())
        print("same with an async handler:", await slower.ask(Get()))
    # --8<-- [end:tell]

    # --8<-- [start:eager]
    async with airsrt.ActorSystem() as system:  # eager_asks=True is the default
        counter = system.spawn(Counter)
        await counter.ask(Get())  # started, and idle again once this is answered
        reply = counter.ask(Get())
        print("eager ask answered inside ask():", reply.done())
        await reply

    async with airsrt.ActorSystem(eager_asks=False) as system:
        counter = system.spawn(Counter)
        await counter.ask(Get())
        reply = counter.ask(Get())
        print("queued ask answered inside ask():", reply.done())
        await reply
    # --8<-- [end:eager]

    # --8<-- [start:trace]
    async with airsrt.ActorSystem() as system:
        counter = system.spawn(Counter)
        counter.tell(Inc())
        await counter.ask(Get())
        print("tracing off: latency in stats?", counter.stats().latency is not None)
        system.trace = True  # per-message events and latencies, for a while
        counter.tell(Inc())
        await counter.ask(Get())
        print("tracing on: latency in stats?", counter.stats().latency is not None)
        system.trace = False
    # --8<-- [end:trace]

    # --8<-- [start:loop]
    loop = asyncio.get_running_loop()
    print("this loop:", type(loop).__module__.split(".")[0])
    # airsrt.run(main(), loop_factory=uvloop.new_event_loop) runs everything on uvloop.
    # --8<-- [end:loop]


if __name__ == "__main__":
    airsrt.run(main())
