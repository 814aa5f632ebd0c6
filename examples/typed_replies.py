"""Typed replies: what a type checker sees of ask (checked by tests/test_typing.py)."""

import airsrt


class Deposit(airsrt.Message[int]):  # the reply type is int
    def __init__(self, amount: int) -> None:
        self.amount = amount


class Account(airsrt.Actor):
    def __init__(self) -> None:
        self.balance = 0

    @airsrt.handler
    def deposit(self, msg: Deposit) -> int:
        self.balance += msg.amount
        return self.balance


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        account = system.spawn(Account)
        balance = await account.ask(Deposit(5))  # int, for mypy and basedpyright
        print("balance:", balance + 1)  # `balance + "!"` would be an error for both
        # Wrong, but mypy accepts it: the declared str makes mypy infer Message[str]
        # for the typed overload, Deposit does not match, and it falls back to the
        # untyped overload (Any). basedpyright reports it: Type "int" is not
        # assignable to declared type "str".
        label: str = await account.ask(Deposit(5))
        print("label is really an", type(label).__name__)


if __name__ == "__main__":
    airsrt.run(main())
