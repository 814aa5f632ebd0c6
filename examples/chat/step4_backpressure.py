"""Chat server, step 4: backpressure. A client that stops reading costs the server a
bounded amount of memory: its outbox drops its oldest lines instead of growing.

Run it: `python examples/chat/step4_backpressure.py` starts the server on a free port,
lets three scripted clients chat (one of them reads nothing for a while), and stops.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from dataclasses import dataclass

import airsrt
from airsrt import Backpressure, ChildSpec, Mailbox, OneForOne


# --8<-- [start:messages]
@dataclass(frozen=True)
class Line:
    """A line the user typed (from the connection to its session)."""

    text: str


@dataclass(frozen=True)
class Deliver:
    """A line for the user's screen (to the outbox that writes to the socket)."""

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


# --8<-- [start:outbox]
class Outbox(airsrt.Actor):
    """Writes lines to one client, at the pace the client reads them."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    @airsrt.handler
    async def deliver(self, msg: Deliver) -> None:
        self.writer.write(msg.text.encode() + b"\n")
        await self.writer.drain()  # waits while the client's buffers are full

    def on_error(self, error: BaseException, msg: object) -> airsrt.ErrorAction:
        if isinstance(error, ConnectionError):
            return airsrt.ErrorAction.STOP  # the client left: nothing to restart
        return airsrt.ErrorAction.ESCALATE


# At most 64 lines wait for a client; past that the oldest are dropped (dead letters).
OUTBOX = Mailbox.bounded(64, Backpressure.DROP_OLDEST)
# A client that types faster than its session works makes the connection wait.
INBOX = Mailbox.bounded(16, Backpressure.BLOCK)
# --8<-- [end:outbox]


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
        self.outbox = self.context.spawn(Outbox, writer, mailbox=OUTBOX)

    def on_start(self) -> None:
        self.show(f"* welcome, you are {self.nick}")

    def show(self, text: str) -> None:
        self.outbox.tell(Deliver(text))

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

    async def join(self, name: str) -> None:
        self.leave()
        self.room = await room_named(self.rooms, name)
        # The room publishes to this topic; the outbox writes what arrives.
        self.context.system.broker.subscribe(f"room.{name}", self.outbox)
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
        # Little kernel and transport buffering, so the outbox sees a slow client soon.
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
        )
        writer.transport.set_write_buffer_limits(high=4096)
        self.connections += 1
        session = self.system.spawn(
            Session, writer, self.rooms, self.connections, mailbox=INBOX
        )
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

    async def connect(self, port: int, slow: bool = False) -> None:
        if not slow:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
            return
        # A slow reader: small kernel and stream buffers, so unread lines back up soon.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=1024)

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
LINES = 1000


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        server = ChatServer(system)
        port = await server.start()
        ann, bob, cid = Client("ann"), Client("bob"), Client("cid")
        for client in (ann, bob, cid):
            await client.connect(port, slow=client is bob)
            await client.type(f"/nick {client.name}")
            await client.type("/join lobby")
            await client.expect(f"* {client.name} joined #lobby")

        # ann talks; cid reads everything at once; bob reads nothing until the end.
        padding = "." * 60
        for n in range(1, LINES + 1):
            await ann.type(f"line {n:04} {padding}")
            await ann.expect(f"line {n:04}")
        await cid.expect(f"line {LINES:04}")
        await bob.expect(f"line {LINES:04}")

        def got(client: Client) -> int:
            return sum("ann: line" in line for line in client.seen)

        dropped = sum(
            isinstance(letter.message, Deliver) and "ann: line" in letter.message.text
            for letter in system.dead_letters.recent()
        )
        print(f"ann said {LINES} lines; cid read {got(cid)} of them")
        print("bob read the last line:", "line 1000" in bob.seen[-1])
        print("bob's slow connection lost lines:", got(bob) < LINES)
        print("each one he lost is a dead letter:", got(bob) + dropped == LINES)
        for client in (ann, bob, cid):
            await client.quit()
        await server.close()
# --8<-- [end:demo]


if __name__ == "__main__":
    airsrt.run(main())
