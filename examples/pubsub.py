"""Publish-subscribe with the broker, and replying to a tell with a reply-to ref.

A price feed publishes ticks to topics such as `prices.eu.AIR`. Subscribers pick what
they want with wildcards: `*` matches one word, `#` any number of words.
"""

from __future__ import annotations

from dataclasses import dataclass

import airsrt


@dataclass(frozen=True)
class Tick:
    symbol: str
    price: float


@dataclass(frozen=True)
class Quote:
    """A request that says where to send the answer: the reply-to pattern."""

    symbol: str
    reply_to: airsrt.ActorRef


@dataclass(frozen=True)
class QuoteAnswer:
    symbol: str
    price: float | None


class PriceBook(airsrt.Actor):
    """Keeps the latest price of every symbol it hears about."""

    def __init__(self) -> None:
        self.latest: dict[str, float] = {}

    @airsrt.handler
    def tick(self, msg: Tick) -> None:
        self.latest[msg.symbol] = msg.price

    @airsrt.handler
    def quote(self, msg: Quote) -> None:
        # No return value travels back for a tell: answer by telling the sender's ref.
        msg.reply_to.tell(QuoteAnswer(msg.symbol, self.latest.get(msg.symbol)))


class Trader(airsrt.Actor):
    def __init__(self) -> None:
        self.seen: list[str] = []

    @airsrt.handler
    def published(self, msg: airsrt.Published) -> None:
        self.seen.append(f"{msg.topic}={msg.message.price}")

    @airsrt.handler
    def answer(self, msg: QuoteAnswer) -> None:
        print(f"trader got a quote: {msg.symbol} at {msg.price}")

    @airsrt.handler
    def report(self, msg: str) -> list[str]:
        return list(self.seen)


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        book = system.spawn(PriceBook)
        trader = system.spawn(Trader)
        broker = system.broker
        # Every price, anywhere:
        broker.subscribe("prices.#", book)
        # European ones, with the topic they were published to:
        broker.subscribe("prices.eu.*", trader, with_topic=True)
        # A plain function:
        audit: list[str] = []
        broker.subscribe("prices.*.AIR", lambda tick: audit.append(tick.symbol))

        for topic, tick in [
            ("prices.eu.AIR", Tick("AIR", 101.5)),
            ("prices.us.BA", Tick("BA", 211.0)),
            ("prices.eu.SAF", Tick("SAF", 160.25)),
        ]:
            print(f"publish {topic}: {broker.publish(topic, tick)} deliveries")

        book.tell(Quote("SAF", reply_to=trader))
        print("trader saw:", await trader.ask("report"))
        print("audit saw:", audit)


if __name__ == "__main__":
    airsrt.run(main())
