"""Types of airsrt's compiled core (airsrt/_core.pyx) for mypy and pyright."""

import asyncio
from asyncio import AbstractEventLoop, CancelledError, Future, Task
from collections.abc import Callable, Coroutine, Generator
from contextvars import Context
from typing import Any, Final, NoReturn, TypeVar, final, overload

from typing_extensions import Self, disjoint_base

from airsrt._messages import Message
from airsrt._seam import FailureSeam, LifecycleSeam, MonitoringSeam, PatternSeam, SystemSeam
from airsrt._stats import ActorStats
from airsrt._supervisor import ChildCount, ChildInfo, ChildSpec

_R = TypeVar("_R")
_T = TypeVar("_T")

@final
class _Default: ...

DEFAULT: Final[_Default]

EVENT_KINDS: tuple[tuple[str, int], ...]

PHASE_STARTING: Final[int]
PHASE_ALIVE: Final[int]
PHASE_RESTARTING: Final[int]
PHASE_STOPPING: Final[int]
PHASE_STOPPED: Final[int]
SCHED_IDLE: Final[int]
SCHED_SCHEDULED: Final[int]
SCHED_RUNNING: Final[int]
SCHED_BUSY: Final[int]
FLAG_CLOSING: Final[int]
FLAG_START_FAILED: Final[int]
FLAG_SHUTDOWN: Final[int]
FLAG_STARTED: Final[int]
FLAG_READY: Final[int]
FLAG_IDLE_HOOK: Final[int]

@final
class HandlerEntry:
    @property
    def func(self) -> Callable[..., Any]: ...
    @property
    def is_async(self) -> bool: ...
    @property
    def method_name(self) -> str: ...
    @property
    def message_type(self) -> type: ...
    def __init__(
        self, func: Callable[..., Any], is_async: bool, method_name: str, message_type: type
    ) -> None: ...

@final
class HandlerTable:
    has_on_start: bool
    on_start_async: bool
    has_on_stop: bool
    on_stop_async: bool
    custom_on_error: bool
    default_error_action: Any
    @property
    def class_name(self) -> str: ...
    def __init__(self, class_name: str, declared: dict[type, HandlerEntry]) -> None: ...
    def find(self, msg_type: type) -> HandlerEntry | None: ...
    def handled_types(self) -> list[type]: ...

@disjoint_base
class AskFuture(Future[_R]):
    """The pending or finished answer to `ref.ask(msg)`: await it for the handler's reply.

    [`ActorRef.ask`][airsrt.ActorRef.ask] returns one; it is never built directly. It follows
    asyncio's future protocol, so every asyncio function that takes futures takes it as it is
    (`gather`, `shield`, `wait`, `wait_for`, `as_completed`, `timeout()`, `ensure_future`...).
    The ask was sent when `ask()` was called, whether or not this is ever awaited. An eager ask
    (the target was idle, its handler synchronous) returns one that is already done.
    `AskFuture[R]` carries the reply type declared by [`Message[R]`][airsrt.Message].

    Type checkers see an `asyncio.Future[R]`, so `asyncio.wait`, `wrap_future` and
    `ensure_future` type-check as they behave at run time. At run time it is a compiled class
    that implements asyncio's future protocol without subclassing `asyncio.Future`:
    `isinstance(fut, asyncio.Future)` is False, and `asyncio.isfuture(fut)` is True.

    Cancelling it before the handler has started withdraws the ask: the handler never runs and
    the message counts as withdrawn in [`system.stats()`][airsrt.ActorSystem.stats].
    """

    _asyncio_future_blocking: bool
    @property
    def _cancel_message(self) -> Any: ...
    def _make_cancelled_error(self) -> CancelledError: ...
    def done(self) -> bool:
        """True once the ask has a reply, an error, or was cancelled."""
    def cancelled(self) -> bool:
        """True if the caller cancelled (withdrew) the ask."""
    def result(self) -> _R:
        """The handler's return value.

        Raises:
            Exception: The ask's error, if it ended with one (see `ActorRef.ask`).
            asyncio.CancelledError: The ask was cancelled.
            asyncio.InvalidStateError: The ask is still pending.
        """
    def exception(self) -> BaseException | None:
        """The ask's error, or `None` if it ended with a reply.

        Raises:
            asyncio.CancelledError: The ask was cancelled.
            asyncio.InvalidStateError: The ask is still pending.
        """
    def add_done_callback(
        self, fn: Callable[[Self], object], *, context: Context | None = None
    ) -> None:
        """Calls `fn(future)` through the loop once the ask is done (soon, if it already is).

        Args:
            fn: The callback; it receives this future.
            context: The `contextvars.Context` to run it in (a copy of the current one by
                default).
        """
    def remove_done_callback(self, fn: Callable[[Self], object]) -> int:
        """Removes every registration of `fn`; returns how many there were."""
    def cancel(self, msg: Any | None = None) -> bool:
        """Withdraws the ask; returns `False` if it was already done.

        If the handler has not started, it never will, and the message counts as withdrawn. If it
        has started, it runs to its end and its reply becomes a dead letter (`late_reply`).

        Args:
            msg: A message for the `CancelledError` that awaiting the future then raises.
        """
    def set_result(self, result: _R) -> NoReturn:
        """Refused: only the actor's handler answers an ask (raises `RuntimeError`)."""
    def set_exception(self, exception: type | BaseException) -> NoReturn:
        """Refused: only the actor's handler answers an ask (raises `RuntimeError`)."""
    def get_loop(self) -> AbstractEventLoop:
        """The event loop the ask belongs to."""
    def __await__(self) -> Generator[Any, None, _R]:
        """Waits for the reply (`await future`); raises the ask's error if it ended with one."""
    def __iter__(self) -> Generator[Any, None, _R]: ...

