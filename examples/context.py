"""The context: child actors, watching them stop, and blocking work off the loop."""

import hashlib

import airsrt


class Digest(airsrt.Message[str]):
    def __init__(self, data: bytes) -> None:
        self.data = data


class Hasher(airsrt.Actor):
    @airsrt.handler
    async def digest(self, msg: Digest) -> str:
        # Blocking or CPU-heavy calls run in an executor; the loop keeps serving others.
        digest = await self.context.run_blocking(hashlib.sha256, msg.data)
        return digest.hexdigest()[:16]

    def on_stop(self) -> None:
        print(f"  {self.context.name} stopped")


class Coordinator(airsrt.Actor):
    def __init__(self) -> None:
        # Children: stopped (first) when their parent stops or restarts.
        spawn = self.context.spawn
        self.hashers = [spawn(Hasher, name=f"hasher-{i}") for i in range(2)]
        for hasher in self.hashers:
            self.context.watch(hasher)  # sends us Terminated when it stops for good
        self.turn = 0

    @airsrt.handler
    async def digest(self, msg: Digest) -> str:
        live = [h for h in self.hashers if h.is_alive]
        self.turn += 1
        return await live[self.turn % len(live)].ask(msg)

    @airsrt.handler
    def terminated(self, msg: airsrt.Terminated) -> None:
        print(f"  {self.context.name} saw {msg.ref.name} stop ({msg.reason})")

    def on_stop(self) -> None:
        print(f"  {self.context.name} stopped")


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        coordinator = system.spawn(Coordinator, name="coordinator")
        print("actors:", [ref.name for ref in system.actors()])
        print("sha256(b'hello') starts", await coordinator.ask(Digest(b"hello")))

        print("stopping hasher-1:")
        hasher = system.lookup("hasher-1")
        assert hasher is not None
        await hasher.stop()
        print("sha256(b'world') starts", await coordinator.ask(Digest(b"world")))

        print("stopping the coordinator (children first):")
        await coordinator.stop()
        print("actors:", [ref.name for ref in system.actors()])


if __name__ == "__main__":
    airsrt.run(main())
