"""Actors: the base class users subclass, the ``@handler`` decorator, ``ErrorAction`` and the
actor's ``Context``.

A handler table is built for every Actor subclass when the class is created: each ``@handler``
method registers the message classes named in the decorator or in its message parameter's
annotation (``X | Y`` registers both). Mistakes that can be seen then -- two handlers for one
type in one class, a handler without a message type -- raise ``TypeError`` at class creation.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import sys
import types
import typing
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Final, TYPE_CHECKING, TypeVar, cast, overload

from airsrt import _core, _lifecycle as lifecycle, _patterns as patterns, _remote
from airsrt._errors import ConfigurationError
from airsrt._health import Health
from airsrt._timers import schedule

if TYPE_CHECKING:
    from airsrt._core import ActorRef
    from airsrt._mailbox import Mailbox
    from airsrt._messages import ExitReason
    from airsrt._system import ActorSystem
    from airsrt._timers import Timer

__all__ = ["IGNORE", "Actor", "Context", "ErrorAction", "handler"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_HANDLES = "__airsrt_handles__"
# Marks a handler whose message type comes from its annotation, resolved with the class.
_FROM_ANNOTATION: tuple[type, ...] = ()


class ErrorAction(enum.Enum):
    """What happens to an actor after one of its handlers raised.

    Attributes:
        RESUME: Keep the actor and its state; go on with the next message.
        RESTART: Replace the instance with a fresh one from the factory, now; counts toward the
            supervisor's restart intensity.
        STOP: Stop the actor as a normal exit (a transient child is not restarted).
        ESCALATE: Let the supervisor's strategy decide (the default). For top-level actors that
            is the system's guardian, which stops the actor unless given a strategy.
    """

    RESUME = "resume"
    RESTART = "restart"
    STOP = "stop"
    ESCALATE = "escalate"


class _Ignore:
    """The type of `IGNORE` (one instance)."""

    __slots__ = ()
    _instance: _Ignore | None = None

    def __new__(cls) -> _Ignore:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "airsrt.IGNORE"

    def __reduce__(self) -> str:
        return "IGNORE"


IGNORE: Final = _Ignore()
"""Returned from `on_start` (sync or async), declines to start: OTP's `ignore`.

