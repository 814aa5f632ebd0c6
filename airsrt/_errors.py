"""The airsrt error hierarchy.

Every error airsrt raises derives from `AirsrtError`, and also from the builtin it is
closest to (``TimeoutError``, ``TypeError``, ``ValueError``, ``KeyError``, ``RuntimeError``), so
code that already catches the builtin keeps working. Each error's text names the actor, the
message type and what to do about it; the same facts are kept as attributes for programs.

The compiled core raises these classes; they are defined here, in Python, so that tracebacks
and ``isinstance`` checks behave like any other Python exception.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ActorStartError",
    "ActorStoppedError",
    "AirsrtError",
    "AskTimeoutError",
    "ChildNotFoundError",
    "ConfigWarning",
    "ConfigurationError",
    "DeadlockError",
    "HealthCheckError",
    "HandlerError",
    "MailboxFullError",
    "MaxChildrenError",
    "NameTakenError",
    "NoSubscriberError",
    "RestartLimitError",
    "ShutdownTimeoutError",
    "SlowHandlerError",
    "SlowHandlerWarning",
    "StashOverflowError",
    "SystemNotRunningError",
    "UnhandledMessageError",
    "WrongThreadError",
]


class AirsrtError(Exception):
    """Base class of every error airsrt raises.

    Attributes:
        actor: Display name of the actor involved, or ``None``.
        message: The message that could not be delivered or answered, where there is one;
            an error that ends an ask hands the original message back this way.
    """

    def __init__(self, text: str, *, actor: str | None = None, message: Any = None) -> None:
        super().__init__(text)
        self.actor = actor
        self.message = message

    def __str__(self) -> str:
        # KeyError's __str__ would repr() the text; every subclass reads as plain prose.
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes are not in ``args``; keep them across pickling.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[AirsrtError], args: tuple[Any, ...], state: dict[str, Any]) -> AirsrtError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ActorStoppedError(AirsrtError):
    """The target actor stopped (or had stopped) before it answered an ask.

    Raised by an awaited ``ref.ask()`` at once when the actor is stopped, stops while the ask is
    queued, or is abandoned while handling it; never after waiting for a timeout.
    """


class ActorStartError(AirsrtError):
    """An actor could not be started.

    Raised by ``await ref.ready()`` when ``on_start`` failed, by ``system.spawn()`` when the
    factory itself raised, and by ``spawn_supervisor`` when a child failed to start. Asks that
    were queued for an actor whose start failed end with this error too. The original exception
    is the ``__cause__``.
    """


class MailboxFullError(AirsrtError):
    """A bounded mailbox had no room for the message.

    Raised by ``ref.tell()`` on a full ``FAIL`` or ``BLOCK`` mailbox, by ``await ref.send()``
    when its timeout passes before room appears, and by an awaited ask that was refused or
    evicted by backpressure. ``message`` is the message that was not delivered.
    """


class AskTimeoutError(AirsrtError, TimeoutError):
    """An ask got no answer within its timeout.

    The deadline is enforced on the caller's side, so a handler that swallows cancellation
    cannot defeat it. A reply that arrives later is recorded as a dead letter (``late_reply``).
    """


class UnhandledMessageError(AirsrtError, TypeError):
    """The actor has no handler for this message's type.

    Raised at the call site by ``tell``, ``send`` and ``ask`` before anything is queued; the
    text lists the types the actor does handle.
    """


class HandlerError(AirsrtError):
    """Wraps an exception that must not reach an asker unchanged.

    A handler that raises an [`AirsrtError`][airsrt.AirsrtError] (which would be mistaken for
    an error about the ask itself), `CancelledError`, `StopIteration`, `KeyboardInterrupt` or
    `SystemExit` delivers it to the asker wrapped in this class; the original is the
    `__cause__`.
    """


class DeadlockError(AirsrtError, RuntimeError):
    """An ask could never be answered because the asker blocks the target.

    Raised at once when an actor asks itself, when a synchronous handler asks an actor whose
    handler is further up the same call stack, and by ``ask_blocking`` on the loop's thread.
    """


class NameTakenError(AirsrtError, ValueError):
    """``spawn(name=...)`` used a name that a live actor already holds."""


class ChildNotFoundError(AirsrtError, KeyError):
    """A supervisor has no child with the given id."""


class NoSubscriberError(AirsrtError, LookupError):
    """A broker request found nobody subscribed to its topic."""


class ConfigurationError(AirsrtError, ValueError):
    """An argument or setting is invalid; raised where it is given, before anything runs."""


class SystemNotRunningError(AirsrtError, RuntimeError):
    """The actor system is not running (not started yet, or already shut down)."""


class ShutdownTimeoutError(AirsrtError, TimeoutError):
    """Shutdown reached its deadline and had to abandon actors.

    Attributes:
        abandoned: Display names of the actors whose handlers would not finish.
    """

    def __init__(self, text: str, *, abandoned: list[str] | None = None) -> None:
        super().__init__(text)
        self.abandoned = list(abandoned or [])


class WrongThreadError(AirsrtError, RuntimeError):
    """A loop-only operation (``spawn``, ``ask``, ``send``) was called from another thread.

    ``tell`` works from any thread; ``ask_blocking`` is the way to ask from one.
    """


class SlowHandlerError(AirsrtError, RuntimeError):
    """A handler blocked the event loop longer than the system's ``slow_handler_limit``.

    Raised only in strict mode (``ActorSystem(strict=True)``, which the pytest plugin's
    ``actor_system`` fixture uses): the message's outcome becomes this error, so the asker sees
    it and the actor's ``on_error`` and supervisor decide as for any failure. Otherwise the same
    finding is a [`SlowHandlerWarning`][airsrt.SlowHandlerWarning] and an
    `actor.slow_handler` event.

    Attributes:
        lag: Seconds the loop was blocked (measured to within a quarter of the limit).
    """

    def __init__(self, text: str, *, actor: str | None = None, message: Any = None,
                 lag: float = 0.0) -> None:
        super().__init__(text, actor=actor, message=message)
        self.lag = lag


class HealthCheckError(AirsrtError):
    """A supervised child failed `threshold` health checks in a row; the supervisor restarts it
    as if it had crashed with this error."""


class StashOverflowError(AirsrtError):
    """[`context.stash()`][airsrt.Context.stash] found the stash full
    ([`Actor.stash_capacity`][airsrt.Actor] messages)."""


class RestartLimitError(AirsrtError):
    """A supervisor (or a pool) exceeded its restart intensity and gave up.

    It stopped its children and then exited with reason ``"shutdown"``, as an OTP supervisor
    does: a PERMANENT parent restarts it, a TRANSIENT or TEMPORARY one leaves it down. This error
    is the ``error`` of the ``Terminated`` its watchers receive (its ``__cause__`` is the last
    child failure), and the ``__cause__`` of the ``ActorStoppedError`` raised by later calls to
    the pool or the supervisor's operations.
    """


class MaxChildrenError(AirsrtError):
    """``start_child`` on a `DynamicSupervisor` that already has ``max_children`` children.

    Attributes:
        max_children: The supervisor's limit.
    """

    def __init__(self, text: str, *, actor: str | None = None, max_children: int = 0) -> None:
        super().__init__(text, actor=actor)
        self.max_children = max_children


class SlowHandlerWarning(UserWarning):
    """A handler blocked the event loop longer than the system's ``slow_handler_limit``.

    Blocking calls (``time.sleep``, synchronous I/O, long computations) belong in
    ``context.run_blocking()``; nothing else on the loop runs until such a handler returns.
    """


class ConfigWarning(UserWarning):
    """A setting that works, but can fail at run time in a way that is hard to see.

    Issued, for example, when an actor awaits ``send()`` without a timeout into a full BLOCK
    mailbox: two actors doing that to each other wait forever.
    """
