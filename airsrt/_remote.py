"""The seam through which refs to actors in other processes plug into the core.

`airsrt.ray` installs an implementation of `RemoteHooks` in `hooks` when it is imported; until
then (and in every program that never imports it) `hooks` is None and each hook point below is
one branch that is never taken. None of them is on the per-message path: a remote ref is a
Python subclass of `ActorRef` whose ``tell``/``ask``/``send`` go to a link, so local refs pay
nothing for it.

The hook points (one branch each):

- ``ActorRef.__reduce__`` (``_cell.pxi``, through ``_ref.reduce``): how a ref pickles.
- ``Context.spawn(node=...)`` (``_actor.py``) and ``ChildSpec(node=...)`` in
  ``Supervisor._spawn_child`` (``_supervisor.py``): spawning in another node.
- ``lifecycle.watch``/``unwatch``: watching a remote ref.
- ``lifecycle.request_stop``/``begin_stop``/``suspend``/``restart_group``: what a supervisor
  does to a child that lives in another node (stop it, hold it, restart it).
- ``Broker.subscribe`` refuses a remote ref (publish pushes into local mailboxes only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import asyncio

    from airsrt._core import ActorRef
    from airsrt._lifecycle import StopRequest
    from airsrt._system import ActorSystem

__all__ = ["RemoteHooks", "hooks", "is_remote"]


class RemoteHooks(Protocol):
    """What a distribution layer provides to the core (airsrt.ray's node runtime)."""

    ref_class: type

    def reduce(self, ref: ActorRef) -> tuple[Any, ...]:
        """``ref.__reduce__()`` for a local ref: its wire address."""

    def spawn(
        self, parent: ActorRef, factory: Any, args: tuple[Any, ...], name: str | None,
        mailbox: Any, node: str, spec: Any = None,
    ) -> ActorRef:
        """Spawns a child of `parent` in `node` (supervised by `parent` when `spec` is given)."""

    def watch(self, watcher: ActorRef, target: ActorRef) -> None:
        """`watcher` (local) will receive ``Terminated`` when the remote `target` stops."""

    def unwatch(self, watcher: ActorRef, target: ActorRef) -> None:
        """Undoes `watch`."""

    def request_stop(self, system: ActorSystem, ref: ActorRef, req: StopRequest) -> asyncio.Future[None] | None:
        """Stops a remote child for good; a future for the outcome, or None if it has stopped."""

    def suspend(self, system: ActorSystem, ref: ActorRef) -> bool:
        """Marks a remote child as held between its failure and its supervisor's decision."""

    def restart(self, system: ActorSystem, ref: ActorRef, cause: BaseException | None) -> None:
        """Restarts a remote child (in its node, or elsewhere if that node is lost)."""


#: The installed implementation, or None while no distribution layer is loaded.
hooks: RemoteHooks | None = None


def is_remote(ref: Any) -> bool:
    """True if `ref` is a ref to an actor in another process."""
    return hooks is not None and isinstance(ref, hooks.ref_class)
