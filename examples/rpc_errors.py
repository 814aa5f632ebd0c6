"""What happens when a handler raises, and how an RPC-style actor stays alive.

The asker always gets the exception back. The actor itself is another matter: a
top-level actor whose handler raises is stopped by the system's guardian (the default,
and the log says so). An actor that answers requests and expects some of them to fail
keeps going with `error_action = ErrorAction.RESUME` (state kept), or decides per error
in `on_error`."""

import airsrt
from airsrt import ErrorAction


class Get(airsrt.Message[int]):
    def __init__(self, key: str) -> None:
        self.key = key


class Put(airsrt.Message[None]):
    def __init__(self, key: str, value: int) -> None:
        self.key, self.value = key, value


class Store(airsrt.Actor):
    """The default: a handler that raises stops this (top-level) actor."""

    def __init__(self) -> None:
        self.data: dict[str, int] = {}

    @airsrt.handler
    def get(self, msg: Get) -> int:
        return self.data[msg.key]  # KeyError for an unknown key

    @airsrt.handler
    def put(self, msg: Put) -> None:
        if msg.value < 0:
            raise ValueError(f"negative value for {msg.key!r}")
        self.data[msg.key] = msg.value


class ForgivingStore(Store):
    """Every failure is the caller's problem: keep the state, serve the next request."""

    error_action = ErrorAction.RESUME


class CarefulStore(Store):
    """Expected errors are answers; anything else is a bug worth stopping for."""

    def on_error(self, error: BaseException, msg: object) -> ErrorAction:
        if isinstance(error, (KeyError, ValueError)):
            return ErrorAction.RESUME
        return ErrorAction.ESCALATE


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        for cls in (Store, ForgivingStore, CarefulStore):
            store = system.spawn(cls)
            await store.ask(Put("a", 1))
            try:
                await store.ask(Get("missing"))
            except KeyError as error:
                print(f"{cls.__name__}: the asker got KeyError {error}")
            try:
                print(f"{cls.__name__}: still serving, a = {await store.ask(Get('a'))}")
            except airsrt.ActorStoppedError:
                print(f"{cls.__name__}: stopped by the guardian after its failure")
    print("done")


if __name__ == "__main__":
    airsrt.run(main())
