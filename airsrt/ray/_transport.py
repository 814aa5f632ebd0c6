"""What a node needs from the machinery that moves bytes between processes.

A `Transport` knows how to reach a peer node by name, hand it a batch (a header tuple, one
``bytes`` blob, and the large payloads that travel beside it), and tell when a given incarnation
of a peer is gone. Everything above it -- envelopes, sequence numbers, windows, refs, watch and
supervision -- is airsrt's and does not depend on which transport runs underneath. The Ray
transport (`airsrt.ray._ray.RayTransport`) is the one shipped; a plain TCP one could replace it.
"""

from __future__ import annotations

import abc
import asyncio
from dataclasses import dataclass
from typing import Any

__all__ = ["LinkConfig", "Transport"]


@dataclass(frozen=True)
class LinkConfig:
    """How links batch and bound their traffic (the same for every link of a node).

    Attributes:
        batch_size: Envelopes per batch at most (a batch is also cut once per loop turn).
        batch_bytes: Pickled bytes a batch should stay under: a link whose batches come out
            larger cuts fewer envelopes per batch (and more again once they shrink).
        window: Batches in flight per link (sent, not yet acknowledged).
        link_buffer: Envelopes waiting in a link before senders are parked (``send`` waits,
            ``tell`` raises ``MailboxFullError``).
        out_of_band: Payloads larger than this many bytes travel beside the batch (as Ray
            object refs), not inside it.
        connect_timeout: Seconds to reach a node before it counts as lost.
    """

    batch_size: int = 2048
    batch_bytes: int = 1 << 20
    window: int = 8
    link_buffer: int = 65536
    out_of_band: int = 100_000
    connect_timeout: float = 30.0


class Transport(abc.ABC):
    """Moves batches between nodes (see the module docstring)."""

    @abc.abstractmethod
    async def connect(self, peer: str) -> int:
        """Reaches node `peer`; returns its incarnation.

        Raises:
            NodeLostError: It cannot be reached.
        """

    @abc.abstractmethod
    def send(self, peer: str, header: tuple[Any, ...], blob: bytes, payloads: list[Any]) -> asyncio.Future[Any]:
        """Hands one batch to `peer`; the future gives the receiver's status (None: queued
        there in order; ``("stale", incarnation)``: addressed to an old incarnation;
        ``("undecodable", text)``) or fails if the peer was lost."""

    @abc.abstractmethod
    def watch(self, peer: str, incarnation: int) -> asyncio.Future[Any]:
        """A future that completes (or fails) once that incarnation of `peer` is gone."""

    @abc.abstractmethod
    def put(self, data: bytes) -> Any:
        """Stores a large payload for the next batch; returns what `send` carries for it."""

    def close(self) -> None:
        """Stops whatever the transport runs in the background."""
