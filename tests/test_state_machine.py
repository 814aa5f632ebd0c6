"""The actor's state machine belongs to the compiled core: Python reads it and asks for moves.

The Python layer decides *when* an actor starts, stops or restarts; the cell's own transitions
make each move and refuse one from the wrong state. These tests hold that line: no Python
module writes a core-owned field, the fields cannot be written, and a wrong move is refused
with an error that names the actor and where it was.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import airsrt
from airsrt import Actor, handler

PACKAGE = Path(airsrt.__file__).resolve().parent
CORE_OWNED = {"_phase", "_sched", "_flags", "_actor", "_table", "_ctx", "_n_putters"}


class Counter(Actor):
    def __init__(self) -> None:
        self.n = 0

    @handler
    def bump(self, msg: int) -> int:
        self.n += msg
        return self.n


def _assignments(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if (isinstance(target, ast.Attribute) and target.attr in CORE_OWNED
                    and not (isinstance(target.value, ast.Name) and target.value.id == "self")):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node).splitlines()[0]}")
    return found


def test_no_python_module_writes_a_core_owned_field() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 20, f"found only {len(modules)} modules under {PACKAGE}"
    writes = [line for path in modules for line in _assignments(path)]
    assert not writes, "Python writes core-owned cell state; call a transition instead:\n" + "\n".join(writes)


async def test_the_fields_are_read_only(actor_system: airsrt.ActorSystem) -> None:
    ref = actor_system.spawn(Counter)
    assert await ref.ask(1) == 1
    for name in ("_phase", "_sched", "_flags", "_actor", "_table", "_ctx"):
        with pytest.raises(AttributeError):
            setattr(ref, name, getattr(ref, name))
    assert await ref.ask(1) == 2


async def test_a_move_from_the_wrong_state_is_refused_by_name(actor_system: airsrt.ActorSystem) -> None:
    ref = actor_system.spawn(Counter, name="counter")
    await ref.ready()
    assert ref._phase == airsrt._core.PHASE_ALIVE
    with pytest.raises(RuntimeError, match=r"counter.*'stopped' from phase ALIVE, sched IDLE.*bug"):
        ref._mark_stopped(False)
    actor, table = ref._build(Counter, ())
    with pytest.raises(RuntimeError, match=r"counter.*'reincarnate' from phase ALIVE"):
        ref._reincarnate(actor, table)
    # Refused moves change nothing: the actor still works, with its state.
    assert ref.incarnation == 1 and await ref.ask(5) == 5
    await ref.stop()
    with pytest.raises(RuntimeError, match=r"'task began' from phase STOPPED"):
        ref._task_began()
    assert ref._suspend() is False  # a stopped actor cannot be suspended: the stop wins


async def test_the_moves_of_a_restart(actor_system: airsrt.ActorSystem) -> None:
    """Suspend, end the incarnation, reincarnate: what the restart code asks of the core."""
    ref = actor_system.spawn(Counter)
    assert await ref.ask(3) == 3
    first = ref.incarnation
    assert ref._suspend() is True and ref._phase == airsrt._core.PHASE_RESTARTING
    assert ref._end_started() is True and ref._end_started() is False  # on_stop is due once
    actor, table = ref._build(Counter, ())
    assert ref._reincarnate(actor, table) is True  # no on_start: alive at once
    assert ref._phase == airsrt._core.PHASE_ALIVE and ref.incarnation == first + 1
    assert await ref.ask(1) == 1  # the new instance
