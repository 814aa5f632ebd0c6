"""Exit reasons, OTP's way: how an actor ends decides whether its supervisor restarts
it.

`context.stop()` takes "normal", "shutdown" or ("shutdown", payload): all normal exits,
so a transient child is not restarted; watchers see the reason in `Terminated`. A
supervisor that gives up (past its restart intensity) stops its children and exits with
reason "shutdown" too: a permanent parent restarts it, a transient one leaves it
down."""

import asyncio

import airsrt
from airsrt import ChildSpec, OneForOne


class Job(airsrt.Message[int]):
    def __init__(self, n: int) -> None:
        self.n = n


class Drain:
    """Finish: exit with a payload saying how much was done."""


class Worker(airsrt.Actor):
    def __init__(self) -> None:
        self.done = 0

    @airsrt.handler
    def job(self, msg: Job) -> int:
        if msg.n < 0:
            raise ValueError(f"bad job {msg.n}")
        self.done += 1
        return msg.n

    @airsrt.handler
    def drain(self, msg: Drain) -> None:
        self.context.stop(("shutdown", {"jobs": self.done}))


class Watcher(airsrt.Actor):
    @airsrt.handler
    def watch(self, msg: airsrt.ActorRef) -> None:
        self.context.watch(msg)

    @airsrt.handler
    def terminated(self, msg: airsrt.Terminated) -> None:
        error = f", error {type(msg.error).__name__}" if msg.error else ""
        print(f"  watcher: {msg.ref.name} ended, reason {msg.reason!r}{error}")


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        watcher = system.spawn(Watcher)
        group = airsrt.supervisor(
            OneForOne(max_restarts=1, within=60), [ChildSpec("w", Worker)]
        )
        root = await system.spawn_supervisor(
            OneForOne(),
            [
                ChildSpec("drainer", Worker, restart="transient", name="drainer"),
                ChildSpec("group", group, restart="transient", name="group"),
            ],
        )

        print("a transient worker exits with a payload:")
        drainer = root.child("drainer")
        await watcher.ask(drainer)
        await drainer.ask(Job(1))
        drainer.tell(Drain())
        await root.which_children()

        print("a transient group gives up after its second failure in a minute:")
        group_ref = root.child("group")
        await watcher.ask(group_ref)
        for n in (-1, -2):
            try:
                await group_ref.child("w").ask(Job(n))
            except ValueError as error:
                print("  asker got:", error)
            while group_ref.is_alive and group_ref.child("w").incarnation == 1:
                await asyncio.sleep(0)  # the group restarts w (the first time)
        while group_ref.is_alive:
            await asyncio.sleep(0)  # ... and gives up the second time
        children = await root.which_children()
        print("root's children:", [(i.id, i.state) for i in children])
        try:
            await group_ref.which_children()
        except airsrt.ActorStoppedError as error:
            print("  later call:", str(error).split(" (last failure")[0])
    print("done")


if __name__ == "__main__":
    airsrt.run(main())
