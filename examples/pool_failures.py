"""A pool keeps serving through bad input; once it gives up, calls to it say so.

A worker that raises is restarted in place. The pool's restart intensity (more than 10 x
size restarts within 5 s) counts only failures with no successfully handled message
between them, so an occasional bad input -- here 1 job in 37, at full speed -- never
stops the pool. A pool whose every job fails does give up (logged at CRITICAL with the
last error's traceback), and from then on every tell, send and ask to it raises
ActorStoppedError, naming the pool and why."""

import asyncio

import airsrt


class Resize(airsrt.Message[int]):
    def __init__(self, n: int) -> None:
        self.n = n


class Resizer(airsrt.Actor):
    def __init__(self, broken: bool = False) -> None:
        self.broken = broken

    @airsrt.handler
    def resize(self, msg: Resize) -> int:
        if self.broken or msg.n % 37 == 0:
            raise ValueError(f"cannot decode image {msg.n}")
        return msg.n


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        pool = system.spawn_pool(Resizer, size=4, name="resizers")
        for n in range(1, 37 * 1000 + 1):
            pool.tell(Resize(n))
            if n % 256 == 0:
                await asyncio.sleep(0)  # let the workers run
        try:
            await pool.ask(Resize(37))
        except ValueError as error:
            print("the asker of a bad job gets its error:", error)
        answer = await pool.ask(Resize(1))
        print("after 37,000 jobs, 1 in 37 bad: still serving:", pool.is_alive, answer)
        stats = system.stats()
        print(f"failures {stats.failures}, restarts {stats.restarts}")

        hopeless = system.spawn_pool(Resizer, True, size=2, name="hopeless")
        try:
            for n in range(1, 1000):
                await hopeless.send(Resize(n))
                await asyncio.sleep(0)
        except airsrt.ActorStoppedError as error:
            print("refused:", str(error).split(" (last failure")[0])
            print("because of:", repr(error.__cause__.__class__.__name__))
    print("done")


if __name__ == "__main__":
    airsrt.run(main())
