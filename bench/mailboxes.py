"""pyperf script, mailbox area: enqueue into a busy actor, then drain the backlog.

The baseline does the same with ``asyncio.Queue.put_nowait`` and its consumer Task. Rows are
per message. (Named ``mailboxes`` so it cannot shadow the standard library's ``mailbox``.)
"""

from __future__ import annotations

import asyncio

import common

import airsrt

QUEUE_N = common.BURST  # messages queued per sample (the bench's mailboxes stay under 10,000)


# -- the mailbox: enqueue (the actor is busy) and dequeue (handling a backlog) -----------------


class Gated(common.Counter):
    """A Counter that can be held busy, so tells only queue."""

    @airsrt.handler
    async def hold(self, msg: asyncio.Event) -> None:
        await msg.wait()


def mailbox(loops: int, kind: str, impl: str, phase: str) -> float:
    async def main() -> float:
        total = 0.0
        inc, get = common.Inc(), common.Get()
        if impl == "airsrt":
            async with common.system() as system:
                ref = system.spawn(Gated)
                for _ in range(loops):
                    gate = asyncio.Event()
                    ref.tell(gate)
                    await asyncio.sleep(0)  # the actor is busy now: tells only queue
                    t0 = common.now()
                    for _ in range(QUEUE_N):
                        ref.tell(inc)
                    enqueued = common.now()
                    gate.set()
                    await ref.ask(get)  # the backlog, then this ask
                    finished = common.now()
                    total += enqueued - t0 if phase == "enqueue" else finished - enqueued
            return total
        queue: asyncio.Queue[object] = asyncio.Queue()
        count = [0]
        drained = asyncio.Event()

        async def consumer() -> None:
            while True:
                msg = await queue.get()
                if msg is None:
                    drained.set()
                else:
                    count[0] += 1

        task = asyncio.get_running_loop().create_task(consumer())
        for _ in range(loops):
            drained.clear()
            t0 = common.now()
            for _ in range(QUEUE_N):
                queue.put_nowait(inc)
            enqueued = common.now()
            queue.put_nowait(None)
            await drained.wait()
            finished = common.now()
            total += enqueued - t0 if phase == "enqueue" else finished - enqueued
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return total

    return common.run(kind, main)


def main() -> None:
    runner, args = common.make_runner()
    for phase in ("enqueue", "dequeue"):
        for impl in ("airsrt", "asyncio"):
            runner.bench_time_func(
                f"mailbox_{phase}[{impl}]", mailbox, args.loop, impl, phase, inner_loops=QUEUE_N
            )


if __name__ == "__main__":
    main()
