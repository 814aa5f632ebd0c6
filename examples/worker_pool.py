"""A pool of workers: each message goes to one worker, chosen at the call site."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

import airsrt


@dataclass(frozen=True)
class Resize(airsrt.Message[str]):
    image: str
    user: str


class Resizer(airsrt.Actor):
    def __init__(self, tally: Counter) -> None:
        self.tally = tally

    @airsrt.handler
    async def resize(self, msg: Resize) -> str:
        await asyncio.sleep(0.001)  # pretend to work
        self.tally[self.context.name] += 1
        return f"{msg.image} resized by {self.context.name}"


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        tally: Counter = Counter()
        pool = system.spawn_pool(Resizer, tally, size=4, name="resizers")
        asks = [pool.ask(Resize(f"img{i}.png", "ann")) for i in range(40)]
        results = await asyncio.gather(*asks)
        shares = sorted(tally.values())
        print(len(results), "images resized; round robin gave each worker", shares)

        # Consistent hashing: one user's work always reaches the same worker.
        by_user = system.spawn_pool(
            Resizer,
            Counter(),
            size=4,
            routing=airsrt.Routing.CONSISTENT_HASH,
            key=lambda m: m.user,
        )
        owners = {await by_user.ask(Resize(f"{n}.png", "bob")) for n in range(5)}
        workers = {owner.split(" by ")[1] for owner in owners}
        print("bob's images went to", len(workers), "worker")

        # A worker that is stopped is replaced in its slot; the pool keeps routing.
        first = by_user.workers[0]
        await first.stop()
        await by_user.supervisor.which_children()
        replaced = by_user.workers[0] is not first
        print("replaced:", replaced, "- still", len(by_user), "workers")


if __name__ == "__main__":
    airsrt.run(main())
