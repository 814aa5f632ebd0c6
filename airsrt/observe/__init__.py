"""A live view of a running actor system, in a browser (``pip install "airsrt[observe]"``).

```python
import airsrt, airsrt.observe

async def main() -> None:
    async with airsrt.ActorSystem() as system:
        ...
        async with await airsrt.observe.serve(system) as observer:
            print("open", observer.url)
            await asyncio.Event().wait()
```

Or, to see it on a small demo system: ``python -m airsrt.observe --demo``.

The page shows the supervision tree (each actor's state, mailbox, processed per second,
failures and restarts), a live event feed, dead letters by reason, and plots of the system's
message rate and total mailbox depth. ``GET /api/snapshot`` gives ``system.snapshot()`` as JSON,
``GET /api/events`` the live feed (Server-Sent Events), ``GET /metrics`` Prometheus text.
"""

from __future__ import annotations

try:
    import aiohttp  # noqa: F401  (checked here so the error names the extra)
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "airsrt.observe needs aiohttp: pip install 'airsrt[observe]'"
    ) from exc

from airsrt.observe._server import Observer, serve

__all__ = ["Observer", "serve"]
