"""Refs across processes: `RemoteRef`, and how any ref comes back from the wire.

A ref's wire address is ``(node, actor id, node incarnation)``. Unpickled in the node that
hosts the actor it is the local ref itself (the compiled cell, the fast path); anywhere else it is
a `RemoteRef`, an `airsrt.ActorRef` subclass whose methods hand messages to the link for that
node. Remote refs are interned per process, so two copies of one address are the same object:
they compare equal and hash alike, whichever message brought them.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

from airsrt._stats import ActorStats
from airsrt import _core
from airsrt._core import PHASE_ALIVE, PHASE_RESTARTING, PHASE_STOPPED, PHASE_STOPPING
from airsrt._errors import ConfigurationError, DeadlockError

if TYPE_CHECKING:
    from airsrt.ray._node import Node

__all__ = ["RemoteRef", "current_node", "ref_from_wire"]

_node: Node | None = None

# (node, actor id, node incarnation) -> the one RemoteRef of this process for that address.
_interned: weakref.WeakValueDictionary[tuple[str, int, int | None], RemoteRef] = weakref.WeakValueDictionary()


def current_node() -> Node:
    """The node this process hosts (the driver's, or a node actor's)."""
    if _node is None:
        raise RuntimeError(
            "no airsrt.ray node runs in this process: start or join a Cluster first "
            "(airsrt.ray.Cluster.start / Cluster.join)"
        )
    return _node


def set_current_node(node: Node | None) -> None:
    global _node
    _node = node
    if node is None:
        _interned.clear()


def ref_from_wire(node: str, actor_id: int, incarnation: int) -> Any:
    """Rebuilds a ref from its wire address (what ``ActorRef.__reduce__`` names)."""
    return current_node().ref_from_wire(node, actor_id, incarnation)


def intern(node: str, actor_id: int, incarnation: int | None, label: str | None = None) -> RemoteRef:
    key = (node, actor_id, incarnation)
    ref = _interned.get(key)
    if ref is None:
        ref = RemoteRef._make(node, actor_id, incarnation, label)
        if incarnation is not None:
            _interned[key] = ref
    return ref


def rebind(ref: RemoteRef, node: str, incarnation: int | None) -> None:
    """Moves `ref` to another address (a child re-spawned in another node, or a node whose
    incarnation became known): the same object, so supervisors and watchers keep it."""
    if _interned.get(ref._key()) is ref:
        del _interned[ref._key()]
    ref._node_name = node
    ref._inc = incarnation
    if incarnation is not None:
        _interned[ref._key()] = ref


def interned() -> list[RemoteRef]:
    return list(_interned.values())


class RemoteRef(_core.ActorRef):
    """A ref to an actor in another node: the `airsrt.ActorRef` API, over a link.

    ``tell``, ``send``, ``ask`` (with timeouts), ``ask_blocking``, ``stop``, ``ready`` and
    ``context.watch`` work as on a local ref. Delivery is at most once and FIFO per
    sender-receiver pair; a message that cannot be delivered is a dead letter on the sending
    node (reasons ``node_lost``, ``stale_incarnation``, ``mailbox_full``, ``stopped``, ...),
    and an ask to it fails (``NodeLostError`` as soon as the node is known lost).
    """

    __slots__ = ("__weakref__", "_aid", "_inc", "_label", "_node_name", "_restarts", "_state")

    _node_name: str
    _aid: int
    _inc: int | None
    _label: str | None
    _state: int
    _restarts: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("remote refs come from spawning in another node, or inside messages")

    @classmethod
    def _make(cls, node: str, actor_id: int, incarnation: int | None, label: str | None) -> RemoteRef:
        ref = cls.__new__(cls)
        ref._node_name = node
        ref._aid = actor_id
        ref._inc = incarnation
        ref._label = label
        ref._state = PHASE_ALIVE
        ref._restarts = 0
        return ref

    def _key(self) -> tuple[str, int, int | None]:
        return (self._node_name, self._aid, self._inc)

    # -- sending ---------------------------------------------------------------------------

    def tell(self, msg: Any, ttl: Any = None, priority: Any = None) -> None:
        """Delivers `msg` to the remote actor without waiting (the loop's thread only).

        Raises:
            MailboxFullError: The link to that node has `Cluster` ``link_buffer`` messages
                waiting to be sent (the window of batches in flight is full); ``send`` waits
                for room instead.
        """
        if ttl is not None or priority is not None:
            raise ConfigurationError(
                f"{self.name} is in another node; ttl= and priority= apply to local mailboxes only"
            )
        (_node or current_node()).tell(self, msg)

    def ask(  # type: ignore[override]
        self, msg: Any, timeout: Any = _core.DEFAULT, ttl: Any = None, priority: Any = None
    ) -> asyncio.Future[Any]:
        """Sends `msg` and returns a future for the remote handler's answer.

        Raises (when awaited): the handler's exception (as itself if it pickles, else a
        `RemoteError`), ``AskTimeoutError``, ``NodeLostError``, ``ActorStoppedError``,
        ``MailboxFullError``, ``UnhandledMessageError``.
        """
        if ttl is not None or priority is not None:
            raise ConfigurationError(
                f"{self.name} is in another node; ttl= and priority= apply to local mailboxes only"
            )
        return (_node or current_node()).ask(self, msg, timeout)

    async def send(self, msg: Any, timeout: float | None = None) -> None:
        """Like `tell`, but waits (up to `timeout` seconds) for room in the link."""
        await current_node().send(self, msg, timeout)

    def ask_blocking(self, msg: Any, timeout: Any = _core.DEFAULT) -> Any:
        """Asks from a thread other than the node's loop, and blocks for the answer."""
        node = current_node()
        if node.system._on_thread():
            raise DeadlockError(
                f"ask_blocking({type(msg).__name__}) to {self.name} was called on the event loop's "
                "own thread; use 'await ref.ask(...)' there",
                actor=self.name,
                message=msg,
            )

        async def _ask() -> Any:
            return await self.ask(msg, timeout)

        return asyncio.run_coroutine_threadsafe(_ask(), node.loop).result()

    async def stop(self, drain: bool = False, timeout: float | None = 5.0) -> None:
        """Stops the remote actor for good and waits until it has stopped (or its node is lost)."""
        await current_node().stop_remote(self, drain, timeout)

    async def ready(self) -> None:
        """Waits until the remote actor's ``on_start`` has finished.

        Raises:
            ActorStartError: It failed to start. NodeLostError: its node was lost.
        """
        await current_node().ready_remote(self)

    # -- looking ---------------------------------------------------------------------------

    @property
    def is_alive(self) -> bool:
        """False once this node knows the actor stopped (it watched it) or its node was lost."""
        return self._state != PHASE_STOPPED

    @property
    def name(self) -> str:
        """``"Worker#12@n1"``: the actor's name in its node, and the node."""
        label = self._label or f"actor#{self._aid}"
        return f"{label}@{self._node_name}"

    @property
    def incarnation(self) -> int:
        """1 for the first instance; counts the restarts this node ordered (as a supervisor)."""
        return 1 + self._restarts

    @property
    def node(self) -> str:
        """The name of the node the actor lives in."""
        return self._node_name

    @property
    def system(self) -> Any:
        """The local node's ActorSystem (the remote one is in another process)."""
        return current_node().system

    def mailbox_size(self) -> int:
        raise TypeError(
            f"{self.name} is in another node: its mailbox size is not known here; "
            "see `await cluster.stats()` or ask the actor"
        )

    def stats(self) -> ActorStats:
        raise TypeError(f"{self.name} is in another node: use `await cluster.stats()` for its node's counters")

    def __repr__(self) -> str:
        state = {PHASE_ALIVE: "REMOTE", PHASE_RESTARTING: "RESTARTING", PHASE_STOPPING: "STOPPING"}.get(
            self._state, "STOPPED"
        )
        return f"<ActorRef {self.name} {state}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return current_node().reduce_remote(self)

    # -- what the lifecycle and supervision code reads on a child's ref ----------------------

    @property
    def _phase(self) -> int:
        return self._state

    @_phase.setter
    def _phase(self, value: int) -> None:
        self._state = value

    @property
    def _has_extra(self) -> bool:
        return False

