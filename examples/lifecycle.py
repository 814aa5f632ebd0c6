"""Lifecycle hooks: on_start and on_stop, ready(), and an actor that fails to start."""

import asyncio

import airsrt


class Connection(airsrt.Actor):
    """Opens its resource in on_start and closes it in on_stop."""

    def __init__(self, url: str) -> None:
        self.url = url  # __init__ runs inside spawn(): keep it cheap
        self.connected = False

    async def on_start(self) -> None:  # hooks may be async
        await asyncio.sleep(0.01)  # connecting...
        self.connected = True
        print(f"on_start: connected to {self.url}")

    def on_stop(self) -> None:
        self.connected = False
        print(f"on_stop: closed {self.url}")

    @airsrt.handler
    def query(self, msg: str) -> str:
        assert self.connected  # no message is handled before on_start is done
        return f"{msg!r} ran on {self.url}"


class Unreachable(Connection):
    async def on_start(self) -> None:
        raise ConnectionRefusedError(f"{self.url} refused the connection")


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        db = system.spawn(Connection, "db-1:5432")
        print("spawned; started yet?", db.stats().state)
        # Messages sent before on_start is done wait for it.
        print(await db.ask("select 1"))
        await db.stop()  # on_stop runs; the ref stays, but the actor is gone
        print("alive after stop:", db.is_alive)

        down = system.spawn(Unreachable, "db-2:5432")
        queued = down.ask("select 1")  # sent before the start failed
        try:
            await down.ready()
        except airsrt.ActorStartError as error:
            print("ready() raised ActorStartError; cause:", error.__cause__)
        try:
            await queued
        except airsrt.ActorStartError:
            print("the queued ask failed with it too")
        # on_stop runs only for an instance whose on_start succeeded: nothing printed.


if __name__ == "__main__":
    airsrt.run(main())
