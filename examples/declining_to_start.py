"""A child may decline to start: `on_start` returns `airsrt.IGNORE` (OTP's `ignore`).

It is not an error. A static supervisor keeps the spec (the child shows as terminated
and `restart_child` tries again); a dynamic one keeps nothing (`start_child` returns
None). A top-level actor that declines stops at once with reason "ignored"; `await
ref.ready()` returns."""

import airsrt
from airsrt import ChildSpec, OneForOne

FEATURES = {"search": False}


class Feature(airsrt.Actor):
    def __init__(self, name: str) -> None:
        self.name = name

    def on_start(self) -> object:
        if not FEATURES.get(self.name, True):
            print(f"  {self.name}: switched off, declining to start")
            return airsrt.IGNORE
        print(f"  {self.name}: started")
        return None

    def on_stop(self) -> None:
        print(f"  {self.name}: stopped")  # never printed for an actor that declined

    @airsrt.handler
    def ping(self, msg: str) -> str:
        return f"{self.name} says {msg}"


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        print("starting the supervisor:")
        sup = await system.spawn_supervisor(
            OneForOne(),
            [ChildSpec("api", Feature, "api"), ChildSpec("search", Feature, "search")],
        )
        print("children:", [(i.id, i.state) for i in await sup.which_children()])
        print("count:", (await sup.count_children()).as_dict())

        FEATURES["search"] = True
        search = await sup.restart_child("search")  # its spec was kept
        print(await search.ask("hi"))

        FEATURES["beta"] = False
        beta = system.spawn(Feature, "beta")
        await beta.ready()  # returns: declining is not an error
        print("beta is alive:", beta.is_alive)
        print("stopping:")
    print("done")


if __name__ == "__main__":
    airsrt.run(main())
