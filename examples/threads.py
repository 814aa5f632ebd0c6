"""Threads: tell from any thread; ask from a thread with ask_blocking."""

import asyncio
import threading

import airsrt


class Add(airsrt.Message[int]):
    def __init__(self, n: int) -> None:
        self.n = n


class Total(airsrt.Actor):
    def __init__(self) -> None:
        self.total = 0

    @airsrt.handler
    def add(self, msg: Add) -> int:
        self.total += msg.n
        return self.total


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        total = system.spawn(Total)
        answers: list[int] = []

        def worker() -> None:  # runs in a plain thread, not on the loop
            for _ in range(1000):
                total.tell(Add(1))
            answers.append(total.ask_blocking(Add(0), timeout=10))

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            await asyncio.sleep(0.01)  # the loop keeps serving while the threads work
        print("total:", await total.ask(Add(0)))
        print("largest answer seen by a thread:", max(answers))


if __name__ == "__main__":
    airsrt.run(main())
