"""A supervision tree: watch a crash restart exactly the children the strategy names.

    root (OneForOne)
    ├── storage (OneForAll)     -- a connection pool and a cache: restart together
    │   ├── pool
    │   └── cache
    └── api                     -- independent: untouched by storage's troubles
"""

import airsrt
from airsrt import ChildSpec, OneForAll, OneForOne


class Query(airsrt.Message[str]):
    def __init__(self, sql: str) -> None:
        self.sql = sql


class Break:
    """Makes the receiving actor crash."""


class Service(airsrt.Actor):
    def __init__(self, label: str) -> None:
        self.label = label

    def on_start(self) -> None:
        print(f"  start {self.label} (incarnation {self.context.ref.incarnation})")

    def on_stop(self) -> None:
        print(f"  stop  {self.label}")

    @airsrt.handler
    def query(self, msg: Query) -> str:
        return f"{self.label} ran {msg.sql!r}"

    @airsrt.handler
    def crash(self, msg: Break) -> None:
        raise ConnectionError(f"{self.label} lost its connection")


def tree() -> list[ChildSpec]:
    storage = airsrt.supervisor(
        OneForAll(max_restarts=3, within=5.0),
        [ChildSpec("pool", Service, "pool"), ChildSpec("cache", Service, "cache")],
    )
    return [ChildSpec("storage", storage), ChildSpec("api", Service, "api", name="api")]


def incarnations(root: airsrt.SupervisorRef) -> dict[str, int]:
    storage = root.child("storage")
    return {
        "pool": storage.child("pool").incarnation,
        "cache": storage.child("cache").incarnation,
        "api": root.child("api").incarnation,
    }


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        print("starting the tree:")
        root = await system.spawn_supervisor(OneForOne(), tree(), name="root")
        print("before:", incarnations(root))

        print("the pool crashes; storage is one-for-all, so the cache restarts with it")
        print("(the pool's own cleanup runs first, then its siblings', newest first):")
        pool = root.child("storage").child("pool")
        pool.tell(Break())
        # The same ref reaches the new incarnation: the pool was restarted in place.
        print(await pool.ask(Query("select 1")))
        # The restarts are done once the storage supervisor answers.
        await root.child("storage").which_children()
        print("after: ", incarnations(root))
        print("stopping (children first, reverse start order):")
    print("done")


if __name__ == "__main__":
    airsrt.run(main())
