"""Chat server, step 5: tests with the test kit (the pytest plugin, a probe, a ledger).

Run them: `python examples/chat/test_chat.py` (it runs pytest on itself), or
`pytest examples/chat/test_chat.py`.
"""

import asyncio
import subprocess
import sys
from collections.abc import Callable

from step4_backpressure import (
    OUTBOX,
    ChatServer,
    Client,
    Deliver,
    Join,
    Outbox,
    Room,
    Say,
)

import airsrt
from airsrt import ChildSpec, OneForOne
from airsrt.testing import TestProbe


async def until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)


# --8<-- [start:room]
async def test_a_room_publishes_and_remembers(actor_system):
    probe = TestProbe(actor_system)  # an actor that records what it receives
    actor_system.broker.subscribe("room.lobby", probe.ref)
    room = actor_system.spawn(Room, "lobby")

    assert await room.ask(Join("ann")) == []  # no history yet
    assert (await probe.expect(Deliver)).text == "* ann joined #lobby"
    room.tell(Say("ann", "hi"))
    assert (await probe.expect(Deliver)).text == "[lobby] ann: hi"
    history = await room.ask(Join("bob"))
    assert history == ["* ann joined #lobby", "[lobby] ann: hi"]
# --8<-- [end:room]


# --8<-- [start:crash]
class Boom:
    pass


class FragileRoom(Room):
    @airsrt.handler
    def boom(self, msg: Boom) -> None:
        raise RuntimeError("bug")


async def test_a_crashed_room_restarts_empty(actor_system):
    probe = TestProbe(actor_system)
    actor_system.broker.subscribe("room.lobby", probe.ref)
    rooms = await actor_system.spawn_supervisor(
        OneForOne(), [ChildSpec("lobby", FragileRoom, "lobby")]
    )
    room = rooms.child("lobby")
    room.tell(Say("ann", "hi"))
    await probe.expect(Deliver)

    room.tell(Boom())
    assert await room.ask(Join("bob")) == []  # a new instance: the history is gone
    assert room.incarnation == 2  # the same ref reaches it
    assert (await probe.expect(Deliver)).text == "* bob joined #lobby"
# --8<-- [end:crash]


# --8<-- [start:outbox]
class StuckWriter:
    """A connection whose client reads nothing until `unblock` is set."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.unblock = asyncio.Event()

    def write(self, data: bytes) -> None:
        self.written.append(data)

    async def drain(self) -> None:
        await self.unblock.wait()


async def test_a_stuck_client_fills_one_outbox(actor_system, ledger):
    writer = StuckWriter()
    outbox = actor_system.spawn(Outbox, writer, mailbox=OUTBOX)
    lines = [Deliver(f"line {n}") for n in range(1, 101)]
    ledger.tell(outbox, lines[0])  # the ledger follows each line to its outcome
    await until(lambda: len(writer.written) == 1)  # line 1 is stuck in drain()
    for line in lines[1:]:
        ledger.tell(outbox, line)
    assert outbox.mailbox_size() <= 64

    writer.unblock.set()
    await until(lambda: writer.written[-1] == b"line 100\n")
    # The oldest waiting lines were dropped, as dead letters; the rest were written.
    dropped = ledger.with_outcome("dead_letter")
    assert dropped == lines[1 : 1 + len(dropped)]
    assert len(writer.written) == len(lines) - len(dropped) <= 1 + 64
# --8<-- [end:outbox]


# --8<-- [start:tcp]
async def test_two_users_chat_over_tcp(actor_system):
    server = ChatServer(actor_system)
    port = await server.start()
    ann, bob = Client("ann"), Client("bob")
    for client in (ann, bob):
        await client.connect(port)
        await client.type(f"/nick {client.name}")
        await client.type("/join lobby")
        await client.expect(f"* {client.name} joined #lobby")
    await ann.type("hi bob")
    await bob.expect("[lobby] ann: hi bob")
    for client in (ann, bob):
        await client.quit()
    await server.close()
# --8<-- [end:tcp]


if __name__ == "__main__":
    # Run as a script: pytest in a fresh interpreter, as `pytest` would run this file.
    # (In this process airsrt is already imported: too late for pytest to rewrite the
    # asserts of its plugin, which it would warn about. -P: the current directory does
    # not go on sys.path, as it would with -m, so airsrt is the installed one.)
    command = [sys.executable, "-P", "-m", "pytest", __file__, "-v", "--no-header",
               "-p", "no:cacheprovider"]
    sys.exit(subprocess.call(command))