It is not an error. The actor stops at once with reason `"ignored"` (`on_stop` does not run)
and `await ref.ready()` returns normally, with `ref.is_alive` False; messages sent to it become
dead letters. A static supervisor keeps the child's spec (`which_children` shows it
terminated; `restart_child` tries again); a dynamic one keeps nothing and `start_child` returns
None.
"""


@overload
def handler(*message_types: type) -> Callable[[F], F]: ...
@overload
def handler(func: F, /) -> F: ...


def handler(*args: Any) -> Any:
    """Marks a method as the handler for one or more message classes.

    Use it bare, and the message class comes from the annotation of the method's message
    parameter (``X | Y`` registers both):

    ```python
    @airsrt.handler
    def deposit(self, msg: Deposit) -> int: ...
    ```

    or name the classes explicitly:

    ```python
    @airsrt.handler(Audit, Review)
    async def audit(self, msg) -> Report: ...
    ```

    The method may be ``def`` (runs straight from the dispatcher) or ``async def`` (runs in a
    Task of its own; the actor takes no other message until it ends). Its return value is the
    reply to an ``ask``.
    """
    if len(args) == 1 and callable(args[0]) and not isinstance(args[0], type):
        return _mark(args[0], _FROM_ANNOTATION)
    for t in args:
        if not isinstance(t, type):
            raise TypeError(
                f"@handler(...) takes message classes, got {t!r}; write @handler(SomeMessage)"
            )

    def decorate(func: F) -> F:
        return _mark(func, tuple(args))

    return decorate


def _mark(func: F, message_types: tuple[type, ...]) -> F:
    if not callable(func):
        raise TypeError(f"@handler decorates a method, got {func!r}")
    setattr(func, _HANDLES, message_types)
    return func


class Actor:
    """Base class of actors.

    Subclass it, give it [`@handler`][airsrt.handler] methods, and start it with
    [`system.spawn(MyActor, ...)`][airsrt.ActorSystem.spawn]; never instantiate it yourself.
    `self.context` (a [`Context`][airsrt.Context]) is usable from `__init__` on. One message at
    a time runs per actor, so handlers can use `self` freely.

    When a handler raises, an ``ask`` gets the exception back, and the failure is logged and
    emitted as ``actor.failed``. What happens to the actor is ``on_error``'s answer
    (``error_action`` by default, ``ESCALATE``): for a top-level actor the system's guardian
    **stops it for good**. With ``error_action = ErrorAction.RESUME`` it keeps its state and goes
    on (what an RPC-style actor wants for expected errors); with ``ErrorAction.RESTART`` it is
    rebuilt in place, at most 3 times within 5 s (the guardian's limit; the 4th failure in that
    window stops it); ``ActorSystem(guardian=OneForOne(...))`` sets other limits. Under a
    supervisor, the supervisor's strategy and restart intensity decide. A pool's workers are
    restarted, and the pool gives up only after more than 10 x size failures within 5 s with no
    message handled successfully in between; then every call to the pool raises
    ``ActorStoppedError``.

    Attributes:
        error_action: The class-wide [`ErrorAction`][airsrt.ErrorAction] after a handler
            raises (default `ESCALATE`); [`on_error`][airsrt.Actor.on_error] may decide per
            failure instead.
        stash_capacity: How many messages [`context.stash()`][airsrt.Context.stash] may hold
            (default 1000).
    """

    # The cell and the Context; the compiled core reads and writes them directly. Subclasses
    # without __slots__ get the usual __dict__ (with CPython's inline attribute values).
    __slots__ = ("_airsrt_cell", "_airsrt_context")

    error_action: ClassVar[ErrorAction] = ErrorAction.ESCALATE
    stash_capacity: ClassVar[int] = 1000

    context = property(
        _core._context_of,
        doc="The actor's `Context` (usable from ``__init__`` on).",
    )
    """The actor's [`Context`][airsrt.Context], usable from `__init__` on."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        action = cls.__dict__.get("error_action")
        if action is not None and not isinstance(action, ErrorAction):
            raise TypeError(
                f"{cls.__name__}.error_action must be an airsrt.ErrorAction, got {action!r}"
            )
        # String annotations are resolved in the scope the class statement runs in, so message
        # classes defined beside the actor (even inside a function) are found.
        frame = sys._getframe(1)
        if frame.f_locals is not frame.f_globals:
            cls._airsrt_localns = dict(frame.f_locals)  # type: ignore[attr-defined]
        del frame
        try:
            table = _build_table(cls)
        except NameError:
            # A handler annotation names a class that does not exist yet (a forward
            # reference); resolve it when the first instance is spawned.
            return
        _core._register_table(cls, table)

    def on_start(self) -> Any:
        """Runs before the first message (may be `async`); messages sent meanwhile wait.

        Also runs for each new instance after a restart. If it raises, the actor does not
        start: [`await ref.ready()`][airsrt.ActorRef.ready] raises
        [`ActorStartError`][airsrt.ActorStartError], and so do the asks already queued.
        Returning [`airsrt.IGNORE`][airsrt.IGNORE] declines to start without an error."""

    def on_stop(self) -> Any:
        """Runs once when an instance whose `on_start` succeeded stops or is replaced by a
        restart (may be `async`), whatever the reason; its children have stopped by then.

        It gets the stop's grace period; skipped when the actor is killed after it."""

    def on_error(self, error: BaseException, msg: Any) -> ErrorAction:
        """Decides what a handler's exception means for the actor (synchronous).

        The asker, if any, gets the exception whatever this returns.

        Args:
            error: The exception the handler raised.
            msg: The message it was handling.

        Returns:
            An [`ErrorAction`][airsrt.ErrorAction]; by default the class's `error_action`.
                If this method raises, that counts as `ESCALATE`."""
        return self.error_action

    def health_check(self) -> Health:
        """Reports the actor's health when its supervisor checks it (``ChildSpec(health=...)``);
        synchronous, runs between messages. The default says HEALTHY; a check that cannot run
        because a handler is stuck fails anyway."""
        return Health.HEALTHY

    def __repr__(self) -> str:
        cell = self._airsrt_cell_repr()
        return f"<{type(self).__qualname__} actor {cell}>"

    def _airsrt_cell_repr(self) -> str:
        try:
            return str(self.context.name)
        except RuntimeError:
            return "(not spawned)"


def _build_table(cls: type[Actor]) -> _core.HandlerTable:
    """Collects the handlers of `cls` and its bases into a compiled HandlerTable."""
    chosen: dict[type, str] = {}
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, Actor)):
            continue
        here: dict[type, str] = {}
        for attr, value in vars(klass).items():
            func = _handler_function(value)
            if func is None:
                continue
            for message_type in _message_types(klass, attr, func, vars(klass).get("_airsrt_localns")):
                if message_type in here:
                    raise TypeError(
                        f"{klass.__qualname__} has two handlers for {message_type.__name__}: "
                        f"{here[message_type]}() and {attr}(); keep one (a subclass may "
                        "override its parent's handler for a type)"
                    )
                here[message_type] = attr
        # A subclass's handler for a type replaces its parent's.
        chosen.update(here)
    entries = {}
    for message_type, attr in chosen.items():
        func = getattr(cls, attr)
        if not callable(func):
            raise TypeError(
                f"{cls.__qualname__}.{attr} handles {message_type.__name__} in a base class but "
                f"is overridden by a non-callable {type(func).__name__}"
            )
        entries[message_type] = _core.HandlerEntry(
            func, _is_async(func), attr, message_type
        )
    table = _core.HandlerTable(cls.__qualname__, entries)
    table.has_on_start = cls.on_start is not Actor.on_start
    table.on_start_async = _is_async(cls.on_start)
    table.has_on_stop = cls.on_stop is not Actor.on_stop
    table.on_stop_async = _is_async(cls.on_stop)
    table.custom_on_error = cls.on_error is not Actor.on_error
    table.default_error_action = cls.error_action
    return table


