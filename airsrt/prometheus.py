"""Prometheus export of an actor system's metrics (``pip install "airsrt[prometheus]"``).

    from airsrt.prometheus import register
    register(system)                         # into prometheus_client's default registry
    prometheus_client.start_http_server(9100)

Metrics are read from the system's counters at scrape time (a custom collector), so exporting
costs nothing between scrapes. Scrapes run on prometheus_client's server thread: everything the
collector reads (``system.stats()``, ``system.actors()``, ``ref.mailbox_size()``) is safe to read
from any thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

try:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.registry import REGISTRY, Collector, CollectorRegistry
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "airsrt.prometheus needs prometheus_client: pip install 'airsrt[prometheus]'"
    ) from exc

if TYPE_CHECKING:
    from airsrt._system import ActorSystem

__all__ = ["ActorSystemCollector", "register"]


class ActorSystemCollector(Collector):
    """Collects ``airsrt_*`` metrics from one actor system.

    Args:
        system: The system to export.
        per_actor: Also export the mailbox depth of every *named* actor (label ``actor``);
            unnamed actors are only counted in the totals, to keep label cardinality bounded.
    """

    def __init__(self, system: ActorSystem, *, per_actor: bool = True) -> None:
        self._system = system
        self._per_actor = per_actor

    def collect(self) -> Iterator[Any]:
        system = self._system
        stats = system.stats()
        label = ["system"]
        name = [system.name]

        def gauge(metric: str, doc: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(metric, doc, labels=label)
            family.add_metric(name, value)
            return family

        def counter(metric: str, doc: str, value: float) -> CounterMetricFamily:
            family = CounterMetricFamily(metric, doc, labels=label)
            family.add_metric(name, value)
            return family

        yield gauge("airsrt_actors", "Live actors.", stats.actors)
        yield counter("airsrt_actors_spawned", "Actors spawned.", stats.spawned)
        yield counter("airsrt_messages_sent", "The user's messages sent (tell, ask, publish copies).", stats.sent)
        yield counter("airsrt_messages_handled", "The user's messages whose handler ran.", stats.handled)
        yield counter("airsrt_messages_rejected", "The user's messages refused at the call site.", stats.rejected)
        yield counter("airsrt_dead_letters", "The user's messages that became dead letters.", stats.dead_letters)
        yield counter("airsrt_messages_returned", "Asks that ended with an error before their handler ran.", stats.returned)
        yield counter("airsrt_messages_withdrawn", "Asks cancelled by their caller before their handler ran.", stats.withdrawn)
        yield counter("airsrt_late_replies", "Replies that came after their ask gave up.", stats.late_replies)
        yield counter("airsrt_restarts", "Actor restarts.", stats.restarts)
        yield counter("airsrt_failures", "Handler failures.", stats.failures)
        yield counter("airsrt_control_sent", "The runtime's own messages sent (notices, supervisor requests).", stats.control.sent)
        yield counter("airsrt_control_handled", "The runtime's own messages whose handler ran.", stats.control.handled)
        yield counter("airsrt_control_dropped", "The runtime's own messages dropped unhandled.", stats.control.dropped)
        actors = system.actors()
        depths = [ref.mailbox_size() for ref in actors]
        yield gauge("airsrt_mailbox_depth_total", "Messages queued across all actors.", sum(depths))
        yield gauge("airsrt_mailbox_depth_max", "The deepest mailbox.", max(depths, default=0))
        if self._per_actor:
            family = GaugeMetricFamily(
                "airsrt_mailbox_depth", "Messages queued, per named actor.", labels=["system", "actor"]
            )
            for ref, depth in zip(actors, depths):
                if ref._registered_name is not None:
                    family.add_metric([system.name, ref._registered_name], depth)
            yield family


def register(
    system: ActorSystem, registry: CollectorRegistry | None = None, *, per_actor: bool = True
) -> ActorSystemCollector:
    """Registers a collector for `system` (in prometheus_client's default registry unless
    `registry` is given) and returns it; ``registry.unregister(collector)`` removes it."""
    collector = ActorSystemCollector(system, per_actor=per_actor)
    (registry if registry is not None else REGISTRY).register(collector)
    return collector
