"""Links: the way envelopes go from one node to one incarnation of another.

Sending side (`Link`): envelopes are appended to a buffer; the buffer is cut into a batch once
per loop turn, or as soon as it holds ``batch_size`` envelopes (fewer while batches come out
larger than ``batch_bytes``), and each batch is one pickle and one transport call. At most ``window`` batches are in flight (sent, not yet acknowledged); while
the window is full envelopes wait in the buffer, and once the buffer holds ``buffer`` envelopes
senders are parked the way a full BLOCK mailbox parks them: ``send`` waits for room, ``tell``
raises ``MailboxFullError``. A batch the peer acknowledged was queued there in order; a batch
that failed (the peer's process died) is at most once: its messages are dead letters here.

Receiving side (`Inbound`): batches carry a sequence number per link, and are handled strictly
in that order (a transport may reorder calls: Ray's async actors do), early ones waiting in a
reorder buffer until the gap fills.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections import deque
from typing import TYPE_CHECKING, Any

from airsrt.ray._wire import encode

if TYPE_CHECKING:
    from airsrt.ray._node import Node

__all__ = ["CONNECTING", "LOST", "UP", "Inbound", "Link"]

log = logging.getLogger("airsrt.ray")

CONNECTING = "connecting"
UP = "up"
LOST = "lost"


class Link:
    """Envelopes from this node to one incarnation of node `peer` (see the module docstring)."""

    __slots__ = (
        "batch_bytes", "batch_limit", "batch_size", "batches", "buffer", "bytes_sent", "checks", "dead", "delivered", "in_flight",
        "incarnation", "loop", "node", "parked", "peer", "pending", "scheduled", "seq", "sent",
        "state", "threshold", "window",
    )

    def __init__(self, node: Node, peer: str, incarnation: int | None) -> None:
        config = node.config
        self.node = node
        self.peer = peer
        self.incarnation = incarnation
        self.state = CONNECTING
        self.loop = node.loop
        self.batch_size: int = config.batch_size  # envelopes per batch now (adapts to bytes)
        self.batch_limit: int = config.batch_size
        self.batch_bytes: int = config.batch_bytes
        self.window: int = config.window
        self.buffer: int = config.link_buffer
        self.threshold: int = config.out_of_band
        self.pending: list[Any] = []
        # While connecting: (index in pending, incarnation the envelope's ref names).
        self.checks: list[tuple[int, int]] = []
        self.parked: deque[asyncio.Future[None]] = deque()
        self.in_flight: dict[int, list[Any]] = {}
        self.seq = 0
        self.scheduled = False
        self.sent = 0
        self.delivered = 0
        self.dead = 0
        self.batches = 0
        self.bytes_sent = 0

    # -- sending -----------------------------------------------------------------------------

    def has_room(self) -> bool:
        return len(self.pending) < self.buffer

    def post(self, envelope: tuple[Any, ...]) -> None:
        """Queues one envelope (the caller checked `has_room` where that matters)."""
        pending = self.pending
        pending.append(envelope)
        self.sent += 1
        if len(pending) >= self.batch_size:
            if len(self.in_flight) < self.window:
                self.flush()
        elif not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    def post_checked(self, envelope: tuple[Any, ...], incarnation: int) -> None:
        """Queues an envelope for a ref naming `incarnation` while the peer's is not known yet."""
        self.checks.append((len(self.pending), incarnation))
        self.post(envelope)

    async def wait_room(self, timeout: float | None) -> bool:
        """Waits until the buffer has room (or the link is lost); False on timeout."""
        waiter = self.loop.create_future()
        self.parked.append(waiter)
        try:
            if timeout is None:
                await waiter
            else:
                await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            return False
        finally:
            if not waiter.done():
                waiter.cancel()
            try:
                self.parked.remove(waiter)
            except ValueError:
                pass
        return True

    def connected(self, incarnation: int) -> None:
        """The peer answered: envelopes for another incarnation of it are stale."""
        self.incarnation = incarnation
        self.state = UP
        if self.checks:
            stale = []
            for index, wanted in self.checks:
                if wanted != incarnation:
                    stale.append(self.pending[index])
                    self.pending[index] = None
            self.checks = []
            if stale:
                self.pending = [env for env in self.pending if env is not None]
                self.node.undelivered(self, stale, "stale_incarnation")
        self.flush()

    def flush(self) -> None:
        """Cuts batches from the buffer while the window has room."""
        self.scheduled = False
        if self.state is not UP:
            return
        while self.pending and len(self.in_flight) < self.window:
            if len(self.pending) <= self.batch_size:
                batch = self.pending
                self.pending = []
            else:
                batch = self.pending[: self.batch_size]
                del self.pending[: self.batch_size]
            self._send(batch)
        if self.parked and len(self.pending) < self.buffer:
            self._admit()

    def _admit(self) -> None:
        room = self.buffer - len(self.pending)
        while self.parked and room > 0:
            waiter = self.parked.popleft()
            if not waiter.done():
                waiter.set_result(None)
                room -= 1

    def _send(self, batch: list[Any]) -> None:
        node = self.node
        transport = node.transport
        try:
            blob, payloads, n_buffers = encode(batch, transport.put, self.threshold)
        except Exception:
            batch = self._salvage(batch)
            if not batch:
                return
            blob, payloads, n_buffers = encode(batch, transport.put, self.threshold)
        self.seq += 1
        seq = self.seq
        header = (node.name, node.incarnation, self.incarnation, seq, n_buffers)
        self.in_flight[seq] = batch
        self.batches += 1
        self.bytes_sent += len(blob)
        if len(blob) > self.batch_bytes and self.batch_size > 1:
            self.batch_size = max(1, self.batch_size // 2)
        elif len(blob) < self.batch_bytes // 4 and self.batch_size < self.batch_limit and len(batch) == self.batch_size:
            self.batch_size = min(self.batch_limit, self.batch_size * 2)
        future = transport.send(self.peer, header, blob, payloads)
        future.add_done_callback(lambda f: self._acknowledged(seq, f))

    def _salvage(self, batch: list[Any]) -> list[Any]:
        """Some envelope would not pickle: find it, turn it into what it can be, keep the rest."""
        kept = []
        for envelope in batch:
            try:
                pickle.dumps(envelope, protocol=5)
            except Exception as error:
                replacement = self.node.unpicklable(self, envelope, error)
                if replacement is not None:
                    kept.append(replacement)
            else:
                kept.append(envelope)
        return kept

    def _acknowledged(self, seq: int, future: asyncio.Future[Any]) -> None:
        batch = self.in_flight.pop(seq, None)
        if batch is None:
            return  # the link was declared lost meanwhile: already settled
        if future.cancelled() or future.exception() is not None:
            error = None if future.cancelled() else future.exception()
            self.in_flight[seq] = batch  # settled with the rest of the window
            self.node.peer_lost(self.peer, self.incarnation, error)
            return
        status = future.result()
        if status is None:
            self.delivered += len(batch)
        elif status[0] == "replies":
            self.delivered += len(batch)
            self.node.settle_replies(status[1])
        elif status[0] == "stale":
            self.node.undelivered(self, batch, "stale_incarnation")
            self.node.peer_lost(self.peer, self.incarnation, None)
            return
        else:
            log.error("node %s could not decode a batch from %s: %s", self.peer, self.node.name, status[1])
            self.node.undelivered(self, batch, "undecodable")
        self.flush()

    def lose(self) -> list[Any]:
        """The peer is gone: returns every envelope not known delivered (buffer and window)."""
        self.state = LOST
        lost: list[Any] = []
        for seq in sorted(self.in_flight):
            lost.extend(self.in_flight[seq])
        self.in_flight.clear()
        lost.extend(env for env in self.pending if env is not None)
        self.pending = []
        self.checks = []
        while self.parked:
            waiter = self.parked.popleft()
            if not waiter.done():
                waiter.set_result(None)
        return lost

    def counters(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "incarnation": self.incarnation,
            "sent": self.sent,
            "delivered": self.delivered,
            "dead_letters": self.dead,
            "batches": self.batches,
            "bytes": self.bytes_sent,
            "buffered": len(self.pending),
            "in_flight_batches": len(self.in_flight),
            "parked_senders": len(self.parked),
        }


class Inbound:
    """Batches from one incarnation of one peer, handled in sequence order."""

    __slots__ = ("batches", "busy", "early", "incarnation", "next_seq", "reordered")

    def __init__(self, incarnation: int) -> None:
        self.incarnation = incarnation
        self.next_seq = 1
        self.early: dict[int, tuple[Any, ...]] = {}
        self.busy = False
        self.batches = 0
        self.reordered = 0