@final
class TimerToken:
    cancelled: bool
    queued: bool

@final
class Marker:
    item: Any
    def __init__(self, item: Any) -> None: ...

@final
class ControlToken:
    """Marks a message the runtime sends itself (control traffic, outside the user's ledger)."""

    @property
    def reply(self) -> Any: ...
    def __init__(self, reply: Any = None) -> None: ...

NOTICE: Final[ControlToken]

@final
class CellExtra:
    control: Any
    putters: Any
    task: Task[Any] | None
    task_token: Any
    task_msg: Any
    first_child: ActorRef | None
    last_child: ActorRef | None
    watchers: dict[ActorRef, None] | None
    watching: dict[ActorRef, None] | None
    timers: dict[Any, Any] | None
    ready_waiters: list[Any] | None
    start_error: BaseException
    stop_reason: str | tuple[str, Any] | None
    stopping: Any
    receive_timeout: Any
    stash: Any
    pipes: Any
    latency: Any
    traced_since: int | None
    name: str | None
    waiting_for: dict[ActorRef, int] | None
    gave_up: BaseException | None

@disjoint_base
class ActorRef:
    """A handle to an actor: `tell`, `send` and `ask` deliver messages to it.

    [`ActorSystem.spawn`][airsrt.ActorSystem.spawn] and
    [`Context.spawn`][airsrt.Context.spawn] create refs; they are never built directly. A ref is
    hashable and stays equal across the restarts of a supervised actor: a restart replaces the
    actor instance behind it and keeps its mailbox. A ref to a stopped actor stays usable: a
    `tell` to it becomes a dead letter and an `ask` fails with
    [`ActorStoppedError`][airsrt.ActorStoppedError].

    `tell` works from any thread; `ask`, `send`, `stop` and `ready` belong to the event loop's
    thread (from other threads, `ask_blocking`).
    """

    def __reduce__(self) -> tuple[Any, ...]: ...
    def tell(self, msg: object, ttl: float | None = None, priority: int | None = None) -> None:
        """Delivers `msg` and returns at once, from any thread; nothing comes back.

        A tell to a stopped or failed actor is not an error: the message becomes a dead letter
        (reason `stopped`).

        Args:
            msg: The message; its class selects the handler.
            ttl: Seconds it may wait in the mailbox; past that it becomes a dead letter (reason
                `expired`) instead of being handled.
            priority: An [`airsrt.Priority`][airsrt.Priority], for an actor with a
                [`Mailbox.priority()`][airsrt.Mailbox.priority] mailbox.

        Raises:
            UnhandledMessageError: The actor has no handler for `type(msg)`.
            MailboxFullError: The mailbox is bounded (`FAIL` or `BLOCK`) and full.
            SystemNotRunningError: The actor system has shut down.
        """
    @overload
    def ask(
        self,
        msg: Message[_R],
        timeout: float | None | _Default = ...,
        ttl: float | None = None,
        priority: int | None = None,
    ) -> AskFuture[_R]:
        """Sends `msg` and returns an awaitable for the handler's return value.

        The message is sent when `ask` is called, whether or not the result is awaited. For an
        idle actor with a synchronous handler the handler runs at once, inside this call (an
        *eager* ask), and the returned future is already done.

        Args:
            msg: The request; its class selects the handler. A
                [`Message[R]`][airsrt.Message] subclass types the reply as `R`.
            timeout: Seconds to wait for the reply, `None` to wait forever; by default the
                system's `ask_timeout` (30 s). Kept on the caller's side, so a handler that
                swallows cancellation cannot defeat it.
            ttl: Seconds the request may wait in the mailbox; past that it expires and the ask
                fails with `AskTimeoutError` without the handler running.
            priority: An [`airsrt.Priority`][airsrt.Priority], for a priority mailbox.

        Returns:
            An [`AskFuture`][airsrt.AskFuture]. Awaiting it gives the handler's return value, or
                raises the handler's own exception unchanged; an `AirsrtError`,
                `CancelledError`, `StopIteration`, `KeyboardInterrupt` or `SystemExit` raised by
                the handler arrives wrapped in [`HandlerError`][airsrt.HandlerError].

        Raises:
            AskTimeoutError: No reply within `timeout` (when awaited).
            ActorStoppedError: The actor stopped before answering; at once, never as a
                timeout (when awaited).
            MailboxFullError: Backpressure refused or evicted the request.
            UnhandledMessageError: The actor has no handler for `type(msg)`.
            DeadlockError: The actor asks itself, or an eager ask would call a handler
                already running further up the stack.
            SystemNotRunningError: The actor system has shut down.
            WrongThreadError: Called from a thread other than the loop's (use
                `ask_blocking` there).
        """
    @overload
    def ask(
        self,
        msg: object,
        timeout: float | None | _Default = ...,
        ttl: float | None = None,
        priority: int | None = None,
    ) -> AskFuture[Any]: ...
    async def send(self, msg: object, timeout: float | None = None) -> None:
        """Like `tell`, but waits for room in a full `BLOCK` mailbox (a coroutine).

        Senders waiting on one mailbox are admitted in the order they arrived.

        Args:
            msg: The message.
            timeout: Seconds to wait for room; `None` waits as long as it takes.

        Raises:
            MailboxFullError: `timeout` passed before there was room; the message was not
                sent.
            UnhandledMessageError: The actor has no handler for `type(msg)`.
            SystemNotRunningError: The actor system has shut down.
        """
    @overload
    def ask_blocking(self, msg: Message[_R], timeout: float | None | _Default = ...) -> _R:
        """Asks from a thread other than the loop's, and blocks that thread until the reply.

        Takes the same `timeout` as `ask` and raises the same errors.

        Raises:
            DeadlockError: Called on the event loop's own thread, which it would block.
        """
    @overload
    def ask_blocking(self, msg: object, timeout: float | None | _Default = ...) -> Any: ...
    async def stop(self, drain: bool = False, timeout: float | None = 5.0) -> None:
        """Stops the actor for good and waits until it has stopped (a coroutine).

        `on_stop` runs, the actor's children stop first, watchers receive
        [`Terminated`][airsrt.Terminated], and pending asks fail with `ActorStoppedError`.
        On a supervised child it is a `terminate_child`: the child is not restarted. From inside
        the actor, use [`context.stop()`][airsrt.Context.stop] instead.

        Args:
            drain: `False`: stop after the current message; the queued ones become dead letters
                (reason `stopped`). `True`: refuse new messages, handle the queued ones, then stop.
            timeout: Seconds the running handler (and `on_stop`) get to finish before they are
                cancelled; `None` waits as long as it takes.
        """
    async def ready(self) -> None:
        """Waits until the actor's `on_start` has finished (a coroutine).

        Raises:
            ActorStartError: `on_start` raised; the original error is its `__cause__`.
        """
    @property
    def is_alive(self) -> bool:
        """True until the actor has stopped for good; a restart does not count."""
    @property
    def name(self) -> str:
        """The name given at spawn, or a generated display name such as `"Worker#12"`."""
    @property
    def incarnation(self) -> int:
        """1 for the first instance of the actor, incremented by each restart."""
    @property
    def system(self) -> Any:
        """The [`ActorSystem`][airsrt.ActorSystem] the actor runs in; any thread."""
    def mailbox_size(self) -> int:
        """Messages waiting for this actor, not counting the one being handled; any thread.

        That is the messages in its mailbox plus those of senders waiting for room in a full
        `BLOCK` mailbox (`stats()` counts the two apart).
        """
    def stats(self) -> ActorStats:
        """This actor's counters as an [`ActorStats`][airsrt.ActorStats] record; any thread.

        Returns:
            `processed` (handlers run, failed or not), `failed`, `restarts`, `mailbox_size`,
                `queued`, `waiting_senders`, `max_mailbox_size`, `incarnation` and `state`; while
                the system traces messages, also `latency` (handler time percentiles, in µs).
        """
    def state_name(self) -> str: ...
    def display_name_for(self, factory: object) -> str: ...
    def unhandled_error(self, msg: object) -> Exception: ...
    def unhandled_type_error(self, msg_type: type, msg: object = None) -> Exception: ...
    def deadlock_error(self, msg: object) -> Exception: ...
    def stopped_error(self, msg: object) -> Exception: ...
    def mailbox_full_error(self, msg: object, evicted: bool) -> Exception: ...
    # Internals used by airsrt's Python modules.
    @property
    def _phase(self) -> int: ...
    @property
    def _sched(self) -> int: ...
    @property
    def _actor(self) -> Any: ...
    @property
    def _table(self) -> HandlerTable: ...
    @property
    def _ctx(self) -> Context: ...
    @property
    def _flags(self) -> int: ...
    def _create_task(self, coro: Coroutine[Any, Any, _T]) -> Task[_T]: ...
    # The lifecycle transitions (the only writers of the state above outside the dispatcher).
    def _task_began(self) -> None: ...
    def _task_ended(self) -> bool: ...
    def _mark_started(self) -> None: ...
    def _mark_start_failed(self) -> None: ...
    def _mark_settled(self) -> None: ...
    def _close(self) -> bool: ...
    def _begin_stopping(self) -> None: ...
    def _end_started(self) -> bool: ...
    def _mark_stopped(self, shutdown: bool) -> None: ...
    def _suspend(self) -> bool: ...
    def _reincarnate(self, actor: Any, table: HandlerTable) -> bool: ...
    def _want_idle_hook(self, on: bool) -> None: ...
    def _run_start(self) -> None: ...
    def _started(self) -> None: ...
    def _stop_at_once(self) -> bool: ...
    def _run_on_stop(self) -> None: ...
    def _stop_after_handler(self) -> bool: ...
    def _mark_subscribed(self) -> None: ...
    @property
    def _stop_reason(self) -> Any: ...
    @property
    def _extra(self) -> CellExtra: ...
    @property
    def _has_extra(self) -> bool: ...
    @property
    def _factory(self) -> Callable[..., Any]: ...
    @property
    def _args(self) -> tuple[Any, ...]: ...
    @property
    def _parent(self) -> ActorRef | None: ...
    @property
    def _registered_name(self) -> str | None: ...
    @property
    def _uid(self) -> int: ...
    @property
    def _ring_slots(self) -> int: ...
    def _send_nowait(self, msg: object) -> Any: ...
    def _deliver(self, msg: object, token: object = None) -> None: ...
    def _push_control(self, item: tuple[Any, ...]) -> None: ...
    def _take_control(self) -> list[tuple[Any, ...]]: ...
    def _push_marker(self, item: tuple[Any, ...]) -> None: ...
    def _take_all(self) -> list[tuple[Any, Any]]: ...
    def _force_push(self, msg: object, token: object, front: bool = False) -> None: ...
    def _take_parked(self) -> list[tuple[Any, Any, Any]]: ...
    def _unpark(self, waiter: Any) -> bool: ...
    def _queued(self, control: bool = False) -> int: ...
    def _reschedule(self) -> None: ...
    def _link(self, parent: ActorRef) -> None: ...
    def _unlink(self) -> None: ...
    def _children(self) -> list[ActorRef]: ...
    def _release(self) -> None: ...
    def _on_task_done(self, task: Task[Any]) -> None: ...
    def _build(self, factory: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, HandlerTable]: ...

