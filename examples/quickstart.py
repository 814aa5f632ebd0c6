"""The README's quick start: an account actor, tell and ask."""

import airsrt


class Deposit(airsrt.Message[int]):  # the reply type is int
    def __init__(self, amount: int) -> None:
        self.amount = amount


class Account(airsrt.Actor):
    def __init__(self) -> None:
        self.balance = 0

    @airsrt.handler
    def deposit(self, msg: Deposit) -> int:  # one message at a time: no locks needed
        self.balance += msg.amount
        return self.balance


async def main() -> None:
    async with airsrt.ActorSystem() as system:
        account = system.spawn(Account)
        account.tell(Deposit(5))  # fire and forget
        print(await account.ask(Deposit(10)))  # 15


if __name__ == "__main__":
    airsrt.run(main())
