"""Type-checked by tests/test_typing.py: each `# N:` / `# E:` comment is what mypy must say on
that line (a note from reveal_type, or an error); a line without one must check cleanly."""

import airsrt
from airsrt.testing import TestProbe


class Deposit(airsrt.Message[int]):
    def __init__(self, amount: int) -> None:
        self.amount = amount


class Greet(airsrt.Message[str]):
    pass


class Untyped:
    pass


class Account(airsrt.Actor):
    @airsrt.handler
    def deposit(self, msg: Deposit) -> int:
        return msg.amount

    @airsrt.handler(Greet, Untyped)
    def greet(self, msg: object) -> str:
        return "hello"


async def main(system: airsrt.ActorSystem) -> None:
    ref = system.spawn(Account)
    reveal_type(ref)  # N: Revealed type is "airsrt._core.ActorRef"
    reveal_type(await ref.ask(Deposit(5)))  # N: Revealed type is "int"
    reveal_type(await ref.ask(Greet(), timeout=1.0))  # N: Revealed type is "str"
    reveal_type(await ref.ask(Untyped()))  # N: Revealed type is "Any"
    reveal_type(ref.ask_blocking(Deposit(1)))  # N: Revealed type is "int"
    await ref.ask(Deposit(5)) + "!"  # E: Unsupported operand types for + ("int" and "str")  [operator]
    ref.tell(Deposit(1), ttl=0.5)
    ref.tell(Deposit(1), tll=0.5)  # E: Unexpected keyword argument "tll" for "tell" of "ActorRef"  [call-arg]  # N: "tell" defined in "airsrt._core"
    sup = await system.spawn_supervisor(airsrt.OneForOne(), [airsrt.ChildSpec("a", Account)])
    reveal_type(sup)  # N: Revealed type is "airsrt._core.SupervisorRef"
    reveal_type(await sup.which_children())  # N: Revealed type is "list[airsrt._supervisor.ChildInfo]"
    reveal_type(await sup.count_children())  # N: Revealed type is "airsrt._supervisor.ChildCount"
    probe = TestProbe(system)
    reveal_type(probe.ref)  # N: Revealed type is "airsrt._core.ActorRef"
    # mypy's limit: with a declared type it infers R from the context, the Message[R] overload
    # then fails, and it falls back to the untyped overload (Any). basedpyright reports this
    # line (tests/typing/pyright_ask.py); mypy only catches misuse of the reply, as above.
    wrong: str = await ref.ask(Deposit(5))
    del wrong
    pool = system.spawn_pool(Account, size=2)
    reveal_type(await pool.ask(Deposit(5)))  # N: Revealed type is "int"
    reveal_type(await pool.ask(Untyped()))  # N: Revealed type is "Any"
    reveal_type(await pool.ask_all(Deposit(5)))  # N: Revealed type is "list[int]"
    reveal_type(await pool.ask_all(Greet()))  # N: Revealed type is "list[str]"
    await pool.ask(Deposit(5)) + "!"  # E: Unsupported operand types for + ("int" and "str")  [operator]
    stats = ref.stats()
    reveal_type(stats.processed)  # N: Revealed type is "int"
    reveal_type(stats.latency)  # N: Revealed type is "airsrt._stats.HandlerLatency | None"
    reveal_type(system.stats().control.dropped)  # N: Revealed type is "int"
    reveal_type(pool.stats().workers)  # N: Revealed type is "tuple[airsrt._stats.ActorStats, ...]"
    stats["processed"]  # E: Value of type "ActorStats" is not indexable  [index]
    system.stats().sent_total  # E: "SystemStats" has no attribute "sent_total"  [attr-defined]
    await ref.stop(drain=True)
