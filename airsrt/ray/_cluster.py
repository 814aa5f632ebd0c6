"""`Cluster`: start or join a set of airsrt nodes on Ray, and operate it from the driver."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
from collections.abc import Mapping
from typing import Any, cast

import ray

from airsrt._core import ActorRef
from airsrt._errors import ConfigurationError, NameTakenError
from airsrt.ray import _refs
from airsrt.ray._errors import NodeLostError
from airsrt.ray._node import Node, NodeSystem
from airsrt.ray._ray import NodeActor, RayTransport, actor_name, is_driver
from airsrt.ray._refs import RemoteRef
from airsrt.ray._transport import LinkConfig

__all__ = ["Cluster"]

log = logging.getLogger("airsrt.ray")

_NODE_DEFAULTS: dict[str, Any] = {"num_cpus": 1, "max_restarts": 0}


class Cluster:
    """A set of airsrt nodes, each an async Ray actor hosting an ActorSystem, plus the driver.

    The driver is a node too: it runs an ActorSystem (`system`) on its own loop, so refs work
    in the driver exactly as inside actors. Build one with `start` or `join`; leave it with
    `shutdown` (or ``async with``).
    """

    def __init__(self, node: Node, namespace: str, specs: dict[str, dict[str, Any]], *, owns_nodes: bool, owns_ray: bool) -> None:
        self._node = node
        self._namespace = namespace
        self._specs = specs
        self._owns_nodes = owns_nodes
        self._owns_ray = owns_ray
        self._spread = itertools.count()
        self._closed = False
        self._handles: dict[str, Any] = {}

    # -- bring-up --------------------------------------------------------------------------------

    @classmethod
    async def start(
        cls,
        nodes: int | list[str] | Mapping[str, Mapping[str, Any]] = 2,
        *,
        address: str | None = None,
        namespace: str | None = None,
        node_options: Mapping[str, Any] | None = None,
        placement: str = "spread",
        link: LinkConfig | None = None,
    ) -> Cluster:
        """Starts `nodes` airsrt nodes on Ray and makes this process the driver node.

        Ray is started here (loopback only, no dashboard) when it is not initialised and
        neither `address` nor ``RAY_ADDRESS`` names a cluster; otherwise this joins that cluster.

        Args:
            nodes: How many nodes (named ``n0``, ``n1``, ...), a list of names, or a mapping
                from name to that node's Ray options (e.g. ``{"gpu0": {"num_gpus": 1}}``).
            address: A Ray cluster to join (``"auto"``, ``"host:6379"``, ``"ray://..."``).
            namespace: The Ray namespace the nodes are named in (another driver joins with it).
            node_options: Ray actor options for every node: ``num_cpus`` (default 1),
                ``max_restarts`` (default 0: a crashed node stays lost), ``resources``,
                ``num_gpus``, ``scheduling_strategy``, ``runtime_env``...
            placement: ``"spread"`` asks Ray to put the nodes on different machines where it
                can; ``"pack"`` leaves placement to Ray's default.
            link: Batching and window settings of the links (`LinkConfig`).

        Raises:
            ConfigurationError: Bad node names or options.
            NodeLostError: A node did not start (for example no free CPU for its ``num_cpus``).
        """
        specs = _node_specs(nodes, node_options)
        if placement not in ("spread", "pack"):
            raise ConfigurationError(f"placement must be 'spread' or 'pack', got {placement!r}")
        owns_ray = _init_ray(address, namespace, sum(float(s.get("num_cpus", 1)) for s in specs.values()))
        namespace = namespace or ray.get_runtime_context().namespace
        config = link or LinkConfig()
        node = await _driver_node("driver", namespace, config)
        node.members = list(specs)
        # The cluster holds the handles: Ray ends an actor whose creator dropped every handle.
        handles: dict[str, Any] = {}
        for name, options in specs.items():
            existing = _existing(name, namespace)
            if existing is not None:
                await _leave(node, owns_ray=False)
                raise ConfigurationError(
                    f"a node named {name!r} already runs in Ray namespace {namespace!r}; join that "
                    "cluster (Cluster.join), shut it down, or pick another namespace"
                )
            handles[name] = _create(name, namespace, options, placement, config, list(specs))
        cluster = cls(node, namespace, {k: dict(v, _placement=placement) for k, v in specs.items()}, owns_nodes=True, owns_ray=owns_ray)
        cluster._handles = handles
        try:
            await asyncio.gather(*(cluster._reach(name) for name in specs))
        except BaseException:
            await cluster.shutdown()
            raise
        return cluster

    @classmethod
    async def join(cls, namespace: str, *, address: str | None = None, link: LinkConfig | None = None) -> Cluster:
        """Joins the nodes another driver started in Ray namespace `namespace`.

        This process becomes a driver node of its own; `shutdown` then leaves the nodes
        running (they belong to the driver that started them).

        Raises:
            ConfigurationError: No airsrt node is named in that namespace.
        """
        owns_ray = _init_ray(address or os.environ.get("RAY_ADDRESS") or "auto", namespace, 0)
        names = sorted(
            entry["name"][len("airsrt:"):]
            for entry in ray.util.list_named_actors(all_namespaces=True)
            if entry.get("namespace") == namespace and entry["name"].startswith("airsrt:")
        )
        if not names:
            raise ConfigurationError(f"no airsrt nodes run in Ray namespace {namespace!r}")
        node = await _driver_node(f"driver-{secrets.token_hex(4)}", namespace, link or LinkConfig())
        node.members = names
        cluster = cls(node, namespace, {n: {} for n in names}, owns_nodes=False, owns_ray=owns_ray)
        await asyncio.gather(*(cluster._reach(name) for name in names))
        return cluster

    async def _reach(self, name: str) -> None:
        try:
            await asyncio.wait_for(self._node.reach(name), self._node.config.connect_timeout + 5)
        except (TimeoutError, NodeLostError) as error:
            raise NodeLostError(
                f"node {name} did not start: Ray could not place it (is there a free CPU for its "
                "num_cpus? pass node_options={'num_cpus': 0.5} to share cores) or it crashed "
                f"on start ({error})",
                node=name,
            ) from error

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()

    # -- what there is -----------------------------------------------------------------------------

    @property
    def nodes(self) -> list[str]:
        """The names of the cluster's nodes (not counting drivers)."""
        return list(self._specs)

    @property
    def driver(self) -> str:
        """This driver's node name (``"driver"``, or ``"driver-<hex>"`` after `join`)."""
        return self._node.name

    @property
    def system(self) -> NodeSystem:
        """The driver's own ActorSystem."""
        return self._node.system

    @property
    def namespace(self) -> str:
        """The Ray namespace the nodes are named in."""
        return self._namespace

    def node_of(self, ref: ActorRef) -> str:
        """The name of the node `ref`'s actor lives in."""
        if isinstance(ref, RemoteRef):
            return ref.node
        if isinstance(ref, ActorRef):
            return self._node.name
        raise TypeError(f"node_of() takes an ActorRef, got {type(ref).__name__}")

    # -- actors --------------------------------------------------------------------------------

    async def spawn(
        self, factory: Any, *args: Any, node: str | None = None, name: str | None = None, mailbox: Any = None
    ) -> ActorRef:
        """Spawns an actor in `node` (a node name, ``"spread"`` for round robin, or None for
        the driver) and returns its ref once it exists there.

        Raises:
            NameTakenError: `name` is taken anywhere in the cluster.
            ActorStartError: Its factory raised (in that node).
            NodeLostError: That node is gone.
        """
        self._check_open()
        if name is not None and await self.lookup(name) is not None:
            raise NameTakenError(f"an actor named {name!r} already runs in this cluster", actor=name)
        if node is None or node == self._node.name:
            return self.system.spawn(factory, *args, name=name, mailbox=mailbox)
        if node == "spread":
            node = self.nodes[next(self._spread) % len(self.nodes)]
        if node not in self._specs:
            raise ConfigurationError(f"no node named {node!r} in this cluster (nodes: {self.nodes})")
        await self._node.reach(node)
        ref, done = self._node.spawn_remote(node, factory, args, name, mailbox)
        await done
        return ref

    async def lookup(self, name: str) -> ActorRef | None:
        """The live actor registered under `name` in any node, or None."""
        self._check_open()
        local = self.system.lookup(name)
        if local is not None:
            return local
        names = self.nodes

        async def one(node: str) -> Any:
            try:
                return await asyncio.wait_for(self._control(node, "lookup", name), 10)
            except Exception:
                return None

        for node, found in zip(names, await asyncio.gather(*(one(n) for n in names)), strict=True):
            if found is not None:
                aid, incarnation, label = found
                return _refs.intern(node, aid, incarnation, label)
        return None

    async def stats(self) -> dict[str, Any]:
        """Per node (drivers included), as plain dicts: its system's counters (`SystemStats.as_dict()`),
        its links' ledgers, reordering."""
        self._check_open()
        out = {self._node.name: self._node.stats()}
        for node in self.nodes:
            try:
                out[node] = await asyncio.wait_for(self._control(node, "stats"), 10)
            except Exception as error:
                out[node] = {"node": node, "lost": repr(error)}
        return out

    # -- fault injection and repair --------------------------------------------------------------

    async def kill_node(self, name: str) -> None:
        """Kills node `name`'s process (fault injection) and waits until this driver knows it
        is lost: its actors' pending asks have failed with `NodeLostError` and watchers have
        got ``Terminated(ref, "node_lost")``. It is not restarted (see `restart_node`)."""
        self._check_node(name)
        handle = self._handle(name)
        incarnation = self._incarnation(name)
        ray.kill(handle, no_restart=True)
        if incarnation is not None:
            await self._wait_lost(name, incarnation)

    async def restart_node(self, name: str) -> None:
        """Replaces node `name` by a fresh, empty one (a new incarnation); refs to the old one's
        actors stay dead, and envelopes addressed to it are rejected."""
        self._check_node(name)
        incarnation = self._incarnation(name)
        try:
            ray.kill(self._handle(name), no_restart=True)
        except ValueError:
            pass
        if incarnation is not None:
            await self._wait_lost(name, incarnation)
        options = {k: v for k, v in self._specs[name].items() if k != "_placement"}
        placement = self._specs[name].get("_placement", "pack")
        for attempt in range(100):
            try:
                self._handles[name] = _create(name, self._namespace, options, placement, self._node.config, self.nodes)
                break
            except ValueError:  # the dead actor's name is not released yet
                await asyncio.sleep(0.1)
        await self._reach(name)

    async def _wait_lost(self, name: str, incarnation: int) -> None:
        for _ in range(300):
            if incarnation in self._node.lost.get(name, ()):
                return
            await asyncio.sleep(0.05)
        log.warning("node %s was killed but its loss was not detected within 15 s", name)

    def _incarnation(self, name: str) -> int | None:
        link = self._node.links.get(name)
        return link.incarnation if link is not None else None

    # -- leaving ---------------------------------------------------------------------------------

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Stops every node's actors and the nodes' processes (nodes this driver started), then
        the driver's own system; stops Ray too if `start` started it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._owns_nodes:
            async def stop(name: str) -> None:
                try:
                    await asyncio.wait_for(self._control(name, "shutdown", timeout), timeout + 5)
                except Exception as error:
                    log.debug("node %s did not shut down cleanly: %r", name, error)

            await asyncio.gather(*(stop(n) for n in self.nodes))
            for handle in self._handles.values():
                ray.kill(handle, no_restart=True)
            self._handles.clear()
        await _leave(self._node, owns_ray=self._owns_ray, timeout=timeout)

    # -- helpers -----------------------------------------------------------------------------

    def _handle(self, name: str) -> Any:
        handle = self._handles.get(name)
        if handle is None:
            handle = self._handles[name] = ray.get_actor(actor_name(name), namespace=self._namespace)
        return handle

    async def _control(self, name: str, op: str, *args: Any) -> Any:
        transport = cast(RayTransport, self._node.transport)
        handle = transport.handles.get(name) or self._handle(name)
        return await asyncio.wrap_future(handle.control.remote(op, *args).future())

    def _check_node(self, name: str) -> None:
        self._check_open()
        if name not in self._specs:
            raise ConfigurationError(f"no node named {name!r} in this cluster (nodes: {self.nodes})")

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigurationError("this cluster has been shut down; start or join a new one")

    def __repr__(self) -> str:
        return f"<Cluster {self._namespace!r} nodes={self.nodes} driver={self.driver!r}>"


