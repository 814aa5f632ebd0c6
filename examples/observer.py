"""A snapshot of a running system, and its live view in a browser.

    python examples/observer.py          # a snapshot, then the page served briefly
    python examples/observer.py --serve   # keeps serving the page until Ctrl+C

The snapshot needs only airsrt; the page needs ``pip install "airsrt[observe]"``.
"""

import asyncio
import sys
import json
import urllib.request

import airsrt

try:
    import airsrt.observe as observe  # the live view: pip install "airsrt[observe]"
except ImportError:
    observe = None


class Order:
    def __init__(self, item: str) -> None:
        self.item = item


class OrderBook(airsrt.Actor):
    def __init__(self) -> None:
        self.orders = 0

    @airsrt.handler
    def place(self, msg: Order) -> int:
        self.orders += 1
        return self.orders


def fetch_actors(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return len(json.load(response)["actors"])


async def main() -> None:
    async with airsrt.ActorSystem("shop") as system:
        await system.spawn_supervisor(
            airsrt.OneForOne(max_restarts=3, within=5.0),
            [airsrt.ChildSpec("orders", OrderBook, name="orders")],
            name="app",
        )
        orders = system.lookup("orders")
        assert orders is not None
        for item in ("tea", "cake", "jam"):
            orders.tell(Order(item))
        await orders.ask(Order("scone"))

        # The snapshot: every actor, the supervisors, the counters (no extra needed).
        snap = system.snapshot()
        # Parents before children, the guardian first of all.
        for actor in snap.actors:
            print(f"{actor.path:<12} {actor.kind:<10} {actor.state}", actor.processed)
        for sup in snap.supervisors:
            strategy = sup.strategy or "stops failed actors"  # the default guardian
            used = f"{sup.restarts_in_window} of {sup.max_restarts} restarts used"
            print(f"{sup.actor} {sup.kind}: {strategy}, {used}")
        print(f"sent {snap.counters.sent}, in flight {snap.counters.in_flight}")

        # The live view, served on this same loop.
        if observe is None:
            print("to serve the page: pip install 'airsrt[observe]'")
            return
        async with await observe.serve(system) as observer:
            print("observer on loopback:", observer.url.startswith("http://127.0.0.1:"))
            # Fetched from another thread: the server answers on this loop.
            url = observer.url + "api/snapshot"
            actors = await asyncio.to_thread(fetch_actors, url)
            print(f"GET /api/snapshot: JSON listing {actors} actors")
            if "--serve" in sys.argv:
                await asyncio.Event().wait()  # until Ctrl+C


airsrt.run(main())
