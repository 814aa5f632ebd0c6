"""Bounded mailboxes: what each backpressure strategy does when a consumer lags."""

import asyncio

import airsrt
from airsrt import Backpressure, Mailbox


class Job:
    def __init__(self, n: int) -> None:
        self.n = n


class Slow(airsrt.Actor):
    def __init__(self) -> None:
        self.done: list[int] = []

    @airsrt.handler
    async def job(self, msg: Job) -> None:
        await asyncio.sleep(0.001)  # the consumer is slower than its producer
        self.done.append(msg.n)

    @airsrt.handler
    def report(self, msg: str) -> list[int]:
        return self.done


async def drained(ref: airsrt.ActorRef) -> None:
    while ref.mailbox_size():
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.002)  # and the message in hand


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        # BLOCK: send() waits for room, so the producer slows to the consumer's pace.
        blocking = system.spawn(Slow, mailbox=Mailbox.bounded(4, Backpressure.BLOCK))
        for n in range(20):
            await blocking.send(Job(n))
        print("BLOCK handled", len(await blocking.ask("report")), "of 20")

        # FAIL: tell() raises at once; the error carries the message back.
        failing = system.spawn(Slow, mailbox=Mailbox.bounded(4, Backpressure.FAIL))
        refused = 0
        for n in range(20):
            try:
                failing.tell(Job(n))
            except airsrt.MailboxFullError as error:
                assert error.message.n == n
                refused += 1
        await drained(failing)  # (an ask into the full mailbox would be refused too)
        print("FAIL refused", refused, "handled", len(await failing.ask("report")))

        # DROP_OLDEST: the newest messages win; the evicted ones become dead letters.
        oldest_out = Mailbox.bounded(4, Backpressure.DROP_OLDEST)
        dropping = system.spawn(Slow, mailbox=oldest_out)
        for n in range(20):
            dropping.tell(Job(n))
        await drained(dropping)
        kept = await dropping.ask("report")
        print("DROP_OLDEST kept", kept)
        print("dead letters:", system.dead_letters.count)


if __name__ == "__main__":
    airsrt.run(main())