def _node_specs(nodes: Any, node_options: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    base = dict(_NODE_DEFAULTS)
    if node_options:
        base.update(node_options)
    if isinstance(nodes, bool) or nodes is None:
        raise ConfigurationError(f"nodes must be a count, a list of names or a mapping, got {nodes!r}")
    if isinstance(nodes, int):
        if nodes < 1:
            raise ConfigurationError(f"a cluster needs at least one node, got nodes={nodes}")
        specs = {f"n{i}": dict(base) for i in range(nodes)}
    elif isinstance(nodes, Mapping):
        specs = {str(name): {**base, **dict(opts or {})} for name, opts in nodes.items()}
    else:
        specs = {str(name): dict(base) for name in nodes}
    for name in specs:
        if not name or is_driver(name) or name == "spread" or ":" in name:
            raise ConfigurationError(
                f"invalid node name {name!r}: names are non-empty, without ':', and 'spread' and "
                "'driver...' are reserved"
            )
    if not specs:
        raise ConfigurationError("a cluster needs at least one node")
    return specs


def _init_ray(address: str | None, namespace: str | None, cpus: float) -> bool:
    """Connects to Ray, starting a local one if there is none; True if it was started here."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, namespace=namespace)
        return False
    # A laptop or CI: every socket on loopback, no dashboard, no usage reporting.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(
        num_cpus=max(os.cpu_count() or 1, int(cpus + 0.999)),
        include_dashboard=False,
        namespace=namespace,
        _node_ip_address="127.0.0.1",
    )
    return True


async def _driver_node(name: str, namespace: str, config: LinkConfig) -> Node:
    loop = asyncio.get_running_loop()
    system = NodeSystem(f"airsrt-{name}")
    system.start()
    transport = RayTransport(namespace, loop, driver=True)
    node = Node(name, transport, system, config)
    transport.node = node
    node.install()
    return node


async def _leave(node: Node, *, owns_ray: bool, timeout: float = 10.0) -> None:
    try:
        await node.close()
        await node.system.shutdown(timeout)
    finally:
        node.uninstall()
        if owns_ray:
            ray.shutdown()


def _existing(name: str, namespace: str) -> Any:
    try:
        return ray.get_actor(actor_name(name), namespace=namespace)
    except ValueError:
        return None


def _create(name: str, namespace: str, options: Mapping[str, Any], placement: str, config: LinkConfig, members: list[str]) -> Any:
    opts = {k: v for k, v in options.items() if k != "_placement"}
    if placement == "spread" and "scheduling_strategy" not in opts:
        opts["scheduling_strategy"] = "SPREAD"
    return NodeActor.options(  # type: ignore[attr-defined]
        name=actor_name(name),
        namespace=namespace,
        max_task_retries=0,
        max_concurrency=10_000,
        **opts,
    ).remote(name, namespace, config.__dict__, members)
