"""airsrt across processes and machines, on Ray (extra ``airsrt[ray]``).

One async Ray actor hosts a whole airsrt node (an ActorSystem on that actor's loop); the driver
is a node too. Refs carry ``(node, actor id, incarnation)`` and keep the full `airsrt.ActorRef`
API across nodes; messages between nodes travel in batches, one Ray call per batch, FIFO per
sender-receiver pair, at most once. See docs/guides/cluster.md.

```python
import airsrt
from airsrt.ray import Cluster

async def main() -> None:
    async with await Cluster.start(nodes=2) as cluster:
        ref = await cluster.spawn(Counter, node="n1")
        ref.tell(Inc())
        print(await ref.ask(Get(), timeout=5))

airsrt.run(main())
```
"""

try:
    import ray as _ray  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "airsrt.ray needs Ray: install the extra with 'pip install \"airsrt[ray]\"'"
    ) from exc

from airsrt.ray._cluster import Cluster
from airsrt.ray._errors import NodeLostError, RemoteError
from airsrt.ray._refs import RemoteRef
from airsrt.ray._transport import LinkConfig, Transport

__all__ = ["Cluster", "LinkConfig", "NodeLostError", "RemoteError", "RemoteRef", "Transport"]
