"""Type-checked by tests/test_typing.py: an AskFuture goes through asyncio's functions typed as
it behaves at run time (`wait` takes it, `ensure_future` and `wrap_future` return it)."""

import asyncio

import airsrt


class Deposit(airsrt.Message[int]):
    def __init__(self, amount: int) -> None:
        self.amount = amount


async def main(ref: airsrt.ActorRef) -> None:
    a, b = ref.ask(Deposit(1)), ref.ask(Deposit(2))
    reveal_type(await asyncio.gather(a, b))  # N: Revealed type is "tuple[int, int]"
    reveal_type(await asyncio.gather(a, b, return_exceptions=True))  # N: Revealed type is "tuple[int | BaseException, int | BaseException]"
    reveal_type(await asyncio.wait([a, b]))  # N: Revealed type is "tuple[set[airsrt._core.AskFuture[int]], set[airsrt._core.AskFuture[int]]]"
    reveal_type(await asyncio.wait_for(a, 1))  # N: Revealed type is "int"
    reveal_type(await asyncio.shield(a))  # N: Revealed type is "int"
    for next_done in asyncio.as_completed([a, b]):
        reveal_type(await next_done)  # N: Revealed type is "int"
    reveal_type(asyncio.ensure_future(a))  # N: Revealed type is "airsrt._core.AskFuture[int]"
    reveal_type(asyncio.wrap_future(a))  # N: Revealed type is "_asyncio.Future[int]"
    reveal_type(a.get_loop())  # N: Revealed type is "asyncio.events.AbstractEventLoop"
    async with asyncio.timeout(1):
        reveal_type(await a)  # N: Revealed type is "int"
    a.add_done_callback(lambda fut: reveal_type(fut))  # N: Revealed type is "airsrt._core.AskFuture[int]"
    a.cancel("no longer needed")