class SupervisorRef(ActorRef):
    """The ref of a supervisor: an [`ActorRef`][airsrt.ActorRef] plus the OTP child operations.

    [`ActorSystem.spawn_supervisor`][airsrt.ActorSystem.spawn_supervisor] returns one, and
    `child(id)` returns one for a nested supervisor. Refs from `child` stay valid across that
    child's restarts by this supervisor; when a supervisor above rebuilds this whole subtree,
    look them up again.
    """

    def child(self, child_id: Any) -> ActorRef:
        """The current ref of the child with id `child_id`.

        Returns:
            Its ref: a `SupervisorRef` for a nested supervisor.

        Raises:
            ChildNotFoundError: No child has that id (also a `KeyError`).
        """
    async def start_child(self, *args: Any) -> ActorRef | None:
        """Starts a child (a coroutine).

        A static supervisor takes one [`ChildSpec`][airsrt.ChildSpec], which it adds; a
        [`DynamicSupervisor`][airsrt.DynamicSupervisor] takes the arguments to append to its
        template's (`await sup.start_child(user_id)`).

        Returns:
            The new child's ref, once its `on_start` has finished; None if `on_start` returned
                [`airsrt.IGNORE`][airsrt.IGNORE].

        Raises:
            ActorStartError: The child failed to start (nothing is kept of it).
            MaxChildrenError: A DynamicSupervisor already has `max_children` children.
            ConfigurationError: A duplicate id, or arguments of the wrong kind.
            ActorStoppedError: The supervisor has stopped (or gave up).
        """
    async def terminate_child(self, child_id: Any) -> None:
        """Stops a child for good (a coroutine), given its id or its ref.

        A static supervisor keeps the spec (`restart_child` starts it again, `delete_child`
        forgets it); a dynamic one forgets the child (its children are named by their ref).

        Raises:
            ChildNotFoundError: No child has that id or ref.
        """
    async def restart_child(self, child_id: Any) -> ActorRef | None:
        """Starts a terminated child again from its spec (a coroutine; static supervisors).

        Returns:
            The child's ref, or None if it declined with `IGNORE`.

        Raises:
            ChildNotFoundError: No child has that id.
            ConfigurationError: The child is running, or this is a dynamic supervisor.
        """
    async def delete_child(self, child_id: Any) -> None:
        """Forgets the spec of a child that is not running (a coroutine; static supervisors).

        Raises:
            ChildNotFoundError: No child has that id.
            ConfigurationError: The child is running (`terminate_child` it first), or this is a
                dynamic supervisor.
        """
    async def which_children(self) -> list[ChildInfo]:
        """The children in start order (a coroutine).

        Returns:
            One [`ChildInfo`][airsrt.ChildInfo] per child: its id, ref, state, restarts, restart
                policy and whether it is a supervisor.
        """
    async def count_children(self) -> ChildCount:
        """How many children, by kind (a coroutine), like OTP's `count_children`.

        Returns:
            A [`ChildCount`][airsrt.ChildCount]: `specs`, `active`, `supervisors`, `workers`.
        """
    async def get_childspec(self, child_id: Any) -> ChildSpec:
        """The [`ChildSpec`][airsrt.ChildSpec] of a child, given its id or its ref (a
        coroutine).

        Raises:
            ChildNotFoundError: No child has that id or ref.
        """

