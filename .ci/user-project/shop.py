"""The user's application: a stock keeper, a supervised price feed and a slow reporter."""

import asyncio
import time

import airsrt


class Reserve(airsrt.Message[int]):
    def __init__(self, item: str, count: int) -> None:
        self.item, self.count = item, count


class Restock(airsrt.Message[int]):
    def __init__(self, item: str, count: int, delay: float = 0.0) -> None:
        self.item, self.count, self.delay = item, count, delay


class OutOfStock(Exception):
    pass


class Stock(airsrt.Actor):
    """Keeps item counts and tells `audit` about every change."""

    def __init__(self, audit: airsrt.ActorRef) -> None:
        self.counts: dict[str, int] = {}
        self.audit = audit

    @airsrt.handler
    def reserve(self, msg: Reserve) -> int:
        left = self.counts.get(msg.item, 0) - msg.count
        if left < 0:
            raise OutOfStock(msg.item)
        self.counts[msg.item] = left
        self.audit.tell(("reserved", msg.item, msg.count))
        return left

    @airsrt.handler
    async def restock(self, msg: Restock) -> int:
        await asyncio.sleep(msg.delay)  # the supplier takes its time
        self.counts[msg.item] = self.counts.get(msg.item, 0) + msg.count
        self.audit.tell(("restocked", msg.item, msg.count))
        return self.counts[msg.item]


class Quote(airsrt.Message[float]):
    def __init__(self, price: float) -> None:
        self.price = price


class Feed(airsrt.Actor):
    """Crashes on a negative price (a bug upstream); its supervisor restarts it."""

    @airsrt.handler
    def quote(self, msg: Quote) -> float:
        if msg.price < 0:
            raise ValueError("negative price")
        return msg.price


def supervised_feed(system: airsrt.ActorSystem) -> "asyncio.Future[airsrt.SupervisorRef]":
    strategy = airsrt.OneForOne(
        max_restarts=3, within=60, backoff=airsrt.Backoff(initial=1.0, maximum=8.0)
    )
    return system.spawn_supervisor(strategy, [airsrt.ChildSpec("feed", Feed)])


class Report(airsrt.Message[str]):
    pass


class Reporter(airsrt.Actor):
    """Builds its report synchronously: a bug that blocks the event loop."""

    @airsrt.handler
    def report(self, msg: Report) -> str:
        time.sleep(0.3)
        return "done"
