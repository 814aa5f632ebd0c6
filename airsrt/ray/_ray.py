"""Ray underneath: the node actor, and the transport that moves batches with Ray calls.

Every node but the driver is one async Ray actor (`NodeActor`) hosting a `Node` and its
ActorSystem on the actor's event loop (a thread Ray runs: no signal handlers there). A batch to
such a node is one ``deliver`` call (task events off, never retried): its return value is the
acknowledgement. Ray cannot call into a driver, so a driver pulls: it keeps one ``pull`` call
outstanding per node, which returns the batches that node has for it and carries the driver's
acknowledgements; a node that sees no pull from a driver for a while counts it as lost.
Liveness between node actors is a long-polled ``wait_lost`` call, which fails as soon as Ray
sees the peer's process die.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

import ray
from ray.exceptions import RayActorError

from airsrt.ray._errors import NodeLostError
from airsrt.ray._transport import LinkConfig, Transport

__all__ = ["NodeActor", "RayTransport", "actor_name", "is_driver"]

log = logging.getLogger("airsrt.ray")

# A driver that has not pulled for this long is lost; it pulls at least every POLL seconds.
POLL = 1.0
DRIVER_SILENCE = 15.0


def actor_name(node: str) -> str:
    """The Ray actor name of node `node` (the namespace separates clusters)."""
    return f"airsrt:{node}"


def is_driver(node: str) -> bool:
    return node == "driver" or node.startswith("driver-")


def _future(object_ref: Any, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
    return asyncio.wrap_future(object_ref.future(), loop=loop)


class _Outbox:
    """Batches a node holds for a driver until the driver pulls them and acknowledges them."""

    __slots__ = ("incarnation", "last_pull", "lost", "ready", "registered", "unacked", "wakeup")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.incarnation: int | None = None
        self.ready: deque[tuple[tuple[Any, ...], bytes, list[Any]]] = deque()
        self.unacked: dict[int, asyncio.Future[Any]] = {}
        self.wakeup: asyncio.Future[None] | None = None
        self.registered: asyncio.Future[int] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()
        self.last_pull = time.monotonic()


class RayTransport(Transport):
    """Moves batches with Ray calls (see the module docstring).

    Args:
        namespace: The Ray namespace the cluster's node actors are named in.
        loop: The node's event loop.
        driver: True in a driver (it pulls from the nodes); False in a node actor.
    """

    def __init__(self, namespace: str, loop: asyncio.AbstractEventLoop, *, driver: bool) -> None:
        self.namespace = namespace
        self.loop = loop
        self.driver = driver
        self.node: Any = None
        self.handles: dict[str, Any] = {}
        self.outboxes: dict[str, _Outbox] = {}
        self.pulls: dict[str, asyncio.Task[None]] = {}
        self.pull_ended: dict[tuple[str, int], asyncio.Future[None]] = {}
        self.checker: asyncio.TimerHandle | None = None
        self.closed = False
        if not driver:
            self.checker = loop.call_later(POLL, self._check_drivers)

    # -- reaching peers ------------------------------------------------------------------------

    def handle(self, peer: str) -> Any:
        return ray.get_actor(actor_name(peer), namespace=self.namespace)

    async def connect(self, peer: str) -> int:
        if is_driver(peer):
            if self.driver:
                raise NodeLostError(f"drivers do not talk to each other directly ({peer})", node=peer)
            box = self._outbox(peer)
            return await box.registered
        deadline = time.monotonic() + 30.0
        while True:
            try:
                handle = self.handle(peer)
                incarnation: int = await _future(handle.hello.remote(), self.loop)
                break
            except (ValueError, RayActorError) as error:
                # Not created yet, or restarting after a crash (Ray releases the name later).
                log.debug("node %s not reachable yet: %r", peer, error)
                if time.monotonic() > deadline:
                    raise NodeLostError(f"node {peer} cannot be reached: {error}", node=peer) from error
                await asyncio.sleep(0.1)
        self.handles[peer] = handle
        if self.driver:
            ended = self.loop.create_future()
            self.pull_ended[(peer, incarnation)] = ended
            old = self.pulls.pop(peer, None)
            if old is not None:
                old.cancel()
            self.pulls[peer] = self.loop.create_task(
                self._pull_loop(peer, handle, incarnation, ended), name=f"airsrt.ray pull {peer}"
            )
        return incarnation

    def send(self, peer: str, header: tuple[Any, ...], blob: bytes, payloads: list[Any]) -> asyncio.Future[Any]:
        if is_driver(peer):
            box = self._outbox(peer)
            future = self.loop.create_future()
            box.unacked[header[3]] = future
            box.ready.append((header, blob, payloads))
            if box.wakeup is not None and not box.wakeup.done():
                box.wakeup.set_result(None)
            return future
        return _future(self.handles[peer].deliver.remote(header, blob, *payloads), self.loop)

    def watch(self, peer: str, incarnation: int) -> asyncio.Future[Any]:
        if is_driver(peer):
            return self._outbox(peer).lost
        if self.driver:
            return self.pull_ended[(peer, incarnation)]
        return _future(self.handles[peer].wait_lost.remote(incarnation), self.loop)

    def put(self, data: bytes) -> Any:
        return ray.put(data)

    def close(self) -> None:
        self.closed = True
        for task in self.pulls.values():
            task.cancel()
        if self.checker is not None:
            self.checker.cancel()
        for box in self.outboxes.values():
            if box.wakeup is not None and not box.wakeup.done():
                box.wakeup.set_result(None)

    # -- a driver pulls ------------------------------------------------------------------------

    async def _pull_loop(self, peer: str, handle: Any, incarnation: int, ended: asyncio.Future[None]) -> None:
        ack = 0
        node = self.node
        try:
            while not self.closed:
                batches = await _future(handle.pull.remote(node.name, node.incarnation, ack), self.loop)
                for header, blob, payloads in batches:
                    if payloads:
                        payloads = await asyncio.gather(*(_future(ref, self.loop) for ref in payloads))
                    await node.receive(header, blob, payloads)
                    ack = header[3]
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not ended.done():
                ended.set_exception(error)
        finally:
            if not ended.done():
                ended.set_result(None)

    # -- a node is pulled from -----------------------------------------------------------------

    def _outbox(self, driver: str) -> _Outbox:
        box = self.outboxes.get(driver)
        if box is None:
            box = self.outboxes[driver] = _Outbox(self.loop)
        return box

    async def pull(self, driver: str, incarnation: int, ack: int) -> list[Any]:
        box = self._outbox(driver)
        if box.incarnation != incarnation:
            if box.incarnation is not None:
                # A new incarnation of that driver: what the old one left is lost with it.
                if not box.lost.done():
                    box.lost.set_result(None)
                box = self.outboxes[driver] = _Outbox(self.loop)
            box.incarnation = incarnation
            if not box.registered.done():
                box.registered.set_result(incarnation)
        box.last_pull = time.monotonic()
        for seq in [s for s in box.unacked if s <= ack]:
            future = box.unacked.pop(seq)
            if not future.done():
                future.set_result(None)
        if not box.ready and not self.closed:
            box.wakeup = self.loop.create_future()
            try:
                await asyncio.wait_for(box.wakeup, POLL)
            except TimeoutError:
                pass
            finally:
                box.wakeup = None
        out = list(box.ready)
        box.ready.clear()
        box.last_pull = time.monotonic()
        return out

    def _check_drivers(self) -> None:
        now = time.monotonic()
        for box in self.outboxes.values():
            if box.incarnation is not None and now - box.last_pull > DRIVER_SILENCE and not box.lost.done():
                box.lost.set_result(None)
        if not self.closed:
            self.checker = self.loop.call_later(POLL, self._check_drivers)


@ray.remote
class NodeActor:
    """One airsrt node in a Ray worker process (created by `airsrt.ray.Cluster`)."""

    def __init__(self, name: str, namespace: str, config: dict[str, Any], members: list[str]) -> None:
        self._name = name
        self._namespace = namespace
        self._config = LinkConfig(**config)
        self._members = members
        self._node: Any = None
        self._starting: asyncio.Future[Any] | None = None
        self._stopped: asyncio.Future[None] | None = None

    async def _ensure(self) -> Any:
        if self._node is None:
            if self._starting is None:
                self._starting = asyncio.ensure_future(self._start())
            await asyncio.shield(self._starting)
        return self._node

    async def _start(self) -> None:
        from airsrt.ray._node import Node, NodeSystem

        loop = asyncio.get_running_loop()
        system = NodeSystem(f"airsrt-{self._name}")
        system.start()
        transport = RayTransport(self._namespace, loop, driver=False)
        node = Node(self._name, transport, system, self._config)
        transport.node = node
        node.members = list(self._members)
        node.install()
        self._stopped = loop.create_future()
        self._node = node

    async def hello(self) -> int:
        node = await self._ensure()
        return int(node.incarnation)

    @ray.method(enable_task_events=False, max_task_retries=0)
    async def deliver(self, header: tuple[Any, ...], blob: bytes, *payloads: Any) -> Any:
        node = self._node or await self._ensure()
        return await node.receive(header, blob, payloads, True)

    @ray.method(enable_task_events=False, max_task_retries=0)
    async def pull(self, driver: str, incarnation: int, ack: int) -> list[Any]:
        node = self._node or await self._ensure()
        batches: list[Any] = await node.transport.pull(driver, incarnation, ack)
        return batches

    @ray.method(enable_task_events=False, max_task_retries=0)
    async def wait_lost(self, incarnation: int) -> str:
        node = await self._ensure()
        if incarnation != node.incarnation or self._stopped is None:
            return "gone"
        await asyncio.shield(self._stopped)
        return "shutdown"

    @ray.method(max_task_retries=0)
    async def control(self, op: str, *args: Any) -> Any:
        node = await self._ensure()
        if op == "lookup":
            return node.lookup(args[0])
        if op == "stats":
            return node.stats()
        if op == "members":
            node.members = list(args[0])
            return None
        if op == "buffered":
            return node.buffered()
        if op == "pid":
            import os

            return os.getpid()
        if op == "shutdown":
            timeout = args[0]
            try:
                await node.system.shutdown(timeout)
            finally:
                await node.close()
                if self._stopped is not None and not self._stopped.done():
                    self._stopped.set_result(None)
            return None
        raise ValueError(f"unknown node operation {op!r}")
