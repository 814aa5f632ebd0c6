"""Chat server, step 1: one session actor per TCP connection.

Run it: `python examples/chat/step1_sessions.py` starts the server on a free port,
lets a scripted client talk to it, and stops.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import airsrt


# --8<-- [start:session]
@dataclass(frozen=True)
class Line:
    """A line the user typed (from the connection to its session)."""

    text: str


class Session(airsrt.Actor):
    """One per connection: the user's nick and the commands they type."""

    def __init__(self, writer: asyncio.StreamWriter, number: int) -> None:
        self.writer = writer
        self.nick = f"guest-{number}"

    def on_start(self) -> None:
        self.show(f"* welcome, you are {self.nick}")

    def show(self, text: str) -> None:
        self.writer.write(text.encode() + b"\n")

    @airsrt.handler
    def line(self, msg: Line) -> None:
        command, _, rest = msg.text.partition(" ")
        if command == "/nick" and rest:
            self.nick = rest
            self.show(f"* you are now {self.nick}")
        elif command == "/quit":
            self.show("* bye")
            self.context.stop()  # after this message; on_stop closes the connection
        else:
            self.show(f"{self.nick}: {msg.text}")

    def on_stop(self) -> None:
        self.writer.close()
# --8<-- [end:session]


# --8<-- [start:server]
class ChatServer:
    def __init__(self, system: airsrt.ActorSystem) -> None:
        self.system = system
        self.connections = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self.server = await asyncio.start_server(self.connected, host, port)
        return int(self.server.sockets[0].getsockname()[1])

    async def connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """asyncio calls this for each new connection, in a Task of its own."""
        self.connections += 1
        session = self.system.spawn(Session, writer, self.connections)
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
async def main() -> None:
    async with airsrt.ActorSystem() as system:
        server = ChatServer(system)
        port = await server.start()

        ann = Client("ann")
        await ann.connect(port)
        await ann.type("/nick ann")
        await ann.type("hello?")
        await ann.expect("ann: hello?")
        print("sessions:", [ref.name for ref in system.actors()])
        await ann.quit()
        await server.close()
        print("sessions after ann quit:", [ref.name for ref in system.actors()])
        print("ann saw:")
        for line in ann.seen:
            print("   ", line)
# --8<-- [end:demo]


if __name__ == "__main__":
    airsrt.run(main())
