"""airsrt: Erlang/OTP-style actors, supervision and pub-sub on asyncio, with a compiled core.

Quick start:

```python
import airsrt

class Deposit(airsrt.Message[int]):
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
        print(await account.ask(Deposit(5)))

airsrt.run(main())
```
"""

try:
    from airsrt import _core
except ImportError as exc:  # pragma: no cover - exercised by a packaging test
    raise ImportError(
        "airsrt's compiled core (airsrt._core) is not built or cannot be loaded: "
        f"{exc}. Build it with 'pip install .' (or 'pip install -e .' in a checkout); "
        "that needs a C compiler and Cython>=3.1. airsrt has no pure-Python fallback."
    ) from exc

from airsrt import _ref as _ref_ops
from airsrt import _supervisor as _supervisor_ops
from airsrt._actor import IGNORE, Actor, Context, ErrorAction, handler, table_for as _table_for
from airsrt._health import Health, HealthCheck
from airsrt._errors import (
    ActorStartError,
    ActorStoppedError,
    AirsrtError,
    AskTimeoutError,
    ChildNotFoundError,
    ConfigWarning,
    ConfigurationError,
    DeadlockError,
    HandlerError,
    HealthCheckError,
    MailboxFullError,
    MaxChildrenError,
    NameTakenError,
    NoSubscriberError,
    RestartLimitError,
    ShutdownTimeoutError,
    SlowHandlerError,
    SlowHandlerWarning,
    StashOverflowError,
    SystemNotRunningError,
    UnhandledMessageError,
    WrongThreadError,
)
from airsrt._broker import Broker, BrokerReply
from airsrt._mailbox import Backpressure, Mailbox, Priority
from airsrt._messages import Message, Published, ReceiveTimeout, Terminated
from airsrt._pools import PoolRef, Routing
from airsrt._snapshot import (
    ActorSnapshot,
    ChildSnapshot,
    ClusterSnapshot,
    CountersSnapshot,
    DeadLetterSnapshot,
    DeadLettersSnapshot,
    SupervisorSnapshot,
    SystemSnapshot,
    merge_snapshots,
)
from airsrt._monitoring import DeadLetter, DeadLetters, Event, EventStream, Severity, Subscription
from airsrt._stats import ActorStats, ControlTraffic, HandlerLatency, PoolStats, SystemStats
from airsrt._strategies import (
    Backoff,
    DynamicSupervisor,
    OneForAll,
    OneForOne,
    RestartPolicy,
    RestForOne,
    Strategy,
)
from airsrt._guardian import Guardian
from airsrt._supervisor import ChildCount, ChildInfo, ChildSpec, supervisor
from airsrt._system import ActorSystem, run
from airsrt._timers import Timer

from airsrt import _guardian, _lifecycle, _monitoring, _patterns, _system  # noqa: E402

_core._install(_ref_ops, _supervisor_ops, Actor, Context, _table_for, _supervisor_ops.Supervisor)
_core._install_seam(_lifecycle, _guardian, _patterns, _monitoring, _system)

ActorRef = _core.ActorRef
AskFuture = _core.AskFuture
SupervisorRef = _core.SupervisorRef

__version__ = "0.1.0"

__all__ = [
    "IGNORE",
    "Actor",
    "ActorRef",
    "ActorSnapshot",
    "ActorStartError",
    "ActorStats",
    "ActorStoppedError",
    "ActorSystem",
    "AirsrtError",
    "AskFuture",
    "AskTimeoutError",
    "Backoff",
    "Backpressure",
    "Broker",
    "BrokerReply",
    "ChildCount",
    "ChildInfo",
    "ChildNotFoundError",
    "ChildSnapshot",
    "ChildSpec",
    "ClusterSnapshot",
    "ConfigWarning",
    "ConfigurationError",
    "Context",
    "ControlTraffic",
    "CountersSnapshot",
    "DeadLetter",
    "DeadLetterSnapshot",
    "DeadLetters",
    "DeadLettersSnapshot",
    "DeadlockError",
    "DynamicSupervisor",
    "ErrorAction",
    "Event",
    "EventStream",
    "Guardian",
    "HandlerError",
    "HandlerLatency",
    "Health",
    "HealthCheck",
    "HealthCheckError",
    "Mailbox",
    "MailboxFullError",
    "MaxChildrenError",
    "Message",
    "NameTakenError",
    "NoSubscriberError",
    "OneForAll",
    "OneForOne",
    "PoolRef",
    "PoolStats",
    "Priority",
    "Published",
    "ReceiveTimeout",
    "RestForOne",
    "RestartLimitError",
    "RestartPolicy",
    "Routing",
    "Severity",
    "ShutdownTimeoutError",
    "SlowHandlerError",
    "SlowHandlerWarning",
    "StashOverflowError",
    "Strategy",
    "Subscription",
    "SupervisorRef",
    "SupervisorSnapshot",
    "SystemNotRunningError",
    "SystemSnapshot",
    "SystemStats",
    "Terminated",
    "Timer",
    "UnhandledMessageError",
    "WrongThreadError",
    "handler",
    "merge_snapshots",
    "run",
    "supervisor",
]
