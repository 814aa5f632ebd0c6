"""Actor classes: handler registration, class-creation errors, context, error actions."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional, Union

import pytest

import airsrt
from airsrt import Actor, handler


@dataclass
class Ping:
    n: int = 0


@dataclass
class Pong:
    n: int = 0


class Base:
    pass


class Derived(Base):
    pass


class Multi(Actor):
    @handler
    def on_union(self, msg: Ping | Pong) -> str:
        return type(msg).__name__

    @handler(Base)
    def on_base(self, msg) -> str:
        return "base"


def test_union_annotation_registers_each_member():
    types = airsrt._actor.table_for(Multi).handled_types()
    assert set(types) == {Ping, Pong, Base}


def test_typing_union_and_optional_register_members():
    class A(Actor):
        @handler
        def a(self, msg: Union[Ping, Pong]) -> None: ...

        @handler
        def b(self, msg: Optional[Base]) -> None: ...

    assert set(airsrt._actor.table_for(A).handled_types()) == {Ping, Pong, Base, type(None)}


def test_mro_lookup_finds_base_handler_and_caches():
    table = airsrt._actor.table_for(Multi)
    assert table.find(Derived).method_name == "on_base"
    assert table.find(Derived) is table.find(Derived)
    assert table.find(int) is None


def test_two_handlers_for_one_type_in_one_class_is_a_type_error():
    with pytest.raises(TypeError, match="two handlers for Ping"):

        class Bad(Actor):
            @handler
            def one(self, msg: Ping) -> None: ...

            @handler(Ping)
            def two(self, msg) -> None: ...


def test_handler_without_message_type_is_a_type_error():
    with pytest.raises(TypeError, match="no message type"):

        class Bad(Actor):
            @handler
            def one(self, msg) -> None: ...


def test_handler_without_message_parameter_is_a_type_error():
    with pytest.raises(TypeError, match=r"must take \(self, msg\)"):

        class Bad(Actor):
            @handler
            def one(self) -> None: ...


def test_handler_decorator_rejects_non_classes():
    with pytest.raises(TypeError, match="takes message classes"):
        handler("Ping")


def test_subclass_handler_overrides_parent_for_same_type():
    class Parent(Actor):
        @handler
        def ping(self, msg: Ping) -> str:
            return "parent"

    class Child(Parent):
        @handler
        def ping_again(self, msg: Ping) -> str:
            return "child"

    entry = airsrt._actor.table_for(Child).find(Ping)
    assert entry.method_name == "ping_again"


def test_error_action_must_be_an_error_action():
    with pytest.raises(TypeError, match="error_action must be an airsrt.ErrorAction"):

        class Bad(Actor):
            error_action = "resume"  # type: ignore[assignment]


async def test_context_is_usable_in_init(actor_system):
    seen = {}

    class Named(Actor):
        def __init__(self, tag: str) -> None:
            seen["name"] = self.context.name
            seen["ref"] = self.context.ref
            seen["system"] = self.context.system
            self.tag = tag

        @handler
        def ping(self, msg: Ping) -> str:
            return self.tag

    ref = actor_system.spawn(Named, "x", name="named")
    assert seen == {"name": "named", "ref": ref, "system": actor_system}
    assert await ref.ask(Ping()) == "x"


async def test_context_works_with_callable_factory(actor_system):
    class Tagged(Actor):
        def __init__(self, *, tag: str) -> None:
            self.ref_in_init = self.context.ref
            self.tag = tag

        @handler
        def ping(self, msg: Ping) -> object:
            return (self.tag, self.ref_in_init)

    ref = actor_system.spawn(functools.partial(Tagged, tag="kw"))
    assert await ref.ask(Ping()) == ("kw", ref)


def test_context_outside_spawn_is_a_clear_error():
    with pytest.raises(RuntimeError, match="was not created by ActorSystem.spawn"):
        Multi().context


async def test_factory_that_does_not_return_an_actor(actor_system):
    with pytest.raises(TypeError, match="not an airsrt.Actor"):
        actor_system.spawn(lambda: object())


async def test_factory_exception_is_actor_start_error(actor_system):
    class Boom(Actor):
        def __init__(self) -> None:
            raise KeyError("cfg")

        @handler
        def ping(self, msg: Ping) -> None: ...

    with pytest.raises(airsrt.ActorStartError, match="KeyError") as info:
        actor_system.spawn(Boom)
    assert isinstance(info.value.__cause__, KeyError)
    assert actor_system.actors() == []


async def test_forward_reference_annotation_resolves_at_spawn(actor_system):
    class Later(Actor):
        @handler
        def on(self, msg: "DefinedAfter") -> str:  # noqa: F821 - defined below on purpose
            return "ok"

    global DefinedAfter

    class DefinedAfter:
        pass

    try:
        ref = actor_system.spawn(Later)
        assert await ref.ask(DefinedAfter()) == "ok"
    finally:
        del DefinedAfter


async def test_unresolvable_annotation_fails_at_spawn_with_advice(actor_system):
    class Never(Actor):
        @handler
        def on(self, msg: "NoSuchClass") -> None: ...  # noqa: F821

    with pytest.raises(TypeError, match=r"@handler\(TheClass\)"):
        actor_system.spawn(Never)


async def test_handlers_with_local_string_annotations(actor_system):
    # `from __future__ import annotations` is on in this module: annotations are strings.
    class LocalMsg:
        pass

    class UsesLocal(Actor):
        @handler
        def on(self, msg: LocalMsg) -> int:
            return 7

    ref = actor_system.spawn(UsesLocal)
    assert await ref.ask(LocalMsg()) == 7


async def test_message_base_is_free_and_generic():
    class Deposit(airsrt.Message[int]):
        __slots__ = ("amount",)

        def __init__(self, amount: int) -> None:
            self.amount = amount

    d = Deposit(3)
    assert not hasattr(d, "__dict__")
    assert airsrt.Message.__slots__ == ()
