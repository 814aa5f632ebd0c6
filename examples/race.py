"""Why actors: a check-then-act race in asyncio, and the same account as an actor."""

import asyncio

import airsrt


# --8<-- [start:race]
class Account:
    def __init__(self) -> None:
        self.balance = 100

    async def withdraw(self, amount: int) -> bool:
        if self.balance >= amount:  # both withdrawals see 100 here...
            await asyncio.sleep(0)  # ...because another task runs at any await
            self.balance -= amount
            return True
        return False
# --8<-- [end:race]


# --8<-- [start:queue]
async def account_task(queue: asyncio.Queue) -> None:
    """The hand-rolled actor: one Task that takes one message at a time."""
    balance = 100
    while True:
        amount, reply = await queue.get()
        if balance >= amount:
            await asyncio.sleep(0)
            balance -= amount
            reply.set_result(True)
        else:
            reply.set_result(False)
# --8<-- [end:queue]


# --8<-- [start:actor]
class Withdraw(airsrt.Message[bool]):
    def __init__(self, amount: int) -> None:
        self.amount = amount


class AccountActor(airsrt.Actor):
    def __init__(self) -> None:
        self.balance = 100

    @airsrt.handler
    async def withdraw(self, msg: Withdraw) -> bool:
        if self.balance >= msg.amount:
            await asyncio.sleep(0)  # no other message of this actor runs meanwhile
            self.balance -= msg.amount
            return True
        return False
# --8<-- [end:actor]


async def main() -> None:
    shared = Account()
    done = await asyncio.gather(shared.withdraw(100), shared.withdraw(100))
    print("shared object: withdrawals", done, "balance", shared.balance)

    queue: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(account_task(queue))
    replies = [asyncio.get_running_loop().create_future() for _ in range(2)]
    for reply in replies:
        queue.put_nowait((100, reply))
    print("Task + Queue:  withdrawals", list(await asyncio.gather(*replies)))
    task.cancel()

    async with airsrt.ActorSystem() as system:
        account = system.spawn(AccountActor)
        done = await asyncio.gather(
            account.ask(Withdraw(100)), account.ask(Withdraw(100))
        )
        print("actor:         withdrawals", done)


if __name__ == "__main__":
    airsrt.run(main())
