"""The actor system: configuration, the hooks the compiled core calls, shutdown, and ``run``."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

from airsrt import _core, _lifecycle as lifecycle, _guardian as supervision
from airsrt._broker import Broker
from airsrt._pools import PoolRef, Routing, make_pool
from airsrt import _snapshot
from airsrt._snapshot import SystemSnapshot
from airsrt._supervisor import ChildSpec, Supervisor, SupervisorFactory
from airsrt._core import PHASE_STOPPED
from airsrt._errors import (
    ConfigurationError,
    ShutdownTimeoutError,
    SystemNotRunningError,
)
from airsrt._mailbox import Mailbox
from airsrt._monitoring import DeadLetters, EventStream, KIND_IDS, Severity
from airsrt._stats import ControlTraffic, SystemStats
from airsrt._strategies import Strategy

__all__ = ["ActorSystem", "not_running", "run"]

log = logging.getLogger("airsrt")
T = TypeVar("T")

EV_SYSTEM_STARTED = KIND_IDS["system.started"]
EV_SYSTEM_STOPPED = KIND_IDS["system.stopped"]

# Systems bound to a loop, so airsrt.run() can shut them down on a signal.
_systems: weakref.WeakSet[ActorSystem] = weakref.WeakSet()


class ActorSystem(_core.Runtime):
    """A set of actors sharing one event loop, one dispatcher and one guardian.

    Use it as ``async with ActorSystem() as system:`` (started on the running loop, shut down on
    exit), or call `start` and ``await`` `shutdown` yourself. Nothing can be spawned before it
    has started.

    Threads: the system belongs to the thread of the loop it started on. `stats`, `lookup`,
    `actors`, `is_running` and the attributes can be read from any thread; `spawn`,
    `spawn_pool`, `spawn_supervisor`, `shutdown` (and `start` once running) raise
    `airsrt.WrongThreadError` elsewhere.

    Args:
        name: A label for logs and events.
        default_mailbox: The [`Mailbox`][airsrt.Mailbox] of actors spawned without one (unbounded).
        throughput: Messages an actor handles per dispatcher visit before others get a turn.
        ask_timeout: Default ``ask`` timeout in seconds; ``None`` waits forever.
        guardian: The supervisor of top-level actors: a strategy (``airsrt.OneForOne(...)``) to
            restart them within its limits, or a [`Guardian`][airsrt.Guardian]; by default a failed
            top-level actor is stopped.
        eager_asks: Run a synchronous handler inside ``ask()`` when its actor is idle (the
            answer is the same as through the mailbox, only sooner).
        stop_timeout: Grace in seconds for actors stopped by their parent or by shutdown.
        kill_timeout: Seconds a cancelled handler gets to finish before it is abandoned.
        event_history: How many events ``events.recent()`` keeps (0: none).
        event_history_severity: The lowest severity kept in that history.
        dead_letter_history: How many dead letters ``dead_letters.recent()`` keeps (the
            newest; 0 keeps none). ``dead_letters.count`` and ``dead_letters.counts()`` count
            every one whatever this is.
        log_failures: Log handler failures to the ``airsrt`` logger.
        trace_messages: Emit ``message.received``/``message.processed`` events (TRACE) and
            keep handler latency percentiles in ``ref.stats()``. Off by default: then it costs
            one branch per message. Can be switched at run time (``system.trace = True``).
        slow_handler_limit: Seconds a synchronous handler may block the event loop before a
            watchdog thread reports it (an `actor.slow_handler` event and a
            [`SlowHandlerWarning`][airsrt.SlowHandlerWarning] naming the actor, the message
            type and the lag); `None` turns the watchdog off. The default matches asyncio's
            debug-mode `slow_callback_duration`.
        strict: Test mode: what the watchdog finds becomes the message's failure
            ([`SlowHandlerError`][airsrt.SlowHandlerError], seen by the asker and by
            supervision) instead of a warning. The pytest plugin's `actor_system` fixture turns
            it on.

    Attributes:
        name: The system's name.
        broker: Its [`Broker`][airsrt.Broker]: topics, publish, request-reply.
        events: Its [`EventStream`][airsrt.EventStream]: subscribe to events, read recent ones.
        dead_letters: Its [`DeadLetters`][airsrt.DeadLetters]: messages that could not be
            delivered or answered.
        guardian: The [`Guardian`][airsrt.Guardian] of its top-level actors.
    """

    def __init__(
        self,
        name: str = "airsrt",
        *,
        default_mailbox: Mailbox | None = None,
        throughput: int = 64,
        ask_timeout: float | None = 30.0,
        guardian: Any = None,
        eager_asks: bool = True,
        stop_timeout: float | None = 5.0,
        kill_timeout: float = 1.0,
        event_history: int = 1000,
        event_history_severity: Severity = Severity.INFO,
        dead_letter_history: int = 1000,
        log_failures: bool = True,
        trace_messages: bool = False,
        slow_handler_limit: float | None = 0.1,
        strict: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"system name must be a non-empty str, got {name!r}")
        if default_mailbox is not None and not isinstance(default_mailbox, Mailbox):
            raise ConfigurationError(
                f"default_mailbox must be an airsrt.Mailbox, got {default_mailbox!r}"
            )
        if isinstance(throughput, bool) or not isinstance(throughput, int) or throughput < 1:
            raise ConfigurationError(f"throughput must be an int >= 1, got {throughput!r}")
        if ask_timeout is not None:
            _config_seconds("ask_timeout", ask_timeout, allow_zero=False)
        if stop_timeout is not None:
            _config_seconds("stop_timeout", stop_timeout, allow_zero=True)
        _config_seconds("kill_timeout", kill_timeout, allow_zero=True)
        if slow_handler_limit is not None:
            _config_seconds("slow_handler_limit", slow_handler_limit, allow_zero=False)
        self.name = name
        self.slow_handler_limit = slow_handler_limit
        self.strict = bool(strict)
        self.throughput = throughput
        self.eager_asks = bool(eager_asks)
        self._default_timeout = None if ask_timeout is None else float(ask_timeout)
        if default_mailbox is not None:
            if default_mailbox.levels:
                raise ConfigurationError(
                    "default_mailbox cannot be a priority mailbox; give it to the actors that "
                    "need one: spawn(..., mailbox=Mailbox.priority())"
                )
            self._default_capacity, self._default_bp, _ = default_mailbox._core_config()
        self._stop_timeout = stop_timeout
        self._kill_timeout = float(kill_timeout)
        self._log_failures = bool(log_failures)
        if guardian is None or isinstance(guardian, Strategy):
            self.guardian = supervision.Guardian(guardian)
        elif isinstance(guardian, supervision.Guardian):
            self.guardian = guardian
        else:
            raise ConfigurationError(
                f"guardian must be a strategy (airsrt.OneForOne, OneForAll, RestForOne) or an "
                f"airsrt.Guardian, got {guardian!r}"
            )
        self.trace = bool(trace_messages)
        self.events = EventStream(self, event_history, event_history_severity)
        self.dead_letters = DeadLetters(self, dead_letter_history)
        self.broker = Broker(self)
        self._state = "new"
        self._shutdown_task: asyncio.Task[None] | None = None
        self._abandoned: list[str] = []
        self._abandoned_tasks: set[asyncio.Task[Any]] = set()
        self._lifecycle_tasks: set[asyncio.Task[Any]] = set()
        # Observers of individual messages (airsrt.testing.MessageLedger): called as
        # tap("handled", msg, actor) while tracing is on, and tap("dead_letter", msg, reason).
        self._message_taps: list[Callable[[str, Any, Any], None]] = []

    # -- running -------------------------------------------------------------------------------

    def start(self) -> ActorSystem:
        """Binds the system to the running event loop and this thread; returns the system.

        ``async with ActorSystem() as system:`` calls it. Calling it again while the system
        runs does nothing.

        Raises:
            SystemNotRunningError: No event loop runs in this thread, or the system has
                already shut down.
            WrongThreadError: The system already runs on another thread's loop.
        """
        if self._state == "running":
            _core._check_thread(self, "start")
            return self
        if self._state != "new":
            raise SystemNotRunningError(
                f"actor system {self.name!r} has been shut down; create a new ActorSystem"
            )
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise SystemNotRunningError(
                f"actor system {self.name!r} needs a running event loop; start it inside async "
                "code: 'async with ActorSystem() as system:' (or use airsrt.run(main()))"
            ) from None
        self._bind(loop)
        if self.slow_handler_limit is not None:
            threading.Thread(
                target=self._watchdog,
                args=(float(self.slow_handler_limit),),
                name=f"airsrt watchdog {self.name}",
                daemon=True,
            ).start()
        self._state = "running"
        _systems.add(self)
        self.emit(EV_SYSTEM_STARTED, None, {"system": self.name})
        return self

    async def __aenter__(self) -> ActorSystem:
        return self.start()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            await self.shutdown()
            return
        # Never raise over the body's own exception: report a stuck shutdown instead.
        try:
            await self.shutdown()
        except ShutdownTimeoutError as error:
            log.error("%s", error)

    @property
    def is_running(self) -> bool:
        """True between start and shutdown."""
        return self._state == "running"

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Stops every actor and returns by the deadline; idempotent.

        Actors stop children first, top-level actors in reverse start order. Every pending ask
        fails with [`ActorStoppedError`][airsrt.ActorStoppedError] and queued tells become dead
        letters (reason `shutdown`). Spawning or asking afterwards raises
        [`SystemNotRunningError`][airsrt.SystemNotRunningError].

        Raises:
            ShutdownTimeoutError: An actor's handler would not finish even when cancelled; it
                was abandoned. The error names it.
            WrongThreadError: Run on a thread other than the loop's (from another thread:
                ``asyncio.run_coroutine_threadsafe(system.shutdown(), system.loop)``).
        """
        _core._check_thread(self, "shutdown", None, True)
        _config_seconds("shutdown timeout", timeout, allow_zero=True)
        if self._state == "new":
            self._state = "stopped"
            return
        if self._shutdown_task is None:
            self._shutdown_task = self.loop.create_task(
                self._shutdown(timeout), name=f"airsrt shutdown {self.name}"
            )
        elif self._shutdown_task.done():
            return
        await asyncio.shield(self._shutdown_task)

    async def _shutdown(self, timeout: float) -> None:
        loop = self.loop
        self._state = "stopping"
        self._closing = True
        deadline = loop.time() + timeout
        try:
            for child in reversed(self._root._children()):
                request = lifecycle.StopRequest(
                    "shutdown", self._child_grace(child), deadline, shutdown=True
                )
                waiter = lifecycle.request_stop(self, child, request)
                if waiter is not None:
                    remaining = deadline - loop.time()
                    try:
                        await asyncio.wait_for(asyncio.shield(waiter), max(remaining, 0) + 1.0)
                    except TimeoutError:
                        log.error("%s did not finish stopping by the shutdown deadline", child.name)
            await self._await_lifecycles(deadline)
        finally:
            self.broker._close()
            self._settle_leftovers()
            self._unbind()
            self._state = "stopped"
            _systems.discard(self)
            self.emit(EV_SYSTEM_STOPPED, None, {"system": self.name, "abandoned": list(self._abandoned)})
        if self._abandoned:
            names = ", ".join(self._abandoned)
            raise ShutdownTimeoutError(
                f"actor system {self.name!r} shut down but had to abandon {names}: their handlers "
                "ignored cancellation (they catch CancelledError or BaseException and keep going)",
                abandoned=self._abandoned,
            )

    async def _await_lifecycles(self, deadline: float) -> None:
        pending = {t for t in self._lifecycle_tasks if not t.done()}
        if pending:
            await asyncio.wait(pending, timeout=max(deadline - self.loop.time(), 0) + 1.0)
        for task in pending:
            if not task.done():
                task.cancel()

    def _settle_leftovers(self) -> None:
        """Fails what nothing else settled (asks to actors that could not be stopped)."""
        for fut in self._pending_asks():
            _core._fail_stopped(fut)

    # -- directory -------------------------------------------------------------------------------

    async def spawn_supervisor(
        self,
        strategy: Strategy,
        children: list[ChildSpec] | None = None,
        name: str | None = None,
        *,
        template: ChildSpec | None = None,
    ) -> _core.SupervisorRef:
        """Starts a supervisor with `strategy` over `children`; returns once all have started.

        Children start in order. If one fails to start, those already started are stopped
        (reverse order) and this raises. A child whose ``on_start`` returns ``airsrt.IGNORE``
        is not started, and that is not an error (its spec is kept).

        With ``airsrt.DynamicSupervisor(...)`` there are no children to begin with: give
        `template`, the spec each child is started from by ``await sup.start_child(*args)``.

        Raises:
            ActorStartError: A child failed to start; the error names it, the cause is attached.
            ConfigurationError: An invalid strategy or child spec, a duplicate child id, a
                DynamicSupervisor without a template (or with children), a template for
                another strategy.
            SystemNotRunningError: The system was never started, or has shut down.
            WrongThreadError: Run on a thread other than the loop's.
        """
        factory = SupervisorFactory(strategy, children, template)
        if not self._running:
            not_running(self, "spawn a supervisor")
        _core._check_thread(self, "spawn_supervisor", None, True)
        ref = cast(_core.SupervisorRef, self._spawn(self._root, factory, (), name, None, _core.SupervisorRef))
        await ref.ready()
        return ref

    def spawn_pool(
        self,
        factory: Any,
        *args: Any,
        size: int,
        routing: Routing = Routing.ROUND_ROBIN,
        name: str | None = None,
        key: Any = None,
        mailbox: Mailbox | None = None,
        strategy: Strategy | None = None,
    ) -> PoolRef:
        """Starts `size` workers from `factory(*args)` and returns a ref that routes each message
        to one of them at the call site (synchronous, like `spawn`).

        Args:
            routing: A [`Routing`][airsrt.Routing]; CONSISTENT_HASH needs `key`, a function
                from a message to its key.
            name: Registers the pool's supervisor under this name.
            mailbox: Every worker's mailbox.
            strategy: The workers' supervision (default: one-for-one, more than 10 x size
                restarts within 5 s gives up). A worker that raises is restarted; the pool's
                window counts only failures with no successfully handled message between them,
                so occasional bad input never makes it give up. After it gives up, every call
                to the pool raises ``ActorStoppedError``.

        Raises:
            ConfigurationError: A bad size, routing, key or factory.
            SystemNotRunningError: The system was never started, or has shut down.
            WrongThreadError: Called from a thread other than the loop's.
        """
        if not self._running:
            not_running(self, "spawn a pool")
        _core._check_thread(self, "spawn_pool")
        return make_pool(
            self, factory, args, size=size, routing=routing, name=name, key=key, mailbox=mailbox,
            strategy=strategy,
        )

    def lookup(self, name: str) -> _core.ActorRef | None:
        """The live actor registered under `name`, or None; any thread."""
        return self._names.get(name)

    def actors(self) -> list[_core.ActorRef]:
        """Every live actor, parents before their children, in start order.

        Any thread; from another thread it is a snapshot that may miss actors spawned or
        stopped while it is taken.
        """
        out: list[_core.ActorRef] = []
        if self._state == "new":
            return out
        stack = list(reversed(self._root._children()))
        while stack:
            cell = stack.pop()
            if cell._phase != PHASE_STOPPED:
                out.append(cell)
            stack.extend(reversed(cell._children()))
        return out

    def stats(self) -> SystemStats:
        """The system's counters as an `airsrt.SystemStats` record; any thread.

        Its ledger counts the user's messages: ``sent == handled + rejected + dead_letters +
        returned + withdrawn`` once nothing is in flight (late replies are counted apart: they
        are answers, not messages). The runtime's own messages are in ``control``.
        """
        return SystemStats(
            actors=self.n_spawned - self.n_stopped,
            spawned=self.n_spawned,
            stopped=self.n_stopped,
            messages=self.n_handled,
            restarts=self.n_restarts,
            failures=self.n_failures,
            sent=self.n_sent,
            handled=self.n_handled,
            rejected=self.n_rejected,
            dead_letters=self.n_dead_letters,
            returned=self.n_returned,
            withdrawn=self.n_withdrawn,
            late_replies=self.n_late_replies,
            control=ControlTraffic(self.n_control_sent, self.n_control_handled, self.n_control_dropped),
        )

    def snapshot(self, node: str | None = None) -> SystemSnapshot:
        """Every actor, the supervision tree, the counters and the dead letters, now.

        Reads each actor's counters in the compiled core: the cost is one visit per actor,
        paid by this call, and nothing on the message path. Call it on the system's loop.

        Args:
            node: The label written into every record and actor id (default: the system's
                name); give each node its own to merge snapshots (`airsrt.merge_snapshots`).

        Returns:
            A `SystemSnapshot` (frozen records; ``as_dict()`` and ``to_json()`` give JSON).

        Raises:
            WrongThreadError: Called from a thread other than the loop's.
        """
        return _snapshot.take(self, node)

    def __repr__(self) -> str:
        return f"<ActorSystem {self.name!r} {self._state}>"

    # -- hooks called by the lifecycle and supervision code ----------------------------------------

    def _start_lifecycle(
        self, coro: Coroutine[Any, Any, None], on_cancel: Callable[[], None]
    ) -> asyncio.Task[None]:
        """Runs a stop or restart in its own task; `on_cancel` completes it without waiting if
        that task is cancelled (which is survivable, but not meant to happen)."""
        # Named, so whoever lists the loop's tasks sees whose they are.
        task = self.loop.create_task(coro, name=f"airsrt {getattr(coro, '__qualname__', '').lstrip('_')}")
        self._lifecycle_tasks.add(task)
        task.add_done_callback(functools.partial(self._lifecycle_done, on_cancel))
        return task

    def _lifecycle_done(self, on_cancel: Callable[[], None], task: asyncio.Task[None]) -> None:
        self._lifecycle_tasks.discard(task)
        if task.cancelled():
            on_cancel()
        elif task.exception() is not None:
            log.error("airsrt lifecycle step failed", exc_info=task.exception())

    def _supervisor_of(self, cell: _core.ActorRef) -> Any:
        parent = cell._parent
        actor = parent._actor if parent is not None else None
        return actor if isinstance(actor, Supervisor) else self.guardian

    def _start_failed(self, cell: _core.ActorRef, error: BaseException) -> None:
        self._supervisor_of(cell).start_failed(self, cell, error)

    def _start_ignored(self, cell: _core.ActorRef) -> None:
        self._supervisor_of(cell).start_ignored(self, cell)

    def _child_stopped(self, cell: _core.ActorRef, reason: Any, req: lifecycle.StopRequest) -> None:
        self.broker._forget(cell)
        self._supervisor_of(cell).child_stopped(self, cell, reason, req)

    def _child_exiting(self, cell: _core.ActorRef, req: lifecycle.StopRequest) -> bool:
        if self._closing:
            return False
        return bool(self._supervisor_of(cell).child_exiting(self, cell, req))

    def _child_grace(self, cell: _core.ActorRef) -> float | None:
        grace: float | None = self._supervisor_of(cell).child_grace(self, cell)
        return grace


