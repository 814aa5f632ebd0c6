"""A node: one ActorSystem in one process, and everything that connects it to the others.

Each process in a cluster (the driver, and every node actor) runs exactly one `Node`. It owns
the links to the other nodes, the table of its actors that other nodes know (by wire id), the
asks it sent and waits for, the watches across nodes, and the children it hosts for parents in
other nodes (or supervises in other nodes). It also implements `airsrt._remote.RemoteHooks`,
through which the core reaches remote refs.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, cast

from airsrt import _core, _lifecycle as lifecycle, _remote
from airsrt._actor import Actor, ErrorAction
from airsrt._core import PHASE_ALIVE, PHASE_RESTARTING, PHASE_STOPPED, PHASE_STOPPING
from airsrt._errors import (
    ActorStartError,
    ActorStoppedError,
    AskTimeoutError,
    ConfigurationError,
    MailboxFullError,
    SystemNotRunningError,
    UnhandledMessageError,
)
from airsrt._lifecycle import StopRequest
from airsrt._messages import ExitReason, Terminated
from airsrt._strategies import RestartPolicy
from airsrt._supervisor import Supervisor, SupervisorFactory, _ChildDown
from airsrt._system import ActorSystem
from airsrt.ray import _refs
from airsrt.ray._errors import NodeLostError, portable_error
from airsrt.ray._link import CONNECTING, LOST, UP, Inbound, Link
from airsrt.ray._refs import RemoteRef
from airsrt.ray._transport import LinkConfig, Transport
from airsrt.ray._wire import ASK, DEAD, REPLY, SYS, TELL, ByValue, OutOfBand, _cloudpickle, decode, wrap_message

__all__ = ["Node", "NodeSystem"]

log = logging.getLogger("airsrt.ray")

# Wire ids of actors spawned from another node: random, above every local uid (< 2**32).
_SPAWNED_BIT = 1 << 62


class NodeSystem(ActorSystem):
    """The ActorSystem of a node: a local one, plus children whose parent is in another node."""

    _node: Node | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A stop here may concern another node (a child hosted for a remote parent reports its
        # exit there), which only the stop protocol knows: no stop is done by the core alone.
        self._quiet_stops = False

    def _supervisor_of(self, cell: _core.ActorRef) -> Any:
        node = self._node
        if node is not None:
            hosted = node.hosted.get(cell)
            if hosted is not None and hosted.supervision is not None:
                return hosted
        return super()._supervisor_of(cell)


class _PendingAsk:
    __slots__ = ("future", "msg", "ref", "timeout")

    def __init__(self, future: asyncio.Future[Any], ref: RemoteRef, msg: Any, timeout: float | None) -> None:
        self.future = future
        self.ref = ref
        self.msg = msg
        self.timeout = timeout


class _Hosted:
    """A child this node runs for a parent in another node (the parent side of its supervision
    is there; this object stands in for it here, forwarding what a supervisor would hear)."""

    __slots__ = ("aid", "grace", "node", "parent", "policy", "supervision")

    def __init__(self, node: Node, aid: int, parent: RemoteRef, supervision: tuple[str, float | None] | None) -> None:
        self.node = node
        self.aid = aid
        self.parent = parent
        self.supervision = supervision
        self.policy = RestartPolicy(supervision[0]) if supervision else None
        self.grace = supervision[1] if supervision else None

    def _report(self, op: str, *args: Any) -> None:
        # Addressed to the parent's node, whether or not the parent itself still runs.
        parent = self.parent
        if parent._inc is not None:
            self.node._reply_to(parent._node_name, parent._inc, (SYS, op, 0, (parent._aid, self.aid, *args)))

    def child_failed(self, system: ActorSystem, cell: Any, exc: BaseException, action: ErrorAction) -> None:
        lifecycle.suspend(system, cell)
        self._report("child_down", "failed", portable_error(exc), action is ErrorAction.RESTART)

    def start_failed(self, system: ActorSystem, cell: Any, error: BaseException) -> None:
        if not cell._flags & _core.FLAG_READY:
            lifecycle.begin_stop(system, cell, StopRequest("start_failed", 0, final=True, error=error))
            return
        lifecycle.suspend(system, cell)
        self._report("child_down", "start_failed", portable_error(error), False)

    def child_exiting(self, system: ActorSystem, cell: Any, req: StopRequest) -> bool:
        if self.policy is not RestartPolicy.PERMANENT:
            return False
        lifecycle.suspend(system, cell)
        self._report("child_down", req.reason, portable_error(req.error) if req.error else None, False)
        return True

    def child_stopped(self, system: ActorSystem, cell: Any, reason: str, req: StopRequest) -> None:
        self.node.hosted.pop(cell, None)
        self._report("child_exited", reason)

    def child_grace(self, system: ActorSystem, cell: Any) -> float | None:
        return self.grace


class _Supervised:
    """A child in another node that a supervisor here supervises: how to spawn it again."""

    __slots__ = ("args", "factory", "mailbox", "name", "node", "parent", "spec")

    def __init__(self, parent: Any, factory: Any, args: tuple[Any, ...], name: str | None, mailbox: Any, node: str, spec: Any) -> None:
        self.parent = parent
        self.factory = factory
        self.args = args
        self.name = name
        self.mailbox = mailbox
        self.node = node
        self.spec = spec


class _ExportWatch:
    """Sits among a local actor's watchers once other nodes know its address: when the actor
    stops, the node forgets the address and tells the nodes that watch it."""

    __slots__ = ("aid", "node")
    _phase = PHASE_ALIVE

    def __init__(self, node: Node, aid: int) -> None:
        self.node = node
        self.aid = aid

    def _push_control(self, item: tuple[Any, ...]) -> None:
        if item[0] == "terminated":
            self.node.local_terminated(self.aid, item[1])


class Node:
    """The distribution runtime of one process (see the module docstring)."""

    ref_class = RemoteRef

    def __init__(self, name: str, transport: Transport, system: NodeSystem, config: LinkConfig | None = None) -> None:
        self.name = name
        self.incarnation = time.time_ns()
        self.transport = transport
        self.system = system
        self.loop = system.loop
        self.config = config or LinkConfig()
        system._node = self
        self.members: list[str] = []
        self.links: dict[str, Link] = {}
        self.connecting: dict[str, asyncio.Task[None]] = {}
        self.lost: dict[str, set[int]] = {}
        self.inbound: dict[str, Inbound] = {}
        self.exported: dict[int, Any] = {}
        self.wire_ids: dict[Any, int] = {}
        self.asks: dict[int, _PendingAsk] = {}
        self.requests: dict[int, tuple[asyncio.Future[Any], RemoteRef | None, str]] = {}
        self.deadlines: list[tuple[float, int]] = []
        self.deadline_handle: asyncio.TimerHandle | None = None
        self.req_ids = itertools.count(1)
        self.watchers: dict[int, set[tuple[str, int]]] = {}
        self.watching: dict[RemoteRef, dict[Any, None]] = {}
        self.hosted: dict[Any, _Hosted] = {}
        self.supervised: dict[RemoteRef, _Supervised] = {}
        self.failed_spawns: dict[int, BaseException] = {}
        self.stop_reasons: dict[int, ExitReason] = {}
        self.spread = itertools.count()
        self.remote_dead_letters = 0
        self.closed = False
        self._unbound: set[RemoteRef] = set()
        self._inline: list[tuple[int, Any]] | None = None
        self._queued: list[tuple[int, Any]] = []

    # -- installing ----------------------------------------------------------------------------

    def install(self) -> None:
        """Makes this the process's node (refs unpickle against it) and plugs it into the core."""
        _refs.set_current_node(self)
        _remote.hooks = cast("_remote.RemoteHooks", self)

    def uninstall(self) -> None:
        if _refs._node is self:
            _refs.set_current_node(None)
        if _remote.hooks is cast("_remote.RemoteHooks", self):
            _remote.hooks = None

    # -- refs on the wire ----------------------------------------------------------------------

    def reduce(self, cell: Any) -> tuple[Any, ...]:
        """``ActorRef.__reduce__`` of a local ref: its address; other nodes may now use it."""
        if cell.system is not self.system:
            raise TypeError(
                f"cannot pickle {cell!r}: it belongs to an ActorSystem that is not this process's "
                f"cluster node ({self.name}); only the node's own actors can be reached from others"
            )
        aid = self.wire_ids.get(cell)
        if aid is None:
            aid = cell._uid
            if aid not in self.exported:
                self.export(cell, aid)
        return (_refs.ref_from_wire, (self.name, aid, self.incarnation))

    def reduce_remote(self, ref: RemoteRef) -> tuple[Any, ...]:
        if ref._inc is None:
            raise RuntimeError(f"{ref.name} is still being spawned; send it once its node is reached")
        return (_refs.ref_from_wire, (ref._node_name, ref._aid, ref._inc))

    def export(self, cell: Any, aid: int) -> None:
        if cell._phase == PHASE_STOPPED or cell.system is not self.system:
            return
        self.exported[aid] = cell
        if aid != cell._uid:
            self.wire_ids[cell] = aid
        extra = cell._extra
        if extra.watchers is None:
            extra.watchers = {}
        extra.watchers[_ExportWatch(self, aid)] = None

    def ref_from_wire(self, node: str, aid: int, incarnation: int) -> Any:
        if node == self.name:
            if incarnation == self.incarnation:
                cell = self.exported.get(aid)
                if cell is not None:
                    return cell
            ref = _refs.intern(node, aid, incarnation)
            ref._state = PHASE_STOPPED  # stopped here, or addressed to an earlier incarnation
            return ref
        ref = _refs.intern(node, aid, incarnation)
        if incarnation in self.lost.get(node, ()):
            ref._state = PHASE_STOPPED
        return ref

    # -- links ---------------------------------------------------------------------------------

    def link_to(self, peer: str) -> Link:
        """The link to the current incarnation of `peer` (connecting if need be)."""
        link = self.links.get(peer)
        if link is None or link.state is LOST:
            if self.closed:
                raise SystemNotRunningError(f"node {self.name} has shut down; cannot reach {peer}")
            link = Link(self, peer, None)
            self.links[peer] = link
            self.connecting[peer] = self.loop.create_task(self._connect(link), name=f"airsrt.ray connect {peer}")
        return link

    async def _connect(self, link: Link) -> None:
        peer = link.peer
        try:
            incarnation = await asyncio.wait_for(self.transport.connect(peer), self.config.connect_timeout)
        except Exception as error:
            self.connecting.pop(peer, None)
            log.warning("node %s cannot reach node %s: %r", self.name, peer, error)
            self._lose_link(link, error)
            return
        self.connecting.pop(peer, None)
        if link.state is LOST:
            return
        link.connected(incarnation)
        self._bind_pending(peer, incarnation)
        watch = self.transport.watch(peer, incarnation)
        watch.add_done_callback(lambda f: self._watch_fired(peer, incarnation, f))

    def _watch_fired(self, peer: str, incarnation: int, future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved: the loss itself is the news
        self.peer_lost(peer, incarnation, None)

    def _bind_pending(self, peer: str, incarnation: int) -> None:
        for ref in list(self._unbound):
            if ref._node_name == peer:
                self._unbound.discard(ref)
                _refs.rebind(ref, peer, incarnation)

    async def reach(self, peer: str) -> int:
        """Waits until `peer` is connected; returns its incarnation (NodeLostError if lost)."""
        link = self.link_to(peer)
        task = self.connecting.get(peer)
        if task is not None:
            await asyncio.shield(task)
        if link.state is not UP or link.incarnation is None:
            raise NodeLostError(f"node {peer} cannot be reached from {self.name}", node=peer)
        return link.incarnation

    def _link_for(self, ref: RemoteRef) -> Link | None:
        """The link for `ref`'s incarnation, or None when that incarnation is gone."""
        link = self.links.get(ref._node_name)
        if link is not None and link.incarnation == ref._inc and link.state is UP:
            return link
        if ref._state == PHASE_STOPPED or (ref._inc is not None and ref._inc in self.lost.get(ref._node_name, ())):
            return None
        if ref._node_name == self.name:
            return None
        link = self.link_to(ref._node_name)
        if ref._inc is None or link.incarnation == ref._inc:
            return link
        if link.incarnation is None:
            return link  # connecting: post_checked decides once it is known
        return None  # a newer incarnation answers for that node now

    def _dead_reason(self, ref: RemoteRef) -> str:
        if ref._inc is not None and ref._inc in self.lost.get(ref._node_name, ()):
            return "node_lost"
        link = self.links.get(ref._node_name)
        if link is not None and link.incarnation is not None and ref._inc != link.incarnation:
            return "stale_incarnation"
        return "stopped"

    def _post(self, link: Link, ref: RemoteRef, envelope: tuple[Any, ...]) -> None:
        if link.incarnation is None and ref._inc is not None:
            link.post_checked(envelope, ref._inc)
        else:
            link.post(envelope)

    # -- sending (what RemoteRef's methods do) ---------------------------------------------------

    def tell(self, ref: RemoteRef, msg: Any) -> None:
        if not self.system._on_thread():
            # Like a local tell from another thread: handed to the loop, never waited for.
            self.loop.call_soon_threadsafe(self._tell_later, ref, msg)
            return
        link = self.links.get(ref._node_name)
        if link is None or link.incarnation != ref._inc or link.state is not UP:
            link = self._link_for(ref)
            if link is None:
                self.dead_letter(msg, ref, self._dead_reason(ref))
                return
        if len(link.pending) >= link.buffer:
            raise MailboxFullError(
                f"the link from {self.name} to {ref._node_name} has {link.buffer} messages waiting "
                f"(its window of batches in flight is full); {type(msg).__name__} for {ref.name} "
                "was not sent. Use await ref.send() to wait for room, or slow the sender",
                actor=ref.name,
                message=msg,
            )
        self._post(link, ref, (TELL, ref._aid, wrap_message(msg, link.threshold)))

    def _tell_later(self, ref: RemoteRef, msg: Any) -> None:
        try:
            self.tell(ref, msg)
        except MailboxFullError:
            self.dead_letter(msg, ref, "mailbox_full")

    async def send(self, ref: RemoteRef, msg: Any, timeout: float | None) -> None:
        self._check_thread(ref, msg, "send")
        link = self._link_for(ref)
        if link is None:
            self.dead_letter(msg, ref, self._dead_reason(ref))
            return
        if len(link.pending) >= link.buffer or link.parked:
            if not await link.wait_room(timeout):
                raise MailboxFullError(
                    f"the link from {self.name} to {ref._node_name} stayed full for {timeout:g}s; "
                    f"{type(msg).__name__} for {ref.name} was not sent",
                    actor=ref.name,
                    message=msg,
                )
            link = self._link_for(ref)
            if link is None:
                self.dead_letter(msg, ref, self._dead_reason(ref))
                return
        self._post(link, ref, (TELL, ref._aid, wrap_message(msg, link.threshold)))

    def ask(self, ref: RemoteRef, msg: Any, timeout: Any) -> asyncio.Future[Any]:
        # Per message: keep it flat (no helper calls on the path of an up link).
        if not self.system._on_thread():
            self._check_thread(ref, msg, "ask")
        if timeout is _core.DEFAULT:
            timeout = self.system._default_timeout
        elif timeout is not None:
            timeout = _core._check_timeout(timeout, "ask", None, msg)
        loop = self.loop
        future: asyncio.Future[Any] = loop.create_future()
        link = self.links.get(ref._node_name)
        if link is None or link.incarnation != ref._inc or link.state is not UP:
            link = self._link_for(ref)
            if link is None:
                future.set_exception(self._gone_error(ref, msg))
                return future
        req = next(self.req_ids)
        self.asks[req] = _PendingAsk(future, ref, msg, timeout)
        if timeout is not None:
            deadlines = self.deadlines
            heapq.heappush(deadlines, (loop.time() + timeout, req))
            if deadlines[0][1] == req:
                self._arm()
        envelope = (ASK, ref._aid, wrap_message(msg, link.threshold), req)
        if link.incarnation is None and ref._inc is not None:
            link.post_checked(envelope, ref._inc)
        else:
            link.post(envelope)
        if not link.in_flight and len(link.pending) == 1:
            link.flush()  # an idle link: a lone ask leaves now, not one loop turn later
        return future

    def _arm(self) -> None:
        """One timer for every ask's deadline: at the earliest one."""
        if self.deadline_handle is not None:
            self.deadline_handle.cancel()
        self.deadline_handle = self.loop.call_at(self.deadlines[0][0], self._expire)

    def _expire(self) -> None:
        self.deadline_handle = None
        now = self.loop.time() + 1e-6
        deadlines = self.deadlines
        while deadlines and deadlines[0][0] <= now:
            _, req = heapq.heappop(deadlines)
            pending = self.asks.pop(req, None)
            if pending is not None and not pending.future.done():
                pending.future.set_exception(
                    AskTimeoutError(
                        f"{pending.ref.name} did not answer {type(pending.msg).__name__} within "
                        f"{pending.timeout:g}s (a late reply is dropped)",
                        actor=pending.ref.name,
                        message=pending.msg,
                    )
                )
        while deadlines and deadlines[0][1] not in self.asks:
            heapq.heappop(deadlines)
        if deadlines:
            self.deadline_handle = self.loop.call_at(deadlines[0][0], self._expire)

    def _gone_error(self, ref: RemoteRef, msg: Any) -> BaseException:
        reason = self._dead_reason(ref)
        if reason == "node_lost":
            return NodeLostError(
                f"node {ref._node_name} was lost; {type(msg).__name__} for {ref.name} was not sent",
                node=ref._node_name, actor=ref.name, message=msg,
            )
        return ActorStoppedError(
            f"{ref.name} has stopped (reason: {reason}); {type(msg).__name__} was not answered",
            actor=ref.name, message=msg,
        )

    def _check_thread(self, ref: RemoteRef, msg: Any, what: str) -> None:
        if not self.system._on_thread():
            raise SystemNotRunningError(
                f"{what}({type(msg).__name__}) to {ref.name} was called off the node's loop thread; "
                "remote refs are used from the loop (use ask_blocking from other threads)",
                actor=ref.name, message=msg,
            )

    def request(self, ref: RemoteRef | None, peer: str, op: str, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """A node-level operation on `peer` that answers (spawn, stop, ready, ...)."""
        future: asyncio.Future[Any] = self.loop.create_future()
        link = self._link_for(ref) if ref is not None else self.link_to(peer)
        if link is None:
            future.set_exception(NodeLostError(f"node {peer} is gone; {op} did not happen", node=peer))
            return future
        req = next(self.req_ids)
        self.requests[req] = (future, ref, peer)
        envelope = (SYS, op, req, args)
        if ref is not None:
            self._post(link, ref, envelope)
        else:
            link.post(envelope)
        return future

    def sys(self, ref: RemoteRef, op: str, args: tuple[Any, ...]) -> None:
        """A node-level notice to `ref`'s node (no answer)."""
        link = self._link_for(ref)
        if link is not None:
            self._post(link, ref, (SYS, op, 0, args))

    # -- receiving -----------------------------------------------------------------------------

    async def receive(self, header: tuple[Any, ...], blob: bytes, payloads: Any, inline: bool = False) -> Any:
        """A batch arrived (called by the transport); returns the status for its sender.

        With `inline` (the transport hands the status back to the sender, as a Ray call's
        return value does), answers that are ready while the batch is handled -- synchronous
        handlers, eager asks -- ride back in the status, ``("replies", [...])``, instead of
        waiting for a batch of their own: a lone ask then costs one round trip.
        """
        src, src_inc, dst_inc, seq, n_buffers = header
        if dst_inc != self.incarnation:
            return ("stale", self.incarnation)
        inbound = self.inbound.get(src)
        if inbound is None or inbound.incarnation != src_inc:
            if inbound is not None and inbound.incarnation > src_inc:
                return None  # from an incarnation of the sender that has been replaced
            inbound = Inbound(src_inc)
            self.inbound[src] = inbound
        if seq < inbound.next_seq:
            return None
        future = self.loop.create_future()
        if seq != inbound.next_seq:
            inbound.reordered += 1
        inbound.early[seq] = (blob, payloads, n_buffers, future, inline)
        if not inbound.busy:
            await self._drain(src, src_inc, inbound)
        return await future

    async def _drain(self, src: str, src_inc: int, inbound: Inbound) -> None:
        inbound.busy = True
        try:
            while inbound.next_seq in inbound.early:
                blob, payloads, n_buffers, future, inline = inbound.early.pop(inbound.next_seq)
                inbound.next_seq += 1
                inbound.batches += 1
                try:
                    envelopes = decode(blob, payloads, n_buffers)
                except Exception as error:
                    future.set_result(("undecodable", f"{type(error).__name__}: {error}"))
                    continue
                start = 0
                replies: list[tuple[int, Any]] | None = [] if inline else None
                queued: list[tuple[int, Any]] = []
                while True:
                    # Set around each synchronous dispatch only: another peer's batch may be
                    # handled while this one waits below.
                    self._inline, self._queued = replies, queued
                    try:
                        parked = self._dispatch(src, src_inc, envelopes, start)
                    finally:
                        self._inline = None
                    if parked is None:
                        break
                    start, waiter = parked
                    await waiter  # a full BLOCK mailbox: the rest of the link waits, in order
                if queued:
                    replies = self._collect(src, src_inc, queued, replies)
                future.set_result(("replies", replies) if replies else None)
        finally:
            inbound.busy = False

    def _dispatch(self, src: str, src_inc: int, envelopes: list[Any], start: int) -> tuple[int, Any] | None:
        exported = self.exported
        for i in range(start, len(envelopes)):
            env = envelopes[i]
            kind = env[0]
            if kind == TELL:
                cell = exported.get(env[1])
                if cell is None:
                    self._bounce(src, src_inc, env, self._missing_reason(env[1]))
                    continue
                try:
                    waiter = cell._send_nowait(env[2])
                except MailboxFullError:
                    self._bounce(src, src_inc, env, "mailbox_full")
                    continue
                except UnhandledMessageError:
                    self._bounce(src, src_inc, env, "unhandled")
                    continue
                except SystemNotRunningError:
                    self._bounce(src, src_inc, env, "shutdown")
                    continue
                if waiter is not None:
                    return i + 1, waiter
            elif kind == ASK:
                self._ask_local(src, src_inc, env)
            elif kind == REPLY:
                pending = self.asks.pop(env[1], None)
                answer: asyncio.Future[Any] | None
                if pending is not None:
                    answer = pending.future
                else:
                    entry = self.requests.pop(env[1], None)
                    answer = entry[0] if entry is not None else None
                if answer is not None and not answer.done():
                    if env[2]:
                        answer.set_result(env[3])
                    else:
                        answer.set_exception(env[3])
            elif kind == SYS:
                try:
                    self._system_op(src, src_inc, env[1], env[2], env[3])
                except Exception as error:
                    log.exception("node %s: %s from %s failed", self.name, env[1], src)
                    if env[2]:
                        self._answer(src, src_inc, env[2], False, portable_error(error))
            elif kind == DEAD:
                ref = _refs.intern(src, env[1], src_inc)
                self.dead_letter(env[3], ref, env[2])
        return None

    def _missing_reason(self, aid: int) -> str:
        if aid in self.failed_spawns:
            return "start_failed"
        reason = self.stop_reasons.get(aid, "stopped")
        return reason if isinstance(reason, str) else reason[0]  # ("shutdown", payload)

    def _bounce(self, src: str, src_inc: int, env: tuple[Any, ...], reason: str) -> None:
        """A message from `src` could not be delivered here: its sender records the dead letter."""
        self._reply_to(src, src_inc, (DEAD, env[1], reason, env[2]))

    def _reply_to(self, src: str, src_inc: int, envelope: tuple[Any, ...]) -> None:
        """Sends `envelope` to that incarnation of `src` (connecting first if need be)."""
        if self.closed:
            return
        link = self.link_to(src)
        if link.incarnation is None:
            link.post_checked(envelope, src_inc)
        elif link.incarnation == src_inc and link.state is UP:
            link.post(envelope)

    def _ask_local(self, src: str, src_inc: int, env: tuple[Any, ...]) -> None:
        aid, msg, req = env[1], env[2], env[3]
        cell = self.exported.get(aid)
        if cell is None:
            error = ActorStoppedError(
                f"actor {aid} of node {self.name} has stopped ({self._missing_reason(aid)}); "
                f"{type(msg).__name__} was not answered",
                message=msg,
            )
            self._answer(src, src_inc, req, False, error)
            return
        try:
            future = cell.ask(msg, None)
        except Exception as error:
            self._answer(src, src_inc, req, False, portable_error(error))
            return
        if self._inline is not None:
            self._queued.append((req, future))  # answered with the batch if it is quick
        elif future.done():
            self._answered(src, src_inc, req, future)
        else:
            future.add_done_callback(lambda f: self._answered(src, src_inc, req, f))

    def _collect(
        self, src: str, src_inc: int, queued: list[tuple[int, Any]], replies: list[tuple[int, Any]] | None
    ) -> list[tuple[int, Any]] | None:
        """The asks of a batch whose answers may ride back with its acknowledgement: the
        dispatcher runs their (synchronous) handlers at once; answers not ready then (async
        handlers, a busy actor), and errors, go back over the link when they are."""
        # Run the dispatcher now rather than one loop turn later: the asks just queued are
        # handled (within its usual budget) before this batch is acknowledged.
        self.system._run()
        for req, future in queued:
            if not future.done():
                future.add_done_callback(lambda f, req=req: self._answered(src, src_inc, req, f))
                continue
            if replies is not None:
                try:
                    replies.append((req, future.result()))
                    continue
                except BaseException:
                    pass  # an error or a cancellation: answered over the link, as itself
            self._answered(src, src_inc, req, future)
        return replies

    def _answered(self, src: str, src_inc: int, req: int, future: Any) -> None:
        if future.cancelled():
            self._answer(src, src_inc, req, False, ActorStoppedError("the request was cancelled"))
            return
        error = future.exception()
        if error is None:
            self._answer(src, src_inc, req, True, future.result())
        else:
            self._answer(src, src_inc, req, False, portable_error(error))

    def _answer(self, src: str, src_inc: int, req: int, ok: bool, value: Any) -> None:
        threshold = self.config.out_of_band
        self._reply_to(src, src_inc, (REPLY, req, ok, wrap_message(value, threshold) if ok else value))

    def settle_replies(self, replies: list[tuple[int, Any]]) -> None:
        """Answers that came back with a batch's acknowledgement."""
        asks = self.asks
        for req, value in replies:
            pending = asks.pop(req, None)
            if pending is not None and not pending.future.done():
                pending.future.set_result(value)

    # -- envelopes that cannot go ----------------------------------------------------------------

    def undelivered(self, link: Link, envelopes: list[Any], reason: str) -> None:
        """Settles envelopes that will not reach `link`'s peer: dead letters, failed asks."""
        for env in envelopes:
            kind = env[0]
            if kind == TELL:
                link.dead += 1
                self.dead_letter(_unwrap(env[2]), _refs.intern(link.peer, env[1], link.incarnation), reason)
            elif kind == ASK:
                link.dead += 1
                pending = self.asks.pop(env[3], None)
                if pending is not None and not pending.future.done():
                    pending.future.set_exception(self._lost_error(pending.ref, pending.msg, reason))
            elif kind == SYS and env[2]:
                entry = self.requests.pop(env[2], None)
                if entry is not None and not entry[0].done():
                    entry[0].set_exception(
                        NodeLostError(f"node {link.peer} is gone; {env[1]} did not happen", node=link.peer)
                    )

    def _lost_error(self, ref: RemoteRef, msg: Any, reason: str) -> BaseException:
        if reason == "node_lost":
            return NodeLostError(
                f"node {ref._node_name} was lost before {ref.name} answered {type(msg).__name__}",
                node=ref._node_name, actor=ref.name, message=msg,
            )
        return ActorStoppedError(
            f"{ref.name} did not get {type(msg).__name__} ({reason})", actor=ref.name, message=msg
        )

    def unpicklable(self, link: Link, env: tuple[Any, ...], error: Exception) -> tuple[Any, ...] | None:
        """An envelope that would not pickle: what replaces it in its batch (None: nothing)."""
        kind = env[0]
        if kind == REPLY:
            return (REPLY, env[1], False, portable_error(_cannot_send(env[3], error)))
        if kind == ASK:
            pending = self.asks.pop(env[3], None)
            if pending is not None and not pending.future.done():
                pending.future.set_exception(_cannot_send(env[2], error))
            link.dead += 1
            return None
        if kind == TELL:
            link.dead += 1
            log.error("%s for node %s cannot be pickled: %r", type(env[2]).__name__, link.peer, error)
            self.dead_letter(env[2], _refs.intern(link.peer, env[1], link.incarnation), "unpicklable")
            return None
        if kind == SYS and env[2]:
            entry = self.requests.pop(env[2], None)
            if entry is not None and not entry[0].done():
                entry[0].set_exception(_cannot_send(env[1], error))
        return None

    def dead_letter(self, msg: Any, ref: Any, reason: str) -> None:
        self.remote_dead_letters += 1
        self.system.dead_letters._record(_unwrap(msg), ref, reason)

    # -- node loss -------------------------------------------------------------------------------

    def _lose_link(self, link: Link, error: BaseException | None) -> None:
        if link.state is LOST:
            return
        if self.links.get(link.peer) is link:
            del self.links[link.peer]
        self.undelivered(link, link.lose(), "node_lost")

    def peer_lost(self, peer: str, incarnation: int | None, error: BaseException | None) -> None:
        """`incarnation` of `peer` is gone (its process died, it restarted, or it shut down)."""
        if incarnation is None or incarnation in self.lost.get(peer, ()):
            link = self.links.get(peer)
            if link is not None and link.incarnation is None and incarnation is None:
                self._lose_link(link, error)
            return
        self.lost.setdefault(peer, set()).add(incarnation)
        if self.closed:
            return
        log.info("node %s: node %s (incarnation %s) is lost", self.name, peer, incarnation)
        link = self.links.get(peer)
        if link is not None and link.incarnation == incarnation:
            self._lose_link(link, error)
        inbound = self.inbound.get(peer)
        if inbound is not None and inbound.incarnation == incarnation:
            del self.inbound[peer]
        for req, pending in list(self.asks.items()):
            if pending.ref._node_name == peer and pending.ref._inc == incarnation:
                del self.asks[req]
                if not pending.future.done():
                    pending.future.set_exception(self._lost_error(pending.ref, pending.msg, "node_lost"))
        for req, (future, ref, target) in list(self.requests.items()):
            if target == peer and (ref is None or ref._inc == incarnation):
                del self.requests[req]
                if not future.done():
                    future.set_exception(NodeLostError(f"node {peer} was lost", node=peer))
        for watchers in self.watchers.values():
            watchers.discard((peer, incarnation))
        for ref in _refs.interned():
            if ref._node_name == peer and ref._inc == incarnation and ref._state != PHASE_STOPPED:
                lost = NodeLostError(f"node {peer} was lost", node=peer)
                supervised = self.supervised.get(ref)
                if supervised is not None and ref._state != PHASE_STOPPING:
                    # Its supervisor decides (restart elsewhere, or give up); watchers still hear.
                    self._child_node_lost(ref, supervised)
                    self._terminated(ref, "node_lost", lost, keep_state=True)
                else:
                    self._terminated(ref, "node_lost", lost)

    def _child_node_lost(self, ref: RemoteRef, supervised: _Supervised) -> None:
        sup = supervised.parent._actor
        if not isinstance(sup, Supervisor):
            ref._state = PHASE_STOPPED
            return
        error = NodeLostError(f"node {ref._node_name} hosting {ref.name} was lost", node=ref._node_name, actor=ref.name)
        ref._state = PHASE_ALIVE
        sup.child_failed(self.system, ref, error, ErrorAction.ESCALATE)

    # -- watch ------------------------------------------------------------------------------------

    def watch(self, watcher: Any, target: RemoteRef) -> None:
        """``context.watch(remote_ref)``: `watcher` is a local cell, or a node-level callback."""
        if not callable(watcher):
            extra = watcher._extra
            if extra.watching is None:
                extra.watching = {}
            extra.watching[target] = None
        if target._state == PHASE_STOPPED:
            self._notify(watcher, target, Terminated(target, self._dead_reason(target)))
            return
        watchers = self.watching.get(target)
        if watchers is None:
            watchers = self.watching[target] = {}
            self.sys(target, "watch", (target._aid,))
        watchers[watcher] = None

    def unwatch(self, watcher: Any, target: RemoteRef) -> None:
        watchers = self.watching.get(target)
        if watchers is not None:
            watchers.pop(watcher, None)
            if not watchers:
                del self.watching[target]
                self.sys(target, "unwatch", (target._aid,))

    def _terminated(self, ref: RemoteRef, reason: str, error: BaseException | None, keep_state: bool = False) -> None:
        if not keep_state:
            ref._state = PHASE_STOPPED
        notice = Terminated(ref, reason, error)
        for watcher in list(self.watching.pop(ref, {})):
            self._notify(watcher, ref, notice)

    def _notify(self, watcher: Any, ref: RemoteRef, notice: Terminated) -> None:
        if callable(watcher):
            watcher(notice)
        elif watcher._phase < PHASE_STOPPING:
            watcher._push_control(("terminated", notice))

    def local_terminated(self, aid: int, notice: Terminated) -> None:
        """A local actor that other nodes know stopped: forget its address, tell its watchers."""
        cell = self.exported.pop(aid, None)
        if cell is not None:
            self.wire_ids.pop(cell, None)
        # Remembered for a while: a watch that arrives just after the stop learns the reason.
        self.stop_reasons[aid] = notice.reason
        if len(self.stop_reasons) > 10_000:
            del self.stop_reasons[next(iter(self.stop_reasons))]
        error = portable_error(notice.error) if notice.error is not None else None
        for peer, incarnation in self.watchers.pop(aid, ()):
            self._reply_to(peer, incarnation, (SYS, "terminated", 0, (aid, notice.reason, error)))

    # -- spawning in other nodes ------------------------------------------------------------------

    def pick_node(self, node: str) -> str:
        if node != "spread":
            return node
        others = [m for m in self.members if m != self.name] or list(self.members)
        if not others:
            raise ConfigurationError("node='spread' needs a cluster with nodes; this one has none")
        return others[next(self.spread) % len(others)]

    def spawn(
        self, parent: Any, factory: Any, args: tuple[Any, ...], name: str | None, mailbox: Any,
        node: str, spec: Any = None,
    ) -> RemoteRef:
        """``context.spawn(..., node=)`` and ``ChildSpec(node=)``: a child in another node."""
        target = self.pick_node(node)
        if target == self.name:
            raise ConfigurationError(
                f"node={node!r} is this node ({self.name}); spawn without node= to spawn here"
            )
        if isinstance(factory, type) and not issubclass(factory, Actor):
            raise ConfigurationError(f"{factory.__qualname__} is not an airsrt.Actor subclass")
        ref, _ = self.spawn_remote(target, factory, args, name, mailbox, parent, spec)
        if spec is not None:
            self.supervised[ref] = _Supervised(parent, factory, args, name, mailbox, node, spec)
        return ref

    def spawn_remote(
        self, target: str, factory: Any, args: tuple[Any, ...], name: str | None, mailbox: Any,
        parent: Any = None, spec: Any = None, ref: RemoteRef | None = None,
    ) -> tuple[RemoteRef, asyncio.Future[Any]]:
        """Sends a spawn to `target`; returns the new ref at once (its address is chosen here)
        and a future for the spawn's outcome."""
        link = self.link_to(target)
        label = getattr(factory, "__name__", None) or type(factory).__name__
        if ref is None:
            aid = _SPAWNED_BIT | secrets.randbits(62)
            ref = _refs.intern(target, aid, link.incarnation, label)
        else:
            _refs.rebind(ref, target, link.incarnation)
        if link.incarnation is None:
            self._unbound.add(ref)
        supervision = None
        if spec is not None:
            supervision = (spec.restart.value, spec.shutdown)
        blob = _cloudpickle().dumps((factory, args, mailbox), protocol=5)
        is_supervisor = isinstance(factory, SupervisorFactory)
        future = self.request(ref, target, "spawn", (ref._aid, blob, name, parent, supervision, is_supervisor))
        future.add_done_callback(lambda f: self._spawned(ref, f))
        return ref, future

    def _spawned(self, ref: RemoteRef, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            ref._label = future.result()
            return
        if ref._state != PHASE_STOPPED:
            ref._state = PHASE_STOPPED
            self._terminated(ref, "start_failed", error)

    # -- the RemoteHooks a supervisor here uses on a child in another node ------------------------

    def request_stop(self, system: Any, ref: RemoteRef, req: StopRequest) -> asyncio.Future[None] | None:
        if ref._state == PHASE_STOPPED:
            req.resolve()
            return None
        waiter = req.waiter(self.loop)
        ref._state = PHASE_STOPPING
        grace = req.grace
        future = self.request(ref, ref._node_name, "stop", (ref._aid, req.reason, grace, req.drain))

        def done(f: asyncio.Future[Any]) -> None:
            if not f.cancelled():
                f.exception()
            ref._state = PHASE_STOPPED
            req.resolve()

        future.add_done_callback(done)
        return waiter

    def suspend(self, system: Any, ref: RemoteRef) -> bool:
        if ref._state >= PHASE_STOPPING:
            return False
        ref._state = PHASE_RESTARTING
        return True

    def restart(self, system: Any, ref: RemoteRef, cause: BaseException | None) -> None:
        supervised = self.supervised.get(ref)
        if supervised is None or ref._state != PHASE_RESTARTING:
            return
        ref._restarts += 1
        if ref._inc is not None and ref._inc not in self.lost.get(ref._node_name, ()):
            ref._state = PHASE_ALIVE
            self.sys(ref, "restart", (ref._aid, portable_error(cause) if cause is not None else None))
            return
        # Its node is gone: the child starts afresh, in that node's next incarnation if the
        # node has come back, else in another node.
        self.loop.create_task(self._respawn(ref, supervised), name=f"airsrt.ray respawn {ref.name}")

    async def _respawn(self, ref: RemoteRef, supervised: _Supervised) -> None:
        candidates = [supervised.node] if supervised.node != "spread" else []
        candidates += [m for m in self.members if m not in candidates and m != self.name]
        for target in candidates:
            try:
                await asyncio.wait_for(self.reach(target), 5.0)
            except Exception:
                continue
            ref._state = PHASE_ALIVE
            _, future = self.spawn_remote(
                target, supervised.factory, supervised.args, supervised.name, supervised.mailbox,
                supervised.parent, supervised.spec, ref,
            )
            try:
                await future
            except Exception as error:
                self._respawn_failed(ref, supervised, error)
            return
        self._respawn_failed(ref, supervised, NodeLostError(f"no node can host {ref.name}", actor=ref.name))

    def _respawn_failed(self, ref: RemoteRef, supervised: _Supervised, error: BaseException) -> None:
        ref._state = PHASE_RESTARTING
        lifecycle.notify(self.system, supervised.parent, _ChildDown(ref, ref.incarnation, "start_failed", error, False))

    async def stop_remote(self, ref: RemoteRef, drain: bool, timeout: float | None) -> None:
        if ref._state == PHASE_STOPPED:
            return
        req = StopRequest("normal", timeout, drain=bool(drain), final=True)
        waiter = self.request_stop(self.system, ref, req)
        if waiter is not None:
            await asyncio.shield(waiter)

    async def ready_remote(self, ref: RemoteRef) -> None:
        if ref._state == PHASE_STOPPED and ref._aid not in self.failed_spawns:
            raise self._gone_error(ref, None)
        await self.request(ref, ref._node_name, "ready", (ref._aid,))

    # -- node-level operations from other nodes ---------------------------------------------------

    def _system_op(self, src: str, src_inc: int, op: str, req: int, args: tuple[Any, ...]) -> None:
        handler: Callable[..., Any] = getattr(self, "_op_" + op)
        result = handler(src, src_inc, *args)
        if req:
            if isinstance(result, asyncio.Future):
                result.add_done_callback(lambda f: self._answered(src, src_inc, req, f))
            else:
                self._answer(src, src_inc, req, True, result)

    def _op_spawn(
        self, src: str, src_inc: int, aid: int, blob: bytes, name: str | None, parent: Any,
        supervision: Any, is_supervisor: bool,
    ) -> str:
        try:
            factory, args, mailbox = _cloudpickle().loads(blob)
            cls = _core.SupervisorRef if is_supervisor else _core.ActorRef
            cell = self.system._spawn(self.system._root, factory, args, name, mailbox, cls)
        except BaseException as error:
            self.failed_spawns[aid] = error
            if isinstance(error, ActorStartError):
                raise
            raise ActorStartError(f"spawning in node {self.name} failed: {error!r}") from error
        self.export(cell, aid)
        if parent is not None:
            self.hosted[cell] = _Hosted(self, aid, parent, supervision)
            self.watch(lambda notice, cell=cell: self._parent_gone(cell, notice), parent)
        return str(cell.name)

    def _parent_gone(self, cell: Any, notice: Terminated) -> None:
        if cell._phase == PHASE_STOPPED:
            return
        lifecycle.request_stop(self.system, cell, StopRequest("shutdown", self.system._stop_timeout, final=True))

    def _op_watch(self, src: str, src_inc: int, aid: int) -> None:
        cell = self.exported.get(aid)
        if cell is None:
            reason = self._missing_reason(aid)
            error = self.failed_spawns.get(aid)
            self._reply_to(src, src_inc, (SYS, "terminated", 0, (aid, reason, portable_error(error) if error else None)))
            return
        self.watchers.setdefault(aid, set()).add((src, src_inc))

    def _op_unwatch(self, src: str, src_inc: int, aid: int) -> None:
        watchers = self.watchers.get(aid)
        if watchers is not None:
            watchers.discard((src, src_inc))

    def _op_terminated(self, src: str, src_inc: int, aid: int, reason: str, error: BaseException | None) -> None:
        ref = _refs.intern(src, aid, src_inc)
        supervised = self.supervised.get(ref)
        if supervised is not None and ref._state != PHASE_STOPPED:
            return  # its supervisor here hears of it through child_exited
        self._terminated(ref, reason, error)

    def _op_stop(self, src: str, src_inc: int, aid: int, reason: str, grace: float | None, drain: bool) -> Any:
        cell = self.exported.get(aid)
        if cell is None:
            return None
        waiter = lifecycle.request_stop(self.system, cell, StopRequest(reason, grace, drain=drain, final=True))
        return waiter

    def _op_ready(self, src: str, src_inc: int, aid: int) -> Any:
        cell = self.exported.get(aid)
        if cell is None:
            error = self.failed_spawns.get(aid)
            if error is not None:
                raise error if isinstance(error, ActorStartError) else ActorStartError(repr(error))
            raise ActorStoppedError(f"actor {aid} of node {self.name} has stopped")
        return asyncio.ensure_future(cell.ready())

    def _op_restart(self, src: str, src_inc: int, aid: int, cause: BaseException | None) -> None:
        cell = self.exported.get(aid)
        if cell is not None and cell._phase == PHASE_RESTARTING:
            lifecycle.restart(self.system, cell, cause)

    def _op_child_down(
        self, src: str, src_inc: int, parent_aid: int, aid: int, reason: str, error: BaseException | None, only_this: bool
    ) -> None:
        ref = _refs.intern(src, aid, src_inc)
        supervised = self.supervised.get(ref)
        if supervised is None:
            return
        sup = supervised.parent._actor
        if reason == "failed" and isinstance(sup, Supervisor):
            ref._state = PHASE_ALIVE
            sup.child_failed(self.system, ref, error or RuntimeError("failed"), ErrorAction.RESTART if only_this else ErrorAction.ESCALATE)
            return
        ref._state = PHASE_RESTARTING
        lifecycle.notify(self.system, supervised.parent, _ChildDown(ref, ref.incarnation, reason, error, False))

    def _op_child_exited(self, src: str, src_inc: int, parent_aid: int, aid: int, reason: str) -> None:
        ref = _refs.intern(src, aid, src_inc)
        supervised = self.supervised.pop(ref, None)
        ref._state = PHASE_STOPPED
        if supervised is not None:
            sup = supervised.parent._actor
            if isinstance(sup, Supervisor):
                sup.child_stopped(self.system, ref, reason, None)  # type: ignore[arg-type]
        self._terminated(ref, reason, None)

    # -- cluster-level operations (from the driver, through the transport's control call) ----------

    def lookup(self, name: str) -> tuple[int, int, str] | None:
        cell = self.system.lookup(name)
        if cell is None:
            return None
        aid = self.wire_ids.get(cell, cell._uid)
        self.export(cell, aid)
        return (aid, self.incarnation, str(cell.name))

    def stats(self) -> dict[str, Any]:
        return {
            "node": self.name,
            "incarnation": self.incarnation,
            "system": self.system.stats().as_dict(),
            "exported_actors": len(self.exported),
            "pending_asks": len(self.asks),
            "remote_dead_letters": self.remote_dead_letters,
            "links": {peer: link.counters() for peer, link in self.links.items()},
            "inbound": {
                peer: {"incarnation": ib.incarnation, "batches": ib.batches, "reordered": ib.reordered, "waiting": len(ib.early)}
                for peer, ib in self.inbound.items()
            },
        }

    def buffered(self) -> int:
        """Envelopes held by this node's links (waiting, or in batches not yet acknowledged)."""
        return sum(len(link.pending) + sum(len(b) for b in link.in_flight.values()) for link in self.links.values())

    async def close(self) -> None:
        """Stops links and fails what waits on other nodes (the system is shut down by its owner)."""
        self.closed = True
        for task in list(self.connecting.values()):
            task.cancel()
        for link in list(self.links.values()):
            self.undelivered(link, link.lose(), "shutdown")
        self.links.clear()
        for pending in self.asks.values():
            if not pending.future.done():
                pending.future.set_exception(
                    ActorStoppedError(f"node {self.name} shut down before {pending.ref.name} answered")
                )
        self.asks.clear()
        for future, _, _ in self.requests.values():
            if not future.done():
                future.set_exception(ActorStoppedError(f"node {self.name} shut down"))
        self.requests.clear()
        if self.deadline_handle is not None:
            self.deadline_handle.cancel()
        self.transport.close()



def _unwrap(msg: Any) -> Any:
    if type(msg) is ByValue:
        return msg.msg
    if type(msg) is OutOfBand:
        return msg.data
    return msg


def _cannot_send(what: Any, error: Exception) -> BaseException:
    name = what if isinstance(what, str) else type(what).__name__
    return TypeError(f"{name} cannot be pickled for another node: {error}")