def table_for(cls: type[Actor]) -> _core.HandlerTable:
    """The handler table of `cls`, built now if its annotations could not be resolved earlier."""
    try:
        table = _build_table(cls)
    except NameError as exc:
        raise TypeError(
            f"cannot resolve a handler annotation of {cls.__qualname__}: {exc}; name the "
            "message class explicitly with @handler(TheClass), or define it before spawning"
        ) from None
    _core._register_table(cls, table)
    return table


def _handler_function(value: Any) -> Callable[..., Any] | None:
    if isinstance(value, (staticmethod, classmethod)):
        inner = value.__func__
        if hasattr(inner, _HANDLES):
            raise TypeError(
                f"@handler {inner.__qualname__} must be a plain method, not a "
                f"{type(value).__name__}"
            )
        return None
    if callable(value) and hasattr(value, _HANDLES):
        return cast("Callable[..., Any]", value)
    return None


def _is_async(func: Any) -> bool:
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func)


def _message_types(
    klass: type, attr: str, func: Callable[..., Any], localns: dict[str, Any] | None
) -> tuple[type, ...]:
    declared: tuple[type, ...] = getattr(func, _HANDLES)
    if declared:
        return declared
    where = f"{klass.__qualname__}.{attr}"
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        params = []
    if len(params) < 2:
        raise TypeError(
            f"handler {where} must take (self, msg); name its message class with "
            f"@handler(TheClass) or annotate msg"
        )
    param = params[1]
    annotation = param.annotation
    if annotation is inspect.Parameter.empty:
        raise TypeError(
            f"handler {where} has no message type: annotate its message parameter "
            f"({param.name}: TheClass) or write @handler(TheClass)"
        )
    if isinstance(annotation, str):
        # NameError for a forward reference: the caller defers to the first spawn.
        hints = typing.get_type_hints(func, localns=localns)
        annotation = hints.get(param.name, annotation)
    return _expand(annotation, where)


def _expand(annotation: Any, where: str) -> tuple[type, ...]:
    if annotation is Any or annotation is object:
        return (object,)
    if annotation is None:
        return (type(None),)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        out: list[type] = []
        for member in typing.get_args(annotation):
            out.extend(_expand(member, where))
        return tuple(out)
    if origin is typing.Annotated:
        return _expand(typing.get_args(annotation)[0], where)
    if origin is not None and isinstance(origin, type):
        return (origin,)
    if isinstance(annotation, type):
        return (annotation,)
    raise TypeError(
        f"handler {where}: cannot dispatch on the annotation {annotation!r}; use a class, "
        "a union of classes, or @handler(TheClass)"
    )