def not_running(system: ActorSystem, what: str) -> None:
    """Raises the error for `what` (a spawn) on a system that is not running (see ``_seam``)."""
    if system._state == "new":
        raise SystemNotRunningError(
            f"actor system {system.name!r} has not been started, so it cannot {what}; start it "
            "first: 'async with ActorSystem() as system:' in async code (or call "
            "system.start() there, and await system.shutdown() at the end)"
        )
    state = "shutting down" if system._state == "stopping" else "shut down"
    raise SystemNotRunningError(
        f"actor system {system.name!r} is {state}; cannot {what} (create a new ActorSystem)"
    )


def _config_seconds(what: str, value: Any, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{what} must be a number of seconds, got {value!r}")
    if value != value or value in (float("inf"),) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigurationError(f"{what} must be finite and {bound} seconds, got {value!r}")


def run(
    main: Coroutine[Any, Any, T],
    *,
    debug: bool | None = None,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
    shutdown_timeout: float = 10.0,
) -> T:
    """Runs `main` like `asyncio.run`, with signal handling and a teardown that cannot hang.

    The first SIGINT or SIGTERM shuts every actor system on the loop down gracefully and then
    cancels `main`; `run` then raises ``KeyboardInterrupt`` (SIGINT, exit status 130) or
    ``SystemExit(143)`` (SIGTERM). A second signal exits the process at once with that status.
    Tasks still running when `main` ends are cancelled and given `shutdown_timeout` seconds;
    a task that ignores cancellation is left behind rather than waited for.

    Args:
        main: The coroutine to run.
        debug: asyncio debug mode (default: from ``PYTHONASYNCIODEBUG``).
        loop_factory: Makes the event loop, e.g. ``uvloop.new_event_loop``.
        shutdown_timeout: Seconds for the final shutdown of systems and tasks.
    """
    if not asyncio.iscoroutine(main):
        raise TypeError(f"airsrt.run() needs a coroutine, got {type(main).__name__}")
    loop = loop_factory() if loop_factory is not None else asyncio.new_event_loop()
    if debug is not None:
        loop.set_debug(debug)
    asyncio.set_event_loop(loop)
    main_task = loop.create_task(main)
    received: list[int] = []
    installed: list[tuple[int, Any]] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        if len(received) > 1:
            os._exit(128 + signum)
        loop.create_task(_interrupt(main_task, loop, shutdown_timeout))

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                previous = signal.getsignal(signum)
                loop.add_signal_handler(signum, on_signal, signum)
                installed.append((signum, previous))
            except (NotImplementedError, RuntimeError):  # pragma: no cover - loops without signals (Windows)
                pass
    try:
        try:
            return loop.run_until_complete(main_task)
        except asyncio.CancelledError:
            if received:
                if received[0] == signal.SIGINT:
                    raise KeyboardInterrupt from None
                raise SystemExit(128 + received[0]) from None
            raise
    finally:
        try:
            _teardown(loop, shutdown_timeout)
        finally:
            for number, previous in installed:
                loop.remove_signal_handler(number)
                signal.signal(number, previous)
            asyncio.set_event_loop(None)
            loop.close()


async def _interrupt(main_task: asyncio.Task[Any], loop: asyncio.AbstractEventLoop, timeout: float) -> None:
    await _shutdown_systems(loop, timeout)
    main_task.cancel()


async def _shutdown_systems(loop: asyncio.AbstractEventLoop, timeout: float) -> None:
    for system in [s for s in list(_systems) if s.loop is loop]:
        try:
            await system.shutdown(timeout)
        except ShutdownTimeoutError as error:
            log.error("%s", error)


def _teardown(loop: asyncio.AbstractEventLoop, timeout: float) -> None:
    loop.run_until_complete(_shutdown_systems(loop, timeout))
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        # Bounded: a task that swallows cancellation is left behind, not waited for.
        loop.run_until_complete(asyncio.wait(pending, timeout=timeout))
        for task in pending:
            if not task.done():
                task._log_destroy_pending = False  # type: ignore[attr-defined]
                log.error("task %r ignored cancellation at exit; left behind", task.get_name())
            elif not task.cancelled() and task.exception() is not None:
                loop.call_exception_handler(
                    {"message": "unhandled exception during airsrt.run() teardown",
                     "exception": task.exception(), "task": task}
                )
    loop.run_until_complete(loop.shutdown_asyncgens())
    try:
        loop.run_until_complete(
            asyncio.wait_for(loop.shutdown_default_executor(), timeout)
        )
    except (TimeoutError, RuntimeError):  # pragma: no cover - a stuck executor thread
        log.error("default executor did not shut down within %ss", timeout)
