"""The page's two actions (only with ``serve(..., allow_control=True)``): stop an actor, restart
an actor in place. Each is recorded in the system's event stream before it is carried out, as
an ``observer.stop`` or ``observer.restart`` event (WARNING) naming the actor and who asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airsrt import _core, _lifecycle as lifecycle
from airsrt._core import PHASE_ALIVE, PHASE_STOPPED
from airsrt._monitoring import Severity

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._system import ActorSystem


STOP_TIMEOUT = 5.0


class ActionError(Exception):
    """An action the page asked for cannot be carried out; `status` is the HTTP status."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


def find(system: ActorSystem, actor_id: str, protected: Any) -> ActorRef:
    """The live actor with this snapshot id (``"node:uid"``) on `system`.

    Raises:
        ActionError: No such actor (404), the guardian or the observer's own actor (403).
    """
    node, _, uid = actor_id.rpartition(":")
    if not uid.isdigit() or node != system.name:
        raise ActionError(404, f"no actor {actor_id!r} on node {system.name!r}")
    cell: ActorRef | None = _core._cell_by_uid(system, int(uid))
    if cell is None or cell._phase == PHASE_STOPPED:
        raise ActionError(404, f"actor {actor_id!r} is not running (it may have stopped)")
    if cell is system._root:
        raise ActionError(403, "the guardian is the root of the tree; it stops with the system")
    if cell is protected:
        raise ActionError(403, f"{cell.name} is the observer's own actor; close the observer instead")
    return cell


async def stop(system: ActorSystem, cell: ActorRef, requested_by: str) -> dict[str, Any]:
    """Stops `cell` for good, as ``ref.stop()`` does (a supervised child is not restarted)."""
    record(system, "observer.stop", cell, {"requested_by": requested_by})
    await cell.stop(timeout=STOP_TIMEOUT)
    return {"ok": True, "actor": cell.name, "state": cell.state_name()}


def restart(system: ActorSystem, cell: ActorRef, requested_by: str) -> dict[str, Any]:
    """Restarts `cell` in place, as its supervisor would after a failure: same ref, a new
    instance from its factory, its mailbox kept. An operator's restart does not count toward
    any supervisor's restart intensity."""
    if cell._phase != PHASE_ALIVE:
        raise ActionError(409, f"{cell.name} is {cell.state_name()}; only a running actor can be restarted")
    record(system, "observer.restart", cell, {"requested_by": requested_by})
    lifecycle.restart(system, cell, None)
    return {"ok": True, "actor": cell.name, "state": cell.state_name()}


def record(system: ActorSystem, kind: str, cell: ActorRef | None, details: dict[str, Any]) -> None:
    """Puts an observer event into the system's event stream: its history and subscribers.

    The compiled core counts only its own kinds (a fixed table), so an event of a kind it does
    not know goes straight to the stream.
    """
    system.events._deliver(kind, Severity.WARNING, cell.name if cell is not None else None, details)