@disjoint_base
class Runtime:
    """Compiled base of [`ActorSystem`][airsrt.ActorSystem]: the dispatcher and the ledger."""

    throughput: int
    """Messages one actor handles per dispatcher visit before the next ready actor gets a turn
    (64 by default; `ActorSystem(throughput=...)`)."""
    batch_limit: int
    """Messages one dispatcher turn handles, across actors, before it yields to the event loop
    (8192 by default)."""
    batch_seconds: float
    """Seconds one dispatcher turn may run before it yields to the event loop (0.002)."""
    eager_depth_limit: int
    """How deeply eager asks may nest (an eager handler asking another idle actor) before an
    ask is queued instead (16)."""
    eager_asks: bool
    """Run a synchronous handler inside `ask()` when its actor is idle (on by default;
    `ActorSystem(eager_asks=False)` queues every ask)."""
    event_threshold: int
    trace: bool
    """Emit per-message events and keep handler latencies in `ref.stats()`; can be switched
    while the system runs (`ActorSystem(trace_messages=...)`)."""
    _running: bool
    _closing: bool
    _quiet_stops: bool
    _default_timeout: float | None
    _default_capacity: int
    _default_bp: int
    _busy: dict[Task[Any], ActorRef]
    _names: dict[str, ActorRef]
    _root: ActorRef
    n_sent: int
    n_handled: int
    n_rejected: int
    n_dead_letters: int
    n_returned: int
    n_withdrawn: int
    n_late_replies: int
    n_spawned: int
    n_stopped: int
    n_restarts: int
    n_failures: int
    n_control_sent: int
    n_control_handled: int
    n_control_dropped: int
    @property
    def loop(self) -> AbstractEventLoop:
        """The event loop the system runs on (set when it starts)."""
    def spawn(
        self, factory: Callable[..., Any], *args: Any, name: str | None = None, mailbox: Any = None
    ) -> ActorRef:
        """Starts an actor and returns its ref at once (synchronous; the loop's thread only).

        The actor's `__init__` runs now; its `on_start` runs before its first message. Messages
        sent meanwhile wait in its mailbox. A system that was never started starts here, on the
        running loop.

        Args:
            factory: An [`Actor`][airsrt.Actor] subclass, or a callable returning an Actor
                instance (`functools.partial` for keyword arguments). It is called again for
                each restart.
            *args: Positional arguments for the factory; kept for restarts.
            name: Registers the actor for [`lookup`][airsrt.ActorSystem.lookup]; unique among
                live actors.
            mailbox: A [`Mailbox`][airsrt.Mailbox]; by default the system's `default_mailbox`
                (unbounded).

        Returns:
            The new actor's [`ActorRef`][airsrt.ActorRef]; `await ref.ready()` waits for its
                `on_start`.

        Raises:
            NameTakenError: `name` belongs to a live actor.
            ActorStartError: The factory raised, or is not callable (the cause is
                attached).
            TypeError: The factory returned something that is not an Actor instance.
            SystemNotRunningError: The system has shut down, or no loop is running.
            WrongThreadError: Called from a thread other than the loop's.
        """
    def _spawn(
        self,
        parent: ActorRef,
        factory: Callable[..., Any],
        args: tuple[Any, ...],
        name: str | None,
        mailbox: Any,
        cls: type = ...,
    ) -> ActorRef: ...
    def emit(self, kind: int, cell: ActorRef | None, details: Any = None) -> None: ...
    def tally(self, kind: int) -> bool: ...
    def _time(self) -> float: ...
    def _bind(self, loop: AbstractEventLoop) -> None: ...
    def _unbind(self) -> None: ...
    def _pending_asks(self) -> list[AskFuture[Any]]: ...
    def _run(self) -> None: ...
    def _on_deadline(self) -> None: ...
    def _event_counts(self) -> list[int]: ...
    def _on_thread(self) -> bool: ...
    def _current_actor(self) -> ActorRef | None: ...
    def _current_message(self, cell: ActorRef) -> Any: ...
    def _stash_current(self, cell: ActorRef) -> Any: ...
    def _watchdog(self, limit: float) -> None: ...