class Context:
    """What an actor knows about itself and can do to the system: `self.context`.

    Every actor has one, from its `__init__` on ([`Actor.context`][airsrt.Actor.context]). It
    spawns and watches other actors, stops its own actor, schedules messages to it, stashes
    messages for later and runs blocking code off the loop. Use it from the actor's own
    handlers and hooks only, on the loop's thread: from another thread its methods raise
    [`WrongThreadError`][airsrt.WrongThreadError] (`mailbox_size` and the properties excepted).
    """

    __slots__ = ("_cell",)

    def __init__(self, cell: ActorRef) -> None:
        self._cell = cell

    @property
    def ref(self) -> ActorRef:
        """This actor's own [`ActorRef`][airsrt.ActorRef] (to hand to others as a reply-to)."""
        return self._cell

    @property
    def system(self) -> ActorSystem:
        """The [`ActorSystem`][airsrt.ActorSystem] the actor runs in."""
        return cast("ActorSystem", self._cell.system)

    @property
    def name(self) -> str:
        """The actor's name: given at spawn, or generated (`"Worker#12"`)."""
        return self._cell.name

    def spawn(
        self,
        factory: Callable[..., Actor],
        *args: Any,
        name: str | None = None,
        mailbox: Mailbox | None = None,
        node: str | None = None,
    ) -> ActorRef:
        """Spawns a child: it is stopped (children first) when this actor stops or restarts.

        Args:
            node: In an `airsrt.ray` cluster, the node to spawn it in (a node name, or
                `"spread"`); None spawns it here. A child in another node is stopped when
                this actor stops, after it (not children-first).
        """
        _core._check_thread(self._cell.system, "context.spawn", self._cell)
        if node is not None:
            if _remote.hooks is None:
                raise ConfigurationError(
                    f"spawn(..., node={node!r}) needs an airsrt.ray cluster; import airsrt.ray and "
                    "start one (airsrt.ray.Cluster.start), or leave node=None"
                )
            return _remote.hooks.spawn(self._cell, factory, args, name, mailbox, node)
        return cast("ActorRef", self._cell.system._spawn(self._cell, factory, args, name, mailbox))

    def stop(self, reason: ExitReason = "normal") -> None:
        """Stops this actor after the current message (synchronous; queued messages become
        dead letters). It is the actor's own exit: a supervisor restarts a permanent child.

        Args:
            reason: ``"normal"``, ``"shutdown"`` or ``("shutdown", payload)`` -- all normal
                exits, so a TRANSIENT child is not restarted. Watchers receive it as
                ``Terminated.reason``. To exit abnormally, raise an exception instead.

        Raises:
            ValueError: Any other reason.
        """
        _core._check_thread(self._cell.system, "context.stop", self._cell)
        lifecycle.stop_self(self._cell, reason)

    def watch(self, ref: ActorRef) -> None:
        """Receive [`airsrt.Terminated`][airsrt.Terminated] when `ref` stops for good (at once
        if it already has). Needs a handler for `Terminated`."""
        _core._check_thread(self._cell.system, "context.watch", self._cell)
        lifecycle.watch(self._cell, ref)

    def unwatch(self, ref: ActorRef) -> None:
        """Stop watching `ref`; no [`Terminated`][airsrt.Terminated] for it is delivered
        afterwards."""
        _core._check_thread(self._cell.system, "context.unwatch", self._cell)
        lifecycle.unwatch(self._cell, ref)

    def mailbox_size(self) -> int:
        """Number of messages waiting in this actor's mailbox; any thread."""
        return self._cell.mailbox_size()

    def schedule_once(self, delay: float, msg: Any, key: Any = None) -> Timer:
        """Sends `msg` to this actor after `delay` seconds; a `key` replaces the timer with that
        key. Cancelled when the actor stops or restarts."""
        _core._check_thread(self._cell.system, "context.schedule_once", self._cell)
        return schedule(self._cell, delay, msg, key, repeat=False)

    def schedule_repeat(self, interval: float, msg: Any, key: Any = None) -> Timer:
        """Sends `msg` to this actor every `interval` seconds (at most one tick queued at a
        time); a `key` replaces the timer with that key."""
        _core._check_thread(self._cell.system, "context.schedule_repeat", self._cell)
        return schedule(self._cell, interval, msg, key, repeat=True)

    def pipe_to_self(self, awaitable: Awaitable[T], to_msg: Callable[[T | BaseException], Any]) -> asyncio.Task[T]:
        """Awaits `awaitable` without blocking the mailbox, then delivers
        ``to_msg(result_or_exception)`` to this actor as a normal message. Cancelled if the
        actor stops or restarts first."""
        _core._check_thread(self._cell.system, "context.pipe_to_self", self._cell)
        return patterns.pipe_to_self(self._cell, awaitable, to_msg)

    def stash(self, msg: Any) -> None:
        """Keeps the message being handled (and its ask, if any) for later; call it from that
        message's handler. Up to ``stash_capacity`` messages.

        Raises:
            StashOverflowError: The stash is full.
        """
        _core._check_thread(self._cell.system, "context.stash", self._cell)
        patterns.stash(self._cell, msg)

    def unstash_all(self) -> int:
        """Puts the stashed messages back, ahead of newer ones, in the order they were stashed;
        returns how many."""
        _core._check_thread(self._cell.system, "context.unstash_all", self._cell)
        return patterns.unstash_all(self._cell)

    def set_receive_timeout(self, seconds: float | None) -> None:
        """Sends [`airsrt.ReceiveTimeout`][airsrt.ReceiveTimeout] after `seconds` without a
        message (again while the actor stays idle); `None` turns it off. Needs a handler for
        `ReceiveTimeout`."""
        _core._check_thread(self._cell.system, "context.set_receive_timeout", self._cell)
        patterns.set_receive_timeout(self._cell, seconds)

    def run_blocking(self, fn: Callable[..., T], *args: Any) -> Awaitable[T]:
        """Runs a blocking function in the loop's default executor; await the result."""
        _core._check_thread(self._cell.system, "context.run_blocking", self._cell)
        if not callable(fn):
            raise TypeError(f"run_blocking() needs a callable, got {fn!r}")
        loop: asyncio.AbstractEventLoop = self._cell.system.loop
        return loop.run_in_executor(None, functools.partial(fn, *args))

    def __repr__(self) -> str:
        return f"<Context of {self._cell.name}>"
