"""Chat server, step 3: let it crash. A room with a bug fails, its supervisor restarts
it, and nobody is disconnected.

Run it: `python examples/chat/step3_crash.py` starts the server on a free port, lets
three scripted clients chat until one of them trips the bug, and stops.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

import airsrt
from airsrt import ChildSpec, OneForOne


# --8<-- [start:messages]
@dataclass(frozen=True)
class Line:
    """A line the user typed (from the connection to its session)."""

    text: str


@dataclass(frozen=True)
class Deliver:
    """A line for the user's screen (what a room publishes)."""

    text: str


@dataclass(frozen=True)
class Join(airsrt.Message[list[str]]):
    """To a room: `nick` joins; the reply is the room's recent history."""

    nick: str


@dataclass(frozen=True)
class Say:
    """To a room: `nick` says `text`."""

    nick: str
    text: str


@dataclass(frozen=True)
class Leave:
    nick: str
# --8<-- [end:messages]


# --8<-- [start:session]
class Session(airsrt.Actor):
    """One per connection: the user's nick, their room, the commands they type."""

    def __init__(
        self, writer: asyncio.StreamWriter, rooms: airsrt.SupervisorRef, number: int
    ) -> None:
        self.writer = writer
        self.rooms = rooms
        self.nick = f"guest-{number}"
        self.room: airsrt.ActorRef | None = None

    def on_start(self) -> None:
        self.show(f"* welcome, you are {self.nick}")

    def show(self, text: str) -> None:
        self.writer.write(text.encode() + b"\n")

    @airsrt.handler
    async def line(self, msg: Line) -> None:
        command, _, rest = msg.text.partition(" ")
        if command == "/nick" and rest:
            self.nick = rest
            self.show(f"* you are now {self.nick}")
        elif command == "/join" and rest:
            await self.join(rest)
        elif command == "/quit":
            self.show("* bye")
            self.context.stop()
        elif self.room is None:
            self.show("* join a room first: /join NAME")
        else:
            self.room.tell(Say(self.nick, msg.text))

    @airsrt.handler
    def deliver(self, msg: Deliver) -> None:
        self.show(msg.text)  # a line published to our room

    async def join(self, name: str) -> None:
        self.leave()
        self.room = await room_named(self.rooms, name)
        # The room publishes to this topic; subscriptions end when the session stops.
        self.context.system.broker.subscribe(f"room.{name}", self.context.ref)
        for text in await self.room.ask(Join(self.nick)):
            self.show(text)

    def leave(self) -> None:
        if self.room is not None:
            self.room.tell(Leave(self.nick))
            self.room = None

    def on_stop(self) -> None:
        self.leave()
        self.writer.close()
# --8<-- [end:session]


# --8<-- [start:room]
class Room(airsrt.Actor):
    """A chat room: publishes what is said in it, keeps the last lines for newcomers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.history: deque[str] = deque(maxlen=5)

    def publish(self, text: str) -> None:
        self.history.append(text)
        self.context.system.broker.publish(f"room.{self.name}", Deliver(text))

    @airsrt.handler
    def join(self, msg: Join) -> list[str]:
        recent = list(self.history)
        self.publish(f"* {msg.nick} joined #{self.name}")
        return recent

    @airsrt.handler
    def say(self, msg: Say) -> None:
        if msg.text.startswith("/me"):
            action = msg.text.split(" ", 1)[1]  # a bug: "/me" alone has no action
            self.publish(f"* {msg.nick} {action}")
        else:
            self.publish(f"[{self.name}] {msg.nick}: {msg.text}")

    @airsrt.handler
    def leave(self, msg: Leave) -> None:
        self.publish(f"* {msg.nick} left #{self.name}")


async def room_named(rooms: airsrt.SupervisorRef, name: str) -> airsrt.ActorRef:
    """The room called `name`, started under the rooms supervisor if it is new."""
    try:
        return rooms.child(name)
    except airsrt.ChildNotFoundError:
        pass
    try:
        # Registered as "room:NAME", so logs and events name it.
        spec = ChildSpec(name, Room, name, name=f"room:{name}")
        return await rooms.start_child(spec)
    except airsrt.ConfigurationError:  # another session started it meanwhile
        return rooms.child(name)
# --8<-- [end:room]


# --8<-- [start:server]
class ChatServer:
    def __init__(self, system: airsrt.ActorSystem) -> None:
        self.system = system
        self.connections = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        # Rooms are restarted one by one; 3 crashes within 10 s take the server down.
        strategy = OneForOne(max_restarts=3, within=10.0)
        self.rooms = await self.system.spawn_supervisor(strategy, [], name="rooms")
        self.server = await asyncio.start_server(self.connected, host, port)
        return int(self.server.sockets[0].getsockname()[1])

    async def connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        session = self.system.spawn(Session, writer, self.rooms, self.connections)
        try:
            while raw := await reader.readline():
                await session.send(Line(raw.decode(errors="replace").rstrip("\r\n")))
        except ConnectionError:
            pass  # the client went away: stop its session below
        finally:
            await session.stop()

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()
# --8<-- [end:server]


class Client:
    """A scripted user: types lines and reads what the server sends back."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[str] = []

    async def connect(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)

    async def type(self, text: str) -> None:
        self.writer.write(text.encode() + b"\n")
        await self.writer.drain()

    async def expect(self, text: str) -> None:
        """Reads lines until one contains `text` (giving up after 10 s)."""
        async with asyncio.timeout(10):
            while True:
                line = (await self.reader.readline()).decode()
                if not line:
                    raise ConnectionError(f"{self.name}: closed before {text!r}")
                self.seen.append(line.rstrip("\n"))
                if text in line:
                    return

    async def quit(self) -> None:
        await self.type("/quit")
        await self.expect("* bye")
        async with asyncio.timeout(10):
            await self.reader.read()  # until the server closes the connection
        self.writer.close()
        await self.writer.wait_closed()


# --8<-- [start:demo]
restarted = asyncio.Event()


def report(event: airsrt.Event) -> None:
    """What the server's operator sees (besides the traceback in the log)."""
    if event.kind in ("actor.failed", "actor.restarted"):
        cause = event.details.get("error") or event.details.get("cause")
        print(f"server: {event.kind} {event.actor}: {cause}")
    if event.kind == "actor.restarted":
        restarted.set()


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        system.events.subscribe(report, min_severity=airsrt.Severity.WARNING)
        server = ChatServer(system)
        port = await server.start()
        ann, bob, cid = Client("ann"), Client("bob"), Client("cid")
        for client in (ann, bob):
            await client.connect(port)
            await client.type(f"/nick {client.name}")
            await client.type("/join lobby")
            await client.expect(f"* {client.name} joined #lobby")

        await bob.type("/me waves")
        await ann.expect("* bob waves")
        await bob.type("/me")  # the room crashes on this one; it is lost
        async with asyncio.timeout(10):
            await restarted.wait()
        await ann.type("bob?")  # the restarted room handles this one
        await bob.expect("ann: bob?")

        await cid.connect(port)
        await cid.type("/nick cid")
        await cid.type("/join lobby")  # the history restarted with the room
        await cid.expect("* cid joined #lobby")

        for client in (ann, bob, cid):
            await client.quit()
        await server.close()
        for client in (bob, cid):
            print(f"{client.name} saw:")
            for line in client.seen:
                print("   ", line)
# --8<-- [end:demo]


if __name__ == "__main__":
    airsrt.run(main())
