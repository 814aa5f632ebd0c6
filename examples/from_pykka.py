"""A pykka-style actor written for airsrt, and the three behaviours that differ.

In pykka this would be a `pykka.ThreadingActor` whose `on_receive(self, message)` looks
at each message, with `ref.tell(...)`, `ref.ask(..., block=True)` and `ref.stop()`.
"""

from dataclasses import dataclass

import airsrt


@dataclass(frozen=True)
class Add:
    n: int


@dataclass(frozen=True)
class Total(airsrt.Message[int]):
    pass


class Adder(airsrt.Actor):
    # pykka keeps an actor alive after a failed ask (the asker gets the error) and stops
    # it after a failed tell. airsrt asks on_error for both; RESUME keeps it going.
    error_action = airsrt.ErrorAction.RESUME

    def __init__(self) -> None:  # pykka: __init__ then on_start, in the actor's thread
        self.total = 0

    @airsrt.handler  # pykka: one on_receive(message) that tests what message it got
    def add(self, msg: Add) -> None:
        if msg.n < 0:
            raise ValueError(f"cannot add {msg.n}")
        self.total += msg.n

    @airsrt.handler
    def get(self, msg: Total) -> int:
        return self.total

    def on_stop(self) -> None:
        print("on_stop: the total is", self.total)


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        adder = system.spawn(Adder)  # pykka: Adder.start()
        adder.tell(Add(2))
        adder.tell(Add(3))
        print("total:", await adder.ask(Total()))  # pykka: adder.ask(..., block=True)

        try:
            await adder.ask(Add(-1))
        except ValueError as error:
            print("the asker got:", error, "- the actor lives on:", adder.is_alive)

        # pykka's stop() is queued behind the messages sent before it; airsrt's stops
        # after the current message, unless told to drain the queue first.
        adder.tell(Add(10))
        await adder.stop(drain=True)

        # pykka raises ActorDeadError for a tell to a stopped actor; airsrt records it.
        adder.tell(Add(1))
        letter = system.dead_letters.recent()[-1]
        print("a tell to a stopped actor is a dead letter:", letter.reason)
        try:
            await adder.ask(Total())
        except airsrt.ActorStoppedError:
            print("an ask to a stopped actor raises ActorStoppedError")


if __name__ == "__main__":
    airsrt.run(main())