@final
class Route:
    """The subscribers one topic reaches, split by how each is delivered to."""

    subs: tuple[Any, ...]
    cells: tuple[ActorRef, ...]
    topic_cells: tuple[ActorRef, ...]
    calls: tuple[Any, ...]
    topic_calls: tuple[Any, ...]
    def __init__(
        self,
        subs: tuple[Any, ...],
        cells: tuple[ActorRef, ...],
        topic_cells: tuple[ActorRef, ...],
        calls: tuple[Any, ...],
        topic_calls: tuple[Any, ...],
    ) -> None: ...

@disjoint_base
class BrokerCore:
    """Compiled base of [`Broker`][airsrt.Broker]: publish's per-message fan-out."""

    _cache: dict[str, Route]
    dead_letter_unrouted: bool
    """Record a dead letter (reason `no_subscriber`) when a publish reaches nobody (on)."""
    def publish(self, topic: str, msg: object) -> int:
        """Delivers `msg` to every subscription whose pattern matches `topic`.

        Never waits and never raises for a subscriber: a copy that cannot be queued (a full
        mailbox, a stopping actor, an actor without a handler for the message) becomes a dead
        letter, and publishing goes on. Actors receive the message with a `tell` (or
        [`Published`][airsrt.Published] for `with_topic=True` subscriptions); synchronous
        callables are called now, async ones are scheduled.

        Args:
            topic: A topic: dot-separated words, no wildcards.

        Returns:
            How many deliveries were made.

        Raises:
            ConfigurationError: `topic` is empty, has an empty word or a wildcard.
        """

