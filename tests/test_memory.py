"""Leaks and reference counts of the compiled types, each check in a fresh subprocess."""

import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import asyncio, gc, sys, tracemalloc, weakref
import airsrt
from airsrt import Actor, handler

class Ping(airsrt.Message[int]):
    __slots__ = ()

class Worker(Actor):
    error_action = airsrt.ErrorAction.RESUME

    def __init__(self):
        self.blob = bytearray(64)

    @handler
    def ping(self, msg: Ping) -> int:
        return 1

    @handler
    def fail(self, msg: ValueError) -> None:
        raise ValueError(f"refused {msg}")
"""


def run_isolated(body: str) -> str:
    script = PRELUDE + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_spawn_stop_cycles_do_not_grow_memory():
    out = run_isolated(
        """
        async def main():
            async with airsrt.ActorSystem(log_failures=False) as system:
                async def cycle(n):
                    for _ in range(n):
                        ref = system.spawn(Worker)
                        await ref.ask(Ping())
                        ref.tell(Ping())
                        await ref.stop()
                # Trace from the start: the warm-up fills the bounded event and dead-letter
                # histories (which keep refs to stopped actors) and the caches.
                tracemalloc.start()
                await cycle(3000)
                gc.collect()
                before = tracemalloc.get_traced_memory()[0]
                await cycle(10_000)
                gc.collect()
                after = tracemalloc.get_traced_memory()[0]
                print(after - before)
        asyncio.run(main())
        """
    )
    assert int(out) < 32 * 1024, f"grew by {out} bytes over 10,000 spawn/stop cycles"


def test_messages_and_replies_are_not_leaked():
    out = run_isolated(
        """
        async def main():
            async with airsrt.ActorSystem(log_failures=False, eager_asks=False) as system:
                ref = system.spawn(Worker)
                msg = Ping()
                base = sys.getrefcount(msg)
                for _ in range(1000):
                    ref.tell(msg)
                    await ref.ask(msg)
                await ref.ask(Ping())
                tell_ask = sys.getrefcount(msg) - base
                system.eager_asks = True
                for _ in range(1000):
                    await ref.ask(msg)
                eager = sys.getrefcount(msg) - base
                error = ValueError("x")
                base_error = sys.getrefcount(error)
                for _ in range(100):
                    try:
                        await ref.ask(error)
                    except ValueError as raised:
                        assert raised is not error
                        del raised
                await ref.ask(Ping())  # the last failure notice is served from the control lane
                await asyncio.sleep(0)  # ...and released by the end of that loop iteration
                print(tell_ask, eager, sys.getrefcount(error) - base_error)
        asyncio.run(main())
        """
    )
    assert out == "0 0 0"


def test_stopped_actor_and_its_ring_are_released_while_the_ref_lives():
    out = run_isolated(
        """
        async def main():
            async with airsrt.ActorSystem() as system:
                ref = system.spawn(Worker)
                for _ in range(1000):
                    ref.tell(Ping())
                instance = weakref.ref(ref._actor)
                await ref.stop()
                gc.collect()
                print(instance() is None, ref._ring_slots, ref.mailbox_size())
        asyncio.run(main())
        """
    )
    assert out == "True 0 0"


def test_failure_path_leaves_no_cycles_with_gc_off():
    out = run_isolated(
        """
        async def main():
            async with airsrt.ActorSystem(log_failures=False) as system:
                ref = system.spawn(Worker)
                gc.collect()
                gc.disable()
                for i in range(10_000):
                    if i % 10 == 0:
                        try:
                            await ref.ask(ValueError(i))
                        except ValueError:
                            pass
                    else:
                        await ref.ask(Ping())
                found = gc.collect()
                gc.enable()
                print(found)
        asyncio.run(main())
        """
    )
    assert int(out) == 0, f"{out} unreachable objects after 1,000 failed asks"


@pytest.mark.parametrize("path", ["stop", "self_stop", "restart"])
def test_stop_and_restart_paths_leave_no_cycles_with_gc_off(path):
    """The lifecycle breaks its own cycles (actor <-> cell, handler errors and their frames):
    a stop, an actor stopping itself and a supervised restart leave nothing for the cyclic
    collector, so a system that restarts or replaces actors all day never waits on it."""
    out = run_isolated(
        f"""
        class Quits(Actor):
            @handler
            def ping(self, msg: Ping) -> int:
                self.context.stop()
                return 1

        class Crashes(Actor):
            error_action = airsrt.ErrorAction.RESTART

            @handler
            def ping(self, msg: Ping) -> int:
                return 1

            @handler
            def fail(self, msg: ValueError) -> None:
                raise RuntimeError(f"crashed on {{msg}}")

        async def main():
            path = {path!r}
            async with airsrt.ActorSystem(log_failures=False) as system:
                if path == "restart":
                    sup = await system.spawn_supervisor(
                        airsrt.OneForOne(max_restarts=10_000, within=60.0),
                        [airsrt.ChildSpec(f"c{{i}}", Crashes) for i in range(500)])
                    refs = [sup.child(f"c{{i}}") for i in range(500)]
                else:
                    refs = [system.spawn(Quits if path == "self_stop" else Worker)
                            for _ in range(500)]
                await refs[-1].ready()
                gc.collect()
                gc.disable()
                for ref in refs:
                    if path == "stop":
                        await ref.stop()
                    elif path == "self_stop":
                        assert await ref.ask(Ping()) == 1
                    else:
                        ref.tell(ValueError("boom"))
                        assert await ref.ask(Ping()) == 1  # handled by the next incarnation
                while path == "self_stop" and any(r.state_name() != "STOPPED" for r in refs):
                    await asyncio.sleep(0)
                if path == "restart":
                    assert all(r.incarnation == 2 for r in refs), [r.incarnation for r in refs]
                found = gc.collect()
                gc.enable()
                print(found)
        asyncio.run(main())
        """
    )
    assert int(out) == 0, f"{out} unreachable objects after 500 actors took the {path} path"


@pytest.mark.parametrize("kind", ["tell", "eager", "queued"])
def test_handler_call_holds_the_cell(kind):
    # A handler that stops its own actor and drops every other reference must not crash the
    # dispatcher that is still running it.
    out = run_isolated(
        f"""
        class Suicidal(Actor):
            @handler
            def ping(self, msg: Ping) -> int:
                self.context.stop()
                system._names.clear()
                return 1

        async def main():
            async with airsrt.ActorSystem(eager_asks={kind != "queued"}) as s:
                global system
                system = s
                ref = system.spawn(Suicidal, name="s")
                if "{kind}" == "tell":
                    ref.tell(Ping())
                    await asyncio.sleep(0)
                else:
                    await ref.ask(Ping())
                del ref
                gc.collect()
                await asyncio.sleep(0)
                print("ok")
        asyncio.run(main())
        """
    )
    assert out == "ok"
