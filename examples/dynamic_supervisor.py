"""One actor per entity: a DynamicSupervisor starts a session per user, on demand.

The template gives the factory and its first arguments; `start_child(*args)` appends the
rest. Children need no ids (their refs tell them apart), `max_children` caps how many
may exist, the template's restart policy applies to each child, and a child that ends
for good is forgotten."""

import airsrt
from airsrt import ChildSpec, DynamicSupervisor


class Say(airsrt.Message[str]):
    def __init__(self, text: str) -> None:
        self.text = text


class Logout:
    """Ends the session normally: a transient child is then not restarted."""


class Session(airsrt.Actor):
    def __init__(self, region: str, user: str) -> None:
        self.region, self.user, self.said = region, user, 0

    def on_start(self) -> object:
        if self.user.startswith("banned:"):
            return airsrt.IGNORE  # declines to start: not an error, and nothing is kept
        return None

    @airsrt.handler
    def say(self, msg: Say) -> str:
        if not msg.text:
            # A crash: the supervisor restarts this session.
            raise ValueError("empty message")
        self.said += 1
        return f"[{self.region}] {self.user} #{self.said}: {msg.text}"

    @airsrt.handler
    def logout(self, msg: Logout) -> None:
        self.context.stop()


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        sessions = await system.spawn_supervisor(
            DynamicSupervisor(max_children=3, max_restarts=5, within=10.0),
            template=ChildSpec("session", Session, "eu", restart="transient"),
            name="sessions",
        )
        ann = await sessions.start_child("ann")
        bob = await sessions.start_child("bob")
        print(await ann.ask(Say("hello")))
        print("banned user:", await sessions.start_child("banned:eve"))

        print("count:", (await sessions.count_children()).as_dict())
        spec = await sessions.get_childspec(bob)
        print("bob's spec:", spec.factory.__name__, spec.args, spec.restart.name)

        await sessions.start_child("cid")
        try:
            await sessions.start_child("dan")
        except airsrt.MaxChildrenError as error:
            print("refused:", str(error).split(";")[0])

        try:
            await ann.ask(Say(""))
        except ValueError as error:
            print("ann crashed:", error)
        print(await ann.ask(Say("back")))  # the same ref reaches the restarted session

        # A normal exit: transient, so bob is not restarted, and forgotten.
        bob.tell(Logout())
        await sessions.terminate_child(ann)  # by ref
        for info in await sessions.which_children():
            print("left:", await info.ref.ask(Say("still here")))
    print("done")


if __name__ == "__main__":
    airsrt.run(main())