def _stash_task_message(cell: ActorRef, msg: object) -> bool: ...

def _install(
    ref_ops: Any,
    supervisor_ops: Any,
    actor_class: type,
    context_class: type,
    table_builder: Callable[[type], HandlerTable],
    supervisor_class: type,
) -> None: ...
def _install_seam(
    lifecycle: LifecycleSeam,
    failures: FailureSeam,
    patterns: PatternSeam,
    monitoring: MonitoringSeam,
    system: SystemSeam,
) -> None: ...
def _context_of(actor: Any) -> Any: ...
def _register_table(cls: type, table: HandlerTable) -> None: ...
def _drop(cell: ActorRef, msg: object, token: object, reason: str, error: BaseException | None) -> None: ...
def _settle(cell: ActorRef, token: object, result: object = None, error: BaseException | None = None) -> None: ...
def _ask_pending(token: object) -> bool: ...
def _fail_stopped(fut: AskFuture[Any]) -> bool: ...
def _check_thread(
    rt: Runtime, what: str, target: ActorRef | None = None, coroutine: bool = False
) -> None: ...
def _control_request(cell: ActorRef, msg: object, what: str) -> asyncio.Future[Any]: ...
def _check_timeout(timeout: object, what: str, target: ActorRef | None = None, msg: object = None) -> float | None: ...

# The snapshot walk (_snapshot.pxi), used by airsrt/_snapshot.py.
SNAPSHOT_FIELDS: tuple[str, ...]

def _install_snapshot(record: type) -> None: ...
def _snapshot_walk(
    rt: Runtime,
    node: str,
    describe_parent: Callable[[ActorRef], tuple[str, dict[ActorRef, Any] | None]],
    describe_busy: Callable[[ActorRef], tuple[float, str | None]],
) -> tuple[list[Any], int, int, int]: ...
def _snapshot_totals(rt: Runtime) -> tuple[int, int, int, int]: ...
def _cell_by_uid(rt: Runtime, uid: int) -> ActorRef | None: ...
@final
class RecordMaker:
    def __init__(self, cls: type, fields: tuple[str, ...], plain: bool = False) -> None: ...
    def __call__(self, *values: Any) -> Any: ...
