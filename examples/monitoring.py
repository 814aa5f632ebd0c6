"""Monitoring: the event stream, per-actor stats and the system's ledger."""

import airsrt


class Order:
    def __init__(self, qty: int) -> None:
        self.qty = qty


class Orders(airsrt.Actor):
    # A bad order does not cost the actor its state: go on with the next message.
    error_action = airsrt.ErrorAction.RESUME

    @airsrt.handler
    def order(self, msg: Order) -> int:
        if msg.qty <= 0:
            raise ValueError(f"bad quantity {msg.qty}")
        return msg.qty


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        seen: list[str] = []
        system.events.subscribe(lambda event: seen.append(event.kind))  # INFO and above
        orders = system.spawn(Orders, name="orders")
        for qty in (3, 0, 5):
            orders.tell(Order(qty))
        print("answer:", await orders.ask(Order(2)))
        await orders.stop()
        print("events:", seen)
        orders.tell(Order(1))  # to a stopped actor: a dead letter, not an error
        stats = orders.stats()  # an airsrt.ActorStats record
        print("orders processed", stats.processed, "failed", stats.failed)
        ledger = system.stats()  # an airsrt.SystemStats record: the user's messages
        print("sent", ledger.sent, "handled", ledger.handled,
              "dead letters", ledger.dead_letters)
        outcomes = (ledger.handled + ledger.rejected + ledger.dead_letters
                    + ledger.returned + ledger.withdrawn)
        print("every message has one outcome:", ledger.sent == outcomes)
        print("dead letters by reason:", system.dead_letters.counts())


if __name__ == "__main__":
    airsrt.run(main())
