"""Checked by basedpyright (tests/test_typing.py): each `# P:` comment is what it must report on
that line. Pyright also catches a typed reply assigned to the wrong type, which mypy's overload
resolution lets through."""

import airsrt


class Deposit(airsrt.Message[int]):
    def __init__(self, amount: int) -> None:
        self.amount = amount


class Plain:
    pass


async def main(system: airsrt.ActorSystem, ref: airsrt.ActorRef) -> None:
    reveal_type(await ref.ask(Deposit(5)))  # P: information: Type of "await ref.ask(Deposit(5))" is "int"
    reveal_type(await ref.ask(Plain()))  # P: information: Type of "await ref.ask(Plain())" is "Any"
    wrong: str = await ref.ask(Deposit(5))  # P: error: Type "int" is not assignable to declared type "str"
    ref.tell(Deposit(1), tll=0.5)  # P: error: No parameter named "tll" (reportCallIssue)
    sup = await system.spawn_supervisor(airsrt.OneForOne(), [])
    reveal_type(sup)  # P: information: Type of "sup" is "SupervisorRef"
    pool = system.spawn_pool(airsrt.Actor, size=2)
    reveal_type(await pool.ask(Deposit(5)))  # P: information: Type of "await pool.ask(Deposit(5))" is "int"
    reveal_type(await pool.ask_all(Deposit(5)))  # P: information: Type of "await pool.ask_all(Deposit(5))" is "list[int]"
    also_wrong: str = await pool.ask(Deposit(5))  # P: error: Type "int" is not assignable to declared type "str"
    reveal_type(ref.stats().processed)  # P: information: Type of "ref.stats().processed" is "int"
    del wrong, also_wrong
