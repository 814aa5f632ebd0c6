"""Messages an actor sends itself (timers, receive timeouts) or keeps for later."""

import asyncio

import airsrt


class Add:
    def __init__(self, n: int) -> None:
        self.n = n


class Flush:
    """Sent by the batcher's own timer."""


class Batcher(airsrt.Actor):
    """Collects numbers; flushes them 10 ms after the last one arrived (a debounce)."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.pending: list[int] = []
        self.done = done

    @airsrt.handler
    def add(self, msg: Add) -> None:
        self.pending.append(msg.n)
        # The same key replaces the previous timer: the flush moves 10 ms later.
        self.context.schedule_once(0.01, Flush(), key="flush")

    @airsrt.handler
    def flush(self, msg: Flush) -> None:
        print("flush", self.pending)
        self.pending = []
        # No message for 50 ms from now on: a ReceiveTimeout.
        self.context.set_receive_timeout(0.05)

    @airsrt.handler
    def idle(self, msg: airsrt.ReceiveTimeout) -> None:
        print("idle for 50 ms: stopping")
        self.context.stop()
        self.done.set_result(None)


class Tick:
    pass


class Metronome(airsrt.Actor):
    def __init__(self, done: asyncio.Future[int]) -> None:
        self.ticks = 0
        self.done = done
        self.timer = self.context.schedule_repeat(0.01, Tick())

    @airsrt.handler
    def tick(self, msg: Tick) -> None:
        self.ticks += 1
        if self.ticks == 3:
            self.timer.cancel()  # a tick already queued is dropped, not handled
            self.done.set_result(self.ticks)


class Open:
    pass


class Job(airsrt.Message[str]):
    def __init__(self, name: str) -> None:
        self.name = name


class Gate(airsrt.Actor):
    """Keeps jobs (and their asks) until it is opened, then handles them in order."""

    def __init__(self) -> None:
        self.open = False

    @airsrt.handler
    def job(self, msg: Job) -> str | None:
        if not self.open:
            self.context.stash(msg)  # the ask stays pending; it is answered later
            return None
        return f"{msg.name} done"

    @airsrt.handler
    def opened(self, msg: Open) -> None:
        self.open = True
        print("gate open;", self.context.unstash_all(), "stashed jobs go first")


async def main() -> None:
    loop = asyncio.get_running_loop()
    async with airsrt.ActorSystem() as system:
        flushed: asyncio.Future[None] = loop.create_future()
        batcher = system.spawn(Batcher, flushed)
        for n in (1, 2, 3):
            batcher.tell(Add(n))
        await flushed

        ticked: asyncio.Future[int] = loop.create_future()
        system.spawn(Metronome, ticked)
        print("metronome ticked", await ticked, "times, then cancelled its timer")

        gate = system.spawn(Gate)
        first, second = gate.ask(Job("first")), gate.ask(Job("second"))
        await asyncio.sleep(0)  # both are stashed by now
        gate.tell(Open())
        print(await first, "/", await second, "/", await gate.ask(Job("third")))


if __name__ == "__main__":
    airsrt.run(main())
